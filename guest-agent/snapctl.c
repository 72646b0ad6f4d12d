/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: `switchctl snapshot save|restore` (see snapctl.h).
 *
 * Everything the snapshot must say about SLOT comes from the switcher,
 * through the mailbox: its state, its store (base and size), its
 * partition, the identity the switcher checks before every resume (the
 * kernel release and size, the e820 layout hash), the hash of its memory
 * settings and its waking vector ("snapshot-identity", published at every
 * switch), every RAM range the snapshot holds ("snapshot-ram": a swap
 * slot's store; an in-place slot's DMA32 window, low memory and own RAM),
 * and where its RAM lies when the lazy save left part of it in the active
 * region ("lazy-ram").  This file only gathers those facts and
 * refuses what must be refused; the bytes are moved by snapio.c.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <libfdt.h>

#include "agent.h"
#include "disk.h"
#include "fmt.h"
#include "mounts.h"
#include "saveall.h"
#include "snapctl.h"
#include "snapio.h"
#include "suspend.h"

/* The core's and snapio's messages, as the agent's own lines. */
static void diag_log(void *ctx, enum sw_severity sev, const char *msg)
{
        if (sev == SW_INFO)
                agent_info("%s", msg);
        else
                agent_log("%s%s", sev == SW_WARN ? "warning: " : "", msg);
}

static struct sw_diag agent_diag = { .emit = diag_log };

/* What the mailbox says of the slot a snapshot is about. */
struct slot_facts {
        const char *id;
        char partition[SW_SNAP_TEXT_LEN];
        uint64_t store_base, store_size;
        bool in_place;
        struct sw_snap_range ram[SW_MB_RAM_MAX];    /* what the snapshot holds, in address order */
        unsigned nram;
        struct sw_mb_identity ident;
        char dev[300];                  /* its partition's device; "" when it has none */
};

/*
 * The RAM ranges a snapshot of f holds, as the switcher publishes them
 * (snapshot-ram).  A switcher from before in-place snapshots publishes
 * none: a swap slot's RAM is then its store, as it always was; an in-place
 * slot's is not known (its window and low memory), so -1.
 */
static int slot_ram(struct agent_mb *m, struct slot_facts *f)
{
        struct sw_mb_ram r;

        f->nram = 0;
        if (sw_mb_get_ram(m->base, f->id, &r) == 0 && r.n) {
                for (unsigned i = 0; i < r.n; i++)
                        f->ram[i] = (struct sw_snap_range){ r.r[i].addr, r.r[i].size, r.r[i].kind };
                f->nram = r.n;
                return 0;
        }
        if (f->in_place)
                return -1;
        f->ram[0] = (struct sw_snap_range){ f->store_base, f->store_size, SW_SNAP_RANGE_STORE };
        f->nram = 1;
        return 0;
}

/*
 * The preconditions both commands share: slot is another slot, suspended,
 * with a store and the RAM ranges of its snapshot, whose identity the
 * switcher has published, and whose partition (if any) nothing here uses.
 * Returns 0, or 1 after saying why not.
 */
static int slot_ready(struct agent_mb *m, const char *self, const char *verb, struct slot_facts *f)
{
        const char *state, *mode, *part;
        int node;

        if (agent_mb_refresh(m) < 0)
                return 1;
        node = sw_mb_slot_offset(m->base, f->id);
        if (node < 0) {
                agent_log("snapshot %s: no slot '%s' in the mailbox", verb, f->id);
                return 1;
        }
        state = agent_prop_str(m, node, "state");
        mode = agent_prop_str(m, node, "mode");
        if (strcmp(f->id, self) == 0 || (state && strcmp(state, "running") == 0)) {
                agent_log("snapshot %s: slot '%s' is running; a snapshot is of a suspended slot (switch away "
                          "from it first)", verb, f->id);
                return 1;
        }
        if (!state || strcmp(state, "suspended") != 0) {
                agent_log("snapshot %s: slot '%s' %s; a snapshot is of a suspended slot", verb, f->id,
                          !state ? "has no state in the mailbox"
                          : strcmp(state, "empty") == 0 ? "never ran"
                          : strcmp(state, "failed") == 0 ? "failed" : "is not suspended");
                return 1;
        }
        /* No mode in the mailbox is a swap slot, the switcher's default. */
        if (mode && strcmp(mode, "swap") != 0 && strcmp(mode, "in-place") != 0) {
                agent_log("snapshot %s: slot '%s' runs %s; a snapshot is of a swap or an in-place slot", verb, f->id,
                          mode);
                return 1;
        }
        f->in_place = mode && strcmp(mode, "in-place") == 0;
        if (sw_mb_get_store(m->base, f->id, &f->store_base, &f->store_size) < 0 || !f->store_size) {
                agent_log("snapshot %s: slot '%s' has no store in the mailbox", verb, f->id);
                return 1;
        }
        if (slot_ram(m, f) < 0) {
                agent_log("snapshot %s: the switcher has published no RAM ranges for %s slot '%s' (a switcher "
                          "without in-place snapshots)", verb, f->in_place ? "in-place" : "swap", f->id);
                return 1;
        }
        if (sw_mb_get_identity(m->base, f->id, &f->ident) < 0 || !f->ident.vector) {
                agent_log("snapshot %s: the switcher has published no identity for slot '%s' (a switcher "
                          "without the lab bank, or the slot set no waking vector)", verb, f->id);
                return 1;
        }
        part = agent_prop_str(m, node, "partition");
        f->partition[0] = '\0';
        f->dev[0] = '\0';
        if (part) {
                snprintf(f->partition, sizeof(f->partition), "%s", part);
                if (agent_partition_idle(m, f->id, NULL, f->dev, sizeof(f->dev)) != 0) {
                        agent_log("snapshot %s: not touching slot '%s'", verb, f->id);
                        return 1;
                }
        }
        return 0;
}

