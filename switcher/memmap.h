/* SPDX-License-Identifier: MIT */
/*
 * The machine's memory map as the core sees it: a sorted list of ranges, each
 * with the UEFI memory type it had (numbers from the UEFI spec, so no EFI
 * header is needed) and the class that decides what the switcher may do
 * with it.  The EFI glue fills it from GetMemoryMap(); host tools and tests
 * fill it from a text dump (see sw_memmap_parse_dump()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define SW_PAGE_SIZE 4096ULL
#define SW_MEMMAP_MAX 512

/* UEFI memory types (UEFI 2.10, 7.2 EFI_MEMORY_TYPE). */
enum sw_efi_type {
        SW_EFI_RESERVED = 0,
        SW_EFI_LOADER_CODE = 1,
        SW_EFI_LOADER_DATA = 2,
        SW_EFI_BS_CODE = 3,
        SW_EFI_BS_DATA = 4,
        SW_EFI_RT_CODE = 5,
        SW_EFI_RT_DATA = 6,
        SW_EFI_CONVENTIONAL = 7,
        SW_EFI_UNUSABLE = 8,
        SW_EFI_ACPI_RECLAIM = 9,
        SW_EFI_ACPI_NVS = 10,
        SW_EFI_MMIO = 11,
        SW_EFI_MMIO_PORT = 12,
        SW_EFI_PAL_CODE = 13,
        SW_EFI_PERSISTENT = 14,
        SW_EFI_UNACCEPTED = 15,
        SW_EFI_TYPE_MAX,
};

/* What a range is to the switcher. */
enum sw_mem_class {
        SW_MEM_FREE,      /* RAM that is free once boot services end:
                             conventional, boot services and loader code/data */
        SW_MEM_FIRMWARE,  /* reserved, runtime code/data, MMIO, PAL: never touched */
        SW_MEM_ACPI,      /* ACPI reclaim: tables, kept as e820 type 3 */
        SW_MEM_NVS,       /* ACPI NVS, e820 type 4 */
        SW_MEM_UNUSABLE,  /* e820 type 5 */
        SW_MEM_PMEM,      /* persistent memory, e820 type 7 */
};

struct sw_mem_range {
        uint64_t base;
        uint64_t size;          /* bytes, a multiple of 4 KiB */
        uint32_t efi_type;      /* enum sw_efi_type */
        uint64_t attr;          /* EFI_MEMORY_* attribute bits */
};

struct sw_memmap {
        unsigned n;
        struct sw_mem_range r[SW_MEMMAP_MAX];
};

/* A plain [base, base+size) interval. */
struct sw_range {
        uint64_t base;
        uint64_t size;
};

static inline uint64_t sw_range_end(const struct sw_range *r)
{
        return r->base + r->size;
}

enum sw_mem_class sw_mem_class_of(uint32_t efi_type);
const char *sw_efi_type_name(uint32_t efi_type);

void sw_memmap_init(struct sw_memmap *m);

/* One past the highest byte any range of the map describes (0 if empty). */
uint64_t sw_memmap_top(const struct sw_memmap *m);

/* Adds one UEFI descriptor. Returns 0, or -1 (with a message) when the map
 * is full, a range overflows 64 bits, or it overlaps one already added. */
int sw_memmap_add(struct sw_memmap *m, uint32_t efi_type, uint64_t base,
                  uint64_t pages, uint64_t attr, struct sw_diag *d);

/* Sorts by base and merges neighbours with the same type and attributes. */
void sw_memmap_normalize(struct sw_memmap *m);

/*
 * Parses the text dump the switcher prints at boot (and that mkslot reads):
 *     # comment
 *     memmap: TYPE BASE PAGES ATTR
 * where TYPE is the UEFI type number (decimal) and BASE, PAGES, ATTR are hex
 * with 0x prefix; the "memmap: " prefix is optional, so a serial log can be
 * used as it is: when any line starts with "memmap:", only such lines are
 * read; otherwise every line starting with a digit is.  Errors name FILE:LINE.
 * Returns 0, or -1 after reporting each bad line.
 */
int sw_memmap_parse_dump(struct sw_memmap *m, const char *buf, size_t len,
                         const char *filename, struct sw_diag *d);

/*
 * Prints the map in the dump format above, one "memmap: TYPE BASE PAGES ATTR"
 * line per call of line(), so what the switcher prints at boot can be fed
 * back to sw_memmap_parse_dump() by mkslot and the tests.
 */
void sw_memmap_dump(const struct sw_memmap *m, void (*line)(void *ctx, const char *text),
                    void *ctx);
