/* SPDX-License-Identifier: MIT */
/*
 * The boot menu's model (switcher/menu-model.c): what each key does, the
 * countdown, the default, the exact screen a person sees at 80x25 and how
 * it copes with long titles, many problems and odd screen sizes, the lines
 * it leaves in the serial log (the tests in tests/ovmf read them), and the
 * 'verbose' key of partitions.conf that decides where diagnostics go.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "menu-model.h"
#include "util_capture.h"

static struct sw_config cfg;
static struct sw_menu menu;
static struct sw_menu_frame frame;
static struct sw_menu_msgs msgs;
static struct capture cap;

static const char three_slots[] =
        "timeout 5\n"
        "default b\n"
        "\n"
        "slot a\n"
        "title Debian 12\n"
        "linux /a/vmlinuz\n"
        "hotkey ctrl+alt+1\n"
        "\n"
        "slot b\n"
        "title Debian testing\n"
        "linux /b/vmlinuz\n"
        "mode in-place\n"
        "memory 64M\n"
        "hotkey ctrl+alt+2\n"
        "\n"
        "slot c\n"
        "title Old 32-bit system\n"
        "linux /c/vmlinuz\n"
        "arch i386\n";

static void parse(const char *text)
{
        struct sw_diag d = { .emit = capture_emit, .ctx = &cap };

        memset(&cap, 0, sizeof(cap));
        sw_config_parse(&cfg, text, strlen(text), "p.conf", &d);
}

static void start(const char *text)
{
        parse(text);
        memset(&msgs, 0, sizeof(msgs));
        assert_int_equal(cap.n, 0);
        sw_menu_init(&menu, &cfg, sw_config_default_index(&cfg), "0.1", &msgs);
}

/* text padded with spaces to the 79 columns of an 80-column screen. */
static const char *row79(const char *text)
{
        static char buf[4][256];
        static unsigned k;
        char *b = buf[k++ % 4];

        snprintf(b, sizeof(buf[0]), "%-79s", text);
        return b;
}

/* A slot row: the lead (" *1"), then title, kind and hotkey in their
 * columns (6, 54, 69 at 80 columns with a 10-character hotkey). */
static const char *slot79(const char *lead, const char *title, const char *kind, const char *hotkey)
{
        char b[256];

        snprintf(b, sizeof(b), "%-6s%-48s%-15s%s", lead, title, kind, hotkey);
        return row79(b);
}

static void assert_row(unsigned r, enum sw_menu_attr attr, const char *text)
{
        if (strcmp(frame.text[r], text) != 0)
                fail_msg("row %u:\n  got  [%s]\n  want [%s]", r, frame.text[r], text);
        assert_int_equal(frame.attr[r], attr);
}

static void test_init(void **state)
{
        start(three_slots);
        assert_int_equal(menu.count, 3);
        assert_int_equal(menu.sel, 1);
        assert_int_equal(menu.def, 1);
        assert_true(menu.counting);
        assert_int_equal(menu.left, 5);
        assert_int_equal(sw_menu_chosen(&menu), 1);
        assert_string_equal(sw_menu_default_id(&menu), "b");
        assert_string_equal(menu.event, "menu: booting 'b' in 5 s unless a key is pressed");
}

static void test_init_skips_dropped_and_bad_default(void **state)
{
        start(three_slots);
        /* b dropped (say, its kernel is missing): the default falls back
         * to the first valid slot, and b is not offered. */
        cfg.slots[1].valid = false;
        assert_int_equal(sw_menu_init(&menu, &cfg, sw_config_default_index(&cfg), "0.1", NULL), 2);
        assert_int_equal(menu.slot[0], 0);
        assert_int_equal(menu.slot[1], 2);
        assert_int_equal(menu.def, 0);
        assert_int_equal(sw_menu_chosen(&menu), 0);
        assert_int_equal(sw_menu_init(&menu, &cfg, 7, "0.1", NULL), 2);
        assert_int_equal(menu.sel, 0);
        for (unsigned i = 0; i < cfg.nslots; i++)
                cfg.slots[i].valid = false;
        assert_int_equal(sw_menu_init(&menu, &cfg, 0, "0.1", NULL), 0);
        assert_int_equal(sw_menu_chosen(&menu), -1);
        assert_string_equal(sw_menu_default_id(&menu), "");
        assert_int_equal(sw_menu_key(&menu, '\r'), SW_MENU_STAY);
        assert_int_equal(sw_menu_tick(&menu), SW_MENU_STAY);
}

