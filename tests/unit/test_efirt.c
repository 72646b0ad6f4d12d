/* SPDX-License-Identifier: MIT */
/*
 * EFI runtime services for 64-bit slots (switcher/efirt.h): the virtual
 * layout against Linux 6.1's efi_map_region() rules (top-down from -4 GiB,
 * 2 MiB pages, descriptors mapped from the last back), on the real OVMF
 * maps from tests/fixtures and on hand-made corner cases; the runtime-only
 * filter; and the SETUP_EFI record's bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util_capture.h"
#include "util_fixture.h"

#include "efirt.h"
#include "layout.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)
/* OVMF's descriptor size: the spec's 40 bytes and 8 of padding. */
#define DESC 48

static struct sw_memmap map;
static uint8_t raw[SW_MEMMAP_MAX * DESC], out[SW_MEMMAP_MAX * DESC];
static struct capture cap;
static struct sw_diag diag = { .emit = capture_emit, .ctx = &cap };

/* The fixture's ranges as firmware descriptors, each with a marker in the
 * padding the filter must carry along. */
static size_t raw_from_map(const struct sw_memmap *m, size_t desc)
{
        memset(raw, 0, sizeof(raw));
        for (unsigned i = 0; i < m->n; i++) {
                struct sw_efi_desc e = {
                        .type = m->r[i].efi_type,
                        .phys = m->r[i].base,
                        .pages = m->r[i].size / SW_PAGE_SIZE,
                        .attr = m->r[i].attr,
                };

                memcpy(raw + i * desc, &e, sizeof(e));
                if (desc > sizeof(e))
                        memset(raw + i * desc + sizeof(e), 0x40 + (int)(i & 0x3f), desc - sizeof(e));
        }
        return m->n * desc;
}

static struct sw_efi_desc out_desc(size_t k, size_t desc)
{
        struct sw_efi_desc e;

        memcpy(&e, out + k * desc, sizeof(e));
        return e;
}

static void add_desc(size_t *len, uint32_t type, uint64_t phys, uint64_t pages, uint64_t attr)
{
        struct sw_efi_desc e = { .type = type, .phys = phys, .pages = pages, .attr = attr };

        memcpy(raw + *len, &e, sizeof(e));
        memset(raw + *len + sizeof(e), 0, DESC - sizeof(e));
        *len += DESC;
}

/* The rules one region at a time: the cursor drops by the size, then to a
 * 2 MiB boundary (aligned pa) or to pa's offset within 2 MiB, never above
 * where the region would end. */
static void next_va_rules(void **state)
{
        uint64_t cur = SW_EFI_VA_START, va;

        (void)state;
        /* 2 MiB aligned: 4 MiB at the top. */
        assert_int_equal(sw_efirt_next_va(&cur, 0xffc00000, 4 * MiB, &va), 0);
        assert_int_equal(va, SW_EFI_VA_START - 4 * MiB);
        assert_int_equal(cur, va);
        /* Aligned pa, size not a multiple of 2 MiB: rounded down. */
        assert_int_equal(sw_efirt_next_va(&cur, 0x200000, 0x3000, &va), 0);
        assert_int_equal(va, SW_EFI_VA_START - 6 * MiB);
        /* Unaligned: same offset within 2 MiB, fits below the cursor. */
        assert_int_equal(sw_efirt_next_va(&cur, 0x7fef4000, 0x84000, &va), 0);
        assert_int_equal(va & (2 * MiB - 1), 0xf4000);
        assert_int_equal(va, SW_EFI_VA_START - 8 * MiB + 0xf4000);
        /* The offset would end above the cursor: one 2 MiB page lower
         * (Linux's "if (efi_va > prev_va) efi_va -= PMD_SIZE"). */
        cur = SW_EFI_VA_START;
        assert_int_equal(sw_efirt_next_va(&cur, 0x1ff000, 0x2000, &va), 0);
        assert_int_equal(va, SW_EFI_VA_START - 2 * MiB - 0x1000);
        assert_true(va + 0x2000 <= SW_EFI_VA_START);
        /* The window is 64 GiB: a bigger region does not fit, and a full
         * window takes nothing more. */
        cur = SW_EFI_VA_START;
        assert_int_equal(sw_efirt_next_va(&cur, 0, 64 * GiB + 4096, &va), -1);
        assert_int_equal(cur, SW_EFI_VA_START);
        assert_int_equal(sw_efirt_next_va(&cur, 0, 64 * GiB, &va), 0);
        assert_int_equal(va, SW_EFI_VA_END);
        assert_int_equal(sw_efirt_next_va(&cur, 0, 4096, &va), -1);
        /* Empty and wrapping regions are refused. */
        cur = SW_EFI_VA_START;
        assert_int_equal(sw_efirt_next_va(&cur, 0x1000, 0, &va), -1);
        assert_int_equal(sw_efirt_next_va(&cur, UINT64_MAX - 0xfff, 0x2000, &va), -1);
}

