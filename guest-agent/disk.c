/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: the GPT of a Linux disk (see disk.h).  The table is read
 * from the partition table itself rather than from udev or blkid, which a
 * minimal initramfs does not have, and by the same reader the switcher uses
 * at start-up, so both agree on what a PARTLABEL or PARTUUID names.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/fs.h>

#include "agent.h"
#include "disk.h"
#include "fmt.h"

struct reader {
        int fd;
        int err;            /* errno of the first failed read */
};

static int rd(void *ctx, uint64_t off, void *buf, size_t len)
{
        struct reader *r = ctx;
        size_t got;

        if (agent_pread_all(r->fd, buf, len, off, &got) < 0 || got < len) {
                r->err = got < len && errno == 0 ? EIO : errno;
                return -1;
        }
        return 0;
}

int disk_read_gpt(const char *path, unsigned bs, struct sw_gpt *out, char *why, size_t n)
{
        struct reader r = { .fd = -1 };
        int ret, ibs = 512;

        r.fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r.fd < 0) {
                sw_snprintf(why, n, "cannot open %s: %s", path, strerror(errno));
                out->nparts = out->nentries = 0;
                return SW_GPT_BAD;
        }
        if (bs == 0)
                bs = ioctl(r.fd, BLKSSZGET, &ibs) == 0 ? (unsigned)ibs : 512;
        errno = 0;
        ret = sw_gpt_read(rd, &r, bs, out, why, n);
        if (ret == SW_GPT_BAD && r.err) {
                size_t l = strlen(why);

                sw_snprintf(why + l, n - l, ": %s", strerror(r.err));
        }
        close(r.fd);
        return ret;
}
