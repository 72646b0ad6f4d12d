/* SPDX-License-Identifier: MIT */
/*
 * The memory planner on the real OVMF maps (512 MiB, 2 GiB, 6 GiB) and on
 * small hand-made maps for the failure messages.  The checks on the real
 * maps are invariants computed from the map itself, not copied numbers:
 * what the active region may contain, where stores and the resident block
 * may go, that nothing overlaps, and that the planner took the lowest RAM
 * for the active region and the highest pieces for the stores.
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

#include "fmt.h"
#include "plan.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)


static struct sw_memmap map;
static struct sw_plan plan;

static void load_fixture(const char *name)
{
        load_memmap_fixture(&map, name);
}

/* ---- independent checks against the map ---- */

static bool overlaps(uint64_t b1, uint64_t e1, uint64_t b2, uint64_t e2)
{
        return b1 < e2 && b2 < e1;
}

/* True if every byte of [b, e) is in map ranges that satisfy want: walks
 * the map and demands contiguous coverage. */
static bool covered_by(uint64_t b, uint64_t e, bool (*want)(const struct sw_mem_range *))
{
        uint64_t cur = b;

        for (unsigned i = 0; i < map.n && cur < e; i++) {
                const struct sw_mem_range *r = &map.r[i];

                if (r->base + r->size <= cur)
                        continue;
                if (r->base > cur || !want(r))
                        return false;
                cur = r->base + r->size;
        }
        return cur >= e;
}

static bool is_free(const struct sw_mem_range *r)
{
        return sw_mem_class_of(r->efi_type) == SW_MEM_FREE;
}

static bool is_conv(const struct sw_mem_range *r)
{
        return r->efi_type == SW_EFI_CONVENTIONAL;
}

/* Things the active region must never include. */
static bool forbidden_for_active(uint64_t b, uint64_t e, const struct sw_plan_request *req)
{
        if (overlaps(b, e, 0, 0x1000) || overlaps(b, e, 0xA0000, 0x100000) ||
            overlaps(b, e, plan.low_page, plan.low_page + 0x1000))
                return true;
        for (unsigned i = 0; i < req->nowned; i++)
                if (overlaps(b, e, req->owned[i].base & ~0xfffULL,
                             (sw_range_end(&req->owned[i]) + 0xfff) & ~0xfffULL))
                        return true;
        return false;
}

static bool in_active_list(uint64_t b, uint64_t e)
{
        for (unsigned i = 0; i < plan.nactive; i++)
                if (overlaps(b, e, plan.active[i].base, sw_range_end(&plan.active[i])))
                        return true;
        return false;
}

