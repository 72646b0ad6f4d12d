/* SPDX-License-Identifier: MIT */
/*
 * The memory-map dump is what mkslot reads from a serial log or a file, and
 * the map it describes is what the planner and the e820 builder work on.
 * The input is the dump's text.  The map must come out sorted and disjoint,
 * survive normalizing and a dump/parse round trip unchanged, and then go
 * through the plan for a two-slot config and each slot's e820 table, whose
 * results are checked against the map.
 *
 * Seeds: tests/fixtures/memmap-*.txt
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "e820.h"
#include "fuzz.h"
#include "memmap.h"
#include "plan.h"
#include "layout.h"

static const char plan_conf[] =
        "active-size 64M\n"
        "slot a\nlinux /a\n"
        "slot b\nlinux /b\nmemory 32M\n";

static void check_sorted(const struct sw_memmap *m, bool merged)
{
        FUZZ_CHECK(m->n <= SW_MEMMAP_MAX, "%u ranges", m->n);
        for (unsigned i = 0; i < m->n; i++) {
                const struct sw_mem_range *r = &m->r[i];

                FUZZ_CHECK(r->size > 0 && r->size % SW_PAGE_SIZE == 0 && r->base % SW_PAGE_SIZE == 0,
                           "range %u: 0x%llx+0x%llx", i, (unsigned long long)r->base,
                           (unsigned long long)r->size);
                FUZZ_CHECK(r->size <= UINT64_MAX - r->base, "range %u wraps", i);
                if (i == 0)
                        continue;
                FUZZ_CHECK(m->r[i - 1].base + m->r[i - 1].size <= r->base, "ranges %u and %u overlap", i - 1, i);
                if (merged)
                        FUZZ_CHECK(m->r[i - 1].base + m->r[i - 1].size != r->base ||
                                   m->r[i - 1].efi_type != r->efi_type || m->r[i - 1].attr != r->attr,
                                   "ranges %u and %u not merged", i - 1, i);
        }
}

struct dump {
        char text[SW_MEMMAP_MAX * 96];
        size_t len;
};

static void dump_line(void *ctx, const char *text)
{
        struct dump *dp = ctx;
        size_t n = strlen(text);

        FUZZ_CHECK(dp->len + n + 1 <= sizeof(dp->text), "dump too long");
        memcpy(dp->text + dp->len, text, n);
        dp->text[dp->len + n] = '\n';
        dp->len += n + 1;
}

static void print_line(void *ctx, const char *text)
{
        (void)ctx;
        FUZZ_CHECK(strncmp(text, "plan: ", 6) == 0, "plan line: %s", text);
}

static void plan_and_e820(const struct sw_memmap *m)
{
        static struct sw_config c;
        static struct sw_plan p;
        static struct sw_e820_entry e[SW_E820_MAX];
        static struct sw_plan_input in;
        struct sw_range active[SW_ACTIVE_MAX];
        struct fuzz_diag fd;
        int placed, nr, ne;

        if (c.nslots == 0 && sw_config_parse(&c, plan_conf, sizeof(plan_conf) - 1, "plan.conf", NULL) != 2)
                fuzz_fail(__FILE__, __LINE__, "the fixed config does not parse");
        in = (struct sw_plan_input){ .cfg = &c, .map_top = sw_memmap_top(m) };
        sw_plan_input_from_config(&in);
        placed = sw_plan_build(m, &in.req, &p, fuzz_diag_init(&fd, true));
        if (placed < 0) {
                FUZZ_CHECK(fd.nerror > 0, "no plan, and no error said why");
                return;
        }
        sw_plan_print(&p, print_line, NULL);
        FUZZ_CHECK(p.active_bytes == c.active_size, "active region of %llu bytes",
                   (unsigned long long)p.active_bytes);
        FUZZ_CHECK(p.low_page < 0xa0000 && p.low_page % SW_PAGE_SIZE == 0, "low page 0x%llx",
                   (unsigned long long)p.low_page);
        FUZZ_CHECK(p.resident_base + p.resident_size <= 0x100000000ULL, "resident block above 4 GiB");
        for (unsigned i = 0; i < p.nactive; i++) {
                FUZZ_CHECK(p.active[i].size > 0, "empty active range %u", i);
                if (i)
                        FUZZ_CHECK(sw_range_end(&p.active[i - 1]) <= p.active[i].base, "active ranges overlap");
        }
        for (unsigned s = 0; s < p.nslots; s++) {
                if (!p.slots[s].placed) {
                        FUZZ_CHECK(sw_plan_slot_ranges(&p, s, active, SW_ACTIVE_MAX) == -1, "unplaced ranges");
                        continue;
                }
                for (unsigned i = 0; i < p.nactive; i++)
                        FUZZ_CHECK(p.slots[s].store_base + p.slots[s].store_size <= p.active[i].base ||
                                   sw_range_end(&p.active[i]) <= p.slots[s].store_base,
                                   "slot %u's store overlaps the active region", s);
                nr = sw_plan_slot_ranges(&p, s, active, SW_ACTIVE_MAX);
                FUZZ_CHECK(nr > 0, "placed slot %u without ranges", s);
                ne = sw_e820_build(m, active, (unsigned)nr, e, SW_E820_MAX, fuzz_diag_init(&fd, true));
                if (ne < 0) {
                        FUZZ_CHECK(fd.nerror > 0, "no e820, and no error said why");
                        continue;
                }
                for (int i = 1; i < ne; i++)
                        FUZZ_CHECK(e[i - 1].addr + e[i - 1].size <= e[i].addr, "e820 entries %d and %d overlap",
                                   i - 1, i);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct sw_memmap m, again;
        static struct dump dp;
        struct fuzz_diag fd;
        char *text;
        int rc;

        text = fuzz_copy(data, size);
        if (!text)
                return 0;
        sw_memmap_init(&m);
        rc = sw_memmap_parse_dump(&m, text, size, "m.txt", fuzz_diag_init(&fd, false));
        free(text);
        FUZZ_CHECK((rc < 0) == (fd.nerror > 0), "returned %d after %u errors", rc, fd.nerror);
        if (fd.n)
                FUZZ_CHECK(strncmp(fd.last, "m.txt:", 6) == 0, "message without FILE:LINE: %s", fd.last);
        check_sorted(&m, false);

        sw_memmap_normalize(&m);
        check_sorted(&m, true);

        /* What the switcher prints at boot must read back as the same map. */
        dp.len = 0;
        sw_memmap_dump(&m, dump_line, &dp);
        sw_memmap_init(&again);
        FUZZ_CHECK(sw_memmap_parse_dump(&again, dp.text, dp.len, "dump", fuzz_diag_init(&fd, true)) == 0,
                   "the dump of a map does not parse: %s", fd.last);
        FUZZ_CHECK(again.n == m.n, "the dump reads back as %u ranges, not %u", again.n, m.n);
        for (unsigned i = 0; i < m.n; i++)
                FUZZ_CHECK(again.r[i].base == m.r[i].base && again.r[i].size == m.r[i].size &&
                           again.r[i].efi_type == m.r[i].efi_type && again.r[i].attr == m.r[i].attr,
                           "range %u does not read back", i);

        plan_and_e820(&m);
        return 0;
}
