/* SPDX-License-Identifier: MIT */
/*
 * The DMA32 window of an in-place slot (plan.h, SW_PLAN_DMA32_LIMIT), from
 * the 'dma32-size' key to the e820: the key's default, 0 and its errors; the
 * planner placing each window below 4 GiB apart from everything else, only
 * for a slot whose own RAM lies above 4 GiB, and leaving a slot out when its
 * window does not fit; the window among the slot's ranges (never copied at a
 * switch, written in place when staging); the e820 offering it as RAM to
 * its slot and as reserved to every other one; and the plan line.
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

#include "config.h"
#include "e820.h"
#include "plan.h"
#include "switch.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)

static struct sw_config cfg;
static struct sw_memmap map;
static struct sw_plan plan;
static struct sw_plan_input in;
static struct capture cap;
static struct sw_diag diag;

static void reset_diag(void)
{
        memset(&cap, 0, sizeof(cap));
        diag = (struct sw_diag){ capture_emit, &cap, 0, 0 };
}

static int parse(const char *text)
{
        reset_diag();
        return sw_config_parse(&cfg, text, strlen(text), "d.conf", &diag);
}

/* Plans cfg on map as the switcher and mkslot do; returns the slots placed. */
static int plan_cfg(void)
{
        reset_diag();
        in = (struct sw_plan_input){ .cfg = &cfg, .map_top = sw_memmap_top(&map) };
        sw_plan_input_from_config(&in);
        return sw_plan_build(&map, &in.req, &plan, &diag);
}

/* The index in the plan of slot id. */
static unsigned plan_index(const char *id)
{
        return plan_slot_index(&plan, id);
}

static bool overlaps(uint64_t b1, uint64_t s1, uint64_t b2, uint64_t s2)
{
        return s1 && s2 && b1 < b2 + s2 && b2 < b1 + s1;
}

/* True if every byte of [b, b+size) is conventional memory in map. */
static bool conventional(uint64_t b, uint64_t size)
{
        uint64_t cur = b, e = b + size;

        for (unsigned i = 0; i < map.n && cur < e; i++) {
                const struct sw_mem_range *r = &map.r[i];

                if (r->base + r->size <= cur)
                        continue;
                if (r->base > cur || r->efi_type != SW_EFI_CONVENTIONAL)
                        return false;
                cur = r->base + r->size;
        }
        return cur >= e;
}

/* ---- the key ---- */

static const char base_conf[] = "active-size 256M\n"
                                "slot a\nlinux /a\n"
                                "slot b\nlinux /b\nmode in-place\nmemory 256M\n"
                                "slot c\nlinux /c\nmode in-place\nmemory 2G\n";

static void test_key_default_and_values(void **state)
{
        (void)state;
        assert_int_equal(parse(base_conf), 3);
        assert_int_equal(cap.n, 0);
        /* Every slot starts with the default; only in-place slots use it. */
        assert_int_equal(cfg.slots[1].dma32_size, SW_DMA32_SIZE_DEFAULT);
        assert_int_equal(SW_DMA32_SIZE_DEFAULT, 256 * MiB);
        assert_int_equal(cfg.slots[1].dma32_line, 0);
        in = (struct sw_plan_input){ .cfg = &cfg, .map_top = 8 * GiB };
        sw_plan_input_from_config(&in);
        assert_int_equal(in.dma32[0], 0);
        assert_int_equal(in.dma32[1], 256 * MiB);
        assert_ptr_equal(in.req.slot_dma32, in.dma32);

        assert_int_equal(parse("slot b\nlinux /b\nmode in-place\ndma32-size 0\n"), 1);
        assert_int_equal(cap.n, 0);
        assert_int_equal(cfg.slots[0].dma32_size, 0);
        assert_int_equal(cfg.slots[0].dma32_line, 4);

        assert_int_equal(parse("slot b\nlinux /b\ndma32-size 96M\nmode in-place\n"), 1);
        assert_int_equal(cap.n, 0);
        assert_int_equal(cfg.slots[0].dma32_size, 96 * MiB);
}

