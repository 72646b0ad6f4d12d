/* SPDX-License-Identifier: MIT */
/*
 * Snapshot files (switcher/snapshot.h, docs/snapshot-format.md): written in
 * memory with the streaming writer -- a RAM part with an in-place slot's two
 * ranges and a zero page left out, an FS part with free blocks left out --
 * walked back through a reader that hands out a few bytes at a time, and
 * rebuilt from the walk's data and gaps.  Then damaged one way at a time
 * (header, each part, the trailer, a part spliced from another snapshot,
 * every truncation, a byte too many, bad values) with the exact message,
 * the writer refusing what the reader would refuse, and the gaps of a range
 * without extents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "snapshot.h"
#include "util_capture.h"

#define WHAT "lab.snap"
#define RAM0_BASE 0x100000ULL
#define RAM0_SIZE (4 * 4096)
#define LOW_BASE 0x7f000000ULL
#define LOW_SIZE 4096
#define BLOCK 1024
#define FS_BLOCKS 16

static uint8_t ram0[RAM0_SIZE], low[LOW_SIZE], fs[FS_BLOCKS * BLOCK];
static uint8_t snap[65536], work[65536];
static size_t snap_len;
static struct capture cap;
static struct sw_diag diag;

static void reset_diag(void)
{
        memset(&cap, 0, sizeof(cap));
        memset(&diag, 0, sizeof(diag));
        diag.emit = capture_emit;
        diag.ctx = &cap;
}

/* An output into a fixed buffer. */
struct mem_out {
        uint8_t *buf;
        size_t cap, len;
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
        struct mem_out *m = ctx;

        if (len > m->cap - m->len)
                return -1;
        memcpy(m->buf + m->len, buf, len);
        m->len += len;
        return 0;
}

/* An input that hands out at most chunk bytes per call, as a pipe may. */
struct mem_in {
        const uint8_t *buf;
        size_t len, pos, chunk;
};

static long long mem_read(void *ctx, void *buf, size_t len)
{
        struct mem_in *m = ctx;
        size_t n = m->len - m->pos;

        if (n > len)
                n = len;
        if (m->chunk && n > m->chunk)
                n = m->chunk;
        memcpy(buf, m->buf + m->pos, n);
        m->pos += n;
        return (long long)n;
}

static void make_header(struct sw_snap_header *h, const char *slot)
{
        memset(h, 0, sizeof(*h));
        h->flags = SW_SNAP_IN_PLACE;
        h->nparts = 2;
        h->created = 1790000000;
        h->waking_vector = 0x9a000;
        h->config_hash = 0x1122334455667788ULL;
        snprintf(h->id.slot, sizeof(h->id.slot), "%s", slot);
        snprintf(h->id.kernel, sizeof(h->id.kernel), "6.1.0-28-amd64");
        snprintf(h->id.partition, sizeof(h->id.partition), "PARTLABEL=lab");
        h->id.kernel_size = 8247232;
        h->id.layout = 0xabcdef;
        h->id.store_base = RAM0_BASE;
        h->id.store_size = RAM0_SIZE;
}

static void ram_part(struct sw_snap_part *p)
{
        memset(p, 0, sizeof(*p));
        p->type = SW_SNAP_PART_RAM;
        p->unit = 1;
        p->nranges = 2;
        p->range[0] = (struct sw_snap_range){ RAM0_BASE, RAM0_SIZE, SW_SNAP_RANGE_RAM };
        p->range[1] = (struct sw_snap_range){ LOW_BASE, LOW_SIZE, SW_SNAP_RANGE_LOW };
}

static void fs_part(struct sw_snap_part *p)
{
        memset(p, 0, sizeof(*p));
        p->type = SW_SNAP_PART_FS;
        p->unit = BLOCK;
        p->nranges = 1;
        p->range[0] = (struct sw_snap_range){ 0, FS_BLOCKS, SW_SNAP_RANGE_FS };
}

/*
 * Writes the test snapshot for slot into out: RAM pages 0, 2, 3 (page 1 is
 * zero and left out) and the low page; FS blocks 0-3 and 9 (the others are
 * free).  Returns its size.
 */
static size_t write_snapshot(uint8_t *out, size_t cap_len, const char *slot, uint8_t hash[SW_SHA256_LEN])
{
        struct mem_out m = { out, cap_len, 0 };
        struct sw_snap_sink sink = { mem_write, &m };
        struct sw_snap_writer w;
        struct sw_snap_header h;
        struct sw_snap_part p;
        uint64_t size;

        make_header(&h, slot);
        assert_int_equal(sw_snap_write_begin(&w, &sink, &h, WHAT, &diag), 0);
        ram_part(&p);
        assert_int_equal(sw_snap_write_part(&w, &p), 0);
        assert_int_equal(sw_snap_write_extent(&w, 0, 0, 4096), 0);
        assert_int_equal(sw_snap_write_data(&w, ram0, 1000), 0);
        assert_int_equal(sw_snap_write_data(&w, ram0 + 1000, 3096), 0);
        assert_int_equal(sw_snap_write_extent(&w, 0, 8192, 8192), 0);
        assert_int_equal(sw_snap_write_data(&w, ram0 + 8192, 8192), 0);
        assert_int_equal(sw_snap_write_extent(&w, 1, 0, LOW_SIZE), 0);
        assert_int_equal(sw_snap_write_data(&w, low, LOW_SIZE), 0);
        assert_int_equal(sw_snap_write_part_end(&w, NULL), 0);
        fs_part(&p);
        assert_int_equal(sw_snap_write_part(&w, &p), 0);
        assert_int_equal(sw_snap_write_extent(&w, 0, 0, 4), 0);
        assert_int_equal(sw_snap_write_data(&w, fs, 4 * BLOCK), 0);
        assert_int_equal(sw_snap_write_extent(&w, 0, 9, 1), 0);
        assert_int_equal(sw_snap_write_data(&w, fs + 9 * BLOCK, BLOCK), 0);
        assert_int_equal(sw_snap_write_part_end(&w, NULL), 0);
        assert_int_equal(sw_snap_write_end(&w, &size, hash), 0);
        assert_int_equal(size, m.len);
        assert_int_equal(cap.n, 0);
        return m.len;
}

