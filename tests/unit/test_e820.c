/* SPDX-License-Identifier: MIT */
/*
 * The e820 builder: on the real OVMF maps with the planner's active region
 * (and on the "final" map, where the switcher's allocations have become
 * reserved memory), every byte of the map must come out once with the
 * right type, usable RAM only inside the active region, sorted and merged;
 * plus splitting, merging, the entry limit and the warning for an active
 * region that is no longer free.
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
#include "util_fixture.h"

#include "e820.h"
#include "plan.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)


static struct sw_memmap map;
static struct sw_plan plan;
static struct sw_e820_entry e820[SW_E820_MAX];

static void load_fixture(const char *name)
{
        load_memmap_fixture(&map, name);
}

static void add(uint32_t type, uint64_t base, uint64_t size)
{
        struct sw_diag d = { 0 };

        assert_int_equal(sw_memmap_add(&map, type, base, size / 4096, 0xf, &d), 0);
}

/* The EFI code claims what the plan chose as EfiReservedMemoryType. */
static void allocate_reserved(uint64_t b, uint64_t size)
{
        memmap_claim(&map, b, size, SW_EFI_RESERVED);
}

static bool in_active(uint64_t a)
{
        for (unsigned i = 0; i < plan.nactive; i++)
                if (a >= plan.active[i].base && a < sw_range_end(&plan.active[i]))
                        return true;
        return false;
}

/* The type a byte at address a of map range r must have in the e820. */
static uint32_t expected_type(const struct sw_mem_range *r, uint64_t a)
{
        switch (sw_mem_class_of(r->efi_type)) {
        case SW_MEM_FREE:
                return in_active(a) ? SW_E820_RAM : SW_E820_RESERVED;
        case SW_MEM_ACPI:
                return SW_E820_ACPI;
        case SW_MEM_NVS:
                return SW_E820_NVS;
        case SW_MEM_UNUSABLE:
                return SW_E820_UNUSABLE;
        case SW_MEM_PMEM:
                return SW_E820_PMEM;
        default:
                return SW_E820_RESERVED;
        }
}

/* The e820 entry holding address a, or -1. */
static int entry_at(int n, uint64_t a)
{
        for (int i = 0; i < n; i++)
                if (a >= e820[i].addr && a - e820[i].addr < e820[i].size)
                        return i;
        return -1;
}

static void check_e820(int n)
{
        uint64_t e820_bytes = 0, map_bytes = 0, ram = 0;

        assert_true(n > 0 && n <= SW_E820_MAX);
        /* Sorted, disjoint, and merged: touching entries differ in type. */
        for (int i = 0; i < n; i++) {
                assert_true(e820[i].size > 0);
                e820_bytes += e820[i].size;
                if (i) {
                        uint64_t pend = e820[i - 1].addr + e820[i - 1].size;

                        assert_true(e820[i].addr >= pend);
                        if (e820[i].addr == pend)
                                assert_int_not_equal(e820[i].type, e820[i - 1].type);
                }
                /* Usable RAM only inside the active region, page by page. */
                if (e820[i].type == SW_E820_RAM)
                        for (uint64_t a = e820[i].addr; a < e820[i].addr + e820[i].size; a += 4096) {
                                assert_true(in_active(a));
                                ram += 4096;
                        }
        }
        /* Every map range is described, with its own type, wherever an
         * active boundary cuts it: checked at each page boundary where the
         * answer can change (both ends of the range and of every active
         * range inside it). */
        for (unsigned i = 0; i < map.n; i++) {
                const struct sw_mem_range *r = &map.r[i];
                uint64_t pts[2 + 2 * SW_ACTIVE_MAX + 2];
                unsigned np = 0;

                map_bytes += r->size;
                pts[np++] = r->base;
                pts[np++] = r->base + r->size - 1;
                for (unsigned k = 0; k < plan.nactive; k++) {
                        uint64_t ab = plan.active[k].base, ae = sw_range_end(&plan.active[k]);

                        if (ab > r->base && ab < r->base + r->size) {
                                pts[np++] = ab - 1;
                                pts[np++] = ab;
                        }
                        if (ae > r->base && ae < r->base + r->size) {
                                pts[np++] = ae - 1;
                                pts[np++] = ae;
                        }
                }
                for (unsigned k = 0; k < np; k++) {
                        int idx = entry_at(n, pts[k]);

                        assert_true(idx >= 0);
                        assert_int_equal(e820[idx].type, expected_type(r, pts[k]));
                }
        }
        /* Nothing invented: the e820 holds exactly the map's bytes (holes
         * such as the legacy VGA window stay holes), and all of the active
         * region is usable. */
        assert_int_equal(e820_bytes, map_bytes);
        assert_int_equal(ram, plan.active_bytes);
}

static const char *const ids[] = { "debian", "i686" };

