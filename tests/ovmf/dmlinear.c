/* SPDX-License-Identifier: MIT */
/*
 * dmlinear: the smallest device-mapper client, for the partition-safety
 * test's busybox guest (which has no dmsetup and no shared libraries):
 *
 *   dmlinear NAME MAJ:MIN SECTORS   create NAME, a linear map of the device
 *   dmlinear -r NAME                remove NAME
 *
 * It speaks the kernel's device-mapper ioctls (linux/dm-ioctl.h) on
 * /dev/mapper/control: create the device, load a one-target "linear"
 * table, and resume it, which makes the table live and the partition's
 * holders/ directory name the new dm-N.  Built static by t-safety.sh.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>

static union {
        struct dm_ioctl io;
        char raw[16384];
} buf;

static void init(const char *name)
{
        memset(&buf, 0, sizeof(buf));
        buf.io.version[0] = DM_VERSION_MAJOR;
        buf.io.data_size = sizeof(buf);
        buf.io.data_start = sizeof(struct dm_ioctl);
        snprintf(buf.io.name, sizeof(buf.io.name), "%s", name);
}

static int call(int fd, unsigned long req, const char *what)
{
        if (ioctl(fd, req, &buf) < 0) {
                perror(what);
                return -1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        struct dm_target_spec *t;
        int fd;

        if (argc != 3 && argc != 4) {
                fprintf(stderr, "usage: dmlinear NAME MAJ:MIN SECTORS | dmlinear -r NAME\n");
                return 2;
        }
        fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                perror("/dev/mapper/control");
                return 1;
        }
        if (argc == 3) {
                init(argv[2]);
                return call(fd, DM_DEV_REMOVE, "DM_DEV_REMOVE") < 0;
        }
        init(argv[1]);
        if (call(fd, DM_DEV_CREATE, "DM_DEV_CREATE") < 0)
                return 1;
        init(argv[1]);
        buf.io.target_count = 1;
        t = (struct dm_target_spec *)(buf.raw + sizeof(struct dm_ioctl));
        t->sector_start = 0;
        t->length = strtoull(argv[3], NULL, 10);
        snprintf(t->target_type, sizeof(t->target_type), "linear");
        /* The parameters follow the spec: "DEVICE OFFSET". */
        snprintf((char *)(t + 1), 64, "%s 0", argv[2]);
        if (call(fd, DM_TABLE_LOAD, "DM_TABLE_LOAD") < 0)
                return 1;
        init(argv[1]);
        if (call(fd, DM_DEV_SUSPEND, "DM_DEV_SUSPEND (resume)") < 0)
                return 1;
        printf("dm-%u\n", (unsigned)(buf.io.dev & 0xff) | (unsigned)((buf.io.dev >> 12) & ~0xffu));
        return 0;
}
