/* SPDX-License-Identifier: MIT */
/*
 * The switcher's resident block: memory it keeps for itself while guests run,
 * outside every slot's active region and below 4 GiB.  This file only lays
 * it out; the planner places it (plan.h), and the EFI binary and mkslot size
 * it the same way through sw_plan_input_from_config().
 *
 *   acpi      one ACPI page per slot (RSDP..FACS copies)
 *   mailbox   SW_MAILBOX_SIZE, pages of its own (a guest maps them)
 *   idt       one page: the resident switcher's exception handlers
 *   tboot     the tboot hand-off (tboot.h): one page for the entry stub, one
 *             for the parked CPUs' stacks, then one shared page per slot;
 *             the range every 64-bit guest maps 1:1 for the entry
 *   saves     one struct sw_save_header per slot (savestate.h), whole pages
 *   stack     SW_RESIDENT_STACK bytes for the code that runs after a wake
 *   efirt     SW_RESIDENT_EFIRT bytes: the SETUP_EFI record and the
 *             runtime-only EFI memory map every 64-bit slot is given
 *             (efirt.h), then SW_RESIDENT_EFIRT_PT_PAGES pages for the
 *             page tables that map the runtime regions at their virtual
 *             addresses for the switcher's own calls at a switch
 *   tables    identity page tables (see pagetable.h)
 */
#pragma once

#include <stdint.h>


#define SW_RESIDENT_STACK (64 * 1024)
#define SW_RESIDENT_EFIRT_PT_PAGES 16
#define SW_RESIDENT_EFIRT ((2 + SW_RESIDENT_EFIRT_PT_PAGES) * 4096)

struct sw_resident_layout {
        uint64_t acpi;          /* first ACPI page */
        uint64_t mailbox;
        uint64_t idt;
        uint64_t tboot;         /* the stub page; park page and shared pages follow */
        uint64_t saves;         /* the first slot's save header */
        uint64_t stack_base;
        uint64_t stack_top;
        uint64_t efirt;
        uint64_t tables;
        uint64_t end;           /* one past the last byte */
};

/*
 * The layout for nslots slots and identity tables up to map_top (the end of
 * the highest range in the memory map, see sw_memmap_top()).  Returns the
 * size in bytes, 0 when map_top is beyond what the tables can map.
 */
uint64_t sw_resident_layout(uint64_t base, unsigned nslots, uint64_t map_top,
                            struct sw_resident_layout *l);
uint64_t sw_resident_acpi_page(const struct sw_resident_layout *l, unsigned k);
/* The tboot range (the stub, the park page and every slot's shared page),
 * and the k-th slot's shared page in it. */
#define SW_TBOOT_FIXED_PAGES 2
uint64_t sw_resident_tboot_size(unsigned nslots);
uint64_t sw_resident_tboot_page(const struct sw_resident_layout *l, unsigned k);
/* The address of the k-th slot's save header (k < nslots). */
uint64_t sw_resident_save_header(const struct sw_resident_layout *l, unsigned k);
