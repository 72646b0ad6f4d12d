/* SPDX-License-Identifier: MIT */
/*
 * The byte-moving core of a snapshot save and restore, shared by mkslot
 * and switchctl (see snapio.h).
 */
/* fallocate() (FALLOC_FL_ZERO_RANGE); mkslot's gnulib config.h defines it
 * already. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/fs.h>

#include <ext2fs/ext2fs.h>

#include "snapio.h"

/* A message with errno's text when err is not 0. */
static void fail(struct sw_diag *d, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct sw_diag *d, int err, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (err)
                sw_diagf(d, SW_ERROR, "%s: %s", msg, strerror(err));
        else
                sw_diagf(d, SW_ERROR, "%s", msg);
}

int snapio_read_at(int fd, void *buf, size_t len, uint64_t offset, const char *path, struct sw_diag *d)
{
        size_t got = 0;

        while (got < len) {
                ssize_t r = pread(fd, (uint8_t *)buf + got, len - got, (off_t)(offset + got));

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        fail(d, r < 0 ? errno : 0, "cannot read %zu bytes at offset %" PRIu64 " of %s%s", len,
                             offset, path, r < 0 ? "" : ": it ends there");
                        return -1;
                }
                got += (size_t)r;
        }
        return 0;
}

/*
 * len bytes at offset off of a memory device, through a mapping rather
 * than read()/write(): /dev/mem refuses read() beyond the end of the
 * running kernel's own RAM (high_memory), and another slot's store may lie
 * there, while mmap() reaches any range the kernel does not own.  The
 * mapping is write-back (no O_SYNC), as for the mailbox (guest-agent/mbox.c).
 */
static int mem_map_io(struct snapio_mem *m, void *dst, const void *src, uint64_t off, size_t len, struct sw_diag *d)
{
        uint64_t start = off & ~(uint64_t)(SNAPIO_PAGE - 1);
        size_t span = (size_t)(off - start) + len;
        uint8_t *p = mmap(NULL, span, src ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, m->fd, (off_t)start);

        if (p == MAP_FAILED) {
                fail(d, errno, "cannot map %zu bytes at 0x%" PRIx64 " of %s", len, off, m->path);
                return -1;
        }
        if (src)
                memcpy(p + (off - start), src, len);
        else
                memcpy(dst, p + (off - start), len);
        munmap(p, span);
        return 0;
}

/*
 * Reads len bytes of RAM at physical address addr: from where they lie now
 * when a moved piece covers them (a chunk may straddle a piece's edge, so
 * it goes piece by piece), else from their own address.
 */
static int mem_read(struct snapio_mem *m, uint8_t *buf, uint64_t addr, size_t len, struct sw_diag *d)
{
        while (len) {
                uint64_t from = addr, n = len;

                for (unsigned i = 0; i < m->nmoved; i++) {
                        const struct snapio_moved *p = &m->moved[i];

                        if (addr >= p->addr && addr - p->addr < p->size) {
                                from = p->now + (addr - p->addr);
                                if (n > p->size - (addr - p->addr))
                                        n = p->size - (addr - p->addr);
                                break;
                        }
                        /* Up to the next piece only. */
                        if (p->addr > addr && p->addr - addr < n)
                                n = p->addr - addr;
                }
                if (from < m->base) {
                        fail(d, 0, "RAM at 0x%" PRIx64 " lies below %s's base 0x%" PRIx64, from, m->path, m->base);
                        return -1;
                }
                if (m->size ? snapio_read_at(m->fd, buf, (size_t)n, from - m->base, m->path, d) < 0
                            : mem_map_io(m, buf, NULL, from - m->base, (size_t)n, d) < 0)
                        return -1;
                buf += n;
                addr += n;
                len -= (size_t)n;
        }
        return 0;
}

static bool zero_page(const uint8_t *p, size_t n)
{
        static const uint8_t zero[SNAPIO_PAGE];

        return !memcmp(p, zero, n);
}

