/* SPDX-License-Identifier: MIT */
/*
 * poweroff --save's decisions (switcher/saveall.c): which slots are saved
 * and why the others are not, the room check over all snapshots, the file
 * names, and the power-off mark the resumed slots act on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "mailbox.h"
#include "saveall.h"

static char why[300];

static void test_classify(void **state)
{
        (void)state;
        assert_int_equal(sw_saveall_classify("lab", "ctl", "suspended", "swap", why, sizeof(why)), SW_SAVEALL_SAVE);
        assert_string_equal(why, "");
        /* No mode in the mailbox: a swap slot, as the switcher's default. */
        assert_int_equal(sw_saveall_classify("lab", "ctl", "suspended", NULL, why, sizeof(why)), SW_SAVEALL_SAVE);
        assert_int_equal(sw_saveall_classify("ctl", "ctl", "running", "swap", why, sizeof(why)), SW_SAVEALL_SELF);
        assert_non_null(strstr(why, "slot 'ctl' is not saved: it is this slot, running"));
        assert_int_equal(sw_saveall_classify("b", "ctl", "empty", "swap", why, sizeof(why)), SW_SAVEALL_NOTHING);
        assert_string_equal(why, "slot 'b' has nothing to save: it never ran, or went off");
        assert_int_equal(sw_saveall_classify("b", "ctl", "failed", "swap", why, sizeof(why)), SW_SAVEALL_SKIP);
        assert_string_equal(why, "slot 'b' is not saved: it failed");
        /* An in-place slot has snapshots too (its window, low memory and own RAM). */
        assert_int_equal(sw_saveall_classify("b", "ctl", "suspended", "in-place", why, sizeof(why)), SW_SAVEALL_SAVE);
        assert_int_equal(sw_saveall_classify("b", "ctl", "suspended", "sideways", why, sizeof(why)), SW_SAVEALL_SKIP);
        assert_int_equal(sw_saveall_classify("b", "ctl", NULL, "swap", why, sizeof(why)), SW_SAVEALL_SKIP);
        assert_string_equal(why, "slot 'b' is not saved: it has no state in the mailbox");
        /* Another slot running (a damaged mailbox): not this one, not saved. */
        assert_int_equal(sw_saveall_classify("b", "ctl", "running", "swap", why, sizeof(why)), SW_SAVEALL_SKIP);
        assert_string_equal(why, "slot 'b' is not saved: it is running, and is not this slot");
        assert_int_equal(sw_saveall_classify("b", "ctl", "bogus", "swap", why, sizeof(why)), SW_SAVEALL_SKIP);
}

static void test_room(void **state)
{
        uint64_t need[3] = { 300 << 20, 200 << 20, 1 << 20 };

        (void)state;
        assert_int_equal(sw_saveall_room(need, 3, 501u << 20, why, sizeof(why)), 0);
        assert_string_equal(why, "");
        assert_int_equal(sw_saveall_room(need, 3, (501u << 20) - 1, why, sizeof(why)), -1);
        assert_string_equal(why, "525336575 bytes free, and the 3 snapshots need up to 525336576 (every page non-zero)");
        assert_int_equal(sw_saveall_room(need, 1, 1, why, sizeof(why)), -1);
        assert_string_equal(why, "1 bytes free, and the 1 snapshot needs up to 314572800 (every page non-zero)");
        /* Nothing to save always fits. */
        assert_int_equal(sw_saveall_room(need, 0, 0, why, sizeof(why)), 0);
        need[1] = UINT64_MAX;
        assert_int_equal(sw_saveall_room(need, 3, UINT64_MAX, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "more than 2^64"));
}

