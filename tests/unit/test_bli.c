/* SPDX-License-Identifier: MIT */
/*
 * The Boot Loader Interface values (switcher/bli.h): UTF-16LE strings with
 * their NUL and sizes in bytes, LoaderEntries as back-to-back strings of
 * the valid slots only, microsecond times as text, values read back from
 * variables, and which slot the steering variables choose.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util_capture.h"

#include "bli.h"

static const char conf_text[] =
        "default b\n"
        "slot a\nlinux /a\n"
        "slot b\nlinux /b\n"
        "slot bad\nlinux /bad\nmode bogus\n"
        "slot c\nlinux /c\n";

static struct sw_config cfg;
static struct capture cap;
static struct sw_diag diag = { .emit = capture_emit, .ctx = &cap };

static int setup(void **state)
{
        (void)state;
        memset(&cap, 0, sizeof(cap));
        return sw_config_parse(&cfg, conf_text, strlen(conf_text), "t.conf", NULL) == 3 ? 0 : -1;
}

/* UTF-16LE bytes of an ASCII text with its NUL, for comparisons. */
static size_t u16(uint8_t *out, const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = (uint8_t)s[i];
                out[2 * i + 1] = 0;
        }
        return 2 * n;
}

static void strings(void **state)
{
        uint16_t v[16];
        uint8_t want[32];

        (void)state;
        assert_int_equal(sw_bli_str16(v, 16, "switcher 0.1"), 26);
        assert_memory_equal(v, want, u16(want, "switcher 0.1", 13));
        assert_int_equal(sw_bli_str16(v, 1, ""), 2);
        assert_int_equal(v[0], 0);
        /* Exactly full, one short, and a byte that is not ASCII. */
        assert_int_equal(sw_bli_str16(v, 4, "abc"), 8);
        assert_int_equal(sw_bli_str16(v, 3, "abc"), -1);
        assert_int_equal(sw_bli_str16(v, 16, "caf\xc3\xa9"), -1);
}

static void entries(void **state)
{
        uint16_t v[32];
        uint8_t want[64];
        size_t n;

        (void)state;
        /* The invalid slot is left out; each id keeps its own NUL. */
        n = u16(want, "a\0b\0c", 6);
        assert_int_equal(sw_bli_entries(v, 32, &cfg), (int)n);
        assert_memory_equal(v, want, n);
        assert_int_equal(sw_bli_entries(v, 6, &cfg), 12);
        assert_int_equal(sw_bli_entries(v, 5, &cfg), -1);
}

static void usec(void **state)
{
        uint16_t v[24];
        uint8_t want[48];

        (void)state;
        assert_int_equal(sw_bli_usec(v, 24, 0), 4);
        assert_memory_equal(v, want, u16(want, "0", 2));
        assert_int_equal(sw_bli_usec(v, 24, 1234567), 16);
        assert_memory_equal(v, want, u16(want, "1234567", 8));
        assert_int_equal(sw_bli_usec(v, 24, UINT64_MAX), 42);
        assert_memory_equal(v, want, u16(want, "18446744073709551615", 21));
}

static void from16(void **state)
{
        uint8_t val[32];
        char out[8];
        size_t n;

        (void)state;
        n = u16(val, "b", 2);
        assert_int_equal(sw_bli_from16(out, sizeof(out), val, n), 0);
        assert_string_equal(out, "b");
        /* Without a NUL, as some writers store it. */
        n = u16(val, "abc", 3);
        assert_int_equal(sw_bli_from16(out, sizeof(out), val, n), 0);
        assert_string_equal(out, "abc");
        /* Empty, odd sized, too long for out, not ASCII. */
        assert_int_equal(sw_bli_from16(out, sizeof(out), val, 0), 0);
        assert_string_equal(out, "");
        assert_int_equal(sw_bli_from16(out, sizeof(out), val, 3), -1);
        n = u16(val, "abcdefgh", 8);
        assert_int_equal(sw_bli_from16(out, sizeof(out), val, n), -1);
        val[0] = 0xe9;
        val[1] = 0x00;
        assert_int_equal(sw_bli_from16(out, sizeof(out), val, 2), -1);
}

static int choose(const char *eos, const char *sos, const char *edef, const char *sdef, bool *once)
{
        struct sw_bli_steer v = { eos, sos, edef, sdef };

        return sw_bli_choose(&cfg, &v, once, &diag);
}