/* The snapshot header of the slot as it is now. */
static void make_header(const struct slot_facts *f, struct sw_snap_header *h)
{
        memset(h, 0, sizeof(*h));
        h->nparts = f->dev[0] ? 2 : 1;
        h->flags = f->in_place ? SW_SNAP_IN_PLACE : 0;
        h->created = (uint64_t)time(NULL);
        h->waking_vector = f->ident.vector;
        h->config_hash = f->ident.config_hash;
        snprintf(h->id.slot, sizeof(h->id.slot), "%s", f->id);
        snprintf(h->id.kernel, sizeof(h->id.kernel), "%s", f->ident.kernel);
        h->id.kernel_size = f->ident.kernel_size;
        snprintf(h->id.partition, sizeof(h->id.partition), "%s", f->partition);
        h->id.layout = f->ident.layout;
        h->id.store_base = f->store_base;
        h->id.store_size = f->store_size;
}

/* /dev/mem, where a slot's store is reached from another slot. */
static int mem_open(struct snapio_mem *mem, int flags)
{
        memset(mem, 0, sizeof(*mem));
        mem->path = "/dev/mem";
        mem->fd = open(mem->path, flags | O_CLOEXEC);
        if (mem->fd < 0) {
                agent_log("cannot open %s: %s", mem->path, strerror(errno));
                return -1;
        }
        return 0;
}

/* The output: FILE.XXXXXX, renamed to FILE when whole. */
struct out {
        int fd;
        const char *path;
};

