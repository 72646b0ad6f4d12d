/* SPDX-License-Identifier: MIT */
/*
 * A slot's e820 table (see e820.h): the memory map seen through the slot's
 * active region.
 */
#include "e820.h"

#include "fmt.h"

/* Entries are produced in address order; this merges each with the one
 * before when they touch and agree, and counts past max so the error can
 * say how many would have been needed. */
struct e820_out {
        struct sw_e820_entry *out;
        unsigned max;
        unsigned n;             /* entries finished, including those past max */
        bool have;
        uint64_t addr, end;
        uint32_t type;
};

static void flush(struct e820_out *o)
{
        if (!o->have)
                return;
        if (o->n < o->max) {
                o->out[o->n].addr = o->addr;
                o->out[o->n].size = o->end - o->addr;
                o->out[o->n].type = o->type;
        }
        o->n++;
        o->have = false;
}

static void emit(struct e820_out *o, uint64_t addr, uint64_t end, uint32_t type)
{
        if (addr >= end)
                return;
        if (o->have && o->type == type && o->end == addr) {
                o->end = end;
                return;
        }
        flush(o);
        o->have = true;
        o->addr = addr;
        o->end = end;
        o->type = type;
}

static uint32_t e820_type_of(enum sw_mem_class c)
{
        switch (c) {
        case SW_MEM_ACPI:
                return SW_E820_ACPI;
        case SW_MEM_NVS:
                return SW_E820_NVS;
        case SW_MEM_UNUSABLE:
                return SW_E820_UNUSABLE;
        case SW_MEM_PMEM:
                return SW_E820_PMEM;
        case SW_MEM_FREE:       /* decided by the active region, not here */
        case SW_MEM_FIRMWARE:
        default:
                return SW_E820_RESERVED;
        }
}

/* Free RAM [b, e), cut into what lies in an active range (usable) and what
 * does not (reserved).  Active ranges need not be sorted. */
static void emit_free(struct e820_out *o, uint64_t b, uint64_t e, const struct sw_range *active,
                      unsigned nactive)
{
        uint64_t cur = b;

        while (cur < e) {
                uint64_t next = e;
                bool inside = false;

                for (unsigned i = 0; i < nactive; i++) {
                        uint64_t ab = active[i].base, ae = sw_range_end(&active[i]);

                        if (ab <= cur && cur < ae) {
                                inside = true;
                                next = ae < e ? ae : e;
                                break;
                        }
                        if (ab > cur && ab < next)
                                next = ab;
                }
                emit(o, cur, next, inside ? SW_E820_RAM : SW_E820_RESERVED);
                cur = next;
        }
}

/* Bytes of [b, e) that are free RAM in m. */
static uint64_t free_bytes_in(const struct sw_memmap *m, uint64_t b, uint64_t e)
{
        uint64_t sum = 0;

        for (unsigned i = 0; i < m->n; i++) {
                const struct sw_mem_range *r = &m->r[i];
                uint64_t lo = r->base > b ? r->base : b;
                uint64_t hi = r->base + r->size < e ? r->base + r->size : e;

                if (lo < hi && sw_mem_class_of(r->efi_type) == SW_MEM_FREE)
                        sum += hi - lo;
        }
        return sum;
}

int sw_e820_build(const struct sw_memmap *m, const struct sw_range *active, unsigned nactive,
                  struct sw_e820_entry *out, unsigned max, struct sw_diag *d)
{
        struct e820_out o = { .out = out, .max = max };
        uint64_t prev_end = 0;
        char sz[24];

        if (m->n > SW_MEMMAP_MAX) {
                sw_diagf(d, SW_ERROR, "e820: memory map claims %u ranges, more than %u; no e820",
                         m->n, SW_MEMMAP_MAX);
                return -1;
        }
        for (unsigned i = 0; i < nactive; i++) {
                if (active[i].size > UINT64_MAX - active[i].base) {
                        sw_diagf(d, SW_ERROR,
                                 "e820: active range 0x%llx (+0x%llx) runs past the end of memory; no e820",
                                 (unsigned long long)active[i].base,
                                 (unsigned long long)active[i].size);
                        return -1;
                }
        }
        for (unsigned i = 0; i < m->n; i++) {
                const struct sw_mem_range *r = &m->r[i];
                enum sw_mem_class c = sw_mem_class_of(r->efi_type);

                if (r->size > UINT64_MAX - r->base || r->base < prev_end) {
                        sw_diagf(d, SW_ERROR,
                                 "e820: memory map range %u at 0x%llx is unsorted, overlapping or too long; no e820",
                                 i, (unsigned long long)r->base);
                        return -1;
                }
                prev_end = r->base + r->size;
                if (c == SW_MEM_FREE)
                        emit_free(&o, r->base, prev_end, active, nactive);
                else
                        emit(&o, r->base, prev_end, e820_type_of(c));
        }
        flush(&o);
        if (o.n > max) {
                sw_diagf(d, SW_ERROR,
                         "e820: the slot's memory map needs %u entries but only %u fit; the slot cannot be started",
                         o.n, max);
                return -1;
        }

        /*
         * The plan only puts free RAM in the active region, but the map
         * handed in here is a later one: if the firmware has taken part of
         * the region since, the guest loses that part, and it should be
         * said once rather than found later.
         */
        for (unsigned i = 0; i < nactive; i++) {
                uint64_t b = active[i].base, e = sw_range_end(&active[i]);
                uint64_t got = free_bytes_in(m, b, e);

                if (got < e - b)
                        sw_diagf(d, SW_WARN,
                                 "e820: active range 0x%llx-0x%llx is not all free RAM in the final memory map (%s are not); the slot will not use them",
                                 (unsigned long long)b, (unsigned long long)(e - 1),
                                 sw_fmt_size(sz, sizeof(sz), (e - b) - got));
        }
        return (int)o.n;
}

const char *sw_e820_type_name(uint32_t type)
{
        switch (type) {
        case SW_E820_RAM:
                return "usable";
        case SW_E820_RESERVED:
                return "reserved";
        case SW_E820_ACPI:
                return "ACPI data";
        case SW_E820_NVS:
                return "ACPI NVS";
        case SW_E820_UNUSABLE:
                return "unusable";
        case SW_E820_PMEM:
                return "persistent (type 7)";
        default:
                return "unknown";
        }
}
