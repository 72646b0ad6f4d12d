/* SPDX-License-Identifier: MIT */
/*
 * mkslot snapshot: the host side of the lab bank (issue 14).
 *
 *   inspect FILE   what a snapshot holds; every hash verified
 *   save           writes a snapshot from a memory file (/dev/mem, or a
 *                  file standing for it) and an ext4 partition or image
 *   restore FILE   verifies the whole snapshot, then writes it back
 *
 * save and restore are what `switchctl snapshot save/restore` will do in a
 * slot (docs/snapshot-format.md): the switcher's store is read and written
 * through the memory file at the ranges' physical addresses, the file
 * system's used blocks are found with libext2fs.  The format's checks all
 * live in switcher/snapshot.c; this file only moves bytes.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/fs.h>

#include <argp.h>
#include <error.h>
#include <full-write.h>
#include <progname.h>
#include <safe-read.h>
#include <xalloc.h>
#include <xvasprintf.h>

#include <ext2fs/ext2fs.h>

#include "fmt.h"
#include "mkslot.h"
#include "snapshot.h"

#define CHUNK (1u << 20)
#define PAGE 4096u
/* A piece of a split snapshot: below FAT's 4 GiB file limit. */
#define SPLIT_FAT (4095ULL << 20)

struct snap_args {
        const char *file, *output, *mem, *fs;
        uint64_t mem_base;
        struct sw_snap_range range[SW_SNAP_MAX_RANGES];
        unsigned nranges;
        struct sw_snap_header hdr;
        bool have_created, have_store, json, force;
        uint64_t split;
        const char *expect_slot;
};

enum { OPT_OUTPUT = 'o', OPT_FORCE = 'f', OPT_JSON = 0x100, OPT_MEM, OPT_MEM_BASE, OPT_RANGE, OPT_FS, OPT_SLOT,
       OPT_KERNEL, OPT_KERNEL_SIZE, OPT_PARTITION, OPT_LAYOUT, OPT_CONFIG, OPT_VECTOR, OPT_CREATED, OPT_STORE,
       OPT_SPLIT, OPT_MODE_IN_PLACE };

/* ---------------------------------------------------------------------- */
/* Reading a snapshot, whole or split into NAME.000, NAME.001, ... */

struct pieces {
        const char *name;
        int fd;
        unsigned next;          /* the next piece to open; 0 when not split */
        bool split;
};

static int pieces_open(struct pieces *p, const char *name)
{
        char *first;

        memset(p, 0, sizeof(*p));
        p->name = name;
        p->fd = open(name, O_RDONLY | O_CLOEXEC);
        if (p->fd >= 0 || errno != ENOENT)
                goto out;
        first = xasprintf("%s.000", name);
        p->fd = open(first, O_RDONLY | O_CLOEXEC);
        free(first);
        if (p->fd >= 0) {
                p->split = true;
                p->next = 1;
                return 0;
        }
        errno = ENOENT;
out:
        if (p->fd < 0)
                error(0, errno, "cannot read %s", name);
        return p->fd < 0 ? -1 : 0;
}

static long long pieces_read(void *ctx, void *buf, size_t len)
{
        struct pieces *p = ctx;

        while (p->fd >= 0) {
                size_t r = safe_read(p->fd, buf, len);
                char *path;

                if (r == SAFE_READ_ERROR) {
                        error(0, errno, "cannot read %s", p->name);
                        return -1;
                }
                if (r > 0)
                        return (long long)r;
                close(p->fd);
                p->fd = -1;
                if (!p->split || p->next > 999)
                        break;
                /* The end of a piece: the stream goes on in the next one, if any. */
                path = xasprintf("%s.%03u", p->name, p->next++);
                p->fd = open(path, O_RDONLY | O_CLOEXEC);
                if (p->fd < 0 && errno != ENOENT) {
                        error(0, errno, "cannot read %s", path);
                        free(path);
                        return -1;
                }
                free(path);
        }
        return 0;
}

static void pieces_close(struct pieces *p)
{
        if (p->fd >= 0)
                close(p->fd);
        p->fd = -1;
}

/* ---------------------------------------------------------------------- */
/* inspect */

/* The core's messages on stderr, the last error kept for --json. */
static char last_error[512];

static void diag_keep(void *ctx, enum sw_severity sev, const char *msg)
{
        if (sev == SW_ERROR)
                snprintf(last_error, sizeof(last_error), "%s", msg);
        fprintf(stderr, "%s%s\n", sev == SW_ERROR ? "error: " : sev == SW_WARN ? "warning: " : "", msg);
}

/* Data bytes per range, for the summary. */
struct tally {
        uint64_t saved[SW_SNAP_MAX_PARTS][SW_SNAP_MAX_RANGES];
        unsigned part;
        bool header_ok;
};

static int tally_part(void *ctx, const struct sw_snap_part *p)
{
        struct tally *t = ctx;

        t->header_ok = true;
        return 0;
}

static int tally_data(void *ctx, const struct sw_snap_part *p, unsigned r, uint64_t at, const void *buf, size_t len)
{
        struct tally *t = ctx;

        t->saved[t->part][r] += len;
        return 0;
}

static int tally_end(void *ctx, const struct sw_snap_part *p)
{
        ((struct tally *)ctx)->part++;
        return 0;
}

