/* SPDX-License-Identifier: MIT */
/*
 * A fast 64-bit checksum for saved slot state: XXH64, written from its
 * published specification (Yann Collet, "xxHash fast digest algorithm",
 * doc/xxhash_spec.md).  Not cryptographic: it catches damage (a stray DMA,
 * a guest writing where it should not, a bug in the swap), not an attacker.
 * XXH64 was chosen over CRC32C because it needs only 64-bit multiplies and
 * rotates, which QEMU's TCG runs at near memcpy speed, where the SSE4.2
 * crc32 instruction is a helper call per 8 bytes; and 64 bits make a missed
 * change of a multi-GiB store negligibly likely.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* XXH64 of len bytes at p with the given seed; matches `xxh64sum` (seed 0). */
uint64_t sw_hash64(const void *p, size_t len, uint64_t seed);