static int setup(void **state)
{
        for (size_t i = 0; i < sizeof(ram0); i++)
                ram0[i] = (uint8_t)(i * 7 + 1);
        memset(ram0 + 4096, 0, 4096);
        for (size_t i = 0; i < sizeof(low); i++)
                low[i] = (uint8_t)(i ^ 0x5a);
        memset(fs, 0, sizeof(fs));
        for (size_t i = 0; i < 4 * BLOCK; i++)
                fs[i] = (uint8_t)(i * 13 + 3);
        memset(fs + 9 * BLOCK, 0xe5, BLOCK);
        reset_diag();
        snap_len = write_snapshot(snap, sizeof(snap), "lab", NULL);
        return 0;
}

/* What a restore does: RAM and FS images rebuilt from data and gaps. */
struct rebuilt {
        uint8_t ram0[RAM0_SIZE], low[LOW_SIZE], fs[FS_BLOCKS * BLOCK];
        unsigned parts, ends, gaps;
        uint64_t gap_units;
};

static uint8_t *target(struct rebuilt *r, const struct sw_snap_part *p, unsigned range)
{
        if (p->type == SW_SNAP_PART_FS)
                return r->fs;
        return range == 0 ? r->ram0 : r->low;
}

static int on_part(void *ctx, const struct sw_snap_part *p)
{
        ((struct rebuilt *)ctx)->parts++;
        return 0;
}

static int on_data(void *ctx, const struct sw_snap_part *p, unsigned range, uint64_t at, const void *buf, size_t len)
{
        memcpy(target(ctx, p, range) + at, buf, len);
        return 0;
}

static int on_gap(void *ctx, const struct sw_snap_part *p, unsigned range, uint64_t offset, uint64_t count)
{
        struct rebuilt *r = ctx;

        memset(target(r, p, range) + offset * p->unit, 0, count * p->unit);
        r->gaps++;
        r->gap_units += count;
        return 0;
}

static int on_end(void *ctx, const struct sw_snap_part *p)
{
        ((struct rebuilt *)ctx)->ends++;
        return 0;
}

/* Walks buf (len bytes), chunk bytes per read, with the scratch size given. */
static int walk(const uint8_t *buf, size_t len, size_t chunk, size_t scratch, const struct sw_snap_visitor *v,
                const uint8_t *expect, struct sw_snap_info *info)
{
        struct mem_in m = { buf, len, 0, chunk };
        struct sw_snap_source src = { mem_read, &m };

        reset_diag();
        return sw_snap_walk(&src, v, work, scratch, expect, info, WHAT, &diag);
}

/* Walks a damaged copy and checks the one message it gives. */
static void expect_refusal(const uint8_t *buf, size_t len, const char *msg)
{
        static struct sw_snap_info info;

        assert_int_equal(walk(buf, len, 0, sizeof(work), NULL, NULL, &info), -1);
        assert_int_equal(cap.n, 1);
        assert_int_equal(cap.sev[0], SW_ERROR);
        assert_string_equal(cap.msg[0], msg);
}

static void test_roundtrip(void **state)
{
        static struct rebuilt r;
        static struct sw_snap_info info;
        struct sw_snap_visitor v = { on_part, on_data, on_gap, on_end, &r };
        uint8_t hash[SW_SHA256_LEN];
        static const size_t chunks[] = { 0, 1, 7, 4096 };
        static const size_t scratch[] = { 512, 777, sizeof(work) };

        reset_diag();
        write_snapshot(work, sizeof(work), "lab", hash);
        for (unsigned c = 0; c < 4; c++)
                for (unsigned s = 0; s < 3; s++) {
                        memset(&r, 0xcc, sizeof(r));
                        r.parts = r.ends = r.gaps = 0;
                        r.gap_units = 0;
                        assert_int_equal(walk(snap, snap_len, chunks[c], scratch[s], &v, hash, &info), 0);
                        assert_int_equal(cap.n, 0);
                        assert_memory_equal(r.ram0, ram0, sizeof(ram0));
                        assert_memory_equal(r.low, low, sizeof(low));
                        assert_memory_equal(r.fs, fs, sizeof(fs));
                        assert_int_equal(r.parts, 2);
                        assert_int_equal(r.ends, 2);
                        /* RAM page 1; FS blocks 4-8 and 10-15. */
                        assert_int_equal(r.gaps, 3);
                        assert_int_equal(r.gap_units, 4096 + 5 + 6);
                }
        assert_memory_equal(info.sha256, hash, SW_SHA256_LEN);
        assert_int_equal(info.file_size, snap_len);
        assert_int_equal(info.nparts, 2);
        assert_string_equal(info.hdr.id.slot, "lab");
        assert_string_equal(info.hdr.id.kernel, "6.1.0-28-amd64");
        assert_string_equal(info.hdr.id.partition, "PARTLABEL=lab");
        assert_int_equal(info.hdr.flags, SW_SNAP_IN_PLACE);
        assert_int_equal(info.hdr.waking_vector, 0x9a000);
        assert_int_equal(info.hdr.created, 1790000000);
        assert_int_equal(info.hdr.config_hash, 0x1122334455667788ULL);
        assert_int_equal(info.hdr.id.store_base, RAM0_BASE);
        assert_int_equal(info.part[0].nextents, 3);
        assert_int_equal(info.part[0].data_bytes, 3 * 4096 + LOW_SIZE);
        assert_int_equal(info.part[0].offset, SW_SNAP_HEADER_SIZE);
        assert_int_equal(info.part[1].type, SW_SNAP_PART_FS);
        assert_int_equal(info.part[1].unit, BLOCK);
        assert_int_equal(info.part[1].range[0].size, FS_BLOCKS);
        assert_int_equal(info.part[1].data_bytes, 5 * BLOCK);
        assert_int_equal(snap_len, SW_SNAP_HEADER_SIZE + 2 * (SW_SNAP_PART_SIZE + SW_SNAP_PART_END_SIZE) +
                                           5 * SW_SNAP_EXTENT_SIZE + 3 * 4096 + LOW_SIZE + 5 * BLOCK +
                                           SW_SNAP_TRAILER_SIZE);
        /* Without a visitor it is the checking pass alone. */
        assert_int_equal(walk(snap, snap_len, 0, sizeof(work), NULL, NULL, &info), 0);
}

/* Offsets of the test file's pieces, from the layout. */
#define PART1 SW_SNAP_HEADER_SIZE
#define PART1_DATA (PART1 + SW_SNAP_PART_SIZE + SW_SNAP_EXTENT_SIZE)
#define PART1_END (PART1 + SW_SNAP_PART_SIZE + 3 * SW_SNAP_EXTENT_SIZE + 3 * 4096 + LOW_SIZE)
#define PART2 (PART1_END + SW_SNAP_PART_END_SIZE)
#define PART2_DATA (PART2 + SW_SNAP_PART_SIZE + SW_SNAP_EXTENT_SIZE)
#define PART2_END (PART2 + SW_SNAP_PART_SIZE + 2 * SW_SNAP_EXTENT_SIZE + 5 * BLOCK)
#define TRAILER (PART2_END + SW_SNAP_PART_END_SIZE)

