/* SPDX-License-Identifier: MIT */
/*
 * switchctl: look at the switcher's mailbox and ask for a switch.
 *
 *   switchctl [MAILBOX OPTIONS] status [--json]
 *   switchctl [MAILBOX OPTIONS] list [--json]
 *   switchctl [MAILBOX OPTIONS] switch SLOT|@next|@default [--delay S] [--dry-run]
 *   switchctl [MAILBOX OPTIONS] set-default SLOT
 *   switchctl [MAILBOX OPTIONS] snapshot save|restore SLOT FILE   (64-bit build)
 *   switchctl [MAILBOX OPTIONS] poweroff [--save DIR]              (64-bit build)
 *
 * A developer option (read-only: which partition the mount check sees):
 *   switchctl --gpt-entry DISK_IMAGE N [--block-size BS]
 *
 * Test build only (SW_AGENT_TEST_HOOKS, see agent.h; tests/tools/t-switchctl.sh
 * and the QEMU tests' guests use it):
 *   switchctl --make-test-mailbox CONF OUT [--current ID] [--partition-missing ID]
 *   switchctl --mailbox-file F --test-set-result SLOT SEQ STATUS [MESSAGE]
 *   switchctl switch SLOT --test-unchecked | --test-bad-csum | --test-hold S
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/fs.h>

#include <libfdt.h>

#include "agent.h"
#include "config.h"
#include "diag.h"
#include "disk.h"
#include "mbox.h"
#include "suspend.h"

#include "snapctl.h"

#define EFI_VAR_NAME "SwitcherSlotDefault-5c1a9a3e-8d2b-4f61-9b0e-3a4d5271c819"
/* The Boot Loader Interface's default entry, which bootctl set-default
 * writes too: the switcher reads it first (docs/efi-runtime.md). */
#define EFI_BLI_DEFAULT "LoaderEntryDefault-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
#define EFIVARFS_MAGIC_NR 0xde5e81e4
#define SYSFS_MAGIC_NR 0x62656572

static const char usage_main[] =
        "usage: switchctl [MAILBOX OPTIONS] COMMAND [ARGS]\n"
        "\n"
        "Commands:\n"
        "  status [--json]          mailbox version, running slot, this slot's last request\n"
        "  list [--json]            every slot: title, mode, state, hotkey, switch counters\n"
        "  switch SLOT|@next|@default [--delay S] [--dry-run]\n"
        "                           suspend this system and let the switcher run SLOT;\n"
        "                           returns after this system is resumed again\n"
        "  set-default SLOT         the slot the switcher boots when nobody chooses\n"
        "                           (an EFI variable; needs EFI runtime services)\n"
        "  snapshot save|restore SLOT FILE\n"
        "                           a suspended slot's RAM and partition into FILE, or\n"
        "                           back from it (the lab bank)\n"
        "  poweroff [--save DIR]    power the machine off, every suspended slot saved into\n"
        "                           DIR/SLOT.snap first\n"
        "\n"
        "Mailbox options (default: switcher.mailbox= from /proc/cmdline, via /dev/mem):\n"
        "  --mailbox-addr ADDR      physical address of the mailbox\n"
        "  --mailbox-file PATH      a mailbox image file instead of /dev/mem\n"
        "  --slot ID                act as slot ID (default: switcher.slot=, else the\n"
        "                           mailbox's running slot)\n"
        "  --quiet                  no progress lines on stderr\n"
        "  --help                   this text; COMMAND --help for one command\n"
#if SW_AGENT_TEST_HOOKS
        "\n"
        "Test build only:\n"
        "  --make-test-mailbox CONF OUT [--current ID] [--partition-missing ID]\n"
        "                           write the mailbox the switcher makes from CONF\n"
        "  --test-set-result SLOT SEQ STATUS [MESSAGE]\n"
        "                           answer SLOT's request as the switcher would\n"
#endif
        ;

