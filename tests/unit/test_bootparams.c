/* SPDX-License-Identifier: MIT */
/*
 * boot_params built from the real setup headers of Debian's stock kernels
 * (tests/fixtures/bzimage-*-head.bin).  Fields are read back at their raw
 * offsets from boot.rst / zero-page.rst, not through the struct, so a wrong
 * struct layout cannot hide a wrong byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bootparams.h"
#include "bzimage.h"
#include "util_fixture.h"

#define AMD64_FILE_LEN 8247232ULL
#define I686_FILE_LEN 5707712ULL
#define WHAT "slot 'a': kernel '/vmlinuz'"
#define GiB (1024ULL * 1024 * 1024)

static uint8_t amd64[32768], i686[32768];
static size_t amd64_len, i686_len;
static struct sw_bzimage_info amd64_info, i686_info;
static struct sw_boot_params bp;
static struct sw_e820_entry e820[SW_E820_MAX + 1];

struct capture {
        char last[512];
        char first[512];
        unsigned count;
        enum sw_severity sev;
};

static struct capture cap;
static struct sw_diag diag;

static void capture_emit(void *ctx, enum sw_severity sev, const char *msg)
{
        struct capture *c = ctx;

        if (c->count == 0)
                snprintf(c->first, sizeof(c->first), "%s", msg);
        snprintf(c->last, sizeof(c->last), "%s", msg);
        c->sev = sev;
        c->count++;
}

static void reset_diag(void)
{
        memset(&cap, 0, sizeof(cap));
        memset(&diag, 0, sizeof(diag));
        diag.emit = capture_emit;
        diag.ctx = &cap;
}

static const uint8_t *raw(void)
{
        return (const uint8_t *)&bp;
}

static uint64_t getn(const uint8_t *p, size_t off, unsigned n)
{
        uint64_t v = 0;

        while (n--)
                v = v << 8 | p[off + n];
        return v;
}

#define R8(off) getn(raw(), (off), 1)
#define R16(off) getn(raw(), (off), 2)
#define R32(off) getn(raw(), (off), 4)
#define R64(off) getn(raw(), (off), 8)

static int group_setup(void **state)
{
        (void)state;
        amd64_len = load_file_fixture("bzimage-amd64-head.bin", amd64, sizeof(amd64));
        i686_len = load_file_fixture("bzimage-i686-head.bin", i686, sizeof(i686));
        reset_diag();
        if (sw_bzimage_parse_head(amd64, amd64_len, AMD64_FILE_LEN, WHAT, &amd64_info, &diag) != 0 ||
            sw_bzimage_parse_head(i686, i686_len, I686_FILE_LEN, WHAT, &i686_info, &diag) != 0) {
                fprintf(stderr, "fixtures do not parse: %s\n", cap.last);
                return -1;
        }
        return 0;
}

/* A small plausible map: low RAM, a reserved hole, RAM above 1 MiB. */
static unsigned fill_e820(unsigned n)
{
        unsigned i;

        for (i = 0; i < n; i++) {
                e820[i].addr = 0x100000ULL * i + 0x1000;
                e820[i].size = 0x80000 + i;
                e820[i].type = i % 2 ? SW_E820_RESERVED : SW_E820_RAM;
        }
        return n;
}

static struct sw_bp_args base_args(void)
{
        struct sw_bp_args a;

        memset(&a, 0, sizeof(a));
        a.what = WHAT;
        a.kernel_load = 0x1000000;
        a.cmdline = 0x9e000;
        a.cmdline_len = 30;
        a.initrd = 0x10000000;
        a.initrd_size = 0x200000;
        a.rsdp = 0x9f000;
        a.e820 = e820;
        a.ne820 = fill_e820(3);
        return a;
}

static int build(const uint8_t *img, size_t len, const struct sw_bzimage_info *info,
                 const struct sw_bp_args *a)
{
        reset_diag();
        /* Stale bytes must not survive: the builder zeroes first. */
        memset(&bp, 0xa5, sizeof(bp));
        return sw_bootparams_build(&bp, img, len, info, a, &diag);
}

