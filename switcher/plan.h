/* SPDX-License-Identifier: MIT */
/*
 * The memory planner: from the UEFI memory map taken at boot, decides
 *   - the ACTIVE REGION, usable RAM from the bottom of memory up to the size
 *     asked for, where every swap slot runs (a list of ranges: firmware
 *     punches holes into low RAM, and those move with the build and the RAM
 *     size, so nothing here assumes a contiguous window);
 *   - the LOW PAGE below 1 MiB that holds the trampoline's real-mode entry
 *     (the firmware's S3 resume enters it in real mode);
 *   - the RESIDENT block (mailbox, ACPI copies, page tables, stacks), below
 *     4 GiB so 32-bit code and 32-bit ACPI pointers can reach it;
 *   - one STORE per slot, where the slot's active-region contents live while
 *     another slot runs;
 *   - a DMA32 WINDOW for each in-place slot whose own RAM lies above 4 GiB:
 *     RAM of its own below 4 GiB (see SW_PLAN_DMA32_LIMIT below).
 * The EFI code then claims the low page, the resident block and the stores
 * with AllocatePages(AllocateAddress) as reserved memory, so those are only
 * ever placed in conventional memory of the map they were planned from.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "memmap.h"

#define SW_ACTIVE_MAX 64
#define SW_PLAN_SLOTS 16
#define SW_PLAN_OWNED_MAX 32    /* switcher-owned ranges a request may name */

struct sw_plan_request {
        uint64_t active_size;          /* bytes of usable RAM wanted, a multiple of 4 KiB */
        uint64_t resident_size;        /* bytes, placed below 4 GiB, page aligned (rounded up) */
        const struct sw_range *owned;  /* switcher-owned ranges (its image): never active, never store */
        unsigned nowned;               /* <= SW_PLAN_OWNED_MAX */
        unsigned nslots;               /* <= SW_PLAN_SLOTS, in the order their stores are placed */
        const char *const *slot_ids;
        /* RAM each slot sees, in the same order: the first that many bytes
         * of the active region, and the size of its store.  NULL, or a 0
         * entry, means the whole active region. */
        const uint64_t *slot_sizes;
        /* The address each slot's RAM must stay below (4 GiB for a 32-bit
         * kernel), in the same order; NULL, or a 0 entry, means no limit.
         * The slot then sees the first slot_sizes[i] bytes of the active
         * region that lie below it. */
        const uint64_t *slot_limits;
        /* Which slots are in place (see below); NULL means none. */
        const bool *slot_in_place;
        /* Bytes of a recovery copy per slot (0 or NULL: none): a pristine
         * copy of what a cold boot of the slot needs (its kernel, initrds,
         * boot_params), kept so a slot whose saved state is found damaged
         * can be cold-booted again ('on-damage cold-boot'). */
        const uint64_t *slot_spare;
        /* Bytes of DMA32 window each in-place slot wants (see
         * SW_PLAN_DMA32_LIMIT); NULL, or a 0 entry, means none.  Ignored
         * for swap slots. */
        const uint64_t *slot_dma32;
        /* The slot that keeps its store when RAM is short (the default
         * slot), or -1 for none.  A request filled with zeros names slot 0,
         * which is placed first anyway. */
        int default_slot;
};

/*
 * An IN-PLACE slot (a relocatable 64-bit kernel) does not run in the active
 * region: its store is its own RAM, so a switch copies almost nothing.  What
 * it still shares with every other slot is the low memory below 1 MiB (the
 * active ranges there: Linux puts its real-mode trampoline and its S3 wake
 * code there, and the firmware's waking vector must point below 1 MiB), and
 * that part is swapped like a swap slot's RAM, into the first
 * SW_INPLACE_LOW bytes of its store.  Its RAM is then
 *     the active ranges below 1 MiB  +  [store_base + SW_INPLACE_LOW, store end)
 * and its store is SW_INPLACE_LOW + the RAM it asked for.
 */
