/* SPDX-License-Identifier: MIT */
/*
 * The mailbox codec: a slot table built from a real partitions.conf text,
 * then every reader and editor on it, and the hostile cases the switcher
 * meets when a guest scribbles over the pages: each corruption changes one
 * thing and asserts the exact status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libfdt.h>

#include "config.h"
#include "diag.h"
#include "mailbox.h"
#include "util_garbage.h"

static const char conf_text[] =
        "timeout 0\n"
        "default b\n"
        "active-size 256M\n"
        "next-hotkey ctrl+alt+0\n"
        "\n"
        "slot a\n"
        "title Debian A\n"
        "linux /slots/a/vmlinuz\n"
        "partition PARTLABEL=slot-a\n"
        "hotkey ctrl+alt+1\n"
        "\n"
        "slot b\n"
        "title Debian B\n"
        "linux /slots/b/vmlinuz\n"
        "partition PARTUUID=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n"
        "mode in-place\n"
        "\n"
        "slot c\n"
        "title Plain C\n"
        "linux /slots/c/vmlinuz\n";

static struct sw_config cfg;
static uint8_t mb[SW_MAILBOX_SIZE] __attribute__((aligned(8)));
static char last_msg[600];
static unsigned nmsg;

static void emit(void *ctx, enum sw_severity sev, const char *msg)
{
        snprintf(last_msg, sizeof(last_msg), "%s%s", sev == SW_ERROR ? "E: " : "W: ", msg);
        nmsg++;
}

static struct sw_diag diag = { .emit = emit };

/* Builds the mailbox of conf_text with slot a running. */
static int setup(void **state)
{
        enum sw_slot_state st[SW_MAX_SLOTS] = { SW_SLOT_RUNNING, SW_SLOT_EMPTY, SW_SLOT_SUSPENDED };

        nmsg = 0;
        last_msg[0] = '\0';
        assert_int_equal(sw_config_parse(&cfg, conf_text, strlen(conf_text), "t.conf", &diag), 3);
        memset(mb, 0xa5, sizeof(mb));
        assert_int_equal(sw_mailbox_build(mb, sizeof(mb), &cfg, st, 0, &diag), 0);
        assert_int_equal(nmsg, 0);
        return 0;
}

static const char *str_prop(const char *path, const char *name, int *len)
{
        int node = fdt_path_offset(mb, path);

        assert_true(node >= 0);
        return fdt_getprop(mb, node, name, len);
}

static uint32_t u32_prop(const char *path, const char *name)
{
        int len = -1;
        const fdt32_t *p = (const fdt32_t *)str_prop(path, name, &len);

        assert_non_null(p);
        assert_int_equal(len, 4);
        return fdt32_to_cpu(*p);
}

static void assert_zero(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                assert_int_equal(p[i], 0);
}

/* ------------------------------------------------------------------------ */

static void test_crc32_vectors(void **state)
{
        assert_int_equal(sw_crc32(0, "123456789", 9), 0xcbf43926u);
        assert_int_equal(sw_crc32(0, "", 0), 0);
        assert_int_equal(sw_crc32(0, "a", 1), 0xe8b7be43u);
        assert_int_equal(sw_crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414fa339u);
        /* Chaining gives the same as one pass. */
        assert_int_equal(sw_crc32(sw_crc32(0, "12345", 5), "6789", 4), 0xcbf43926u);
}

static void test_request_csum_layout(void **state)
{
        struct sw_mb_request r;
        uint8_t raw[132];

        memset(&r, 0, sizeof(r));
        strcpy(r.slot, "a");
        strcpy(r.target, "b");
        r.seq = 0x01020304;
        memset(raw, 0, sizeof(raw));
        raw[0] = 'a';
        raw[64] = 'b';
        raw[128] = 1, raw[129] = 2, raw[130] = 3, raw[131] = 4;
        assert_int_equal(sw_mb_request_csum(&r), sw_crc32(0, raw, sizeof(raw)));
        /* csum itself is not covered. */
        r.csum = 0xdeadbeef;
        assert_int_equal(sw_mb_request_csum(&r), sw_crc32(0, raw, sizeof(raw)));
}

