/* SPDX-License-Identifier: MIT */
/*
 * The memory planner (see plan.h for what it places and in which order).
 *
 * Everything is worked out on the fly from the memory map and a small set
 * of "taken" intervals (page 0, the legacy hole, the switcher's own ranges
 * and whatever has been placed so far): the free pieces are the map's runs
 * of a wanted kind minus the taken set, walked in address order.  That keeps
 * the stack small (the EFI stack is not large) and needs no allocation.
 */
#include "plan.h"

#include <string.h>

#include "fmt.h"
#include "layout.h"

#define KiB 1024ULL
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

/* Page 0 holds the real-mode IVT and BIOS data: nobody's RAM. */
#define PAGE0_END 0x1000ULL
/* VGA memory, option ROMs and the BIOS: a hole in every PC, whatever the
 * map claims about it. */
#define LEGACY_BASE 0xA0000ULL
#define LEGACY_END 0x100000ULL
/* Stores are aligned like this when the piece allows, so the copy loop and
 * a future large-page mapping of them work on whole 2 MiB pages. */
#define STORE_ALIGN (2 * MiB)

/* Everything the taken set can ever hold, merged or not: page 0, the
 * legacy hole, the owned ranges, the low page, the resident block, the
 * active ranges, and per slot a store, a DMA32 window and a recovery copy. */
#define TAKEN_MAX (SW_PLAN_OWNED_MAX + 3 + SW_ACTIVE_MAX + 1 + 3 * SW_PLAN_SLOTS)

struct ival {
        uint64_t base;
        uint64_t end;   /* exclusive */
};

struct taken {
        unsigned n;
        struct ival r[TAKEN_MAX];       /* sorted by base, disjoint, not adjacent */
};

/* Rounds up to whole pages; values near 2^64 round down instead of wrapping. */
static uint64_t align_up_page(uint64_t v)
{
        if (v > UINT64_MAX - (SW_PAGE_SIZE - 1))
                return v & ~(SW_PAGE_SIZE - 1);
        return (v + SW_PAGE_SIZE - 1) & ~(SW_PAGE_SIZE - 1);
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
        return v & ~(a - 1);
}

/* Adds [base, end) to the set, merging what it touches.  Returns -1 only if
 * the fixed array is full, which the limits in plan.h rule out. */
static int taken_add(struct taken *t, uint64_t base, uint64_t end)
{
        unsigned at = 0, out;

        if (base >= end)
                return 0;
        if (t->n >= TAKEN_MAX)
                return -1;
        while (at < t->n && t->r[at].base < base)
                at++;
        memmove(&t->r[at + 1], &t->r[at], (t->n - at) * sizeof(t->r[0]));
        t->r[at].base = base;
        t->r[at].end = end;
        t->n++;
        out = 0;
        for (unsigned i = 1; i < t->n; i++) {
                if (t->r[i].base <= t->r[out].end) {
                        if (t->r[i].end > t->r[out].end)
                                t->r[out].end = t->r[i].end;
                } else {
                        t->r[++out] = t->r[i];
                }
        }
        t->n = out + 1;
        return 0;
}

enum piece_kind {
        PIECE_FREE,     /* any free-class RAM: what the active region may use */
        PIECE_CONV,     /* conventional only: what AllocatePages(AllocateAddress) can claim */
};

/*
 * Walks the pieces of kind k, in address order, below limit: runs of
 * adjacent matching map ranges (a run may span descriptors that differ only
 * in attributes) minus the taken set.
 */
struct piece_it {
        const struct sw_memmap *m;
        enum piece_kind kind;
        const struct taken *t;
        uint64_t limit;
        unsigned mi;
        uint64_t cur;
        uint64_t run_end;
};

static bool piece_matches(enum piece_kind k, const struct sw_mem_range *r)
{
        if (k == PIECE_CONV)
                return r->efi_type == SW_EFI_CONVENTIONAL;
        return sw_mem_class_of(r->efi_type) == SW_MEM_FREE;
}

