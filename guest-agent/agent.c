/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: what all its parts share (see agent.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

bool agent_log_kmsg;
bool agent_log_quiet;
const char *agent_prog = "switchctl";

static void vlog(bool info, const char *fmt, va_list ap)
{
        char msg[1024];

        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (!(info && agent_log_quiet))
                fprintf(stderr, "%s: %s\n", agent_prog, msg);
        if (agent_log_kmsg) {
                /* One write per record; a missing /dev/kmsg is not worth a word. */
                int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);

                if (fd >= 0) {
                        char rec[1100];
                        int len = snprintf(rec, sizeof(rec), "<%d>switcher-agent: %s\n", info ? 6 : 4, msg);

                        if (len > 0 && write(fd, rec, (size_t)len < sizeof(rec) ? (size_t)len : sizeof(rec) - 1) < 0) {
                                /* Nothing better to do. */
                        }
                        close(fd);
                }
        }
}

void agent_log(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vlog(false, fmt, ap);
        va_end(ap);
}

void agent_info(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vlog(true, fmt, ap);
        va_end(ap);
}

int agent_parse_u64(const char *s, uint64_t *v)
{
        char *end;
        unsigned long long x;

        if (!s || !*s || *s == '-' || *s == '+')
                return -1;
        errno = 0;
        x = strtoull(s, &end, 0);
        if (errno || *end)
                return -1;
        *v = x;
        return 0;
}

ssize_t agent_read_small(const char *path, char *buf, size_t size)
{
        ssize_t n;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -1;
        do {
                n = read(fd, buf, size - 1);
        } while (n < 0 && errno == EINTR);
        close(fd);
        if (n == 0)
                errno = EIO;
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        return n;
}

int agent_cmdline_value(const char *path, const char *key, char *out, size_t n)
{
        char buf[8192];
        size_t kl = strlen(key);

        if (agent_read_small(path ? path : "/proc/cmdline", buf, sizeof(buf)) < 0)
                return -1;
        for (char *w = strtok(buf, " \t\n"); w; w = strtok(NULL, " \t\n")) {
                if (strncmp(w, key, kl) == 0 && w[kl] == '=') {
                        if (strlen(w + kl + 1) >= n)
                                return -1;
                        strcpy(out, w + kl + 1);
                        return 0;
                }
        }
        return -1;
}

int agent_pread_all(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
        *got = 0;
        if (off > (uint64_t)INT64_MAX - len) {
                errno = EOVERFLOW;
                return -1;
        }
        while (*got < len) {
                ssize_t r = pread(fd, (char *)buf + *got, len - *got, (off_t)(off + *got));

                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -1;
                if (r == 0)
                        break;
                *got += (size_t)r;
        }
        return 0;
}

int agent_write_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(text);
        ssize_t r;

        if (fd < 0)
                return -1;
        do {
                r = write(fd, text, len);
        } while (r < 0 && errno == EINTR);
        if (r >= 0 && (size_t)r != len) {
                errno = EIO;
                r = -1;
        }
        if (close(fd) < 0 && r >= 0)
                r = -1;
        return r < 0 ? -1 : 0;
}

uint64_t agent_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

