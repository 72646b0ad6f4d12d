/* SPDX-License-Identifier: MIT */
/*
 * switcher-agent: watches the keyboards for the slots' hotkeys and runs the
 * switch procedure (agent_switch) when one is pressed.
 *
 *   switcher-agent [--foreground] [--once] [--delay S] [--dry-run]
 *                  [--mailbox-addr A | --mailbox-file F] [--slot ID]
 *                  [--events FILE]
 *
 * A combination fires on the key's press with exactly its modifiers held
 * (either side), but the switch starts only once the key and the modifiers
 * are released again: a key-up arriving while the kernel suspends can abort
 * the suspend or wake the machine straight away (design notes).  After each
 * switch, hotkeys are ignored for one second, so keys still bouncing or
 * repeated across the resume do not start another one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/input.h>

#include <libfdt.h>

#include "agent.h"
#include "hotkey.h"
#include "mbox.h"
#include "suspend.h"

#define MAX_DEVS 32
#define MAX_HOTKEYS (SW_MAX_SLOTS + 1)
#define RESCAN_MS 5000
#define DEBOUNCE_MS 1000
#define RELEASE_TIMEOUT_MS 5000
#define TICK_EVERY_MS (AGENT_TICK_MAX_AGE_MS / 2)

struct hotkey {
        struct sw_hotkey key;        /* normalized text, modifiers, key code */
        char target[SW_MB_ID_LEN];   /* slot id, or "@next" */
};

struct dev {
        int fd;
        char path[64];
};

static const char usage[] =
        "usage: switcher-agent [OPTIONS]\n"
        "Watches every keyboard (/dev/input/event*) for the hotkeys in the switcher's\n"
        "mailbox (each slot's hotkey, and next-hotkey for the next slot) and switches\n"
        "when one is pressed and released.\n"
        "\n"
        "  --foreground        do not detach (for systemd and tests)\n"
        "  --once              exit after the first switch attempt (its status)\n"
        "  --delay S           RTC wake-up delay for the suspend (default 2)\n"
        "  --dry-run           write the request but do not suspend\n"
        "  --mailbox-addr A    physical address (default: switcher.mailbox=)\n"
        "  --mailbox-file F    a mailbox image file instead of /dev/mem\n"
        "  --slot ID           act as slot ID\n"
        "  --events FILE       read struct input_event records from FILE (tests)\n"
        "  --help\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
        (void)sig;
        stop = 1;
}

static unsigned load_hotkeys(const struct agent_mb *m, const char *self, struct hotkey *hk)
{
        int slots = fdt_path_offset(m->base, "/slots"), node;
        const char *s;
        unsigned n = 0;

        s = agent_prop_str(m, 0, "next-hotkey");
        if (s) {
                if (sw_hotkey_parse(s, strlen(s), &hk[n].key) == 0) {
                        strcpy(hk[n].target, "@next");
                        agent_info("hotkey %s: next slot", s);
                        n++;
                } else {
                        agent_log("next-hotkey '%s' in the mailbox is not a key I know; ignored", s);
                }
        }
        if (slots < 0)
                return n;
        fdt_for_each_subnode(node, m->base, slots) {
                const char *id = fdt_get_name(m->base, node, NULL);

                s = agent_prop_str(m, node, "hotkey");
                if (!s || !id || strlen(id) >= SW_MB_ID_LEN || n >= MAX_HOTKEYS)
                        continue;
                if (sw_hotkey_parse(s, strlen(s), &hk[n].key) < 0) {
                        agent_log("slot '%s': hotkey '%s' in the mailbox is not a key I know; ignored", id, s);
                        continue;
                }
                strcpy(hk[n].target, id);
                agent_info("hotkey %s: slot '%s'%s", s, id, strcmp(id, self) == 0 ? " (this slot: ignored)" : "");
                n++;
        }
        return n;
}

/* ------------------------------------------------------------------------ */
/* Input devices. */

static bool has_bit(const unsigned long *bits, unsigned b)
{
        return bits[b / (8 * sizeof(long))] >> (b % (8 * sizeof(long))) & 1;
}

static bool is_open(const struct dev *devs, unsigned n, const char *path)
{
        for (unsigned i = 0; i < n; i++)
                if (strcmp(devs[i].path, path) == 0)
                        return true;
        return false;
}

