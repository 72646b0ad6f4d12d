/* SPDX-License-Identifier: MIT */
/* Shared by every fuzz target: see fuzz.h. */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "fuzz invariant failed: %s:%d: ", file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        abort();
}

void *fuzz_copy(const uint8_t *data, size_t size)
{
        void *p = malloc(size ? size : 1);

        if (p && size)
                memcpy(p, data, size);
        return p;
}

bool fuzz_terminated(const char *p, size_t n)
{
        return memchr(p, '\0', n) != NULL;
}

static void fuzz_emit(void *ctx, enum sw_severity sev, const char *msg)
{
        struct fuzz_diag *fd = ctx;
        size_t len;

        FUZZ_CHECK(sev == SW_INFO || sev == SW_WARN || sev == SW_ERROR, "severity %d", (int)sev);
        FUZZ_CHECK(msg != NULL, "NULL message");
        len = strnlen(msg, sizeof(fd->last));
        FUZZ_CHECK(len > 0 && len < sizeof(fd->last), "message of %zu bytes", len);
        if (fd->no_controls) {
                for (size_t i = 0; i < len; i++) {
                        unsigned char ch = (unsigned char)msg[i];

                        /* Tab is text in partitions.conf: a value may hold one. */
                        FUZZ_CHECK((ch >= 0x20 || ch == '\t') && ch != 0x7f, "control character 0x%02x at %zu in \"%s\"",
                                   ch, i, msg);
                }
        }
        memcpy(fd->last, msg, len + 1);
        fd->n++;
        if (sev == SW_ERROR)
                fd->nerror++;
}

struct sw_diag *fuzz_diag_init(struct fuzz_diag *fd, bool no_controls)
{
        memset(fd, 0, sizeof(*fd));
        fd->d.emit = fuzz_emit;
        fd->d.ctx = fd;
        fd->no_controls = no_controls;
        return &fd->d;
}

void fuzz_write_seed(const char *dir, const char *name, const void *data, size_t len)
{
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "wb");
        if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
                perror(path);
                exit(1);
        }
}

/* "--write-seeds=DIR": libFuzzer ignores flags that start with "--", so the
 * runner can ask a target for its generated seeds through the binary itself. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        static const char flag[] = "--write-seeds=";

        for (int i = 1; i < *argc; i++) {
                if (strncmp((*argv)[i], flag, sizeof(flag) - 1) == 0) {
                        if (fuzz_seeds)
                                fuzz_seeds((*argv)[i] + sizeof(flag) - 1);
                        exit(0);
                }
        }
        return 0;
}
