/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: the partition-safety check (see mounts.h).
 *
 * /proc/self/mounts alone would miss most ways a partition can be in use:
 * a mount in another mount namespace, a device-mapper (LVM, LUKS) stack, a
 * loop device over a file on it, a swap area or any other exclusive open.
 * So the check starts from the partitions, not the mounts: every
 * partition of every GPT disk in /sys/class/block is identified by its
 * table entry, and each one that is the ESP or another slot's is then
 * looked at from every side the kernel offers:
 *
 *   - the mountinfo of every mount namespace (this one, then each distinct
 *     /proc/PID/ns/mnt), matched by device number, with the mount's and the
 *     superblock's ro/rw flags;
 *   - its holders/ directory in sysfs (device-mapper, md, bcache), with
 *     each holder's ro flag;
 *   - every loop device, asked with LOOP_GET_STATUS64 whether its backing
 *     file lives on the partition or is the partition;
 *   - an O_EXCL open of the partition, which the kernel refuses with EBUSY
 *     while anything has it mounted or claimed, even a file system mounted
 *     only in a namespace no process is in any more.
 *
 * The decision: refuse when any use found is read-write, or when the O_EXCL
 * open is refused and no use at all explains it (something the agent cannot
 * name holds it).  Read-only uses are allowed, also when they are what makes
 * the O_EXCL open fail (a read-only mount claims the device just the same).
 * A disk whose GPT cannot be read refuses the switch: any of its partitions
 * might be another slot's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/loop.h>

#include <libfdt.h>

#include "agent.h"
#include "disk.h"
#include "fmt.h"
#include "mounts.h"

#define MAX_DISKS 16
#define MAX_PROT 32
#define MAX_USES 8
#define USE_LEN 400

struct use {
        bool rw;
        char text[USE_LEN];
};

/* A partition the check protects: the ESP or another slot's. */
struct prot {
        char name[64];               /* "vdb2" */
        dev_t dev;
        char what[192];              /* "slot 'b''s partition PARTLABEL=slot-b", "the ESP" */
        char slot[64];               /* the slot whose partition it is ("" for the ESP) */
        unsigned nuses;
        struct use uses[MAX_USES];
};

struct disk {
        char name[64];
        int result;                  /* SW_GPT_OK, _NONE or _BAD */
        char why[256];
        struct sw_gpt gpt;
};

/* Everything is read under this root: "" for the running system, a
 * directory with sys/, proc/ and dev/ in the host tests. */
static const char *root = "";
static struct disk disks[MAX_DISKS];
static unsigned ndisks;
static struct prot prots[MAX_PROT];
static unsigned nprots;

