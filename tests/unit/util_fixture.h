/* SPDX-License-Identifier: MIT */
/* Real memory maps from tests/fixtures, for the unit tests. */
#pragma once

#include "memmap.h"

/* Reads FIXTURES/name into m; fails the running cmocka test on any error. */
void load_memmap_fixture(struct sw_memmap *m, const char *name);
