/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 as FIPS 180-4 section 6.2 describes it: big-endian words, 64
 * rounds per 512-bit block, the message padded with 0x80, zeros and its
 * bit length.  Written for clarity over speed: the switcher hashes a few
 * tens of MiB per boot, once.
 */
#include <string.h>

#include "sha256.h"

/* The first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes (FIPS 180-4, 4.2.2). */
static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
        return (x >> n) | (x << (32 - n));
}

static void block(uint32_t h[8], const uint8_t p[64])
{
        uint32_t w[64], a, b, c, d, e, f, g, k;

        for (unsigned i = 0; i < 16; i++)
                w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
                       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
        for (unsigned i = 16; i < 64; i++) {
                uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
                uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
        for (unsigned i = 0; i < 64; i++) {
                uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
                uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

                k = g, g = f, f = e, e = d + t1;
                d = c, c = b, b = a, a = t1 + t2;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d;
        h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

void sw_sha256_init(struct sw_sha256 *c)
{
        /* The fractional parts of the square roots of the first 8 primes. */
        static const uint32_t iv[8] = {
                0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        };

        memcpy(c->h, iv, sizeof(iv));
        c->bytes = 0;
        c->nbuf = 0;
}

void sw_sha256_update(struct sw_sha256 *c, const void *data, size_t len)
{
        const uint8_t *p = data;

        /* (NULL, 0) is a valid empty update; memcpy must not see the NULL. */
        if (len == 0)
                return;
        c->bytes += len;
        if (c->nbuf) {
                size_t take = 64 - c->nbuf < len ? 64 - c->nbuf : len;

                memcpy(c->buf + c->nbuf, p, take);
                c->nbuf += (unsigned)take;
                p += take;
                len -= take;
                if (c->nbuf < 64)
                        return;
                block(c->h, c->buf);
                c->nbuf = 0;
        }
        for (; len >= 64; p += 64, len -= 64)
                block(c->h, p);
        if (len) {
                memcpy(c->buf, p, len);
                c->nbuf = (unsigned)len;
        }
}

void sw_sha256_final(struct sw_sha256 *c, uint8_t out[SW_SHA256_LEN])
{
        uint64_t bits = c->bytes * 8;

        c->buf[c->nbuf++] = 0x80;
        if (c->nbuf > 56) {
                memset(c->buf + c->nbuf, 0, 64 - c->nbuf);
                block(c->h, c->buf);
                c->nbuf = 0;
        }
        memset(c->buf + c->nbuf, 0, 56 - c->nbuf);
        for (unsigned i = 0; i < 8; i++)
                c->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
        block(c->h, c->buf);
        for (unsigned i = 0; i < 8; i++) {
                out[4 * i] = (uint8_t)(c->h[i] >> 24);
                out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
                out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
                out[4 * i + 3] = (uint8_t)c->h[i];
        }
        c->nbuf = 0;
}

void sw_sha256(const void *data, size_t len, uint8_t out[SW_SHA256_LEN])
{
        struct sw_sha256 c;

        sw_sha256_init(&c);
        sw_sha256_update(&c, data, len);
        sw_sha256_final(&c, out);
}

char *sw_sha256_hex(const uint8_t d[SW_SHA256_LEN], char hex[SW_SHA256_HEX_LEN])
{
        static const char digits[] = "0123456789abcdef";

        for (unsigned i = 0; i < SW_SHA256_LEN; i++) {
                hex[2 * i] = digits[d[i] >> 4];
                hex[2 * i + 1] = digits[d[i] & 15];
        }
        hex[2 * SW_SHA256_LEN] = '\0';
        return hex;
}
