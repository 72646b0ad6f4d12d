/* SPDX-License-Identifier: MIT */
/*
 * The bzImage header reader against the real setup of Debian's stock
 * kernels (tests/fixtures/bzimage-*-head.bin, see README.bzimage), and
 * against copies of it damaged one field at a time.
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
#include "util_garbage.h"

/* Lengths of the whole vmlinuz files the heads were cut from (README.bzimage):
 * an input fact for the parser, which reads only the head. */
#define AMD64_FILE_LEN 8247232ULL
#define I686_FILE_LEN 5707712ULL
#define WHAT "slot 'a': kernel '/vmlinuz'"

static uint8_t amd64[32768], i686[32768], buf[32768];
static size_t amd64_len, i686_len;

struct capture {
        char last[512];
        unsigned count;
        enum sw_severity sev;
};

static void capture_emit(void *ctx, enum sw_severity sev, const char *msg)
{
        struct capture *c = ctx;

        snprintf(c->last, sizeof(c->last), "%s", msg);
        c->sev = sev;
        c->count++;
}

static struct capture cap;
static struct sw_diag diag;

static void reset_diag(void)
{
        memset(&cap, 0, sizeof(cap));
        memset(&diag, 0, sizeof(diag));
        diag.emit = capture_emit;
        diag.ctx = &cap;
}

static uint32_t get32(const uint8_t *p, size_t off)
{
        return p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static void put16(uint8_t *p, size_t off, uint16_t v)
{
        p[off] = (uint8_t)v;
        p[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
        put16(p, off, (uint16_t)v);
        put16(p, off + 2, (uint16_t)(v >> 16));
}

static int setup(void **state)
{
        (void)state;
        amd64_len = load_file_fixture("bzimage-amd64-head.bin", amd64, sizeof(amd64));
        i686_len = load_file_fixture("bzimage-i686-head.bin", i686, sizeof(i686));
        memcpy(buf, amd64, amd64_len);
        reset_diag();
        return 0;
}

static int parse_buf(struct sw_bzimage_info *info)
{
        reset_diag();
        return sw_bzimage_parse_head(buf, amd64_len, AMD64_FILE_LEN, WHAT, info, &diag);
}

/* Debian 6.1 amd64: protocol 2.15, 2 MiB alignment, 64-bit entry, loadable
 * above 4 GiB (values as dumped with xxd, README.bzimage). */
static void test_amd64_header(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        assert_int_equal(amd64_len, 20480);
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(amd64, amd64_len, AMD64_FILE_LEN, WHAT, &info, &diag), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(diag.errors, 0);
        assert_int_equal(info.version, 0x020f);
        assert_int_equal(info.setup_size, (0x27 + 1) * 512);
        assert_int_equal(info.pm_size, 0x7d820 * 16);
        assert_int_equal(info.init_size, 0x03f98000);
        assert_int_equal(info.kernel_alignment, 0x200000);
        assert_int_equal(info.pref_address, 0x1000000);
        assert_int_equal(info.cmdline_size, 2047);
        assert_int_equal(info.initrd_addr_max, 0x7fffffff);
        assert_int_equal(info.xloadflags, 0x7f);
        assert_true(info.relocatable);
        assert_true(info.can_64bit_entry);
        assert_true(info.can_load_above_4g);
        assert_true(info.is_64bit_kernel);
        assert_string_equal(info.kernel_version, "6.1.0-56-amd64");
        /* A signed image carries its signature after the kernel. */
        assert_true(info.setup_size + (uint64_t)info.pm_size < AMD64_FILE_LEN);
}

/* Debian 6.1 i686: same protocol, but no 64-bit entry and nothing above
 * 4 GiB; still a valid kernel for a swap slot. */
static void test_i686_header(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(i686, i686_len, I686_FILE_LEN, WHAT, &info, &diag), 0);
        assert_int_equal(cap.count, 0);
        assert_int_equal(info.version, 0x020f);
        assert_int_equal(info.setup_size, 20480);
        assert_int_equal(info.pm_size, 5685760);
        assert_int_equal(info.init_size, 0x0100c000);
        assert_int_equal(info.kernel_alignment, 0x1000000);
        assert_int_equal(info.xloadflags, SW_XLF_EFI_HANDOVER_32);
        assert_true(info.relocatable);
        assert_false(info.can_64bit_entry);
        assert_false(info.can_load_above_4g);
        assert_false(info.is_64bit_kernel);
        assert_string_equal(info.kernel_version, "6.1.0-50-686");
        assert_int_equal(sw_bootparams_entry64(&info, 0x1000000), 0);
}

/* A head of only SW_BZ_HEAD_MIN bytes suffices for every check; the
 * version string, which lies further in, is then simply unknown. */
static void test_short_head_is_enough(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(amd64, SW_BZ_HEAD_MIN, AMD64_FILE_LEN, WHAT, &info, &diag), 0);
        assert_int_equal(info.version, 0x020f);
        assert_int_equal(info.pm_size, 0x7d820 * 16);
        assert_string_equal(info.kernel_version, "");
}

