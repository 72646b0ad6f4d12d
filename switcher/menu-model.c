/* SPDX-License-Identifier: MIT */
/*
 * The boot menu's behaviour and text (see menu-model.h).  Columns are
 * counted in characters, not bytes: titles are UTF-8, and a cut never
 * splits a character.
 */
#include "menu-model.h"

#include <stdarg.h>
#include <string.h>

#include "fmt.h"

/* Columns of the slot table: " *1  " before the title, then the kind (as
 * wide as its longest value, "i386 in-place"), then the hotkey. */
#define LEAD_COLS 6
#define KIND_COLS 13
#define GAP_COLS 2
#define HOTKEY_MIN_COLS 6

/* ------------------------------------------------------------------------ */
/* Messages kept for the screen. */

void sw_menu_msgs_add(struct sw_menu_msgs *m, enum sw_severity sev, const char *text)
{
        size_t n;

        if (!m || sev == SW_INFO)
                return;
        if (sev == SW_WARN)
                m->warnings++;
        else
                m->errors++;
        if (m->n >= SW_MENU_MSGS_MAX) {
                m->lost++;
                return;
        }
        n = strnlen(text, SW_MENU_MSG_MAX - 1);
        memcpy(m->text[m->n], text, n);
        m->text[m->n][n] = '\0';
        m->sev[m->n] = sev;
        m->n++;
}

/* ------------------------------------------------------------------------ */
/* Names. */

void sw_menu_title(char *buf, size_t n, const char *version)
{
        sw_snprintf(buf, n, "switcher %s - multi-OS partition switcher", version ? version : "?");
}

const char *sw_menu_kind(const struct sw_slot_config *s)
{
        if (s->arch == SW_ARCH_I386)
                return s->mode == SW_MODE_IN_PLACE ? "i386 in-place" : "i386";
        return sw_mode_name(s->mode);
}

static const struct sw_slot_config *entry(const struct sw_menu *m, int i)
{
        return &m->cfg->slots[m->slot[i]];
}

/* A slot as a person knows it: its title, else its id. */
static const char *entry_name(const struct sw_menu *m, int i)
{
        const struct sw_slot_config *s = entry(m, i);

        return s->title[0] ? s->title : s->id;
}

/* ------------------------------------------------------------------------ */
/* State. */

