/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: the mailbox (mbox.c).  Finding it (/dev/mem or a file),
 * reading and writing it, and the slot lookups on it.
 *
 * The mailbox is switcher memory that any root process (and any bug) in any
 * guest may have scribbled over, so it is validated with sw_mb_check()
 * every time it is (re)read, and every string in it is read through
 * agent_prop_str(), which checks termination.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mailbox.h"

/* How the mailbox bytes are reached. */
enum agent_access {
        AGENT_MMAP,    /* /dev/mem mapped MAP_SHARED, write-back (no O_SYNC) */
        AGENT_PREAD,   /* /dev/mem through pread/pwrite on a private copy */
        AGENT_FILE,    /* a mailbox file (tests, --mailbox-file) */
};

struct agent_mb {
        enum agent_access access;
        int fd;
        uint64_t addr;             /* physical address (AGENT_MMAP/PREAD) */
        void *map;                 /* the mmap()ed pages (AGENT_MMAP) */
        size_t map_len;
        uint8_t *base;             /* the mailbox: in the mapping, or copy */
        size_t len;                /* bytes that are really there (a file may be short) */
        uint8_t copy[SW_MAILBOX_SIZE];  /* PREAD/FILE: what we work on */
        uint8_t orig[SW_MAILBOX_SIZE];  /* PREAD/FILE: as last read, to write back only changes */
        char where[300];           /* "0x7ffe0000 (/dev/mem, mmap)" or the file name */
};

/* Where the mailbox is, from the command line options. */
struct agent_source {
        const char *file;          /* --mailbox-file PATH, or NULL */
        bool have_addr;            /* --mailbox-addr given */
        uint64_t addr;
};

/*
 * Opens the mailbox: src->file, else src->addr, else switcher.mailbox= from
 * /proc/cmdline.  /dev/mem is mapped without O_SYNC (an O_SYNC mapping asks
 * for uncached memory, which PAT refuses with EAGAIN for pages the kernel
 * already maps write-back); if mmap fails, pread/pwrite is used.  Validates
 * with sw_mb_check().  Returns 0, or -1 after logging why.
 */
int agent_mb_open(struct agent_mb *m, const struct agent_source *src);

/* Re-reads (copies) or re-checks (mapping) the mailbox.  0 or -1 (logged). */
int agent_mb_refresh(struct agent_mb *m);

/* Makes our edits visible to the switcher: msync (mapping) or writes back
 * the bytes that changed since the last read.  0 or -1 (logged). */
int agent_mb_commit(struct agent_mb *m);

void agent_mb_close(struct agent_mb *m);

/* A terminated string property of node, or NULL (absent, empty-sized, or
 * not terminated within its length). */
const char *agent_prop_str(const struct agent_mb *m, int node, const char *name);
/* A 4-byte property as a host integer; false when absent or another size. */
bool agent_prop_u32(const struct agent_mb *m, int node, const char *name, uint32_t *v);

/* The root "current" into out (SW_MB_ID_LEN bytes).  0, or -1 when none. */
int agent_current(const struct agent_mb *m, char out[SW_MB_ID_LEN]);

/*
 * The slot this guest is: --slot, else switcher.slot= from the command line
 * (real mailbox only), else the mailbox's "current".  When the kernel command
 * line and "current" disagree it says so and fails: a request would then be
 * refused by the switcher anyway.  0 or -1 (logged).
 */
int agent_self(const struct agent_mb *m, const struct agent_source *src, const char *opt_slot,
               char out[SW_MB_ID_LEN]);

/*
 * Resolves a target: a slot id, "@next" (the slot after self in mailbox
 * order, wrapping) or "@default" (the root "default", else the first slot).
 * Refuses an unknown slot and self.  0, or -1 with the reason in why.
 */
int agent_resolve_target(const struct agent_mb *m, const char *self, const char *spec,
                         char out[SW_MB_ID_LEN], char *why, size_t n);
