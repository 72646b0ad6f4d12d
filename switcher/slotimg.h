/* SPDX-License-Identifier: MIT */
/*
 * Slot images (.slot): one file that holds everything a slot boots -- its
 * kernel, its initrds, command line, title, architecture and mode -- with a
 * SHA-256 over each blob and one over the configuration that binds them.
 * `mkslot image` writes them; the switcher loads them (partitions.conf key
 * `image`) and refuses one whose hashes do not verify.
 *
 * The container is a flattened device tree in the spirit of U-Boot's FIT,
 * read and written with libfdt, followed by the blobs:
 *
 *     / {
 *         format = "switcher-slot-v1";
 *         images {
 *             kernel {
 *                 type = "kernel"; arch = "x86_64";
 *                 data-offset = <0>; data-size = <8247232>;
 *                 hash-algo = "sha256"; hash = [32 bytes];
 *             };
 *             initrd-1 { type = "ramdisk"; arch = "x86_64"; ... };
 *         };
 *         configuration {
 *             title = "Debian 12"; cmdline = "console=ttyS0";
 *             arch = "x86_64"; mode = "swap";
 *             kernel = "kernel"; initrds = "initrd-1", ...;
 *             hash-algo = "sha256"; hash = [32 bytes];
 *         };
 *     };
 *     [pad to 8] [kernel] [pad to 8] [initrd-1] ...
 *
 * The blobs live outside the tree (FIT's external data, `data-offset`
 * counted from the data store, which starts at the tree's totalsize rounded
 * up to 8 bytes).  A kernel and initrd are tens of MiB: kept outside, the
 * tree stays a few hundred bytes, so its structure can be checked
 * completely (fdt_check_full) before a single blob byte is looked at, and
 * `mkslot image` can hash and copy the blobs in pieces instead of building
 * one tree the size of the whole image in memory.
 *
 * The configuration hash is SHA-256 over a canonical byte string, not over
 * the tree, so it does not depend on how libfdt laid the tree out:
 *     "switcher-slot-v1" NUL,
 *     for title, cmdline, arch, mode: its length (32-bit big-endian), its bytes,
 *     the number of images (kernel first, then the initrds in order), and for
 *     each: name NUL type NUL arch NUL, data-size (32-bit big-endian), its hash.
 * So changing any property that decides what boots, or swapping a blob for
 * another with a valid hash of its own, breaks the configuration hash.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bzimage.h"
#include "config.h"
#include "diag.h"
#include "sha256.h"

#define SW_SLOTIMG_FORMAT "switcher-slot-v1"
/* Sanity ceiling for the tree part: it holds only names and small values. */
#define SW_SLOTIMG_FDT_MAX (64 * 1024)
/* Alignment of the data store and of every blob in it. */
#define SW_SLOTIMG_ALIGN 8
#define SW_SLOTIMG_NAME_MAX 16

struct sw_slotimg_blob {
        char name[SW_SLOTIMG_NAME_MAX];  /* "kernel", "initrd-1", ... */
        uint32_t offset;                 /* in the data store */
        uint32_t size;
        uint8_t hash[SW_SHA256_LEN];     /* as recorded in the image */
        bool hash_ok;                    /* set by sw_slotimg_verify() */
        const uint8_t *data;             /* parse: points into the caller's buffer */
};

struct sw_slotimg {
        char title[SW_TITLE_MAX];
        char cmdline[SW_OPTIONS_MAX];
        enum sw_arch arch;               /* x86_64 or i386, never auto */
        enum sw_slot_mode mode;
        struct sw_slotimg_blob kernel;
        struct sw_slotimg_blob initrd[SW_MAX_INITRD];
        unsigned ninitrd;
        uint8_t config_hash[SW_SHA256_LEN];
        bool config_ok;                  /* set by sw_slotimg_verify() */
        uint32_t fdt_size;               /* the tree's totalsize */
        uint64_t store_offset;           /* file offset of the data store */
        uint64_t file_size;              /* bytes the whole image takes */
};

