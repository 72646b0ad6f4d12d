/* SPDX-License-Identifier: MIT */
/*
 * Snapshots (issue 14, the lab bank): one suspended slot's saved RAM and the
 * used blocks of its ext4 partition, captured at the same instant, with a
 * SHA-256 over each part and over the header.  The byte layout is in
 * docs/snapshot-format.md.
 *
 * This is the one reader and writer for mkslot, switchctl and the EFI
 * binary, so it does no I/O of its own: bytes come and go through the
 * caller's callbacks, into the caller's buffer, and nothing is allocated.
 * The file is streamed front to back: the writer never seeks back, and a
 * reader can check every structure and every hash in a first pass before
 * a second pass writes anything.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "plan.h"
#include "savestate.h"
#include "sha256.h"

#define SW_SNAP_MAGIC "SWSNAPv1"
#define SW_SNAP_VERSION 1
#define SW_SNAP_HEADER_SIZE 512
#define SW_SNAP_PART_SIZE 208
#define SW_SNAP_EXTENT_SIZE 24
#define SW_SNAP_PART_END_SIZE 56
#define SW_SNAP_TRAILER_SIZE 48
#define SW_SNAP_MAX_PARTS 4
#define SW_SNAP_MAX_RANGES 8
/* No range covers more than this many bytes (256 TiB): every sum of
 * offsets, counts and units stays far from 64-bit overflow. */
#define SW_SNAP_RANGE_MAX (1ULL << 48)
#define SW_SNAP_TEXT_LEN 64

#define SW_SNAP_IN_PLACE 1u     /* header flags: the slot runs in place */

enum sw_snap_part_type {
        SW_SNAP_PART_RAM = 1,
        SW_SNAP_PART_FS = 2,
};

enum sw_snap_range_kind {
        SW_SNAP_RANGE_STORE = 1,  /* a swap slot's store */
        SW_SNAP_RANGE_RAM = 2,    /* an in-place slot's own RAM */
        SW_SNAP_RANGE_LOW = 3,    /* an in-place slot's saved low memory */
        SW_SNAP_RANGE_FS = 4,     /* the file system's blocks */
        SW_SNAP_RANGE_DMA32 = 5,  /* an in-place slot's DMA32 window (docs/dma32.md) */
};

/* "ram", "fs"; "unknown" otherwise. */
const char *sw_snap_part_name(unsigned type);
/* "store", "ram", "low", "fs", "dma32"; "unknown" otherwise. */
const char *sw_snap_range_name(unsigned kind);

struct sw_snap_header {
        uint32_t version;
        uint32_t flags;
        uint32_t nparts;
        uint64_t created;               /* seconds since 1970, UTC */
        uint64_t waking_vector;
        uint64_t config_hash;           /* sw_snap_config_hash() */
        struct sw_save_identity id;     /* as sw_save_identity_make() makes it */
        uint8_t sha256[SW_SHA256_LEN];  /* the header hash (set by encode, read by decode) */
};

struct sw_snap_range {
        uint64_t addr;
        uint64_t size;                  /* in units */
        uint32_t kind;                  /* enum sw_snap_range_kind */
};

struct sw_snap_part {
        uint32_t type;                  /* enum sw_snap_part_type */
        uint32_t unit;                  /* 1 (RAM) or the block size (FS) */
        uint32_t nranges;
        struct sw_snap_range range[SW_SNAP_MAX_RANGES];
        /* Filled by the walk (and the writer) as the part goes by. */
        uint64_t offset;                /* file offset of the part header */
        uint64_t nextents;
        uint64_t data_bytes;
        uint8_t sha256[SW_SHA256_LEN];
};

struct sw_snap_extent {
        uint32_t range;
        uint64_t offset;                /* in units, within the range */
        uint64_t count;                 /* units */
        uint64_t file_offset;           /* of its first data byte */
};

/* What a walk found: the header, every part, the trailer. */
struct sw_snap_info {
        struct sw_snap_header hdr;
        unsigned nparts;
        struct sw_snap_part part[SW_SNAP_MAX_PARTS];
        uint64_t file_size;
        uint8_t sha256[SW_SHA256_LEN];  /* the trailer hash */
};

/*
 * sw_hash64 over the slot's mode, arch, memory and active-size, each as 8
 * little-endian bytes: the settings that decide where its RAM lies.
 */
uint64_t sw_snap_config_hash(const struct sw_config *c, const struct sw_slot_config *s);

