/* SPDX-License-Identifier: MIT */
/* poweroff --save's decisions (see saveall.h). */
#include "saveall.h"

#include <libfdt.h>
#include <string.h>

#include "fmt.h"
#include "gpt.h"
#include "mailbox.h"

enum sw_saveall_kind sw_saveall_classify(const char *id, const char *self, const char *state, const char *mode,
                                         char *why, size_t n)
{
        if (n)
                why[0] = '\0';
        if (strcmp(id, self) == 0) {
                sw_snprintf(why, n, "slot '%s' is this slot, running: it is saved last, by another slot once it "
                            "is suspended (a slot cannot snapshot itself while it runs)", id);
                return SW_SAVEALL_SELF;
        }
        if (state && (strcmp(state, "empty") == 0)) {
                sw_snprintf(why, n, "slot '%s' has nothing to save: it never ran, or went off", id);
                return SW_SAVEALL_NOTHING;
        }
        if (!state || strcmp(state, "suspended") != 0) {
                sw_snprintf(why, n, "slot '%s' is not saved: it %s", id,
                            !state ? "has no state in the mailbox"
                            : strcmp(state, "failed") == 0 ? "failed"
                            : strcmp(state, "running") == 0 ? "is running, and is not this slot" : "is in an unknown state");
                return SW_SAVEALL_SKIP;
        }
        if (mode && strcmp(mode, "swap") != 0 && strcmp(mode, "in-place") != 0) {
                sw_snprintf(why, n, "slot '%s' is not saved: its mode '%s' is neither swap nor in-place",
                            id, mode);
                return SW_SAVEALL_SKIP;
        }
        return SW_SAVEALL_SAVE;
}

int sw_saveall_room(const uint64_t *need, unsigned n, uint64_t free_bytes, char *why, size_t len)
{
        uint64_t total = 0;

        if (len)
                why[0] = '\0';
        for (unsigned i = 0; i < n; i++) {
                if (need[i] > UINT64_MAX - total) {
                        sw_snprintf(why, len, "the %u snapshots' worst sizes add up to more than 2^64 bytes", n);
                        return -1;
                }
                total += need[i];
        }
        if (total > free_bytes) {
                sw_snprintf(why, len, "%llu bytes free, and the %u snapshot%s need%s up to %llu (every page non-zero)",
                            (unsigned long long)free_bytes, n, n == 1 ? "" : "s", n == 1 ? "s" : "",
                            (unsigned long long)total);
                return -1;
        }
        return 0;
}

int sw_saveall_path(char *out, size_t n, const char *dir, const char *id)
{
        size_t d = strlen(dir);
        int len;

        if (!d || !id[0])
                return -1;
        while (d > 1 && dir[d - 1] == '/')
                d--;
        len = sw_snprintf(out, n, "%.*s%s%s.snap", (int)d, dir, dir[d - 1] == '/' ? "" : "/", id);
        return len < 0 || (size_t)len >= n ? -1 : 0;
}

int sw_saveall_saver(const char *const *saved, unsigned n, const char *self, char *why, size_t len)
{
        if (len)
                why[0] = '\0';
        if (!n) {
                sw_snprintf(why, len, "slot '%s' can only be saved by another slot once it is suspended, and no "
                            "other slot is suspended to do it", self);
                return -1;
        }
        (void)saved;
        return 0;
}

int sw_saveall_dir_part(const void *fdt, const struct sw_gpt_part *e, const char *dir, char *why, size_t len)
{
        int slots = fdt_path_offset(fdt, "/slots"), node;

        if (len)
                why[0] = '\0';
        if (slots < 0)
                return 0;
        fdt_for_each_subnode(node, fdt, slots) {
                const char *id = fdt_get_name(fdt, node, NULL);
                int plen;
                const char *spec = fdt_getprop(fdt, node, "partition", &plen);

                if (!id || !spec || plen < 1 || spec[plen - 1] != '\0' || !sw_gpt_matches_spec(e, spec))
                        continue;
                sw_snprintf(why, len, "%s lies on slot '%s''s partition %s, which is saved with its slot and "
                            "changes while it runs; put the snapshots on a partition of no slot", dir, id, spec);
                return -1;
        }
        return 0;
}

