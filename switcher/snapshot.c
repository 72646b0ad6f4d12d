/* SPDX-License-Identifier: MIT */
/*
 * Snapshot files: encoding, the checking walk, and the streaming writer.
 * The writer checks what it is given with the reader's own decoders (it
 * encodes a record, then decodes it back), so the two can never disagree
 * on what a valid file is.
 */
#include <string.h>

#include "fmt.h"
#include "hash64.h"
#include "snapshot.h"

#define TAG_PART 0x54524150u    /* "PART" */
#define TAG_EXTENT 0x4e545845u  /* "EXTN" */
#define TAG_PART_END 0x444e4550u /* "PEND" */
#define TAG_TRAILER 0x444e4553u /* "SEND" */

/* Header field offsets (docs/snapshot-format.md). */
enum {
        H_MAGIC = 0, H_VERSION = 8, H_HEADER_SIZE = 12, H_FLAGS = 16, H_NPARTS = 20, H_CREATED = 24,
        H_VECTOR = 32, H_KERNEL_SIZE = 40, H_LAYOUT = 48, H_STORE_BASE = 56, H_STORE_SIZE = 64,
        H_CONFIG = 72, H_RESERVED1 = 80, H_SLOT = 96, H_KERNEL = 160, H_PARTITION = 224,
        H_RESERVED2 = 288, H_SHA = 480,
};

/* Part header, range, part end and trailer field offsets. */
enum { P_TYPE = 4, P_UNIT = 8, P_NRANGES = 12, P_RANGES = 16, RANGE_SIZE = 24 };
enum { E_RANGE = 4, E_OFFSET = 8, E_COUNT = 16 };
enum { PE_RESERVED = 4, PE_NEXTENTS = 8, PE_DATA = 16, PE_SHA = 24 };
enum { T_NPARTS = 4, T_FILE_SIZE = 8, T_SHA = 16 };

_Static_assert(H_SHA + SW_SHA256_LEN == SW_SNAP_HEADER_SIZE, "the header hash ends the header");
_Static_assert(P_RANGES + SW_SNAP_MAX_RANGES * RANGE_SIZE == SW_SNAP_PART_SIZE, "ranges end the part header");
_Static_assert(PE_SHA + SW_SHA256_LEN == SW_SNAP_PART_END_SIZE, "the hash ends the part end");
_Static_assert(T_SHA + SW_SHA256_LEN == SW_SNAP_TRAILER_SIZE, "the hash ends the trailer");
_Static_assert(SW_ID_MAX == SW_SNAP_TEXT_LEN && SW_SAVE_KERNEL_LEN == SW_SNAP_TEXT_LEN &&
               SW_PART_MAX == SW_SNAP_TEXT_LEN, "the identity's text fields are the header's");

