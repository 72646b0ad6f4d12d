/* SPDX-License-Identifier: MIT */
/*
 * Per-slot ACPI root-table copies, tested on the real tables of QEMU q35 +
 * OVMF (tests/fixtures/acpi-q35-ovmf.txt, dumped from a running guest: RSDP
 * revision 2 with XSDT and RSDT, FADT revision 3 of 244 bytes, FACS of 64).
 *
 * The fixture is loaded into a fake physical memory made of a few windows,
 * as the firmware leaves them: the table pages, the FACS page, a low page for
 * the copies (as the switcher reserves below 1 MiB) and a spare window for
 * tables the tests build.  The reader refuses anything outside a window.
 * Fields are read back at their raw spec offsets, not through the structs,
 * so a wrong struct layout cannot hide a wrong byte.
 *
 * Corruption tests change one field, check the exact error code and message,
 * restore the field and check that the scan passes again; a per-test
 * teardown also checks that firmware memory is back to the fixture.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acpi.h"

/* Where the fixture's tables are (see the comments in the fixture). */
#define RSDP2 0x1f77d014ULL
#define RSDP1 0x1f77d000ULL
#define XSDT 0x1f77c0e8ULL
#define RSDT2 0x1f77c074ULL
#define RSDT1 0x1f77c000ULL
#define FADT 0x1f778000ULL
#define APIC 0x1f777000ULL
#define FACS 0x1f7dc000ULL
#define DSDT 0x1f779000ULL

/* The low page a slot's copies go to, and room around it. */
#define LOW_BASE 0x9c000ULL
#define COPY_AT 0x9f000ULL
/* Firmware memory nobody uses, for tables the tests build. */
#define SPARE 0x1f780000ULL

struct window {
        uint64_t base;
        size_t size;
        uint8_t *buf;
};

static uint8_t win_tables[0xb000], win_facs[0x1000], win_low[0x4000], win_spare[0x4000];

static struct window windows[] = {
        { 0x1f773000ULL, sizeof(win_tables), win_tables },
        { FACS, sizeof(win_facs), win_facs },
        { LOW_BASE, sizeof(win_low), win_low },
        { SPARE, sizeof(win_spare), win_spare },
};
#define NWIN (sizeof(windows) / sizeof(windows[0]))

/* A copy of the firmware windows as loaded, to prove nothing wrote them. */
static uint8_t snap_tables[sizeof(win_tables)], snap_facs[sizeof(win_facs)];
static uint64_t fixture_rsdp, fixture_rsdp_v1;

static const void *fake_read(void *ctx, uint64_t addr, uint64_t len)
{
        struct window *w = ctx;

        for (size_t i = 0; i < NWIN; i++) {
                if (addr < w[i].base)
                        continue;
                uint64_t off = addr - w[i].base;

                if (off <= w[i].size && len <= w[i].size - off)
                        return w[i].buf + off;
        }
        return NULL;
}

/* Writable view of fake physical memory for the tests themselves. */
static uint8_t *phys(uint64_t addr, uint64_t len)
{
        uint8_t *p = (uint8_t *)(uintptr_t)fake_read(windows, addr, len);

        assert_non_null(p);
        return p;
}

static uint32_t rd32(uint64_t addr)
{
        uint32_t v;

        memcpy(&v, phys(addr, 4), 4);
        return v;
}

static uint64_t rd64(uint64_t addr)
{
        uint64_t v;

        memcpy(&v, phys(addr, 8), 8);
        return v;
}

static void wr32(uint64_t addr, uint32_t v)
{
        memcpy(phys(addr, 4), &v, 4);
}

static void wr64(uint64_t addr, uint64_t v)
{
        memcpy(phys(addr, 8), &v, 8);
}

/* Recomputes a standard table header's checksum (byte 9) in place. */
static void fix_table_sum(uint64_t addr)
{
        uint32_t len = rd32(addr + 4);
        uint8_t *t = phys(addr, len);

        t[9] = 0;
        t[9] = sw_acpi_checksum(t, len);
}

/* Recomputes both RSDP checksums (revision 2). */
static void fix_rsdp_sums(uint64_t addr)
{
        uint8_t *r = phys(addr, 36);

        r[8] = 0;
        r[8] = sw_acpi_checksum(r, 20);
        r[32] = 0;
        r[32] = sw_acpi_checksum(r, 36);
}