static void steering(void **state)
{
        bool once = false;

        (void)state;
        /* Nothing set: partitions.conf's default, b (index 1). */
        assert_int_equal(choose("", "", "", "", &once), 1);
        assert_false(once);
        /* A default from a slot: LoaderEntryDefault before SwitcherSlotDefault. */
        assert_int_equal(choose("", "", "c", "a", &once), 3);
        assert_false(once);
        assert_int_equal(choose("", "", "", "a", &once), 0);
        assert_false(once);
        /* A one-shot wins over every default; LoaderEntryOneShot first. */
        assert_int_equal(choose("a", "c", "c", "", &once), 0);
        assert_true(once);
        assert_int_equal(choose("", "c", "a", "", &once), 3);
        assert_true(once);
        assert_int_equal(cap.n, 0);
        /* A name that is no valid slot (unknown, or dropped) is skipped,
         * with a warning naming the variable. */
        assert_int_equal(choose("bad", "", "zz", "", &once), 1);
        assert_false(once);
        assert_int_equal(cap.n, 2);
        assert_int_equal(cap.sev[0], SW_WARN);
        assert_non_null(strstr(cap.msg[0], "LoaderEntryOneShot names 'bad'"));
        assert_non_null(strstr(cap.msg[1], "LoaderEntryDefault names 'zz'"));
}

static void features(void **state)
{
        (void)state;
        /* Only what the switcher honours: the one-shot menu timeout, the
         * default and the one-shot entry. */
        assert_int_equal(SW_BLI_FEATURES, (1u << 1) | (1u << 2) | (1u << 3));
}

/* LoaderEntrySelected at a switch: the target's id, only when the variable
 * does not name it already, never for a slot that is not valid. */
static void selected(void **state)
{
        uint16_t v[8];
        uint8_t want[16];

        (void)state;
        /* cfg: a (0), b (1), bad (2, invalid), c (3). */
        assert_int_equal(sw_bli_selected(&cfg, 1, 0, v, 8), 4);
        assert_memory_equal(v, want, u16(want, "b", 2));
        assert_int_equal(sw_bli_selected(&cfg, 0, -1, v, 8), 4);
        assert_memory_equal(v, want, u16(want, "a", 2));
        assert_int_equal(sw_bli_selected(&cfg, 3, 1, v, 8), 4);
        /* Already named: nothing to write. */
        assert_int_equal(sw_bli_selected(&cfg, 1, 1, v, 8), 0);
        /* Not a valid slot, or none at all. */
        assert_int_equal(sw_bli_selected(&cfg, 2, 0, v, 8), 0);
        assert_int_equal(sw_bli_selected(&cfg, -1, 0, v, 8), 0);
        assert_int_equal(sw_bli_selected(&cfg, 4, 0, v, 8), 0);
        assert_int_equal(sw_bli_selected(&cfg, SW_MAX_SLOTS + 5, 0, v, 8), 0);
        /* An id that does not fit. */
        assert_int_equal(sw_bli_selected(&cfg, 1, 0, v, 1), -1);
        /* Non-volatile, so that it can change after ExitBootServices. */
        assert_int_equal(SW_BLI_SELECTED_ATTR, 7);
}

/* LoaderConfigTimeoutOneShot: seconds, 0 and menu-force wait for a key;
 * absent or anything else leaves the start-up alone. */
static void timeout_oneshot(void **state)
{
        (void)state;
        memset(&cap, 0, sizeof(cap));
        assert_int_equal(sw_bli_timeout_oneshot("", &diag), -1);
        assert_int_equal(sw_bli_timeout_oneshot(NULL, &diag), -1);
        assert_int_equal(cap.n, 0);
        assert_int_equal(sw_bli_timeout_oneshot("0", &diag), 0);
        assert_int_equal(sw_bli_timeout_oneshot("menu-force", &diag), 0);
        assert_int_equal(sw_bli_timeout_oneshot("7", &diag), 7);
        assert_int_equal(sw_bli_timeout_oneshot("3600", &diag), 3600);
        /* Longer than the config allows: the config's maximum. */
        assert_int_equal(sw_bli_timeout_oneshot("3601", &diag), SW_TIMEOUT_MAX);
        assert_int_equal(sw_bli_timeout_oneshot("999999999", &diag), SW_TIMEOUT_MAX);
        assert_int_equal(cap.n, 0);
        /* Not taken, each with a warning naming the variable. */
        assert_int_equal(sw_bli_timeout_oneshot("menu-hidden", &diag), -1);
        assert_int_equal(sw_bli_timeout_oneshot("5s", &diag), -1);
        assert_int_equal(sw_bli_timeout_oneshot("-1", &diag), -1);
        assert_int_equal(sw_bli_timeout_oneshot("12345678901", &diag), -1);
        assert_int_equal(cap.n, 4);
        assert_int_equal(cap.sev[0], SW_WARN);
        assert_non_null(strstr(cap.msg[0], "LoaderConfigTimeoutOneShot is 'menu-hidden'"));
        assert_non_null(strstr(cap.msg[3], "'12345678901'"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(strings),
                cmocka_unit_test(entries),
                cmocka_unit_test(usec),
                cmocka_unit_test(from16),
                cmocka_unit_test(steering),
                cmocka_unit_test(features),
                cmocka_unit_test(selected),
                cmocka_unit_test(timeout_oneshot),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
