/* SPDX-License-Identifier: MIT */
/*
 * The shared GPT reader (switcher/gpt.c) on disks built here byte by byte:
 * used entries in order with their GUIDs and UTF-8 names, an empty table,
 * no GPT, each CRC and bound that makes a table unreadable, a read error,
 * and the switcher's start-up check of every slot's 'partition' with its
 * exact FILE:LINE warning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "gpt.h"
#include "mailbox.h"
#include "util_capture.h"

#define BS 512
#define DISK (64 * BS)

static uint8_t disk[DISK];
static int fail_reads;

static void put32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
        put32(p, (uint32_t)v);
        put32(p + 4, (uint32_t)(v >> 32));
}

static int rd(void *ctx, uint64_t off, void *buf, size_t len)
{
        (void)ctx;
        if (fail_reads || off > DISK || len > DISK - off)
                return -1;
        memcpy(buf, disk + off, len);
        return 0;
}

/* Recomputes both CRCs after a test changed the table. */
static void seal(void)
{
        uint8_t *h = disk + BS;

        put32(h + 0x58, sw_crc32(0, disk + 2 * BS, 128 * 128));
        put32(h + 0x10, 0);
        put32(h + 0x10, sw_crc32(0, h, 92));
}

/* Entry n (1-based): type byte t (0: unused), uuid ending in n, ASCII name. */
static void entry(unsigned n, uint8_t t, const char *name)
{
        uint8_t *e = disk + 2 * BS + (n - 1) * 128;

        memset(e, 0, 128);
        if (!t)
                return;
        memset(e, t, 16);
        e[16 + 15] = (uint8_t)n;
        put64(e + 0x20, 34 + n);
        put64(e + 0x28, 34 + n);
        for (unsigned i = 0; name[i]; i++)
                e[0x38 + 2 * i] = (uint8_t)name[i];
}

static void make_disk(void)
{
        uint8_t *h = disk + BS;

        memset(disk, 0, sizeof(disk));
        fail_reads = 0;
        memcpy(h, "EFI PART", 8);
        put32(h + 8, 0x10000);
        put32(h + 0x0c, 92);
        put64(h + 0x18, 1);
        put64(h + 0x48, 2);
        put32(h + 0x50, 128);
        put32(h + 0x54, 128);
        entry(1, 0x11, "ESP");
        entry(3, 0x22, "slot-a");
        seal();
}

static int read_disk(struct sw_gpt *g, char *why)
{
        return sw_gpt_read(rd, NULL, BS, g, why, 128);
}

static void test_entries(void **state)
{
        static struct sw_gpt g;
        char why[128];

        make_disk();
        assert_int_equal(read_disk(&g, why), SW_GPT_OK);
        assert_int_equal(g.nentries, 128);
        assert_int_equal(g.nparts, 2);
        assert_int_equal(g.parts[0].index, 1);
        assert_string_equal(g.parts[0].name, "ESP");
        assert_string_equal(g.parts[0].type_str, "11111111-1111-1111-1111-111111111111");
        assert_int_equal(g.parts[1].index, 3);
        assert_string_equal(g.parts[1].name, "slot-a");
        assert_string_equal(g.parts[1].uuid_str, "00000000-0000-0000-0000-000000000003");
        assert_int_equal(g.parts[1].first_lba, 37);
        assert_ptr_equal(sw_gpt_entry(&g, 3), &g.parts[1]);
        assert_null(sw_gpt_entry(&g, 2));
        assert_ptr_equal(sw_gpt_find(&g, SW_PART_LABEL, "slot-a"), &g.parts[1]);
        assert_null(sw_gpt_find(&g, SW_PART_LABEL, "Slot-a"));
        assert_ptr_equal(sw_gpt_find(&g, SW_PART_UUID, "00000000-0000-0000-0000-000000000003"), &g.parts[1]);
        assert_true(sw_gpt_matches_spec(&g.parts[1], "PARTUUID=00000000-0000-0000-0000-000000000003"));
        assert_true(sw_gpt_matches_spec(&g.parts[1], "PARTLABEL=slot-a"));
        assert_false(sw_gpt_matches_spec(&g.parts[1], "LABEL=slot-a"));
        assert_false(sw_gpt_matches_spec(&g.parts[0], "PARTLABEL=slot-a"));
}