static const char usage_status[] =
        "usage: switchctl status [--json]\n"
        "Prints the mailbox's version and address, the running slot, the default slot,\n"
        "this slot's last switch request and its outcome, and any pending request.\n";
static const char usage_list[] =
        "usage: switchctl list [--json]\n"
        "Prints every slot in menu order ('*' marks the running one): id, title, mode,\n"
        "state, hotkey, times switched to, the switcher's time for the last switch to\n"
        "it (microseconds), and its partition.\n";
static const char usage_switch[] =
        "usage: switchctl switch SLOT|@next|@default [--delay SECONDS] [--dry-run]\n"
        "                 [--sys-root DIR]\n"
        "Refuses while another slot's partition or the ESP is in use for writing\n"
        "(mounted read-write in any mount namespace, held by device-mapper, a loop\n"
        "device or an exclusive open), or while a disk's GPT cannot be read.\n"
        "Then syncs, writes the request into the mailbox, arms the RTC (--delay,\n"
        "default 2 s), and suspends to RAM; the switcher runs SLOT, and when this\n"
        "system is resumed, prints the outcome.  @next is the slot after this one in\n"
        "menu order, @default the switcher's default slot.  --dry-run writes the\n"
        "request and stops there; --sys-root reads DIR/sys, DIR/proc and DIR/dev\n"
        "instead of /sys, /proc and /dev.\n"
#if SW_AGENT_TEST_HOOKS
        "Test hooks (to prove the switcher refuses bad requests): --test-unchecked\n"
        "sends SLOT as given, without checking it exists; --test-bad-csum corrupts\n"
        "the request's checksum; --test-hold SECONDS holds the switch lock that long\n"
        "before starting (a second switch meanwhile is refused).\n"
#endif
        "Exit status 0 when the switcher reports success, 1 otherwise.\n";
static const char usage_set_default[] =
        "usage: switchctl set-default SLOT [--efivars DIR]\n"
        "Writes the EFI variables " EFI_BLI_DEFAULT "\n"
        "(as bootctl set-default does) and " EFI_VAR_NAME "\n"
        "(the slot id, UTF-16LE) through efivarfs (DIR, default\n"
        "/sys/firmware/efi/efivars); fails when the guest has no EFI runtime services.\n";

/* ------------------------------------------------------------------------ */
/* JSON output: one object per invocation, strings escaped. */

static void json_str(const char *s)
{
        putchar('"');
        for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
                if (*p == '"' || *p == '\\')
                        printf("\\%c", *p);
                else if (*p < 0x20)
                        printf("\\u%04x", *p);
                else
                        putchar(*p);
        }
        putchar('"');
}

static void json_key(const char *k, bool first)
{
        if (!first)
                putchar(',');
        json_str(k);
        putchar(':');
}

static const char *access_name(enum agent_access a)
{
        return a == AGENT_MMAP ? "mmap" : a == AGENT_PREAD ? "pread" : "file";
}

/* ------------------------------------------------------------------------ */

struct globals {
        struct agent_source src;
        const char *slot;
};

/* What a command does with the open mailbox; returns its exit status. */
typedef int mb_action(struct agent_mb *m, const struct globals *g, void *ctx);

/*
 * Opens the mailbox, runs act on it and closes it again.  struct agent_mb
 * holds two mailbox-sized copies, so it lives on the heap.  Returns act's
 * status, or 1 when the mailbox cannot be opened (said why).
 */
static int with_mailbox(const struct globals *g, mb_action *act, void *ctx)
{
        struct agent_mb *m = calloc(1, sizeof(*m));
        int rc = 1;

        if (!m)
                return 1;
        if (agent_mb_open(m, &g->src) == 0)
                rc = act(m, g, ctx);
        agent_mb_close(m);
        free(m);
        return rc;
}

static bool want_help(int argc, char **argv)
{
        for (int i = 0; i < argc; i++)
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                        return true;
        return false;
}

