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

/* Points every root entry equal to from at to instead. */
static void patch_root(uint8_t *root, uint32_t len, unsigned esize, uint64_t from, uint64_t to)
{
        uint32_t n = (len - (uint32_t)sizeof(struct sw_acpi_header)) / esize;

        for (uint32_t i = 0; i < n; i++) {
                uint8_t *e = root + sizeof(struct sw_acpi_header) + (size_t)i * esize;

                if (root_entry(root, esize, i) == from)
                        memcpy(e, &to, esize);
        }
}

int sw_acpi_make_copy(sw_phys_read_fn rd, void *ctx, const struct sw_acpi_fw *fw,
                      void *dst, uint64_t dst_phys, size_t dst_size,
                      uint64_t *rsdp_out, uint64_t *facs_out, struct sw_diag *d)
{
        struct walk w = { rd, ctx, d };
        const uint8_t *s_rsdp, *s_xsdt = NULL, *s_rsdt = NULL, *s_fadt, *s_facs;
        uint32_t rsdp_len = fw->rsdp_rev >= 2 ? sizeof(struct sw_acpi_rsdp) : SW_ACPI_RSDP_V1_LEN;
        size_t off, off_xsdt = 0, off_rsdt = 0, off_fadt, off_facs, need;
        uint64_t end;
        uint8_t *out = dst;
        struct sw_acpi_rsdp *r;
        struct sw_acpi_fadt *f;
        struct sw_acpi_facs *facs;
        int err = 0;

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

        /* Layout.  Every length is at most SW_ACPI_MAX_TABLE, so these sums
         * cannot overflow. */
        off = align_up(sizeof(struct sw_acpi_rsdp), 16);
        if (s_xsdt) {
                off_xsdt = off;
                off = align_up(off + fw->xsdt_len, 16);
        }
        if (s_rsdt) {
                off_rsdt = off;
                off = align_up(off + fw->rsdt_len, 16);
        }
        off_fadt = off;
        off_facs = align_up(off + fw->fadt_len, 64);
        need = off_facs + fw->facs_len;

        if (dst_phys & 63) {
                sw_diagf(d, SW_ERROR, "ACPI: copy at 0x%llx: not 64-byte aligned, "
                         "the FACS copy must be", ull(dst_phys));
                return SW_ACPI_ERR_SPACE;
        }
        if (need > dst_size) {
                sw_diagf(d, SW_ERROR, "ACPI: copy at 0x%llx: the tables need %zu bytes, "
                         "the destination has %zu", ull(dst_phys), need, dst_size);
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

        if (s_xsdt) {
                memcpy(out + off_xsdt, s_xsdt, fw->xsdt_len);
                patch_root(out + off_xsdt, fw->xsdt_len, 8, fw->fadt, dst_phys + off_fadt);
                set_header_checksum(out + off_xsdt, fw->xsdt_len);
        }
        if (s_rsdt) {
                memcpy(out + off_rsdt, s_rsdt, fw->rsdt_len);
                patch_root(out + off_rsdt, fw->rsdt_len, 4, fw->fadt, dst_phys + off_fadt);
                set_header_checksum(out + off_rsdt, fw->rsdt_len);
        }

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