#define SW_INPLACE_LOW (2ULL << 20)

/*
 * The DMA32 WINDOW of an in-place slot.  Linux sorts RAM below 4 GiB into
 * ZONE_DMA32 and takes its swiotlb bounce buffer (64 MiB by default) from
 * there; a device that can only address 32 bits (QEMU's bochs display, many
 * USB, sound and network chips) needs both.  An in-place slot whose own RAM
 * lies above 4 GiB would have none, so it gets a window: slot_dma32[i] bytes
 * of RAM of its own below this limit, placed after its store, in the highest
 * free piece below the limit (2 MiB aligned when the piece allows), apart
 * from the active region, the resident block, the low page and every other
 * slot's store, window and recovery copy.  Like the slot's own RAM it stays
 * where it is at a switch (never copied) and every other slot's e820 shows
 * it reserved.  A slot that already has at least slot_dma32[i] bytes of its
 * own RAM below the limit (or all of it) gets no window.  A window that does
 * not fit is never shrunk: the slot is left out, with a warning that names
 * the size and the largest free piece below 4 GiB.
 */
#define SW_PLAN_DMA32_LIMIT (4ULL << 30)

/* The least RAM a slot is given at all: no stock kernel plus initrd comes up
 * in less (the same floor as the config's active-size). */
#define SW_PLAN_SLOT_MIN (16ULL << 20)

struct sw_slot_plan {
        const char *id;
        bool placed;
        bool in_place;
        uint64_t store_base;
        uint64_t store_size;
        uint64_t spare_base;    /* the recovery copy; 0 when none or no room */
        uint64_t spare_size;
        uint64_t dma32_base;    /* an in-place slot's DMA32 window; size 0 when none */
        uint64_t dma32_size;
};

struct sw_plan {
        struct sw_range active[SW_ACTIVE_MAX]; /* sorted by address, disjoint */
        unsigned nactive;
        uint64_t active_bytes;
        uint64_t low_page;
        uint64_t resident_base;
        uint64_t resident_size;
        unsigned nslots;
        struct sw_slot_plan slots[SW_PLAN_SLOTS];
        uint64_t missing;              /* bytes of stores and DMA32 windows that did not fit */
};

/*
 * Builds the plan from map m (sorted, as sw_memmap_add() keeps it).  Order of
 * placement: the low page (the highest conventional 4 KiB page below 0xA0000),
 * the active region (bottom-up over free-class RAM, never page 0, never
 * [0xA0000, 1 MiB), the low page or an owned range; the last range is cut so
 * active_bytes == active_size), the resident block (the highest conventional
 * piece below 4 GiB that fits), then the stores in slot order (each in the
 * highest conventional piece that fits, 2 MiB aligned when the piece allows,
 * each in-place slot's DMA32 window right after its store), then the
 * recovery copies.  A slot whose store or window does not fit is left out
 * with a warning.  So is a slot before req->default_slot whose store would
 * leave no room for the default slot's (when the default's fits at all):
 * when RAM is short the default slot keeps its store, and the stores that
 * are placed still follow slot order.
 * Returns the number of slots placed, or -1 when no plan is possible (RAM
 * below active_size, no low page, no room for the resident block, a bad
 * request), each reason reported through d; *p is then incomplete.
 */
int sw_plan_build(const struct sw_memmap *m, const struct sw_plan_request *req,
                  struct sw_plan *p, struct sw_diag *d);

/*
 * The question the EFI binary and mkslot both ask the planner, made from a
 * parsed config so the two cannot drift apart.  The caller fills the inputs;
 * sw_plan_input_from_config() fills req and the per-slot arrays it points
 * into: the valid slots in the order of their 'slot' lines in the file,
 * whatever 'default' and sort-key say, so every store's address depends only
 * on the file's slots and the machine (a snapshot fits only the store it was
 * taken from); req.default_slot names the default slot, which keeps its
 * store if RAM is short.  req points into this struct: do not copy it.
 */
