/* SPDX-License-Identifier: MIT */
/*
 * The C side of tboot-stub.asm: the entry a 64-bit guest's kernel calls as
 * its tboot's shutdown_entry (switcher/tboot.h, docs/tboot-handoff.md).
 *
 * The blob is copied to the first page of the resident block's tboot range;
 * the page after it holds the parked CPUs' stacks, then come the slots'
 * shared pages.  Every guest maps that whole range 1:1 in the page tables
 * it enters the stub on, and nothing else of the switcher, so the stub
 * touches nothing outside it until paging is off.  Like wake16.h, every
 * number here reaches nasm through asm-defines.c.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SW_TBOOT_STUB_MAGIC 0x31425453u /* "STB1" */

/* Blob header, at offset 0. */
#define SW_TBOOT_HDR_MAGIC 0            /* u32 SW_TBOOT_STUB_MAGIC */
#define SW_TBOOT_HDR_ENTRY 4            /* u32 offset of the 64-bit entry */
#define SW_TBOOT_HDR_DATA 8             /* u32 offset of struct sw_tboot_stub_data */
#define SW_TBOOT_HDR_SIZE 12            /* u32 total size of the blob */
#define SW_TBOOT_HDR_NMI 16             /* u32 offset of the parked CPUs' NMI handler */

/* The blob, code and data, fits well inside its page. */
#define SW_TBOOT_STUB_BUDGET 1024

/* Each CPU gets this many bytes of the park page as its stack, found by its
 * initial APIC ID (CPUID leaf 1, EBX[31:24]): enough for a far return in
 * long mode (16 bytes) and, once parked, one NMI frame (12 bytes).  256
 * IDs fill the page. */
#define SW_TBOOT_PARK_STRIDE 16

/* The stub's own GDT: flat 32-bit code and data (the same selector numbers
 * as the wake blob's). */
#define SW_TBOOT_SEL_CODE32 0x08
#define SW_TBOOT_SEL_DATA 0x10

/* Filled by C at boot, except where a field says otherwise. */
struct sw_tboot_stub_data {
        uint64_t idt[3];        /* 32-bit interrupt gates: only vector 2 (NMI) is
                                   present, a bare IRET; loaded by a parked CPU */
        uint32_t wake_tboot32;  /* linear address of the wake blob's tboot entry */
        uint32_t low_page;      /* the wake blob's page (EBX there) */
        uint32_t shared;        /* the running slot's shared page (C, at every switch) */
        uint32_t park;          /* the park page */
        uint32_t entered;       /* stub: the boot CPU's shutdown_type + 1; C clears it */
        uint32_t wfs;           /* stub: wait-for-SIPI entries; C reads and clears it */
        uint32_t bsp_apic;      /* the boot CPU's initial APIC ID, the NMI's destination (xAPIC) */
        uint32_t bsp_in;        /* stub: 1 once the boot CPU is in; C clears it */
        uint32_t rescuer;       /* stub: initial APIC ID + 1 of an application processor
                                   that brought the boot CPU over by NMI; C clears it */
        uint32_t bsp_x2apic;    /* the boot CPU's x2APIC ID (CPUID leaf 0xB EDX), the NMI's
                                   destination when the kernel left x2APIC on */
};

_Static_assert(sizeof(struct sw_tboot_stub_data) == 64, "no hidden padding in the stub's data");
