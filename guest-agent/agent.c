/* SPDX-License-Identifier: MIT */
/*
 * Guest agent core: mailbox access and the switch procedure (see agent.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/rtc.h>

#include <libfdt.h>

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

/*
 * Reads a small file (a /proc or /sys value: at most size - 1 bytes, in one
 * read) into buf and ends it with a NUL.  Returns its length, or -1 with
 * errno set (EIO for an empty file).
 */
static ssize_t read_small(const char *path, char *buf, size_t size)
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

        if (read_small(path ? path : "/proc/cmdline", buf, sizeof(buf)) < 0)
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

/* ------------------------------------------------------------------------ */
/* Mailbox access. */

static int read_all(int fd, void *buf, size_t len, off_t off, size_t *got)
{
        *got = 0;
        while (*got < len) {
                ssize_t r = pread(fd, (char *)buf + *got, len - *got, off + (off_t)*got);

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

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
        size_t done = 0;

        while (done < len) {
                ssize_t r = pwrite(fd, (const char *)buf + done, len - done, off + (off_t)done);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return -1;
                done += (size_t)r;
        }
        return 0;
}

static int check(struct agent_mb *m)
{
        if (sw_mb_check(m->base, m->len) != 0) {
                if (m->access == AGENT_FILE && fdt_magic(m->base) == FDT_MAGIC && fdt_totalsize(m->base) > m->len)
                        agent_log("mailbox file %s is %zu bytes, shorter than the mailbox it holds (%u bytes)",
                                  m->where, m->len, fdt_totalsize(m->base));
                else if (fdt_magic(m->base) != FDT_MAGIC)
                        agent_log("mailbox at %s is not a switcher mailbox (no device tree magic: "
                                  "first bytes %02x %02x %02x %02x)",
                                  m->where, m->base[0], m->base[1], m->base[2], m->base[3]);
                else
                        agent_log("mailbox at %s is damaged or of another version (expected version %d); "
                                  "not using it",
                                  m->where, SW_MAILBOX_VERSION);
                return -1;
        }
        return 0;
}

static int load_copy(struct agent_mb *m)
{
        size_t got;
        off_t off = m->access == AGENT_FILE ? 0 : (off_t)m->addr;

        memset(m->copy, 0, sizeof(m->copy));
        if (read_all(m->fd, m->copy, SW_MAILBOX_SIZE, off, &got) < 0) {
                agent_log("cannot read the mailbox at %s: %s", m->where, strerror(errno));
                return -1;
        }
        if (got < SW_MAILBOX_SIZE && m->access != AGENT_FILE) {
                agent_log("short read of the mailbox at %s: %zu of %d bytes", m->where, got, SW_MAILBOX_SIZE);
                return -1;
        }
        memcpy(m->orig, m->copy, sizeof(m->orig));
        m->len = got;
        return 0;
}

static int open_devmem(struct agent_mb *m, uint64_t addr)
{
        long page = sysconf(_SC_PAGESIZE);
        uint64_t base, delta;
        int map_err;

        if (page <= 0)
                page = 4096;
        m->addr = addr;
        /* No O_SYNC: that would ask for an uncached mapping, and PAT refuses
         * it (EAGAIN) for pages the kernel already maps write-back. */
        m->fd = open("/dev/mem", O_RDWR | O_CLOEXEC);
        if (m->fd < 0) {
                agent_log("cannot open /dev/mem for the mailbox at 0x%llx: %s%s", (unsigned long long)addr,
                          strerror(errno), errno == EACCES || errno == EPERM ? " (run as root)" : "");
                return -1;
        }
        base = addr & ~(uint64_t)(page - 1);
        delta = addr - base;
        m->map_len = (size_t)delta + SW_MAILBOX_SIZE;
        m->map = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, (off_t)base);
        if (m->map != MAP_FAILED) {
                m->access = AGENT_MMAP;
                m->base = (uint8_t *)m->map + delta;
                m->len = SW_MAILBOX_SIZE;
                snprintf(m->where, sizeof(m->where), "0x%llx (/dev/mem, mmap)", (unsigned long long)addr);
                return 0;
        }
        map_err = errno;
        m->map = NULL;
        m->access = AGENT_PREAD;
        m->base = m->copy;
        snprintf(m->where, sizeof(m->where), "0x%llx (/dev/mem, pread)", (unsigned long long)addr);
        if (load_copy(m) < 0) {
                agent_log("mailbox at 0x%llx: mmap of /dev/mem failed (%s) and so did pread; "
                          "is the address outside what /dev/mem serves (STRICT_DEVMEM)?",
                          (unsigned long long)addr, strerror(map_err));
                return -1;
        }
        agent_info("mmap of /dev/mem at 0x%llx failed (%s); using pread/pwrite", (unsigned long long)addr,
                   strerror(map_err));
        return 0;
}