static void test_build_layout(void **state)
{
        int len = -1;
        const char *p;

        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(fdt_totalsize(mb), SW_MAILBOX_SIZE); /* not packed */
        assert_int_equal(u32_prop("/", "version"), 1);
        p = str_prop("/", "current", &len);
        assert_int_equal(len, 64);
        assert_string_equal(p, "a");
        assert_zero(p + 1, 63);
        assert_string_equal(str_prop("/", "default", &len), "b");
        assert_string_equal(str_prop("/", "next-hotkey", &len), "ctrl+alt+0");

        /* Slots in config order, nothing else under /slots. */
        int slots = fdt_path_offset(mb, "/slots"), node, i = 0;
        const char *want[] = { "a", "b", "c" };
        fdt_for_each_subnode(node, mb, slots) {
                assert_true(i < 3);
                assert_string_equal(fdt_get_name(mb, node, NULL), want[i]);
                i++;
        }
        assert_int_equal(i, 3);

        assert_string_equal(str_prop("/slots/a", "title", &len), "Debian A");
        assert_string_equal(str_prop("/slots/a", "mode", &len), "swap");
        assert_string_equal(str_prop("/slots/b", "mode", &len), "in-place");
        p = str_prop("/slots/a", "state", &len);
        assert_int_equal(len, 16);
        assert_string_equal(p, "running");
        assert_zero(p + 7, 9);
        assert_string_equal(str_prop("/slots/b", "state", &len), "empty");
        assert_string_equal(str_prop("/slots/c", "state", &len), "suspended");
        assert_string_equal(str_prop("/slots/a", "hotkey", &len), "ctrl+alt+1");
        assert_null(str_prop("/slots/b", "hotkey", &len));
        assert_string_equal(str_prop("/slots/a", "partition", &len), "PARTLABEL=slot-a");
        assert_string_equal(str_prop("/slots/b", "partition", &len),
                            "PARTUUID=0fc63daf-8483-4772-8e79-3d69d8477de4");
        assert_null(str_prop("/slots/c", "partition", &len));
        assert_int_equal(u32_prop("/slots/b", "switches"), 0);
        assert_int_equal(u32_prop("/slots/b", "last-switch-us"), 0);
        assert_int_equal(u32_prop("/slots/b", "result-seq"), 0);
        assert_int_equal(u32_prop("/slots/b", "result-status"), 0);
        p = str_prop("/slots/b", "result-message", &len);
        assert_int_equal(len, 128);
        assert_zero(p, 128);

        p = str_prop("/request", "slot", &len);
        assert_int_equal(len, 64);
        assert_zero(p, 64);
        p = str_prop("/request", "target", &len);
        assert_int_equal(len, 64);
        assert_zero(p, 64);
        assert_int_equal(u32_prop("/request", "seq"), 0);
        assert_int_equal(u32_prop("/request", "csum"), 0);
}