static void test_no_timeout_waits(void **state)
{
        start("timeout 0\nslot a\nlinux /a\n");
        assert_false(menu.counting);
        assert_string_equal(menu.event, "menu: waiting for a key");
        assert_int_equal(sw_menu_tick(&menu), SW_MENU_STAY);
        assert_string_equal(menu.event, "");
}

static void test_arrows(void **state)
{
        start(three_slots);
        assert_int_equal(sw_menu_key(&menu, SW_MENU_KEY_DOWN), SW_MENU_STAY);
        assert_int_equal(menu.sel, 2);
        assert_false(menu.counting);
        assert_string_equal(menu.event, "menu: countdown stopped\nmenu: selected 'c'");
        /* At the bottom, Down changes nothing and says nothing. */
        assert_int_equal(sw_menu_key(&menu, SW_MENU_KEY_DOWN), SW_MENU_STAY);
        assert_int_equal(menu.sel, 2);
        assert_string_equal(menu.event, "");
        sw_menu_key(&menu, SW_MENU_KEY_UP);
        assert_int_equal(menu.sel, 1);
        assert_string_equal(menu.event, "menu: selected 'b'");
        sw_menu_key(&menu, SW_MENU_KEY_HOME);
        assert_int_equal(menu.sel, 0);
        sw_menu_key(&menu, SW_MENU_KEY_UP);
        assert_int_equal(menu.sel, 0);
        sw_menu_key(&menu, SW_MENU_KEY_END);
        assert_int_equal(menu.sel, 2);
        /* Moving never changes the default. */
        assert_int_equal(menu.def, 1);
}

static void test_any_key_stops_countdown(void **state)
{
        start(three_slots);
        assert_int_equal(sw_menu_key(&menu, SW_MENU_KEY_OTHER), SW_MENU_STAY);
        assert_false(menu.counting);
        assert_int_equal(menu.sel, 1);
        assert_string_equal(menu.event, "menu: countdown stopped");
        /* No second runs out any more. */
        for (int i = 0; i < 10; i++)
                assert_int_equal(sw_menu_tick(&menu), SW_MENU_STAY);
        assert_false(menu.booting);
        assert_int_equal(sw_menu_key(&menu, 'x'), SW_MENU_STAY);
        assert_string_equal(menu.event, "");
}

static void test_countdown(void **state)
{
        start(three_slots);
        for (unsigned left = 4; left >= 1; left--) {
                assert_int_equal(sw_menu_tick(&menu), SW_MENU_STAY);
                assert_int_equal(menu.left, left);
                /* The serial log is not told every second. */
                assert_string_equal(menu.event, "");
        }
        assert_int_equal(sw_menu_tick(&menu), SW_MENU_BOOT);
        assert_true(menu.booting);
        assert_int_equal(sw_menu_chosen(&menu), 1);
        assert_string_equal(menu.event, "menu: timeout: booting 'b'");
        /* Once booting, nothing moves. */
        assert_int_equal(sw_menu_key(&menu, SW_MENU_KEY_UP), SW_MENU_STAY);
        assert_int_equal(menu.sel, 1);
}

static void test_digits(void **state)
{
        start(three_slots);
        assert_int_equal(sw_menu_key(&menu, '4'), SW_MENU_STAY);
        assert_string_equal(menu.status, "There is no slot 4.");
        assert_int_equal(menu.status_attr, SW_MENU_WARN);
        assert_string_equal(menu.event, "menu: countdown stopped\nmenu: key 4: no such slot");
        assert_int_equal(sw_menu_key(&menu, '0'), SW_MENU_STAY);
        assert_int_equal(sw_menu_key(&menu, '1'), SW_MENU_BOOT);
        assert_int_equal(sw_menu_chosen(&menu), 0);
        assert_string_equal(menu.event, "menu: key 1: booting 'a'");
        assert_string_equal(menu.status, "");
}