static void add_use(struct prot *p, bool rw, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add_use(struct prot *p, bool rw, const char *fmt, ...)
{
        va_list ap;

        if (p->nuses == MAX_USES)
                return;
        va_start(ap, fmt);
        sw_vsnprintf(p->uses[p->nuses].text, USE_LEN, fmt, ap);
        va_end(ap);
        p->uses[p->nuses++].rw = rw;
}

/* A one-line sysfs or procfs value under root, without its newline. */
static int read_value(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int read_value(char *out, size_t n, const char *fmt, ...)
{
        char path[PATH_MAX];
        va_list ap;
        int l;

        va_start(ap, fmt);
        l = sw_snprintf(path, sizeof(path), "%s", root);
        sw_vsnprintf(path + l, sizeof(path) - (size_t)l, fmt, ap);
        va_end(ap);
        if (agent_read_small(path, out, n) < 0)
                return -1;
        out[strcspn(out, "\n")] = '\0';
        return 0;
}

static bool parse_devno(const char *s, dev_t *dev)
{
        unsigned maj, min;
        char end;

        if (sscanf(s, "%u:%u%c", &maj, &min, &end) != 2)
                return false;
        *dev = makedev(maj, min);
        return true;
}

/* Decodes the octal escapes of mountinfo ("\040" for a space). */
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

/* The kernel always lists rw or ro first. */
static bool opt_rw(const char *opts)
{
        return strncmp(opts, "rw", 2) == 0 && (opts[2] == ',' || opts[2] == '\0');
}

static struct disk *disk_gpt(const char *name)
{
        char path[PATH_MAX];
        struct disk *d;

        for (unsigned i = 0; i < ndisks; i++)
                if (strcmp(disks[i].name, name) == 0)
                        return &disks[i];
        if (ndisks == MAX_DISKS)
                return NULL;
        d = &disks[ndisks++];
        sw_snprintf(d->name, sizeof(d->name), "%s", name);
        /* sysfs writes '/' in a device name as '!' (cciss!c0d0). */
        sw_snprintf(path, sizeof(path), "%s/dev/%s", root, name);
        for (char *c = path + strlen(root); *c; c++)
                if (*c == '!')
                        *c = '/';
        d->result = disk_read_gpt(path, 0, &d->gpt, d->why, sizeof(d->why));
        return d;
}

/* What partition entry e is to the slots: fills p->what, or returns false. */
static bool classify(const struct agent_mb *m, const char *self, const struct sw_gpt_part *e, struct prot *p)
{
        int slots = fdt_path_offset(m->base, "/slots"), node;

        if (strcmp(e->type_str, SW_GPT_ESP_TYPE) == 0) {
                sw_snprintf(p->what, sizeof(p->what), "the ESP");
                return true;
        }
        if (slots < 0)
                return false;
        fdt_for_each_subnode(node, m->base, slots) {
                const char *id = fdt_get_name(m->base, node, NULL);
                const char *spec = agent_prop_str(m, node, "partition");

                if (id && spec && strcmp(id, self) != 0 && sw_gpt_matches_spec(e, spec)) {
                        sw_snprintf(p->what, sizeof(p->what), "slot '%s''s partition %s", id, spec);
                        sw_snprintf(p->slot, sizeof(p->slot), "%s", id);
                        return true;
                }
        }
        return false;
}

/*
 * Walks /sys/class/block for partitions of GPT disks and keeps the
 * protected ones in prots.  Returns 1 when a disk's GPT cannot be read or
 * block devices cannot be listed (refuse), else 0.
 */
static int find_protected(const struct agent_mb *m, const char *self)
{
        char dir[PATH_MAX], link[PATH_MAX], real[PATH_MAX], val[64];
        struct dirent *de;
        DIR *dh;
        int bad = 0;

        sw_snprintf(dir, sizeof(dir), "%s/sys/class/block", root);
        dh = opendir(dir);
        if (!dh) {
                agent_log("cannot list %s: %s; refusing to switch without knowing which partitions are in use", dir,
                          strerror(errno));
                return 1;
        }
        while ((de = readdir(dh))) {
                const struct sw_gpt_part *e;
                unsigned long partn;
                struct disk *d;
                struct prot p;
                char *slash;

                if (de->d_name[0] == '.' || read_value(val, sizeof(val), "/sys/class/block/%s/partition", de->d_name) < 0)
                        continue;
                partn = strtoul(val, NULL, 10);
                memset(&p, 0, sizeof(p));
                sw_snprintf(p.name, sizeof(p.name), "%s", de->d_name);
                if (read_value(val, sizeof(val), "/sys/class/block/%s/dev", de->d_name) < 0 ||
                    !parse_devno(val, &p.dev))
                        continue;
                /* The partition's sysfs directory sits in its disk's. */
                sw_snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
                if (!realpath(link, real) || !(slash = strrchr(real, '/')))
                        continue;
                *slash = '\0';
                slash = strrchr(real, '/');
                d = disk_gpt(slash ? slash + 1 : real);
                if (!d) {
                        agent_log("more than %d disks: refusing to switch without reading every GPT", MAX_DISKS);
                        bad = 1;
                        continue;
                }
                if (d->result == SW_GPT_NONE)
                        continue;
                if (d->result == SW_GPT_BAD) {
                        if (d->why[0])
                                agent_log("cannot read the GPT of /dev/%s (%s): any of its partitions may be another "
                                          "slot's or the ESP; refusing to switch until the table is readable",
                                          d->name, d->why);
                        d->why[0] = '\0'; /* said once per disk */
                        bad = 1;
                        continue;
                }
                e = sw_gpt_entry(&d->gpt, (unsigned)partn);
                if (!e || !classify(m, self, e, &p))
                        continue;
                if (nprots == MAX_PROT) {
                        agent_log("more than %d partitions are the ESP or other slots': refusing to switch "
                                  "without checking them all", MAX_PROT);
                        bad = 1;
                        break;
                }
                prots[nprots++] = p;
        }
        closedir(dh);
        return bad;
}

static struct prot *prot_by_dev(dev_t dev)
{
        for (unsigned i = 0; i < nprots; i++)
                if (prots[i].dev == dev)
                        return &prots[i];
        return NULL;
}

/* One mountinfo file: each mount of a protected partition is a use. */
static int scan_mountinfo(const char *path, const char *where)
{
        char line[4096];
        FILE *f = fopen(path, "re");

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                char *fld[32], *save = NULL, *sep;
                unsigned nf = 0, dash;
                struct prot *p;
                dev_t dev;

                line[strcspn(line, "\n")] = '\0';
                for (char *t = strtok_r(line, " ", &save); t && nf < 32; t = strtok_r(NULL, " ", &save))
                        fld[nf++] = t;
                /* id parent maj:min root mount-point options [optional...] - type source super-options */
                for (dash = 6; dash < nf && strcmp(fld[dash], "-") != 0; dash++)
                        ;
                if (nf < 7 || dash + 3 >= nf || !parse_devno(fld[2], &dev) || !(p = prot_by_dev(dev)))
                        continue;
                sep = fld[dash + 3];
                unescape(fld[4]);
                if (opt_rw(fld[5]) && opt_rw(sep))
                        add_use(p, true, "mounted read-write at %s %s", fld[4], where);
                else
                        add_use(p, false, "mounted read-only at %s %s", fld[4], where);
        }
        fclose(f);
        return 0;
}

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* The mountinfo of this namespace, then of each other namespace a process
 * is in (each once).  Returns 1 when this namespace's cannot be read. */
static int scan_namespaces(void)
{
        static char seen[256][64];
        unsigned nseen = 0;
        char path[PATH_MAX], ns[64], comm[64], where[128];
        struct dirent *de;
        DIR *dh;
        ssize_t l;

        sw_snprintf(path, sizeof(path), "%s/proc/self/ns/mnt", root);
        l = readlink(path, ns, sizeof(ns) - 1);
        if (l > 0) {
                ns[l] = '\0';
                memcpy(seen[nseen++], ns, sizeof(ns));
        }
        sw_snprintf(path, sizeof(path), "%s/proc/self/mountinfo", root);
        if (scan_mountinfo(path, "in this mount namespace") < 0) {
                agent_log("cannot read %s: %s; refusing to switch without knowing what is mounted", path,
                          strerror(errno));
                return 1;
        }
        sw_snprintf(path, sizeof(path), "%s/proc", root);
        dh = opendir(path);
        if (!dh)
                return 0;
        while ((de = readdir(dh))) {
                bool dup = false;

                if (!all_digits(de->d_name))
                        continue;
                sw_snprintf(path, sizeof(path), "%s/proc/%s/ns/mnt", root, de->d_name);
                l = readlink(path, ns, sizeof(ns) - 1);
                if (l <= 0)
                        continue; /* gone, or a kernel thread */
                ns[l] = '\0';
                for (unsigned i = 0; i < nseen && !dup; i++)
                        dup = strcmp(seen[i], ns) == 0;
                if (dup)
                        continue;
                if (nseen < 256)
                        memcpy(seen[nseen++], ns, sizeof(ns));
                if (read_value(comm, sizeof(comm), "/proc/%s/comm", de->d_name) < 0)
                        sw_snprintf(comm, sizeof(comm), "?");
                sw_snprintf(where, sizeof(where), "in the mount namespace of PID %s (%s)", de->d_name, comm);
                sw_snprintf(path, sizeof(path), "%s/proc/%s/mountinfo", root, de->d_name);
                scan_mountinfo(path, where); /* a process that just exited is no use */
        }
        closedir(dh);
        return 0;
}

/* Device-mapper, md and bcache devices built on the partition. */
static void scan_holders(struct prot *p)
{
        char path[PATH_MAX], ro[8], name[128];
        struct dirent *de;
        DIR *dh;

        sw_snprintf(path, sizeof(path), "%s/sys/class/block/%s/holders", root, p->name);
        dh = opendir(path);
        if (!dh)
                return;
        while ((de = readdir(dh))) {
                bool rw;

                if (de->d_name[0] == '.')
                        continue;
                rw = read_value(ro, sizeof(ro), "/sys/class/block/%s/ro", de->d_name) < 0 || strcmp(ro, "1") != 0;
                if (read_value(name, sizeof(name), "/sys/class/block/%s/dm/name", de->d_name) == 0)
                        add_use(p, rw, "held %s by device-mapper device %s (%s)", rw ? "read-write" : "read-only",
                                de->d_name, name);
                else
                        add_use(p, rw, "held %s by %s", rw ? "read-write" : "read-only", de->d_name);
        }
        closedir(dh);
}

/* Loop devices whose backing file is on a protected partition, or which
 * are the partition itself.  Only the kernel knows the backing file's
 * device (its path may be in another mount namespace), hence the ioctl. */
static void scan_loops(void)
{
        char path[PATH_MAX], file[PATH_MAX], ro[8];
        struct dirent *de;
        DIR *dh;

        sw_snprintf(path, sizeof(path), "%s/sys/class/block", root);
        dh = opendir(path);
        if (!dh)
                return;
        while ((de = readdir(dh))) {
                struct loop_info64 li;
                struct prot *p;
                bool rw;
                int fd;

                if (strncmp(de->d_name, "loop", 4) != 0 ||
                    read_value(file, sizeof(file), "/sys/class/block/%s/loop/backing_file", de->d_name) < 0)
                        continue;
                sw_snprintf(path, sizeof(path), "%s/dev/%s", root, de->d_name);
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
                if (fd < 0)
                        continue;
                memset(&li, 0, sizeof(li));
                if (ioctl(fd, LOOP_GET_STATUS64, &li) < 0) {
                        close(fd);
                        continue;
                }
                close(fd);
                rw = read_value(ro, sizeof(ro), "/sys/class/block/%s/ro", de->d_name) < 0 || strcmp(ro, "1") != 0;
                if ((p = prot_by_dev((dev_t)li.lo_device)))
                        add_use(p, rw, "used %s by loop device /dev/%s (backing file %s on it)",
                                rw ? "read-write" : "read-only", de->d_name, file);
                else if ((p = prot_by_dev((dev_t)li.lo_rdevice)))
                        add_use(p, rw, "used %s by loop device /dev/%s over it", rw ? "read-write" : "read-only",
                                de->d_name);
        }
        closedir(dh);
}

/* Is the partition claimed (mounted, held, or opened O_EXCL)?  The kernel's
 * answer to an O_EXCL open, which no namespace hides.  In a test root, the
 * file ROOT/excl-busy lists the names that count as claimed. */
static bool claimed(const struct prot *p)
{
        char path[PATH_MAX];
        int fd;

#if SW_AGENT_TEST_HOOKS
        if (root[0]) {
                char busy[1024];

                if (read_value(busy, sizeof(busy), "/excl-busy") < 0)
                        return false;
                for (char *t = strtok(busy, " "); t; t = strtok(NULL, " "))
                        if (strcmp(t, p->name) == 0)
                                return true;
                return false;
        }
#endif
        sw_snprintf(path, sizeof(path), "%s/dev/%s", root, p->name);
        fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
        if (fd >= 0) {
                close(fd);
                return false;
        }
        return errno == EBUSY;
}

/* For a claim nothing else explains: is it swap, or who has it open? */
static void name_claimant(struct prot *p)
{
        char path[PATH_MAX], line[512], comm[64];
        struct dirent *de;
        struct stat st;
        DIR *dh;
        FILE *f;

        sw_snprintf(path, sizeof(path), "%s/proc/swaps", root);
        f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f)) {
                line[strcspn(line, " \t\n")] = '\0';
                if (line[0] == '/' && stat(line, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == p->dev)
                        add_use(p, true, "claimed exclusively as a swap area");
        }
        if (f)
                fclose(f);
        if (p->nuses)
                return;
        sw_snprintf(path, sizeof(path), "%s/proc", root);
        dh = opendir(path);
        while (dh && (de = readdir(dh)) && p->nuses < 3) {
                DIR *fds;
                struct dirent *fe;

                if (!all_digits(de->d_name))
                        continue;
                sw_snprintf(path, sizeof(path), "%s/proc/%s/fd", root, de->d_name);
                fds = opendir(path);
                while (fds && (fe = readdir(fds))) {
                        char fdp[PATH_MAX];

                        sw_snprintf(fdp, sizeof(fdp), "%s/%s", path, fe->d_name);
                        if (fe->d_name[0] != '.' && stat(fdp, &st) == 0 && S_ISBLK(st.st_mode) &&
                            st.st_rdev == p->dev) {
                                if (read_value(comm, sizeof(comm), "/proc/%s/comm", de->d_name) < 0)
                                        sw_snprintf(comm, sizeof(comm), "?");
                                add_use(p, true, "claimed exclusively (an O_EXCL open fails with EBUSY); "
                                        "open in PID %s (%s)", de->d_name, comm);
                                break;
                        }
                }
                if (fds)
                        closedir(fds);
        }
        if (dh)
                closedir(dh);
        if (!p->nuses)
                add_use(p, true, "claimed exclusively (an O_EXCL open fails with EBUSY) by something no mount "
                        "namespace, holder, loop device, swap area or open file shows");
}

