/* SPDX-License-Identifier: MIT */
/* Real memory maps from tests/fixtures, for the unit tests. */
#pragma once

#include "memmap.h"
#include "plan.h"

/* Reads FIXTURES/name into m; fails the running cmocka test on any error. */
void load_memmap_fixture(struct sw_memmap *m, const char *name);

/* Reads tests/fixtures/NAME into dst (at most cap bytes; the file must be
 * shorter than cap, so a fixture that grew is noticed) and returns its
 * length.  Fails the running test when the file cannot be read. */
size_t load_file_fixture(const char *name, void *dst, size_t cap);

/*
 * What the firmware does to m when the EFI code claims [b, b+size) with
 * AllocatePages(AllocateAddress, type): those pages take the type.  The
 * planner only picks conventional memory for what it claims, which this
 * asserts too.
 */
void memmap_claim(struct sw_memmap *m, uint64_t b, uint64_t size, uint32_t type);

/* The index in plan of the slot named id; fails the running test when the
 * plan has no such slot. */
unsigned plan_slot_index(const struct sw_plan *plan, const char *id);
