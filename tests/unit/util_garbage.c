/* SPDX-License-Identifier: MIT */
#include "util_garbage.h"

static uint32_t state = 0x9e3779b9;

uint32_t garbage_u32(void)
{
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
}

void garbage_fill(void *p, size_t n, bool nonzero)
{
        uint8_t *b = p;

        for (size_t i = 0; i < n; i++) {
                b[i] = (uint8_t)garbage_u32();
                if (nonzero && b[i] == 0)
                        b[i] = 0x5a;
        }
}