/* Only --json allowed. */
static int parse_json_flag(int argc, char **argv, const char *cmd, bool *json)
{
        *json = false;
        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0) {
                        *json = true;
                } else {
                        agent_log("%s: unexpected argument '%s' (see switchctl %s --help)", cmd, argv[i], cmd);
                        return -1;
                }
        }
        return 0;
}

static int show_status(struct agent_mb *m, const struct globals *g, void *ctx)
{
        char self[SW_MB_ID_LEN], cur[SW_MB_ID_LEN], msg[SW_MB_MSG_LEN];
        struct sw_mb_request r;
        uint32_t version = 0, seq = 0, st = 0;
        const char *def;
        bool json = *(const bool *)ctx, have_res = false, have_req;

        agent_prop_u32(m, 0, "version", &version);
        agent_current(m, cur);
        def = agent_prop_str(m, 0, "default");
        if (agent_self(m, &g->src, g->slot, self) < 0)
                self[0] = '\0';
        msg[0] = '\0';
        if (self[0] && sw_mb_get_result(m->base, self, &seq, &st, msg, sizeof(msg)) == 0)
                have_res = true;
        have_req = sw_mb_request_read(m->base, &r) == 0 && (r.slot[0] || r.target[0] || r.seq || r.csum);

        if (json) {
                printf("{");
                json_key("mailbox", true);
                json_str(m->where);
                json_key("access", false);
                json_str(access_name(m->access));
                json_key("version", false);
                printf("%u", version);
                json_key("current", false);
                if (cur[0])
                        json_str(cur);
                else
                        printf("null");
                json_key("self", false);
                if (self[0])
                        json_str(self);
                else
                        printf("null");
                json_key("default", false);
                if (def)
                        json_str(def);
                else
                        printf("null");
                json_key("result", false);
                if (have_res) {
                        printf("{\"seq\":%u,\"status\":", seq);
                        json_str(sw_mb_status_name((enum sw_mb_status)st));
                        printf(",\"message\":");
                        json_str(msg);
                        printf("}");
                } else {
                        printf("null");
                }
                json_key("request", false);
                if (have_req) {
                        printf("{\"slot\":");
                        json_str(r.slot);
                        printf(",\"target\":");
                        json_str(r.target);
                        printf(",\"seq\":%u,\"csum_ok\":%s}", r.seq,
                               r.csum == sw_mb_request_csum(&r) ? "true" : "false");
                } else {
                        printf("null");
                }
                printf("}\n");
        } else {
                printf("mailbox:         %s, version %u\n", m->where, version);
                printf("running slot:    %s\n", cur[0] ? cur : "(none)");
                printf("this slot:       %s\n", self[0] ? self : "(unknown)");
                printf("default slot:    %s\n", def ? def : "(not recorded)");
                if (!have_res)
                        printf("last request:    (unknown)\n");
                else if (seq == 0)
                        printf("last request:    none yet\n");
                else
                        printf("last request:    #%u: %s%s%s\n", seq, sw_mb_status_name((enum sw_mb_status)st),
                               msg[0] ? ": " : "", msg);
                if (have_req)
                        printf("pending request: #%u %s -> %s%s\n", r.seq, r.slot, r.target,
                               r.csum == sw_mb_request_csum(&r) ? "" : " (bad checksum)");
                else
                        printf("pending request: none\n");
        }
        return 0;
}

static const char *str_or(const char *s, const char *dflt)
{
        return s ? s : dflt;
}