/* The whole-file entry point, on a buffer as long as the real file whose
 * head is the real one. */
static void test_whole_file(void **state)
{
        static uint8_t whole[AMD64_FILE_LEN];
        struct sw_bzimage_info info;

        (void)state;
        memcpy(whole, amd64, amd64_len);
        reset_diag();
        assert_int_equal(sw_bzimage_parse(whole, sizeof(whole), WHAT, &info, &diag), 0);
        assert_int_equal(info.pm_size, 0x7d820 * 16);
        assert_string_equal(info.kernel_version, "6.1.0-56-amd64");
        /* The head alone, taken as a whole file, is a truncated kernel. */
        assert_int_equal(sw_bzimage_parse(amd64, amd64_len, WHAT, &info, &diag), -SW_BZ_ERR_TRUNCATED);
        assert_string_equal(cap.last, WHAT ": the header declares 8225280 bytes of kernel after 20480 bytes of setup, but the file has 20480 bytes: truncated or damaged");
}

static void test_too_short(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(amd64, 0x200, AMD64_FILE_LEN, WHAT, &info, &diag), -SW_BZ_ERR_SHORT);
        assert_string_equal(cap.last, WHAT ": 512 bytes is too short for a bzImage setup header (need at least 520)");
        assert_int_equal(cap.sev, SW_ERROR);
        assert_int_equal(diag.errors, 1);
        /* A file shorter than its head bounds what counts as read. */
        assert_int_equal(sw_bzimage_parse_head(amd64, amd64_len, 0x250, WHAT, &info, &diag), -SW_BZ_ERR_SHORT);
        assert_string_equal(cap.last, WHAT ": 592 bytes is too short for a bzImage setup header (need at least 620)");
        assert_int_equal(sw_bzimage_parse(NULL, 0, NULL, &info, &diag), -SW_BZ_ERR_SHORT);
        assert_string_equal(cap.last, "kernel: 0 bytes is too short for a bzImage setup header (need at least 520)");
}

static void test_damaged_boot_flag(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        buf[0x1fe] = 0x00;
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_BOOT_FLAG);
        assert_string_equal(cap.last, WHAT ": no boot sector signature 0xAA55 at 0x1fe (found 0xaa00): not a bzImage");
        buf[0x1fe] = amd64[0x1fe];
        assert_int_equal(parse_buf(&info), 0);
}

static void test_damaged_magic(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        buf[0x205] = 's';
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_MAGIC);
        assert_string_equal(cap.last, WHAT ": no \"HdrS\" signature at 0x202: not a bzImage (or older than boot protocol 2.00)");
        buf[0x205] = amd64[0x205];
        assert_int_equal(parse_buf(&info), 0);
}

static void test_old_protocol(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        put16(buf, 0x206, 0x020a);
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_VERSION);
        assert_string_equal(cap.last, "slot 'a': kernel '/vmlinuz': boot protocol 2.10 is too old (need 2.12)");
        put16(buf, 0x206, 0x020b);
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_VERSION);
        assert_string_equal(cap.last, WHAT ": boot protocol 2.11 is too old (need 2.12)");
        put16(buf, 0x206, 0x020c);
        assert_int_equal(parse_buf(&info), 0);
        assert_int_equal(info.version, 0x020c);
        memcpy(buf + 0x206, amd64 + 0x206, 2);
        assert_int_equal(parse_buf(&info), 0);
}

