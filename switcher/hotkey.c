/* SPDX-License-Identifier: MIT */
/*
 * Hotkey parsing (see hotkey.h).  Only memcpy, memcmp and strlen from libc:
 * this file is built into switcher.efi as well, where efi/libc.c (and
 * GNU-EFI's memcpy) is all there is.
 */
#include "hotkey.h"

#include <string.h>

static const struct {
        const char *name;
        unsigned bit;
} mods[] = {
        /* The order of the normalized text. */
        { "ctrl", SW_MOD_CTRL },
        { "alt", SW_MOD_ALT },
        { "shift", SW_MOD_SHIFT },
        { "super", SW_MOD_SUPER },
};

#define NMODS (sizeof(mods) / sizeof(mods[0]))

/*
 * Linux numbers the letter keys as the PC keyboard's scan codes do, row by
 * row: q..p from KEY_Q (16), a..l from KEY_A (30), z..m from KEY_Z (44).
 */
static const struct {
        const char *keys;
        unsigned first;
} rows[] = {
        { "qwertyuiop", 16 },
        { "asdfghjkl", 30 },
        { "zxcvbnm", 44 },
};

/* KEY_1..KEY_9 are 2..10 and KEY_0 follows them. */
#define KEY_1_CODE 2u
#define KEY_0_CODE 11u
/* KEY_F1..KEY_F10 are 59..68; F11 and F12 came later, at 87 and 88. */
#define KEY_F1_CODE 59u
#define KEY_F11_CODE 87u

static char lower(char ch)
{
        return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* Which modifier the n bytes at v name (any case): its index, or NMODS. */
static size_t mod_index(const char *v, size_t n)
{
        char word[8];
        size_t m;

        /* Longer than any modifier's name: none of them. */
        if (n >= sizeof(word))
                return NMODS;
        for (size_t i = 0; i < n; i++)
                word[i] = lower(v[i]);
        /* By length and bytes: a NUL in the slice is not the end of it. */
        for (m = 0; m < NMODS; m++)
                if (strlen(mods[m].name) == n && memcmp(word, mods[m].name, n) == 0)
                        break;
        return m;
}

/* The code of a digit or (lower-case) letter, or 0. */
static unsigned char_code(char c)
{
        if (c >= '1' && c <= '9')
                return KEY_1_CODE + (unsigned)(c - '1');
        if (c == '0')
                return KEY_0_CODE;
        for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
                for (unsigned i = 0; rows[r].keys[i]; i++)
                        if (rows[r].keys[i] == c)
                                return rows[r].first + i;
        return 0;
}

/* "f1".."f12" (either case, no leading zero) into its number, or 0. */
static unsigned fkey_number(const char *v, size_t n)
{
        unsigned num = 0;

        if (n < 2 || n > 3 || lower(v[0]) != 'f' || v[1] == '0')
                return 0;
        for (size_t i = 1; i < n; i++) {
                if (v[i] < '0' || v[i] > '9')
                        return 0;
                num = num * 10 + (unsigned)(v[i] - '0');
        }
        return num <= 12 ? num : 0;
}

int sw_hotkey_parse(const char *v, size_t n, struct sw_hotkey *out)
{
        struct sw_hotkey hk = { .mods = 0 };
        char key[4];
        size_t i = 0, o = 0;

        /* Modifiers up to the last '+', then the key. */
        for (;;) {
                size_t j, tn, m;

                for (j = i; j < n && v[j] != '+'; j++)
                        ;
                tn = j - i;
                if (tn == 0)
                        return -1;
                if (j == n) {
                        unsigned fn = fkey_number(v + i, tn);

                        if (tn == 1 && (hk.code = char_code(lower(v[i]))) != 0) {
                                key[0] = lower(v[i]);
                                key[1] = '\0';
                        } else if (fn) {
                                hk.code = fn <= 10 ? KEY_F1_CODE + fn - 1 : KEY_F11_CODE + fn - 11;
                                key[0] = 'f';
                                memcpy(key + 1, v + i + 1, tn - 1);
                                key[tn] = '\0';
                        } else {
                                return -1;
                        }
                        break;
                }
                m = mod_index(v + i, tn);
                if (m == NMODS || (hk.mods & mods[m].bit))
                        return -1;
                hk.mods |= mods[m].bit;
                i = j + 1;
        }
        /* At most "ctrl+alt+shift+super+f12": 24 bytes, inside the field. */
        for (size_t m = 0; m < NMODS; m++) {
                if (hk.mods & mods[m].bit) {
                        size_t ml = strlen(mods[m].name);

                        memcpy(hk.text + o, mods[m].name, ml);
                        o += ml;
                        hk.text[o++] = '+';
                }
        }
        memcpy(hk.text + o, key, strlen(key) + 1);
        *out = hk;
        return 0;
}