static void test_enter(void **state)
{
        start(three_slots);
        sw_menu_key(&menu, SW_MENU_KEY_DOWN);
        assert_int_equal(sw_menu_key(&menu, '\r'), SW_MENU_BOOT);
        assert_int_equal(sw_menu_chosen(&menu), 2);
        assert_string_equal(menu.event, "menu: Enter: booting 'c'");
        start(three_slots);
        assert_int_equal(sw_menu_key(&menu, '\n'), SW_MENU_BOOT);
        assert_int_equal(sw_menu_chosen(&menu), 1);
        assert_string_equal(menu.event, "menu: countdown stopped\nmenu: Enter: booting 'b'");
}

static void test_set_default(void **state)
{
        start(three_slots);
        sw_menu_key(&menu, SW_MENU_KEY_HOME);
        assert_int_equal(sw_menu_key(&menu, 'd'), SW_MENU_SET_DEFAULT);
        assert_int_equal(menu.def, 0);
        assert_string_equal(sw_menu_default_id(&menu), "a");
        sw_menu_default_done(&menu, false, "no variable store");
        assert_string_equal(menu.status, "Default for this boot only: Debian 12 (not saved: no variable store).");
        assert_string_equal(menu.event, "menu: default for this boot only: 'a' (not saved: no variable store)");
        /* Setting the default boots nothing. */
        assert_false(menu.booting);
        sw_menu_key(&menu, SW_MENU_KEY_END);
        assert_int_equal(sw_menu_key(&menu, 'D'), SW_MENU_SET_DEFAULT);
        sw_menu_default_done(&menu, true, NULL);
        assert_string_equal(menu.status, "Default slot: Old 32-bit system (saved).");
        assert_string_equal(menu.event, "menu: default: 'c' (saved)");
        sw_menu_default_done(&menu, false, NULL);
        assert_string_equal(menu.status, "Default for this boot only: Old 32-bit system (not saved: unknown reason).");
}

static void test_kind(void **state)
{
        struct sw_slot_config s = { .mode = SW_MODE_SWAP, .arch = SW_ARCH_X86_64 };

        assert_string_equal(sw_menu_kind(&s), "swap");
        s.arch = SW_ARCH_AUTO;
        assert_string_equal(sw_menu_kind(&s), "swap");
        s.mode = SW_MODE_IN_PLACE;
        assert_string_equal(sw_menu_kind(&s), "in-place");
        s.arch = SW_ARCH_I386;
        assert_string_equal(sw_menu_kind(&s), "i386 in-place");
        s.mode = SW_MODE_SWAP;
        assert_string_equal(sw_menu_kind(&s), "i386");
}

/* The serial lines tests/ovmf/t-boot.sh and t-badconf.sh read. */
static char listed[8][256];
static unsigned nlisted;

static void list_line(void *ctx, const char *text)
{
        if (nlisted < 8)
                snprintf(listed[nlisted], sizeof(listed[0]), "%s", text);
        nlisted++;
}

static void test_serial_list(void **state)
{
        start(three_slots);
        nlisted = 0;
        sw_menu_list(&menu, list_line, NULL);
        assert_int_equal(nlisted, 5);
        assert_string_equal(listed[0], "");
        assert_string_equal(listed[1], "Slots (number or arrows, Enter to boot):");
        assert_string_equal(listed[2], "    1) Debian 12                        [a, swap, ctrl+alt+1]");
        assert_string_equal(listed[3], " => 2) Debian testing                   [b, in-place, ctrl+alt+2]");
        assert_string_equal(listed[4], "    3) Old 32-bit system                [c, i386]");
}