/* Slot id's state in the mailbox, or "" when it has none. */
static const char *slot_state(const void *fdt, const char *id)
{
        int node = sw_mb_slot_offset(fdt, id), len;
        const char *st = node >= 0 ? fdt_getprop(fdt, node, "state", &len) : NULL;

        return st && len == SW_MB_STATE_LEN && strnlen(st, SW_MB_STATE_LEN) < SW_MB_STATE_LEN ? st : "";
}

enum sw_poweroff_todo sw_poweroff_todo(const void *fdt, const char *self, struct sw_mb_poweroff *p, char *why,
                                       size_t n)
{
        int err = sw_mb_get_poweroff(fdt, p);

        if (n)
                why[0] = '\0';
        if (err == 1)
                return SW_PO_NOTHING;
        if (err < 0) {
                sw_snprintf(why, n, "the power-off record in the mailbox is damaged (%s); ignored",
                            sw_mb_status_name((enum sw_mb_status)-err));
                return SW_PO_IGNORE;
        }
        if (p->phase == SW_MB_PO_OFF)
                return strcmp(p->from, self) != 0 && strcmp(slot_state(fdt, p->from), "empty") == 0
                               ? SW_PO_OFF : SW_PO_NOTHING;
        if (p->phase != SW_MB_PO_SAVE || strcmp(p->saver, self) != 0 || strcmp(p->from, self) == 0)
                return SW_PO_NOTHING;
        if (strcmp(slot_state(fdt, p->from), "suspended") != 0) {
                sw_snprintf(why, n, "slot '%s' asked this slot to save it for its poweroff --save, but it is "
                            "%s now, not suspended; not saved", p->from,
                            slot_state(fdt, p->from)[0] ? slot_state(fdt, p->from) : "gone from the mailbox");
                return SW_PO_IGNORE;
        }
        return SW_PO_SAVE;
}

int sw_poweroff_back(const void *fdt, const char *self, uint32_t seq, char *why, size_t n)
{
        static struct sw_mb_poweroff p;
        int err = sw_mb_get_poweroff(fdt, &p);
        uint32_t rs;

        if (err == 1 && (sw_mb_get_result(fdt, self, &rs, NULL, NULL, 0) < 0 || rs != seq)) {
                sw_snprintf(why, n, "this slot, '%s', runs again from its snapshot, in a later start-up (the "
                            "mailbox is a new one, without the answer to its request %u): its poweroff --save "
                            "went through", self, (unsigned)seq);
                return 1;
        }
        if (err < 0)
                sw_snprintf(why, n, "the power-off record in the mailbox is damaged (%s)",
                            sw_mb_status_name((enum sw_mb_status)-err));
        else if (err == 1 || strcmp(p.from, self) != 0)
                sw_snprintf(why, n, "the power-off record in the mailbox is gone (the switcher rebuilt the "
                            "mailbox, or another slot replaced it)");
        else if (p.phase == SW_MB_PO_FAILED)
                sw_snprintf(why, n, "slot '%s' could not save this slot: %s", p.saver, p.message);
        else if (p.phase == SW_MB_PO_SAVE)
                sw_snprintf(why, n, "slot '%s' did not save this slot (it was not resumed inside a switch, "
                            "where its agent looks for the request)", p.saver);
        else
                sw_snprintf(why, n, "the power-off record in the mailbox says phase %u", (unsigned)p.phase);
        return 0;
}

int sw_poweroff_mark(void *fdt, const char *self)
{
        static struct sw_mb_poweroff p;

        memset(&p, 0, sizeof(p));
        p.phase = SW_MB_PO_OFF;
        if (strnlen(self, SW_MB_ID_LEN) >= SW_MB_ID_LEN)
                return -SW_MB_MALFORMED;
        memcpy(p.from, self, strlen(self));
        return sw_mb_set_poweroff(fdt, &p);
}
