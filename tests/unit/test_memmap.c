/* SPDX-License-Identifier: MIT */
/*
 * The memory map: class of every UEFI type, the text dump parser (good
 * input, real OVMF dumps, and each kind of bad line with its exact error),
 * sw_memmap_add's checks, normalisation and the dump round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util_capture.h"

#include "memmap.h"

/* ---- diagnostics captured for the assertions ---- */


static struct sw_memmap map; /* too big for a comfortable stack frame */
static struct sw_memmap map2;

static char *read_fixture(const char *name, size_t *len)
{
        char path[512];
        FILE *f;
        char *buf;
        long n;

        snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
        f = fopen(path, "rb");
        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        assert_true(n > 0);
        rewind(f);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = '\0';
        fclose(f);
        *len = (size_t)n;
        return buf;
}

/* Counts the "memmap:" lines of a text independently of the parser. */
static unsigned count_prefixed_lines(const char *buf)
{
        unsigned n = 0;

        for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, "memmap: ", 8) == 0)
                        n++;
        return n;
}

/* ---- class mapping and names ---- */

static void test_class_of_every_type(void **state)
{
        (void)state;
        assert_int_equal(sw_mem_class_of(SW_EFI_RESERVED), SW_MEM_FIRMWARE);
        assert_int_equal(sw_mem_class_of(SW_EFI_LOADER_CODE), SW_MEM_FREE);
        assert_int_equal(sw_mem_class_of(SW_EFI_LOADER_DATA), SW_MEM_FREE);
        assert_int_equal(sw_mem_class_of(SW_EFI_BS_CODE), SW_MEM_FREE);
        assert_int_equal(sw_mem_class_of(SW_EFI_BS_DATA), SW_MEM_FREE);
        assert_int_equal(sw_mem_class_of(SW_EFI_RT_CODE), SW_MEM_FIRMWARE);
        assert_int_equal(sw_mem_class_of(SW_EFI_RT_DATA), SW_MEM_FIRMWARE);
        assert_int_equal(sw_mem_class_of(SW_EFI_CONVENTIONAL), SW_MEM_FREE);
        assert_int_equal(sw_mem_class_of(SW_EFI_UNUSABLE), SW_MEM_UNUSABLE);
        assert_int_equal(sw_mem_class_of(SW_EFI_ACPI_RECLAIM), SW_MEM_ACPI);
        assert_int_equal(sw_mem_class_of(SW_EFI_ACPI_NVS), SW_MEM_NVS);
        assert_int_equal(sw_mem_class_of(SW_EFI_MMIO), SW_MEM_FIRMWARE);
        assert_int_equal(sw_mem_class_of(SW_EFI_MMIO_PORT), SW_MEM_FIRMWARE);
        assert_int_equal(sw_mem_class_of(SW_EFI_PAL_CODE), SW_MEM_FIRMWARE);
        assert_int_equal(sw_mem_class_of(SW_EFI_PERSISTENT), SW_MEM_PMEM);
        assert_int_equal(sw_mem_class_of(SW_EFI_UNACCEPTED), SW_MEM_FIRMWARE);
        /* Types this code has never heard of must never be used. */
        assert_int_equal(sw_mem_class_of(16), SW_MEM_FIRMWARE);
        assert_int_equal(sw_mem_class_of(0x70000000), SW_MEM_FIRMWARE);
        assert_int_equal(sw_mem_class_of(0xffffffff), SW_MEM_FIRMWARE);
}

static void test_type_names(void **state)
{
        (void)state;
        assert_string_equal(sw_efi_type_name(SW_EFI_CONVENTIONAL), "Available");
        assert_string_equal(sw_efi_type_name(SW_EFI_BS_DATA), "BS_Data");
        assert_string_equal(sw_efi_type_name(SW_EFI_ACPI_NVS), "ACPI_NVS");
        assert_string_equal(sw_efi_type_name(SW_EFI_UNACCEPTED), "Unaccepted");
        assert_string_equal(sw_efi_type_name(SW_EFI_TYPE_MAX), "Unknown");
        assert_string_equal(sw_efi_type_name(0x80000000u), "Unknown");
        for (uint32_t t = 0; t < SW_EFI_TYPE_MAX; t++)
                assert_non_null(sw_efi_type_name(t));
}