static void test_key_errors(void **state)
{
        static const struct {
                const char *value;
                const char *msg;
        } bad[] = {
                { "lots", "d.conf:3: slot 'b': dma32-size 'lots' is not a size like 64M or 256M, or 0 for none; slot dropped" },
                { "-1M", "d.conf:3: slot 'b': dma32-size '-1M' is not a size like 64M or 256M, or 0 for none; slot dropped" },
                { "1000", "d.conf:3: slot 'b': dma32-size '1000' is not a multiple of 4 KiB; slot dropped" },
                { "4G", "d.conf:3: slot 'b': dma32-size '4G' is not less than 4 GiB, which the window must lie below; slot dropped" },
                { "0123456789012345678901234567890123456789",
                  "d.conf:3: slot 'b': dma32-size '0123456789012345678901234567890123456789' is not a size like 64M or 256M, "
                  "or 0 for none; slot dropped" },
        };
        char text[256];
        (void)state;

        for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(text, sizeof(text), "slot b\nlinux /b\ndma32-size %s\nmode in-place\nslot a\nlinux /a\n",
                         bad[i].value);
                assert_int_equal(parse(text), 1);
                assert_false(cfg.slots[0].valid);
                assert_true(cfg.slots[1].valid);
                assert_int_equal(cap.n, 1);
                assert_int_equal(cap.sev[0], SW_ERROR);
                assert_string_equal(cap.msg[0], bad[i].msg);
        }
}

/* A swap slot runs in the active region: the key is ignored with a warning,
 * except where a slot image may still make the slot in-place. */
static void test_key_swap_slot(void **state)
{
        (void)state;
        assert_int_equal(parse("slot a\nlinux /a\ndma32-size 64M\n"), 1);
        assert_int_equal(cap.n, 1);
        assert_int_equal(cap.sev[0], SW_WARN);
        assert_string_equal(cap.msg[0], "d.conf:3: slot 'a': dma32-size only applies to an in-place slot, ignored");
        assert_true(cfg.slots[0].valid);

        assert_int_equal(parse("slot a\nimage /a.slot\ndma32-size 64M\n"), 1);
        assert_int_equal(cap.n, 0);
        assert_int_equal(parse("slot a\nimage /a.slot\nmode swap\ndma32-size 64M\n"), 1);
        assert_int_equal(cap.n, 1);
}

/* ---- the planner ---- */

/* On the OVMF 6 GiB map (2 GiB below 4 GiB), both in-place slots land above
 * 4 GiB and get a 256 MiB window each below 4 GiB, 2 MiB aligned, in
 * conventional memory, apart from everything else the plan placed. */
static void test_plan_windows(void **state)
{
        uint64_t rb, rs;
        (void)state;

        load_memmap_fixture(&map, "memmap-ovmf-6G.txt");
        assert_int_equal(parse(base_conf), 3);
        assert_int_equal(plan_cfg(), 3);
        assert_int_equal(cap.n, 0);
        rb = plan.resident_base;
        rs = plan.resident_size;
        for (unsigned i = 0; i < plan.nslots; i++) {
                const struct sw_slot_plan *s = &plan.slots[i];

                assert_true(s->placed);
                if (!s->in_place) {
                        assert_int_equal(s->dma32_size, 0);
                        continue;
                }
                assert_true(s->store_base >= 4 * GiB);
                assert_int_equal(s->dma32_size, 256 * MiB);
                assert_true(s->dma32_base + s->dma32_size <= 4 * GiB);
                assert_int_equal(s->dma32_base % (2 * MiB), 0);
                assert_true(conventional(s->dma32_base, s->dma32_size));
                assert_false(overlaps(s->dma32_base, s->dma32_size, rb, rs));
                assert_false(overlaps(s->dma32_base, s->dma32_size, plan.low_page, 4096));
                for (unsigned k = 0; k < plan.nactive; k++)
                        assert_false(overlaps(s->dma32_base, s->dma32_size, plan.active[k].base, plan.active[k].size));
                for (unsigned j = 0; j < plan.nslots; j++) {
                        const struct sw_slot_plan *o = &plan.slots[j];

                        assert_false(overlaps(s->dma32_base, s->dma32_size, o->store_base, o->store_size));
                        if (j != i)
                                assert_false(overlaps(s->dma32_base, s->dma32_size, o->dma32_base, o->dma32_size));
                }
        }
        /* The stores are what they were without windows. */
        assert_int_equal(plan.slots[plan_index("c")].store_size, SW_INPLACE_LOW + 2 * GiB);
}

/* The slot's ranges: the low active ranges, the window, its own RAM, in
 * address order; the window stays in place like the own RAM. */