/* The 2 GiB OVMF map: five runtime regions, virtual addresses worked out
 * by hand from efi_map_region(), last descriptor first. */
static void ovmf_2g_exact(void **state)
{
        static const struct { uint32_t type; uint64_t phys, pages, virt; } want[] = {
                { 6, 0x7eaa0000, 0x102, 0xfffffffeff6a0000ULL },
                { 6, 0x7f4ec000, 0x100, 0xfffffffeff8ec000ULL },
                { 5, 0x7f5ec000, 0x100, 0xfffffffeff9ec000ULL },
                { 6, 0x7fef4000, 0x84, 0xfffffffeffaf4000ULL },
                { 11, 0xffc00000, 0x400, 0xfffffffeffc00000ULL },
        };
        size_t len, used;

        (void)state;
        load_memmap_fixture(&map, "memmap-ovmf-2G.txt");
        len = raw_from_map(&map, DESC);
        memset(out, 0xee, sizeof(out));
        assert_int_equal(sw_efirt_runtime_map(raw, len, DESC, out, sizeof(out), &used, &diag), 5);
        assert_int_equal(used, 5 * DESC);
        for (size_t k = 0; k < 5; k++) {
                struct sw_efi_desc e = out_desc(k, DESC);

                assert_int_equal(e.type, want[k].type);
                assert_int_equal(e.phys, want[k].phys);
                assert_int_equal(e.pages, want[k].pages);
                assert_int_equal(e.virt, want[k].virt);
                assert_true(e.attr & SW_EFI_MEMORY_RUNTIME);
        }
        /* The runtime code and data of one image stay as far apart as in
         * physical memory, which relative references in them need. */
        assert_int_equal(out_desc(2, DESC).virt - out_desc(1, DESC).virt, 0x7f5ec000 - 0x7f4ec000);
        assert_int_equal(cap.n, 0);
}

/* Every real map: only runtime descriptors, all of them, in the firmware's
 * order, whole (padding kept), inside the window, 2 MiB offsets kept,
 * ascending and disjoint in virtual space, the last one nearest -4 GiB. */
static void check_fixture(const char *name)
{
        size_t len, used, nrt = 0;
        int n;

        load_memmap_fixture(&map, name);
        len = raw_from_map(&map, DESC);
        for (unsigned i = 0; i < map.n; i++)
                nrt += !!(map.r[i].attr & SW_EFI_MEMORY_RUNTIME);
        n = sw_efirt_runtime_map(raw, len, DESC, out, sizeof(out), &used, &diag);
        assert_true(nrt > 0);
        assert_int_equal(n, (int)nrt);
        assert_int_equal(used, nrt * DESC);
        for (size_t k = 0, i = 0; k < nrt; k++, i++) {
                struct sw_efi_desc e = out_desc(k, DESC);
                uint64_t size = e.pages * SW_PAGE_SIZE;

                while (!(map.r[i].attr & SW_EFI_MEMORY_RUNTIME))
                        i++;
                assert_int_equal(e.phys, map.r[i].base);
                assert_int_equal(e.type, map.r[i].efi_type);
                assert_int_equal(out[k * DESC + 40], 0x40 + (int)(i & 0x3f));
                assert_true(e.virt >= SW_EFI_VA_END);
                assert_true(e.virt + size <= SW_EFI_VA_START);
                assert_int_equal(e.virt & (2 * MiB - 1), e.phys & (2 * MiB - 1));
                if (k + 1 < nrt)
                        assert_true(e.virt + size <= out_desc(k + 1, DESC).virt);
                else
                        assert_true(SW_EFI_VA_START - e.virt < size + 2 * MiB);
        }
        assert_int_equal(cap.n, 0);
}