static void test_path(void **state)
{
        char out[16];

        (void)state;
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/bank", "lab"), 0);
        assert_string_equal(out, "/bank/lab.snap");
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/bank//", "lab"), 0);
        assert_string_equal(out, "/bank/lab.snap");
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/", "lab"), 0);
        assert_string_equal(out, "/lab.snap");
        assert_int_equal(sw_saveall_path(out, sizeof(out), "d", "a"), 0);
        assert_string_equal(out, "d/a.snap");
        /* "/bank/labx.snap" and its NUL are 16 bytes: just fits; one more
         * byte of id does not. */
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/bank", "labx"), 0);
        assert_string_equal(out, "/bank/labx.snap");
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/bank", "labxy"), -1);
        assert_int_equal(sw_saveall_path(out, sizeof(out), "", "lab"), -1);
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/bank", ""), -1);
}

static const char conf_text[] = "timeout 0\ndefault lab\n\n"
                                "slot lab\nlinux /slots/lab/vmlinuz\n\n"
                                "slot ctl\nlinux /slots/ctl/vmlinuz\n\n"
                                "slot spare\nlinux /slots/spare/vmlinuz\n";

static uint8_t mb[SW_MAILBOX_SIZE] __attribute__((aligned(8)));

/* The mailbox after ctl ran poweroff --save and went off: the switcher
 * left ctl empty (and did not write its result) and resumed lab. */
static void test_mark(void **state)
{
        static struct sw_config cfg;
        enum sw_slot_state st[SW_MAX_SLOTS] = { SW_SLOT_SUSPENDED, SW_SLOT_RUNNING, SW_SLOT_EMPTY };
        uint32_t seq, status;
        char msg[SW_MB_MSG_LEN];

        (void)state;
        assert_int_equal(sw_config_parse(&cfg, conf_text, strlen(conf_text), "t.conf", NULL), 3);
        assert_int_equal(sw_mailbox_build(mb, sizeof(mb), &cfg, st, 1, NULL), 0);
        assert_int_equal(sw_mb_set_result(mb, "ctl", 7, SW_MB_OK, "switched"), 0);
        assert_false(sw_poweroff_pending(mb, "lab"));
        assert_int_equal(sw_poweroff_mark(mb, "ctl"), 0);
        /* The seq and status stay: the next request's seq still follows. */
        assert_int_equal(sw_mb_get_result(mb, "ctl", &seq, &status, msg, sizeof(msg)), 0);
        assert_int_equal(seq, 7);
        assert_int_equal(status, SW_MB_OK);
        assert_string_equal(msg, SW_POWEROFF_MARK);
        /* Still running: no power-off under way yet. */
        assert_false(sw_poweroff_pending(mb, "lab"));
        assert_int_equal(sw_mb_set_state(mb, "ctl", SW_SLOT_EMPTY), 0);
        assert_int_equal(sw_mb_set_state(mb, "lab", SW_SLOT_RUNNING), 0);
        assert_int_equal(sw_mb_set_current(mb, "lab"), 0);
        assert_true(sw_poweroff_pending(mb, "lab"));
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        /* The marked slot itself, started again, does not power off for its
         * own old mark. */
        assert_false(sw_poweroff_pending(mb, "ctl"));
        /* Taken away again (a power-off that failed): no power-off, and
         * the seq and status still kept. */
        assert_int_equal(sw_poweroff_unmark(mb, "ctl"), 0);
        assert_false(sw_poweroff_pending(mb, "lab"));
        assert_int_equal(sw_mb_get_result(mb, "ctl", &seq, &status, msg, sizeof(msg)), 0);
        assert_int_equal(seq, 7);
        assert_string_equal(msg, "");
        /* A slot that went off without the mark is no power-off. */
        assert_int_equal(sw_mb_set_result(mb, "ctl", 8, SW_MB_OK, "slot 'ctl' left"), 0);
        assert_false(sw_poweroff_pending(mb, "lab"));
        assert_int_equal(sw_poweroff_mark(mb, "nosuch"), -SW_MB_UNKNOWN_SLOT);
        /* No /slots: nothing pending. */
        memset(mb, 0, sizeof(mb));
        assert_false(sw_poweroff_pending(mb, "lab"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_classify),
                cmocka_unit_test(test_room),
                cmocka_unit_test(test_path),
                cmocka_unit_test(test_mark),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