/* Opens every /dev/input/event* with EV_KEY not yet open. */
static void scan_devices(struct dev *devs, unsigned *n)
{
        DIR *d = opendir("/dev/input");
        struct dirent *e;

        if (!d)
                return;
        while ((e = readdir(d)) && *n < MAX_DEVS) {
                unsigned long evbits[(EV_MAX + 8 * sizeof(long)) / (8 * sizeof(long))] = { 0 };
                char path[64];
                int fd;

                if (strncmp(e->d_name, "event", 5) != 0 || strlen(e->d_name) > 40)
                        continue;
                snprintf(path, sizeof(path), "/dev/input/%.40s", e->d_name);
                if (is_open(devs, *n, path))
                        continue;
                fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (ioctl(fd, EVIOCGBIT(0, sizeof(evbits)), evbits) < 0 || !has_bit(evbits, EV_KEY)) {
                        close(fd);
                        continue;
                }
                devs[*n].fd = fd;
                snprintf(devs[*n].path, sizeof(devs[*n].path), "%s", path);
                (*n)++;
                agent_info("watching %s", path);
        }
        closedir(d);
}

static void drop_device(struct dev *devs, unsigned *n, unsigned i)
{
        agent_info("%s went away", devs[i].path);
        close(devs[i].fd);
        devs[i] = devs[--*n];
}

/* ------------------------------------------------------------------------ */
/* Key state. */

static uint8_t down[KEY_CNT];

static unsigned mods_held(void)
{
        return (down[KEY_LEFTCTRL] || down[KEY_RIGHTCTRL] ? SW_MOD_CTRL : 0) |
               (down[KEY_LEFTALT] || down[KEY_RIGHTALT] ? SW_MOD_ALT : 0) |
               (down[KEY_LEFTSHIFT] || down[KEY_RIGHTSHIFT] ? SW_MOD_SHIFT : 0) |
               (down[KEY_LEFTMETA] || down[KEY_RIGHTMETA] ? SW_MOD_SUPER : 0);
}

static bool combo_released(const struct hotkey *h)
{
        return !down[h->key.code] && (mods_held() & h->key.mods) == 0;
}

struct state {
        struct agent_mb *m;
        const struct agent_source *src;
        const char *self_opt;
        char self[SW_MB_ID_LEN];
        struct agent_switch_opts sw;
        struct hotkey hk[MAX_HOTKEYS];
        unsigned nhk;
        int armed;                  /* index into hk waiting for release, or -1 */
        uint64_t armed_at;
        uint64_t quiet_until;       /* debounce after a switch */
        /* The RTC tick for aligned wake-up alarms (see suspend.h): measured
         * in the background of the poll loop, after start, after every
         * switch and every TICK_EVERY_MS. */
        struct agent_rtc_tick tick;
        int tick_fd;                /* a measurement under way, or -1 */
        uint64_t tick_due;
        bool tick_off;              /* no usable /dev/rtc0: stop trying */
        unsigned slowest_ms;        /* longest arm -> sleep seen (agent_switch) */
        bool once;
        bool done;
        int rc;
};

static void run_switch(struct state *s, const struct hotkey *h)
{
        agent_log("hotkey %s released: switching to %s", h->key.text, h->target);
        /* The update interrupt's timer would take the RTC's alarm. */
        if (s->tick_fd >= 0) {
                close(s->tick_fd);
                s->tick_fd = -1;
        }
        s->rc = agent_switch(s->m, s->self, h->target, &s->sw);
        agent_log("switch to %s %s", h->target, s->rc == 0 ? "done" : "failed");
        /* The switch took us through a suspend: keys may be stale. */
        memset(down, 0, sizeof(down));
        s->quiet_until = agent_now_ms() + DEBOUNCE_MS;
        /* The monotonic clock stood still while we slept: a new tick. */
        s->tick.valid = false;
        s->tick_due = 0;
        if (s->once)
                s->done = true;
        /* The mailbox may have changed (hotkeys do not, but re-read anyway). */
        if (agent_mb_refresh(s->m) == 0)
                s->nhk = load_hotkeys(s->m, s->self, s->hk);
}

