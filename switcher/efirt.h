/* SPDX-License-Identifier: MIT */
/*
 * EFI runtime services shared by every 64-bit slot.
 *
 * SetVirtualAddressMap() may be called once per boot, and every slot's
 * kernel would call it at its first start.  So the switcher calls it
 * itself, right after ExitBootServices, with the virtual addresses a
 * 64-bit Linux kernel would have chosen, and then hands each 64-bit slot
 * what kexec hands a second kernel: boot_params.efi_info pointing at a map
 * of the runtime regions only, each with its virtual address, and a
 * SETUP_EFI setup_data record.  The kernel then maps the regions where the
 * map says (Linux's kexec_enter_virtual_mode()) and never calls
 * SetVirtualAddressMap again (docs/efi-runtime.md).
 *
 * This file is the pure part: the layout, the runtime-only map and the
 * setup_data record.  The firmware calls are in efi/efirt.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "memmap.h"

/* EFI_MEMORY_DESCRIPTOR.Attribute: the region is used by runtime services. */
#define SW_EFI_MEMORY_RUNTIME   (1ULL << 63)
#define SW_EFI_MEMDESC_VERSION  1

/*
 * Linux x86_64's window for runtime mappings (arch/x86/include/asm/
 * page_64_types.h): from -4 GiB down to -68 GiB, filled top-down, and the
 * 2 MiB page size its mapping rules keep offsets within.
 */
#define SW_EFI_VA_START         0xffffffff00000000ULL
#define SW_EFI_VA_END           0xffffffef00000000ULL
#define SW_EFI_PMD_SIZE         (2ULL << 20)

/* One UEFI memory descriptor as the spec lays it out (40 bytes); the
 * firmware's descriptor size may be larger, never smaller. */
struct sw_efi_desc {
        uint32_t type;
        uint32_t pad;
        uint64_t phys;
        uint64_t virt;
        uint64_t pages;
        uint64_t attr;
};
_Static_assert(sizeof(struct sw_efi_desc) == 40, "EFI_MEMORY_DESCRIPTOR is 40 bytes");

/*
 * Linux's efi_map_region() step for one region of size bytes at physical
 * address pa: the cursor (start at SW_EFI_VA_START) moves down by size;
 * then, for a 2 MiB aligned pa, down to a 2 MiB boundary, else to the
 * highest address at or below it with pa's offset within 2 MiB, so that
 * the kernel can map with large pages where the firmware can.  Returns 0
 * with *va, or -1 when the window is exhausted (Linux's "VA address range
 * overflow") or the size is 0 or wraps.
 */
int sw_efirt_next_va(uint64_t *cursor, uint64_t pa, uint64_t size, uint64_t *va);

/*
 * The runtime-only map: from the firmware's map (in_size bytes of
 * descriptors, desc_size apart), every descriptor with
 * SW_EFI_MEMORY_RUNTIME, copied whole (desc_size bytes, so fields the
 * firmware's size adds survive) in the firmware's order, with virt set.
 * Virtual addresses are given as Linux 6.1 gives them on x86_64
 * (efi_map_regions() walks the map from its last descriptor back, so that
 * descriptor N always lies below N+1, which the code/data split of
 * EFI_PROPERTIES_TABLE firmware needs), starting at SW_EFI_VA_START.
 *
 * Linux's first kernel also reserves virtual space for boot-services
 * regions, a workaround for firmware that touches them at runtime; here
 * those regions become slots' RAM, so they are neither mapped nor
 * counted.
 *
 * Writes at most out_cap bytes to out and the size used to *out_size.
 * Returns the number of descriptors, or -1 with a message (desc_size below
 * 40, in_size not a whole number of descriptors, a descriptor that wraps,
 * out too small, the window exhausted).
 */
int sw_efirt_runtime_map(const void *in, size_t in_size, size_t desc_size, void *out, size_t out_cap,
                         size_t *out_size, struct sw_diag *d);