/* The decision table (see the top of this file).  Returns 1 to refuse. */
static int decide(struct prot *p, bool busy)
{
        int bad = 0;

        if (busy && p->nuses == 0)
                name_claimant(p);
        for (unsigned i = 0; i < p->nuses; i++) {
                if (!p->uses[i].rw)
                        continue;
                agent_log("/dev/%s (%s) is %s: refusing to switch, since that would change it under %s; "
                          "release it first",
                          p->name, p->what, p->uses[i].text,
                          strcmp(p->what, "the ESP") == 0 ? "the switcher's and every slot's feet"
                                                          : "that slot's feet");
                bad = 1;
        }
        if (!bad)
                for (unsigned i = 0; i < p->nuses; i++)
                        agent_info("/dev/%s (%s) is %s: allowed", p->name, p->what, p->uses[i].text);
        return bad;
}

int agent_mount_check(const struct agent_mb *m, const char *self, const char *test_root)
{
        int bad;

        root = test_root ? test_root : "";
        ndisks = nprots = 0;
        bad = find_protected(m, self);
        if (nprots == 0)
                return bad;
        if (scan_namespaces() != 0)
                return 1;
        scan_loops();
        for (unsigned i = 0; i < nprots; i++) {
                scan_holders(&prots[i]);
                bad |= decide(&prots[i], claimed(&prots[i]));
        }
        return bad;
}

