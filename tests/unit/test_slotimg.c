/* SPDX-License-Identifier: MIT */
/*
 * Slot images: written with sw_slotimg_build() around the real setup of
 * Debian's amd64 kernel (tests/fixtures/bzimage-amd64-head.bin) and two
 * initrds, read back, then damaged one way at a time -- truncated, a byte
 * flipped in a blob, a hash or a configuration value changed, a node
 * removed, the tree itself broken -- each with its exact message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include "slotimg.h"
#include "util_capture.h"

#define WHAT "slot 'a': /slots/a.slot"

static uint8_t kernel[32768];
static size_t kernel_len;
static uint8_t initrd1[3001], initrd2[77];
static uint8_t img[65536], work[65536];
static size_t img_len;
static struct capture cap;
static struct sw_diag diag;

static void reset_diag(void)
{
        memset(&cap, 0, sizeof(cap));
        memset(&diag, 0, sizeof(diag));
        diag.emit = capture_emit;
        diag.ctx = &cap;
}

static void set_blob(struct sw_slotimg_blob *b, const void *data, size_t len)
{
        b->size = (uint32_t)len;
        sw_sha256(data, len, b->hash);
}

/* What mkslot image does, in memory: the tree, zeros, the blobs. */
static size_t build(uint8_t *out, size_t cap_len, struct sw_slotimg *s)
{
        assert_int_equal(sw_slotimg_build(s, out, cap_len, "test.slot", &diag), 0);
        assert_true(s->file_size <= cap_len);
        memset(out + s->fdt_size, 0, s->file_size - s->fdt_size);
        memcpy(out + s->store_offset + s->kernel.offset, kernel, kernel_len);
        memcpy(out + s->store_offset + s->initrd[0].offset, initrd1, sizeof(initrd1));
        memcpy(out + s->store_offset + s->initrd[1].offset, initrd2, sizeof(initrd2));
        return (size_t)s->file_size;
}

static int setup(void **state)
{
        struct sw_slotimg s;
        char path[1024];
        FILE *f;

        (void)state;
        snprintf(path, sizeof(path), "%s/bzimage-amd64-head.bin", FIXTURES);
        f = fopen(path, "rb");
        assert_non_null(f);
        kernel_len = fread(kernel, 1, sizeof(kernel), f);
        fclose(f);
        for (size_t i = 0; i < sizeof(initrd1); i++)
                initrd1[i] = (uint8_t)(i * 31 + 1);
        for (size_t i = 0; i < sizeof(initrd2); i++)
                initrd2[i] = (uint8_t)(255 - i);

        memset(&s, 0, sizeof(s));
        snprintf(s.title, sizeof(s.title), "Debian 12");
        snprintf(s.cmdline, sizeof(s.cmdline), "console=ttyS0 quiet");
        s.arch = SW_ARCH_X86_64;
        s.mode = SW_MODE_SWAP;
        s.ninitrd = 2;
        set_blob(&s.kernel, kernel, kernel_len);
        set_blob(&s.initrd[0], initrd1, sizeof(initrd1));
        set_blob(&s.initrd[1], initrd2, sizeof(initrd2));
        reset_diag();
        img_len = build(img, sizeof(img), &s);
        memcpy(work, img, img_len);
        reset_diag();
        return 0;
}

static int parse_work(size_t len, struct sw_slotimg *out)
{
        reset_diag();
        return sw_slotimg_load(work, len, WHAT, out, &diag);
}

static void expect_one(const char *msg)
{
        assert_int_equal(cap.n, 1);
        assert_int_equal(cap.sev[0], SW_ERROR);
        assert_string_equal(cap.msg[0], msg);
}

