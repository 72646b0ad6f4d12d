/* SPDX-License-Identifier: MIT */
/*
 * sw-writer: t-distro's write load in a real Debian slot (started by
 * sw-writer.service; issue 16, "real loads").  Two processes:
 *
 * The record writer appends one record every 0.2 s to
 * /var/lib/sw-writer/records with an ordinary buffered write (the data sits
 * dirty in the page cache until written back), calls fsync on the file
 * after every third record, and only then reports each of those records as
 * durable on the console through /dev/kmsg:
 *
 *   DISTRO: fsynced slot=ID seq=N sum=CKSUM /
 *
 * CKSUM is the CRC that cksum(1) prints for the record's line with its
 * newline.  The test reads the file back from the partition after QEMU
 * ends and wants every reported record there with that CRC.  /dev/kmsg
 * rather than the tty: the kernel prints each line whole, never interleaved
 * with its own messages, with its time stamp (the resume checks use it).
 *
 * The bulk writer keeps a large buffered write in flight: 256 KiB every
 * 0.2 s over an 8 MiB file, round and round, never synced by itself, so
 * that the page cache holds dirty pages when a switch comes (the agent
 * and then the kernel's suspend write them back).  Once a second it
 * reports how much of the page cache is dirty (/proc/meminfo):
 *
 *   DISTRO: dirty slot=ID kB=N
 *
 * So that the kernel's periodic writeback does not empty the page cache
 * just before a switch by chance (by default it writes back whatever has
 * been dirty for 30 s, and a file rewritten all the time stays dirty since
 * its first write), the writer raises vm.dirty_expire_centisecs to an hour.
 * 8 MiB stays below the background writeback threshold (10 % of the
 * memory available in a 320 MiB slot), so only the switches' syncs write
 * the file.
 *
 * A program rather than a shell script: under TCG every program a script
 * starts costs tens of milliseconds, and after a resume the next durable
 * record is to be on the console within 2 s (t-distro).  This one starts
 * none.  Built static by t-distro for amd64 and i386.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIR_PATH "/var/lib/sw-writer"
#define PERIOD_NS 200000000L
#define FSYNC_EVERY 3
#define BULK_CHUNK (256u << 10)
#define BULK_SIZE (8u << 20)
/* Dirty pages may stay in the page cache this long (centiseconds): an hour,
 * against the kernel's default of 30 s. */
#define DIRTY_EXPIRE "360000"

static char slot[64] = "?";
/* The files, in DIR_PATH, or in the directory named by the first argument
 * (to try the program on a host). */
static const char *dir = DIR_PATH;
static char records[4096], bulk[4096];
static int kmsg = -1;

/* One line on the console through /dev/kmsg, at level 5 (notice). */
static void say(const char *fmt, ...)
{
        char line[512];
        int n = snprintf(line, sizeof(line), "<5>DISTRO: ");
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        va_end(ap);
        if (kmsg >= 0 && write(kmsg, line, strlen(line)) < 0) {
                /* Nowhere left to say it. */
        }
}

/*
 * POSIX cksum: CRC-32 with polynomial 0x04C11DB7, most significant bit
 * first, over the data and then over its length (least significant byte
 * first, only as many bytes as the length needs), complemented.
 */
static uint32_t crc_step(uint32_t crc, uint8_t byte)
{
        crc ^= (uint32_t)byte << 24;
        for (int i = 0; i < 8; i++)
                crc = crc & 0x80000000u ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
        return crc;
}

static uint32_t cksum(const char *p, size_t len)
{
        uint32_t crc = 0;

        for (size_t i = 0; i < len; i++)
                crc = crc_step(crc, (uint8_t)p[i]);
        for (size_t l = len; l; l >>= 8)
                crc = crc_step(crc, (uint8_t)(l & 0xff));
        return ~crc;
}