static void check_plan(const struct sw_plan_request *req, int placed)
{
        uint64_t sum = 0, top;
        struct { uint64_t b, e; } blocks[2 + SW_PLAN_SLOTS + 8];
        unsigned nb = 0;
        int nplaced = 0;

        /* The active region: exactly the size asked for, page aligned,
         * sorted, free RAM only, none of the forbidden places. */
        assert_true(plan.nactive > 0);
        for (unsigned i = 0; i < plan.nactive; i++) {
                const struct sw_range *r = &plan.active[i];

                assert_true(r->size > 0);
                assert_int_equal(r->base % 4096, 0);
                assert_int_equal(r->size % 4096, 0);
                if (i)
                        assert_true(r->base > sw_range_end(&plan.active[i - 1]));
                assert_true(covered_by(r->base, sw_range_end(r), is_free));
                assert_false(forbidden_for_active(r->base, sw_range_end(r), req));
                sum += r->size;
        }
        assert_int_equal(sum, req->active_size);
        assert_int_equal(plan.active_bytes, req->active_size);

        /* Bottom-up: every free page below the top of the active region
         * that is not in it must be one of the forbidden ones. */
        top = sw_range_end(&plan.active[plan.nactive - 1]);
        for (unsigned i = 0; i < map.n; i++) {
                const struct sw_mem_range *r = &map.r[i];

                if (!is_free(r))
                        continue;
                for (uint64_t pg = r->base; pg < r->base + r->size && pg < top; pg += 4096)
                        if (!in_active_list(pg, pg + 4096))
                                assert_true(forbidden_for_active(pg, pg + 4096, req));
        }

        /* The low page: conventional, below 0xA0000, and the highest such. */
        assert_int_equal(plan.low_page % 4096, 0);
        assert_true(plan.low_page >= 0x1000 && plan.low_page + 4096 <= 0xA0000);
        assert_true(covered_by(plan.low_page, plan.low_page + 4096, is_conv));
        for (uint64_t pg = plan.low_page + 4096; pg + 4096 <= 0xA0000; pg += 4096) {
                bool owned = false;

                for (unsigned i = 0; i < req->nowned; i++)
                        owned |= overlaps(pg, pg + 4096, req->owned[i].base,
                                          sw_range_end(&req->owned[i]));
                assert_true(owned || !covered_by(pg, pg + 4096, is_conv));
        }
        blocks[nb].b = plan.low_page;
        blocks[nb++].e = plan.low_page + 4096;

        /* The resident block: conventional, below 4 GiB. */
        assert_int_equal(plan.resident_size, (req->resident_size + 4095) & ~4095ULL);
        if (plan.resident_size) {
                assert_int_equal(plan.resident_base % 4096, 0);
                assert_true(plan.resident_base + plan.resident_size <= 4 * GiB);
                assert_true(covered_by(plan.resident_base, plan.resident_base + plan.resident_size,
                                       is_conv));
                blocks[nb].b = plan.resident_base;
                blocks[nb++].e = plan.resident_base + plan.resident_size;
        }

        /* Stores: conventional, the size of the active region. */
        assert_int_equal(plan.nslots, req->nslots);
        for (unsigned i = 0; i < plan.nslots; i++) {
                const struct sw_slot_plan *s = &plan.slots[i];

                assert_string_equal(s->id, req->slot_ids[i]);
                if (!s->placed)
                        continue;
                nplaced++;
                assert_int_equal(s->store_size, plan.active_bytes);
                assert_int_equal(s->store_base % 4096, 0);
                assert_true(covered_by(s->store_base, s->store_base + s->store_size, is_conv));
                blocks[nb].b = s->store_base;
                blocks[nb++].e = s->store_base + s->store_size;
        }
        assert_int_equal(nplaced, placed);

        /* Nothing placed overlaps anything else placed, the active region,
         * page 0 or the switcher's own ranges. */
        for (unsigned i = 0; i < nb; i++) {
                assert_false(in_active_list(blocks[i].b, blocks[i].e));
                assert_false(overlaps(blocks[i].b, blocks[i].e, 0, 0x1000));
                for (unsigned j = 0; j < req->nowned; j++)
                        assert_false(overlaps(blocks[i].b, blocks[i].e, req->owned[j].base,
                                              sw_range_end(&req->owned[j])));
                for (unsigned j = i + 1; j < nb; j++)
                        assert_false(overlaps(blocks[i].b, blocks[i].e, blocks[j].b, blocks[j].e));
        }
}

/* Store translation: packed back to back, in address order. */
static void check_store_translation(unsigned slot)
{
        const struct sw_slot_plan *s = &plan.slots[slot];
        uint64_t out, prev_last = 0;

        assert_true(s->placed);
        for (unsigned i = 0; i < plan.nactive; i++) {
                const struct sw_range *r = &plan.active[i];
                uint64_t first, last;

                assert_int_equal(sw_plan_store_addr(&plan, slot, r->base, &first), 0);
                assert_int_equal(sw_plan_store_addr(&plan, slot, sw_range_end(r) - 1, &last), 0);
                assert_int_equal(last - first, r->size - 1);
                if (i == 0)
                        assert_int_equal(first, s->store_base);
                else
                        assert_int_equal(first, prev_last + 1);
                prev_last = last;
                /* The byte after each range is either a hole or the next
                 * range, never a translation of its own. */
                if (i + 1 < plan.nactive)
                        assert_int_equal(sw_plan_store_addr(&plan, slot, sw_range_end(r), &out), -1);
        }
        assert_int_equal(prev_last, s->store_base + s->store_size - 1);
        assert_int_equal(sw_plan_store_addr(&plan, slot, 0, &out), -1);
        assert_int_equal(sw_plan_store_addr(&plan, slot, plan.low_page, &out), -1);
        assert_int_equal(sw_plan_store_addr(&plan, slot, 0xB8000, &out), -1);
        assert_int_equal(sw_plan_store_addr(&plan, SW_PLAN_SLOTS, plan.active[0].base, &out), -1);
}

/* ---- the printed plan, read back ---- */

struct lines {
        unsigned n;
        char s[64][160];
};

static void collect(void *ctx, const char *text)
{
        struct lines *l = ctx;

        assert_true(l->n < 64);
        assert_true(strlen(text) < sizeof(l->s[0]));
        strcpy(l->s[l->n++], text);
}

