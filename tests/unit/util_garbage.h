/* SPDX-License-Identifier: MIT */
/* Deterministic garbage for bad-input tests: the same bytes on every run. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The next value of a fixed xorshift32 sequence. */
uint32_t garbage_u32(void);

/* Fills n bytes at p from the sequence; with nonzero, no byte is 0 (so a
 * fixed-size text field is sure to be unterminated). */
void garbage_fill(void *p, size_t n, bool nonzero);
