/* SPDX-License-Identifier: MIT */
/*
 * The mailbox: switcher-reserved pages holding the slot table as a flattened
 * device tree, read by the guest agent (libfdt on both sides).  The guest
 * finds it through "switcher.mailbox=0xADDR" on its command line.
 *
 * Layout (version 1):
 *   / { version = <1>; current = "ID";
 *       slots { ID { title = "..."; mode = "swap"; state = "running"; }; ... };
 *   };
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"

#define SW_MAILBOX_SIZE (16 * 1024)
#define SW_MAILBOX_VERSION 1

enum sw_slot_state {
        SW_SLOT_EMPTY,       /* never started */
        SW_SLOT_RUNNING,
        SW_SLOT_SUSPENDED,
        SW_SLOT_FAILED,
};

const char *sw_slot_state_name(enum sw_slot_state s);

/*
 * Writes the slot table for every valid slot of c into buf (size bytes, at
 * least SW_MAILBOX_SIZE).  state[i] is the state of c->slots[i]; current is
 * the index of the running slot.  Returns 0, or a negative libfdt error
 * (reported through d).
 */
int sw_mailbox_build(void *buf, size_t size, const struct sw_config *c,
                     const enum sw_slot_state *state, int current, struct sw_diag *d);
