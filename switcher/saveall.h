/* SPDX-License-Identifier: MIT */
/*
 * `switchctl poweroff --save DIR` (issue 14, docs/lab-bank.md): the
 * decisions, kept here so that they are host-tested.  The agent
 * (guest-agent/snapctl.c) moves the bytes.
 *
 * What it does with each slot, from the mailbox:
 *   - a suspended swap slot is saved into DIR/ID.snap;
 *   - the running slot (the one that runs the command) is not: a slot
 *     cannot snapshot itself while it runs, since its RAM and its partition
 *     change under the copy.  It is said, not silently skipped;
 *   - a slot that never ran, or went off, has nothing to save;
 *   - a failed slot and an in-place slot (whose snapshots are not there
 *     yet) are not saved, each with the reason.
 * All the snapshots must fit in DIR's file system at their worst size
 * (every page non-zero) before the first byte is written.
 *
 * The machine then goes off.  A slot's power-off only ends that slot: the
 * switcher goes on in a suspended one (switcher/switch.h).  So the slot
 * that runs the command marks its own result-message with
 * SW_POWEROFF_MARK before it powers off (the switcher does not write a
 * result for a slot that goes off), and each slot's agent, when it
 * resumes, powers its slot off too while some slot that went off carries
 * the mark.  When no slot has state left, the switcher powers the machine
 * off.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What poweroff --save does with one slot. */
enum sw_saveall_kind {
        SW_SAVEALL_SAVE,        /* suspended swap slot: saved */
        SW_SAVEALL_SELF,        /* the running slot: not saved, said */
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

/* The result-message a slot leaves when it goes off for poweroff --save. */
#define SW_POWEROFF_MARK "poweroff --save: the machine is going off"

/*
 * Is a machine power-off under way, as seen from slot self just resumed:
 * does some other slot in the mailbox fdt have state "empty" and the mark
 * as its result-message?
 */
bool sw_poweroff_pending(const void *fdt, const char *self);

/* Leaves the mark in slot's result-message (its seq and status kept), or
 * (unmark) takes it away again, when the power-off did not happen: a mark
 * left on a slot that goes off later would power the others off then.
 * Return 0 or a negative enum sw_mb_status. */
int sw_poweroff_mark(void *fdt, const char *slot);
int sw_poweroff_unmark(void *fdt, const char *slot);
