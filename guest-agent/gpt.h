/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: which partition a mounted block device is, from the disk's
 * GPT (gpt.c), for the mount check (mounts.h) and switchctl --gpt-entry.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define GPT_NAME_UTF8_MAX (36 * 3 + 1)

struct gpt_part {
        unsigned index;                   /* 1-based entry number */
        uint8_t type[16];
        uint8_t uuid[16];
        char type_str[37];                /* lower case, 8-4-4-4-12 */
        char uuid_str[37];
        char name[GPT_NAME_UTF8_MAX];     /* UTF-8 */
};

/* "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" */
#define GPT_ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"

/*
 * Reads entry partn (1-based) of the GPT on the disk open as fd with
 * logical block size bs: primary header at LBA 1, header and entry-array
 * CRCs checked, every size bounded.  Returns 0, or -1 with the reason in
 * why.
 */
int gpt_read_entry(int fd, unsigned bs, unsigned partn, struct gpt_part *out, char *why, size_t n);

/* Formats a GPT GUID (mixed endian on disk) as lower-case text. */
void gpt_guid_str(const uint8_t g[16], char out[37]);

/*
 * Which GPT partition is block device dev ("/dev/sda2")?  Looks the device
 * up in /sys (major:minor -> partition number and parent disk) and reads the
 * parent's GPT.  Returns 0, 1 when dev is not a partition of a GPT disk
 * (a whole disk, a loop device, an MBR disk: out untouched), or -1 with the
 * reason in why.
 */
int gpt_identify(const char *dev, struct gpt_part *out, char *why, size_t n);