static void put32(uint8_t *p, uint32_t v)
{
        for (unsigned i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
        for (unsigned i = 0; i < 8; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
        return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static bool all_zero(const uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (p[i])
                        return false;
        return true;
}

const char *sw_snap_part_name(unsigned type)
{
        static const char *const names[] = {
                [SW_SNAP_PART_RAM] = "ram",
                [SW_SNAP_PART_FS] = "fs",
        };

        return SW_ENUM_NAME(names, type, "unknown");
}

const char *sw_snap_range_name(unsigned kind)
{
        static const char *const names[] = {
                [SW_SNAP_RANGE_STORE] = "store",
                [SW_SNAP_RANGE_RAM] = "ram",
                [SW_SNAP_RANGE_LOW] = "low",
                [SW_SNAP_RANGE_FS] = "fs",
                [SW_SNAP_RANGE_DMA32] = "dma32",
        };

        return SW_ENUM_NAME(names, kind, "unknown");
}

uint64_t sw_snap_config_hash(const struct sw_config *c, const struct sw_slot_config *s)
{
        uint8_t b[32];

        put64(b, (uint64_t)s->mode);
        put64(b + 8, (uint64_t)s->arch);
        put64(b + 16, s->memory);
        put64(b + 24, c->active_size);
        return sw_hash64(b, sizeof(b), 0);
}

/* ---------------------------------------------------------------------- */
/* The header. */

static void put_text(uint8_t *dst, const char *src)
{
        size_t n = strnlen(src, SW_SNAP_TEXT_LEN - 1);

        memset(dst, 0, SW_SNAP_TEXT_LEN);
        memcpy(dst, src, n);
}

void sw_snap_header_encode(struct sw_snap_header *h, uint8_t out[SW_SNAP_HEADER_SIZE])
{
        memset(out, 0, SW_SNAP_HEADER_SIZE);
        memcpy(out + H_MAGIC, SW_SNAP_MAGIC, 8);
        h->version = SW_SNAP_VERSION;
        put32(out + H_VERSION, h->version);
        put32(out + H_HEADER_SIZE, SW_SNAP_HEADER_SIZE);
        put32(out + H_FLAGS, h->flags);
        put32(out + H_NPARTS, h->nparts);
        put64(out + H_CREATED, h->created);
        put64(out + H_VECTOR, h->waking_vector);
        put64(out + H_KERNEL_SIZE, h->id.kernel_size);
        put64(out + H_LAYOUT, h->id.layout);
        put64(out + H_STORE_BASE, h->id.store_base);
        put64(out + H_STORE_SIZE, h->id.store_size);
        put64(out + H_CONFIG, h->config_hash);
        put_text(out + H_SLOT, h->id.slot);
        put_text(out + H_KERNEL, h->id.kernel);
        put_text(out + H_PARTITION, h->id.partition);
        sw_sha256(out, H_SHA, h->sha256);
        memcpy(out + H_SHA, h->sha256, SW_SHA256_LEN);
}

/*
 * A text field: printable before its first NUL, which must come, and zero
 * after it (the identity is compared with memcmp, byte for byte).
 */
static int get_text(const uint8_t *p, char *dst, const char *field, unsigned off, const char *what,
                    struct sw_diag *d)
{
        size_t n = 0;

        while (n < SW_SNAP_TEXT_LEN && p[n])
                n++;
        if (n == SW_SNAP_TEXT_LEN) {
                sw_diagf(d, SW_ERROR, "%s: offset %u: header field '%s' has no NUL in its %d bytes", what, off,
                         field, SW_SNAP_TEXT_LEN);
                return -1;
        }
        for (size_t i = 0; i < n; i++)
                if (p[i] < 0x20 || p[i] > 0x7e) {
                        sw_diagf(d, SW_ERROR, "%s: offset %u: header field '%s' has a non-printable byte 0x%02x",
                                 what, off + (unsigned)i, field, p[i]);
                        return -1;
                }
        if (!all_zero(p + n, SW_SNAP_TEXT_LEN - n)) {
                sw_diagf(d, SW_ERROR, "%s: offset %u: header field '%s' is not NUL padded", what,
                         off + (unsigned)n, field);
                return -1;
        }
        memcpy(dst, p, SW_SNAP_TEXT_LEN);
        return 0;
}

int sw_snap_header_decode(const uint8_t *buf, size_t len, struct sw_snap_header *h, const char *what,
                          struct sw_diag *d)
{
        uint8_t sha[SW_SHA256_LEN];
        uint32_t v;

        memset(h, 0, sizeof(*h));
        if (len < SW_SNAP_HEADER_SIZE) {
                sw_diagf(d, SW_ERROR, "%s: offset 0: truncated: %zu bytes, less than a snapshot header (%d)", what,
                         len, SW_SNAP_HEADER_SIZE);
                return -1;
        }
        if (memcmp(buf + H_MAGIC, SW_SNAP_MAGIC, 8) != 0) {
                sw_diagf(d, SW_ERROR, "%s: offset 0: not a snapshot (magic is not '%s')", what, SW_SNAP_MAGIC);
                return -1;
        }
        v = get32(buf + H_VERSION);
        if (v != SW_SNAP_VERSION) {
                sw_diagf(d, SW_ERROR, "%s: offset %d: header field 'version' is %u, this switcher reads %d", what,
                         H_VERSION, v, SW_SNAP_VERSION);
                return -1;
        }
        v = get32(buf + H_HEADER_SIZE);
        if (v != SW_SNAP_HEADER_SIZE) {
                sw_diagf(d, SW_ERROR, "%s: offset %d: header field 'header_size' is %u, expected %d", what,
                         H_HEADER_SIZE, v, SW_SNAP_HEADER_SIZE);
                return -1;
        }
        /* The hash before the fields: a damaged byte anywhere in the header
         * is reported as damage, not as whatever value it happens to make. */
        sw_sha256(buf, H_SHA, sha);
        if (memcmp(sha, buf + H_SHA, SW_SHA256_LEN) != 0) {
                sw_diagf(d, SW_ERROR, "%s: offset %d: header hash mismatch (the header is damaged)", what, H_SHA);
                return -1;
        }
        h->version = SW_SNAP_VERSION;
        h->flags = get32(buf + H_FLAGS);
        if (h->flags & ~SW_SNAP_IN_PLACE) {
                sw_diagf(d, SW_ERROR, "%s: offset %d: header field 'flags' is 0x%x, unknown bits 0x%x", what,
                         H_FLAGS, h->flags, h->flags & ~SW_SNAP_IN_PLACE);
                return -1;
        }
        h->nparts = get32(buf + H_NPARTS);
        if (h->nparts < 1 || h->nparts > SW_SNAP_MAX_PARTS) {
                sw_diagf(d, SW_ERROR, "%s: offset %d: header field 'nparts' is %u, expected 1 to %d", what,
                         H_NPARTS, h->nparts, SW_SNAP_MAX_PARTS);
                return -1;
        }
        if (!all_zero(buf + H_RESERVED1, H_SLOT - H_RESERVED1) || !all_zero(buf + H_RESERVED2, H_SHA - H_RESERVED2)) {
                sw_diagf(d, SW_ERROR, "%s: offset %d: reserved header bytes are not zero (a newer format?)", what,
                         all_zero(buf + H_RESERVED1, H_SLOT - H_RESERVED1) ? H_RESERVED2 : H_RESERVED1);
                return -1;
        }
        h->created = get64(buf + H_CREATED);
        h->waking_vector = get64(buf + H_VECTOR);
        h->config_hash = get64(buf + H_CONFIG);
        h->id.kernel_size = get64(buf + H_KERNEL_SIZE);
        h->id.layout = get64(buf + H_LAYOUT);
        h->id.store_base = get64(buf + H_STORE_BASE);
        h->id.store_size = get64(buf + H_STORE_SIZE);
        if (get_text(buf + H_SLOT, h->id.slot, "slot", H_SLOT, what, d) < 0 ||
            get_text(buf + H_KERNEL, h->id.kernel, "kernel", H_KERNEL, what, d) < 0 ||
            get_text(buf + H_PARTITION, h->id.partition, "partition", H_PARTITION, what, d) < 0)
                return -1;
        if (!h->id.slot[0]) {
                sw_diagf(d, SW_ERROR, "%s: offset %d: header field 'slot' is empty", what, H_SLOT);
                return -1;
        }
        memcpy(h->sha256, buf + H_SHA, SW_SHA256_LEN);
        return 0;
}

/* ---------------------------------------------------------------------- */
/* Parts and extents: one set of checks for the walk and the writer. */

static void part_encode(const struct sw_snap_part *p, uint8_t out[SW_SNAP_PART_SIZE])
{
        memset(out, 0, SW_SNAP_PART_SIZE);
        put32(out, TAG_PART);
        put32(out + P_TYPE, p->type);
        put32(out + P_UNIT, p->unit);
        put32(out + P_NRANGES, p->nranges);
        for (unsigned i = 0; i < p->nranges && i < SW_SNAP_MAX_RANGES; i++) {
                uint8_t *r = out + P_RANGES + i * RANGE_SIZE;

                put64(r, p->range[i].addr);
                put64(r + 8, p->range[i].size);
                put32(r + 16, p->range[i].kind);
        }
}

/* "part 2 (fs)", for messages. */
static const char *part_label(char *buf, size_t n, unsigned index, uint32_t type)
{
        sw_snprintf(buf, n, "part %u (%s)", index + 1, sw_snap_part_name(type));
        return buf;
}

/*
 * Decodes and checks a part header read at file offset off; index counts
 * from 0, types holds a bit per type already seen.
 */
/* The kinds a RAM part's range may have: every kind but fs. */
static bool ram_kind(uint32_t kind)
{
        return kind == SW_SNAP_RANGE_STORE || kind == SW_SNAP_RANGE_RAM || kind == SW_SNAP_RANGE_LOW ||
               kind == SW_SNAP_RANGE_DMA32;
}

static int part_decode(const uint8_t *b, uint64_t off, unsigned index, unsigned types, struct sw_snap_part *p,
                       const char *what, struct sw_diag *d)
{
        unsigned long long o = (unsigned long long)off;
        char label[32];

        memset(p, 0, sizeof(*p));
        p->offset = off;
        if (get32(b) != TAG_PART) {
                sw_diagf(d, SW_ERROR, "%s: offset %llu: part %u: no part header here (tag is not 'PART')", what, o,
                         index + 1);
                return -1;
        }
        p->type = get32(b + P_TYPE);
        p->unit = get32(b + P_UNIT);
        p->nranges = get32(b + P_NRANGES);
        part_label(label, sizeof(label), index, p->type);
        if (p->type != SW_SNAP_PART_RAM && p->type != SW_SNAP_PART_FS) {
                sw_diagf(d, SW_ERROR, "%s: offset %llu: part %u: field 'type' is %u, expected 1 (ram) or 2 (fs)",
                         what, o + P_TYPE, index + 1, p->type);
                return -1;
        }
        if (types & (1u << p->type)) {
                sw_diagf(d, SW_ERROR, "%s: offset %llu: %s: a second %s part", what, o + P_TYPE, label,
                         sw_snap_part_name(p->type));
                return -1;
        }
        if (p->type == SW_SNAP_PART_RAM ? p->unit != 1
                                        : p->unit < 1024 || p->unit > 65536 || (p->unit & (p->unit - 1))) {
                sw_diagf(d, SW_ERROR, "%s: offset %llu: %s: field 'unit' is %u, expected %s", what, o + P_UNIT,
                         label, p->unit,
                         p->type == SW_SNAP_PART_RAM ? "1" : "a block size (a power of two, 1024 to 65536)");
                return -1;
        }
        if (p->nranges < 1 || p->nranges > (p->type == SW_SNAP_PART_FS ? 1u : SW_SNAP_MAX_RANGES)) {
                sw_diagf(d, SW_ERROR, "%s: offset %llu: %s: field 'nranges' is %u, expected 1 to %u", what,
                         o + P_NRANGES, label, p->nranges, p->type == SW_SNAP_PART_FS ? 1u : SW_SNAP_MAX_RANGES);
                return -1;
        }
        for (unsigned i = 0; i < SW_SNAP_MAX_RANGES; i++) {
                const uint8_t *r = b + P_RANGES + i * RANGE_SIZE;
                unsigned long long ro = o + P_RANGES + i * RANGE_SIZE;
                struct sw_snap_range *g = &p->range[i];
                uint64_t bytes;

                if (i >= p->nranges) {
                        if (!all_zero(r, RANGE_SIZE)) {
                                sw_diagf(d, SW_ERROR, "%s: offset %llu: %s: unused range %u is not zero", what, ro,
                                         label, i);
                                return -1;
                        }
                        continue;
                }
                g->addr = get64(r);
                g->size = get64(r + 8);
                g->kind = get32(r + 16);
                if (get32(r + 20)) {
                        sw_diagf(d, SW_ERROR, "%s: offset %llu: %s: range %u: reserved bytes are not zero", what,
                                 ro + 20, label, i);
                        return -1;
                }
                if (p->type == SW_SNAP_PART_FS ? g->kind != SW_SNAP_RANGE_FS : !ram_kind(g->kind)) {
                        sw_diagf(d, SW_ERROR, "%s: offset %llu: %s: range %u: field 'kind' is %u, expected %s", what,
                                 ro + 16, label, i, g->kind,
                                 p->type == SW_SNAP_PART_FS ? "4 (fs)" : "1 (store), 2 (ram), 3 (low) or 5 (dma32)");
                        return -1;
                }
                if (g->size < 1 || g->size > SW_SNAP_RANGE_MAX / p->unit) {
                        sw_diagf(d, SW_ERROR, "%s: offset %llu: %s: range %u: field 'size' is %llu units, expected 1 to %llu",
                                 what, ro + 8, label, i, (unsigned long long)g->size,
                                 (unsigned long long)(SW_SNAP_RANGE_MAX / p->unit));
                        return -1;
                }
                bytes = g->size * p->unit;
                if ((p->type == SW_SNAP_PART_FS && g->addr) || g->addr > UINT64_MAX - bytes) {
                        sw_diagf(d, SW_ERROR, "%s: offset %llu: %s: range %u: field 'addr' 0x%llx is %s", what, ro,
                                 label, i, (unsigned long long)g->addr,
                                 p->type == SW_SNAP_PART_FS ? "not 0" : "past the end of the address space");
                        return -1;
                }
                if (i && g->addr < p->range[i - 1].addr + p->range[i - 1].size * p->unit) {
                        sw_diagf(d, SW_ERROR, "%s: offset %llu: %s: range %u at 0x%llx overlaps or precedes range %u",
                                 what, ro, label, i, (unsigned long long)g->addr, i - 1);
                        return -1;
                }
        }
        return 0;
}

/*
 * Where the next extent may start: range r, unit offset o.  Extents come in
 * order (range, then offset) without overlap; whatever they skip is a gap.
 */
struct cursor {
        unsigned r;
        uint64_t o;
};

/* Reports the gaps from the cursor up to (r, o) through v (may be NULL). */
static int gaps_to(struct cursor *c, const struct sw_snap_part *p, unsigned r, uint64_t o,
                   const struct sw_snap_visitor *v)
{
        while (c->r < r || (c->r == r && c->o < o)) {
                uint64_t end = c->r < r ? p->range[c->r].size : o;

                if (c->o < end && v && v->gap && v->gap(v->ctx, p, c->r, c->o, end - c->o) < 0)
                        return -1;
                if (c->r < r) {
                        c->r++;
                        c->o = 0;
                } else {
                        c->o = o;
                }
        }
        return 0;
}

/* Checks an extent record's values against its part and the cursor. */
static int extent_check(const struct sw_snap_part *p, const struct cursor *c, unsigned index, uint32_t r,
                        uint64_t o, uint64_t n, uint64_t off, const char *what, struct sw_diag *d)
{
        unsigned long long fo = (unsigned long long)off;
        char label[32];

        part_label(label, sizeof(label), index, p->type);
        if (r >= p->nranges) {
                sw_diagf(d, SW_ERROR, "%s: offset %llu: %s extent %llu: range %u, the part has %u", what,
                         fo + E_RANGE, label, (unsigned long long)p->nextents + 1, r, p->nranges);
                return -1;
        }
        if (n < 1 || o > p->range[r].size || n > p->range[r].size - o) {
                sw_diagf(d, SW_ERROR, "%s: offset %llu: %s extent %llu: offset %llu count %llu lies outside range %u (%llu units)",
                         what, fo + E_OFFSET, label, (unsigned long long)p->nextents + 1, (unsigned long long)o,
                         (unsigned long long)n, r, (unsigned long long)p->range[r].size);
                return -1;
        }
        if (r < c->r || (r == c->r && o < c->o)) {
                sw_diagf(d, SW_ERROR, "%s: offset %llu: %s extent %llu: range %u offset %llu overlaps or precedes the previous extent",
                         what, fo + E_RANGE, label, (unsigned long long)p->nextents + 1, r, (unsigned long long)o);
                return -1;
        }
        return 0;
}

/* ---------------------------------------------------------------------- */
/* The walk. */

struct walk {
        const struct sw_snap_source *src;
        uint64_t off;
        const char *what;
        struct sw_diag *d;
};

/*
 * Reads exactly len bytes; at the end of the file says "truncated: the file
 * ends inside WHERE" (where is a printf argument for "%s").  0 or -1.
 */
static int get(struct walk *w, void *buf, size_t len, const char *where)
{
        size_t got = 0;

        while (got < len) {
                long long r = w->src->read(w->src->ctx, (uint8_t *)buf + got, len - got);

                if (r < 0)
                        return -1;
                if (r == 0 || (unsigned long long)r > len - got) {
                        sw_diagf(w->d, SW_ERROR, "%s: offset %llu: truncated: the file ends inside %s", w->what,
                                 (unsigned long long)(w->off + got), where);
                        return -1;
                }
                got += (size_t)r;
        }
        w->off += len;
        return 0;
}

/* One extent's data: hashed, and handed to v->data in pieces. */
static int walk_data(struct walk *w, struct sw_snap_part *p, unsigned r, uint64_t o, uint64_t n, uint8_t *buf,
                     size_t cap, struct sw_sha256 *h, const struct sw_snap_visitor *v, const char *where)
{
        uint64_t left = n * p->unit, at = o * p->unit;

        while (left) {
                size_t k = left < cap ? (size_t)left : cap;

                if (get(w, buf, k, where) < 0)
                        return -1;
                sw_sha256_update(h, buf, k);
                if (v && v->data && v->data(v->ctx, p, r, at, buf, k) < 0)
                        return -1;
                at += k;
                left -= k;
        }
        return 0;
}

static int walk_part(struct walk *w, unsigned index, unsigned types, uint8_t *buf, size_t cap,
                     const struct sw_snap_visitor *v, struct sw_snap_part *p)
{
        struct sw_sha256 h;
        struct cursor c = { 0, 0 };
        uint8_t sha[SW_SHA256_LEN];
        char where[96], label[32];
        uint64_t start = w->off;

        sw_snprintf(where, sizeof(where), "part %u's header", index + 1);
        if (get(w, buf, SW_SNAP_PART_SIZE, where) < 0 ||
            part_decode(buf, start, index, types, p, w->what, w->d) < 0)
                return -1;
        part_label(label, sizeof(label), index, p->type);
        sw_sha256_init(&h);
        sw_sha256_update(&h, buf, SW_SNAP_PART_SIZE);
        if (v && v->part && v->part(v->ctx, p) < 0)
                return -1;
        for (;;) {
                uint64_t rec = w->off, o, n;
                uint32_t tag, r;

                /* Both records start with 24 bytes: an extent is only those. */
                sw_snprintf(where, sizeof(where), "%s after %llu extents", label, (unsigned long long)p->nextents);
                if (get(w, buf, SW_SNAP_EXTENT_SIZE, where) < 0)
                        return -1;
                sw_sha256_update(&h, buf, SW_SNAP_EXTENT_SIZE);
                tag = get32(buf);
                if (tag == TAG_PART_END)
                        break;
                if (tag != TAG_EXTENT) {
                        sw_diagf(w->d, SW_ERROR, "%s: offset %llu: %s: expected an extent or the part end (tag 0x%08x)",
                                 w->what, (unsigned long long)rec, label, tag);
                        return -1;
                }
                r = get32(buf + E_RANGE);
                o = get64(buf + E_OFFSET);
                n = get64(buf + E_COUNT);
                if (extent_check(p, &c, index, r, o, n, rec, w->what, w->d) < 0 || gaps_to(&c, p, r, o, v) < 0)
                        return -1;
                p->nextents++;
                sw_snprintf(where, sizeof(where), "%s extent %llu", label, (unsigned long long)p->nextents);
                if (walk_data(w, p, r, o, n, buf, cap, &h, v, where) < 0)
                        return -1;
                p->data_bytes += n * p->unit;
                c.o = o + n;
        }
        {
                uint64_t rec = w->off - SW_SNAP_EXTENT_SIZE;
                uint64_t ne = get64(buf + PE_NEXTENTS), nd = get64(buf + PE_DATA);

                if (get32(buf + PE_RESERVED) || ne != p->nextents || nd != p->data_bytes) {
                        sw_diagf(w->d, SW_ERROR, "%s: offset %llu: %s end says %llu extents and %llu data bytes, the part has %llu and %llu",
                                 w->what, (unsigned long long)rec, label, (unsigned long long)ne,
                                 (unsigned long long)nd, (unsigned long long)p->nextents,
                                 (unsigned long long)p->data_bytes);
                        return -1;
                }
                sw_snprintf(where, sizeof(where), "%s's end", label);
                if (get(w, buf, SW_SHA256_LEN, where) < 0)
                        return -1;
                sw_sha256_final(&h, sha);
                if (memcmp(sha, buf, SW_SHA256_LEN) != 0) {
                        sw_diagf(w->d, SW_ERROR, "%s: offset %llu: %s hash mismatch (its data is damaged)", w->what,
                                 (unsigned long long)rec + PE_SHA, label);
                        return -1;
                }
                memcpy(p->sha256, sha, SW_SHA256_LEN);
        }
        if (gaps_to(&c, p, p->nranges, 0, v) < 0)
                return -1;
        return v && v->part_end ? v->part_end(v->ctx, p) : 0;
}

int sw_snap_walk(const struct sw_snap_source *src, const struct sw_snap_visitor *v, void *scratch,
                 size_t scratch_len, const uint8_t *expect, struct sw_snap_info *info, const char *what,
                 struct sw_diag *d)
{
        struct walk w = { src, 0, what, d };
        uint8_t *buf = scratch, sha[SW_SHA256_LEN];
        struct sw_sha256 th;
        unsigned types = 0;
        uint64_t end;

        memset(info, 0, sizeof(*info));
        if (scratch_len < SW_SNAP_HEADER_SIZE) {
                sw_diagf(d, SW_ERROR, "%s: a buffer of %zu bytes is too small to read a snapshot", what, scratch_len);
                return -1;
        }
        {
                /* A short file is said as the header decoder says it. */
                size_t got = 0;

                while (got < SW_SNAP_HEADER_SIZE) {
                        long long r = src->read(src->ctx, buf + got, SW_SNAP_HEADER_SIZE - got);

                        if (r < 0)
                                return -1;
                        if (r == 0 || (unsigned long long)r > SW_SNAP_HEADER_SIZE - got)
                                break;
                        got += (size_t)r;
                }
                if (sw_snap_header_decode(buf, got, &info->hdr, what, d) < 0)
                        return -1;
                w.off = SW_SNAP_HEADER_SIZE;
        }
        sw_sha256_init(&th);
        sw_sha256_update(&th, buf, SW_SNAP_HEADER_SIZE);
        for (unsigned i = 0; i < info->hdr.nparts; i++) {
                if (walk_part(&w, i, types, buf, scratch_len, v, &info->part[i]) < 0)
                        return -1;
                types |= 1u << info->part[i].type;
                info->nparts = i + 1;
                sw_sha256_update(&th, info->part[i].sha256, SW_SHA256_LEN);
        }
        end = w.off;
        if (get(&w, buf, SW_SNAP_TRAILER_SIZE, "the trailer") < 0)
                return -1;
        if (get32(buf) != TAG_TRAILER) {
                sw_diagf(d, SW_ERROR, "%s: offset %llu: expected the trailer after %u parts (tag is not 'SEND')", what,
                         (unsigned long long)end, info->nparts);
                return -1;
        }
        if (get32(buf + T_NPARTS) != info->nparts || get64(buf + T_FILE_SIZE) != w.off) {
                sw_diagf(d, SW_ERROR, "%s: offset %llu: the trailer says %u parts and %llu bytes, the file has %u and %llu",
                         what, (unsigned long long)end, get32(buf + T_NPARTS),
                         (unsigned long long)get64(buf + T_FILE_SIZE), info->nparts, (unsigned long long)w.off);
                return -1;
        }
        sw_sha256_update(&th, buf, T_SHA);
        sw_sha256_final(&th, sha);
        if (memcmp(sha, buf + T_SHA, SW_SHA256_LEN) != 0) {
                sw_diagf(d, SW_ERROR, "%s: offset %llu: trailer hash mismatch (the parts do not belong to this header)",
                         what, (unsigned long long)end + T_SHA);
                return -1;
        }
        if (expect && memcmp(sha, expect, SW_SHA256_LEN) != 0) {
                sw_diagf(d, SW_ERROR, "%s: the snapshot changed since it was verified", what);
                return -1;
        }
        memcpy(info->sha256, sha, SW_SHA256_LEN);
        info->file_size = w.off;
        {
                long long r = src->read(src->ctx, buf, 1);

                if (r < 0)
                        return -1;
                if (r > 0) {
                        sw_diagf(d, SW_ERROR, "%s: offset %llu: bytes after the trailer (the snapshot ends there)",
                                 what, (unsigned long long)w.off);
                        return -1;
                }
        }
        return 0;
}

/* ---------------------------------------------------------------------- */
/* The writer. */

static int emit(struct sw_snap_writer *w, const void *buf, size_t len)
{
        if (w->out.write(w->out.ctx, buf, len) < 0) {
                w->failed = true;
                return -1;
        }
        w->offset += len;
        return 0;
}

/* Refuses a step out of order (a bug in the caller, said once). */
static int step(struct sw_snap_writer *w, bool ok, const char *what_step)
{
        if (w->failed)
                return -1;
        if (!ok) {
                sw_diagf(w->d, SW_ERROR, "%s: snapshot writer: %s out of order", w->what, what_step);
                w->failed = true;
                return -1;
        }
        return 0;
}

int sw_snap_write_begin(struct sw_snap_writer *w, const struct sw_snap_sink *out, struct sw_snap_header *h,
                        const char *what, struct sw_diag *d)
{
        struct sw_snap_header check;

        memset(w, 0, sizeof(*w));
        w->out = *out;
        w->what = what;
        w->d = d;
        sw_snap_header_encode(h, w->header);
        if (sw_snap_header_decode(w->header, sizeof(w->header), &check, what, d) < 0) {
                w->failed = true;
                return -1;
        }
        w->want_parts = h->nparts;
        sw_sha256_init(&w->trailer_hash);
        sw_sha256_update(&w->trailer_hash, w->header, sizeof(w->header));
        return emit(w, w->header, sizeof(w->header));
}

int sw_snap_write_part(struct sw_snap_writer *w, const struct sw_snap_part *p)
{
        uint8_t b[SW_SNAP_PART_SIZE];

        if (step(w, !w->in_part, "a part") < 0)
                return -1;
        if (w->nparts >= w->want_parts) {
                sw_diagf(w->d, SW_ERROR, "%s: part %u: the header announced %u parts", w->what, w->nparts + 1,
                         w->want_parts);
                w->failed = true;
                return -1;
        }
        part_encode(p, b);
        if (part_decode(b, w->offset, w->nparts, w->part_types, &w->part, w->what, w->d) < 0) {
                w->failed = true;
                return -1;
        }
        w->in_part = true;
        w->have_last = false;
        w->last_range = 0;
        w->last_end = 0;
        w->left = 0;
        sw_sha256_init(&w->part_hash);
        sw_sha256_update(&w->part_hash, b, sizeof(b));
        return emit(w, b, sizeof(b));
}

int sw_snap_write_extent(struct sw_snap_writer *w, unsigned range, uint64_t offset, uint64_t count)
{
        struct cursor c = { w->last_range, w->last_end };
        uint8_t b[SW_SNAP_EXTENT_SIZE];

        if (step(w, w->in_part && !w->left, "an extent") < 0)
                return -1;
        if (extent_check(&w->part, &c, w->nparts, range, offset, count, w->offset, w->what, w->d) < 0) {
                w->failed = true;
                return -1;
        }
        memset(b, 0, sizeof(b));
        put32(b, TAG_EXTENT);
        put32(b + E_RANGE, range);
        put64(b + E_OFFSET, offset);
        put64(b + E_COUNT, count);
        sw_sha256_update(&w->part_hash, b, sizeof(b));
        w->part.nextents++;
        w->last_range = range;
        w->last_end = offset + count;
        w->left = count * w->part.unit;
        w->part.data_bytes += w->left;
        return emit(w, b, sizeof(b));
}

int sw_snap_write_data(struct sw_snap_writer *w, const void *buf, size_t len)
{
        if (step(w, w->in_part, "data") < 0)
                return -1;
        if (len > w->left) {
                sw_diagf(w->d, SW_ERROR, "%s: part %u extent %llu: %zu bytes of data, the extent needs %llu more",
                         w->what, w->nparts + 1, (unsigned long long)w->part.nextents, len,
                         (unsigned long long)w->left);
                w->failed = true;
                return -1;
        }
        sw_sha256_update(&w->part_hash, buf, len);
        w->left -= len;
        return emit(w, buf, len);
}

int sw_snap_write_part_end(struct sw_snap_writer *w, struct sw_snap_part *done)
{
        uint8_t b[SW_SNAP_PART_END_SIZE];

        if (step(w, w->in_part, "a part end") < 0)
                return -1;
        if (w->left) {
                sw_diagf(w->d, SW_ERROR, "%s: part %u extent %llu: %llu bytes of data missing", w->what,
                         w->nparts + 1, (unsigned long long)w->part.nextents, (unsigned long long)w->left);
                w->failed = true;
                return -1;
        }
        memset(b, 0, sizeof(b));
        put32(b, TAG_PART_END);
        put64(b + PE_NEXTENTS, w->part.nextents);
        put64(b + PE_DATA, w->part.data_bytes);
        sw_sha256_update(&w->part_hash, b, PE_SHA);
        sw_sha256_final(&w->part_hash, w->part.sha256);
        memcpy(b + PE_SHA, w->part.sha256, SW_SHA256_LEN);
        sw_sha256_update(&w->trailer_hash, w->part.sha256, SW_SHA256_LEN);
        w->part_types |= 1u << w->part.type;
        w->nparts++;
        w->in_part = false;
        if (done)
                *done = w->part;
        return emit(w, b, sizeof(b));
}

int sw_snap_write_end(struct sw_snap_writer *w, uint64_t *size, uint8_t hash[SW_SHA256_LEN])
{
        uint8_t b[SW_SNAP_TRAILER_SIZE];

        if (step(w, !w->in_part, "the trailer") < 0)
                return -1;
        if (w->nparts != w->want_parts) {
                sw_diagf(w->d, SW_ERROR, "%s: %u parts written, the header announced %u", w->what, w->nparts,
                         w->want_parts);
                w->failed = true;
                return -1;
        }
        memset(b, 0, sizeof(b));
        put32(b, TAG_TRAILER);
        put32(b + T_NPARTS, w->nparts);
        put64(b + T_FILE_SIZE, w->offset + SW_SNAP_TRAILER_SIZE);
        sw_sha256_update(&w->trailer_hash, b, T_SHA);
        sw_sha256_final(&w->trailer_hash, b + T_SHA);
        if (emit(w, b, sizeof(b)) < 0)
                return -1;
        if (size)
                *size = w->offset;
        if (hash)
                memcpy(hash, b + T_SHA, SW_SHA256_LEN);
        w->failed = true;       /* nothing may follow the trailer */
        return 0;
}

/* ---------------------------------------------------------------------- */
/* The RAM hash (see snapshot.h). */

void sw_snap_ram_hash_init(struct sw_snap_ram_hash *s)
{
        s->h = 0;
        s->bytes = 0;
        s->fill = 0;
}

void sw_snap_ram_hash_add(struct sw_snap_ram_hash *s, const void *p, uint64_t len)
{
        const uint8_t *b = p;

        while (len) {
                size_t n = SW_SNAP_RAM_HASH_BLOCK - s->fill;

                /* Whole blocks of memory are hashed where they lie: the
                 * switcher hashes a slot's RAM through here, and a copy of
                 * every byte would double its time. */
                if (b && !s->fill && len >= SW_SNAP_RAM_HASH_BLOCK) {
                        s->h = sw_hash64(b, SW_SNAP_RAM_HASH_BLOCK, s->h);
                        s->bytes += SW_SNAP_RAM_HASH_BLOCK;
                        b += SW_SNAP_RAM_HASH_BLOCK;
                        len -= SW_SNAP_RAM_HASH_BLOCK;
                        continue;
                }

                if (n > len)
                        n = (size_t)len;
                if (b) {
                        memcpy(s->buf + s->fill, b, n);
                        b += n;
                } else {
                        memset(s->buf + s->fill, 0, n);
                }
                s->fill += n;
                s->bytes += n;
                len -= n;
                if (s->fill == SW_SNAP_RAM_HASH_BLOCK) {
                        s->h = sw_hash64(s->buf, s->fill, s->h);
                        s->fill = 0;
                }
        }
}

uint64_t sw_snap_ram_hash_final(struct sw_snap_ram_hash *s)
{
        if (s->fill) {
                s->h = sw_hash64(s->buf, s->fill, s->h);
                s->fill = 0;
        }
        return s->h;
}

uint64_t sw_snap_ram_hash_mem(const void *p, uint64_t len)
{
        const uint8_t *b = p;
        uint64_t h = 0;

        while (len) {
                size_t n = len < SW_SNAP_RAM_HASH_BLOCK ? (size_t)len : SW_SNAP_RAM_HASH_BLOCK;

                h = sw_hash64(b, n, h);
                b += n;
                len -= n;
        }
        return h;
}

uint64_t sw_snap_ram_hash_ranges(struct sw_snap_ram_hash *s, const struct sw_snap_range *r, unsigned n)
{
        sw_snap_ram_hash_init(s);
        for (unsigned i = 0; i < n; i++)
                sw_snap_ram_hash_add(s, (const void *)(uintptr_t)r[i].addr, r[i].size);
        return sw_snap_ram_hash_final(s);
}

/* ---------------------------------------------------------------------- */
/* Does a snapshot fit a slot as it runs now? */

unsigned sw_snap_slot_ram(const struct sw_slot_plan *sp, struct sw_snap_range out[SW_SNAP_SLOT_RANGES])
{
        struct sw_snap_range low, own, win;
        unsigned n = 0;

        if (!sp->placed || !sp->store_size)
                return 0;
        if (!sp->in_place || sp->store_size <= SW_INPLACE_LOW) {
                out[0] = (struct sw_snap_range){ sp->store_base, sp->store_size, SW_SNAP_RANGE_STORE };
                return 1;
        }
        low = (struct sw_snap_range){ sp->store_base, SW_INPLACE_LOW, SW_SNAP_RANGE_LOW };
        own = (struct sw_snap_range){ sp->store_base + SW_INPLACE_LOW, sp->store_size - SW_INPLACE_LOW,
                                      SW_SNAP_RANGE_RAM };
        win = (struct sw_snap_range){ sp->dma32_base, sp->dma32_size, SW_SNAP_RANGE_DMA32 };
        /* The planner puts the window below the store (docs/dma32.md);
         * should it ever lie above, the ranges still go in address order,
         * as the format wants. */
        if (win.size && win.addr < low.addr)
                out[n++] = win;
        out[n++] = low;
        out[n++] = own;
        if (win.size && win.addr > low.addr)
                out[n++] = win;
        return n;
}

/* "dma32, low, ram": the kinds of n ranges, for a message. */
static const char *kind_list(char *buf, size_t len, const struct sw_snap_range *r, unsigned n)
{
        size_t at = 0;

        buf[0] = '\0';
        for (unsigned i = 0; i < n && i < SW_SNAP_MAX_RANGES && at < len; i++)
                at += (size_t)sw_snprintf(buf + at, len - at, "%s%s", i ? ", " : "", sw_snap_range_name(r[i].kind));
        return buf;
}

int sw_snap_ram_fits(const struct sw_snap_info *info, const struct sw_snap_range *want, unsigned n, char *why,
                     size_t len)
{
        const struct sw_snap_part *ram = NULL;

        for (unsigned i = 0; i < info->nparts && i < SW_SNAP_MAX_PARTS; i++)
                if (info->part[i].type == SW_SNAP_PART_RAM)
                        ram = &info->part[i];
        if (!ram) {
                sw_snprintf(why, len, "the snapshot holds no RAM");
                return -1;
        }
        if (ram->nranges != n) {
                char have[64], now[64];

                sw_snprintf(why, len, "the snapshot holds %u RAM range(s) (%s); the slot has %u now (%s)",
                            ram->nranges, kind_list(have, sizeof(have), ram->range, ram->nranges), n,
                            kind_list(now, sizeof(now), want, n));
                return -1;
        }
        for (unsigned r = 0; r < n && r < SW_SNAP_MAX_RANGES; r++) {
                const struct sw_snap_range *g = &ram->range[r], *w = &want[r];

                if (g->kind != w->kind || g->addr != w->addr || g->size != w->size) {
                        sw_snprintf(why, len,
                                    "the snapshot's RAM range %u (%s) is 0x%llx, %llu bytes; the slot's is 0x%llx, "
                                    "%llu bytes (%s) now",
                                    r, sw_snap_range_name(g->kind), (unsigned long long)g->addr,
                                    (unsigned long long)g->size, (unsigned long long)w->addr,
                                    (unsigned long long)w->size, sw_snap_range_name(w->kind));
                        return -1;
                }
        }
        return 0;
}

/* The snapshot's slot and mode against slot s: 0, or -1 with the reason. */
static int slot_fits(const struct sw_snap_header *h, const struct sw_slot_config *s, char *why, size_t n)
{
        if (strcmp(h->id.slot, s->id) != 0) {
                sw_snprintf(why, n, "the snapshot is of slot '%s', not '%s'", h->id.slot, s->id);
                return -1;
        }
        if ((h->flags & SW_SNAP_IN_PLACE) && s->mode != SW_MODE_IN_PLACE) {
                sw_snprintf(why, n, "the snapshot is of an in-place slot; '%s' is a swap slot", s->id);
                return -1;
        }
        if (!(h->flags & SW_SNAP_IN_PLACE) && s->mode == SW_MODE_IN_PLACE) {
                sw_snprintf(why, n, "the snapshot is of a swap slot; '%s' runs in place", s->id);
                return -1;
        }
        return 0;
}

int sw_snap_header_fits(const struct sw_snap_header *h, const struct sw_config *c, const struct sw_slot_config *s,
                        const struct sw_save_identity *now, char *why, size_t n)
{
        /* Static: the resident switcher decides on a small stack. */
        static struct sw_save_header claimed;
        char reason[160];

        if (slot_fits(h, s, why, n) < 0)
                return -1;
        /* The very check a resume makes, on the identity the snapshot
         * claims: the reason names the first field that differs. */
        memset(&claimed, 0, sizeof(claimed));
        sw_save_record(&claimed, &h->id, false, 0);
        reason[0] = '\0';
        if (sw_save_check(&claimed, now, reason, sizeof(reason)) != SW_SAVE_OK) {
                sw_snprintf(why, n, "snapshot does not fit '%s' now: %s", s->id, reason);
                return -1;
        }
        if (h->config_hash != sw_snap_config_hash(c, s)) {
                sw_snprintf(why, n, "snapshot was taken with other memory settings (mode, arch, memory or active-size)");
                return -1;
        }
        if (h->waking_vector == 0 || h->waking_vector >= 0x100000) {
                sw_snprintf(why, n, "snapshot's waking vector 0x%llx is not a real-mode address",
                            (unsigned long long)h->waking_vector);
                return -1;
        }
        return 0;
}

int sw_snap_parts_fit(const struct sw_snap_info *info, const struct sw_snap_range *ram, unsigned nram,
                      uint64_t part_bytes, char *why, size_t n)
{
        const struct sw_snap_part *fs = NULL;

        for (unsigned i = 0; i < info->nparts && i < SW_SNAP_MAX_PARTS; i++)
                if (info->part[i].type == SW_SNAP_PART_FS)
                        fs = &info->part[i];
        if (sw_snap_ram_fits(info, ram, nram, why, n) < 0)
                return -1;
        if (!fs != !part_bytes) {
                sw_snprintf(why, n, fs ? "the snapshot holds a file system, and the slot has no partition"
                                       : "the snapshot has no file system, and the slot has a partition");
                return -1;
        }
        if (fs && fs->range[0].size * fs->unit > part_bytes) {
                sw_snprintf(why, n, "the partition is %llu bytes, the snapshot's file system needs %llu",
                            (unsigned long long)part_bytes, (unsigned long long)(fs->range[0].size * fs->unit));
                return -1;
        }
        return 0;
}

int sw_snap_fits(const struct sw_snap_info *info, const struct sw_config *c, const struct sw_slot_config *s,
                 const struct sw_save_identity *now, const struct sw_snap_range *ram, unsigned nram,
                 uint64_t part_bytes, char *why, size_t n)
{
        if (slot_fits(&info->hdr, s, why, n) < 0 || sw_snap_ram_fits(info, ram, nram, why, n) < 0 ||
            sw_snap_header_fits(&info->hdr, c, s, now, why, n) < 0)
                return -1;
        return sw_snap_parts_fit(info, ram, nram, part_bytes, why, n);
}

/* ---------------------------------------------------------------------- */
/* The start-up restore. */

int sw_snap_boot_pick(const struct sw_config *c, int chosen)
{
        if (chosen < 0 || (unsigned)chosen >= c->nslots || !c->slots[chosen].snapshot_path[0])
                return chosen;
        for (unsigned i = 0; i < c->nslots && i < SW_MAX_SLOTS; i++)
                if (c->slots[i].valid && !c->slots[i].snapshot_path[0])
                        return (int)i;
        return chosen;
}

enum sw_snap_boot_fallback sw_snap_boot_failed(const struct sw_config *c, const struct sw_slot_config *s,
                                               bool written, const char *reason, char *msg, size_t n)
{
        bool cold = s->cold_boot_on_damage && !written;

        sw_snprintf(msg, n, "%s:%u: slot '%s': snapshot %s: %s; %s", c->filename, s->snapshot_line, s->id,
                    s->snapshot_path, reason,
                    cold ? "it cold-boots from its kernel instead (on-damage cold-boot)"
                         : written ? "its store and partition are damaged; slot dropped" : "slot dropped");
        return cold ? SW_SNAP_BOOT_COLD : SW_SNAP_BOOT_DROP;
}