static void test_ranges_and_switch(void **state)
{
        struct sw_range r[SW_ACTIVE_MAX];
        struct sw_copy_list l;
        const struct sw_slot_plan *s;
        unsigned b;
        char why[160];
        uint64_t a;
        int n;
        (void)state;

        load_memmap_fixture(&map, "memmap-ovmf-6G.txt");
        assert_int_equal(parse(base_conf), 3);
        assert_int_equal(plan_cfg(), 3);
        b = plan_index("b");
        s = &plan.slots[b];
        n = sw_plan_slot_ranges(&plan, b, r, SW_ACTIVE_MAX);
        assert_true(n >= 3);
        for (int i = 0; i + 2 < n; i++)
                assert_true(r[i].base + r[i].size <= 1 * MiB);
        assert_int_equal(r[n - 2].base, s->dma32_base);
        assert_int_equal(r[n - 2].size, 256 * MiB);
        assert_int_equal(r[n - 1].base, s->store_base + SW_INPLACE_LOW);
        for (int i = 1; i < n; i++)
                assert_true(r[i - 1].base + r[i - 1].size <= r[i].base);
        /* No room for the last range: the window still comes before it. */
        assert_int_equal(sw_plan_slot_ranges(&plan, b, r, (unsigned)n - 1), n - 1);
        assert_int_equal(r[n - 2].base, s->dma32_base);

        /* Staging writes into the window directly, and a switch copies
         * only the low memory: the window is nobody else's. */
        assert_true(sw_plan_in_own(&plan, b, s->dma32_base, 256 * MiB));
        assert_true(sw_plan_in_own(&plan, b, s->dma32_base + 256 * MiB - 4096, 4096));
        assert_false(sw_plan_in_own(&plan, b, s->dma32_base, 256 * MiB + 1));
        assert_false(sw_plan_in_own(&plan, b, s->dma32_base - 4096, 8192));
        assert_false(sw_plan_in_own(&plan, plan_index("a"), s->dma32_base, 4096));
        assert_int_equal(sw_plan_store_addr(&plan, b, s->dma32_base, &a), -1);
        n = sw_plan_slot_ranges(&plan, b, r, SW_ACTIVE_MAX);
        assert_int_equal(sw_switch_copy_list(&plan, (int)b, r, (unsigned)n, &l, why, sizeof(why)), 0);
        assert_int_equal(l.bytes, sw_plan_saved_bytes(&plan, b));
        for (unsigned k = 0; k < l.n; k++)
                assert_true(l.c[k].active + l.c[k].size <= 1 * MiB);
}

/* The e820 on the map as it is at ExitBootServices, where the switcher
 * has claimed the window as EfiLoaderData (like the in-place store): the
 * window is RAM for its slot and reserved for every other slot. */
static void test_e820(void **state)
{
        static struct sw_e820_entry e[SW_E820_MAX];
        struct sw_range r[SW_ACTIVE_MAX];
        struct sw_diag d = { 0 };
        uint64_t wb, ram = 0;
        unsigned b;
        int n, ne;
        (void)state;

        load_memmap_fixture(&map, "memmap-ovmf-6G.txt");
        assert_int_equal(parse(base_conf), 3);
        assert_int_equal(plan_cfg(), 3);
        b = plan_index("b");
        wb = plan.slots[b].dma32_base;
        /* As efi/main.c claims them: the in-place stores and windows as
         * the slots' own RAM, the swap store and the resident block as
         * reserved. */
        for (unsigned k = 0; k < plan.nslots; k++) {
                const struct sw_slot_plan *s = &plan.slots[k];

                memmap_claim(&map, s->store_base, s->store_size, s->in_place ? SW_EFI_LOADER_DATA : SW_EFI_RESERVED);
                if (s->dma32_size)
                        memmap_claim(&map, s->dma32_base, s->dma32_size, SW_EFI_LOADER_DATA);
        }
        memmap_claim(&map, plan.resident_base, plan.resident_size, SW_EFI_RESERVED);

        n = sw_plan_slot_ranges(&plan, b, r, SW_ACTIVE_MAX);
        ne = sw_e820_build(&map, r, (unsigned)n, e, SW_E820_MAX, &d);
        assert_true(ne > 0);
        assert_int_equal(d.warnings, 0);
        for (int i = 0; i < ne; i++) {
                if (e[i].addr <= wb && wb - e[i].addr < e[i].size) {
                        assert_int_equal(e[i].type, SW_E820_RAM);
                        assert_true(e[i].addr + e[i].size >= wb + 256 * MiB);
                }
                if (e[i].type == SW_E820_RAM)
                        ram += e[i].size;
        }
        assert_int_equal(ram, sw_plan_saved_bytes(&plan, b) + 256 * MiB + 256 * MiB);

        /* Slot c's e820 and the swap slot a's: b's window is reserved. */
        for (unsigned k = 0; k < plan.nslots; k++) {
                if (k == b)
                        continue;
                n = sw_plan_slot_ranges(&plan, k, r, SW_ACTIVE_MAX);
                ne = sw_e820_build(&map, r, (unsigned)n, e, SW_E820_MAX, &d);
                assert_true(ne > 0);
                for (int i = 0; i < ne; i++)
                        if (overlaps(e[i].addr, e[i].size, wb, 256 * MiB))
                                assert_int_equal(e[i].type, SW_E820_RESERVED);
        }
}