int agent_partition_idle(const struct agent_mb *m, const char *slot, const char *test_root, char *dev, size_t n)
{
        struct prot *p = NULL;
        bool busy;

        root = test_root ? test_root : "";
        ndisks = nprots = 0;
        /* Every slot's partition is protected when "self" names none. */
        if (find_protected(m, "") != 0) {
                agent_log("cannot tell which partition is slot '%s''s", slot);
                return 1;
        }
        for (unsigned i = 0; i < nprots && !p; i++)
                if (strcmp(prots[i].slot, slot) == 0)
                        p = &prots[i];
        if (!p) {
                agent_log("slot '%s' has no partition on any disk this system sees", slot);
                return 1;
        }
        if (scan_namespaces() != 0)
                return 1;
        scan_loops();
        scan_holders(p);
        busy = claimed(p);
        if (busy && p->nuses == 0)
                name_claimant(p);
        /* Any use at all: even a read-only ext4 mount may replay its
         * journal, and the snapshot must be of blocks nothing changes. */
        for (unsigned i = 0; i < p->nuses; i++)
                agent_log("/dev/%s (%s) is %s: release it first", p->name, p->what, p->uses[i].text);
        if (busy || p->nuses) {
                if (!p->nuses)
                        agent_log("/dev/%s (%s) is in use: release it first", p->name, p->what);
                return 1;
        }
        sw_snprintf(dev, n, "%s/dev/%s", root, p->name);
        return 0;
}