int agent_mb_open(struct agent_mb *m, const struct agent_source *src)
{
        uint64_t addr;
        char val[64];

        memset(m, 0, sizeof(*m));
        m->fd = -1;
        if (src->file) {
                m->access = AGENT_FILE;
                m->base = m->copy;
                snprintf(m->where, sizeof(m->where), "%s", src->file);
                m->fd = open(src->file, O_RDWR | O_CLOEXEC);
                if (m->fd < 0)
                        m->fd = open(src->file, O_RDONLY | O_CLOEXEC);
                if (m->fd < 0) {
                        agent_log("cannot open mailbox file %s: %s", src->file, strerror(errno));
                        return -1;
                }
                if (load_copy(m) < 0)
                        goto fail;
        } else {
                if (src->have_addr) {
                        addr = src->addr;
                } else if (agent_cmdline_value(NULL, "switcher.mailbox", val, sizeof(val)) < 0) {
                        agent_log("no switcher.mailbox= on the kernel command line: this system was not "
                                  "started by the switcher (or use --mailbox-addr / --mailbox-file)");
                        return -1;
                } else if (agent_parse_u64(val, &addr) < 0) {
                        agent_log("switcher.mailbox='%s' on the kernel command line is not an address", val);
                        return -1;
                }
                if (open_devmem(m, addr) < 0)
                        goto fail;
        }
        if (check(m) < 0)
                goto fail;
        return 0;
fail:
        agent_mb_close(m);
        return -1;
}

int agent_mb_refresh(struct agent_mb *m)
{
        if (m->access != AGENT_MMAP && load_copy(m) < 0)
                return -1;
        return check(m);
}

int agent_mb_commit(struct agent_mb *m)
{
        size_t lo, hi;

        if (m->access == AGENT_MMAP) {
                /* /dev/mem is a direct mapping of the RAM itself: msync has no
                 * backing store to flush, but it orders our stores before the
                 * suspend and costs nothing. */
                if (msync(m->map, m->map_len, MS_SYNC) < 0 && errno != EINVAL)
                        agent_log("msync of the mailbox mapping: %s (continuing)", strerror(errno));
                return 0;
        }
        /* Write back only the changed bytes: the rest may be the switcher's. */
        for (lo = 0; lo < SW_MAILBOX_SIZE && m->copy[lo] == m->orig[lo]; lo++)
                ;
        if (lo == SW_MAILBOX_SIZE)
                return 0;
        for (hi = SW_MAILBOX_SIZE; m->copy[hi - 1] == m->orig[hi - 1]; hi--)
                ;
        if (write_all(m->fd, m->copy + lo, hi - lo,
                      (off_t)((m->access == AGENT_FILE ? 0 : m->addr) + lo)) < 0) {
                agent_log("cannot write the mailbox at %s: %s", m->where, strerror(errno));
                return -1;
        }
        if (m->access == AGENT_FILE)
                fsync(m->fd);
        memcpy(m->orig + lo, m->copy + lo, hi - lo);
        return 0;
}

void agent_mb_close(struct agent_mb *m)
{
        if (m->map)
                munmap(m->map, m->map_len);
        if (m->fd >= 0)
                close(m->fd);
        m->map = NULL;
        m->fd = -1;
}

const char *agent_prop_str(const struct agent_mb *m, int node, const char *name)
{
        int len = -1;
        const char *p = fdt_getprop(m->base, node, name, &len);

        if (!p || len <= 0 || strnlen(p, (size_t)len) >= (size_t)len)
                return NULL;
        return p;
}

bool agent_prop_u32(const struct agent_mb *m, int node, const char *name, uint32_t *v)
{
        int len = -1;
        const uint8_t *p = fdt_getprop(m->base, node, name, &len);

        if (!p || len != 4)
                return false;
        *v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        return true;
}

