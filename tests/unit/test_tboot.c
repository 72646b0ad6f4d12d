/* SPDX-License-Identifier: MIT */
/*
 * The tboot shared page (tboot.c): the bytes a Linux 6.1 kernel's
 * tboot_probe() checks (UUID, version), where it finds shutdown_entry and
 * the mapped range, num_in_wfs starting one ahead, the type names, and the
 * e820 limit that keeps the kernel's MAC regions below its 32.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tboot.h"

static void test_page_init(void **state)
{
        static const uint8_t uuid[16] = { 0xff, 0x8d, 0x3c, 0x66, 0xb3, 0xe8, 0x82, 0x4b,
                                          0xbf, 0xaa, 0x19, 0xea, 0x4d, 0x05, 0x7a, 0x08 };
        uint8_t page[4096];
        struct sw_tboot_shared *t = (struct sw_tboot_shared *)page;
        uint32_t v;

        (void)state;
        memset(page, 0xa5, sizeof(page));
        sw_tboot_page_init(t, 0x7fe5a014, 0x7fe5a000, 0x5000);
        /* The raw bytes, as the kernel reads them. */
        assert_memory_equal(page, uuid, 16);
        memcpy(&v, page + 16, 4);
        assert_int_equal(v, 5);
        memcpy(&v, page + 24, 4);
        assert_int_equal(v, 0x7fe5a014);
        memcpy(&v, page + 104, 4);
        assert_int_equal(v, 0x7fe5a000);
        memcpy(&v, page + 108, 4);
        assert_int_equal(v, 0x5000);
        memcpy(&v, page + 564, 4);
        assert_int_equal(v, 1);
        /* The kernel's fields start zeroed; nothing past the structure is
         * touched. */
        memcpy(&v, page + 28, 4);
        assert_int_equal(v, 0);
        assert_int_equal(t->acpi_sinfo.kernel_s3_resume_vector, 0);
        assert_int_equal(t->num_mac_regions, 0);
        assert_int_equal(page[568], 0xa5);
}

static void test_type_names(void **state)
{
        (void)state;
        assert_string_equal(sw_tboot_type_name(SW_TBOOT_REBOOT), "reboot");
        assert_string_equal(sw_tboot_type_name(SW_TBOOT_S5), "S5");
        assert_string_equal(sw_tboot_type_name(SW_TBOOT_S4), "S4");
        assert_string_equal(sw_tboot_type_name(SW_TBOOT_S3), "S3");
        assert_string_equal(sw_tboot_type_name(SW_TBOOT_HALT), "halt");
        assert_string_equal(sw_tboot_type_name(SW_TBOOT_WFS), "wait-for-SIPI");
        /* Guest-written memory: any value. */
        assert_string_equal(sw_tboot_type_name(6), "unknown");
        assert_string_equal(sw_tboot_type_name(0xffffffffu), "unknown");
}

static void test_e820_limit(void **state)
{
        struct sw_e820_entry e[SW_E820_MAX];
        unsigned n = 0, nram = 99;

        (void)state;
        /* 28 RAM ranges between reserved ones: allowed; one more is not. */
        for (unsigned i = 0; i < SW_TBOOT_MAX_RAM_RANGES; i++) {
                e[n++] = (struct sw_e820_entry){ .addr = i * 0x200000ULL, .size = 0x100000, .type = SW_E820_RAM };
                e[n++] = (struct sw_e820_entry){ .addr = i * 0x200000ULL + 0x100000, .size = 0x100000,
                                                 .type = SW_E820_RESERVED };
        }
        assert_true(sw_tboot_e820_ok(e, n, &nram));
        assert_int_equal(nram, SW_TBOOT_MAX_RAM_RANGES);
        e[n++] = (struct sw_e820_entry){ .addr = 0x100000000ULL, .size = 0x100000, .type = SW_E820_RAM };
        assert_false(sw_tboot_e820_ok(e, n, &nram));
        assert_int_equal(nram, SW_TBOOT_MAX_RAM_RANGES + 1);
        /* ACPI, NVS and the rest do not count. */
        e[n - 1].type = SW_E820_NVS;
        assert_true(sw_tboot_e820_ok(e, n, NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_page_init),
                cmocka_unit_test(test_type_names),
                cmocka_unit_test(test_e820_limit),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
