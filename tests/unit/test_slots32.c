/* SPDX-License-Identifier: MIT */
/*
 * 32-bit slots: the kernel-against-slot checks (sw_bzimage_check_slot) on the
 * real headers of Debian's amd64 and i686 kernels and on damaged ones, and
 * the planner's 4 GiB limit for an i386 slot on a real 6 GiB OVMF map, down
 * to the e820 map such a slot's kernel is given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util_capture.h"
#include "util_fixture.h"
#include "bzimage.h"
#include "config.h"
#include "e820.h"
#include "plan.h"
#include "layout.h"

#define MiB (1024ULL * 1024)
#define GiB (1024ULL * MiB)
/* The whole files' lengths (tests/fixtures/README.bzimage). */
#define AMD64_FILE_LEN 8247232ULL
#define I686_FILE_LEN 5707712ULL
#define WHAT "slot 'c': kernel '/slots/c/vmlinuz'"

static uint8_t amd64[32768], i686[32768], buf[32768];
static size_t amd64_len, i686_len;
static struct capture cap;
static struct sw_diag diag;

static void reset_diag(void)
{
        memset(&cap, 0, sizeof(cap));
        diag = (struct sw_diag){ .emit = capture_emit, .ctx = &cap };
}

static int setup(void **state)
{
        (void)state;
        amd64_len = load_file_fixture("bzimage-amd64-head.bin", amd64, sizeof(amd64));
        i686_len = load_file_fixture("bzimage-i686-head.bin", i686, sizeof(i686));
        reset_diag();
        return 0;
}

static void parse(const uint8_t *head, size_t len, uint64_t file_len, struct sw_bzimage_info *info)
{
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(head, len, file_len, WHAT, info, &diag), 0);
        assert_int_equal(diag.errors, 0);
}

static struct sw_slot_config slot(enum sw_arch arch)
{
        struct sw_slot_config s;

        memset(&s, 0, sizeof(s));
        strcpy(s.id, "c");
        s.arch = arch;
        s.valid = true;
        return s;
}

/* 'arch auto' takes the architecture from the header: XLF_KERNEL_64 in the
 * amd64 kernel, none in the i686 one. */
static void test_auto_resolves(void **state)
{
        struct sw_bzimage_info info;
        struct sw_slot_config s = slot(SW_ARCH_AUTO);
        (void)state;

        parse(i686, i686_len, I686_FILE_LEN, &info);
        assert_false(info.can_64bit_entry);
        assert_int_equal(sw_bzimage_check_slot(&info, &s, 256 * MiB, 20 * MiB, WHAT, &diag), 0);
        assert_int_equal(s.arch, SW_ARCH_I386);
        assert_int_equal(sw_slot_limit(&s), 4 * GiB);

        s = slot(SW_ARCH_AUTO);
        parse(amd64, amd64_len, AMD64_FILE_LEN, &info);
        assert_int_equal(sw_bzimage_check_slot(&info, &s, 256 * MiB, 20 * MiB, WHAT, &diag), 0);
        assert_int_equal(s.arch, SW_ARCH_X86_64);
        assert_int_equal(sw_slot_limit(&s), 0);
        assert_int_equal(cap.n, 0);
}

/* A slot that names its arch gets a kernel of that arch, or a refusal that
 * says which is which. */
static void test_arch_mismatch(void **state)
{
        struct sw_bzimage_info info;
        struct sw_slot_config s = slot(SW_ARCH_I386);
        (void)state;

        parse(amd64, amd64_len, AMD64_FILE_LEN, &info);
        assert_int_equal(sw_bzimage_check_slot(&info, &s, 256 * MiB, 0, WHAT, &diag), -1);
        assert_int_equal(cap.n, 1);
        assert_int_equal(cap.sev[0], SW_ERROR);
        assert_string_equal(cap.msg[0], WHAT ": is a 64-bit (x86_64) kernel, but the slot says 'arch i386'; "
                                         "an i386 slot needs a 32-bit kernel");
        assert_int_equal(s.arch, SW_ARCH_I386);

        s = slot(SW_ARCH_X86_64);
        parse(i686, i686_len, I686_FILE_LEN, &info);
        assert_int_equal(sw_bzimage_check_slot(&info, &s, 256 * MiB, 0, WHAT, &diag), -1);
        assert_int_equal(cap.n, 1);
        assert_string_equal(cap.msg[0], WHAT ": is a 32-bit kernel (no 64-bit entry point), but the slot says "
                                         "'arch x86_64'; use 'arch i386' or 'arch auto'");
        assert_int_equal(s.arch, SW_ARCH_X86_64);

        /* Matching names pass. */
        s = slot(SW_ARCH_I386);
        assert_int_equal(sw_bzimage_check_slot(&info, &s, 256 * MiB, 0, WHAT, &diag), 0);
}