int agent_current(const struct agent_mb *m, char out[SW_MB_ID_LEN])
{
        const char *cur = agent_prop_str(m, 0, "current");

        out[0] = '\0';
        if (!cur || !cur[0] || strlen(cur) >= SW_MB_ID_LEN)
                return -1;
        strcpy(out, cur);
        return 0;
}

int agent_self(const struct agent_mb *m, const struct agent_source *src, const char *opt_slot,
               char out[SW_MB_ID_LEN])
{
        char cur[SW_MB_ID_LEN], boot[SW_MB_ID_LEN];
        bool have_cur = agent_current(m, cur) == 0;

        if (opt_slot) {
                if (strlen(opt_slot) >= SW_MB_ID_LEN) {
                        agent_log("--slot '%s' is longer than %d bytes", opt_slot, SW_MB_ID_LEN - 1);
                        return -1;
                }
                strcpy(out, opt_slot);
                return 0;
        }
        if (!src->file && agent_cmdline_value(NULL, "switcher.slot", boot, sizeof(boot)) == 0) {
                if (have_cur && strcmp(boot, cur) != 0) {
                        agent_log("this kernel was booted as slot '%s' but the mailbox says slot '%s' is "
                                  "running; refusing to act on a mailbox that does not describe us",
                                  boot, cur);
                        return -1;
                }
                strcpy(out, boot);
                return 0;
        }
        if (!have_cur) {
                agent_log("the mailbox names no running slot (empty \"current\"); use --slot ID");
                return -1;
        }
        strcpy(out, cur);
        return 0;
}

/* Comma-separated slot ids, for messages. */
static void slot_list(const struct agent_mb *m, char *out, size_t n)
{
        int slots = fdt_path_offset(m->base, "/slots"), node;
        size_t o = 0;

        out[0] = '\0';
        if (slots < 0)
                return;
        fdt_for_each_subnode(node, m->base, slots) {
                const char *name = fdt_get_name(m->base, node, NULL);
                int w;

                if (!name)
                        continue;
                w = snprintf(out + o, n - o, "%s%s", o ? ", " : "", name);
                if (w < 0 || (size_t)w >= n - o)
                        break;
                o += (size_t)w;
        }
}

int agent_resolve_target(const struct agent_mb *m, const char *self, const char *spec,
                         char out[SW_MB_ID_LEN], char *why, size_t n)
{
        int slots = fdt_path_offset(m->base, "/slots"), node;
        char list[512];
        const char *name;

        out[0] = '\0';
        if (slots < 0) {
                snprintf(why, n, "the mailbox has no /slots");
                return -1;
        }
        if (strcmp(spec, "@next") == 0) {
                int first = -1, me;

                me = sw_mb_slot_offset(m->base, self);
                fdt_for_each_subnode(node, m->base, slots) {
                        if (first < 0)
                                first = node;
                        if (me >= 0 && node > me) {
                                first = node;
                                break;
                        }
                }
                if (first < 0) {
                        snprintf(why, n, "the mailbox lists no slots");
                        return -1;
                }
                name = fdt_get_name(m->base, first, NULL);
        } else if (strcmp(spec, "@default") == 0) {
                name = agent_prop_str(m, 0, "default");
                if (!name || sw_mb_slot_offset(m->base, name) < 0) {
                        /* Older mailboxes have no "default": the first slot is
                         * the switcher's own fallback too. */
                        node = fdt_first_subnode(m->base, slots);
                        if (node < 0) {
                                snprintf(why, n, "the mailbox lists no slots");
                                return -1;
                        }
                        name = fdt_get_name(m->base, node, NULL);
                }
        } else {
                name = spec;
        }
        if (!name || strlen(name) >= SW_MB_ID_LEN || sw_mb_slot_offset(m->base, name) < 0) {
                slot_list(m, list, sizeof(list));
                snprintf(why, n, "unknown slot '%s' (slots: %s)", spec, list[0] ? list : "none");
                return -1;
        }
        if (strcmp(name, self) == 0) {
                snprintf(why, n, "slot '%s' is the one running%s", name,
                         name == spec ? "" : " (it is the only slot)");
                return -1;
        }
        strcpy(out, name);
        return 0;
}

/* ------------------------------------------------------------------------ */
/* The mount check. */

/* Decodes the octal escapes of /proc/self/mounts ("\040" for a space). */
static void unescape(char *s)
{
        char *o = s;

        while (*s) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
                    s[3] <= '7') {
                        *o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
                        s += 4;
                } else {
                        *o++ = *s++;
                }
        }
        *o = '\0';
}