static void piece_start(struct piece_it *it, const struct sw_memmap *m, enum piece_kind k,
                        const struct taken *t, uint64_t limit)
{
        it->m = m;
        it->kind = k;
        it->t = t;
        it->limit = limit;
        it->mi = 0;
        it->cur = 0;
        it->run_end = 0;
}

static bool piece_next(struct piece_it *it, struct ival *out)
{
        const struct sw_memmap *m = it->m;

        for (;;) {
                uint64_t e;
                bool skipped = false;

                if (it->cur >= it->run_end) {
                        while (it->mi < m->n && !piece_matches(it->kind, &m->r[it->mi]))
                                it->mi++;
                        if (it->mi >= m->n)
                                return false;
                        it->cur = m->r[it->mi].base;
                        it->run_end = it->cur + m->r[it->mi].size;
                        it->mi++;
                        while (it->mi < m->n && piece_matches(it->kind, &m->r[it->mi]) &&
                               m->r[it->mi].base == it->run_end) {
                                it->run_end += m->r[it->mi].size;
                                it->mi++;
                        }
                        /* The map is sorted: nothing after this run is
                         * below the limit either. */
                        if (it->cur >= it->limit)
                                return false;
                        if (it->run_end > it->limit)
                                it->run_end = it->limit;
                        continue;
                }
                e = it->run_end;
                for (unsigned i = 0; i < it->t->n; i++) {
                        const struct ival *tk = &it->t->r[i];

                        if (tk->end <= it->cur)
                                continue;
                        if (tk->base <= it->cur) {
                                it->cur = tk->end < it->run_end ? tk->end : it->run_end;
                                skipped = true;
                        } else if (tk->base < e) {
                                e = tk->base;
                        }
                        break;
                }
                if (skipped)
                        continue;
                out->base = it->cur;
                out->end = e;
                it->cur = e;
                return true;
        }
}

/* The invariants the walk relies on, checked once, because a map filled by
 * hand (not through sw_memmap_add) could break them. */
static int check_map(const struct sw_memmap *m, struct sw_diag *d)
{
        uint64_t prev_end = 0;

        if (m->n > SW_MEMMAP_MAX) {
                sw_diagf(d, SW_ERROR, "plan: memory map claims %u ranges, more than %u; no plan",
                         m->n, SW_MEMMAP_MAX);
                return -1;
        }
        for (unsigned i = 0; i < m->n; i++) {
                const struct sw_mem_range *r = &m->r[i];

                if (r->size == 0 || r->base % SW_PAGE_SIZE || r->size % SW_PAGE_SIZE ||
                    r->size > UINT64_MAX - r->base || r->base < prev_end) {
                        sw_diagf(d, SW_ERROR,
                                 "plan: memory map range %u (0x%llx, 0x%llx bytes) is empty, unaligned, unsorted or overlapping; no plan",
                                 i, (unsigned long long)r->base, (unsigned long long)r->size);
                        return -1;
                }
                prev_end = r->base + r->size;
        }
        return 0;
}

static int place_active(const struct sw_memmap *m, const struct taken *t, uint64_t want,
                        struct sw_plan *p, struct sw_diag *d)
{
        struct piece_it it;
        struct ival pc;
        uint64_t got = 0, avail = 0;
        char a[24], b[24], c[24];

        piece_start(&it, m, PIECE_FREE, t, UINT64_MAX);
        while (piece_next(&it, &pc)) {
                uint64_t size = pc.end - pc.base;

                avail += size;
                if (got == want)
                        continue;
                if (size > want - got)
                        size = want - got;
                if (p->nactive >= SW_ACTIVE_MAX) {
                        sw_diagf(d, SW_ERROR,
                                 "plan: the active region of %s would need more than %u ranges of RAM (the map is too fragmented); no plan",
                                 sw_fmt_size(a, sizeof(a), want), SW_ACTIVE_MAX);
                        return -1;
                }
                p->active[p->nactive].base = pc.base;
                p->active[p->nactive].size = size;
                p->nactive++;
                got += size;
        }
        p->active_bytes = got;
        if (got < want) {
                sw_diagf(d, SW_ERROR, "active region needs %s but only %s of RAM is free; missing %s",
                         sw_fmt_size(a, sizeof(a), want), sw_fmt_size(b, sizeof(b), avail),
                         sw_fmt_size(c, sizeof(c), want - got));
                return -1;
        }
        return 0;
}