static const char *when(uint64_t t, char *buf, size_t n)
{
        time_t tt = (time_t)t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
                snprintf(buf, n, "?");
        return buf;
}

static void print_json(const char *file, const struct sw_snap_info *in, const struct tally *t, bool header, bool ok)
{
        const struct sw_snap_header *h = &in->hdr;
        char hex[SW_SHA256_HEX_LEN];

        printf("{\"file\":");
        json_str(stdout, file);
        printf(",\"valid\":%s", ok ? "true" : "false");
        if (!ok) {
                printf(",\"error\":");
                json_str(stdout, last_error);
        }
        if (header) {
                printf(",\"format\":\"%s\",\"slot\":", SW_SNAP_MAGIC);
                json_str(stdout, h->id.slot);
                printf(",\"kernel\":");
                json_str(stdout, h->id.kernel);
                printf(",\"kernel_size\":%" PRIu64 ",\"partition\":", h->id.kernel_size);
                json_str(stdout, h->id.partition);
                printf(",\"mode\":\"%s\",\"created\":%" PRIu64 ",\"waking_vector\":%" PRIu64
                       ",\"layout\":\"0x%016" PRIx64 "\",\"store_base\":%" PRIu64 ",\"store_size\":%" PRIu64
                       ",\"config_hash\":\"0x%016" PRIx64 "\",\"header_sha256\":\"%s\"",
                       h->flags & SW_SNAP_IN_PLACE ? "in-place" : "swap", h->created, h->waking_vector,
                       h->id.layout, h->id.store_base, h->id.store_size, h->config_hash,
                       sw_sha256_hex(h->sha256, hex));
        }
        printf(",\"parts\":[");
        for (unsigned i = 0; i < in->nparts; i++) {
                const struct sw_snap_part *p = &in->part[i];

                printf("%s{\"type\":\"%s\",\"offset\":%" PRIu64 ",\"unit\":%u,\"extents\":%" PRIu64
                       ",\"data_bytes\":%" PRIu64 ",\"sha256\":\"%s\",\"ranges\":[",
                       i ? "," : "", sw_snap_part_name(p->type), p->offset, p->unit, p->nextents, p->data_bytes,
                       sw_sha256_hex(p->sha256, hex));
                for (unsigned r = 0; r < p->nranges; r++)
                        printf("%s{\"kind\":\"%s\",\"addr\":%" PRIu64 ",\"size\":%" PRIu64 ",\"saved_bytes\":%" PRIu64
                               "}",
                               r ? "," : "", sw_snap_range_name(p->range[r].kind), p->range[r].addr,
                               p->range[r].size, t->saved[i][r]);
                printf("]}");
        }
        printf("]");
        if (ok)
                printf(",\"size\":%" PRIu64 ",\"sha256\":\"%s\"", in->file_size, sw_sha256_hex(in->sha256, hex));
        printf("}\n");
}

static void print_text(const char *file, const struct sw_snap_info *in, const struct tally *t, bool header, bool ok)
{
        const struct sw_snap_header *h = &in->hdr;
        char hex[SW_SHA256_HEX_LEN], a[32], b[32], tm[64];

        if (!header)
                return;
        printf("%s: snapshot (%s)", file, SW_SNAP_MAGIC);
        if (ok)
                printf(", %" PRIu64 " bytes (%s)", in->file_size, sw_fmt_size(a, sizeof(a), in->file_size));
        printf("\n  slot        %s\n  kernel      %s (%" PRIu64 " bytes)\n  partition   %s\n  mode        %s\n",
               h->id.slot, h->id.kernel[0] ? h->id.kernel : "?", h->id.kernel_size,
               h->id.partition[0] ? h->id.partition : "(none)", h->flags & SW_SNAP_IN_PLACE ? "in-place" : "swap");
        printf("  created     %s (%" PRIu64 ")\n  vector      0x%" PRIx64 "\n  store       0x%" PRIx64 ", %s\n"
               "  layout      0x%016" PRIx64 "\n  config      0x%016" PRIx64 "\n  header      sha256 %s  ok\n",
               when(h->created, tm, sizeof(tm)), h->created, h->waking_vector, h->id.store_base,
               sw_fmt_size(a, sizeof(a), h->id.store_size), h->id.layout, h->config_hash,
               sw_sha256_hex(h->sha256, hex));
        for (unsigned i = 0; i < in->nparts; i++) {
                const struct sw_snap_part *p = &in->part[i];

                if (p->type == SW_SNAP_PART_FS)
                        printf("  part %u fs   block size %u, %" PRIu64 " blocks (%s), %" PRIu64 " used in %" PRIu64
                               " extents\n",
                               i + 1, p->unit, p->range[0].size, sw_fmt_size(a, sizeof(a), p->range[0].size * p->unit),
                               p->data_bytes / p->unit, p->nextents);
                else
                        printf("  part %u ram  %u ranges, %s saved in %" PRIu64 " extents\n", i + 1, p->nranges,
                               sw_fmt_size(a, sizeof(a), p->data_bytes), p->nextents);
                if (p->type == SW_SNAP_PART_RAM)
                        for (unsigned r = 0; r < p->nranges; r++)
                                printf("    range %u %-5s 0x%" PRIx64 ", %s: %s saved, the rest zero\n", r,
                                       sw_snap_range_name(p->range[r].kind), p->range[r].addr,
                                       sw_fmt_size(a, sizeof(a), p->range[r].size),
                                       sw_fmt_size(b, sizeof(b), t->saved[i][r]));
                printf("    sha256 %s  ok\n", sw_sha256_hex(p->sha256, hex));
        }
        if (ok)
                printf("  trailer     sha256 %s  ok\n", sw_sha256_hex(in->sha256, hex));
}

