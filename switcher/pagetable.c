/* SPDX-License-Identifier: MIT */
#include "pagetable.h"

#include <string.h>

#define GIB (1ULL << 30)
#define PAGE 4096ULL
#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_PS 0x80ULL       /* in a PD entry: a 2 MiB page */

static uint64_t gib_count(uint64_t top)
{
        if (top < 4 * GIB)
                top = 4 * GIB;
        return (top + GIB - 1) / GIB;
}

unsigned sw_pt_pages(uint64_t top)
{
        if (top > SW_PT_MAX_TOP)
                return 0;
        return (unsigned)(2 + gib_count(top));
}

uint64_t sw_pt_build(void *mem, uint64_t phys, size_t size, uint64_t top)
{
        uint64_t *pml4 = mem, *pdpt, ngib;
        unsigned pages = sw_pt_pages(top);

        if (!pages || phys % PAGE || (uintptr_t)mem % 8 || size < (size_t)pages * PAGE ||
            phys > UINT64_MAX - (uint64_t)pages * PAGE)
                return 0;
        ngib = gib_count(top);
        memset(mem, 0, (size_t)pages * PAGE);
        pdpt = pml4 + 512;
        pml4[0] = (phys + PAGE) | PTE_P | PTE_RW;
        for (uint64_t g = 0; g < ngib; g++) {
                uint64_t *pd = pml4 + 512 * (2 + g);
                uint64_t pd_phys = phys + (2 + g) * PAGE;

                pdpt[g] = pd_phys | PTE_P | PTE_RW;
                for (uint64_t i = 0; i < 512; i++)
                        pd[i] = (g * GIB + i * (2ULL << 20)) | PTE_P | PTE_RW | PTE_PS;
        }
        return phys;
}