static void key_event(struct state *s, const struct input_event *ev)
{
        if (ev->type != EV_KEY || ev->code >= KEY_CNT)
                return;
        /* value 2 is autorepeat: the key stays down. */
        down[ev->code] = ev->value != 0;
        if (s->armed >= 0) {
                if (combo_released(&s->hk[s->armed])) {
                        int i = s->armed;

                        s->armed = -1;
                        run_switch(s, &s->hk[i]);
                }
                return;
        }
        if (ev->value != 1)
                return;
        for (unsigned i = 0; i < s->nhk; i++) {
                if (s->hk[i].key.code == ev->code && s->hk[i].key.mods == mods_held()) {
                        if (agent_now_ms() < s->quiet_until) {
                                agent_info("hotkey %s within %d ms of the last switch; ignored", s->hk[i].key.text,
                                           DEBOUNCE_MS);
                                return;
                        }
                        if (strcmp(s->hk[i].target, s->self) == 0) {
                                agent_info("hotkey %s: slot '%s' is already running", s->hk[i].key.text, s->self);
                                return;
                        }
                        agent_info("hotkey %s pressed; waiting for its release", s->hk[i].key.text);
                        s->armed = (int)i;
                        s->armed_at = agent_now_ms();
                        return;
                }
        }
}

/* Events from a file (tests): records until EOF, then the daemon stops. */
static int run_events_file(struct state *s, const char *path)
{
        struct input_event ev;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0) {
                agent_log("cannot open %s: %s", path, strerror(errno));
                return 1;
        }
        while (!s->done && read(fd, &ev, sizeof(ev)) == (ssize_t)sizeof(ev))
                key_event(s, &ev);
        close(fd);
        if (s->armed >= 0)
                agent_log("hotkey %s still held at the end of %s: not switching", s->hk[s->armed].key.text, path);
        return s->done ? s->rc : 1;
}

static int run_devices(struct state *s)
{
        struct dev devs[MAX_DEVS];
        struct pollfd pfd[MAX_DEVS + 1];
        unsigned n = 0;
        uint64_t last_scan = 0;

        scan_devices(devs, &n);
        last_scan = agent_now_ms();
        if (n == 0)
                agent_log("no input device with keys yet (/dev/input/event*); will look again every %d s",
                          RESCAN_MS / 1000);
        while (!stop && !s->done) {
                int r;

                for (unsigned i = 0; i < n; i++) {
                        pfd[i].fd = devs[i].fd;
                        pfd[i].events = POLLIN;
                        pfd[i].revents = 0;
                }
                if (s->tick_fd < 0 && !s->tick_off && agent_now_ms() >= s->tick_due) {
                        s->tick_fd = agent_rtc_tick_start();
                        s->tick_off = s->tick_fd < 0;
                }
                /* The tick's descriptor goes last, after the devices. */
                pfd[n].fd = s->tick_fd;
                pfd[n].events = POLLIN;
                pfd[n].revents = 0;
                r = poll(pfd, n + 1, 1000);
                if (r > 0 && pfd[n].revents) {
                        r--;
                        if (agent_rtc_tick_finish(s->tick_fd, &s->tick) < 0)
                                s->tick_off = true;
                        s->tick_fd = -1;
                        s->tick_due = agent_now_ms() + TICK_EVERY_MS;
                }
                if (r < 0 && errno != EINTR) {
                        agent_log("poll: %s", strerror(errno));
                        return 1;
                }
                for (unsigned i = n; r > 0 && i-- > 0;) {
                        struct input_event ev[64];
                        ssize_t len;

                        if (!pfd[i].revents)
                                continue;
                        if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
                                drop_device(devs, &n, i);
                                continue;
                        }
                        len = read(devs[i].fd, ev, sizeof(ev));
                        if (len < 0 && errno == ENODEV) {
                                drop_device(devs, &n, i);
                                continue;
                        }
                        for (ssize_t k = 0; len > 0 && k < len / (ssize_t)sizeof(ev[0]) && !s->done; k++)
                                key_event(s, &ev[k]);
                }
                /* A release lost (device gone, focus grabbed): do not hang armed. */
                if (s->armed >= 0 && agent_now_ms() - s->armed_at > RELEASE_TIMEOUT_MS) {
                        agent_log("hotkey %s: no release within %d s; ignored", s->hk[s->armed].key.text,
                                  RELEASE_TIMEOUT_MS / 1000);
                        s->armed = -1;
                }
                if (agent_now_ms() - last_scan > RESCAN_MS) {
                        scan_devices(devs, &n);
                        last_scan = agent_now_ms();
                }
        }
        for (unsigned i = 0; i < n; i++)
                close(devs[i].fd);
        return s->done ? s->rc : 0;
}