/* The highest conventional page below the legacy hole that nothing else
 * owns; the firmware's S3 resume enters it in real mode. */
static bool find_low_page(const struct sw_memmap *m, const struct taken *t, uint64_t *out)
{
        struct piece_it it;
        struct ival pc;
        bool found = false;

        piece_start(&it, m, PIECE_CONV, t, LEGACY_BASE);
        while (piece_next(&it, &pc)) {
                if (pc.end - pc.base >= SW_PAGE_SIZE) {
                        *out = pc.end - SW_PAGE_SIZE;
                        found = true;
                }
        }
        return found;
}

/*
 * The highest conventional piece below limit that holds size bytes; the
 * block goes at its top, aligned down to align when that stays inside.
 * *largest gets the largest piece seen, for the message when none fits.
 */
static bool find_top(const struct sw_memmap *m, const struct taken *t, uint64_t limit,
                     uint64_t size, uint64_t align, uint64_t *base, uint64_t *largest)
{
        struct piece_it it;
        struct ival pc;
        bool found = false;

        *largest = 0;
        piece_start(&it, m, PIECE_CONV, t, limit);
        while (piece_next(&it, &pc)) {
                uint64_t len = pc.end - pc.base;

                if (len > *largest)
                        *largest = len;
                if (len < size)
                        continue;
                *base = align_down(pc.end - size, align);
                if (*base < pc.base)
                        *base = pc.end - size;
                found = true;
        }
        return found;
}

/* Bytes of the active region below address limit. */
static uint64_t active_bytes_below(const struct sw_plan *p, uint64_t limit)
{
        uint64_t n = 0;

        for (unsigned i = 0; i < p->nactive; i++) {
                const struct sw_range *r = &p->active[i];

                if (r->base >= limit)
                        break;
                n += sw_range_end(r) <= limit ? r->size : limit - r->base;
        }
        return n;
}

/*
 * How many bytes of DMA32 window an in-place slot whose own RAM is
 * [own, end) still needs (see SW_PLAN_DMA32_LIMIT): none when all of that
 * RAM lies below the limit, or at least want bytes of it do; else want.
 */
static uint64_t dma32_needed(uint64_t own, uint64_t end, uint64_t want)
{
        uint64_t below;

        if (!want || end <= SW_PLAN_DMA32_LIMIT)
                return 0;
        below = own < SW_PLAN_DMA32_LIMIT ? SW_PLAN_DMA32_LIMIT - own : 0;
        return below >= want ? 0 : want;
}

static const char *slot_id(const struct sw_plan_request *req, unsigned i)
{
        if (!req->slot_ids || !req->slot_ids[i])
                return "?";
        return req->slot_ids[i];
}

/*
 * Places slot i's store, and an in-place slot's DMA32 window, in t and
 * fills *s.  Returns true when placed; false when the slot is left out,
 * with the reason reported through d and the bytes that did not fit added
 * to *missing.  The same map, taken set and request always give the same
 * answer, so keeps_room() can try it on a copy with d NULL.
 */