static void check_print(void)
{
        static struct lines l;
        unsigned long long b, e, v;
        unsigned k = 0, nr;
        char size[64], id[32];

        l.n = 0;
        sw_plan_print(&plan, collect, &l);
        snprintf(size, sizeof(size), "plan: active region %s in ",
                 sw_fmt_size(id, sizeof(id), plan.active_bytes));
        assert_memory_equal(l.s[k], size, strlen(size));
        assert_int_equal(sscanf(l.s[k] + strlen(size), "%u range(s)", &nr), 1);
        assert_non_null(strstr(l.s[k++], " range(s)"));
        assert_int_equal(nr, plan.nactive);
        for (unsigned i = 0; i < plan.nactive; i++) {
                assert_int_equal(sscanf(l.s[k++], "plan:   active   0x%16llx-0x%16llx  %31[^\n]",
                                        &b, &e, size), 3);
                assert_int_equal(b, plan.active[i].base);
                assert_int_equal(e, sw_range_end(&plan.active[i]) - 1);
        }
        assert_int_equal(sscanf(l.s[k++], "plan:   low page 0x%16llx", &v), 1);
        assert_int_equal(v, plan.low_page);
        assert_int_equal(strlen(l.s[k - 1]), strlen("plan:   low page 0x") + 16);
        if (plan.resident_size) {
                assert_int_equal(sscanf(l.s[k++], "plan:   resident 0x%16llx-0x%16llx", &b, &e), 2);
                assert_int_equal(b, plan.resident_base);
                assert_int_equal(e, plan.resident_base + plan.resident_size - 1);
        }
        for (unsigned i = 0; i < plan.nslots; i++) {
                const struct sw_slot_plan *s = &plan.slots[i];

                /* %-12s: the word "store" starts in column 26 for short ids. */
                if (strlen(s->id) <= 12)
                        assert_memory_equal(l.s[k] + 13 + 12, " ", 1);
                if (s->placed) {
                        assert_int_equal(sscanf(l.s[k], "plan:   slot %31s store 0x%16llx-0x%16llx",
                                                id, &b, &e), 3);
                        assert_int_equal(b, s->store_base);
                        assert_int_equal(e, s->store_base + s->store_size - 1);
                } else {
                        assert_int_equal(sscanf(l.s[k], "plan:   slot %31s not placed", id), 1);
                        assert_non_null(strstr(l.s[k], "not placed (no room)"));
                }
                assert_string_equal(id, s->id);
                k++;
        }
        assert_int_equal(k, l.n);
}

/* ---- the real maps ---- */

static const char *const ids2[] = { "debian", "i686" };
static const char *const ids4[] = { "a", "b", "c", "d" };

static void test_plan_512M(void **state)
{
        struct sw_plan_request req = { 256 * MiB, 2 * MiB, NULL, 0, 1, ids2, NULL, NULL, NULL, NULL, NULL, 0 };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        int rc;
        (void)state;

        load_fixture("memmap-ovmf-512M.txt");
        /* 512 MiB cannot hold a 256 MiB region and a 256 MiB store: the
         * firmware keeps some, so one slot is the most that fits with 200. */
        req.active_size = 200 * MiB;
        rc = sw_plan_build(&map, &req, &plan, &d);
        assert_int_equal(rc, 1);
        assert_int_equal(cap.n, 0);
        check_plan(&req, rc);
        check_store_translation(0);
        check_print();
        /* OVMF punches its S3 ranges into low RAM: never contiguous. */
        assert_true(plan.nactive >= 3);
        assert_true(plan.active[0].base == 0x1000);
}

static void test_plan_2G_with_owned_image(void **state)
{
        /* The switcher's image sits inside what would be active RAM, and
         * does not start on a page boundary. */
        static const struct sw_range owned[] = {
                { 0x4000800, 0x123400 },
                { 0x7000000, 0x1000 },
        };
        struct sw_plan_request req = { 512 * MiB, 4 * MiB, owned, 2, 2, ids2, NULL, NULL, NULL, NULL, NULL, 0 };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        int rc;
        (void)state;

        load_fixture("memmap-ovmf-2G.txt");
        rc = sw_plan_build(&map, &req, &plan, &d);
        assert_int_equal(rc, 2);
        assert_int_equal(cap.n, 0);
        check_plan(&req, rc);
        check_store_translation(0);
        check_store_translation(1);
        check_print();
        /* The owned ranges are cut out, so the active region goes round
         * them: the pages right below and above them are active. */
        assert_true(sw_plan_in_active(&plan, 0x4000000 - 0x1000, 0x1000));
        assert_false(sw_plan_in_active(&plan, 0x4000000, 0x1000));
        assert_false(sw_plan_in_active(&plan, 0x4123000, 0x1000));
        assert_true(sw_plan_in_active(&plan, 0x4124000, 0x1000));
        /* A range across a hole is not inside ONE active range. */
        assert_false(sw_plan_in_active(&plan, 0x4000000 - 0x1000, 0x2000));
        assert_false(sw_plan_in_active(&plan, 0x1000, 0));
        assert_false(sw_plan_in_active(&plan, UINT64_MAX - 0xfff, 0x2000));
        /* Stores from the top of RAM down, 2 MiB aligned where possible. */
        assert_true(plan.slots[0].store_base > plan.slots[1].store_base);
        assert_int_equal(plan.slots[0].store_base % (2 * MiB), 0);
}

