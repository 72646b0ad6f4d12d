/* SPDX-License-Identifier: MIT */
/*
 * Identity page tables for the resident switcher: after an S3 wake the
 * trampoline enters long mode on these, so every byte of RAM (stores above
 * 4 GiB included) and the low MMIO the switcher touches is reachable at its
 * physical address.  2 MiB pages, because TCG's default CPU has no 1 GiB
 * pages.  One PML4 page, one PDPT page (512 GiB at most), one PD per GiB.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SW_PT_MAX_TOP (512ULL << 30)

/* Pages needed to map [0, top) (top rounded up to a GiB, at least 4 GiB). */
unsigned sw_pt_pages(uint64_t top);

/*
 * Builds the tables in mem (size bytes, 4 KiB aligned, which will be at
 * physical address phys) and returns the CR3 value (= phys), or 0 when mem
 * is too small, misaligned, or top exceeds SW_PT_MAX_TOP.
 */
uint64_t sw_pt_build(void *mem, uint64_t phys, size_t size, uint64_t top);
