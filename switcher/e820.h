/* SPDX-License-Identifier: MIT */
/*
 * A slot's own view of RAM, as the e820 table the Linux boot protocol hands
 * to the kernel (boot_params.e820_table): only the slot's own RAM ranges
 * (sw_plan_slot_ranges(): its part of the active region; for an in-place
 * slot the low active ranges, its DMA32 window and its own RAM) are usable;
 * firmware ranges keep their kinds; every other byte of RAM (other slots'
 * stores and windows, the switcher) is reserved, never a hole, so the guest
 * never puts a PCI window on top of it.
 */
#pragma once

#include <stdint.h>

#include "diag.h"
#include "memmap.h"

#define SW_E820_MAX 128 /* what fits in boot_params (E820_MAX_ENTRIES_ZEROPAGE) */

enum sw_e820_type {
        SW_E820_RAM = 1,
        SW_E820_RESERVED = 2,
        SW_E820_ACPI = 3,
        SW_E820_NVS = 4,
        SW_E820_UNUSABLE = 5,
        SW_E820_PMEM = 7,
};

/* Layout fixed by the boot protocol: 20 bytes, packed. */
struct sw_e820_entry {
        uint64_t addr;
        uint64_t size;
        uint32_t type;
} __attribute__((packed));

_Static_assert(sizeof(struct sw_e820_entry) == 20, "e820 entry is 20 bytes");

/*
 * Builds a slot's e820 table from the memory map taken right before
 * ExitBootServices (where the switcher's own allocations, the low page
 * included, show up as reserved) and the slot's ranges from the plan
 * (called active below):
 * free-class RAM inside the active ranges -> SW_E820_RAM; free-class RAM
 * outside them -> SW_E820_RESERVED (never a hole, so the guest never puts a
 * PCI window there); ACPI -> 3, NVS -> 4, UNUSABLE -> 5, PMEM -> 7, firmware
 * ranges (reserved, runtime, MMIO, unknown) -> 2.  Map ranges that straddle
 * an active boundary are split.  The result is sorted, and neighbours of the
 * same type are merged.  An active range that is not free RAM in m gets a
 * warning (the slot then has less RAM than planned).
 * Returns the entry count, or -1 (error through d) if more than max entries
 * would be needed or the map is not sorted.
 */
int sw_e820_build(const struct sw_memmap *m, const struct sw_range *active, unsigned nactive,
                  struct sw_e820_entry *out, unsigned max, struct sw_diag *d);

/* The name Linux prints for an e820 type ("usable", "reserved", ...). */
const char *sw_e820_type_name(uint32_t type);