/* ---- parser: good input ---- */

/* Without any "memmap:" line, bare descriptor lines are read (a hand-made
 * dump); with one, only prefixed lines are (a serial log). */
static void test_parse_bare_vs_prefixed(void **state)
{
        static const char bare[] = "7 0x1000 0x9f 0xf\n   3 0x0 0x1 0xf\n";
        static const char mixed[] = "memmap: 7 0x1000 0x9f 0xf\n 2) Slot B [b, swap]\n7 0x100000 0x10 0xf\n";
        struct sw_diag d = { 0 };

        (void)state;
        sw_memmap_init(&map);
        assert_int_equal(sw_memmap_parse_dump(&map, bare, strlen(bare), "bare.txt", &d), 0);
        assert_int_equal(map.n, 2);
        sw_memmap_init(&map);
        assert_int_equal(sw_memmap_parse_dump(&map, mixed, strlen(mixed), "log.txt", &d), 0);
        assert_int_equal(map.n, 1);
        assert_int_equal(d.errors, 0);
}

static void test_parse_good_mixed_log(void **state)
{
        /* A serial log as it comes: prompts, firmware chatter, CRLF, the
         * prefix or not, upper- and lower-case hex, out of order lines. */
        static const char text[] =
                "BdsDxe: starting Boot0002\r\n"
                "# a comment\n"
                "\n"
                "memmap: 7 0x100000 0x706 0xF\r\n"
                "   memmap: 3 0x0 0x1 0xf\n"
                "memmap: 7 0x1000 0x9f 0xf\n"
                /* A menu line of the same log: not a descriptor. */
                "    2) Slot B            [b, swap]\n"
                "Shell> memmap\n"
                "memmap:\t10\t0x806000\t0x2\t0xF\n"
                "memmap: 11 0xFFC00000 0x400 0x8000000000000001"; /* no final newline */
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };

        sw_memmap_init(&map);
        assert_int_equal(sw_memmap_parse_dump(&map, text, strlen(text), "log.txt", &d), 0);
        assert_int_equal(cap.n, 0);
        assert_int_equal(map.n, 5);
        /* Sorted by base whatever the order of the lines. */
        assert_int_equal(map.r[0].base, 0x0);
        assert_int_equal(map.r[0].efi_type, 3);
        assert_int_equal(map.r[0].size, 0x1000);
        assert_int_equal(map.r[1].base, 0x1000);
        assert_int_equal(map.r[1].size, 0x9f000);
        assert_int_equal(map.r[2].base, 0x100000);
        assert_int_equal(map.r[2].size, 0x706000);
        assert_int_equal(map.r[2].attr, 0xf);
        assert_int_equal(map.r[3].base, 0x806000);
        assert_int_equal(map.r[3].efi_type, SW_EFI_ACPI_NVS);
        assert_int_equal(map.r[4].base, 0xffc00000);
        assert_int_equal(map.r[4].attr, 0x8000000000000001ULL);
        assert_int_equal(map.r[4].size, 0x400000);
}

static void check_fixture(const char *name)
{
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        size_t len;
        char *buf = read_fixture(name, &len);
        uint64_t conv = 0, prev_end = 0;

        sw_memmap_init(&map);
        assert_int_equal(sw_memmap_parse_dump(&map, buf, len, name, &d), 0);
        assert_int_equal(cap.n, 0);
        assert_int_equal(map.n, count_prefixed_lines(buf));
        for (unsigned i = 0; i < map.n; i++) {
                assert_true(map.r[i].base >= prev_end);
                assert_int_equal(map.r[i].size % SW_PAGE_SIZE, 0);
                prev_end = map.r[i].base + map.r[i].size;
                if (map.r[i].efi_type == SW_EFI_CONVENTIONAL)
                        conv += map.r[i].size;
        }
        /* A real OVMF map: page 0 is boot services code, the firmware
         * volume is MMIO right below 4 GiB, and there is plenty of free RAM. */
        assert_int_equal(map.r[0].base, 0);
        assert_int_equal(map.r[0].efi_type, SW_EFI_BS_CODE);
        assert_true(conv > 256ULL << 20);
        free(buf);
}

