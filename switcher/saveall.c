/* SPDX-License-Identifier: MIT */
/* poweroff --save's decisions (see saveall.h). */
#include "saveall.h"

#include <libfdt.h>
#include <string.h>

#include "fmt.h"
#include "mailbox.h"

enum sw_saveall_kind sw_saveall_classify(const char *id, const char *self, const char *state, const char *mode,
                                         char *why, size_t n)
{
        if (n)
                why[0] = '\0';
        if (strcmp(id, self) == 0) {
                sw_snprintf(why, n, "slot '%s' is not saved: it is this slot, running, and a slot cannot snapshot "
                            "itself while it runs (save it from another slot while it is suspended)", id);
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
                sw_snprintf(why, n, "slot '%s' is not saved: it runs %s, and only swap slots have snapshots so far",
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

bool sw_poweroff_pending(const void *fdt, const char *self)
{
        char msg[SW_MB_MSG_LEN];
        int slots = fdt_path_offset(fdt, "/slots"), node;

        if (slots < 0)
                return false;
        fdt_for_each_subnode(node, fdt, slots) {
                const char *id = fdt_get_name(fdt, node, NULL);
                int len;
                const char *state = fdt_getprop(fdt, node, "state", &len);

                if (!id || strcmp(id, self) == 0 || !state || len != SW_MB_STATE_LEN ||
                    strncmp(state, "empty", SW_MB_STATE_LEN) != 0)
                        continue;
                if (sw_mb_get_result(fdt, id, NULL, NULL, msg, sizeof(msg)) == 0 &&
                    strcmp(msg, SW_POWEROFF_MARK) == 0)
                        return true;
        }
        return false;
}

/* slot's result-message set to msg, its seq and status kept. */
static int set_message(void *fdt, const char *slot, const char *msg)
{
        uint32_t seq, st;
        int err = sw_mb_get_result(fdt, slot, &seq, &st, NULL, 0);

        if (err < 0)
                return err;
        return sw_mb_set_result(fdt, slot, seq, (enum sw_mb_status)st, msg);
}

int sw_poweroff_mark(void *fdt, const char *slot)
{
        return set_message(fdt, slot, SW_POWEROFF_MARK);
}

int sw_poweroff_unmark(void *fdt, const char *slot)
{
        return set_message(fdt, slot, "");
}
