/* SPDX-License-Identifier: MIT */
/*
 * A disk's GPT is untrusted bytes: the switcher reads every disk the
 * firmware sees, and the agent every disk of its OS.  The input is the
 * start of a disk (512-byte blocks; reads past its end fail like a short
 * device).  Checked: the result is one of the three; a reason is given for
 * every result but OK, and is terminated text; an OK table has at most
 * SW_GPT_MAX_PARTS used entries, numbered in increasing order within the
 * table's entry count, each with a terminated UTF-8 name of valid length.
 *
 * Seeds: (fuzz_seeds writes a table with an ESP and two named partitions)
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gpt.h"
#include "mailbox.h"

struct disk {
        const uint8_t *data;
        size_t size;
};

static int rd(void *ctx, uint64_t off, void *buf, size_t len)
{
        const struct disk *d = ctx;

        if (off > d->size || len > d->size - off)
                return -1;
        memcpy(buf, d->data + off, len);
        return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

void fuzz_seeds(const char *dir)
{
        static uint8_t disk[34 * 512];
        uint8_t *h = disk + 512, *e = disk + 1024;
        static const char *const names[3] = { "ESP", "slot-a", "slot-b" };

        memset(disk, 0, sizeof(disk));
        memcpy(h, "EFI PART", 8);
        put32(h + 8, 0x10000);
        put32(h + 0x0c, 92);
        h[0x18] = 1;
        h[0x48] = 2;
        put32(h + 0x50, 128);
        put32(h + 0x54, 128);
        for (unsigned i = 0; i < 3; i++) {
                memset(e + i * 128, 0x11 * (i + 1), 32);
                for (unsigned k = 0; names[i][k]; k++)
                        e[i * 128 + 0x38 + 2 * k] = (uint8_t)names[i][k];
        }
        put32(h + 0x58, sw_crc32(0, e, 128 * 128));
        put32(h + 0x10, sw_crc32(0, h, 92));
        fuzz_write_seed(dir, "three-parts", disk, sizeof(disk));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct sw_gpt g;
        uint8_t *copy = fuzz_copy(data, size);
        struct disk d;
        char why[200];
        int r;

        if (!copy)
                return 0;
        d.data = copy;
        d.size = size;
        why[0] = '\0';
        r = sw_gpt_read(rd, &d, 512, &g, why, sizeof(why));
        FUZZ_CHECK(r == SW_GPT_OK || r == SW_GPT_NONE || r == SW_GPT_BAD, "result %d", r);
        FUZZ_CHECK(memchr(why, 0, sizeof(why)) != NULL, "reason not terminated");
        if (r != SW_GPT_OK) {
                FUZZ_CHECK(why[0] != '\0', "result %d without a reason", r);
        } else {
                FUZZ_CHECK(g.nparts <= SW_GPT_MAX_PARTS, "%u parts", g.nparts);
                for (unsigned i = 0; i < g.nparts; i++) {
                        FUZZ_CHECK(g.parts[i].index >= 1 && g.parts[i].index <= g.nentries, "index %u of %u",
                                   g.parts[i].index, g.nentries);
                        FUZZ_CHECK(i == 0 || g.parts[i].index > g.parts[i - 1].index, "indexes out of order");
                        FUZZ_CHECK(memchr(g.parts[i].name, 0, sizeof(g.parts[i].name)) != NULL, "name unterminated");
                        FUZZ_CHECK(sw_gpt_entry(&g, g.parts[i].index) == &g.parts[i], "entry lookup");
                }
        }
        free(copy);
        return 0;
}
