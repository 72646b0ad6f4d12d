/* SPDX-License-Identifier: MIT */
/*
 * Prewarm and the mailbox fields the switcher added for it and for the
 * saved-state checks: the 'prewarm' key, prewarm-next, and each slot's
 * store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util_capture.h"
#include "config.h"
#include "mailbox.h"

#include <libfdt.h>

static struct sw_config c;
static uint8_t mb[SW_MAILBOX_SIZE];

static void build(const char *conf)
{
        enum sw_slot_state st[SW_MAX_SLOTS] = { SW_SLOT_RUNNING };
        struct sw_diag d = { 0 };

        assert_true(sw_config_parse(&c, conf, strlen(conf), "t.conf", &d) > 0);
        assert_int_equal(sw_mailbox_build(mb, sizeof(mb), &c, st, 0, NULL), 0);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
}

static void test_key(void **state)
{
        static const char conf[] = "slot a\nlinux /a\n\nslot b\nlinux /b\nprewarm yes\n\n"
                                   "slot c\nlinux /c\nprewarm maybe\n";
        struct capture cap = { 0 };
        struct sw_diag d = { capture_emit, &cap, 0, 0 };
        (void)state;

        assert_int_equal(sw_config_parse(&c, conf, sizeof(conf) - 1, "t.conf", &d), 3);
        assert_false(c.slots[0].prewarm);
        assert_true(c.slots[1].prewarm);
        assert_false(c.slots[2].prewarm);
        assert_int_equal(cap.n, 1);
        assert_int_equal(cap.sev[0], SW_WARN);
        assert_string_equal(cap.msg[0], "t.conf:10: slot 'c': invalid prewarm 'maybe' (yes or no), kept at no");
}

static void test_prewarm_next(void **state)
{
        char next[SW_MB_ID_LEN], long_id[SW_MB_ID_LEN + 1];
        (void)state;

        build("slot a\nlinux /a\n\nslot b\nlinux /b\nprewarm yes\n");
        /* A fresh mailbox has no chain. */
        assert_int_equal(sw_mb_get_prewarm_next(mb, next), 0);
        assert_string_equal(next, "");
        assert_int_equal(sw_mb_set_prewarm_next(mb, "a"), 0);
        assert_int_equal(sw_mb_get_prewarm_next(mb, next), 0);
        assert_string_equal(next, "a");
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        assert_int_equal(sw_mb_set_prewarm_next(mb, ""), 0);
        assert_int_equal(sw_mb_get_prewarm_next(mb, next), 0);
        assert_string_equal(next, "");
        memset(long_id, 'x', SW_MB_ID_LEN);
        long_id[SW_MB_ID_LEN] = '\0';
        assert_int_equal(sw_mb_set_prewarm_next(mb, long_id), -SW_MB_MALFORMED);
}

/* A guest that fills the field with garbage gets "" back, not a string
 * without its end. */
static void test_prewarm_next_garbage(void **state)
{
        char next[SW_MB_ID_LEN];
        int len = 0;
        uint8_t *p;
        (void)state;

        build("slot a\nlinux /a\n");
        p = (uint8_t *)(uintptr_t)fdt_getprop(mb, 0, "prewarm-next", &len);
        assert_non_null(p);
        assert_int_equal(len, SW_MB_ID_LEN);
        memset(p, 'z', SW_MB_ID_LEN);
        assert_int_equal(sw_mb_get_prewarm_next(mb, next), -SW_MB_MALFORMED);
        assert_string_equal(next, "");
}

static void test_store(void **state)
{
        uint64_t base = 1, size = 1;
        (void)state;

        build("slot a\nlinux /a\n\nslot b\nlinux /b\n");
        assert_int_equal(sw_mb_get_store(mb, "b", &base, &size), 0);
        assert_int_equal(base, 0);
        assert_int_equal(size, 0);
        assert_int_equal(sw_mb_set_store(mb, "b", 0x1f0000000ULL, 0x10200000ULL), 0);
        assert_int_equal(sw_mb_get_store(mb, "b", &base, &size), 0);
        assert_int_equal(base, 0x1f0000000ULL);
        assert_int_equal(size, 0x10200000ULL);
        assert_int_equal(sw_mb_set_store(mb, "nope", 1, 2), -SW_MB_UNKNOWN_SLOT);
        assert_int_equal(sw_mb_get_store(mb, "nope", &base, &size), -SW_MB_UNKNOWN_SLOT);
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_key),
                cmocka_unit_test(test_prewarm_next),
                cmocka_unit_test(test_prewarm_next_garbage),
                cmocka_unit_test(test_store),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
