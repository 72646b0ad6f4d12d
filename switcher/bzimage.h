/* SPDX-License-Identifier: MIT */
/*
 * Reading a Linux x86 bzImage: validates the setup header (Linux's
 * Documentation/arch/x86/boot.rst) and reduces it to the facts the planner
 * and the boot_params builder need.
 *
 * The parser reads only the head of the file (the boot sector and setup
 * header, plus the kernel version string when the head holds it) and takes
 * the file's total length as a separate fact.  That lets the EFI glue check a
 * kernel before reading 8 MiB of it, and lets tests use the real header of a
 * stock kernel without keeping the whole kernel around.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"

/* The oldest boot protocol we accept: 2.12 brought xloadflags (so we know
 * whether there is a 64-bit entry and whether the kernel may sit above
 * 4 GiB); relocatable_kernel, kernel_alignment, cmdline_size and init_size
 * are all older than that. */
#define SW_BZ_MIN_VERSION 0x020c

/* How much of the file a caller that reads only a head must read (or the
 * whole file, if it is shorter): the boot sector and the longest setup
 * header we know (protocol 2.15 ends at 0x26c), rounded up.  Reading
 * the whole setup (sw_bzimage_info.setup_size bytes) also yields the
 * kernel version string. */
#define SW_BZ_HEAD_MIN 0x280

/* Errors, returned negated, each with one cause. */
enum sw_bz_err {
        SW_BZ_ERR_SHORT = 1,            /* file (or its declared setup header) shorter than the header */
        SW_BZ_ERR_BOOT_FLAG,            /* no 0xAA55 at 0x1fe */
        SW_BZ_ERR_MAGIC,                /* no "HdrS" at 0x202 */
        SW_BZ_ERR_VERSION,              /* boot protocol older than 2.12 */
        SW_BZ_ERR_NOT_HIGH,             /* LOADED_HIGH clear: a zImage */
        SW_BZ_ERR_SETUP_SECTS,          /* the setup code would be larger than the file */
        SW_BZ_ERR_TRUNCATED,            /* the protected-mode code (syssize) does not fit in the file */
        SW_BZ_ERR_NOT_RELOCATABLE,      /* relocatable_kernel is 0 */
        SW_BZ_ERR_ALIGNMENT,            /* kernel_alignment not a power of two */
        SW_BZ_ERR_INIT_SIZE,            /* init_size smaller than the protected-mode code */
        SW_BZ_ERR_CMDLINE_SIZE,         /* cmdline_size is 0 */
        SW_BZ_ERR_MAX,
};

struct sw_bzimage_info {
        uint16_t version;               /* boot protocol, e.g. 0x020f */
        uint32_t setup_size;            /* (setup_sects ?: 4) + 1, times 512: offset of the protected-mode code */
        uint32_t pm_size;               /* bytes of protected-mode code in the file (syssize * 16) */
        uint32_t init_size;             /* memory the kernel needs from its load address */
        uint32_t kernel_alignment;
        uint64_t pref_address;
        uint32_t cmdline_size;          /* max command line length (without NUL) */
        uint32_t initrd_addr_max;
        uint16_t xloadflags;
        bool relocatable;
        bool can_64bit_entry;           /* XLF_KERNEL_64 */
        bool can_load_above_4g;         /* XLF_CAN_BE_LOADED_ABOVE_4G */
        bool is_64bit_kernel;           /* our best knowledge that the kernel is x86-64 (XLF_KERNEL_64 set) */
        /* The kernel release, i.e. the first word of the version string at
         * kernel_version + 0x200 (what `uname -r` prints, "6.1.0-56-amd64"),
         * cut to 63 bytes; "" when the string is absent, outside the head
         * that was read, unterminated or not printable ASCII. */
        char kernel_version[64];
};

/*
 * Validates and reads a bzImage of which only the first head_len bytes are
 * at head (head_len >= min(file_len, SW_BZ_HEAD_MIN) for a useful answer;
 * any more is used for the version string), file_len being the length of
 * the whole file.  what names the file in messages, e.g.
 * "slot 'a': kernel '/vmlinuz'" (NULL = "kernel").
 *
 * Returns 0 and fills out, or a negative SW_BZ_ERR_* after one SW_ERROR
 * message such as "slot 'a': kernel '/vmlinuz': boot protocol 2.10 is too
 * old (need 2.12)".  Checks, in this order: file shorter than the header,
 * no 0xAA55, no "HdrS", protocol < 2.12, header shorter than 2.12's fields,
 * LOADED_HIGH clear, setup larger than the file, syssize 0 or beyond the
 * end of the file, not relocatable, kernel_alignment not a power of two,
 * init_size < pm_size, cmdline_size 0.  A kernel without a 64-bit entry
 * (32-bit i386 kernels) is valid: the flags in out say so.
 */
int sw_bzimage_parse_head(const void *head, size_t head_len, uint64_t file_len,
                          const char *what, struct sw_bzimage_info *out, struct sw_diag *d);

/* sw_bzimage_parse_head() on a whole file of len bytes at img. */
int sw_bzimage_parse(const void *img, size_t len, const char *what,
                     struct sw_bzimage_info *out, struct sw_diag *d);

/*
 * Whether a kernel whose header parsed into info can run in slot s, which
 * sees slot_ram bytes and loads initrd_size bytes of initrds.  what names
 * the slot's kernel in messages, as for sw_bzimage_parse_head().
 *
 * Refused, each with one SW_ERROR message that says why:
 *   - a 64-bit (x86_64) kernel in an 'arch i386' slot: the slot's RAM and
 *     entry are 32-bit;
 *   - a kernel without a 64-bit entry in an 'arch x86_64' slot;
 *   - a kernel whose init_size plus the initrds does not fit in slot_ram.
 * On success returns 0 and, for 'arch auto', resolves s->arch from the
 * header (XLF_KERNEL_64 set: x86_64, else i386), so the planner sees the
 * limit of a 32-bit slot.  Returns -1 otherwise, s unchanged.
 */
int sw_bzimage_check_slot(const struct sw_bzimage_info *info, struct sw_slot_config *s,
                          uint64_t slot_ram, uint64_t initrd_size, const char *what,
                          struct sw_diag *d);

/*
 * The whole start-up check of a slot's plain 'linux' kernel, as the switcher
 * and `mkslot check --esp` both make it: parses the head (head_len bytes of
 * a file_len-byte file) and checks it against the slot (see
 * sw_bzimage_check_slot(); initrd_size is the initrds' total, each padded
 * to 4 bytes).  file is the config's name for messages.  On failure says
 * why with "FILE:LINE: slot 'ID': kernel 'PATH': ..." and then "FILE:LINE:
 * slot 'ID': not a usable kernel; slot dropped" (a bad header) or "...:
 * kernel cannot run in this slot; slot dropped", and returns -1.
 */
int sw_slot_kernel_check(struct sw_slot_config *s, const char *file, const void *head, size_t head_len,
                         uint64_t file_len, uint64_t slot_ram, uint64_t initrd_size,
                         struct sw_bzimage_info *info, struct sw_diag *d);

/* A fixed English text for a -SW_BZ_ERR_* (either sign); never NULL. */
const char *sw_bzimage_strerror(int err);