/*
 * The header's 512 bytes for h (h->version and h->sha256 are set too).  Text fields are
 * written NUL padded, cut to fit.
 */
void sw_snap_header_encode(struct sw_snap_header *h, uint8_t out[SW_SNAP_HEADER_SIZE]);

/*
 * Reads and checks a header (len bytes at buf; fewer than 512 is a
 * truncation).  what names the file in messages; each refusal is one
 * SW_ERROR naming the field and its offset, e.g.
 *   "WHAT: offset 0: not a snapshot (magic is not 'SWSNAPv1')"
 *   "WHAT: offset 20: header field 'nparts' is 9, at most 4"
 *   "WHAT: offset 480: header hash mismatch (the header is damaged)"
 * Returns 0 or -1.
 */
int sw_snap_header_decode(const uint8_t *buf, size_t len, struct sw_snap_header *h, const char *what,
                          struct sw_diag *d);

/* ---------------------------------------------------------------------- */
/* Reading. */

/*
 * The input: read() fills up to len bytes at buf and returns how many (0 at
 * the end of the file, fewer than len only there), or -1 after a failure
 * it has said itself.
 */
struct sw_snap_source {
        long long (*read)(void *ctx, void *buf, size_t len);
        void *ctx;
};

/*
 * What the walk tells the caller, all optional (NULL: not wanted).  Each
 * returns 0 to go on, or -1 to stop the walk (the callback says why).
 *   part():  a part's header was read and checked (no hash yet).
 *   data():  len bytes of an extent's data, at unit offset*unit + skip
 *            bytes into range r of part p; in pieces of at most the buffer.
 *   gap():   count units at offset of range r that no extent covers (zero
 *            in the restored result), in order with the extents.
 *   part_end(): the part end was read and its hash verified.
 */
struct sw_snap_visitor {
        int (*part)(void *ctx, const struct sw_snap_part *p);
        int (*data)(void *ctx, const struct sw_snap_part *p, unsigned r, uint64_t byte_offset, const void *buf,
                    size_t len);
        int (*gap)(void *ctx, const struct sw_snap_part *p, unsigned r, uint64_t offset, uint64_t count);
        int (*part_end)(void *ctx, const struct sw_snap_part *p);
        void *ctx;
};

/*
 * Walks a whole snapshot: header, parts, trailer, end of file, checking
 * every bound and every hash as the bytes stream past (scratch: the caller's
 * buffer, at least 512 bytes; bigger reads faster).  Fills info.  With
 * expect (a trailer hash from an earlier walk; NULL: none), a trailer hash
 * that differs is refused too, so a second (writing) pass notices a file
 * that changed after the first (checking) one.  what names the file; each
 * refusal is one SW_ERROR naming what and where:
 *   "WHAT: offset 1234: truncated: the file ends inside part 1 (ram) extent 3"
 *   "WHAT: offset 700: part 1 (ram) extent 2: offset 4096 count 8192 lies outside range 0 (4096 units)"
 *   "WHAT: offset 9000: part 2 (fs) hash mismatch (its data is damaged)"
 *   "WHAT: offset 9100: trailer hash mismatch (the parts do not belong to this header)"
 * Returns 0 when the whole file is valid, else -1 (also when a callback
 * stopped it).
 */
int sw_snap_walk(const struct sw_snap_source *src, const struct sw_snap_visitor *v, void *scratch,
                 size_t scratch_len, const uint8_t *expect, struct sw_snap_info *info, const char *what,
                 struct sw_diag *d);

/* ---------------------------------------------------------------------- */
/* Writing. */

/* The output: write() takes len bytes and returns 0, or -1 after a
 * failure it has said itself. */
struct sw_snap_sink {
        int (*write)(void *ctx, const void *buf, size_t len);
        void *ctx;
};

struct sw_snap_writer {
        struct sw_snap_sink out;
        const char *what;
        struct sw_diag *d;
        uint8_t header[SW_SNAP_HEADER_SIZE];
        struct sw_sha256 part_hash, trailer_hash;
        struct sw_snap_part part;       /* the open part */
        bool in_part;
        unsigned nparts, part_types;    /* parts written; a bit per type */
        uint32_t want_parts;
        uint64_t offset;                /* bytes written */
        uint64_t left;                  /* data bytes the open extent still needs */
        unsigned last_range;            /* the previous extent, for the order */
        uint64_t last_end;
        bool have_last;
        bool failed;
};

