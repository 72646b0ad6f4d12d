/* SPDX-License-Identifier: MIT */
/*
 * The mailbox: switcher-reserved pages holding the slot table as a flattened
 * device tree, shared by the switcher and the guest agent (libfdt on both
 * sides; this file is compiled into both).  The guest finds it through
 * "switcher.mailbox=0xADDR" on its command line.  Every byte a guest writes
 * here is untrusted: the switcher validates it before use.
 *
 * Layout, version 1 (all integers big-endian, as in any FDT):
 *
 *   / {
 *       version = <1>;
 *       current = [64 bytes, NUL-padded id of the running slot];  "" before any slot runs
 *       prewarm-next = [64 bytes, NUL-padded id]; set while a 'prewarm' slot is
 *                                        booted at start-up: its agent switches
 *                                        there as soon as it runs; "" otherwise
 *       default = "ID";                  the slot booted when nobody chooses (read only)
 *       next-hotkey = "ctrl+alt+0";      optional: "switch to the next slot"
 *       slots {
 *           ID {                         one node per valid slot, menu order
 *               title = "...";
 *               mode = "swap" | "in-place";
 *               state = [16 bytes, NUL-padded: "empty" | "running" | "suspended" | "failed"];
 *               hotkey = "ctrl+alt+1";   optional
 *               partition = "PARTLABEL=x" | "PARTUUID=uuid";   optional
 *               partition-missing;       present (empty) when no disk the firmware
 *                                        saw at start-up has that partition
 *               switches = <u32>;        times this slot was switched to
 *               last-switch-us = <u32>;  the switcher's own part of the last switch to it
 *               result-seq = <u32>;      seq of the last request this slot made
 *               result-status = <u32>;   enum sw_mb_status for that request
 *               result-message = [128 bytes, NUL-padded text];
 *               store = <u64 base, u64 size>;   where the slot's RAM is kept while
 *                                    another slot runs (0, 0: none); read only
 *           };
 *       };
 *       request {                        written in place by the running slot's agent
 *           slot = [64 bytes, NUL-padded id of the requesting slot];
 *           target = [64 bytes, NUL-padded id of the target slot];
 *           seq = <u32>;                 previous result-seq of the requester + 1
 *           csum = <u32>;                CRC-32 (IEEE 802.3) of slot[64] target[64] seq(BE)
 *       };
 *   };
 *
 * "NUL-padded" means: the text, then zero bytes up to the full size, so the
 * last byte is always 0 (ids are at most 63 bytes, messages 127).  Readers
 * reject a fixed-size field that is not terminated, and a request whose
 * padding is not all zero (the checksum covers every byte, so a request has
 * exactly one valid encoding).  A request that is all zero means "none".
 *
 * Every property is created at its full size by sw_mailbox_build(), so both
 * sides change values with fdt_setprop_inplace() and the tree never moves.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"

#define SW_MAILBOX_SIZE (16 * 1024)
#define SW_MAILBOX_VERSION 1
#define SW_MB_ID_LEN 64
#define SW_MB_MSG_LEN 128
#define SW_MB_STATE_LEN 16

enum sw_slot_state {
        SW_SLOT_EMPTY,       /* never started */
        SW_SLOT_RUNNING,
        SW_SLOT_SUSPENDED,
        SW_SLOT_FAILED,
};

/* Outcome of a switch request, as written to result-status. */
enum sw_mb_status {
        SW_MB_OK = 0,            /* switched; the requester was resumed later */
        SW_MB_BAD_CSUM = 1,      /* checksum does not match */
        SW_MB_UNKNOWN_SLOT = 2,  /* target names no valid slot */
        SW_MB_SAME_SLOT = 3,     /* target is the slot that is running */
        SW_MB_TARGET_FAILED = 4, /* target cannot be started or resumed */
        SW_MB_BAD_SEQ = 5,       /* seq is not previous result-seq + 1 */
        SW_MB_MALFORMED = 6,     /* the tree or the request is damaged */
        SW_MB_NO_REQUEST = 7,    /* woke up with no request pending */
        SW_MB_CANNOT_SAVE = 8,   /* the requester's RAM has no complete place in its store */
        SW_MB_ADOPT_REFUSED = 9, /* a restored snapshot was not adopted (see /adopt below) */
        SW_MB_STATUS_MAX,
};

/* A decoded request. */
struct sw_mb_request {
        char slot[SW_MB_ID_LEN];
        char target[SW_MB_ID_LEN];
        uint32_t seq;
        uint32_t csum;
};

