/* SPDX-License-Identifier: MIT */
/*
 * The switch decision.  When a slot hands the machine over, the resident
 * switcher gathers the facts (the mailbox's verdict on the request, every
 * slot's state, what the planner gave each slot) and calls
 * sw_switch_decide() once.  It answers what to do:
 *
 *   refuse       the requester goes on, with a status and a message;
 *   resume T     T's saved state verified: copy its store back, enter its
 *                waking vector;
 *   cold-boot T  T never ran: its store holds its staged kernel, copy it in
 *                and enter the kernel;
 *   recover T    T's saved state is damaged and the config allows starting
 *                over, or T restarts or was off: cold-boot T from its
 *                recovery copy;
 *   power-off, reset   the whole machine (see sw_switch_decide());
 *
 * with the requester's result, every slot's next state, the next link of
 * the prewarm chain, and the exact list of copies to make.  Nothing here
 * touches memory outside its arguments: the caller copies, hashes and jumps.
 * Every refusal is decided before anything is copied, so a refused switch
 * leaves the requester's RAM in place and it simply goes on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "mailbox.h"
#include "plan.h"
#include "savestate.h"

enum sw_switch_action {
        SW_SWITCH_REFUSE,
        SW_SWITCH_RESUME,
        SW_SWITCH_COLD_BOOT,
        SW_SWITCH_RECOVER,
        SW_SWITCH_POWER_OFF,    /* a slot went off and no other has state */
        SW_SWITCH_RESET,        /* a slot restarts and has no recovery copy */
};

/* How the running slot handed the machine over: suspended with a request
 * in the mailbox (the firmware's S3, or S3 through its tboot entry), or,
 * through its tboot entry only, restarting or going off. */
enum sw_switch_entry {
        SW_ENTRY_REQUEST,
        SW_ENTRY_REBOOT,        /* reboot, or a panic with panic=N */
        SW_ENTRY_OFF,           /* poweroff (S5), halt, or hibernation (S4) */
};

/* "refuse", "resume", "cold-boot", "recover", "power-off", "reset";
 * "unknown" outside the enum. */
const char *sw_switch_action_name(enum sw_switch_action a);

/* One copy of a switch: size bytes between an active-region address and
 * its place in a store. */
struct sw_copy {
        uint64_t active;
        uint64_t store;
        uint64_t size;
};

/* Room for a slot's ranges split in pieces by another slot's (lazy save). */
#define SW_COPY_MAX (2 * SW_ACTIVE_MAX)

struct sw_copy_list {
        unsigned n;
        uint64_t bytes;
        struct sw_copy c[SW_COPY_MAX];
};

/*
 * The copies that move slot k's RAM (the n ranges it sees: its e820's RAM,
 * sw_plan_slot_ranges()) between the active region and its store.  A range
 * in an in-place slot's own RAM stays where it is and is left out; every
 * other range must lie whole in the active region and land whole inside
 * the saved part of the store (sw_plan_saved_bytes()).  Returns 0, or -1
 * with the first range that has no complete place in why (n bytes): a
 * switch that went on would lose or overwrite data without a word.
 */
int sw_switch_copy_list(const struct sw_plan *p, int k, const struct sw_range *ranges, unsigned n,
                        struct sw_copy_list *l, char *why, size_t whylen);

/* What the resident switcher knows of one slot (by config index). */
struct sw_switch_slot {
        enum sw_slot_state state;
        bool usable;            /* valid, placed and preloaded: it can be started */
        bool can_recover;       /* 'on-damage cold-boot' with a recovery copy in place */
        bool has_spare;         /* a recovery copy in place (kernel, initrds, boot_params):
                                   a restart or a start after power-off uses it */
        bool recover_only;      /* it ran and went off: its store no longer holds its
                                   staged kernel, only the recovery copy can start it */
        uint32_t vector;        /* its FACS copy's waking vector; 0 when it set none */
        uint32_t result_seq;    /* the seq its mailbox result answers now: its last
                                   request that switched or was refused */
        int plan_index;         /* index in the plan; -1 when not placed */
        const struct sw_range *ranges;  /* the RAM it sees (its e820) */
        unsigned nranges;
};