static void test_plan_6G_stores_above_4G(void **state)
{
        struct sw_plan_request req = { 1 * GiB, 8 * MiB, NULL, 0, 2, ids2, NULL, NULL, NULL, NULL, NULL, 0 };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        int rc;
        (void)state;

        load_fixture("memmap-ovmf-6G.txt");
        rc = sw_plan_build(&map, &req, &plan, &d);
        assert_int_equal(rc, 2);
        assert_int_equal(cap.n, 0);
        check_plan(&req, rc);
        for (unsigned i = 0; i < 2; i++) {
                assert_true(plan.slots[i].store_base >= 4 * GiB);
                assert_int_equal(plan.slots[i].store_base % (2 * MiB), 0);
                check_store_translation(i);
        }
        /* The resident block is below 4 GiB even though the top of RAM is not. */
        assert_true(plan.resident_base < 4 * GiB);
        assert_int_equal(plan.missing, 0);
        check_print();
}

static void test_plan_6G_ram_short(void **state)
{
        struct sw_plan_request req = { 1536 * MiB, 1 * MiB, NULL, 0, 4, ids4, NULL, NULL, NULL, NULL, NULL, 0 };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        char want[160], sz[32];
        int rc;
        (void)state;

        /* 6 GiB on q35 is 2 GiB below 4 GiB and 4 GiB above: a 1.5 GiB
         * region leaves room for fewer than four 1.5 GiB stores, and the
         * last slots are the ones left out. */
        load_fixture("memmap-ovmf-6G.txt");
        rc = sw_plan_build(&map, &req, &plan, &d);
        assert_true(rc >= 1 && rc < 4);
        check_plan(&req, rc);
        for (int i = 0; i < 4; i++)
                assert_int_equal(plan.slots[i].placed, i < rc);
        assert_int_equal(plan.missing, (uint64_t)(4 - rc) * req.active_size);
        assert_int_equal(cap.n, (unsigned)(4 - rc) + 1);
        assert_int_equal(d.warnings, cap.n);
        assert_int_equal(d.errors, 0);
        for (int i = rc; i < 4; i++) {
                snprintf(want, sizeof(want), "slot '%s': no room for its 1.5 GiB store (largest free piece: ",
                         ids4[i]);
                assert_memory_equal(cap.msg[i - rc], want, strlen(want));
                assert_non_null(strstr(cap.msg[i - rc], "); slot left out"));
        }
        snprintf(want, sizeof(want), "RAM is short by %s: %d slot(s) left out",
                 sw_fmt_size(sz, sizeof(sz), plan.missing), 4 - rc);
        assert_string_equal(cap.msg[cap.n - 1], want);
        check_print();
}

static void test_plan_6G_active_spills_above_4G(void **state)
{
        struct sw_plan_request req = { 2 * GiB, 1 * MiB, NULL, 0, 1, ids2, NULL, NULL, NULL, NULL, NULL, 0 };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        uint64_t below = 0;
        (void)state;

        /* q35 with 6 GiB has less than 2 GiB of RAM below 4 GiB.  The
         * resident block is placed first, at the top of that RAM, so a
         * 2 GiB active region takes the rest and goes on above 4 GiB. */
        load_fixture("memmap-ovmf-6G.txt");
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), 1);
        assert_int_equal(cap.n, 0);
        assert_int_equal(plan.active_bytes, 2 * GiB);
        assert_true(plan.resident_base + plan.resident_size <= 4 * GiB);
        assert_true(plan.active[plan.nactive - 1].base >= 4 * GiB);
        for (unsigned i = 0; i < plan.nactive; i++) {
                /* Never over the resident block. */
                assert_true(sw_range_end(&plan.active[i]) <= plan.resident_base ||
                            plan.active[i].base >= plan.resident_base + plan.resident_size);
                if (plan.active[i].base < 4 * GiB)
                        below += plan.active[i].size;
        }
        assert_true(below > 1 * GiB && below < 2 * GiB);
        check_print();
}

