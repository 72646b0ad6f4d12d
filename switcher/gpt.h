/* SPDX-License-Identifier: MIT */
/*
 * The one GPT reader (gpt.c): the switcher reads the disks the firmware
 * sees through it at start-up (efi/partcheck.c), the guest agent the disks
 * of the OS it runs in (guest-agent/gpt.c), and mkslot a disk image
 * (mkslot check --disk).  A disk is untrusted bytes: every size in the
 * header is bounded before use and both CRCs are checked (UEFI 2.10, 5.3.2
 * and 5.3.3).  Only the primary header (LBA 1) is read: a disk whose primary
 * table is damaged is reported as unreadable rather than silently read from
 * its backup, so the damage is seen and repaired.
 *
 * Pure: the bytes come through a caller's read callback, so the same code
 * runs on EFI Disk I/O, a Linux block device and an image file.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* A partition name is 36 UTF-16 code units; in UTF-8 at most 3 bytes each
 * (a surrogate pair, 2 units, becomes 4 bytes). */
#define SW_GPT_NAME_MAX (36 * 3 + 1)
/* Entry arrays hold 128 entries in practice; used entries beyond this many
 * make the table "too large" rather than silently ignored. */
#define SW_GPT_MAX_PARTS 128

/* "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" */
#define SW_GPT_ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"

struct sw_gpt_part {
        unsigned index;                   /* 1-based entry number (the Linux partition number) */
        uint8_t type[16];
        uint8_t uuid[16];
        uint64_t first_lba, last_lba;
        char type_str[37];                /* lower case, 8-4-4-4-12 */
        char uuid_str[37];
        char name[SW_GPT_NAME_MAX];       /* UTF-8 */
};

struct sw_gpt {
        unsigned nparts;                  /* used entries, in table order */
        unsigned nentries;                /* entries in the table, used or not */
        struct sw_gpt_part parts[SW_GPT_MAX_PARTS];
};

/* Reads len bytes at byte offset off; returns 0, or -1 (the caller's errno
 * or status is not needed: the reader says "cannot read ..."). */
typedef int (*sw_gpt_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

enum { SW_GPT_OK = 0, SW_GPT_NONE = 1, SW_GPT_BAD = -1 };

/*
 * Reads the GPT of a disk with logical block size bs.  Returns SW_GPT_OK
 * with the used entries in out, SW_GPT_NONE when LBA 1 has no "EFI PART"
 * signature (no GPT: an MBR disk or an empty one), or SW_GPT_BAD when there
 * is a GPT that cannot be read or trusted; why then says what is wrong
 * (also for SW_GPT_NONE).
 */
int sw_gpt_read(sw_gpt_read_fn rd, void *ctx, unsigned bs, struct sw_gpt *out, char *why, size_t n);

/* Formats a GPT GUID (mixed endian on disk) as lower-case text. */
void sw_gpt_guid_str(const uint8_t g[16], char out[37]);

/* Does partition p match a config partition (kind and value as struct
 * sw_slot_config keeps them: a label, or a uuid in any case)? */
bool sw_gpt_matches(const struct sw_gpt_part *p, enum sw_part_kind kind, const char *value);

/* The same for the mailbox's text form, "PARTLABEL=x" or "PARTUUID=u";
 * anything else matches nothing. */
bool sw_gpt_matches_spec(const struct sw_gpt_part *p, const char *spec);

/* The entry of g matching kind/value, or NULL. */
const struct sw_gpt_part *sw_gpt_find(const struct sw_gpt *g, enum sw_part_kind kind, const char *value);

/* The entry with 1-based number index, or NULL. */
const struct sw_gpt_part *sw_gpt_entry(const struct sw_gpt *g, unsigned index);

/*
 * The switcher's start-up check: every valid slot's 'partition' is looked
 * up in the ndisks tables the firmware could read.  A slot whose partition
 * is on none gets partition_missing set and a warning
 *     FILE:LINE: slot 'ID': partition PARTLABEL=x: no such partition on any disk
 * (LINE: its 'partition' line).  unreadable disks (their tables could not
 * be read) are named in the warning, since the partition may be on one of
 * them.  Returns the number of slots flagged.
 */
unsigned sw_gpt_check_config(struct sw_config *c, const struct sw_gpt *const *disks, unsigned ndisks,
                             unsigned unreadable, struct sw_diag *d);
