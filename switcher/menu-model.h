/* SPDX-License-Identifier: MIT */
/*
 * The boot menu a person sees, without EFI: which slot is highlighted,
 * which is the default, what each key does, the countdown, the text and
 * colour class of every screen line, and the lines the menu leaves in the
 * serial log.  efi/menu.c only draws these lines and turns firmware key
 * strokes into the key codes below, so everything the menu decides is
 * tested on the host (tests/unit/test_menu.c).
 *
 * The screen, top to bottom:
 *
 *      switcher 0.1 - multi-OS partition switcher          (title bar)
 *
 *          Slot                                 Kind           Hotkey
 *       *1  Debian 12                           swap           ctrl+alt+1
 *        2  Debian testing                      in-place       ctrl+alt+2
 *        3  Old 32-bit system                   i386           -
 *
 *      Booting Debian 12 in 5 s. Any key stops the countdown.
 *      (a status line: what the last key did, when it has something to say)
 *
 *      Problems found at start-up (1 warning, 0 errors):
 *      warning: /EFI/BOOT/partitions.conf:5: unknown key 'colour', ignored
 *
 *      1-3 boot  Up/Down select  Enter boot  d make default  * default
 *
 * The highlighted row (reverse video) is the slot Enter boots; the star
 * marks the default.  The countdown line is the only one that changes with
 * time, and it goes blank at the first key, so a stopped menu is still.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"

/* Larger screens use this much of themselves; every firmware has 80x25. */
#define SW_MENU_COLS_MAX 132
#define SW_MENU_ROWS_MAX 60
/* A screen line in UTF-8: at most 4 bytes a column, and the NUL. */
#define SW_MENU_LINE_MAX (SW_MENU_COLS_MAX * 4 + 1)
/* Warnings and errors kept for the screen; the serial log has them all. */
#define SW_MENU_MSGS_MAX 24
#define SW_MENU_MSG_MAX 512
#define SW_MENU_TEXT_MAX 256

/* Key codes: a character is its Unicode value; the rest lie above it. */
enum sw_menu_keycode {
        SW_MENU_KEY_UP = 0x10000,
        SW_MENU_KEY_DOWN,
        SW_MENU_KEY_HOME,
        SW_MENU_KEY_END,
        SW_MENU_KEY_OTHER,      /* means nothing here; it only stops the countdown */
};

/* What a line looks like; efi/menu.c picks the colours. */
enum sw_menu_attr {
        SW_MENU_NORMAL,
        SW_MENU_TITLE,
        SW_MENU_HEADER,
        SW_MENU_SELECTED,
        SW_MENU_WARN,
        SW_MENU_ERROR,
        SW_MENU_HELP,
};

enum sw_menu_action {
        SW_MENU_STAY,           /* redraw and wait for the next key or second */
        SW_MENU_BOOT,           /* boot sw_menu_chosen() */
        SW_MENU_SET_DEFAULT,    /* store sw_menu_default_id(), then sw_menu_default_done() */
};

/* Warnings and errors said before the menu, for the menu to show again. */
struct sw_menu_msgs {
        unsigned n;                     /* kept */
        unsigned lost;                  /* more than SW_MENU_MSGS_MAX */
        unsigned warnings, errors;      /* all of them, kept or not */
        enum sw_severity sev[SW_MENU_MSGS_MAX];
        char text[SW_MENU_MSGS_MAX][SW_MENU_MSG_MAX];
};

/* Keeps a copy of text when sev is a warning or an error; counts it. */
void sw_menu_msgs_add(struct sw_menu_msgs *m, enum sw_severity sev, const char *text);

struct sw_menu {
        const struct sw_config *cfg;
        const struct sw_menu_msgs *msgs;        /* may be NULL */
        char title[SW_MENU_TEXT_MAX];
        int slot[SW_MAX_SLOTS];                 /* config index of each entry */
        int count;
        int sel;                                /* highlighted entry */
        int def;                                /* default entry (the star) */
        unsigned left;                          /* seconds of countdown left */
        bool counting;
        bool booting;                           /* a key or the countdown chose */
        enum sw_menu_attr status_attr;
        char status[SW_MENU_TEXT_MAX];          /* "" when there is nothing to say */
        /* The serial log's account of the last step, lines joined by '\n'
         * without a final one; "" when the step changed nothing. */
        char event[2 * SW_MENU_TEXT_MAX];
};

/* A rendered screen: rows lines, each padded with spaces to width columns,
 * width being one less than the screen's: writing the last column makes a
 * firmware console wrap, and on the bottom row scroll. */
struct sw_menu_frame {
        unsigned rows, width;
        enum sw_menu_attr attr[SW_MENU_ROWS_MAX];
        char text[SW_MENU_ROWS_MAX][SW_MENU_LINE_MAX];
};

/* "switcher VERSION - multi-OS partition switcher" */
void sw_menu_title(char *buf, size_t n, const char *version);

/* What kind of slot s is, for a person: "swap", "in-place", "i386" or
 * "i386 in-place". */
const char *sw_menu_kind(const struct sw_slot_config *s);

/*
 * Starts the menu over the valid slots of c, in their order, highlighting
 * and starring default_index (the first valid slot when that one is not
 * valid), with c->timeout seconds of countdown (none when 0).  msgs may be
 * NULL.  Returns the number of entries; 0 means there is nothing to boot.
 */
int sw_menu_init(struct sw_menu *m, const struct sw_config *c, int default_index, const char *version,
                 const struct sw_menu_msgs *msgs);

/*
 * One key (a character or an SW_MENU_KEY_ code).  Every key stops the
 * countdown.  1-9 boots that entry at once; Enter boots the highlighted one;
 * Up, Down, Home and End move the highlight; d makes the highlighted entry
 * the default (the caller stores it, see SW_MENU_SET_DEFAULT); anything else
 * only stops the countdown.
 */
enum sw_menu_action sw_menu_key(struct sw_menu *m, unsigned key);

/* One second passed without a key: SW_MENU_BOOT when the countdown ran out. */
enum sw_menu_action sw_menu_tick(struct sw_menu *m);

/* Config index of the highlighted entry (the one to boot). */
int sw_menu_chosen(const struct sw_menu *m);

/* Id of the default entry, for the caller that stores it. */
const char *sw_menu_default_id(const struct sw_menu *m);

/* After SW_MENU_SET_DEFAULT: whether the caller could store the default,
 * and if not, why (a short phrase).  Sets the status line and the event. */
void sw_menu_default_done(struct sw_menu *m, bool saved, const char *why);

/* The entries as the serial log has always shown them, one call of line()
 * per line: a blank line, "Slots (number or arrows, Enter to boot):", then
 * " => 1) TITLE [ID, KIND]" (", HOTKEY" before the ']' when there is one)
 * with "=>" on the highlighted entry. */
void sw_menu_list(const struct sw_menu *m, void (*line)(void *ctx, const char *text), void *ctx);

/* The screen for cols x rows characters (cut to SW_MENU_COLS_MAX x
 * SW_MENU_ROWS_MAX). */
void sw_menu_render(const struct sw_menu *m, unsigned cols, unsigned rows, struct sw_menu_frame *f);