static int show_list(struct agent_mb *m, const struct globals *g, void *ctx)
{
        char cur[SW_MB_ID_LEN];
        bool json = *(const bool *)ctx, first = true;
        int slots, node;

        agent_current(m, cur);
        slots = fdt_path_offset(m->base, "/slots");
        if (json) {
                printf("{\"current\":");
                if (cur[0])
                        json_str(cur);
                else
                        printf("null");
                printf(",\"slots\":[");
        } else {
                printf("  %-12s %-24s %-8s %-9s %-12s %8s %14s  %s\n", "ID", "TITLE", "MODE", "STATE", "HOTKEY",
                       "SWITCHES", "LAST-SWITCH-US", "PARTITION");
        }
        fdt_for_each_subnode(node, m->base, slots) {
                const char *id = fdt_get_name(m->base, node, NULL);
                const char *title = agent_prop_str(m, node, "title");
                const char *mode = agent_prop_str(m, node, "mode");
                const char *state = agent_prop_str(m, node, "state");
                const char *hotkey = agent_prop_str(m, node, "hotkey");
                const char *part = agent_prop_str(m, node, "partition");
                /* Set by the switcher's start-up check (switcher/gpt.h). */
                bool missing = fdt_getprop(m->base, node, "partition-missing", NULL) != NULL;
                uint32_t sw = 0, us = 0;
                uint64_t store = 0, store_size = 0;

                agent_prop_u32(m, node, "switches", &sw);
                agent_prop_u32(m, node, "last-switch-us", &us);
                if (json) {
                        printf("%s{\"id\":", first ? "" : ",");
                        json_str(id);
                        printf(",\"title\":");
                        json_str(title);
                        printf(",\"mode\":");
                        json_str(mode);
                        printf(",\"state\":");
                        json_str(state);
                        printf(",\"hotkey\":");
                        if (hotkey)
                                json_str(hotkey);
                        else
                                printf("null");
                        printf(",\"partition\":");
                        if (part)
                                json_str(part);
                        else
                                printf("null");
                        printf(",\"partition_missing\":%s", missing ? "true" : "false");
                        printf(",\"switches\":%u,\"last_switch_us\":%u,\"current\":%s", sw, us,
                               id && strcmp(id, cur) == 0 ? "true" : "false");
                        if (id && sw_mb_get_store(m->base, id, &store, &store_size) == 0)
                                printf(",\"store\":%llu,\"store_size\":%llu}", (unsigned long long)store,
                                       (unsigned long long)store_size);
                        else
                                printf(",\"store\":null,\"store_size\":null}");
                } else {
                        printf("%c %-12s %-24s %-8s %-9s %-12s %8u %14u  %s%s\n",
                               id && strcmp(id, cur) == 0 ? '*' : ' ', str_or(id, "?"), str_or(title, ""),
                               str_or(mode, "?"), str_or(state, "?"), str_or(hotkey, "-"), sw, us,
                               str_or(part, "-"), missing ? " (partition missing)" : "");
                }
                first = false;
        }
        if (json)
                printf("]}\n");
        return 0;
}

/* status and list: --help, else an optional --json, then show the mailbox. */
static int cmd_show(const struct globals *g, int argc, char **argv, const char *cmd, const char *usage,
                    mb_action *show)
{
        bool json;

        if (want_help(argc, argv)) {
                fputs(usage, stdout);
                return 0;
        }
        if (parse_json_flag(argc, argv, cmd, &json) < 0)
                return 1;
        return with_mailbox(g, show, &json);
}

/*
 * A command's one operand, for an argument that is none of the command's own
 * options: the first is kept in *operand; an unknown option (see: the hint
 * after the message) or a second operand is an error.  0, or 1 after saying
 * why.
 */
struct snapshot_args {
        int argc;
        char **argv;
};

static int run_snapshot(struct agent_mb *m, const struct globals *g, void *ctx)
{
        const struct snapshot_args *a = ctx;
        char self[SW_MB_ID_LEN];

        if (agent_self(m, &g->src, g->slot, self) < 0)
                return 1;
        return agent_snapshot(m, self, a->argc, a->argv);
}