static void test_screen_80x25(void **state)
{
        start(three_slots);
        sw_menu_render(&menu, 80, 25, &frame);
        assert_int_equal(frame.rows, 25);
        assert_int_equal(frame.width, 79);
        assert_row(0, SW_MENU_TITLE, row79(" switcher 0.1 - multi-OS partition switcher"));
        assert_row(1, SW_MENU_NORMAL, row79(""));
        assert_row(2, SW_MENU_HEADER, slot79("", "Slot", "Kind", "Hotkey"));
        assert_row(3, SW_MENU_NORMAL, slot79("  1", "Debian 12", "swap", "ctrl+alt+1"));
        assert_row(4, SW_MENU_SELECTED, slot79(" *2", "Debian testing", "in-place", "ctrl+alt+2"));
        assert_row(5, SW_MENU_NORMAL, slot79("  3", "Old 32-bit system", "i386", "-"));
        assert_row(6, SW_MENU_NORMAL, row79(""));
        assert_row(7, SW_MENU_NORMAL, row79("Booting Debian testing in 5 s. Any key stops the countdown."));
        for (unsigned r = 8; r < 24; r++)
                assert_row(r, SW_MENU_NORMAL, row79(""));
        assert_row(24, SW_MENU_HELP, row79(" 1-3 boot  Up/Down select  Enter boot  d make default  * default"));

        /* The countdown goes in place, second by second... */
        sw_menu_tick(&menu);
        sw_menu_render(&menu, 80, 25, &frame);
        assert_row(7, SW_MENU_NORMAL, row79("Booting Debian testing in 4 s. Any key stops the countdown."));
        /* ...and is gone at the first key, which leaves a still screen. */
        sw_menu_key(&menu, SW_MENU_KEY_UP);
        assert_int_equal(sw_menu_key(&menu, 'd'), SW_MENU_SET_DEFAULT);
        sw_menu_default_done(&menu, false, "not supported");
        sw_menu_render(&menu, 80, 25, &frame);
        assert_row(3, SW_MENU_SELECTED, slot79(" *1", "Debian 12", "swap", "ctrl+alt+1"));
        assert_row(4, SW_MENU_NORMAL, slot79("  2", "Debian testing", "in-place", "ctrl+alt+2"));
        assert_row(7, SW_MENU_NORMAL, row79(""));
        assert_row(8, SW_MENU_NORMAL, row79("Default for this boot only: Debian 12 (not saved: not supported)."));
        /* Once chosen, the countdown line says what boots. */
        sw_menu_key(&menu, '\r');
        sw_menu_render(&menu, 80, 25, &frame);
        assert_row(7, SW_MENU_NORMAL, row79("Booting Debian 12..."));
}

static void test_one_slot_help(void **state)
{
        char want[128];

        start("slot only\nlinux /k\n");
        sw_menu_render(&menu, 80, 25, &frame);
        /* No title: the id stands for it.  Without hotkeys their column is
         * as wide as its heading, and the title's four columns wider. */
        snprintf(want, sizeof(want), "%-6s%-52s%-15s%s", " *1", "only", "swap", "-");
        assert_row(3, SW_MENU_SELECTED, row79(want));
        assert_row(24, SW_MENU_HELP, row79(" 1 boot  Enter boot  d make default  * default"));
}

static void test_long_and_utf8_titles(void **state)
{
        char conf[512], want[256];

        /* 60 characters, 2 bytes each for the first ten. */
        snprintf(conf, sizeof(conf),
                 "slot a\ntitle %s%s\nlinux /a\nhotkey ctrl+alt+shift+super+f12\n",
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
                 "01234567890123456789012345678901234567890123456789");
        start(conf);
        sw_menu_render(&menu, 80, 25, &frame);
        /* The hotkey column widens to 24; the title gets 79-6-2-13-2-24 =
         * 32 columns: 29 characters and "...". */
        snprintf(want, sizeof(want), "%-6s%s%s...  %-15s%s", " *1",
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
                 "0123456789012345678", "swap", "ctrl+alt+shift+super+f12");
        assert_string_equal(frame.text[3], want);
        assert_int_equal(strlen(frame.text[3]), 79 + 10);
}