/* "empty", "running", "suspended", "failed"; "unknown" outside the enum. */
const char *sw_slot_state_name(enum sw_slot_state s);
/* "ok", "bad-csum", "unknown-slot", "same-slot", "target-failed", "bad-seq",
 * "malformed", "no-request", "cannot-save", "adopt-refused"; "unknown" outside the enum (the value comes from
 * guest-writable memory, so any u32 is possible). */
const char *sw_mb_status_name(enum sw_mb_status s);

/*
 * CRC-32 (IEEE 802.3, reflected, init and final xor 0xffffffff), chainable
 * as zlib's crc32(): start with crc = 0 and pass the previous result to
 * continue.  sw_crc32(0, "123456789", 9) == 0xcbf43926.
 */
uint32_t sw_crc32(uint32_t crc, const void *buf, size_t len);

/* The checksum a request must carry. */
uint32_t sw_mb_request_csum(const struct sw_mb_request *r);

/*
 * Writes the slot table for every valid slot of c into buf (size bytes, at
 * least SW_MAILBOX_SIZE, at most INT32_MAX).  state[i] is the state of
 * c->slots[i]; current is the index of the running slot (-1 or an invalid
 * slot: "current" stays all zero).  "default" is sw_config_default_index().
 * Every property of the layout above is created at its full size (request
 * all zero, counters 0), so later edits are in place; the tree is not packed.
 * Returns 0, or a negative libfdt error (reported through d as "mailbox:
 * cannot build the slot table: ...").
 */
int sw_mailbox_build(void *buf, size_t size, const struct sw_config *c,
                     const enum sw_slot_state *state, int current, struct sw_diag *d);


/*
 * Everything below reads or edits a mailbox in place (fdt_setprop_inplace():
 * the tree never moves or grows).  The switcher calls them on guest-written
 * bytes, so each one looks every node and property up again, checks its exact
 * size and the termination of every string, and never trusts an offset it
 * did not just get from libfdt.  Errors are one convention for the whole
 * mailbox layer: a negative enum sw_mb_status,
 *   -SW_MB_MALFORMED     missing node or property, wrong property size,
 *                        unterminated string, value too long to fit;
 *   -SW_MB_UNKNOWN_SLOT  no /slots/SLOT node (exact name match).
 * Nothing here reports through a diag: the caller knows the context.
 */

/*
 * Validates a mailbox of size bytes: the FDT header (header version 17,
 * compatible with 16, as sw_mailbox_build() writes it), its blocks in the
 * codec's order without overlap (an empty reservation map, the structure
 * block, the strings block), the whole structure block (every tag and
 * length inside it, walked with checked arithmetic, then fdt_check_full()),
 * totalsize <= size, version == SW_MAILBOX_VERSION, a 64-byte "current",
 * /slots with every child's fixed-size properties at their size (state 16,
 * result-message 128, switches, last-switch-us, result-seq, result-status
 * 4), and /request with slot 64, target 64, seq 4, csum 4.  Returns 0 or
 * -SW_MB_MALFORMED.
 */
int sw_mb_check(const void *fdt, size_t size);

/*
 * Reads /request into r: slot and target must each hold a terminated id with
 * zero padding after it, else -SW_MB_MALFORMED.  The raw bytes are kept, so
 * sw_mb_request_csum(r) is the checksum of what the guest wrote.  Returns 0
 * or -SW_MB_MALFORMED (r is zeroed then).  Call sw_mb_check() first.
 */
int sw_mb_request_read(const void *fdt, struct sw_mb_request *r);

/*
 * Is request r acceptable from the running slot current_id?  In this order:
 * an all-zero request -> SW_MB_NO_REQUEST; r->csum != sw_mb_request_csum(r)
 * -> SW_MB_BAD_CSUM; r->slot != current_id -> SW_MB_MALFORMED; no /slots
 * node named r->target -> SW_MB_UNKNOWN_SLOT; target == current_id ->
 * SW_MB_SAME_SLOT; r->seq != the requester's result-seq + 1 (mod 2^32) ->
 * SW_MB_BAD_SEQ (also when the requester's node or result-seq is damaged:
 * MALFORMED).  Returns SW_MB_OK when none applies.
 */
enum sw_mb_status sw_mb_request_validate(const void *fdt, const struct sw_mb_request *r,
                                         const char *current_id);