int snapio_save_ram(struct sw_snap_writer *w, const struct sw_snap_range *r, unsigned n, struct snapio_mem *m,
                    struct sw_diag *d)
{
        static uint8_t buf[SNAPIO_CHUNK];
        struct sw_snap_part p = { .type = SW_SNAP_PART_RAM, .unit = 1, .nranges = n };

        if (n > SW_SNAP_MAX_RANGES)
                n = p.nranges = SW_SNAP_MAX_RANGES;
        memcpy(p.range, r, n * sizeof(*r));
        if (sw_snap_write_part(w, &p) < 0)
                return -1;
        for (unsigned k = 0; k < n; k++) {
                uint64_t size = r[k].size;

                for (uint64_t at = 0; at < size;) {
                        size_t len = size - at < SNAPIO_CHUNK ? (size_t)(size - at) : SNAPIO_CHUNK;

                        if (mem_read(m, buf, r[k].addr + at, len, d) < 0)
                                return -1;
                        /* Runs of non-zero pages become extents; zero pages are left out. */
                        for (size_t i = 0; i < len;) {
                                size_t run = 0;

                                while (i + run < len &&
                                       !zero_page(buf + i + run, len - i - run < SNAPIO_PAGE ? len - i - run : SNAPIO_PAGE))
                                        run += len - i - run < SNAPIO_PAGE ? len - i - run : SNAPIO_PAGE;
                                if (run) {
                                        if (sw_snap_write_extent(w, k, at + i, run) < 0 ||
                                            sw_snap_write_data(w, buf + i, run) < 0)
                                                return -1;
                                        i += run;
                                } else {
                                        i += len - i < SNAPIO_PAGE ? len - i : SNAPIO_PAGE;
                                }
                        }
                        at += len;
                }
        }
        return sw_snap_write_part_end(w, NULL);
}

/* ---------------------------------------------------------------------- */
/* The file system. */

int snapio_not_mounted(const char *path, struct sw_diag *d)
{
        int flags = 0;
        errcode_t e = ext2fs_check_if_mounted(path, &flags);

        if (e) {
                fail(d, 0, "%s: cannot tell whether it is mounted (%s)", path, error_message(e));
                return -1;
        }
        if (flags & EXT2_MF_MOUNTED) {
                fail(d, 0, "%s is mounted; unmount it first (its blocks would change under the snapshot)", path);
                return -1;
        }
        return 0;
}

int snapio_fs_open(struct snapio_fs *f, const char *path, struct sw_diag *d)
{
        ext2_filsys fs;
        errcode_t e = ext2fs_open(path, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs);

        memset(f, 0, sizeof(*f));
        if (e) {
                fail(d, 0, "%s: not an ext2/3/4 file system (%s)", path, error_message(e));
                return -1;
        }
        e = ext2fs_read_block_bitmap(fs);
        if (e) {
                fail(d, 0, "%s: cannot read the block bitmap (%s)", path, error_message(e));
                ext2fs_close_free(&fs);
                return -1;
        }
        f->path = path;
        f->fs = fs;
        f->block_size = (uint32_t)fs->blocksize;
        f->blocks = ext2fs_blocks_count(fs->super);
        f->used = f->blocks - ext2fs_free_blocks_count(fs->super);
        return 0;
}

void snapio_fs_close(struct snapio_fs *f)
{
        ext2_filsys fs = f->fs;

        if (fs)
                ext2fs_close_free(&fs);
        f->fs = NULL;
}

/* True when libext2fs counts blk as used; the blocks before the first
 * data block (the boot block of a 1 KiB-block file system) always are. */
static bool block_used(ext2_filsys fs, blk64_t blk)
{
        return blk < fs->super->s_first_data_block || ext2fs_test_block_bitmap2(fs->block_map, blk);
}

