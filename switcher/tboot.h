/* SPDX-License-Identifier: MIT */
/*
 * The switcher as each 64-bit guest's "tboot".
 *
 * A Linux kernel built with CONFIG_INTEL_TXT (Debian's amd64 kernels) whose
 * boot_params.tboot_addr names a valid shared page does not enter S3, S4 or
 * S5 through the firmware, and does not reset the machine itself: it calls
 * the page's shutdown_entry with shutdown_type saying why (an application
 * processor going offline, S3, S5, a reboot, ...).  The switcher hands every
 * 64-bit slot such a page, so a switch needs no firmware S3 and a guest's
 * reboot or power-off stays inside its slot.  docs/tboot-handoff.md records
 * what Linux 6.1 really does with the page; this file only holds the
 * page's layout and the code that fills and reads it.
 *
 * The layout is the kernel's struct tboot (packed): every offset below is
 * checked by the compiler.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e820.h"

/* shutdown_type values, as the kernel writes them. */
enum sw_tboot_type {
        SW_TBOOT_REBOOT = 0,
        SW_TBOOT_S5 = 1,
        SW_TBOOT_S4 = 2,
        SW_TBOOT_S3 = 3,
        SW_TBOOT_HALT = 4,
        SW_TBOOT_WFS = 5,       /* an application processor going offline */
        SW_TBOOT_TYPE_MAX
};

/* "reboot", "S5", "S4", "S3", "halt", "wait-for-SIPI"; "unknown" outside
 * the enum (the value comes from guest-writable memory). */
const char *sw_tboot_type_name(uint32_t type);

/* The kernel needs at least this version, and this UUID at offset 0. */
#define SW_TBOOT_VERSION 5
extern const uint8_t sw_tboot_uuid[16];

struct sw_tboot_gas {
        uint8_t space_id;
        uint8_t bit_width;
        uint8_t bit_offset;
        uint8_t access_width;
        uint64_t address;
} __attribute__((packed));

/* What the kernel's tboot_sleep() fills in before an S3, S4 or S5. */
struct sw_tboot_acpi_sinfo {
        struct sw_tboot_gas pm1a_cnt_blk;
        struct sw_tboot_gas pm1b_cnt_blk;
        struct sw_tboot_gas pm1a_evt_blk;
        struct sw_tboot_gas pm1b_evt_blk;
        uint16_t pm1a_cnt_val;
        uint16_t pm1b_cnt_val;
        uint64_t wakeup_vector;         /* physical address of the FACS's waking vector field */
        uint32_t vector_width;
        uint64_t kernel_s3_resume_vector;
} __attribute__((packed));

struct sw_tboot_shared {
        uint8_t uuid[16];
        uint32_t version;
        uint32_t log_addr;
        uint32_t shutdown_entry;        /* physical, below 4 GiB; called in 64-bit mode */
        uint32_t shutdown_type;         /* enum sw_tboot_type, written by the kernel */
        struct sw_tboot_acpi_sinfo acpi_sinfo;
        uint32_t tboot_base;            /* the range the kernel maps 1:1 for shutdown_entry */
        uint32_t tboot_size;
        uint8_t num_mac_regions;
        struct {
                uint64_t start;
                uint32_t size;
        } __attribute__((packed)) mac_regions[32];
        uint8_t s3_key[64];
        uint8_t reserved_align[3];
        uint32_t num_in_wfs;            /* CPUs parked; the kernel waits for its own count */
} __attribute__((packed));

_Static_assert(offsetof(struct sw_tboot_shared, version) == 16, "tboot version");
_Static_assert(offsetof(struct sw_tboot_shared, shutdown_entry) == 24, "tboot shutdown_entry");
_Static_assert(offsetof(struct sw_tboot_shared, shutdown_type) == 28, "tboot shutdown_type");
_Static_assert(offsetof(struct sw_tboot_shared, acpi_sinfo) == 32, "tboot acpi_sinfo");
_Static_assert(offsetof(struct sw_tboot_shared, acpi_sinfo.pm1a_cnt_val) == 80, "tboot pm1a_cnt_val");
_Static_assert(offsetof(struct sw_tboot_shared, acpi_sinfo.kernel_s3_resume_vector) == 96, "tboot resume vector");
_Static_assert(offsetof(struct sw_tboot_shared, tboot_base) == 104, "tboot_base");
_Static_assert(offsetof(struct sw_tboot_shared, num_mac_regions) == 112, "tboot num_mac_regions");
_Static_assert(offsetof(struct sw_tboot_shared, s3_key) == 497, "tboot s3_key");
_Static_assert(offsetof(struct sw_tboot_shared, num_in_wfs) == 564, "tboot num_in_wfs");
_Static_assert(sizeof(struct sw_tboot_shared) == 568, "struct tboot is 568 bytes");

/*
 * A fresh shared page for a slot that is about to (re)boot: the UUID,
 * version 5, shutdown_entry = entry, the mapped range [base, base + size),
 * and num_in_wfs = 1.  The kernel waits, when its last application
 * processor goes offline, until num_in_wfs equals the number of CPU
 * take-downs in its life so far, that last one included, which has not yet
 * reached shutdown_entry; starting one ahead and adding one per
 * wait-for-SIPI entry keeps the two equal (docs/tboot-handoff.md, section
 * 7).  Everything else is zero.
 */
void sw_tboot_page_init(struct sw_tboot_shared *t, uint32_t entry, uint32_t base, uint32_t size);

/*
 * The kernel's tboot_setup_sleep() turns every RAM range of its final e820
 * into one of 32 MAC regions and panics, in the middle of a suspend, on the
 * 33rd.  The kernel adds ranges of its own to the map it is given (a split
 * for each setup_data blob, page 0 made reserved, mem=/memmap=), so a slot
 * gets a tboot page only while its e820 has at most this many RAM ranges.
 */
#define SW_TBOOT_MAX_RAM_RANGES 28

/* True when an e820 of n entries leaves the kernel room for its MAC
 * regions; *nram (if not NULL) gets its count of RAM ranges. */
bool sw_tboot_e820_ok(const struct sw_e820_entry *e, unsigned n, unsigned *nram);