static int out_write(void *ctx, const void *buf, size_t len)
{
        struct out *o = ctx;
        const uint8_t *p = buf;

        while (len) {
                ssize_t n = write(o->fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        agent_log("cannot write %s: %s", o->path, n < 0 ? strerror(errno) : "no progress");
                        return -1;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int save(struct agent_mb *m, const char *self, const char *slot, const char *file, bool force)
{
        static struct snapio_mem mem;
        static struct sw_snap_header h;
        struct slot_facts f = { .id = slot };
        struct snapio_fs fs = { 0 };
        struct sw_mb_lazy lazy;
        struct sw_snap_writer w;
        struct out o = { -1, file };
        struct sw_snap_sink sink = { out_write, &o };
        struct stat st;
        char tmp[4096];
        uint64_t size;
        int rc = 1;

        if (!force && lstat(file, &st) == 0) {
                agent_log("snapshot save: %s exists; not replaced (use --force)", file);
                return 1;
        }
        if (slot_ready(m, self, "save", &f) != 0)
                return 1;
        if (mem_open(&mem, O_RDONLY) < 0)
                return 1;
        /* The lazy save may have left part of it in the active region: read
         * that part from there. */
        if (sw_mb_get_lazy(m->base, &lazy) == 0 && strcmp(lazy.owner, slot) == 0) {
                if (lazy.n > SW_MB_LAZY_MAX) {
                        agent_log("snapshot save: slot '%s''s RAM lies in %u pieces, more than the mailbox lists "
                                  "(%d); switch to a swap slot first, which puts it back in its store", slot,
                                  lazy.n, SW_MB_LAZY_MAX);
                        goto out;
                }
                for (unsigned i = 0; i < lazy.n; i++)
                        mem.moved[i] = (struct snapio_moved){ lazy.piece[i].store, lazy.piece[i].now,
                                                              lazy.piece[i].size };
                mem.nmoved = lazy.n;
                agent_info("slot '%s': part of its RAM still lies in the active region (%u pieces); read from "
                           "there", slot, lazy.n);
        }
        if (f.dev[0] && snapio_fs_open(&fs, f.dev, &agent_diag) < 0)
                goto out;
        if (snapio_room(file, snapio_worst_size(f.ram, f.nram, f.dev[0] ? &fs : NULL), &agent_diag) < 0)
                goto out;
        make_header(&f, &h);
        if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", file) >= (int)sizeof(tmp)) {
                agent_log("snapshot save: the name %s is too long", file);
                goto out;
        }
        o.fd = mkstemp(tmp);
        if (o.fd < 0) {
                agent_log("snapshot save: cannot create a file next to %s: %s", file, strerror(errno));
                goto out;
        }
        o.path = tmp;
        agent_info("saving slot '%s': store 0x%" PRIx64 " (%" PRIu64 " MiB)%s%s into %s", slot, f.store_base,
                   f.store_size >> 20, f.dev[0] ? ", partition " : "", f.dev, file);
        for (unsigned i = 0; i < f.nram; i++)
                agent_info("slot '%s': RAM range %u (%s) 0x%" PRIx64 ", %" PRIu64 " MiB", slot, i,
                           sw_snap_range_name(f.ram[i].kind), f.ram[i].addr, f.ram[i].size >> 20);
        if (sw_snap_write_begin(&w, &sink, &h, file, &agent_diag) < 0 ||
            snapio_save_ram(&w, f.ram, f.nram, &mem, &agent_diag) < 0)
                goto discard;
        /* Where a save's time goes (make bench): the RAM part ends here. */
        if (f.dev[0])
                agent_info("slot '%s''s RAM saved; now its partition's used blocks", slot);
        if ((f.dev[0] && snapio_save_fs(&w, &fs, &agent_diag) < 0) || sw_snap_write_end(&w, &size, NULL) < 0)
                goto discard;
        if (fchmod(o.fd, 0644) < 0 || fsync(o.fd) < 0) {
                agent_log("cannot write %s: %s", tmp, strerror(errno));
                goto discard;
        }
        close(o.fd);
        o.fd = -1;
        if (rename(tmp, file) < 0) {
                agent_log("cannot rename %s to %s: %s", tmp, file, strerror(errno));
                goto discard;
        }
        printf("%s: snapshot of slot '%s', %" PRIu64 " bytes\n", file, slot, size);
        rc = 0;
        goto out;
discard:
        /* A partial snapshot never remains. */
        agent_log("snapshot save: nothing written to %s", file);
        if (o.fd >= 0)
                close(o.fd);
        unlink(tmp);
out:
        snapio_fs_close(&fs);
        close(mem.fd);
        return rc;
}

/* The restore's last word before a byte is written: the snapshot must be
 * SLOT's as the switcher runs it now, or the adoption would refuse it after
 * the store and the partition were already overwritten. */
struct fit {
        const struct slot_facts *f;
};

static int fits(void *ctx, const struct sw_snap_info *info)
{
        const struct fit *k = ctx;
        const struct slot_facts *f = k->f;
        static struct sw_snap_header now;
        const struct sw_snap_header *h = &info->hdr;
        char why[300];
        bool fs = false;

        make_header(f, &now);
        for (unsigned i = 0; i < info->nparts; i++)
                fs |= info->part[i].type == SW_SNAP_PART_FS;
        if ((h->flags & SW_SNAP_IN_PLACE) != (now.flags & SW_SNAP_IN_PLACE)) {
                agent_log("the snapshot is of %s slot; '%s' %s", h->flags & SW_SNAP_IN_PLACE ? "an in-place" : "a swap",
                          f->id, f->in_place ? "runs in place" : "is a swap slot");
                return -1;
        }
        /* Every RAM range, as the switcher's hash will cover it: before the
         * identity, so that a moved or resized range is named with both
         * addresses rather than as "another memory map". */
        if (sw_snap_ram_fits(info, f->ram, f->nram, why, sizeof(why)) < 0) {
                agent_log("%s: not slot '%s''s RAM as it runs now", why, f->id);
                return -1;
        }
        if (strcmp(h->id.kernel, now.id.kernel) != 0 || h->id.kernel_size != now.id.kernel_size) {
                agent_log("the snapshot was taken with kernel '%s' (%" PRIu64 " bytes); slot '%s' now has '%s' (%" PRIu64
                          " bytes)", h->id.kernel, h->id.kernel_size, f->id, now.id.kernel, now.id.kernel_size);
                return -1;
        }
        if (strcmp(h->id.partition, now.id.partition) != 0) {
                agent_log("the snapshot is of partition '%s'; slot '%s' now has '%s'", h->id.partition, f->id,
                          now.id.partition);
                return -1;
        }
        if (h->id.layout != now.id.layout || h->id.store_base != now.id.store_base ||
            h->id.store_size != now.id.store_size || h->config_hash != now.config_hash) {
                agent_log("the snapshot was taken with another memory map or memory settings (store 0x%" PRIx64
                          ", %" PRIu64 " bytes; slot '%s' now has 0x%" PRIx64 ", %" PRIu64 " bytes)",
                          h->id.store_base, h->id.store_size, f->id, now.id.store_base, now.id.store_size);
                return -1;
        }
        if (fs != (f->dev[0] != 0)) {
                agent_log("the snapshot %s a file system, and slot '%s' %s a partition", fs ? "holds" : "has no",
                          f->id, f->dev[0] ? "has" : "has no");
                return -1;
        }
        /* Where a restore's time goes (make bench): the check ends here. */
        agent_info("the snapshot checks out whole and fits slot '%s'; writing its partition and store", f->id);
        return 0;
}

static int restore(struct agent_mb *m, const char *self, const char *slot, const char *file)
{
        static struct sw_snap_info info;
        static struct sw_snap_ram_hash ram;
        static uint8_t hdr[SW_SNAP_HEADER_SIZE];
        struct slot_facts f = { .id = slot };
        struct fit k = { &f };
        struct snapio_target t = { .fs_fd = -1, .file = file, .want_ram_hash = true, .ram_hash = &ram };
        struct agent_switch_opts o = { .delay = 2, .to_self = true };
        uint64_t hash;
        int rc = 1;

        if (slot_ready(m, self, "restore", &f) != 0)
                return 1;
        if (mem_open(&t.mem, O_RDWR) < 0)
                return 1;
        if (f.dev[0]) {
                t.fs_path = f.dev;
                t.fs_fd = open(f.dev, O_RDWR | O_CLOEXEC);
                if (t.fs_fd < 0) {
                        agent_log("cannot open %s for writing: %s", f.dev, strerror(errno));
                        goto out;
                }
        }
        agent_info("restoring slot '%s' from %s: checking it whole first", slot, file);
        rc = snapio_restore(&t, slot, fits, &k, &info, &agent_diag);
        if (rc != 0) {
                rc = 1;
                goto out;
        }
        hash = sw_snap_ram_hash_final(&ram);
        sw_snap_header_encode(&info.hdr, hdr);
        agent_info("slot '%s': store and partition written; asking the switcher to adopt them", slot);
        rc = 1;
        if (sw_mb_adopt_write(m->base, slot, hdr, hash) < 0 || agent_mb_commit(m) < 0) {
                agent_log("cannot write the adopt request into the mailbox; slot '%s' is not adopted", slot);
                goto out;
        }
        rc = agent_switch(m, self, self, &o);
        if (rc == 0)
                printf("%s: restored slot '%s'; the next switch to it resumes the snapshot\n", file, slot);
        else
                agent_log("snapshot restore: slot '%s' was not adopted", slot);
out:
        close(t.mem.fd);
        if (t.fs_fd >= 0)
                close(t.fs_fd);
        return rc;
}

/* The most bytes slot's snapshot can take (every page of its store
 * non-zero, and its partition's used blocks), after the same checks as a
 * save.  0, or -1 after saying why. */
static int worst_size(struct agent_mb *m, const char *self, const char *slot, uint64_t *out)
{
        struct slot_facts f = { .id = slot };
        struct snapio_fs fs = { 0 };

        if (slot_ready(m, self, "save", &f) != 0)
                return -1;
        if (f.dev[0] && snapio_fs_open(&fs, f.dev, &agent_diag) < 0)
                return -1;
        *out = snapio_worst_size(f.ram, f.nram, f.dev[0] ? &fs : NULL);
        snapio_fs_close(&fs);
        return 0;
}

/* The kernel's power-off of this slot.  Returns only when it failed (1). */
static int go_off(struct agent_mb *m)
{
        /* A mailbox file is a test's, on whatever machine runs it: that
         * machine is not the slot's to power off. */
        if (m->access == AGENT_FILE)
                return 1;
        fflush(NULL);
        sync();
        reboot(RB_POWER_OFF);
        agent_log("poweroff: the kernel did not power off: %s", strerror(errno));
        return 1;
}

/*
 * Ends this slot for a machine power-off: the record in /poweroff (see
 * switcher/saveall.h), then the kernel's power-off.  Each suspended slot's
 * agent, when the switcher resumes it, sees the record and powers its slot
 * off too; after the last one, the switcher powers the machine off.
 * Returns only when the power-off failed.
 */
static int power_off(struct agent_mb *m, const char *self)
{
        if (agent_mb_refresh(m) < 0 || sw_poweroff_mark(m->base, self) < 0 || agent_mb_commit(m) < 0) {
                agent_log("poweroff: cannot leave the power-off record in the mailbox; not powering off");
                return 1;
        }
        agent_info("powering off slot '%s'; each suspended slot powers itself off as the switcher resumes it, "
                   "and the switcher powers the machine off after the last",
                   self);
        /* A mailbox file (a test's) keeps the record, for the test to read. */
        if (m->access == AGENT_FILE)
                return 0;
        go_off(m);
        /* Taken back, or the next slot to go off would end the others. */
        if (agent_mb_refresh(m) == 0 && sw_mb_poweroff_clear(m->base) == 0)
                agent_mb_commit(m);
        return 1;
}

/* A GPT partition of a disk this system sees, and its block device. */
struct gpt_found {
        char dev[300];
        char spec[SW_MB_PART_LEN];      /* "PARTUUID=..." */
        struct sw_gpt_part e;
};

/*
 * Finds the partition that is block device devno (spec NULL) or whose GPT
 * entry matches spec, by the GPT of each disk under /sys/class/block (the
 * agent's own reader, as the partition-safety check does).  0, or -1 with
 * the reason in why.
 */
static int gpt_part_find(dev_t devno, const char *spec, struct gpt_found *out, char *why, size_t n)
{
        static struct sw_gpt gpt;
        char path[PATH_MAX], real[PATH_MAX], val[32], disk[300], gwhy[200];
        DIR *d = opendir("/sys/class/block");
        struct dirent *de;
        int rc = -1;

        if (!d) {
                snprintf(why, n, "cannot list /sys/class/block: %s", strerror(errno));
                return -1;
        }
        if (spec)
                snprintf(why, n, "no partition %s on a GPT disk this system sees", spec);
        else
                snprintf(why, n, "device %u:%u is no partition of a GPT disk this system sees", major(devno),
                         minor(devno));
        while (rc < 0 && (de = readdir(d))) {
                unsigned maj, min, index;
                const struct sw_gpt_part *e;
                char *slash;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "/sys/class/block/%s/partition", de->d_name);
                if (agent_read_small(path, val, sizeof(val)) <= 0 || sscanf(val, "%u", &index) != 1)
                        continue;
                snprintf(path, sizeof(path), "/sys/class/block/%s/dev", de->d_name);
                if (agent_read_small(path, val, sizeof(val)) <= 0 || sscanf(val, "%u:%u", &maj, &min) != 2)
                        continue;
                if (!spec && makedev(maj, min) != devno)
                        continue;
                /* The disk is the directory the partition's sysfs node lies in. */
                snprintf(path, sizeof(path), "/sys/class/block/%s", de->d_name);
                if (!realpath(path, real) || !(slash = strrchr(real, '/')))
                        continue;
                *slash = '\0';
                slash = strrchr(real, '/');
                sw_snprintf(disk, sizeof(disk), "/dev/%s", slash ? slash + 1 : real);
                if (disk_read_gpt(disk, 0, &gpt, gwhy, sizeof(gwhy)) != SW_GPT_OK)
                        continue;
                e = sw_gpt_entry(&gpt, index);
                if (!e || (spec && !sw_gpt_matches_spec(e, spec)))
                        continue;
                out->e = *e;
                snprintf(out->dev, sizeof(out->dev), "/dev/%s", de->d_name);
                /* sysfs writes '/' in a device name as '!' (cciss!c0d0). */
                for (char *c = out->dev + 5; *c; c++)
                        if (*c == '!')
                                *c = '/';
                snprintf(out->spec, sizeof(out->spec), "PARTUUID=%s", e->uuid_str);
                rc = 0;
        }
        closedir(d);
        return rc;
}

/* mountinfo's octal escapes (\040 for a space) undone in place. */
static void unescape(char *s)
{
        char *o = s;

        for (; *s; s++, o++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
                    s[3] <= '7') {
                        *o = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
                        s += 3;
                } else {
                        *o = *s;
                }
        }
        *o = '\0';
}

