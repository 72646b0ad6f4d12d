/* SPDX-License-Identifier: MIT */
/*
 * The resident switcher: the part of switcher.efi that runs after boot
 * services are gone, entered by the wake blob on every S3 resume.  It runs
 * from the switcher's own image (reserved in every slot's e820), on the
 * resident block's stack and identity page tables.
 *
 *   wake-setup.c   at boot: the wake blob below 1 MiB, the page tables, the
 *                  IDT and the fault report;
 *   switch-run.c   at every wake: gathers the facts, asks the core
 *                  (switcher/switch.c) what to do, then copies, hashes and
 *                  jumps.
 */
#pragma once

#include "acpi.h"
#include "layout.h"
#include "linux.h"
#include "mailbox.h"
#include "switch.h"
#include "wake16.h"

struct resident {
        struct sw_config *cfg;
        struct sw_plan *plan;
        struct slot_rt *rt;
        enum sw_slot_state state[SW_MAX_SLOTS];
        uint32_t result_seq[SW_MAX_SLOTS];   /* last request seq each slot made */
        uint32_t switches[SW_MAX_SLOTS];
        uint32_t last_us[SW_MAX_SLOTS];
        int current;
        int previous;           /* the slot that ran before current, -1 if none */
        bool recover_only[SW_MAX_SLOTS];  /* went off: only its recovery copy can start it */
        /* Lazy save (switch.h): the suspended swap slot whose RAM partly
         * still lies in the active region (-1: none), that part, and its
         * checksum when it was left there. */
        int lazy_owner;
        struct sw_copy_list lazy_rest;
        uint64_t lazy_hash;
        struct sw_acpi_irq_hw irq_hw;   /* what tboot_irq_reset() resets */
        uint64_t low_page;
        struct sw_resident_layout lay;
        uint64_t tboot_size;    /* the tboot range every 64-bit guest maps */
        unsigned tboot_aps[SW_MAX_SLOTS];  /* APs each slot parked at its last tboot S3 */
        uint64_t tsc_per_us;
        /* The start-up prewarm chain: the 'prewarm' slots in menu order,
         * then the chosen slot (chain[nprewarm]).  chain[pos] is running;
         * prewarm-next in the mailbox names chain[pos + 1] until the chain
         * is done (pos == nprewarm). */
        int chain[SW_MAX_SLOTS + 1];
        unsigned nprewarm, pos;
};

extern struct resident res;

/* The wake blob's parameter block in the low page at low (its header says
 * where). */
static inline struct sw_wake_params *wake_params(uint64_t low)
{
        return (struct sw_wake_params *)(uintptr_t)(low + *(const uint32_t *)(uintptr_t)(low + SW_WAKE_HDR_PARAMS));
}

/* The address of one of the blob's entries, from the header offset hdr. */
static inline uint64_t wake_entry(uint64_t low, unsigned hdr)
{
        return low + *(const uint32_t *)(uintptr_t)(low + hdr);
}

static inline uint64_t rdtsc(void)
{
        uint32_t lo, hi;

        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        return ((uint64_t)hi << 32) | lo;
}

/*
 * At boot, with boot services still up: copies the wake blob into the low
 * page, checks its header, builds the identity tables and the IDT, and
 * fills the blob's parameter block.  Returns 0, or -1 with a message.
 */
int wake_setup(uint64_t map_top, struct sw_diag *d);

/*
 * The tboot hand-off (tboot.c).  tboot_setup(): at boot, the entry stub and
 * its data; slot pages are filled by tboot_slot_reset() before each cold
 * boot (a fresh num_in_wfs).  tboot_enter_slot(): before entering a slot,
 * so the stub reads that slot's shutdown_type.  tboot_take_entry(): true
 * when the boot CPU came in through the stub (and with which type), once.
 * tboot_quiesce_aps(): waits (bounded) for expect application processors
 * to park, then puts every one into wait-for-SIPI; returns how many parked.
 */
int tboot_setup(unsigned nslots, struct sw_diag *d);
void tboot_slot_reset(const struct slot_rt *rt);
void tboot_enter_slot(const struct slot_rt *rt);
bool tboot_take_entry(uint32_t *type);
/* The initial APIC ID of the application processor that brought the boot
 * CPU over by NMI (a panic there), or -1; cleared once read. */
int tboot_take_rescuer(void);
unsigned tboot_quiesce_aps(unsigned expect);
/* A guest's S5 with its own PM1 values; a full reset.  Both only return if
 * the machine ignored them. */
void tboot_power_off(const struct slot_rt *rt);
/* The interrupt hardware back to what firmware leaves, for a kernel about
 * to start after a tboot entry (a panic's restart leaves its local APIC
 * timer running, its I/O APIC pins and HPET programmed): what Linux's own
 * kdump shutdown does. */
void tboot_irq_reset(void);
void tboot_reset_machine(void);

/* Loads the IDT wake_setup() built (the firmware's is gone at a wake). */
void wake_load_idt(void);

/* Called by the wake blob in long mode (never returns). */
void sw_wake_entry(uint64_t low_page) __attribute__((noreturn));

/* Slot i's identity as a resume checks it (its kernel, e820 and store), and
 * its save header recorded over what its store holds now (with the store's
 * hash when the slot verifies it; the hashing time added to *ticks): the
 * switch path's, and the start-up restore's (efi/snapboot.c). */
struct sw_save_identity;
void save_identity(int i, struct sw_save_identity *id);
void save_record(int i, uint64_t *ticks);
/* Slot i's store and the RAM a snapshot of it holds (switcher/mailbox.h,
 * store and snapshot-ram), as planned: written into mailbox mb at start-up
 * and whenever a damaged mailbox is rebuilt. */
void publish_store(void *mb, int i);
