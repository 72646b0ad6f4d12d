/* SPDX-License-Identifier: MIT */
/*
 * The firmware memory map into the core's sw_memmap, and page allocations at
 * the addresses the planner chose.
 */
#include "sw-efi.h"

/* The descriptor buffer is static: fetching the map must not allocate, or
 * the ExitBootServices retry loop could never get a current map key. */
static UINT8 map_buf[SW_MEMMAP_MAX * 64];
/* The last map's raw size and descriptor format, for mem_raw_map(). */
static UINTN raw_size, raw_desc_size;
static UINT32 raw_desc_ver;

EFI_STATUS mem_get_map(struct sw_memmap *out, UINTN *key)
{
        UINTN size = sizeof(map_buf), desc_size;
        UINT32 desc_ver;
        EFI_STATUS s;

        s = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, (EFI_MEMORY_DESCRIPTOR *)map_buf,
                              key, &desc_size, &desc_ver);
        if (EFI_ERROR(s))
                return s;
        raw_size = size;
        raw_desc_size = desc_size;
        raw_desc_ver = desc_ver;
        sw_memmap_init(out);
        for (UINTN off = 0; off + desc_size <= size; off += desc_size) {
                EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)(map_buf + off);

                /* No diag here: this runs between GetMemoryMap and
                 * ExitBootServices, where printing could change the map. */
                if (sw_memmap_add(out, d->Type, d->PhysicalStart, d->NumberOfPages,
                                  d->Attribute, NULL) < 0)
                        return EFI_BUFFER_TOO_SMALL;
        }
        sw_memmap_normalize(out);
        return EFI_SUCCESS;
}

EFI_STATUS mem_alloc_at(uint64_t base, uint64_t size, EFI_MEMORY_TYPE type)
{
        EFI_PHYSICAL_ADDRESS a = base;
        UINTN pages = (size + SW_PAGE_SIZE - 1) / SW_PAGE_SIZE;

        return uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, type, pages, &a);
}

/* The map as text on serial, in the format sw_memmap_parse_dump() reads:
 * a boot log is a fixture for `mkslot plan --memmap`. */
void mem_dump_map_serial(const struct sw_memmap *m)
{
        for (unsigned i = 0; i < m->n; i++)
                serial_printf("memmap: %u 0x%llx 0x%llx 0x%llx\n", m->r[i].efi_type,
                              (unsigned long long)m->r[i].base,
                              (unsigned long long)(m->r[i].size / SW_PAGE_SIZE),
                              (unsigned long long)m->r[i].attr);
}

const void *mem_raw_map(UINTN *size, UINTN *desc_size, UINT32 *desc_ver)
{
        if (!raw_desc_size)
                return NULL;
        *size = raw_size;
        *desc_size = raw_desc_size;
        *desc_ver = raw_desc_ver;
        return map_buf;
}
