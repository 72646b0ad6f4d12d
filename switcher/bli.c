/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "bli.h"
#include "fmt.h"

/* Appends ASCII s with its NUL at out[*pos]; false when it does not fit or
 * is not ASCII (then *pos is unchanged). */
static bool put16(uint16_t *out, size_t cap, size_t *pos, const char *s)
{
        size_t n = strlen(s);

        if (n + 1 > cap - *pos)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] > 0x7f)
                        return false;
        for (size_t i = 0; i <= n; i++)
                out[*pos + i] = (uint16_t)(unsigned char)s[i];
        *pos += n + 1;
        return true;
}

int sw_bli_str16(uint16_t *out, size_t cap, const char *s)
{
        size_t pos = 0;

        if (!put16(out, cap, &pos, s))
                return -1;
        return (int)(pos * sizeof(uint16_t));
}

int sw_bli_entries(uint16_t *out, size_t cap, const struct sw_config *c)
{
        size_t pos = 0;

        for (unsigned i = 0; i < c->nslots && i < SW_MAX_SLOTS; i++)
                if (c->slots[i].valid && !put16(out, cap, &pos, c->slots[i].id))
                        return -1;
        return (int)(pos * sizeof(uint16_t));
}

int sw_bli_usec(uint16_t *out, size_t cap, uint64_t usec)
{
        char buf[24];

        sw_snprintf(buf, sizeof(buf), "%llu", (unsigned long long)usec);
        return sw_bli_str16(out, cap, buf);
}

int sw_bli_from16(char *out, size_t cap, const void *val, size_t size)
{
        const uint8_t *p = val;
        size_t n = 0;

        if (cap == 0 || size % 2)
                return -1;
        for (size_t i = 0; i < size / 2; i++) {
                uint16_t u = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);

                if (u == 0)
                        break;
                if (u > 0x7f || n + 1 >= cap)
                        return -1;
                out[n++] = (char)u;
        }
        out[n] = '\0';
        return 0;
}

/* The valid slot named v, else -1 with a warning naming the variable. */
static int steer_find(const struct sw_config *c, const char *v, const char *var, struct sw_diag *d)
{
        int i;

        if (!v || !v[0])
                return -1;
        i = sw_config_find_slot(c, v);
        if (i < 0)
                sw_diagf(d, SW_WARN, "EFI variable %s names '%s', which is no valid slot; ignored", var, v);
        return i;
}

int sw_bli_choose(const struct sw_config *c, const struct sw_bli_steer *v, bool *oneshot, struct sw_diag *d)
{
        int i;

        *oneshot = true;
        if ((i = steer_find(c, v->entry_oneshot, "LoaderEntryOneShot", d)) >= 0 ||
            (i = steer_find(c, v->slot_oneshot, "SwitcherSlotOneShot", d)) >= 0)
                return i;
        *oneshot = false;
        if ((i = steer_find(c, v->entry_default, "LoaderEntryDefault", d)) >= 0 ||
            (i = steer_find(c, v->slot_default, "SwitcherSlotDefault", d)) >= 0)
                return i;
        return sw_config_default_index(c);
}

int sw_bli_selected(const struct sw_config *c, int target, int written, uint16_t *out, size_t cap)
{
        if (target < 0 || (unsigned)target >= c->nslots || !c->slots[target].valid || target == written)
                return 0;
        return sw_bli_str16(out, cap, c->slots[target].id);
}

int sw_bli_timeout_oneshot(const char *v, struct sw_diag *d)
{
        unsigned long t = 0;
        size_t i;

        if (!v || !v[0])
                return -1;
        if (strcmp(v, "menu-force") == 0)
                return 0;
        for (i = 0; v[i] >= '0' && v[i] <= '9' && i < 10; i++)
                t = t * 10 + (unsigned long)(v[i] - '0');
        if (v[i] || i >= 10) {
                sw_diagf(d, SW_WARN, "EFI variable LoaderConfigTimeoutOneShot is '%s', not a number of seconds "
                         "or menu-force; ignored", v);
                return -1;
        }
        return t > SW_TIMEOUT_MAX ? SW_TIMEOUT_MAX : (int)t;
}
