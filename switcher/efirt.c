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

#define PTE_P           0x1ULL
#define PTE_RW          0x2ULL
#define PTE_PWT         0x8ULL
#define PTE_PCD         0x10ULL
#define PTE_PS          0x80ULL          /* in a PD entry: a 2 MiB page */
#define PTE_ADDR        0x000ffffffffff000ULL
#define PT_PAGE         4096ULL

/* The table pages handed out so far, and how an entry's address finds its
 * page in them. */
struct pt_pool {
        uint8_t *mem;
        uint64_t phys;
        unsigned n, used;
};

static uint64_t *pt_page(const struct pt_pool *p, uint64_t entry)
{
        uint64_t a = entry & PTE_ADDR;

        if (a < p->phys || a - p->phys >= (uint64_t)p->used * PT_PAGE)
                return NULL;
        return (uint64_t *)(void *)(p->mem + (a - p->phys));
}

/* The table *entry points to, made (zeroed) if the entry is empty; NULL
 * when the pool is used up or the entry points outside it. */
static uint64_t *pt_next(struct pt_pool *p, uint64_t *entry)
{
        uint64_t *t;

        if (*entry & PTE_P)
                return (*entry & PTE_PS) ? NULL : pt_page(p, *entry);
        if (p->used == p->n)
                return NULL;
        t = (uint64_t *)(void *)(p->mem + (uint64_t)p->used * PT_PAGE);
        memset(t, 0, PT_PAGE);
        *entry = (p->phys + (uint64_t)p->used * PT_PAGE) | PTE_P | PTE_RW;
        p->used++;
        return t;
}

/* Whether one 2 MiB page can map the whole virtual 2 MiB frame around va
 * for a region at delta (virtual minus physical) with cache bits flags:
 * delta keeps 2 MiB alignment, and every region with a page in the frame
 * has the same delta and flags.  A large page also maps the frame's gaps,
 * which is harmless in the switcher's own tables. */
static bool frame_uniform(const uint8_t *map, size_t n, size_t desc_size, uint64_t va, uint64_t delta,
                          uint64_t flags)
{
        uint64_t frame = va & ~(SW_EFI_PMD_SIZE - 1);

        if (delta & (SW_EFI_PMD_SIZE - 1))
                return false;
        for (size_t i = 0; i < n; i++) {
                struct sw_efi_desc e;

                memcpy(&e, map + i * desc_size, sizeof(e));
                if (e.virt >= frame + SW_EFI_PMD_SIZE || e.virt + (e.pages << EFI_PAGE_SHIFT) <= frame)
                        continue;
                if (e.virt - e.phys != delta || ((e.attr & SW_EFI_MEMORY_WB) ? 0 : PTE_PCD | PTE_PWT) != flags)
                        return false;
        }
        return true;
}

/* Maps the 4 KiB page at va to pa with cache bits flags, inside a 2 MiB
 * page when large says the frame allows one.  0, or -1 when the pool is
 * used up (*clash false) or va already maps another page (*clash true). */
static int pt_map4k(struct pt_pool *p, uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags, bool large,
                    bool *clash)
{
        uint64_t *pdpt, *pd, *pde, *pt, want = pa | PTE_P | PTE_RW | flags;

        *clash = false;
        if (!(pdpt = pt_next(p, &pml4[(va >> 39) & 511])) || !(pd = pt_next(p, &pdpt[(va >> 30) & 511])))
                return -1;
        pde = &pd[(va >> 21) & 511];
        if (large) {
                uint64_t big = (pa & ~(SW_EFI_PMD_SIZE - 1)) | PTE_P | PTE_RW | PTE_PS | flags;

                if (!(*pde & PTE_P))
                        *pde = big;
                *clash = *pde != big;
                return *clash ? -1 : 0;
        }
        if (!(pt = pt_next(p, pde))) {
                *clash = (*pde & PTE_PS) != 0;
                return -1;
        }
        if ((pt[(va >> 12) & 511] & PTE_P) && pt[(va >> 12) & 511] != want) {
                *clash = true;
                return -1;
        }
        pt[(va >> 12) & 511] = want;
        return 0;
}

int sw_efirt_map_virtual(uint64_t *pml4, void *pages, uint64_t pages_phys, unsigned npages, const void *map,
                         size_t map_size, size_t desc_size, struct sw_diag *d)
{
        struct pt_pool p = { pages, pages_phys, npages, 0 };
        const uint8_t *src = map;

        if (desc_size < sizeof(struct sw_efi_desc) || map_size % desc_size) {
                sw_diagf(d, SW_ERROR, "efi virtual mapping: %zu bytes of map in %zu-byte descriptors", map_size,
                         desc_size);
                return -1;
        }
        if (pml4[511] & PTE_P) {
                sw_diagf(d, SW_ERROR, "efi virtual mapping: the page tables' last PML4 entry is taken");
                return -1;
        }
        for (size_t i = 0; i < map_size / desc_size; i++) {
                struct sw_efi_desc e;
                uint64_t flags, off;

                memcpy(&e, src + i * desc_size, sizeof(e));
                if (e.virt < SW_EFI_VA_END || e.virt >= SW_EFI_VA_START || e.pages == 0 || e.pages > (SW_EFI_VA_START - e.virt) >> EFI_PAGE_SHIFT ||
                    (e.virt | e.phys) & (PT_PAGE - 1)) {
                        sw_diagf(d, SW_ERROR, "efi virtual mapping: descriptor %zu (0x%llx pages at 0x%llx -> 0x%llx) "
                                 "is not a page-aligned range in the EFI window",
                                 i, (unsigned long long)e.pages, (unsigned long long)e.phys,
                                 (unsigned long long)e.virt);
                        return -1;
                }
                flags = (e.attr & SW_EFI_MEMORY_WB) ? 0 : PTE_PCD | PTE_PWT;
                for (off = 0; off < e.pages << EFI_PAGE_SHIFT; off += PT_PAGE) {
                        bool clash, large = frame_uniform(src, map_size / desc_size, desc_size, e.virt + off,
                                                          e.virt - e.phys, flags);

                        if (pt_map4k(&p, pml4, e.virt + off, e.phys + off, flags, large, &clash) == 0)
                                continue;
                        if (clash)
                                sw_diagf(d, SW_ERROR, "efi virtual mapping: descriptor %zu wants 0x%llx at 0x%llx, "
                                         "which another region maps",
                                         i, (unsigned long long)(e.phys + off), (unsigned long long)(e.virt + off));
                        else
                                sw_diagf(d, SW_ERROR, "efi virtual mapping: %u page-table pages are not enough "
                                         "(descriptor %zu of %zu)",
                                         npages, i, map_size / desc_size);
                        pml4[511] = 0;
                        return -1;
                }
        }
        return (int)p.used;
}
