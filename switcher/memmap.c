/* SPDX-License-Identifier: MIT */
/*
 * The memory map: UEFI descriptors kept sorted by base, their classes, and
 * the text dump that lets host tools and tests work on a real machine's map.
 */
#include "memmap.h"

#include <string.h>

#include "fmt.h"

enum sw_mem_class sw_mem_class_of(uint32_t efi_type)
{
        switch (efi_type) {
        case SW_EFI_LOADER_CODE:
        case SW_EFI_LOADER_DATA:
        case SW_EFI_BS_CODE:
        case SW_EFI_BS_DATA:
        case SW_EFI_CONVENTIONAL:
                return SW_MEM_FREE;
        case SW_EFI_ACPI_RECLAIM:
                return SW_MEM_ACPI;
        case SW_EFI_ACPI_NVS:
                return SW_MEM_NVS;
        case SW_EFI_UNUSABLE:
                return SW_MEM_UNUSABLE;
        case SW_EFI_PERSISTENT:
                return SW_MEM_PMEM;
        default:
                /*
                 * Reserved, runtime services, MMIO, PAL code, unaccepted
                 * memory (it must be accepted before use, which only the
                 * firmware can do) and any type this code does not know:
                 * the safe answer for all of them is "never touch".
                 */
                return SW_MEM_FIRMWARE;
        }
}

const char *sw_efi_type_name(uint32_t efi_type)
{
        /* The names the UEFI Shell's `memmap` prints, so a dump and a
         * shell screen can be compared line by line. */
        static const char *const names[SW_EFI_TYPE_MAX] = {
                [SW_EFI_RESERVED] = "Reserved",
                [SW_EFI_LOADER_CODE] = "LoaderCode",
                [SW_EFI_LOADER_DATA] = "LoaderData",
                [SW_EFI_BS_CODE] = "BS_Code",
                [SW_EFI_BS_DATA] = "BS_Data",
                [SW_EFI_RT_CODE] = "RT_Code",
                [SW_EFI_RT_DATA] = "RT_Data",
                [SW_EFI_CONVENTIONAL] = "Available",
                [SW_EFI_UNUSABLE] = "Unusable",
                [SW_EFI_ACPI_RECLAIM] = "ACPI_Recl",
                [SW_EFI_ACPI_NVS] = "ACPI_NVS",
                [SW_EFI_MMIO] = "MMIO",
                [SW_EFI_MMIO_PORT] = "MMIO_Port",
                [SW_EFI_PAL_CODE] = "PalCode",
                [SW_EFI_PERSISTENT] = "Persistent",
                [SW_EFI_UNACCEPTED] = "Unaccepted",
        };

        if (efi_type < SW_EFI_TYPE_MAX)
                return names[efi_type];
        return "Unknown";
}

void sw_memmap_init(struct sw_memmap *m)
{
        m->n = 0;
}

/*
 * Checks one descriptor against the map and finds where it goes.  On
 * failure writes the reason (without location, each caller adds its own)
 * into why and returns -1; on success returns 0 and the insertion index.
 */