/*
 * Agent side: fills /request for slot -> target with seq and its checksum
 * (ids NUL-padded to 64 bytes).  Returns 0, or -SW_MB_MALFORMED when an id
 * is empty or longer than 63 bytes, or /request is damaged.
 */
int sw_mb_request_write(void *fdt, const char *slot, const char *target, uint32_t seq);

/* Zeroes /request (the switcher does this once it has taken a request).
 * Returns 0 or -SW_MB_MALFORMED. */
int sw_mb_request_clear(void *fdt);

/*
 * Switcher side: records the outcome of request seq for slot: result-seq,
 * result-status = st, result-message = msg (NULL means ""; cut at 127 bytes,
 * the rest NUL-padded).  Returns 0, -SW_MB_UNKNOWN_SLOT or -SW_MB_MALFORMED.
 */
int sw_mb_set_result(void *fdt, const char *slot, uint32_t seq, enum sw_mb_status st,
                     const char *msg);

/*
 * Reads slot's result: *seq and *st (the raw u32: it may be outside the
 * enum), and the message into msg (n bytes, always terminated when n > 0,
 * cut to fit; msg may be NULL).  Any output pointer may be NULL.  Returns 0,
 * -SW_MB_UNKNOWN_SLOT, or -SW_MB_MALFORMED (also for an unterminated
 * message).
 */
int sw_mb_get_result(const void *fdt, const char *slot, uint32_t *seq, uint32_t *st, char *msg,
                     size_t n);

/* Writes slot's "state" (16 bytes, NUL-padded).  Returns 0,
 * -SW_MB_UNKNOWN_SLOT or -SW_MB_MALFORMED (also for st outside the enum). */
int sw_mb_set_state(void *fdt, const char *slot, enum sw_slot_state st);

/* Writes the root "current" (64 bytes, NUL-padded; "" for none).  Returns 0
 * or -SW_MB_MALFORMED (id longer than 63 bytes, or "current" damaged).  The
 * id is not looked up: the caller names a slot it knows. */
int sw_mb_set_current(void *fdt, const char *slot);

/* switches += 1 (wrapping at 2^32), last-switch-us = switch_us, for slot.
 * Returns 0, -SW_MB_UNKNOWN_SLOT or -SW_MB_MALFORMED. */
int sw_mb_note_switch(void *fdt, const char *slot, uint32_t switch_us);

/* The start-up prewarm chain (see the layout above): set by the switcher,
 * read by the agent.  "" or NULL clears it.  Return 0 or a negative enum
 * sw_mb_status; get fills out with "" on any error. */
int sw_mb_set_prewarm_next(void *fdt, const char *slot);
int sw_mb_get_prewarm_next(const void *fdt, char out[SW_MB_ID_LEN]);

/* Slot's store, as the switcher planned it: set once at boot; read by the
 * agent for `switchctl list`.  Return 0 or a negative enum sw_mb_status
 * (-SW_MB_MALFORMED also for a mailbox without the property). */
int sw_mb_set_store(void *fdt, const char *slot, uint64_t base, uint64_t size);
int sw_mb_get_store(const void *fdt, const char *slot, uint64_t *base, uint64_t *size);

/*
 * Offset of the /slots child named exactly id (libfdt's own lookup would
 * also match "id@anything"), -SW_MB_UNKNOWN_SLOT when there is none, or
 * -SW_MB_MALFORMED when /slots is missing.  For readers of the other
 * per-slot properties (title, mode, hotkey, partition).
 */
int sw_mb_slot_offset(const void *fdt, const char *id);

/* ---------------------------------------------------------------------- */
/*
 * The lab bank (issue 14, docs/lab-bank.md).  Three more properties, created
 * at their full size by sw_mailbox_build() like every other one, but not
 * required by sw_mb_check(): a mailbox without them is still a valid one
 * (the getters then say -SW_MB_MALFORMED).
 *
 *   /slots/ID/snapshot-identity = [92 bytes]   written by the switcher at each
 *        switch: what a snapshot of ID must carry to be adopted again,
 *        kernel[64] (NUL-padded release), kernel-size (u64), layout (u64),
 *        config-hash (u64), waking vector (u32); all zero before ID ever
 *        suspended;
 *   /lazy-ram = [260 bytes]   written by the switcher at each switch: the
 *        slot whose RAM partly still lies in the active region (a lazy save,
 *        switcher/switch.h), owner[64] ("" for none), count (u32), then 8
 *        pieces of (store address, where it lies now, size), u64 each;
 *        count may exceed 8 (then only the count is there);
 *   /adopt = [588 bytes]   written by an agent after a restore, read and
 *        zeroed by the switcher: slot[64], a snapshot header[512] (the
 *        format of switcher/snapshot.h), the RAM hash (u64,
 *        sw_snap_ram_hash) of what was written into the store, and a CRC-32
 *        of the 584 bytes before it (u32).  All zero: none.  It is acted on
 *        only with a request from the running slot to itself (otherwise
 *        SAME_SLOT), whose answer is the adoption's: SW_MB_OK, or
 *        SW_MB_ADOPT_REFUSED with the reason in result-message.
 *
 * Integers are big-endian, as everywhere in an FDT.
 */
