/* SPDX-License-Identifier: MIT */
/*
 * `switchctl poweroff --save DIR` (issue 14, docs/lab-bank.md): the
 * decisions, kept here so that they are host-tested.  The agent
 * (guest-agent/snapctl.c) moves the bytes.
 *
 * What it does with each slot, from the mailbox:
 *   - a suspended swap slot is saved into DIR/ID.snap;
 *   - the running slot (the one that runs the command) is saved last, by
 *     another slot (below): a slot cannot snapshot itself while it runs,
 *     since its RAM and its partition change under the copy;
 *   - a slot that never ran, or went off, has nothing to save;
 *   - a failed slot and an in-place slot (whose snapshots are not there
 *     yet) are not saved, each with the reason.
 * All the snapshots must fit in DIR's file system at their worst size
 * (every page non-zero) before the first byte is written.
 *
 * The running slot, X, is saved last, by another slot: a slot cannot
 * snapshot itself while it runs.  X checks before it writes anything that
 * DIR has room for every snapshot, its own included, and that DIR lies on
 * a GPT partition of no slot, which another slot can find by its PARTUUID.
 * Then it saves the suspended slots, unmounts DIR, leaves a request in the
 * mailbox's /poweroff (phase SW_MB_PO_SAVE: from X, saver Y, DIR as its
 * partition and the path inside it) and switches to Y, a slot it has just
 * saved (sw_saveall_saver()).  Y's agent, resumed inside the switch it was
 * suspended in, finds the request (sw_poweroff_todo()), mounts DIR's file
 * system, saves X with `snapshot save`'s code, and goes off with phase
 * SW_MB_PO_OFF.  Y's own changes since its resume are lost by design: its
 * snapshot was taken before.  When Y cannot save X, it records why
 * (SW_MB_PO_FAILED) and switches back to X, whose command then fails with
 * that reason (sw_poweroff_back()), the machine on.
 *
 * The machine then goes off.  A slot's power-off only ends that slot: the
 * switcher goes on in a suspended one (switcher/switch.h).  So the slot
 * that goes off first records it in /poweroff (phase SW_MB_PO_OFF, from
 * itself; the switcher writes no result for a slot that goes off), and
 * each slot's agent, when it resumes, powers its slot off too while that
 * slot is off (sw_poweroff_todo()).  When no slot has state left, the
 * switcher powers the machine off.  Plain `switchctl poweroff` is that
 * last part alone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mailbox.h"

/* What poweroff --save does with one slot. */
enum sw_saveall_kind {
        SW_SAVEALL_SAVE,        /* suspended swap slot: saved */
        SW_SAVEALL_SELF,        /* the running slot: saved last, by another slot */
        SW_SAVEALL_NOTHING,     /* never ran or went off: nothing to save */
        SW_SAVEALL_SKIP,        /* failed, in-place or unknown: not saved, said */
};

/*
 * Classifies slot id (its mailbox state and mode; either may be NULL when
 * the mailbox lacks it) for the slot self that runs the command.  why gets
 * the reason in words for every kind but SW_SAVEALL_SAVE ("" then).
 */
enum sw_saveall_kind sw_saveall_classify(const char *id, const char *self, const char *state, const char *mode,
                                         char *why, size_t n);

/*
 * Do n snapshots of at most need[i] bytes fit in free_bytes?  0, or -1
 * with the reason in why (the total and the free space; a total that
 * overflows 64 bits is refused too).
 */
int sw_saveall_room(const uint64_t *need, unsigned n, uint64_t free_bytes, char *why, size_t len);

/*
 * "DIR/ID.snap" into out (n bytes), the name a `snapshot DIR/ID.snap` line
 * of partitions.conf can point at.  A trailing '/' of dir is not doubled.
 * -1 when it does not fit, or dir or id is empty.
 */
int sw_saveall_path(char *out, size_t n, const char *dir, const char *id);

/*
 * The slot that saves self once self is suspended: the first of the n
 * slots self has just saved (saved[i] their ids), whose agents are
 * inside a switch and will look at /poweroff when they resume.  Returns
 * its index, or -1 with the reason in why when there is none: then no
 * slot could save self, and the command is refused with nothing written
 * (a slot that never ran has no agent waiting to do it).
 */
int sw_saveall_saver(const char *const *saved, unsigned n, const char *self, char *why, size_t len);

struct sw_gpt_part;

/*
 * May DIR's file system, on GPT partition e, hold the snapshots?  Not when
 * e is a slot's partition (mailbox fdt's "partition" of any slot, self
 * included): that partition is saved with its slot, and is in use by it.
 * 0, or -1 with the reason in why.
 */
int sw_saveall_dir_part(const void *fdt, const struct sw_gpt_part *e, const char *dir, char *why, size_t len);

/* What slot self's agent does about /poweroff when it resumes. */
enum sw_poweroff_todo {
        SW_PO_NOTHING,  /* no power-off under way, or not this slot's part */
        SW_PO_SAVE,     /* save slot p->from into p->part at p->path, then go off */
        SW_PO_OFF,      /* slot p->from went off for a machine power-off: go off too */
        SW_PO_IGNORE,   /* a record that cannot be acted on: why says so; go on */
};

/*
 * Reads /poweroff of the mailbox fdt into p and decides, for slot self
 * just resumed (see above): SW_PO_SAVE when it names self as the saver
 * and p->from is suspended; SW_PO_OFF when p->from (not self) went off
 * and is still off (a slot started again since makes the record stale);
 * SW_PO_IGNORE, with why, for a damaged record or a save asked of self for
 * a slot that is not suspended; SW_PO_NOTHING otherwise.
 */
enum sw_poweroff_todo sw_poweroff_todo(const void *fdt, const char *self, struct sw_mb_poweroff *p, char *why,
                                       size_t n);

/*
 * Slot self ran `poweroff --save`, whose switch to the saver was request
 * seq, and runs again inside it: was it saved?  1 when it runs from its
 * snapshot in a later start-up (the mailbox is a new one: no record, and
 * self's result does not answer seq), which is the save having worked;
 * else 0, the save not done, with the reason from /poweroff (the saver's
 * message, or that the saver never acted on the request).  why says which
 * either way.
 */
int sw_poweroff_back(const void *fdt, const char *self, uint32_t seq, char *why, size_t n);

/* Records that slot self goes off for a machine power-off (phase
 * SW_MB_PO_OFF).  0 or a negative enum sw_mb_status. */
int sw_poweroff_mark(void *fdt, const char *self);