static void test_parse_fixture_512M(void **state)
{
        (void)state;
        check_fixture("memmap-ovmf-512M.txt");
}

static void test_parse_fixture_2G(void **state)
{
        (void)state;
        check_fixture("memmap-ovmf-2G.txt");
}

static void test_parse_fixture_6G(void **state)
{
        (void)state;
        check_fixture("memmap-ovmf-6G.txt");
        /* The shell lists the 4 GiB+ RAM before the PCIe window; the map
         * is sorted anyway, so the last range is the RAM above 4 GiB. */
        assert_int_equal(map.r[map.n - 1].base, 0x100000000ULL);
        assert_int_equal(map.r[map.n - 1].efi_type, SW_EFI_CONVENTIONAL);
}

/* ---- parser: each bad line, with its exact message ---- */

struct bad_case {
        const char *line;
        const char *msg;
};

static void test_parse_each_bad_line(void **state)
{
        static const struct bad_case cases[] = {
                { "memmap: 7 0x1000 0x10\n",
                  "bad.txt:2: expected 4 fields (TYPE BASE PAGES ATTR), found 3; line ignored" },
                { "memmap: 7 0x1000 0x10 0xf extra\n",
                  "bad.txt:2: expected 4 fields (TYPE BASE PAGES ATTR), found 5; line ignored" },
                { "memmap:\n",
                  "bad.txt:2: expected 4 fields (TYPE BASE PAGES ATTR), found 0; line ignored" },
                { "memmap: x7 0x1000 0x10 0xf\n",
                  "bad.txt:2: bad TYPE 'x7': expected a decimal UEFI memory type; line ignored" },
                { "memmap: 4294967296 0x1000 0x10 0xf\n",
                  "bad.txt:2: bad TYPE '4294967296': expected a decimal UEFI memory type; line ignored" },
                { "memmap: 7 1000 0x10 0xf\n",
                  "bad.txt:2: bad BASE '1000': expected a 64-bit hex number with 0x prefix; line ignored" },
                { "memmap: 7 0x 0x10 0xf\n",
                  "bad.txt:2: bad BASE '0x': expected a 64-bit hex number with 0x prefix; line ignored" },
                { "memmap: 7 0x1000 0x1g 0xf\n",
                  "bad.txt:2: bad PAGES '0x1g': expected a 64-bit hex number with 0x prefix; line ignored" },
                { "memmap: 7 0x1000 0x10 0x10000000000000000\n",
                  "bad.txt:2: bad ATTR '0x10000000000000000': expected a 64-bit hex number with 0x prefix; line ignored" },
                { "memmap: 7 0x1000 0x0 0xf\n",
                  "bad.txt:2: range at 0x1000 has zero pages; line ignored" },
                { "memmap: 7 0x1800 0x1 0xf\n",
                  "bad.txt:2: range base 0x1800 is not 4 KiB aligned; line ignored" },
                { "memmap: 7 0xfffffffffffff000 0x2 0xf\n",
                  "bad.txt:2: range at 0xfffffffffffff000 with 0x2 pages goes past the end of the 64-bit address space; line ignored" },
                { "memmap: 7 0x4000 0x10000000000000 0xf\n",
                  "bad.txt:2: range at 0x4000 with 0x10000000000000 pages goes past the end of the 64-bit address space; line ignored" },
                /* Overlaps the range of line 1 (0x100000-0x10ffff). */
                { "memmap: 4 0x10f000 0x4 0xf\n",
                  "bad.txt:2: range 0x10f000-0x112fff overlaps the earlier range 0x100000-0x10ffff; line ignored" },
                { "7 0xff000 0x2 0xf\n",
                  "bad.txt:2: range 0xff000-0x100fff overlaps the earlier range 0x100000-0x10ffff; line ignored" },
        };
        (void)state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct capture cap = { 0 };
                struct sw_diag d = { capture_emit, &cap, 0, 0 };
                char text[256];

                /* A bare line is a descriptor only in a dump without prefixes. */
                snprintf(text, sizeof(text), "%s7 0x100000 0x10 0xf\n%s",
                         strncmp(cases[i].line, "memmap:", 7) ? "" : "memmap: ", cases[i].line);
                sw_memmap_init(&map);
                assert_int_equal(sw_memmap_parse_dump(&map, text, strlen(text), "bad.txt", &d), -1);
                assert_int_equal(cap.n, 1);
                assert_int_equal(cap.sev[0], SW_ERROR);
                assert_int_equal(d.errors, 1);
                assert_string_equal(cap.msg[0], cases[i].msg);
                /* The good line is kept, the bad one is not. */
                assert_int_equal(map.n, 1);
                assert_int_equal(map.r[0].base, 0x100000);
        }
}