/* A kernel plus initrds larger than the slot's RAM can never come up. */
static void test_too_big_for_slot(void **state)
{
        struct sw_bzimage_info info;
        struct sw_slot_config s = slot(SW_ARCH_AUTO);
        (void)state;

        /* The i686 kernel's init_size is 0x100c000 (16.05 MiB). */
        parse(i686, i686_len, I686_FILE_LEN, &info);
        assert_int_equal(info.init_size, 0x100c000);
        assert_int_equal(sw_bzimage_check_slot(&info, &s, 32 * MiB, 16 * MiB, WHAT, &diag), -1);
        assert_int_equal(cap.n, 1);
        assert_string_equal(cap.msg[0], WHAT ": needs 32 MiB (init_size 16 MiB plus initrds 16 MiB), "
                                         "more than the slot's 32 MiB of RAM");
        assert_int_equal(s.arch, SW_ARCH_AUTO);

        /* Exactly enough is enough. */
        reset_diag();
        assert_int_equal(sw_bzimage_check_slot(&info, &s, 0x100c000 + 16 * MiB, 16 * MiB, WHAT, &diag), 0);
        /* An initrd size that would wrap the sum is refused, not wrapped. */
        s = slot(SW_ARCH_AUTO);
        assert_int_equal(sw_bzimage_check_slot(&info, &s, UINT64_MAX, UINT64_MAX - 4096, WHAT, &diag), -1);
}

/* Damaged i686 headers never get as far as the slot check: the parser
 * names the damage. */
static void test_damaged_i686(void **state)
{
        struct sw_bzimage_info info;
        (void)state;

        memcpy(buf, i686, i686_len);
        buf[0x202] = 'X';       /* "HdrS" */
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(buf, i686_len, I686_FILE_LEN, WHAT, &info, &diag), -SW_BZ_ERR_MAGIC);
        assert_int_equal(cap.n, 1);
        assert_non_null(strstr(cap.msg[0], WHAT ": "));

        memcpy(buf, i686, i686_len);
        buf[0x206] = 0x0a;      /* protocol 2.10: no xloadflags, too old */
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(buf, i686_len, I686_FILE_LEN, WHAT, &info, &diag),
                         -SW_BZ_ERR_VERSION);
        assert_non_null(strstr(cap.msg[0], "2.10"));

        /* A header that claims more kernel than the file holds. */
        reset_diag();
        assert_int_equal(sw_bzimage_parse_head(i686, i686_len, 64 * 1024, WHAT, &info, &diag),
                         -SW_BZ_ERR_TRUNCATED);
}

static struct sw_memmap map;
static struct sw_plan plan;

/* On a 6 GiB machine with a 3 GiB active region, the active region runs far
 * above 4 GiB; the i386 slot sees only the part below it, and its store is
 * just that big.  The x86_64 slot sees all of it. */
static void test_plan_limit_6G(void **state)
{
        static const char *const ids[] = { "a", "c" };
        static const uint64_t limits[] = { 0, 4 * GiB };
        struct sw_plan_request req = { 3 * GiB, 1 * MiB, NULL, 0, 2, ids, NULL, limits, NULL, NULL, NULL, 0 };
        struct sw_range r[SW_ACTIVE_MAX];
        uint64_t below = 0, total = 0;
        int n;
        (void)state;

        load_memmap_fixture(&map, "memmap-ovmf-6G.txt");
        reset_diag();
        /* Room for only one 3 GiB store: slot c's smaller store fits. */
        assert_int_equal(sw_plan_build(&map, &req, &plan, &diag), 1);
        assert_false(plan.slots[0].placed);
        assert_true(plan.slots[1].placed);
        assert_true(sw_range_end(&plan.active[plan.nactive - 1]) > 4 * GiB);
        for (unsigned i = 0; i < plan.nactive; i++)
                if (plan.active[i].base < 4 * GiB)
                        below += (sw_range_end(&plan.active[i]) <= 4 * GiB ? plan.active[i].size
                                                                           : 4 * GiB - plan.active[i].base);
        assert_int_equal(plan.slots[1].store_size, below);
        assert_true(below < 2 * GiB && below > 1 * GiB);

        n = sw_plan_slot_ranges(&plan, 1, r, SW_ACTIVE_MAX);
        assert_true(n > 0);
        for (int i = 0; i < n; i++) {
                assert_true(sw_range_end(&r[i]) <= 4 * GiB);
                total += r[i].size;
        }
        assert_int_equal(total, below);
        /* The planner said what it did (after the warning for slot a). */
        assert_true(cap.n >= 1);
        {
                bool said = false;

                for (unsigned i = 0; i < cap.n && i < CAPTURE_MAX; i++)
                        said |= strstr(cap.msg[i], "slot 'c': sees ") != NULL;
                assert_true(said);
        }
}