static void run_fixture(const char *name, uint64_t active_size)
{
        struct sw_plan_request req = { active_size, 2 * MiB, NULL, 0, 2, ids, NULL, NULL, NULL, NULL, NULL, 0 };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        int n, idx;

        load_fixture(name);
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), 2);

        /* The map the plan was made from. */
        n = sw_e820_build(&map, plan.active, plan.nactive, e820, SW_E820_MAX, &d);
        check_e820(n);

        /* The map right before ExitBootServices: the switcher's pieces are
         * reserved memory now, and must be reserved in the e820. */
        allocate_reserved(plan.low_page, 4096);
        allocate_reserved(plan.resident_base, plan.resident_size);
        for (unsigned i = 0; i < plan.nslots; i++)
                allocate_reserved(plan.slots[i].store_base, plan.slots[i].store_size);
        n = sw_e820_build(&map, plan.active, plan.nactive, e820, SW_E820_MAX, &d);
        check_e820(n);
        idx = entry_at(n, plan.low_page);
        assert_true(idx >= 0);
        assert_int_equal(e820[idx].type, SW_E820_RESERVED);
        for (unsigned i = 0; i < plan.nslots; i++) {
                idx = entry_at(n, plan.slots[i].store_base);
                assert_true(idx >= 0);
                assert_int_equal(e820[idx].type, SW_E820_RESERVED);
        }
        /* OVMF's S3 ranges in low RAM keep their type inside the region. */
        idx = entry_at(n, plan.active[0].base);
        assert_int_equal(e820[idx].type, SW_E820_RAM);
        assert_int_equal(cap.n, 0);
}

static void test_fixture_512M(void **state)
{
        (void)state;
        run_fixture("memmap-ovmf-512M.txt", 128 * MiB);
}

static void test_fixture_2G(void **state)
{
        (void)state;
        run_fixture("memmap-ovmf-2G.txt", 512 * MiB);
}

static void test_fixture_6G(void **state)
{
        (void)state;
        run_fixture("memmap-ovmf-6G.txt", 1 * GiB);
}

/* ---- hand-made maps ---- */

static void test_split_and_merge(void **state)
{
        static const struct sw_range active[] = {
                { 5 * MiB, 1 * MiB },   /* not sorted on purpose */
                { 2 * MiB, 1 * MiB },
        };
        static const struct sw_e820_entry want[] = {
                { 0, 0x1000, SW_E820_RESERVED },                /* BS code, outside */
                { 1 * MiB, 1 * MiB, SW_E820_RESERVED },
                { 2 * MiB, 1 * MiB, SW_E820_RAM },              /* loader + conventional */
                { 3 * MiB, 2 * MiB, SW_E820_RESERVED },
                { 5 * MiB, 1 * MiB, SW_E820_RAM },
                { 6 * MiB, 3 * MiB, SW_E820_RESERVED },         /* free + RT data merged */
                { 9 * MiB, 2 * MiB, SW_E820_ACPI },             /* two attrs, one entry */
                { 11 * MiB, 1 * MiB, SW_E820_NVS },
                { 12 * MiB, 1 * MiB, SW_E820_UNUSABLE },
                { 16 * MiB, 1 * MiB, SW_E820_PMEM },            /* after a hole */
                { 17 * MiB, 1 * MiB, SW_E820_RESERVED },        /* unknown type */
        };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        int n;
        (void)state;

        sw_memmap_init(&map);
        add(SW_EFI_BS_CODE, 0, 0x1000);
        add(SW_EFI_CONVENTIONAL, 1 * MiB, 1 * MiB + 512 * 1024);
        add(SW_EFI_LOADER_DATA, 2 * MiB + 512 * 1024, 512 * 1024);
        add(SW_EFI_CONVENTIONAL, 3 * MiB, 5 * MiB);
        add(SW_EFI_RT_DATA, 8 * MiB, 1 * MiB);
        add(SW_EFI_ACPI_RECLAIM, 9 * MiB, 1 * MiB);
        assert_int_equal(sw_memmap_add(&map, SW_EFI_ACPI_RECLAIM, 10 * MiB, 256, 0x1, &d), 0);
        add(SW_EFI_ACPI_NVS, 11 * MiB, 1 * MiB);
        add(SW_EFI_UNUSABLE, 12 * MiB, 1 * MiB);
        add(SW_EFI_PERSISTENT, 16 * MiB, 1 * MiB);
        add(0x80000001u, 17 * MiB, 1 * MiB);
        n = sw_e820_build(&map, active, 2, e820, SW_E820_MAX, &d);
        assert_int_equal(n, (int)(sizeof(want) / sizeof(want[0])));
        for (int i = 0; i < n; i++) {
                assert_int_equal(e820[i].addr, want[i].addr);
                assert_int_equal(e820[i].size, want[i].size);
                assert_int_equal(e820[i].type, want[i].type);
        }
        assert_int_equal(cap.n, 0);
}

