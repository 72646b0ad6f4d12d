/* SPDX-License-Identifier: MIT */
/*
 * A snapshot is a file on the ESP (or anywhere switchctl is pointed at)
 * that the switcher walks at start-up before it writes a partition or a
 * store from it.  The input is a whole snapshot file, walked twice: as it
 * is, and with its header hash made right (so mutations of header fields
 * reach the field checks instead of stopping at the hash).  Checked: the
 * walk returns 0 or -1 with exactly one error when it refuses; an accepted
 * file is exactly the input; every data piece and every gap it reports lies
 * inside its part's range, in order, and data and gaps together cover each
 * range exactly once.  A valid file is then fitted to the seeds' two slot
 * layouts (sw_snap_parts_fit): it fits one only when its RAM part is
 * exactly that layout's ranges, and a refusal says why.
 *
 * Seeds: (fuzz_seeds writes valid snapshots: an in-place slot's RAM with a
 * DMA32 window, low memory and own RAM, and an FS part; a swap slot's
 * store alone)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "snapshot.h"

#define WHAT "slot 'f': /snap/f.snap"

struct mem {
        uint8_t *buf;
        size_t len, pos, cap;
};

static long long mem_read(void *ctx, void *buf, size_t len)
{
        struct mem *m = ctx;
        size_t n = m->len - m->pos;

        /* Short reads, as a pipe or a FAT piece boundary gives them. */
        if (n > len)
                n = len;
        if (n > 4093)
                n = 4093;
        memcpy(buf, m->buf + m->pos, n);
        m->pos += n;
        return (long long)n;
}

static int mem_write(void *ctx, const void *buf, size_t len)
{
        struct mem *m = ctx;

        if (len > m->cap - m->len)
                return -1;
        memcpy(m->buf + m->len, buf, len);
        m->len += len;
        return 0;
}

/* Where the walk has got to in the current part: range and unit offset. */
struct track {
        unsigned r;
        uint64_t next;          /* bytes of range r covered so far */
        bool in_part;
};

/* Each call covers bytes [at, at+len) of range r, right after the last. */
static void cover(struct track *t, const struct sw_snap_part *p, unsigned r, uint64_t at, uint64_t len)
{
        FUZZ_CHECK(t->in_part, "data or gap outside a part");
        FUZZ_CHECK(r < p->nranges, "range %u of %u", r, p->nranges);
        FUZZ_CHECK(len > 0, "empty piece");
        if (r != t->r) {
                /* A range with no extent comes as one gap: none is skipped. */
                FUZZ_CHECK(r == t->r + 1 && t->next == p->range[t->r].size * p->unit, "range %u left uncovered", t->r);
                t->r = r;
                t->next = 0;
        }
        FUZZ_CHECK(at == t->next, "piece at %llu, expected %llu", (unsigned long long)at,
                   (unsigned long long)t->next);
        FUZZ_CHECK(len <= p->range[r].size * p->unit - at, "piece past the range");
        t->next = at + len;
}

static int on_part(void *ctx, const struct sw_snap_part *p)
{
        struct track *t = ctx;

        FUZZ_CHECK(!t->in_part, "part inside a part");
        *t = (struct track){ 0, 0, true };
        return 0;
}

static int on_data(void *ctx, const struct sw_snap_part *p, unsigned r, uint64_t at, const void *buf, size_t len)
{
        cover(ctx, p, r, at, len);
        return 0;
}

static int on_gap(void *ctx, const struct sw_snap_part *p, unsigned r, uint64_t offset, uint64_t count)
{
        FUZZ_CHECK(count <= SW_SNAP_RANGE_MAX, "gap of %llu units", (unsigned long long)count);
        cover(ctx, p, r, offset * p->unit, count * p->unit);
        return 0;
}

static int on_end(void *ctx, const struct sw_snap_part *p)
{
        struct track *t = ctx;

        FUZZ_CHECK(t->r + 1 == p->nranges && t->next == p->range[t->r].size * p->unit, "part not covered");
        t->in_part = false;
        return 0;
}

/* The RAM of the seeds' slots: an in-place one (window, low memory, own
 * RAM) and a swap one (its store). */
static const struct sw_snap_range in_place_ram[] = {
        { 0x3f000000, 4096, SW_SNAP_RANGE_DMA32 },
        { 0x40000000, 4096, SW_SNAP_RANGE_LOW },
        { 0x40001000, 2 * 4096, SW_SNAP_RANGE_RAM },
};
static const struct sw_snap_range swap_ram[] = { { 0x40000000, 3 * 4096, SW_SNAP_RANGE_STORE } };

/* A valid file fits a layout exactly when its RAM part is that layout. */
static void fit(const struct sw_snap_info *info, const struct sw_snap_range *want, unsigned n)
{
        const struct sw_snap_part *ram = NULL;
        uint64_t part_bytes = 0;        /* a partition exactly when there is a file system, large enough */
        char why[300];
        bool same;
        int rc;

        for (unsigned i = 0; i < info->nparts; i++) {
                if (info->part[i].type == SW_SNAP_PART_RAM)
                        ram = &info->part[i];
                else
                        part_bytes = UINT64_MAX;
        }
        same = ram && ram->nranges == n;
        for (unsigned r = 0; same && r < n; r++)
                same = ram->range[r].addr == want[r].addr && ram->range[r].size == want[r].size &&
                       ram->range[r].kind == want[r].kind;
        why[0] = '\0';
        rc = sw_snap_parts_fit(info, want, n, part_bytes, why, sizeof(why));
        FUZZ_CHECK(rc == 0 || rc == -1, "parts_fit returned %d", rc);
        FUZZ_CHECK(rc == 0 || (why[0] && fuzz_terminated(why, sizeof(why))), "a refusal without a reason");
        FUZZ_CHECK(!same || rc == 0, "the slot's own RAM refused: %s", why);
        FUZZ_CHECK(same || rc == -1, "another RAM layout accepted");
}