/* Adds one line to the step's serial account. */
static void event(struct sw_menu *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void event(struct sw_menu *m, const char *fmt, ...)
{
        size_t len = strlen(m->event);
        va_list ap;

        if (len && len + 1 < sizeof(m->event))
                m->event[len++] = '\n';
        va_start(ap, fmt);
        sw_vsnprintf(m->event + len, sizeof(m->event) - len, fmt, ap);
        va_end(ap);
}

static void status(struct sw_menu *m, enum sw_menu_attr attr, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void status(struct sw_menu *m, enum sw_menu_attr attr, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        sw_vsnprintf(m->status, sizeof(m->status), fmt, ap);
        va_end(ap);
        m->status_attr = attr;
}

int sw_menu_init(struct sw_menu *m, const struct sw_config *c, int default_index, const char *version,
                 const struct sw_menu_msgs *msgs)
{
        memset(m, 0, sizeof(*m));
        m->cfg = c;
        m->msgs = msgs;
        sw_menu_title(m->title, sizeof(m->title), version);
        for (unsigned i = 0; i < c->nslots && m->count < SW_MAX_SLOTS; i++) {
                if (!c->slots[i].valid)
                        continue;
                if ((int)i == default_index)
                        m->def = m->count;
                m->slot[m->count++] = (int)i;
        }
        if (m->count == 0)
                return 0;
        m->sel = m->def;
        m->left = c->timeout;
        m->counting = c->timeout > 0;
        if (m->counting)
                event(m, "menu: booting '%s' in %u s unless a key is pressed", entry(m, m->sel)->id, m->left);
        else
                event(m, "menu: waiting for a key");
        return m->count;
}

static enum sw_menu_action boot(struct sw_menu *m, const char *why)
{
        m->booting = true;
        m->status[0] = '\0';
        event(m, "menu: %s: booting '%s'", why, entry(m, m->sel)->id);
        return SW_MENU_BOOT;
}

static void select_entry(struct sw_menu *m, int i)
{
        if (i < 0 || i >= m->count || i == m->sel)
                return;
        m->sel = i;
        event(m, "menu: selected '%s'", entry(m, i)->id);
}

enum sw_menu_action sw_menu_key(struct sw_menu *m, unsigned key)
{
        m->event[0] = '\0';
        if (m->count == 0 || m->booting)
                return SW_MENU_STAY;
        if (m->counting) {
                /* Any key: the person is here and decides. */
                m->counting = false;
                event(m, "menu: countdown stopped");
        }
        if (key >= '1' && key <= '9') {
                int i = (int)(key - '1');
                char why[8] = "key 1";

                if (i >= m->count) {
                        status(m, SW_MENU_WARN, "There is no slot %c.", (char)key);
                        event(m, "menu: key %c: no such slot", (char)key);
                        return SW_MENU_STAY;
                }
                why[4] = (char)key;
                m->sel = i;
                return boot(m, why);
        }
        switch (key) {
        case '\r':
        case '\n':
                return boot(m, "Enter");
        case SW_MENU_KEY_UP:
                select_entry(m, m->sel - 1);
                break;
        case SW_MENU_KEY_DOWN:
                select_entry(m, m->sel + 1);
                break;
        case SW_MENU_KEY_HOME:
                select_entry(m, 0);
                break;
        case SW_MENU_KEY_END:
                select_entry(m, m->count - 1);
                break;
        case 'd':
        case 'D':
                m->def = m->sel;
                return SW_MENU_SET_DEFAULT;
        default:
                break;
        }
        return SW_MENU_STAY;
}

enum sw_menu_action sw_menu_tick(struct sw_menu *m)
{
        m->event[0] = '\0';
        if (!m->counting || m->booting || m->count == 0)
                return SW_MENU_STAY;
        if (m->left > 1) {
                /* The screen shows each second; the serial log only the
                 * start and the end of the countdown. */
                m->left--;
                return SW_MENU_STAY;
        }
        m->left = 0;
        m->counting = false;
        return boot(m, "timeout");
}

int sw_menu_chosen(const struct sw_menu *m)
{
        return m->count ? m->slot[m->sel] : -1;
}

const char *sw_menu_default_id(const struct sw_menu *m)
{
        return m->count ? entry(m, m->def)->id : "";
}

void sw_menu_default_done(struct sw_menu *m, bool saved, const char *why)
{
        const char *id = sw_menu_default_id(m);

        if (saved) {
                status(m, SW_MENU_NORMAL, "Default slot: %s (saved).", entry_name(m, m->def));
                event(m, "menu: default: '%s' (saved)", id);
        } else {
                status(m, SW_MENU_NORMAL, "Default for this boot only: %s (not saved: %s).",
                       entry_name(m, m->def), why ? why : "unknown reason");
                event(m, "menu: default for this boot only: '%s' (not saved: %s)", id,
                      why ? why : "unknown reason");
        }
}

/* ------------------------------------------------------------------------ */
/* Text. */

void sw_menu_list(const struct sw_menu *m, void (*line)(void *ctx, const char *text), void *ctx)
{
        char buf[SW_TITLE_MAX + SW_ID_MAX + SW_HOTKEY_MAX + 64];

        line(ctx, "");
        line(ctx, "Slots (number or arrows, Enter to boot):");
        for (int i = 0; i < m->count; i++) {
                const struct sw_slot_config *s = entry(m, i);

                sw_snprintf(buf, sizeof(buf), " %s %d) %-32s [%s, %s%s%s]", i == m->sel ? "=>" : "  ", i + 1,
                            s->title, s->id, sw_menu_kind(s), s->hotkey[0] ? ", " : "", s->hotkey);
                line(ctx, buf);
        }
}

/* One screen line being built: text in UTF-8, col characters so far, never
 * more than width. */
struct line {
        char *p;
        size_t len;
        unsigned col, width;
};

static bool is_lead(char ch)
{
        return ((unsigned char)ch & 0xc0) != 0x80;
}

/* Characters in s (UTF-8 lead bytes). */
static unsigned text_cols(const char *s)
{
        unsigned n = 0;

        for (; *s; s++)
                n += is_lead(*s);
        return n;
}

/* Bytes of the first cols characters of s. */
static size_t text_bytes(const char *s, unsigned cols)
{
        size_t b = 0;

        while (s[b] && cols) {
                b++;
                while (s[b] && !is_lead(s[b]))
                        b++;
                cols--;
        }
        return b;
}

/* Every write to a line goes through here, and never past its buffer: a
 * title of malformed UTF-8 may have far more bytes than columns.  What
 * does not fit is left out; false then. */
static bool put_bytes(struct line *l, const char *s, size_t b, unsigned cols)
{
        if (l->len + b >= SW_MENU_LINE_MAX)
                return false;
        memcpy(l->p + l->len, s, b);
        l->len += b;
        l->col += cols;
        l->p[l->len] = '\0';
        return true;
}

/* Appends s, at most max characters of it and never past the line's
 * width; a cut text ends in "..." so that nobody takes it for whole. */
static void put(struct line *l, const char *s, unsigned max)
{
        unsigned cols = text_cols(s);

        if (max > l->width - l->col)
                max = l->width - l->col;
        if (cols <= max) {
                put_bytes(l, s, strlen(s), cols);
                return;
        }
        if (max <= 3) {
                put_bytes(l, s, text_bytes(s, max), max);
                return;
        }
        put_bytes(l, s, text_bytes(s, max - 3), max - 3);
        put_bytes(l, "...", 3, 3);
}

/* Spaces up to column col (or the width). */
static void pad_to(struct line *l, unsigned col)
{
        if (col > l->width)
                col = l->width;
        while (l->col < col && put_bytes(l, " ", 1, 1))
                ;
}

/* Starts row r of f as an empty line of the given look; false when the
 * screen has no such row. */
static bool open_row(struct sw_menu_frame *f, unsigned r, enum sw_menu_attr attr, struct line *l)
{
        if (r >= f->rows)
                return false;
        f->attr[r] = attr;
        l->p = f->text[r];
        l->len = 0;
        l->col = 0;
        l->width = f->width;
        l->p[0] = '\0';
        return true;
}

static void close_row(struct line *l)
{
        pad_to(l, l->width);
}

/* A whole row holding text. */
static void text_row(struct sw_menu_frame *f, unsigned r, enum sw_menu_attr attr, const char *text)
{
        struct line l;

        if (!open_row(f, r, attr, &l))
                return;
        put(&l, text, l.width);
        close_row(&l);
}

/* The rows one message takes when wrapped to width: the first line from
 * column 0, the rest indented by two. */
struct wrap {
        const char *s;
        unsigned width;
        bool first;
};

/* The next piece of a wrapped text: its byte count in *bytes (leading
 * spaces of a continuation already skipped in w->s); false at the end. */
static bool wrap_next(struct wrap *w, size_t *bytes, unsigned *cols)
{
        unsigned room = w->first ? w->width : (w->width > 2 ? w->width - 2 : 0);
        size_t b, brk = 0;
        unsigned c, brk_cols = 0;

        /* A piece is never empty, or the wrapping would not end. */
        if (room == 0)
                room = 1;
        if (!w->first)
                while (*w->s == ' ')
                        w->s++;
        if (!*w->s)
                return false;
        if (text_cols(w->s) <= room) {
                *bytes = strlen(w->s);
                *cols = text_cols(w->s);
                return true;
        }
        /* Cut at the last space that fits, else in the middle of a word. */
        for (b = 0, c = 0; w->s[b] && c < room; c++) {
                size_t next = b + 1;

                while (w->s[next] && !is_lead(w->s[next]))
                        next++;
                if (w->s[b] == ' ' && c > 0) {
                        brk = b;
                        brk_cols = c;
                }
                b = next;
        }
        if (w->s[b] == ' ') {
                brk = b;
                brk_cols = c;
        }
        /* A space early in the piece ("warning: " before a long path) is
         * no place to break: that would leave most of the row empty. */
        if (brk && brk_cols > room / 2) {
                *bytes = brk;
                *cols = brk_cols;
        } else {
                *bytes = b;
                *cols = c;
        }
        return true;
}

/* Rows a message needs at width. */
static unsigned wrap_rows(const char *s, unsigned width)
{
        struct wrap w = { s, width, true };
        size_t b;
        unsigned c, n = 0;

        while (wrap_next(&w, &b, &c)) {
                w.s += b;
                w.first = false;
                n++;
        }
        return n;
}

static unsigned wrap_draw(struct sw_menu_frame *f, unsigned r, enum sw_menu_attr attr, const char *s)
{
        struct wrap w = { s, f->width, true };
        char piece[SW_MENU_LINE_MAX];
        struct line l;
        size_t b;
        unsigned c;

        while (wrap_next(&w, &b, &c)) {
                /* Malformed UTF-8 (a lead byte and a long run of
                 * continuation bytes) is one column of many bytes. */
                if (b >= sizeof(piece))
                        b = sizeof(piece) - 1;
                memcpy(piece, w.s, b);
                piece[b] = '\0';
                if (open_row(f, r, attr, &l)) {
                        if (!w.first)
                                put(&l, "  ", 2);
                        put(&l, piece, c);
                        close_row(&l);
                }
                w.s += b;
                w.first = false;
                r++;
        }
        return r;
}

static const char *plural(unsigned n, const char *one, const char *many)
{
        return n == 1 ? one : many;
}

/* Message i as the screen shows it: "warning: TEXT" or "error: TEXT". */
static const char *msg_line(const struct sw_menu_msgs *g, unsigned i, char *buf, size_t n)
{
        sw_snprintf(buf, n, "%s: %s", g->sev[i] == SW_ERROR ? "error" : "warning", g->text[i]);
        return buf;
}

/* The problems block from row first up to row last (exclusive): a
 * heading, as many whole messages as fit, and a line saying how many more
 * the serial log has. */
static void draw_msgs(const struct sw_menu *m, struct sw_menu_frame *f, unsigned first, unsigned last)
{
        const struct sw_menu_msgs *g = m->msgs;
        char line[SW_MENU_MSG_MAX + 16];
        unsigned need = 0, used = 0, shown = 0, avail, budget;

        if (!g || (g->warnings == 0 && g->errors == 0) || last < first + 2)
                return;
        sw_snprintf(line, sizeof(line), "Problems found at start-up (%u %s, %u %s):", g->warnings,
                    plural(g->warnings, "warning", "warnings"), g->errors, plural(g->errors, "error", "errors"));
        text_row(f, first, g->errors ? SW_MENU_ERROR : SW_MENU_WARN, line);
        avail = last - first - 1;
        for (unsigned i = 0; i < g->n; i++)
                need += wrap_rows(msg_line(g, i, line, sizeof(line)), f->width);
        /* Keep a row for the "more" line unless everything fits. */
        budget = need <= avail && !g->lost ? avail : avail - 1;
        for (unsigned i = 0; i < g->n; i++) {
                unsigned rows = wrap_rows(msg_line(g, i, line, sizeof(line)), f->width);

                if (used + rows > budget)
                        break;
                wrap_draw(f, first + 1 + used, g->sev[i] == SW_ERROR ? SW_MENU_ERROR : SW_MENU_WARN, line);
                used += rows;
                shown++;
        }
        if (shown < g->n || g->lost) {
                sw_snprintf(line, sizeof(line), "... and %u more; the serial console has them all.",
                            g->n - shown + g->lost);
                text_row(f, first + 1 + used, SW_MENU_NORMAL, line);
        }
}

/* The help line: the keys, as few words as still say it; a bar like the
 * title's, so it starts one column in as the title does. */
static void help_text(const struct sw_menu *m, char *buf, size_t n)
{
        int top = m->count < 9 ? m->count : 9;

        if (top == 1)
                sw_snprintf(buf, n, " 1 boot  Enter boot  d make default  * default");
        else
                sw_snprintf(buf, n, " 1-%d boot  Up/Down select  Enter boot  d make default  * default", top);
}

void sw_menu_render(const struct sw_menu *m, unsigned cols, unsigned rows, struct sw_menu_frame *f)
{
        unsigned hk_cols = HOTKEY_MIN_COLS, title_cols, kind_col, hk_col, r;
        char buf[SW_MENU_TEXT_MAX + 32];
        struct line l;

        if (cols > SW_MENU_COLS_MAX)
                cols = SW_MENU_COLS_MAX;
        if (rows > SW_MENU_ROWS_MAX)
                rows = SW_MENU_ROWS_MAX;
        f->rows = rows;
        f->width = cols > 1 ? cols - 1 : 0;
        for (r = 0; r < rows; r++)
                text_row(f, r, SW_MENU_NORMAL, "");

        /* The title bar. */
        if (open_row(f, 0, SW_MENU_TITLE, &l)) {
                put(&l, " ", 1);
                put(&l, m->title, l.width);
                close_row(&l);
        }

        /* The table: the title column takes what the others leave. */
        for (int i = 0; i < m->count; i++) {
                unsigned n = text_cols(entry(m, i)->hotkey);

                if (n > hk_cols)
                        hk_cols = n;
        }
        title_cols = f->width > LEAD_COLS + GAP_COLS + KIND_COLS + GAP_COLS + hk_cols
                             ? f->width - (LEAD_COLS + GAP_COLS + KIND_COLS + GAP_COLS + hk_cols)
                             : 8;
        kind_col = LEAD_COLS + title_cols + GAP_COLS;
        hk_col = kind_col + KIND_COLS + GAP_COLS;
        if (open_row(f, 2, SW_MENU_HEADER, &l)) {
                pad_to(&l, LEAD_COLS);
                put(&l, "Slot", title_cols);
                pad_to(&l, kind_col);
                put(&l, "Kind", KIND_COLS);
                pad_to(&l, hk_col);
                put(&l, "Hotkey", hk_cols);
                close_row(&l);
        }
        r = 3;
        for (int i = 0; i < m->count; i++, r++) {
                const struct sw_slot_config *s = entry(m, i);

                if (!open_row(f, r, i == m->sel ? SW_MENU_SELECTED : SW_MENU_NORMAL, &l))
                        continue;
                /* Only 1-9 have a key; the rest are reached by the arrows. */
                if (i < 9)
                        sw_snprintf(buf, sizeof(buf), " %c%d", i == m->def ? '*' : ' ', i + 1);
                else
                        sw_snprintf(buf, sizeof(buf), " %c ", i == m->def ? '*' : ' ');
                put(&l, buf, LEAD_COLS);
                pad_to(&l, LEAD_COLS);
                put(&l, entry_name(m, i), title_cols);
                pad_to(&l, kind_col);
                put(&l, sw_menu_kind(s), KIND_COLS);
                pad_to(&l, hk_col);
                put(&l, s->hotkey[0] ? s->hotkey : "-", hk_cols);
                close_row(&l);
        }

        /* The countdown (blank once a key stopped it) and the status. */
        r++;
        if (m->booting)
                sw_snprintf(buf, sizeof(buf), "Booting %s...", entry_name(m, m->sel));
        else if (m->counting)
                sw_snprintf(buf, sizeof(buf), "Booting %s in %u s. Any key stops the countdown.",
                            entry_name(m, m->sel), m->left);
        else
                buf[0] = '\0';
        if (r < rows - 1)
                text_row(f, r, SW_MENU_NORMAL, buf);
        r++;
        if (r < rows - 1)
                text_row(f, r, m->status_attr, m->status);
        r += 2;

        /* Problems, up to the blank row above the help. */
        if (rows >= 2)
                draw_msgs(m, f, r, rows - 2);

        if (rows > 3) {
                help_text(m, buf, sizeof(buf));
                text_row(f, rows - 1, SW_MENU_HELP, buf);
        }
}
