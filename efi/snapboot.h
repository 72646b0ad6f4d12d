/* SPDX-License-Identifier: MIT */
#pragma once

#include "sw-efi.h"
#include "linux.h"

/*
 * The start-up restore (docs/lab-bank.md): for each valid, loaded slot
 * with a 'snapshot' line other than boot, the snapshot is checked whole,
 * then its file system written to the slot's partition and its RAM into
 * the slot's store; the slot's save header is recorded and its waking
 * vector set to the snapshot's.  restored[i] says which slots hold their
 * snapshot now (the caller marks them suspended and leaves their stores
 * alone from here on).  A slot whose snapshot fails is dropped (valid
 * false) or left to cold-boot, as sw_snap_boot_failed() decides, with a
 * FILE:LINE message on the console and serial.  Runs with boot services,
 * after every slot was staged and before boot_params are final; map is
 * the memory map the slots were staged on.  Needs res (resident.h) set up.
 */
void snapboot_run(struct sw_config *c, struct sw_plan *plan, struct slot_rt *rt, int boot, const struct sw_memmap *map,
                  const struct sw_fb *fb, bool restored[SW_MAX_SLOTS]);