static void walk(uint8_t *buf, size_t size)
{
        static uint8_t scratch[8192];
        static struct sw_snap_info info;
        struct track t = { 0 };
        struct mem m = { buf, size, 0, size };
        struct sw_snap_source src = { mem_read, &m };
        struct sw_snap_visitor v = { on_part, on_data, on_gap, on_end, &t };
        struct fuzz_diag fd;
        int rc;

        rc = sw_snap_walk(&src, &v, scratch, sizeof(scratch), NULL, &info, WHAT, fuzz_diag_init(&fd, true));
        FUZZ_CHECK(rc == 0 || rc == -1, "walk returned %d", rc);
        FUZZ_CHECK(rc == 0 ? fd.nerror == 0 : fd.nerror == 1, "walk rc %d with %u errors", rc, fd.nerror);
        if (rc == 0) {
                FUZZ_CHECK(info.file_size == size, "file_size %llu of %zu", (unsigned long long)info.file_size, size);
                FUZZ_CHECK(info.nparts == info.hdr.nparts && !t.in_part, "parts");
                FUZZ_CHECK(fuzz_terminated(info.hdr.id.slot, sizeof(info.hdr.id.slot)) &&
                           fuzz_terminated(info.hdr.id.kernel, sizeof(info.hdr.id.kernel)) &&
                           fuzz_terminated(info.hdr.id.partition, sizeof(info.hdr.id.partition)),
                           "text unterminated");
                fit(&info, in_place_ram, 3);
                fit(&info, swap_ram, 1);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t *p = fuzz_copy(data, size);

        if (!p)
                return 0;
        walk(p, size);
        if (size >= SW_SNAP_HEADER_SIZE) {
                sw_sha256(p, SW_SNAP_HEADER_SIZE - SW_SHA256_LEN, p + SW_SNAP_HEADER_SIZE - SW_SHA256_LEN);
                walk(p, size);
        }
        free(p);
        return 0;
}

/* Writes one seed; fs_blocks 0 leaves out the FS part. */
static void seed(const char *dir, const char *name, bool in_place, unsigned fs_blocks)
{
        static uint8_t out[1 << 16], page[4096];
        struct mem m = { out, 0, 0, sizeof(out) };
        struct sw_snap_sink sink = { mem_write, &m };
        struct sw_snap_writer w;
        struct sw_snap_header h = { 0 };
        struct sw_snap_part pt = { 0 };
        bool ok;

        for (unsigned i = 0; i < sizeof(page); i++)
                page[i] = (uint8_t)(i * 31);
        h.flags = in_place ? SW_SNAP_IN_PLACE : 0;
        h.nparts = fs_blocks ? 2 : 1;
        h.waking_vector = 0x9a000;
        strcpy(h.id.slot, "f");
        strcpy(h.id.kernel, "6.1.0-28-amd64");
        strcpy(h.id.partition, "PARTLABEL=f");
        h.id.store_base = 0x40000000;
        h.id.store_size = 3 * 4096;
        pt.type = SW_SNAP_PART_RAM;
        pt.unit = 1;
        pt.nranges = in_place ? 3 : 1;
        if (in_place)
                memcpy(pt.range, in_place_ram, sizeof(in_place_ram));
        else
                pt.range[0] = swap_ram[0];
        ok = sw_snap_write_begin(&w, &sink, &h, name, NULL) == 0 && sw_snap_write_part(&w, &pt) == 0;
        /* In place: a piece of the window and of the low memory, then the
         * own RAM's second page; a swap slot: its store's last two pages. */
        if (ok && in_place)
                ok = sw_snap_write_extent(&w, 0, 8, 100) == 0 && sw_snap_write_data(&w, page, 100) == 0 &&
                     sw_snap_write_extent(&w, 1, 100, 50) == 0 && sw_snap_write_data(&w, page, 50) == 0 &&
                     sw_snap_write_extent(&w, 2, 4096, 4096) == 0 && sw_snap_write_data(&w, page, 4096) == 0;
        else if (ok)
                ok = sw_snap_write_extent(&w, 0, 4096, 8192) == 0 && sw_snap_write_data(&w, page, 4096) == 0 &&
                     sw_snap_write_data(&w, page, 4096) == 0;
        ok = ok && sw_snap_write_part_end(&w, NULL) == 0;
        if (ok && fs_blocks) {
                memset(&pt, 0, sizeof(pt));
                pt.type = SW_SNAP_PART_FS;
                pt.unit = 1024;
                pt.nranges = 1;
                pt.range[0] = (struct sw_snap_range){ 0, fs_blocks, SW_SNAP_RANGE_FS };
                ok = sw_snap_write_part(&w, &pt) == 0 && sw_snap_write_extent(&w, 0, 1, 2) == 0 &&
                     sw_snap_write_data(&w, page, 2048) == 0 && sw_snap_write_part_end(&w, NULL) == 0;
        }
        if (!ok || sw_snap_write_end(&w, NULL, NULL) < 0) {
                fprintf(stderr, "fuzz_snapshot: cannot build seed %s\n", name);
                exit(1);
        }
        fuzz_write_seed(dir, name, out, m.len);
}

void fuzz_seeds(const char *dir)
{
        seed(dir, "in-place-ram-fs.snap", true, 64);
        seed(dir, "swap-store.snap", false, 0);
}