/* ---- hand-made maps for the exact messages ---- */

static void add(uint32_t type, uint64_t base, uint64_t size)
{
        struct sw_diag d = { 0 };

        assert_int_equal(sw_memmap_add(&map, type, base, size / 4096, 0xf, &d), 0);
}

/* Page 0 firmware, one conventional page at 0x9F000, 16 MiB at 1 MiB,
 * 16 MiB below 2 GiB for the resident block. */
static void small_map(void)
{
        sw_memmap_init(&map);
        add(SW_EFI_BS_CODE, 0, 0x1000);
        add(SW_EFI_RT_DATA, 0x1000, 0x9E000);
        add(SW_EFI_CONVENTIONAL, 0x9F000, 0x1000);
        add(SW_EFI_CONVENTIONAL, 1 * MiB, 16 * MiB);
        add(SW_EFI_CONVENTIONAL, 2 * GiB - 16 * MiB, 16 * MiB);
}

static void test_active_too_big(void **state)
{
        struct sw_plan_request req = { 48 * MiB, 1 * MiB, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0 };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        (void)state;

        small_map();
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), -1);
        assert_int_equal(cap.n, 1);
        assert_int_equal(cap.sev[0], SW_ERROR);
        /* Neither the low page nor the resident block (placed first, at the
         * top below 4 GiB) counts as free for the active region. */
        assert_string_equal(cap.msg[0], "active region needs 48 MiB but only 31 MiB of RAM is free; missing 17 MiB");

        /* Exactly what there is works, and takes the lowest RAM first. */
        req.active_size = 20 * MiB;
        cap.n = 0;
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), 0);
        assert_int_equal(cap.n, 0);
        assert_int_equal(plan.low_page, 0x9F000);
        assert_int_equal(plan.nactive, 2);
        assert_int_equal(plan.active[0].base, 1 * MiB);
        assert_int_equal(plan.active[0].size, 16 * MiB);
        assert_int_equal(plan.active[1].base, 2 * GiB - 16 * MiB);
        assert_int_equal(plan.active[1].size, 4 * MiB);
        /* The resident block at the top of what is left below 4 GiB. */
        assert_int_equal(plan.resident_base, 2 * GiB - 1 * MiB);
}

static void test_slots_left_out(void **state)
{
        struct sw_plan_request req = { 16 * MiB, 1 * MiB, NULL, 0, 3, NULL, NULL, NULL, NULL, NULL, NULL, 0 };
        static const char *const ids[] = { "a", "b", "c" };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        (void)state;

        req.slot_ids = ids;
        small_map();
        add(SW_EFI_CONVENTIONAL, 4 * GiB, 16 * MiB);
        add(SW_EFI_BS_DATA, 4 * GiB + 16 * MiB, 16 * MiB);      /* not claimable */
        add(SW_EFI_CONVENTIONAL, 4 * GiB + 32 * MiB, 10 * MiB);
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), 1);
        assert_int_equal(cap.n, 3);
        assert_string_equal(cap.msg[0],
                            "slot 'b': no room for its 16 MiB store (largest free piece: 15 MiB); slot left out");
        assert_string_equal(cap.msg[1],
                            "slot 'c': no room for its 16 MiB store (largest free piece: 15 MiB); slot left out");
        assert_string_equal(cap.msg[2], "RAM is short by 32 MiB: 2 slot(s) left out");
        assert_int_equal(d.warnings, 3);
        assert_int_equal(d.errors, 0);
        assert_true(plan.slots[0].placed);
        assert_int_equal(plan.slots[0].store_base, 4 * GiB);
        assert_false(plan.slots[1].placed);
        assert_false(plan.slots[2].placed);
        assert_int_equal(plan.missing, 32 * MiB);
        check_print();
}

static void test_store_alignment_fallback(void **state)
{
        struct sw_plan_request req = { 16 * MiB, 0, NULL, 0, 2, ids2, NULL, NULL, NULL, NULL, NULL, 0 };
        struct sw_diag d = { 0 };
        (void)state;

        small_map();
        /* A piece that ends 4 KiB past a 2 MiB boundary: the aligned store
         * fits below its top; a piece exactly the store's size at an odd
         * address takes it 4 KiB aligned. */
        add(SW_EFI_CONVENTIONAL, 5 * GiB + 0x1000, 16 * MiB);
        add(SW_EFI_CONVENTIONAL, 6 * GiB, 18 * MiB + 0x1000);
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), 2);
        assert_int_equal(plan.slots[0].store_base, 6 * GiB + 2 * MiB);
        assert_int_equal(plan.slots[1].store_base, 5 * GiB + 0x1000);
        /* No resident block asked for: none placed, none printed. */
        assert_int_equal(plan.resident_size, 0);
        check_print();
}