static void test_problems_shown(void **state)
{
        start(three_slots);
        sw_menu_msgs_add(&msgs, SW_INFO, "not kept");
        sw_menu_msgs_add(&msgs, SW_WARN, "p.conf:5: unknown key 'colour', ignored");
        sw_menu_msgs_add(&msgs, SW_ERROR,
                         "p.conf:12: slot 'nokernel': kernel '/slots/nokernel/vmlinuz' not found; slot dropped");
        assert_int_equal(msgs.n, 2);
        sw_menu_render(&menu, 80, 25, &frame);
        assert_row(9, SW_MENU_NORMAL, row79(""));
        assert_row(10, SW_MENU_ERROR, row79("Problems found at start-up (1 warning, 1 error):"));
        assert_row(11, SW_MENU_WARN, row79("warning: p.conf:5: unknown key 'colour', ignored"));
        /* Wrapped at a space, the rest indented. */
        assert_row(12, SW_MENU_ERROR,
                   row79("error: p.conf:12: slot 'nokernel': kernel '/slots/nokernel/vmlinuz' not found;"));
        assert_row(13, SW_MENU_ERROR, row79("  slot dropped"));
        assert_row(14, SW_MENU_NORMAL, row79(""));
        assert_row(24, SW_MENU_HELP, row79(" 1-3 boot  Up/Down select  Enter boot  d make default  * default"));
}

static void test_problems_overflow(void **state)
{
        char text[64];

        start(three_slots);
        for (unsigned i = 0; i < SW_MENU_MSGS_MAX + 3; i++) {
                snprintf(text, sizeof(text), "p.conf:%u: problem %u", i + 1, i + 1);
                sw_menu_msgs_add(&msgs, i % 2 ? SW_ERROR : SW_WARN, text);
        }
        assert_int_equal(msgs.n, SW_MENU_MSGS_MAX);
        assert_int_equal(msgs.lost, 3);
        assert_int_equal(msgs.warnings + msgs.errors, SW_MENU_MSGS_MAX + 3);
        sw_menu_render(&menu, 80, 25, &frame);
        assert_row(10, SW_MENU_ERROR, row79("Problems found at start-up (14 warnings, 13 errors):"));
        /* Rows 11 to 22: eleven messages and the line that counts the rest;
         * row 23 stays blank above the help. */
        assert_row(11, SW_MENU_WARN, row79("warning: p.conf:1: problem 1"));
        assert_row(21, SW_MENU_WARN, row79("warning: p.conf:11: problem 11"));
        assert_row(22, SW_MENU_NORMAL, row79("... and 16 more; the serial console has them all."));
        assert_row(23, SW_MENU_NORMAL, row79(""));
}

static void test_problems_exactly_fit(void **state)
{
        char text[64];

        start(three_slots);
        /* Rows 11 to 22 hold twelve one-line messages: no "more" line. */
        for (unsigned i = 0; i < 12; i++) {
                snprintf(text, sizeof(text), "problem %u", i + 1);
                sw_menu_msgs_add(&msgs, SW_WARN, text);
        }
        sw_menu_render(&menu, 80, 25, &frame);
        assert_row(22, SW_MENU_WARN, row79("warning: problem 12"));
        sw_menu_msgs_add(&msgs, SW_WARN, "problem 13");
        sw_menu_render(&menu, 80, 25, &frame);
        assert_row(21, SW_MENU_WARN, row79("warning: problem 11"));
        assert_row(22, SW_MENU_NORMAL, row79("... and 2 more; the serial console has them all."));
}

static void test_long_word_is_cut(void **state)
{
        char word[200], row[100];

        start(three_slots);
        memset(word, 'x', sizeof(word) - 1);
        word[sizeof(word) - 1] = '\0';
        sw_menu_msgs_add(&msgs, SW_WARN, word);
        sw_menu_render(&menu, 80, 25, &frame);
        /* "warning: " and 70 x, then 77 and 52 after the indent. */
        snprintf(row, sizeof(row), "warning: %.70s", word);
        assert_row(11, SW_MENU_WARN, row79(row));
        snprintf(row, sizeof(row), "  %.77s", word);
        assert_row(12, SW_MENU_WARN, row79(row));
        snprintf(row, sizeof(row), "  %.52s", word);
        assert_row(13, SW_MENU_WARN, row79(row));
}

