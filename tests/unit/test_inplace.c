/* SPDX-License-Identifier: MIT */
/*
 * In-place slots in the planner, on the real 6 GiB OVMF map: the store is
 * the slot's own RAM after its saved low memory, the slot's RAM is the
 * shared active ranges below 1 MiB plus that own RAM, only the low part is
 * ever copied, and its e820 offers nothing of the active region above 1 MiB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util_capture.h"
#include "util_fixture.h"
#include "bzimage.h"
#include "e820.h"
#include "plan.h"
#include "layout.h"

#define MiB (1024ULL * 1024)
#define GiB (1024ULL * MiB)

static struct sw_memmap map;
static struct sw_plan plan;
static const char *const ids[] = { "a", "b", "c" };
static const uint64_t sizes[] = { 0, 256 * MiB, 2 * GiB };
static const bool in_place[] = { false, true, true };

static void build(void)
{
        struct sw_plan_request req = {
                .active_size = 256 * MiB,
                .resident_size = 1 * MiB,
                .nslots = 3,
                .slot_ids = ids,
                .slot_sizes = sizes,
                .slot_in_place = in_place,
        };

        load_memmap_fixture(&map, "memmap-ovmf-6G.txt");
        assert_int_equal(sw_plan_build(&map, &req, &plan, NULL), 3);
}

static uint64_t low_bytes(void)
{
        uint64_t n = 0;

        for (unsigned i = 0; i < plan.nactive; i++)
                if (plan.active[i].base < 1 * MiB)
                        n += plan.active[i].size;
        return n;
}

static void test_stores(void **state)
{
        (void)state;
        build();
        assert_false(plan.slots[0].in_place);
        assert_int_equal(plan.slots[0].store_size, 256 * MiB);
        assert_true(plan.slots[1].in_place);
        assert_int_equal(plan.slots[1].store_size, SW_INPLACE_LOW + 256 * MiB);
        /* Larger than the active region: an in-place slot's RAM is its own. */
        assert_int_equal(plan.slots[2].store_size, SW_INPLACE_LOW + 2 * GiB);
        for (unsigned i = 0; i < 3; i++)
                assert_int_equal(plan.slots[i].store_base % (2 * MiB), 0);
        assert_true(low_bytes() > 0 && low_bytes() < SW_INPLACE_LOW);
        assert_int_equal(sw_plan_saved_bytes(&plan, 0), 256 * MiB);
        assert_int_equal(sw_plan_saved_bytes(&plan, 2), low_bytes());
        assert_int_equal(sw_plan_saved_bytes(&plan, 7), 0);
}

static void test_ranges(void **state)
{
        struct sw_range r[SW_ACTIVE_MAX];
        uint64_t a;
        int n;
        (void)state;
        build();

        n = sw_plan_slot_ranges(&plan, 2, r, SW_ACTIVE_MAX);
        assert_true(n >= 2);
        for (int i = 0; i + 1 < n; i++)
                assert_true(r[i].base + r[i].size <= 1 * MiB);
        assert_int_equal(r[n - 1].base, plan.slots[2].store_base + SW_INPLACE_LOW);
        assert_int_equal(r[n - 1].size, 2 * GiB);

        /* The low part is saved at the start of the store, packed; the
         * active region above 1 MiB is not the slot's. */
        assert_int_equal(sw_plan_store_addr(&plan, 2, r[0].base, &a), 0);
        assert_int_equal(a, plan.slots[2].store_base);
        assert_int_equal(sw_plan_store_addr(&plan, 2, 16 * MiB, &a), -1);
        /* Its own RAM stays where it is: in place, not in the store map. */
        assert_int_equal(sw_plan_store_addr(&plan, 2, r[n - 1].base, &a), -1);
        assert_true(sw_plan_in_own(&plan, 2, r[n - 1].base, 2 * GiB));
        assert_false(sw_plan_in_own(&plan, 2, r[n - 1].base, 2 * GiB + 1));
        assert_false(sw_plan_in_own(&plan, 2, plan.slots[2].store_base, 4096));
        assert_false(sw_plan_in_own(&plan, 0, plan.slots[0].store_base, 4096));

        /* A swap slot's store never takes an address past its size. */
        assert_int_equal(sw_plan_store_addr(&plan, 0, 16 * MiB, &a), 0);
}

/* Swap slots' stores are bounded by what they see. */
static void test_swap_store_bound(void **state)
{
        static const uint64_t small[] = { 64 * MiB };
        struct sw_plan_request req = { .active_size = 256 * MiB, .resident_size = 1 * MiB, .nslots = 1,
                                       .slot_ids = ids, .slot_sizes = small };
        uint64_t a;
        (void)state;

        load_memmap_fixture(&map, "memmap-ovmf-6G.txt");
        assert_int_equal(sw_plan_build(&map, &req, &plan, NULL), 1);
        assert_int_equal(sw_plan_store_addr(&plan, 0, 200 * MiB, &a), -1);
}

static void test_e820_and_print(void **state)
{
        struct sw_range r[SW_ACTIVE_MAX];
        struct sw_e820_entry e[SW_E820_MAX];
        uint64_t ram = 0;
        int n, ne;
        (void)state;
        build();

        n = sw_plan_slot_ranges(&plan, 1, r, SW_ACTIVE_MAX);
        ne = sw_e820_build(&map, r, (unsigned)n, e, SW_E820_MAX, NULL);
        assert_true(ne > 0);
        for (int i = 0; i < ne; i++) {
                if (e[i].type != SW_E820_RAM)
                        continue;
                ram += e[i].size;
                /* Nothing of the active region above 1 MiB. */
                assert_true(e[i].addr + e[i].size <= 1 * MiB || e[i].addr >= plan.slots[1].store_base + SW_INPLACE_LOW);
        }
        assert_int_equal(ram, low_bytes() + 256 * MiB);
}