static int cmd_snapshot(const struct globals *g, int argc, char **argv)
{
        struct snapshot_args a = { argc, argv };

        if (argc < 1 || want_help(argc, argv)) {
                fputs(AGENT_SNAPSHOT_USAGE, argc < 1 ? stderr : stdout);
                return argc < 1 ? 1 : 0;
        }
        if (strcmp(argv[0], "save") != 0 && strcmp(argv[0], "restore") != 0) {
                agent_log("snapshot: unknown subcommand '%s' (save or restore)", argv[0]);
                return 1;
        }
        return with_mailbox(g, run_snapshot, &a);
}

static int run_poweroff(struct agent_mb *m, const struct globals *g, void *ctx)
{
        const struct snapshot_args *a = ctx;
        char self[SW_MB_ID_LEN];

        if (agent_self(m, &g->src, g->slot, self) < 0)
                return 1;
        return agent_poweroff(m, self, a->argc, a->argv);
}

static int cmd_poweroff(const struct globals *g, int argc, char **argv)
{
        struct snapshot_args a = { argc, argv };

        if (want_help(argc, argv)) {
                fputs(AGENT_POWEROFF_USAGE, stdout);
                return 0;
        }
        return with_mailbox(g, run_poweroff, &a);
}

static int take_operand(const char *cmd, const char *what, const char *see, const char *arg,
                        const char **operand)
{
        if (arg[0] == '-' && arg[1]) {
                agent_log("%s: unknown option '%s'%s", cmd, arg, see);
                return 1;
        }
        if (*operand) {
                agent_log("%s: more than one %s ('%s' and '%s')", cmd, what, *operand, arg);
                return 1;
        }
        *operand = arg;
        return 0;
}

struct switch_args {
        struct agent_switch_opts o;
        const char *spec;
};

static int run_switch(struct agent_mb *m, const struct globals *g, void *ctx)
{
        const struct switch_args *a = ctx;
        char self[SW_MB_ID_LEN];

        if (agent_self(m, &g->src, g->slot, self) < 0)
                return 1;
        return agent_switch(m, self, a->spec, &a->o);
}

static int cmd_switch(const struct globals *g, int argc, char **argv)
{
        struct switch_args a = { .o = { .delay = 2 }, .spec = NULL };
        struct agent_switch_opts *o = &a.o;

        if (want_help(argc, argv)) {
                fputs(usage_switch, stdout);
                return 0;
        }
        for (int i = 0; i < argc; i++) {
                uint64_t v;

                if (strcmp(argv[i], "--dry-run") == 0) {
                        o->dry_run = true;
                } else if (strcmp(argv[i], "--delay") == 0 && i + 1 < argc) {
                        if (agent_parse_u64(argv[++i], &v) < 0 || v < 1 || v > 3600) {
                                agent_log("switch: --delay '%s' is not a number of seconds in 1..3600", argv[i]);
                                return 1;
                        }
                        o->delay = (unsigned)v;
                } else if (strcmp(argv[i], "--sys-root") == 0 && i + 1 < argc) {
                        o->sys_root = argv[++i];
#if SW_AGENT_TEST_HOOKS
                } else if (strcmp(argv[i], "--test-unchecked") == 0) {
                        o->unchecked = true;
                } else if (strcmp(argv[i], "--test-bad-csum") == 0) {
                        o->bad_csum = true;
                } else if (strcmp(argv[i], "--test-hold") == 0 && i + 1 < argc) {
                        if (agent_parse_u64(argv[++i], &v) < 0 || v > 60) {
                                agent_log("switch: --test-hold '%s' is not a number of seconds in 0..60", argv[i]);
                                return 1;
                        }
                        o->hold = (unsigned)v;
#endif
                } else if (take_operand("switch", "target", " (see switchctl switch --help)", argv[i], &a.spec)) {
                        return 1;
                }
        }
        if (!a.spec) {
                agent_log("switch: which slot? (switchctl switch SLOT|@next|@default)");
                return 1;
        }
        return with_mailbox(g, run_switch, &a);
}