/* Every field we write, at its spec offset; every header byte we do not
 * write equals the image's; everything else is zero. */
static void test_fields(void **state)
{
        static const struct { size_t off, len; } written[] = {
                { 0x1fa, 2 }, { 0x210, 2 }, { 0x214, 4 }, { 0x218, 8 }, { 0x224, 8 }, { 0x250, 8 },
        };
        struct sw_bp_args a = base_args();
        struct sw_fb fb = {
                .base = 0x80000000, .size = 0x300000, .width = 1024, .height = 768,
                .stride_pixels = 1024, .red_pos = 16, .red_size = 8, .green_pos = 8,
                .green_size = 8, .blue_pos = 0, .blue_size = 8, .rsvd_pos = 24, .rsvd_size = 8,
        };
        size_t off, i;
        bool mine;

        (void)state;
        a.fb = &fb;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(cap.count, 0);

        assert_int_equal(R8(0x210), 0xff);
        assert_int_equal(R16(0x1fa), 0xffff);
        assert_int_equal(amd64[0x211], 0x01);
        assert_int_equal(R8(0x211), 0x81);      /* LOADED_HIGH | CAN_USE_HEAP */
        assert_int_equal(R16(0x224), 0xfc00);
        assert_int_equal(R8(0x226), 0);
        assert_int_equal(R8(0x227), 0);
        assert_int_equal(R32(0x214), 0x1000000);
        assert_int_equal(R32(0x228), 0x9e000);
        assert_int_equal(R32(0x0c8), 0);
        assert_int_equal(R32(0x218), 0x10000000);
        assert_int_equal(R32(0x21c), 0x200000);
        assert_int_equal(R32(0x0c0), 0);
        assert_int_equal(R32(0x0c4), 0);
        assert_int_equal(R64(0x070), 0x9f000);
        assert_int_equal(R64(0x250), 0);
        assert_int_equal(R8(0x1ef), 0);         /* sentinel */
        assert_int_equal(R8(0x1e8), 3);
        for (i = 0; i < 3; i++) {
                assert_int_equal(R64(0x2d0 + 20 * i), e820[i].addr);
                assert_int_equal(R64(0x2d0 + 20 * i + 8), e820[i].size);
                assert_int_equal(R32(0x2d0 + 20 * i + 16), e820[i].type);
        }

        /* screen_info as Linux's EFI stub would fill it from GOP. */
        assert_int_equal(R8(0x0f), 0x70);
        assert_int_equal(R16(0x12), 1024);
        assert_int_equal(R16(0x14), 768);
        assert_int_equal(R16(0x16), 32);
        assert_int_equal(R32(0x18), 0x80000000);
        assert_int_equal(R32(0x1c), 0x300000);
        assert_int_equal(R16(0x24), 4096);
        assert_int_equal(R8(0x26), 8);          /* red_size */
        assert_int_equal(R8(0x27), 16);         /* red_pos */
        assert_int_equal(R8(0x28), 8);
        assert_int_equal(R8(0x29), 8);
        assert_int_equal(R8(0x2a), 8);
        assert_int_equal(R8(0x2b), 0);
        assert_int_equal(R8(0x2c), 8);
        assert_int_equal(R8(0x2d), 24);
        assert_int_equal(R32(0x36), SW_VIDEO_CAPABILITY_SKIP_QUIRKS);
        assert_int_equal(R32(0x3a), 0);

        /* The rest of the header is the image's own, byte for byte. */
        for (off = 0x1f1; off < 0x26c; off++) {
                mine = false;
                for (i = 0; i < sizeof(written) / sizeof(written[0]); i++)
                        if (off >= written[i].off && off < written[i].off + written[i].len)
                                mine = true;
                if (!mine && raw()[off] != amd64[off])
                        fail_msg("header byte 0x%zx is 0x%02x, image has 0x%02x", off, raw()[off], amd64[off]);
        }
        assert_int_equal(R32(0x230), 0x200000);
        assert_int_equal(R32(0x238), 2047);

        /* Nothing else was written. */
        for (off = 0; off < sizeof(bp); off++) {
                if (off < 0x40 || (off >= 0x70 && off < 0x78) || off == 0x1e8 ||
                    (off >= 0x1f1 && off < 0x26c) || (off >= 0x2d0 && off < 0x2d0 + 3 * 20))
                        continue;
                if (raw()[off] != 0)
                        fail_msg("byte 0x%zx is 0x%02x, expected 0", off, raw()[off]);
        }
}