/*
 * Writer.  The caller fills img's title, cmdline, arch, mode, ninitrd, and
 * size and hash of the kernel and of each initrd.  This names the blobs,
 * lays them out (offset of each; store_offset and file_size), computes
 * config_hash, and writes the tree into fdt (cap bytes; SW_SLOTIMG_FDT_MAX
 * is always enough).  The caller then writes the tree, zeros up to
 * store_offset, and each blob at store_offset + offset, zero padded.
 * Returns 0, or -1 after one message (what names the output) when a value
 * cannot be stored: arch auto, more than SW_MAX_INITRD initrds, a title or
 * command line too long, or an image of 4 GiB or more.
 */
int sw_slotimg_build(struct sw_slotimg *img, void *fdt, size_t cap, const char *what,
                     struct sw_diag *d);

/*
 * Reads the image at buf (len bytes, the whole file) into out: checks the
 * tree completely and every value with bounds, and points each blob's data
 * into buf.  Does not hash.  what names the file in messages, e.g.
 * "slot 'a': /slots/a.slot"; each problem is one SW_ERROR message:
 *   "WHAT: truncated: 12 bytes, less than a slot image header"
 *   "WHAT: not a slot image (no device-tree header)"
 *   "WHAT: truncated: 100 bytes, its header says 700"
 *   "WHAT: damaged header: FDT_ERR_BADSTRUCTURE"
 *   "WHAT: not a slot image (format 'x', expected 'switcher-slot-v1')"
 *   "WHAT: no /configuration node"
 *   "WHAT: /configuration: no 'cmdline' string of printable text (at most 2047 bytes)"
 *   "WHAT: /configuration: arch 'arm' is not x86_64 or i386"
 *   "WHAT: no /images/kernel node"
 *   "WHAT: /images/initrd-1: type 'kernel', expected 'ramdisk'"
 *   "WHAT: /images/kernel: no 32-bit 'data-size'"
 *   "WHAT: truncated: kernel ends at byte 9000, the file has 8000"
 * Returns 0 or -1.
 */
int sw_slotimg_parse(const void *buf, size_t len, const char *what, struct sw_slotimg *out,
                     struct sw_diag *d);

/*
 * Hashes every blob of a parsed image and the configuration, sets hash_ok
 * and config_ok, and says "WHAT: kernel hash mismatch" (or "initrd-2 hash
 * mismatch", "configuration hash mismatch") for each one that differs.
 * Returns 0 when all verify, else -1.
 */
int sw_slotimg_verify(struct sw_slotimg *img, const char *what, struct sw_diag *d);

/* sw_slotimg_parse() then sw_slotimg_verify(): what the switcher does. */
int sw_slotimg_load(const void *buf, size_t len, const char *what, struct sw_slotimg *out,
                    struct sw_diag *d);

/*
 * The image supplies what partitions.conf leaves to it: the command line
 * (the slot's own 'options' are appended after the image's), the title
 * when the slot has none of its own (it defaults to the id), the arch when
 * 'auto', and the mode.  An explicit arch or mode in partitions.conf that
 * contradicts the image is an error ("FILE:LINE: slot 'a': arch x86_64 in
 * partitions.conf, the image says i386; slot dropped"), as is a command
 * line that gets too long.  Returns 0, or -1 with s->valid cleared.
 */
int sw_slotimg_apply(const struct sw_slotimg *img, struct sw_slot_config *s, const char *conf_file,
                     struct sw_diag *d);

/*
 * What the switcher (and mkslot check) does with the bytes of slot s's
 * image file: sw_slotimg_load() with "slot 'ID': PATH" naming it, the
 * kernel read as a bzImage into *info (its arch must be the image's), and
 * sw_slotimg_apply().  On any failure the reason comes first, then
 * "FILE:LINE: slot 'ID': image 'PATH' refused; slot dropped", and
 * s->valid is cleared.  Returns 0 or -1.
 */
int sw_slotimg_for_slot(const void *buf, size_t len, struct sw_slot_config *s, const char *conf_file,
                        struct sw_slotimg *img, struct sw_bzimage_info *info, struct sw_diag *d);