/* The jump's second byte says where the header ends. */
static void test_header_length(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        buf[0x201] = 0x64;      /* ends at 0x266: cuts handover_offset */
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_SHORT);
        assert_string_equal(cap.last, WHAT ": the setup header ends at 0x266, before the end of boot protocol 2.12's fields (0x268)");
        /* A 2.12-long header: kernel_info_offset is not read. */
        buf[0x201] = 0x66;
        assert_int_equal(parse_buf(&info), 0);
        buf[0x201] = amd64[0x201];
        assert_int_equal(parse_buf(&info), 0);
}

static void test_not_loaded_high(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        buf[0x211] &= (uint8_t)~SW_LOADED_HIGH;
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_NOT_HIGH);
        assert_string_equal(cap.last, WHAT ": loadflags 0x00 lacks LOADED_HIGH: a zImage, which must run at 0x10000, is not supported");
        buf[0x211] = amd64[0x211];
        assert_int_equal(parse_buf(&info), 0);
}

static void test_setup_sects(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        buf[0x1f1] = 0xff;
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(buf, amd64_len, 100000, WHAT, &info, &diag), -SW_BZ_ERR_SETUP_SECTS);
        assert_string_equal(cap.last, WHAT ": setup_sects 255 means 131072 bytes of setup code, more than the whole file (100000 bytes)");
        /* 0 means 4, the historical default. */
        buf[0x1f1] = 0;
        assert_int_equal(parse_buf(&info), 0);
        assert_int_equal(info.setup_size, 5 * 512);
        buf[0x1f1] = amd64[0x1f1];
        assert_int_equal(parse_buf(&info), 0);
        assert_int_equal(info.setup_size, 20480);
}

/* syssize must fit in the file; one byte short of setup + kernel fails. */
static void test_truncated(void **state)
{
        struct sw_bzimage_info info;
        uint64_t exact = 20480 + 0x7d820ULL * 16;

        (void)state;
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(buf, amd64_len, exact, WHAT, &info, &diag), 0);
        assert_int_equal(sw_bzimage_parse_head(buf, amd64_len, exact - 1, WHAT, &info, &diag), -SW_BZ_ERR_TRUNCATED);
        assert_string_equal(cap.last, WHAT ": the header declares 8225280 bytes of kernel after 20480 bytes of setup, but the file has 8245759 bytes: truncated or damaged");
        put32(buf, 0x1f4, 0);
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_TRUNCATED);
        assert_string_equal(cap.last, WHAT ": the header declares 0 bytes of kernel after 20480 bytes of setup, but the file has 8247232 bytes: truncated or damaged");
        put32(buf, 0x1f4, 0xffffffff);
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_TRUNCATED);
        memcpy(buf + 0x1f4, amd64 + 0x1f4, 4);
        assert_int_equal(parse_buf(&info), 0);
}

static void test_not_relocatable(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        buf[0x234] = 0;
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_NOT_RELOCATABLE);
        assert_string_equal(cap.last, WHAT ": the kernel is not relocatable: it would only run at its link address 0x1000000, which a slot cannot promise");
        buf[0x234] = amd64[0x234];
        assert_int_equal(parse_buf(&info), 0);
}

static void test_alignment(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        put32(buf, 0x230, 0x300000);
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_ALIGNMENT);
        assert_string_equal(cap.last, WHAT ": kernel_alignment 0x300000 is not a power of two");
        put32(buf, 0x230, 0);
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_ALIGNMENT);
        assert_string_equal(cap.last, WHAT ": kernel_alignment 0x0 is not a power of two");
        put32(buf, 0x230, 0x1000);
        assert_int_equal(parse_buf(&info), 0);
        assert_int_equal(info.kernel_alignment, 0x1000);
        memcpy(buf + 0x230, amd64 + 0x230, 4);
        assert_int_equal(parse_buf(&info), 0);
}

static void test_init_size(void **state)
{
        struct sw_bzimage_info info;
        uint32_t pm = get32(amd64, 0x1f4) * 16;

        (void)state;
        put32(buf, 0x260, pm - 1);
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_INIT_SIZE);
        assert_string_equal(cap.last, WHAT ": init_size 0x7d81ff is smaller than the kernel's own 0x7d8200 bytes");
        put32(buf, 0x260, pm);
        assert_int_equal(parse_buf(&info), 0);
        memcpy(buf + 0x260, amd64 + 0x260, 4);
        assert_int_equal(parse_buf(&info), 0);
        assert_int_equal(info.init_size, get32(amd64, 0x260));
}