/* The slot's id, from switcher.slot= on the kernel's command line. */
static void read_slot(void)
{
        char buf[4096];
        int fd = open("/proc/cmdline", O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        const char *p;

        if (fd >= 0)
                close(fd);
        if (n <= 0)
                return;
        buf[n] = '\0';
        p = strstr(buf, "switcher.slot=");
        if (p)
                sscanf(p + strlen("switcher.slot="), "%63[^ \n]", slot);
}

static void pause_period(void)
{
        struct timespec t = { 0, PERIOD_NS };

        while (clock_nanosleep(CLOCK_MONOTONIC, 0, &t, &t) == EINTR)
                ;
}

/* The number of records already in the file: a cold boot of a slot that
 * ran before continues its numbering. */
static unsigned count_lines(int fd)
{
        char buf[65536];
        unsigned lines = 0;
        ssize_t n;

        for (off_t off = 0; (n = pread(fd, buf, sizeof(buf), off)) > 0; off += n)
                for (ssize_t i = 0; i < n; i++)
                        lines += buf[i] == '\n';
        return lines;
}

static void uptime(char *out, size_t n)
{
        int fd = open("/proc/uptime", O_RDONLY);
        ssize_t len = fd < 0 ? -1 : read(fd, out, n - 1);

        if (fd >= 0)
                close(fd);
        if (len <= 0)
                len = 0;
        out[len] = '\0';
        out[strcspn(out, " \n")] = '\0';
}

static unsigned long dirty_kb(void)
{
        char buf[4096], *p;
        int fd = open("/proc/meminfo", O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

        if (fd >= 0)
                close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        p = strstr(buf, "\nDirty:");
        return p ? strtoul(p + strlen("\nDirty:"), NULL, 10) : 0;
}

static void bulk_writer(void)
{
        static char chunk[BULK_CHUNK];
        int fd = open(bulk, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        unsigned pass = 0, ticks = 0;

        if (fd < 0) {
                say("bulk failed slot=%s open %s: %s\n", slot, bulk, strerror(errno));
                _exit(1);
        }
        for (;;) {
                for (unsigned off = 0; off < BULK_SIZE; off += BULK_CHUNK) {
                        /* Different bytes each pass, so every write dirties
                         * its pages again. */
                        memset(chunk, 'a' + (int)(pass % 26), sizeof(chunk));
                        snprintf(chunk, 128, "slot=%s pass=%u off=%u\n", slot, pass, off);
                        if (pwrite(fd, chunk, sizeof(chunk), off) != (ssize_t)sizeof(chunk))
                                say("bulk failed slot=%s write: %s\n", slot, strerror(errno));
                        if (++ticks % 5 == 0)
                                say("dirty slot=%s kB=%lu\n", slot, dirty_kb());
                        pause_period();
                }
                pass++;
        }
}

int main(int argc, char **argv)
{
        struct {
                unsigned seq;
                uint32_t sum;
        } pending[FSYNC_EVERY];
        unsigned n, npending = 0;
        int fd;

        if (argc > 1)
                dir = argv[1];
        snprintf(records, sizeof(records), "%s/records", dir);
        snprintf(bulk, sizeof(bulk), "%s/bulk", dir);
        read_slot();
        kmsg = open(getenv("SW_WRITER_KMSG") ? getenv("SW_WRITER_KMSG") : "/dev/kmsg", O_WRONLY | O_CLOEXEC);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                say("writer failed slot=%s mkdir %s: %s\n", slot, dir, strerror(errno));
                return 1;
        }
        fd = open(records, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                say("writer failed slot=%s open %s: %s\n", slot, records, strerror(errno));
                return 1;
        }
        n = count_lines(fd);
        {
                int e = open("/proc/sys/vm/dirty_expire_centisecs", O_WRONLY | O_CLOEXEC);

                if (e < 0 || write(e, DIRTY_EXPIRE, strlen(DIRTY_EXPIRE)) < 0)
                        say("writer: cannot set vm.dirty_expire_centisecs: %s\n", strerror(errno));
                if (e >= 0)
                        close(e);
        }
        if (fork() == 0) {
                /* Goes with the record writer (systemd stops the whole
                 * unit anyway; this is for a run by hand). */
                prctl(PR_SET_PDEATHSIG, SIGTERM);
                bulk_writer();
        }
        for (;;) {
                char rec[256], up[64];
                int len;

                uptime(up, sizeof(up));
                n++;
                len = snprintf(rec, sizeof(rec),
                               "slot=%s seq=%u pid=%d up=%s pad=0123456789abcdef0123456789abcdef0123456789abcdef\n",
                               slot, n, (int)getpid(), up);
                if (write(fd, rec, (size_t)len) != len) {
                        say("write failed slot=%s seq=%u: %s\n", slot, n, strerror(errno));
                        return 1;
                }
                pending[npending].seq = n;
                pending[npending].sum = cksum(rec, (size_t)len);
                npending++;
                if (npending == FSYNC_EVERY) {
                        if (fsync(fd) == 0) {
                                for (unsigned i = 0; i < npending; i++)
                                        say("fsynced slot=%s seq=%u sum=%" PRIu32 " /\n", slot, pending[i].seq,
                                            pending[i].sum);
                        } else {
                                say("fsync failed slot=%s seq=%u: %s\n", slot, n, strerror(errno));
                        }
                        npending = 0;
                }
                pause_period();
        }
}
