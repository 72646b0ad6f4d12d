/* SPDX-License-Identifier: MIT */
#include "resident.h"
#include "acpi.h"
#include "mailbox.h"

uint64_t sw_resident_size(unsigned nslots)
{
        return (uint64_t)nslots * SW_ACPI_COPY_SIZE + SW_MAILBOX_SIZE;
}

uint64_t sw_resident_acpi_page(uint64_t resident_base, unsigned k)
{
        return resident_base + (uint64_t)k * SW_ACPI_COPY_SIZE;
}

uint64_t sw_resident_mailbox(uint64_t resident_base, unsigned nslots)
{
        return resident_base + (uint64_t)nslots * SW_ACPI_COPY_SIZE;
}

unsigned sw_plan_request_from_config(const struct sw_config *c, const char **ids, uint64_t *sizes,
                                     const struct sw_range *owned, unsigned nowned,
                                     struct sw_plan_request *req)
{
        int def = sw_config_default_index(c);
        unsigned n = 0;

        if (def >= 0) {
                sizes[n] = sw_slot_memory(c, &c->slots[def]);
                ids[n++] = c->slots[def].id;
        }
        for (unsigned i = 0; i < c->nslots && n < SW_PLAN_SLOTS; i++) {
                if (c->slots[i].valid && (int)i != def) {
                        sizes[n] = sw_slot_memory(c, &c->slots[i]);
                        ids[n++] = c->slots[i].id;
                }
        }
        *req = (struct sw_plan_request){
                .active_size = c->active_size,
                .resident_size = sw_resident_size(n),
                .owned = owned,
                .nowned = nowned,
                .nslots = n,
                .slot_ids = ids,
                .slot_sizes = sizes,
        };
        return n;
}