#define SW_MB_KERNEL_LEN 64
#define SW_MB_LAZY_MAX 8
#define SW_MB_ADOPT_HEADER_LEN 512
#define SW_MB_IDENTITY_SIZE (SW_MB_KERNEL_LEN + 3 * 8 + 4)
#define SW_MB_LAZY_SIZE (SW_MB_ID_LEN + 4 + SW_MB_LAZY_MAX * 24)
#define SW_MB_ADOPT_SIZE (SW_MB_ID_LEN + SW_MB_ADOPT_HEADER_LEN + 8 + 4)

struct sw_mb_identity {
        char kernel[SW_MB_KERNEL_LEN];
        uint64_t kernel_size;
        uint64_t layout;
        uint64_t config_hash;
        uint32_t vector;
};

struct sw_mb_lazy {
        char owner[SW_MB_ID_LEN];
        uint32_t n;
        struct sw_mb_lazy_piece {
                uint64_t store;         /* where it belongs in the owner's store */
                uint64_t now;           /* where it lies now (the active region) */
                uint64_t size;
        } piece[SW_MB_LAZY_MAX];
};

struct sw_mb_adopt {
        char slot[SW_MB_ID_LEN];
        uint8_t header[SW_MB_ADOPT_HEADER_LEN];
        uint64_t ram_hash;
        uint32_t csum;
};

/* Slot's snapshot identity (the kernel release cut to 63 bytes).  Return 0
 * or a negative enum sw_mb_status. */
int sw_mb_set_identity(void *fdt, const char *slot, const struct sw_mb_identity *id);
int sw_mb_get_identity(const void *fdt, const char *slot, struct sw_mb_identity *id);

/* The lazy owner and its pieces (l->n pieces, the first SW_MB_LAZY_MAX
 * written).  Return 0 or -SW_MB_MALFORMED (also for an unterminated
 * owner). */
int sw_mb_set_lazy(void *fdt, const struct sw_mb_lazy *l);
int sw_mb_get_lazy(const void *fdt, struct sw_mb_lazy *l);

/* The CRC-32 an adopt request must carry (over slot, header, ram_hash). */
uint32_t sw_mb_adopt_csum(const struct sw_mb_adopt *a);
/* Agent side: fills /adopt.  0, or -SW_MB_MALFORMED (bad id, no /adopt). */
int sw_mb_adopt_write(void *fdt, const char *slot, const uint8_t header[SW_MB_ADOPT_HEADER_LEN],
                      uint64_t ram_hash);
/*
 * Switcher side: reads /adopt into a.  Returns 1 when there is none (all
 * zero, or no /adopt), 0 for a request whose checksum matches and whose
 * slot is terminated and zero padded, else -SW_MB_BAD_CSUM or
 * -SW_MB_MALFORMED.
 */
int sw_mb_adopt_read(const void *fdt, struct sw_mb_adopt *a);
/* Zeroes /adopt.  0 or -SW_MB_MALFORMED. */
int sw_mb_adopt_clear(void *fdt);

/* ---------------------------------------------------------------------- */
/*
 * A machine power-off under way (`switchctl poweroff [--save DIR]`,
 * switcher/saveall.h, docs/lab-bank.md).  One more root property, created
 * all zero by sw_mailbox_build() like the lab bank's, and not required by
 * sw_mb_check():
 *
 *   /poweroff = [632 bytes]   written by agents only: phase (u32), from[64],
 *        saver[64], fstype[16], part[96], path[256], message[128] (each
 *        NUL-padded), then a CRC-32 of the 628 bytes before it (u32).  All
 *        zero: none.
 *
 * The switcher never reads it: the mailbox lies in switcher memory that no
 * switch rewrites, so whatever an agent leaves here is there for the next
 * slot that runs, and a fresh power-on builds the mailbox again, without
 * it.  (A mailbox the guest damaged is rebuilt from the switcher's own
 * state, and loses it too: the power-off then does not go on, and the slot
 * that asked for it says so when it runs again.)
 */