static void test_cmdline_size(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        put32(buf, 0x238, 0);
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_CMDLINE_SIZE);
        assert_string_equal(cap.last, WHAT ": cmdline_size is 0: the kernel would take no command line");
        assert_int_equal(diag.errors, 1);
        memcpy(buf + 0x238, amd64 + 0x238, 4);
        assert_int_equal(parse_buf(&info), 0);
}

/* A damaged version pointer or string yields no name, never garbage. */
static void test_version_string(void **state)
{
        struct sw_bzimage_info info;
        size_t off = (size_t)(amd64[0x20e] | amd64[0x20f] << 8) + 0x200;

        (void)state;
        put16(buf, 0x20e, 0);
        assert_int_equal(parse_buf(&info), 0);
        assert_string_equal(info.kernel_version, "");
        put16(buf, 0x20e, 0x6000);      /* beyond the setup code */
        assert_int_equal(parse_buf(&info), 0);
        assert_string_equal(info.kernel_version, "");
        memcpy(buf + 0x20e, amd64 + 0x20e, 2);
        buf[off + 3] = 0x01;
        assert_int_equal(parse_buf(&info), 0);
        assert_string_equal(info.kernel_version, "");
        buf[off + 3] = amd64[off + 3];
        /* No NUL within a line's length. */
        memset(buf + off, 'x', 300);
        assert_int_equal(parse_buf(&info), 0);
        assert_string_equal(info.kernel_version, "");
        /* A release longer than the field is cut, still terminated. */
        buf[off + 200] = '\0';
        assert_int_equal(parse_buf(&info), 0);
        assert_int_equal(strlen(info.kernel_version), 63);
        memcpy(buf + off, amd64 + off, 300);
        assert_int_equal(parse_buf(&info), 0);
        assert_string_equal(info.kernel_version, "6.1.0-56-amd64");
        assert_int_equal(cap.count, 0);
}

/* The real head cut at every length short of its header: always the
 * "too short" error, naming what is needed. */
static void test_truncated_at_every_length(void **state)
{
        struct sw_bzimage_info info;
        size_t hdr_end = 0x202 + (size_t)amd64[0x201], copy_end = hdr_end < 0x26c ? hdr_end : 0x26c;
        char want[256];

        (void)state;
        for (size_t len = 0; len < copy_end; len++) {
                reset_diag();
                assert_int_equal(sw_bzimage_parse_head(amd64, len, AMD64_FILE_LEN, WHAT, &info, &diag),
                                 -SW_BZ_ERR_SHORT);
                snprintf(want, sizeof(want), WHAT ": %zu bytes is too short for a bzImage setup header "
                         "(need at least %zu)", len, len < 0x208 ? (size_t)0x208 : copy_end);
                assert_string_equal(cap.last, want);
                assert_int_equal(cap.count, 1);
                assert_int_equal(cap.sev, SW_ERROR);
                /* Nothing from a refused header leaks into the result. */
                assert_int_equal(info.version, 0);
                assert_int_equal(info.setup_size, 0);
        }
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(amd64, copy_end, AMD64_FILE_LEN, WHAT, &info, &diag), 0);
        assert_int_equal(cap.count, 0);
}

/*
 * Garbage files: wholly random, then random behind a real boot sector
 * signature, "HdrS" and protocol 2.15.  Each is refused with exactly one
 * error naming the kernel, or (rarely, for the second kind) accepted with
 * numbers that hold together.
 */
static void test_garbage_heads(void **state)
{
        struct sw_bzimage_info info;
        unsigned refused = 0;
        int rc;

        (void)state;
        for (int round = 0; round < 400; round++) {
                garbage_fill(buf, 4096, false);
                if (round % 2) {
                        memcpy(buf + 0x1fe, amd64 + 0x1fe, 0x208 - 0x1fe);
                        buf[0x201] = (uint8_t)(0x66 + garbage_u32() % 0x9a);  /* a header reaching 2.12's fields */
                }
                reset_diag();
                rc = sw_bzimage_parse_head(buf, 4096, 1ULL << (20 + garbage_u32() % 12), WHAT, &info, &diag);
                assert_true(rc <= 0 && rc > -SW_BZ_ERR_MAX);
                if (rc < 0) {
                        refused++;
                        assert_int_equal(cap.count, 1);
                        assert_int_equal(strncmp(cap.last, WHAT ": ", strlen(WHAT) + 2), 0);
                        if (round % 2 == 0)
                                assert_int_equal(rc, -SW_BZ_ERR_BOOT_FLAG);
                } else {
                        assert_int_equal(cap.count, 0);
                        assert_true((uint64_t)info.setup_size + info.pm_size <= 1ULL << 31);
                        assert_true(info.kernel_alignment && !(info.kernel_alignment & (info.kernel_alignment - 1)));
                        assert_true(info.init_size >= info.pm_size);
                }
        }
        assert_true(refused > 200);
        memcpy(buf, amd64, amd64_len);
}