/*
 * The writer's steps, in this order:
 *   sw_snap_write_begin(), then for each part:
 *     sw_snap_write_part(), then for each extent sw_snap_write_extent() and
 *     sw_snap_write_data() until count*unit bytes were given,
 *     sw_snap_write_part_end();
 *   sw_snap_write_end().
 * Each checks what it is given as the reader will (a range, an extent out
 * of its range or out of order, too many parts, data longer than the
 * extent) and returns 0, or -1 after one message naming what; after a
 * failure every later step fails at once.
 */
int sw_snap_write_begin(struct sw_snap_writer *w, const struct sw_snap_sink *out, struct sw_snap_header *h,
                        const char *what, struct sw_diag *d);
int sw_snap_write_part(struct sw_snap_writer *w, const struct sw_snap_part *p);
int sw_snap_write_extent(struct sw_snap_writer *w, unsigned range, uint64_t offset, uint64_t count);
int sw_snap_write_data(struct sw_snap_writer *w, const void *buf, size_t len);
/* Writes the part end; its hash and counts go to *done when not NULL. */
int sw_snap_write_part_end(struct sw_snap_writer *w, struct sw_snap_part *done);
/* Writes the trailer; the file's size and hash go to *size, hash when not NULL. */
int sw_snap_write_end(struct sw_snap_writer *w, uint64_t *size, uint8_t hash[SW_SHA256_LEN]);

/* ---------------------------------------------------------------------- */
/* The RAM hash, for adoption. */

/*
 * After `switchctl snapshot restore` wrote a snapshot's RAM into a slot's
 * store, the switcher checks that the store holds exactly that RAM before
 * it adopts it (switcher/switch.h, sw_switch_adopt).  The agent computes
 * this hash from the snapshot stream while the checking walk verifies it
 * (extents and the zeros between them, range after range, in order), the
 * switcher over the store in memory: both get the same value.
 *
 * It is sw_hash64 chained over blocks of SW_SNAP_RAM_HASH_BLOCK bytes (the
 * last one may be shorter): h = sw_hash64(block, len, h), from h = 0.
 * Chained rather than one XXH64 over the whole store so that a stream can
 * compute it with one block of memory.
 */
#define SW_SNAP_RAM_HASH_BLOCK (64u * 1024u)

struct sw_snap_ram_hash {
        uint64_t h;
        uint64_t bytes;                 /* hashed so far */
        size_t fill;                    /* bytes waiting in buf */
        uint8_t buf[SW_SNAP_RAM_HASH_BLOCK];
};

void sw_snap_ram_hash_init(struct sw_snap_ram_hash *s);
/* Adds len bytes at p; p NULL adds len zero bytes. */
void sw_snap_ram_hash_add(struct sw_snap_ram_hash *s, const void *p, uint64_t len);
uint64_t sw_snap_ram_hash_final(struct sw_snap_ram_hash *s);
/* The same hash over len bytes of memory at p, in one call. */
uint64_t sw_snap_ram_hash_mem(const void *p, uint64_t len);
/*
 * The same hash over n ranges of memory, one after the other in the
 * order given, as one stream (a snapshot's RAM part, range after range):
 * each range's addr is where its bytes lie in this address space (the
 * switcher's memory is identity mapped).  s is the caller's (64 KiB).
 */
uint64_t sw_snap_ram_hash_ranges(struct sw_snap_ram_hash *s, const struct sw_snap_range *r, unsigned n);

/* ---------------------------------------------------------------------- */
/* Does a snapshot fit a slot as it runs now? */

/*
 * Whether a snapshot with header h can be resumed as slot s of c, whose
 * identity is now `now` (sw_save_identity_make(), what a resume checks):
 * in this order, the snapshot's slot, its mode (an in-place slot's snapshot
 * for an in-place slot, a swap slot's for a swap slot), the identity
 * (sw_save_check()'s reason), the memory settings (sw_snap_config_hash())
 * and a real-mode waking vector.  Returns 0, or -1 with the reason in why
 * (n bytes), e.g.
 *   "the snapshot is of slot 'ctl', not 'lab'"
 *   "snapshot does not fit 'lab' now: ..."
 * The adoption of a restored snapshot (switch.c) and the start-up restore
 * (efi/snapboot.c) both decide by it.
 */