static void test_parse_reports_every_bad_line(void **state)
{
        static const char text[] =
                "memmap: 7 0x1000 0x9f 0xf\n"
                "memmap: 7 zz 0x1 0xf\n"
                "memmap: 3 0x0 0x1 0xf\n"
                "memmap: 7 0x2000 0x1 0xf\n"
                "memmap: 7 0x200000 0x0 0xf\n";
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        (void)state;

        sw_memmap_init(&map);
        assert_int_equal(sw_memmap_parse_dump(&map, text, strlen(text), "two.txt", &d), -1);
        assert_int_equal(cap.n, 3);
        assert_string_equal(cap.msg[0],
                            "two.txt:2: bad BASE 'zz': expected a 64-bit hex number with 0x prefix; line ignored");
        assert_string_equal(cap.msg[1],
                            "two.txt:4: range 0x2000-0x2fff overlaps the earlier range 0x1000-0x9ffff; line ignored");
        assert_string_equal(cap.msg[2], "two.txt:5: range at 0x200000 has zero pages; line ignored");
        assert_int_equal(map.n, 2);
}

/* ---- sw_memmap_add and sw_memmap_normalize ---- */

static void test_add_checks(void **state)
{
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        (void)state;

        sw_memmap_init(&map);
        assert_int_equal(sw_memmap_add(&map, 7, 0x200000, 0x100, 0xf, &d), 0);
        assert_int_equal(sw_memmap_add(&map, 7, 0x100000, 0x100, 0xf, &d), 0);
        assert_int_equal(map.r[0].base, 0x100000);
        assert_int_equal(sw_memmap_add(&map, 4, 0x1ff000, 0x2, 0xf, &d), -1);
        assert_string_equal(cap.msg[0],
                            "memory map: range 0x1ff000-0x200fff overlaps the earlier range 0x100000-0x1fffff; descriptor ignored");
        assert_int_equal(sw_memmap_add(&map, 7, 0xfffffffffff00000ULL, 0x101, 0xf, &d), -1);
        assert_string_equal(cap.msg[1],
                            "memory map: range at 0xfffffffffff00000 with 0x101 pages goes past the end of the 64-bit address space; descriptor ignored");
        /* Ends are exclusive and must fit in 64 bits: the page below the
         * last one is fine, the last one is not. */
        assert_int_equal(sw_memmap_add(&map, 0, 0xffffffffffffe000ULL, 0x1, 0, &d), 0);
        assert_int_equal(map.n, 3);
        assert_int_equal(sw_memmap_add(&map, 0, 0xfffffffffffff000ULL, 0x1, 0, &d), -1);
        assert_string_equal(cap.msg[2],
                            "memory map: range at 0xfffffffffffff000 with 0x1 pages goes past the end of the 64-bit address space; descriptor ignored");

        sw_memmap_init(&map);
        for (unsigned i = 0; i < SW_MEMMAP_MAX; i++)
                assert_int_equal(sw_memmap_add(&map, 7, (uint64_t)i * 0x2000, 1, 0, &d), 0);
        assert_int_equal(sw_memmap_add(&map, 7, 0x10000000, 1, 0, &d), -1);
        assert_string_equal(cap.msg[3], "memory map: memory map is full (512 ranges); descriptor ignored");
        assert_int_equal(d.errors, 4);
}

