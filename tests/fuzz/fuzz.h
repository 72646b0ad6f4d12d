/* SPDX-License-Identifier: MIT */
/*
 * What every libFuzzer target in tests/fuzz/ shares (util_fuzz.c).
 *
 * A target is one file, tests/fuzz/fuzz_NAME.c, that defines
 * LLVMFuzzerTestOneInput().  The Makefile links it with the core built by
 * clang under ASan + UBSan (build/fuzz/fuzz_NAME).  tests/fuzz/run-fuzz.sh
 * seeds it from the files named on the " * Seeds:" line of its header
 * comment, plus whatever its optional fuzz_seeds() writes, replays
 * tests/fuzz/regress/NAME/ and fuzzes it.  A crash is a sanitizer report, or
 * an invariant the target checks with FUZZ_CHECK() failing: both abort, and
 * libFuzzer keeps the input.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* libFuzzer's entry points (declared here for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * Optional, defined by a target that needs generated seeds (a mailbox made
 * by the codec, say): writes them into the directory dir with
 * fuzz_write_seed().  Called for "fuzz_NAME --write-seeds=DIR", which then
 * exits without fuzzing.
 */
void fuzz_seeds(const char *dir) __attribute__((weak));

/* Writes one seed file dir/name; exits with a message on failure. */
void fuzz_write_seed(const char *dir, const char *name, const void *data, size_t len);

/*
 * An exact-size heap copy of the input (at least one byte allocated), so
 * ASan reports any read past its end, and 8-byte aligned as libfdt wants.
 * NULL when out of memory; free() it.
 */
void *fuzz_copy(const uint8_t *data, size_t size);

/* Prints "fuzz invariant failed: FILE:LINE: what" and aborts. */
void fuzz_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4), noreturn));

#define FUZZ_CHECK(cond, ...)                                        \
        do {                                                         \
                if (!(cond))                                         \
                        fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);  \
        } while (0)

/*
 * A diagnostics sink that checks what every message of the core promises:
 * non-empty, terminated within the 511 bytes sw_diagf() formats, a known
 * severity, and (when no_controls is set) no control character but tab, because a
 * parser's messages quote the user's text onto a terminal or serial console.
 * It keeps the counts and the last message.
 */
struct fuzz_diag {
        struct sw_diag d;
        bool no_controls;
        unsigned n;
        unsigned nerror;
        char last[512];
};

/* Returns &fd->d, ready to hand to the core. */
struct sw_diag *fuzz_diag_init(struct fuzz_diag *fd, bool no_controls);

/* True when the n bytes at p are terminated within n (a fixed char field). */
bool fuzz_terminated(const char *p, size_t n);