/* RAM that is already below 4 GiB needs no window: the 2 GiB OVMF map puts
 * every store below 4 GiB. */
static void test_no_window_below_4g(void **state)
{
        (void)state;
        load_memmap_fixture(&map, "memmap-ovmf-2G.txt");
        assert_int_equal(parse("active-size 256M\nslot a\nlinux /a\nslot b\nlinux /b\nmode in-place\nmemory 256M\n"), 2);
        assert_int_equal(plan_cfg(), 2);
        assert_int_equal(cap.n, 0);
        assert_true(plan.slots[1].in_place);
        assert_true(plan.slots[1].store_base + plan.slots[1].store_size <= 4 * GiB);
        assert_int_equal(plan.slots[1].dma32_size, 0);
        assert_int_equal(plan.slots[1].dma32_base, 0);
}

/* A plain map: page 0, low RAM, conventional RAM from 1 MiB to low_end
 * and from high to high_end.  With low_end == high the two touch: one piece
 * across 4 GiB (no PCI hole), where a store may straddle 4 GiB. */
static void plain_map(uint64_t low_end, uint64_t high, uint64_t high_end)
{
        struct sw_diag d = { 0 };

        sw_memmap_init(&map);
        assert_int_equal(sw_memmap_add(&map, SW_EFI_BS_DATA, 0, 1, 0xf, &d), 0);
        assert_int_equal(sw_memmap_add(&map, SW_EFI_CONVENTIONAL, 0x1000, 0x9f, 0xf, &d), 0);
        assert_int_equal(sw_memmap_add(&map, SW_EFI_CONVENTIONAL, 1 * MiB, (low_end - 1 * MiB) / 4096, 0xf, &d), 0);
        assert_int_equal(sw_memmap_add(&map, SW_EFI_CONVENTIONAL, high, (high_end - high) / 4096, 0xf, &d), 0);
}

/* Own RAM across 4 GiB: a window only when less than dma32-size of it lies
 * below 4 GiB.  (No resident block here: the planner would put it right
 * below 4 GiB and so cut the piece in two.) */
static void test_straddle(void **state)
{
        static const char *const ids[] = { "b" };
        static const bool in_place[] = { true };
        static const uint64_t dma32[] = { 256 * MiB };
        uint64_t sizes[] = { 2 * GiB + 128 * MiB };
        struct sw_plan_request req = { .active_size = 64 * MiB, .nslots = 1, .slot_ids = ids,
                                       .slot_sizes = sizes, .slot_in_place = in_place, .slot_dma32 = dma32 };
        (void)state;

        /* The store goes at the top of the 6 GiB: own RAM starts 128 MiB
         * below 4 GiB, less than the 256 MiB asked for. */
        plain_map(4 * GiB, 4 * GiB, 6 * GiB);
        assert_int_equal(sw_plan_build(&map, &req, &plan, NULL), 1);
        assert_int_equal(plan.slots[0].store_base + SW_INPLACE_LOW, 4 * GiB - 128 * MiB);
        assert_int_equal(plan.slots[0].dma32_size, 256 * MiB);
        assert_true(plan.slots[0].dma32_base + 256 * MiB <= plan.slots[0].store_base);

        /* 512 MiB of it below 4 GiB: enough, no window. */
        sizes[0] = 2 * GiB + 512 * MiB;
        assert_int_equal(sw_plan_build(&map, &req, &plan, NULL), 1);
        assert_int_equal(plan.slots[0].store_base + SW_INPLACE_LOW, 4 * GiB - 512 * MiB);
        assert_int_equal(plan.slots[0].dma32_size, 0);
}

/* No room below 4 GiB for the window: the slot is left out with a warning
 * (never a smaller window), the next slot is still placed, and dma32-size
 * 0 makes it fit again. */