static bool opt_rw(const char *opts)
{
        size_t n = strcspn(opts, ",");

        /* The kernel always lists rw or ro first. */
        return n == 2 && strncmp(opts, "rw", 2) == 0;
}

/* Does GPT partition p match a slot's "PARTLABEL=x" / "PARTUUID=u"? */
static bool part_matches(const struct gpt_part *p, const char *spec)
{
        if (strncmp(spec, "PARTLABEL=", 10) == 0)
                return strcmp(p->name, spec + 10) == 0;
        if (strncmp(spec, "PARTUUID=", 9) == 0)
                return strcasecmp(p->uuid_str, spec + 9) == 0;
        return false;
}

/* 0 when no other slot's partition and no ESP is mounted read-write, else
 * 1 after logging each offender. */
static int mount_check(const struct agent_mb *m, const char *self, const char *mounts)
{
        char line[4096], why[256];
        int slots = fdt_path_offset(m->base, "/slots");
        FILE *f;
        int bad = 0;

        f = fopen(mounts ? mounts : "/proc/self/mounts", "re");
        if (!f) {
                agent_log("cannot read %s: %s; refusing to switch without knowing what is mounted",
                          mounts ? mounts : "/proc/self/mounts", strerror(errno));
                return 1;
        }
        while (fgets(line, sizeof(line), f)) {
                char dev[1024], dir[1024], type[64], opts[1024];
                struct gpt_part p;
                int node, r;

                if (sscanf(line, "%1023s %1023s %63s %1023s", dev, dir, type, opts) != 4)
                        continue;
                if (strncmp(dev, "/dev/", 5) != 0 || !opt_rw(opts))
                        continue;
                unescape(dev);
                unescape(dir);
                r = gpt_identify(dev, &p, why, sizeof(why));
                if (r < 0) {
                        agent_log("%s mounted read-write at %s: cannot tell which partition it is (%s); "
                                  "assuming it belongs to no other slot",
                                  dev, dir, why);
                        continue;
                }
                if (r > 0)
                        continue;
                if (strcmp(p.type_str, GPT_ESP_TYPE) == 0) {
                        agent_log("the ESP (%s) is mounted read-write at %s: the switcher and other slots use it; "
                                  "unmount it or remount it read-only first",
                                  dev, dir);
                        bad = 1;
                        continue;
                }
                if (slots < 0)
                        continue;
                fdt_for_each_subnode(node, m->base, slots) {
                        const char *id = fdt_get_name(m->base, node, NULL);
                        const char *spec = agent_prop_str(m, node, "partition");

                        if (!id || !spec || strcmp(id, self) == 0)
                                continue;
                        if (part_matches(&p, spec)) {
                                agent_log("%s (%s) is mounted read-write at %s: it is slot '%s''s partition, "
                                          "which would be changed under that slot's feet; unmount it first",
                                          dev, spec, dir, id);
                                bad = 1;
                        }
                }
        }
        fclose(f);
        return bad;
}

/* ------------------------------------------------------------------------ */
/* Suspend. */

static int write_file(const char *path, const char *text)
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

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * The kernel's guard against sleeping through a wake-up event (the
 * wakeup_count protocol of /sys/power): read the count of wake-up events
 * and write it back right before "mem".  From then on, an event that comes
 * while the kernel suspends devices (the RTC alarm firing early: the RTC is
 * a wake-up device) makes it give up with EBUSY instead of sleeping through
 * the alarm until a key wakes the machine.  Measured under QEMU with alarms
 * 50-150 ms after arming: without the guard 8 of 12 such suspends slept
 * through their alarm; with it 4 of 12 gave up with EBUSY and 1 slept
 * through (its alarm came after the kernel had turned device interrupts
 * off, the last ~25 ms before S3).  Returns 0 (also when the kernel has no
 * wakeup_count: said once, no guard), or -1 with errno EBUSY when an event
 * came in since the count was read.
 */
static int guard_wakeups(void)
{
        static bool said;
        char buf[32];

        /* The read waits while a wake-up event is being handled. */
        if (read_small("/sys/power/wakeup_count", buf, sizeof(buf)) < 0) {
                if (errno != ENOENT) {
                        errno = EBUSY;
                        return -1;
                }
                if (!said)
                        agent_log("no /sys/power/wakeup_count: an early wake-up alarm may be slept through");
                said = true;
                return 0;
        }
        buf[strcspn(buf, "\n")] = '\0';
        /* The kernel refuses the write (EINVAL) when the count moved on. */
        if (write_file("/sys/power/wakeup_count", buf) < 0) {
                errno = EBUSY;
                return -1;
        }
        return 0;
}