/* A slot with its own 'memory' sees a prefix of the active region and gets
 * a store of just that size. */
static void test_slot_memory_smaller(void **state)
{
        static const uint64_t sizes[] = { 0, 128 * MiB };
        struct sw_plan_request req = { 512 * MiB, 1 * MiB, NULL, 0, 2, ids2, sizes, NULL, NULL, NULL, NULL, 0 };
        struct sw_range r[SW_ACTIVE_MAX];
        uint64_t total;
        int n;
        (void)state;

        load_fixture("memmap-ovmf-2G.txt");
        assert_int_equal(sw_plan_build(&map, &req, &plan, NULL), 2);
        assert_int_equal(plan.slots[0].store_size, 512 * MiB);
        assert_int_equal(plan.slots[1].store_size, 128 * MiB);

        n = sw_plan_slot_ranges(&plan, 0, r, SW_ACTIVE_MAX);
        assert_int_equal(n, (int)plan.nactive);
        total = 0;
        for (int i = 0; i < n; i++)
                total += r[i].size;
        assert_int_equal(total, 512 * MiB);

        n = sw_plan_slot_ranges(&plan, 1, r, SW_ACTIVE_MAX);
        assert_true(n >= 1);
        total = 0;
        for (int i = 0; i < n; i++) {
                /* Each piece starts where an active range starts: a prefix. */
                assert_int_equal(r[i].base, plan.active[i].base);
                assert_true(r[i].size <= plan.active[i].size);
                total += r[i].size;
        }
        assert_int_equal(total, 128 * MiB);
        /* Only the last piece may be cut. */
        for (int i = 0; i + 1 < n; i++)
                assert_int_equal(r[i].size, plan.active[i].size);
        /* A slot that does not exist has no ranges. */
        assert_int_equal(sw_plan_slot_ranges(&plan, 5, r, SW_ACTIVE_MAX), -1);
}

static void test_no_low_page_no_resident(void **state)
{
        struct sw_plan_request req = { 8 * MiB, 32 * MiB, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0 };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        (void)state;

        sw_memmap_init(&map);
        add(SW_EFI_BS_DATA, 0x1000, 0x9F000);      /* free, but not claimable */
        add(SW_EFI_CONVENTIONAL, 1 * MiB, 16 * MiB);
        add(SW_EFI_CONVENTIONAL, 4 * GiB, 1 * GiB);
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), -1);
        assert_int_equal(cap.n, 2);
        assert_string_equal(cap.msg[0],
                            "plan: no conventional 4 KiB page below 0xA0000 for the trampoline's real-mode entry; no plan");
        assert_string_equal(cap.msg[1],
                            "plan: no room below 4 GiB for the switcher's resident block of 32 MiB (largest free piece: 16 MiB); no plan");
        assert_int_equal(d.errors, 2);
}

static void test_bad_requests(void **state)
{
        struct sw_plan_request req = { 8 * MiB, 0, NULL, 0, 17, ids4, NULL, NULL, NULL, NULL, NULL, 0 };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        (void)state;

        small_map();
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), -1);
        assert_string_equal(cap.msg[0], "plan: 17 slots asked for, at most 16 are supported; no plan");
        req.nslots = 0;
        req.active_size = 8 * MiB + 1;
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), -1);
        assert_string_equal(cap.msg[1],
                            "plan: active region size 0x800001 is not a positive multiple of 4 KiB; no plan");
        req.active_size = 0;
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), -1);
        assert_string_equal(cap.msg[2],
                            "plan: active region size 0x0 is not a positive multiple of 4 KiB; no plan");
        req.active_size = 8 * MiB;
        req.nowned = 1;
        req.owned = (const struct sw_range[]){ { UINT64_MAX - 0x1000, 0x800 } };
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), -1);
        assert_string_equal(cap.msg[3],
                            "plan: switcher-owned range 0xffffffffffffefff (+0x800) runs past the end of memory; no plan");
        /* A map filled by hand that breaks the sorted-and-disjoint rule. */
        req.nowned = 0;
        map.r[3].base = 0x9F000;
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), -1);
        assert_string_equal(cap.msg[4],
                            "plan: memory map range 3 (0x9f000, 0x1000000 bytes) is empty, unaligned, unsorted or overlapping; no plan");
        assert_int_equal(d.errors, 5);
}