static int write_efivar(const char *dir, const char *name, const char *slot)
{
        char path[4096];
        uint8_t buf[4 + 2 * SW_MB_ID_LEN];
        size_t len = 0, n = strlen(slot);
        struct statfs sfs;
        struct stat st;
        int fd, flags;

        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                agent_log("set-default: no EFI variables in this guest (booted without EFI runtime services): "
                          "%s is not there",
                          dir);
                return 1;
        }
        /* The kernel makes the directory whenever it has EFI variables;
         * efivarfs is only there once someone mounted it. */
        if (statfs(dir, &sfs) == 0 && (unsigned long)sfs.f_type == SYSFS_MAGIC_NR) {
                agent_log("set-default: efivarfs is not mounted on %s (mount -t efivarfs efivarfs %s)", dir, dir);
                return 1;
        }
        /* Attributes: NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS. */
        buf[len++] = 0x07;
        buf[len++] = 0;
        buf[len++] = 0;
        buf[len++] = 0;
        /* Ids are ASCII (BLS ids), so UTF-16LE is one unit per byte. */
        for (size_t i = 0; i <= n; i++) {
                buf[len++] = (uint8_t)slot[i];
                buf[len++] = 0;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        /* efivarfs marks existing variables immutable; lift that first. */
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL)) {
                        flags &= ~FS_IMMUTABLE_FL;
                        ioctl(fd, FS_IOC_SETFLAGS, &flags);
                }
                close(fd);
        }
        /* efivarfs takes the whole variable in one write and has no truncate. */
        flags = O_WRONLY | O_CREAT | O_CLOEXEC;
        if (statfs(dir, &sfs) == 0 && (unsigned long)sfs.f_type != EFIVARFS_MAGIC_NR)
                flags |= O_TRUNC;
        fd = open(path, flags, 0644);
        if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
                agent_log("set-default: cannot write %s: %s", path, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return 1;
        }
        if (close(fd) < 0) {
                agent_log("set-default: cannot write %s: %s", path, strerror(errno));
                return 1;
        }
        return 0;
}

struct set_default_args {
        const char *dir;
        const char *slot;
};

static int run_set_default(struct agent_mb *m, const struct globals *g, void *ctx)
{
        const struct set_default_args *a = ctx;

        if (sw_mb_slot_offset(m->base, a->slot) < 0) {
                agent_log("set-default: unknown slot '%s'", a->slot);
                return 1;
        }
        if (write_efivar(a->dir, EFI_BLI_DEFAULT, a->slot) || write_efivar(a->dir, EFI_VAR_NAME, a->slot))
                return 1;
        agent_info("default slot set to '%s' (EFI variables %s and %s)", a->slot, EFI_BLI_DEFAULT, EFI_VAR_NAME);
        return 0;
}

static int cmd_set_default(const struct globals *g, int argc, char **argv)
{
        struct set_default_args a = { .dir = "/sys/firmware/efi/efivars", .slot = NULL };

        if (want_help(argc, argv)) {
                fputs(usage_set_default, stdout);
                return 0;
        }
        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--efivars") == 0 && i + 1 < argc)
                        a.dir = argv[++i];
                else if (take_operand("set-default", "slot", "", argv[i], &a.slot))
                        return 1;
        }
        if (!a.slot) {
                agent_log("set-default: which slot? (switchctl set-default SLOT)");
                return 1;
        }
        return with_mailbox(g, run_set_default, &a);
}

/* ------------------------------------------------------------------------ */
/* The developer option: a GPT entry as the mount check reads it. */

