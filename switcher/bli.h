/* SPDX-License-Identifier: MIT */
/*
 * The Boot Loader Interface: the EFI variables a boot manager sets for the
 * OS it starts (systemd's "Boot Loader Interface" specification), under the
 * vendor GUID 4a67b082-0a4c-41cf-b6c7-440b29bb8c4f.  bootctl, systemctl's
 * --boot-loader-entry and friends read them in a running slot.
 *
 * This file builds the values; efi/bli.c sets them.  Strings are UTF-16LE
 * with a terminating NUL, as the specification asks; lengths are in bytes,
 * NUL included, which is what SetVariable takes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"

/*
 * LoaderFeatures bits (the specification's list).  The switcher sets only
 * those it honours: it reads LoaderEntryDefault (and its own
 * SwitcherSlotDefault) as the default, LoaderEntryOneShot (and its own
 * SwitcherSlotOneShot) as a once-only choice, and
 * LoaderConfigTimeoutOneShot as a menu shown once; the one-shots are
 * deleted before use.
 */
#define SW_BLI_FEATURE_CONFIG_TIMEOUT           (1ULL << 0)
#define SW_BLI_FEATURE_CONFIG_TIMEOUT_ONE_SHOT  (1ULL << 1)
#define SW_BLI_FEATURE_ENTRY_DEFAULT            (1ULL << 2)
#define SW_BLI_FEATURE_ENTRY_ONESHOT            (1ULL << 3)
#define SW_BLI_FEATURES (SW_BLI_FEATURE_CONFIG_TIMEOUT_ONE_SHOT | SW_BLI_FEATURE_ENTRY_DEFAULT | \
                         SW_BLI_FEATURE_ENTRY_ONESHOT)

/* The loader GUID's fields, as EFI_GUID spells them. */
#define SW_BLI_GUID_DATA1 0x4a67b082u
#define SW_BLI_GUID_DATA2 0x0a4c
#define SW_BLI_GUID_DATA3 0x41cf
#define SW_BLI_GUID_DATA4 { 0xb6, 0xc7, 0x44, 0x0b, 0x29, 0xbb, 0x8c, 0x4f }

/*
 * ASCII text s as a UTF-16LE string with its NUL into out (cap code units).
 * Returns the size in bytes, NUL included, or -1 when s has a byte above
 * 0x7f (every value the switcher writes is ASCII: ids, versions, numbers)
 * or does not fit.
 */
int sw_bli_str16(uint16_t *out, size_t cap, const char *s);

/*
 * LoaderEntries: every valid slot's id as a NUL-terminated UTF-16 string,
 * one after the other, in menu order.  Returns the size in bytes (0 when no
 * slot is valid), or -1 when they do not fit in cap code units.
 */
int sw_bli_entries(uint16_t *out, size_t cap, const struct sw_config *c);

/* A time in microseconds as decimal text (LoaderTime*USec). */
int sw_bli_usec(uint16_t *out, size_t cap, uint64_t usec);

/*
 * A variable's UTF-16 value (size bytes, NUL-terminated or not) back to
 * ASCII in out (cap bytes, always NUL-terminated on success).  Returns 0,
 * or -1 when a unit is not ASCII, the value has an odd size or does not
 * fit: the caller then ignores the variable, as a boot manager does with
 * one it cannot parse.
 */
int sw_bli_from16(char *out, size_t cap, const void *val, size_t size);

/*
 * The slot a boot starts with, from the steering variables (each "" when
 * absent, already read back with sw_bli_from16()): a one-shot first
 * (LoaderEntryOneShot, then SwitcherSlotOneShot), and returned with
 * *oneshot set, so no menu is shown; otherwise *oneshot is false and the
 * result is the menu's default: LoaderEntryDefault, then
 * SwitcherSlotDefault, then partitions.conf's default.  A name that is no
 * valid slot is skipped; the index of the slot in c, or -1 if none is valid.
 */
struct sw_bli_steer {
        const char *entry_oneshot;      /* LoaderEntryOneShot */
        const char *slot_oneshot;       /* SwitcherSlotOneShot */
        const char *entry_default;      /* LoaderEntryDefault (bootctl set-default, switchctl set-default) */
        const char *slot_default;       /* SwitcherSlotDefault (older switchctl) */
};
int sw_bli_choose(const struct sw_config *c, const struct sw_bli_steer *v, bool *oneshot, struct sw_diag *d);

/* EFI variable attributes, as the UEFI specification numbers them. */
#define SW_BLI_ATTR_NV  0x1u    /* EFI_VARIABLE_NON_VOLATILE */
#define SW_BLI_ATTR_BS  0x2u    /* EFI_VARIABLE_BOOTSERVICE_ACCESS */
#define SW_BLI_ATTR_RT  0x4u    /* EFI_VARIABLE_RUNTIME_ACCESS */

/*
 * LoaderEntrySelected names the running slot, so the resident switcher
 * rewrites it at every switch, after ExitBootServices.  The firmware
 * refuses to change a volatile variable then (EDK II answers
 * EFI_WRITE_PROTECTED), so unlike the other Boot Loader Interface
 * variables it is non-volatile: set at start-up and at each switch, it
 * always names the slot that runs.
 */
#define SW_BLI_SELECTED_ATTR (SW_BLI_ATTR_NV | SW_BLI_ATTR_BS | SW_BLI_ATTR_RT)

/*
 * What to write into LoaderEntrySelected before slot target runs, when
 * the variable now names slot written (-1: unknown, as after a failed
 * write).  Returns the value's size in bytes with the value in out (cap
 * code units) when it must be written; 0 when there is nothing to write
 * (the variable names target already, or target is no valid slot of c);
 * -1 when the id does not fit.
 */
int sw_bli_selected(const struct sw_config *c, int target, int written, uint16_t *out, size_t cap);

/*
 * LoaderConfigTimeoutOneShot (systemctl reboot --boot-loader-menu=SECONDS,
 * already read back with sw_bli_from16(); "" when absent): the menu is
 * shown at this start-up whatever partitions.conf's timeout says, with
 * this countdown.  As the specification reads, a number is the timeout in
 * seconds, 0 and "menu-force" show the menu until a key is pressed.
 * Returns the seconds (at most SW_TIMEOUT_MAX; 0: no countdown), or -1
 * when the variable does not change this start-up: absent, or a value the
 * switcher does not take (then with a warning; "menu-hidden" and
 * "menu-disabled" among them, as a one-shot that hides the menu would
 * only repeat what a one-shot entry does).
 */
int sw_bli_timeout_oneshot(const char *v, struct sw_diag *d);
