/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util_fixture.h"

void load_memmap_fixture(struct sw_memmap *m, const char *name)
{
        char path[512];
        static char buf[65536];
        struct sw_diag d = { 0 };
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
        f = fopen(path, "rb");
        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf), f);
        assert_true(n > 0 && n < sizeof(buf));
        fclose(f);
        sw_memmap_init(m);
        assert_int_equal(sw_memmap_parse_dump(m, buf, n, name, &d), 0);
        assert_int_equal(d.errors, 0);
}

size_t load_file_fixture(const char *name, void *dst, size_t cap)
{
        char path[512];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
        f = fopen(path, "rb");
        assert_non_null(f);
        n = fread(dst, 1, cap, f);
        assert_true(n > 0 && n < cap);
        fclose(f);
        return n;
}

void memmap_claim(struct sw_memmap *m, uint64_t b, uint64_t size, uint32_t type)
{
        static struct sw_memmap out;
        struct sw_diag d = { 0 };
        uint64_t e = b + size;

        sw_memmap_init(&out);
        for (unsigned i = 0; i < m->n; i++) {
                const struct sw_mem_range *r = &m->r[i];
                uint64_t rb = r->base, re = r->base + r->size;
                uint64_t lo = rb > b ? rb : b, hi = re < e ? re : e;

                if (lo >= hi) {
                        assert_int_equal(sw_memmap_add(&out, r->efi_type, rb, r->size / 4096, r->attr, &d), 0);
                        continue;
                }
                assert_int_equal(r->efi_type, SW_EFI_CONVENTIONAL);
                if (rb < lo)
                        assert_int_equal(sw_memmap_add(&out, r->efi_type, rb, (lo - rb) / 4096, r->attr, &d), 0);
                assert_int_equal(sw_memmap_add(&out, type, lo, (hi - lo) / 4096, r->attr, &d), 0);
                if (hi < re)
                        assert_int_equal(sw_memmap_add(&out, r->efi_type, hi, (re - hi) / 4096, r->attr, &d), 0);
        }
        *m = out;
}

unsigned plan_slot_index(const struct sw_plan *plan, const char *id)
{
        for (unsigned i = 0; i < plan->nslots; i++)
                if (!strcmp(plan->slots[i].id, id))
                        return i;
        fail_msg("slot '%s' is not in the plan", id);
        return 0;
}