/* Where DIR lies: its file system's device, the mounts of it here, and
 * the path of DIR inside it. */
#define DIR_MOUNTS_MAX 8
struct dir_fs {
        dev_t devno;
        char fstype[SW_MB_FSTYPE_LEN];
        char path[SW_MB_PATH_LEN];              /* DIR inside its file system, from its root */
        char source[300];                       /* what mounted it (for a remount) */
        char mnt[DIR_MOUNTS_MAX][PATH_MAX];     /* every mount of the device here, in mount order */
        unsigned nmnt, best;                    /* best: the one DIR lies under */
};

/* Does path lie under mount point mp (a whole component)?  The length of
 * mp that matches, or 0. */
static size_t under(const char *path, const char *mp)
{
        size_t l = strlen(mp);

        if (strcmp(mp, "/") == 0)
                return 1;
        return strncmp(path, mp, l) == 0 && (path[l] == '/' || path[l] == '\0') ? l : 0;
}

/* Fills f for dir from /proc/self/mountinfo.  0, or -1 with why. */
static int dir_fs_find(const char *dir, struct dir_fs *f, char *why, size_t n)
{
        char real[PATH_MAX], line[4 * PATH_MAX], root[PATH_MAX], best_root[PATH_MAX] = "";
        size_t best_len = 0, path_len = 0;
        struct stat st;
        FILE *mi;

        memset(f, 0, sizeof(*f));
        if (!realpath(dir, real) || stat(real, &st) < 0) {
                snprintf(why, n, "%s: %s", dir, strerror(errno));
                return -1;
        }
        f->devno = st.st_dev;
        mi = fopen("/proc/self/mountinfo", "r");
        if (!mi) {
                snprintf(why, n, "cannot read /proc/self/mountinfo: %s", strerror(errno));
                return -1;
        }
        while (fgets(line, sizeof(line), mi)) {
                char mp[PATH_MAX], fstype[64], source[300], *dash;
                unsigned maj, min;
                size_t l;

                dash = strstr(line, " - ");
                if (!dash || sscanf(line, "%*u %*u %u:%u %4095s %4095s", &maj, &min, root, mp) != 4 ||
                    sscanf(dash + 3, "%63s %299s", fstype, source) != 2 || makedev(maj, min) != f->devno)
                        continue;
                unescape(root);
                unescape(mp);
                unescape(source);
                if (f->nmnt < DIR_MOUNTS_MAX)
                        snprintf(f->mnt[f->nmnt], sizeof(f->mnt[0]), "%s", mp);
                l = under(real, mp);
                if (l > best_len) {
                        best_len = l;
                        f->best = f->nmnt;
                        snprintf(best_root, sizeof(best_root), "%s", root);
                        sw_snprintf(f->fstype, sizeof(f->fstype), "%s", fstype);
                        snprintf(f->source, sizeof(f->source), "%s", source);
                        path_len = (size_t)sw_snprintf(f->path, sizeof(f->path), "%s%s",
                                                       strcmp(root, "/") == 0 ? "" : root,
                                                       strcmp(mp, "/") == 0 ? real : real + l);
                }
                f->nmnt++;
        }
        fclose(mi);
        if (!best_len) {
                snprintf(why, n, "%s: no mount of its file system in /proc/self/mountinfo", dir);
                return -1;
        }
        if (path_len >= sizeof(f->path)) {
                snprintf(why, n, "%s: its path inside its file system is longer than the mailbox holds (%zu bytes)",
                         dir, sizeof(f->path) - 1);
                return -1;
        }
        if (f->nmnt > DIR_MOUNTS_MAX) {
                snprintf(why, n, "%s: its file system is mounted %u times here", dir, f->nmnt);
                return -1;
        }
        if (!f->path[0])
                snprintf(f->path, sizeof(f->path), "/");
        return 0;
}

