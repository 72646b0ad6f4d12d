/* SPDX-License-Identifier: MIT */
#include "hash64.h"

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl(uint64_t x, unsigned r)
{
        return (x << r) | (x >> (64 - r));
}

/* Little-endian loads through a fixed-size copy: the store need not be
 * aligned.  __builtin_memcpy, because the EFI build's -fno-builtin would
 * otherwise make each 8-byte load a call into memcpy. */
static inline uint64_t rd64(const uint8_t *p)
{
        uint64_t v;

        __builtin_memcpy(&v, p, 8);
        return v;
}

static inline uint32_t rd32(const uint8_t *p)
{
        uint32_t v;

        __builtin_memcpy(&v, p, 4);
        return v;
}

static inline uint64_t lane(uint64_t acc, uint64_t in)
{
        acc += in * P2;
        acc = rotl(acc, 31);
        return acc * P1;
}

static inline uint64_t merge(uint64_t h, uint64_t v)
{
        h ^= lane(0, v);
        return h * P1 + P4;
}

uint64_t sw_hash64(const void *data, size_t len, uint64_t seed)
{
        const uint8_t *p = data, *end = p + len;
        uint64_t h;

        if (len >= 32) {
                uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
                const uint8_t *last = end - 32;

                do {
                        v1 = lane(v1, rd64(p));
                        v2 = lane(v2, rd64(p + 8));
                        v3 = lane(v3, rd64(p + 16));
                        v4 = lane(v4, rd64(p + 24));
                        p += 32;
                } while (p <= last);
                h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
                h = merge(h, v1);
                h = merge(h, v2);
                h = merge(h, v3);
                h = merge(h, v4);
        } else {
                h = seed + P5;
        }
        h += (uint64_t)len;

        while (end - p >= 8) {
                h ^= lane(0, rd64(p));
                h = rotl(h, 27) * P1 + P4;
                p += 8;
        }
        if (end - p >= 4) {
                h ^= (uint64_t)rd32(p) * P1;
                h = rotl(h, 23) * P2 + P3;
                p += 4;
        }
        while (p < end) {
                h ^= *p++ * P5;
                h = rotl(h, 11) * P1;
        }
        h ^= h >> 33;
        h *= P2;
        h ^= h >> 29;
        h *= P3;
        h ^= h >> 32;
        return h;
}
