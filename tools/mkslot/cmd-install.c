/* SPDX-License-Identifier: MIT */
/*
 * mkslot install: puts the switcher, partitions.conf and the slots' files
 * into the mounted ESP of a real machine, and, when asked, a firmware boot
 * entry with efibootmgr.  The switcher goes to \EFI\switcher\ (not the
 * removable-media path, which belongs to whatever the machine boots now);
 * partitions.conf goes next to it, where the switcher looks first.
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <argp.h>
#include <error.h>
#include <progname.h>
#include <xalloc.h>
#include <xvasprintf.h>

#include "mkslot.h"

#define LOADER "/EFI/switcher/switcher.efi"

struct install_args {
        const char *conf, *esp, *files, *switcher, *disk, *label;
        int part;
        bool efibootmgr;
};

enum { OPT_ESP = 0x100, OPT_FILES, OPT_SWITCHER, OPT_EFIBOOTMGR, OPT_DISK, OPT_PART, OPT_LABEL };

static const struct argp_option install_options[] = {
        { "esp", OPT_ESP, "DIR", 0, "the mounted EFI system partition (required)", 0 },
        { "files", OPT_FILES, "DIR", 0, "where the kernels, initrds and slot images CONF names are, DIR "
          "standing for the ESP's root (default: they are already on the ESP)", 0 },
        { "switcher", OPT_SWITCHER, "FILE", 0, "switcher.efi (default: the one next to mkslot)", 0 },
        { "efibootmgr", OPT_EFIBOOTMGR, NULL, 0, "also add a firmware boot entry for the switcher", 0 },
        { "disk", OPT_DISK, "DEV", 0, "with --efibootmgr: the disk holding the ESP (default: found from DIR)", 0 },
        { "part", OPT_PART, "N", 0, "with --efibootmgr: the ESP's partition number (default: found from DIR)", 0 },
        { "label", OPT_LABEL, "TEXT", 0, "with --efibootmgr: the entry's name (default: Switcher)", 0 },
        { 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
        struct install_args *a = state->input;
        char *end;

        switch (key) {
        case OPT_ESP:
                a->esp = arg;
                break;
        case OPT_FILES:
                a->files = arg;
                break;
        case OPT_SWITCHER:
                a->switcher = arg;
                break;
        case OPT_EFIBOOTMGR:
                a->efibootmgr = true;
                break;
        case OPT_DISK:
                a->disk = arg;
                break;
        case OPT_PART:
                a->part = (int)strtol(arg, &end, 10);
                if (*end || a->part < 1 || a->part > 128)
                        argp_error(state, "--part '%s' is not a partition number", arg);
                break;
        case OPT_LABEL:
                a->label = arg;
                break;
        case ARGP_KEY_ARG:
                conf_arg(key, arg, state, &a->conf);
                break;
        case ARGP_KEY_END:
                conf_arg(key, arg, state, &a->conf);
                if (!a->esp)
                        argp_error(state, "--esp DIR is required");
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

/* The disk and partition number of the file system DIR is on, from sysfs:
 * /sys/dev/block/MAJ:MIN is the partition, its parent directory the disk. */
static int find_partition(const char *dir, char **disk, int *part)
{
        char link[64], real[PATH_MAX], *num, *slash;
        struct stat st;
        size_t n;

        if (stat(dir, &st) < 0)
                return -1;
        snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
        if (!realpath(link, real))
                return -1;
        {
                char *pf = xasprintf("%s/partition", real);

                num = slurp(pf, 64, &n);
                free(pf);
        }
        if (!num)
                return -1;
        *part = atoi(num);
        free(num);
        slash = strrchr(real, '/');
        if (!slash || *part < 1)
                return -1;
        *slash = '\0';
        slash = strrchr(real, '/');
        if (!slash)
                return -1;
        *disk = xasprintf("/dev/%s", slash + 1);
        return 0;
}