static void test_fragmented_map(void **state)
{
        struct sw_plan_request req = { 0, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0 };
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        (void)state;

        /* 100 one-page pieces of free RAM, each followed by a firmware page. */
        sw_memmap_init(&map);
        add(SW_EFI_CONVENTIONAL, 0x9F000, 0x1000);
        for (unsigned i = 0; i < 100; i++) {
                add(SW_EFI_BS_DATA, 1 * MiB + i * 0x2000ULL, 0x1000);
                add(SW_EFI_RT_DATA, 1 * MiB + i * 0x2000ULL + 0x1000, 0x1000);
        }
        req.active_size = 64 * 0x1000;
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), 0);
        assert_int_equal(plan.nactive, 64);
        req.active_size = 65 * 0x1000;
        assert_int_equal(sw_plan_build(&map, &req, &plan, &d), -1);
        assert_string_equal(cap.msg[0],
                            "plan: the active region of 260 KiB would need more than 64 ranges of RAM (the map is too fragmented); no plan");
}

/* ---- slot order and the default slot ---- */

static struct sw_config cfg;
static struct sw_plan_input in;

/* Plans config TEXT on map as the switcher and mkslot do (parse, the menu's
 * sort, the request from the config); returns what sw_plan_build() does,
 * with its messages in *cap. */
static int plan_conf(const char *text, struct capture *cap)
{
        struct sw_diag d = { capture_emit, cap, 0, 0 };

        memset(cap, 0, sizeof(*cap));
        assert_true(sw_config_parse(&cfg, text, strlen(text), "o.conf", &d) > 0);
        assert_int_equal(cap->n, 0);
        sw_config_sort(&cfg);
        in = (struct sw_plan_input){ .cfg = &cfg, .map_top = sw_memmap_top(&map) };
        sw_plan_input_from_config(&in);
        return sw_plan_build(&map, &in.req, &plan, &d);
}

/* The index in the plan of slot id. */
static unsigned plan_index(const char *id)
{
        return plan_slot_index(&plan, id);
}

/* Every store at the same address whichever slot is the default, and
 * whatever sort-key puts first in the menu: the stores follow the file,
 * the first slot's highest, and `mkslot plan` prints the same lines. */
static void test_order_ignores_default(void **state)
{
        static const char *const defaults[] = { "a", "b", "c", "b" };
        static const char *const file_order[] = { "a", "b", "c" };
        static struct lines first, now;
        static char text[512];
        struct capture cap;
        (void)state;

        load_fixture("memmap-ovmf-6G.txt");
        for (unsigned k = 0; k < 4; k++) {
                /* The last round puts c first in the menu by its sort-key. */
                snprintf(text, sizeof(text),
                         "default %s\nactive-size 512M\n\nslot a\nlinux /a\n\nslot b\nlinux /b\n\nslot c\nlinux /c\n%s",
                         defaults[k], k == 3 ? "sort-key 0\n" : "");
                assert_int_equal(plan_conf(text, &cap), 3);
                assert_int_equal(cap.n, 0);
                assert_string_equal(cfg.slots[0].id, k == 3 ? "c" : "a");
                check_plan(&in.req, 3);
                check_print();
                for (unsigned i = 0; i < 3; i++)
                        assert_string_equal(in.ids[i], file_order[i]);
                assert_int_equal(in.default_index, defaults[k][0] - 'a');
                assert_int_equal(in.req.default_slot, in.default_index);
                assert_true(plan.slots[0].store_base > plan.slots[1].store_base);
                assert_true(plan.slots[1].store_base > plan.slots[2].store_base);
                now.n = 0;
                sw_plan_print(&plan, collect, &now);
                if (k == 0) {
                        first = now;
                        continue;
                }
                assert_int_equal(now.n, first.n);
                for (unsigned i = 0; i < now.n; i++)
                        assert_string_equal(now.s[i], first.s[i]);
        }
}

/* The small map with room above 4 GiB for two of three 16 MiB stores. */
static void short_map(void)
{
        small_map();
        add(SW_EFI_CONVENTIONAL, 4 * GiB, 16 * MiB);
        add(SW_EFI_CONVENTIONAL, 4 * GiB + 32 * MiB, 16 * MiB);
}

/* RAM for two stores of three: the default keeps its store wherever it is
 * in the file, the stores placed still follow the file, and the slot left
 * out is reported as any slot without room is. */
