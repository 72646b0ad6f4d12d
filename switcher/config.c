/* SPDX-License-Identifier: MIT */
/*
 * The partitions.conf parser.  The input is untrusted bytes from the ESP: it
 * is read as (pointer, length) slices and never assumed NUL-terminated, every
 * copy into the fixed-size config is bounded, and a line that cannot be read
 * is never allowed to shift a key into the wrong slot.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "fmt.h"
#include "hotkey.h"

/* How many bytes of a user's value a message quotes; the rest is noise. */
#define QUOTE_MAX 80

_Static_assert(SW_PATH_MAX == 256, "normalize_path() says 255 bytes");

enum key {
        K_TIMEOUT,
        K_DEFAULT,
        K_ACTIVE_SIZE,
        K_CONSOLE,
        K_NEXT_HOTKEY,
        K_SLOT,
        K_TITLE,
        K_LINUX,
        K_INITRD,
        K_OPTIONS,
        K_SORT_KEY,
        K_PARTITION,
        K_HOTKEY,
        K_MODE,
        K_ARCH,
        K_MEMORY,
        K_DMA32_SIZE,
        K_VERIFY_STORE,
        K_PREWARM,
        K_ON_DAMAGE,
        K_HANDOFF,
        K_IMAGE,
        K_SNAPSHOT,
        K_VERBOSE,
        K_COUNT,
        K_UNKNOWN = K_COUNT,
};

enum key_scope { SCOPE_GLOBAL, SCOPE_SLOT, SCOPE_BOTH };

struct key_info {
        const char *name;
        enum key_scope scope;
        bool repeatable;
        /* A slot key whose value decides what or where a slot boots: when
         * its line cannot be read, the slot is dropped rather than booted
         * with a default in its place. */
        bool safety;
};

static const struct key_info keys[K_COUNT] = {
        [K_TIMEOUT] = { "timeout", SCOPE_GLOBAL, false, false },
        [K_DEFAULT] = { "default", SCOPE_GLOBAL, false, false },
        [K_ACTIVE_SIZE] = { "active-size", SCOPE_GLOBAL, false, true },
        [K_CONSOLE] = { "console", SCOPE_GLOBAL, false, false },
        [K_NEXT_HOTKEY] = { "next-hotkey", SCOPE_GLOBAL, false, false },
        [K_SLOT] = { "slot", SCOPE_BOTH, true, true },
        [K_TITLE] = { "title", SCOPE_SLOT, false, false },
        [K_LINUX] = { "linux", SCOPE_SLOT, false, true },
        [K_INITRD] = { "initrd", SCOPE_SLOT, true, true },
        [K_OPTIONS] = { "options", SCOPE_SLOT, true, true },
        [K_SORT_KEY] = { "sort-key", SCOPE_SLOT, false, false },
        [K_PARTITION] = { "partition", SCOPE_SLOT, false, true },
        [K_HOTKEY] = { "hotkey", SCOPE_SLOT, false, false },
        [K_MODE] = { "mode", SCOPE_SLOT, false, true },
        [K_ARCH] = { "arch", SCOPE_SLOT, false, true },
        [K_MEMORY] = { "memory", SCOPE_SLOT, false, true },
        [K_DMA32_SIZE] = { "dma32-size", SCOPE_SLOT, false, true },
        [K_VERIFY_STORE] = { "verify-store", SCOPE_SLOT, false, false },
        [K_PREWARM] = { "prewarm", SCOPE_SLOT, false, false },
        [K_ON_DAMAGE] = { "on-damage", SCOPE_SLOT, false, false },
        [K_HANDOFF] = { "handoff", SCOPE_SLOT, false, false },
        [K_IMAGE] = { "image", SCOPE_SLOT, false, true },
        [K_SNAPSHOT] = { "snapshot", SCOPE_SLOT, false, true },
        [K_VERBOSE] = { "verbose", SCOPE_GLOBAL, false, false },
};

enum section {
        SEC_GLOBAL,     /* before the first 'slot' line */
        SEC_SLOT,       /* inside a kept block (p->s) */
        SEC_SKIP,       /* inside a block whose 'slot' line was rejected */
};

struct parser {
        struct sw_config *c;
        struct sw_diag *d;
        const char *file;
        unsigned line;
        enum section sec;
        struct sw_slot_config *s;
        unsigned seen[K_COUNT];         /* line of each key's first use in this section */
        unsigned part_line[SW_MAX_SLOTS];
        bool options_overflow;
        bool initrd_overflow;
};

/* ------------------------------------------------------------------------ */
/* Small byte helpers (no <ctype.h>: the EFI build has none). */

static bool is_blank(char ch)
{
        return ch == ' ' || ch == '\t';
}

static bool is_digit(char ch)
{
        return ch >= '0' && ch <= '9';
}

