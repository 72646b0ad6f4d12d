/* SPDX-License-Identifier: MIT */
/*
 * mkslot: the host side of the switcher.  This first front end runs the
 * switcher's own config parser and memory planner on the host:
 *
 *   mkslot check [--esp DIR] [--json] CONF
 *   mkslot plan --memmap FILE [--json] CONF
 *
 * Both compile the same switcher/ C as switcher.efi, so what mkslot says is
 * what the switcher will do at boot.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "fmt.h"
#include "memmap.h"
#include "plan.h"
#include "resident.h"

static const char *progname = "mkslot";
static bool json;

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: %s COMMAND [OPTIONS] CONF\n"
                "\n"
                "Commands:\n"
                "  check CONF                 check partitions.conf as the switcher will at boot\n"
                "  plan --memmap FILE CONF    print the memory plan for a machine's memory map\n"
                "\n"
                "Options:\n"
                "  --esp DIR        also check that the kernels and initrds exist, with DIR\n"
                "                   as the root of the EFI system partition (plan: slots\n"
                "                   whose files are missing are left out, as at boot)\n"
                "  --memmap FILE    (plan) a memory map dump, as the switcher prints on serial\n"
                "                   at boot (\"memmap: TYPE BASE PAGES ATTR\" lines)\n"
                "  --json           print the result as JSON on stdout\n"
                "  -h, --help       show this help\n"
                "\n"
                "Exit status: 0 when the config has at least one valid slot (and, for plan,\n"
                "the plan holds at least one slot), 1 otherwise, 2 on usage errors.\n",
                progname);
}

/* Diagnostics go to stderr, in the same words the switcher prints. */
static void diag_stderr(void *ctx, enum sw_severity sev, const char *msg)
{
        static const char *const prefix[] = {
                [SW_INFO] = "",
                [SW_WARN] = "warning: ",
                [SW_ERROR] = "error: ",
        };

        fprintf(stderr, "%s%s\n", prefix[sev], msg);
}

static char *read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        size_t cap = 0, n = 0;

        if (!f)
                return NULL;
        for (;;) {
                if (n == cap) {
                        char *nb;

                        cap = cap ? cap * 2 : 65536;
                        if (cap > (64u << 20) || !(nb = realloc(buf, cap))) {
                                free(buf);
                                fclose(f);
                                errno = EFBIG;
                                return NULL;
                        }
                        buf = nb;
                }
                size_t r = fread(buf + n, 1, cap - n, f);

                n += r;
                if (r == 0)
                        break;
        }
        if (ferror(f)) {
                free(buf);
                fclose(f);
                return NULL;
        }
        fclose(f);
        *len = n;
        return buf;
}

static const char *esp_root;

static bool esp_exists(void *ctx, const char *path)
{
        char full[PATH_MAX];
        struct stat st;

        if (snprintf(full, sizeof(full), "%s%s", esp_root, path) >= (int)sizeof(full))
                return false;
        return stat(full, &st) == 0 && S_ISREG(st.st_mode);
}

static void json_str(const char *s)
{
        putchar('"');
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if (c == '"' || c == '\\')
                        printf("\\%c", c);
                else if (c < 0x20)
                        printf("\\u%04x", c);
                else
                        putchar(c);
        }
        putchar('"');
}

static int load_config(const char *path, struct sw_config *c, struct sw_diag *d)
{
        size_t len;
        char *buf = read_file(path, &len);

        if (!buf) {
                fprintf(stderr, "%s: cannot read %s: %s\n", progname, path, strerror(errno));
                return -1;
        }
        sw_config_parse(c, buf, len, path, d);
        free(buf);
        return 0;
}

static void print_slots_json(const struct sw_config *c)
{
        printf("\"slots\":[");
        for (unsigned i = 0, first = 1; i < c->nslots; i++) {
                const struct sw_slot_config *s = &c->slots[i];

                printf("%s{\"id\":", first ? "" : ",");
                first = 0;
                json_str(s->id);
                printf(",\"valid\":%s,\"title\":", s->valid ? "true" : "false");
                json_str(s->title);
                printf(",\"linux\":");
                json_str(s->linux_path);
                printf(",\"mode\":\"%s\",\"arch\":\"%s\",\"line\":%u}", sw_mode_name(s->mode),
                       sw_arch_name(s->arch), s->line);
        }
        printf("]");
}