#define SW_MB_FSTYPE_LEN 16
#define SW_MB_PART_LEN 96
#define SW_MB_PATH_LEN 256
#define SW_MB_POWEROFF_SIZE (4 + 2 * SW_MB_ID_LEN + SW_MB_FSTYPE_LEN + SW_MB_PART_LEN + SW_MB_PATH_LEN + \
                             SW_MB_MSG_LEN + 4)

enum sw_mb_poweroff_phase {
        SW_MB_PO_NONE = 0,
        /* from ran `poweroff --save`, saved every other slot and switched
         * to saver, which is to save from into part's file system (type
         * fstype) at path, then go off (SW_MB_PO_OFF). */
        SW_MB_PO_SAVE = 1,
        /* from went off for a machine power-off: every slot the switcher
         * resumes after it goes off too, until none has state. */
        SW_MB_PO_OFF = 2,
        /* saver could not save from: message says why; from, when it runs
         * again, says so and stays on. */
        SW_MB_PO_FAILED = 3,
        SW_MB_PO_MAX,
};

struct sw_mb_poweroff {
        uint32_t phase;                         /* enum sw_mb_poweroff_phase */
        char from[SW_MB_ID_LEN];
        char saver[SW_MB_ID_LEN];
        char fstype[SW_MB_FSTYPE_LEN];
        char part[SW_MB_PART_LEN];              /* "PARTUUID=u" or "PARTLABEL=x" */
        char path[SW_MB_PATH_LEN];              /* the directory inside that file system */
        char message[SW_MB_MSG_LEN];
};

/* Writes /poweroff (the CRC computed here).  0, or -SW_MB_MALFORMED (a
 * field too long for its place, a phase outside the enum, no /poweroff). */
int sw_mb_set_poweroff(void *fdt, const struct sw_mb_poweroff *p);
/* Reads /poweroff into p: 1 when there is none (all zero, or no
 * /poweroff: p is zeroed), 0 for one whose CRC matches, whose phase is in
 * the enum and whose fields are terminated and zero padded, else
 * -SW_MB_BAD_CSUM or -SW_MB_MALFORMED (p zeroed). */
int sw_mb_get_poweroff(const void *fdt, struct sw_mb_poweroff *p);
/* Zeroes /poweroff.  0 or -SW_MB_MALFORMED. */
int sw_mb_poweroff_clear(void *fdt);

/*
 * Where a snapshot of each slot finds its RAM (the lab bank, in-place
 * slots): one more property per slot, created at its full size like the
 * others and, like them, not required by sw_mb_check().
 *
 *   /slots/ID/snapshot-ram = [84 bytes]   set by the switcher at start-up
 *        (read only): count (u32), then 4 entries of (address u64, size
 *        u64, kind u32), the first count of them used, the rest zero.
 *        The ranges sw_snap_slot_ram() gives for the slot as planned
 *        (switcher/snapshot.h): a swap slot's store (kind 1); an in-place
 *        slot's DMA32 window if any (5), the part of its store holding its
 *        saved low memory (3) and its own RAM (2), in address order.
 *        Count 0: the slot has no RAM to snapshot (not placed).
 */
#define SW_MB_RAM_MAX 4
#define SW_MB_RAM_SIZE (4 + SW_MB_RAM_MAX * 20)

struct sw_mb_ram {
        uint32_t n;
        struct sw_mb_ram_range {
                uint64_t addr, size;
                uint32_t kind;          /* enum sw_snap_range_kind */
        } r[SW_MB_RAM_MAX];
};

/* Slot's snapshot RAM.  Set writes the first SW_MB_RAM_MAX ranges (more
 * is -SW_MB_MALFORMED); get refuses a count above SW_MB_RAM_MAX or a used
 * entry of size 0 (-SW_MB_MALFORMED).  Return 0 or a negative enum
 * sw_mb_status (-SW_MB_MALFORMED also for a mailbox without it). */
int sw_mb_set_ram(void *fdt, const char *slot, const struct sw_mb_ram *r);
int sw_mb_get_ram(const void *fdt, const char *slot, struct sw_mb_ram *r);