static void load_fixture(void)
{
        char path[1024], line[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/acpi-q35-ovmf.txt", FIXTURES);
        f = fopen(path, "r");
        if (!f) {
                fprintf(stderr, "cannot open %s\n", path);
                abort();
        }
        while (fgets(line, sizeof(line), f)) {
                char *p, *end;
                uint64_t addr;
                size_t n = 0;
                uint8_t bytes[64];

                if (line[0] == '#' || line[0] == '\n')
                        continue;
                if (sscanf(line, "rsdp %" SCNx64, &addr) == 1) {
                        fixture_rsdp = addr;
                        continue;
                }
                if (sscanf(line, "rsdp-v1 %" SCNx64, &addr) == 1) {
                        fixture_rsdp_v1 = addr;
                        continue;
                }
                addr = strtoull(line, &end, 16);
                assert_true(end != line && *end == ':');
                for (p = end + 1; *p == ' '; p++)
                        ;
                while (p[0] && p[0] != '\n') {
                        unsigned v;

                        assert_true(n < sizeof(bytes));
                        assert_int_equal(sscanf(p, "%2x", &v), 1);
                        bytes[n++] = (uint8_t)v;
                        p += 2;
                }
                memcpy(phys(addr, n), bytes, n);
        }
        fclose(f);
}

static int group_setup(void **state)
{
        load_fixture();
        assert_int_equal(fixture_rsdp, RSDP2);
        assert_int_equal(fixture_rsdp_v1, RSDP1);
        memcpy(snap_tables, win_tables, sizeof(win_tables));
        memcpy(snap_facs, win_facs, sizeof(win_facs));
        return 0;
}

/* Every test must leave firmware memory as the fixture had it.  It is put
 * back before the verdict, so one failing test does not fail the rest. */
static int check_restored(void **state)
{
        bool tables_ok = memcmp(win_tables, snap_tables, sizeof(win_tables)) == 0;
        bool facs_ok = memcmp(win_facs, snap_facs, sizeof(win_facs)) == 0;

        memcpy(win_tables, snap_tables, sizeof(win_tables));
        memcpy(win_facs, snap_facs, sizeof(win_facs));
        memset(win_low, 0, sizeof(win_low));
        memset(win_spare, 0, sizeof(win_spare));
        if (!tables_ok || !facs_ok)
                fail_msg("firmware tables not restored (tables %s, FACS %s)",
                         tables_ok ? "ok" : "changed", facs_ok ? "ok" : "changed");
        return 0;
}

struct capture {
        char last[512];
        unsigned count;
        enum sw_severity sev;
};

static struct capture cap;
static struct sw_diag diag;

static void capture_emit(void *ctx, enum sw_severity sev, const char *msg)
{
        struct capture *c = ctx;

        snprintf(c->last, sizeof(c->last), "%s", msg);
        c->sev = sev;
        c->count++;
}

static void reset_diag(void)
{
        memset(&cap, 0, sizeof(cap));
        memset(&diag, 0, sizeof(diag));
        diag.emit = capture_emit;
        diag.ctx = &cap;
}

static int scan(uint64_t rsdp, struct sw_acpi_fw *fw)
{
        reset_diag();
        return sw_acpi_scan(fake_read, windows, rsdp, fw, &diag);
}

/* Expects exactly one error message, and a zeroed result. */
static void expect_scan_error(int err, const char *msg)
{
        struct sw_acpi_fw fw, zero;

        memset(&zero, 0, sizeof(zero));
        assert_int_equal(scan(RSDP2, &fw), err);
        assert_int_equal(cap.count, 1);
        assert_int_equal(cap.sev, SW_ERROR);
        assert_string_equal(cap.last, msg);
        assert_int_equal(diag.errors, 1);
        assert_memory_equal(&fw, &zero, sizeof(fw));
}

static void expect_scan_ok(void)
{
        struct sw_acpi_fw fw;

        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(cap.count, 0);
}

static size_t align_up(size_t v, size_t a)
{
        return (v + a - 1) / a * a;
}

/* ------------------------------------------------------------------------ */

static void test_scan_q35(void **state)
{
        struct sw_acpi_fw fw;

        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(fw.rsdp, RSDP2);
        assert_int_equal(fw.rsdp_rev, 2);
        assert_int_equal(fw.xsdt, XSDT);
        assert_int_equal(fw.xsdt_len, 36 + 6 * 8);
        assert_int_equal(fw.rsdt, RSDT2);
        assert_int_equal(fw.rsdt_len, 36 + 6 * 4);
        assert_int_equal(fw.fadt, FADT);
        assert_int_equal(fw.fadt_len, 244);
        /* q35's FADT has only FIRMWARE_CTRL set (X_FIRMWARE_CTRL is 0). */
        assert_int_equal(rd64(FADT + 132), 0);
        assert_int_equal(fw.facs, rd32(FADT + 36));
        assert_int_equal(fw.facs, FACS);
        assert_int_equal(fw.facs_len, 64);
        /* ICH9 PM block at 0x600: PM1a_EVT at +0, PM1a_CNT at +4. */
        assert_int_equal(fw.pm1a_evt, 0x600);
        assert_int_equal(fw.pm1a_cnt, 0x604);
}

/* The interrupt hardware of q35 + OVMF: one I/O APIC at its usual place
 * (MADT) and the HPET (its table), through the XSDT and through an ACPI 1.0
 * RSDP's RSDT alike. */
static void test_irq_hw_q35(void **state)
{
        struct sw_acpi_fw fw;
        struct sw_acpi_irq_hw hw;

        (void)state;
        assert_int_equal(scan(RSDP2, &fw), 0);
        sw_acpi_find_irq_hw(fake_read, windows, &fw, &hw);
        assert_int_equal(hw.nioapic, 1);
        assert_int_equal(hw.ioapic[0], 0xfec00000);
        assert_int_equal(hw.hpet, 0xfed00000);
        assert_int_equal(scan(RSDP1, &fw), 0);
        sw_acpi_find_irq_hw(fake_read, windows, &fw, &hw);
        assert_int_equal(hw.nioapic, 1);
        assert_int_equal(hw.hpet, 0xfed00000);
        /* No root table at all: nothing found, no crash. */
        memset(&fw, 0, sizeof(fw));
        sw_acpi_find_irq_hw(fake_read, windows, &fw, &hw);
        assert_int_equal(hw.nioapic, 0);
        assert_int_equal(hw.hpet, 0);
}

/* The layout the header documents: RSDP at 0, tables 16-aligned, FACS
 * 64-aligned. */
struct layout {
        size_t xsdt, rsdt, fadt, facs, end;
};

static struct layout layout_of(const struct sw_acpi_fw *fw)
{
        struct layout l = { 0 };
        size_t off = 48;

        if (fw->xsdt) {
                l.xsdt = off;
                off = align_up(off + fw->xsdt_len, 16);
        }
        if (fw->rsdt) {
                l.rsdt = off;
                off = align_up(off + fw->rsdt_len, 16);
        }
        l.fadt = off;
        l.facs = align_up(off + fw->fadt_len, 64);
        l.end = l.facs + fw->facs_len;
        return l;
}

/* Checks one root copy: same header but the checksum, every entry kept
 * except the FADT's, which names the FADT copy. */
static void check_root_copy(uint64_t fw_root, uint64_t copy, unsigned esize, uint64_t fadt_copy)
{
        uint32_t len = rd32(fw_root + 4);
        const uint8_t *a = phys(fw_root, len), *b = phys(copy, len);
        unsigned n = (len - 36) / esize, replaced = 0;

        assert_true(sw_acpi_sum_ok(b, len));
        assert_memory_equal(a, b, 9);
        assert_memory_equal(a + 10, b + 10, 26);
        for (unsigned i = 0; i < n; i++) {
                uint64_t ea = 0, eb = 0;

                memcpy(&ea, a + 36 + i * esize, esize);
                memcpy(&eb, b + 36 + i * esize, esize);
                if (ea == FADT) {
                        assert_int_equal(eb, fadt_copy);
                        replaced++;
                } else {
                        assert_int_equal(eb, ea);
                }
        }
        assert_int_equal(replaced, 1);
}

static void test_copy_q35(void **state)
{
        struct sw_acpi_fw fw, again;
        struct layout l;
        uint64_t rsdp_copy = 0, facs_copy = 0;
        uint8_t *dst = phys(COPY_AT, SW_ACPI_COPY_SIZE);
        const uint8_t *r, *f, *fc;

        assert_int_equal(scan(RSDP2, &fw), 0);
        l = layout_of(&fw);
        /* Stale bytes in the page must not survive. */
        memset(dst, 0xaa, SW_ACPI_COPY_SIZE);

        assert_int_equal(sw_acpi_make_copy(fake_read, windows, &fw, NULL, dst, COPY_AT,
                                           SW_ACPI_COPY_SIZE, &rsdp_copy, &facs_copy, NULL, &diag), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(rsdp_copy, COPY_AT);
        assert_int_equal(facs_copy, COPY_AT + l.facs);
        assert_int_equal(facs_copy % 64, 0);
        assert_true(l.end <= SW_ACPI_COPY_SIZE);
        for (size_t i = l.end; i < SW_ACPI_COPY_SIZE; i++)
                assert_int_equal(dst[i], 0);

        /* RSDP: both checksums, same OEM and revision, pointers to copies. */
        r = phys(rsdp_copy, 36);
        assert_memory_equal(r, "RSD PTR ", 8);
        assert_true(sw_acpi_sum_ok(r, 20));
        assert_true(sw_acpi_sum_ok(r, 36));
        assert_memory_equal(r + 9, phys(RSDP2 + 9, 7), 7);
        assert_int_equal(rd32(rsdp_copy + 16), COPY_AT + l.rsdt);
        assert_int_equal(rd32(rsdp_copy + 20), 36);
        assert_int_equal(rd64(rsdp_copy + 24), COPY_AT + l.xsdt);

        check_root_copy(XSDT, COPY_AT + l.xsdt, 8, COPY_AT + l.fadt);
        check_root_copy(RSDT2, COPY_AT + l.rsdt, 4, COPY_AT + l.fadt);

        /* FADT: byte for byte the firmware's except checksum and the two
         * FACS pointers; DSDT and X_DSDT untouched. */
        f = phys(COPY_AT + l.fadt, 244);
        assert_true(sw_acpi_sum_ok(f, 244));
        assert_int_equal(rd32(COPY_AT + l.fadt + 36), facs_copy);
        assert_int_equal(rd64(COPY_AT + l.fadt + 132), facs_copy);
        assert_int_equal(rd32(COPY_AT + l.fadt + 40), DSDT);
        assert_int_equal(rd64(COPY_AT + l.fadt + 140), DSDT);
        assert_memory_equal(f, phys(FADT, 9), 9);
        assert_memory_equal(f + 10, phys(FADT + 10, 26), 26);
        assert_memory_equal(f + 40, phys(FADT + 40, 92), 92);
        assert_memory_equal(f + 140, phys(FADT + 140, 104), 104);

        /* FACS copy: the firmware's, vectors and lock clear. */
        fc = phys(facs_copy, 64);
        assert_memory_equal(fc, phys(FACS, 12), 12);
        assert_int_equal(rd32(facs_copy + 12), 0);
        assert_int_equal(rd32(facs_copy + 16), 0);
        assert_memory_equal(fc + 20, phys(FACS + 20, 4), 4);
        assert_int_equal(rd64(facs_copy + 24), 0);
        assert_memory_equal(fc + 32, phys(FACS + 32, 32), 32);

        /* A guest walking the copy finds the copies, and the same hardware. */
        assert_int_equal(scan(rsdp_copy, &again), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(again.rsdp_rev, 2);
        assert_int_equal(again.xsdt, COPY_AT + l.xsdt);
        assert_int_equal(again.rsdt, COPY_AT + l.rsdt);
        assert_int_equal(again.fadt, COPY_AT + l.fadt);
        assert_int_equal(again.fadt_len, 244);
        assert_int_equal(again.facs, facs_copy);
        assert_int_equal(again.facs_len, 64);
        assert_int_equal(again.pm1a_cnt, fw.pm1a_cnt);
        assert_int_equal(again.pm1a_evt, fw.pm1a_evt);
        /* check_restored() proves the firmware tables were not written. */
}

/* The copy starts with no waking vector and a free lock even when the
 * firmware FACS already carries the switcher's vector and a held lock. */
static void test_copy_clears_vectors(void **state)
{
        struct sw_acpi_fw fw;
        uint64_t rsdp_copy, facs_copy;
        uint8_t *dst = phys(COPY_AT, SW_ACPI_COPY_SIZE);

        wr32(FACS + 12, 0x9e000);
        wr64(FACS + 24, 0x123456789ULL);
        wr32(FACS + 16, 3);
        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(sw_acpi_make_copy(fake_read, windows, &fw, NULL, dst, COPY_AT,
                                           SW_ACPI_COPY_SIZE, &rsdp_copy, &facs_copy, NULL, &diag), 0);
        assert_int_equal(rd32(facs_copy + 12), 0);
        assert_int_equal(rd32(facs_copy + 16), 0);
        assert_int_equal(rd64(facs_copy + 24), 0);
        /* The firmware's own FACS keeps what it had. */
        assert_int_equal(rd32(FACS + 12), 0x9e000);
        assert_int_equal(rd64(FACS + 24), 0x123456789ULL);
        wr32(FACS + 12, 0);
        wr64(FACS + 24, 0);
        wr32(FACS + 16, 0);
}

/* The ACPI 1.0 RSDP OVMF also installs: 20 bytes, RSDT only. */
static void test_copy_rsdp_v1(void **state)
{
        struct sw_acpi_fw fw, again;
        struct layout l;
        uint64_t rsdp_copy, facs_copy;
        uint8_t *dst = phys(COPY_AT, SW_ACPI_COPY_SIZE);

        assert_int_equal(scan(RSDP1, &fw), 0);
        assert_int_equal(fw.rsdp_rev, 0);
        assert_int_equal(fw.xsdt, 0);
        assert_int_equal(fw.rsdt, RSDT1);
        assert_int_equal(fw.fadt, FADT);
        assert_int_equal(fw.facs, FACS);
        l = layout_of(&fw);
        assert_int_equal(l.rsdt, 48);

        memset(dst, 0xaa, SW_ACPI_COPY_SIZE);
        assert_int_equal(sw_acpi_make_copy(fake_read, windows, &fw, NULL, dst, COPY_AT,
                                           SW_ACPI_COPY_SIZE, &rsdp_copy, &facs_copy, NULL, &diag), 0);
        assert_true(sw_acpi_sum_ok(dst, 20));
        assert_int_equal(dst[15], 0);
        assert_int_equal(rd32(rsdp_copy + 16), COPY_AT + l.rsdt);
        for (int i = 20; i < 48; i++)
                assert_int_equal(dst[i], 0);
        check_root_copy(RSDT1, COPY_AT + l.rsdt, 4, COPY_AT + l.fadt);

        assert_int_equal(scan(rsdp_copy, &again), 0);
        assert_int_equal(again.rsdt, COPY_AT + l.rsdt);
        assert_int_equal(again.fadt, COPY_AT + l.fadt);
        assert_int_equal(again.facs, facs_copy);
}

/* X_FIRMWARE_CTRL wins over FIRMWARE_CTRL when set. */
static void test_x_firmware_ctrl_preferred(void **state)
{
        const uint64_t other = FACS + 0x800;
        struct sw_acpi_fw fw;

        memcpy(phys(other, 64), phys(FACS, 64), 64);
        wr32(other + 8, 0xfeedf00d);
        wr64(FADT + 132, other);
        fix_table_sum(FADT);
        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(fw.facs, other);

        wr64(FADT + 132, 0);
        fix_table_sum(FADT);
        memset(phys(other, 64), 0, 64);
        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(fw.facs, FACS);
}

/* An ACPI 1.0-sized FADT has no X_ fields: nothing may be read or written
 * past its length, ports come from the 32-bit blocks. */
static void test_short_fadt(void **state)
{
        struct sw_acpi_fw fw, again;
        struct layout l;
        uint64_t rsdp_copy, facs_copy;
        uint8_t *dst = phys(COPY_AT, SW_ACPI_COPY_SIZE);
        uint8_t old_sum = phys(FADT, 10)[9];

        /* A stale X_FIRMWARE_CTRL past the end must be ignored. */
        wr64(FADT + 132, 0xdead000);
        wr32(FADT + 4, 116);
        fix_table_sum(FADT);
        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(fw.fadt_len, 116);
        assert_int_equal(fw.facs, FACS);
        assert_int_equal(fw.pm1a_cnt, 0x604);
        assert_int_equal(fw.pm1a_evt, 0x600);
        l = layout_of(&fw);

        assert_int_equal(sw_acpi_make_copy(fake_read, windows, &fw, NULL, dst, COPY_AT,
                                           SW_ACPI_COPY_SIZE, &rsdp_copy, &facs_copy, NULL, &diag), 0);
        assert_true(sw_acpi_sum_ok(phys(COPY_AT + l.fadt, 116), 116));
        assert_int_equal(rd32(COPY_AT + l.fadt + 36), facs_copy);
        /* Bytes after the 116-byte FADT copy up to the FACS stay zero. */
        for (size_t i = l.fadt + 116; i < l.facs; i++)
                assert_int_equal(dst[i], 0);
        assert_int_equal(scan(rsdp_copy, &again), 0);
        assert_int_equal(again.facs, facs_copy);

        wr32(FADT + 4, 244);
        wr64(FADT + 132, 0);
        phys(FADT, 10)[9] = old_sum;
        expect_scan_ok();
}

/* A system-I/O X_PM1a block wins; a memory-mapped one is no port. */
static void test_pm1a_from_x_block(void **state)
{
        struct sw_acpi_fw fw;

        wr64(FADT + 172 + 4, 0x804);
        fix_table_sum(FADT);
        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(fw.pm1a_cnt, 0x804);
        phys(FADT + 172, 1)[0] = 0; /* system memory */
        fix_table_sum(FADT);
        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(fw.pm1a_cnt, 0);
        phys(FADT + 172, 1)[0] = 1;
        wr64(FADT + 172 + 4, 0x604);
        fix_table_sum(FADT);
        expect_scan_ok();
}

/* ------------------------------------------------------------------------ */
/* Hostile firmware: one field changed, exact error, field restored. */

static void test_rsdp_bad_signature(void **state)
{
        uint8_t *r = phys(RSDP2, 36);

        r[0] = 'X';
        expect_scan_error(SW_ACPI_ERR_RSDP, "ACPI: RSDP at 0x1f77d014: bad signature "
                          "\"XSD PTR \", expected \"RSD PTR \"");
        r[0] = 'R';
        expect_scan_ok();
}

static void test_rsdp_checksum_off_by_one(void **state)
{
        uint8_t *r = phys(RSDP2, 36);

        r[8]++;
        expect_scan_error(SW_ACPI_ERR_RSDP, "ACPI: RSDP at 0x1f77d014: bad checksum");
        r[8]--;
        expect_scan_ok();
}

static void test_rsdp_bad_extended_checksum(void **state)
{
        uint8_t *r = phys(RSDP2, 36);

        r[32]++;
        expect_scan_error(SW_ACPI_ERR_RSDP, "ACPI: RSDP at 0x1f77d014: bad extended checksum");
        r[32]--;
        expect_scan_ok();
}

static void test_rsdp_bad_length(void **state)
{
        wr32(RSDP2 + 20, 20);
        fix_rsdp_sums(RSDP2);
        expect_scan_error(SW_ACPI_ERR_RSDP, "ACPI: RSDP at 0x1f77d014: revision 2 with "
                          "length 20, outside 36..65536");
        wr32(RSDP2 + 20, 36);
        fix_rsdp_sums(RSDP2);
        expect_scan_ok();
}

static void test_rsdp_unreadable(void **state)
{
        struct sw_acpi_fw fw;

        assert_int_equal(scan(0x1000, &fw), SW_ACPI_ERR_RANGE);
        assert_int_equal(cap.count, 1);
        assert_string_equal(cap.last, "ACPI: RSDP at 0x1000: cannot read 20 bytes");
        /* A range that wraps around the address space is never read. */
        assert_int_equal(scan(0xfffffffffffffff0ULL, &fw), SW_ACPI_ERR_RANGE);
        assert_string_equal(cap.last,
                            "ACPI: RSDP at 0xfffffffffffffff0: cannot read 20 bytes");
}

static void test_no_root(void **state)
{
        wr32(RSDP2 + 16, 0);
        wr64(RSDP2 + 24, 0);
        fix_rsdp_sums(RSDP2);
        expect_scan_error(SW_ACPI_ERR_ROOT,
                          "ACPI: RSDP at 0x1f77d014: names neither an XSDT nor an RSDT");
        wr32(RSDP2 + 16, RSDT2);
        wr64(RSDP2 + 24, XSDT);
        fix_rsdp_sums(RSDP2);
        expect_scan_ok();
}

static void test_xsdt_bad_signature(void **state)
{
        phys(XSDT, 1)[0] = 'R';
        expect_scan_error(SW_ACPI_ERR_ROOT, "ACPI: XSDT at 0x1f77c0e8: bad signature "
                          "\"RSDT\", expected \"XSDT\"");
        phys(XSDT, 1)[0] = 'X';
        expect_scan_ok();
}

static void test_xsdt_length_overflows_reader(void **state)
{
        /* 1020 entries: past the end of the firmware's table window. */
        wr32(XSDT + 4, 36 + 1020 * 8);
        expect_scan_error(SW_ACPI_ERR_RANGE, "ACPI: XSDT at 0x1f77c0e8: cannot read 8196 bytes");
        wr32(XSDT + 4, 84);
        expect_scan_ok();
}

static void test_xsdt_length_ceiling(void **state)
{
        wr32(XSDT + 4, 0x7fffffff);
        expect_scan_error(SW_ACPI_ERR_ROOT,
                          "ACPI: XSDT at 0x1f77c0e8: length 2147483647 is outside 36..65536");
        wr32(XSDT + 4, 84);
        expect_scan_ok();
}

static void test_xsdt_partial_entry(void **state)
{
        wr32(XSDT + 4, 80);
        fix_table_sum(XSDT);
        expect_scan_error(SW_ACPI_ERR_ROOT,
                          "ACPI: XSDT at 0x1f77c0e8: length 80 is not 36 plus a multiple of 8");
        wr32(XSDT + 4, 84);
        fix_table_sum(XSDT);
        expect_scan_ok();
}

static void test_rsdt_bad_checksum(void **state)
{
        phys(RSDT2, 10)[9] ^= 0x40;
        expect_scan_error(SW_ACPI_ERR_ROOT, "ACPI: RSDT at 0x1f77c074: bad checksum");
        phys(RSDT2, 10)[9] ^= 0x40;
        expect_scan_ok();
}

static void test_xsdt_without_fadt(void **state)
{
        /* Entry 0 is the FADT; make it a second pointer to the MADT. */
        wr64(XSDT + 36, APIC);
        fix_table_sum(XSDT);
        expect_scan_error(SW_ACPI_ERR_NO_FADT,
                          "ACPI: XSDT at 0x1f77c0e8: lists no FADT (\"FACP\")");
        wr64(XSDT + 36, FADT);
        fix_table_sum(XSDT);
        expect_scan_ok();
}

static void test_xsdt_entry_unreadable(void **state)
{
        wr64(XSDT + 36 + 8, 0x200000000ULL);
        fix_table_sum(XSDT);
        expect_scan_error(SW_ACPI_ERR_RANGE,
                          "ACPI: XSDT at 0x1f77c0e8: entry 1 (0x200000000) cannot be read");
        wr64(XSDT + 36 + 8, APIC);
        fix_table_sum(XSDT);
        expect_scan_ok();
}

/* The RSDT naming another FADT than the XSDT would give a guest booted with
 * acpi=rsdt the firmware's FACS. */
static void test_rsdt_second_fadt(void **state)
{
        memcpy(phys(SPARE, 4), "FACP", 4);
        wr32(RSDT2 + 36 + 4, (uint32_t)SPARE);
        fix_table_sum(RSDT2);
        expect_scan_error(SW_ACPI_ERR_ROOT, "ACPI: RSDT at 0x1f77c074: entry 1 is a second "
                          "FADT at 0x1f780000 (the one in use is at 0x1f778000)");
        wr32(RSDT2 + 36 + 4, (uint32_t)APIC);
        fix_table_sum(RSDT2);
        expect_scan_ok();
}

static void test_fadt_bad_checksum(void **state)
{
        phys(FADT, 10)[9]++;
        expect_scan_error(SW_ACPI_ERR_FADT, "ACPI: FADT at 0x1f778000: bad checksum");
        phys(FADT, 10)[9]--;
        expect_scan_ok();
}

static void test_fadt_too_short(void **state)
{
        wr32(FADT + 4, 100);
        fix_table_sum(FADT);
        expect_scan_error(SW_ACPI_ERR_FADT,
                          "ACPI: FADT at 0x1f778000: length 100 is outside 116..65536");
        wr32(FADT + 4, 244);
        fix_table_sum(FADT);
        expect_scan_ok();
}

static void test_facs_missing(void **state)
{
        wr32(FADT + 36, 0);
        fix_table_sum(FADT);
        expect_scan_error(SW_ACPI_ERR_FACS, "ACPI: FADT at 0x1f778000: names no FACS "
                          "(FIRMWARE_CTRL and X_FIRMWARE_CTRL are 0)");
        wr32(FADT + 36, (uint32_t)FACS);
        fix_table_sum(FADT);
        expect_scan_ok();
}

static void test_facs_unreadable(void **state)
{
        wr32(FADT + 36, 0x1f7e0000);
        fix_table_sum(FADT);
        expect_scan_error(SW_ACPI_ERR_RANGE, "ACPI: FACS at 0x1f7e0000: cannot read 8 bytes");
        wr32(FADT + 36, (uint32_t)FACS);
        fix_table_sum(FADT);
        expect_scan_ok();
}

static void test_facs_bad_signature(void **state)
{
        phys(FACS, 1)[0] = 'f';
        expect_scan_error(SW_ACPI_ERR_FACS, "ACPI: FACS at 0x1f7dc000: bad signature "
                          "\"fACS\", expected \"FACS\"");
        phys(FACS, 1)[0] = 'F';
        expect_scan_ok();
}

static void test_facs_bad_length(void **state)
{
        wr32(FACS + 4, 32);
        expect_scan_error(SW_ACPI_ERR_FACS,
                          "ACPI: FACS at 0x1f7dc000: length 32 is outside 64..65536");
        wr32(FACS + 4, 64);
        expect_scan_ok();
}

/* ------------------------------------------------------------------------ */
/* make_copy's own failures: the destination is left as it was. */

static void expect_copy_error_s3(const struct sw_acpi_fw *fw, const struct sw_acpi_sleep *add_s3,
                                 uint64_t dst_phys, size_t dst_size, int err, const char *msg)
{
        static uint8_t dst[2 * SW_ACPI_COPY_SIZE];
        const struct sw_acpi_copy_opts opts = { .add_s3 = add_s3, .flags = SW_ACPI_COPY_HIDE_DMAR };
        uint64_t rsdp_copy = 1, facs_copy = 1;
        unsigned hidden = 7;

        assert_true(dst_size <= sizeof(dst));
        memset(dst, 0xaa, sizeof(dst));
        reset_diag();
        assert_int_equal(sw_acpi_make_copy(fake_read, windows, fw, &opts, dst, dst_phys, dst_size,
                                           &rsdp_copy, &facs_copy, &hidden, &diag), err);
        assert_int_equal(hidden, 0);
        assert_int_equal(cap.count, 1);
        assert_int_equal(cap.sev, SW_ERROR);
        assert_string_equal(cap.last, msg);
        assert_int_equal(rsdp_copy, 1);
        assert_int_equal(facs_copy, 1);
        for (size_t i = 0; i < sizeof(dst); i++)
                assert_int_equal(dst[i], 0xaa);
}

static void expect_copy_error(const struct sw_acpi_fw *fw, uint64_t dst_phys, size_t dst_size,
                              int err, const char *msg)
{
        expect_copy_error_s3(fw, NULL, dst_phys, dst_size, err, msg);
}

/* 600 entries (4836 bytes) cannot fit one page with the other copies. */
static void test_huge_xsdt_no_space(void **state)
{
        const unsigned n = 600;
        const uint32_t len = 36 + n * 8;
        struct sw_acpi_fw fw;
        uint64_t rsdp_copy, facs_copy;

        memcpy(phys(SPARE, 36), phys(XSDT, 36), 36);
        wr32(SPARE + 4, len);
        memcpy(phys(SPARE + 36, 48), phys(XSDT + 36, 48), 48);
        for (unsigned i = 6; i < n; i++)
                wr64(SPARE + 36 + i * 8, APIC);
        fix_table_sum(SPARE);
        wr64(RSDP2 + 24, SPARE);
        fix_rsdp_sums(RSDP2);

        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(fw.xsdt, SPARE);
        assert_int_equal(fw.xsdt_len, len);
        /* 48 + 4836 -> 4896, + RSDT 60 -> 4960, + FADT 244 = 5204 -> 5248,
         * + FACS 64 = 5312. */
        assert_int_equal(layout_of(&fw).end, 5312);
        expect_copy_error(&fw, COPY_AT, SW_ACPI_COPY_SIZE, SW_ACPI_ERR_SPACE,
                          "ACPI: copy at 0x9f000: the tables need 5312 bytes, "
                          "the destination has 4096");

        /* Two pages are enough, and every entry but the FADT's is kept. */
        reset_diag();
        assert_int_equal(sw_acpi_make_copy(fake_read, windows, &fw, NULL, phys(LOW_BASE, 8192),
                                           LOW_BASE, 8192, &rsdp_copy, &facs_copy, NULL, &diag), 0);
        check_root_copy(SPARE, LOW_BASE + 48, 8, LOW_BASE + layout_of(&fw).fadt);

        wr64(RSDP2 + 24, XSDT);
        fix_rsdp_sums(RSDP2);
        expect_scan_ok();
}

static void test_copy_misaligned(void **state)
{
        struct sw_acpi_fw fw;

        assert_int_equal(scan(RSDP2, &fw), 0);
        expect_copy_error(&fw, COPY_AT + 0x10, SW_ACPI_COPY_SIZE, SW_ACPI_ERR_SPACE,
                          "ACPI: copy at 0x9f010: not 64-byte aligned, the FACS copy must be");
}

static void test_copy_above_4g(void **state)
{
        struct sw_acpi_fw fw;

        assert_int_equal(scan(RSDP2, &fw), 0);
        expect_copy_error(&fw, 0xffffff00ULL, SW_ACPI_COPY_SIZE, SW_ACPI_ERR_SPACE,
                          "ACPI: copy at 0xffffff00: must end below 4 GiB, "
                          "the RSDT and FIRMWARE_CTRL hold 32-bit addresses");
        expect_copy_error(&fw, 0xffffffffffffffc0ULL, SW_ACPI_COPY_SIZE, SW_ACPI_ERR_SPACE,
                          "ACPI: copy at 0xffffffffffffffc0: must end below 4 GiB, "
                          "the RSDT and FIRMWARE_CTRL hold 32-bit addresses");
}

/* The tables changed between scan and copy. */
static void test_copy_source_changed(void **state)
{
        struct sw_acpi_fw fw, bad;

        assert_int_equal(scan(RSDP2, &fw), 0);
        phys(FADT, 1)[0] = 'X';
        expect_copy_error(&fw, COPY_AT, SW_ACPI_COPY_SIZE, SW_ACPI_ERR_FADT,
                          "ACPI: FADT at 0x1f778000: not the table the scan found "
                          "(length 244 expected)");
        phys(FADT, 1)[0] = 'F';

        wr32(FACS + 4, 128);
        expect_copy_error(&fw, COPY_AT, SW_ACPI_COPY_SIZE, SW_ACPI_ERR_FACS,
                          "ACPI: FACS at 0x1f7dc000: not the table the scan found "
                          "(length 64 expected)");
        wr32(FACS + 4, 64);

        /* A result that never came from a scan. */
        bad = fw;
        bad.xsdt_len = 1u << 20;
        expect_copy_error(&bad, COPY_AT, SW_ACPI_COPY_SIZE, SW_ACPI_ERR_ROOT,
                          "ACPI: XSDT at 0x1f77c0e8: not the table the scan found "
                          "(length 1048576 expected)");
        bad = fw;
        bad.xsdt = bad.rsdt = 0;
        expect_copy_error(&bad, COPY_AT, SW_ACPI_COPY_SIZE, SW_ACPI_ERR_ROOT,
                          "ACPI: RSDP at 0x1f77d014: no root table was found");
        bad = fw;
        bad.facs = 0x1f7e0000;
        expect_copy_error(&bad, COPY_AT, SW_ACPI_COPY_SIZE, SW_ACPI_ERR_RANGE,
                          "ACPI: FACS at 0x1f7e0000: cannot read 64 bytes");
}

/* ------------------------------------------------------------------------ */

static void test_set_waking_vector(void **state)
{
        uint8_t facs[64];
        uint8_t want[64];

        memset(facs, 0xff, sizeof(facs));
        memcpy(want, facs, sizeof(want));
        sw_acpi_set_waking_vector(facs, 0x9e000);
        want[12] = 0x00;
        want[13] = 0xe0;
        want[14] = 0x09;
        want[15] = 0x00;
        memset(want + 24, 0, 8);
        assert_memory_equal(facs, want, sizeof(facs));

        /* On the fixture's firmware FACS, as the EFI glue will do it. */
        sw_acpi_set_waking_vector(phys(FACS, 64), 0x9e000);
        assert_int_equal(rd32(FACS + 12), 0x9e000);
        assert_int_equal(rd64(FACS + 24), 0);
        assert_memory_equal(phys(FACS, 12), snap_facs, 12);
        assert_memory_equal(phys(FACS + 16, 8), snap_facs + 16, 8);
        wr32(FACS + 12, 0);
}

static void test_checksum(void **state)
{
        const uint8_t a[] = { 1, 2, 3 };
        const uint8_t b[] = { 1, 2, 0xfd };
        const uint8_t c[] = { 0x80, 0x80 };

        assert_int_equal(sw_acpi_checksum(a, sizeof(a)), 0xfa);
        assert_false(sw_acpi_sum_ok(a, sizeof(a)));
        assert_true(sw_acpi_sum_ok(b, sizeof(b)));
        assert_int_equal(sw_acpi_checksum(b, sizeof(b)), 0);
        assert_true(sw_acpi_sum_ok(c, sizeof(c)));
        assert_true(sw_acpi_sum_ok(a, 0));
        /* Every fixture table the copier reads sums to 0. */
        assert_true(sw_acpi_sum_ok(phys(RSDP2, 36), 36));
        assert_true(sw_acpi_sum_ok(phys(RSDP1, 20), 20));
        assert_true(sw_acpi_sum_ok(phys(XSDT, 84), 84));
        assert_true(sw_acpi_sum_ok(phys(FADT, 244), 244));
}

static void test_strerror(void **state)
{
        const char *seen[SW_ACPI_ERR_MAX + 1];

        for (int e = 0; e <= SW_ACPI_ERR_MAX; e++) {
                seen[e] = sw_acpi_strerror(-e);
                assert_non_null(seen[e]);
                assert_string_not_equal(seen[e], "unknown ACPI error");
                for (int k = 0; k < e; k++)
                        assert_string_not_equal(seen[e], seen[k]);
        }
        assert_string_equal(sw_acpi_strerror(SW_ACPI_ERR_SPACE), "ACPI copies do not fit");
        assert_string_equal(sw_acpi_strerror(-SW_ACPI_ERR_MAX - 1), "unknown ACPI error");
        assert_string_equal(sw_acpi_strerror(1), "unknown ACPI error");
}

/* Errors still come back as codes when nobody listens. */
static void test_null_diag(void **state)
{
        struct sw_acpi_fw fw;

        phys(FADT, 10)[9]++;
        assert_int_equal(sw_acpi_scan(fake_read, windows, RSDP2, &fw, NULL), SW_ACPI_ERR_FADT);
        phys(FADT, 10)[9]--;
        assert_int_equal(sw_acpi_scan(fake_read, windows, RSDP2, &fw, NULL), 0);
}

/* ------------------------------------------------------------------------ */
/*
 * \_S3 detection and the SSDT that declares it.  The fixture has no DSDT
 * (its window there is zero), so the tests write definition blocks of their
 * own, made by a small AML emitter that closes each PkgLength in its
 * shortest encoding, as iasl does.
 */

struct aml_buf {
        uint8_t b[2048];
        size_t n;
        size_t open[8];
        unsigned depth;
};

static void aml_bytes(struct aml_buf *a, const void *p, size_t n)
{
        assert_true(a->n + n <= sizeof(a->b));
        memcpy(a->b + a->n, p, n);
        a->n += n;
}

/* Bytes given as ints, ended by -1. */
static void aml_emit(struct aml_buf *a, ...)
{
        va_list ap;
        int v;

        va_start(ap, a);
        while ((v = va_arg(ap, int)) >= 0) {
                uint8_t b = (uint8_t)v;

                aml_bytes(a, &b, 1);
        }
        va_end(ap);
}

static void aml_seg(struct aml_buf *a, const char *seg)
{
        assert_int_equal(strlen(seg), 4);
        aml_bytes(a, seg, 4);
}

/* Starts a PkgLength: its bytes are written when the package closes. */
static void aml_open(struct aml_buf *a)
{
        assert_true(a->depth < 8);
        a->open[a->depth++] = a->n;
}

static void aml_close(struct aml_buf *a)
{
        size_t at = a->open[--a->depth], body = a->n - at, len;
        unsigned follow = body + 1 < 64 ? 0 : body + 2 < 4096 ? 1 : 2;

        len = body + 1 + follow;
        assert_true(a->n + 1 + follow <= sizeof(a->b));
        memmove(a->b + at + 1 + follow, a->b + at, body);
        if (follow == 0) {
                a->b[at] = (uint8_t)len;
        } else {
                a->b[at] = (uint8_t)((follow << 6) | (len & 0x0f));
                for (unsigned i = 0; i < follow; i++)
                        a->b[at + 1 + i] = (uint8_t)(len >> (4 + 8 * i));
        }
        a->n += 1 + follow;
}

/* Name (SEG, Package (4) { v0, v1, Zero, Zero }) with BytePrefix values. */
static void aml_sleep_name(struct aml_buf *a, bool rooted, const char *seg, int v0, int v1)
{
        aml_emit(a, 0x08, -1);
        if (rooted)
                aml_emit(a, 0x5c, -1);
        aml_seg(a, seg);
        aml_emit(a, 0x12, -1);
        aml_open(a);
        aml_emit(a, 4, 0x0a, v0, 0x0a, v1, 0x00, 0x00, -1);
        aml_close(a);
}

/*
 * A DSDT body shaped like QEMU q35's: Scope (\) with an OperationRegion,
 * Field and Method; Scope (_SB) with Device (PCI0) holding a Name with a
 * large Buffer (a 2-byte PkgLength), a Mutex and an Event; a Processor, a
 * PowerResource and an External; then \_S0_, optionally _S3_, and _S5_.
 * *s3_end is set to where the _S3_ declaration ends (0 without one).
 */
static void aml_q35_like(struct aml_buf *a, bool with_s3, size_t *s3_end)
{
        static const uint8_t big[100] = { 0x79 };

        memset(a, 0, sizeof(*a));
        /* Scope (\) { OperationRegion (DBG, SystemIO, 0x0402, One)
         *             Field (DBG, ByteAcc, NoLock, Preserve) { DBGB, 8 }
         *             Method (DBUG, 1) { Return (Arg0) } } */
        aml_emit(a, 0x10, -1);
        aml_open(a);
        aml_emit(a, 0x5c, 0x00, 0x5b, 0x80, -1);
        aml_seg(a, "DBG_");
        aml_emit(a, 0x01, 0x0b, 0x02, 0x04, 0x01, 0x5b, 0x81, -1);
        aml_open(a);
        aml_seg(a, "DBG_");
        aml_emit(a, 0x01, -1);
        aml_seg(a, "DBGB");
        aml_emit(a, 0x08, -1);
        aml_close(a);
        aml_emit(a, 0x14, -1);
        aml_open(a);
        aml_seg(a, "DBUG");
        aml_emit(a, 0x01, 0xa4, 0x68, -1);
        aml_close(a);
        aml_close(a);
        /* Scope (_SB) { Device (PCI0) { Name (_HID, EisaId ("PNP0A08"))
         *     Name (BUF0, Buffer (100) {...}) Mutex (MTX0, 0) Event (EVT0) } } */
        aml_emit(a, 0x10, -1);
        aml_open(a);
        aml_seg(a, "_SB_");
        aml_emit(a, 0x5b, 0x82, -1);
        aml_open(a);
        aml_seg(a, "PCI0");
        aml_emit(a, 0x08, -1);
        aml_seg(a, "_HID");
        aml_emit(a, 0x0c, 0x41, 0xd0, 0x0a, 0x08, 0x08, -1);
        aml_seg(a, "BUF0");
        aml_emit(a, 0x11, -1);
        aml_open(a);
        aml_emit(a, 0x0a, (int)sizeof(big), -1);
        aml_bytes(a, big, sizeof(big));
        aml_close(a);
        aml_emit(a, 0x5b, 0x01, -1);
        aml_seg(a, "MTX0");
        aml_emit(a, 0x00, 0x5b, 0x02, -1);
        aml_seg(a, "EVT0");
        aml_close(a);
        aml_close(a);
        /* Processor (\_SB.CPU0, 0, 0x608, 6) {}  PowerResource (PRS0, 0, 0) {}
         * External (\_SB.XXXX, MethodObj) */
        aml_emit(a, 0x5b, 0x83, -1);
        aml_open(a);
        aml_emit(a, 0x5c, 0x2e, -1);
        aml_seg(a, "_SB_");
        aml_seg(a, "CPU0");
        aml_emit(a, 0x00, 0x08, 0x06, 0x00, 0x00, 0x06, -1);
        aml_close(a);
        aml_emit(a, 0x5b, 0x84, -1);
        aml_open(a);
        aml_seg(a, "PRS0");
        aml_emit(a, 0x00, 0x00, 0x00, -1);
        aml_close(a);
        aml_emit(a, 0x15, 0x5c, 0x2e, -1);
        aml_seg(a, "_SB_");
        aml_seg(a, "XXXX");
        aml_emit(a, 0x08, 0x00, -1);
        /* Name (_S0_, Package (4) { 0, 0, 0, 0 }), as QEMU writes it. */
        aml_emit(a, 0x08, -1);
        aml_seg(a, "_S0_");
        aml_emit(a, 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00, -1);
        *s3_end = 0;
        if (with_s3) {
                /* Name (_S3_, Package (4) { One, One, Zero, Zero }) */
                aml_emit(a, 0x08, -1);
                aml_seg(a, "_S3_");
                aml_emit(a, 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00, -1);
                *s3_end = a->n;
        }
        aml_sleep_name(a, false, "_S5_", 0, 0);
        assert_int_equal(a->depth, 0);
}

static struct sw_acpi_sleep aml_scan(const struct aml_buf *a)
{
        struct sw_acpi_sleep sl;

        memset(&sl, 0, sizeof(sl));
        sw_acpi_aml_sleep(a->b, a->n, &sl);
        return sl;
}

static void test_aml_q35_like(void **state)
{
        struct aml_buf a;
        struct sw_acpi_sleep sl;
        size_t s3_end;

        aml_q35_like(&a, true, &s3_end);
        /* Scope (_SB), after Scope (\), needed a 2-byte PkgLength. */
        assert_int_equal(a.b[1 + a.b[1]], 0x10);
        assert_int_equal(a.b[2 + a.b[1]] >> 6, 1);
        sl = aml_scan(&a);
        assert_int_equal(sl.s3, SW_ACPI_S3_DECLARED);
        assert_true(sl.s0_found);
        assert_int_equal(sl.s0_typ_a, 0);
        assert_int_equal(sl.s0_typ_b, 0);

        /* QEMU with disable_s3=1 leaves the _S3_ Name out. */
        aml_q35_like(&a, false, &s3_end);
        sl = aml_scan(&a);
        assert_int_equal(sl.s3, SW_ACPI_S3_ABSENT);
        assert_true(sl.s0_found);
}

/* Every truncation of the DSDT body is read safely, and only one that
 * holds the whole _S3_ declaration can say DECLARED. */
static void test_aml_truncated(void **state)
{
        struct aml_buf a;
        size_t s3_end;

        aml_q35_like(&a, true, &s3_end);
        for (size_t n = 0; n <= a.n; n++) {
                struct sw_acpi_sleep sl;
                uint8_t *copy = malloc(n ? n : 1);

                assert_non_null(copy);
                memcpy(copy, a.b, n);
                memset(&sl, 0, sizeof(sl));
                sw_acpi_aml_sleep(copy, n, &sl);
                if (n < s3_end)
                        assert_int_not_equal(sl.s3, SW_ACPI_S3_DECLARED);
                else
                        assert_int_equal(sl.s3, SW_ACPI_S3_DECLARED);
                free(copy);
        }
}

/* Where a declaration lands decides the answer. */
static void test_aml_scopes(void **state)
{
        struct aml_buf a;

        /* \_S3_ from inside Scope (_SB): root, certain. */
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0x10, -1);
        aml_open(&a);
        aml_seg(&a, "_SB_");
        aml_sleep_name(&a, true, "_S3_", 1, 1);
        aml_close(&a);
        assert_int_equal(aml_scan(&a).s3, SW_ACPI_S3_DECLARED);

        /* _S3_ inside Device (PCI0) is \_SB.PCI0._S3_, not \_S3_. */
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0x10, -1);
        aml_open(&a);
        aml_seg(&a, "_SB_");
        aml_emit(&a, 0x5b, 0x82, -1);
        aml_open(&a);
        aml_seg(&a, "PCI0");
        aml_sleep_name(&a, false, "_S3_", 1, 1);
        aml_close(&a);
        aml_close(&a);
        assert_int_equal(aml_scan(&a).s3, SW_ACPI_S3_ABSENT);

        /* Scope (\) inside Scope (_SB) is the root again. */
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0x10, -1);
        aml_open(&a);
        aml_seg(&a, "_SB_");
        aml_emit(&a, 0x10, -1);
        aml_open(&a);
        aml_emit(&a, 0x5c, 0x00, -1);
        aml_sleep_name(&a, false, "_S3_", 1, 1);
        aml_close(&a);
        aml_close(&a);
        assert_int_equal(aml_scan(&a).s3, SW_ACPI_S3_DECLARED);

        /* Method (_S3_) at root is an object \_S3_ too; Alias as well. */
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0x14, -1);
        aml_open(&a);
        aml_seg(&a, "_S3_");
        aml_emit(&a, 0x00, 0xa4, 0x00, -1);
        aml_close(&a);
        assert_int_equal(aml_scan(&a).s3, SW_ACPI_S3_DECLARED);
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0x06, -1);
        aml_seg(&a, "XS3_");
        aml_emit(&a, 0x5c, -1);
        aml_seg(&a, "_S3_");
        assert_int_equal(aml_scan(&a).s3, SW_ACPI_S3_DECLARED);
}