static void test_short_keeps_default(void **state)
{
        static const char conf[] = "default %s\nactive-size 16M\n\n"
                                   "slot a\nlinux /a\n\nslot b\nlinux /b\n\nslot c\nlinux /c\n%s";
        static struct lines l;
        static char text[512];
        struct capture cap;
        struct sw_diag d;
        (void)state;

        short_map();

        /* The default last: b, whose store would take the default's room,
         * gives way; a keeps the higher piece. */
        snprintf(text, sizeof(text), conf, "c", "");
        assert_int_equal(plan_conf(text, &cap), 2);
        check_plan(&in.req, 2);
        assert_int_equal(cap.n, 2);
        assert_int_equal(cap.sev[0], SW_WARN);
        assert_string_equal(cap.msg[0],
                            "slot 'b': its 16 MiB store would leave no room for the default slot 'c'; slot left out");
        assert_string_equal(cap.msg[1], "RAM is short by 16 MiB: 1 slot(s) left out");
        assert_true(plan.slots[plan_index("a")].placed);
        assert_false(plan.slots[plan_index("b")].placed);
        assert_true(plan.slots[plan_index("c")].placed);
        assert_int_equal(plan.slots[plan_index("a")].store_base, 4 * GiB + 32 * MiB);
        assert_int_equal(plan.slots[plan_index("c")].store_base, 4 * GiB);
        assert_int_equal(plan.slots[plan_index("b")].store_base, 0);
        assert_int_equal(plan.missing, 16 * MiB);
        check_print();
        l.n = 0;
        sw_plan_print(&plan, collect, &l);
        assert_string_equal(l.s[l.n - 2], "plan:   slot b            not placed (no room)");

        /* Without a default to keep, the same request leaves out the last. */
        memset(&cap, 0, sizeof(cap));
        d = (struct sw_diag){ capture_emit, &cap, 0, 0 };
        in.req.default_slot = -1;
        assert_int_equal(sw_plan_build(&map, &in.req, &plan, &d), 2);
        assert_true(plan.slots[1].placed);
        assert_false(plan.slots[2].placed);

        /* The default first or in the middle: the last slot has no room,
         * with the message it always had. */
        for (unsigned k = 0; k < 2; k++) {
                snprintf(text, sizeof(text), conf, k ? "b" : "a", "");
                assert_int_equal(plan_conf(text, &cap), 2);
                check_plan(&in.req, 2);
                assert_int_equal(cap.n, 2);
                assert_memory_equal(cap.msg[0], "slot 'c': no room for its 16 MiB store (largest free piece: ",
                                    strlen("slot 'c': no room for its 16 MiB store (largest free piece: "));
                assert_non_null(strstr(cap.msg[0], "); slot left out"));
                assert_string_equal(cap.msg[1], "RAM is short by 16 MiB: 1 slot(s) left out");
                assert_int_equal(plan.slots[0].store_base, 4 * GiB + 32 * MiB);
                assert_int_equal(plan.slots[1].store_base, 4 * GiB);
                assert_false(plan.slots[2].placed);
                check_print();
        }

        /* A default that fits nowhere takes nobody's room: a and b keep
         * their stores, and c is left out for want of room. */
        snprintf(text, sizeof(text), conf, "c", "mode in-place\nmemory 64M\n");
        assert_int_equal(plan_conf(text, &cap), 2);
        assert_int_equal(cap.n, 2);
        assert_memory_equal(cap.msg[0], "slot 'c': no room for its 66 MiB store (largest free piece: ",
                            strlen("slot 'c': no room for its 66 MiB store (largest free piece: "));
        assert_true(plan.slots[0].placed);
        assert_true(plan.slots[1].placed);
        assert_false(plan.slots[2].placed);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plan_512M),
                cmocka_unit_test(test_plan_2G_with_owned_image),
                cmocka_unit_test(test_plan_6G_stores_above_4G),
                cmocka_unit_test(test_plan_6G_ram_short),
                cmocka_unit_test(test_plan_6G_active_spills_above_4G),
                cmocka_unit_test(test_active_too_big),
                cmocka_unit_test(test_slots_left_out),
                cmocka_unit_test(test_store_alignment_fallback),
                cmocka_unit_test(test_slot_memory_smaller),
                cmocka_unit_test(test_no_low_page_no_resident),
                cmocka_unit_test(test_bad_requests),
                cmocka_unit_test(test_fragmented_map),
                cmocka_unit_test(test_order_ignores_default),
                cmocka_unit_test(test_short_keeps_default),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