/* Takes our request back, so a later unrelated wake-up does not act on it. */
static void withdraw(struct agent_mb *m)
{
        if (agent_mb_refresh(m) == 0 && sw_mb_request_clear(m->base) == 0)
                agent_mb_commit(m);
}

/* The RTC's current second, as the wakealarm file counts them.  0 or -1. */
static int rtc_since_epoch(int64_t *s)
{
        char buf[32];
        uint64_t v;

        if (read_small("/sys/class/rtc/rtc0/since_epoch", buf, sizeof(buf)) < 0)
                return -1;
        buf[strcspn(buf, "\n")] = '\0';
        if (agent_parse_u64(buf, &v) < 0 || v > INT64_MAX)
                return -1;
        *s = (int64_t)v;
        return 0;
}

int agent_rtc_tick_start(void)
{
        int fd = open("/dev/rtc0", O_RDONLY | O_CLOEXEC);

        if (fd < 0) {
                agent_log("cannot open /dev/rtc0: %s; wake-up alarms are not aligned to the RTC's ticks",
                          strerror(errno));
                return -1;
        }
        if (ioctl(fd, RTC_UIE_ON, 0) < 0) {
                agent_log("cannot turn on the RTC's update interrupt (/dev/rtc0): %s; wake-up alarms are "
                          "not aligned to its ticks",
                          strerror(errno));
                close(fd);
                return -1;
        }
        return fd;
}

int agent_rtc_tick_finish(int fd, struct agent_rtc_tick *t)
{
        unsigned long data;
        ssize_t r;
        int rc = -1;

        t->valid = false;
        do {
                r = read(fd, &data, sizeof(data));
        } while (r < 0 && errno == EINTR);
        t->mono_ms = now_ms();
        if (r != (ssize_t)sizeof(data))
                agent_log("reading the RTC's update from /dev/rtc0: %s; wake-up alarm not aligned",
                          r < 0 ? strerror(errno) : "short read");
        else if (rtc_since_epoch(&t->rtc_s) < 0)
                agent_log("cannot read /sys/class/rtc/rtc0/since_epoch; wake-up alarm not aligned");
        else
                rc = 0;
        t->valid = rc == 0;
        if (ioctl(fd, RTC_UIE_OFF, 0) < 0) {
                /* Closing the device turns it off as well. */
        }
        close(fd);
        return rc;
}

/*
 * The wake-up alarm.  With a fresh tick: the first RTC second at least the
 * margin away, as an absolute value (so the alarm is never "now + 1 s" a few
 * milliseconds before a tick); *in_ms says when it fires.  Otherwise, or
 * when the RTC does not read the second the tick predicts (a stale or late
 * tick), "+delay" and *in_ms = 0.
 */
static void plan_alarm(const struct agent_switch_opts *o, char *val, size_t n, unsigned *in_ms)
{
        const struct agent_rtc_tick *t = o->tick;
        unsigned margin = o->margin_ms ? o->margin_ms : AGENT_ALARM_MARGIN_MS;
        uint64_t now = now_ms();

        if (o->slowest_ms && *o->slowest_ms < 60000u && *o->slowest_ms * 3u / 2u > margin)
                margin = *o->slowest_ms * 3u / 2u;
        int64_t rtc;

        *in_ms = 0;
        if (t && t->valid && now >= t->mono_ms && now - t->mono_ms < AGENT_TICK_MAX_AGE_MS &&
            rtc_since_epoch(&rtc) == 0) {
                uint64_t since = now - t->mono_ms;
                int64_t cur = t->rtc_s + (int64_t)(since / 1000u);
                unsigned phase = (unsigned)(since % 1000u), k = 1;

                if (rtc == cur) {
                        while (k * 1000u - phase < margin)
                                k++;
                        *in_ms = k * 1000u - phase;
                        snprintf(val, n, "%lld", (long long)(cur + k));
                        return;
                }
        }
        snprintf(val, n, "+%u", o->delay ? o->delay : 2);
}