/* Declarations the walk cannot vouch for: UNSURE, never DECLARED. */
static void test_aml_unsure(void **state)
{
        struct aml_buf a;

        /* If (SS3) { Name (_S3_, ...) }, as on many laptops. */
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0xa0, -1);
        aml_open(&a);
        aml_seg(&a, "SS3_");
        aml_sleep_name(&a, false, "_S3_", 5, 5);
        aml_close(&a);
        assert_int_equal(aml_scan(&a).s3, SW_ACPI_S3_UNSURE);

        /* Name (\_S3_) run by a Method; a plain _S3_ there is the method's
         * own local object. */
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0x14, -1);
        aml_open(&a);
        aml_seg(&a, "_INI");
        aml_emit(&a, 0x00, -1);
        aml_sleep_name(&a, false, "_S3_", 5, 5);
        aml_close(&a);
        assert_int_equal(aml_scan(&a).s3, SW_ACPI_S3_ABSENT);
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0x14, -1);
        aml_open(&a);
        aml_seg(&a, "_INI");
        aml_emit(&a, 0x00, -1);
        aml_sleep_name(&a, true, "_S3_", 5, 5);
        aml_close(&a);
        assert_int_equal(aml_scan(&a).s3, SW_ACPI_S3_UNSURE);

        /* An opcode the walk does not know (Store (One, Local0)) ends the
         * walk; the declaration after it is only found by search. */
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0x70, 0x01, 0x60, -1);
        aml_sleep_name(&a, false, "_S3_", 1, 1);
        assert_int_equal(aml_scan(&a).s3, SW_ACPI_S3_UNSURE);

        /* A Name whose data the walk cannot skip. */
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0x08, -1);
        aml_seg(&a, "_S3_");
        aml_emit(&a, 0x7d, -1);
        assert_int_equal(aml_scan(&a).s3, SW_ACPI_S3_UNSURE);

        /* Merging: UNSURE does not lower DECLARED, DECLARED raises it. */
        {
                struct sw_acpi_sleep sl = { .s3 = SW_ACPI_S3_DECLARED };

                sw_acpi_aml_sleep(a.b, a.n, &sl);
                assert_int_equal(sl.s3, SW_ACPI_S3_DECLARED);
        }
}