/*
 * Unmounts every mount of DIR's file system here (the last mounted first)
 * and checks that nothing else holds its device (an O_EXCL open of a
 * block device fails while it is mounted anywhere): the slot that saves
 * this one mounts it next.  0, or -1 with why.
 */
static int dir_fs_release(const struct dir_fs *f, const char *dev, char *why, size_t n)
{
        int fd;

        sync();
        for (unsigned i = f->nmnt; i-- > 0;) {
                if (umount(f->mnt[i]) < 0) {
                        snprintf(why, n, "cannot unmount %s: %s", f->mnt[i], strerror(errno));
                        return -1;
                }
        }
        fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);
        if (fd < 0) {
                snprintf(why, n, "%s is still in use after unmounting it here: %s", dev, strerror(errno));
                return -1;
        }
        close(fd);
        return 0;
}

/* After a poweroff --save that did not go through: DIR mounted again where
 * it was, so that this slot goes on as before. */
static void dir_fs_remount(const struct dir_fs *f)
{
        if (mount(f->source, f->mnt[f->best], f->fstype, 0, NULL) < 0)
                agent_log("poweroff --save: cannot mount %s on %s again: %s", f->source, f->mnt[f->best],
                          strerror(errno));
}

/* The most bytes this slot's own snapshot can take: its whole store, and
 * every block of its partition at the smallest ext4 block size (its file
 * system is mounted and changing, so its used blocks cannot be counted
 * now).  0, or -1 after saying why. */
