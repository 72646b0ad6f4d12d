/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: what switchctl and switcher-agent share.  Mailbox access
 * (/dev/mem or a file), slot lookups, and the switch procedure itself.
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

/* When set, agent_log() also writes to /dev/kmsg (the daemon). */
extern bool agent_log_kmsg;
/* When set, agent_log() says nothing on stderr for INFO lines (--quiet). */
extern bool agent_log_quiet;

/* One line to stderr ("PROG: ..."), and to /dev/kmsg as "switcher-agent: ...". */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, but suppressed by agent_log_quiet on stderr. */
void agent_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The program name agent_log() prefixes ("switchctl"). */
extern const char *agent_prog;

/*
 * Value of KEY=VALUE in /proc/cmdline (or the file path, for tests) into
 * out.  Returns 0, or -1 when absent or too long.
 */
int agent_cmdline_value(const char *path, const char *key, char *out, size_t n);

/* Parses "0x..." or decimal into *v.  Returns 0 or -1. */
int agent_parse_u64(const char *s, uint64_t *v);

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

/*
 * The RTC's second boundary on CLOCK_MONOTONIC.  The RTC alarm has one-second
 * resolution and fires on a tick; knowing when the RTC ticks lets the agent
 * pick the first tick that is safely after the suspend instead of "now + 2
 * s", which cuts the time the machine sleeps waiting for its wake-up.
 * CLOCK_MONOTONIC stops while the machine sleeps, so a tick seen before a
 * suspend says nothing afterwards: re-measure after every resume, and at
 * least every AGENT_TICK_MAX_AGE_MS (the two clocks drift apart slowly).
 */
struct agent_rtc_tick {
        bool valid;
        uint64_t mono_ms;          /* CLOCK_MONOTONIC when the RTC ticked */
        int64_t rtc_s;             /* the RTC second that began then (since_epoch) */
};

#define AGENT_TICK_MAX_AGE_MS 20000u
/* Alarm no sooner than this after it is armed: the guest's suspend (armed
 * -> S3 took 0.07-0.19 s under QEMU TCG in make bench, 0.28 s once on a
 * loaded host) should be over by then, and the margin grows to 1.5 times
 * the slowest suspend this agent saw (slowest_ms).  An alarm that fires
 * while the kernel still suspends devices aborts the suspend (EBUSY, thanks
 * to the wakeup_count guard; agent_switch retries with +delay); one that
 * fires in the last ~25 ms, after device interrupts are off, is lost and
 * the machine sleeps until a key wakes it.  The alarm fires 0.3-1.3 s after
 * it is armed, 0.8 s on average; 500 ms (1 s on average) before the guard
 * existed, "+2" (1-2 s) before alarms were aligned to the RTC's tick. */
#define AGENT_ALARM_MARGIN_MS 300u

/*
 * Starts measuring a tick: opens /dev/rtc0 and turns its update interrupt
 * on.  Returns the descriptor to poll for reading, or -1 (logged).
 */
int agent_rtc_tick_start(void);

/*
 * Finishes a measurement once fd is readable (or blocks until it is): reads
 * the update, records the tick in *t, turns the interrupt off and closes fd.
 * Returns 0, or -1 (logged; *t is then invalid).
 */
int agent_rtc_tick_finish(int fd, struct agent_rtc_tick *t);

struct agent_switch_opts {
        unsigned delay;            /* RTC alarm, seconds from now (>= 1), when no tick is known */
        /* A fresh tick (the daemon keeps one): the alarm goes on the first
         * RTC second at least margin_ms away.  NULL: "+delay". */
        const struct agent_rtc_tick *tick;
        unsigned margin_ms;        /* 0: AGENT_ALARM_MARGIN_MS */
        /* The longest arm -> sleep seen so far (the daemon keeps it; NULL
         * for none): the margin grows to 1.5 times it, so a guest that
         * suspends slowly gets a later alarm.  Updated after each resume. */
        unsigned *slowest_ms;
        bool dry_run;              /* write the request, do not suspend */
        const char *mounts;        /* NULL = /proc/self/mounts */
        /* Test hooks: send the switcher a request it must refuse, to prove
         * it does.  unchecked: take the target as given, without resolving
         * it against the slot list; bad_csum: corrupt the checksum. */
        bool unchecked;
        bool bad_csum;
        /* Test hook: hold the switch lock this many seconds before starting,
         * to show that a second switch meanwhile is refused. */
        unsigned hold;
};

/*
 * The switch procedure shared by `switchctl switch` and the daemon: resolve,
 * refuse while another slot's partition or the ESP is mounted read-write,
 * sync, write the request (seq = own result-seq + 1), arm the RTC, suspend
 * to RAM, and after the resume read the switcher's answer.  Returns 0 when
 * the switcher answered OK (or the dry run wrote the request), 1 otherwise,
 * after saying why.
 */
int agent_switch(struct agent_mb *m, const char *self, const char *spec,
                 const struct agent_switch_opts *o);

/* ------------------------------------------------------------------------ */
/* gpt.c: which partition a mounted block device is, from the disk's GPT. */

#define GPT_NAME_UTF8_MAX (36 * 3 + 1)

struct gpt_part {
        unsigned index;                   /* 1-based entry number */
        uint8_t type[16];
        uint8_t uuid[16];
        char type_str[37];                /* lower case, 8-4-4-4-12 */
        char uuid_str[37];
        char name[GPT_NAME_UTF8_MAX];     /* UTF-8 */
};

/* "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" */
#define GPT_ESP_TYPE "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"

/*
 * Reads entry partn (1-based) of the GPT on the disk open as fd with
 * logical block size bs: primary header at LBA 1, header and entry-array
 * CRCs checked, every size bounded.  Returns 0, or -1 with the reason in
 * why.
 */
int gpt_read_entry(int fd, unsigned bs, unsigned partn, struct gpt_part *out, char *why, size_t n);

/* Formats a GPT GUID (mixed endian on disk) as lower-case text. */
void gpt_guid_str(const uint8_t g[16], char out[37]);

/*
 * Which GPT partition is block device dev ("/dev/sda2")?  Looks the device
 * up in /sys (major:minor -> partition number and parent disk) and reads the
 * parent's GPT.  Returns 0, 1 when dev is not a partition of a GPT disk
 * (a whole disk, a loop device, an MBR disk: out untouched), or -1 with the
 * reason in why.
 */
int gpt_identify(const char *dev, struct gpt_part *out, char *why, size_t n);