static void ovmf_fixtures(void **state)
{
        (void)state;
        check_fixture("memmap-ovmf-512M.txt");
        check_fixture("memmap-ovmf-2G.txt");
        check_fixture("memmap-ovmf-6G.txt");
}

/* The firmware's descriptor size is kept, whatever it is (40: no padding;
 * 64: more than OVMF's), and a descriptor is copied whole. */
static void descriptor_sizes(void **state)
{
        size_t used;

        (void)state;
        load_memmap_fixture(&map, "memmap-ovmf-2G.txt");
        for (size_t desc = 40; desc <= 64; desc += 24) {
                size_t len = raw_from_map(&map, desc);

                assert_int_equal(sw_efirt_runtime_map(raw, len, desc, out, sizeof(out), &used, &diag), 5);
                assert_int_equal(used, 5 * desc);
                assert_int_equal(out_desc(4, desc).virt, 0xfffffffeffc00000ULL);
                assert_memory_equal(out + 4 * desc + 40, raw + (map.n - 1) * desc + 40, desc - 40);
        }
}

/* What cannot be handed on is refused, with a message saying why. */
static void errors(void **state)
{
        size_t len = 0, used = 1;

        (void)state;
        add_desc(&len, 7, 0x100000, 0x100, 0xf);
        add_desc(&len, 5, 0x7f000000, 0x10, SW_EFI_MEMORY_RUNTIME | 0xf);
        add_desc(&len, 6, 0x7f010000, 0x10, SW_EFI_MEMORY_RUNTIME | 0xf);

        memset(&cap, 0, sizeof(cap));
        assert_int_equal(sw_efirt_runtime_map(raw, len, 32, out, sizeof(out), &used, &diag), -1);
        assert_int_equal(used, 0);
        assert_non_null(strstr(cap.msg[0], "descriptor size 32"));

        memset(&cap, 0, sizeof(cap));
        assert_int_equal(sw_efirt_runtime_map(raw, len - 8, DESC, out, sizeof(out), &used, &diag), -1);
        assert_non_null(strstr(cap.msg[0], "not a whole number"));

        memset(&cap, 0, sizeof(cap));
        assert_int_equal(sw_efirt_runtime_map(raw, len, DESC, out, 2 * DESC - 1, &used, &diag), -1);
        assert_non_null(strstr(cap.msg[0], "2 runtime descriptors"));
        assert_int_equal(sw_efirt_runtime_map(raw, len, DESC, out, 2 * DESC, &used, &diag), 2);

        /* No runtime region at all: an empty map, not an error. */
        assert_int_equal(sw_efirt_runtime_map(raw, DESC, DESC, out, sizeof(out), &used, &diag), 0);
        assert_int_equal(used, 0);

        /* A region bigger than the window, and one that wraps. */
        memset(&cap, 0, sizeof(cap));
        add_desc(&len, 11, 0x100000000ULL, (65 * GiB) / SW_PAGE_SIZE, SW_EFI_MEMORY_RUNTIME);
        assert_int_equal(sw_efirt_runtime_map(raw, len, DESC, out, sizeof(out), &used, &diag), -1);
        assert_non_null(strstr(cap.msg[0], "descriptor 3"));
        assert_non_null(strstr(cap.msg[0], "virtual window"));
        len -= DESC;
        memset(&cap, 0, sizeof(cap));
        add_desc(&len, 11, 0xfffffffffff00000ULL, 0x200, SW_EFI_MEMORY_RUNTIME);
        assert_int_equal(sw_efirt_runtime_map(raw, len, DESC, out, sizeof(out), &used, &diag), -1);
        assert_non_null(strstr(cap.msg[0], "wraps"));
}

/* The SETUP_EFI record, at the offsets of struct setup_data and struct
 * efi_setup_data. */