static bool place_store(const struct sw_memmap *m, struct taken *t, const struct sw_plan_request *req,
                        const struct sw_plan *p, unsigned i, struct sw_slot_plan *s, struct sw_diag *d,
                        uint64_t *missing)
{
        uint64_t largest, want, below;
        char a[24], b[24];

        memset(s, 0, sizeof(*s));
        s->id = slot_id(req, i);
        s->in_place = req->slot_in_place && req->slot_in_place[i];
        /* A slot that sees less RAM than the active region only needs a
         * store for the part it sees. */
        s->store_size = p->active_bytes;
        if (req->slot_sizes && req->slot_sizes[i] && req->slot_sizes[i] < p->active_bytes)
                s->store_size = align_up_page(req->slot_sizes[i]);
        /* An in-place slot's store is its RAM, of the size it asked for
         * (even beyond the active region's), after its saved low memory. */
        if (s->in_place) {
                want = req->slot_sizes && req->slot_sizes[i] ? req->slot_sizes[i] : p->active_bytes;
                s->store_size = SW_INPLACE_LOW + align_up_page(want);
        }
        /* A slot with an address limit (a 32-bit kernel) sees only the part
         * of the active region below it: its RAM is the first store_size
         * bytes, so cutting the size is enough. */
        if (!s->in_place && req->slot_limits && req->slot_limits[i]) {
                below = active_bytes_below(p, req->slot_limits[i]);
                if (below < s->store_size) {
                        sw_diagf(d, SW_INFO, "slot '%s': sees %s of the active region (its limit is 0x%llx)",
                                 s->id, sw_fmt_size(a, sizeof(a), below),
                                 (unsigned long long)req->slot_limits[i]);
                        s->store_size = below;
                }
                if (s->store_size < SW_PLAN_SLOT_MIN) {
                        sw_diagf(d, SW_WARN, "slot '%s': only %s of the active region lies below 0x%llx; slot left out",
                                 s->id, sw_fmt_size(a, sizeof(a), s->store_size),
                                 (unsigned long long)req->slot_limits[i]);
                        return false;
                }
        }
        if (!find_top(m, t, UINT64_MAX, s->store_size, STORE_ALIGN, &s->store_base, &largest)) {
                s->store_base = 0;
                *missing += s->store_size;
                sw_diagf(d, SW_WARN, "slot '%s': no room for its %s store (largest free piece: %s); slot left out",
                         s->id, sw_fmt_size(a, sizeof(a), s->store_size), sw_fmt_size(b, sizeof(b), largest));
                return false;
        }
        want = s->in_place && req->slot_dma32
                       ? dma32_needed(s->store_base + SW_INPLACE_LOW, s->store_base + s->store_size,
                                      align_up_page(req->slot_dma32[i]))
                       : 0;
        /*
         * The window goes below the store as well as below 4 GiB: every
         * free piece below both is apart from the store, which is not taken
         * yet, so a window that does not fit leaves nothing to undo.
         */
        below = s->store_base < SW_PLAN_DMA32_LIMIT ? s->store_base : SW_PLAN_DMA32_LIMIT;
        if (want && !find_top(m, t, below, want, STORE_ALIGN, &s->dma32_base, &largest)) {
                s->store_base = 0;
                s->dma32_base = 0;
                *missing += want;
                sw_diagf(d, SW_WARN,
                         "slot '%s': no room below 4 GiB for its %s DMA32 window (largest free piece: %s); "
                         "give it a smaller dma32-size, or 0 for none; slot left out",
                         s->id, sw_fmt_size(a, sizeof(a), want), sw_fmt_size(b, sizeof(b), largest));
                return false;
        }
        if (want) {
                s->dma32_size = want;
                taken_add(t, s->dma32_base, s->dma32_base + want);
        }
        s->placed = true;
        taken_add(t, s->store_base, s->store_base + s->store_size);
        return true;
}

/*
 * True if slot def (the default) still gets its store once slot first is
 * placed in t (first < 0: with t as it is), tried on a copy of t.  A first
 * slot that would be left out anyway takes no room, so the answer is then
 * true.  *first_plan gets what placing first gave (its store size, for the
 * message when it must give way).
 */
static bool keeps_room(const struct sw_memmap *m, const struct taken *t, const struct sw_plan_request *req,
                       const struct sw_plan *p, int first, unsigned def, struct sw_slot_plan *first_plan)
{
        struct taken copy = *t;
        struct sw_slot_plan s;
        uint64_t lost = 0;

        if (first >= 0 && !place_store(m, &copy, req, p, (unsigned)first, first_plan, NULL, &lost))
                return true;
        return place_store(m, &copy, req, p, def, &s, NULL, &lost);
}

