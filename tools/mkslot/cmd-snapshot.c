/* SPDX-License-Identifier: MIT */
/*
 * mkslot snapshot: the host side of the lab bank (issue 14).
 *
 *   inspect FILE   what a snapshot holds; every hash verified
 *   save           writes a snapshot from a memory file (/dev/mem, or a
 *                  file standing for it) and an ext4 partition or image
 *   restore FILE   verifies the whole snapshot, then writes it back
 *
 * save and restore run the same code as `switchctl snapshot save/restore`
 * in a slot (guest-agent/snapio.c, compiled into both): the switcher's
 * store is read and written through the memory file at the ranges'
 * physical addresses, the file system's used blocks are found with
 * libext2fs.  The format's checks all live in switcher/snapshot.c; this
 * file only parses options, writes split output and prints.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <argp.h>
#include <error.h>
#include <full-write.h>
#include <progname.h>
#include <xalloc.h>
#include <xvasprintf.h>

#include "fmt.h"
#include "mkslot.h"
#include "snapio.h"
#include "snapshot.h"

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
        static uint8_t scratch[SNAPIO_CHUNK];
        static struct sw_snap_info info;
        static struct tally t;
        struct sw_diag d = { .emit = diag_keep };
        struct sw_snap_visitor v = { tally_part, tally_data, NULL, tally_end, &t };
        struct sw_snap_source src;
        struct snapio_pieces in;
        int rc;

        if (snapio_pieces_open(&in, a->file, &d) < 0)
                return 1;
        src = (struct sw_snap_source){ snapio_pieces_read, &in };
        rc = sw_snap_walk(&src, &v, scratch, sizeof(scratch), NULL, &info, a->file, &d);
        snapio_pieces_close(&in);
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

static int save(struct snap_args *a)
{
        static struct out o;
        static struct snapio_mem m;
        struct sw_snap_sink sink = { out_write, &o };
        struct sw_snap_writer w;
        struct snapio_fs fs = { 0 };
        uint64_t size;
        uint8_t hash[SW_SHA256_LEN];
        char hex[SW_SHA256_HEX_LEN];
        struct stat mst;
        int rc = 1;

        m = (struct snapio_mem){ .fd = -1 };
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
        if (a->fs && (snapio_not_mounted(a->fs, &stderr_diag) < 0 || snapio_fs_open(&fs, a->fs, &stderr_diag) < 0))
                return 1;
        /* The worst case, every RAM page non-zero: the output's file system
         * must hold it, or the save is refused before it starts. */
        if (snapio_room(a->output, snapio_worst_size(a->range, a->nranges, a->fs ? &fs : NULL), &stderr_diag) < 0)
                goto out;
        m = (struct snapio_mem){ .fd = open(a->mem, O_RDONLY | O_CLOEXEC), .path = a->mem, .base = a->mem_base };
        if (m.fd < 0 || fstat(m.fd, &mst) < 0) {
                error(0, errno, "cannot read %s", a->mem);
                goto out;
        }
        /* A plain file is read with read(), a device through a mapping. */
        m.size = S_ISREG(mst.st_mode) ? (uint64_t)mst.st_size : 0;
        a->hdr.nparts = a->fs ? 2 : 1;
        if (!a->have_created)
                a->hdr.created = (uint64_t)time(NULL);
        if (!a->have_store) {
                a->hdr.id.store_base = a->range[0].addr;
                a->hdr.id.store_size = a->range[0].size;
        }
        o = (struct out){ .name = a->output, .split = a->split, .fd = -1 };
        if (out_next(&o) < 0)
                goto out;
        if (sw_snap_write_begin(&w, &sink, &a->hdr, a->output, &stderr_diag) < 0 ||
            snapio_save_ram(&w, a->range, a->nranges, &m, &stderr_diag) < 0 ||
            (a->fs && snapio_save_fs(&w, &fs, &stderr_diag) < 0) || sw_snap_write_end(&w, &size, hash) < 0 ||
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
        if (m.fd >= 0)
                close(m.fd);
        snapio_fs_close(&fs);
        return rc;
}

/* ---------------------------------------------------------------------- */
/* restore */

static int restore(struct snap_args *a)
{
        static struct sw_snap_info info;
        struct snapio_target t = { .mem = { .fd = -1, .path = a->mem, .base = a->mem_base }, .fs_path = a->fs,
                                   .fs_fd = -1, .file = a->file };
        struct stat st;
        int rc = 1;

        if (a->fs && snapio_not_mounted(a->fs, &stderr_diag) < 0)
                return 1;
        t.mem.fd = open(a->mem, O_RDWR | O_CLOEXEC);
        if (t.mem.fd < 0 || fstat(t.mem.fd, &st) < 0) {
                error(0, errno, "cannot open %s for writing", a->mem);
                goto out;
        }
        t.mem.size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
        if (a->fs && (t.fs_fd = open(a->fs, O_RDWR | O_CLOEXEC)) < 0) {
                error(0, errno, "cannot open %s for writing", a->fs);
                goto out;
        }
        if (snapio_restore(&t, a->expect_slot, NULL, NULL, &info, &stderr_diag) != 0)
                goto out;
        printf("%s: restored slot '%s' (%" PRIu64 " bytes)\n", a->file, info.hdr.id.slot, info.file_size);
        rc = 0;
out:
        if (t.mem.fd >= 0)
                close(t.mem.fd);
        if (t.fs_fd >= 0)
                close(t.fs_fd);
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
          "a RAM range to save: KIND store, ram, low or dma32; ADDR its physical address; SIZE bytes (K, M, G "
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
        /* The RAM kinds, by the format's own names. */
        static const unsigned kinds[] = { SW_SNAP_RANGE_STORE, SW_SNAP_RANGE_RAM, SW_SNAP_RANGE_LOW,
                                          SW_SNAP_RANGE_DMA32 };
        char *addr = strchr(arg, ':'), *size = addr ? strchr(addr + 1, ':') : NULL;
        struct sw_snap_range *r;
        unsigned k;

        if (!size)
                argp_error(state, "--range is KIND:ADDR:SIZE, not '%s'", arg);
        if (a->nranges >= SW_SNAP_MAX_RANGES)
                argp_error(state, "at most %d --range", SW_SNAP_MAX_RANGES);
        *addr++ = '\0';
        *size++ = '\0';
        for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
                if (!strcmp(arg, sw_snap_range_name(kinds[k])))
                        break;
        if (k == sizeof(kinds) / sizeof(kinds[0]))
                argp_error(state, "--range: kind '%s' is not store, ram, low or dma32", arg);
        r = &a->range[a->nranges++];
        r->kind = kinds[k];
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
