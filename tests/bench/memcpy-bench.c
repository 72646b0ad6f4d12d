/* SPDX-License-Identifier: MIT */
/*
 * memcpy-bench, run inside a guest by make bench (tests/bench/bench.sh):
 *
 *   memcpy-bench [MIB]          copies MIB MiB (default 128) with the C
 *                               library's memcpy, three times, and prints the
 *                               best rate as "memcpy MIB MiB: N MB/s"
 *   memcpy-bench --loops [MIB]  the swap's copy loop against the usual ones,
 *                               at MIB MiB (default 256): one line per loop,
 *                               "NAME MIB MiB: best N MB/s (of R rounds: median N, min N)"
 *
 * The loops of --loops: sw_copy_fast, the switcher's own (linked in from the
 * switcher's assembled trampoline object, so this measures the code the swap
 * runs, not a copy of it), rep movsb, rep movsq and glibc's memcpy.  They
 * take turns, round after round, so a busy moment on the host slows all of
 * them rather than one.  Each reports its best round first: the host is
 * shared, and other work only ever slows a round down, so the best one is
 * the loop's own speed and the others show the noise.  The buffers are
 * page-aligned like the swap's ranges, and every loop's first copy is
 * checked byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trampoline.h"

/* The trampoline's exception stubs call this; nothing here installs them, so
 * it is never reached, but the object needs it to link. */
void sw_exception(const struct sw_exc_frame *f)
{
        (void)f;
        abort();
}

static void copy_memcpy(void *dst, const void *src, uint64_t len)
{
        memcpy(dst, src, len);
}

static void copy_movsb(void *dst, const void *src, uint64_t len)
{
        __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(len) : : "memory");
}

/* len is a multiple of 8 here: whole pages. */
static void copy_movsq(void *dst, const void *src, uint64_t len)
{
        uint64_t n = len / 8;

        __asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static const struct loop {
        const char *name;
        void (*copy)(void *dst, const void *src, uint64_t len);
} loops[] = {
        { "sw_copy_fast", sw_copy_fast },
        { "rep_movsb", copy_movsb },
        { "rep_movsq", copy_movsq },
        { "memcpy", copy_memcpy },
};
#define NLOOPS (sizeof(loops) / sizeof(loops[0]))
#define ROUNDS 7

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* MB/s of one copy of len bytes from src to dst. */
static double rate(const struct loop *l, void *dst, const void *src, size_t len)
{
        double t0 = now_s(), s;

        l->copy(dst, src, len);
        s = now_s() - t0;
        return s > 0 ? (double)len / s / 1e6 : 0;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

static int run_loops(size_t mib)
{
        size_t len = mib << 20;
        unsigned char *a = aligned_alloc(4096, len), *b = aligned_alloc(4096, len);
        double r[NLOOPS][ROUNDS];

        if (!a || !b) {
                fprintf(stderr, "memcpy-bench: cannot allocate 2 x %zu MiB\n", mib);
                return 1;
        }
        /* A pattern that differs from byte to byte, so a copy that drops or
         * shifts anything shows in the check; both buffers touched before
         * timing, so no round pays for the guest's page faults. */
        for (size_t i = 0; i < len; i += 8) {
                uint64_t v = i * 0x9e3779b97f4a7c15ULL;

                memcpy(a + i, &v, 8);
        }
        for (unsigned k = 0; k < NLOOPS; k++) {
                memset(b, 0xa5, len);
                loops[k].copy(b, a, len);
                if (memcmp(a, b, len) != 0) {
                        fprintf(stderr, "memcpy-bench: %s copied %zu MiB wrongly\n", loops[k].name, mib);
                        return 1;
                }
        }
        /* Round i starts with loop i: no loop always runs first. */
        for (unsigned i = 0; i < ROUNDS; i++)
                for (unsigned j = 0; j < NLOOPS; j++) {
                        unsigned k = (i + j) % NLOOPS;

                        r[k][i] = rate(&loops[k], b, a, len);
                }
        for (unsigned k = 0; k < NLOOPS; k++) {
                qsort(r[k], ROUNDS, sizeof(r[k][0]), cmp_double);
                printf("%s %zu MiB: best %.0f MB/s (of %d rounds: median %.0f, min %.0f)\n", loops[k].name, mib,
                       r[k][ROUNDS - 1], ROUNDS, r[k][ROUNDS / 2], r[k][0]);
        }
        free(a);
        free(b);
        return 0;
}

int main(int argc, char **argv)
{
        int all = argc > 1 && strcmp(argv[1], "--loops") == 0;
        const char *arg = argc > 1 + all ? argv[1 + all] : NULL;
        size_t mib = arg ? strtoul(arg, NULL, 10) : all ? 256 : 128, len = mib << 20;
        const struct loop *mc = &loops[NLOOPS - 1];
        char *a, *b;
        double best = 0;

        if (!mib) {
                fprintf(stderr, "usage: memcpy-bench [--loops] [MIB]\n");
                return 2;
        }
        if (all)
                return run_loops(mib);
        a = malloc(len);
        b = malloc(len);
        if (!a || !b) {
                fprintf(stderr, "memcpy-bench: cannot allocate 2 x %zu MiB\n", mib);
                return 1;
        }
        memset(a, 1, len);
        memset(b, 2, len);
        for (int i = 0; i < 3; i++) {
                double v = rate(mc, i & 1 ? a : b, i & 1 ? b : a, len);

                if (v > best)
                        best = v;
        }
        printf("%s %zu MiB: %.0f MB/s\n", mc->name, mib, best);
        return a[len / 2] == b[len / 2] ? 0 : 1;
}