int sw_plan_build(const struct sw_memmap *m, const struct sw_plan_request *req,
                  struct sw_plan *p, struct sw_diag *d)
{
        struct taken t;
        struct sw_slot_plan trial;
        uint64_t rsize, largest;
        unsigned placed = 0, left_out = 0;
        char a[24], b[24];
        bool ok = true, protect;

        memset(p, 0, sizeof(*p));
        t.n = 0;

        if (check_map(m, d) < 0)
                return -1;
        if (req->nslots > SW_PLAN_SLOTS) {
                sw_diagf(d, SW_ERROR, "plan: %u slots asked for, at most %u are supported; no plan",
                         req->nslots, SW_PLAN_SLOTS);
                return -1;
        }
        if (req->nowned > SW_PLAN_OWNED_MAX || (req->nowned && !req->owned)) {
                sw_diagf(d, SW_ERROR,
                         "plan: %u switcher-owned ranges given, at most %u are supported; no plan",
                         req->nowned, SW_PLAN_OWNED_MAX);
                return -1;
        }
        if (req->active_size == 0 || req->active_size % SW_PAGE_SIZE) {
                sw_diagf(d, SW_ERROR,
                         "plan: active region size 0x%llx is not a positive multiple of 4 KiB; no plan",
                         (unsigned long long)req->active_size);
                return -1;
        }
        if (req->resident_size > UINT64_MAX - SW_PAGE_SIZE) {
                sw_diagf(d, SW_ERROR, "plan: resident block size 0x%llx is absurd; no plan",
                         (unsigned long long)req->resident_size);
                return -1;
        }
        rsize = (req->resident_size + SW_PAGE_SIZE - 1) & ~(SW_PAGE_SIZE - 1);

        taken_add(&t, 0, PAGE0_END);
        taken_add(&t, LEGACY_BASE, LEGACY_END);
        for (unsigned i = 0; i < req->nowned; i++) {
                const struct sw_range *o = &req->owned[i];
                uint64_t end;

                /* Whole pages: the image need not start or end on one, but
                 * nothing else may share a page with it. */
                if (o->size > UINT64_MAX - o->base ||
                    o->base + o->size > UINT64_MAX - (SW_PAGE_SIZE - 1)) {
                        sw_diagf(d, SW_ERROR,
                                 "plan: switcher-owned range 0x%llx (+0x%llx) runs past the end of memory; no plan",
                                 (unsigned long long)o->base, (unsigned long long)o->size);
                        return -1;
                }
                end = (o->base + o->size + SW_PAGE_SIZE - 1) & ~(SW_PAGE_SIZE - 1);
                taken_add(&t, align_down(o->base, SW_PAGE_SIZE), end);
        }

        /* The low page first, though it is printed after the active region:
         * it must be known before the active region can leave it out. */
        if (find_low_page(m, &t, &p->low_page)) {
                taken_add(&t, p->low_page, p->low_page + SW_PAGE_SIZE);
        } else {
                sw_diagf(d, SW_ERROR,
                         "plan: no conventional 4 KiB page below 0xA0000 for the trampoline's real-mode entry; no plan");
                ok = false;
        }

        /* The resident block stays below 4 GiB because the trampoline and
         * the 32-bit ACPI pointers into the table copies must reach it.  It
         * is placed before the active region (at the top of the RAM below
         * 4 GiB, where an active region growing from the bottom reaches
         * last), so an active region larger than the RAM below 4 GiB can
         * spill above it: the original 4 GiB active region on a machine
         * with a PCI hole. */
        p->resident_size = rsize;
        if (rsize) {
                if (find_top(m, &t, 4 * GiB, rsize, SW_PAGE_SIZE, &p->resident_base, &largest)) {
                        taken_add(&t, p->resident_base, p->resident_base + rsize);
                } else {
                        sw_diagf(d, SW_ERROR,
                                 "plan: no room below 4 GiB for the switcher's resident block of %s (largest free piece: %s); no plan",
                                 sw_fmt_size(a, sizeof(a), rsize),
                                 sw_fmt_size(b, sizeof(b), largest));
                        ok = false;
                }
        }
        if (!ok)
                return -1;
        if (place_active(m, &t, req->active_size, p, d) < 0)
                return -1;
        for (unsigned i = 0; i < p->nactive; i++)
                if (taken_add(&t, p->active[i].base, sw_range_end(&p->active[i])) < 0)
                        return -1;

