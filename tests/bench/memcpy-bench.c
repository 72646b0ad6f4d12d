/* SPDX-License-Identifier: MIT */
/*
 * memcpy-bench [MIB]: copies MIB MiB (default 128) with the C library's
 * memcpy, three times, inside a guest, and prints the best rate as
 * "memcpy MIB MiB: N MB/s".  make bench compares the switcher's swap copy
 * with it, measured in the same VM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
        size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 128, len = mib << 20;
        char *a = malloc(len), *b = malloc(len);
        double best = 0;

        if (!a || !b || !mib) {
                fprintf(stderr, "memcpy-bench: cannot allocate 2 x %zu MiB\n", mib);
                return 1;
        }
        memset(a, 1, len);
        memset(b, 2, len);
        for (int i = 0; i < 3; i++) {
                struct timespec t0, t1;
                double s;

                clock_gettime(CLOCK_MONOTONIC, &t0);
                memcpy(i & 1 ? a : b, i & 1 ? b : a, len);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
                if (s > 0 && len / s / 1e6 > best)
                        best = len / s / 1e6;
        }
        printf("memcpy %zu MiB: %.0f MB/s\n", mib, best);
        return a[len / 2] == b[len / 2] ? 0 : 1;
}
