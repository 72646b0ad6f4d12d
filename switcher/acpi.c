/* SPDX-License-Identifier: MIT */
#include "acpi.h"

#include <string.h>

/*
 * Everything here reads firmware memory only through walk.rd, and treats
 * every address and length it finds there as hostile: lengths are checked
 * against a ceiling before they are used, and every mapping is bounded by
 * what the reader agrees to hand out.  Multi-byte fields are read through
 * packed structs or memcpy: ACPI is little-endian, and so is x86.
 */

#define RSDP_SIG "RSD PTR "
#define FOUR_GIB 0x100000000ULL

struct walk {
        sw_phys_read_fn rd;
        void *ctx;
        struct sw_diag *d;
};

static unsigned long long ull(uint64_t v)
{
        return (unsigned long long)v;
}

/* The reader, with the one check every caller needs: a range that wraps
 * around the address space is never readable. */
static const uint8_t *read_raw(const struct walk *w, uint64_t addr, uint64_t len)
{
        uint64_t end;

        if (__builtin_add_overflow(addr, len, &end))
                return NULL;
        return w->rd(w->ctx, addr, len);
}

/* read_raw() that says which table could not be read. */
static const uint8_t *map(const struct walk *w, const char *what, uint64_t addr, uint64_t len)
{
        const uint8_t *p = read_raw(w, addr, len);

        if (!p)
                sw_diagf(w->d, SW_ERROR, "ACPI: %s at 0x%llx: cannot read %llu bytes",
                         what, ull(addr), ull(len));
        return p;
}