static int inspect(const struct snap_args *a)
{
        static uint8_t scratch[CHUNK];
        static struct sw_snap_info info;
        static struct tally t;
        struct sw_diag d = { .emit = diag_keep };
        struct sw_snap_visitor v = { tally_part, tally_data, NULL, tally_end, &t };
        struct sw_snap_source src;
        struct pieces in;
        int rc;

        if (pieces_open(&in, a->file) < 0)
                return 1;
        src = (struct sw_snap_source){ pieces_read, &in };
        rc = sw_snap_walk(&src, &v, scratch, sizeof(scratch), NULL, &info, a->file, &d);
        pieces_close(&in);
        /* A header that decoded is worth showing even when a part is damaged. */
        if (a->json)
                print_json(a->file, &info, &t, t.header_ok || rc == 0, rc == 0);
        else
                print_text(a->file, &info, &t, t.header_ok || rc == 0, rc == 0);
        if (rc < 0) {
                error(0, 0, "%s: damaged: a restore would refuse it", a->file);
                return 1;
        }
        return 0;
}

/* ---------------------------------------------------------------------- */
/* save */

/* The output: one file, or pieces of at most split bytes; temporary names
 * until the whole snapshot is written. */
struct out {
        const char *name;
        uint64_t split, in_piece;
        unsigned npieces;
        char *tmp[1000];
        int fd;
};

static int out_next(struct out *o)
{
        char *base = o->split ? xasprintf("%s.%03u", o->name, o->npieces) : xstrdup(o->name);

        if (o->npieces >= 1000) {
                error(0, 0, "%s: more than 1000 pieces; use a bigger --split", o->name);
                free(base);
                return -1;
        }
        o->tmp[o->npieces] = xasprintf("%s.XXXXXX", base);
        free(base);
        o->fd = mkstemp(o->tmp[o->npieces]);
        if (o->fd < 0) {
                error(0, errno, "cannot create a file next to %s", o->name);
                free(o->tmp[o->npieces]);
                return -1;
        }
        o->npieces++;
        o->in_piece = 0;
        return 0;
}

static int out_close_piece(struct out *o)
{
        int fd = o->fd;

        o->fd = -1;
        if (fd >= 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0)) {
                error(0, errno, "cannot write %s", o->tmp[o->npieces - 1]);
                return -1;
        }
        return 0;
}

static int out_write(void *ctx, const void *buf, size_t len)
{
        struct out *o = ctx;
        const uint8_t *p = buf;

        while (len) {
                size_t k = len;

                if (o->split && o->in_piece == o->split && (out_close_piece(o) < 0 || out_next(o) < 0))
                        return -1;
                if (o->split && k > o->split - o->in_piece)
                        k = (size_t)(o->split - o->in_piece);
                if (full_write(o->fd, p, k) != k) {
                        error(0, errno, "cannot write %s", o->tmp[o->npieces - 1]);
                        return -1;
                }
                o->in_piece += k;
                p += k;
                len -= k;
        }
        return 0;
}

/* Removes every temporary piece. */
static void out_discard(struct out *o)
{
        if (o->fd >= 0)
                close(o->fd);
        o->fd = -1;
        for (unsigned i = 0; i < o->npieces; i++) {
                unlink(o->tmp[i]);
                free(o->tmp[i]);
        }
        o->npieces = 0;
}

/* Renames the pieces to their names; a stale NAME.NNN beyond them is removed
 * so a reader does not take it for the continuation. */
static int out_commit(struct out *o, bool force)
{
        for (unsigned i = 0; i < o->npieces; i++) {
                char *name = o->split ? xasprintf("%s.%03u", o->name, i) : xstrdup(o->name);
                int e = commit_output(o->tmp[i], name, force);

                free(name);
                free(o->tmp[i]);
                o->tmp[i] = NULL;
                if (e < 0) {
                        for (unsigned k = i + 1; k < o->npieces; k++) {
                                unlink(o->tmp[k]);
                                free(o->tmp[k]);
                        }
                        return -1;
                }
        }
        if (o->split)
                for (unsigned i = o->npieces; i < 1000; i++) {
                        char *name = xasprintf("%s.%03u", o->name, i);
                        int e = unlink(name);

                        free(name);
                        if (e < 0)
                                break;
                }
        return 0;
}

/* Reads len bytes at offset of fd; a short read is an error. */
static int read_at(int fd, void *buf, size_t len, uint64_t offset, const char *path)
{
        ssize_t r = pread(fd, buf, len, (off_t)offset);

        if (r < 0 || (size_t)r != len) {
                error(0, r < 0 ? errno : 0, "cannot read %zu bytes at offset %" PRIu64 " of %s%s", len, offset, path,
                      r < 0 ? "" : ": it ends there");
                return -1;
        }
        return 0;
}