/* struct setup_data (arch/x86/include/uapi/asm/bootparam.h) and SETUP_EFI. */
#define SW_SETUP_EFI 4
struct sw_setup_data {
        uint64_t next;          /* physical address of the next record, 0 = last */
        uint32_t type;
        uint32_t len;           /* bytes of data after this header */
};
_Static_assert(sizeof(struct sw_setup_data) == 16, "setup_data header");

/*
 * struct efi_setup_data, the "kexec external ABI" of arch/x86/include/asm/
 * efi.h: what the system table held before SetVirtualAddressMap converted
 * its pointers (fw_vendor, tables) and the SMBIOS entry point, all
 * physical.  Linux 6.1 reads fw_vendor, tables and smbios; the second word
 * was 'runtime' in older kernels, which took the runtime services pointer
 * from it, so it carries that (virtual) pointer.
 */
struct sw_efi_setup_data {
        uint64_t fw_vendor;
        uint64_t runtime;
        uint64_t tables;
        uint64_t smbios;
        uint64_t reserved[8];
};
_Static_assert(sizeof(struct sw_efi_setup_data) == 96, "efi_setup_data is 96 bytes");

struct sw_efi_setup_record {
        struct sw_setup_data hdr;
        struct sw_efi_setup_data efi;
};

/* Fills r as the only record of a setup_data list (next 0, type SETUP_EFI). */
void sw_efirt_setup_record(struct sw_efi_setup_record *r, uint64_t fw_vendor, uint64_t runtime, uint64_t tables,
                           uint64_t smbios);

/*
 * The configuration table a slot's kernel reads (efi_setup_data.tables).
 * Tables the firmware built in boot-services or loader memory are gone
 * once ExitBootServices has made that memory slots' RAM: a kernel reading
 * them would parse another slot's bytes (a Memory Attributes or RT
 * properties table read from there could make it reserve or refuse
 * anything).  So slots get a copy in the resident block in which each such
 * entry is blanked (zero GUID and address, which no kernel matches); the
 * count stays, as the kernel takes it from the system table.
 */
struct sw_efi_config_table {
        uint8_t guid[16];
        uint64_t table;
};
_Static_assert(sizeof(struct sw_efi_config_table) == 24, "EFI_CONFIGURATION_TABLE is 24 bytes");

/* Copies n entries from in to out, blanking those whose table lies in
 * memory m calls free (sw_mem_class_of() == SW_MEM_FREE) or outside every
 * range of m; *dropped (if not NULL) gets a bit per blanked entry below
 * 64.  Returns how many were blanked. */
unsigned sw_efirt_tables(struct sw_efi_config_table *out, const struct sw_efi_config_table *in, unsigned n,
                         const struct sw_memmap *m, uint64_t *dropped);

/*
 * The switcher's own view of the runtime regions (issue 15, docs/
 * efi-runtime.md): at a switch it writes LoaderEntrySelected through the
 * firmware's SetVariable, which after SetVirtualAddressMap runs only at the
 * virtual addresses of the runtime-only map.  So the resident page tables,
 * which map RAM 1:1 through their first PML4 entry, get the last one
 * (every address in Linux's EFI window lies under it) mapping each runtime
 * region at its virtual address, as a slot's kernel maps it.
 *
 * Pages are 2 MiB where a whole 2 MiB virtual frame can map one physical
 * frame (the layout keeps offsets within 2 MiB), else 4 KiB: two regions
 * may share a virtual 2 MiB frame with different physical frames.  Memory
 * without EFI_MEMORY_WB (the flash and other runtime MMIO) is mapped
 * uncached, as Linux maps it.
 *
 * pml4 is the identity tables' top page; pages (npages of 4 KiB, zeroed
 * here as used) will be at physical address pages_phys, which is what the
 * entries hold.  map is a runtime-only map (sw_efirt_runtime_map()).
 * Returns the pages used, or -1 with a message when they do not suffice,
 * pml4's last entry is taken, a region lies outside the EFI window, or two
 * regions want one virtual page at different physical pages.
 */
#define SW_EFI_MEMORY_WB        (1ULL << 3)
int sw_efirt_map_virtual(uint64_t *pml4, void *pages, uint64_t pages_phys, unsigned npages, const void *map,
                         size_t map_size, size_t desc_size, struct sw_diag *d);