/* EFI for a 64-bit slot, as kexec hands it to a second kernel: efi_info
 * at 0x1c0 ("EL64", system table and map split in 32-bit halves), the
 * SETUP_EFI record in hdr.setup_data, secure_boot "disabled" (2; 1 is
 * "unknown", which the kernel reports as undetermined). */
static void test_efi_info(void **state)
{
        struct sw_bp_args a = base_args();
        struct sw_bp_efi efi = {
                .systab = 0x17f9ee018ULL,
                .memmap = 0x27ff00070ULL,
                .memmap_size = 5 * 48,
                .desc_size = 48,
                .desc_version = 1,
                .setup_data = 0x7ff00000,
        };

        (void)state;
        a.efi = &efi;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_memory_equal(raw() + 0x1c0, "EL64", 4);
        assert_int_equal(R32(0x1c4), 0x7f9ee018);
        assert_int_equal(R32(0x1c8), 48);
        assert_int_equal(R32(0x1cc), 1);
        assert_int_equal(R32(0x1d0), 0x7ff00070);
        assert_int_equal(R32(0x1d4), 240);
        assert_int_equal(R32(0x1d8), 1);
        assert_int_equal(R32(0x1dc), 2);
        assert_int_equal(R64(0x250), 0x7ff00000);
        assert_int_equal(R8(0x1ec), 2);
        /* Without it, none of that is written (test_fields checks every
         * other byte of the page). */
        a.efi = NULL;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        for (size_t off = 0x1c0; off < 0x1e0; off++)
                assert_int_equal(raw()[off], 0);
        assert_int_equal(R64(0x250), 0);
        assert_int_equal(R8(0x1ec), 0);
}

static void test_cmdline_above_4g(void **state)
{
        struct sw_bp_args a = base_args();

        (void)state;
        a.cmdline = 0x123456000ULL;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(R32(0x228), 0x23456000);
        assert_int_equal(R32(0x0c8), 0x1);
        /* The 32-bit kernel cannot reach it. */
        a.kernel_load = 0x1000000;
        assert_int_equal(build(i686, i686_len, &i686_info, &a), -SW_BP_ERR_CMDLINE_HIGH);
        assert_string_equal(cap.last, WHAT ": the command line at 0x123456000 lies above 4 GiB, which this kernel cannot reach");
        assert_int_equal(diag.errors, 1);
        /* A line that ends exactly at 4 GiB (NUL included) is fine. */
        a.cmdline = 4 * GiB - 31;
        assert_int_equal(build(i686, i686_len, &i686_info, &a), 0);
        a.cmdline = 4 * GiB - 30;
        assert_int_equal(build(i686, i686_len, &i686_info, &a), -SW_BP_ERR_CMDLINE_HIGH);
}

static void test_initrd_above_4g(void **state)
{
        struct sw_bp_args a = base_args();

        (void)state;
        a.initrd = 0x240000000ULL;
        a.initrd_size = 0x100001000ULL;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(R32(0x218), 0x40000000);
        assert_int_equal(R32(0x0c0), 0x2);
        assert_int_equal(R32(0x21c), 0x1000);
        assert_int_equal(R32(0x0c4), 0x1);
        /* No initrd: all four fields stay 0. */
        a.initrd = 0;
        a.initrd_size = 0;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(R32(0x218) | R32(0x21c) | R32(0x0c0) | R32(0x0c4), 0);
}

