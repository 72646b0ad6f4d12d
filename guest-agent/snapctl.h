/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: `switchctl snapshot save|restore SLOT FILE`, the in-slot side
 * of the lab bank (issue 14, docs/lab-bank.md).  Run in one slot while
 * another, SLOT, is suspended: save writes SLOT's saved RAM and its
 * partition's used blocks into FILE; restore writes them back and asks the
 * switcher, through the mailbox, to adopt the restored state.  The bytes
 * are moved by guest-agent/snapio.c, the same code as `mkslot snapshot`.
 */
#pragma once

#include "mbox.h"

#define AGENT_SNAPSHOT_USAGE                                                                          \
        "usage: switchctl snapshot save SLOT FILE [--force]\n"                                        \
        "       switchctl snapshot restore SLOT FILE\n"                                               \
        "SLOT must be suspended (not this slot, not one that never ran or failed), and its\n"         \
        "partition used by nothing in this system.  save writes SLOT's saved RAM (a swap\n"           \
        "slot's store, or where the switcher left it; an in-place slot's own RAM, DMA32\n"            \
        "window and saved low memory) and the used blocks of its ext4 partition into FILE\n"          \
        "(a temporary name, then renamed; an existing FILE is kept unless --force).\n"                \
        "restore checks the whole snapshot and that it belongs to SLOT as the switcher\n"             \
        "runs it now, writes the partition and the RAM, then asks the switcher to adopt\n"            \
        "it (this slot suspends and resumes at once): the next switch to SLOT resumes the\n"          \
        "snapshot.  Exit status 0 on success, 1 with the reason.\n"

/*
 * Runs `snapshot ARGS` (argv[0] is "save" or "restore") as slot self, with
 * the mailbox open.  sys_root as in struct agent_switch_opts.  Returns the
 * exit status.
 */
int agent_snapshot(struct agent_mb *m, const char *self, int argc, char **argv);

#define AGENT_POWEROFF_USAGE                                                                          \
        "usage: switchctl poweroff [--save DIR]\n"                                                     \
        "Powers the machine off: this slot goes off, and each suspended slot powers itself\n"         \
        "off as the switcher resumes it; after the last, the switcher powers the machine off.\n"      \
        "--save DIR first saves every suspended slot into DIR/SLOT.snap (as snapshot\n"              \
        "save, each whole or not at all), then switches to one of them, which saves this\n"        \
        "slot into DIR the same way and powers off (its own changes since its snapshot are\n"      \
        "lost), so that `snapshot DIR/SLOT.snap` lines in partitions.conf bring every slot\n"      \
        "back at the next start-up.  DIR must lie on a GPT partition of no slot; it is\n"          \
        "unmounted before the switch.  Refused, with nothing written and the machine left\n"      \
        "on, when a slot cannot be saved, no other slot is suspended to save this one, or\n"      \
        "DIR's file system lacks the room for all of them at their worst size; a save that\n"     \
        "fails stops it too, and says so in the slot that ran the command.\n"

/* Runs `poweroff ARGS` (argv[0] is the first argument after "poweroff") as
 * slot self.  Returns only on failure (1), or after a refusal. */
int agent_poweroff(struct agent_mb *m, const char *self, int argc, char **argv);

/*
 * Called by agent_switch() (suspend.c) as soon as slot self resumes: what
 * a machine power-off under way asks of this slot (switcher/saveall.h).
 * Saves the slot that ran `poweroff --save` and powers off, or powers off,
 * and returns only when that failed (the status for agent_switch() to
 * return); -1 when nothing is asked of this slot.
 */
int agent_poweroff_resumed(struct agent_mb *m, const char *self);