static int gpt_entry(int argc, char **argv)
{
        static struct sw_gpt g;
        const struct sw_gpt_part *p;
        char why[300];
        uint64_t n, bs = 512;

        if (argc < 2 || agent_parse_u64(argv[1], &n) < 0 || n > 65536 ||
            (argc >= 4 && (strcmp(argv[2], "--block-size") != 0 || agent_parse_u64(argv[3], &bs) < 0 ||
                           bs > 65536))) {
                agent_log("usage: switchctl --gpt-entry DISK_IMAGE N [--block-size BS]");
                return 2;
        }
        if (disk_read_gpt(argv[0], (unsigned)bs, &g, why, sizeof(why)) != SW_GPT_OK) {
                agent_log("%s: %s", argv[0], why);
                return 1;
        }
        if (n == 0 || n > g.nentries) {
                agent_log("%s: partition %llu is not in the GPT (%u entries)", argv[0], (unsigned long long)n,
                          g.nentries);
                return 1;
        }
        p = sw_gpt_entry(&g, (unsigned)n);
        if (!p) {
                agent_log("%s: partition %llu is an unused GPT entry", argv[0], (unsigned long long)n);
                return 1;
        }
        printf("%u %s %s %s%s\n", p->index, p->type_str, p->uuid_str, p->name,
               strcmp(p->type_str, SW_GPT_ESP_TYPE) == 0 ? " (ESP)" : "");
        return 0;
}

/* ------------------------------------------------------------------------ */
/* Test build only (see agent.h): a mailbox from a config, the switcher's answer. */
#if SW_AGENT_TEST_HOOKS

static void diag_stderr(void *ctx, enum sw_severity sev, const char *msg)
{
        fprintf(stderr, "%s: %s%s\n", agent_prog,
                sev == SW_ERROR ? "error: " : sev == SW_WARN ? "warning: " : "", msg);
}

static int make_test_mailbox(int argc, char **argv)
{
        static struct sw_config cfg;
        static uint8_t mb[SW_MAILBOX_SIZE];
        static char text[1 << 20];
        enum sw_slot_state state[SW_MAX_SLOTS];
        struct sw_diag d = { .emit = diag_stderr };
        const char *cur_id = NULL, *missing_id = NULL;
        size_t len;
        int current, fd;
        FILE *f;

        if (argc < 2) {
                agent_log("usage: switchctl --make-test-mailbox CONF OUT [--current ID] [--partition-missing ID]");
                return 2;
        }
        for (int i = 2; i + 1 < argc; i += 2) {
                if (strcmp(argv[i], "--current") == 0)
                        cur_id = argv[i + 1];
                else if (strcmp(argv[i], "--partition-missing") == 0)
                        missing_id = argv[i + 1];
        }
        f = fopen(argv[0], "re");
        if (!f) {
                agent_log("cannot open %s: %s", argv[0], strerror(errno));
                return 1;
        }
        len = fread(text, 1, sizeof(text), f);
        fclose(f);
        if (sw_config_parse(&cfg, text, len, argv[0], &d) <= 0)
                return 1;
        current = cur_id ? sw_config_find_slot(&cfg, cur_id) : sw_config_default_index(&cfg);
        if (current < 0) {
                agent_log("--current '%s' names no valid slot of %s", cur_id, argv[0]);
                return 1;
        }
        for (unsigned i = 0; i < SW_MAX_SLOTS; i++)
                state[i] = (int)i == current ? SW_SLOT_RUNNING : SW_SLOT_EMPTY;
        /* As the switcher's start-up check would flag it (switcher/gpt.h). */
        if (missing_id && sw_config_find_slot(&cfg, missing_id) >= 0)
                cfg.slots[sw_config_find_slot(&cfg, missing_id)].partition_missing = true;
        if (sw_mailbox_build(mb, sizeof(mb), &cfg, state, current, &d) < 0)
                return 1;
        fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, mb, sizeof(mb)) != (ssize_t)sizeof(mb) || close(fd) < 0) {
                agent_log("cannot write %s: %s", argv[1], strerror(errno));
                return 1;
        }
        return 0;
}

struct set_result_args {
        const char *slot;
        uint64_t seq, status;
        const char *message;
};