static int cmd_check(const char *conf)
{
        static struct sw_config c;
        struct sw_diag d = { .emit = diag_stderr };
        int def;

        if (load_config(conf, &c, &d) < 0)
                return 1;
        if (esp_root)
                sw_config_check_files(&c, esp_exists, NULL, &d);
        def = sw_config_default_index(&c);
        if (json) {
                printf("{\"file\":");
                json_str(conf);
                printf(",\"usable\":%s,\"valid_slots\":%u,\"default\":", c.usable ? "true" : "false",
                       sw_config_valid_slots(&c));
                if (def >= 0)
                        json_str(c.slots[def].id);
                else
                        printf("null");
                printf(",\"warnings\":%u,\"errors\":%u,\"files_checked\":%s,", d.warnings, d.errors,
                       esp_root ? "true" : "false");
                print_slots_json(&c);
                printf("}\n");
        } else {
                for (unsigned i = 0; i < c.nslots; i++)
                        if (c.slots[i].valid)
                                printf("slot %-12s %-8s %s%s\n", c.slots[i].id, sw_mode_name(c.slots[i].mode),
                                       c.slots[i].title, (int)i == def ? "  (default)" : "");
                printf("%s: %u valid slot(s), %u warning(s), %u error(s)%s\n", conf,
                       c.usable ? sw_config_valid_slots(&c) : 0, d.warnings, d.errors,
                       esp_root ? "" : "; files not checked (use --esp DIR)");
        }
        return c.usable && sw_config_valid_slots(&c) > 0 ? 0 : 1;
}

static void plan_line_stdout(void *ctx, const char *text)
{
        printf("%s\n", text);
}

static int cmd_plan(const char *conf, const char *memmap_path)
{
        static struct sw_config c;
        static struct sw_memmap m;
        static struct sw_plan p;
        struct sw_diag d = { .emit = diag_stderr };
        struct sw_plan_request req;
        const char *ids[SW_MAX_SLOTS];
        uint64_t sizes[SW_MAX_SLOTS], limits[SW_MAX_SLOTS];
        size_t len;
        char *buf;
        int placed;

        if (load_config(conf, &c, &d) < 0)
                return 1;
        /* With the ESP at hand, plan only what the switcher would keep. */
        if (esp_root)
                sw_config_check_files(&c, esp_exists, NULL, &d);
        if (!c.usable || sw_config_valid_slots(&c) == 0) {
                fprintf(stderr, "%s: %s has no valid slot; nothing to plan\n", progname, conf);
                return 1;
        }
        buf = read_file(memmap_path, &len);
        if (!buf) {
                fprintf(stderr, "%s: cannot read %s: %s\n", progname, memmap_path, strerror(errno));
                return 1;
        }
        sw_memmap_init(&m);
        if (sw_memmap_parse_dump(&m, buf, len, memmap_path, &d) < 0) {
                free(buf);
                return 1;
        }
        free(buf);
        sw_memmap_normalize(&m);
        sw_config_sort(&c);
        sw_plan_request_from_config(&c, ids, sizes, limits, NULL, 0, sw_memmap_top(&m), &req);
        placed = sw_plan_build(&m, &req, &p, &d);
        if (placed < 0)
                return 1;
        if (!json) {
                sw_plan_print(&p, plan_line_stdout, NULL);
                return placed > 0 ? 0 : 1;
        }
        printf("{\"active_bytes\":%llu,\"active\":[", (unsigned long long)p.active_bytes);
        for (unsigned i = 0; i < p.nactive; i++)
                printf("%s{\"base\":%llu,\"size\":%llu}", i ? "," : "",
                       (unsigned long long)p.active[i].base, (unsigned long long)p.active[i].size);
        printf("],\"low_page\":%llu,\"resident\":{\"base\":%llu,\"size\":%llu},\"slots\":[",
               (unsigned long long)p.low_page, (unsigned long long)p.resident_base,
               (unsigned long long)p.resident_size);
        for (unsigned i = 0; i < p.nslots; i++) {
                printf("%s{\"id\":", i ? "," : "");
                json_str(p.slots[i].id);
                printf(",\"placed\":%s,\"store_base\":%llu,\"store_size\":%llu}",
                       p.slots[i].placed ? "true" : "false", (unsigned long long)p.slots[i].store_base,
                       (unsigned long long)p.slots[i].store_size);
        }
        printf("],\"missing\":%llu}\n", (unsigned long long)p.missing);
        return placed > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "esp", required_argument, NULL, 'e' },
                { "memmap", required_argument, NULL, 'm' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        const char *cmd, *memmap_path = NULL;
        int o;

        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        cmd = argv[1];
        if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
                usage(stdout);
                return 0;
        }
        optind = 2;
        while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (o) {
                case 'e':
                        esp_root = optarg;
                        break;
                case 'm':
                        memmap_path = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind + 1 != argc) {
                fprintf(stderr, "%s: %s: expected exactly one CONF argument\n", progname, cmd);
                return 2;
        }
        if (!strcmp(cmd, "check"))
                return cmd_check(argv[optind]);
        if (!strcmp(cmd, "plan")) {
                if (!memmap_path) {
                        fprintf(stderr, "%s: plan: --memmap FILE is required\n", progname);
                        return 2;
                }
                return cmd_plan(argv[optind], memmap_path);
        }
        fprintf(stderr, "%s: unknown command '%s' (try --help)\n", progname, cmd);
        return 2;
}