static void test_aml_s0_values(void **state)
{
        struct aml_buf a;
        struct sw_acpi_sleep sl;

        memset(&a, 0, sizeof(a));
        aml_sleep_name(&a, true, "_S0_", 5, 6);
        sl = aml_scan(&a);
        assert_true(sl.s0_found);
        assert_int_equal(sl.s0_typ_a, 5);
        assert_int_equal(sl.s0_typ_b, 6);
        assert_int_equal(sl.s3, SW_ACPI_S3_ABSENT);

        /* A value the 3-bit field cannot hold is not used. */
        memset(&a, 0, sizeof(a));
        aml_sleep_name(&a, false, "_S0_", 9, 0);
        sl = aml_scan(&a);
        assert_false(sl.s0_found);
        assert_int_equal(sl.s0_typ_a, 0);

        /* One element: ACPICA takes a from bits 0-7, b from bits 8-15. */
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0x08, -1);
        aml_seg(&a, "_S0_");
        aml_emit(&a, 0x12, 0x05, 0x01, 0x0b, 0x03, 0x02, -1);
        sl = aml_scan(&a);
        assert_true(sl.s0_found);
        assert_int_equal(sl.s0_typ_a, 3);
        assert_int_equal(sl.s0_typ_b, 2);

        /* An _S0_ inside a Device is not \_S0_; the first \_S0_ wins. */
        memset(&a, 0, sizeof(a));
        aml_emit(&a, 0x5b, 0x82, -1);
        aml_open(&a);
        aml_seg(&a, "DEV0");
        aml_sleep_name(&a, false, "_S0_", 7, 7);
        aml_close(&a);
        aml_sleep_name(&a, false, "_S0_", 1, 2);
        aml_sleep_name(&a, false, "_S0_", 3, 4);
        sl = aml_scan(&a);
        assert_int_equal(sl.s0_typ_a, 1);
        assert_int_equal(sl.s0_typ_b, 2);
}

