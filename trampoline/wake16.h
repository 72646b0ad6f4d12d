/* SPDX-License-Identifier: MIT */
/*
 * The C side of wake16.asm: the real-mode wake blob that the firmware
 * enters on an S3 resume, and the two ways back down (a guest's waking
 * vector, a 32-bit kernel's entry).  See docs/s3-handoff.md.
 *
 * The blob is copied to the low page (below 1 MiB, page aligned).  It starts
 * with a small header at fixed offsets, then code, then the parameter block
 * that C fills before leaving boot services.  Every number here reaches nasm
 * through asm-defines.c (a generated include), so neither language types
 * them twice; C checks the blob's header against them at start-up.
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
#define SW_WAKE_HDR_TBOOT32 24         /* u32 offset of wake_tboot32 */

/* The low page is one 4 KiB page: the blob (code, GDTs, parameters) takes
 * at most its first half, the real-mode stack grows down from its end. */
#define SW_WAKE_PAGE 4096
#define SW_WAKE_BUDGET 2048
#define SW_WAKE_STACK_TOP SW_WAKE_PAGE
_Static_assert(SW_WAKE_BUDGET <= SW_WAKE_PAGE / 2, "the wake blob leaves half the low page to its stack");

/* The blob's own GDT (wake_entry16, wake_exit64).  The resident switcher's
 * IDT gates use SW_WAKE_SEL_CODE64. */
#define SW_WAKE_SEL_CODE32 0x08         /* 32-bit code, flat */
#define SW_WAKE_SEL_DATA 0x10           /* data, flat */
#define SW_WAKE_SEL_CODE64 0x18         /* 64-bit code */
#define SW_WAKE_SEL_CODE16 0x20         /* 16-bit code, base = the low page */
#define SW_WAKE_SEL_DATA16 0x28         /* 16-bit data, base = the low page */

/* The Linux boot protocol's selectors (boot.rst: __BOOT_CS, __BOOT_DS), the
 * same for its 32-bit and 64-bit entries: the blob's boot GDT for
 * wake_boot32, and trampoline.asm's for sw_boot_linux64. */
#define SW_BOOT_CS 0x10
#define SW_BOOT_DS 0x18

/* Filled by C at boot (cr3, entry64, stack_top) and before each exit (the
 * rest); real_cs by the blob itself at every wake. */
struct sw_wake_params {
        uint64_t cr3;           /* identity page tables, below 4 GiB */
        uint64_t entry64;       /* void entry(uint64_t low_page) in long mode */
        uint64_t stack_top;     /* 16-byte aligned, in the resident block */
        uint16_t real_cs;       /* low page >> 4 */
        uint16_t vector_ip;     /* exit target, real mode: vector & 0xf */
        uint16_t vector_cs;     /*                         vector >> 4 */
        uint16_t pad;
        uint32_t entry32;       /* wake_boot32's target: a 32-bit kernel's code32_start */
        uint32_t boot_params32; /*                    its boot_params, for %esi */
};

_Static_assert(sizeof(struct sw_wake_params) == 40, "no hidden padding in the parameter block");