static int run_set_result(struct agent_mb *m, const struct globals *g, void *ctx)
{
        const struct set_result_args *a = ctx;
        int err = sw_mb_set_result(m->base, a->slot, (uint32_t)a->seq, (enum sw_mb_status)a->status,
                                   a->message);

        if (err == 0)
                err = sw_mb_request_clear(m->base);
        if (err < 0) {
                agent_log("cannot set the result: %s", sw_mb_status_name((enum sw_mb_status)-err));
                return 1;
        }
        return agent_mb_commit(m) == 0 ? 0 : 1;
}

static int test_set_result(const struct globals *g, int argc, char **argv)
{
        struct set_result_args a;

        if (argc < 3 || agent_parse_u64(argv[1], &a.seq) < 0 || a.seq > UINT32_MAX ||
            agent_parse_u64(argv[2], &a.status) < 0 || a.status > UINT32_MAX) {
                agent_log("usage: switchctl --mailbox-file F --test-set-result SLOT SEQ STATUS [MESSAGE]");
                return 2;
        }
        a.slot = argv[0];
        a.message = argc > 3 ? argv[3] : "";
        return with_mailbox(g, run_set_result, &a);
}
#endif

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
        struct globals g = { { 0 }, NULL };
        int i;

        agent_prog = "switchctl";
        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i];
                bool has_val = i + 1 < argc;

                if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        fputs(usage_main, stdout);
                        return 0;
                } else if (strcmp(a, "--quiet") == 0) {
                        agent_log_quiet = true;
                } else if (strcmp(a, "--mailbox-file") == 0 && has_val) {
                        g.src.file = argv[++i];
                } else if (strcmp(a, "--mailbox-addr") == 0 && has_val) {
                        if (agent_parse_u64(argv[++i], &g.src.addr) < 0) {
                                agent_log("--mailbox-addr '%s' is not an address", argv[i]);
                                return 1;
                        }
                        g.src.have_addr = true;
                } else if (strcmp(a, "--slot") == 0 && has_val) {
                        g.slot = argv[++i];
                } else if (strcmp(a, "--gpt-entry") == 0) {
                        return gpt_entry(argc - i - 1, argv + i + 1);
#if SW_AGENT_TEST_HOOKS
                } else if (strcmp(a, "--make-test-mailbox") == 0) {
                        return make_test_mailbox(argc - i - 1, argv + i + 1);
                } else if (strcmp(a, "--test-set-result") == 0) {
                        return test_set_result(&g, argc - i - 1, argv + i + 1);
#endif
                } else {
                        agent_log("unknown option '%s' (see switchctl --help)", a);
                        return 2;
                }
        }
        if (i >= argc) {
                fputs(usage_main, stderr);
                return 2;
        }
        if (strcmp(argv[i], "status") == 0)
                return cmd_show(&g, argc - i - 1, argv + i + 1, "status", usage_status, show_status);
        if (strcmp(argv[i], "list") == 0)
                return cmd_show(&g, argc - i - 1, argv + i + 1, "list", usage_list, show_list);
        if (strcmp(argv[i], "switch") == 0)
                return cmd_switch(&g, argc - i - 1, argv + i + 1);
        if (strcmp(argv[i], "set-default") == 0)
                return cmd_set_default(&g, argc - i - 1, argv + i + 1);
        if (strcmp(argv[i], "snapshot") == 0)
                return cmd_snapshot(&g, argc - i - 1, argv + i + 1);
        if (strcmp(argv[i], "poweroff") == 0)
                return cmd_poweroff(&g, argc - i - 1, argv + i + 1);
        if (strcmp(argv[i], "help") == 0) {
                fputs(usage_main, stdout);
                return 0;
        }
        agent_log("unknown command '%s' (status, list, switch, set-default, snapshot, poweroff; see switchctl "
                  "--help)", argv[i]);
        return 2;
}