int snapio_save_fs(struct sw_snap_writer *w, struct snapio_fs *f, struct sw_diag *d)
{
        static uint8_t buf[SNAPIO_CHUNK];
        ext2_filsys fs = f->fs;
        uint32_t bs = f->block_size;
        blk64_t total = f->blocks;
        struct sw_snap_part p = { .type = SW_SNAP_PART_FS, .unit = bs, .nranges = 1 };
        int fd = open(f->path, O_RDONLY | O_CLOEXEC);
        int rc = -1;

        if (fd < 0) {
                fail(d, errno, "cannot read %s", f->path);
                return -1;
        }
        p.range[0] = (struct sw_snap_range){ 0, total, SW_SNAP_RANGE_FS };
        if (sw_snap_write_part(w, &p) < 0)
                goto out;
        for (blk64_t b = 0; b < total;) {
                blk64_t run = 0;

                while (b + run < total && block_used(fs, b + run))
                        run++;
                if (!run) {
                        b++;
                        continue;
                }
                if (sw_snap_write_extent(w, 0, b, run) < 0)
                        goto out;
                for (uint64_t done = 0; done < run * bs;) {
                        size_t n = run * bs - done < SNAPIO_CHUNK ? (size_t)(run * bs - done) : SNAPIO_CHUNK;

                        if (snapio_read_at(fd, buf, n, b * bs + done, f->path, d) < 0 ||
                            sw_snap_write_data(w, buf, n) < 0)
                                goto out;
                        done += n;
                }
                b += run;
        }
        rc = sw_snap_write_part_end(w, NULL);
out:
        close(fd);
        return rc;
}

uint64_t snapio_worst_size(const struct sw_snap_range *r, unsigned n, const struct snapio_fs *f)
{
        uint64_t need = SW_SNAP_HEADER_SIZE + SW_SNAP_TRAILER_SIZE + 2 * (SW_SNAP_PART_SIZE + SW_SNAP_PART_END_SIZE);

        for (unsigned i = 0; i < n; i++)
                need += r[i].size + (r[i].size / SNAPIO_PAGE + 1) * SW_SNAP_EXTENT_SIZE;
        if (f)
                need += f->used * ((uint64_t)f->block_size + SW_SNAP_EXTENT_SIZE);
        return need;
}

int snapio_room(const char *output, uint64_t need, struct sw_diag *d)
{
        char dir[4096];
        const char *slash = strrchr(output, '/');
        struct statvfs sv;

        if (slash)
                snprintf(dir, sizeof(dir), "%.*s", (int)(slash - output + 1), output);
        else
                snprintf(dir, sizeof(dir), ".");
        if (statvfs(dir, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < need) {
                fail(d, 0, "%s: %" PRIu64 " bytes free where it goes, the snapshot may take %" PRIu64, output,
                     (uint64_t)sv.f_bavail * sv.f_frsize, need);
                return -1;
        }
        return 0;
}

/* ---------------------------------------------------------------------- */
/* Reading a snapshot, whole or split. */

int snapio_pieces_open(struct snapio_pieces *p, const char *name, struct sw_diag *d)
{
        char first[4096];

        memset(p, 0, sizeof(*p));
        p->name = name;
        p->d = d;
        p->fd = open(name, O_RDONLY | O_CLOEXEC);
        if (p->fd >= 0)
                return 0;
        if (errno == ENOENT && snprintf(first, sizeof(first), "%s.000", name) < (int)sizeof(first)) {
                p->fd = open(first, O_RDONLY | O_CLOEXEC);
                if (p->fd >= 0) {
                        p->split = true;
                        p->next = 1;
                        return 0;
                }
                errno = ENOENT;
        }
        fail(d, errno, "cannot read %s", name);
        return -1;
}

long long snapio_pieces_read(void *ctx, void *buf, size_t len)
{
        struct snapio_pieces *p = ctx;
        char path[4096];

        while (p->fd >= 0) {
                ssize_t r = read(p->fd, buf, len);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        fail(p->d, errno, "cannot read %s", p->name);
                        return -1;
                }
                if (r > 0)
                        return (long long)r;
                close(p->fd);
                p->fd = -1;
                if (!p->split || p->next > 999)
                        break;
                /* The end of a piece: the stream goes on in the next one, if any. */
                snprintf(path, sizeof(path), "%s.%03u", p->name, p->next++);
                p->fd = open(path, O_RDONLY | O_CLOEXEC);
                if (p->fd < 0 && errno != ENOENT) {
                        fail(p->d, errno, "cannot read %s", path);
                        return -1;
                }
        }
        return 0;
}

