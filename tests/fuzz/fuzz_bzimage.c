/* SPDX-License-Identifier: MIT */
/*
 * A slot's kernel is a file on the ESP: its setup header decides where the
 * switcher places it and what it copies into boot_params.  The input is the
 * head of the file (what the EFI glue reads first); since the parser takes
 * the file's length as a separate fact, each input is tried with several:
 * its own size, the length its header declares, one byte less, and the
 * extremes.  For each, reading only SW_BZ_HEAD_MIN bytes must give the same
 * answer as reading the whole head, and an accepted header goes on into
 * sw_bootparams_build() as at a cold boot.
 *
 * Seeds: tests/fixtures/bzimage-*-head.bin
 */
#include <stdlib.h>
#include <string.h>

#include "bootparams.h"
#include "bzimage.h"
#include "e820.h"
#include "fuzz.h"

#define WHAT "slot 'f': kernel '/k'"

/* (setup_sects ?: 4) + 1 sectors, then syssize paragraphs: the file length
 * the header itself declares, or 0 when the head is too short to say. */
static uint64_t declared_len(const uint8_t *p, size_t n)
{
        uint64_t sects, sys;

        if (n < 0x1f8)
                return 0;
        sects = p[0x1f1] ? p[0x1f1] : 4;
        sys = (uint64_t)p[0x1f4] | (uint64_t)p[0x1f5] << 8 | (uint64_t)p[0x1f6] << 16 | (uint64_t)p[0x1f7] << 24;
        return (sects + 1) * 512 + sys * 16;
}

static bool pow2(uint32_t v)
{
        return v && !(v & (v - 1));
}

static void check_info(const struct sw_bzimage_info *i, uint64_t file_len)
{
        size_t vl;

        FUZZ_CHECK(i->version >= SW_BZ_MIN_VERSION, "accepted protocol 0x%x", i->version);
        FUZZ_CHECK(i->setup_size >= 1024 && i->setup_size % 512 == 0 && i->setup_size <= file_len,
                   "setup_size %u of %llu", i->setup_size, (unsigned long long)file_len);
        FUZZ_CHECK(i->pm_size > 0 && i->pm_size <= file_len - i->setup_size, "pm_size %u", i->pm_size);
        FUZZ_CHECK(i->init_size >= i->pm_size, "init_size %u < pm_size %u", i->init_size, i->pm_size);
        FUZZ_CHECK(pow2(i->kernel_alignment), "kernel_alignment 0x%x", i->kernel_alignment);
        FUZZ_CHECK(i->cmdline_size > 0 && i->relocatable, "cmdline_size 0 or not relocatable");
        FUZZ_CHECK(i->can_64bit_entry == !!(i->xloadflags & SW_XLF_KERNEL_64), "64-bit entry flag");
        FUZZ_CHECK(fuzz_terminated(i->kernel_version, sizeof(i->kernel_version)), "version unterminated");
        vl = strlen(i->kernel_version);
        for (size_t k = 0; k < vl; k++)
                FUZZ_CHECK(i->kernel_version[k] > 0x20 && i->kernel_version[k] < 0x7f,
                           "version byte 0x%02x", (unsigned char)i->kernel_version[k]);
}