        /*
         * Stores from the top of RAM down: they hold no guest's running
         * memory, so memory above 4 GiB (which 32-bit guests cannot use
         * anyway) is the best place for them.  They are placed in request
         * order (the file's order), so a slot's store does not move when
         * another slot becomes the default: a snapshot fits only the store
         * it was taken from.  When RAM is short the default slot still
         * keeps its store: a slot before it whose store would leave no room
         * for the default's is left out (see keeps_room()).
         */
        p->nslots = req->nslots;
        protect = req->default_slot >= 0 && (unsigned)req->default_slot < req->nslots &&
                  keeps_room(m, &t, req, p, -1, (unsigned)req->default_slot, &trial);
        for (unsigned i = 0; i < req->nslots; i++) {
                struct sw_slot_plan *s = &p->slots[i];

                if (protect && (int)i < req->default_slot &&
                    !keeps_room(m, &t, req, p, (int)i, (unsigned)req->default_slot, &trial)) {
                        *s = trial;
                        p->missing += s->store_size + s->dma32_size;
                        s->placed = false;
                        s->store_base = 0;
                        s->dma32_base = 0;
                        s->dma32_size = 0;
                        left_out++;
                        sw_diagf(d, SW_WARN,
                                 "slot '%s': its %s store would leave no room for the default slot '%s'; slot left out",
                                 s->id, sw_fmt_size(a, sizeof(a), s->store_size),
                                 slot_id(req, (unsigned)req->default_slot));
                        continue;
                }
                if (place_store(m, &t, req, p, i, s, d, &p->missing))
                        placed++;
                else
                        left_out++;
        }
        if (p->missing)
                sw_diagf(d, SW_WARN, "RAM is short by %s: %u slot(s) left out",
                         sw_fmt_size(a, sizeof(a), p->missing), left_out);

        /* Recovery copies last: a slot without one still runs, it only
         * cannot be cold-booted again after damage. */
        for (unsigned i = 0; i < req->nslots && req->slot_spare; i++) {
                struct sw_slot_plan *s = &p->slots[i];
                uint64_t want = align_up_page(req->slot_spare[i]);

                if (!s->placed || !want)
                        continue;
                if (find_top(m, &t, UINT64_MAX, want, SW_PAGE_SIZE, &s->spare_base, &largest)) {
                        s->spare_size = want;
                        taken_add(&t, s->spare_base, s->spare_base + want);
                } else {
                        s->spare_base = 0;
                        sw_diagf(d, SW_WARN, "slot '%s': no room for its %s recovery copy (largest free piece: %s); "
                                 "it cannot be cold-booted again if its saved state is damaged, nor restart or start again alone after a reboot or power-off",
                                 s->id, sw_fmt_size(a, sizeof(a), want), sw_fmt_size(b, sizeof(b), largest));
                }
        }
        return (int)placed;
}

/* Bytes of the active ranges below 1 MiB: what an in-place slot shares. */
static uint64_t low_active_bytes(const struct sw_plan *p)
{
        return active_bytes_below(p, LEGACY_END);
}

int sw_plan_store_addr(const struct sw_plan *p, unsigned slot, uint64_t active_addr,
                       uint64_t *out)
{
        const struct sw_slot_plan *s;
        uint64_t off = 0, limit;

        if (slot >= p->nslots || slot >= SW_PLAN_SLOTS || !p->slots[slot].placed)
                return -1;
        s = &p->slots[slot];
        /* Only what the slot sees is in its store; an address past that
         * must not land past the end of the store. */
        limit = s->in_place ? low_active_bytes(p) : s->store_size;
        for (unsigned i = 0; i < p->nactive && i < SW_ACTIVE_MAX; i++) {
                const struct sw_range *r = &p->active[i];

                if (active_addr >= r->base && active_addr - r->base < r->size) {
                        if (off + (active_addr - r->base) >= limit)
                                return -1;
                        *out = s->store_base + off + (active_addr - r->base);
                        return 0;
                }
                off += r->size;
        }
        return -1;
}

