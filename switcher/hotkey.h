/* SPDX-License-Identifier: MIT */
/*
 * Hotkeys: "ctrl+alt+1".  One parser for the two places that read them,
 * partitions.conf (switcher/config.c, which stores the normalized text and
 * hands it to the guests through the mailbox) and the guest agent (which
 * matches it against the keyboard's events), so a key the config accepts is
 * always a key the agent can watch for.
 *
 * Syntax: any of ctrl, alt, shift, super, each at most once, in any order and
 * case, joined by '+', then one key: a digit, a letter, or f1 to f12.  The
 * normalized text has the modifiers in that fixed order and everything in
 * lower case, so two spellings of one key are equal strings.
 *
 * The key code is Linux's (linux/input-event-codes.h, a stable ABI), written
 * out here because the core is also built into the EFI binary, which has no
 * Linux headers; tests/unit/test_hotkey.c checks every one against them.
 */
#pragma once

#include <stddef.h>

/* Room for the longest normalized hotkey, "ctrl+alt+shift+super+f12" (24
 * bytes and its NUL), with some to spare. */
#define SW_HOTKEY_MAX 32

/* Modifier bits of struct sw_hotkey.mods: either side's key counts. */
enum sw_hotkey_mod {
        SW_MOD_CTRL = 1,
        SW_MOD_ALT = 2,
        SW_MOD_SHIFT = 4,
        SW_MOD_SUPER = 8,
};

struct sw_hotkey {
        char text[SW_HOTKEY_MAX];  /* normalized: "ctrl+alt+1" */
        unsigned mods;             /* SW_MOD_* */
        unsigned code;             /* Linux key code of the key (KEY_1 is 2) */
};

/*
 * Parses the n bytes at v (no NUL needed: the config hands in slices of its
 * lines).  Returns 0 and fills *out, or -1 for anything else (empty, an
 * empty part, an unknown or repeated modifier, a key that is not a digit, a
 * letter or f1..f12, spaces); *out is then untouched.
 */
int sw_hotkey_parse(const char *v, size_t n, struct sw_hotkey *out);
