/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: the mount check (mounts.c).  A slot must not switch away
 * while it has another slot's partition or the ESP mounted read-write: the
 * other slot (or the switcher) would find its file system changed under its
 * feet.  Partitions are told apart by their GPT entry (gpt.h), matched
 * against each slot's "partition" in the mailbox.
 */
#pragma once

#include "mbox.h"

/*
 * Reads mounts (NULL: /proc/self/mounts).  Returns 0 when no other slot's
 * partition and no ESP is mounted read-write, else 1 after logging each
 * offender (or why the mounts could not be read).
 */
int agent_mount_check(const struct agent_mb *m, const char *self, const char *mounts);