static int check_range(const struct sw_memmap *m, uint64_t base, uint64_t pages,
                       unsigned *at, char *why, size_t whylen)
{
        uint64_t size, end;
        unsigned lo = 0, hi = m->n;

        if (pages == 0) {
                sw_snprintf(why, whylen, "range at 0x%llx has zero pages",
                            (unsigned long long)base);
                return -1;
        }
        if (base % SW_PAGE_SIZE) {
                sw_snprintf(why, whylen, "range base 0x%llx is not 4 KiB aligned",
                            (unsigned long long)base);
                return -1;
        }
        /* pages * 4096 and base + size must both stay below 2^64. */
        if (pages > UINT64_MAX / SW_PAGE_SIZE ||
            (size = pages * SW_PAGE_SIZE) > UINT64_MAX - base) {
                sw_snprintf(why, whylen,
                            "range at 0x%llx with 0x%llx pages goes past the end of the 64-bit address space",
                            (unsigned long long)base, (unsigned long long)pages);
                return -1;
        }
        end = base + size;
        if (m->n >= SW_MEMMAP_MAX) {
                sw_snprintf(why, whylen, "memory map is full (%u ranges)", SW_MEMMAP_MAX);
                return -1;
        }
        /* The map is kept sorted, so only the neighbours can overlap. */
        while (lo < hi) {
                unsigned mid = lo + (hi - lo) / 2;

                if (m->r[mid].base < base)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (unsigned i = lo > 0 ? lo - 1 : 0; i < m->n && i <= lo; i++) {
                const struct sw_mem_range *o = &m->r[i];

                if (o->base < end && base < o->base + o->size) {
                        sw_snprintf(why, whylen,
                                    "range 0x%llx-0x%llx overlaps the earlier range 0x%llx-0x%llx",
                                    (unsigned long long)base, (unsigned long long)(end - 1),
                                    (unsigned long long)o->base,
                                    (unsigned long long)(o->base + o->size - 1));
                        return -1;
                }
        }
        *at = lo;
        return 0;
}

static void insert_range(struct sw_memmap *m, unsigned at, uint32_t efi_type, uint64_t base,
                         uint64_t pages, uint64_t attr)
{
        memmove(&m->r[at + 1], &m->r[at], (m->n - at) * sizeof(m->r[0]));
        m->r[at].base = base;
        m->r[at].size = pages * SW_PAGE_SIZE;
        m->r[at].efi_type = efi_type;
        m->r[at].attr = attr;
        m->n++;
}

int sw_memmap_add(struct sw_memmap *m, uint32_t efi_type, uint64_t base,
                  uint64_t pages, uint64_t attr, struct sw_diag *d)
{
        char why[160];
        unsigned at;

        if (check_range(m, base, pages, &at, why, sizeof(why)) < 0) {
                sw_diagf(d, SW_ERROR, "memory map: %s; descriptor ignored", why);
                return -1;
        }
        insert_range(m, at, efi_type, base, pages, attr);
        return 0;
}

void sw_memmap_normalize(struct sw_memmap *m)
{
        unsigned out = 0;

        /* Insertion sort: the map is nearly always sorted already (firmware
         * maps are, and sw_memmap_add keeps them so), which makes it linear. */
        for (unsigned i = 1; i < m->n; i++) {
                struct sw_mem_range t = m->r[i];
                unsigned j = i;

                while (j > 0 && m->r[j - 1].base > t.base) {
                        m->r[j] = m->r[j - 1];
                        j--;
                }
                m->r[j] = t;
        }
        for (unsigned i = 0; i < m->n; i++) {
                struct sw_mem_range *prev = out ? &m->r[out - 1] : NULL;

                if (prev && prev->efi_type == m->r[i].efi_type &&
                    prev->attr == m->r[i].attr &&
                    prev->base + prev->size == m->r[i].base) {
                        prev->size += m->r[i].size;
                        continue;
                }
                m->r[out++] = m->r[i];
        }
        m->n = out;
}

void sw_memmap_dump(const struct sw_memmap *m, void (*line)(void *ctx, const char *text),
                    void *ctx)
{
        char buf[96];

        for (unsigned i = 0; i < m->n; i++) {
                sw_snprintf(buf, sizeof(buf), "memmap: %u 0x%llx 0x%llx 0x%llx",
                            m->r[i].efi_type, (unsigned long long)m->r[i].base,
                            (unsigned long long)(m->r[i].size / SW_PAGE_SIZE),
                            (unsigned long long)m->r[i].attr);
                line(ctx, buf);
        }
}

/* ------------------------------------------------------------------------ */
/* The text dump. */

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Decimal without sign, at most 2^32 - 1 (a UEFI type is a UINT32). */
static bool parse_dec32(const char *s, size_t n, uint32_t *out)
{
        uint64_t v = 0;

        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (uint64_t)(s[i] - '0');
                if (v > UINT32_MAX)
                        return false;
        }
        *out = (uint32_t)v;
        return true;
}