static void test_odd_sizes(void **state)
{
        static const unsigned sizes[][2] = { { 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 4 }, { 10, 5 }, { 40, 12 },
                                             { 100, 31 }, { 400, 200 } };

        start(three_slots);
        for (unsigned i = 0; i < 30; i++)
                sw_menu_msgs_add(&msgs, SW_ERROR, "a problem with quite a long text to wrap on small screens");
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
                unsigned cols = sizes[k][0], rows = sizes[k][1];

                memset(&frame, 0x55, sizeof(frame));
                sw_menu_render(&menu, cols, rows, &frame);
                assert_true(frame.rows <= SW_MENU_ROWS_MAX);
                assert_true(frame.width < SW_MENU_COLS_MAX);
                for (unsigned r = 0; r < frame.rows; r++)
                        assert_int_equal(strlen(frame.text[r]), frame.width);
        }
        /* Larger screens use their first 132 x 60 characters. */
        assert_int_equal(frame.rows, SW_MENU_ROWS_MAX);
        assert_int_equal(frame.width, SW_MENU_COLS_MAX - 1);
}

static void test_malformed_utf8_title(void **state)
{
        char conf[400];

        /* One lead byte and a hundred continuation bytes: one column of
         * many bytes, which must not overrun the row. */
        memset(conf, 0, sizeof(conf));
        strcpy(conf, "slot a\nlinux /a\ntitle \xc3");
        memset(conf + strlen(conf), 0x80, 100);
        strcat(conf, "\n");
        parse(conf);
        sw_menu_init(&menu, &cfg, 0, "0.1", NULL);
        sw_menu_render(&menu, 132, 25, &frame);
        assert_true(strlen(frame.text[3]) < SW_MENU_LINE_MAX);
}

static void test_title(void **state)
{
        char buf[64];

        sw_menu_title(buf, sizeof(buf), "0.1");
        assert_string_equal(buf, "switcher 0.1 - multi-OS partition switcher");
        sw_menu_title(buf, sizeof(buf), NULL);
        assert_string_equal(buf, "switcher ? - multi-OS partition switcher");
}

/* partitions.conf's 'verbose': yes or no, global, a warning otherwise. */
static void test_verbose_key(void **state)
{
        parse("slot a\nlinux /a\n");
        assert_false(cfg.verbose);
        parse("verbose yes\nslot a\nlinux /a\n");
        assert_int_equal(cap.n, 0);
        assert_true(cfg.verbose);
        parse("verbose yes\nverbose no\nslot a\nlinux /a\n");
        assert_false(cfg.verbose);
        assert_int_equal(cap.n, 1);
        assert_string_equal(cap.msg[0], "p.conf:2: 'verbose' given twice (first at line 1), the later value wins");
        parse("verbose yes\nverbose loud\nslot a\nlinux /a\n");
        assert_true(cfg.verbose);
        assert_int_equal(cap.sev[1], SW_WARN);
        assert_string_equal(cap.msg[1], "p.conf:2: invalid verbose 'loud' (yes or no), kept at yes");
        parse("slot a\nlinux /a\nverbose yes\n");
        assert_false(cfg.verbose);
        assert_int_equal(cap.n, 1);
        assert_int_equal(cap.sev[0], SW_WARN);
        assert_string_equal(cap.msg[0],
                            "p.conf:3: slot 'a': 'verbose' is a global key; put it before the first 'slot' line; "
                            "ignored");
        /* The slot is unharmed: it is only about what is shown. */
        assert_true(cfg.slots[0].valid);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_init),
                cmocka_unit_test(test_init_skips_dropped_and_bad_default),
                cmocka_unit_test(test_no_timeout_waits),
                cmocka_unit_test(test_arrows),
                cmocka_unit_test(test_any_key_stops_countdown),
                cmocka_unit_test(test_countdown),
                cmocka_unit_test(test_digits),
                cmocka_unit_test(test_enter),
                cmocka_unit_test(test_set_default),
                cmocka_unit_test(test_kind),
                cmocka_unit_test(test_serial_list),
                cmocka_unit_test(test_screen_80x25),
                cmocka_unit_test(test_one_slot_help),
                cmocka_unit_test(test_long_and_utf8_titles),
                cmocka_unit_test(test_problems_shown),
                cmocka_unit_test(test_problems_overflow),
                cmocka_unit_test(test_problems_exactly_fit),
                cmocka_unit_test(test_long_word_is_cut),
                cmocka_unit_test(test_odd_sizes),
                cmocka_unit_test(test_malformed_utf8_title),
                cmocka_unit_test(test_title),
                cmocka_unit_test(test_verbose_key),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