static void test_print(void **state)
{
        struct capture lines = { 0 };
        char want[160];
        (void)state;
        build();
        sw_plan_print(&plan, capture_line, &lines);
        snprintf(want, sizeof(want), "plan:   slot %-12s in-place 0x%016llx-0x%016llx  ", "c",
                 (unsigned long long)plan.slots[2].store_base,
                 (unsigned long long)(plan.slots[2].store_base + plan.slots[2].store_size - 1));
        /* The size (2 GiB + 2 MiB) is printed as sw_fmt_size() says. */
        for (unsigned i = 0; i < lines.n && i < CAPTURE_MAX; i++)
                if (!strncmp(lines.msg[i], "plan:   slot c ", 15)) {
                        assert_int_equal(strncmp(lines.msg[i], want, strlen(want)), 0);
                        return;
                }
        fail_msg("no plan line for slot c: %s", want);
}

/* The kernel checks for in-place: a 64-bit kernel that may live above
 * 4 GiB; Debian's i686 kernel is refused with the reason. */
static void test_kernel_check(void **state)
{
        static uint8_t head[32768];
        size_t len = load_file_fixture("bzimage-i686-head.bin", head, sizeof(head));
        struct sw_bzimage_info info;
        struct sw_slot_config s;
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        (void)state;

        memset(&s, 0, sizeof(s));
        strcpy(s.id, "b");
        s.mode = SW_MODE_IN_PLACE;
        assert_int_equal(sw_bzimage_parse_head(head, len, 5707712, "k", &info, NULL), 0);
        assert_int_equal(sw_bzimage_check_slot(&info, &s, 1 * GiB, 0, "k", &d), -1);
        assert_string_equal(cap.msg[0], "k: an in-place slot needs a 64-bit kernel that may be loaded above 4 GiB "
                                        "(XLF_CAN_BE_LOADED_ABOVE_4G); use 'mode swap'");
        len = load_file_fixture("bzimage-amd64-head.bin", head, sizeof(head));
        assert_int_equal(sw_bzimage_parse_head(head, len, 8247232, "k", &info, NULL), 0);
        assert_int_equal(sw_bzimage_check_slot(&info, &s, 1 * GiB, 0, "k", &d), 0);
}

/* Recovery copies ('on-damage cold-boot') are placed after the stores,
 * apart from everything else, and printed; a slot without room keeps
 * running without one, with a warning. */
static void test_spare(void **state)
{
        static const uint64_t spare[] = { 0, 40 * MiB + 123, 0 };
        struct sw_plan_request req = {
                .active_size = 256 * MiB, .resident_size = 1 * MiB, .nslots = 3, .slot_ids = ids,
                .slot_sizes = sizes, .slot_in_place = in_place, .slot_spare = spare,
        };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        const struct sw_slot_plan *b;
        (void)state;

        load_memmap_fixture(&map, "memmap-ovmf-6G.txt");
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), 3);
        assert_int_equal(cap.n, 0);
        assert_int_equal(plan.slots[0].spare_size, 0);
        b = &plan.slots[1];
        assert_int_equal(b->spare_size, 40 * MiB + 4096);
        assert_int_equal(b->spare_base % 4096, 0);
        for (unsigned i = 0; i < 3; i++)
                assert_true(b->spare_base + b->spare_size <= plan.slots[i].store_base ||
                            b->spare_base >= plan.slots[i].store_base + plan.slots[i].store_size);
        for (unsigned i = 0; i < plan.nactive; i++)
                assert_true(b->spare_base >= sw_range_end(&plan.active[i]) ||
                            b->spare_base + b->spare_size <= plan.active[i].base);
        {
                struct capture lines = { 0 };
                bool seen = false;

                sw_plan_print(&plan, capture_line, &lines);
                for (unsigned i = 0; i < lines.n && i < CAPTURE_MAX; i++)
                        seen |= !strncmp(lines.msg[i], "plan:   slot b            spare 0x", 34);
                assert_true(seen);
        }

        /* No room: 6 GiB cannot also hold a 4 GiB copy. */
        {
                static const uint64_t huge[] = { 0, 4 * GiB, 0 };

                req.slot_spare = huge;
                memset(&cap, 0, sizeof(cap));
                d = (struct sw_diag){ capture_emit, &cap, 0, 0 };
                assert_int_equal(sw_plan_build(&map, &req, &plan, &d), 3);
                assert_int_equal(plan.slots[1].spare_size, 0);
                assert_int_equal(cap.n, 1);
                assert_non_null(strstr(cap.msg[0], "slot 'b': no room for its 4 GiB recovery copy (largest free piece: "));
                assert_non_null(strstr(cap.msg[0], "it cannot be cold-booted again if its saved state is damaged"));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stores),
                cmocka_unit_test(test_ranges),
                cmocka_unit_test(test_swap_store_bound),
                cmocka_unit_test(test_e820_and_print),
                cmocka_unit_test(test_print),
                cmocka_unit_test(test_kernel_check),
                cmocka_unit_test(test_spare),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
