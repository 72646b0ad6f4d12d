/* SPDX-License-Identifier: MIT */
/*
 * The switcher's resident block: memory it keeps for itself while guests run,
 * outside every slot's active region and below 4 GiB.  Its layout, and the
 * plan request made from a config, live here so the EFI binary and mkslot
 * ask the planner the same question.
 *
 *   resident_base + 0                  one ACPI page per slot (RSDP..FACS copies)
 *   resident_base + nslots * 4 KiB     the mailbox (SW_MAILBOX_SIZE)
 */
#pragma once

#include <stdint.h>

#include "config.h"
#include "plan.h"

uint64_t sw_resident_size(unsigned nslots);
uint64_t sw_resident_acpi_page(uint64_t resident_base, unsigned k);
uint64_t sw_resident_mailbox(uint64_t resident_base, unsigned nslots);

/*
 * Fills req for the valid slots of c, the default slot first (if RAM is
 * short, it is the one that keeps its store); ids and sizes must hold
 * SW_MAX_SLOTS entries (sizes gets each slot's RAM, see sw_slot_memory()).
 * owned/nowned are the switcher's own ranges (its image).
 * Returns the number of slots in the request.
 */
unsigned sw_plan_request_from_config(const struct sw_config *c, const char **ids, uint64_t *sizes,
                                     const struct sw_range *owned, unsigned nowned,
                                     struct sw_plan_request *req);