/* i686: the initrd must end at or below initrd_addr_max (0x7fffffff). */
static void test_initrd_addr_max(void **state)
{
        struct sw_bp_args a = base_args();

        (void)state;
        assert_int_equal(i686_info.initrd_addr_max, 0x7fffffff);
        a.initrd = 0x7fe00000;
        a.initrd_size = 0x200000;
        assert_int_equal(build(i686, i686_len, &i686_info, &a), 0);
        assert_int_equal(R32(0x218), 0x7fe00000);
        a.initrd_size = 0x200001;
        assert_int_equal(build(i686, i686_len, &i686_info, &a), -SW_BP_ERR_INITRD_HIGH);
        assert_string_equal(cap.last, WHAT ": the initrd at 0x7fe00000 (2097153 bytes) ends above the kernel's initrd_addr_max 0x7fffffff");
        a.initrd = 0x240000000ULL;
        a.initrd_size = 0x1000;
        assert_int_equal(build(i686, i686_len, &i686_info, &a), -SW_BP_ERR_INITRD_HIGH);
        /* The 64-bit kernel takes the same initrd anywhere. */
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
}

static void test_cmdline_too_long(void **state)
{
        struct sw_bp_args a = base_args();

        (void)state;
        a.cmdline_len = 2047;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        a.cmdline_len = 2048;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), -SW_BP_ERR_CMDLINE_SIZE);
        assert_string_equal(cap.last, WHAT ": the command line is 2048 bytes, longer than the kernel's limit of 2047 bytes");
        assert_int_equal(cap.sev, SW_ERROR);
}

static void test_e820_count(void **state)
{
        struct sw_bp_args a = base_args();

        (void)state;
        a.ne820 = fill_e820(SW_E820_MAX);
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(R8(0x1e8), 128);
        assert_int_equal(R64(0x2d0 + 127 * 20), e820[127].addr);
        assert_int_equal(R64(0x2d0 + 127 * 20 + 8), e820[127].size);
        assert_int_equal(R32(0x2d0 + 127 * 20 + 16), e820[127].type);
        a.ne820 = fill_e820(SW_E820_MAX + 1);
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), -SW_BP_ERR_E820);
        assert_string_equal(cap.last, WHAT ": 129 e820 entries do not fit in boot_params (at most 128)");
        assert_int_equal(R8(0x1e8), 0);
        a.ne820 = 0;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), -SW_BP_ERR_E820);
        assert_string_equal(cap.last, WHAT ": no e820 memory map for the kernel");
}

static void test_kernel_alignment(void **state)
{
        struct sw_bp_args a = base_args();

        (void)state;
        a.kernel_load = 0x1100000;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), -SW_BP_ERR_KERNEL_ALIGN);
        assert_string_equal(cap.last, WHAT ": load address 0x1100000 is not a multiple of the kernel's alignment 0x200000");
        a.kernel_load = 0x1200000;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(R32(0x214), 0x1200000);
        /* i686 wants 16 MiB. */
        assert_int_equal(build(i686, i686_len, &i686_info, &a), -SW_BP_ERR_KERNEL_ALIGN);
        assert_string_equal(cap.last, WHAT ": load address 0x1200000 is not a multiple of the kernel's alignment 0x1000000");
}

static void test_kernel_above_4g(void **state)
{
        struct sw_bp_args a = base_args();

        (void)state;
        a.kernel_load = 0x140000000ULL;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        /* Only the 64-bit entry exists up there. */
        assert_int_equal(R32(0x214), 0);
        assert_int_equal(sw_bootparams_entry64(&amd64_info, a.kernel_load), 0x140000200ULL);
        assert_int_equal(sw_bootparams_entry32(&amd64_info, a.kernel_load), 0);
        /* i686 below 4 GiB but reaching past it with its init_size. */
        a.kernel_load = 0xff000000;
        assert_int_equal(build(i686, i686_len, &i686_info, &a), -SW_BP_ERR_KERNEL_HIGH);
        assert_string_equal(cap.last, WHAT ": the kernel at 0xff000000 needs 0x100c000 bytes, reaching above 4 GiB, where this kernel cannot run");
        a.kernel_load = 0xfe000000;
        assert_int_equal(build(i686, i686_len, &i686_info, &a), 0);
}