static int arm_alarm(struct agent_mb *m, const char *val)
{
        /* A stale alarm would make the kernel refuse the new one (EBUSY). */
        if (write_file("/sys/class/rtc/rtc0/wakealarm", "0") < 0 ||
            write_file("/sys/class/rtc/rtc0/wakealarm", val) < 0) {
                agent_log("cannot arm the RTC wake-up (/sys/class/rtc/rtc0/wakealarm): %s; not suspending",
                          strerror(errno));
                withdraw(m);
                return -1;
        }
        return 0;
}

/*
 * From the kernel log, after a resume: how long after our last "suspending"
 * record the machine went to sleep (the kernel stamps "Low-level resume
 * complete" with its clock, which stood still while the machine slept).  Only
 * the daemon writes its lines to the kernel log.  0, or -1 when not found.
 */
static int kmsg_arm_to_sleep(uint64_t *ms)
{
        char rec[2048];
        uint64_t arm = 0, low = 0;
        bool have_arm = false, have_low = false;
        int fd;

        if (!agent_log_kmsg)
                return -1;
        fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -1;
        for (;;) {
                ssize_t r = read(fd, rec, sizeof(rec) - 1);
                unsigned long long ts;
                const char *msg;

                if (r < 0 && errno == EPIPE)
                        continue;        /* overwritten while we read: go on */
                if (r <= 0)
                        break;
                rec[r] = '\0';
                msg = strchr(rec, ';');
                /* "PRIO,SEQ,TS_US,FLAGS;MESSAGE" */
                if (!msg || sscanf(rec, "%*u,%*u,%llu", &ts) != 1)
                        continue;
                msg++;
                if (strncmp(msg, "switcher-agent: suspending to RAM", 33) == 0) {
                        arm = ts;
                        have_arm = true;
                        have_low = false;
                } else if (have_arm && !have_low && strstr(msg, "Low-level resume complete")) {
                        low = ts;
                        have_low = true;
                }
        }
        close(fd);
        if (!have_low || low < arm)
                return -1;
        *ms = (low - arm) / 1000u;
        return 0;
}

static int switch_locked(struct agent_mb *m, const char *self, const char *spec,
                         const struct agent_switch_opts *o);

/*
 * One switch at a time per guest: a second `switchctl switch` (or a hotkey)
 * while one is under way would overwrite its request and suspend again on
 * top of it.  The lock is an flock on the mailbox's own descriptor (/dev/mem
 * or the mailbox file), so every agent process in this guest shares it and
 * it goes away with a process that dies.
 */
