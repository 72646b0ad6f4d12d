/* SPDX-License-Identifier: MIT */
#include "mailbox.h"

#include <libfdt.h>

const char *sw_slot_state_name(enum sw_slot_state s)
{
        switch (s) {
        case SW_SLOT_EMPTY:
                return "empty";
        case SW_SLOT_RUNNING:
                return "running";
        case SW_SLOT_SUSPENDED:
                return "suspended";
        case SW_SLOT_FAILED:
                return "failed";
        }
        return "unknown";
}

int sw_mailbox_build(void *buf, size_t size, const struct sw_config *c,
                     const enum sw_slot_state *state, int current, struct sw_diag *d)
{
        int err, slots;

        if (size < SW_MAILBOX_SIZE || size > INT32_MAX) {
                err = -FDT_ERR_NOSPACE;
                goto fail;
        }
        err = fdt_create_empty_tree(buf, (int)size);
        if (err)
                goto fail;
        err = fdt_setprop_u32(buf, 0, "version", SW_MAILBOX_VERSION);
        if (err)
                goto fail;
        if (current >= 0 && (unsigned)current < c->nslots) {
                err = fdt_setprop_string(buf, 0, "current", c->slots[current].id);
                if (err)
                        goto fail;
        }
        slots = fdt_add_subnode(buf, 0, "slots");
        if (slots < 0) {
                err = slots;
                goto fail;
        }
        for (unsigned i = 0; i < c->nslots; i++) {
                const struct sw_slot_config *s = &c->slots[i];
                int node;

                if (!s->valid)
                        continue;
                node = fdt_add_subnode(buf, slots, s->id);
                if (node < 0) {
                        err = node;
                        goto fail;
                }
                err = fdt_setprop_string(buf, node, "title", s->title);
                if (!err)
                        err = fdt_setprop_string(buf, node, "mode", sw_mode_name(s->mode));
                if (!err)
                        err = fdt_setprop_string(buf, node, "state", sw_slot_state_name(state[i]));
                if (!err && s->hotkey[0])
                        err = fdt_setprop_string(buf, node, "hotkey", s->hotkey);
                if (err)
                        goto fail;
        }
        /* Not packed: the switch path edits the tree in place later. */
        return 0;
fail:
        sw_diagf(d, SW_ERROR, "mailbox: cannot build the slot table: %s", fdt_strerror(err));
        return err;
}