static void setup_record(void **state)
{
        struct sw_efi_setup_record r;
        const uint8_t *p = (const uint8_t *)&r;
        uint64_t v;
        uint32_t w;

        (void)state;
        memset(&r, 0xa5, sizeof(r));
        sw_efirt_setup_record(&r, 0x7f8e1018, 0xfffffffeff9eb000ULL, 0x7f8e0f98, 0x7f6d6000);
        assert_int_equal(sizeof(r), 16 + 96);
        memcpy(&v, p, 8);
        assert_int_equal(v, 0);                 /* next */
        memcpy(&w, p + 8, 4);
        assert_int_equal(w, 4);                 /* SETUP_EFI */
        memcpy(&w, p + 12, 4);
        assert_int_equal(w, 96);                /* len */
        memcpy(&v, p + 16, 8);
        assert_int_equal(v, 0x7f8e1018);        /* fw_vendor */
        memcpy(&v, p + 24, 8);
        assert_int_equal(v, 0xfffffffeff9eb000ULL);
        memcpy(&v, p + 32, 8);
        assert_int_equal(v, 0x7f8e0f98);        /* tables */
        memcpy(&v, p + 40, 8);
        assert_int_equal(v, 0x7f6d6000);        /* smbios */
        for (size_t i = 48; i < sizeof(r); i++)
                assert_int_equal(p[i], 0);
}

/* Configuration tables: those in memory that becomes slots' RAM after
 * ExitBootServices (boot-services, loader, conventional) or in no range at
 * all are blanked; the rest are copied as they are, and the count stays. */
static void config_tables(void **state)
{
        struct sw_efi_config_table in[6], tab[6];
        uint64_t dropped = 0;

        (void)state;
        sw_memmap_init(&map);
        assert_int_equal(sw_memmap_add(&map, SW_EFI_BS_DATA, 0x100000, 0x100, 0, NULL), 0);
        assert_int_equal(sw_memmap_add(&map, SW_EFI_RT_DATA, 0x200000, 0x100, SW_EFI_MEMORY_RUNTIME, NULL), 0);
        assert_int_equal(sw_memmap_add(&map, SW_EFI_ACPI_RECLAIM, 0x300000, 0x10, 0, NULL), 0);
        assert_int_equal(sw_memmap_add(&map, SW_EFI_RESERVED, 0x310000, 0x10, 0, NULL), 0);
        assert_int_equal(sw_memmap_add(&map, SW_EFI_CONVENTIONAL, 0x400000, 0x100, 0, NULL), 0);
        sw_memmap_normalize(&map);
        for (unsigned i = 0; i < 6; i++)
                memset(in[i].guid, 0x11 * (int)(i + 1), sizeof(in[i].guid));
        in[0].table = 0x100800;         /* boot-services data: gone */
        in[1].table = 0x200018;         /* runtime data */
        in[2].table = 0x300000;         /* ACPI reclaim */
        in[3].table = 0x31f000;         /* reserved, last page */
        in[4].table = 0x4fffff;         /* conventional: gone */
        in[5].table = 0x900000;         /* in no range: gone */
        memset(tab, 0xee, sizeof(tab));
        assert_int_equal(sw_efirt_tables(tab, in, 6, &map, &dropped), 3);
        assert_int_equal(dropped, 0x31);
        for (unsigned i = 0; i < 6; i++) {
                if (dropped & (1u << i)) {
                        static const struct sw_efi_config_table zero;

                        assert_memory_equal(&tab[i], &zero, sizeof(zero));
                } else {
                        assert_memory_equal(&tab[i], &in[i], sizeof(in[i]));
                }
        }
        /* dropped may be left out. */
        assert_int_equal(sw_efirt_tables(tab, in, 2, &map, NULL), 1);
}

/* The switcher's own mapping of the runtime regions (sw_efirt_map_virtual),
 * in a page pool that pretends to lie at PT_PHYS. */
#define PT_PHYS 0x7fd00000ULL
#define PT_MAX 32
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint8_t pool[PT_MAX * 4096] __attribute__((aligned(4096)));

static uint64_t *pool_page(uint64_t entry)
{
        uint64_t a = entry & 0x000ffffffffff000ULL;

        assert_true(a >= PT_PHYS && a < PT_PHYS + sizeof(pool));
        return (uint64_t *)(void *)(pool + (a - PT_PHYS));
}

/* What the tables make of va, as the CPU walks them: the physical address
 * and the cache bits (PCD | PWT), or 0 when va is not mapped. */