/* Signatures come from firmware and may be garbage: print them safely. */
static void printable(char *out, const void *p, size_t n)
{
        const uint8_t *s = p;

        for (size_t i = 0; i < n; i++)
                out[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? (char)s[i] : '?';
        out[n] = '\0';
}

static int bad_signature(const struct walk *w, const char *what, uint64_t addr,
                         const void *got, const char *want, int err)
{
        char text[9];

        printable(text, got, strlen(want));
        sw_diagf(w->d, SW_ERROR, "ACPI: %s at 0x%llx: bad signature \"%s\", expected \"%s\"",
                 what, ull(addr), text, want);
        return err;
}

/*
 * Maps one table with a standard header: signature, length within
 * [min_len, SW_ACPI_MAX_TABLE], readable, checksum.  Problems with the table
 * itself return err; an unreadable one SW_ACPI_ERR_RANGE.
 */
static int get_table(const struct walk *w, const char *what, const char *sig,
                     uint64_t addr, uint32_t min_len, int err,
                     const uint8_t **out, uint32_t *len_out)
{
        const struct sw_acpi_header *h;
        const uint8_t *p;
        uint32_t len;

        h = (const struct sw_acpi_header *)map(w, what, addr, sizeof(*h));
        if (!h)
                return SW_ACPI_ERR_RANGE;
        if (memcmp(h->signature, sig, 4) != 0)
                return bad_signature(w, what, addr, h->signature, sig, err);
        len = h->length;
        if (len < min_len || len > SW_ACPI_MAX_TABLE) {
                sw_diagf(w->d, SW_ERROR, "ACPI: %s at 0x%llx: length %u is outside %u..%u",
                         what, ull(addr), len, min_len, SW_ACPI_MAX_TABLE);
                return err;
        }
        p = map(w, what, addr, len);
        if (!p)
                return SW_ACPI_ERR_RANGE;
        if (!sw_acpi_sum_ok(p, len)) {
                sw_diagf(w->d, SW_ERROR, "ACPI: %s at 0x%llx: bad checksum", what, ull(addr));
                return err;
        }
        *out = p;
        *len_out = len;
        return 0;
}

/* An XSDT (8-byte entries) or RSDT (4-byte entries): a header, then nothing
 * but whole entries. */
static int get_root(const struct walk *w, const char *sig, uint64_t addr, unsigned esize,
                    const uint8_t **out, uint32_t *len_out)
{
        int err = get_table(w, sig, sig, addr, sizeof(struct sw_acpi_header),
                            SW_ACPI_ERR_ROOT, out, len_out);

        if (err)
                return err;
        if ((*len_out - sizeof(struct sw_acpi_header)) % esize != 0) {
                sw_diagf(w->d, SW_ERROR,
                         "ACPI: %s at 0x%llx: length %u is not 36 plus a multiple of %u",
                         sig, ull(addr), *len_out, esize);
                return SW_ACPI_ERR_ROOT;
        }
        return 0;
}

static uint64_t root_entry(const uint8_t *root, unsigned esize, uint32_t i)
{
        uint64_t e = 0;

        memcpy(&e, root + sizeof(struct sw_acpi_header) + (size_t)i * esize, esize);
        return e;
}

/*
 * Looks at every entry of a root table for the FADT.  The copies replace the
 * entries equal to *fadt, so a root naming two different FADTs (or, for the
 * second root, a different one than the first) would leave a guest a path to
 * the firmware's FACS: refuse it.  Null entries are skipped; *fadt is set
 * when it was 0 and a FADT is found.
 */
static int find_fadt(const struct walk *w, const char *sig, uint64_t addr,
                     const uint8_t *root, uint32_t len, unsigned esize, uint64_t *fadt)
{
        uint32_t n = (len - (uint32_t)sizeof(struct sw_acpi_header)) / esize;

        for (uint32_t i = 0; i < n; i++) {
                uint64_t e = root_entry(root, esize, i);
                const uint8_t *s;

                if (!e)
                        continue;
                s = read_raw(w, e, 4);
                if (!s) {
                        sw_diagf(w->d, SW_ERROR,
                                 "ACPI: %s at 0x%llx: entry %u (0x%llx) cannot be read",
                                 sig, ull(addr), i, ull(e));
                        return SW_ACPI_ERR_RANGE;
                }
                if (memcmp(s, "FACP", 4) != 0)
                        continue;
                if (!*fadt) {
                        *fadt = e;
                } else if (e != *fadt) {
                        sw_diagf(w->d, SW_ERROR,
                                 "ACPI: %s at 0x%llx: entry %u is a second FADT at 0x%llx "
                                 "(the one in use is at 0x%llx)",
                                 sig, ull(addr), i, ull(e), ull(*fadt));
                        return SW_ACPI_ERR_ROOT;
                }
        }
        return 0;
}

/*
 * An I/O port from the FADT: the X_ block wins when the table has it and it
 * is set (as ACPICA does), but only a system-I/O address fits a port number;
 * otherwise the 32-bit block, when it is a port at all.
 */
static uint16_t fadt_port(const struct sw_acpi_fadt *f, uint32_t len,
                          const struct sw_acpi_gas *x, uint32_t legacy)
{
        size_t x_end = (size_t)((const uint8_t *)x - (const uint8_t *)f) + sizeof(*x);

        if (len >= x_end && x->address) {
                if (x->space_id == SW_ACPI_GAS_SYSTEM_IO && x->address <= 0xffff)
                        return (uint16_t)x->address;
                return 0;
        }
        return legacy <= 0xffff ? (uint16_t)legacy : 0;
}

static int scan_rsdp(const struct walk *w, uint64_t addr, struct sw_acpi_fw *fw)
{
        const struct sw_acpi_rsdp *r;
        const uint8_t *full;
        uint32_t len;

        r = (const struct sw_acpi_rsdp *)map(w, "RSDP", addr, SW_ACPI_RSDP_V1_LEN);
        if (!r)
                return SW_ACPI_ERR_RANGE;
        if (memcmp(r->signature, RSDP_SIG, 8) != 0)
                return bad_signature(w, "RSDP", addr, r->signature, RSDP_SIG, SW_ACPI_ERR_RSDP);
        if (!sw_acpi_sum_ok(r, SW_ACPI_RSDP_V1_LEN)) {
                sw_diagf(w->d, SW_ERROR, "ACPI: RSDP at 0x%llx: bad checksum", ull(addr));
                return SW_ACPI_ERR_RSDP;
        }
        fw->rsdp = addr;
        fw->rsdp_rev = r->revision;
        fw->rsdt = r->rsdt;
        if (r->revision < 2)
                return 0;

        /* Revision 2 and later: the fields past byte 20 exist. */
        r = (const struct sw_acpi_rsdp *)map(w, "RSDP", addr, sizeof(*r));
        if (!r)
                return SW_ACPI_ERR_RANGE;
        len = r->length;
        if (len < sizeof(*r) || len > SW_ACPI_MAX_TABLE) {
                sw_diagf(w->d, SW_ERROR,
                         "ACPI: RSDP at 0x%llx: revision %u with length %u, outside 36..%u",
                         ull(addr), r->revision, len, SW_ACPI_MAX_TABLE);
                return SW_ACPI_ERR_RSDP;
        }
        full = map(w, "RSDP", addr, len);
        if (!full)
                return SW_ACPI_ERR_RANGE;
        if (!sw_acpi_sum_ok(full, len)) {
                sw_diagf(w->d, SW_ERROR, "ACPI: RSDP at 0x%llx: bad extended checksum", ull(addr));
                return SW_ACPI_ERR_RSDP;
        }
        fw->xsdt = r->xsdt;
        return 0;
}

int sw_acpi_scan(sw_phys_read_fn rd, void *ctx, uint64_t rsdp,
                 struct sw_acpi_fw *fw, struct sw_diag *d)
{
        struct walk w = { rd, ctx, d };
        const uint8_t *xsdt = NULL, *rsdt = NULL, *p;
        const struct sw_acpi_fadt *f;
        const struct sw_acpi_facs *facs;
        uint64_t fadt = 0, facs_addr;
        uint32_t len;
        int err;

        memset(fw, 0, sizeof(*fw));
        err = scan_rsdp(&w, rsdp, fw);
        if (err)
                goto fail;
        if (!fw->xsdt && !fw->rsdt) {
                sw_diagf(d, SW_ERROR, "ACPI: RSDP at 0x%llx: names neither an XSDT nor an RSDT",
                         ull(rsdp));
                err = SW_ACPI_ERR_ROOT;
                goto fail;
        }

        /* Both roots get copied, so both must be sound, even though a guest
         * reads the XSDT whenever there is one. */
        if (fw->xsdt) {
                err = get_root(&w, "XSDT", fw->xsdt, 8, &xsdt, &fw->xsdt_len);
                if (err)
                        goto fail;
        }
        if (fw->rsdt) {
                err = get_root(&w, "RSDT", fw->rsdt, 4, &rsdt, &fw->rsdt_len);
                if (err)
                        goto fail;
        }

        /* The preferred root decides which FADT is in use; the other one may
         * only repeat it. */
        if (xsdt)
                err = find_fadt(&w, "XSDT", fw->xsdt, xsdt, fw->xsdt_len, 8, &fadt);
        else
                err = find_fadt(&w, "RSDT", fw->rsdt, rsdt, fw->rsdt_len, 4, &fadt);
        if (err)
                goto fail;
        if (!fadt) {
                sw_diagf(d, SW_ERROR, "ACPI: %s at 0x%llx: lists no FADT (\"FACP\")",
                         xsdt ? "XSDT" : "RSDT", ull(xsdt ? fw->xsdt : fw->rsdt));
                err = SW_ACPI_ERR_NO_FADT;
                goto fail;
        }
        if (xsdt && rsdt) {
                err = find_fadt(&w, "RSDT", fw->rsdt, rsdt, fw->rsdt_len, 4, &fadt);
                if (err)
                        goto fail;
        }

        err = get_table(&w, "FADT", "FACP", fadt, SW_ACPI_FADT_MIN_LEN, SW_ACPI_ERR_FADT,
                        &p, &len);
        if (err)
                goto fail;
        fw->fadt = fadt;
        fw->fadt_len = len;
        f = (const struct sw_acpi_fadt *)p;

        facs_addr = f->firmware_ctrl;
        if (len >= SW_ACPI_FADT_XFC_END && f->x_firmware_ctrl)
                facs_addr = f->x_firmware_ctrl;
        if (!facs_addr) {
                sw_diagf(d, SW_ERROR, "ACPI: FADT at 0x%llx: names no FACS "
                         "(FIRMWARE_CTRL and X_FIRMWARE_CTRL are 0)", ull(fadt));
                err = SW_ACPI_ERR_FACS;
                goto fail;
        }
        fw->pm1a_evt = fadt_port(f, len, &f->x_pm1a_evt_blk, f->pm1a_evt_blk);
        fw->pm1a_cnt = fadt_port(f, len, &f->x_pm1a_cnt_blk, f->pm1a_cnt_blk);

        /* The FACS has no checksum: signature and length are all there is. */
        facs = (const struct sw_acpi_facs *)map(&w, "FACS", facs_addr, 8);
        if (!facs) {
                err = SW_ACPI_ERR_RANGE;
                goto fail;
        }
        if (memcmp(facs->signature, "FACS", 4) != 0) {
                err = bad_signature(&w, "FACS", facs_addr, facs->signature, "FACS",
                                    SW_ACPI_ERR_FACS);
                goto fail;
        }
        len = facs->length;
        if (len < SW_ACPI_FACS_MIN_LEN || len > SW_ACPI_MAX_TABLE) {
                sw_diagf(d, SW_ERROR, "ACPI: FACS at 0x%llx: length %u is outside %u..%u",
                         ull(facs_addr), len, SW_ACPI_FACS_MIN_LEN, SW_ACPI_MAX_TABLE);
                err = SW_ACPI_ERR_FACS;
                goto fail;
        }
        if (!map(&w, "FACS", facs_addr, len)) {
                err = SW_ACPI_ERR_RANGE;
                goto fail;
        }
        fw->facs = facs_addr;
        fw->facs_len = len;
        return 0;

fail:
        /* A half-filled result must not look usable. */
        memset(fw, 0, sizeof(*fw));
        return err;
}

/*
 * make_copy re-reads each source table: it must still carry the signature
 * and length the scan saw, since the copy's size and layout come from *fw.
 */
static const uint8_t *source(const struct walk *w, const char *what, const char *sig,
                             uint64_t addr, uint32_t len, uint32_t min_len, int err, int *errp)
{
        const uint8_t *p = NULL;
        uint32_t got;

        if (addr && len >= min_len && len <= SW_ACPI_MAX_TABLE) {
                p = map(w, what, addr, len);
                if (!p) {
                        *errp = SW_ACPI_ERR_RANGE;
                        return NULL;
                }
                memcpy(&got, p + 4, sizeof(got));
                if (memcmp(p, sig, 4) == 0 && got == len)
                        return p;
        }
        sw_diagf(w->d, SW_ERROR,
                 "ACPI: %s at 0x%llx: not the table the scan found (length %u expected)",
                 what, ull(addr), len);
        *errp = err;
        return NULL;
}

static size_t align_up(size_t v, size_t a)
{
        return (v + a - 1) & ~(a - 1);
}

static void set_header_checksum(uint8_t *table, uint32_t len)
{
        struct sw_acpi_header *h = (struct sw_acpi_header *)table;

        h->checksum = 0;
        h->checksum = sw_acpi_checksum(table, len);
}

/* ------------------------------------------------------------------------ */
/*
 * \_S3 and \_S0 in the firmware's AML (ACPI 6.5, section 20: AML grammar).
 *
 * The walk follows the term lists whose every element it can step over
 * exactly: named objects with a PkgLength, and the few fixed-shape ones
 * (Name with a data object, Mutex, Event, External, Alias, OperationRegion
 * and DataRegion with constant or name operands).  Everything else ends the
 * walk of that term list, and the rest of it is only searched for the bytes
 * of a declaration (see enum sw_acpi_s3 in acpi.h).
 */

#define AML_ZERO        0x00
#define AML_ONE         0x01
#define AML_ALIAS       0x06
#define AML_NAME        0x08
#define AML_BYTE        0x0a
#define AML_WORD        0x0b
#define AML_DWORD       0x0c
#define AML_STRING      0x0d
#define AML_QWORD       0x0e
#define AML_SCOPE       0x10
#define AML_BUFFER      0x11
#define AML_PACKAGE     0x12
#define AML_VARPACKAGE  0x13
#define AML_METHOD      0x14
#define AML_EXTERNAL    0x15
#define AML_DUAL        0x2e
#define AML_MULTI       0x2f
#define AML_EXT         0x5b
#define AML_ROOT        0x5c
#define AML_PARENT      0x5e
#define AML_IF          0xa0
#define AML_ELSE        0xa1
#define AML_WHILE       0xa2
#define AML_ONES        0xff

/* Second bytes after AML_EXT. */
#define AML_X_MUTEX       0x01
#define AML_X_EVENT       0x02
#define AML_X_REVISION    0x30
#define AML_X_OPREGION    0x80
#define AML_X_FIELD       0x81
#define AML_X_DEVICE      0x82
#define AML_X_PROCESSOR   0x83
#define AML_X_POWERRES    0x84
#define AML_X_THERMAL     0x85
#define AML_X_INDEXFIELD  0x86
#define AML_X_BANKFIELD   0x87
#define AML_X_DATAREGION  0x88

/* Nesting beyond this is searched, not walked: the walk recurses. */
#define AML_MAX_DEPTH 32

/* A SLP_TYP field is 3 bits; ACPICA shifts the value into PM1 control
 * without a mask, so anything larger would reach SLP_EN. */
#define SLP_TYP_MAX 7

struct aml_name {
        bool root;              /* starts with '\' */
        unsigned parents;       /* number of '^' */
        unsigned nseg;          /* 0 for the NullName */
        const uint8_t *seg;     /* nseg * 4 bytes */
};

static bool seg_char(uint8_t c, bool lead)
{
        return (c >= 'A' && c <= 'Z') || c == '_' || (!lead && c >= '0' && c <= '9');
}

/* NameString: [ '\' | '^'* ] NamePath.  Checks the segment characters, so
 * that data misread as a name fails here rather than later. */
static bool aml_name_string(const uint8_t **pp, const uint8_t *end, struct aml_name *n)
{
        const uint8_t *p = *pp;

        memset(n, 0, sizeof(*n));
        if (p < end && *p == AML_ROOT) {
                n->root = true;
                p++;
        } else {
                while (p < end && *p == AML_PARENT) {
                        n->parents++;
                        p++;
                }
        }
        if (p >= end)
                return false;
        if (*p == AML_ZERO) {
                *pp = p + 1;
                return true;
        }
        if (*p == AML_DUAL) {
                n->nseg = 2;
                p++;
        } else if (*p == AML_MULTI) {
                if (end - p < 2)
                        return false;
                n->nseg = p[1];
                p += 2;
        } else {
                n->nseg = 1;
        }
        if (n->nseg == 0 || (size_t)(end - p) < (size_t)n->nseg * 4)
                return false;
        for (unsigned i = 0; i < n->nseg * 4; i++)
                if (!seg_char(p[i], i % 4 == 0))
                        return false;
        n->seg = p;
        *pp = p + (size_t)n->nseg * 4;
        return true;
}

/* Does n name \SEG (seg: 4 characters) from a scope that is the root or not? */
static bool aml_is_root_name(const struct aml_name *n, bool at_root, const char *seg)
{
        return n->nseg == 1 && memcmp(n->seg, seg, 4) == 0 &&
               (n->root || (at_root && n->parents == 0));
}

/* PkgLength: 1 to 4 bytes, counting itself.  Sets *body_end to where the
 * package ends, which must lie within end. */
static bool aml_pkg_length(const uint8_t **pp, const uint8_t *end, const uint8_t **body_end)
{
        const uint8_t *start = *pp;
        unsigned follow;
        size_t len;

        if (start >= end)
                return false;
        follow = start[0] >> 6;
        if (follow == 0) {
                len = start[0] & 0x3f;
        } else {
                if ((start[0] & 0x30) || (size_t)(end - start) < 1 + follow)
                        return false;
                len = start[0] & 0x0f;
                for (unsigned i = 0; i < follow; i++)
                        len |= (size_t)start[1 + i] << (4 + 8 * i);
        }
        if (len < 1 + follow || len > (size_t)(end - start))
                return false;
        *pp = start + 1 + follow;
        *body_end = start + len;
        return true;
}

/* ComputationalData integers: ZeroOp, OneOp, OnesOp, Byte/Word/DWord/
 * QWordPrefix. */
static bool aml_integer(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
        const uint8_t *p = *pp;
        unsigned n;

        if (p >= end)
                return false;
        switch (*p) {
        case AML_ZERO:
        case AML_ONE:
                *v = *p;
                *pp = p + 1;
                return true;
        case AML_ONES:
                *v = UINT64_MAX;
                *pp = p + 1;
                return true;
        case AML_BYTE:
                n = 1;
                break;
        case AML_WORD:
                n = 2;
                break;
        case AML_DWORD:
                n = 4;
                break;
        case AML_QWORD:
                n = 8;
                break;
        default:
                return false;
        }
        if ((size_t)(end - p) < 1 + n)
                return false;
        *v = 0;
        for (unsigned i = 0; i < n; i++)
                *v |= (uint64_t)p[1 + i] << (8 * i);
        *pp = p + 1 + n;
        return true;
}

/* String: StringPrefix, ASCII, NUL. */
static bool aml_string(const uint8_t **pp, const uint8_t *end)
{
        const uint8_t *p = *pp;

        if (p >= end || *p != AML_STRING)
                return false;
        for (p++; p < end; p++) {
                if (*p == 0) {
                        *pp = p + 1;
                        return true;
                }
        }
        return false;
}

/* DataRefObject of a Name: an integer, a string, RevisionOp, or a Buffer,
 * Package or VarPackage skipped by its PkgLength. */
static bool aml_skip_data(const uint8_t **pp, const uint8_t *end)
{
        const uint8_t *p = *pp, *body_end;
        uint64_t v;

        if (aml_integer(pp, end, &v) || aml_string(pp, end))
                return true;
        if (p >= end)
                return false;
        if (*p == AML_EXT) {
                if (end - p < 2 || p[1] != AML_X_REVISION)
                        return false;
                *pp = p + 2;
                return true;
        }
        if (*p != AML_BUFFER && *p != AML_PACKAGE && *p != AML_VARPACKAGE)
                return false;
        p++;
        if (!aml_pkg_length(&p, end, &body_end))
                return false;
        *pp = body_end;
        return true;
}

/* The operands of OperationRegion and DataRegion the walk accepts: a
 * constant integer or string, or a plain name (a reference, not a call). */
static bool aml_simple_arg(const uint8_t **pp, const uint8_t *end)
{
        struct aml_name n;
        uint64_t v;

        return aml_integer(pp, end, &v) || aml_string(pp, end) ||
               aml_name_string(pp, end, &n);
}

/* Name (_S0_, Package (n) { a, b, ... }): the SLP_TYP values, read by
 * ACPICA's rule, kept only when both fit the 3-bit field. */
static void aml_read_s0(const uint8_t *p, const uint8_t *end, struct sw_acpi_sleep *out)
{
        const uint8_t *body_end;
        uint64_t a, b = 0;
        unsigned count;

        if (p >= end || *p++ != AML_PACKAGE || !aml_pkg_length(&p, end, &body_end) ||
            p >= body_end)
                return;
        count = *p++;
        if (count == 0 || !aml_integer(&p, body_end, &a))
                return;
        if (count == 1) {
                b = (a >> 8) & 0xff;
                a &= 0xff;
        } else if (!aml_integer(&p, body_end, &b)) {
                return;
        }
        if (a > SLP_TYP_MAX || b > SLP_TYP_MAX)
                return;
        out->s0_found = true;
        out->s0_typ_a = (uint8_t)a;
        out->s0_typ_b = (uint8_t)b;
}

/* Are the bytes of NameOp + \_S3_ (or, where unrooted names land at root
 * scope, NameOp + _S3_) anywhere in [p, end)? */
static bool aml_mentions_s3(const uint8_t *p, const uint8_t *end, bool unrooted_is_root)
{
        static const uint8_t rooted[] = { AML_NAME, AML_ROOT, '_', 'S', '3', '_' };
        static const uint8_t plain[] = { AML_NAME, '_', 'S', '3', '_' };

        for (; p < end; p++) {
                if ((size_t)(end - p) >= sizeof(rooted) && memcmp(p, rooted, sizeof(rooted)) == 0)
                        return true;
                if (unrooted_is_root && (size_t)(end - p) >= sizeof(plain) &&
                    memcmp(p, plain, sizeof(plain)) == 0)
                        return true;
        }
        return false;
}

static void aml_raise(struct sw_acpi_sleep *out, enum sw_acpi_s3 s3)
{
        if (s3 > out->s3)
                out->s3 = s3;
}

/* A term list whose element the walk cannot step over: the rest of it is
 * searched instead. */
static void aml_give_up(const uint8_t *p, const uint8_t *end, bool at_root,
                        struct sw_acpi_sleep *out)
{
        if (aml_mentions_s3(p, end, at_root))
                aml_raise(out, SW_ACPI_S3_UNSURE);
}

static void aml_walk(const uint8_t *p, const uint8_t *end, bool at_root, unsigned depth,
                     struct sw_acpi_sleep *out);

/* Device-like bodies: a PkgLength, a name, fixed bytes, then a term list in
 * a scope of its own (never the root). */
static bool aml_walk_body(const uint8_t **pp, const uint8_t *end, unsigned fixed,
                          unsigned depth, struct sw_acpi_sleep *out)
{
        const uint8_t *p = *pp, *body_end;
        struct aml_name n;

        if (!aml_pkg_length(&p, end, &body_end) || !aml_name_string(&p, body_end, &n) ||
            (size_t)(body_end - p) < fixed)
                return false;
        aml_walk(p + fixed, body_end, false, depth + 1, out);
        *pp = body_end;
        return true;
}

/* A package skipped whole: its PkgLength, then bytes that are only searched
 * (a Method, If, Else, While, a Field list). */
static bool aml_skip_pkg(const uint8_t **pp, const uint8_t *end, bool unrooted_is_root,
                         struct sw_acpi_sleep *out)
{
        const uint8_t *p = *pp, *body_end;

        if (!aml_pkg_length(&p, end, &body_end))
                return false;
        if (aml_mentions_s3(p, body_end, unrooted_is_root))
                aml_raise(out, SW_ACPI_S3_UNSURE);
        *pp = body_end;
        return true;
}

/* One element of an ExtOpPrefix term. */
static bool aml_ext_term(const uint8_t **pp, const uint8_t *end, unsigned depth,
                         struct sw_acpi_sleep *out)
{
        const uint8_t *p = *pp;
        struct aml_name n;
        bool ok;

        if (p >= end)
                return false;
        switch (*p++) {
        case AML_X_MUTEX:
                ok = aml_name_string(&p, end, &n) && p < end;
                p++;
                break;
        case AML_X_EVENT:
                ok = aml_name_string(&p, end, &n);
                break;
        case AML_X_OPREGION:
                ok = aml_name_string(&p, end, &n) && p < end;
                if (ok) {
                        p++;
                        ok = aml_simple_arg(&p, end) && aml_simple_arg(&p, end);
                }
                break;
        case AML_X_DATAREGION:
                ok = aml_name_string(&p, end, &n) && aml_simple_arg(&p, end) &&
                     aml_simple_arg(&p, end) && aml_simple_arg(&p, end);
                break;
        case AML_X_DEVICE:
        case AML_X_THERMAL:
                ok = aml_walk_body(&p, end, 0, depth, out);
                break;
        case AML_X_PROCESSOR:
                /* ProcID (1), PblkAddr (4), PblkLen (1). */
                ok = aml_walk_body(&p, end, 6, depth, out);
                break;
        case AML_X_POWERRES:
                /* SystemLevel (1), ResourceOrder (2). */
                ok = aml_walk_body(&p, end, 3, depth, out);
                break;
        case AML_X_FIELD:
        case AML_X_INDEXFIELD:
        case AML_X_BANKFIELD:
                ok = aml_skip_pkg(&p, end, false, out);
                break;
        default:
                return false;
        }
        if (ok)
                *pp = p;
        return ok;
}

/* One element of a term list; false when the walk cannot step over it. */
static bool aml_term(const uint8_t **pp, const uint8_t *end, bool at_root, unsigned depth,
                     struct sw_acpi_sleep *out)
{
        const uint8_t *p = *pp, *body_end, *data;
        struct aml_name n, alias;

        switch (*p++) {
        case AML_NAME:
                if (!aml_name_string(&p, end, &n))
                        return false;
                data = p;
                if (!aml_skip_data(&p, end))
                        return false;
                if (aml_is_root_name(&n, at_root, "_S3_"))
                        aml_raise(out, SW_ACPI_S3_DECLARED);
                else if (aml_is_root_name(&n, at_root, "_S0_") && !out->s0_found)
                        aml_read_s0(data, p, out);
                break;
        case AML_ALIAS:
                if (!aml_name_string(&p, end, &n) || !aml_name_string(&p, end, &alias))
                        return false;
                if (aml_is_root_name(&alias, at_root, "_S3_"))
                        aml_raise(out, SW_ACPI_S3_DECLARED);
                break;
        case AML_SCOPE:
                if (!aml_pkg_length(&p, end, &body_end) || !aml_name_string(&p, body_end, &n))
                        return false;
                /* Scope (\) is the root again, from anywhere. */
                aml_walk(p, body_end, n.root && n.nseg == 0, depth + 1, out);
                p = body_end;
                break;
        case AML_METHOD:
                if (!aml_pkg_length(&p, end, &body_end) || !aml_name_string(&p, body_end, &n))
                        return false;
                if (aml_is_root_name(&n, at_root, "_S3_"))
                        aml_raise(out, SW_ACPI_S3_DECLARED);
                else if (aml_mentions_s3(p, body_end, false))
                        aml_raise(out, SW_ACPI_S3_UNSURE);
                p = body_end;
                break;
        case AML_IF:
        case AML_ELSE:
        case AML_WHILE:
                /* The loader runs these at load time, but whether the
                 * declaration inside happens depends on the predicate. */
                if (!aml_skip_pkg(&p, end, at_root, out))
                        return false;
                break;
        case AML_EXTERNAL:
                if (!aml_name_string(&p, end, &n) || end - p < 2)
                        return false;
                p += 2;
                break;
        case AML_EXT:
                if (!aml_ext_term(&p, end, depth, out))
                        return false;
                break;
        default:
                return false;
        }
        *pp = p;
        return true;
}

static void aml_walk(const uint8_t *p, const uint8_t *end, bool at_root, unsigned depth,
                     struct sw_acpi_sleep *out)
{
        if (depth > AML_MAX_DEPTH) {
                aml_give_up(p, end, at_root, out);
                return;
        }
        while (p < end) {
                const uint8_t *term = p;

                if (!aml_term(&p, end, at_root, depth, out)) {
                        aml_give_up(term, end, at_root, out);
                        return;
                }
        }
}

void sw_acpi_aml_sleep(const uint8_t *aml, size_t len, struct sw_acpi_sleep *out)
{
        aml_walk(aml, aml + len, true, 0, out);
}

/* One definition block: checked as far as a loader would refuse it, then
 * walked.  Problems are warnings: the block is left out of the answer. */
static void aml_table(const struct walk *w, const char *what, uint64_t addr,
                      struct sw_acpi_sleep *out)
{
        const struct sw_acpi_header *h;
        const uint8_t *p;
        enum sw_acpi_s3 before = out->s3;
        char text[5];
        uint32_t len;

        h = (const struct sw_acpi_header *)read_raw(w, addr, sizeof(*h));
        if (!h) {
                sw_diagf(w->d, SW_WARN, "ACPI: %s at 0x%llx: cannot read its header; "
                         "not searched for \\_S3", what, ull(addr));
                return;
        }
        if (memcmp(h->signature, what, 4) != 0) {
                printable(text, h->signature, 4);
                sw_diagf(w->d, SW_WARN, "ACPI: %s at 0x%llx: bad signature \"%s\"; "
                         "not searched for \\_S3", what, ull(addr), text);
                return;
        }
        len = h->length;
        if (len < sizeof(*h) || len > SW_ACPI_MAX_AML) {
                sw_diagf(w->d, SW_WARN, "ACPI: %s at 0x%llx: length %u is outside %u..%u; "
                         "not searched for \\_S3", what, ull(addr), len,
                         (unsigned)sizeof(*h), SW_ACPI_MAX_AML);
                return;
        }
        p = read_raw(w, addr, len);
        if (!p) {
                sw_diagf(w->d, SW_WARN, "ACPI: %s at 0x%llx: cannot read %u bytes; "
                         "not searched for \\_S3", what, ull(addr), len);
                return;
        }
        sw_acpi_aml_sleep(p + sizeof(*h), len - sizeof(*h), out);
        if (out->s3 > before)
                out->s3_table = addr;
}

int sw_acpi_find_sleep(sw_phys_read_fn rd, void *ctx, const struct sw_acpi_fw *fw,
                       struct sw_acpi_sleep *out, struct sw_diag *d)
{
        struct walk w = { rd, ctx, d };
        const struct sw_acpi_fadt *f;
        const uint8_t *root;
        uint64_t dsdt, root_addr = fw->xsdt ? fw->xsdt : fw->rsdt;
        uint32_t root_len = fw->xsdt ? fw->xsdt_len : fw->rsdt_len;
        unsigned esize = fw->xsdt ? 8 : 4;
        int err = 0;

        memset(out, 0, sizeof(*out));
        f = (const struct sw_acpi_fadt *)source(&w, "FADT", "FACP", fw->fadt, fw->fadt_len,
                                                 SW_ACPI_FADT_MIN_LEN, SW_ACPI_ERR_FADT, &err);
        if (!f)
                return err;
        root = source(&w, fw->xsdt ? "XSDT" : "RSDT", fw->xsdt ? "XSDT" : "RSDT", root_addr,
                      root_len, sizeof(struct sw_acpi_header), SW_ACPI_ERR_ROOT, &err);
        if (!root)
                return err;

        /* ACPICA's choice: X_DSDT when the FADT has it and it is set. */
        dsdt = f->dsdt;
        if (fw->fadt_len >= offsetof(struct sw_acpi_fadt, x_dsdt) + sizeof(f->x_dsdt) && f->x_dsdt)
                dsdt = f->x_dsdt;
        if (dsdt)
                aml_table(&w, "DSDT", dsdt, out);
        else
                sw_diagf(d, SW_WARN, "ACPI: FADT at 0x%llx: names no DSDT; not searched for \\_S3",
                         ull(fw->fadt));

        /* Then every definition block the root lists, as Linux loads them:
         * SSDT, and the older PSDT and OSDT names. */
        for (uint32_t i = 0; i < (root_len - (uint32_t)sizeof(struct sw_acpi_header)) / esize; i++) {
                uint64_t e = root_entry(root, esize, i);
                const uint8_t *sig = e ? read_raw(&w, e, 4) : NULL;
                char name[5];

                if (!sig)
                        continue;
                if (memcmp(sig, "SSDT", 4) && memcmp(sig, "PSDT", 4) && memcmp(sig, "OSDT", 4))
                        continue;
                memcpy(name, sig, 4);
                name[4] = '\0';
                aml_table(&w, name, e, out);
        }
        return 0;
}

/* An AML integer from 0 to 255 in its shortest encoding. */
static size_t aml_put_byte_int(uint8_t *o, uint8_t v)
{
        if (v == 0 || v == 1) {
                o[0] = v;       /* ZeroOp, OneOp */
                return 1;
        }
        o[0] = AML_BYTE;
        o[1] = v;
        return 2;
}

int sw_acpi_build_s3_ssdt(void *dst, size_t size, const char oemid[6],
                          const struct sw_acpi_sleep *sl)
{
        uint8_t t[SW_ACPI_S3_SSDT_MAX], *o = t + sizeof(struct sw_acpi_header), *pkg_len;
        struct sw_acpi_header *h = (struct sw_acpi_header *)t;
        uint8_t a = 0, b = 0;
        uint32_t len;

        /* Only values the 3-bit field holds reach the table, whatever the
         * caller's struct says. */
        if (sl && sl->s0_found && sl->s0_typ_a <= SLP_TYP_MAX && sl->s0_typ_b <= SLP_TYP_MAX) {
                a = sl->s0_typ_a;
                b = sl->s0_typ_b;
        }

        memset(t, 0, sizeof(t));
        /* Name (\_S3_, Package (0x04) { a, b, Zero, Zero }) */
        *o++ = AML_NAME;
        *o++ = AML_ROOT;
        memcpy(o, "_S3_", 4);
        o += 4;
        *o++ = AML_PACKAGE;
        pkg_len = o++;          /* one byte: the package is far below 64 */
        *o++ = 4;               /* NumElements */
        o += aml_put_byte_int(o, a);
        o += aml_put_byte_int(o, b);
        *o++ = AML_ZERO;
        *o++ = AML_ZERO;
        *pkg_len = (uint8_t)(o - pkg_len);
        len = (uint32_t)(o - t);

        memcpy(h->signature, "SSDT", 4);
        h->length = len;
        h->revision = 2;
        memcpy(h->oemid, oemid, sizeof(h->oemid));
        memcpy(h->oem_table_id, "SWITCHS3", sizeof(h->oem_table_id));
        h->oem_revision = 1;
        memcpy(&h->creator_id, "SWCH", 4);
        h->creator_revision = 1;
        h->checksum = sw_acpi_checksum(t, len);

        if (len > size)
                return SW_ACPI_ERR_SPACE;
        memcpy(dst, t, len);
        return (int)len;
}

/*
 * Is this root entry one the copy leaves out?  Only with
 * SW_ACPI_COPY_HIDE_DMAR, and only when the table's signature can be read
 * and is "DMAR".  A null entry or one the reader refuses stays: the scan
 * already accepted the root as it is, and hiding must never turn a table
 * the walk cannot see into a failure.
 */
static bool left_out(const struct walk *w, unsigned flags, uint64_t e)
{
        const uint8_t *s;

        if (!(flags & SW_ACPI_COPY_HIDE_DMAR) || !e)
                return false;
        s = read_raw(w, e, 4);
        return s && memcmp(s, "DMAR", 4) == 0;
}

static uint32_t count_left_out(const struct walk *w, unsigned flags, const uint8_t *root,
                               uint32_t len, unsigned esize)
{
        uint32_t n = (len - (uint32_t)sizeof(struct sw_acpi_header)) / esize, out = 0;

        for (uint32_t i = 0; i < n; i++)
                if (left_out(w, flags, root_entry(root, esize, i)))
                        out++;
        return out;
}

/* One root table to copy: the firmware's, how many of its entries stay out,
 * and the length of its copy. */
struct root_copy {
        const uint8_t *src;
        uint32_t src_len;
        unsigned esize;
        uint32_t dropped, len;
};

static struct root_copy plan_root(const struct walk *w, unsigned flags, const uint8_t *src,
                                  uint32_t src_len, unsigned esize, bool with_ssdt)
{
        struct root_copy rc = { src, src_len, esize, 0, 0 };

        if (!src)
                return rc;
        rc.dropped = count_left_out(w, flags, src, src_len, esize);
        rc.len = src_len - rc.dropped * esize + (with_ssdt ? esize : 0);
        return rc;
}

/*
 * Writes one root copy of rc->len bytes at root: the firmware's header, then
 * its entries in order but for the ones left_out() drops, with every FADT
 * entry pointing at the FADT copy; with an SSDT, one last entry naming it.
 * The header length and checksum follow.  The entries are written only up
 * to the room the layout gave them, so a reader that answered differently
 * for the count can never make this run past rc->len (the rest stays zero).
 */
static void copy_root(const struct walk *w, unsigned flags, uint8_t *root,
                      const struct root_copy *rc, uint64_t fadt, uint64_t fadt_copy,
                      bool with_ssdt, uint64_t ssdt)
{
        struct sw_acpi_header *h = (struct sw_acpi_header *)root;
        uint32_t n = (rc->src_len - (uint32_t)sizeof(*h)) / rc->esize;
        size_t o = sizeof(*h), room = rc->len - (with_ssdt ? rc->esize : 0);

        memcpy(root, rc->src, sizeof(*h));
        for (uint32_t i = 0; i < n; i++) {
                uint64_t e = root_entry(rc->src, rc->esize, i);

                if (left_out(w, flags, e))
                        continue;
                if (e == fadt)
                        e = fadt_copy;
                if (o + rc->esize > room)
                        break;
                memcpy(root + o, &e, rc->esize);
                o += rc->esize;
        }
        if (with_ssdt)
                memcpy(root + room, &ssdt, rc->esize);
        h->length = rc->len;
        set_header_checksum(root, rc->len);
}

int sw_acpi_make_copy(sw_phys_read_fn rd, void *ctx, const struct sw_acpi_fw *fw,
                      const struct sw_acpi_copy_opts *opts, void *dst, uint64_t dst_phys,
                      size_t dst_size, uint64_t *rsdp_out, uint64_t *facs_out,
                      unsigned *hidden_out, struct sw_diag *d)
{
        struct walk w = { rd, ctx, d };
        const struct sw_acpi_sleep *add_s3 = opts ? opts->add_s3 : NULL;
        unsigned flags = opts ? opts->flags : 0;
        struct root_copy xc, rc;
        const uint8_t *s_rsdp, *s_xsdt = NULL, *s_rsdt = NULL, *s_fadt, *s_facs;
        uint32_t rsdp_len = fw->rsdp_rev >= 2 ? sizeof(struct sw_acpi_rsdp) : SW_ACPI_RSDP_V1_LEN;
        size_t off, off_xsdt = 0, off_rsdt = 0, off_fadt, off_facs, off_ssdt = 0, need;
        uint8_t ssdt[SW_ACPI_S3_SSDT_MAX];
        int ssdt_len = 0;
        uint64_t end;
        uint8_t *out = dst;
        struct sw_acpi_rsdp *r;
        struct sw_acpi_fadt *f;
        struct sw_acpi_facs *facs;
        int err = 0;

        if (hidden_out)
                *hidden_out = 0;

        /* Gather and check every source before writing a byte, so that a
         * failure leaves dst as it was. */
        s_rsdp = map(&w, "RSDP", fw->rsdp, rsdp_len);
        if (!s_rsdp)
                return SW_ACPI_ERR_RANGE;
        if (memcmp(s_rsdp, RSDP_SIG, 8) != 0)
                return bad_signature(&w, "RSDP", fw->rsdp, s_rsdp, RSDP_SIG, SW_ACPI_ERR_RSDP);
        if (!fw->xsdt && !fw->rsdt) {
                sw_diagf(d, SW_ERROR, "ACPI: RSDP at 0x%llx: no root table was found",
                         ull(fw->rsdp));
                return SW_ACPI_ERR_ROOT;
        }
        if (fw->xsdt) {
                s_xsdt = source(&w, "XSDT", "XSDT", fw->xsdt, fw->xsdt_len,
                                sizeof(struct sw_acpi_header), SW_ACPI_ERR_ROOT, &err);
                if (!s_xsdt)
                        return err;
        }
        if (fw->rsdt) {
                s_rsdt = source(&w, "RSDT", "RSDT", fw->rsdt, fw->rsdt_len,
                                sizeof(struct sw_acpi_header), SW_ACPI_ERR_ROOT, &err);
                if (!s_rsdt)
                        return err;
        }
        s_fadt = source(&w, "FADT", "FACP", fw->fadt, fw->fadt_len, SW_ACPI_FADT_MIN_LEN,
                        SW_ACPI_ERR_FADT, &err);
        if (!s_fadt)
                return err;
        s_facs = source(&w, "FACS", "FACS", fw->facs, fw->facs_len, SW_ACPI_FACS_MIN_LEN,
                        SW_ACPI_ERR_FACS, &err);
        if (!s_facs)
                return err;

        /* The \_S3 SSDT is built aside first: each root copy grows by the
         * one entry that names it. */
        if (add_s3) {
                ssdt_len = sw_acpi_build_s3_ssdt(ssdt, sizeof(ssdt), (const char *)s_rsdp + 9,
                                                 add_s3);
                if (ssdt_len < 0) {
                        sw_diagf(d, SW_ERROR, "ACPI: copy at 0x%llx: the \\_S3 SSDT does not "
                                 "fit its %u-byte buffer", ull(dst_phys), SW_ACPI_S3_SSDT_MAX);
                        return SW_ACPI_ERR_SPACE;
                }
        }

        /* The root copies' lengths, with the entries they leave out counted
         * now, so that the whole layout is known before a byte is written. */
        xc = plan_root(&w, flags, s_xsdt, fw->xsdt_len, 8, add_s3 != NULL);
        rc = plan_root(&w, flags, s_rsdt, fw->rsdt_len, 4, add_s3 != NULL);

        /* Layout.  Every length is at most SW_ACPI_MAX_TABLE (plus one
         * entry), so these sums cannot overflow. */
        off = align_up(sizeof(struct sw_acpi_rsdp), 16);
        if (s_xsdt) {
                off_xsdt = off;
                off = align_up(off + xc.len, 16);
        }
        if (s_rsdt) {
                off_rsdt = off;
                off = align_up(off + rc.len, 16);
        }
        off_fadt = off;
        off_facs = align_up(off + fw->fadt_len, 64);
        need = off_facs + fw->facs_len;
        if (add_s3) {
                off_ssdt = align_up(need, 16);
                need = off_ssdt + (size_t)ssdt_len;
        }

        if (dst_phys & 63) {
                sw_diagf(d, SW_ERROR, "ACPI: copy at 0x%llx: not 64-byte aligned, "
                         "the FACS copy must be", ull(dst_phys));
                return SW_ACPI_ERR_SPACE;
        }
        if (need > dst_size) {
                sw_diagf(d, SW_ERROR, "ACPI: copy at 0x%llx: the tables%s need %zu bytes, "
                         "the destination has %zu", ull(dst_phys),
                         add_s3 ? " and the \\_S3 SSDT" : "", need, dst_size);
                return SW_ACPI_ERR_SPACE;
        }
        if (__builtin_add_overflow(dst_phys, (uint64_t)need, &end) || end > FOUR_GIB) {
                sw_diagf(d, SW_ERROR, "ACPI: copy at 0x%llx: must end below 4 GiB, "
                         "the RSDT and FIRMWARE_CTRL hold 32-bit addresses", ull(dst_phys));
                return SW_ACPI_ERR_SPACE;
        }

        memset(out, 0, dst_size);

        /* FACS: the guest writes its own waking vector here when it
         * suspends; it starts from none, and with the lock free. */
        memcpy(out + off_facs, s_facs, fw->facs_len);
        facs = (struct sw_acpi_facs *)(out + off_facs);
        facs->firmware_waking_vector = 0;
        facs->x_firmware_waking_vector = 0;
        facs->global_lock = 0;

        /* FADT: both FACS pointers name the copy, so a guest finds it
         * whichever field its ACPI code prefers. */
        memcpy(out + off_fadt, s_fadt, fw->fadt_len);
        f = (struct sw_acpi_fadt *)(out + off_fadt);
        f->firmware_ctrl = (uint32_t)(dst_phys + off_facs);
        if (fw->fadt_len >= SW_ACPI_FADT_XFC_END)
                f->x_firmware_ctrl = dst_phys + off_facs;
        set_header_checksum(out + off_fadt, fw->fadt_len);

        if (add_s3)
                memcpy(out + off_ssdt, ssdt, (size_t)ssdt_len);
        if (s_xsdt)
                copy_root(&w, flags, out + off_xsdt, &xc, fw->fadt, dst_phys + off_fadt,
                          add_s3 != NULL, dst_phys + off_ssdt);
        if (s_rsdt)
                copy_root(&w, flags, out + off_rsdt, &rc, fw->fadt, dst_phys + off_fadt,
                          add_s3 != NULL, dst_phys + off_ssdt);

        /* RSDP last: its checksums cover the pointers to the copies.  A
         * revision 2 RSDP is cut to the 36 bytes the spec defines. */
        memcpy(out, s_rsdp, rsdp_len);
        r = (struct sw_acpi_rsdp *)out;
        r->rsdt = s_rsdt ? (uint32_t)(dst_phys + off_rsdt) : 0;
        r->checksum = 0;
        if (fw->rsdp_rev >= 2) {
                r->xsdt = s_xsdt ? dst_phys + off_xsdt : 0;
                r->length = sizeof(*r);
                r->ext_checksum = 0;
        }
        r->checksum = sw_acpi_checksum(r, SW_ACPI_RSDP_V1_LEN);
        if (fw->rsdp_rev >= 2)
                r->ext_checksum = sw_acpi_checksum(r, sizeof(*r));

        *rsdp_out = dst_phys;
        *facs_out = dst_phys + off_facs;
        if (hidden_out)
                *hidden_out = xc.dropped + rc.dropped;
        return 0;
}

void sw_acpi_set_waking_vector(void *facs, uint32_t vector)
{
        struct sw_acpi_facs *f = facs;

        /* Firmware that sees a non-zero 64-bit vector may prefer it: clear it
         * so the 32-bit real-mode entry is the one used. */
        f->firmware_waking_vector = vector;
        f->x_firmware_waking_vector = 0;
}

uint8_t sw_acpi_checksum(const void *p, size_t len)
{
        const uint8_t *b = p;
        uint8_t sum = 0;

        for (size_t i = 0; i < len; i++)
                sum = (uint8_t)(sum + b[i]);
        return (uint8_t)(0x100 - sum);
}

bool sw_acpi_sum_ok(const void *p, size_t len)
{
        return sw_acpi_checksum(p, len) == 0;
}

const char *sw_acpi_strerror(int err)
{
        switch (err) {
        case 0:
                return "success";
        case SW_ACPI_ERR_RSDP:
                return "bad RSDP";
        case SW_ACPI_ERR_ROOT:
                return "bad XSDT/RSDT";
        case SW_ACPI_ERR_NO_FADT:
                return "no FADT";
        case SW_ACPI_ERR_FADT:
                return "bad FADT";
        case SW_ACPI_ERR_FACS:
                return "missing or bad FACS";
        case SW_ACPI_ERR_SPACE:
                return "ACPI copies do not fit";
        case SW_ACPI_ERR_RANGE:
                return "ACPI table not readable";
        default:
                return "unknown ACPI error";
        }
}

/* A table of the root by its signature, mapped whole (its header's length,
 * within SW_ACPI_MAX_TABLE); NULL when absent or unreadable. */
static const uint8_t *root_table(sw_phys_read_fn rd, void *ctx, const struct sw_acpi_fw *fw, const char *sig,
                                 uint32_t *len)
{
        bool x = fw->xsdt != 0;
        uint64_t root = x ? fw->xsdt : fw->rsdt;
        uint32_t rlen = x ? fw->xsdt_len : fw->rsdt_len;
        unsigned esize = x ? 8 : 4;
        const uint8_t *r = root && rlen >= sizeof(struct sw_acpi_header) ? rd(ctx, root, rlen) : NULL;

        for (uint32_t i = 0; r && i < (rlen - sizeof(struct sw_acpi_header)) / esize; i++) {
                uint64_t e = root_entry(r, esize, i);
                const struct sw_acpi_header *h = e ? rd(ctx, e, sizeof(*h)) : NULL;

                if (!h || memcmp(h->signature, sig, 4) != 0 || h->length < sizeof(*h) ||
                    h->length > SW_ACPI_MAX_TABLE)
                        continue;
                *len = h->length;
                return rd(ctx, e, h->length);
        }
        return NULL;
}

void sw_acpi_find_irq_hw(sw_phys_read_fn rd, void *ctx, const struct sw_acpi_fw *fw, struct sw_acpi_irq_hw *hw)
{
        const uint8_t *t;
        uint32_t len = 0;

        memset(hw, 0, sizeof(*hw));
        /* MADT: a 44-byte head, then entries of (type, length, ...); type 1
         * is an I/O APIC: id, reserved, its 32-bit address, its GSI base. */
        t = root_table(rd, ctx, fw, "APIC", &len);
        for (uint32_t off = 44; t && off + 2 <= len && t[off + 1] >= 2 && off + t[off + 1] <= len;
             off += t[off + 1]) {
                if (t[off] == 1 && t[off + 1] >= 12 && hw->nioapic < SW_ACPI_MAX_IOAPIC)
                        memcpy(&hw->ioapic[hw->nioapic++], t + off + 4, 4);
        }
        /* HPET table: the register block is a GAS at 40, its address at 44. */
        t = root_table(rd, ctx, fw, "HPET", &len);
        if (t && len >= 52)
                memcpy(&hw->hpet, t + 44, 8);
}