/* Malformed names and lengths end the walk without reading past the end. */
static void test_aml_malformed(void **state)
{
        static const uint8_t cases[][8] = {
                { 0x08, 0x5f, 0x53, 0x33 },                     /* short NameSeg */
                { 0x08, 0x2f, 0x00 },                           /* MultiName of 0 */
                { 0x08, 0x2f, 0x09, 0x5f, 0x53, 0x33, 0x5f },   /* 9 segments, 1 there */
                { 0x08, 0x31, 0x53, 0x33, 0x5f, 0x00 },         /* digit leads a segment */
                { 0x10, 0xff, 0xff, 0xff, 0xff },               /* PkgLength too long */
                { 0x10, 0x70, 0x00 },                           /* bits 4-5 set with follow */
                { 0x10, 0x00, 0x5c, 0x00 },                     /* PkgLength below itself */
                { 0x5b },                                       /* ExtOp at the end */
                { 0x12, 0x3f },                                 /* bare package at root */
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                for (size_t n = 0; n <= sizeof(cases[i]); n++) {
                        struct sw_acpi_sleep sl;
                        uint8_t *copy = malloc(n ? n : 1);

                        assert_non_null(copy);
                        memcpy(copy, cases[i], n);
                        memset(&sl, 0, sizeof(sl));
                        sw_acpi_aml_sleep(copy, n, &sl);
                        assert_int_not_equal(sl.s3, SW_ACPI_S3_DECLARED);
                        assert_false(sl.s0_found);
                        free(copy);
                }
        }
}

