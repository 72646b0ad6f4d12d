/* SPDX-License-Identifier: MIT */
/*
 * mkslot check and mkslot plan: the switcher's config parser and memory
 * planner on the host, so a config can be tried before it is installed.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argp.h>
#include <error.h>
#include <progname.h>

#include "gpt.h"
#include "memmap.h"
#include "mkslot.h"
#include "plan.h"
#include "layout.h"

#define MAX_DISK_ARGS 8

struct check_args {
        const char *conf, *esp, *memmap, *memory;
        const char *disks[MAX_DISK_ARGS];
        unsigned ndisks;
        bool json;
        bool plan;
};

enum { OPT_ESP = 0x100, OPT_JSON, OPT_MEMMAP, OPT_MEMORY, OPT_DISK };

static const struct argp_option check_options[] = {
        { "esp", OPT_ESP, "DIR", 0, "DIR is the root of the EFI system partition: also check that the "
          "kernels, initrds and slot images exist, and verify every slot image", 0 },
        { "disk", OPT_DISK, "IMAGE", 0, "a disk (image or device) the machine will have: every slot's "
          "partition is looked up in the GPTs of the --disk arguments, as the switcher does at start-up "
          "(repeatable)", 0 },
        { "json", OPT_JSON, NULL, 0, "print the result as JSON on stdout", 0 },
        { 0 },
};

static const struct argp_option plan_options[] = {
        { "memmap", OPT_MEMMAP, "FILE", 0, "the machine's memory map, as the switcher prints it on serial at "
          "boot (\"memmap: TYPE BASE PAGES ATTR\" lines; a whole serial log will do)", 0 },
        { "memory", OPT_MEMORY, "SIZE", 0, "instead of --memmap: a plain machine with SIZE of RAM (e.g. 2G; "
          "the first 2 GiB below 4 GiB, the rest from 4 GiB up)", 0 },
        { "esp", OPT_ESP, "DIR", 0, "plan only the slots whose files are on this ESP and verify", 0 },
        { "json", OPT_JSON, NULL, 0, "print the plan as JSON on stdout", 0 },
        { 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
        struct check_args *a = state->input;

        switch (key) {
        case OPT_ESP:
                a->esp = arg;
                break;
        case OPT_JSON:
                a->json = true;
                break;
        case OPT_MEMMAP:
                a->memmap = arg;
                break;
        case OPT_MEMORY:
                a->memory = arg;
                break;
        case OPT_DISK:
                if (a->ndisks == MAX_DISK_ARGS)
                        argp_error(state, "at most %d --disk arguments", MAX_DISK_ARGS);
                a->disks[a->ndisks++] = arg;
                break;
        case ARGP_KEY_ARG:
                conf_arg(key, arg, state, &a->conf);
                break;
        case ARGP_KEY_END:
                conf_arg(key, arg, state, &a->conf);
                if (a->plan && !a->memmap == !a->memory)
                        argp_error(state, "give one of --memory SIZE or --memmap FILE");
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

static void print_slots_json(const struct sw_config *c)
{
        printf("\"slots\":[");
        for (unsigned i = 0; i < c->nslots; i++) {
                const struct sw_slot_config *s = &c->slots[i];

                printf("%s{\"id\":", i ? "," : "");
                json_str(stdout, s->id);
                printf(",\"valid\":%s,\"title\":", s->valid ? "true" : "false");
                json_str(stdout, s->title);
                printf(",\"linux\":");
                json_str(stdout, s->linux_path);
                printf(",\"image\":");
                json_str(stdout, s->image_path);
                printf(",\"snapshot\":");
                json_str(stdout, s->snapshot_path);
                printf(",\"mode\":\"%s\",\"arch\":\"%s\",\"line\":%u,\"partition_missing\":%s}",
                       sw_mode_name(s->mode), sw_arch_name(s->arch), s->line,
                       s->partition_missing ? "true" : "false");
        }
        printf("]");
}

static int file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
        int fd = *(const int *)ctx;
        size_t done = 0;

        while (done < len) {
                ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                done += (size_t)n;
        }
        return 0;
}

/*
 * The switcher's start-up check on the host: the GPT of each --disk read
 * by the same reader, then every valid slot's partition looked up in them.
 * A disk that cannot be read is a warning, as on the firmware's console.
 */