static bool is_alpha(char ch)
{
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static char to_lower(char ch)
{
        return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static int hex_value(char ch)
{
        if (is_digit(ch))
                return ch - '0';
        ch = to_lower(ch);
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        return -1;
}

static bool slice_is(const char *v, size_t n, const char *lit)
{
        return strlen(lit) == n && memcmp(v, lit, n) == 0;
}

static bool slice_is_nocase(const char *v, size_t n, const char *lit)
{
        if (strlen(lit) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (to_lower(v[i]) != lit[i])
                        return false;
        return true;
}

/* Copies a slice the caller has already checked to fit (n < size). */
static void copy_slice(char *dst, size_t size, const char *v, size_t n)
{
        if (n >= size)
                n = size - 1;
        memcpy(dst, v, n);
        dst[n] = '\0';
}

/*
 * A user's value as a message quotes it: a NUL-terminated copy of at most
 * QUOTE_MAX bytes, never ending inside a UTF-8 sequence.  The copy is what
 * makes it safe to format: the slice itself ends at the line, not at a NUL.
 */
static const char *quote(char out[QUOTE_MAX + 1], const char *v, size_t n)
{
        if (n > QUOTE_MAX) {
                n = QUOTE_MAX;
                while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
                        n--;
        }
        memcpy(out, v, n);
        out[n] = '\0';
        return out;
}

/* For "%s": the buffer lives as long as the enclosing block, i.e. the call. */
#define Q(v, n) quote((char[QUOTE_MAX + 1]){ 0 }, (v), (n))

/*
 * Why a line cannot be used, or NULL when it can: it must be valid UTF-8
 * (no overlong forms, no surrogates, nothing above U+10FFFF) and hold no
 * control character except tab, which would otherwise end up in messages on
 * a terminal or in a kernel command line.
 */
static const char *line_problem(const char *line, size_t n)
{
        const unsigned char *s = (const unsigned char *)line;
        size_t i = 0;

        while (i < n) {
                unsigned char ch = s[i];
                unsigned char lo = 0x80, hi = 0xBF;
                size_t len;

                if (ch < 0x80) {
                        if ((ch < 0x20 && ch != '\t') || ch == 0x7F)
                                return "contains a control character";
                        i++;
                        continue;
                }
                if (ch >= 0xC2 && ch <= 0xDF) {
                        len = 2;
                } else if (ch == 0xE0) {
                        len = 3;
                        lo = 0xA0;
                } else if ((ch >= 0xE1 && ch <= 0xEC) || ch == 0xEE || ch == 0xEF) {
                        len = 3;
                } else if (ch == 0xED) {
                        len = 3;
                        hi = 0x9F;
                } else if (ch == 0xF0) {
                        len = 4;
                        lo = 0x90;
                } else if (ch >= 0xF1 && ch <= 0xF3) {
                        len = 4;
                } else if (ch == 0xF4) {
                        len = 4;
                        hi = 0x8F;
                } else {
                        return "is not valid UTF-8";
                }
                if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
                        return "is not valid UTF-8";
                for (size_t k = 2; k < len; k++)
                        if ((s[i + k] & 0xC0) != 0x80)
                                return "is not valid UTF-8";
                i += len;
        }
        return NULL;
}

/* ------------------------------------------------------------------------ */
/* Messages. */

static void say(struct parser *p, unsigned line, enum sw_severity sev, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void say_slot(struct parser *p, unsigned line, enum sw_severity sev, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void say_here(struct parser *p, enum sw_severity sev, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void drop_slot(struct parser *p, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void unusable(struct parser *p, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* "FILE:LINE: what" */
static void say(struct parser *p, unsigned line, enum sw_severity sev, const char *fmt, ...)
{
        char what[512];
        va_list ap;

        va_start(ap, fmt);
        sw_vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        sw_diagf(p->d, sev, "%s:%u: %s", p->file, line, what);
}

/* "FILE:LINE: slot 'ID': what", about the open block. */
static void say_slot(struct parser *p, unsigned line, enum sw_severity sev, const char *fmt, ...)
{
        char what[512];
        va_list ap;

        va_start(ap, fmt);
        sw_vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        sw_diagf(p->d, sev, "%s:%u: slot '%s': %s", p->file, line, p->s->id, what);
}

/* A message about the current line, in whichever section it is. */
static void say_here(struct parser *p, enum sw_severity sev, const char *fmt, ...)
{
        char what[512];
        va_list ap;

        va_start(ap, fmt);
        sw_vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        if (p->sec == SEC_SLOT)
                say_slot(p, p->line, sev, "%s", what);
        else
                say(p, p->line, sev, "%s", what);
}

/* Drops the open block, saying why. */
static void drop_slot(struct parser *p, unsigned line, const char *fmt, ...)
{
        char what[512];
        va_list ap;

        va_start(ap, fmt);
        sw_vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        p->s->valid = false;
        say_slot(p, line, SW_ERROR, "%s; slot dropped", what);
}

/* A global safety key is wrong: no slot can be placed, so none is kept. */
static void unusable(struct parser *p, const char *fmt, ...)
{
        char what[512];
        va_list ap;

        va_start(ap, fmt);
        sw_vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        p->c->usable = false;
        say(p, p->line, SW_ERROR, "%s; configuration unusable, every slot dropped", what);
}

/* ------------------------------------------------------------------------ */
/* Value syntax. */

static bool is_id_char(char ch)
{
        return is_alpha(ch) || is_digit(ch) || ch == '.' || ch == '_' || ch == '-' || ch == '+';
}

/* A Boot Loader Specification id: 1..63 of [A-Za-z0-9._+-], no leading dot
 * (which would make it a hidden file name in a BLS entry directory). */
static bool valid_id(const char *v, size_t n)
{
        if (n == 0 || n >= SW_ID_MAX || v[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_id_char(v[i]))
                        return false;
        return true;
}

/* Decimal digits only, at most max. */
static bool parse_uint(const char *v, size_t n, unsigned max, unsigned *out)
{
        unsigned long long x = 0;

        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (!is_digit(v[i]))
                        return false;
                x = x * 10 + (unsigned)(v[i] - '0');
                if (x > max)
                        return false;
        }
        *out = (unsigned)x;
        return true;
}

static bool is_sep(char ch)
{
        return ch == '/' || ch == '\\';
}

/*
 * An ESP path as written (either separator, any number of them) into the
 * one form the loader and the messages use: '/'-separated with a leading
 * '/', no empty or "." components.  ".." is refused outright: a slot must
 * not reach outside the directory its author meant.  Returns NULL or why.
 */
static const char *normalize_path(const char *v, size_t n, char out[SW_PATH_MAX])
{
        size_t i = 0, o = 0;

        while (i < n) {
                size_t j, tn;

                while (i < n && is_sep(v[i]))
                        i++;
                for (j = i; j < n && !is_sep(v[j]); j++)
                        ;
                tn = j - i;
                if (tn == 0)
                        break;
                if (tn == 2 && v[i] == '.' && v[i + 1] == '.')
                        return "has a '..' component";
                if (!(tn == 1 && v[i] == '.')) {
                        if (tn >= SW_PATH_MAX - 1 - o)
                                return "is longer than 255 bytes";
                        out[o++] = '/';
                        memcpy(out + o, v + i, tn);
                        o += tn;
                }
                i = j;
        }
        if (o == 0)
                return "is empty";
        out[o] = '\0';
        return NULL;
}

/* Counts UTF-16 code units of valid UTF-8, which is how GPT measures names. */
static size_t utf16_units(const char *v, size_t n)
{
        size_t units = 0;

        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)v[i];

                if ((ch & 0xC0) == 0x80)
                        continue;
                units += ch >= 0xF0 ? 2 : 1;
        }
        return units;
}

/*
 * "PARTUUID=<uuid>", "PARTLABEL=<label>" or a bare uuid.  A uuid is the
 * 8-4-4-4-12 hex form, stored lower case so that two spellings of one
 * partition compare equal.  A label is the GPT partition name, 1 to 36
 * UTF-16 units (and short enough for the field).
 */
static int parse_partition(const char *v, size_t n, enum sw_part_kind *kind, char out[SW_PART_MAX])
{
        static const char uuid_pfx[] = "partuuid=";
        static const char label_pfx[] = "partlabel=";
        const size_t ul = sizeof(uuid_pfx) - 1, ll = sizeof(label_pfx) - 1;

        if (n > ll && slice_is_nocase(v, ll, label_pfx)) {
                v += ll;
                n -= ll;
                if (n >= SW_PART_MAX || utf16_units(v, n) > SW_PARTLABEL_MAX_UNITS)
                        return -1;
                copy_slice(out, SW_PART_MAX, v, n);
                *kind = SW_PART_LABEL;
                return 0;
        }
        if (n > ul && slice_is_nocase(v, ul, uuid_pfx)) {
                v += ul;
                n -= ul;
        }
        if (n != 36)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (v[i] != '-')
                                return -1;
                } else if (hex_value(v[i]) < 0) {
                        return -1;
                }
                out[i] = to_lower(v[i]);
        }
        out[n] = '\0';
        *kind = SW_PART_UUID;
        return 0;
}

static const char *part_prefix(enum sw_part_kind kind)
{
        return kind == SW_PART_LABEL ? "PARTLABEL=" : "PARTUUID=";
}

int sw_parse_size(const char *s, uint64_t *out)
{
        uint64_t v = 0;
        unsigned shift = 0;
        size_t i = 0;

        if (!s || !out || !is_digit(s[0]))
                return -1;
        for (; is_digit(s[i]); i++) {
                unsigned dv = (unsigned)(s[i] - '0');

                if (v > (UINT64_MAX - dv) / 10)
                        return -1;
                v = v * 10 + dv;
        }
        if (s[i]) {
                switch (to_lower(s[i])) {
                case 'k':
                        shift = 10;
                        break;
                case 'm':
                        shift = 20;
                        break;
                case 'g':
                        shift = 30;
                        break;
                case 't':
                        shift = 40;
                        break;
                default:
                        return -1;
                }
                i++;
                if (s[i] && !(to_lower(s[i]) == 'i' && to_lower(s[i + 1]) == 'b' && s[i + 2] == '\0'))
                        return -1;
        }
        if (v > (UINT64_MAX >> shift))
                return -1;
        *out = v << shift;
        return 0;
}

/* ------------------------------------------------------------------------ */
/* Global keys. */

static void key_timeout(struct parser *p, const char *v, size_t n)
{
        unsigned t;

        if (!parse_uint(v, n, SW_TIMEOUT_MAX, &t)) {
                say(p, p->line, SW_WARN, "invalid timeout '%s' (0 to %u seconds), keeping %u",
                    Q(v, n), SW_TIMEOUT_MAX, p->c->timeout);
                return;
        }
        p->c->timeout = t;
}

static void key_default(struct parser *p, const char *v, size_t n)
{
        if (!valid_id(v, n)) {
                say(p, p->line, SW_WARN, "'default' names an invalid slot id '%s', ignored", Q(v, n));
                return;
        }
        copy_slice(p->c->default_id, sizeof(p->c->default_id), v, n);
        p->c->default_line = p->line;
}

static void key_active_size(struct parser *p, const char *v, size_t n)
{
        char tmp[32];
        uint64_t size;

        if (n >= sizeof(tmp)) {
                unusable(p, "active-size '%s' is not a size like 256M or 1G", Q(v, n));
                return;
        }
        copy_slice(tmp, sizeof(tmp), v, n);
        if (sw_parse_size(tmp, &size) < 0)
                unusable(p, "active-size '%s' is not a size like 256M or 1G", tmp);
        else if (size % 4096)
                unusable(p, "active-size '%s' is not a multiple of 4 KiB", tmp);
        else if (size < SW_ACTIVE_SIZE_MIN)
                unusable(p, "active-size '%s' is less than 16 MiB", tmp);
        else
                p->c->active_size = size;
}

static void key_console(struct parser *p, const char *v, size_t n)
{
        if (slice_is(v, n, "both"))
                p->c->console = SW_CONSOLE_BOTH;
        else if (slice_is(v, n, "serial"))
                p->c->console = SW_CONSOLE_SERIAL;
        else if (slice_is(v, n, "screen"))
                p->c->console = SW_CONSOLE_SCREEN;
        else
                say(p, p->line, SW_WARN, "invalid console '%s' (serial, screen or both), keeping %s",
                    Q(v, n), sw_console_name(p->c->console));
}

/* ------------------------------------------------------------------------ */
/* Slot keys. */

static void key_title(struct parser *p, const char *v, size_t n)
{
        if (n >= SW_TITLE_MAX) {
                /* Cut on a character boundary: a title is only shown. */
                n = SW_TITLE_MAX - 1;
                while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
                        n--;
                say_slot(p, p->line, SW_WARN, "title longer than %d bytes, cut", SW_TITLE_MAX - 1);
        }
        copy_slice(p->s->title, sizeof(p->s->title), v, n);
}

/* A slot's file path key (WHAT: linux, image, snapshot): normalized into
 * dst, its line kept in *line; a path that cannot be used drops the slot.
 * Returns whether dst holds the path. */
static bool slot_path(struct parser *p, const char *what, const char *v, size_t n, char dst[SW_PATH_MAX],
                      unsigned *line)
{
        char path[SW_PATH_MAX];
        const char *why = normalize_path(v, n, path);

        *line = p->line;
        if (why) {
                drop_slot(p, p->line, "%s path '%s' %s", what, Q(v, n), why);
                return false;
        }
        memcpy(dst, path, sizeof(path));
        return true;
}

static void key_linux(struct parser *p, const char *v, size_t n)
{
        slot_path(p, "linux", v, n, p->s->linux_path, &p->s->linux_line);
}

/* A slot image (mkslot image): kernel, initrds and command line in one
 * verified file, instead of 'linux' and 'initrd'. */
static void key_image(struct parser *p, const char *v, size_t n)
{
        slot_path(p, "image", v, n, p->s->image_path, &p->s->image_line);
}

/*
 * A snapshot (snapshot.h) brought back at every start-up: its RAM into the
 * slot's store, its file system onto the slot's partition (efi/snapboot.c).
 * It decides what the slot runs, so a path that cannot be used drops the
 * slot rather than letting it cold-boot unnoticed.
 */
static void key_snapshot(struct parser *p, const char *v, size_t n)
{
        if (!slot_path(p, "snapshot", v, n, p->s->snapshot_path, &p->s->snapshot_line))
                return;
        /* The pieces of a split snapshot are PATH.000, PATH.001, ...: the
         * path must leave room for the suffix. */
        if (strlen(p->s->snapshot_path) + 4 >= SW_PATH_MAX) {
                drop_slot(p, p->line, "snapshot path '%s' leaves no room for a piece's '.NNN' suffix",
                          p->s->snapshot_path);
                p->s->snapshot_path[0] = '\0';
        }
}

static void key_initrd(struct parser *p, const char *v, size_t n)
{
        struct sw_slot_config *s = p->s;
        char path[SW_PATH_MAX];
        const char *why;

        if (s->ninitrd >= SW_MAX_INITRD) {
                /* Booting without one of them is not what was asked for. */
                if (!p->initrd_overflow)
                        drop_slot(p, p->line, "more than %d 'initrd' lines", SW_MAX_INITRD);
                p->initrd_overflow = true;
                return;
        }
        why = normalize_path(v, n, path);
        if (why) {
                drop_slot(p, p->line, "initrd path '%s' %s", Q(v, n), why);
                return;
        }
        memcpy(s->initrd[s->ninitrd], path, sizeof(path));
        s->initrd_line[s->ninitrd] = p->line;
        s->ninitrd++;
}

static void key_options(struct parser *p, const char *v, size_t n)
{
        struct sw_slot_config *s = p->s;
        size_t have = strnlen(s->options, sizeof(s->options));
        size_t sep = have ? 1 : 0;

        if (p->options_overflow)
                return;
        /* A cut command line would boot with half its options: drop instead. */
        if (n > SW_OPTIONS_MAX - 1 - have - sep) {
                p->options_overflow = true;
                drop_slot(p, p->line, "options longer than %d bytes", SW_OPTIONS_MAX - 1);
                return;
        }
        if (sep)
                s->options[have++] = ' ';
        memcpy(s->options + have, v, n);
        s->options[have + n] = '\0';
}

static void key_sort_key(struct parser *p, const char *v, size_t n)
{
        bool ok = n < SW_ID_MAX;

        for (size_t i = 0; ok && i < n; i++)
                ok = is_id_char(v[i]);
        if (!ok) {
                say_slot(p, p->line, SW_WARN,
                         "invalid sort-key '%s' (1 to %d letters, digits, '.', '_', '-' or '+'), ignored",
                         Q(v, n), SW_ID_MAX - 1);
                return;
        }
        copy_slice(p->s->sort_key, sizeof(p->s->sort_key), v, n);
}

static void key_partition(struct parser *p, const char *v, size_t n)
{
        struct sw_slot_config *s = p->s;
        enum sw_part_kind kind;
        char part[SW_PART_MAX];

        if (parse_partition(v, n, &kind, part) < 0) {
                drop_slot(p, p->line, "invalid partition '%s' "
                          "(PARTUUID=<uuid> or PARTLABEL=<label of at most %d characters>)",
                          Q(v, n), SW_PARTLABEL_MAX_UNITS);
                return;
        }
        s->part_kind = kind;
        memcpy(s->partition, part, sizeof(part));
        p->part_line[s - p->c->slots] = p->line;
        s->partition_line = p->line;
}

/* The "switch to the next slot" key: global, checked like a slot's hotkey. */
static void key_next_hotkey(struct parser *p, const char *v, size_t n)
{
        struct sw_hotkey hk;

        if (sw_hotkey_parse(v, n, &hk) < 0) {
                say(p, p->line, SW_WARN, "invalid next-hotkey '%s' (like ctrl+alt+0: ctrl, alt, shift or "
                    "super, then a digit, a letter or f1 to f12), ignored", Q(v, n));
                return;
        }
        memcpy(p->c->next_hotkey, hk.text, sizeof(hk.text));
}

static void key_hotkey(struct parser *p, const char *v, size_t n)
{
        struct sw_config *c = p->c;
        struct sw_hotkey hk;

        if (sw_hotkey_parse(v, n, &hk) < 0) {
                say_slot(p, p->line, SW_WARN, "invalid hotkey '%s' (like ctrl+alt+1: ctrl, alt, shift or "
                         "super, then a digit, a letter or f1 to f12), ignored", Q(v, n));
                return;
        }
        if (strcmp(c->next_hotkey, hk.text) == 0) {
                say_slot(p, p->line, SW_WARN, "hotkey '%s' is already the next-hotkey, ignored", hk.text);
                return;
        }
        for (struct sw_slot_config *o = c->slots; o < p->s; o++) {
                if (o->valid && strcmp(o->hotkey, hk.text) == 0) {
                        say_slot(p, p->line, SW_WARN, "hotkey '%s' is already used by slot '%s', ignored",
                                 hk.text, o->id);
                        return;
                }
        }
        memcpy(p->s->hotkey, hk.text, sizeof(hk.text));
}

static void key_mode(struct parser *p, const char *v, size_t n)
{
        if (slice_is(v, n, "swap"))
                p->s->mode = SW_MODE_SWAP;
        else if (slice_is(v, n, "in-place"))
                p->s->mode = SW_MODE_IN_PLACE;
        else
                drop_slot(p, p->line, "invalid mode '%s' (swap or in-place)", Q(v, n));
}

/*
 * A key with two words: a sets *out to a_means, b to the opposite.  These
 * keys only tune a slot (or, 'verbose', what is shown), so a typo warns and
 * keeps the value it had (the default) rather than dropping the slot.
 */
static void key_two_words(struct parser *p, const char *v, size_t n, const char *key, const char *a,
                          const char *b, bool a_means, bool *out)
{
        if (slice_is(v, n, a))
                *out = a_means;
        else if (slice_is(v, n, b))
                *out = !a_means;
        else
                say_here(p, SW_WARN, "invalid %s '%s' (%s or %s), kept at %s", key, Q(v, n), a, b,
                         *out == a_means ? a : b);
}

static void key_arch(struct parser *p, const char *v, size_t n)
{
        if (slice_is(v, n, "auto"))
                p->s->arch = SW_ARCH_AUTO;
        else if (slice_is(v, n, "x86_64"))
                p->s->arch = SW_ARCH_X86_64;
        else if (slice_is(v, n, "i386"))
                p->s->arch = SW_ARCH_I386;
        else
                drop_slot(p, p->line, "invalid arch '%s' (auto, x86_64 or i386)", Q(v, n));
}

/*
 * The RAM this slot's OS sees: the first SIZE bytes of the active region
 * (a swap slot: at most active-size, checked at the end of the block, when
 * its mode is known), or its own RAM (an in-place slot).  A smaller slot
 * gets a smaller store.  Sizes are never guessed: a value that cannot be
 * used drops the slot.
 */
static void key_memory(struct parser *p, const char *v, size_t n)
{
        char tmp[32];
        uint64_t size;

        if (n >= sizeof(tmp)) {
                drop_slot(p, p->line, "memory '%s' is not a size like 128M or 1G", Q(v, n));
                return;
        }
        copy_slice(tmp, sizeof(tmp), v, n);
        if (sw_parse_size(tmp, &size) < 0)
                drop_slot(p, p->line, "memory '%s' is not a size like 128M or 1G", tmp);
        else if (size % 4096)
                drop_slot(p, p->line, "memory '%s' is not a multiple of 4 KiB", tmp);
        else if (size < SW_ACTIVE_SIZE_MIN)
                drop_slot(p, p->line, "memory '%s' is less than 16 MiB", tmp);
        else {
                p->s->memory = size;
                p->s->memory_line = p->line;
        }
}

/*
 * An in-place slot's DMA32 window (plan.h, SW_PLAN_DMA32_LIMIT): RAM of its
 * own below 4 GiB, on top of 'memory', for the swiotlb bounce buffer and
 * 32-bit DMA.  0 means no window.  Like 'memory' it decides where the slot's
 * RAM is, so a value that cannot be used drops the slot.
 */
static void key_dma32_size(struct parser *p, const char *v, size_t n)
{
        char tmp[32];
        uint64_t size;

        copy_slice(tmp, sizeof(tmp), v, n);
        if (n >= sizeof(tmp) || sw_parse_size(tmp, &size) < 0)
                drop_slot(p, p->line, "dma32-size '%s' is not a size like 64M or 256M, or 0 for none", Q(v, n));
        else if (size % 4096)
                drop_slot(p, p->line, "dma32-size '%s' is not a multiple of 4 KiB", tmp);
        else if (size >= (4ULL << 30))
                drop_slot(p, p->line, "dma32-size '%s' is not less than 4 GiB, which the window must lie below", tmp);
        else {
                p->s->dma32_size = size;
                p->s->dma32_line = p->line;
        }
}

/* ------------------------------------------------------------------------ */
/* Blocks. */

/* Checks that need the whole block: a kernel, and a partition of its own. */
static void finish_block(struct parser *p)
{
        struct sw_slot_config *s = p->s;
        size_t idx;

        if (p->sec != SEC_SLOT)
                return;
        idx = (size_t)(s - p->c->slots);
        if (!s->title[0])
                memcpy(s->title, s->id, sizeof(s->id));
        /* A slot image fills in what the block leaves open. */
        s->title_line = p->seen[K_TITLE];
        s->mode_line = p->seen[K_MODE];
        s->arch_line = p->seen[K_ARCH];
        /* One source of truth for what boots: an image carries its own
         * kernel and initrds, so mixing it with either is a mistake. */
        if (p->seen[K_IMAGE] && p->seen[K_LINUX])
                drop_slot(p, p->seen[K_LINUX], "both 'image' (line %u) and 'linux' given; use one", p->seen[K_IMAGE]);
        else if (p->seen[K_IMAGE] && p->seen[K_INITRD])
                drop_slot(p, p->seen[K_INITRD], "'initrd' with 'image' (line %u): the image carries its initrds",
                          p->seen[K_IMAGE]);
        else if (!p->seen[K_LINUX] && !p->seen[K_IMAGE])
                drop_slot(p, s->line, "no 'linux' or 'image' line");
        else if (s->memory > p->c->active_size && s->mode == SW_MODE_SWAP) {
                char a[24], b[24];

                drop_slot(p, s->memory_line, "memory '%s' is more than the active region (active-size %s); "
                          "only an in-place slot may have more", sw_fmt_size(b, sizeof(b), s->memory),
                          sw_fmt_size(a, sizeof(a), p->c->active_size));
        }
        /* A swap slot runs in the active region, which starts at the bottom
         * of RAM: it needs no window.  With an image and no 'mode' line the
         * image may still make it in-place. */
        if (s->valid && s->dma32_line && s->mode == SW_MODE_SWAP &&
            (!p->seen[K_IMAGE] || p->seen[K_MODE]))
                say_slot(p, s->dma32_line, SW_WARN, "dma32-size only applies to an in-place slot, ignored");
        if (!s->valid || s->part_kind == SW_PART_NONE)
                return;
        /* Two slots on one partition would each boot the other's root. */
        for (size_t i = 0; i < idx; i++) {
                const struct sw_slot_config *o = &p->c->slots[i];

                if (o->valid && o->part_kind == s->part_kind && strcmp(o->partition, s->partition) == 0) {
                        drop_slot(p, p->part_line[idx], "partition %s%s is already used by slot '%s' (line %u)",
                                  part_prefix(s->part_kind), s->partition, o->id, p->part_line[i]);
                        return;
                }
        }
}

/* Every 'slot' line, usable or not, ends the block before it, so that no
 * key after it can land in that block.  What follows is skipped until
 * open_block() finds a usable id. */
static void close_block(struct parser *p)
{
        finish_block(p);
        memset(p->seen, 0, sizeof(p->seen));
        p->options_overflow = false;
        p->initrd_overflow = false;
        p->s = NULL;
        p->sec = SEC_SKIP;
}

/* A 'slot' line: closes the open block and opens the next one, or a skipped
 * one when the id cannot be used. */
static void open_block(struct parser *p, const char *v, size_t n)
{
        struct sw_config *c = p->c;
        struct sw_slot_config *s;

        close_block(p);
        if (n == 0) {
                say(p, p->line, SW_ERROR, "'slot' has no id; slot dropped");
                return;
        }
        if (!valid_id(v, n)) {
                say(p, p->line, SW_ERROR, "slot '%s': invalid id (1 to %d letters, digits, '.', '_', '-' "
                    "or '+', not starting with '.'); slot dropped", Q(v, n), SW_ID_MAX - 1);
                return;
        }
        for (unsigned i = 0; i < c->nslots; i++) {
                if (slice_is(v, n, c->slots[i].id)) {
                        say(p, p->line, SW_ERROR, "slot '%s': id already used by the slot at line %u; "
                            "slot dropped", Q(v, n), c->slots[i].line);
                        return;
                }
        }
        if (c->nslots >= SW_MAX_SLOTS) {
                say(p, p->line, SW_ERROR, "slot '%s': more than %d slots; slot dropped", Q(v, n), SW_MAX_SLOTS);
                return;
        }
        s = &c->slots[c->nslots++];
        memset(s, 0, sizeof(*s));
        copy_slice(s->id, sizeof(s->id), v, n);
        s->mode = SW_MODE_SWAP;
        s->verify_store = true;
        s->arch = SW_ARCH_AUTO;
        s->dma32_size = SW_DMA32_SIZE_DEFAULT;
        s->part_kind = SW_PART_NONE;
        s->line = p->line;
        s->valid = true;
        p->s = s;
        p->sec = SEC_SLOT;
}

/* ------------------------------------------------------------------------ */
/* Lines. */

static enum key lookup_key(const char *w, size_t n)
{
        for (unsigned k = 0; k < K_COUNT; k++)
                if (slice_is(w, n, keys[k].name))
                        return (enum key)k;
        return K_UNKNOWN;
}

/*
 * A line that cannot be read is ignored, except where ignoring it would
 * change what boots: an unreadable 'slot' line still closes the block
 * before it (or its keys would land in the previous slot) and opens a
 * skipped one; an unreadable safety key drops its slot; an unreadable
 * active-size makes the configuration unusable.
 */
static void bad_line(struct parser *p, enum key k, const char *why)
{
        if (k == K_SLOT) {
                close_block(p);
                say(p, p->line, SW_ERROR, "'slot' line %s; slot dropped", why);
                return;
        }
        if (p->sec == SEC_SKIP)
                return;
        if (k != K_UNKNOWN && keys[k].safety && keys[k].scope == SCOPE_SLOT && p->sec == SEC_SLOT) {
                /* The key was there: finish_block() must not also say it is missing. */
                if (!p->seen[k])
                        p->seen[k] = p->line;
                drop_slot(p, p->line, "'%s' line %s", keys[k].name, why);
                return;
        }
        if (k == K_ACTIVE_SIZE && p->sec == SEC_GLOBAL) {
                unusable(p, "'active-size' line %s", why);
                return;
        }
        say_here(p, SW_WARN, "line %s, ignored", why);
}

static void parse_line(struct parser *p, const char *l, size_t n)
{
        const char *why, *v;
        size_t kn, vn;
        enum key k;

        while (n > 0 && (is_blank(l[n - 1]) || l[n - 1] == '\r'))
                n--;
        while (n > 0 && is_blank(l[0])) {
                l++;
                n--;
        }
        for (kn = 0; kn < n && !is_blank(l[kn]); kn++)
                ;
        k = lookup_key(l, kn);
        v = l + kn;
        vn = n - kn;
        while (vn > 0 && is_blank(v[0])) {
                v++;
                vn--;
        }

        why = line_problem(l, n);
        if (why) {
                bad_line(p, k, why);
                return;
        }
        if (n == 0 || l[0] == '#')
                return;
        if (k == K_SLOT) {
                open_block(p, v, vn);
                return;
        }
        if (p->sec == SEC_SKIP)
                return;
        if (k == K_UNKNOWN) {
                say_here(p, SW_WARN, "unknown key '%s', ignored", Q(l, kn));
                return;
        }
        if (vn == 0) {
                say_here(p, SW_WARN, "key '%s' has no value, ignored", keys[k].name);
                return;
        }
        if (keys[k].scope == SCOPE_GLOBAL && p->sec == SEC_SLOT) {
                say_here(p, SW_WARN, "'%s' is a global key; put it before the first 'slot' line; ignored",
                         keys[k].name);
                return;
        }
        if (keys[k].scope == SCOPE_SLOT && p->sec == SEC_GLOBAL) {
                say_here(p, SW_WARN, "'%s' is a slot key; put it after a 'slot ID' line; ignored",
                         keys[k].name);
                return;
        }
        if (p->seen[k] && !keys[k].repeatable)
                say_here(p, SW_WARN, "'%s' given twice (first at line %u), the later value wins",
                         keys[k].name, p->seen[k]);
        if (!p->seen[k])
                p->seen[k] = p->line;

        switch (k) {
        case K_TIMEOUT:
                key_timeout(p, v, vn);
                break;
        case K_DEFAULT:
                key_default(p, v, vn);
                break;
        case K_ACTIVE_SIZE:
                key_active_size(p, v, vn);
                break;
        case K_NEXT_HOTKEY:
                key_next_hotkey(p, v, vn);
                break;
        case K_CONSOLE:
                key_console(p, v, vn);
                break;
        case K_TITLE:
                key_title(p, v, vn);
                break;
        case K_LINUX:
                key_linux(p, v, vn);
                break;
        case K_INITRD:
                key_initrd(p, v, vn);
                break;
        case K_OPTIONS:
                key_options(p, v, vn);
                break;
        case K_SORT_KEY:
                key_sort_key(p, v, vn);
                break;
        case K_PARTITION:
                key_partition(p, v, vn);
                break;
        case K_HOTKEY:
                key_hotkey(p, v, vn);
                break;
        case K_MODE:
                key_mode(p, v, vn);
                break;
        case K_ON_DAMAGE:
                /* Damaged saved state: stay failed (the default: nothing
                 * of it is lost), or start over, which throws it away. */
                key_two_words(p, v, vn, "on-damage", "fail", "cold-boot", false, &p->s->cold_boot_on_damage);
                break;
        case K_HANDOFF:
                /* 'auto': a 64-bit kernel that knows the tboot interface
                 * hands over through the switcher's own entry; 's3': always
                 * through the firmware's S3 (tboot_addr stays 0). */
                key_two_words(p, v, vn, "handoff", "s3", "auto", true, &p->s->handoff_s3);
                break;
        case K_PREWARM:
                key_two_words(p, v, vn, "prewarm", "yes", "no", true, &p->s->prewarm);
                break;
        case K_VERIFY_STORE:
                /* Off is a choice for speed; a typo must not make it. */
                key_two_words(p, v, vn, "verify-store", "yes", "no", true, &p->s->verify_store);
                break;
        case K_ARCH:
                key_arch(p, v, vn);
                break;
        case K_MEMORY:
                key_memory(p, v, vn);
                break;
        case K_DMA32_SIZE:
                key_dma32_size(p, v, vn);
                break;
        case K_IMAGE:
                key_image(p, v, vn);
                break;
        case K_SNAPSHOT:
                key_snapshot(p, v, vn);
                break;
        case K_VERBOSE:
                /* The memory plan and the other diagnostics on the screen
                 * too; only what is shown changes, so a typo is a warning. */
                key_two_words(p, v, vn, "verbose", "yes", "no", true, &p->c->verbose);
                break;
        case K_SLOT:
        case K_UNKNOWN:
                break;
        }
}

int sw_config_parse(struct sw_config *c, const char *buf, size_t len,
                    const char *filename, struct sw_diag *d)
{
        struct parser p;
        size_t pos = 0;
        unsigned nvalid;

        if (!c)
                return 0;
        if (!filename)
                filename = "partitions.conf";
        if (!buf)
                len = 0;

        memset(c, 0, sizeof(*c));
        copy_slice(c->filename, sizeof(c->filename), filename, strnlen(filename, sizeof(c->filename) - 1));
        c->active_size = SW_ACTIVE_SIZE_DEFAULT;
        c->usable = true;
        c->timeout = SW_TIMEOUT_DEFAULT;
        c->console = SW_CONSOLE_BOTH;

        memset(&p, 0, sizeof(p));
        p.c = c;
        p.d = d;
        p.file = filename;
        p.sec = SEC_GLOBAL;

        /* A UTF-8 byte order mark, as some Windows editors write. */
        if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
                pos = 3;
        while (pos < len) {
                size_t n = 0;

                while (n < len - pos && buf[pos + n] != '\n')
                        n++;
                p.line++;
                parse_line(&p, buf + pos, n);
                pos += n;
                if (pos < len)
                        pos++;  /* the '\n' */
        }
        finish_block(&p);

        if (!c->usable) {
                /* Already reported: no slot can be placed without its size. */
                for (unsigned i = 0; i < c->nslots; i++)
                        c->slots[i].valid = false;
                return 0;
        }
        nvalid = sw_config_valid_slots(c);
        if (nvalid == 0) {
                say(&p, p.line ? p.line : 1, SW_ERROR, "no valid slot; nothing to boot");
                return 0;
        }
        if (c->default_id[0] && sw_config_find_slot(c, c->default_id) < 0)
                say(&p, c->default_line, SW_WARN,
                    "default slot '%s' does not exist or was dropped; using the first valid slot",
                    c->default_id);
        return (int)nvalid;
}

/* ------------------------------------------------------------------------ */
/* Queries. */

int sw_config_check_files(struct sw_config *c,
                          bool (*exists)(void *ctx, const char *path), void *ctx,
                          struct sw_diag *d)
{
        unsigned before, last = 0;

        if (!c)
                return 0;
        if (!exists)
                return (int)sw_config_valid_slots(c);
        before = sw_config_valid_slots(c);
        for (unsigned i = 0; i < c->nslots && i < SW_MAX_SLOTS; i++) {
                struct sw_slot_config *s = &c->slots[i];

                if (!s->valid)
                        continue;
                if (s->image_path[0]) {
                        if (!exists(ctx, s->image_path)) {
                                s->valid = false;
                                last = s->image_line;
                                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': image '%s' not found; slot dropped",
                                         c->filename, s->image_line, s->id, s->image_path);
                        }
                        continue;
                }
                if (!exists(ctx, s->linux_path)) {
                        s->valid = false;
                        last = s->linux_line;
                        sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': kernel '%s' not found; slot dropped",
                                 c->filename, s->linux_line, s->id, s->linux_path);
                        continue;
                }
                for (unsigned k = 0; k < s->ninitrd && k < SW_MAX_INITRD; k++) {
                        if (!exists(ctx, s->initrd[k])) {
                                s->valid = false;
                                last = s->initrd_line[k];
                                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': initrd '%s' not found; slot dropped",
                                         c->filename, s->initrd_line[k], s->id, s->initrd[k]);
                                break;
                        }
                }
        }
        if (before > 0 && sw_config_valid_slots(c) == 0)
                sw_diagf(d, SW_ERROR, "%s:%u: no valid slot left; nothing to boot", c->filename, last);
        return (int)sw_config_valid_slots(c);
}

unsigned sw_config_valid_slots(const struct sw_config *c)
{
        unsigned n = 0;

        if (!c)
                return 0;
        for (unsigned i = 0; i < c->nslots && i < SW_MAX_SLOTS; i++)
                if (c->slots[i].valid)
                        n++;
        return n;
}

int sw_config_find_slot(const struct sw_config *c, const char *id)
{
        if (!c || !id)
                return -1;
        for (unsigned i = 0; i < c->nslots && i < SW_MAX_SLOTS; i++)
                if (c->slots[i].valid && strcmp(c->slots[i].id, id) == 0)
                        return (int)i;
        return -1;
}

int sw_config_default_index(const struct sw_config *c)
{
        int i;

        if (!c)
                return -1;
        if (c->default_id[0]) {
                i = sw_config_find_slot(c, c->default_id);
                if (i >= 0)
                        return i;
        }
        for (unsigned k = 0; k < c->nslots && k < SW_MAX_SLOTS; k++)
                if (c->slots[k].valid)
                        return (int)k;
        return -1;
}

/* True when a must come before b; strict, so the sort below is stable. */
static bool sorts_before(const struct sw_slot_config *a, const struct sw_slot_config *b)
{
        int r;

        if (!a->sort_key[0])
                return false;
        if (!b->sort_key[0])
                return true;
        r = strcmp(a->sort_key, b->sort_key);
        if (r)
                return r < 0;
        return strcmp(a->id, b->id) < 0;
}

void sw_config_sort(struct sw_config *c)
{
        struct sw_slot_config tmp;
        unsigned n;

        if (!c)
                return;
        n = c->nslots < SW_MAX_SLOTS ? c->nslots : SW_MAX_SLOTS;
        /* Insertion sort: at most 16 entries, and stable by construction. */
        for (unsigned i = 1; i < n; i++) {
                unsigned j = i;

                while (j > 0 && sorts_before(&c->slots[i], &c->slots[j - 1]))
                        j--;
                if (j == i)
                        continue;
                memcpy(&tmp, &c->slots[i], sizeof(tmp));
                memmove(&c->slots[j + 1], &c->slots[j], (i - j) * sizeof(tmp));
                memcpy(&c->slots[j], &tmp, sizeof(tmp));
        }
}

uint64_t sw_slot_memory(const struct sw_config *c, const struct sw_slot_config *s)
{
        return s->memory ? s->memory : c->active_size;
}

uint64_t sw_slot_limit(const struct sw_slot_config *s)
{
        return s->arch == SW_ARCH_I386 ? SW_I386_LIMIT : 0;
}

const char *sw_mode_name(enum sw_slot_mode m)
{
        static const char *const names[] = { [SW_MODE_SWAP] = "swap", [SW_MODE_IN_PLACE] = "in-place" };

        return SW_ENUM_NAME(names, m, "?");
}

const char *sw_arch_name(enum sw_arch a)
{
        static const char *const names[] = { [SW_ARCH_AUTO] = "auto", [SW_ARCH_X86_64] = "x86_64",
                                             [SW_ARCH_I386] = "i386" };

        return SW_ENUM_NAME(names, a, "?");
}

const char *sw_console_name(enum sw_console con)
{
        static const char *const names[] = { [SW_CONSOLE_BOTH] = "both", [SW_CONSOLE_SERIAL] = "serial",
                                             [SW_CONSOLE_SCREEN] = "screen" };

        return SW_ENUM_NAME(names, con, "?");
}