/* With the default 256 MiB active region the limit changes nothing. */
static void test_plan_limit_small_active(void **state)
{
        static const char *const ids[] = { "a", "b", "c" };
        static const uint64_t limits[] = { 0, 0, 4 * GiB };
        struct sw_plan_request req = { 256 * MiB, 1 * MiB, NULL, 0, 3, ids, NULL, limits, NULL, NULL, NULL, 0 };
        (void)state;

        load_memmap_fixture(&map, "memmap-ovmf-6G.txt");
        reset_diag();
        assert_int_equal(sw_plan_build(&map, &req, &plan, &diag), 3);
        assert_int_equal(cap.n, 0);
        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(plan.slots[i].store_size, 256 * MiB);
                /* Stores above 4 GiB: an i386 slot's store may lie there. */
                assert_true(plan.slots[i].store_base >= 4 * GiB);
        }
}

/* A config's i386 slot gets the limit in the request; the e820 its kernel
 * is given then offers no RAM above 4 GiB, while the x86_64 slot's does. */
static void test_config_to_e820(void **state)
{
        static const char conf[] =
                "active-size 3G\n"
                "slot a\nlinux /a\n\n"
                "slot c\nlinux /c\narch i386\n";
        static struct sw_config c;
        static struct sw_plan_input in;
        struct sw_range r[SW_ACTIVE_MAX];
        struct sw_e820_entry e[SW_E820_MAX];
        bool ram_above[2] = { false, false };
        (void)state;

        reset_diag();
        assert_int_equal(sw_config_parse(&c, conf, sizeof(conf) - 1, "t.conf", &diag), 2);
        load_memmap_fixture(&map, "memmap-ovmf-6G.txt");
        in = (struct sw_plan_input){ .cfg = &c, .map_top = sw_memmap_top(&map) };
        assert_int_equal(sw_plan_input_from_config(&in), 2);
        assert_string_equal(in.ids[1], "c");
        assert_int_equal(in.limits[0], 0);
        assert_int_equal(in.limits[1], 4 * GiB);
        /* Slot a keeps no store (RAM is short); only c matters here. */
        assert_true(sw_plan_build(&map, &in.req, &plan, NULL) >= 1);
        for (unsigned s = 0; s < 2; s++) {
                int n, ne;

                /* A slot without a store still has its view of the active
                 * region; build it from the active ranges for slot a. */
                if (plan.slots[s].placed) {
                        n = sw_plan_slot_ranges(&plan, s, r, SW_ACTIVE_MAX);
                } else {
                        memcpy(r, plan.active, plan.nactive * sizeof(r[0]));
                        n = (int)plan.nactive;
                }
                assert_true(n > 0);
                ne = sw_e820_build(&map, r, (unsigned)n, e, SW_E820_MAX, NULL);
                assert_true(ne > 0);
                for (int i = 0; i < ne; i++)
                        if (e[i].type == SW_E820_RAM && e[i].addr + e[i].size > 4 * GiB)
                                ram_above[s] = true;
        }
        assert_true(plan.slots[1].placed);
        assert_true(ram_above[0]);
        assert_false(ram_above[1]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_auto_resolves, setup),
                cmocka_unit_test_setup(test_arch_mismatch, setup),
                cmocka_unit_test_setup(test_too_big_for_slot, setup),
                cmocka_unit_test_setup(test_damaged_i686, setup),
                cmocka_unit_test(test_plan_limit_6G),
                cmocka_unit_test(test_plan_limit_small_active),
                cmocka_unit_test(test_config_to_e820),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
