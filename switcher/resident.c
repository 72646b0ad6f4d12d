/* SPDX-License-Identifier: MIT */
#include "resident.h"
#include "acpi.h"
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
        l->saves = l->idt + SW_PAGE_SIZE;
        l->stack_base = l->saves + ((uint64_t)nslots * sizeof(struct sw_save_header) + SW_PAGE_SIZE - 1) /
                                           SW_PAGE_SIZE * SW_PAGE_SIZE;
        l->stack_top = l->stack_base + SW_RESIDENT_STACK;
        l->tables = l->stack_top;
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

unsigned sw_plan_request_from_config(const struct sw_config *c, const char **ids, uint64_t *sizes,
                                     uint64_t *limits, bool *in_place, const struct sw_range *owned, unsigned nowned, uint64_t map_top,
                                     struct sw_plan_request *req)
{
        struct sw_resident_layout l;
        int def = sw_config_default_index(c);
        unsigned n = 0;

        if (def >= 0) {
                sizes[n] = sw_slot_memory(c, &c->slots[def]);
                limits[n] = sw_slot_limit(&c->slots[def]);
                in_place[n] = c->slots[def].mode == SW_MODE_IN_PLACE;
                ids[n++] = c->slots[def].id;
        }
        for (unsigned i = 0; i < c->nslots && n < SW_PLAN_SLOTS; i++) {
                if (c->slots[i].valid && (int)i != def) {
                        sizes[n] = sw_slot_memory(c, &c->slots[i]);
                        limits[n] = sw_slot_limit(&c->slots[i]);
                        in_place[n] = c->slots[i].mode == SW_MODE_IN_PLACE;
                        ids[n++] = c->slots[i].id;
                }
        }
        *req = (struct sw_plan_request){
                .active_size = c->active_size,
                .resident_size = sw_resident_layout(0, n, map_top, &l),
                .owned = owned,
                .nowned = nowned,
                .nslots = n,
                .slot_ids = ids,
                .slot_sizes = sizes,
                .slot_limits = limits,
                .slot_in_place = in_place,
        };
        return n;
}