static void test_round_trip(void **state)
{
        struct sw_slotimg s;

        (void)state;
        assert_int_equal(parse_work(img_len, &s), 0);
        assert_int_equal(cap.n, 0);
        assert_string_equal(s.title, "Debian 12");
        assert_string_equal(s.cmdline, "console=ttyS0 quiet");
        assert_int_equal(s.arch, SW_ARCH_X86_64);
        assert_int_equal(s.mode, SW_MODE_SWAP);
        assert_string_equal(s.kernel.name, "kernel");
        assert_int_equal(s.kernel.size, kernel_len);
        assert_ptr_equal(s.kernel.data, work + s.store_offset);
        assert_memory_equal(s.kernel.data, kernel, kernel_len);
        assert_int_equal(s.ninitrd, 2);
        assert_string_equal(s.initrd[0].name, "initrd-1");
        assert_string_equal(s.initrd[1].name, "initrd-2");
        assert_memory_equal(s.initrd[0].data, initrd1, sizeof(initrd1));
        assert_memory_equal(s.initrd[1].data, initrd2, sizeof(initrd2));
        assert_true(s.kernel.hash_ok && s.initrd[0].hash_ok && s.initrd[1].hash_ok && s.config_ok);
        /* The data store and every blob start 8-aligned. */
        assert_int_equal(s.store_offset % 8, 0);
        assert_int_equal(s.initrd[0].offset % 8, 0);
        assert_int_equal(s.initrd[1].offset % 8, 0);
        assert_int_equal(s.file_size, img_len);
        assert_true(s.fdt_size < 2048);
}

static void test_no_initrd(void **state)
{
        struct sw_slotimg s, r;

        (void)state;
        memset(&s, 0, sizeof(s));
        s.arch = SW_ARCH_I386;
        s.mode = SW_MODE_IN_PLACE;
        set_blob(&s.kernel, kernel, kernel_len);
        assert_int_equal(sw_slotimg_build(&s, work, sizeof(work), "t", &diag), 0);
        memcpy(work + s.store_offset, kernel, kernel_len);
        reset_diag();
        assert_int_equal(sw_slotimg_load(work, (size_t)s.file_size, WHAT, &r, &diag), 0);
        assert_int_equal(cap.n, 0);
        assert_int_equal(r.ninitrd, 0);
        assert_int_equal(r.arch, SW_ARCH_I386);
        assert_int_equal(r.mode, SW_MODE_IN_PLACE);
        assert_string_equal(r.title, "");
}

static void test_truncated(void **state)
{
        struct sw_slotimg s;
        char want[256];

        (void)state;
        assert_int_equal(parse_work(0, &s), -1);
        expect_one(WHAT ": truncated: 0 bytes, less than a slot image header");
        assert_int_equal(parse_work(39, &s), -1);
        expect_one(WHAT ": truncated: 39 bytes, less than a slot image header");
        assert_int_equal(parse_work(100, &s), -1);
        snprintf(want, sizeof(want), WHAT ": truncated: 100 bytes, its header says %u", fdt_totalsize(img));
        expect_one(want);
        /* The tree whole, the blobs cut: the last blob names itself. */
        assert_int_equal(parse_work(img_len - 1, &s), -1);
        snprintf(want, sizeof(want), WHAT ": truncated: initrd-2 ends at byte %zu, the file has %zu", img_len,
                 img_len - 1);
        expect_one(want);
        assert_int_equal(parse_work(fdt_totalsize(img) + 8, &s), -1);
        snprintf(want, sizeof(want), WHAT ": truncated: kernel ends at byte %llu, the file has %u",
                 (unsigned long long)(s.store_offset + kernel_len), fdt_totalsize(img) + 8);
        expect_one(want);
}

static void test_flipped_blob_byte(void **state)
{
        struct sw_slotimg s;

        (void)state;
        assert_int_equal(parse_work(img_len, &s), 0);
        /* In the kernel: only the kernel fails. */
        work[s.store_offset + 0x1f1] ^= 0x01;
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": kernel hash mismatch");
        assert_false(s.kernel.hash_ok);
        assert_true(s.initrd[0].hash_ok && s.initrd[1].hash_ok && s.config_ok);
        work[s.store_offset + 0x1f1] ^= 0x01;
        /* In the last byte of the last initrd. */
        work[img_len - 1] ^= 0x80;
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": initrd-2 hash mismatch");
        assert_true(s.kernel.hash_ok && s.initrd[0].hash_ok && !s.initrd[1].hash_ok);
}

