/* SPDX-License-Identifier: MIT */
/*
 * EFI runtime services for every 64-bit slot (switcher/efirt.h,
 * docs/efi-runtime.md): the switcher calls SetVirtualAddressMap itself,
 * once, right after ExitBootServices, and gives every 64-bit slot's
 * boot_params what kexec gives a second kernel.  The runtime-only map and
 * the SETUP_EFI record live in the resident block, which every slot's e820
 * reserves, so no slot can overwrite them or free them.
 */
#include "sw-efi.h"
#include "efirt.h"
#include "gpt.h"
#include "resident.h"

#include <string.h>

static struct {
        bool ready;             /* a map was prepared; slots get efi info */
        uint64_t fw_vendor, tables, smbios;  /* physical, before the call converts them */
        struct sw_efi_setup_record *rec;
        void *map;
        size_t map_size, cap;
        int count;
        struct sw_bp_efi bp;
        bool mapped;            /* the resident tables map the regions at their virtual addresses */
} ert;

/* The page-table pages for the virtual mapping: the end of the area. */
#define PT_AREA ((size_t)SW_RESIDENT_EFIRT_PT_PAGES * SW_PAGE_SIZE)

/* Configuration table entries the resident copy holds; OVMF has about 15. */
#define TABLES_MAX 64

void efirt_capture(void)
{
        /* The record, the configuration table's copy, then the map, in the
         * resident block's area. */
        ert.rec = (struct sw_efi_setup_record *)(uintptr_t)res.lay.efirt;
        ert.tables = (uint64_t)(uintptr_t)(ert.rec + 1);
        ert.map = (struct sw_efi_config_table *)(uintptr_t)ert.tables + TABLES_MAX;
        ert.cap = SW_RESIDENT_EFIRT - PT_AREA - sizeof(*ert.rec) - TABLES_MAX * sizeof(struct sw_efi_config_table);
        ert.fw_vendor = (uint64_t)(uintptr_t)ST->FirmwareVendor;
}

/* The configuration table's copy for slots, from the system table as it is
 * now (the kernel takes the count from there). */
static int copy_tables(const struct sw_memmap *m, struct sw_diag *d)
{
        EFI_GUID smbios = SMBIOS_TABLE_GUID;
        struct sw_efi_config_table *copy = (struct sw_efi_config_table *)(uintptr_t)ert.tables;
        unsigned n = (unsigned)ST->NumberOfTableEntries;
        uint64_t dropped;
        char guid[37];

        if (n > TABLES_MAX) {
                sw_diagf(d, SW_WARN, "%u EFI configuration tables, more than the %u a slot can be given", n,
                         TABLES_MAX);
                return -1;
        }
        sw_efirt_tables(copy, (const struct sw_efi_config_table *)ST->ConfigurationTable, n, m, &dropped);
        for (unsigned i = 0; d && i < n && i < 64; i++) {
                if (!(dropped & (1ULL << i)))
                        continue;
                sw_gpt_guid_str((const uint8_t *)&ST->ConfigurationTable[i].VendorGuid, guid);
                sw_diagf(d, SW_INFO, "EFI configuration table %s lies in boot-services memory: slots do not see it",
                         guid);
        }
        ert.smbios = 0;
        for (unsigned i = 0; i < n; i++)
                if (!CompareGuid((EFI_GUID *)copy[i].guid, &smbios))
                        ert.smbios = copy[i].table;
        sw_efirt_setup_record(ert.rec, ert.fw_vendor, 0, ert.tables, ert.smbios);
        return 0;
}

int efirt_prepare(const struct sw_memmap *m, struct sw_diag *d)
{
        const void *raw;
        UINTN size, desc_size;
        UINT32 ver;

        ert.ready = false;
        raw = mem_raw_map(&size, &desc_size, &ver);
        if (!ert.rec || !raw || ver != SW_EFI_MEMDESC_VERSION || copy_tables(m, d) < 0)
                return -1;
        ert.count = sw_efirt_runtime_map(raw, size, desc_size, ert.map, ert.cap, &ert.map_size, d);
        if (ert.count <= 0)
                return -1;
        ert.bp = (struct sw_bp_efi){
                .systab = (uint64_t)(uintptr_t)ST,
                .memmap = (uint64_t)(uintptr_t)ert.map,
                .memmap_size = (uint32_t)ert.map_size,
                .desc_size = (uint32_t)desc_size,
                .desc_version = ver,
                .setup_data = (uint64_t)(uintptr_t)ert.rec,
        };
        ert.ready = true;
        return ert.count;
}

const struct sw_bp_efi *efirt_bp(void)
{
        return ert.ready ? &ert.bp : NULL;
}

/* The resident page tables, which every wake (firmware S3 or tboot entry)
 * runs on, get the runtime regions at their virtual addresses too, so that
 * the switcher can call runtime services at a switch as a slot's kernel
 * does.  Without the mapping the switcher makes no such call; the slots
 * still have runtime services. */
static void map_for_switcher(void)
{
        uint8_t *pt = (uint8_t *)(uintptr_t)res.lay.efirt + SW_RESIDENT_EFIRT - PT_AREA;
        int n = sw_efirt_map_virtual((uint64_t *)(uintptr_t)res.lay.tables, pt, (uint64_t)(uintptr_t)pt,
                                     SW_RESIDENT_EFIRT_PT_PAGES, ert.map, ert.map_size, ert.bp.desc_size,
                                     &con_diag);

        ert.mapped = n > 0;
        if (ert.mapped)
                serial_printf("switcher: runtime regions mapped at their virtual addresses for the switcher's own "
                              "calls (%d page-table pages)\n", n);
        else
                serial_printf("switcher: warning: LoaderEntrySelected will not follow switches: the runtime "
                              "regions cannot be mapped in the switcher's page tables\n");
}

bool efirt_enter_virtual(void)
{
        EFI_STATUS s;

        if (!ert.ready)
                return false;
        /* Physical mode still: the firmware's own identity mapping is what
         * runs this call; it converts its pointers to the addresses in the
         * map, which every slot's kernel maps the same way. */
        s = uefi_call_wrapper(RT->SetVirtualAddressMap, 4, ert.map_size, (UINTN)ert.bp.desc_size,
                              (UINT32)ert.bp.desc_version, (EFI_MEMORY_DESCRIPTOR *)ert.map);
        if (EFI_ERROR(s)) {
                serial_printf("switcher: SetVirtualAddressMap failed: %s; slots boot without EFI runtime "
                              "services\n", efi_strerror(s));
                ert.ready = false;
                return false;
        }
        /* Older kernels took the runtime services table from the record;
         * the system table now holds its virtual address. */
        ert.rec->efi.runtime = (uint64_t)(uintptr_t)ST->RuntimeServices;
        serial_printf("switcher: EFI runtime services in virtual mode: %d runtime regions, record 0x%llx, "
                      "map 0x%llx (%zu bytes)\n",
                      ert.count, (unsigned long long)ert.bp.setup_data, (unsigned long long)ert.bp.memmap,
                      ert.map_size);
        for (int i = 0; i < ert.count; i++) {
                struct sw_efi_desc e;

                memcpy(&e, (uint8_t *)ert.map + (size_t)i * ert.bp.desc_size, sizeof(e));
                serial_printf("efirt: %u 0x%llx 0x%llx -> 0x%llx\n", e.type, (unsigned long long)e.phys,
                              (unsigned long long)e.pages, (unsigned long long)e.virt);
        }
        map_for_switcher();
        return true;
}

bool efirt_callable(void)
{
        return ert.mapped;
}