/* A cold boot of the accepted kernel, as efi/linux.c asks for one. */
static void boot_params(const uint8_t *img, size_t len, const struct sw_bzimage_info *info)
{
        static struct sw_boot_params bp;
        static const struct sw_e820_entry e820[] = {
                { 0, 0x9f000, SW_E820_RAM },
                { 0x100000, 0x3ff00000, SW_E820_RAM },
                { 0x40000000, 0x100000, SW_E820_RESERVED },
        };
        static const struct sw_fb fbs[] = {
                { .base = 0x80000000, .size = 0x300000, .width = 1024, .height = 768, .stride_pixels = 1024,
                  .red_pos = 16, .red_size = 8, .green_pos = 8, .green_size = 8, .blue_size = 8 },
                { .base = 0x800000000, .size = 0x1000, .width = 0xffff, .height = 0xffff,
                  .stride_pixels = 0xffffffff, .red_size = 8 },
        };
        /* Below and above 4 GiB, each a multiple of the kernel's alignment. */
        const uint64_t loads[] = { (uint64_t)info->kernel_alignment * 8, 0x100000000ULL + info->kernel_alignment };
        struct fuzz_diag fd;
        struct sw_bp_args a;
        int rc;

        for (unsigned k = 0; k < 2; k++) {
                memset(&a, 0, sizeof(a));
                a.what = WHAT;
                a.kernel_load = loads[k];
                a.cmdline = k ? 0x100001000ULL : 0x20000;
                a.cmdline_len = k ? info->cmdline_size : 100;
                a.initrd = k ? 0x7ff00000 : 0;
                a.initrd_size = k ? 0x200000 : 0;
                a.rsdp = 0x7fbfe014;
                a.e820 = e820;
                a.ne820 = 3;
                a.fb = &fbs[k];
                rc = sw_bootparams_build(&bp, img, len, info, &a, fuzz_diag_init(&fd, true));
                FUZZ_CHECK(rc <= 0 && rc > -SW_BP_ERR_MAX, "bootparams returned %d", rc);
                FUZZ_CHECK((rc == 0) == (fd.nerror == 0), "bootparams rc %d with %u errors", rc, fd.nerror);
                FUZZ_CHECK(sw_bootparams_strerror(rc) != NULL, "strerror");
                if (rc == 0) {
                        FUZZ_CHECK(bp.hdr.version == info->version, "boot_params version");
                        FUZZ_CHECK(bp.hdr.type_of_loader == 0xff, "type_of_loader");
                        FUZZ_CHECK(bp.e820_entries == 3, "e820 entries %u", bp.e820_entries);
                }
                FUZZ_CHECK(sw_bootparams_entry64(info, loads[k]) ==
                           (info->can_64bit_entry ? loads[k] + 0x200 : 0), "entry64");
        }
}

static void one(const uint8_t *p, size_t n, uint64_t file_len)
{
        struct sw_bzimage_info a, b;
        struct fuzz_diag fa, fb;
        int ra, rb;

        ra = sw_bzimage_parse_head(p, n, file_len, WHAT, &a, fuzz_diag_init(&fa, true));
        FUZZ_CHECK(ra <= 0 && ra > -SW_BZ_ERR_MAX, "returned %d", ra);
        FUZZ_CHECK(strcmp(sw_bzimage_strerror(ra), "unknown bzImage error") != 0, "no text for %d", ra);
        if (ra < 0) {
                FUZZ_CHECK(fa.n == 1 && fa.nerror == 1, "%u messages for error %d", fa.n, ra);
                FUZZ_CHECK(strncmp(fa.last, WHAT ": ", sizeof(WHAT) + 1) == 0, "message: %s", fa.last);
        } else {
                FUZZ_CHECK(fa.n == 0, "accepted with a message: %s", fa.last);
                check_info(&a, file_len);
        }

        /* The EFI glue reads only SW_BZ_HEAD_MIN bytes before deciding. */
        if (n <= SW_BZ_HEAD_MIN)
                return;
        rb = sw_bzimage_parse_head(p, SW_BZ_HEAD_MIN, file_len, WHAT, &b, fuzz_diag_init(&fb, true));
        FUZZ_CHECK(rb == ra, "head of %u bytes: %d, whole head: %d", SW_BZ_HEAD_MIN, rb, ra);
        if (ra < 0) {
                FUZZ_CHECK(strcmp(fa.last, fb.last) == 0, "messages differ: '%s' / '%s'", fa.last, fb.last);
                return;
        }
        /* Only the version string may be missing from the shorter head. */
        memset(a.kernel_version, 0, sizeof(a.kernel_version));
        memset(b.kernel_version, 0, sizeof(b.kernel_version));
        FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0, "a short head reads differently");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint64_t decl = declared_len(data, size);
        const uint64_t lens[] = { size, decl, decl ? decl - 1 : 0, UINT32_MAX, UINT64_MAX, 0 };
        struct sw_bzimage_info info;
        uint8_t *p;

        p = fuzz_copy(data, size);
        if (!p)
                return 0;
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
                one(p, size, lens[i]);
        /* The whole file in memory, as efi/linux.c has it at boot. */
        if (sw_bzimage_parse(p, size, NULL, &info, NULL) == 0)
                boot_params(p, size, &info);
        else if (decl && sw_bzimage_parse_head(p, size, decl, WHAT, &info, NULL) == 0)
                boot_params(p, size, &info);
        free(p);
        return 0;
}
