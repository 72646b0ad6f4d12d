/* SPDX-License-Identifier: MIT */
/*
 * The contract between the C side and the real-mode wake blob (wake16.asm).
 *
 * The blob is copied to the low page (below 1 MiB, page aligned).  It starts
 * with a small header at fixed offsets, then code, then the parameter block
 * that C fills before leaving boot services.  nasm never hard-codes these
 * offsets: asm-defines.c prints them as %defines into a generated include,
 * and C checks the blob's header against them at start-up.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SW_WAKE_MAGIC 0x314b5753u      /* "SWK1" */

/* Blob header: offset 0 holds a near jump to the real-mode entry. */
#define SW_WAKE_HDR_MAGIC 4            /* u32 SW_WAKE_MAGIC */
#define SW_WAKE_HDR_EXIT 8             /* u32 offset of wake_exit64 */
#define SW_WAKE_HDR_PARAMS 12          /* u32 offset of the parameter block */
#define SW_WAKE_HDR_SIZE 16            /* u32 total size of the blob */
#define SW_WAKE_HDR_BOOT32 20          /* u32 offset of wake_boot32 */

/* Filled by C at boot (cr3, entry, stack) and before each exit (the rest). */
struct sw_wake_params {
        uint64_t cr3;           /* identity page tables, below 4 GiB */
        uint64_t entry64;       /* void entry(uint64_t low_page) in long mode */
        uint64_t stack_top;     /* 16-byte aligned, in the resident block */
        uint32_t gdt_base;      /* linear address of the blob's GDT (set by the blob) */
        uint16_t real_cs;       /* low page >> 4 (set by the blob) */
        uint16_t pad0;
        uint16_t vector_ip;     /* exit target, real mode: vector & 0xf */
        uint16_t vector_cs;     /*                         vector >> 4 */
        uint32_t wakes;         /* count of wake entries (set by the blob) */
        uint32_t entry32;       /* wake_boot32's target: a 32-bit kernel's code32_start */
        uint32_t boot_params32; /*                    its boot_params, for %esi */
};

_Static_assert(offsetof(struct sw_wake_params, cr3) == 0, "layout");
_Static_assert(offsetof(struct sw_wake_params, entry64) == 8, "layout");
_Static_assert(offsetof(struct sw_wake_params, stack_top) == 16, "layout");
_Static_assert(offsetof(struct sw_wake_params, gdt_base) == 24, "layout");
_Static_assert(offsetof(struct sw_wake_params, real_cs) == 28, "layout");
_Static_assert(offsetof(struct sw_wake_params, vector_ip) == 32, "layout");
_Static_assert(offsetof(struct sw_wake_params, vector_cs) == 34, "layout");
_Static_assert(offsetof(struct sw_wake_params, wakes) == 36, "layout");
_Static_assert(offsetof(struct sw_wake_params, entry32) == 40, "layout");
_Static_assert(offsetof(struct sw_wake_params, boot_params32) == 44, "layout");