static void check_disks(const struct check_args *a, struct sw_config *c, struct sw_diag *d)
{
        static struct sw_gpt gpts[MAX_DISK_ARGS];
        const struct sw_gpt *tables[MAX_DISK_ARGS];
        unsigned n = 0, unreadable = 0;

        for (unsigned i = 0; i < a->ndisks; i++) {
                char why[200];
                int fd = open(a->disks[i], O_RDONLY | O_CLOEXEC), r;

                if (fd < 0) {
                        sw_diagf(d, SW_WARN, "%s: cannot open: %s; its partitions are not counted", a->disks[i],
                                 strerror(errno));
                        unreadable++;
                        continue;
                }
                r = sw_gpt_read(file_read, &fd, 512, &gpts[n], why, sizeof(why));
                close(fd);
                if (r == SW_GPT_OK) {
                        tables[n] = &gpts[n];
                        n++;
                } else {
                        sw_diagf(d, SW_WARN, "%s: %s; its partitions are not counted", a->disks[i], why);
                        unreadable++;
                }
        }
        sw_gpt_check_config(c, tables, n, unreadable, d);
}

int cmd_check(int argc, char **argv)
{
        static const struct argp argp = {
                check_options, parse_opt, "CONF",
                "Checks partitions.conf as the switcher will at boot: the same parser, the same messages "
                "(on stderr, naming FILE:LINE).  Exit status 0 when the config has no error (warnings alone are "
                "fine), 1 when it has any, such as a dropped slot, even if other slots are still valid: a "
                "script can gate on it.  --json's \"usable\" says whether the switcher would still boot "
                "something.", NULL, NULL, NULL,
        };
        static struct sw_config c;
        struct check_args a = { 0 };
        struct sw_diag d = stderr_diag;
        int def;

        argp_parse(&argp, argc, argv, 0, NULL, &a);
        if (load_config(a.conf, a.esp, &c, &d) < 0)
                return 1;
        if (a.ndisks)
                check_disks(&a, &c, &d);
        def = sw_config_default_index(&c);
        if (a.json) {
                printf("{\"file\":");
                json_str(stdout, a.conf);
                printf(",\"usable\":%s,\"valid_slots\":%u,\"default\":", c.usable ? "true" : "false",
                       sw_config_valid_slots(&c));
                if (def >= 0)
                        json_str(stdout, c.slots[def].id);
                else
                        printf("null");
                printf(",\"warnings\":%u,\"errors\":%u,\"files_checked\":%s,", d.warnings, d.errors,
                       a.esp ? "true" : "false");
                print_slots_json(&c);
                printf("}\n");
        } else {
                for (unsigned i = 0; i < c.nslots; i++)
                        if (c.slots[i].valid)
                                printf("slot %-12s %-8s %s%s%s%s\n", c.slots[i].id, sw_mode_name(c.slots[i].mode),
                                       c.slots[i].title, (int)i == def ? "  (default)" : "",
                                       c.slots[i].snapshot_path[0] ? "  snapshot " : "", c.slots[i].snapshot_path);
                printf("%s: %u valid slot(s), %u warning(s), %u error(s)%s\n", a.conf,
                       c.usable ? sw_config_valid_slots(&c) : 0, d.warnings, d.errors,
                       a.esp ? "" : "; files not checked (use --esp DIR)");
        }
        /* Any error fails the check, like systemd-analyze verify or nginx -t:
         * a dropped slot is a mistake the author wants to hear about before
         * installing, even though the switcher would boot the others. */
        return c.usable && sw_config_valid_slots(&c) > 0 && d.errors == 0 ? 0 : 1;
}