void snapio_pieces_close(struct snapio_pieces *p)
{
        if (p->fd >= 0)
                close(p->fd);
        p->fd = -1;
}

/* ---------------------------------------------------------------------- */
/* Restoring. */

struct walk {
        struct snapio_target *t;
        struct sw_diag *d;
};

/* Where a part's byte goes: the memory file (RAM) or the partition (FS). */
static int put(struct walk *k, const struct sw_snap_part *p, unsigned r, uint64_t at, const void *buf, size_t len)
{
        struct snapio_target *t = k->t;
        bool fs = p->type == SW_SNAP_PART_FS;
        int fd = fs ? t->fs_fd : t->mem.fd;
        uint64_t off = fs ? at : p->range[r].addr - t->mem.base + at;
        const char *path = fs ? t->fs_path : t->mem.path;

        if (!fs && !t->mem.size)
                return mem_map_io(&t->mem, NULL, buf, off, len, k->d);
        while (len) {
                ssize_t n = pwrite(fd, buf, len, (off_t)off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        fail(k->d, n < 0 ? errno : EIO, "cannot write %s at offset %" PRIu64, path, off);
                        return -1;
                }
                buf = (const uint8_t *)buf + n;
                len -= (size_t)n;
                off += (uint64_t)n;
        }
        return 0;
}

/* First pass: can every range be written where it goes? */
static int check_part(void *ctx, const struct sw_snap_part *p)
{
        struct walk *k = ctx;
        struct snapio_target *t = k->t;
        struct stat st;
        uint64_t size;

        if (p->type == SW_SNAP_PART_FS) {
                if (!t->fs_path) {
                        fail(k->d, 0, "%s holds a file system; name the partition with --fs", t->file);
                        return -1;
                }
                if (fstat(t->fs_fd, &st) < 0 ||
                    (S_ISBLK(st.st_mode) ? ioctl(t->fs_fd, BLKGETSIZE64, &size) < 0 : ((size = (uint64_t)st.st_size), 0))) {
                        fail(k->d, errno, "cannot find the size of %s", t->fs_path);
                        return -1;
                }
                if (size < p->range[0].size * p->unit) {
                        fail(k->d, 0, "%s: %" PRIu64 " bytes, the snapshot's file system needs %" PRIu64 "; nothing written",
                             t->fs_path, size, p->range[0].size * p->unit);
                        return -1;
                }
                return 0;
        }
        for (unsigned r = 0; r < p->nranges; r++)
                if (p->range[r].addr < t->mem.base ||
                    (t->mem.size && p->range[r].addr - t->mem.base + p->range[r].size > t->mem.size)) {
                        fail(k->d, 0, "%s: range %u (0x%" PRIx64 ", %" PRIu64 " bytes) lies outside %s; nothing written",
                             t->file, r, p->range[r].addr, p->range[r].size, t->mem.path);
                        return -1;
                }
        return 0;
}

/* First pass, with the RAM hash wanted: the RAM as it will lie. */
static int hash_data(void *ctx, const struct sw_snap_part *p, unsigned r, uint64_t at, const void *buf, size_t len)
{
        struct walk *k = ctx;

        if (p->type == SW_SNAP_PART_RAM)
                sw_snap_ram_hash_add(k->t->ram_hash, buf, len);
        return 0;
}

static int hash_gap(void *ctx, const struct sw_snap_part *p, unsigned r, uint64_t offset, uint64_t count)
{
        struct walk *k = ctx;

        if (p->type == SW_SNAP_PART_RAM)
                sw_snap_ram_hash_add(k->t->ram_hash, NULL, count * p->unit);
        return 0;
}

static int restore_data(void *ctx, const struct sw_snap_part *p, unsigned r, uint64_t at, const void *buf, size_t len)
{
        return put(ctx, p, r, at, buf, len);
}