int sw_snap_header_fits(const struct sw_snap_header *h, const struct sw_config *c, const struct sw_slot_config *s,
                        const struct sw_save_identity *now, char *why, size_t n);

/*
 * The RAM a snapshot of a slot holds: every range the slot's saved state
 * occupies while it is suspended, in address order.  For a swap slot its
 * store (kind store).  For an in-place slot (plan.h, SW_INPLACE_LOW): its
 * DMA32 window when it has one (dma32), the first SW_INPLACE_LOW bytes of
 * its store, where the switcher keeps its low memory while it is suspended
 * (low), and the rest of its store, its own RAM, where it runs (ram).  The
 * switcher publishes these in the mailbox (snapshot-ram), the agent saves
 * and restores exactly them, and the adoption and the start-up restore
 * check a snapshot against them.  Writes at most SW_SNAP_SLOT_RANGES
 * ranges to out and returns how many (0 for a slot that was not placed).
 */
#define SW_SNAP_SLOT_RANGES 3
unsigned sw_snap_slot_ram(const struct sw_slot_plan *sp, struct sw_snap_range out[SW_SNAP_SLOT_RANGES]);

/*
 * Whether the RAM part a walk found (info) is exactly the n ranges want
 * (sw_snap_slot_ram() of the slot as it runs now): the same count, and
 * each range of the same kind, address and size.  Returns 0, or -1 with
 * the reason in why, naming both sides, e.g.
 *   "the snapshot's RAM range 0 (dma32) is 0x6b600000, 268435456 bytes; the
 *    slot's is 0x5b600000, 268435456 bytes now"
 */
int sw_snap_ram_fits(const struct sw_snap_info *info, const struct sw_snap_range *want, unsigned n, char *why,
                     size_t len);

/*
 * Whether the parts a walk found (info) fit where the start-up restore
 * puts them: RAM that is exactly the nram ranges ram (sw_snap_ram_fits()),
 * and a file system part exactly when the slot has a partition
 * (part_bytes: its size; 0: no partition), no larger than it.  Returns 0,
 * or -1 with the reason in why.
 */
int sw_snap_parts_fit(const struct sw_snap_info *info, const struct sw_snap_range *ram, unsigned nram,
                      uint64_t part_bytes, char *why, size_t n);

/*
 * Everything the start-up restore checks before it writes: the snapshot's
 * slot and mode, then its RAM ranges against ram (so a moved or resized
 * range is named with both addresses, before the identity check would only
 * say "another RAM layout"), then sw_snap_header_fits() and
 * sw_snap_parts_fit().  Returns 0, or -1 with the first reason in why.
 */
int sw_snap_fits(const struct sw_snap_info *info, const struct sw_config *c, const struct sw_slot_config *s,
                 const struct sw_save_identity *now, const struct sw_snap_range *ram, unsigned nram,
                 uint64_t part_bytes, char *why, size_t n);

/* ---------------------------------------------------------------------- */
/* The start-up restore ('snapshot PATH' in partitions.conf). */

/*
 * The slot this start-up boots, given the one the menu or a one-shot chose:
 * a slot with a snapshot is brought back suspended rather than booted, so
 * when chosen has one, the first valid slot without one boots instead (its
 * first switch to chosen is then a resume).  When every valid slot has a
 * snapshot, chosen boots and its snapshot is not brought back (the caller
 * says so).  -1 stays -1.
 */
int sw_snap_boot_pick(const struct sw_config *c, int chosen);

/* What becomes of a slot whose snapshot was not brought back. */
enum sw_snap_boot_fallback {
        SW_SNAP_BOOT_DROP,      /* left out of this start-up */
        SW_SNAP_BOOT_COLD,      /* kept; its first switch cold-boots its kernel */
};

/*
 * The fallback for slot s after its snapshot failed: with 'on-damage
 * cold-boot' and nothing written yet (its kernel is still staged in its
 * store) it cold-boots; otherwise, and always once the write pass began
 * (its store and partition hold part of the snapshot), it is dropped.
 * Writes the FILE:LINE message for the console and serial into msg:
 *   "p.conf:12: slot 'lab': snapshot /bank/lab.snap: REASON; slot dropped"
 *   "...; it cold-boots from its kernel instead (on-damage cold-boot)"
 */
enum sw_snap_boot_fallback sw_snap_boot_failed(const struct sw_config *c, const struct sw_slot_config *s,
                                               bool written, const char *reason, char *msg, size_t n);