struct sw_switch_facts {
        const struct sw_config *cfg;
        const struct sw_plan *plan;
        int current;                    /* config index of the slot that handed over */
        enum sw_switch_entry entry;
        int previous;                   /* the slot that ran before current, -1 if none */
        /* The mailbox layer's verdict on the request (sw_mb_check(),
         * sw_mb_request_read(), sw_mb_request_validate()): SW_MB_OK or why
         * not, and the request itself (zeroed when unreadable). */
        enum sw_mb_status request;
        struct sw_mb_request req;
        struct sw_switch_slot slot[SW_MAX_SLOTS];
        /* The start-up prewarm chain: chain[0..nprewarm] are config
         * indexes, chain[pos] is running; pos == nprewarm when it is done. */
        const int *chain;
        unsigned nprewarm, pos;
        /* Lazy save (see sw_switch_decide()): the suspended swap slot
         * whose RAM partly still lies in the active region (-1 if none),
         * and that part, as the copies into its store not made yet. */
        int lazy_owner;
        const struct sw_copy_list *lazy_rest;
        /* Checks slot i's saved state (header, then data), writing a reason
         * to why on a refusal.  Called at most once per decision, and only
         * for a suspended target the request may switch to. */
        enum sw_save_verdict (*verify)(void *ctx, int i, char *why, size_t n);
        void *ctx;
        /* The lab bank (docs/lab-bank.md): a restored snapshot the running
         * slot asks the switcher to adopt, with a request to itself:
         * adopt (NULL: none), and adopt_status, what sw_mb_adopt_read()
         * returned (negative: damaged; adopt is NULL then).  identity() fills the
         * identity slot i has as configured now (sw_save_identity_make());
         * ram_hash() hashes slot i's RAM as it is (sw_snap_ram_hash_ranges
         * over the ranges sw_snap_slot_ram() gives: a swap slot's store, an
         * in-place slot's window, low memory and own RAM), and is called
         * only when everything else agrees.  Both get ctx. */
        int adopt_status;
        const struct sw_mb_adopt *adopt;
        void (*identity)(void *ctx, int i, struct sw_save_identity *id);
        uint64_t (*ram_hash)(void *ctx, int i);
};

#define SW_SWITCH_LOG_LEN 256

struct sw_switch_decision {
        enum sw_switch_action action;
        int target;                     /* config index, -1 when the request named no slot */
        enum sw_mb_status status;       /* the requester's result */
        uint32_t result_seq;            /* the seq that result answers */
        enum sw_save_verdict verdict;   /* the target's saved state, SW_SAVE_OK when not checked */
        char message[SW_MB_MSG_LEN];    /* the requester's result message */
        char log[SW_SWITCH_LOG_LEN];    /* a line for serial ("" when none) */
        enum sw_slot_state state[SW_MAX_SLOTS];  /* every slot, after the action */
        unsigned prewarm_pos;           /* the chain's position after the action */
        struct sw_copy_list save;       /* the requester's RAM into its store */
        struct sw_copy_list restore;    /* the target's store into place (resume, cold-boot) */
        /* Lazy save: flush (first of all, before save and restore) puts
         * slot flush_slot's part still in the active region into its store,
         * whose save is then recorded again; after the action lazy_owner's
         * lazy_rest stays in the active region (-1: none). */
        struct sw_copy_list flush;
        int flush_slot;
        int lazy_owner;
        struct sw_copy_list lazy_rest;
        /* Adoption (see sw_switch_decide()): the slot whose store now holds
         * a restored snapshot (-1: none), and the vector it resumes at.
         * The caller records a fresh save header for it, sets its waking
         * vector, and drops its RAM left in the active region when it was
         * the lazy owner (lazy_owner above is then -1). */
        int adopt_slot;
        uint32_t adopt_vector;
        /* A refused adoption into a slot the agent had already written
         * (-1: none): its store holds neither its saved state nor a
         * checked snapshot.  The caller drops its save header; the slot is
         * left empty with only its recovery copy to start from
         * (recover_only), or failed without one (state[] says which). */
        int adopt_dropped;
};

/* Decides as described at the top of this file.  Never fails: bad facts
 * (a current slot or target out of range) end in a refusal.
 *
 * A slot that restarts (SW_ENTRY_REBOOT) is recovered in place: cold-booted
 * from its recovery copy, the others untouched; without a copy, the machine
 * resets.  A slot that goes off (SW_ENTRY_OFF) is left empty (recover_only
 * from then on) and the machine goes on in the slot that ran before it, else
 * the default slot, else the first suspended one, resumed as a switch would;
 * when no slot has state left, the machine powers off.  Neither saves
 * anything of the slot that left, and neither answers a request.
 *
 * Lazy save of the active region.  The active region belongs to the last
 * swap slot that ran.  When it hands over to an in-place slot, only the
 * part of its RAM the in-place slot's own ranges overlap (the low memory)
 * is saved; the rest stays where it is (lazy_rest; the caller records its
 * checksum and checks it before resuming the slot).  Its resume then
 * brings back only the saved part.  The rest goes to its store (flush)
 * when a swap slot claims the active region, or when another slot's ranges
 * would overlap it, and is dropped when the slot restarts or fails.
 *
 * Adoption of a restored snapshot (the lab bank).  A request from the
 * running slot to itself with an adopt request pending (f->adopt, or
 * f->adopt_status < 0) is answered by the adoption, never by a switch: the
 * action is SW_SWITCH_REFUSE (the requester goes on) with status SW_MB_OK and
 * adopt_slot set, or SW_MB_ADOPT_REFUSED and the reason in message, the
 * slot left as it was.  Refused, in this order: a damaged adopt request, a
 * seq that is not the next one (SW_MB_BAD_SEQ), a slot that is not in the
 * config, the running slot, one that never ran, failed or cannot be
 * started; a snapshot header that does not decode, is of another slot or of
 * another mode (an in-place slot's for a swap slot, or the other way
 * round), whose identity differs from the slot's now
 * (kernel, partition, e820 layout, store), whose memory settings differ
 * (sw_snap_config_hash), whose waking vector is not a real-mode address;
 * a slot without a complete store; last, a RAM hash that differs from the
 * store's. */
void sw_switch_decide(const struct sw_switch_facts *f, struct sw_switch_decision *d);
