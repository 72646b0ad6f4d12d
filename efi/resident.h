/* SPDX-License-Identifier: MIT */
/*
 * The resident switcher: the part of switcher.efi that runs after boot
 * services are gone, entered by the wake blob on every S3 resume.  It runs
 * from the switcher's own image (reserved in every slot's e820), on the
 * resident block's stack and identity page tables.
 */
#pragma once

#include "linux.h"
#include "mailbox.h"
#include "resident.h"

struct resident {
        struct sw_config *cfg;
        struct sw_plan *plan;
        struct slot_rt *rt;
        enum sw_slot_state state[SW_MAX_SLOTS];
        uint32_t result_seq[SW_MAX_SLOTS];   /* last request seq each slot made */
        uint32_t switches[SW_MAX_SLOTS];
        uint32_t last_us[SW_MAX_SLOTS];
        int current;
        uint64_t low_page;
        struct sw_resident_layout lay;
        uint64_t tsc_per_us;
        /* The start-up prewarm chain: the 'prewarm' slots in menu order,
         * then the chosen slot (chain[nprewarm]).  chain[pos] is running;
         * prewarm-next in the mailbox names chain[pos + 1] until the chain
         * is done (pos == nprewarm). */
        int chain[SW_MAX_SLOTS + 1];
        unsigned nprewarm, pos;
};

extern struct resident res;

/*
 * At boot, with boot services still up: copies the wake blob into the low
 * page, checks its header, builds the identity tables and the IDT, and
 * fills the blob's parameter block.  Returns 0, or -1 with a message.
 */
int resident_setup(uint64_t map_top, struct sw_diag *d);

/* Called by the wake blob in long mode (never returns). */
void sw_resident_entry(uint64_t low_page) __attribute__((noreturn));
/* Called by the exception stubs with the saved frame (never returns). */
void sw_exception(const uint64_t *frame) __attribute__((noreturn));

/* trampoline/trampoline.asm */
extern const uint8_t sw_exc_stubs[];