static void test_no_room(void **state)
{
        static const char conf[] = "active-size 900M\n"
                                   "slot b\nlinux /b\nmode in-place\nmemory 1G\n"
                                   "slot c\nlinux /c\nmode in-place\nmemory 1G\ndma32-size 8M\n";
        (void)state;

        /* 1 GiB below 4 GiB, 4 GiB above. */
        plain_map(1 * GiB, 4 * GiB, 8 * GiB);

        assert_int_equal(parse(conf), 2);
        assert_int_equal(plan_cfg(), 1);
        assert_false(plan.slots[0].placed);
        assert_int_equal(plan.slots[0].store_base, 0);
        assert_int_equal(plan.slots[0].dma32_size, 0);
        assert_int_equal(sw_plan_slot_ranges(&plan, 0, (struct sw_range[4]){ 0 }, 4), -1);
        assert_int_equal(plan.missing, 256 * MiB);
        assert_int_equal(cap.n, 2);
        assert_int_equal(cap.sev[0], SW_WARN);
        assert_non_null(strstr(cap.msg[0], "slot 'b': no room below 4 GiB for its 256 MiB DMA32 window (largest free piece: "));
        assert_non_null(strstr(cap.msg[0], "give it a smaller dma32-size, or 0 for none; slot left out"));
        assert_string_equal(cap.msg[1], "RAM is short by 256 MiB: 1 slot(s) left out");
        /* c's small window fits, and its store takes the place b's would
         * have had: b left nothing behind. */
        assert_true(plan.slots[1].placed);
        assert_int_equal(plan.slots[1].dma32_size, 8 * MiB);
        assert_int_equal(plan.slots[1].store_base + plan.slots[1].store_size, 8 * GiB);

        assert_int_equal(parse("active-size 900M\nslot b\nlinux /b\nmode in-place\nmemory 1G\ndma32-size 0\n"), 1);
        assert_int_equal(plan_cfg(), 1);
        assert_true(plan.slots[0].placed);
        assert_int_equal(plan.slots[0].dma32_size, 0);
        assert_int_equal(cap.n, 0);
}

/* A request without slot_dma32, or for a swap slot, places no window. */
static void test_request_without(void **state)
{
        static const char *const ids[] = { "a", "b" };
        static const uint64_t sizes[] = { 0, 256 * MiB };
        static const bool in_place[] = { false, true };
        static const uint64_t dma32[] = { 64 * MiB, 0 };
        struct sw_plan_request req = { .active_size = 256 * MiB, .resident_size = 1 * MiB, .nslots = 2,
                                       .slot_ids = ids, .slot_sizes = sizes, .slot_in_place = in_place };
        (void)state;

        load_memmap_fixture(&map, "memmap-ovmf-6G.txt");
        assert_int_equal(sw_plan_build(&map, &req, &plan, NULL), 2);
        assert_int_equal(plan.slots[0].dma32_size + plan.slots[1].dma32_size, 0);
        req.slot_dma32 = dma32;
        assert_int_equal(sw_plan_build(&map, &req, &plan, NULL), 2);
        assert_int_equal(plan.slots[0].dma32_size + plan.slots[1].dma32_size, 0);
}

/* The window's line follows its slot's in-place line. */
static void test_print(void **state)
{
        char want[160];
        unsigned b;
        (void)state;

        load_memmap_fixture(&map, "memmap-ovmf-6G.txt");
        assert_int_equal(parse(base_conf), 3);
        assert_int_equal(plan_cfg(), 3);
        b = plan_index("b");
        reset_diag();
        sw_plan_print(&plan, capture_line, &cap);
        snprintf(want, sizeof(want), "plan:   slot b            dma32 0x%016llx-0x%016llx  256 MiB",
                 (unsigned long long)plan.slots[b].dma32_base,
                 (unsigned long long)(plan.slots[b].dma32_base + 256 * MiB - 1));
        for (unsigned i = 1; i < cap.n && i < CAPTURE_MAX; i++) {
                if (strcmp(cap.msg[i], want))
                        continue;
                assert_int_equal(strncmp(cap.msg[i - 1], "plan:   slot b            in-place 0x", 37), 0);
                return;
        }
        fail_msg("no line '%s'", want);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_key_default_and_values),
                cmocka_unit_test(test_key_errors),
                cmocka_unit_test(test_key_swap_slot),
                cmocka_unit_test(test_plan_windows),
                cmocka_unit_test(test_ranges_and_switch),
                cmocka_unit_test(test_e820),
                cmocka_unit_test(test_no_window_below_4g),
                cmocka_unit_test(test_straddle),
                cmocka_unit_test(test_no_room),
                cmocka_unit_test(test_request_without),
                cmocka_unit_test(test_print),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