static void test_framebuffer_above_4g(void **state)
{
        struct sw_bp_args a = base_args();
        struct sw_fb fb = {
                .base = 0x800000000ULL, .size = 0, .width = 1280, .height = 800,
                .stride_pixels = 1288, .red_pos = 0, .red_size = 8, .green_pos = 8,
                .green_size = 8, .blue_pos = 16, .blue_size = 8, .rsvd_pos = 24, .rsvd_size = 8,
        };

        (void)state;
        a.fb = &fb;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(R8(0x0f), 0x70);
        assert_int_equal(R32(0x18), 0);
        assert_int_equal(R32(0x3a), 0x8);
        assert_int_equal(R32(0x36), SW_VIDEO_CAPABILITY_SKIP_QUIRKS | SW_VIDEO_CAPABILITY_64BIT_BASE);
        assert_int_equal(R16(0x24), 1288 * 4);
        /* GOP said nothing useful about the size: 1288 * 4 * 800 bytes,
         * rounded up to whole pages (1006.25 -> 1007 pages). */
        assert_int_equal(R32(0x1c), 1007 * 4096);
        assert_true(R32(0x1c) >= (uint64_t)R16(0x24) * R16(0x14));
        /* A larger GOP size wins. */
        fb.size = 0x1000000;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(R32(0x1c), 0x1000000);
        /* Base just below 4 GiB: no 64-bit capability. */
        fb.base = 0xc0000000;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(R32(0x18), 0xc0000000);
        assert_int_equal(R32(0x3a), 0);
        assert_int_equal(R32(0x36), SW_VIDEO_CAPABILITY_SKIP_QUIRKS);
}

/* A framebuffer that cannot be described is left out, with a warning;
 * the boot goes on without it. */
static void test_framebuffer_unusable(void **state)
{
        struct sw_bp_args a = base_args();
        struct sw_fb fb = { .base = 0x80000000, .width = 800, .height = 600, .stride_pixels = 800 };
        size_t off;

        (void)state;
        a.fb = &fb;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(diag.warnings, 1);
        assert_int_equal(cap.sev, SW_WARN);
        assert_string_equal(cap.last, WHAT ": framebuffer 800x600 at 0x80000000 has 0 bits per pixel, which screen_info cannot describe; the kernel gets no framebuffer console");
        for (off = 0; off < 0x40; off++)
                assert_int_equal(raw()[off], 0);
        fb.red_size = fb.green_size = fb.blue_size = fb.rsvd_size = 8;
        fb.width = 20000;
        fb.stride_pixels = 20000;
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), 0);
        assert_string_equal(cap.last, WHAT ": framebuffer 20000x600 (stride 20000 pixels) does not fit screen_info; the kernel gets no framebuffer console");
        assert_int_equal(R8(0x0f), 0);
}

/* Before protocol 2.14 there is no acpi_rsdp_addr to write. */
static void test_rsdp_old_protocol(void **state)
{
        static uint8_t img[32768];
        struct sw_bzimage_info info;
        struct sw_bp_args a = base_args();

        (void)state;
        memcpy(img, amd64, amd64_len);
        img[0x206] = 0x0d;
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(img, amd64_len, AMD64_FILE_LEN, WHAT, &info, &diag), 0);
        assert_int_equal(info.version, 0x020d);
        assert_int_equal(build(img, amd64_len, &info, &a), 0);
        assert_int_equal(R64(0x70), 0);
        assert_int_equal(diag.warnings, 1);
        assert_string_equal(cap.last, WHAT ": boot protocol 2.13 has no acpi_rsdp_addr; the kernel will search for the firmware's RSDP itself instead of the slot's copy at 0x9f000");
        img[0x206] = 0x0e;
        info.version = 0x020e;
        assert_int_equal(build(img, amd64_len, &info, &a), 0);
        assert_int_equal(R64(0x70), 0x9f000);
        assert_int_equal(cap.count, 0);
}