/*
 * What iasl 20200925 makes of a laptop-style DSDT (the form s2idle laptops
 * use, where a setup option in NVS decides whether S3 exists):
 *
 * DefinitionBlock ("", "DSDT", 2, "LENOVO", "TP-R1XX ", 0x00001100)
 * {
 *   External (_SB_.PCI0.GFX0, DeviceObj)
 *   OperationRegion (GNVS, SystemMemory, 0x7FFF1000, 0x0200)
 *   Field (GNVS, AnyAcc, Lock, Preserve) { OSYS, 16, SS3, 8, SS4, 8 }
 *   Name (SS1, Zero)
 *   Name (_S0, Package (0x04) { Zero, Zero, Zero, Zero })
 *   If (SS3) { Name (_S3, Package (0x04) { 0x05, Zero, Zero, Zero }) }
 *   Name (_S5, Package (0x04) { 0x07, Zero, Zero, Zero })
 *   Method (PTS, 1, NotSerialized) { If (Arg0) { } }
 *   Scope (_SB) { Device (LID0) { Name (_HID, EisaId ("PNP0C0D")) } }
 * }
 */
static void test_aml_iasl_laptop(void **state)
{
        static const uint8_t dsdt[] = {
                0x44, 0x53, 0x44, 0x54, 0xb2, 0x00, 0x00, 0x00, 0x02, 0xe2, 0x4c, 0x45,
                0x4e, 0x4f, 0x56, 0x4f, 0x54, 0x50, 0x2d, 0x52, 0x31, 0x58, 0x58, 0x20,
                0x00, 0x11, 0x00, 0x00, 0x49, 0x4e, 0x54, 0x4c, 0x25, 0x09, 0x20, 0x20,
                0xa0, 0x14, 0x00, 0x15, 0x5c, 0x2f, 0x03, 0x5f, 0x53, 0x42, 0x5f, 0x50,
                0x43, 0x49, 0x30, 0x47, 0x46, 0x58, 0x30, 0x06, 0x00, 0x5b, 0x80, 0x47,
                0x4e, 0x56, 0x53, 0x00, 0x0c, 0x00, 0x10, 0xff, 0x7f, 0x0b, 0x00, 0x02,
                0x5b, 0x81, 0x15, 0x47, 0x4e, 0x56, 0x53, 0x10, 0x4f, 0x53, 0x59, 0x53,
                0x10, 0x53, 0x53, 0x33, 0x5f, 0x08, 0x53, 0x53, 0x34, 0x5f, 0x08, 0x08,
                0x53, 0x53, 0x31, 0x5f, 0x00, 0x08, 0x5f, 0x53, 0x30, 0x5f, 0x12, 0x06,
                0x04, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x12, 0x53, 0x53, 0x33, 0x5f, 0x08,
                0x5f, 0x53, 0x33, 0x5f, 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00,
                0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x07, 0x04, 0x0a, 0x07, 0x00, 0x00,
                0x00, 0x14, 0x09, 0x50, 0x54, 0x53, 0x5f, 0x01, 0xa0, 0x02, 0x68, 0x10,
                0x16, 0x5f, 0x53, 0x42, 0x5f, 0x5b, 0x82, 0x0f, 0x4c, 0x49, 0x44, 0x30,
                0x08, 0x5f, 0x48, 0x49, 0x44, 0x0c, 0x41, 0xd0, 0x0c, 0x0d,
        };
        struct sw_acpi_sleep sl;

        assert_int_equal(sizeof(dsdt), 178);
        assert_true(sw_acpi_sum_ok(dsdt, sizeof(dsdt)));
        memset(&sl, 0, sizeof(sl));
        sw_acpi_aml_sleep(dsdt + 36, sizeof(dsdt) - 36, &sl);
        assert_int_equal(sl.s3, SW_ACPI_S3_UNSURE);
        assert_true(sl.s0_found);
        assert_int_equal(sl.s0_typ_a, 0);
        assert_int_equal(sl.s0_typ_b, 0);
}

/* Writes a definition block (signature sig, body a) at addr. */
static void put_aml_table(uint64_t addr, const char *sig, const struct aml_buf *a)
{
        uint8_t *t = phys(addr, 36 + a->n);

        memcpy(t, sig, 4);
        wr32(addr + 4, (uint32_t)(36 + a->n));
        t[8] = 2;
        memcpy(t + 10, "BOCHS BXPC    ", 14);
        memcpy(t + 36, a->b, a->n);
        fix_table_sum(addr);
}

static int find_sleep(const struct sw_acpi_fw *fw, struct sw_acpi_sleep *sl)
{
        reset_diag();
        return sw_acpi_find_sleep(fake_read, windows, fw, sl, &diag);
}

/* The fixture with a DSDT written where the FADT says, and an SSDT put in
 * the XSDT's place of the WAET (entry 4). */