int sw_plan_slot_ranges(const struct sw_plan *p, unsigned slot, struct sw_range *out, unsigned max)
{
        const struct sw_slot_plan *s;
        uint64_t left;
        unsigned n = 0;

        if (slot >= p->nslots || slot >= SW_PLAN_SLOTS || !p->slots[slot].placed)
                return -1;
        s = &p->slots[slot];
        left = s->in_place ? low_active_bytes(p) : s->store_size;
        for (unsigned i = 0; i < p->nactive && i < SW_ACTIVE_MAX && left && n < max; i++) {
                uint64_t take = p->active[i].size < left ? p->active[i].size : left;

                out[n].base = p->active[i].base;
                out[n].size = take;
                n++;
                left -= take;
        }
        /* Below the own RAM (see the planner), so the ranges stay in
         * address order. */
        if (s->in_place && s->dma32_size && n < max) {
                out[n].base = s->dma32_base;
                out[n].size = s->dma32_size;
                n++;
        }
        if (s->in_place && n < max) {
                out[n].base = s->store_base + SW_INPLACE_LOW;
                out[n].size = s->store_size - SW_INPLACE_LOW;
                n++;
        }
        return (int)n;
}

uint64_t sw_plan_saved_bytes(const struct sw_plan *p, unsigned slot)
{
        if (slot >= p->nslots || slot >= SW_PLAN_SLOTS || !p->slots[slot].placed)
                return 0;
        return p->slots[slot].in_place ? low_active_bytes(p) : p->slots[slot].store_size;
}

/* True if [addr, addr+len) lies inside [lo, hi), without overflow. */
static bool inside(uint64_t addr, uint64_t len, uint64_t lo, uint64_t hi)
{
        return lo <= hi && len <= hi - lo && addr >= lo && addr - lo <= hi - lo - len;
}

bool sw_plan_in_own(const struct sw_plan *p, unsigned slot, uint64_t addr, uint64_t len)
{
        const struct sw_slot_plan *s;

        if (slot >= p->nslots || slot >= SW_PLAN_SLOTS || !p->slots[slot].placed || !p->slots[slot].in_place)
                return false;
        s = &p->slots[slot];
        if (s->dma32_size && inside(addr, len, s->dma32_base, s->dma32_base + s->dma32_size))
                return true;
        return inside(addr, len, s->store_base + SW_INPLACE_LOW, s->store_base + s->store_size);
}

bool sw_plan_in_active(const struct sw_plan *p, uint64_t base, uint64_t size)
{
        if (size == 0 || size > UINT64_MAX - base)
                return false;
        for (unsigned i = 0; i < p->nactive && i < SW_ACTIVE_MAX; i++) {
                const struct sw_range *r = &p->active[i];

                if (base >= r->base && base + size <= sw_range_end(r))
                        return true;
        }
        return false;
}

/* One "plan:   slot ID KIND 0xFIRST-0xLAST  SIZE" line. */
static void print_slot_range(void (*line)(void *ctx, const char *text), void *ctx, const char *id,
                             const char *kind, uint64_t base, uint64_t size)
{
        char buf[128], sz[24];

        sw_snprintf(buf, sizeof(buf), "plan:   slot %-12s %s 0x%016llx-0x%016llx  %s", id ? id : "?", kind,
                    (unsigned long long)base, (unsigned long long)(base + size - 1),
                    sw_fmt_size(sz, sizeof(sz), size));
        line(ctx, buf);
}