static void test_build_no_current_and_dropped_slot(void **state)
{
        static const char text[] =
                "active-size 64M\n"
                "slot x\nlinux /x\n"
                "slot y\nlinux /y\nmode bogus\n"
                "slot z\nlinux /z\n";
        enum sw_slot_state st[SW_MAX_SLOTS] = { 0 };
        int len = -1;
        const char *p;

        assert_int_equal(sw_config_parse(&cfg, text, strlen(text), "t.conf", NULL), 2);
        assert_int_equal(sw_mailbox_build(mb, sizeof(mb), &cfg, st, -1, &diag), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        p = str_prop("/", "current", &len);
        assert_int_equal(len, 64);
        assert_zero(p, 64);
        assert_string_equal(str_prop("/", "default", &len), "x");
        assert_null(str_prop("/", "next-hotkey", &len));
        assert_int_equal(sw_mb_slot_offset(mb, "y"), -SW_MB_UNKNOWN_SLOT);
        assert_true(sw_mb_slot_offset(mb, "z") >= 0);
        /* A dropped slot as "current" is no current at all. */
        assert_int_equal(sw_mailbox_build(mb, sizeof(mb), &cfg, st, 1, &diag), 0);
        assert_zero(str_prop("/", "current", &len), 64);
}

static void test_build_too_small(void **state)
{
        enum sw_slot_state st[SW_MAX_SLOTS] = { 0 };

        nmsg = 0;
        assert_int_equal(sw_mailbox_build(mb, SW_MAILBOX_SIZE - 1, &cfg, st, 0, &diag), -FDT_ERR_NOSPACE);
        assert_int_equal(nmsg, 1);
        assert_string_equal(last_msg, "E: mailbox: cannot build the slot table: FDT_ERR_NOSPACE");
}

static void test_request_round_trip(void **state)
{
        struct sw_mb_request r;

        /* Freshly built: no request. */
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        assert_int_equal(sw_mb_request_validate(mb, &r, "a"), SW_MB_NO_REQUEST);

        assert_int_equal(sw_mb_request_write(mb, "a", "b", 1), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        assert_string_equal(r.slot, "a");
        assert_string_equal(r.target, "b");
        assert_int_equal(r.seq, 1);
        assert_int_equal(r.csum, sw_mb_request_csum(&r));
        assert_int_equal(sw_mb_request_validate(mb, &r, "a"), SW_MB_OK);

        /* The switcher takes it, answers, and the next one needs seq 2. */
        assert_int_equal(sw_mb_request_clear(mb), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        assert_int_equal(sw_mb_request_validate(mb, &r, "a"), SW_MB_NO_REQUEST);
        assert_int_equal(sw_mb_set_result(mb, "a", 1, SW_MB_OK, "switched to b"), 0);
        assert_int_equal(sw_mb_request_write(mb, "a", "c", 1), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        assert_int_equal(sw_mb_request_validate(mb, &r, "a"), SW_MB_BAD_SEQ);
        assert_int_equal(sw_mb_request_write(mb, "a", "c", 2), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        assert_int_equal(sw_mb_request_validate(mb, &r, "a"), SW_MB_OK);

        /* seq wraps like the u32 it is. */
        assert_int_equal(sw_mb_set_result(mb, "a", 0xffffffffu, SW_MB_OK, NULL), 0);
        assert_int_equal(sw_mb_request_write(mb, "a", "c", 0), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        assert_int_equal(sw_mb_request_validate(mb, &r, "a"), SW_MB_OK);
}

static void test_request_write_bad_ids(void **state)
{
        char long_id[80];

        memset(long_id, 'x', 64);
        long_id[64] = '\0';
        assert_int_equal(sw_mb_request_write(mb, "a", long_id, 1), -SW_MB_MALFORMED);
        long_id[63] = '\0'; /* 63 bytes fit */
        assert_int_equal(sw_mb_request_write(mb, "a", long_id, 1), 0);
        assert_int_equal(sw_mb_request_write(mb, "", "b", 1), -SW_MB_MALFORMED);
        assert_int_equal(sw_mb_request_write(mb, "a", NULL, 1), -SW_MB_MALFORMED);
}

/* Writes a request, then lets the caller read and validate as the switcher would. */
static enum sw_mb_status write_and_validate(const char *slot, const char *target, uint32_t seq,
                                            const char *current)
{
        struct sw_mb_request r;

        assert_int_equal(sw_mb_request_write(mb, slot, target, seq), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        return sw_mb_request_validate(mb, &r, current);
}

static void test_validate_failures(void **state)
{
        struct sw_mb_request r;

        assert_int_equal(write_and_validate("a", "nosuch", 1, "a"), SW_MB_UNKNOWN_SLOT);
        assert_int_equal(write_and_validate("a", "a", 1, "a"), SW_MB_SAME_SLOT);
        assert_int_equal(write_and_validate("a", "b", 2, "a"), SW_MB_BAD_SEQ);
        assert_int_equal(write_and_validate("a", "b", 0, "a"), SW_MB_BAD_SEQ);
        /* Requester is not the running slot. */
        assert_int_equal(write_and_validate("b", "c", 1, "a"), SW_MB_MALFORMED);
        /* A prefix of a slot name is not that slot, and neither is "b@1". */
        assert_int_equal(write_and_validate("a", "b@1", 1, "a"), SW_MB_UNKNOWN_SLOT);

        /* Corrupt the checksum by one bit, in the blob. */
        assert_int_equal(sw_mb_request_write(mb, "a", "b", 1), 0);
        int req = fdt_path_offset(mb, "/request");
        uint32_t good = u32_prop("/request", "csum");
        assert_int_equal(fdt_setprop_inplace_u32(mb, req, "csum", good ^ 1), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        assert_int_equal(sw_mb_request_validate(mb, &r, "a"), SW_MB_BAD_CSUM);
        /* ... and a changed target under the old checksum. */
        assert_int_equal(fdt_setprop_inplace_u32(mb, req, "csum", good), 0);
        char tgt[64] = "c";
        assert_int_equal(fdt_setprop_inplace(mb, req, "target", tgt, 64), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        assert_int_equal(sw_mb_request_validate(mb, &r, "a"), SW_MB_BAD_CSUM);

        /* A struct that never went through request_read: unterminated, yet its csum right. */
        memset(&r, 'z', sizeof(r.slot) + sizeof(r.target));
        r.seq = 1;
        r.csum = sw_mb_request_csum(&r);
        assert_int_equal(sw_mb_request_validate(mb, &r, "a"), SW_MB_MALFORMED);
        assert_int_equal(sw_mb_request_validate(mb, &r, NULL), SW_MB_MALFORMED);
}

static void test_request_read_unterminated(void **state)
{
        struct sw_mb_request r;
        char field[64];
        int req = fdt_path_offset(mb, "/request");

        memset(field, 'q', sizeof(field));
        assert_int_equal(fdt_setprop_inplace(mb, req, "slot", field, 64), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), -SW_MB_MALFORMED);
        assert_int_equal(r.slot[0], 0); /* zeroed on failure */

        /* Terminated, but garbage after the terminator. */
        memset(field, 0, sizeof(field));
        field[0] = 'a';
        field[40] = 'x';
        assert_int_equal(fdt_setprop_inplace(mb, req, "slot", field, 64), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), -SW_MB_MALFORMED);
        field[40] = 0;
        assert_int_equal(fdt_setprop_inplace(mb, req, "slot", field, 64), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        assert_string_equal(r.slot, "a");

        memset(field, 'q', sizeof(field));
        assert_int_equal(fdt_setprop_inplace(mb, req, "target", field, 64), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), -SW_MB_MALFORMED);
}

/* Replaces a property with one of another size: the tree moves, which a
 * guest could do; check must refuse it. */
static void test_check_wrong_sizes(void **state)
{
        int req = fdt_path_offset(mb, "/request");
        char small[63] = { 0 };

        assert_int_equal(fdt_setprop(mb, req, "slot", small, sizeof(small)), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        struct sw_mb_request r;
        assert_int_equal(sw_mb_request_read(mb, &r), -SW_MB_MALFORMED);
        assert_int_equal(sw_mb_request_write(mb, "a", "b", 1), -SW_MB_MALFORMED);

        setup(state);
        req = fdt_path_offset(mb, "/request");
        assert_int_equal(fdt_setprop_u64(mb, req, "seq", 1), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);

        setup(state);
        assert_int_equal(fdt_delprop(mb, fdt_path_offset(mb, "/request"), "csum"), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);

        setup(state);
        assert_int_equal(fdt_del_node(mb, fdt_path_offset(mb, "/request")), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        assert_int_equal(sw_mb_request_clear(mb), -SW_MB_MALFORMED);

        setup(state);
        assert_int_equal(fdt_del_node(mb, fdt_path_offset(mb, "/slots")), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        assert_int_equal(sw_mb_slot_offset(mb, "a"), -SW_MB_MALFORMED);

        /* A slot's state that is too short for every name. */
        setup(state);
        assert_int_equal(fdt_setprop_string(mb, fdt_path_offset(mb, "/slots/b"), "state", "empty"), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        assert_int_equal(sw_mb_set_state(mb, "b", SW_SLOT_RUNNING), -SW_MB_MALFORMED);

        /* Unterminated state of the right size. */
        setup(state);
        char st[16];
        memset(st, 'r', sizeof(st));
        assert_int_equal(fdt_setprop_inplace(mb, fdt_path_offset(mb, "/slots/b"), "state", st, 16), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);

        setup(state);
        assert_int_equal(fdt_delprop(mb, fdt_path_offset(mb, "/slots/c"), "result-seq"), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);

        setup(state);
        assert_int_equal(fdt_setprop_string(mb, 0, "current", "a"), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        assert_int_equal(sw_mb_set_current(mb, "b"), -SW_MB_MALFORMED);
}

static void test_check_header(void **state)
{
        uint32_t saved;

        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(sw_mb_check(NULL, sizeof(mb)), -SW_MB_MALFORMED);
        /* Shorter than a header. */
        assert_int_equal(sw_mb_check(mb, 10), -SW_MB_MALFORMED);
        /* Buffer smaller than totalsize (a truncated tree). */
        assert_int_equal(sw_mb_check(mb, SW_MAILBOX_SIZE - 1), -SW_MB_MALFORMED);
        assert_int_equal(sw_mb_check(mb, 64), -SW_MB_MALFORMED);

        /* Wrong magic. */
        saved = fdt_magic(mb);
        fdt_set_magic(mb, 0xd00dfeee);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        fdt_set_magic(mb, saved);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);

        /* totalsize claiming more than the buffer. */
        fdt_set_totalsize(mb, SW_MAILBOX_SIZE + 4096);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        fdt_set_totalsize(mb, 0xffffffffu);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        fdt_set_totalsize(mb, SW_MAILBOX_SIZE);

        /* Structure block running past the end. */
        saved = fdt_size_dt_struct(mb);
        fdt_set_size_dt_struct(mb, SW_MAILBOX_SIZE * 2);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        fdt_set_size_dt_struct(mb, saved);
        saved = fdt_off_dt_strings(mb);
        fdt_set_off_dt_strings(mb, SW_MAILBOX_SIZE - 2);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        fdt_set_off_dt_strings(mb, saved);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);

        /* Garbage in the structure block: overwrite the first tag. */
        uint8_t *st = mb + fdt_off_dt_struct(mb);
        uint8_t keep[4];
        memcpy(keep, st, 4);
        memset(st, 0x77, 4);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        memcpy(st, keep, 4);

        /* All zero, all 0xff. */
        static uint8_t junk[SW_MAILBOX_SIZE];
        memset(junk, 0, sizeof(junk));
        assert_int_equal(sw_mb_check(junk, sizeof(junk)), -SW_MB_MALFORMED);
        memset(junk, 0xff, sizeof(junk));
        assert_int_equal(sw_mb_check(junk, sizeof(junk)), -SW_MB_MALFORMED);
}

static void test_check_version(void **state)
{
        assert_int_equal(fdt_setprop_inplace_u32(mb, 0, "version", 2), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        assert_int_equal(fdt_setprop_inplace_u32(mb, 0, "version", 0), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        assert_int_equal(fdt_setprop_inplace_u32(mb, 0, "version", 1), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(fdt_delprop(mb, 0, "version"), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
}

/*
 * A guest that writes two header words, version 3 and last compatible
 * version 2, made libfdt 1.6.1's fdt_check_full() read through a NULL name
 * pointer (found by tests/fuzz/fuzz_mailbox.c): the check must refuse every
 * header version but the one the codec writes, before libfdt walks the tree.
 */
static void test_check_old_header_version(void **state)
{
        static const struct {
                uint32_t version, last_comp;
        } bad[] = { { 3, 2 }, { 2, 2 }, { 15, 15 }, { 16, 16 }, { 17, 2 }, { 18, 16 }, { 0xffffffff, 16 } };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                fdt_set_version(mb, bad[i].version);
                fdt_set_last_comp_version(mb, bad[i].last_comp);
                assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        }
        fdt_set_version(mb, 17);
        fdt_set_last_comp_version(mb, 16);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
}

/*
 * A property length near 2^32 wrapped libfdt 1.6.1's int offset backwards,
 * and fdt_check_full() looped forever (found by tests/fuzz/fuzz_mailbox.c):
 * the check must refuse every length that does not fit the structure block.
 * The alarm turns a regression into a failed test instead of a hung one.
 */
static void test_check_property_length_wraps(void **state)
{
        static const uint32_t lens[] = { 0xfffffff4, 0xfffffffc, 0x80000000, 0x7ffffff0, SW_MAILBOX_SIZE };
        int req = fdt_path_offset(mb, "/request");
        int prop = fdt_first_property_offset(mb, req);
        uint8_t *lenp = mb + fdt_off_dt_struct(mb) + prop + 4;
        uint8_t keep[4];

        assert_true(prop >= 0);
        memcpy(keep, lenp, 4);
        alarm(10);
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                lenp[0] = (uint8_t)(lens[i] >> 24);
                lenp[1] = (uint8_t)(lens[i] >> 16);
                lenp[2] = (uint8_t)(lens[i] >> 8);
                lenp[3] = (uint8_t)lens[i];
                assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        }
        /* A structure block that stops before its FDT_END. */
        memcpy(lenp, keep, 4);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        fdt_set_size_dt_struct(mb, (uint32_t)(prop - 4));
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        alarm(0);
}

/*
 * The blocks overlapping or out of the codec's order: refused, because an
 * in-place write of one value would change another.  A reservation map
 * inside the structure block let a "state" written over its terminator turn
 * a mailbox that had passed the check into one that failed it (found by
 * tests/fuzz/fuzz_mailbox.c).
 */
static void test_check_block_layout(void **state)
{
        uint32_t rsv = fdt_off_mem_rsvmap(mb), st = fdt_off_dt_struct(mb), str = fdt_off_dt_strings(mb);
        int node = sw_mb_slot_offset(mb, "c");
        const uint8_t *mp = fdt_getprop(mb, node, "result-message", NULL);

        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        /* The reservation map moved onto zero bytes inside the structure
         * block (c's empty result message): libfdt itself reads that fine. */
        assert_non_null(mp);
        fdt_set_off_mem_rsvmap(mb, ((uint32_t)(mp - mb) + 7) & ~7u);
        assert_int_equal(fdt_num_mem_rsv(mb), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        fdt_set_off_mem_rsvmap(mb, rsv);
        /* A map running past the end of the blob, before a structure block
         * further out still: refused before the map is read (make sanitize
         * sees any read past mb[]; the fuzz target found this one). */
        fdt_set_off_mem_rsvmap(mb, SW_MAILBOX_SIZE - 8);
        fdt_set_off_dt_struct(mb, SW_MAILBOX_SIZE + 8);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        fdt_set_off_dt_struct(mb, st);
        fdt_set_off_mem_rsvmap(mb, rsv);
        /* Before the header's end, misaligned, or not empty. */
        fdt_set_off_mem_rsvmap(mb, 32);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        fdt_set_off_mem_rsvmap(mb, rsv + 4);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        fdt_set_off_mem_rsvmap(mb, rsv);
        mb[rsv + 7] = 1;
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        mb[rsv + 7] = 0;
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        /* The strings block starting inside the structure block. */
        fdt_set_off_dt_strings(mb, st + fdt_size_dt_struct(mb) - 4);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        fdt_set_off_dt_strings(mb, str);
        /* The structure block before the reservation map. */
        fdt_set_off_dt_struct(mb, rsv - 8);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        fdt_set_off_dt_struct(mb, st);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
}

/* A mailbox full of garbage, whole or behind a good header: refused, and the
 * resident switcher rebuilds it from its own state. */
static void test_garbage_mailbox(void **state)
{
        enum sw_slot_state st[SW_MAX_SLOTS] = { SW_SLOT_RUNNING, SW_SLOT_EMPTY, SW_SLOT_SUSPENDED };
        uint8_t header[40];

        memcpy(header, mb, sizeof(header));
        for (int round = 0; round < 64; round++) {
                garbage_fill(mb, sizeof(mb), false);
                assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
                /* The real header in front: the blocks it points at are junk. */
                memcpy(mb, header, sizeof(header));
                assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
        }
        assert_int_equal(sw_mailbox_build(mb, sizeof(mb), &cfg, st, 0, &diag), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
}

/* Garbage in the values only: every size is right, so the tree passes its
 * check, and each reader refuses what it cannot use. */
static void test_garbage_values(void **state)
{
        int req = fdt_path_offset(mb, "/request"), node = sw_mb_slot_offset(mb, "a");
        uint8_t junk[SW_MB_MSG_LEN];
        struct sw_mb_request r;
        uint32_t seq, st;
        char msg[SW_MB_MSG_LEN];

        /* Unterminated ids: no request can be read from them. */
        garbage_fill(junk, SW_MB_ID_LEN, true);
        assert_int_equal(fdt_setprop_inplace(mb, req, "slot", junk, SW_MB_ID_LEN), 0);
        garbage_fill(junk, SW_MB_ID_LEN, true);
        assert_int_equal(fdt_setprop_inplace(mb, req, "target", junk, SW_MB_ID_LEN), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), -SW_MB_MALFORMED);
        assert_int_equal(r.seq, 0);

        /* Good ids with a garbage seq and checksum: refused for the checksum. */
        assert_int_equal(sw_mb_request_write(mb, "a", "b", 1), 0);
        garbage_fill(junk, 8, true);
        assert_int_equal(fdt_setprop_inplace(mb, req, "seq", junk, 4), 0);
        assert_int_equal(fdt_setprop_inplace(mb, req, "csum", junk + 4, 4), 0);
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        assert_int_equal(sw_mb_request_validate(mb, &r, "a"), SW_MB_BAD_CSUM);

        /* An unterminated result message: the result cannot be read ... */
        garbage_fill(junk, SW_MB_MSG_LEN, true);
        assert_int_equal(fdt_setprop_inplace(mb, node, "result-message", junk, SW_MB_MSG_LEN), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(sw_mb_get_result(mb, "a", &seq, &st, msg, sizeof(msg)), -SW_MB_MALFORMED);
        assert_string_equal(msg, "");

        /* ... until the switcher writes the refusal, as after any bad wake. */
        assert_int_equal(sw_mb_set_result(mb, "a", 0, SW_MB_BAD_CSUM, "request refused: bad-csum"), 0);
        assert_int_equal(sw_mb_request_clear(mb), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(sw_mb_get_result(mb, "a", &seq, &st, msg, sizeof(msg)), 0);
        assert_int_equal(st, SW_MB_BAD_CSUM);
        assert_string_equal(msg, "request refused: bad-csum");
        assert_int_equal(sw_mb_request_read(mb, &r), 0);
        assert_int_equal(sw_mb_request_validate(mb, &r, "a"), SW_MB_NO_REQUEST);

        /* A state that is not terminated fails the whole check. */
        garbage_fill(junk, SW_MB_STATE_LEN, true);
        assert_int_equal(fdt_setprop_inplace(mb, node, "state", junk, SW_MB_STATE_LEN), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), -SW_MB_MALFORMED);
}

static void test_results(void **state)
{
        uint32_t seq = 99, st = 99;
        char msg[SW_MB_MSG_LEN];
        char small[6];
        char big[300];

        assert_int_equal(sw_mb_get_result(mb, "b", &seq, &st, msg, sizeof(msg)), 0);
        assert_int_equal(seq, 0);
        assert_int_equal(st, SW_MB_OK);
        assert_string_equal(msg, "");

        assert_int_equal(sw_mb_set_result(mb, "b", 7, SW_MB_TARGET_FAILED, "slot 'c': kernel did not start"), 0);
        assert_int_equal(sw_mb_get_result(mb, "b", &seq, &st, msg, sizeof(msg)), 0);
        assert_int_equal(seq, 7);
        assert_int_equal(st, SW_MB_TARGET_FAILED);
        assert_string_equal(msg, "slot 'c': kernel did not start");
        /* Cut to the caller's buffer. */
        assert_int_equal(sw_mb_get_result(mb, "b", NULL, NULL, small, sizeof(small)), 0);
        assert_string_equal(small, "slot ");
        /* Other slots untouched. */
        assert_int_equal(sw_mb_get_result(mb, "a", &seq, &st, NULL, 0), 0);
        assert_int_equal(seq, 0);

        /* A long message is cut at 127 bytes; a shorter one later leaves no tail. */
        memset(big, 'm', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(sw_mb_set_result(mb, "b", 8, SW_MB_OK, big), 0);
        assert_int_equal(sw_mb_get_result(mb, "b", NULL, NULL, msg, sizeof(msg)), 0);
        assert_int_equal(strlen(msg), 127);
        assert_int_equal(sw_mb_set_result(mb, "b", 9, SW_MB_OK, "ok"), 0);
        int len = -1;
        const char *raw = str_prop("/slots/b", "result-message", &len);
        assert_int_equal(len, 128);
        assert_string_equal(raw, "ok");
        assert_zero(raw + 2, 126);

        assert_int_equal(sw_mb_set_result(mb, "zz", 1, SW_MB_OK, ""), -SW_MB_UNKNOWN_SLOT);
        assert_int_equal(sw_mb_get_result(mb, "zz", &seq, &st, msg, sizeof(msg)), -SW_MB_UNKNOWN_SLOT);
        assert_int_equal(sw_mb_get_result(mb, "", &seq, &st, msg, sizeof(msg)), -SW_MB_UNKNOWN_SLOT);

        /* An unterminated message (a guest wrote over it) is refused. */
        memset(big, 'm', 128);
        assert_int_equal(fdt_setprop_inplace(mb, fdt_path_offset(mb, "/slots/b"), "result-message", big, 128), 0);
        assert_int_equal(sw_mb_get_result(mb, "b", &seq, &st, msg, sizeof(msg)), -SW_MB_MALFORMED);
        assert_string_equal(msg, "");
}

static void test_set_state_current_switch(void **state)
{
        int len = -1;
        const char *p;

        assert_int_equal(sw_mb_set_state(mb, "a", SW_SLOT_SUSPENDED), 0);
        assert_int_equal(sw_mb_set_state(mb, "b", SW_SLOT_RUNNING), 0);
        p = str_prop("/slots/a", "state", &len);
        assert_int_equal(len, 16);
        assert_string_equal(p, "suspended");
        assert_zero(p + 9, 7);
        assert_int_equal(sw_mb_set_state(mb, "a", SW_SLOT_FAILED), 0);
        p = str_prop("/slots/a", "state", &len);
        assert_string_equal(p, "failed");
        assert_zero(p + 6, 10); /* no "ed" left over from "suspended" */
        assert_int_equal(sw_mb_set_state(mb, "a", (enum sw_slot_state)9), -SW_MB_MALFORMED);
        assert_int_equal(sw_mb_set_state(mb, "q", SW_SLOT_FAILED), -SW_MB_UNKNOWN_SLOT);

        assert_int_equal(sw_mb_set_current(mb, "b"), 0);
        p = str_prop("/", "current", &len);
        assert_int_equal(len, 64);
        assert_string_equal(p, "b");
        assert_zero(p + 1, 63);
        assert_int_equal(sw_mb_set_current(mb, ""), 0);
        assert_zero(str_prop("/", "current", &len), 64);
        char long_id[70];
        memset(long_id, 'i', 64);
        long_id[64] = '\0';
        assert_int_equal(sw_mb_set_current(mb, long_id), -SW_MB_MALFORMED);

        assert_int_equal(sw_mb_note_switch(mb, "c", 1500000), 0);
        assert_int_equal(sw_mb_note_switch(mb, "c", 42), 0);
        assert_int_equal(u32_prop("/slots/c", "switches"), 2);
        assert_int_equal(u32_prop("/slots/c", "last-switch-us"), 42);
        assert_int_equal(u32_prop("/slots/a", "switches"), 0);
        assert_int_equal(sw_mb_note_switch(mb, "nope", 1), -SW_MB_UNKNOWN_SLOT);

        /* Every edit is in place: size and check unchanged. */
        assert_int_equal(fdt_totalsize(mb), SW_MAILBOX_SIZE);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
}

static void test_names(void **state)
{
        assert_string_equal(sw_mb_status_name(SW_MB_OK), "ok");
        assert_string_equal(sw_mb_status_name(SW_MB_BAD_CSUM), "bad-csum");
        assert_string_equal(sw_mb_status_name(SW_MB_UNKNOWN_SLOT), "unknown-slot");
        assert_string_equal(sw_mb_status_name(SW_MB_SAME_SLOT), "same-slot");
        assert_string_equal(sw_mb_status_name(SW_MB_TARGET_FAILED), "target-failed");
        assert_string_equal(sw_mb_status_name(SW_MB_BAD_SEQ), "bad-seq");
        assert_string_equal(sw_mb_status_name(SW_MB_MALFORMED), "malformed");
        assert_string_equal(sw_mb_status_name(SW_MB_NO_REQUEST), "no-request");
        assert_string_equal(sw_mb_status_name(SW_MB_ADOPT_REFUSED), "adopt-refused");
        assert_string_equal(sw_mb_status_name((enum sw_mb_status)1000), "unknown");
        assert_string_equal(sw_slot_state_name(SW_SLOT_SUSPENDED), "suspended");
        assert_string_equal(sw_slot_state_name((enum sw_slot_state)77), "unknown");
        /* Every state name fits the 16-byte field with its terminator. */
        for (int s = SW_SLOT_EMPTY; s <= SW_SLOT_FAILED; s++)
                assert_true(strlen(sw_slot_state_name((enum sw_slot_state)s)) < SW_MB_STATE_LEN);
}

/*
 * The lab bank's properties: created zero by the build, the identity and
 * the lazy pieces round-trip, an adopt request reads back as written, is
 * refused when one byte changes, and is gone once cleared.  A mailbox
 * without them is still valid.
 */
static void test_lab_bank(void **state)
{
        static struct sw_mb_adopt a;
        struct sw_mb_identity id = { .kernel = "6.1.0-28-amd64", .kernel_size = 8247232, .layout = 0x1122334455667788,
                                     .config_hash = 0x99, .vector = 0x9a000 }, got;
        struct sw_mb_lazy lazy = { .owner = "a", .n = 2,
                                   .piece = { { 0x40000000, 0x1000000, 0x9f000 }, { 0x40100000, 0x100000, 4096 } } },
                          lz;
        uint8_t header[SW_MB_ADOPT_HEADER_LEN];
        int node, len;
        uint8_t *raw;
        (void)state;

        /* Fresh: all zero, no adopt request. */
        assert_int_equal(sw_mb_get_identity(mb, "a", &got), 0);
        assert_int_equal(got.vector, 0);
        assert_string_equal(got.kernel, "");
        assert_int_equal(sw_mb_get_lazy(mb, &lz), 0);
        assert_string_equal(lz.owner, "");
        assert_int_equal(lz.n, 0);
        assert_int_equal(sw_mb_adopt_read(mb, &a), 1);

        assert_int_equal(sw_mb_set_identity(mb, "c", &id), 0);
        assert_int_equal(sw_mb_get_identity(mb, "c", &got), 0);
        assert_string_equal(got.kernel, id.kernel);
        assert_true(got.kernel_size == id.kernel_size && got.layout == id.layout &&
                    got.config_hash == id.config_hash && got.vector == id.vector);
        assert_int_equal(sw_mb_set_identity(mb, "zz", &id), -SW_MB_UNKNOWN_SLOT);

        assert_int_equal(sw_mb_set_lazy(mb, &lazy), 0);
        assert_int_equal(sw_mb_get_lazy(mb, &lz), 0);
        assert_string_equal(lz.owner, "a");
        assert_int_equal(lz.n, 2);
        assert_true(lz.piece[1].store == 0x40100000 && lz.piece[1].now == 0x100000 && lz.piece[1].size == 4096);

        for (size_t i = 0; i < sizeof(header); i++)
                header[i] = (uint8_t)(i * 13);
        assert_int_equal(sw_mb_adopt_write(mb, "c", header, 0xabcdef), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(sw_mb_adopt_read(mb, &a), 0);
        assert_string_equal(a.slot, "c");
        assert_memory_equal(a.header, header, sizeof(header));
        assert_true(a.ram_hash == 0xabcdef);

        /* One header byte changed: the checksum no longer matches. */
        node = 0;
        raw = (uint8_t *)(uintptr_t)fdt_getprop(mb, node, "adopt", &len);
        assert_non_null(raw);
        assert_int_equal(len, SW_MB_ADOPT_SIZE);
        raw[SW_MB_ID_LEN + 7] ^= 0x40;
        assert_int_equal(sw_mb_adopt_read(mb, &a), -SW_MB_BAD_CSUM);
        raw[SW_MB_ID_LEN + 7] ^= 0x40;
        assert_int_equal(sw_mb_adopt_read(mb, &a), 0);

        assert_int_equal(sw_mb_adopt_clear(mb), 0);
        assert_int_equal(sw_mb_adopt_read(mb, &a), 1);
        assert_int_equal(sw_mb_adopt_write(mb, "", header, 1), -SW_MB_MALFORMED);

        /* Without the properties the mailbox is still valid; the getters say so. */
        assert_int_equal(fdt_nop_property(mb, 0, "adopt"), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(sw_mb_adopt_read(mb, &a), 1);
        assert_int_equal(fdt_nop_property(mb, 0, "lazy-ram"), 0);
        assert_int_equal(sw_mb_get_lazy(mb, &lz), -SW_MB_MALFORMED);
        assert_int_equal(sw_mb_set_lazy(mb, &lazy), -SW_MB_MALFORMED);
}

/*
 * Each slot's snapshot RAM (snapshot-ram): zero when built, an in-place
 * slot's three ranges round-trip, a count above the entries or a used entry
 * of size 0 is refused, and a mailbox without it is still valid.
 */
static void test_snapshot_ram(void **state)
{
        struct sw_mb_ram ram = { .n = 3,
                                 .r = { { 0x6b600000, 64ULL << 20, 5 },
                                        { 0x180000000ULL, 2ULL << 20, 3 },
                                        { 0x180200000ULL, 192ULL << 20, 2 } } },
                         got;
        int node, len;
        uint8_t *raw;
        (void)state;

        assert_int_equal(sw_mb_get_ram(mb, "b", &got), 0);
        assert_int_equal(got.n, 0);
        assert_int_equal(sw_mb_set_ram(mb, "b", &ram), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(sw_mb_get_ram(mb, "b", &got), 0);
        assert_int_equal(got.n, 3);
        for (unsigned i = 0; i < 3; i++)
                assert_true(got.r[i].addr == ram.r[i].addr && got.r[i].size == ram.r[i].size &&
                            got.r[i].kind == ram.r[i].kind);
        /* Other slots keep theirs. */
        assert_int_equal(sw_mb_get_ram(mb, "a", &got), 0);
        assert_int_equal(got.n, 0);
        assert_int_equal(sw_mb_set_ram(mb, "zz", &ram), -SW_MB_UNKNOWN_SLOT);
        ram.n = SW_MB_RAM_MAX + 1;
        assert_int_equal(sw_mb_set_ram(mb, "b", &ram), -SW_MB_MALFORMED);

        /* A guest's damage: a count beyond the entries, an empty used entry. */
        node = sw_mb_slot_offset(mb, "b");
        raw = (uint8_t *)(uintptr_t)fdt_getprop(mb, node, "snapshot-ram", &len);
        assert_non_null(raw);
        assert_int_equal(len, SW_MB_RAM_SIZE);
        raw[3] = SW_MB_RAM_MAX + 1;
        assert_int_equal(sw_mb_get_ram(mb, "b", &got), -SW_MB_MALFORMED);
        raw[3] = 4;
        assert_int_equal(sw_mb_get_ram(mb, "b", &got), -SW_MB_MALFORMED);
        assert_int_equal(got.n, 0);

        assert_int_equal(fdt_nop_property(mb, node, "snapshot-ram"), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(sw_mb_get_ram(mb, "b", &got), -SW_MB_MALFORMED);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crc32_vectors),
                cmocka_unit_test(test_request_csum_layout),
                cmocka_unit_test_setup(test_build_layout, setup),
                cmocka_unit_test_setup(test_build_no_current_and_dropped_slot, setup),
                cmocka_unit_test_setup(test_build_too_small, setup),
                cmocka_unit_test_setup(test_request_round_trip, setup),
                cmocka_unit_test_setup(test_request_write_bad_ids, setup),
                cmocka_unit_test_setup(test_validate_failures, setup),
                cmocka_unit_test_setup(test_request_read_unterminated, setup),
                cmocka_unit_test_setup(test_check_wrong_sizes, setup),
                cmocka_unit_test_setup(test_check_header, setup),
                cmocka_unit_test_setup(test_check_version, setup),
                cmocka_unit_test_setup(test_check_old_header_version, setup),
                cmocka_unit_test_setup(test_check_property_length_wraps, setup),
                cmocka_unit_test_setup(test_check_block_layout, setup),
                cmocka_unit_test_setup(test_garbage_mailbox, setup),
                cmocka_unit_test_setup(test_garbage_values, setup),
                cmocka_unit_test_setup(test_results, setup),
                cmocka_unit_test_setup(test_set_state_current_switch, setup),
                cmocka_unit_test_setup(test_lab_bank, setup),
                cmocka_unit_test_setup(test_snapshot_ram, setup),
                cmocka_unit_test(test_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