/* The header fields all zero behind a good signature: LOADED_HIGH is the
 * first thing missing. */
static void test_zeroed_header(void **state)
{
        struct sw_bzimage_info info;

        (void)state;
        memset(buf + 0x1f1, 0, 0x1fe - 0x1f1);
        memset(buf + 0x208, 0, 0x26c - 0x208);
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_NOT_HIGH);
        assert_string_equal(cap.last, WHAT ": loadflags 0x00 lacks LOADED_HIGH: a zImage, which must run at "
                            "0x10000, is not supported");
        /* With LOADED_HIGH back, setup_sects 0 means 4, and syssize 0 is no kernel. */
        buf[0x211] = 0x01;
        assert_int_equal(parse_buf(&info), -SW_BZ_ERR_TRUNCATED);
        assert_string_equal(cap.last, WHAT ": the header declares 0 bytes of kernel after 2560 bytes of setup, "
                            "but the file has 8247232 bytes: truncated or damaged");
        memcpy(buf, amd64, amd64_len);
}

static void test_strerror(void **state)
{
        int i, j;

        (void)state;
        for (i = 1; i < SW_BZ_ERR_MAX; i++) {
                assert_true(strlen(sw_bzimage_strerror(-i)) > 0);
                assert_string_equal(sw_bzimage_strerror(-i), sw_bzimage_strerror(i));
                for (j = 1; j < i; j++)
                        assert_string_not_equal(sw_bzimage_strerror(-i), sw_bzimage_strerror(-j));
        }
        assert_string_equal(sw_bzimage_strerror(-SW_BZ_ERR_VERSION), "boot protocol older than 2.12");
        assert_string_equal(sw_bzimage_strerror(-SW_BZ_ERR_MAX), "unknown bzImage error");
}

static int restore(void **state)
{
        (void)state;
        assert_memory_equal(buf, amd64, amd64_len);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_amd64_header, setup, restore),
                cmocka_unit_test_setup_teardown(test_i686_header, setup, restore),
                cmocka_unit_test_setup_teardown(test_short_head_is_enough, setup, restore),
                cmocka_unit_test_setup_teardown(test_whole_file, setup, restore),
                cmocka_unit_test_setup_teardown(test_too_short, setup, restore),
                cmocka_unit_test_setup_teardown(test_damaged_boot_flag, setup, restore),
                cmocka_unit_test_setup_teardown(test_damaged_magic, setup, restore),
                cmocka_unit_test_setup_teardown(test_old_protocol, setup, restore),
                cmocka_unit_test_setup_teardown(test_header_length, setup, restore),
                cmocka_unit_test_setup_teardown(test_not_loaded_high, setup, restore),
                cmocka_unit_test_setup_teardown(test_setup_sects, setup, restore),
                cmocka_unit_test_setup_teardown(test_truncated, setup, restore),
                cmocka_unit_test_setup_teardown(test_not_relocatable, setup, restore),
                cmocka_unit_test_setup_teardown(test_alignment, setup, restore),
                cmocka_unit_test_setup_teardown(test_init_size, setup, restore),
                cmocka_unit_test_setup_teardown(test_cmdline_size, setup, restore),
                cmocka_unit_test_setup_teardown(test_version_string, setup, restore),
                cmocka_unit_test_setup_teardown(test_truncated_at_every_length, setup, restore),
                cmocka_unit_test_setup_teardown(test_garbage_heads, setup, restore),
                cmocka_unit_test_setup_teardown(test_zeroed_header, setup, restore),
                cmocka_unit_test(test_strerror),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