static void plan_line_stdout(void *ctx, const char *text)
{
        printf("%s\n", text);
}

/* A plain q35-like machine: RAM below 0xA0000, from 1 MiB up to 2 GiB,
 * the rest above 4 GiB; page 0 and the legacy hole reserved. */
static int synth_memmap(struct sw_memmap *m, uint64_t size, struct sw_diag *d)
{
        const uint64_t low_top = 2ULL << 30, pg = SW_PAGE_SIZE;
        uint64_t low = size < low_top ? size : low_top;

        sw_memmap_init(m);
        if (sw_memmap_add(m, SW_EFI_BS_DATA, 0, 1, 0xf, d) < 0 ||
            sw_memmap_add(m, SW_EFI_CONVENTIONAL, pg, 0x9f, 0xf, d) < 0 ||
            sw_memmap_add(m, SW_EFI_CONVENTIONAL, 1 << 20, (low - (1 << 20)) / pg, 0xf, d) < 0)
                return -1;
        if (size > low_top && sw_memmap_add(m, SW_EFI_CONVENTIONAL, 4ULL << 30, (size - low_top) / pg, 0xf, d) < 0)
                return -1;
        sw_memmap_normalize(m);
        return 0;
}

int cmd_plan(int argc, char **argv)
{
        static const struct argp argp = {
                plan_options, parse_opt, "CONF",
                "Prints the memory plan the switcher would make for CONF on a machine: the active region, "
                "each slot's store, an in-place slot's DMA32 window, the resident block.  The text lines "
                "are the ones the switcher prints at boot.  Exit status 0 when at least one slot is placed.",
                NULL, NULL, NULL,
        };
        static struct sw_config c;
        static struct sw_memmap m;
        static struct sw_plan p;
        struct check_args a = { .plan = true };
        struct sw_diag d = stderr_diag;
        struct sw_plan_input in = { 0 };
        uint64_t mem;
        size_t len;
        char *buf;
        int placed;

        argp_parse(&argp, argc, argv, 0, NULL, &a);
        if (a.memory && (sw_parse_size(a.memory, &mem) < 0 || mem < (64ULL << 20) || mem % SW_PAGE_SIZE)) {
                error(0, 0, "plan: --memory '%s' is not a size of at least 64M, in whole pages", a.memory);
                return EXIT_USAGE;
        }
        if (load_config(a.conf, a.esp, &c, &d) < 0)
                return 1;
        if (!c.usable || sw_config_valid_slots(&c) == 0) {
                error(0, 0, "%s has no valid slot; nothing to plan", a.conf);
                return 1;
        }
        if (a.memmap) {
                buf = slurp_or_say(a.memmap, 16 << 20, &len);
                if (!buf)
                        return 1;
                sw_memmap_init(&m);
                if (sw_memmap_parse_dump(&m, buf, len, a.memmap, &d) < 0) {
                        free(buf);
                        return 1;
                }
                free(buf);
                sw_memmap_normalize(&m);
        } else if (synth_memmap(&m, mem, &d) < 0) {
                return 1;
        }
        sw_config_sort(&c);
        in.cfg = &c;
        in.map_top = sw_memmap_top(&m);
        sw_plan_input_from_config(&in);
        placed = sw_plan_build(&m, &in.req, &p, &d);
        if (placed < 0)
                return 1;
        if (!a.json) {
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
                json_str(stdout, p.slots[i].id);
                printf(",\"placed\":%s,\"store_base\":%llu,\"store_size\":%llu,\"dma32_base\":%llu,\"dma32_size\":%llu}",
                       p.slots[i].placed ? "true" : "false", (unsigned long long)p.slots[i].store_base,
                       (unsigned long long)p.slots[i].store_size, (unsigned long long)p.slots[i].dma32_base,
                       (unsigned long long)p.slots[i].dma32_size);
        }
        printf("],\"missing\":%llu}\n", (unsigned long long)p.missing);
        return placed > 0 ? 0 : 1;
}
