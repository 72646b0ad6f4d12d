/* SPDX-License-Identifier: MIT */
/*
 * The hotkey parser shared by partitions.conf and the guest agent: every key
 * it accepts, with the Linux key code checked against linux/input.h (the
 * core writes the codes out, having no Linux headers in the EFI build);
 * every set of modifiers in every order and case; the normalized text; and
 * each way a hotkey can be wrong, which must leave the output untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/input.h>

#include "hotkey.h"
#include "util_garbage.h"

/* Parses a NUL-terminated string. */
static int parse(const char *s, struct sw_hotkey *hk)
{
        return sw_hotkey_parse(s, strlen(s), hk);
}

static void expect_key(const char *in, const char *text, unsigned mods, unsigned code)
{
        struct sw_hotkey hk;

        if (parse(in, &hk) != 0)
                fail_msg("'%s' was refused", in);
        assert_string_equal(hk.text, text);
        assert_int_equal(hk.mods, mods);
        assert_int_equal(hk.code, code);
}

static void test_digits_and_letters(void **state)
{
        static const unsigned digit[10] = { KEY_0, KEY_1, KEY_2, KEY_3, KEY_4,
                                            KEY_5, KEY_6, KEY_7, KEY_8, KEY_9 };
        static const unsigned letter[26] = {
                KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
                KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
        };
        char in[2] = { 0 }, out[2] = { 0 };

        for (int d = 0; d < 10; d++) {
                in[0] = (char)('0' + d);
                expect_key(in, in, 0, digit[d]);
        }
        for (int l = 0; l < 26; l++) {
                out[0] = (char)('a' + l);
                in[0] = out[0];
                expect_key(in, out, 0, letter[l]);
                /* Upper case is the same key, stored in lower case. */
                in[0] = (char)('A' + l);
                expect_key(in, out, 0, letter[l]);
        }
}

static void test_function_keys(void **state)
{
        static const unsigned fkey[12] = { KEY_F1, KEY_F2, KEY_F3, KEY_F4,  KEY_F5,  KEY_F6,
                                           KEY_F7, KEY_F8, KEY_F9, KEY_F10, KEY_F11, KEY_F12 };
        char in[8], out[8];

        for (int n = 1; n <= 12; n++) {
                snprintf(out, sizeof(out), "f%d", n);
                expect_key(out, out, 0, fkey[n - 1]);
                snprintf(in, sizeof(in), "F%d", n);
                expect_key(in, out, 0, fkey[n - 1]);
        }
        /* A lone "f" is the letter. */
        expect_key("F", "f", 0, KEY_F);
}

/*
 * Every subset of the four modifiers, in every order, in three spellings
 * (lower, upper, first letter upper): always the fixed order in lower case,
 * and the matching bits.
 */
static void test_modifiers_any_order_and_case(void **state)
{
        static const char *const name[4] = { "ctrl", "alt", "shift", "super" };
        static const unsigned bit[4] = { SW_MOD_CTRL, SW_MOD_ALT, SW_MOD_SHIFT, SW_MOD_SUPER };
        static const int perms[24][4] = {
                { 0, 1, 2, 3 }, { 0, 1, 3, 2 }, { 0, 2, 1, 3 }, { 0, 2, 3, 1 }, { 0, 3, 1, 2 }, { 0, 3, 2, 1 },
                { 1, 0, 2, 3 }, { 1, 0, 3, 2 }, { 1, 2, 0, 3 }, { 1, 2, 3, 0 }, { 1, 3, 0, 2 }, { 1, 3, 2, 0 },
                { 2, 0, 1, 3 }, { 2, 0, 3, 1 }, { 2, 1, 0, 3 }, { 2, 1, 3, 0 }, { 2, 3, 0, 1 }, { 2, 3, 1, 0 },
                { 3, 0, 1, 2 }, { 3, 0, 2, 1 }, { 3, 1, 0, 2 }, { 3, 1, 2, 0 }, { 3, 2, 0, 1 }, { 3, 2, 1, 0 },
        };
        unsigned checked = 0;

        for (unsigned set = 0; set < 16; set++) {
                char want[SW_HOTKEY_MAX] = "";
                unsigned mods = 0;

                for (int m = 0; m < 4; m++) {
                        if (set & (1u << m)) {
                                strcat(want, name[m]);
                                strcat(want, "+");
                                mods |= bit[m];
                        }
                }
                strcat(want, "f7");
                for (int p = 0; p < 24; p++) {
                        for (int spelling = 0; spelling < 3; spelling++) {
                                char in[64] = "";

                                for (int k = 0; k < 4; k++) {
                                        int m = perms[p][k];
                                        size_t at = strlen(in);

                                        if (!(set & (1u << m)))
                                                continue;
                                        strcat(in, name[m]);
                                        for (size_t c = at; in[c]; c++)
                                                if (spelling == 1 || (spelling == 2 && c == at))
                                                        in[c] = (char)(in[c] - 'a' + 'A');
                                        strcat(in, "+");
                                }
                                strcat(in, spelling ? "F7" : "f7");
                                expect_key(in, want, mods, KEY_F7);
                                checked++;
                        }
                }
        }
        assert_int_equal(checked, 16 * 24 * 3);
}

