/* SPDX-License-Identifier: MIT */
/*
 * mkslot disk: a whole bootable disk from partitions.conf, without root and
 * without loop mounts.  Each piece is built as a file of its own with the
 * ordinary tools -- the ESP with mtools (mformat, mmd, mcopy), each slot's
 * partition with mke2fs -d -- and then copied into a GPT laid out by
 * sgdisk.  An image file is assembled under a temporary name next to the
 * output and renamed only when complete; a block device is written only
 * when named with --device.
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <argp.h>
#include <error.h>
#include <progname.h>
#include <xalloc.h>
#include <xvasprintf.h>

#include "fmt.h"
#include "mkslot.h"

#define MIB (1ULL << 20)
#define ESP_MIN (64 * MIB)
#define PART_DEFAULT (64 * MIB)
/* A split snapshot (mkslot snapshot save --split) goes onto the ESP in at
 * most this many pieces. */
#define MAX_SNAP_PIECES 16
#define MAX_FILES (2 + SW_MAX_SLOTS * (1 + SW_MAX_INITRD + MAX_SNAP_PIECES))
/* FAT's largest file. */
#define FAT_FILE_MAX 0xffffffffULL

struct part {
        char label[SW_PART_MAX];
        char uuid[SW_PART_MAX];         /* "" = sgdisk picks one */
        uint64_t size;
        const char *source;             /* directory or tarball, NULL = empty */
        bool given;                     /* named by --part */
        uint64_t start;
};

struct esp_file {
        char *src;
        char *dest;                     /* path on the ESP, '/'-separated */
};

struct disk_args {
        const char *conf, *output, *files, *switcher;
        uint64_t size, esp_size;
        bool force, device, json;
        struct part parts[SW_MAX_SLOTS];
        unsigned nparts;
        char *part_specs[SW_MAX_SLOTS];
        unsigned nspecs;
        char *snap_specs[SW_MAX_SLOTS];
        unsigned nsnaps;
};

enum { OPT_OUTPUT = 'o', OPT_FORCE = 'f', OPT_FILES = 0x100, OPT_SWITCHER, OPT_SIZE, OPT_ESP_SIZE, OPT_PART,
       OPT_DEVICE, OPT_JSON, OPT_SNAPSHOT };

