/* SPDX-License-Identifier: MIT */
/*
 * The mailbox: switcher-reserved pages holding the slot table as a flattened
 * device tree, shared by the switcher and the guest agent (libfdt on both
 * sides; this file is compiled into both).  The guest finds it through
 * "switcher.mailbox=0xADDR" on its command line.  Every byte a guest writes
 * here is untrusted: the switcher validates it before use.
 *
 * Layout, version 1 (all integers big-endian, as in any FDT):
 *
 *   / {
 *       version = <1>;
 *       current = "ID";                  running slot
 *       next-hotkey = "ctrl+alt+0";      optional: "switch to the next slot"
 *       slots {
 *           ID {                         one node per valid slot, menu order
 *               title = "...";
 *               mode = "swap" | "in-place";
 *               state = "empty" | "running" | "suspended" | "failed";
 *               hotkey = "ctrl+alt+1";   optional
 *               partition = "PARTLABEL=x" | "PARTUUID=uuid";   optional
 *               switches = <u32>;        times this slot was switched to
 *               last-switch-us = <u32>;  the switcher's own part of the last switch to it
 *               result-seq = <u32>;      seq of the last request this slot made
 *               result-status = <u32>;   enum sw_mb_status for that request
 *               result-message = [128 bytes, NUL-padded text];
 *           };
 *       };
 *       request {                        written in place by the running slot's agent
 *           slot = [64 bytes, NUL-padded id of the requesting slot];
 *           target = [64 bytes, NUL-padded id of the target slot];
 *           seq = <u32>;                 previous result-seq of the requester + 1
 *           csum = <u32>;                CRC-32 (IEEE 802.3) of slot[64] target[64] seq(BE)
 *       };
 *   };
 *
 * Every property is created at its full size by sw_mailbox_build(), so both
 * sides change values with fdt_setprop_inplace() and the tree never moves.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"

#define SW_MAILBOX_SIZE (16 * 1024)
#define SW_MAILBOX_VERSION 1
#define SW_MB_ID_LEN 64
#define SW_MB_MSG_LEN 128

enum sw_slot_state {
        SW_SLOT_EMPTY,       /* never started */
        SW_SLOT_RUNNING,
        SW_SLOT_SUSPENDED,
        SW_SLOT_FAILED,
};

/* Outcome of a switch request, as written to result-status. */
enum sw_mb_status {
        SW_MB_OK = 0,            /* switched; the requester was resumed later */
        SW_MB_BAD_CSUM = 1,      /* checksum does not match */
        SW_MB_UNKNOWN_SLOT = 2,  /* target names no valid slot */
        SW_MB_SAME_SLOT = 3,     /* target is the slot that is running */
        SW_MB_TARGET_FAILED = 4, /* target cannot be started or resumed */
        SW_MB_BAD_SEQ = 5,       /* seq is not previous result-seq + 1 */
        SW_MB_MALFORMED = 6,     /* the tree or the request is damaged */
        SW_MB_NO_REQUEST = 7,    /* woke up with no request pending */
        SW_MB_STATUS_MAX,
};

/* A decoded request. */
struct sw_mb_request {
        char slot[SW_MB_ID_LEN];
        char target[SW_MB_ID_LEN];
        uint32_t seq;
        uint32_t csum;
};

const char *sw_slot_state_name(enum sw_slot_state s);
const char *sw_mb_status_name(enum sw_mb_status s);

/* CRC-32 (IEEE 802.3, reflected, init and final xor 0xffffffff). */
uint32_t sw_crc32(uint32_t crc, const void *buf, size_t len);

/* The checksum a request must carry. */
uint32_t sw_mb_request_csum(const struct sw_mb_request *r);

/*
 * Writes the slot table for every valid slot of c into buf (size bytes, at
 * least SW_MAILBOX_SIZE).  state[i] is the state of c->slots[i]; current is
 * the index of the running slot.  Returns 0, or a negative libfdt error
 * (reported through d).
 */
int sw_mailbox_build(void *buf, size_t size, const struct sw_config *c,
                     const enum sw_slot_state *state, int current, struct sw_diag *d);
