/* SPDX-License-Identifier: MIT */
/* Identity page tables and the resident block layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acpi.h"
#include "mailbox.h"
#include "pagetable.h"
#include "layout.h"
#include "savestate.h"

#define GIB (1ULL << 30)
#define PAGE 4096ULL

/* Walks the tables like the MMU: PML4 -> PDPT -> PD (2 MiB pages). */
static int translate(const uint64_t *mem, uint64_t phys, uint64_t va, uint64_t *pa)
{
        const uint64_t *pml4 = mem, *pdpt, *pd;
        uint64_t e;

        e = pml4[(va >> 39) & 511];
        if (!(e & 1))
                return -1;
        pdpt = mem + ((e & ~0xfffULL) - phys) / 8;
        e = pdpt[(va >> 30) & 511];
        if (!(e & 1))
                return -1;
        pd = mem + ((e & ~0xfffULL) - phys) / 8;
        e = pd[(va >> 21) & 511];
        if (!(e & 1) || !(e & 0x80))
                return -1;
        *pa = (e & ~0x1fffffULL) + (va & 0x1fffff);
        return 0;
}

static void pages_counts(void **state)
{
        (void)state;
        /* Never fewer than 4 GiB: the low MMIO the switcher touches. */
        assert_int_equal(sw_pt_pages(512ULL << 20), 2 + 4);
        assert_int_equal(sw_pt_pages(4 * GIB), 2 + 4);
        assert_int_equal(sw_pt_pages(4 * GIB + 1), 2 + 5);
        assert_int_equal(sw_pt_pages(8 * GIB), 2 + 8);
        assert_int_equal(sw_pt_pages(SW_PT_MAX_TOP), 2 + 512);
        assert_int_equal(sw_pt_pages(SW_PT_MAX_TOP + 1), 0);
}

static void identity_map_6g(void **state)
{
        uint64_t phys = 0x7fe00000, top = 6 * GIB, pa, cr3;
        unsigned pages = sw_pt_pages(top);
        uint64_t *mem = aligned_alloc(4096, pages * PAGE);
        const uint64_t probes[] = { 0, 0x9f000, 0x1234567, 4 * GIB - 1, 4 * GIB, 0x170000000, 6 * GIB - 1 };

        (void)state;
        assert_non_null(mem);
        cr3 = sw_pt_build(mem, phys, pages * PAGE, top);
        assert_int_equal(cr3, phys);
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
                assert_int_equal(translate(mem, phys, probes[i], &pa), 0);
                assert_int_equal(pa, probes[i]);
        }
        /* Nothing is mapped past the last GiB. */
        assert_int_equal(translate(mem, phys, 6 * GIB, &pa), -1);
        free(mem);
}

static void build_refuses_bad_input(void **state)
{
        uint64_t *mem = aligned_alloc(4096, 6 * PAGE);

        (void)state;
        assert_non_null(mem);
        assert_int_equal(sw_pt_build(mem, 0x1000, 5 * PAGE, 4 * GIB), 0);        /* too small */
        assert_int_equal(sw_pt_build(mem, 0x1001, 6 * PAGE, 4 * GIB), 0);        /* misaligned */
        assert_int_equal(sw_pt_build(mem, 0x1000, 6 * PAGE, SW_PT_MAX_TOP + 1), 0);
        assert_int_equal(sw_pt_build(mem, UINT64_MAX & ~0xfffULL, 6 * PAGE, 4 * GIB), 0); /* wraps */
        assert_int_not_equal(sw_pt_build(mem, 0x1000, 6 * PAGE, 4 * GIB), 0);
        free(mem);
}

static void resident_layout_is_disjoint(void **state)
{
        struct sw_resident_layout l;
        uint64_t base = 0x7fe00000, size = sw_resident_layout(base, 3, 6 * GIB, &l);

        (void)state;
        assert_int_equal(size, l.end - base);
        assert_int_equal(l.acpi, base);
        assert_int_equal(sw_resident_acpi_page(&l, 2), base + 2 * SW_ACPI_COPY_SIZE);
        assert_int_equal(l.mailbox, base + 3 * SW_ACPI_COPY_SIZE);
        assert_true(l.idt >= l.mailbox + SW_MAILBOX_SIZE);
        /* The tboot range: the stub and park pages, then a shared page per
         * slot, none of them the block's first page (the kernel wants its
         * shared page strictly inside a reserved e820 entry). */
        assert_int_equal(l.tboot, l.idt + PAGE);
        assert_int_equal(sw_resident_tboot_page(&l, 0), l.tboot + SW_TBOOT_FIXED_PAGES * PAGE);
        assert_int_equal(sw_resident_tboot_page(&l, 2), l.tboot + (SW_TBOOT_FIXED_PAGES + 2) * PAGE);
        assert_true(sw_resident_tboot_page(&l, 0) > base);
        assert_int_equal(l.saves, l.tboot + sw_resident_tboot_size(3));
        assert_int_equal(sw_resident_tboot_size(3), (SW_TBOOT_FIXED_PAGES + 3) * PAGE);
        assert_int_equal(l.saves % PAGE, 0);
        assert_int_equal(sw_resident_save_header(&l, 2), l.saves + 2 * sizeof(struct sw_save_header));
        assert_true(l.stack_base >= sw_resident_save_header(&l, 3));
        assert_int_equal(l.stack_base % PAGE, 0);
        assert_int_equal(l.stack_top - l.stack_base, SW_RESIDENT_STACK);
        assert_true(l.tables >= l.stack_top);
        assert_int_equal(l.tables % PAGE, 0);
        assert_int_equal(l.end - l.tables, sw_pt_pages(6 * GIB) * PAGE);
        /* A map top the tables cannot reach gives no layout. */
        assert_int_equal(sw_resident_layout(base, 3, SW_PT_MAX_TOP + 1, &l), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(pages_counts),
                cmocka_unit_test(identity_map_6g),
                cmocka_unit_test(build_refuses_bad_input),
                cmocka_unit_test(resident_layout_is_disjoint),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
