/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: the partition-safety check (mounts.c).  A slot must not
 * switch away while anything in it uses another slot's partition or the
 * ESP for writing: the other slot (or the switcher) would find its file
 * system changed under its feet.  Partitions are told apart by their GPT
 * entry (disk.h), matched against each slot's "partition" in the mailbox;
 * their use is seen in every mount namespace, in sysfs holders, in loop
 * devices and through an O_EXCL open (see mounts.c for the decision).
 */
#pragma once

#include "mbox.h"

/*
 * Checks the running system (test_root NULL) or a test root holding sys/,
 * proc/ and dev/.  Returns 0 when the switch may go ahead, else 1 after
 * logging each offender, naming the device, the slot (or the ESP) and what
 * holds it, or why the check could not be made.
 */
int agent_mount_check(const struct agent_mb *m, const char *self, const char *test_root);

/*
 * The lab bank (guest-agent/snapshot.c): finds slot's partition (its
 * "partition" in the mailbox) on this system's GPT disks, and checks that
 * nothing here uses it at all, read-only uses included.  Returns 0 with its
 * device path in dev (n bytes), or 1 after logging why not: no such
 * partition, a GPT that cannot be read, or each use found.
 */
int agent_partition_idle(const struct agent_mb *m, const char *slot, const char *test_root, char *dev, size_t n);