int cmd_install(int argc, char **argv)
{
        static const struct argp argp = {
                install_options, parse_opt, "CONF",
                "Installs the switcher as \\EFI\\switcher\\switcher.efi on a mounted ESP, CONF next to it, "
                "and the files CONF names (from --files DIR).  CONF is checked first, with every slot image "
                "verified; nothing is copied when it has errors.  Each file is written under a temporary "
                "name and renamed.\v"
                "Example: mkslot install --esp /boot/efi --files staging/ --efibootmgr partitions.conf",
                NULL, NULL, NULL,
        };
        static struct sw_config c;
        struct install_args a = { 0 };
        struct sw_diag d = stderr_diag;
        const char *src_root;
        char *disk = NULL, *dest;
        unsigned copied = 0;
        int rc = 1;

        argp_parse(&argp, argc, argv, 0, NULL, &a);
        if (!a.switcher) {
                char self[PATH_MAX];
                ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

                if (n > 0) {
                        self[n] = '\0';
                        *strrchr(self, '/') = '\0';
                        a.switcher = xasprintf("%s/switcher.efi", self);
                }
        }
        src_root = a.files ? a.files : a.esp;
        if (load_config(a.conf, src_root, &c, &d) < 0)
                return 1;
        if (!c.usable || d.errors || sw_config_valid_slots(&c) == 0) {
                error(0, 0, "install: %s has errors (above); nothing installed", a.conf);
                return 1;
        }
        if (a.efibootmgr && !a.disk && find_partition(a.esp, &disk, &a.part) < 0) {
                error(0, 0, "install: cannot tell which disk partition %s is; give --disk DEV --part N", a.esp);
                return 1;
        }

        dest = xasprintf("%s/EFI/switcher", a.esp);
        if (make_dirs(dest) < 0)
                goto out;
        free(dest);
        dest = esp_file(a.esp, LOADER);
        if (install_file(a.switcher, dest) < 0)
                goto out;
        free(dest);
        dest = xasprintf("%s/EFI/switcher/partitions.conf", a.esp);
        if (install_file(a.conf, dest) < 0)
                goto out;
        copied = 2;
        for (unsigned i = 0; a.files && i < c.nslots; i++) {
                const struct sw_slot_config *s = &c.slots[i];
                const char *paths[1 + SW_MAX_INITRD];
                unsigned np = 0;

                if (!s->valid)
                        continue;
                if (s->image_path[0]) {
                        paths[np++] = s->image_path;
                } else {
                        paths[np++] = s->linux_path;
                        for (unsigned k = 0; k < s->ninitrd; k++)
                                paths[np++] = s->initrd[k];
                }
                for (unsigned k = 0; k < np; k++) {
                        char *src = esp_file(a.files, paths[k]);
                        int e;

                        free(dest);
                        dest = esp_file(a.esp, paths[k]);
                        *strrchr(dest, '/') = '\0';
                        e = make_dirs(dest);
                        dest[strlen(dest)] = '/';
                        e = e ?: install_file(src, dest);
                        free(src);
                        if (e < 0)
                                goto out;
                        copied++;
                }
        }
        printf("%s: switcher at %s, %u file(s) installed\n", a.esp, LOADER, copied);
        if (a.efibootmgr) {
                char partnum[16];
                char *loader = xstrdup(LOADER);
                const char *argv2[] = { "efibootmgr", "--create", "--disk", (a.disk ? a.disk : disk),
                                  "--part", partnum, "--loader", loader, "--label",
                                  (a.label ? a.label : "Switcher"), NULL };

                for (char *p = loader; *p; p++)
                        if (*p == '/')
                                *p = '\\';
                snprintf(partnum, sizeof(partnum), "%d", a.part);
                if (run_tool(argv2, NULL) != 0) {
                        error(0, 0, "install: efibootmgr failed; the files are installed, the boot entry is not");
                        free(loader);
                        goto out;
                }
                free(loader);
                printf("%s: boot entry '%s' added for %s partition %d\n", a.esp, a.label ? a.label : "Switcher",
                       a.disk ? a.disk : disk, a.part);
        }
        rc = 0;
out:
        free(dest);
        free(disk);
        return rc;
}
