/* SPDX-License-Identifier: MIT */
#pragma once

#include "linux.h"

/*
 * Preloads slot s: from its slot image when partitions.conf gives 'image'
 * (read from the ESP, verified by switcher/slotimg.c, its command line,
 * title, arch and mode applied to s), else linux_preload().  A slot whose
 * image is missing, damaged or not a usable kernel is refused with a
 * message naming the slot, the file and the reason; returns -1 then.
 */
int slot_preload(struct slot_rt *rt, struct sw_slot_config *s, uint64_t slot_ram, struct sw_diag *d);