static int self_worst_size(struct agent_mb *m, const char *self, uint64_t *out)
{
        struct sw_snap_range range = { 0 };
        struct snapio_fs fs = { 0 };
        struct gpt_found g;
        const char *spec;
        char why[300];
        uint64_t bytes = 0;
        int node = sw_mb_slot_offset(m->base, self), fd;

        if (node < 0 || sw_mb_get_store(m->base, self, &range.addr, &range.size) < 0 || !range.size) {
                agent_log("poweroff --save: this slot, '%s', has no store in the mailbox", self);
                return -1;
        }
        range.kind = SW_SNAP_RANGE_STORE;
        spec = agent_prop_str(m, node, "partition");
        if (spec) {
                if (gpt_part_find(0, spec, &g, why, sizeof(why)) < 0) {
                        agent_log("poweroff --save: this slot's partition: %s", why);
                        return -1;
                }
                fd = open(g.dev, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
                        agent_log("poweroff --save: cannot tell the size of %s: %s", g.dev, strerror(errno));
                        if (fd >= 0)
                                close(fd);
                        return -1;
                }
                close(fd);
                fs.block_size = 1024;
                fs.used = bytes / 1024;
        }
        *out = snapio_worst_size(&range, 1, spec ? &fs : NULL);
        return 0;
}

/* The slots to save: their ids (into the mailbox) and worst sizes; this
 * slot's worst size last, at need[n]. */
struct save_list {
        const char *id[SW_MAX_SLOTS];
        uint64_t need[SW_MAX_SLOTS + 1];
        unsigned n;
};

/* Every slot of the mailbox classified; the ones to save into l.  0, or 1
 * after saying why one of them cannot be saved. */
static int list_slots(struct agent_mb *m, const char *self, struct save_list *l)
{
        char why[400];
        int slots = fdt_path_offset(m->base, "/slots"), node;

        l->n = 0;
        if (slots < 0) {
                agent_log("poweroff --save: the mailbox has no slots");
                return 1;
        }
        fdt_for_each_subnode(node, m->base, slots) {
                const char *id = fdt_get_name(m->base, node, NULL);

                if (!id)
                        continue;
                switch (sw_saveall_classify(id, self, agent_prop_str(m, node, "state"), agent_prop_str(m, node, "mode"),
                                            why, sizeof(why))) {
                case SW_SAVEALL_SAVE:
                        if (l->n >= SW_MAX_SLOTS || worst_size(m, self, id, &l->need[l->n]) < 0) {
                                agent_log("poweroff --save: slot '%s' cannot be saved; nothing written, not powering "
                                          "off", id);
                                return 1;
                        }
                        l->id[l->n++] = id;
                        break;
                case SW_SAVEALL_SKIP:
                        agent_log("poweroff --save: %s", why);
                        break;
                default:
                        agent_info("%s", why);
                        break;
                }
        }
        return 0;
}

/*
 * Everything poweroff --save checks before it writes a byte: what to save,
 * who saves this slot (*saver), DIR's room for all of it, and where DIR
 * lies (f, g).  0, or 1 after saying why, with "nothing written".
 */
static int save_plan(struct agent_mb *m, const char *self, const char *dir, struct save_list *l, int *saver,
                     struct dir_fs *f, struct gpt_found *g)
{
        char why[600];
        struct statvfs sv;