static uint64_t walk(uint64_t va, uint64_t *cache)
{
        uint64_t e = pml4[(va >> 39) & 511], *t;

        if (!(e & 1))
                return 0;
        t = pool_page(e);
        e = t[(va >> 30) & 511];
        if (!(e & 1))
                return 0;
        assert_int_equal(e & 0x80, 0);          /* no 1 GiB pages: TCG has none */
        t = pool_page(e);
        e = t[(va >> 21) & 511];
        if (!(e & 1))
                return 0;
        *cache = e & 0x18;
        if (e & 0x80)
                return (e & 0x000fffffffe00000ULL) + (va & (2 * MiB - 1));
        t = pool_page(e);
        e = t[(va >> 12) & 511];
        if (!(e & 1))
                return 0;
        assert_int_equal(e & 2, 2);             /* writable: the variable store is written */
        *cache = e & 0x18;
        return (e & 0x000ffffffffff000ULL) + (va & 0xfff);
}

/* Every page of every runtime region reads through its virtual address at
 * its physical one, cached unless the region lacks EFI_MEMORY_WB. */
static void check_mapped(size_t used)
{
        for (size_t k = 0; k < used / DESC; k++) {
                struct sw_efi_desc e = out_desc(k, DESC);

                for (uint64_t off = 0; off < e.pages * SW_PAGE_SIZE; off += SW_PAGE_SIZE) {
                        uint64_t cache = 0xff;

                        assert_int_equal(walk(e.virt + off + 0x123, &cache), e.phys + off + 0x123);
                        assert_int_equal(cache, (e.attr & SW_EFI_MEMORY_WB) ? 0 : 0x18);
                }
        }
}

static void map_virtual_fixtures(void **state)
{
        static const char *const names[] = { "memmap-ovmf-512M.txt", "memmap-ovmf-2G.txt", "memmap-ovmf-6G.txt" };

        (void)state;
        memset(&cap, 0, sizeof(cap));
        for (unsigned f = 0; f < 3; f++) {
                size_t len, used;
                int pages;

                load_memmap_fixture(&map, names[f]);
                len = raw_from_map(&map, DESC);
                assert_true(sw_efirt_runtime_map(raw, len, DESC, out, sizeof(out), &used, &diag) > 0);
                memset(pml4, 0, sizeof(pml4));
                pml4[0] = 0x1000 | 3;   /* the identity half stays as it is */
                pages = sw_efirt_map_virtual(pml4, pool, PT_PHYS, PT_MAX, out, used, DESC, &diag);
                /* The PDPT, one PD (all of OVMF's regions lie within the
                 * top GiB of the window) and a few page tables: well within
                 * the resident block's budget. */
                assert_true(pages >= 2 && pages <= SW_RESIDENT_EFIRT_PT_PAGES);
                assert_int_equal(pml4[0], 0x1000 | 3);
                assert_int_equal(pml4[511] & ~0xfffULL, PT_PHYS);
                for (unsigned i = 1; i < 511; i++)
                        assert_int_equal(pml4[i], 0);
                check_mapped(used);
                /* Just below the lowest region and just above the highest,
                 * outside any 2 MiB page a region uses, nothing is mapped. */
                {
                        uint64_t cache;

                        assert_int_equal(walk(out_desc(0, DESC).virt - 4 * MiB, &cache), 0);
                        assert_int_equal(walk(SW_EFI_VA_START + 4 * MiB, &cache), 0);
                }
        }
        assert_int_equal(cap.n, 0);
}

/* Two regions sharing a virtual 2 MiB frame with different physical frames
 * (the layout allows it): the frame gets small pages, and both read right. */
