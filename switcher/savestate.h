/* SPDX-License-Identifier: MIT */
/*
 * Saved-state integrity: a header for each slot's store, in the spirit of
 * swsusp's image header.  When the switcher saves a slot (copies the active
 * region into the slot's store) it records what the store belongs to (slot,
 * kernel, partition, the slot's RAM layout, the store's place) and a 64-bit
 * checksum of its bytes (sw_hash64).  Before a resume both are checked, and
 * the header is marked CONSUMED before the jump, so a store is resumed at
 * most once per save: a crash or a second wake during a resume can never
 * replay a stale image.
 *
 * The headers live in the resident block, outside every slot's RAM, so the
 * running guest cannot touch them by accident (only through /dev/mem, see
 * the security model in README.md).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define SW_SAVE_MAGIC 0x31565753u       /* "SWV1" */
#define SW_SAVE_KERNEL_LEN 64

enum sw_save_status {
        SW_SAVE_NONE = 0,       /* never saved (a fresh header is all zero) */
        SW_SAVE_VALID = 0x444c4156u,    /* "VALD": saved, not yet resumed */
        SW_SAVE_CONSUMED = 0x534e4f43u, /* "CONS": resumed (or being resumed) */
};

#define SW_SAVE_HASHED 1u       /* flags: data_hash is set (the slot verifies) */

/* What a store must belong to.  Compared field by field before a resume. */
struct sw_save_identity {
        char slot[SW_ID_MAX];
        char kernel[SW_SAVE_KERNEL_LEN];  /* the kernel release from its header */
        uint64_t kernel_size;             /* bytes of the bzImage file */
        char partition[SW_PART_MAX];
        uint64_t layout;                  /* sw_hash64 of the slot's e820 table */
        uint64_t store_base;
        uint64_t store_size;
};

struct sw_save_header {
        uint32_t magic;
        uint32_t status;        /* enum sw_save_status */
        uint32_t saves;         /* times this slot was saved */
        uint32_t flags;         /* SW_SAVE_HASHED */
        struct sw_save_identity id;
        uint64_t data_hash;     /* sw_hash64 of the store, seed 0 */
        uint64_t hdr_hash;      /* sw_hash64 of every byte above */
};

/* Why a resume was refused. */
enum sw_save_verdict {
        SW_SAVE_OK = 0,
        SW_SAVE_ERR_NONE,       /* nothing was ever saved */
        SW_SAVE_ERR_CONSUMED,   /* already resumed once since its last save */
        SW_SAVE_ERR_HEADER,     /* magic or header checksum wrong: the header itself is damaged */
        SW_SAVE_ERR_IDENTITY,   /* saved for another slot, kernel, partition, layout or place */
        SW_SAVE_ERR_DATA,       /* the store's bytes changed since the save */
};

/* "ok", "never-saved", "consumed", "header-damaged", "identity-mismatch",
 * "data-mismatch"; "unknown" outside the enum. */
const char *sw_save_verdict_name(enum sw_save_verdict v);

/*
 * Fills id for slot s: kernel_release (may be "" or NULL) and kernel_size
 * from its bzImage, the slot's e820 table (ne820 entries of entry_size bytes
 * at e820) and its store.  Text fields are cut to fit and NUL-padded, so two
 * identities compare with memcmp.
 */
void sw_save_identity_make(struct sw_save_identity *id, const struct sw_slot_config *s,
                           const char *kernel_release, uint64_t kernel_size, const void *e820,
                           size_t e820_bytes, uint64_t store_base, uint64_t store_size);

/*
 * Records a save: status VALID, the identity, the data hash when hashed
 * (flags SW_SAVE_HASHED), saves + 1 (kept from a previous valid header of
 * the same slot), and the header checksum.
 */
void sw_save_record(struct sw_save_header *h, const struct sw_save_identity *id, bool hashed,
                    uint64_t data_hash);

/*
 * Checks a header before a resume against the identity the switcher expects.
 * Does not look at the data: when it returns SW_SAVE_OK and h->flags has
 * SW_SAVE_HASHED, the caller hashes the store and calls sw_save_check_data().
 * On a refusal writes a one-line reason to why (n bytes), e.g.
 * "saved for kernel '6.1.0-56-amd64', the slot now has '6.1.0-57-amd64'".
 */
enum sw_save_verdict sw_save_check(const struct sw_save_header *h, const struct sw_save_identity *id,
                                   char *why, size_t n);

/* SW_SAVE_OK when data_hash matches the recorded one (or nothing was
 * recorded), else SW_SAVE_ERR_DATA with the two values in why. */
enum sw_save_verdict sw_save_check_data(const struct sw_save_header *h, uint64_t data_hash, char *why,
                                        size_t n);

/* Marks the header CONSUMED (and re-seals it): done before the jump into the
 * resumed slot. */
void sw_save_consume(struct sw_save_header *h);