static void flip(size_t off)
{
        memcpy(work, snap, snap_len);
        work[off] ^= 0x10;
}

static void test_damage(void **state)
{
        static uint8_t copy[sizeof(snap)];
        char msg[256];

        assert_int_equal(TRAILER + SW_SNAP_TRAILER_SIZE, snap_len);
        flip(100);
        memcpy(copy, work, snap_len);
        expect_refusal(copy, snap_len, WHAT ": offset 480: header hash mismatch (the header is damaged)");
        flip(PART1_DATA + 5000);
        memcpy(copy, work, snap_len);
        snprintf(msg, sizeof(msg), WHAT ": offset %d: part 1 (ram) hash mismatch (its data is damaged)", PART1_END + 24);
        expect_refusal(copy, snap_len, msg);
        flip(PART2_DATA + 10);
        memcpy(copy, work, snap_len);
        snprintf(msg, sizeof(msg), WHAT ": offset %d: part 2 (fs) hash mismatch (its data is damaged)", PART2_END + 24);
        expect_refusal(copy, snap_len, msg);
        flip(TRAILER + 20);
        memcpy(copy, work, snap_len);
        snprintf(msg, sizeof(msg),
                 WHAT ": offset %d: trailer hash mismatch (the parts do not belong to this header)", TRAILER + 16);
        expect_refusal(copy, snap_len, msg);

        /* Another slot's header on this file's parts: each piece is right
         * for itself, only the trailer binds them. */
        reset_diag();
        write_snapshot(copy, sizeof(copy), "ctl", NULL);
        memcpy(copy + SW_SNAP_HEADER_SIZE, snap + SW_SNAP_HEADER_SIZE, snap_len - SW_SNAP_HEADER_SIZE);
        expect_refusal(copy, snap_len, msg);

        /* An extent record pointing outside its range. */
        memcpy(copy, snap, snap_len);
        copy[PART1 + SW_SNAP_PART_SIZE + 16 + 2] = 0x40;        /* count 0x401000 */
        snprintf(msg, sizeof(msg),
                 WHAT ": offset %d: part 1 (ram) extent 1: offset 0 count 4198400 lies outside range 0 (16384 units)",
                 PART1 + SW_SNAP_PART_SIZE + 8);
        expect_refusal(copy, snap_len, msg);
        /* A part that is neither RAM nor FS. */
        memcpy(copy, snap, snap_len);
        copy[PART2 + 4] = 3;
        snprintf(msg, sizeof(msg), WHAT ": offset %d: part 2: field 'type' is 3, expected 1 (ram) or 2 (fs)", PART2 + 4);
        expect_refusal(copy, snap_len, msg);
        /* The part-end count disagrees. */
        memcpy(copy, snap, snap_len);
        copy[PART2_END + 8] = 9;
        snprintf(msg, sizeof(msg),
                 WHAT ": offset %d: part 2 (fs) end says 9 extents and 5120 data bytes, the part has 2 and 5120",
                 PART2_END);
        expect_refusal(copy, snap_len, msg);
        /* A byte after the end. */
        memcpy(copy, snap, snap_len);
        copy[snap_len] = 0;
        snprintf(msg, sizeof(msg), WHAT ": offset %zu: bytes after the trailer (the snapshot ends there)", snap_len);
        expect_refusal(copy, snap_len + 1, msg);
}

static void test_truncated(void **state)
{
        static struct sw_snap_info info;
        char msg[256];

        /* Every length short of the whole file is refused with one message. */
        for (size_t n = 0; n < snap_len; n++) {
                assert_int_equal(walk(snap, n, 0, 512, NULL, NULL, &info), -1);
                assert_int_equal(cap.n, 1);
                assert_non_null(strstr(cap.msg[0], "truncated"));
        }
        expect_refusal(snap, 100, WHAT ": offset 0: truncated: 100 bytes, less than a snapshot header (512)");
        snprintf(msg, sizeof(msg), WHAT ": offset %d: truncated: the file ends inside part 1 (ram) extent 2",
                 PART1_DATA + 4096 + 100);
        expect_refusal(snap, PART1_DATA + 4096 + 100, msg);
        snprintf(msg, sizeof(msg), WHAT ": offset %d: truncated: the file ends inside part 2's header", PART2 + 10);
        expect_refusal(snap, PART2 + 10, msg);
        snprintf(msg, sizeof(msg), WHAT ": offset %d: truncated: the file ends inside the trailer", TRAILER);
        expect_refusal(snap, TRAILER, msg);
}

static void test_changed_between_passes(void **state)
{
        static struct sw_snap_info info;
        uint8_t other[SW_SHA256_LEN];

        memset(other, 0x42, sizeof(other));
        assert_int_equal(walk(snap, snap_len, 0, sizeof(work), NULL, other, &info), -1);
        assert_string_equal(cap.msg[0], WHAT ": the snapshot changed since it was verified");
}

/* A header encoded from h (its hash made right) then decoded. */
static int decode_encoded(struct sw_snap_header *h, uint8_t *buf, size_t at, uint8_t val)
{
        struct sw_snap_header out;

        sw_snap_header_encode(h, buf);
        if (at) {
                buf[at] = val;
                sw_sha256(buf, 480, buf + 480);
        }
        reset_diag();
        return sw_snap_header_decode(buf, SW_SNAP_HEADER_SIZE, &out, WHAT, &diag);
}