        if (agent_mb_refresh(m) < 0)
                return 1;
        if (!fdt_getprop(m->base, 0, "poweroff", NULL)) {
                agent_log("poweroff --save: the mailbox has no /poweroff (a switcher older than this agent); "
                          "nothing written, not powering off");
                return 1;
        }
        if (list_slots(m, self, l) != 0 || self_worst_size(m, self, &l->need[l->n]) < 0)
                return 1;
        *saver = sw_saveall_saver(l->id, l->n, self, why, sizeof(why));
        if (*saver < 0) {
                agent_log("poweroff --save: %s; nothing written, not powering off (switchctl poweroff powers off "
                          "without saving)", why);
                return 1;
        }
        if (statvfs(dir, &sv) < 0) {
                agent_log("poweroff --save: cannot tell how much room %s has: %s; nothing written, not powering off",
                          dir, strerror(errno));
                return 1;
        }
        if (sw_saveall_room(l->need, l->n + 1, (uint64_t)sv.f_bavail * sv.f_frsize, why, sizeof(why)) < 0) {
                agent_log("poweroff --save: %s: %s; nothing written, not powering off", dir, why);
                return 1;
        }
        /* Slot saver mounts DIR's file system after the switch: it must
         * find it by its partition. */
        if (dir_fs_find(dir, f, why, sizeof(why)) < 0 || gpt_part_find(f->devno, NULL, g, why, sizeof(why)) < 0 ||
            sw_saveall_dir_part(m->base, &g->e, dir, why, sizeof(why)) < 0) {
                agent_log("poweroff --save: %s: %s; the slot that saves this one must find it by its GPT "
                          "partition; nothing written, not powering off", dir, why);
                return 1;
        }
        return 0;
}

/*
 * `poweroff --save DIR`: every suspended slot into DIR/ID.snap, each whole
 * or not at all, after checking that all of them fit, this slot's own
 * snapshot included; then this slot hands its own save to another slot
 * (switcher/saveall.h) and the machine goes off.  Refuses before writing
 * anything when one of them cannot be saved as it is or DIR lacks the
 * room; stops without powering off when a save fails (the snapshots
 * written before it stay, whole).
 */
static int poweroff_save(struct agent_mb *m, const char *self, const char *dir)
{
        static struct save_list l;
        static struct dir_fs f;
        static struct gpt_found g;
        static struct sw_mb_poweroff p;
        struct agent_switch_opts o = { .delay = 2 };
        char why[600], path[4096], saver[SW_MB_ID_LEN];
        uint32_t seq;
        int k, rc;

        if (save_plan(m, self, dir, &l, &k, &f, &g) != 0)
                return 1;
        snprintf(saver, sizeof(saver), "%s", l.id[k]);
        for (unsigned i = 0; i < l.n; i++) {
                if (sw_saveall_path(path, sizeof(path), dir, l.id[i]) < 0) {
                        agent_log("poweroff --save: the name of slot '%s''s snapshot in %s is too long", l.id[i], dir);
                        return 1;
                }
                /* An older snapshot of the slot is replaced, but only once
                 * the new one is whole (save() renames it into place). */
                if (save(m, self, l.id[i], path, true) != 0) {
                        agent_log("poweroff --save: slot '%s' was not saved; not powering off", l.id[i]);
                        return 1;
                }
        }
        printf("%s: %u snapshot%s saved; this slot, '%s', is saved by '%s' once it is suspended\n", dir, l.n,
               l.n == 1 ? "" : "s", self, saver);
        fflush(stdout);
        if (dir_fs_release(&f, g.dev, why, sizeof(why)) < 0) {
                agent_log("poweroff --save: %s; this slot is not saved, not powering off", why);
                dir_fs_remount(&f);
                return 1;
        }
        memset(&p, 0, sizeof(p));
        p.phase = SW_MB_PO_SAVE;
        snprintf(p.from, sizeof(p.from), "%s", self);
        snprintf(p.saver, sizeof(p.saver), "%s", saver);
        snprintf(p.fstype, sizeof(p.fstype), "%s", f.fstype);
        snprintf(p.part, sizeof(p.part), "%s", g.spec);
        snprintf(p.path, sizeof(p.path), "%s", f.path);
        if (agent_mb_refresh(m) < 0 || sw_mb_set_poweroff(m->base, &p) < 0 || agent_mb_commit(m) < 0) {
                agent_log("poweroff --save: cannot write the save request into the mailbox; this slot is not "
                          "saved, not powering off");
                dir_fs_remount(&f);
                return 1;
        }
        agent_info("switching to '%s', which saves this slot into %s (%s, %s) and powers off", saver, p.part,
                   p.path, p.fstype);
        /* When all goes well this slot comes back here only in a later
         * start-up, from its snapshot: resumed after the saver went off,
         * its agent powers it off inside the switch. */
        if (sw_mb_get_result(m->base, self, &seq, NULL, NULL, 0) < 0)
                seq = 0;
        seq++;
        rc = agent_switch(m, self, saver, &o);
        if (agent_mb_refresh(m) < 0) {
                snprintf(why, sizeof(why), "the mailbox cannot be read again");
        } else if (sw_poweroff_back(m->base, self, seq, why, sizeof(why)) == 1) {
                agent_info("poweroff --save: %s", why);
                dir_fs_remount(&f);
                return 0;
        } else if (rc != 0) {
                snprintf(why, sizeof(why), "the switch to '%s' failed (above)", saver);
        }
        agent_log("poweroff --save: this slot, '%s', was not saved: %s; the other snapshots stay in %s; not "
                  "powering off", self, why, dir);
        if (agent_mb_refresh(m) == 0 && sw_mb_poweroff_clear(m->base) == 0)
                agent_mb_commit(m);
        dir_fs_remount(&f);
        return 1;
}

