/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4), for the slot images' hashes.
 *
 * The switcher verifies every slot image it loads, so the hash has to live
 * in the core: no EFI protocol, no libc beyond memcpy/memset, no allocation.
 * Data may come in pieces of any size (mkslot hashes files as it reads them).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SW_SHA256_LEN 32
/* Hex text of a digest, with its NUL. */
#define SW_SHA256_HEX_LEN (2 * SW_SHA256_LEN + 1)

struct sw_sha256 {
        uint32_t h[8];
        uint64_t bytes;                 /* message length so far */
        uint8_t buf[64];                /* a partial block */
        unsigned nbuf;
};

/* Starts a new digest. */
void sw_sha256_init(struct sw_sha256 *c);
/* Adds len bytes at data (len may be 0; data may then be NULL). */
void sw_sha256_update(struct sw_sha256 *c, const void *data, size_t len);
/* Pads, writes the 32-byte digest to out, and leaves c to be re-initialised. */
void sw_sha256_final(struct sw_sha256 *c, uint8_t out[SW_SHA256_LEN]);
/* The digest of one buffer. */
void sw_sha256(const void *data, size_t len, uint8_t out[SW_SHA256_LEN]);
/* Lower-case hex of a digest into hex (SW_SHA256_HEX_LEN bytes); returns hex. */
char *sw_sha256_hex(const uint8_t d[SW_SHA256_LEN], char hex[SW_SHA256_HEX_LEN]);
