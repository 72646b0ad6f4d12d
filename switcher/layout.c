/* SPDX-License-Identifier: MIT */
#include "layout.h"
#include "acpi.h"
#include "memmap.h"
#include "mailbox.h"
#include "pagetable.h"
#include "savestate.h"

uint64_t sw_resident_layout(uint64_t base, unsigned nslots, uint64_t map_top,
                            struct sw_resident_layout *l)
{
        unsigned pt = sw_pt_pages(map_top);

        if (!pt)
                return 0;
        l->acpi = base;
        l->mailbox = l->acpi + (uint64_t)nslots * SW_ACPI_COPY_SIZE;
        l->idt = l->mailbox + SW_MAILBOX_SIZE;
        l->tboot = l->idt + SW_PAGE_SIZE;
        l->saves = l->tboot + sw_resident_tboot_size(nslots);
        l->stack_base = l->saves + ((uint64_t)nslots * sizeof(struct sw_save_header) + SW_PAGE_SIZE - 1) /
                                           SW_PAGE_SIZE * SW_PAGE_SIZE;
        l->stack_top = l->stack_base + SW_RESIDENT_STACK;
        l->efirt = l->stack_top;
        l->tables = l->efirt + SW_RESIDENT_EFIRT;
        l->end = l->tables + (uint64_t)pt * SW_PAGE_SIZE;
        return l->end - base;
}

uint64_t sw_resident_save_header(const struct sw_resident_layout *l, unsigned k)
{
        return l->saves + (uint64_t)k * sizeof(struct sw_save_header);
}

uint64_t sw_resident_acpi_page(const struct sw_resident_layout *l, unsigned k)
{
        return l->acpi + (uint64_t)k * SW_ACPI_COPY_SIZE;
}

uint64_t sw_resident_tboot_size(unsigned nslots)
{
        return (uint64_t)(SW_TBOOT_FIXED_PAGES + nslots) * SW_PAGE_SIZE;
}

uint64_t sw_resident_tboot_page(const struct sw_resident_layout *l, unsigned k)
{
        return l->tboot + (uint64_t)(SW_TBOOT_FIXED_PAGES + k) * SW_PAGE_SIZE;
}