static const struct argp_option disk_options[] = {
        { "files", OPT_FILES, "DIR", 0, "where the files partitions.conf names are: DIR stands for the ESP's "
          "root (required)", 0 },
        { "output", OPT_OUTPUT, "FILE", 0, "the disk image to write (required)", 0 },
        { "switcher", OPT_SWITCHER, "FILE", 0, "switcher.efi (default: the one next to mkslot)", 0 },
        { "part", OPT_PART, "LABEL:SIZE[:SOURCE]", 0, "the partition of the slot with 'partition "
          "PARTLABEL=LABEL': its size (default 64M) and contents, a directory or a tarball; repeatable", 0 },
        { "snapshot", OPT_SNAPSHOT, "SLOT=FILE", 0, "put snapshot FILE (or its pieces FILE.000, FILE.001, ...) "
          "on the ESP where SLOT's 'snapshot' line says, to be brought back at every start-up", 0 },
        { "esp-size", OPT_ESP_SIZE, "SIZE", 0, "size of the ESP (default: room for its files, at least 64M)", 0 },
        { "size", OPT_SIZE, "SIZE", 0, "size of the whole disk (default: just enough)", 0 },
        { "force", OPT_FORCE, NULL, 0, "replace FILE if it exists", 0 },
        { "device", OPT_DEVICE, NULL, 0, "FILE is a block device: partition and overwrite it", 0 },
        { "json", OPT_JSON, NULL, 0, "describe the written disk as JSON on stdout", 0 },
        { 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
        struct disk_args *a = state->input;

        switch (key) {
        case OPT_FILES:
                a->files = arg;
                break;
        case OPT_OUTPUT:
                a->output = arg;
                break;
        case OPT_SWITCHER:
                a->switcher = arg;
                break;
        case OPT_PART:
                if (a->nspecs >= SW_MAX_SLOTS)
                        argp_error(state, "at most %d --part", SW_MAX_SLOTS);
                a->part_specs[a->nspecs++] = arg;
                break;
        case OPT_SNAPSHOT:
                if (a->nsnaps >= SW_MAX_SLOTS)
                        argp_error(state, "at most %d --snapshot", SW_MAX_SLOTS);
                a->snap_specs[a->nsnaps++] = arg;
                break;
        case OPT_ESP_SIZE:
                if (sw_parse_size(arg, &a->esp_size) < 0 || a->esp_size % MIB || a->esp_size < ESP_MIN)
                        argp_error(state, "--esp-size '%s' is not a whole number of MiB of at least 64M", arg);
                break;
        case OPT_SIZE:
                if (sw_parse_size(arg, &a->size) < 0 || a->size % MIB)
                        argp_error(state, "--size '%s' is not a whole number of MiB", arg);
                break;
        case OPT_FORCE:
                a->force = true;
                break;
        case OPT_DEVICE:
                a->device = true;
                break;
        case OPT_JSON:
                a->json = true;
                break;
        case ARGP_KEY_ARG:
                conf_arg(key, arg, state, &a->conf);
                break;
        case ARGP_KEY_END:
                conf_arg(key, arg, state, &a->conf);
                if (!a->output || !a->files)
                        argp_error(state, "--output FILE and --files DIR are required");
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

/* One partition per slot that names one, in slot order; then --part specs
 * fill in sizes and sources.  0 or -1 (said). */
static int plan_parts(struct disk_args *a, const struct sw_config *c)
{
        for (unsigned i = 0; i < c->nslots; i++) {
                const struct sw_slot_config *s = &c->slots[i];
                struct part *p = &a->parts[a->nparts];

                if (!s->valid || s->part_kind == SW_PART_NONE)
                        continue;
                memset(p, 0, sizeof(*p));
                if (s->part_kind == SW_PART_LABEL) {
                        snprintf(p->label, sizeof(p->label), "%s", s->partition);
                } else {
                        snprintf(p->label, sizeof(p->label), "%s", s->id);
                        snprintf(p->uuid, sizeof(p->uuid), "%s", s->partition);
                }
                p->size = PART_DEFAULT;
                a->nparts++;
        }
        for (unsigned k = 0; k < a->nspecs; k++) {
                char *spec = a->part_specs[k], *size = strchr(spec, ':'), *src;
                struct part *p = NULL;

                if (!size) {
                        error(0, 0, "disk: --part '%s' is not LABEL:SIZE[:SOURCE]", spec);
                        return -1;
                }
                *size++ = '\0';
                src = strchr(size, ':');
                if (src)
                        *src++ = '\0';
                for (unsigned i = 0; i < a->nparts; i++)
                        if (!strcmp(a->parts[i].label, spec))
                                p = &a->parts[i];
                if (!p) {
                        error(0, 0, "disk: --part %s: no valid slot in %s has that partition", spec, a->conf);
                        return -1;
                }
                if (sw_parse_size(size, &p->size) < 0 || p->size % MIB || p->size < 2 * MIB) {
                        error(0, 0, "disk: --part %s: size '%s' is not a whole number of MiB of at least 2M",
                              spec, size);
                        return -1;
                }
                p->source = src && *src ? src : NULL;
                p->given = true;
        }
        return 0;
}

/*
 * --snapshot SLOT=FILE: FILE goes where SLOT's 'snapshot' line points; a
 * split one, FILE.000, FILE.001, ..., goes there piece by piece under the
 * same suffixes, which is how the switcher reads it back.  0 or -1 (said).
 */
static int plan_snapshots(const struct disk_args *a, const struct sw_config *c, struct esp_file *f, unsigned *nf)
{
        for (unsigned k = 0; k < a->nsnaps; k++) {
                const char *spec = a->snap_specs[k], *eq = strchr(spec, '='), *file;
                const struct sw_slot_config *s = NULL;
                struct stat st;
                unsigned n;

                if (!eq || eq == spec || !eq[1]) {
                        error(0, 0, "disk: --snapshot '%s' is not SLOT=FILE", spec);
                        return -1;
                }
                file = eq + 1;
                for (unsigned i = 0; i < c->nslots; i++)
                        if (c->slots[i].valid && strlen(c->slots[i].id) == (size_t)(eq - spec) &&
                            !strncmp(c->slots[i].id, spec, (size_t)(eq - spec)))
                                s = &c->slots[i];
                if (!s || !s->snapshot_path[0]) {
                        error(0, 0, "disk: --snapshot %s: no valid slot '%.*s' with a 'snapshot' line in %s", spec,
                              (int)(eq - spec), spec, a->conf);
                        return -1;
                }
                if (stat(file, &st) == 0) {
                        if ((uint64_t)st.st_size > FAT_FILE_MAX) {
                                error(0, 0, "disk: --snapshot %s: larger than FAT's 4 GiB file limit; save it in "
                                      "pieces (mkslot snapshot save --split)", spec);
                                return -1;
                        }
                        f[(*nf)++] = (struct esp_file){ xstrdup(file), xstrdup(s->snapshot_path) };
                        continue;
                }
                for (n = 0; n <= MAX_SNAP_PIECES; n++) {
                        char *piece = xasprintf("%s.%03u", file, n);

                        if (stat(piece, &st) < 0) {
                                free(piece);
                                break;
                        }
                        if (n == MAX_SNAP_PIECES) {
                                error(0, 0, "disk: --snapshot %s: more than %d pieces", spec, MAX_SNAP_PIECES);
                                free(piece);
                                return -1;
                        }
                        f[(*nf)++] = (struct esp_file){ piece, xasprintf("%s.%03u", s->snapshot_path, n) };
                }
                if (n == 0) {
                        error(0, errno, "disk: --snapshot %s: cannot read %s (nor %s.000)", spec, file, file);
                        return -1;
                }
        }
        return 0;
}

/* Every file the ESP gets, with the ESP's size if not given. */
static int plan_esp(struct disk_args *a, const struct sw_config *c, struct esp_file *f, unsigned *nf)
{
        uint64_t total = 0;
        struct stat st;

        *nf = 0;
        f[(*nf)++] = (struct esp_file){ xstrdup(a->switcher), xstrdup("/EFI/BOOT/BOOTX64.EFI") };
        f[(*nf)++] = (struct esp_file){ xstrdup(a->conf), xstrdup("/EFI/BOOT/partitions.conf") };
        for (unsigned i = 0; i < c->nslots; i++) {
                const struct sw_slot_config *s = &c->slots[i];

                if (!s->valid)
                        continue;
                if (s->image_path[0]) {
                        f[(*nf)++] = (struct esp_file){ esp_file(a->files, s->image_path), xstrdup(s->image_path) };
                        continue;
                }
                f[(*nf)++] = (struct esp_file){ esp_file(a->files, s->linux_path), xstrdup(s->linux_path) };
                for (unsigned k = 0; k < s->ninitrd; k++)
                        f[(*nf)++] = (struct esp_file){ esp_file(a->files, s->initrd[k]), xstrdup(s->initrd[k]) };
        }
        if (plan_snapshots(a, c, f, nf) < 0)
                return -1;
        /* Two slots may share a file: it goes onto the ESP once. */
        for (unsigned i = 2; i < *nf; i++) {
                for (unsigned k = 2; k < i; k++) {
                        if (strcmp(f[i].dest, f[k].dest) != 0)
                                continue;
                        free(f[i].src);
                        free(f[i].dest);
                        f[i--] = f[--*nf];
                        break;
                }
        }
        for (unsigned i = 0; i < *nf; i++) {
                if (stat(f[i].src, &st) < 0) {
                        error(0, errno, "disk: cannot read %s", f[i].src);
                        return -1;
                }
                /* Whole clusters, plus slack for directories. */
                total += ((uint64_t)st.st_size + 4095) / 4096 * 4096 + 4096;
        }
        if (!a->esp_size) {
                a->esp_size = (total + total / 8 + 8 * MIB + MIB - 1) / MIB * MIB;
                if (a->esp_size < ESP_MIN)
                        a->esp_size = ESP_MIN;
        }
        return 0;
}

/* The ESP as a FAT32 image file, filled with mtools. */
static int build_esp(const struct disk_args *a, const char *img, const char *log, struct esp_file *f, unsigned nf)
{
        char sectors[32], *made[MAX_FILES * 4];
        unsigned nmade = 0;
        int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int rc = -1;

        if (fd < 0 || ftruncate(fd, (off_t)a->esp_size) < 0) {
                error(0, errno, "disk: cannot create %s", img);
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        close(fd);
        snprintf(sectors, sizeof(sectors), "%llu", (unsigned long long)(a->esp_size / 512));
        {
                const char *argv[] = { "mformat", "-i", img, "-F", "-v", "ESP", "-T", sectors, "-h", "64",
                                 "-s", "32", "::", NULL };

                if (run_tool(argv, log) != 0) {
                        error(0, 0, "disk: mformat failed to make the ESP:");
                        show_log(log);
                        return -1;
                }
        }
        for (unsigned i = 0; i < nf; i++) {
                char *dest = xasprintf("::%s", f[i].dest);

                /* Parent directories first, each once. */
                for (char *sl = strchr(dest + 3, '/'); sl; sl = strchr(sl + 1, '/')) {
                        bool have = false;

                        *sl = '\0';
                        for (unsigned k = 0; k < nmade && !have; k++)
                                have = !strcmp(made[k], dest);
                        if (!have) {
                                const char *argv[] = { "mmd", "-i", img, dest, NULL };

                                made[nmade++] = xstrdup(dest);
                                if (run_tool(argv, log) != 0) {
                                        error(0, 0, "disk: mmd %s failed:", dest + 2);
                                        show_log(log);
                                        free(dest);
                                        goto out;
                                }
                        }
                        *sl = '/';
                }
                const char *argv[] = { "mcopy", "-i", img, "-Q", f[i].src, dest, NULL };

                if (run_tool(argv, log) != 0) {
                        error(0, 0, "disk: copying %s to the ESP failed (ESP of %llu MiB; --esp-size?):", f[i].src,
                              (unsigned long long)(a->esp_size / MIB));
                        show_log(log);
                        free(dest);
                        goto out;
                }
                free(dest);
        }
        rc = 0;
out:
        for (unsigned k = 0; k < nmade; k++)
                free(made[k]);
        return rc;
}

/* One slot partition as an ext4 image file; a tarball is unpacked first. */
static int build_part(const struct part *p, const char *img, const char *work, const char *log)
{
        char size[32], label[17];
        char *dir = NULL;
        struct stat st;
        int rc = -1;

        if (p->source) {
                if (stat(p->source, &st) < 0) {
                        error(0, errno, "disk: partition %s: cannot read %s", p->label, p->source);
                        return -1;
                }
                if (S_ISDIR(st.st_mode)) {
                        dir = xstrdup(p->source);
                } else {
                        dir = xasprintf("%s/tree-%s", work, p->label);
                        /* A root file system's owners are the ids in the
                         * tarball: tar would otherwise map their names
                         * through this host's passwd and group files, and a
                         * Debian root built elsewhere (systemd-journal,
                         * _apt, ...) would get this host's ids for them. */
                        const char *argv[] = { "tar", "--numeric-owner", "-xf", p->source, "-C", dir, NULL };

                        if (make_dirs(dir) < 0)
                                goto out;
                        if (run_tool(argv, log) != 0) {
                                error(0, 0, "disk: partition %s: %s is neither a directory nor a tarball tar can "
                                      "read:", p->label, p->source);
                                show_log(log);
                                goto out;
                        }
                }
        }
        snprintf(size, sizeof(size), "%lluk", (unsigned long long)(p->size / 1024));
        snprintf(label, sizeof(label), "%.16s", p->label);
        {
                const char *argv[16];
                int n = 0;

                argv[n++] = "mke2fs";
                argv[n++] = "-q";
                argv[n++] = "-F";
                argv[n++] = "-t";
                argv[n++] = "ext4";
                argv[n++] = "-L";
                argv[n++] = label;
                argv[n++] = "-E";
                argv[n++] = "root_owner=0:0";
                if (dir) {
                        argv[n++] = "-d";
                        argv[n++] = dir;
                }
                argv[n++] = img;
                argv[n++] = size;
                argv[n] = NULL;
                if (run_tool(argv, log) != 0) {
                        error(0, 0, "disk: mke2fs failed for partition %s (contents larger than %llu MiB?):",
                              p->label, (unsigned long long)(p->size / MIB));
                        show_log(log);
                        goto out;
                }
        }
        rc = 0;
out:
        free(dir);
        return rc;
}

static int run_sgdisk(const struct disk_args *a, const char *target, const char *log)
{
        const char *argv[8 + 8 * SW_MAX_SLOTS];
        char *owned[4 * SW_MAX_SLOTS + 4];
        int n = 0, no = 0, rc;

        argv[n++] = "sgdisk";
        argv[n++] = "-o";
        argv[n++] = owned[no++] = xasprintf("-n1:2048:+%lluM", (unsigned long long)(a->esp_size / MIB));
        argv[n++] = "-t1:ef00";
        argv[n++] = "-c1:ESP";
        for (unsigned i = 0; i < a->nparts; i++) {
                const struct part *p = &a->parts[i];

                argv[n++] = owned[no++] = xasprintf("-n%u:%llu:+%lluM", i + 2, (unsigned long long)(p->start / 512),
                                                    (unsigned long long)(p->size / MIB));
                argv[n++] = owned[no++] = xasprintf("-t%u:8300", i + 2);
                argv[n++] = owned[no++] = xasprintf("-c%u:%s", i + 2, p->label);
                if (p->uuid[0])
                        argv[n++] = owned[no++] = xasprintf("-u%u:%s", i + 2, p->uuid);
        }
        argv[n++] = target;
        argv[n] = NULL;
        rc = run_tool(argv, log);
        while (no--)
                free(owned[no]);
        if (rc != 0) {
                error(0, 0, "disk: sgdisk could not write the partition table:");
                show_log(log);
                return -1;
        }
        return 0;
}

static void default_switcher(struct disk_args *a)
{
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        char *slash;

        if (a->switcher || n <= 0)
                return;
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash)
                *slash = '\0';
        a->switcher = xasprintf("%s/switcher.efi", self);
}

static void remove_tree(const char *dir)
{
        const char *argv[] = { "rm", "-rf", dir, NULL };

        run_tool(argv, NULL);
}

int cmd_disk(int argc, char **argv)
{
        static const struct argp argp = {
                disk_options, parse_opt, "CONF",
                "Writes a bootable GPT disk: an ESP with the switcher as \\EFI\\BOOT\\BOOTX64.EFI, CONF as "
                "\\EFI\\BOOT\\partitions.conf and every file CONF names (taken from --files DIR), and one ext4 "
                "partition per slot that names one, filled from a directory or a tarball.  No root and no loop "
                "mounts; the image is written under a temporary name and renamed when complete.\v"
                "Example: mkslot disk --files esp/ --part slot-a:256M:rootfs-a.tar -o disk.img partitions.conf",
                NULL, NULL, NULL,
        };
        static struct sw_config c;
        static struct disk_args a;
        struct esp_file files[MAX_FILES];
        unsigned nfiles = 0;
        struct sw_diag d = stderr_diag;
        char *work = NULL, *tmp = NULL, *log = NULL, *esp = NULL;
        const char *target;
        uint64_t need, total;
        struct stat st;
        int fd = -1, rc = 1;
        bool is_dev = false;

        argp_parse(&argp, argc, argv, 0, NULL, &a);
        default_switcher(&a);
        if (stat(a.output, &st) == 0) {
                is_dev = S_ISBLK(st.st_mode);
                if (is_dev && !a.device) {
                        error(0, 0, "disk: %s is a block device; add --device to overwrite it", a.output);
                        return EXIT_USAGE;
                }
                if (!is_dev && !a.force) {
                        error(0, 0, "%s exists; not replaced (use --force)", a.output);
                        return 1;
                }
        } else if (a.device) {
                error(0, errno, "disk: --device: cannot open %s", a.output);
                return 1;
        }

        /* Everything is checked before anything is written. */
        if (load_config(a.conf, a.files, &c, &d) < 0)
                return 1;
        if (!c.usable || d.errors || sw_config_valid_slots(&c) == 0) {
                error(0, 0, "disk: %s has errors (above); fix them first, a disk would boot less than it names",
                      a.conf);
                return 1;
        }
        if (plan_parts(&a, &c) < 0 || plan_esp(&a, &c, files, &nfiles) < 0)
                goto out;
        need = MIB + a.esp_size;
        for (unsigned i = 0; i < a.nparts; i++) {
                a.parts[i].start = need;
                need += a.parts[i].size;
        }
        need += MIB;            /* the backup GPT */
        total = a.size ? a.size : need;
        if (is_dev) {
                fd = open(a.output, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || ioctl(fd, BLKGETSIZE64, &total) < 0) {
                        error(0, errno, "disk: cannot open %s", a.output);
                        goto out;
                }
        }
        if (total < need) {
                char have[32], want[32];

                error(0, 0, "disk: %s: %s is too small: this layout needs %s (ESP %llu MiB + %u partition(s) + 2 MiB "
                      "for the partition tables)", a.output, sw_fmt_size(have, sizeof(have), total),
                      sw_fmt_size(want, sizeof(want), need), (unsigned long long)(a.esp_size / MIB), a.nparts);
                goto out;
        }

        /* The pieces, next to the output (they are as big as the disk). */
        work = xasprintf("%s.parts.XXXXXX", a.output);
        if (!mkdtemp(work)) {
                error(0, errno, "disk: cannot create a work directory next to %s", a.output);
                free(work);
                work = NULL;
                goto out;
        }
        log = xasprintf("%s/tools.log", work);
        esp = xasprintf("%s/esp.img", work);
        setenv("MTOOLS_SKIP_CHECK", "1", 1);
        if (build_esp(&a, esp, log, files, nfiles) < 0)
                goto out;
        for (unsigned i = 0; i < a.nparts; i++) {
                char *img = xasprintf("%s/part%u.img", work, i);
                int e = build_part(&a.parts[i], img, work, log);

                free(img);
                if (e < 0)
                        goto out;
        }

        if (is_dev) {
                target = a.output;
        } else {
                tmp = xasprintf("%s.XXXXXX", a.output);
                fd = mkstemp(tmp);
                if (fd < 0 || ftruncate(fd, (off_t)total) < 0 || fchmod(fd, 0644) < 0) {
                        error(0, errno, "disk: cannot create %s", tmp);
                        goto out;
                }
                target = tmp;
        }
        if (run_sgdisk(&a, target, log) < 0)
                goto out;
        if (copy_into(esp, fd, MIB, !is_dev) < 0) {
                error(0, errno, "disk: cannot write the ESP into %s", target);
                goto out;
        }
        for (unsigned i = 0; i < a.nparts; i++) {
                char *img = xasprintf("%s/part%u.img", work, i);
                int e = copy_into(img, fd, a.parts[i].start, !is_dev);

                free(img);
                if (e < 0) {
                        error(0, errno, "disk: cannot write partition %s into %s", a.parts[i].label, target);
                        goto out;
                }
        }
        if (fsync(fd) < 0) {
                error(0, errno, "disk: cannot write %s", target);
                goto out;
        }
        close(fd);
        fd = -1;
        if (tmp) {
                if (commit_output(tmp, a.output, a.force) < 0) {
                        free(tmp);
                        tmp = NULL;
                        goto out;
                }
                free(tmp);
                tmp = NULL;
        }
        if (a.json) {
                printf("{\"output\":");
                json_str(stdout, a.output);
                printf(",\"size\":%llu,\"esp\":{\"start\":%llu,\"size\":%llu,\"files\":[", (unsigned long long)total,
                       (unsigned long long)MIB, (unsigned long long)a.esp_size);
                for (unsigned i = 0; i < nfiles; i++) {
                        printf("%s", i ? "," : "");
                        json_str(stdout, files[i].dest);
                }
                printf("]},\"partitions\":[");
                for (unsigned i = 0; i < a.nparts; i++) {
                        printf("%s{\"label\":", i ? "," : "");
                        json_str(stdout, a.parts[i].label);
                        printf(",\"start\":%llu,\"size\":%llu,\"source\":", (unsigned long long)a.parts[i].start,
                               (unsigned long long)a.parts[i].size);
                        if (a.parts[i].source)
                                json_str(stdout, a.parts[i].source);
                        else
                                printf("null");
                        printf("}");
                }
                printf("]}\n");
        } else {
                printf("%s: %llu MiB GPT: ESP %llu MiB (%u files)", a.output, (unsigned long long)(total / MIB),
                       (unsigned long long)(a.esp_size / MIB), nfiles);
                for (unsigned i = 0; i < a.nparts; i++)
                        printf(", %s %llu MiB ext4%s", a.parts[i].label, (unsigned long long)(a.parts[i].size / MIB),
                               a.parts[i].source ? "" : " (empty)");
                printf("\n");
        }
        rc = 0;
out:
        if (fd >= 0)
                close(fd);
        if (tmp) {
                unlink(tmp);
                free(tmp);
        }
        if (rc)
                error(0, 0, "disk: nothing written to %s", a.output);
        if (work)
                remove_tree(work);
        for (unsigned i = 0; i < nfiles; i++) {
                free(files[i].src);
                free(files[i].dest);
        }
        free(work);
        free(log);
        free(esp);
        return rc;
}