/*
 * The saver's side of poweroff --save (see switcher/saveall.h): slot
 * p->from into p->part's file system at p->path, then this slot goes off.
 * On a failure, the reason goes into /poweroff and this slot switches back
 * to p->from, whose command reports it.
 */
static int save_for(struct agent_mb *m, const char *self, struct sw_mb_poweroff *p)
{
        struct agent_switch_opts o = { .delay = 2 };
        static struct gpt_found g;
        char why[400], mnt[64] = "/tmp/switchctl-save.XXXXXX", dir[PATH_MAX], path[PATH_MAX + 16];
        bool mounted = false;
        int rc = -1;

        agent_info("slot '%s' ran poweroff --save and is suspended: saving it into %s (%s, %s), then powering "
                   "off this slot, whose changes since its own snapshot are lost",
                   p->from, p->part, p->path, p->fstype);
        if (gpt_part_find(0, p->part, &g, why, sizeof(why)) < 0) {
                /* why says it. */
        } else if (!mkdtemp(mnt)) {
                snprintf(why, sizeof(why), "cannot make a mount point %s: %s", mnt, strerror(errno));
        } else if (mount(g.dev, mnt, p->fstype, 0, NULL) < 0) {
                snprintf(why, sizeof(why), "cannot mount %s (%s) on %s: %s", g.dev, p->fstype, mnt, strerror(errno));
                rmdir(mnt);
        } else {
                mounted = true;
                snprintf(dir, sizeof(dir), "%s%s", mnt, strcmp(p->path, "/") == 0 ? "" : p->path);
                if (sw_saveall_path(path, sizeof(path), dir, p->from) < 0)
                        sw_snprintf(why, sizeof(why), "the name of its snapshot in %s is too long", dir);
                else if (save(m, self, p->from, path, true) != 0)
                        sw_snprintf(why, sizeof(why), "the save into %s failed (see slot '%s''s messages)", path, self);
                else
                        rc = 0;
        }
        if (mounted) {
                sync();
                if (umount(mnt) < 0 && rc == 0) {
                        snprintf(why, sizeof(why), "cannot unmount %s: %s", mnt, strerror(errno));
                        rc = -1;
                }
                rmdir(mnt);
        }
        if (rc == 0 && (agent_mb_refresh(m) < 0 || sw_poweroff_mark(m->base, self) < 0 || agent_mb_commit(m) < 0)) {
                snprintf(why, sizeof(why), "cannot write the power-off record into the mailbox");
                rc = -1;
        }
        if (rc == 0) {
                printf("%s: slot '%s' saved for its poweroff --save; powering off slot '%s'\n", p->part, p->from,
                       self);
                return go_off(m);
        }
        agent_log("poweroff --save: slot '%s' was not saved: %s; switching back to it, the machine stays on",
                  p->from, why);
        p->phase = SW_MB_PO_FAILED;
        /* Cut to its place in the mailbox: the saver's console has it whole. */
        sw_snprintf(p->message, sizeof(p->message), "%s", why);
        if (agent_mb_refresh(m) < 0 || sw_mb_set_poweroff(m->base, p) < 0 || agent_mb_commit(m) < 0)
                agent_log("poweroff --save: cannot write the failure into the mailbox");
        return agent_switch(m, self, p->from, &o);
}

int agent_poweroff_resumed(struct agent_mb *m, const char *self)
{
        static struct sw_mb_poweroff p;
        char why[400];

        switch (sw_poweroff_todo(m->base, self, &p, why, sizeof(why))) {
        case SW_PO_SAVE:
                return save_for(m, self, &p);
        case SW_PO_OFF:
                agent_info("a slot that went off asked for a machine power-off (switchctl poweroff): powering "
                           "slot '%s' off",
                           self);
                return go_off(m);
        case SW_PO_IGNORE:
                agent_log("%s", why);
                return -1;
        default:
                return -1;
        }
}

int agent_poweroff(struct agent_mb *m, const char *self, int argc, char **argv)
{
        const char *dir = NULL;

        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--save") == 0 && i + 1 < argc && !dir) {
                        dir = argv[++i];
                } else {
                        agent_log("poweroff: unexpected '%s' (see switchctl poweroff --help)", argv[i]);
                        return 1;
                }
        }
        return dir ? poweroff_save(m, self, dir) : power_off(m, self);
}

int agent_snapshot(struct agent_mb *m, const char *self, int argc, char **argv)
{
        const char *args[2] = { NULL, NULL };
        unsigned nargs = 0;
        bool force = false;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--force") == 0 && strcmp(argv[0], "save") == 0) {
                        force = true;
                } else if (argv[i][0] == '-' && argv[i][1]) {
                        agent_log("snapshot %s: unknown option '%s' (see switchctl snapshot --help)", argv[0], argv[i]);
                        return 1;
                } else if (nargs < 2) {
                        args[nargs++] = argv[i];
                } else {
                        agent_log("snapshot %s: expected SLOT FILE, got more", argv[0]);
                        return 1;
                }
        }
        if (nargs != 2) {
                agent_log("snapshot %s: expected SLOT FILE", argv[0]);
                return 1;
        }
        if (strcmp(argv[0], "save") == 0)
                return save(m, self, args[0], args[1], force);
        return restore(m, self, args[0], args[1]);
}
