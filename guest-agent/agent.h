/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: the little that every part of switchctl and switcher-agent
 * uses (agent.c): logging, number and command-line parsing, and the small
 * file reads and writes of /proc, /sys and /dev.  The parts themselves:
 *
 *   mbox.h      the mailbox: finding it, reading and writing it, slot lookups
 *   mounts.h    the mount check: no other slot's partition mounted read-write
 *   gpt.h       the GPT reader the mount check identifies partitions with
 *   suspend.h   the switch procedure: request, RTC alarm, suspend, answer
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The options that only tests use (switchctl --make-test-mailbox,
 * --test-set-result, switch --test-unchecked, --test-bad-csum, --test-hold)
 * exist only in the test build, compiled with -DSW_AGENT_TEST_HOOKS=1
 * (guest-agent/build.mk): the agent the guests run cannot send a request the
 * switcher must refuse, nor answer for the switcher.
 */
#ifndef SW_AGENT_TEST_HOOKS
#define SW_AGENT_TEST_HOOKS 0
#endif

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
 * Reads a small file (a /proc or /sys value: at most size - 1 bytes, in one
 * read) into buf and ends it with a NUL.  Returns its length, or -1 with
 * errno set (EIO for an empty file).
 */
ssize_t agent_read_small(const char *path, char *buf, size_t size);

/* Writes text to a /sys or /proc file in one write.  0, or -1 with errno. */
int agent_write_file(const char *path, const char *text);

/*
 * Reads up to len bytes at offset off, retrying short reads until len or the
 * end of the file; *got says how many came.  Returns 0, or -1 with errno
 * (also when off + len does not fit an off_t).
 */
int agent_pread_all(int fd, void *buf, size_t len, uint64_t off, size_t *got);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t agent_now_ms(void);