static void test_find_sleep_q35(void **state)
{
        const uint64_t ssdt = SPARE + 0x1000;
        struct sw_acpi_fw fw;
        struct sw_acpi_sleep sl;
        struct aml_buf a;
        size_t s3_end;

        assert_int_equal(scan(RSDP2, &fw), 0);
        /* No DSDT there: one warning, and nothing found. */
        assert_int_equal(find_sleep(&fw, &sl), 0);
        assert_int_equal(cap.count, 1);
        assert_int_equal(cap.sev, SW_WARN);
        assert_string_equal(cap.last, "ACPI: DSDT at 0x1f779000: bad signature \"????\"; "
                            "not searched for \\_S3");
        assert_int_equal(sl.s3, SW_ACPI_S3_ABSENT);

        aml_q35_like(&a, true, &s3_end);
        put_aml_table(DSDT, "DSDT", &a);
        assert_int_equal(find_sleep(&fw, &sl), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(sl.s3, SW_ACPI_S3_DECLARED);
        assert_int_equal(sl.s3_table, DSDT);
        assert_true(sl.s0_found);

        /* disable_s3=1: the DSDT has none, and neither has an SSDT. */
        aml_q35_like(&a, false, &s3_end);
        put_aml_table(DSDT, "DSDT", &a);
        memset(&a, 0, sizeof(a));
        aml_sleep_name(&a, false, "_S4_", 2, 2);
        put_aml_table(ssdt, "SSDT", &a);
        wr64(XSDT + 36 + 4 * 8, ssdt);
        fix_table_sum(XSDT);
        assert_int_equal(find_sleep(&fw, &sl), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(sl.s3, SW_ACPI_S3_ABSENT);
        assert_int_equal(sl.s3_table, 0);

        /* An SSDT that declares it is found, and named. */
        memset(&a, 0, sizeof(a));
        aml_sleep_name(&a, true, "_S3_", 1, 1);
        put_aml_table(ssdt, "SSDT", &a);
        assert_int_equal(find_sleep(&fw, &sl), 0);
        assert_int_equal(sl.s3, SW_ACPI_S3_DECLARED);
        assert_int_equal(sl.s3_table, ssdt);

        /* A bad checksum does not hide it: Linux loads such tables. */
        phys(ssdt, 10)[9] ^= 1;
        assert_int_equal(find_sleep(&fw, &sl), 0);
        assert_int_equal(sl.s3, SW_ACPI_S3_DECLARED);

        /* X_DSDT wins over DSDT when set. */
        memset(&a, 0, sizeof(a));
        aml_sleep_name(&a, false, "_S0_", 4, 4);
        put_aml_table(SPARE, "DSDT", &a);
        wr64(FADT + 140, SPARE);
        fix_table_sum(FADT);
        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(find_sleep(&fw, &sl), 0);
        assert_int_equal(sl.s0_typ_a, 4);

        /* Put the fixture back. */
        wr64(FADT + 140, DSDT);
        fix_table_sum(FADT);
        wr64(XSDT + 36 + 4 * 8, 0x1f774000ULL);
        fix_table_sum(XSDT);
        memset(phys(DSDT, 0x1000), 0, 0x1000);
        expect_scan_ok();
}

/* The SSDT's exact bytes: header fields, checksum, and the AML of
 * Name (\_S3_, Package (0x04) { a, b, Zero, Zero }). */
static void check_s3_ssdt(const uint8_t *t, const char *oemid, const uint8_t *aml, size_t aml_len)
{
        uint32_t len;
        struct sw_acpi_sleep sl;

        memcpy(&len, t + 4, 4);
        assert_int_equal(len, 36 + aml_len);
        assert_memory_equal(t, "SSDT", 4);
        assert_int_equal(t[8], 2);
        assert_true(sw_acpi_sum_ok(t, len));
        assert_memory_equal(t + 10, oemid, 6);
        assert_memory_equal(t + 16, "SWITCHS3", 8);
        assert_memory_equal(t + 24, "\x01\0\0\0SWCH\x01\0\0\0", 12);
        assert_memory_equal(t + 36, aml, aml_len);
        /* And the walk reads it back as a certain \_S3_. */
        memset(&sl, 0, sizeof(sl));
        sw_acpi_aml_sleep(t + 36, len - 36, &sl);
        assert_int_equal(sl.s3, SW_ACPI_S3_DECLARED);
}

static void test_build_s3_ssdt(void **state)
{
        static const uint8_t zeros[] = { 0x08, 0x5c, '_', 'S', '3', '_',
                                         0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 };
        static const uint8_t one_zero[] = { 0x08, 0x5c, '_', 'S', '3', '_',
                                            0x12, 0x06, 0x04, 0x01, 0x00, 0x00, 0x00 };
        static const uint8_t fives[] = { 0x08, 0x5c, '_', 'S', '3', '_',
                                         0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
        struct sw_acpi_sleep sl = { .s0_found = true, .s0_typ_a = 5, .s0_typ_b = 5 };
        uint8_t t[64];

        /* No \_S0_ known: SLP_TYP 0. */
        memset(t, 0xaa, sizeof(t));
        assert_int_equal(sw_acpi_build_s3_ssdt(t, sizeof(t), "BOCHS ", NULL), 36 + 13);
        check_s3_ssdt(t, "BOCHS ", zeros, sizeof(zeros));
        assert_int_equal(t[49], 0xaa);

        assert_int_equal(sw_acpi_build_s3_ssdt(t, sizeof(t), "OEMID6", &sl), 36 + 15);
        check_s3_ssdt(t, "OEMID6", fives, sizeof(fives));
        assert_true(36 + sizeof(fives) <= SW_ACPI_S3_SSDT_MAX);

        sl.s0_typ_a = 1;
        sl.s0_typ_b = 0;
        assert_int_equal(sw_acpi_build_s3_ssdt(t, sizeof(t), "BOCHS ", &sl), 36 + 13);
        check_s3_ssdt(t, "BOCHS ", one_zero, sizeof(one_zero));

        /* Values the field cannot hold, or not marked found, give 0. */
        sl.s0_typ_a = 8;
        assert_int_equal(sw_acpi_build_s3_ssdt(t, sizeof(t), "BOCHS ", &sl), 36 + 13);
        check_s3_ssdt(t, "BOCHS ", zeros, sizeof(zeros));
        sl = (struct sw_acpi_sleep){ .s0_found = false, .s0_typ_a = 5, .s0_typ_b = 5 };
        assert_int_equal(sw_acpi_build_s3_ssdt(t, sizeof(t), "BOCHS ", &sl), 36 + 13);
        check_s3_ssdt(t, "BOCHS ", zeros, sizeof(zeros));

        /* Too small: refused, nothing written. */
        memset(t, 0xaa, sizeof(t));
        assert_int_equal(sw_acpi_build_s3_ssdt(t, 48, "BOCHS ", NULL), SW_ACPI_ERR_SPACE);
        for (size_t i = 0; i < sizeof(t); i++)
                assert_int_equal(t[i], 0xaa);
}

/* One root copy with the SSDT: the firmware's entries (FADT replaced), then
 * one more naming the SSDT copy. */
static void check_root_copy_s3(uint64_t fw_root, uint64_t copy, unsigned esize,
                               uint64_t fadt_copy, uint64_t ssdt_copy)
{
        uint32_t len = rd32(fw_root + 4);
        const uint8_t *a = phys(fw_root, len), *b = phys(copy, len + esize);
        uint64_t last = 0;

        assert_int_equal(rd32(copy + 4), len + esize);
        assert_true(sw_acpi_sum_ok(b, len + esize));
        assert_memory_equal(a, b, 4);
        assert_memory_equal(a + 8, b + 8, 1);
        assert_memory_equal(a + 10, b + 10, 26);
        for (unsigned i = 0; i < (len - 36) / esize; i++) {
                uint64_t ea = 0, eb = 0;

                memcpy(&ea, a + 36 + i * esize, esize);
                memcpy(&eb, b + 36 + i * esize, esize);
                assert_int_equal(eb, ea == FADT ? fadt_copy : ea);
        }
        memcpy(&last, b + len, esize);
        assert_int_equal(last, ssdt_copy);
}

static void test_copy_with_s3_ssdt(void **state)
{
        static const uint8_t aml[] = { 0x08, 0x5c, '_', 'S', '3', '_',
                                       0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 };
        struct sw_acpi_fw fw, again;
        struct sw_acpi_sleep sl, found;
        const struct sw_acpi_copy_opts s3_opts = { .add_s3 = &sl };
        struct aml_buf a;
        uint64_t rsdp_copy, facs_copy;
        uint8_t *dst = phys(COPY_AT, SW_ACPI_COPY_SIZE);
        size_t s3_end;
        /* 48 RSDP, XSDT 92 -> 144, RSDT 64 -> 208, FADT 244 -> 512 (64),
         * FACS 64 -> 576, SSDT 49 -> 625. */
        const uint64_t xsdt_c = COPY_AT + 48, rsdt_c = COPY_AT + 144, fadt_c = COPY_AT + 208;
        const uint64_t facs_c = COPY_AT + 512, ssdt_c = COPY_AT + 576;

        /* The firmware as QEMU's disable_s3=1 makes it. */
        aml_q35_like(&a, false, &s3_end);
        put_aml_table(DSDT, "DSDT", &a);
        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(find_sleep(&fw, &sl), 0);
        assert_int_equal(sl.s3, SW_ACPI_S3_ABSENT);

        memset(dst, 0xaa, SW_ACPI_COPY_SIZE);
        reset_diag();
        assert_int_equal(sw_acpi_make_copy(fake_read, windows, &fw, &s3_opts, dst, COPY_AT,
                                           SW_ACPI_COPY_SIZE, &rsdp_copy, &facs_copy, NULL, &diag), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(rsdp_copy, COPY_AT);
        assert_int_equal(facs_copy, facs_c);
        assert_int_equal(rd64(COPY_AT + 24), xsdt_c);
        assert_int_equal(rd32(COPY_AT + 16), rsdt_c);
        assert_true(sw_acpi_sum_ok(dst, 36));
        check_root_copy_s3(XSDT, xsdt_c, 8, fadt_c, ssdt_c);
        check_root_copy_s3(RSDT2, rsdt_c, 4, fadt_c, ssdt_c);
        /* The RSDP's OEMID, q35's \_S0_ SLP_TYP (0). */
        check_s3_ssdt(phys(ssdt_c, 49), "BOCHS ", aml, sizeof(aml));
        for (size_t i = 576 + 49; i < SW_ACPI_COPY_SIZE; i++)
                assert_int_equal(dst[i], 0);

        /* A guest walking the copy finds the same tables, and now \_S3_. */
        assert_int_equal(scan(rsdp_copy, &again), 0);
        assert_int_equal(again.xsdt_len, 92);
        assert_int_equal(again.rsdt_len, 64);
        assert_int_equal(again.fadt, fadt_c);
        assert_int_equal(again.facs, facs_c);
        assert_int_equal(find_sleep(&again, &found), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(found.s3, SW_ACPI_S3_DECLARED);
        assert_int_equal(found.s3_table, ssdt_c);

        /* The ACPI 1.0 RSDP: the RSDT copy alone lists it. */
        assert_int_equal(scan(RSDP1, &fw), 0);
        reset_diag();
        assert_int_equal(sw_acpi_make_copy(fake_read, windows, &fw, &s3_opts, dst, COPY_AT,
                                           SW_ACPI_COPY_SIZE, &rsdp_copy, &facs_copy, NULL, &diag), 0);
        /* 48 RSDP, RSDT 64 -> 112, FADT 244 -> 384, FACS -> 448, SSDT. */
        check_root_copy_s3(RSDT1, COPY_AT + 48, 4, COPY_AT + 112, COPY_AT + 448);
        assert_int_equal(facs_copy, COPY_AT + 384);
        check_s3_ssdt(phys(COPY_AT + 448, 49), "BOCHS ", aml, sizeof(aml));
        assert_int_equal(scan(rsdp_copy, &again), 0);
        assert_int_equal(find_sleep(&again, &found), 0);
        assert_int_equal(found.s3, SW_ACPI_S3_DECLARED);

        memset(phys(DSDT, 0x1000), 0, 0x1000);
}

/* 446 XSDT entries fill the page exactly (4096 bytes); the SSDT and the
 * two root entries for it (4145) no longer fit, and nothing is written. */
static void test_copy_s3_no_space(void **state)
{
        const unsigned n = 446;
        const uint32_t len = 36 + n * 8;
        struct sw_acpi_fw fw;
        struct sw_acpi_sleep sl = { .s3 = SW_ACPI_S3_ABSENT };
        uint64_t rsdp_copy, facs_copy;

        memcpy(phys(SPARE, 36), phys(XSDT, 36), 36);
        wr32(SPARE + 4, len);
        memcpy(phys(SPARE + 36, 48), phys(XSDT + 36, 48), 48);
        for (unsigned i = 6; i < n; i++)
                wr64(SPARE + 36 + i * 8, APIC);
        fix_table_sum(SPARE);
        wr64(RSDP2 + 24, SPARE);
        fix_rsdp_sums(RSDP2);
        assert_int_equal(scan(RSDP2, &fw), 0);

        reset_diag();
        assert_int_equal(sw_acpi_make_copy(fake_read, windows, &fw, NULL, phys(COPY_AT, 4096),
                                           COPY_AT, SW_ACPI_COPY_SIZE, &rsdp_copy, &facs_copy,
                                           NULL, &diag), 0);
        assert_int_equal(facs_copy + 64, COPY_AT + SW_ACPI_COPY_SIZE);
        expect_copy_error_s3(&fw, &sl, COPY_AT, SW_ACPI_COPY_SIZE, SW_ACPI_ERR_SPACE,
                             "ACPI: copy at 0x9f000: the tables and the \\_S3 SSDT need "
                             "4145 bytes, the destination has 4096");

        wr64(RSDP2 + 24, XSDT);
        fix_rsdp_sums(RSDP2);
        expect_scan_ok();
}

/* ------------------------------------------------------------------------ */
/* DMAR hidden from slots whose kernel uses the tboot hand-off. */

#define XSDT_D SPARE
#define RSDT_D (SPARE + 0x100)
#define DMAR_AT (SPARE + 0x800)
/* An address no window maps. */
#define NOWHERE 0x7f000000ULL

/*
 * The q35 tables as an Intel machine with VT-d would list them: a DMAR
 * table (48 bytes: the header, host address width, flags, reserved) first in
 * a new XSDT and last in a new RSDT, so both ends of an entry list are
 * covered.  Without it, the roots are byte for byte q35's but for length
 * and checksum.  The revision 2 RSDP names them.
 */
static void add_dmar(void)
{
        uint32_t xlen = rd32(XSDT + 4), rlen = rd32(RSDT2 + 4);

        memcpy(phys(DMAR_AT, 4), "DMAR", 4);
        wr32(DMAR_AT + 4, 48);
        phys(DMAR_AT + 36, 1)[0] = 38;  /* host address width - 1 */
        fix_table_sum(DMAR_AT);

        memcpy(phys(XSDT_D, 36), phys(XSDT, 36), 36);
        wr32(XSDT_D + 4, xlen + 8);
        wr64(XSDT_D + 36, DMAR_AT);
        memcpy(phys(XSDT_D + 44, xlen - 36), phys(XSDT + 36, xlen - 36), xlen - 36);
        fix_table_sum(XSDT_D);

        memcpy(phys(RSDT_D, rlen), phys(RSDT2, rlen), rlen);
        wr32(RSDT_D + 4, rlen + 4);
        wr32(RSDT_D + rlen, (uint32_t)DMAR_AT);
        fix_table_sum(RSDT_D);

        wr32(RSDP2 + 16, (uint32_t)RSDT_D);
        wr64(RSDP2 + 24, XSDT_D);
        fix_rsdp_sums(RSDP2);
}

/* Back to q35's roots (the spare window is cleared by the teardown). */
static void drop_dmar(void)
{
        wr32(RSDP2 + 16, (uint32_t)RSDT2);
        wr64(RSDP2 + 24, XSDT);
        fix_rsdp_sums(RSDP2);
        expect_scan_ok();
}

static int copy_with(const struct sw_acpi_fw *fw, const struct sw_acpi_copy_opts *opts,
                     uint64_t *rsdp_copy, uint64_t *facs_copy, unsigned *hidden)
{
        uint8_t *dst = phys(COPY_AT, SW_ACPI_COPY_SIZE);

        /* Stale bytes in the page must not survive. */
        memset(dst, 0xaa, SW_ACPI_COPY_SIZE);
        reset_diag();
        return sw_acpi_make_copy(fake_read, windows, fw, opts, dst, COPY_AT, SW_ACPI_COPY_SIZE,
                                 rsdp_copy, facs_copy, hidden, &diag);
}

static void test_copy_hides_dmar(void **state)
{
        const struct sw_acpi_copy_opts hide = { .flags = SW_ACPI_COPY_HIDE_DMAR };
        const struct sw_acpi_copy_opts keep = { .flags = 0 };
        struct sw_acpi_fw fw, q35, again;
        struct layout l;
        uint64_t rsdp_copy, facs_copy;
        unsigned hidden = 7;
        const uint8_t *dst = phys(COPY_AT, SW_ACPI_COPY_SIZE);

        add_dmar();
        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(fw.xsdt_len, 36 + 7 * 8);
        assert_int_equal(fw.rsdt_len, 36 + 7 * 4);
        /* Hidden, the copies are laid out as for q35's own roots. */
        q35 = fw;
        q35.xsdt_len -= 8;
        q35.rsdt_len -= 4;
        l = layout_of(&q35);

        assert_int_equal(copy_with(&fw, &hide, &rsdp_copy, &facs_copy, &hidden), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(hidden, 2);
        assert_int_equal(rsdp_copy, COPY_AT);
        assert_int_equal(rd64(COPY_AT + 24), COPY_AT + l.xsdt);
        assert_int_equal(rd32(COPY_AT + 16), COPY_AT + l.rsdt);
        assert_true(sw_acpi_sum_ok(dst, 20));
        assert_true(sw_acpi_sum_ok(dst, 36));
        /* Length 84 and 60, checksums, q35's entries in q35's order, the
         * FADT's naming the copy. */
        assert_int_equal(rd32(COPY_AT + l.xsdt + 4), 84);
        assert_int_equal(rd32(COPY_AT + l.rsdt + 4), 60);
        check_root_copy(XSDT, COPY_AT + l.xsdt, 8, COPY_AT + l.fadt);
        check_root_copy(RSDT2, COPY_AT + l.rsdt, 4, COPY_AT + l.fadt);
        /* The FADT copy is still patched; nothing after the FACS. */
        assert_true(sw_acpi_sum_ok(phys(COPY_AT + l.fadt, 244), 244));
        assert_int_equal(facs_copy, COPY_AT + l.facs);
        assert_int_equal(rd32(COPY_AT + l.fadt + 36), facs_copy);
        assert_int_equal(rd64(COPY_AT + l.fadt + 132), facs_copy);
        for (size_t i = l.end; i < SW_ACPI_COPY_SIZE; i++)
                assert_int_equal(dst[i], 0);
        /* A guest's walk finds a sound table set without DMAR. */
        assert_int_equal(scan(rsdp_copy, &again), 0);
        assert_int_equal(again.xsdt_len, 84);
        assert_int_equal(again.rsdt_len, 60);
        assert_int_equal(again.fadt, COPY_AT + l.fadt);
        assert_int_equal(again.facs, facs_copy);

        /* Without the flag (or without options) DMAR stays where it was. */
        l = layout_of(&fw);
        hidden = 7;
        assert_int_equal(copy_with(&fw, &keep, &rsdp_copy, &facs_copy, &hidden), 0);
        assert_int_equal(hidden, 0);
        check_root_copy(XSDT_D, COPY_AT + l.xsdt, 8, COPY_AT + l.fadt);
        check_root_copy(RSDT_D, COPY_AT + l.rsdt, 4, COPY_AT + l.fadt);
        assert_int_equal(rd64(COPY_AT + l.xsdt + 36), DMAR_AT);
        assert_int_equal(rd32(COPY_AT + l.rsdt + 60), DMAR_AT);
        assert_int_equal(copy_with(&fw, NULL, &rsdp_copy, &facs_copy, NULL), 0);
        check_root_copy(XSDT_D, COPY_AT + l.xsdt, 8, COPY_AT + l.fadt);
        check_root_copy(RSDT_D, COPY_AT + l.rsdt, 4, COPY_AT + l.fadt);

        /* The ACPI 1.0 RSDP's RSDT alone: one entry hidden. */
        wr32(RSDP1 + 16, (uint32_t)RSDT_D);
        phys(RSDP1, 9)[8] = 0;
        phys(RSDP1, 9)[8] = sw_acpi_checksum(phys(RSDP1, 20), 20);
        assert_int_equal(scan(RSDP1, &fw), 0);
        assert_int_equal(copy_with(&fw, &hide, &rsdp_copy, &facs_copy, &hidden), 0);
        assert_int_equal(hidden, 1);
        /* 48 RSDP, RSDT 60 -> 112, FADT. */
        check_root_copy(RSDT1, COPY_AT + 48, 4, COPY_AT + 112);
        assert_int_equal(scan(rsdp_copy, &again), 0);
        assert_int_equal(again.rsdt_len, 60);
        wr32(RSDP1 + 16, (uint32_t)RSDT1);
        phys(RSDP1, 9)[8] = 0;
        phys(RSDP1, 9)[8] = sw_acpi_checksum(phys(RSDP1, 20), 20);

        drop_dmar();
}

/* Hiding DMAR and adding the \_S3 SSDT: each root loses one entry and gains
 * one, so the layout is test_copy_with_s3_ssdt's. */
static void test_copy_hides_dmar_with_s3(void **state)
{
        const struct sw_acpi_sleep sl = { .s3 = SW_ACPI_S3_ABSENT };
        const struct sw_acpi_copy_opts opts = { .add_s3 = &sl, .flags = SW_ACPI_COPY_HIDE_DMAR };
        struct sw_acpi_fw fw, again;
        struct sw_acpi_sleep found;
        uint64_t rsdp_copy, facs_copy;
        unsigned hidden;
        const uint64_t xsdt_c = COPY_AT + 48, rsdt_c = COPY_AT + 144, fadt_c = COPY_AT + 208;
        const uint64_t facs_c = COPY_AT + 512, ssdt_c = COPY_AT + 576;

        add_dmar();
        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(copy_with(&fw, &opts, &rsdp_copy, &facs_copy, &hidden), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(hidden, 2);
        assert_int_equal(facs_copy, facs_c);
        check_root_copy_s3(XSDT, xsdt_c, 8, fadt_c, ssdt_c);
        check_root_copy_s3(RSDT2, rsdt_c, 4, fadt_c, ssdt_c);
        assert_int_equal(scan(rsdp_copy, &again), 0);
        assert_int_equal(again.xsdt_len, 92);
        assert_int_equal(again.rsdt_len, 64);
        assert_int_equal(find_sleep(&again, &found), 0);
        assert_int_equal(found.s3, SW_ACPI_S3_DECLARED);
        assert_int_equal(found.s3_table, ssdt_c);
        drop_dmar();
}

/* An entry the reader cannot map, and a null one, are kept as they are,
 * without a message: only an entry that reads "DMAR" is left out.  (The
 * scan refuses unreadable entries, so the root changes after it.) */
static void test_copy_hide_dmar_keeps_unreadable(void **state)
{
        const struct sw_acpi_copy_opts hide = { .flags = SW_ACPI_COPY_HIDE_DMAR };
        struct sw_acpi_fw fw;
        struct layout l;
        uint64_t rsdp_copy, facs_copy;
        unsigned hidden;

        add_dmar();
        assert_int_equal(scan(RSDP2, &fw), 0);
        fw.rsdt_len -= 4;
        l = layout_of(&fw);
        fw.rsdt_len += 4;

        wr64(XSDT_D + 36, NOWHERE);
        fix_table_sum(XSDT_D);
        assert_int_equal(copy_with(&fw, &hide, &rsdp_copy, &facs_copy, &hidden), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(hidden, 1);
        assert_int_equal(rd32(COPY_AT + l.xsdt + 4), 92);
        check_root_copy(XSDT_D, COPY_AT + l.xsdt, 8, COPY_AT + l.fadt);
        assert_int_equal(rd64(COPY_AT + l.xsdt + 36), NOWHERE);
        check_root_copy(RSDT2, COPY_AT + l.rsdt, 4, COPY_AT + l.fadt);

        wr64(XSDT_D + 36, 0);
        fix_table_sum(XSDT_D);
        assert_int_equal(copy_with(&fw, &hide, &rsdp_copy, &facs_copy, &hidden), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(hidden, 1);
        check_root_copy(XSDT_D, COPY_AT + l.xsdt, 8, COPY_AT + l.fadt);
        assert_int_equal(rd64(COPY_AT + l.xsdt + 36), 0);

        /* A table whose signature only starts like DMAR stays too. */
        wr64(XSDT_D + 36, DMAR_AT);
        fix_table_sum(XSDT_D);
        memcpy(phys(DMAR_AT, 4), "DMAX", 4);
        assert_int_equal(copy_with(&fw, &hide, &rsdp_copy, &facs_copy, &hidden), 0);
        assert_int_equal(hidden, 0);
        assert_int_equal(rd64(COPY_AT + l.xsdt + 36), DMAR_AT);

        drop_dmar();
}

/* The checks make_copy and find_sleep make on what they are handed. */
static void test_find_sleep_errors(void **state)
{
        struct sw_acpi_fw fw, bad;
        struct sw_acpi_sleep sl;

        assert_int_equal(scan(RSDP2, &fw), 0);
        bad = fw;
        bad.fadt_len = 200;
        assert_int_equal(find_sleep(&bad, &sl), SW_ACPI_ERR_FADT);
        assert_int_equal(cap.count, 1);
        assert_string_equal(cap.last, "ACPI: FADT at 0x1f778000: not the table the scan found "
                            "(length 200 expected)");
        bad = fw;
        bad.xsdt_len = 92;
        assert_int_equal(find_sleep(&bad, &sl), SW_ACPI_ERR_ROOT);
        assert_string_equal(cap.last, "ACPI: XSDT at 0x1f77c0e8: not the table the scan found "
                            "(length 92 expected)");

        /* Unreadable and oversized definition blocks are warnings. */
        wr32(FADT + 40, 0x1f7e0000);
        wr64(FADT + 140, 0);
        fix_table_sum(FADT);
        assert_int_equal(scan(RSDP2, &fw), 0);
        assert_int_equal(find_sleep(&fw, &sl), 0);
        assert_int_equal(cap.count, 1);
        assert_int_equal(cap.sev, SW_WARN);
        assert_string_equal(cap.last, "ACPI: DSDT at 0x1f7e0000: cannot read its header; "
                            "not searched for \\_S3");
        wr32(FADT + 40, (uint32_t)DSDT);
        fix_table_sum(FADT);
        assert_int_equal(scan(RSDP2, &fw), 0);
        memcpy(phys(DSDT, 4), "DSDT", 4);
        wr32(DSDT + 4, 0x20000);
        assert_int_equal(find_sleep(&fw, &sl), 0);
        assert_string_equal(cap.last, "ACPI: DSDT at 0x1f779000: cannot read 131072 bytes; "
                            "not searched for \\_S3");
        wr32(DSDT + 4, 0x7fffffff);
        assert_int_equal(find_sleep(&fw, &sl), 0);
        assert_string_equal(cap.last, "ACPI: DSDT at 0x1f779000: length 2147483647 is outside "
                            "36..4194304; not searched for \\_S3");
        wr32(FADT + 40, 0);
        fix_table_sum(FADT);
        assert_int_equal(find_sleep(&fw, &sl), 0);
        assert_string_equal(cap.last, "ACPI: FADT at 0x1f778000: names no DSDT; "
                            "not searched for \\_S3");
        assert_int_equal(sl.s3, SW_ACPI_S3_ABSENT);

        memset(phys(DSDT, 8), 0, 8);
        wr32(FADT + 40, (uint32_t)DSDT);
        wr64(FADT + 140, DSDT);
        fix_table_sum(FADT);
        expect_scan_ok();
}

#define T(fn) cmocka_unit_test_teardown(fn, check_restored)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_scan_q35),
                T(test_irq_hw_q35),
                T(test_copy_q35),
                T(test_copy_clears_vectors),
                T(test_copy_rsdp_v1),
                T(test_x_firmware_ctrl_preferred),
                T(test_short_fadt),
                T(test_pm1a_from_x_block),
                T(test_rsdp_bad_signature),
                T(test_rsdp_checksum_off_by_one),
                T(test_rsdp_bad_extended_checksum),
                T(test_rsdp_bad_length),
                T(test_rsdp_unreadable),
                T(test_no_root),
                T(test_xsdt_bad_signature),
                T(test_xsdt_length_overflows_reader),
                T(test_xsdt_length_ceiling),
                T(test_xsdt_partial_entry),
                T(test_rsdt_bad_checksum),
                T(test_xsdt_without_fadt),
                T(test_xsdt_entry_unreadable),
                T(test_rsdt_second_fadt),
                T(test_fadt_bad_checksum),
                T(test_fadt_too_short),
                T(test_facs_missing),
                T(test_facs_unreadable),
                T(test_facs_bad_signature),
                T(test_facs_bad_length),
                T(test_huge_xsdt_no_space),
                T(test_copy_misaligned),
                T(test_copy_above_4g),
                T(test_copy_source_changed),
                T(test_set_waking_vector),
                T(test_checksum),
                T(test_strerror),
                T(test_null_diag),
                T(test_aml_q35_like),
                T(test_aml_truncated),
                T(test_aml_scopes),
                T(test_aml_unsure),
                T(test_aml_s0_values),
                T(test_aml_malformed),
                T(test_aml_iasl_laptop),
                T(test_find_sleep_q35),
                T(test_build_s3_ssdt),
                T(test_copy_with_s3_ssdt),
                T(test_copy_s3_no_space),
                T(test_copy_hides_dmar),
                T(test_copy_hides_dmar_with_s3),
                T(test_copy_hide_dmar_keeps_unreadable),
                T(test_find_sleep_errors),
        };

        return cmocka_run_group_tests(tests, group_setup, NULL);
}
