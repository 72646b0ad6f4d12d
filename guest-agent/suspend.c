/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: the switch procedure, the RTC wake-up alarm and the suspend
 * (see suspend.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/rtc.h>

#include <libfdt.h>

#include "agent.h"
#include "mbox.h"
#include "mounts.h"
#include "snapctl.h"
#include "suspend.h"

/* A test hook's value in the test build; in the shipped one the hooks do
 * not exist and the code that uses them is compiled out. */
#if SW_AGENT_TEST_HOOKS
#define TEST_HOOK(o, field) ((o)->field)
#else
#define TEST_HOOK(o, field) 0
#endif

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
        if (agent_read_small("/sys/power/wakeup_count", buf, sizeof(buf)) < 0) {
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
        if (agent_write_file("/sys/power/wakeup_count", buf) < 0) {
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

        if (agent_read_small("/sys/class/rtc/rtc0/since_epoch", buf, sizeof(buf)) < 0)
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
        t->mono_ms = agent_now_ms();
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
        uint64_t now = agent_now_ms();

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
        if (agent_write_file("/sys/class/rtc/rtc0/wakealarm", "0") < 0 ||
            agent_write_file("/sys/class/rtc/rtc0/wakealarm", val) < 0) {
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
        if (TEST_HOOK(o, hold))
                sleep(TEST_HOOK(o, hold));
        rc = switch_locked(m, self, spec, o);
        if (m->fd >= 0)
                flock(m->fd, LOCK_UN);
        return rc;
}

/*
 * Does this kernel hand its S3 to the switcher's tboot entry (the switcher
 * gave it a tboot shared page, and it has the interface)?  The CPU-hotplug
 * state "x86/tboot:dying" exists only once the kernel's tboot_late_init()
 * ran, which also built the page tables the hand-off needs; then the
 * machine never sleeps and no wake-up alarm is needed.
 */
static bool kernel_uses_tboot(void)
{
        char line[256];
        bool found = false;
        FILE *f = fopen("/sys/devices/system/cpu/hotplug/states", "r");

        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                found = strstr(line, "x86/tboot:dying") != NULL;
        fclose(f);
        return found;
}

static int switch_locked(struct agent_mb *m, const char *self, const char *spec,
                         const struct agent_switch_opts *o)
{
        char target[SW_MB_ID_LEN], why[600], msg[SW_MB_MSG_LEN], alarm[32];
        uint32_t prev, seq, rseq, rst, us = 0;
        uint64_t t0, t1, slept_at = 0;
        unsigned in_ms = 0;
        int err, node;
        bool tboot;

        if (agent_mb_refresh(m) < 0)
                return 1;
        if (o->to_self) {
                snprintf(target, sizeof(target), "%s", self);
        } else if (TEST_HOOK(o, unchecked)) {
                snprintf(target, sizeof(target), "%s", spec);
        } else if (agent_resolve_target(m, self, spec, target, why, sizeof(why)) < 0) {
                agent_log("cannot switch: %s", why);
                return 1;
        }
        if (agent_mount_check(m, self, o->sys_root) != 0) {
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
        if (TEST_HOOK(o, bad_csum)) {
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

        tboot = kernel_uses_tboot();
        if (!tboot) {
                plan_alarm(o, alarm, sizeof(alarm), &in_ms);
                if (arm_alarm(m, alarm) < 0)
                        return 1;
        }
        if (access("/sys/power/mem_sleep", F_OK) == 0 && agent_write_file("/sys/power/mem_sleep", "deep") < 0) {
                agent_log("cannot select S3 ('deep' in /sys/power/mem_sleep): %s; not suspending",
                          strerror(errno));
                withdraw(m);
                return 1;
        }
        for (unsigned attempt = 0;; attempt++) {
                if (tboot)
                        agent_info("suspending to RAM (hand-off through the switcher's tboot entry: no "
                                   "wake-up alarm)");
                else if (in_ms)
                        agent_info("suspending to RAM (wake-up alarm in %u ms, on the RTC's tick %s)", in_ms,
                                   alarm);
                else
                        agent_info("suspending to RAM (wake-up alarm in %s s)", alarm + 1);
                t0 = agent_now_ms();
                /* This write returns only after the machine resumed. */
                if (guard_wakeups() == 0 && agent_write_file("/sys/power/state", "mem") == 0)
                        break;
                /* The kernel gives up with EBUSY before the machine sleeps
                 * when a wake-up event comes during the suspend (the alarm
                 * itself, if the suspend ran late; see guard_wakeups), and
                 * when its freezer cannot stop every task within
                 * /sys/power/pm_freeze_timeout (a task in uninterruptible
                 * sleep: "Freezing of tasks failed" in its log, with the
                 * task).  Nothing reached the switcher, so try once more,
                 * with the old, roomy alarm. */
                if (errno == EBUSY && attempt == 0) {
                        if (tboot) {
                                agent_log("suspend aborted (EBUSY: a wake-up event, or a task the kernel could "
                                          "not freeze; see its log); trying once more");
                                continue;
                        }
                        agent_log("suspend aborted (EBUSY: a wake-up event, or a task the kernel could not "
                                  "freeze; see its log); trying once more with the alarm at +%u s",
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
        t1 = agent_now_ms();
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
        /* A machine power-off under way (switchctl poweroff, possibly
         * with --save) may ask this slot to save another and go off. */
        err = agent_poweroff_resumed(m, self);
        if (err >= 0)
                return err;
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
        if (o->to_self) {
                /* The answer is the adoption's, not a switch's. */
                if (rst != SW_MB_OK)
                        agent_log("the switcher refused: %s%s%s", sw_mb_status_name((enum sw_mb_status)rst),
                                  msg[0] ? ": " : "", msg);
                else
                        agent_info("the switcher: %s", msg);
                return rst == SW_MB_OK ? 0 : 1;
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