int agent_switch(struct agent_mb *m, const char *self, const char *spec,
                 const struct agent_switch_opts *o)
{
        int rc;

        if (m->fd >= 0 && flock(m->fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        agent_log("another switch is already in progress in this slot; not starting a second one");
                else
                        agent_log("cannot lock the mailbox for the switch: %s", strerror(errno));
                return 1;
        }
        if (o->hold)
                sleep(o->hold);
        rc = switch_locked(m, self, spec, o);
        if (m->fd >= 0)
                flock(m->fd, LOCK_UN);
        return rc;
}

static int switch_locked(struct agent_mb *m, const char *self, const char *spec,
                         const struct agent_switch_opts *o)
{
        char target[SW_MB_ID_LEN], why[600], msg[SW_MB_MSG_LEN], alarm[32];
        uint32_t prev, seq, rseq, rst, us = 0;
        uint64_t t0, t1, slept_at = 0;
        unsigned in_ms = 0;
        int err, node;

        if (agent_mb_refresh(m) < 0)
                return 1;
        if (o->unchecked) {
                snprintf(target, sizeof(target), "%s", spec);
        } else if (agent_resolve_target(m, self, spec, target, why, sizeof(why)) < 0) {
                agent_log("cannot switch: %s", why);
                return 1;
        }
        if (mount_check(m, self, o->mounts) != 0) {
                agent_log("not switching to '%s'", target);
                return 1;
        }
        sync();
        err = sw_mb_get_result(m->base, self, &prev, NULL, NULL, 0);
        if (err < 0) {
                agent_log("cannot read slot '%s''s last result in the mailbox: %s", self,
                          sw_mb_status_name((enum sw_mb_status)-err));
                return 1;
        }
        seq = prev + 1u;
        err = sw_mb_request_write(m->base, self, target, seq);
        if (err < 0) {
                agent_log("cannot write the request %s -> %s: %s", self, target,
                          sw_mb_status_name((enum sw_mb_status)-err));
                return 1;
        }
        if (o->bad_csum) {
                int req = fdt_path_offset(m->base, "/request");
                const fdt32_t *c = req >= 0 ? fdt_getprop(m->base, req, "csum", NULL) : NULL;

                if (!c || fdt_setprop_inplace_u32(m->base, req, "csum", fdt32_to_cpu(*c) ^ 0x5a5a5a5a) < 0) {
                        agent_log("test hook: cannot corrupt the request's checksum");
                        return 1;
                }
        }
        if (agent_mb_commit(m) < 0)
                return 1;
        agent_info("request %u: %s -> %s written to the mailbox at %s", seq, self, target, m->where);
        if (o->dry_run) {
                agent_info("dry run: not suspending; the request stays in the mailbox");
                return 0;
        }

        plan_alarm(o, alarm, sizeof(alarm), &in_ms);
        if (arm_alarm(m, alarm) < 0)
                return 1;
        if (access("/sys/power/mem_sleep", F_OK) == 0 && write_file("/sys/power/mem_sleep", "deep") < 0) {
                agent_log("cannot select S3 ('deep' in /sys/power/mem_sleep): %s; not suspending",
                          strerror(errno));
                withdraw(m);
                return 1;
        }
        for (unsigned attempt = 0;; attempt++) {
                if (in_ms)
                        agent_info("suspending to RAM (wake-up alarm in %u ms, on the RTC's tick %s)", in_ms,
                                   alarm);
                else
                        agent_info("suspending to RAM (wake-up alarm in %s s)", alarm + 1);
                t0 = now_ms();
                /* This write returns only after the machine resumed. */
                if (guard_wakeups() == 0 && write_file("/sys/power/state", "mem") == 0)
                        break;
                /* A wake-up event during the suspend (the alarm itself, if
                 * the suspend ran late) makes the kernel give up with EBUSY
                 * before the machine sleeps (see guard_wakeups): nothing
                 * reached the switcher, so try once more with the old,
                 * roomy alarm. */
                if (errno == EBUSY && attempt == 0) {
                        agent_log("suspend aborted by a wake-up event (EBUSY); trying once more with the "
                                  "alarm at +%u s",
                                  o->delay ? o->delay : 2);
                        snprintf(alarm, sizeof(alarm), "+%u", o->delay ? o->delay : 2);
                        in_ms = 0;
                        if (arm_alarm(m, alarm) < 0)
                                return 1;
                        continue;
                }
                agent_log("suspend failed ('mem' into /sys/power/state): %s; request withdrawn", strerror(errno));
                withdraw(m);
                return 1;
        }
        t1 = now_ms();
        if (in_ms && kmsg_arm_to_sleep(&slept_at) == 0 && slept_at <= in_ms) {
                if (o->slowest_ms && slept_at > *o->slowest_ms)
                        *o->slowest_ms = (unsigned)slept_at;
                agent_info("resumed after %llu ms; the machine slept %llu ms after the alarm was armed and "
                           "waited %llu ms for it",
                           (unsigned long long)(t1 - t0), (unsigned long long)slept_at,
                           (unsigned long long)(in_ms - slept_at));
        } else {
                agent_info("resumed after %llu ms", (unsigned long long)(t1 - t0));
        }

        if (agent_mb_refresh(m) < 0)
                return 1;
        err = sw_mb_get_result(m->base, self, &rseq, &rst, msg, sizeof(msg));
        if (err < 0) {
                agent_log("cannot read the switcher's answer: slot '%s''s result is %s", self,
                          sw_mb_status_name((enum sw_mb_status)-err));
                return 1;
        }
        if (rseq != seq) {
                agent_log("the switcher did not answer request %u (result-seq is still %u): the wake-up "
                          "did not go through the switcher; request withdrawn",
                          seq, rseq);
                withdraw(m);
                return 1;
        }
        if (rst != SW_MB_OK) {
                agent_log("switch to '%s' refused: %s%s%s", target, sw_mb_status_name((enum sw_mb_status)rst),
                          msg[0] ? ": " : "", msg);
                return 1;
        }
        node = sw_mb_slot_offset(m->base, target);
        if (node >= 0)
                agent_prop_u32(m, node, "last-switch-us", &us);
        agent_info("switched to '%s' and back (switcher's part of the switch to '%s': %u us)%s%s", target,
                   target, us, msg[0] ? ": " : "", msg);
        return 0;
}