/*
 * Zeros len bytes of the partition at offset without sending them: the
 * free space of a big file system is most of it.  A block device is asked
 * to write zeroes (BLKZEROOUT), an image file to zero the range in place.
 * Returns 0 when done, -1 when the caller must write the zeros itself.
 */
static int zero_range(int fd, uint64_t offset, uint64_t len)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -1;
        if (S_ISBLK(st.st_mode)) {
                uint64_t range[2] = { offset, len };

                return ioctl(fd, BLKZEROOUT, range) == 0 ? 0 : -1;
        }
        return fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)len) == 0 ? 0 : -1;
}

/* What no extent covers is zero in the restored slot. */
static int restore_gap(void *ctx, const struct sw_snap_part *p, unsigned r, uint64_t offset, uint64_t count)
{
        static const uint8_t zero[SNAPIO_CHUNK];
        struct walk *k = ctx;
        uint64_t left = count * p->unit, at = offset * p->unit;

        if (p->type == SW_SNAP_PART_FS && zero_range(k->t->fs_fd, at, left) == 0)
                return 0;
        while (left) {
                size_t n = left < SNAPIO_CHUNK ? (size_t)left : SNAPIO_CHUNK;

                if (put(k, p, r, at, zero, n) < 0)
                        return -1;
                at += n;
                left -= n;
        }
        return 0;
}

int snapio_restore(struct snapio_target *t, const char *expect_slot, int (*accept)(void *ctx, const struct sw_snap_info *info),
                   void *ctx, struct sw_snap_info *info, struct sw_diag *d)
{
        static uint8_t scratch[SNAPIO_CHUNK];
        struct walk k = { t, d };
        struct sw_snap_visitor check = { check_part, NULL, NULL, NULL, &k };
        struct sw_snap_visitor write = { NULL, restore_data, restore_gap, NULL, &k };
        struct sw_snap_source src;
        struct snapio_pieces in;
        uint8_t hash[SW_SHA256_LEN];
        int rc;

        if (t->want_ram_hash) {
                check.data = hash_data;
                check.gap = hash_gap;
                sw_snap_ram_hash_init(t->ram_hash);
        }
        /* Pass 1: every structure and hash, and every target, before a byte is written. */
        if (snapio_pieces_open(&in, t->file, d) < 0)
                return 1;
        src = (struct sw_snap_source){ snapio_pieces_read, &in };
        rc = sw_snap_walk(&src, &check, scratch, sizeof(scratch), NULL, info, t->file, d);
        snapio_pieces_close(&in);
        if (rc == 0 && expect_slot && strcmp(expect_slot, info->hdr.id.slot) != 0) {
                fail(d, 0, "%s is a snapshot of slot '%s', not '%s'", t->file, info->hdr.id.slot, expect_slot);
                rc = -1;
        }
        if (rc == 0 && accept && accept(ctx, info) < 0)
                rc = -1;
        if (rc < 0) {
                fail(d, 0, "snapshot restore: %s refused; nothing written", t->file);
                return 1;
        }
        memcpy(hash, info->sha256, sizeof(hash));
        /* Pass 2: the same walk writes, and refuses a file changed since pass 1. */
        if (snapio_pieces_open(&in, t->file, d) < 0)
                return 1;
        src = (struct sw_snap_source){ snapio_pieces_read, &in };
        rc = sw_snap_walk(&src, &write, scratch, sizeof(scratch), hash, info, t->file, d);
        snapio_pieces_close(&in);
        /* /dev/mem has nothing to flush (EINVAL): its writes are in RAM. */
        if (rc == 0 && fsync(t->mem.fd) < 0 && errno != EINVAL) {
                fail(d, errno, "cannot write %s", t->mem.path);
                rc = -1;
        }
        if (rc == 0 && t->fs_fd >= 0 && fsync(t->fs_fd) < 0) {
                fail(d, errno, "cannot write %s", t->fs_path);
                rc = -1;
        }
        if (rc < 0) {
                fail(d, 0, "snapshot restore: %s failed while writing; the slot is damaged", t->file);
                return 2;
        }
        return 0;
}