/* "0x" and 1 to 16 hex digits. */
static bool parse_hex64(const char *s, size_t n, uint64_t *out)
{
        uint64_t v = 0;

        if (n < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
                return false;
        for (size_t i = 2; i < n; i++) {
                int dgt = hex_digit(s[i]);

                if (dgt < 0 || v > (UINT64_MAX >> 4))
                        return false;
                v = (v << 4) | (uint64_t)dgt;
        }
        *out = v;
        return true;
}

struct field {
        const char *s;
        size_t n;
};

static const char *const field_name[4] = { "TYPE", "BASE", "PAGES", "ATTR" };

/* Parses one line that is meant to be a descriptor; returns 0 or -1 after
 * reporting what is wrong with it. */
static int parse_line(struct sw_memmap *m, const char *p, const char *end,
                      const char *filename, unsigned lineno, struct sw_diag *d)
{
        struct field f[4];
        unsigned nf = 0;
        uint32_t type;
        uint64_t v[4];
        char why[160];
        unsigned at;

        while (p < end) {
                const char *start;

                while (p < end && is_space(*p))
                        p++;
                if (p == end)
                        break;
                start = p;
                while (p < end && !is_space(*p))
                        p++;
                if (nf < 4) {
                        f[nf].s = start;
                        f[nf].n = (size_t)(p - start);
                }
                nf++;
        }
        if (nf != 4) {
                sw_diagf(d, SW_ERROR,
                         "%s:%u: expected 4 fields (TYPE BASE PAGES ATTR), found %u; line ignored",
                         filename, lineno, nf);
                return -1;
        }
        if (!parse_dec32(f[0].s, f[0].n, &type)) {
                sw_diagf(d, SW_ERROR,
                         "%s:%u: bad TYPE '%.*s': expected a decimal UEFI memory type; line ignored",
                         filename, lineno, (int)f[0].n, f[0].s);
                return -1;
        }
        for (unsigned i = 1; i < 4; i++) {
                if (!parse_hex64(f[i].s, f[i].n, &v[i])) {
                        sw_diagf(d, SW_ERROR,
                                 "%s:%u: bad %s '%.*s': expected a 64-bit hex number with 0x prefix; line ignored",
                                 filename, lineno, field_name[i], (int)f[i].n, f[i].s);
                        return -1;
                }
        }
        if (check_range(m, v[1], v[2], &at, why, sizeof(why)) < 0) {
                sw_diagf(d, SW_ERROR, "%s:%u: %s; line ignored", filename, lineno, why);
                return -1;
        }
        insert_range(m, at, type, v[1], v[2], v[3]);
        return 0;
}

int sw_memmap_parse_dump(struct sw_memmap *m, const char *buf, size_t len,
                         const char *filename, struct sw_diag *d)
{
        static const char prefix[] = "memmap:";
        const size_t plen = sizeof(prefix) - 1;
        const char *p = buf, *end = buf + len;
        unsigned lineno = 0;
        bool prefixed = false;
        int rc = 0;

        /* A serial log holds the dump as "memmap:" lines among other text
         * (menu lines start with digits too): once one line carries the
         * prefix, only prefixed lines are descriptors. */
        for (const char *q = buf; q + plen <= end; q++) {
                if ((q == buf || q[-1] == '\n') && memcmp(q, prefix, plen) == 0) {
                        prefixed = true;
                        break;
                }
        }
        while (p < end) {
                const char *eol = p, *s = p;

                while (eol < end && *eol != '\n')
                        eol++;
                lineno++;
                p = eol < end ? eol + 1 : end;

                while (s < eol && is_space(*s))
                        s++;
                /*
                 * Only lines that look like descriptors are parsed, so a
                 * whole serial log can be fed in: the boot output around
                 * the dump starts with neither a digit nor the prefix.
                 */
                if ((size_t)(eol - s) >= plen && memcmp(s, prefix, plen) == 0)
                        s += plen;
                else if (prefixed || s == eol || *s < '0' || *s > '9')
                        continue;
                if (parse_line(m, s, eol, filename, lineno, d) < 0)
                        rc = -1;
        }
        return rc;
}

uint64_t sw_memmap_top(const struct sw_memmap *m)
{
        uint64_t top = 0;

        for (unsigned i = 0; i < m->n; i++)
                if (m->r[i].base + m->r[i].size > top)
                        top = m->r[i].base + m->r[i].size;
        return top;
}