/* The copy stops where the image's header says it ends. */
static void test_header_copy_bounded(void **state)
{
        static uint8_t img[32768];
        struct sw_bp_args a = base_args();

        (void)state;
        memcpy(img, amd64, amd64_len);
        assert_true(getn(amd64, 0x268, 4) != 0);        /* kernel_info_offset */
        img[0x201] = 0x66;                              /* header ends at 0x268 */
        assert_int_equal(build(img, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(R32(0x268), 0);
        assert_int_equal(R32(0x264), getn(amd64, 0x264, 4));
        img[0x201] = amd64[0x201];
        assert_int_equal(build(img, amd64_len, &amd64_info, &a), 0);
        assert_int_equal(R32(0x268), getn(amd64, 0x268, 4));
        /* An image cut inside its header is refused. */
        assert_int_equal(build(img, 0x260, &amd64_info, &a), -SW_BP_ERR_IMAGE);
        assert_string_equal(cap.last, WHAT ": 608 bytes of image is too short for its setup header (ends at 0x26c)");
        assert_int_equal(build(NULL, 0, &amd64_info, &a), -SW_BP_ERR_IMAGE);
        assert_string_equal(cap.last, WHAT ": 0 bytes of image is too short for a setup header");
}

/* Every problem is reported; the first one is returned. */
static void test_all_errors_reported(void **state)
{
        struct sw_bp_args a = base_args();

        (void)state;
        a.what = NULL;
        a.cmdline_len = 5000;
        a.kernel_load = 0x1000;
        a.ne820 = fill_e820(SW_E820_MAX + 1);
        assert_int_equal(build(amd64, amd64_len, &amd64_info, &a), -SW_BP_ERR_CMDLINE_SIZE);
        assert_int_equal(diag.errors, 3);
        assert_int_equal(cap.count, 3);
        assert_string_equal(cap.first, "kernel: the command line is 5000 bytes, longer than the kernel's limit of 2047 bytes");
        assert_string_equal(cap.last, "kernel: 129 e820 entries do not fit in boot_params (at most 128)");
}

static void test_entries(void **state)
{
        (void)state;
        assert_int_equal(sw_bootparams_entry64(&amd64_info, 0x1000000), 0x1000200);
        assert_int_equal(sw_bootparams_entry32(&amd64_info, 0x1000000), 0x1000000);
        assert_int_equal(sw_bootparams_entry64(&i686_info, 0x1000000), 0);
        assert_int_equal(sw_bootparams_entry32(&i686_info, 0x1000000), 0x1000000);
}

static void test_strerror(void **state)
{
        int i, j;

        (void)state;
        for (i = 1; i < SW_BP_ERR_MAX; i++) {
                assert_true(strlen(sw_bootparams_strerror(-i)) > 0);
                assert_string_equal(sw_bootparams_strerror(-i), sw_bootparams_strerror(i));
                for (j = 1; j < i; j++)
                        assert_string_not_equal(sw_bootparams_strerror(-i), sw_bootparams_strerror(-j));
        }
        assert_string_equal(sw_bootparams_strerror(-SW_BP_ERR_E820), "e820 table empty or larger than 128 entries");
        assert_string_equal(sw_bootparams_strerror(99), "unknown boot_params error");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fields),
                cmocka_unit_test(test_efi_info),
                cmocka_unit_test(test_cmdline_above_4g),
                cmocka_unit_test(test_initrd_above_4g),
                cmocka_unit_test(test_initrd_addr_max),
                cmocka_unit_test(test_cmdline_too_long),
                cmocka_unit_test(test_e820_count),
                cmocka_unit_test(test_kernel_alignment),
                cmocka_unit_test(test_kernel_above_4g),
                cmocka_unit_test(test_framebuffer_above_4g),
                cmocka_unit_test(test_framebuffer_unusable),
                cmocka_unit_test(test_rsdp_old_protocol),
                cmocka_unit_test(test_header_copy_bounded),
                cmocka_unit_test(test_all_errors_reported),
                cmocka_unit_test(test_entries),
                cmocka_unit_test(test_strerror),
        };

        return cmocka_run_group_tests(tests, group_setup, NULL);
}
