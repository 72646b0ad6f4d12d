/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: the switch procedure (suspend.c), shared by `switchctl
 * switch` and the hotkey daemon.  It writes the request into the mailbox,
 * arms the RTC wake-up alarm, guards the suspend with /sys/power/wakeup_count,
 * suspends to RAM, and after the resume reads the switcher's answer.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "mbox.h"

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
 * existed, "+2" (1-2 s) before alarms were aligned to the RTC's tick.
 * Since 64-bit slots hand over through the switcher's tboot entry (no
 * alarm at all), only i386 slots and 'handoff s3' pay for it, and the
 * margin favours never sleeping through: 800 ms (a loaded 2-core CI host
 * slept through a 403 ms alarm once at 300). */
#define AGENT_ALARM_MARGIN_MS 800u

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
        /* The lab bank's adoption (guest-agent/snapshot.c): the request goes
         * to this slot itself, which the switcher answers with the outcome
         * of the adopt request written beside it, and resumes this slot. */
        bool to_self;
        const char *sys_root;      /* NULL = /sys, /proc, /dev; else a test root (mounts.h) */
#if SW_AGENT_TEST_HOOKS
        /* Test hooks (test build only, see agent.h): send the switcher a
         * request it must refuse, to prove it does.  unchecked: take the
         * target as given, without resolving it against the slot list;
         * bad_csum: corrupt the checksum. */
        bool unchecked;
        bool bad_csum;
        /* Test hook: hold the switch lock this many seconds before starting,
         * to show that a second switch meanwhile is refused. */
        unsigned hold;
#endif
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