static void map_virtual_shared_frame(void **state)
{
        size_t len = 0, used;
        struct sw_efi_desc e;

        (void)state;
        memset(&cap, 0, sizeof(cap));
        add_desc(&len, 5, 0x7f401000, 0x10, SW_EFI_MEMORY_RUNTIME | SW_EFI_MEMORY_WB);   /* first: a large page */
        add_desc(&len, 6, 0x7e9ff000, 0x1, SW_EFI_MEMORY_RUNTIME | SW_EFI_MEMORY_WB);    /* then splits it */
        add_desc(&len, 11, 0xffc00000, 0x400, SW_EFI_MEMORY_RUNTIME | 1);                 /* UC flash */
        assert_int_equal(sw_efirt_runtime_map(raw, len, DESC, out, sizeof(out), &used, &diag), 3);
        /* The layout puts the one-page region in the big one's frame. */
        assert_int_equal(out_desc(0, DESC).virt >> 21, out_desc(1, DESC).virt >> 21);
        memset(pml4, 0, sizeof(pml4));
        /* The PDPT, the PD, one page table for the shared frame; the
         * flash's two frames are 2 MiB pages. */
        assert_int_equal(sw_efirt_map_virtual(pml4, pool, PT_PHYS, PT_MAX, out, used, DESC, &diag), 3);
        check_mapped(used);
        /* A clash: the same virtual page for two different physical ones. */
        e = out_desc(1, DESC);
        e.phys += SW_PAGE_SIZE;
        e.virt = out_desc(0, DESC).virt;
        memcpy(out + DESC, &e, sizeof(e));
        memset(pml4, 0, sizeof(pml4));
        assert_int_equal(sw_efirt_map_virtual(pml4, pool, PT_PHYS, PT_MAX, out, used, DESC, &diag), -1);
        assert_int_equal(pml4[511], 0);
        assert_int_equal(cap.n, 1);
        assert_non_null(strstr(cap.msg[0], "which another region maps"));
}

static void map_virtual_errors(void **state)
{
        size_t len, used;
        struct sw_efi_desc e;

        (void)state;
        memset(&cap, 0, sizeof(cap));
        load_memmap_fixture(&map, "memmap-ovmf-2G.txt");
        len = raw_from_map(&map, DESC);
        assert_int_equal(sw_efirt_runtime_map(raw, len, DESC, out, sizeof(out), &used, &diag), 5);
        /* Too few pages: no half-made mapping is left behind. */
        memset(pml4, 0, sizeof(pml4));
        assert_int_equal(sw_efirt_map_virtual(pml4, pool, PT_PHYS, 2, out, used, DESC, &diag), -1);
        assert_int_equal(pml4[511], 0);
        assert_non_null(strstr(cap.msg[0], "2 page-table pages are not enough"));
        /* The last PML4 entry already in use. */
        pml4[511] = 0x5003;
        assert_int_equal(sw_efirt_map_virtual(pml4, pool, PT_PHYS, PT_MAX, out, used, DESC, &diag), -1);
        assert_non_null(strstr(cap.msg[1], "last PML4 entry is taken"));
        /* A map that is no whole number of descriptors. */
        memset(pml4, 0, sizeof(pml4));
        assert_int_equal(sw_efirt_map_virtual(pml4, pool, PT_PHYS, PT_MAX, out, used - 8, DESC, &diag), -1);
        /* A region outside the window, or not page-aligned. */
        e = out_desc(0, DESC);
        e.virt = 0x1000;
        memcpy(out, &e, sizeof(e));
        assert_int_equal(sw_efirt_map_virtual(pml4, pool, PT_PHYS, PT_MAX, out, used, DESC, &diag), -1);
        e.virt = SW_EFI_VA_START - SW_PAGE_SIZE;
        e.pages = 2;
        memcpy(out, &e, sizeof(e));
        assert_int_equal(sw_efirt_map_virtual(pml4, pool, PT_PHYS, PT_MAX, out, used, DESC, &diag), -1);
        e.virt = SW_EFI_VA_END + 0x800;
        e.pages = 1;
        memcpy(out, &e, sizeof(e));
        assert_int_equal(sw_efirt_map_virtual(pml4, pool, PT_PHYS, PT_MAX, out, used, DESC, &diag), -1);
        assert_int_equal(cap.n, 6);
        assert_non_null(strstr(cap.msg[5], "not a page-aligned range in the EFI window"));
        assert_int_equal(pml4[511], 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(next_va_rules),
                cmocka_unit_test(ovmf_2g_exact),
                cmocka_unit_test(ovmf_fixtures),
                cmocka_unit_test(descriptor_sizes),
                cmocka_unit_test(errors),
                cmocka_unit_test(setup_record),
                cmocka_unit_test(config_tables),
                cmocka_unit_test(map_virtual_fixtures),
                cmocka_unit_test(map_virtual_shared_frame),
                cmocka_unit_test(map_virtual_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