static void test_utf8_name(void **state)
{
        static struct sw_gpt g;
        uint8_t *e = disk + 2 * BS + 2 * 128;
        char why[128];

        make_disk();
        entry(3, 0x22, "");
        /* U+00DC, then U+1F600 as a surrogate pair, then an unpaired low
         * surrogate (U+FFFD). */
        put32(e + 0x38, 0x00dc | 0xd83d0000u);
        put32(e + 0x3c, 0xde00 | 0xdc00u << 16);
        seal();
        assert_int_equal(read_disk(&g, why), SW_GPT_OK);
        assert_string_equal(g.parts[1].name, "\xc3\x9c\xf0\x9f\x98\x80\xef\xbf\xbd");
}

static void expect_bad(const char *msg, int want)
{
        static struct sw_gpt g;
        char why[128];

        assert_int_equal(read_disk(&g, why), want);
        assert_string_equal(why, msg);
}

static void test_unreadable(void **state)
{
        make_disk();
        disk[BS] = 'X';
        expect_bad("no GPT (LBA 1 has no \"EFI PART\" signature)", SW_GPT_NONE);

        make_disk();
        put32(disk + BS + 0x10, 0x12345678);
        expect_bad("GPT header CRC is 0x12345678, computed 0x11bd2c4b", SW_GPT_BAD);

        make_disk();
        entry(2, 0x33, "late");
        expect_bad("GPT entry array CRC is 0x560ebc70, computed 0x05c70157", SW_GPT_BAD);

        make_disk();
        put32(disk + BS + 0x0c, 600);
        seal();
        expect_bad("GPT header size 600 is outside 92..512", SW_GPT_BAD);

        make_disk();
        put32(disk + BS + 0x50, 5000);
        seal();
        expect_bad("GPT has 5000 entries of 128 bytes: not a sane table", SW_GPT_BAD);

        make_disk();
        put32(disk + BS + 0x54, 100);
        seal();
        expect_bad("GPT has 128 entries of 100 bytes: not a sane table", SW_GPT_BAD);

        make_disk();
        put64(disk + BS + 0x48, 1);
        seal();
        expect_bad("GPT entry array (16384 bytes at LBA 1) is out of bounds", SW_GPT_BAD);

        make_disk();
        put64(disk + BS + 0x48, 60);
        seal();
        expect_bad("cannot read the GPT entries at LBA 60", SW_GPT_BAD);

        make_disk();
        fail_reads = 1;
        expect_bad("cannot read LBA 1", SW_GPT_BAD);
}

static void test_bad_block_size(void **state)
{
        static struct sw_gpt g;
        char why[128];

        make_disk();
        assert_int_equal(sw_gpt_read(rd, NULL, 520, &g, why, sizeof(why)), SW_GPT_BAD);
        assert_string_equal(why, "logical block size 520 is not a power of two in 512..65536");
}

static void test_check_config(void **state)
{
        static const char conf[] =
                "slot a\n  linux /a\n  partition PARTLABEL=slot-a\n"
                "slot b\n  linux /b\n\n  partition PARTLABEL=no-such-part\n"
                "slot c\n  linux /c\n  partition PARTUUID=00000000-0000-0000-0000-000000000003\n"
                "slot d\n  linux /d\n";
        static struct sw_config c;
        static struct sw_gpt g, none;
        const struct sw_gpt *disks[2] = { &none, &g };
        struct capture cap = { 0 };
        struct sw_diag d = { .emit = capture_emit, .ctx = &cap };
        char why[128];

        make_disk();
        assert_int_equal(read_disk(&g, why), SW_GPT_OK);
        sw_config_parse(&c, conf, sizeof(conf) - 1, "partitions.conf", NULL);
        assert_int_equal(c.nslots, 4);
        /* a by label and c by uuid are on the second disk; d has none. */
        assert_int_equal(sw_gpt_check_config(&c, disks, 2, 0, &d), 1);
        assert_int_equal(cap.n, 1);
        assert_string_equal(cap.msg[0],
                            "partitions.conf:7: slot 'b': partition PARTLABEL=no-such-part: no such partition on any disk");
        assert_int_equal(cap.sev[0], SW_WARN);
        assert_false(c.slots[0].partition_missing);
        assert_true(c.slots[1].partition_missing);
        assert_false(c.slots[3].partition_missing);

        /* Without the second disk, because its table could not be read,
         * the warning says so. */
        cap.n = 0;
        assert_int_equal(sw_gpt_check_config(&c, disks, 1, 1, &d), 3);
        assert_string_equal(cap.msg[0], "partitions.conf:3: slot 'a': partition PARTLABEL=slot-a: no such partition "
                                        "on any disk (1 disk(s) whose GPT could not be read were not searched)");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_entries),
                cmocka_unit_test(test_utf8_name),
                cmocka_unit_test(test_unreadable),
                cmocka_unit_test(test_bad_block_size),
                cmocka_unit_test(test_check_config),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