static int node(const char *path)
{
        int off = fdt_path_offset(work, path);

        assert_true(off >= 0);
        return off;
}

static void test_wrong_hash(void **state)
{
        struct sw_slotimg s;
        uint8_t h[SW_SHA256_LEN];

        (void)state;
        /* A recorded hash that does not match: the blob fails, and so does
         * the configuration, which binds the recorded hashes. */
        memset(h, 0xab, sizeof(h));
        assert_int_equal(fdt_setprop_inplace(work, node("/images/initrd-1"), "hash", h, sizeof(h)), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        assert_int_equal(cap.n, 2);
        assert_string_equal(cap.msg[0], WHAT ": initrd-1 hash mismatch");
        assert_string_equal(cap.msg[1], WHAT ": configuration hash mismatch");

        /* A blob swapped together with its own correct hash: only the
         * configuration hash can tell. */
        memcpy(work, img, img_len);
        work[img_len - 1] ^= 0x80;
        sw_sha256(work + img_len - sizeof(initrd2), sizeof(initrd2), h);
        assert_int_equal(fdt_setprop_inplace(work, node("/images/initrd-2"), "hash", h, sizeof(h)), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": configuration hash mismatch");
        assert_true(s.initrd[1].hash_ok);
        assert_false(s.config_ok);
}

static void test_config_tampered(void **state)
{
        struct sw_slotimg s;

        (void)state;
        /* Same length, so the tree keeps its layout. */
        assert_int_equal(fdt_setprop_inplace(work, node("/configuration"), "cmdline", "console=ttyS1 quiet",
                                             sizeof("console=ttyS1 quiet")), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": configuration hash mismatch");
        assert_string_equal(s.cmdline, "console=ttyS1 quiet");

        memcpy(work, img, img_len);
        assert_int_equal(fdt_setprop_inplace(work, node("/configuration"), "mode", "swap", 5), 0);
        assert_int_equal(parse_work(img_len, &s), 0);
        assert_int_equal(fdt_setprop_inplace(work, node("/configuration"), "mode", "fast", 5), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": /configuration: mode 'fast' is not swap or in-place");
}

static void test_missing_node(void **state)
{
        struct sw_slotimg s;

        (void)state;
        assert_int_equal(fdt_nop_node(work, node("/images/initrd-1")), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": no /images/initrd-1 node");

        memcpy(work, img, img_len);
        assert_int_equal(fdt_nop_node(work, node("/images/kernel")), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": no /images/kernel node");

        memcpy(work, img, img_len);
        assert_int_equal(fdt_nop_node(work, node("/configuration")), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": no /configuration node");

        memcpy(work, img, img_len);
        assert_int_equal(fdt_nop_property(work, node("/images/kernel"), "data-size"), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": /images/kernel: no 32-bit 'data-size'");

        memcpy(work, img, img_len);
        assert_int_equal(fdt_nop_property(work, node("/configuration"), "hash"), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": /configuration: no 32-byte 'hash'");
}

static void test_bad_values(void **state)
{
        struct sw_slotimg s;
        char want[256];

        (void)state;
        /* A ramdisk where the kernel should be. */
        assert_int_equal(fdt_setprop_inplace(work, node("/configuration"), "kernel", "initrd", 7), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": no /images/initrd node");
        memcpy(work, img, img_len);
        assert_int_equal(fdt_setprop_inplace(work, node("/images/kernel"), "type", "ramdis", 7), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": /images/kernel: type 'ramdis', expected 'kernel'");
        memcpy(work, img, img_len);
        assert_int_equal(fdt_setprop_inplace(work, node("/configuration"), "arch", "armv7l", 7), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": /configuration: arch 'armv7l' is not x86_64 or i386");
        memcpy(work, img, img_len);
        assert_int_equal(fdt_setprop_inplace(work, node("/images/initrd-2"), "arch", "x86-64", 7), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": /images/initrd-2: arch 'x86-64', the configuration says 'x86_64'");

        /* A size that would run far past the file, and one that wraps 32 bits. */
        memcpy(work, img, img_len);
        assert_int_equal(fdt_setprop_inplace_u32(work, node("/images/kernel"), "data-size", 0xffffffffu), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        snprintf(want, sizeof(want), WHAT ": truncated: kernel ends at byte %llu, the file has %zu",
                 (unsigned long long)(s.store_offset + 0xffffffffull), img_len);
        expect_one(want);
        memcpy(work, img, img_len);
        assert_int_equal(fdt_setprop_inplace_u32(work, node("/images/initrd-1"), "data-offset", 0xfffffff8u), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        snprintf(want, sizeof(want), WHAT ": truncated: initrd-1 ends at byte %llu, the file has %zu",
                 (unsigned long long)(s.store_offset + 0xfffffff8ull + sizeof(initrd1)), img_len);
        expect_one(want);
        /* A string without its NUL. */
        memcpy(work, img, img_len);
        assert_int_equal(fdt_setprop_inplace(work, node("/configuration"), "title", "Debian 12!", 10), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": /configuration: no 'title' string of printable text (at most 127 bytes)");
        /* Control characters never reach a message, the menu or a command
         * line (the fuzzer found a message quoting raw bytes). */
        memcpy(work, img, img_len);
        assert_int_equal(fdt_setprop_inplace(work, node("/images/kernel"), "type", "ker\033el", 7), 0);
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": /images/kernel: type '', expected 'kernel'");
        memcpy(work, img, img_len);
        {
                int len;
                char *v = (char *)(uintptr_t)fdt_getprop(work, node("/configuration"), "cmdline", &len);

                assert_non_null(v);
                assert_true(len > 1);
                v[0] = '\t';
        }
        assert_int_equal(parse_work(img_len, &s), -1);
        expect_one(WHAT ": /configuration: no 'cmdline' string of printable text (at most 2047 bytes)");
}

static void test_not_a_slot_image(void **state)
{
        struct sw_slotimg s;

        (void)state;
        /* A bzImage is not a slot image. */
        memcpy(work, kernel, kernel_len);
        assert_int_equal(parse_work(kernel_len, &s), -1);
        expect_one(WHAT ": not a slot image (no device-tree header)");
        /* A device tree of something else. */
        assert_int_equal(fdt_create_empty_tree(work, 4096), 0);
        assert_int_equal(fdt_setprop_string(work, 0, "compatible", "qemu,q35"), 0);
        assert_int_equal(parse_work(4096, &s), -1);
        expect_one(WHAT ": not a slot image (format '', expected 'switcher-slot-v1')");
        /* A broken structure block: the first node's name loses its NUL. */
        memcpy(work, img, img_len);
        work[fdt_off_dt_struct(img) + 4] = 'x';
        assert_int_equal(parse_work(img_len, &s), -1);
        assert_int_equal(cap.n, 1);
        assert_int_equal(strncmp(cap.msg[0], WHAT ": damaged header: FDT_ERR_", strlen(WHAT ": damaged header: FDT_ERR_")), 0);
        /* A header claiming a huge tree. */
        memcpy(work, img, img_len);
        fdt_set_totalsize(work, 70000);
        assert_int_equal(parse_work(sizeof(work), &s), -1);
        expect_one(WHAT ": header of 70000 bytes, more than a slot image has (65536)");
}

static void test_build_errors(void **state)
{
        struct sw_slotimg s;

        (void)state;
        memset(&s, 0, sizeof(s));
        s.arch = SW_ARCH_AUTO;
        reset_diag();
        assert_int_equal(sw_slotimg_build(&s, work, sizeof(work), "out.slot", &diag), -1);
        expect_one("out.slot: arch must be x86_64 or i386, not auto");
        s.arch = SW_ARCH_X86_64;
        s.ninitrd = 2;
        s.kernel.size = 0xfffffff0u;
        s.initrd[0].size = 0x10;
        reset_diag();
        assert_int_equal(sw_slotimg_build(&s, work, sizeof(work), "out.slot", &diag), -1);
        expect_one("out.slot: kernel and initrds take 4 GiB or more; a slot image holds less");
        s.kernel.size = 100;
        reset_diag();
        assert_int_equal(sw_slotimg_build(&s, work, 64, "out.slot", &diag), -1);
        expect_one("out.slot: cannot build the image header: FDT_ERR_NOSPACE");
}

static void test_apply(void **state)
{
        struct sw_slotimg s;
        struct sw_slot_config c;

        (void)state;
        assert_int_equal(parse_work(img_len, &s), 0);
        memset(&c, 0, sizeof(c));
        c.valid = true;
        snprintf(c.id, sizeof(c.id), "a");
        snprintf(c.title, sizeof(c.title), "a");
        snprintf(c.options, sizeof(c.options), "root=PARTLABEL=slot-a");
        c.image_line = 7;
        reset_diag();
        assert_int_equal(sw_slotimg_apply(&s, &c, "p.conf", &diag), 0);
        assert_int_equal(cap.n, 0);
        assert_string_equal(c.options, "console=ttyS0 quiet root=PARTLABEL=slot-a");
        assert_string_equal(c.title, "Debian 12");
        assert_int_equal(c.arch, SW_ARCH_X86_64);
        assert_true(c.valid);

        /* partitions.conf's own title wins. */
        memset(c.options, 0, sizeof(c.options));
        snprintf(c.title, sizeof(c.title), "Mine");
        c.title_line = 3;
        assert_int_equal(sw_slotimg_apply(&s, &c, "p.conf", &diag), 0);
        assert_string_equal(c.title, "Mine");
        assert_string_equal(c.options, "console=ttyS0 quiet");

        c.arch = SW_ARCH_I386;
        c.arch_line = 9;
        reset_diag();
        assert_int_equal(sw_slotimg_apply(&s, &c, "p.conf", &diag), -1);
        expect_one("p.conf:9: slot 'a': arch i386 in partitions.conf, the image says x86_64; slot dropped");
        assert_false(c.valid);

        c.valid = true;
        c.arch = SW_ARCH_AUTO;
        c.mode = SW_MODE_IN_PLACE;
        c.mode_line = 10;
        reset_diag();
        assert_int_equal(sw_slotimg_apply(&s, &c, "p.conf", &diag), -1);
        expect_one("p.conf:10: slot 'a': mode in-place in partitions.conf, the image says swap; slot dropped");

        c.valid = true;
        c.mode = SW_MODE_SWAP;
        memset(c.options, 'x', sizeof(c.options) - 10);
        c.options[sizeof(c.options) - 10] = '\0';
        reset_diag();
        assert_int_equal(sw_slotimg_apply(&s, &c, "p.conf", &diag), -1);
        expect_one("p.conf:7: slot 'a': the image's command line and 'options' together are 2058 bytes, "
                   "more than 2047; slot dropped");
        assert_false(c.valid);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_round_trip, setup),
                cmocka_unit_test_setup(test_no_initrd, setup),
                cmocka_unit_test_setup(test_truncated, setup),
                cmocka_unit_test_setup(test_flipped_blob_byte, setup),
                cmocka_unit_test_setup(test_wrong_hash, setup),
                cmocka_unit_test_setup(test_config_tampered, setup),
                cmocka_unit_test_setup(test_missing_node, setup),
                cmocka_unit_test_setup(test_bad_values, setup),
                cmocka_unit_test_setup(test_not_a_slot_image, setup),
                cmocka_unit_test_setup(test_build_errors, setup),
                cmocka_unit_test_setup(test_apply, setup),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
