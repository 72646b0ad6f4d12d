/* SPDX-License-Identifier: MIT */
/*
 * The byte-moving core of a snapshot save and restore (issue 14, the lab
 * bank), shared by the host tool (`mkslot snapshot`, tools/mkslot/
 * cmd-snapshot.c) and the guest agent (`switchctl snapshot`,
 * guest-agent/snapshot.c): one implementation of reading RAM from a memory
 * file, of finding an ext4 file system's used blocks with libext2fs, of the
 * split-file reader and of the two-pass restore.  The format and every check
 * on it are switcher/snapshot.c's; this file only moves bytes between the
 * snapshot stream, a memory file and a partition.
 *
 * Plain libc and libext2fs, no gnulib: the agent is a static binary without
 * it.  Every failure is one SW_ERROR through the caller's diag, naming the
 * file and offset, so mkslot prints it as "error: ..." and switchctl as its
 * own log line.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "snapshot.h"

/* Bytes moved per read or write. */
#define SNAPIO_CHUNK (1u << 20)
#define SNAPIO_PAGE 4096u
/* At most this many pieces of a RAM range lie elsewhere (see below). */
#define SNAPIO_MAX_MOVED 64

/*
 * A file standing for physical memory (/dev/mem, or a plain file in tests):
 * byte 0 is physical address base.  A piece of a range that does not lie at
 * its own address now (a lazily saved slot's RAM still in the active region,
 * see switcher/switch.h) is read from where it lies: moved[i] says that addr
 * .. addr+size is at now .. now+size.
 */
struct snapio_mem {
        int fd;
        const char *path;
        uint64_t base;
        uint64_t size;                  /* a regular file's size; 0: a device, unbounded */
        unsigned nmoved;
        struct snapio_moved {
                uint64_t addr, now, size;
        } moved[SNAPIO_MAX_MOVED];
};

/* Reads len bytes at offset of fd; a short read is an error naming path. */
int snapio_read_at(int fd, void *buf, size_t len, uint64_t offset, const char *path, struct sw_diag *d);

/*
 * Writes the RAM part of a snapshot: each of the n ranges read from m
 * (moved pieces from where they lie), runs of non-zero pages as extents,
 * all-zero pages left out.  0 or -1 (said).
 */
int snapio_save_ram(struct sw_snap_writer *w, const struct sw_snap_range *r, unsigned n, struct snapio_mem *m,
                    struct sw_diag *d);

/* An ext4 (ext2/3) file system opened read-only with its block bitmap. */
struct snapio_fs {
        const char *path;
        void *fs;                       /* ext2_filsys */
        uint32_t block_size;
        uint64_t blocks, used;          /* s_blocks_count, and the blocks in use */
};

/* Refuses (-1, said) a device that anything on this system has mounted:
 * its blocks would change under the snapshot, or under the restore. */
int snapio_not_mounted(const char *path, struct sw_diag *d);
int snapio_fs_open(struct snapio_fs *f, const char *path, struct sw_diag *d);
void snapio_fs_close(struct snapio_fs *f);
/* Writes the FS part: every used block (libext2fs's bitmap; the blocks
 * before s_first_data_block count as used).  0 or -1 (said). */
int snapio_save_fs(struct sw_snap_writer *w, struct snapio_fs *f, struct sw_diag *d);

/*
 * The worst case size of a snapshot of the n ranges and f (NULL: none):
 * every RAM page non-zero.  A save refuses to start when the output's file
 * system has less room.
 */
uint64_t snapio_worst_size(const struct sw_snap_range *r, unsigned n, const struct snapio_fs *f);
/* Refuses (-1, said) when the file system output goes to has less than
 * need bytes free.  A file system that cannot be asked is let through. */
int snapio_room(const char *output, uint64_t need, struct sw_diag *d);

/*
 * Reading a snapshot, whole or split into NAME.000, NAME.001, ... (see
 * docs/snapshot-format.md, "Split files").
 */
struct snapio_pieces {
        const char *name;
        int fd;
        unsigned next;                  /* the next piece to open */
        bool split;
        struct sw_diag *d;
};

int snapio_pieces_open(struct snapio_pieces *p, const char *name, struct sw_diag *d);
/* A struct sw_snap_source read(): ctx is a struct snapio_pieces. */
long long snapio_pieces_read(void *ctx, void *buf, size_t len);
void snapio_pieces_close(struct snapio_pieces *p);

/* Where a restore writes: RAM into mem, the file system onto fs_path. */
struct snapio_target {
        struct snapio_mem mem;
        const char *fs_path;            /* NULL: the snapshot must have no FS part */
        int fs_fd;
        const char *file;               /* the snapshot, for messages */
        /* Filled by the checking pass when want_ram_hash: the RAM as it
         * will lie in memory, hashed (sw_snap_ram_hash). */
        bool want_ram_hash;
        struct sw_snap_ram_hash *ram_hash;
};

/*
 * The two-pass restore of file into t (t->mem.fd and t->fs_fd already
 * open for writing): the checking walk first, which also refuses a
 * partition smaller than the snapshot's file system, a RAM range outside
 * the memory file, and (expect_slot not NULL) the snapshot of another slot;
 * then accept(ctx, info) when given, the caller's last word before a byte
 * is written (-1 refuses, said); only then the writing walk, which refuses
 * a file that changed since the first.  info gets what the walk found.
 * Returns 0; 1 when refused with nothing written; 2 when writing failed
 * part way (the target is damaged).  Each after one message.
 */
int snapio_restore(struct snapio_target *t, const char *expect_slot, int (*accept)(void *ctx, const struct sw_snap_info *info),
                   void *ctx, struct sw_snap_info *info, struct sw_diag *d);