static void test_normalize_merges_only_equal_neighbours(void **state)
{
        (void)state;
        /* Filled by hand, out of order, to check the sort as well. */
        map.n = 6;
        map.r[0] = (struct sw_mem_range){ 0x300000, 0x100000, 7, 0xf };
        map.r[1] = (struct sw_mem_range){ 0x100000, 0x100000, 7, 0xf };
        map.r[2] = (struct sw_mem_range){ 0x200000, 0x100000, 7, 0xf };
        map.r[3] = (struct sw_mem_range){ 0x400000, 0x100000, 7, 0xe };  /* other attr */
        map.r[4] = (struct sw_mem_range){ 0x600000, 0x100000, 7, 0xe };  /* gap before */
        map.r[5] = (struct sw_mem_range){ 0x700000, 0x100000, 4, 0xe };  /* other type */
        sw_memmap_normalize(&map);
        assert_int_equal(map.n, 4);
        assert_int_equal(map.r[0].base, 0x100000);
        assert_int_equal(map.r[0].size, 0x300000);
        assert_int_equal(map.r[1].base, 0x400000);
        assert_int_equal(map.r[1].attr, 0xe);
        assert_int_equal(map.r[2].base, 0x600000);
        assert_int_equal(map.r[3].base, 0x700000);
        assert_int_equal(map.r[3].efi_type, 4);
}

/* ---- dump, and reading it back ---- */

struct text_buf {
        char s[65536];
        size_t len;
        unsigned lines;
};

static void collect_line(void *ctx, const char *text)
{
        struct text_buf *t = ctx;
        int n = snprintf(t->s + t->len, sizeof(t->s) - t->len, "%s\n", text);

        assert_true(n > 0 && (size_t)n < sizeof(t->s) - t->len);
        t->len += (size_t)n;
        t->lines++;
}

static void test_dump_round_trip(void **state)
{
        static struct text_buf out;
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        size_t len;
        char *buf = read_fixture("memmap-ovmf-6G.txt", &len);
        (void)state;

        sw_memmap_init(&map);
        assert_int_equal(sw_memmap_parse_dump(&map, buf, len, "6G", &d), 0);
        out.len = 0;
        out.lines = 0;
        sw_memmap_dump(&map, collect_line, &out);
        assert_int_equal(out.lines, map.n);
        assert_memory_equal(out.s, "memmap: 3 0x0 0x1 0xf\n", 22);
        sw_memmap_init(&map2);
        assert_int_equal(sw_memmap_parse_dump(&map2, out.s, out.len, "dump", &d), 0);
        assert_int_equal(map2.n, map.n);
        assert_memory_equal(map2.r, map.r, map.n * sizeof(map.r[0]));
        assert_int_equal(cap.n, 0);
        free(buf);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_class_of_every_type),
                cmocka_unit_test(test_type_names),
                cmocka_unit_test(test_parse_good_mixed_log),
                cmocka_unit_test(test_parse_bare_vs_prefixed),
                cmocka_unit_test(test_parse_fixture_512M),
                cmocka_unit_test(test_parse_fixture_2G),
                cmocka_unit_test(test_parse_fixture_6G),
                cmocka_unit_test(test_parse_each_bad_line),
                cmocka_unit_test(test_parse_reports_every_bad_line),
                cmocka_unit_test(test_add_checks),
                cmocka_unit_test(test_normalize_merges_only_equal_neighbours),
                cmocka_unit_test(test_dump_round_trip),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