static void test_normalized_text(void **state)
{
        static const struct {
                const char *in, *out;
                unsigned mods, code;
        } cases[] = {
                { "ctrl+alt+1", "ctrl+alt+1", SW_MOD_CTRL | SW_MOD_ALT, KEY_1 },
                { "Alt+Ctrl+1", "ctrl+alt+1", SW_MOD_CTRL | SW_MOD_ALT, KEY_1 },
                { "SUPER+shift+Alt+CTRL+f10", "ctrl+alt+shift+super+f10",
                  SW_MOD_CTRL | SW_MOD_ALT | SW_MOD_SHIFT | SW_MOD_SUPER, KEY_F10 },
                { "shift+Z", "shift+z", SW_MOD_SHIFT, KEY_Z },
                { "super+0", "super+0", SW_MOD_SUPER, KEY_0 },
                { "cTrL+q", "ctrl+q", SW_MOD_CTRL, KEY_Q },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                expect_key(cases[i].in, cases[i].out, cases[i].mods, cases[i].code);
}

/* The longest hotkey there is fits the field with room to spare. */
static void test_longest_fits(void **state)
{
        struct sw_hotkey hk;

        assert_int_equal(parse("Super+Shift+Alt+Ctrl+F12", &hk), 0);
        assert_string_equal(hk.text, "ctrl+alt+shift+super+f12");
        assert_true(strlen(hk.text) < SW_HOTKEY_MAX);
}

/* The config hands in slices of its lines: nothing past n is read. */
static void test_slice_not_terminated(void **state)
{
        static const char line[] = "ctrl+alt+2 # comment";
        char *exact = malloc(10);
        struct sw_hotkey hk;

        assert_non_null(exact);
        memcpy(exact, "ctrl+alt+3", 10);     /* no NUL anywhere */
        assert_int_equal(sw_hotkey_parse(exact, 10, &hk), 0);
        assert_string_equal(hk.text, "ctrl+alt+3");
        assert_int_equal(hk.code, KEY_3);
        free(exact);

        assert_int_equal(sw_hotkey_parse(line, 10, &hk), 0);
        assert_string_equal(hk.text, "ctrl+alt+2");
        /* Cut inside the key or a modifier: what is left is judged. */
        assert_int_equal(sw_hotkey_parse("f12", 2, &hk), 0);
        assert_string_equal(hk.text, "f1");
        assert_int_equal(sw_hotkey_parse("ctrl+alt+1", 8, &hk), -1);
        assert_int_equal(sw_hotkey_parse("ctrl+alt+1", 0, &hk), -1);
}

static void test_rejections(void **state)
{
        static const char *const bad[] = {
                /* empty parts */
                "", "+", "ctrl+", "+1", "ctrl++1", "++1",
                /* modifiers: repeated, unknown, alone, after the key */
                "ctrl+ctrl+1", "Ctrl+CTRL+1", "ctrl+alt+shift+super+ctrl+1", "meta+1", "win+1", "control+1",
                "ctrl+alt", "ctrl", "1+ctrl", "1+2",
                /* keys outside the set */
                "f0", "f13", "f01", "f012", "f100", "f1a", "fx", "ff", "ctrl+12", "esc", "space", "!", "-",
                "\xc3\xa4", "ctrl+\xc3\xa4",
                /* spaces are not allowed anywhere */
                "ctrl + 1", " 1", "1 ", "ctrl+ 1", "ctrl +1", "\t1",
        };
        struct sw_hotkey hk, before;

        memset(&hk, 0x5a, sizeof(hk));
        before = hk;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (parse(bad[i], &hk) != -1)
                        fail_msg("'%s' was accepted as '%s'", bad[i], hk.text);
                assert_memory_equal(&hk, &before, sizeof(hk));
        }
        /* A NUL inside the slice is not a key either. */
        assert_int_equal(sw_hotkey_parse("ctrl+\0", 6, &hk), -1);
        assert_int_equal(sw_hotkey_parse("ct\0l+1", 7, &hk), -1);
        assert_int_equal(sw_hotkey_parse("ctrl\0+1", 7, &hk), -1);
        assert_memory_equal(&hk, &before, sizeof(hk));
}

/*
 * Random strings over the hotkey alphabet: whatever is accepted is already
 * in its normal form once parsed again (same text, bits and code), and the
 * text always fits.
 */
static void test_garbage_round_trip(void **state)
{
        static const char alphabet[] = "ctrlaishfupe+CTRLALSHIFTUPE0123456789fF+ +zq";
        unsigned accepted = 0;

        for (int round = 0; round < 200000; round++) {
                char in[16];
                size_t n = 1 + garbage_u32() % (sizeof(in) - 1);
                struct sw_hotkey a, b;

                for (size_t i = 0; i < n; i++)
                        in[i] = alphabet[garbage_u32() % (sizeof(alphabet) - 1)];
                if (sw_hotkey_parse(in, n, &a) != 0)
                        continue;
                accepted++;
                assert_true(strlen(a.text) < SW_HOTKEY_MAX);
                assert_int_equal(parse(a.text, &b), 0);
                assert_string_equal(b.text, a.text);
                assert_int_equal(b.mods, a.mods);
                assert_int_equal(b.code, a.code);
        }
        /* The alphabet makes plenty of good keys: the loop proves something. */
        assert_true(accepted > 1000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_digits_and_letters),
                cmocka_unit_test(test_function_keys),
                cmocka_unit_test(test_modifiers_any_order_and_case),
                cmocka_unit_test(test_normalized_text),
                cmocka_unit_test(test_longest_fits),
                cmocka_unit_test(test_slice_not_terminated),
                cmocka_unit_test(test_rejections),
                cmocka_unit_test(test_garbage_round_trip),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