static bool zero_page(const uint8_t *p, size_t n)
{
        static const uint8_t zero[PAGE];

        return !memcmp(p, zero, n);
}

/* The RAM part: each range's non-zero pages, from the memory file. */
static int save_ram(struct sw_snap_writer *w, const struct snap_args *a, int mem)
{
        static uint8_t buf[CHUNK];
        struct sw_snap_part p = { .type = SW_SNAP_PART_RAM, .unit = 1, .nranges = a->nranges };

        memcpy(p.range, a->range, sizeof(p.range));
        if (sw_snap_write_part(w, &p) < 0)
                return -1;
        for (unsigned r = 0; r < a->nranges; r++) {
                uint64_t size = a->range[r].size;

                for (uint64_t at = 0; at < size;) {
                        size_t n = size - at < CHUNK ? (size_t)(size - at) : CHUNK;

                        if (read_at(mem, buf, n, a->range[r].addr - a->mem_base + at, a->mem) < 0)
                                return -1;
                        /* Runs of non-zero pages become extents; zero pages are left out. */
                        for (size_t i = 0; i < n;) {
                                size_t run = 0;

                                while (i + run < n && !zero_page(buf + i + run, n - i - run < PAGE ? n - i - run : PAGE))
                                        run += n - i - run < PAGE ? n - i - run : PAGE;
                                if (run) {
                                        if (sw_snap_write_extent(w, r, at + i, run) < 0 ||
                                            sw_snap_write_data(w, buf + i, run) < 0)
                                                return -1;
                                        i += run;
                                } else {
                                        i += n - i < PAGE ? n - i : PAGE;
                                }
                        }
                        at += n;
                }
        }
        return sw_snap_write_part_end(w, NULL);
}

/* Opens an ext4 file system read-only and reads its block bitmap. */
static int fs_open(const char *path, ext2_filsys *fs)
{
        errcode_t e = ext2fs_open(path, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, fs);

        if (e) {
                error(0, 0, "%s: not an ext2/3/4 file system (%s)", path, error_message(e));
                return -1;
        }
        e = ext2fs_read_block_bitmap(*fs);
        if (e) {
                error(0, 0, "%s: cannot read the block bitmap (%s)", path, error_message(e));
                ext2fs_close_free(fs);
                return -1;
        }
        return 0;
}

/* True when libext2fs counts blk as used; the blocks before the first
 * data block (the boot block of a 1 KiB-block file system) always are. */
static bool block_used(ext2_filsys fs, blk64_t blk)
{
        return blk < fs->super->s_first_data_block || ext2fs_test_block_bitmap2(fs->block_map, blk);
}