void sw_plan_print(const struct sw_plan *p, void (*line)(void *ctx, const char *text),
                   void *ctx)
{
        char buf[128], sz[24];

        sw_snprintf(buf, sizeof(buf), "plan: active region %s in %u range(s)",
                    sw_fmt_size(sz, sizeof(sz), p->active_bytes), p->nactive);
        line(ctx, buf);
        for (unsigned i = 0; i < p->nactive && i < SW_ACTIVE_MAX; i++) {
                const struct sw_range *r = &p->active[i];

                sw_snprintf(buf, sizeof(buf), "plan:   active   0x%016llx-0x%016llx  %s",
                            (unsigned long long)r->base,
                            (unsigned long long)(r->base + r->size - 1),
                            sw_fmt_size(sz, sizeof(sz), r->size));
                line(ctx, buf);
        }
        sw_snprintf(buf, sizeof(buf), "plan:   low page 0x%016llx", (unsigned long long)p->low_page);
        line(ctx, buf);
        if (p->resident_size) {
                sw_snprintf(buf, sizeof(buf), "plan:   resident 0x%016llx-0x%016llx  %s",
                            (unsigned long long)p->resident_base,
                            (unsigned long long)(p->resident_base + p->resident_size - 1),
                            sw_fmt_size(sz, sizeof(sz), p->resident_size));
                line(ctx, buf);
        }
        for (unsigned i = 0; i < p->nslots && i < SW_PLAN_SLOTS; i++) {
                const struct sw_slot_plan *s = &p->slots[i];

                if (!s->placed) {
                        sw_snprintf(buf, sizeof(buf), "plan:   slot %-12s not placed (no room)",
                                    s->id ? s->id : "?");
                        line(ctx, buf);
                        continue;
                }
                print_slot_range(line, ctx, s->id, s->in_place ? "in-place" : "store", s->store_base,
                                 s->store_size);
                if (s->dma32_size)
                        print_slot_range(line, ctx, s->id, "dma32", s->dma32_base, s->dma32_size);
                if (s->spare_size)
                        print_slot_range(line, ctx, s->id, "spare", s->spare_base, s->spare_size);
        }
}

static void input_add(struct sw_plan_input *in, unsigned n, const struct sw_slot_config *s)
{
        in->sizes[n] = sw_slot_memory(in->cfg, s);
        in->limits[n] = sw_slot_limit(s);
        in->in_place[n] = s->mode == SW_MODE_IN_PLACE;
        in->dma32[n] = in->in_place[n] ? s->dma32_size : 0;
        in->spares[n] = 0;
        in->ids[n] = s->id;
}

unsigned sw_plan_input_from_config(struct sw_plan_input *in)
{
        const struct sw_config *c = in->cfg;
        struct sw_resident_layout l;
        int def = sw_config_default_index(c);
        unsigned order[SW_MAX_SLOTS];
        unsigned n = 0, nvalid = 0;

        /*
         * The valid slots in the file's order (by their 'slot' line), not
         * in c->slots' order: sw_config_sort() puts the menu's order there,
         * and neither a sort-key nor 'default' may move a store.  An
         * insertion sort keeps slots with the same line (a config built by
         * hand, all 0) in array order.
         */
        for (unsigned i = 0; i < c->nslots && i < SW_MAX_SLOTS; i++) {
                unsigned at = nvalid;

                if (!c->slots[i].valid)
                        continue;
                while (at > 0 && c->slots[order[at - 1]].line > c->slots[i].line) {
                        order[at] = order[at - 1];
                        at--;
                }
                order[at] = i;
                nvalid++;
        }
        in->default_index = -1;
        for (unsigned k = 0; k < nvalid && n < SW_PLAN_SLOTS; k++) {
                if ((int)order[k] == def)
                        in->default_index = (int)n;
                input_add(in, n++, &c->slots[order[k]]);
        }
        in->req = (struct sw_plan_request){
                .active_size = c->active_size,
                .resident_size = sw_resident_layout(0, n, in->map_top, &l),
                .owned = in->owned,
                .nowned = in->nowned,
                .nslots = n,
                .slot_ids = in->ids,
                .slot_sizes = in->sizes,
                .slot_limits = in->limits,
                .slot_in_place = in->in_place,
                .slot_spare = in->spares,
                .slot_dma32 = in->dma32,
                .default_slot = in->default_index,
        };
        return n;
}
