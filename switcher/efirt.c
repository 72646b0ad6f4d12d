/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "efirt.h"

#define EFI_PAGE_SHIFT 12

int sw_efirt_next_va(uint64_t *cursor, uint64_t pa, uint64_t size, uint64_t *va)
{
        uint64_t v = *cursor, prev;

        if (size == 0 || pa + size < pa || size > v - SW_EFI_VA_END)
                return -1;
        v -= size;
        if (!(pa & (SW_EFI_PMD_SIZE - 1))) {
                v &= ~(SW_EFI_PMD_SIZE - 1);
        } else {
                prev = v;
                /* The same offset within a 2 MiB page as the physical
                 * address, at or below where the region would end. */
                v = (v & ~(SW_EFI_PMD_SIZE - 1)) + (pa & (SW_EFI_PMD_SIZE - 1));
                if (v > prev)
                        v -= SW_EFI_PMD_SIZE;
        }
        if (v < SW_EFI_VA_END)
                return -1;
        *cursor = v;
        *va = v;
        return 0;
}

int sw_efirt_runtime_map(const void *in, size_t in_size, size_t desc_size, void *out, size_t out_cap,
                         size_t *out_size, struct sw_diag *d)
{
        const uint8_t *src = in;
        uint8_t *dst = out;
        size_t n, count = 0, k;
        uint64_t cursor = SW_EFI_VA_START;

        *out_size = 0;
        if (desc_size < sizeof(struct sw_efi_desc)) {
                sw_diagf(d, SW_ERROR, "efi runtime map: descriptor size %zu is below the spec's %zu bytes",
                         desc_size, sizeof(struct sw_efi_desc));
                return -1;
        }
        if (in_size % desc_size) {
                sw_diagf(d, SW_ERROR, "efi runtime map: %zu bytes of map is not a whole number of %zu-byte descriptors",
                         in_size, desc_size);
                return -1;
        }
        n = in_size / desc_size;
        for (size_t i = 0; i < n; i++) {
                struct sw_efi_desc e;

                memcpy(&e, src + i * desc_size, sizeof(e));
                if (!(e.attr & SW_EFI_MEMORY_RUNTIME))
                        continue;
                if (e.pages == 0 || e.pages > (UINT64_MAX >> EFI_PAGE_SHIFT) ||
                    e.phys + (e.pages << EFI_PAGE_SHIFT) < e.phys) {
                        sw_diagf(d, SW_ERROR, "efi runtime map: descriptor %zu (type %u at 0x%llx, 0x%llx pages) "
                                 "is empty or wraps the address space",
                                 i, e.type, (unsigned long long)e.phys, (unsigned long long)e.pages);
                        return -1;
                }
                count++;
        }
        if (count > out_cap / desc_size) {
                sw_diagf(d, SW_ERROR, "efi runtime map: %zu runtime descriptors of %zu bytes do not fit in %zu bytes",
                         count, desc_size, out_cap);
                return -1;
        }
        /* From the last descriptor back, as Linux does: the highest
         * virtual addresses go to the last runtime descriptor. */
        k = count;
        for (size_t i = n; i-- > 0;) {
                struct sw_efi_desc e;

                memcpy(&e, src + i * desc_size, sizeof(e));
                if (!(e.attr & SW_EFI_MEMORY_RUNTIME))
                        continue;
                if (sw_efirt_next_va(&cursor, e.phys, e.pages << EFI_PAGE_SHIFT, &e.virt) < 0) {
                        sw_diagf(d, SW_ERROR, "efi runtime map: descriptor %zu (0x%llx pages at 0x%llx) does not fit "
                                 "in Linux's EFI virtual window (64 GiB below -4 GiB)",
                                 i, (unsigned long long)e.pages, (unsigned long long)e.phys);
                        return -1;
                }
                k--;
                memcpy(dst + k * desc_size, src + i * desc_size, desc_size);
                memcpy(dst + k * desc_size, &e, sizeof(e));
        }
        *out_size = count * desc_size;
        return (int)count;
}

void sw_efirt_setup_record(struct sw_efi_setup_record *r, uint64_t fw_vendor, uint64_t runtime, uint64_t tables,
                           uint64_t smbios)
{
        memset(r, 0, sizeof(*r));
        r->hdr.next = 0;
        r->hdr.type = SW_SETUP_EFI;
        r->hdr.len = sizeof(r->efi);
        r->efi.fw_vendor = fw_vendor;
        r->efi.runtime = runtime;
        r->efi.tables = tables;
        r->efi.smbios = smbios;
}

/* Whether addr lies in memory that outlives boot services: a range of m
 * that is not free RAM. */
static bool kept_after_exit(const struct sw_memmap *m, uint64_t addr)
{
        for (unsigned i = 0; i < m->n; i++)
                if (addr >= m->r[i].base && addr - m->r[i].base < m->r[i].size)
                        return sw_mem_class_of(m->r[i].efi_type) != SW_MEM_FREE;
        return false;
}

unsigned sw_efirt_tables(struct sw_efi_config_table *out, const struct sw_efi_config_table *in, unsigned n,
                         const struct sw_memmap *m, uint64_t *dropped)
{
        unsigned blanked = 0;

        if (dropped)
                *dropped = 0;
        for (unsigned i = 0; i < n; i++) {
                out[i] = in[i];
                if (kept_after_exit(m, in[i].table))
                        continue;
                memset(&out[i], 0, sizeof(out[i]));
                if (dropped && i < 64)
                        *dropped |= 1ULL << i;
                blanked++;
        }
        return blanked;
}
