/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: a disk's GPT, read by the switcher's own reader
 * (switcher/gpt.h) from a Linux block device or a disk image file, for the
 * partition-safety check (mounts.h) and switchctl --gpt-entry.
 */
#pragma once

#include <stddef.h>

#include "gpt.h"

/*
 * Reads the GPT of the disk (or image) at path.  bs 0 asks the device for
 * its logical block size (BLKSSZGET; 512 for a file).  Returns what
 * sw_gpt_read() returns, with the reason in why for SW_GPT_NONE and
 * SW_GPT_BAD (including "cannot open PATH: ...").
 */
int disk_read_gpt(const char *path, unsigned bs, struct sw_gpt *out, char *why, size_t n);