/* The FS part: every used block of the file system at path. */
static int save_fs(struct sw_snap_writer *w, const char *path, ext2_filsys fs)
{
        static uint8_t buf[CHUNK];
        uint32_t bs = (uint32_t)fs->blocksize;
        blk64_t total = ext2fs_blocks_count(fs->super);
        struct sw_snap_part p = { .type = SW_SNAP_PART_FS, .unit = bs, .nranges = 1 };
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        int rc = -1;

        if (fd < 0) {
                error(0, errno, "cannot read %s", path);
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
                        size_t n = run * bs - done < CHUNK ? (size_t)(run * bs - done) : CHUNK;

                        if (read_at(fd, buf, n, b * bs + done, path) < 0 || sw_snap_write_data(w, buf, n) < 0)
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

/* Refuses a partition that anything on this system has mounted. */
static int not_mounted(const char *path)
{
        int flags = 0;
        errcode_t e = ext2fs_check_if_mounted(path, &flags);

        if (e) {
                error(0, 0, "%s: cannot tell whether it is mounted (%s)", path, error_message(e));
                return -1;
        }
        if (flags & EXT2_MF_MOUNTED) {
                error(0, 0, "%s is mounted; unmount it first (its blocks would change under the snapshot)", path);
                return -1;
        }
        return 0;
}

static int save(struct snap_args *a)
{
        static struct out o;
        struct sw_snap_sink sink = { out_write, &o };
        struct sw_snap_writer w;
        ext2_filsys fs = NULL;
        struct statvfs sv;
        uint64_t need = SW_SNAP_HEADER_SIZE + SW_SNAP_TRAILER_SIZE, size;
        uint8_t hash[SW_SHA256_LEN];
        char hex[SW_SHA256_HEX_LEN], *dir, *slash;
        int mem = -1, rc = 1;

        if (!a->output || !a->nranges || !a->hdr.id.slot[0]) {
                error(0, 0, "snapshot save: --output, --slot and at least one --range are required");
                return EXIT_USAGE;
        }
        for (unsigned r = 0; r < a->nranges; r++)
                if (a->range[r].addr < a->mem_base) {
                        error(0, 0, "--range %u at 0x%" PRIx64 " lies below --mem-base 0x%" PRIx64, r + 1,
                              a->range[r].addr, a->mem_base);
                        return EXIT_USAGE;
                }
        /* Refused before any work, and before a split output's first piece
         * could replace an old one. */
        if (!a->force) {
                char *first = a->split ? xasprintf("%s.000", a->output) : xstrdup(a->output);
                struct stat st;
                bool exists = lstat(first, &st) == 0;

                if (exists)
                        error(0, 0, "%s exists; not replaced (use --force)", first);
                free(first);
                if (exists)
                        return 1;
        }
        if (a->fs && (not_mounted(a->fs) < 0 || fs_open(a->fs, &fs) < 0))
                return 1;
        /* The worst case, every RAM page non-zero: the output's file system
         * must hold it, or the save is refused before it starts. */
        for (unsigned r = 0; r < a->nranges; r++)
                need += a->range[r].size + (a->range[r].size / PAGE + 1) * SW_SNAP_EXTENT_SIZE;
        if (fs)
                need += (ext2fs_blocks_count(fs->super) - ext2fs_free_blocks_count(fs->super)) *
                        ((uint64_t)fs->blocksize + SW_SNAP_EXTENT_SIZE);
        dir = xstrdup(a->output);
        slash = strrchr(dir, '/');
        if (slash)
                slash[1] = '\0';
        if (statvfs(slash ? dir : ".", &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < need) {
                error(0, 0, "%s: %" PRIu64 " bytes free where it goes, the snapshot may take %" PRIu64, a->output,
                      (uint64_t)sv.f_bavail * sv.f_frsize, need);
                free(dir);
                goto out;
        }
        free(dir);
        mem = open(a->mem, O_RDONLY | O_CLOEXEC);
        if (mem < 0) {
                error(0, errno, "cannot read %s", a->mem);
                goto out;
        }
        a->hdr.nparts = fs ? 2 : 1;
        if (!a->have_created)
                a->hdr.created = (uint64_t)time(NULL);
        if (!a->have_store) {
                a->hdr.id.store_base = a->range[0].addr;
                a->hdr.id.store_size = a->range[0].size;
        }
        o = (struct out){ .name = a->output, .split = a->split, .fd = -1 };
        if (out_next(&o) < 0)
                goto out;
        if (sw_snap_write_begin(&w, &sink, &a->hdr, a->output, &stderr_diag) < 0 || save_ram(&w, a, mem) < 0 ||
            (fs && save_fs(&w, a->fs, fs) < 0) || sw_snap_write_end(&w, &size, hash) < 0 ||
            out_close_piece(&o) < 0) {
                out_discard(&o);
                error(0, 0, "snapshot save: nothing written to %s", a->output);
                goto out;
        }
        if (out_commit(&o, a->force) < 0)
                goto out;
        if (a->json)
                printf("{\"file\":\"%s\",\"size\":%" PRIu64 ",\"pieces\":%u,\"sha256\":\"%s\"}\n", a->output, size,
                       a->split ? o.npieces : 0, sw_sha256_hex(hash, hex));
        else
                printf("%s: snapshot of slot '%s', %" PRIu64 " bytes%s, sha256 %s\n", a->output, a->hdr.id.slot, size,
                       a->split ? " (split)" : "", sw_sha256_hex(hash, hex));
        rc = 0;
out:
        if (mem >= 0)
                close(mem);
        if (fs)
                ext2fs_close_free(&fs);
        return rc;
}

/* ---------------------------------------------------------------------- */
/* restore */

struct target {
        const struct snap_args *a;
        int mem, fs;
        uint64_t mem_size;      /* a regular memory file's size (0: a device) */
        bool write;
};

/* Where a part's byte goes: the memory file (RAM) or the partition (FS). */
static int put(struct target *t, const struct sw_snap_part *p, unsigned r, uint64_t at, const void *buf, size_t len)
{
        int fd = p->type == SW_SNAP_PART_FS ? t->fs : t->mem;
        uint64_t off = p->type == SW_SNAP_PART_FS ? at : p->range[r].addr - t->a->mem_base + at;
        const char *path = p->type == SW_SNAP_PART_FS ? t->a->fs : t->a->mem;

        while (len) {
                ssize_t n = pwrite(fd, buf, len, (off_t)off);

                if (n <= 0) {
                        error(0, n < 0 ? errno : EIO, "cannot write %s at offset %" PRIu64, path, off);
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
        struct target *t = ctx;
        struct stat st;
        uint64_t size;

        if (p->type == SW_SNAP_PART_FS) {
                if (!t->a->fs) {
                        error(0, 0, "%s holds a file system; name the partition with --fs", t->a->file);
                        return -1;
                }
                if (fstat(t->fs, &st) < 0 ||
                    (S_ISBLK(st.st_mode) ? ioctl(t->fs, BLKGETSIZE64, &size) < 0 : ((size = (uint64_t)st.st_size), 0))) {
                        error(0, errno, "cannot find the size of %s", t->a->fs);
                        return -1;
                }
                if (size < p->range[0].size * p->unit) {
                        error(0, 0, "%s: %" PRIu64 " bytes, the snapshot's file system needs %" PRIu64
                                    "; nothing written", t->a->fs, size, p->range[0].size * p->unit);
                        return -1;
                }
                return 0;
        }
        for (unsigned r = 0; r < p->nranges; r++)
                if (p->range[r].addr < t->a->mem_base ||
                    (t->mem_size && p->range[r].addr - t->a->mem_base + p->range[r].size > t->mem_size)) {
                        error(0, 0, "%s: range %u (0x%" PRIx64 ", %" PRIu64 " bytes) lies outside %s; nothing written",
                              t->a->file, r, p->range[r].addr, p->range[r].size, t->a->mem);
                        return -1;
                }
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
        static const uint8_t zero[CHUNK];
        struct target *t = ctx;
        uint64_t left = count * p->unit, at = offset * p->unit;

        if (p->type == SW_SNAP_PART_FS && zero_range(t->fs, at, left) == 0)
                return 0;

        while (left) {
                size_t n = left < CHUNK ? (size_t)left : CHUNK;

                if (put(ctx, p, r, at, zero, n) < 0)
                        return -1;
                at += n;
                left -= n;
        }
        return 0;
}

static int restore(struct snap_args *a)
{
        static uint8_t scratch[CHUNK];
        static struct sw_snap_info info;
        struct target t = { .a = a, .mem = -1, .fs = -1 };
        struct sw_snap_visitor check = { check_part, NULL, NULL, NULL, &t };
        struct sw_snap_visitor write = { NULL, restore_data, restore_gap, NULL, &t };
        struct sw_snap_source src;
        struct pieces in;
        struct stat st;
        uint8_t hash[SW_SHA256_LEN];
        int rc = 1;

        if (a->fs && not_mounted(a->fs) < 0)
                return 1;
        t.mem = open(a->mem, O_RDWR | O_CLOEXEC);
        if (t.mem < 0 || fstat(t.mem, &st) < 0) {
                error(0, errno, "cannot open %s for writing", a->mem);
                goto out;
        }
        t.mem_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
        if (a->fs && (t.fs = open(a->fs, O_RDWR | O_CLOEXEC)) < 0) {
                error(0, errno, "cannot open %s for writing", a->fs);
                goto out;
        }
        /* Pass 1: every structure and hash, and every target, before a byte is written. */
        if (pieces_open(&in, a->file) < 0)
                goto out;
        src = (struct sw_snap_source){ pieces_read, &in };
        rc = sw_snap_walk(&src, &check, scratch, sizeof(scratch), NULL, &info, a->file, &stderr_diag);
        pieces_close(&in);
        if (rc == 0 && a->expect_slot && strcmp(a->expect_slot, info.hdr.id.slot) != 0) {
                error(0, 0, "%s is a snapshot of slot '%s', not '%s'", a->file, info.hdr.id.slot, a->expect_slot);
                rc = -1;
        }
        if (rc < 0) {
                error(0, 0, "snapshot restore: %s refused; nothing written", a->file);
                rc = 1;
                goto out;
        }
        memcpy(hash, info.sha256, sizeof(hash));
        /* Pass 2: the same walk writes, and refuses a file changed since pass 1. */
        rc = 1;
        if (pieces_open(&in, a->file) < 0)
                goto out;
        src = (struct sw_snap_source){ pieces_read, &in };
        if (sw_snap_walk(&src, &write, scratch, sizeof(scratch), hash, &info, a->file, &stderr_diag) < 0 ||
            fsync(t.mem) < 0 || (t.fs >= 0 && fsync(t.fs) < 0)) {
                pieces_close(&in);
                error(0, 0, "snapshot restore: %s failed while writing; the slot is damaged", a->file);
                goto out;
        }
        pieces_close(&in);
        printf("%s: restored slot '%s' (%" PRIu64 " bytes)\n", a->file, info.hdr.id.slot, info.file_size);
        rc = 0;
out:
        if (t.mem >= 0)
                close(t.mem);
        if (t.fs >= 0)
                close(t.fs);
        return rc;
}

/* ---------------------------------------------------------------------- */
/* Options. */

static const struct argp_option inspect_options[] = {
        { "json", OPT_JSON, NULL, 0, "print the contents as JSON on stdout", 0 },
        { 0 },
};

static const struct argp_option save_options[] = {
        { "output", OPT_OUTPUT, "FILE", 0, "the snapshot to write (required)", 0 },
        { "mem", OPT_MEM, "FILE", 0, "where the RAM is read (default /dev/mem)", 0 },
        { "mem-base", OPT_MEM_BASE, "ADDR", 0, "the physical address of byte 0 of --mem (default 0)", 0 },
        { "range", OPT_RANGE, "KIND:ADDR:SIZE", 0,
          "a RAM range to save: KIND store, ram or low; ADDR its physical address; SIZE bytes (K, M, G "
          "suffixes); repeat, in address order (required)", 0 },
        { "fs", OPT_FS, "DEVICE", 0, "the slot's ext4 partition (or an image of it): its used blocks are saved", 0 },
        { "slot", OPT_SLOT, "ID", 0, "the slot's id (required)", 0 },
        { "kernel", OPT_KERNEL, "RELEASE", 0, "identity: the kernel release", 0 },
        { "kernel-size", OPT_KERNEL_SIZE, "BYTES", 0, "identity: the bzImage's size", 0 },
        { "partition", OPT_PARTITION, "TEXT", 0, "identity: PARTUUID=... or PARTLABEL=...", 0 },
        { "layout", OPT_LAYOUT, "HASH", 0, "identity: the hash of the slot's e820 table", 0 },
        { "store", OPT_STORE, "ADDR:SIZE", 0, "identity: the slot's store (default: the first range)", 0 },
        { "config-hash", OPT_CONFIG, "HASH", 0, "the hash of the slot's memory settings", 0 },
        { "vector", OPT_VECTOR, "ADDR", 0, "the waking vector the slot resumes at", 0 },
        { "in-place", OPT_MODE_IN_PLACE, NULL, 0, "the slot runs in place", 0 },
        { "created", OPT_CREATED, "SECONDS", 0, "the creation time (default: now)", 0 },
        { "split", OPT_SPLIT, "SIZE", 0,
          "write pieces FILE.000, FILE.001, ... of at most SIZE bytes ('fat': 4095M, under FAT's 4 GiB limit)", 0 },
        { "force", OPT_FORCE, NULL, 0, "replace FILE if it exists", 0 },
        { "json", OPT_JSON, NULL, 0, "describe the written snapshot as JSON on stdout", 0 },
        { 0 },
};

static const struct argp_option restore_options[] = {
        { "mem", OPT_MEM, "FILE", 0, "where the RAM is written (default /dev/mem)", 0 },
        { "mem-base", OPT_MEM_BASE, "ADDR", 0, "the physical address of byte 0 of --mem (default 0)", 0 },
        { "fs", OPT_FS, "DEVICE", 0, "the partition the file system is written to", 0 },
        { "slot", OPT_SLOT, "ID", 0, "refuse a snapshot of another slot", 0 },
        { 0 },
};

/* A number: decimal or 0x hex, the whole argument. */
static uint64_t number(struct argp_state *state, const char *what, const char *arg)
{
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(arg, &end, 0);
        if (errno || end == arg || *end || *arg == '-')
                argp_error(state, "%s: '%s' is not a number", what, arg);
        return v;
}

/* A byte count: sw_parse_size's syntax (256M, 4096, 1GiB) or 0x hex. */
static uint64_t size_arg(struct argp_state *state, const char *what, const char *arg)
{
        uint64_t v;

        if (!strncmp(arg, "0x", 2) || !strncmp(arg, "0X", 2))
                return number(state, what, arg);
        if (sw_parse_size(arg, &v) < 0)
                argp_error(state, "%s: '%s' is not a size", what, arg);
        return v;
}

static void text_arg(struct argp_state *state, char *dst, const char *what, const char *arg)
{
        if (strlen(arg) >= SW_SNAP_TEXT_LEN)
                argp_error(state, "%s is longer than %d bytes", what, SW_SNAP_TEXT_LEN - 1);
        for (const char *c = arg; *c; c++)
                if (*c < 0x20 || *c > 0x7e)
                        argp_error(state, "%s: only printable ASCII", what);
        snprintf(dst, SW_SNAP_TEXT_LEN, "%s", arg);
}

static void range_arg(struct argp_state *state, struct snap_args *a, char *arg)
{
        static const char *const kinds[] = { [SW_SNAP_RANGE_STORE] = "store", [SW_SNAP_RANGE_RAM] = "ram",
                                             [SW_SNAP_RANGE_LOW] = "low" };
        char *addr = strchr(arg, ':'), *size = addr ? strchr(addr + 1, ':') : NULL;
        struct sw_snap_range *r;
        unsigned k;

        if (!size)
                argp_error(state, "--range is KIND:ADDR:SIZE, not '%s'", arg);
        if (a->nranges >= SW_SNAP_MAX_RANGES)
                argp_error(state, "at most %d --range", SW_SNAP_MAX_RANGES);
        *addr++ = '\0';
        *size++ = '\0';
        for (k = SW_SNAP_RANGE_STORE; k <= SW_SNAP_RANGE_LOW; k++)
                if (!strcmp(arg, kinds[k]))
                        break;
        if (k > SW_SNAP_RANGE_LOW)
                argp_error(state, "--range: kind '%s' is not store, ram or low", arg);
        r = &a->range[a->nranges++];
        r->kind = k;
        r->addr = number(state, "--range address", addr);
        r->size = size_arg(state, "--range size", size);
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
        struct snap_args *a = state->input;
        char *colon;

        switch (key) {
        case OPT_OUTPUT:
                a->output = arg;
                break;
        case OPT_FORCE:
                a->force = true;
                break;
        case OPT_JSON:
                a->json = true;
                break;
        case OPT_MEM:
                a->mem = arg;
                break;
        case OPT_MEM_BASE:
                a->mem_base = number(state, "--mem-base", arg);
                break;
        case OPT_RANGE:
                range_arg(state, a, arg);
                break;
        case OPT_FS:
                a->fs = arg;
                break;
        case OPT_SLOT:
                text_arg(state, a->hdr.id.slot, "--slot", arg);
                a->expect_slot = arg;
                break;
        case OPT_KERNEL:
                text_arg(state, a->hdr.id.kernel, "--kernel", arg);
                break;
        case OPT_KERNEL_SIZE:
                a->hdr.id.kernel_size = number(state, "--kernel-size", arg);
                break;
        case OPT_PARTITION:
                text_arg(state, a->hdr.id.partition, "--partition", arg);
                break;
        case OPT_LAYOUT:
                a->hdr.id.layout = number(state, "--layout", arg);
                break;
        case OPT_STORE:
                colon = strchr(arg, ':');
                if (!colon)
                        argp_error(state, "--store is ADDR:SIZE, not '%s'", arg);
                *colon = '\0';
                a->hdr.id.store_base = number(state, "--store address", arg);
                a->hdr.id.store_size = size_arg(state, "--store size", colon + 1);
                a->have_store = true;
                break;
        case OPT_CONFIG:
                a->hdr.config_hash = number(state, "--config-hash", arg);
                break;
        case OPT_VECTOR:
                a->hdr.waking_vector = number(state, "--vector", arg);
                break;
        case OPT_MODE_IN_PLACE:
                a->hdr.flags |= SW_SNAP_IN_PLACE;
                break;
        case OPT_CREATED:
                a->hdr.created = number(state, "--created", arg);
                a->have_created = true;
                break;
        case OPT_SPLIT:
                a->split = !strcmp(arg, "fat") ? SPLIT_FAT : size_arg(state, "--split", arg);
                if (a->split < SW_SNAP_HEADER_SIZE)
                        argp_error(state, "--split: pieces of at least %d bytes", SW_SNAP_HEADER_SIZE);
                break;
        case ARGP_KEY_ARG:
                if (a->file)
                        argp_error(state, "expected exactly one FILE");
                a->file = arg;
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

static int run_sub(const char *sub, int argc, char **argv)
{
        static const struct argp inspect_argp = {
                inspect_options, parse_opt, "FILE",
                "Shows what a snapshot holds -- the slot and kernel it belongs to, its RAM ranges and file "
                "system, their sizes -- and checks every structure and hash, as a restore will.  FILE may be "
                "split into FILE.000, FILE.001, ...  Exit status 0 when the whole snapshot verifies; else 1, "
                "after a message naming what is wrong and at which offset.",
                NULL, NULL, NULL,
        };
        static const struct argp save_argp = {
                save_options, parse_opt, NULL,
                "Writes a snapshot of a suspended slot: the RAM ranges given with --range (read from --mem, "
                "all-zero pages left out) and the used blocks of the ext4 file system on --fs, with a SHA-256 "
                "over each part and the header (docs/snapshot-format.md).  Refuses a mounted --fs, and an "
                "output file system without room for the worst case.  Written under a temporary name and "
                "renamed when complete.\v"
                "Example: mkslot snapshot save --slot lab --mem store.bin --mem-base 0x40000000 "
                "--range store:0x40000000:256M --fs lab.ext4 -o lab.snap",
                NULL, NULL, NULL,
        };
        static const struct argp restore_argp = {
                restore_options, parse_opt, "FILE",
                "Verifies a whole snapshot (every structure and hash, and that each part fits where it goes), "
                "then writes it back: its RAM ranges into --mem at their addresses, its file system's blocks "
                "onto --fs, zeros where the snapshot has none.  Nothing is written when anything is wrong.",
                NULL, NULL, NULL,
        };
        struct snap_args a = { .mem = "/dev/mem" };

        if (!strcmp(sub, "inspect")) {
                argp_parse(&inspect_argp, argc, argv, 0, NULL, &a);
                if (!a.file) {
                        error(0, 0, "snapshot inspect: expected exactly one FILE");
                        return EXIT_USAGE;
                }
                return inspect(&a);
        }
        if (!strcmp(sub, "save")) {
                argp_parse(&save_argp, argc, argv, 0, NULL, &a);
                if (a.file) {
                        error(0, 0, "snapshot save: unexpected argument '%s' (the output is -o FILE)", a.file);
                        return EXIT_USAGE;
                }
                return save(&a);
        }
        argp_parse(&restore_argp, argc, argv, 0, NULL, &a);
        if (!a.file) {
                error(0, 0, "snapshot restore: expected exactly one FILE");
                return EXIT_USAGE;
        }
        return restore(&a);
}

int cmd_snapshot(int argc, char **argv)
{
        static const char *const subs[] = { "inspect", "save", "restore" };
        static char name[96];

        if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                FILE *f = argc < 2 ? stderr : stdout;

                fprintf(f, "Usage: %s inspect FILE [--json]\n"
                           "       %s save --slot ID --range KIND:ADDR:SIZE... [--fs DEVICE] -o FILE [OPTION...]\n"
                           "       %s restore FILE [--mem FILE] [--fs DEVICE] [--slot ID]\n\n"
                           "Lab-bank snapshots of a suspended slot: its RAM and its ext4 partition, verified by "
                           "SHA-256 (docs/snapshot-format.md).\n`%s SUBCOMMAND --help` describes each.\n",
                        argv[0], argv[0], argv[0], argv[0]);
                return argc < 2 ? EXIT_USAGE : 0;
        }
        for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
                if (strcmp(argv[1], subs[i]) != 0)
                        continue;
                /* argp names the subcommand in its usage and errors. */
                snprintf(name, sizeof(name), "%s %s", argv[0], subs[i]);
                argv[1] = name;
                return run_sub(subs[i], argc - 1, argv + 1);
        }
        error(0, 0, "snapshot: unknown subcommand '%s' (inspect, save or restore)", argv[1]);
        return EXIT_USAGE;
}