static void test_too_many_entries(void **state)
{
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        char want[200];
        int n;
        (void)state;

        /* Free RAM and ACPI tables taking turns: one entry each. */
        sw_memmap_init(&map);
        for (unsigned i = 0; i < 200; i++)
                add(i % 2 ? SW_EFI_ACPI_RECLAIM : SW_EFI_CONVENTIONAL, i * 0x1000ULL, 0x1000);
        assert_int_equal(sw_e820_build(&map, NULL, 0, e820, SW_E820_MAX, &d), -1);
        assert_int_equal(cap.n, 1);
        assert_int_equal(cap.sev[0], SW_ERROR);
        assert_string_equal(cap.msg[0],
                            "e820: the slot's memory map needs 200 entries but only 128 fit; the slot cannot be started");

        /* On a real map: exactly as many as needed works, one fewer does
         * not, and nothing is written past max. */
        load_fixture("memmap-ovmf-2G.txt");
        plan.nactive = 1;
        plan.active[0] = (struct sw_range){ 1 * MiB, 7 * MiB };
        n = sw_e820_build(&map, plan.active, plan.nactive, e820, SW_E820_MAX, &d);
        assert_true(n > 2 && n < SW_E820_MAX);
        memset(e820, 0xa5, sizeof(e820));
        assert_int_equal(sw_e820_build(&map, plan.active, plan.nactive, e820, (unsigned)n, &d), n);
        assert_int_equal(sw_e820_build(&map, plan.active, plan.nactive, e820, (unsigned)n - 1, &d), -1);
        assert_int_equal(e820[n].addr, 0xa5a5a5a5a5a5a5a5ULL);
        snprintf(want, sizeof(want),
                 "e820: the slot's memory map needs %d entries but only %d fit; the slot cannot be started",
                 n, n - 1);
        assert_string_equal(cap.msg[1], want);
        assert_int_equal(d.errors, 2);
}

static void test_active_not_free_warns(void **state)
{
        static const struct sw_range active[] = { { 1 * MiB, 4 * MiB } };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        int n;
        (void)state;

        /* The firmware took 64 KiB of the region after the plan was made. */
        sw_memmap_init(&map);
        add(SW_EFI_CONVENTIONAL, 1 * MiB, 2 * MiB);
        add(SW_EFI_RT_DATA, 3 * MiB, 64 * 1024);
        add(SW_EFI_CONVENTIONAL, 3 * MiB + 64 * 1024, 2 * MiB - 64 * 1024);
        n = sw_e820_build(&map, active, 1, e820, SW_E820_MAX, &d);
        assert_int_equal(n, 3);
        assert_int_equal(e820[1].type, SW_E820_RESERVED);
        assert_int_equal(cap.n, 1);
        assert_int_equal(cap.sev[0], SW_WARN);
        assert_string_equal(cap.msg[0],
                            "e820: active range 0x100000-0x4fffff is not all free RAM in the final memory map (64 KiB are not); the slot will not use them");
}

static void test_bad_inputs(void **state)
{
        static const struct sw_range active[] = { { UINT64_MAX - 0xfff, 0x2000 } };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        (void)state;

        sw_memmap_init(&map);
        add(SW_EFI_CONVENTIONAL, 1 * MiB, 2 * MiB);
        assert_int_equal(sw_e820_build(&map, active, 1, e820, SW_E820_MAX, &d), -1);
        assert_string_equal(cap.msg[0],
                            "e820: active range 0xfffffffffffff000 (+0x2000) runs past the end of memory; no e820");
        /* A map filled by hand, out of order. */
        map.n = 2;
        map.r[1] = (struct sw_mem_range){ 0, 0x1000, SW_EFI_BS_CODE, 0 };
        assert_int_equal(sw_e820_build(&map, NULL, 0, e820, SW_E820_MAX, &d), -1);
        assert_string_equal(cap.msg[1],
                            "e820: memory map range 1 at 0x0 is unsorted, overlapping or too long; no e820");
}

static void test_type_names(void **state)
{
        (void)state;
        assert_string_equal(sw_e820_type_name(SW_E820_RAM), "usable");
        assert_string_equal(sw_e820_type_name(SW_E820_RESERVED), "reserved");
        assert_string_equal(sw_e820_type_name(SW_E820_ACPI), "ACPI data");
        assert_string_equal(sw_e820_type_name(SW_E820_NVS), "ACPI NVS");
        assert_string_equal(sw_e820_type_name(SW_E820_UNUSABLE), "unusable");
        assert_string_equal(sw_e820_type_name(SW_E820_PMEM), "persistent (type 7)");
        assert_string_equal(sw_e820_type_name(6), "unknown");
        assert_string_equal(sw_e820_type_name(0), "unknown");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture_512M),
                cmocka_unit_test(test_fixture_2G),
                cmocka_unit_test(test_fixture_6G),
                cmocka_unit_test(test_split_and_merge),
                cmocka_unit_test(test_too_many_entries),
                cmocka_unit_test(test_active_not_free_warns),
                cmocka_unit_test(test_bad_inputs),
                cmocka_unit_test(test_type_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