/*
 * A 'prewarm' slot is booted by the switcher at start-up only to be ready:
 * the mailbox's prewarm-next names where to go as soon as the agent runs.
 * Handing over is an ordinary switch; when this slot is first switched to,
 * it resumes here and the daemon goes on watching the hotkeys.
 */
static void prewarm_handover(struct state *s)
{
        char next[SW_MB_ID_LEN];

        if (s->sw.dry_run || sw_mb_get_prewarm_next(s->m->base, next) < 0 || !next[0] ||
            strcmp(next, s->self) == 0)
                return;
        agent_info("prewarm: slot '%s' is up; handing over to '%s' until the first switch here", s->self, next);
        if (agent_switch(s->m, s->self, next, &s->sw) != 0)
                agent_log("prewarm: the hand-over to '%s' failed; this slot stays running", next);
        else
                agent_info("prewarm: slot '%s' resumed by its first switch", s->self);
}

int main(int argc, char **argv)
{
        struct agent_source src = { 0 };
        struct state *s = calloc(1, sizeof(*s));
        const char *events = NULL;
        bool foreground = false;
        int rc;

        agent_prog = "switcher-agent";
        if (!s)
                return 1;
        s->sw.delay = 2;
        s->sw.tick = &s->tick;
        s->sw.slowest_ms = &s->slowest_ms;
        s->tick_fd = -1;
        s->armed = -1;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                bool has_val = i + 1 < argc;
                uint64_t v;

                if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        fputs(usage, stdout);
                        return 0;
                } else if (strcmp(a, "--foreground") == 0) {
                        foreground = true;
                } else if (strcmp(a, "--once") == 0) {
                        s->once = true;
                } else if (strcmp(a, "--dry-run") == 0) {
                        s->sw.dry_run = true;
                } else if (strcmp(a, "--delay") == 0 && has_val) {
                        if (agent_parse_u64(argv[++i], &v) < 0 || v < 1 || v > 3600) {
                                agent_log("--delay '%s' is not a number of seconds in 1..3600", argv[i]);
                                return 1;
                        }
                        s->sw.delay = (unsigned)v;
                } else if (strcmp(a, "--mailbox-file") == 0 && has_val) {
                        src.file = argv[++i];
                } else if (strcmp(a, "--mailbox-addr") == 0 && has_val) {
                        if (agent_parse_u64(argv[++i], &src.addr) < 0) {
                                agent_log("--mailbox-addr '%s' is not an address", argv[i]);
                                return 1;
                        }
                        src.have_addr = true;
                } else if (strcmp(a, "--slot") == 0 && has_val) {
                        s->self_opt = argv[++i];
                } else if (strcmp(a, "--events") == 0 && has_val) {
                        events = argv[++i];
                } else if (strcmp(a, "--sys-root") == 0 && has_val) {
                        s->sw.sys_root = argv[++i];
                } else {
                        agent_log("unknown argument '%s' (see switcher-agent --help)", a);
                        return 2;
                }
        }
        s->m = calloc(1, sizeof(*s->m));
        if (!s->m)
                return 1;
        s->src = &src;
        if (!foreground && !events) {
                /* Classic daemon: the kernel log is where our lines go now. */
                if (daemon(0, 0) < 0) {
                        agent_log("cannot detach: %s", strerror(errno));
                        return 1;
                }
        }
        if (!events)
                agent_log_kmsg = true;
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        if (agent_mb_open(s->m, &src) < 0 || agent_self(s->m, &src, s->self_opt, s->self) < 0)
                return 1;
        s->nhk = load_hotkeys(s->m, s->self, s->hk);
        agent_info("running as slot '%s', mailbox at %s, %u hotkey(s)", s->self, s->m->where, s->nhk);
        if (s->nhk == 0)
                agent_log("no hotkeys in the mailbox: nothing to watch for (waiting anyway)");
        prewarm_handover(s);
        rc = events ? run_events_file(s, events) : run_devices(s);
        agent_mb_close(s->m);
        return rc;
}