static void test_header_fields(void **state)
{
        uint8_t b[SW_SNAP_HEADER_SIZE];
        struct sw_snap_header h, out;

        make_header(&h, "lab");
        assert_int_equal(decode_encoded(&h, b, 0, 0), 0);
        assert_int_equal(sw_snap_header_decode(b, sizeof(b), &out, WHAT, &diag), 0);
        assert_memory_equal(&out.id, &h.id, sizeof(h.id));
        assert_memory_equal(out.sha256, b + 480, SW_SHA256_LEN);

        h.nparts = 9;
        assert_int_equal(decode_encoded(&h, b, 0, 0), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 20: header field 'nparts' is 9, expected 1 to 4");
        make_header(&h, "lab");
        h.flags = 6;
        assert_int_equal(decode_encoded(&h, b, 0, 0), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 16: header field 'flags' is 0x6, unknown bits 0x6");
        make_header(&h, "");
        assert_int_equal(decode_encoded(&h, b, 0, 0), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 96: header field 'slot' is empty");
        make_header(&h, "lab");
        assert_int_equal(decode_encoded(&h, b, 300, 1), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 288: reserved header bytes are not zero (a newer format?)");
        assert_int_equal(decode_encoded(&h, b, 161, 0x07), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 161: header field 'kernel' has a non-printable byte 0x07");
        assert_int_equal(decode_encoded(&h, b, 250, 'x'), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 237: header field 'partition' is not NUL padded");
        sw_snap_header_encode(&h, b);
        memset(b + 96, 'a', 64);
        sw_sha256(b, 480, b + 480);
        reset_diag();
        assert_int_equal(sw_snap_header_decode(b, sizeof(b), &out, WHAT, &diag), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 96: header field 'slot' has no NUL in its 64 bytes");

        /* Magic, version and size come before the hash: they say what the file is. */
        sw_snap_header_encode(&h, b);
        b[3] = 'x';
        reset_diag();
        assert_int_equal(sw_snap_header_decode(b, sizeof(b), &out, WHAT, &diag), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 0: not a snapshot (magic is not 'SWSNAPv1')");
        sw_snap_header_encode(&h, b);
        b[8] = 2;
        reset_diag();
        assert_int_equal(sw_snap_header_decode(b, sizeof(b), &out, WHAT, &diag), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 8: header field 'version' is 2, this switcher reads 1");
        sw_snap_header_encode(&h, b);
        b[13] = 1;
        reset_diag();
        assert_int_equal(sw_snap_header_decode(b, sizeof(b), &out, WHAT, &diag), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 12: header field 'header_size' is 256, expected 512");
}

/* The writer refuses what the reader would, with the reader's message. */
static void test_writer_refuses(void **state)
{
        struct mem_out m = { work, sizeof(work), 0 };
        struct sw_snap_sink sink = { mem_write, &m };
        struct sw_snap_writer w;
        struct sw_snap_header h;
        struct sw_snap_part p;
        uint8_t page[4096] = { 0 };

        reset_diag();
        make_header(&h, "lab");
        assert_int_equal(sw_snap_write_begin(&w, &sink, &h, WHAT, &diag), 0);
        ram_part(&p);
        p.range[1].addr = RAM0_BASE + 4096;
        assert_int_equal(sw_snap_write_part(&w, &p), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 552: part 1 (ram): range 1 at 0x101000 overlaps or precedes range 0");
        assert_int_equal(sw_snap_write_end(&w, NULL, NULL), -1);
        assert_int_equal(cap.n, 1);     /* after a failure, nothing more is said */

        reset_diag();
        m.len = 0;
        assert_int_equal(sw_snap_write_begin(&w, &sink, &h, WHAT, &diag), 0);
        ram_part(&p);
        assert_int_equal(sw_snap_write_part(&w, &p), 0);
        assert_int_equal(sw_snap_write_extent(&w, 0, 8192, 4096), 0);
        assert_int_equal(sw_snap_write_data(&w, page, 4096), 0);
        assert_int_equal(sw_snap_write_extent(&w, 0, 4096, 4096), -1);
        assert_string_equal(cap.msg[0],
                            WHAT ": offset 4844: part 1 (ram) extent 2: range 0 offset 4096 overlaps or precedes the previous extent");

        reset_diag();
        m.len = 0;
        assert_int_equal(sw_snap_write_begin(&w, &sink, &h, WHAT, &diag), 0);
        assert_int_equal(sw_snap_write_part(&w, &p), 0);
        assert_int_equal(sw_snap_write_extent(&w, 1, 0, 100), 0);
        assert_int_equal(sw_snap_write_data(&w, page, 101), -1);
        assert_string_equal(cap.msg[0], WHAT ": part 1 extent 1: 101 bytes of data, the extent needs 100 more");

        reset_diag();
        m.len = 0;
        assert_int_equal(sw_snap_write_begin(&w, &sink, &h, WHAT, &diag), 0);
        assert_int_equal(sw_snap_write_part(&w, &p), 0);
        assert_int_equal(sw_snap_write_extent(&w, 1, 0, 100), 0);
        assert_int_equal(sw_snap_write_part_end(&w, NULL), -1);
        assert_string_equal(cap.msg[0], WHAT ": part 1 extent 1: 100 bytes of data missing");

        reset_diag();
        m.len = 0;
        assert_int_equal(sw_snap_write_begin(&w, &sink, &h, WHAT, &diag), 0);
        assert_int_equal(sw_snap_write_part(&w, &p), 0);
        assert_int_equal(sw_snap_write_part_end(&w, NULL), 0);
        assert_int_equal(sw_snap_write_part(&w, &p), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 780: part 2 (ram): a second ram part");

        reset_diag();
        m.len = 0;
        assert_int_equal(sw_snap_write_begin(&w, &sink, &h, WHAT, &diag), 0);
        fs_part(&p);
        p.unit = 3000;
        assert_int_equal(sw_snap_write_part(&w, &p), -1);
        assert_string_equal(cap.msg[0], WHAT ": offset 520: part 1 (fs): field 'unit' is 3000, expected a block size "
                                        "(a power of two, 1024 to 65536)");

        reset_diag();
        m.len = 0;
        assert_int_equal(sw_snap_write_begin(&w, &sink, &h, WHAT, &diag), 0);
        fs_part(&p);
        assert_int_equal(sw_snap_write_part(&w, &p), 0);
        assert_int_equal(sw_snap_write_part_end(&w, NULL), 0);
        assert_int_equal(sw_snap_write_end(&w, NULL, NULL), -1);
        assert_string_equal(cap.msg[0], WHAT ": 1 parts written, the header announced 2");

        /* A header the reader would refuse is never written. */
        reset_diag();
        m.len = 0;
        h.flags = 0x80;
        assert_int_equal(sw_snap_write_begin(&w, &sink, &h, WHAT, &diag), -1);
        assert_int_equal(m.len, 0);
        assert_string_equal(cap.msg[0], WHAT ": offset 16: header field 'flags' is 0x80, unknown bits 0x80");
}

static void test_config_hash(void **state)
{
        static struct sw_config c;
        struct sw_slot_config *s = &c.slots[0];
        uint64_t a;

        memset(&c, 0, sizeof(c));
        c.active_size = 256ULL << 20;
        s->mode = SW_MODE_SWAP;
        s->arch = SW_ARCH_X86_64;
        a = sw_snap_config_hash(&c, s);
        assert_int_equal(a, sw_snap_config_hash(&c, s));
        c.active_size = 512ULL << 20;
        assert_int_not_equal(a, sw_snap_config_hash(&c, s));
        c.active_size = 256ULL << 20;
        s->memory = 128ULL << 20;
        assert_int_not_equal(a, sw_snap_config_hash(&c, s));
        s->memory = 0;
        s->mode = SW_MODE_IN_PLACE;
        assert_int_not_equal(a, sw_snap_config_hash(&c, s));
        assert_string_equal(sw_snap_part_name(SW_SNAP_PART_FS), "fs");
        assert_string_equal(sw_snap_part_name(7), "unknown");
        assert_string_equal(sw_snap_range_name(SW_SNAP_RANGE_LOW), "low");
        assert_string_equal(sw_snap_range_name(SW_SNAP_RANGE_DMA32), "dma32");
        assert_string_equal(sw_snap_range_name(6), "unknown");
}

/* Gaps of a part whose middle range has no extent, and a callback that stops the walk. */
struct gap_log {
        unsigned n, stop_at;
        unsigned range[8];
        uint64_t offset[8], count[8];
};

static int log_gap(void *ctx, const struct sw_snap_part *p, unsigned range, uint64_t offset, uint64_t count)
{
        struct gap_log *g = ctx;

        if (g->n < 8) {
                g->range[g->n] = range;
                g->offset[g->n] = offset;
                g->count[g->n] = count;
        }
        return ++g->n == g->stop_at ? -1 : 0;
}

static void test_gaps_and_stop(void **state)
{
        struct mem_out m = { snap, sizeof(snap), 0 };
        struct sw_snap_sink sink = { mem_write, &m };
        struct sw_snap_visitor v = { NULL, NULL, log_gap, NULL, NULL };
        static struct sw_snap_info info;
        struct gap_log g = { 0 };
        struct sw_snap_writer w;
        struct sw_snap_header h;
        struct sw_snap_part p;

        reset_diag();
        make_header(&h, "lab");
        h.nparts = 1;
        ram_part(&p);
        p.nranges = 3;
        p.range[1] = (struct sw_snap_range){ 0x200000, 8192, SW_SNAP_RANGE_DMA32 };
        p.range[2] = (struct sw_snap_range){ LOW_BASE, LOW_SIZE, SW_SNAP_RANGE_LOW };
        assert_int_equal(sw_snap_write_begin(&w, &sink, &h, WHAT, &diag), 0);
        assert_int_equal(sw_snap_write_part(&w, &p), 0);
        assert_int_equal(sw_snap_write_extent(&w, 0, 4096, 4096), 0);
        assert_int_equal(sw_snap_write_data(&w, ram0, 4096), 0);
        assert_int_equal(sw_snap_write_extent(&w, 2, 0, 100), 0);
        assert_int_equal(sw_snap_write_data(&w, low, 100), 0);
        assert_int_equal(sw_snap_write_part_end(&w, NULL), 0);
        assert_int_equal(sw_snap_write_end(&w, NULL, NULL), 0);
        v.ctx = &g;
        assert_int_equal(walk(snap, m.len, 0, 512, &v, NULL, &info), 0);
        /* Range 0 before and after its extent, all of range 1, the tail of range 2. */
        assert_int_equal(g.n, 4);
        assert_int_equal(g.range[0], 0);
        assert_int_equal(g.offset[0], 0);
        assert_int_equal(g.count[0], 4096);
        assert_int_equal(g.range[1], 0);
        assert_int_equal(g.offset[1], 8192);
        assert_int_equal(g.count[1], RAM0_SIZE - 8192);
        assert_int_equal(g.range[2], 1);
        assert_int_equal(g.count[2], 8192);
        assert_int_equal(g.range[3], 2);
        assert_int_equal(g.offset[3], 100);
        assert_int_equal(g.count[3], LOW_SIZE - 100);

        /* A callback's -1 stops the walk; it said why itself, the walk adds nothing. */
        memset(&g, 0, sizeof(g));
        g.stop_at = 2;
        assert_int_equal(walk(snap, m.len, 0, 512, &v, NULL, &info), -1);
        assert_int_equal(g.n, 2);
        assert_int_equal(cap.n, 0);

        /* Range 1 is a DMA32 window (kind 5); a kind the format does not
         * know is refused with the ones it does.  Its kind field lies after
         * the header, the part's first 16 bytes and range 0 (24). */
        assert_int_equal(info.part[0].range[1].kind, SW_SNAP_RANGE_DMA32);
        snap[SW_SNAP_HEADER_SIZE + 16 + 24 + 16] = 6;
        expect_refusal(snap, m.len, "lab.snap: offset 568: part 1 (ram): range 1: field 'kind' is 6, expected 1 "
                                    "(store), 2 (ram), 3 (low) or 5 (dma32)");
}

/*
 * The RAM hash the agent computes from a snapshot stream (extents and the
 * zeros between them, in pieces of any size) is the one the switcher
 * computes over the store in memory; a changed byte or length changes it.
 */
static void test_ram_hash(void **state)
{
        static struct sw_snap_ram_hash s;
        static uint8_t mem[3 * SW_SNAP_RAM_HASH_BLOCK + 1000];
        const uint64_t len = sizeof(mem);
        uint64_t want;
        (void)state;

        for (size_t i = 0; i < sizeof(mem); i++)
                mem[i] = (uint8_t)(i * 7 + (i >> 9));
        /* Two runs of zeros, one across a block edge. */
        memset(mem + 5000, 0, 9000);
        memset(mem + SW_SNAP_RAM_HASH_BLOCK - 300, 0, 70000);
        want = sw_snap_ram_hash_mem(mem, len);

        /* Streamed in odd pieces, the zero runs given as gaps. */
        sw_snap_ram_hash_init(&s);
        sw_snap_ram_hash_add(&s, mem, 5000);
        sw_snap_ram_hash_add(&s, NULL, 9000);
        for (uint64_t at = 14000; at < SW_SNAP_RAM_HASH_BLOCK - 300; at += 777) {
                uint64_t n = SW_SNAP_RAM_HASH_BLOCK - 300 - at < 777 ? SW_SNAP_RAM_HASH_BLOCK - 300 - at : 777;

                sw_snap_ram_hash_add(&s, mem + at, n);
        }
        sw_snap_ram_hash_add(&s, NULL, 70000);
        sw_snap_ram_hash_add(&s, mem + SW_SNAP_RAM_HASH_BLOCK - 300 + 70000, len - (SW_SNAP_RAM_HASH_BLOCK - 300 + 70000));
        assert_int_equal(s.bytes, len);
        assert_true(sw_snap_ram_hash_final(&s) == want);

        /* One byte, or one byte more, is another hash. */
        mem[len - 1] ^= 1;
        assert_true(sw_snap_ram_hash_mem(mem, len) != want);
        mem[len - 1] ^= 1;
        assert_true(sw_snap_ram_hash_mem(mem, len - 1) != want);
        /* Nothing hashed is 0 both ways. */
        sw_snap_ram_hash_init(&s);
        assert_true(sw_snap_ram_hash_final(&s) == sw_snap_ram_hash_mem(mem, 0));
}

/* The fit of a snapshot's header to a slot as it runs now: the shared
 * check of the adoption and of the start-up restore. */
static void test_header_fits(void **state)
{
        static struct sw_config c;
        struct sw_slot_config *s = &c.slots[0];
        struct sw_snap_header h;
        struct sw_save_identity now;
        char why[256];

        (void)state;
        memset(&c, 0, sizeof(c));
        c.active_size = 256ULL << 20;
        snprintf(c.filename, sizeof(c.filename), "p.conf");
        snprintf(s->id, sizeof(s->id), "lab");
        s->part_kind = SW_PART_LABEL;
        snprintf(s->partition, sizeof(s->partition), "lab");
        make_header(&h, "lab");
        h.flags = 0;
        h.config_hash = sw_snap_config_hash(&c, s);
        sw_save_identity_make(&now, s, "6.1.0-28-amd64", 8247232, "e820", 4, RAM0_BASE, RAM0_SIZE);
        h.id = now;
        assert_int_equal(sw_snap_header_fits(&h, &c, s, &now, why, sizeof(why)), 0);

        snprintf(h.id.slot, sizeof(h.id.slot), "ctl");
        assert_int_equal(sw_snap_header_fits(&h, &c, s, &now, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot is of slot 'ctl', not 'lab'");
        h.id = now;
        h.flags = SW_SNAP_IN_PLACE;
        assert_int_equal(sw_snap_header_fits(&h, &c, s, &now, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot is of an in-place slot; 'lab' is a swap slot");
        /* And the other way round; an in-place slot takes its own. */
        s->mode = SW_MODE_IN_PLACE;
        h.config_hash = sw_snap_config_hash(&c, s);
        assert_int_equal(sw_snap_header_fits(&h, &c, s, &now, why, sizeof(why)), 0);
        h.flags = 0;
        assert_int_equal(sw_snap_header_fits(&h, &c, s, &now, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot is of a swap slot; 'lab' runs in place");
        s->mode = SW_MODE_SWAP;
        h.config_hash = sw_snap_config_hash(&c, s);
        h.id.layout ^= 1;
        assert_int_equal(sw_snap_header_fits(&h, &c, s, &now, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "snapshot does not fit 'lab' now: "));
        h.id = now;
        c.active_size = 512ULL << 20;
        assert_int_equal(sw_snap_header_fits(&h, &c, s, &now, why, sizeof(why)), -1);
        assert_string_equal(why, "snapshot was taken with other memory settings (mode, arch, memory or active-size)");
        c.active_size = 256ULL << 20;
        h.waking_vector = 0x100000;
        assert_int_equal(sw_snap_header_fits(&h, &c, s, &now, why, sizeof(why)), -1);
        assert_string_equal(why, "snapshot's waking vector 0x100000 is not a real-mode address");
}

/* Where the start-up restore puts the parts: the slot's RAM ranges, and a
 * file system exactly when there is a partition, no larger than it. */
static void test_parts_fit(void **state)
{
        static struct sw_snap_info info;
        struct sw_snap_range store = { RAM0_BASE, RAM0_SIZE, SW_SNAP_RANGE_STORE };
        char why[256];

        (void)state;
        memset(&info, 0, sizeof(info));
        info.nparts = 2;
        info.part[0].type = SW_SNAP_PART_RAM;
        info.part[0].unit = 1;
        info.part[0].nranges = 1;
        info.part[0].range[0] = store;
        fs_part(&info.part[1]);
        assert_int_equal(sw_snap_parts_fit(&info, &store, 1, FS_BLOCKS * BLOCK, why, sizeof(why)), 0);
        assert_int_equal(sw_snap_parts_fit(&info, &store, 1, FS_BLOCKS * BLOCK + 512, why, sizeof(why)), 0);
        assert_int_equal(sw_snap_parts_fit(&info, &store, 1, FS_BLOCKS * BLOCK - 512, why, sizeof(why)), -1);
        assert_string_equal(why, "the partition is 15872 bytes, the snapshot's file system needs 16384");
        assert_int_equal(sw_snap_parts_fit(&info, &store, 1, 0, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot holds a file system, and the slot has no partition");
        store.addr += 4096;
        assert_int_equal(sw_snap_parts_fit(&info, &store, 1, FS_BLOCKS * BLOCK, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot's RAM range 0 (store) is 0x100000, 16384 bytes; the slot's is "
                                 "0x101000, 16384 bytes (store) now");
        store.addr -= 4096;
        info.nparts = 1;
        assert_int_equal(sw_snap_parts_fit(&info, &store, 1, 0, why, sizeof(why)), 0);
        /* An in-place slot's ranges for a swap slot's store. */
        ram_part(&info.part[0]);
        assert_int_equal(sw_snap_parts_fit(&info, &store, 1, 0, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot holds 2 RAM range(s) (ram, low); the slot has 1 now (store)");
        /* No RAM part at all. */
        info.part[0] = info.part[1];
        fs_part(&info.part[0]);
        assert_int_equal(sw_snap_parts_fit(&info, &store, 1, FS_BLOCKS * BLOCK, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot holds no RAM");
}

/* An in-place slot above 4 GiB with a DMA32 window, as the planner places it. */
static const struct sw_slot_plan in_place_plan = {
        .id = "lab", .placed = true, .in_place = true,
        .store_base = 0x180000000ULL, .store_size = SW_INPLACE_LOW + (192ULL << 20),
        .dma32_base = 0x6b600000ULL, .dma32_size = 256ULL << 20,
};

/* The RAM a snapshot of a slot holds: a swap slot's store; an in-place
 * slot's window, low memory and own RAM, in address order. */
static void test_slot_ram(void **state)
{
        struct sw_slot_plan sp = in_place_plan;
        struct sw_snap_range r[SW_SNAP_SLOT_RANGES];

        (void)state;
        assert_int_equal(sw_snap_slot_ram(&sp, r), 3);
        assert_int_equal(r[0].kind, SW_SNAP_RANGE_DMA32);
        assert_true(r[0].addr == 0x6b600000ULL && r[0].size == 256ULL << 20);
        assert_int_equal(r[1].kind, SW_SNAP_RANGE_LOW);
        assert_true(r[1].addr == 0x180000000ULL && r[1].size == SW_INPLACE_LOW);
        assert_int_equal(r[2].kind, SW_SNAP_RANGE_RAM);
        assert_true(r[2].addr == 0x180000000ULL + SW_INPLACE_LOW && r[2].size == 192ULL << 20);
        /* No window (own RAM below 4 GiB, or dma32-size 0). */
        sp.dma32_size = 0;
        assert_int_equal(sw_snap_slot_ram(&sp, r), 2);
        assert_int_equal(r[0].kind, SW_SNAP_RANGE_LOW);
        assert_int_equal(r[1].kind, SW_SNAP_RANGE_RAM);
        /* A window above the store still comes in address order. */
        sp.dma32_size = 1ULL << 20;
        sp.dma32_base = 0x200000000ULL;
        assert_int_equal(sw_snap_slot_ram(&sp, r), 3);
        assert_int_equal(r[2].kind, SW_SNAP_RANGE_DMA32);
        /* A swap slot: its store. */
        sp = in_place_plan;
        sp.in_place = false;
        assert_int_equal(sw_snap_slot_ram(&sp, r), 1);
        assert_int_equal(r[0].kind, SW_SNAP_RANGE_STORE);
        assert_true(r[0].addr == sp.store_base && r[0].size == sp.store_size);
        sp.placed = false;
        assert_int_equal(sw_snap_slot_ram(&sp, r), 0);
}

/* A snapshot of an in-place slot fits it only with every range the same:
 * each refusal names both sides. */
static void test_ram_fits_in_place(void **state)
{
        static struct sw_snap_info info;
        struct sw_snap_range want[SW_SNAP_SLOT_RANGES];
        struct sw_slot_plan sp = in_place_plan;
        unsigned n = sw_snap_slot_ram(&sp, want);
        char why[300];

        (void)state;
        memset(&info, 0, sizeof(info));
        info.nparts = 2;
        info.part[0].type = SW_SNAP_PART_RAM;
        info.part[0].unit = 1;
        info.part[0].nranges = n;
        memcpy(info.part[0].range, want, sizeof(want));
        fs_part(&info.part[1]);
        assert_int_equal(sw_snap_ram_fits(&info, want, n, why, sizeof(why)), 0);
        assert_int_equal(sw_snap_parts_fit(&info, want, n, FS_BLOCKS * BLOCK, why, sizeof(why)), 0);

        /* The window moved (another slot order or machine): both addresses. */
        info.part[0].range[0].addr -= 0x10000000;
        assert_int_equal(sw_snap_ram_fits(&info, want, n, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot's RAM range 0 (dma32) is 0x5b600000, 268435456 bytes; the slot's is "
                                 "0x6b600000, 268435456 bytes (dma32) now");
        info.part[0].range[0] = want[0];
        /* Another memory size: the own RAM differs. */
        info.part[0].range[2].size += 4096;
        assert_int_equal(sw_snap_parts_fit(&info, want, n, FS_BLOCKS * BLOCK, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot's RAM range 2 (ram) is 0x180200000, 201330688 bytes; the slot's is "
                                 "0x180200000, 201326592 bytes (ram) now");
        info.part[0].range[2] = want[2];
        /* The same addresses under another kind. */
        info.part[0].range[1].kind = SW_SNAP_RANGE_STORE;
        assert_int_equal(sw_snap_ram_fits(&info, want, n, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "range 1 (store)"));
        info.part[0].range[1] = want[1];
        /* Taken without a window, restored with one (dma32-size changed). */
        info.part[0].nranges = 2;
        info.part[0].range[0] = want[1];
        info.part[0].range[1] = want[2];
        info.part[0].range[2] = (struct sw_snap_range){ 0 };
        assert_int_equal(sw_snap_ram_fits(&info, want, n, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot holds 2 RAM range(s) (low, ram); the slot has 3 now (dma32, low, ram)");
}

/* The start-up restore's whole check: slot and mode first, then the RAM
 * ranges (named with both addresses even when the identity differs too),
 * then the identity and the file system. */
static void test_fits_in_place(void **state)
{
        static struct sw_config c;
        static struct sw_snap_info info;
        struct sw_slot_config *s = &c.slots[0];
        struct sw_slot_plan sp = in_place_plan;
        struct sw_snap_range want[SW_SNAP_SLOT_RANGES];
        struct sw_save_identity now;
        unsigned n = sw_snap_slot_ram(&sp, want);
        char why[300];

        (void)state;
        memset(&c, 0, sizeof(c));
        c.active_size = 128ULL << 20;
        snprintf(s->id, sizeof(s->id), "lab");
        s->mode = SW_MODE_IN_PLACE;
        s->memory = 192ULL << 20;
        sw_save_identity_make(&now, s, "6.1.0-28-amd64", 8247232, "e820", 4, sp.store_base, sp.store_size);
        memset(&info, 0, sizeof(info));
        info.hdr.flags = SW_SNAP_IN_PLACE;
        info.hdr.waking_vector = 0x9a000;
        info.hdr.config_hash = sw_snap_config_hash(&c, s);
        info.hdr.id = now;
        info.nparts = 1;
        info.part[0].type = SW_SNAP_PART_RAM;
        info.part[0].unit = 1;
        info.part[0].nranges = n;
        memcpy(info.part[0].range, want, sizeof(want));
        assert_int_equal(sw_snap_fits(&info, &c, s, &now, want, n, 0, why, sizeof(why)), 0);

        /* The window moved, and so did the e820 it is part of. */
        info.part[0].range[0].addr += 1ULL << 20;
        info.hdr.id.layout ^= 1;
        assert_int_equal(sw_snap_fits(&info, &c, s, &now, want, n, 0, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot's RAM range 0 (dma32) is 0x6b700000, 268435456 bytes; the slot's is "
                                 "0x6b600000, 268435456 bytes (dma32) now");
        info.part[0].range[0] = want[0];
        assert_int_equal(sw_snap_fits(&info, &c, s, &now, want, n, 0, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "snapshot does not fit 'lab' now: "));
        info.hdr.id.layout ^= 1;
        /* The mode before the ranges (a swap slot's has one range). */
        info.hdr.flags = 0;
        assert_int_equal(sw_snap_fits(&info, &c, s, &now, want, n, 0, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot is of a swap slot; 'lab' runs in place");
        info.hdr.flags = SW_SNAP_IN_PLACE;
        /* A partition the snapshot has no file system for. */
        assert_int_equal(sw_snap_fits(&info, &c, s, &now, want, n, 1 << 20, why, sizeof(why)), -1);
        assert_string_equal(why, "the snapshot has no file system, and the slot has a partition");
}

/* The adoption's RAM hash over several ranges equals the stream's over the
 * same bytes, range after range (what the agent computes). */
static void test_ram_hash_ranges(void **state)
{
        static uint8_t a[3 * SW_SNAP_RAM_HASH_BLOCK + 4096], b[8192];
        static struct sw_snap_ram_hash s, t;
        struct sw_snap_range r[2] = {
                { (uint64_t)(uintptr_t)b, sizeof(b), SW_SNAP_RANGE_DMA32 },
                { (uint64_t)(uintptr_t)a, sizeof(a), SW_SNAP_RANGE_RAM },
        };
        uint64_t want;

        (void)state;
        for (size_t i = 0; i < sizeof(a); i++)
                a[i] = (uint8_t)(i * 7 + 1);
        for (size_t i = 0; i < sizeof(b); i++)
                b[i] = (uint8_t)(i * 13);
        sw_snap_ram_hash_init(&t);
        sw_snap_ram_hash_add(&t, b, 100);
        sw_snap_ram_hash_add(&t, b + 100, sizeof(b) - 100);
        sw_snap_ram_hash_add(&t, a, 5000);
        sw_snap_ram_hash_add(&t, a + 5000, sizeof(a) - 5000);
        want = sw_snap_ram_hash_final(&t);
        assert_true(sw_snap_ram_hash_ranges(&s, r, 2) == want);
        assert_int_equal(s.bytes, sizeof(a) + sizeof(b));
        /* One range's byte, or the ranges in another order, change it. */
        a[sizeof(a) - 1] ^= 1;
        assert_true(sw_snap_ram_hash_ranges(&s, r, 2) != want);
        a[sizeof(a) - 1] ^= 1;
        r[0] = r[1];
        r[1] = (struct sw_snap_range){ (uint64_t)(uintptr_t)b, sizeof(b), SW_SNAP_RANGE_DMA32 };
        assert_true(sw_snap_ram_hash_ranges(&s, r, 2) != want);
        /* One range alone is the in-memory hash. */
        assert_true(sw_snap_ram_hash_ranges(&s, r, 1) == sw_snap_ram_hash_mem(a, sizeof(a)));
}

/* The start-up choice of the slot that boots, and the fallback of a slot
 * whose snapshot failed, with its FILE:LINE message. */
static void test_boot_pick_and_fallback(void **state)
{
        static struct sw_config c;
        char msg[512];

        (void)state;
        memset(&c, 0, sizeof(c));
        snprintf(c.filename, sizeof(c.filename), "/EFI/switcher/partitions.conf");
        c.nslots = 3;
        for (unsigned i = 0; i < 3; i++) {
                snprintf(c.slots[i].id, sizeof(c.slots[i].id), "s%u", i);
                c.slots[i].valid = true;
        }
        snprintf(c.slots[0].snapshot_path, SW_PATH_MAX, "/bank/s0.snap");
        c.slots[0].snapshot_line = 7;
        assert_int_equal(sw_snap_boot_pick(&c, 0), 1);
        assert_int_equal(sw_snap_boot_pick(&c, 2), 2);
        assert_int_equal(sw_snap_boot_pick(&c, -1), -1);
        c.slots[1].valid = false;
        assert_int_equal(sw_snap_boot_pick(&c, 0), 2);
        snprintf(c.slots[2].snapshot_path, SW_PATH_MAX, "/bank/s2.snap");
        assert_int_equal(sw_snap_boot_pick(&c, 0), 0);

        assert_int_equal(sw_snap_boot_failed(&c, &c.slots[0], false, "offset 600: part 1 (ram) hash mismatch (its "
                                             "data is damaged)", msg, sizeof(msg)),
                         SW_SNAP_BOOT_DROP);
        assert_string_equal(msg, "/EFI/switcher/partitions.conf:7: slot 's0': snapshot /bank/s0.snap: offset 600: "
                                 "part 1 (ram) hash mismatch (its data is damaged); slot dropped");
        c.slots[0].cold_boot_on_damage = true;
        assert_int_equal(sw_snap_boot_failed(&c, &c.slots[0], false, "cannot read it", msg, sizeof(msg)),
                         SW_SNAP_BOOT_COLD);
        assert_string_equal(msg, "/EFI/switcher/partitions.conf:7: slot 's0': snapshot /bank/s0.snap: cannot read "
                                 "it; it cold-boots from its kernel instead (on-damage cold-boot)");
        assert_int_equal(sw_snap_boot_failed(&c, &c.slots[0], true, "cannot write", msg, sizeof(msg)),
                         SW_SNAP_BOOT_DROP);
        assert_non_null(strstr(msg, "its store and partition are damaged; slot dropped"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_roundtrip, setup),
                cmocka_unit_test_setup(test_damage, setup),
                cmocka_unit_test_setup(test_truncated, setup),
                cmocka_unit_test_setup(test_changed_between_passes, setup),
                cmocka_unit_test_setup(test_header_fields, setup),
                cmocka_unit_test_setup(test_writer_refuses, setup),
                cmocka_unit_test_setup(test_config_hash, setup),
                cmocka_unit_test_setup(test_gaps_and_stop, setup),
                cmocka_unit_test_setup(test_ram_hash, setup),
                cmocka_unit_test(test_header_fits),
                cmocka_unit_test(test_parts_fit),
                cmocka_unit_test(test_slot_ram),
                cmocka_unit_test(test_ram_fits_in_place),
                cmocka_unit_test(test_fits_in_place),
                cmocka_unit_test(test_ram_hash_ranges),
                cmocka_unit_test(test_boot_pick_and_fallback),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