struct sw_plan_input {
        /* In.  Each slot's arch must be resolved (sw_slot_limit()). */
        const struct sw_config *cfg;
        const struct sw_range *owned;  /* the switcher's own ranges (its image) */
        unsigned nowned;
        uint64_t map_top;              /* sizes the resident block's page tables */
        /* Out. */
        struct sw_plan_request req;
        const char *ids[SW_PLAN_SLOTS];
        uint64_t sizes[SW_PLAN_SLOTS];    /* sw_slot_memory() */
        uint64_t limits[SW_PLAN_SLOTS];   /* sw_slot_limit() */
        uint64_t spares[SW_PLAN_SLOTS];   /* recovery copies: zero here, set by the caller */
        uint64_t dma32[SW_PLAN_SLOTS];    /* an in-place slot's dma32-size, 0 for a swap slot */
        bool in_place[SW_PLAN_SLOTS];
        int default_index;                /* the default slot's index here, -1 if none */
};

/* Fills in->req as above; returns the number of slots in it. */
unsigned sw_plan_input_from_config(struct sw_plan_input *in);

/*
 * Where active-region address A of slot i lives in its store (active ranges
 * are packed back to back in the store in address order).  Returns 0 and
 * *out, or -1 if A is not in the slot's part of the active region (for an
 * in-place slot: the active ranges below 1 MiB) or the slot has no store.
 */
int sw_plan_store_addr(const struct sw_plan *p, unsigned slot, uint64_t active_addr,
                       uint64_t *out);

/*
 * The RAM slot i sees: for a swap slot the active ranges, in address order,
 * cut after the slot's store_size bytes; for an in-place slot the active
 * ranges below 1 MiB, then its DMA32 window if it has one, then its own RAM
 * (see SW_INPLACE_LOW): in address order, so the own RAM is always the last
 * range.  This is the RAM its e820 offers (sw_e820_build()).  Writes at
 * most max ranges to out and returns how many, or -1 for a slot that was
 * not placed.
 */
int sw_plan_slot_ranges(const struct sw_plan *p, unsigned slot, struct sw_range *out, unsigned max);

/* Bytes of slot i's store that hold a saved image at a switch: all of it
 * for a swap slot, the low-memory part for an in-place slot; 0 if the slot
 * was not placed. */
uint64_t sw_plan_saved_bytes(const struct sw_plan *p, unsigned slot);

/* True if slot i is in place and [addr, addr+len) lies in its own RAM or
 * in its DMA32 window, i.e. stays where it is at a switch (written directly
 * when staging, never copied). */
bool sw_plan_in_own(const struct sw_plan *p, unsigned slot, uint64_t addr, uint64_t len);

/* True if [base, base+size) (size > 0) lies inside ONE active range. */
bool sw_plan_in_active(const struct sw_plan *p, uint64_t base, uint64_t size);

/*
 * Prints the plan, one line per call of line(), as shown on serial at boot
 * and by `mkslot plan`:
 *     plan: active region 256 MiB in N range(s)
 *     plan:   active   0x%016llx-0x%016llx  SIZE     (one per range)
 *     plan:   low page 0x%016llx
 *     plan:   resident 0x%016llx-0x%016llx  SIZE     (left out if size 0)
 *     plan:   slot %-12s store 0x%016llx-0x%016llx  SIZE
 *     plan:   slot %-12s in-place 0x%016llx-0x%016llx  SIZE  (its own RAM, low memory saved first)
 *     plan:   slot %-12s dma32 0x%016llx-0x%016llx  SIZE     (an in-place slot's DMA32 window, if any)
 *     plan:   slot %-12s not placed (no room)
 *     plan:   slot %-12s spare 0x%016llx-0x%016llx  SIZE     (a recovery copy, if any)
 * Ends are inclusive, like /proc/iomem; SIZE comes from sw_fmt_size().
 */
void sw_plan_print(const struct sw_plan *p, void (*line)(void *ctx, const char *text),
                   void *ctx);
