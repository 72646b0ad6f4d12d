/* SPDX-License-Identifier: MIT */
/*
 * GPT reading for the mount check: a mounted device is matched against the
 * slots' "partition" by the same things the switcher's config names
 * (PARTUUID, PARTLABEL) and against the ESP by type GUID, so we read them
 * from the partition table itself rather than trusting udev or blkid being
 * present in a minimal initramfs.  The disk is just bytes here: every size
 * in the header is bounded before use (UEFI 2.10, 5.3.2 and 5.3.3).
 */
#include <endian.h>
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
#include <linux/fs.h>

#include "agent.h"
#include "fmt.h"
#include "gpt.h"
#include "mailbox.h"

struct gpt_header {
        char signature[8];           /* "EFI PART" */
        uint32_t revision;
        uint32_t header_size;
        uint32_t header_crc32;
        uint32_t reserved;
        uint64_t my_lba;
        uint64_t alternate_lba;
        uint64_t first_usable_lba;
        uint64_t last_usable_lba;
        uint8_t disk_guid[16];
        uint64_t entries_lba;
        uint32_t num_entries;
        uint32_t entry_size;
        uint32_t entries_crc32;
} __attribute__((packed));

_Static_assert(offsetof(struct gpt_header, header_crc32) == 0x10, "GPT header CRC");
_Static_assert(offsetof(struct gpt_header, entries_lba) == 0x48, "GPT entry LBA");
_Static_assert(offsetof(struct gpt_header, entries_crc32) == 0x58, "GPT entries CRC");
_Static_assert(sizeof(struct gpt_header) == 92, "GPT header size");

struct gpt_entry {
        uint8_t type[16];
        uint8_t uuid[16];
        uint64_t first_lba;
        uint64_t last_lba;
        uint64_t attributes;
        uint16_t name[36];
} __attribute__((packed));

_Static_assert(offsetof(struct gpt_entry, name) == 0x38, "GPT entry name");
_Static_assert(sizeof(struct gpt_entry) == 128, "GPT entry size");

/* Entry arrays are 16 KiB in practice; refuse anything absurd before
 * allocating for it. */
#define GPT_MAX_ENTRIES 4096
#define GPT_MAX_ENTRY_SIZE 4096
#define GPT_MAX_ARRAY (1u << 20)

void gpt_guid_str(const uint8_t g[16], char out[37])
{
        sw_snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                    g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12],
                    g[13], g[14], g[15]);
}

/* UTF-16LE (up to 36 units, NUL-terminated or not) to UTF-8; an unpaired
 * surrogate becomes U+FFFD. */
static void name_to_utf8(const uint16_t *in, char *out, size_t n)
{
        size_t o = 0;

        for (unsigned i = 0; i < 36 && in[i]; i++) {
                uint32_t c = le16toh(in[i]);
                char b[4];
                size_t k;

                if (c >= 0xd800 && c <= 0xdbff && i + 1 < 36 && le16toh(in[i + 1]) >= 0xdc00 &&
                    le16toh(in[i + 1]) <= 0xdfff) {
                        c = 0x10000 + ((c - 0xd800) << 10) + (le16toh(in[i + 1]) - 0xdc00);
                        i++;
                } else if (c >= 0xd800 && c <= 0xdfff) {
                        c = 0xfffd;
                }
                if (c < 0x80) {
                        b[0] = (char)c;
                        k = 1;
                } else if (c < 0x800) {
                        b[0] = (char)(0xc0 | c >> 6);
                        b[1] = (char)(0x80 | (c & 0x3f));
                        k = 2;
                } else if (c < 0x10000) {
                        b[0] = (char)(0xe0 | c >> 12);
                        b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
                        b[2] = (char)(0x80 | (c & 0x3f));
                        k = 3;
                } else {
                        b[0] = (char)(0xf0 | c >> 18);
                        b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
                        b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
                        b[3] = (char)(0x80 | (c & 0x3f));
                        k = 4;
                }
                if (o + k >= n)
                        break;
                memcpy(out + o, b, k);
                o += k;
        }
        out[o] = '\0';
}

/* Exactly len bytes at off, or -1. */
static int read_exact(int fd, void *buf, size_t len, uint64_t off)
{
        size_t got;

        if (agent_pread_all(fd, buf, len, off, &got) < 0 || got < len)
                return -1;
        return 0;
}

int gpt_read_entry(int fd, unsigned bs, unsigned partn, struct gpt_part *out, char *why, size_t n)
{
        struct gpt_header h;
        uint8_t *blk = NULL, *arr = NULL;
        uint32_t crc, want;
        size_t arr_len;
        int ret = -1;

        if (bs < 512 || bs > 65536 || (bs & (bs - 1))) {
                sw_snprintf(why, n, "logical block size %u is not a power of two in 512..65536", bs);
                return -1;
        }
        blk = malloc(bs);
        if (!blk || read_exact(fd, blk, bs, bs) < 0) {
                sw_snprintf(why, n, "cannot read LBA 1: %s", blk ? strerror(errno) : "out of memory");
                goto out;
        }
        memcpy(&h, blk, sizeof(h));
        if (memcmp(h.signature, "EFI PART", 8) != 0) {
                sw_snprintf(why, n, "no GPT (LBA 1 has no \"EFI PART\" signature)");
                ret = 1;
                goto out;
        }
        h.header_size = le32toh(h.header_size);
        if (h.header_size < sizeof(h) || h.header_size > bs) {
                sw_snprintf(why, n, "GPT header size %u is outside 92..%u", h.header_size, bs);
                goto out;
        }
        want = le32toh(h.header_crc32);
        memset(blk + offsetof(struct gpt_header, header_crc32), 0, 4);
        crc = sw_crc32(0, blk, h.header_size);
        if (crc != want) {
                sw_snprintf(why, n, "GPT header CRC is 0x%08x, computed 0x%08x", want, crc);
                goto out;
        }
        h.entries_lba = le64toh(h.entries_lba);
        h.num_entries = le32toh(h.num_entries);
        h.entry_size = le32toh(h.entry_size);
        if (h.num_entries == 0 || h.num_entries > GPT_MAX_ENTRIES || h.entry_size < 128 ||
            h.entry_size > GPT_MAX_ENTRY_SIZE || h.entry_size % 8 != 0) {
                sw_snprintf(why, n, "GPT has %u entries of %u bytes: not a sane table", h.num_entries,
                            h.entry_size);
                goto out;
        }
        arr_len = (size_t)h.num_entries * h.entry_size;
        if (arr_len > GPT_MAX_ARRAY || h.entries_lba < 2 || h.entries_lba > UINT64_MAX / bs) {
                sw_snprintf(why, n, "GPT entry array (%zu bytes at LBA %llu) is out of bounds", arr_len,
                            (unsigned long long)h.entries_lba);
                goto out;
        }
        if (partn == 0 || partn > h.num_entries) {
                sw_snprintf(why, n, "partition %u is not in the GPT (%u entries)", partn, h.num_entries);
                goto out;
        }
        arr = malloc(arr_len);
        if (!arr || read_exact(fd, arr, arr_len, h.entries_lba * bs) < 0) {
                sw_snprintf(why, n, "cannot read the GPT entries: %s", arr ? strerror(errno) : "out of memory");
                goto out;
        }
        want = le32toh(h.entries_crc32);
        crc = sw_crc32(0, arr, arr_len);
        if (crc != want) {
                sw_snprintf(why, n, "GPT entry array CRC is 0x%08x, computed 0x%08x", want, crc);
                goto out;
        }
        {
                struct gpt_entry e;
                uint16_t name[36];

                memcpy(&e, arr + (size_t)(partn - 1) * h.entry_size, sizeof(e));
                memset(out, 0, sizeof(*out));
                out->index = partn;
                memcpy(out->type, e.type, 16);
                memcpy(out->uuid, e.uuid, 16);
                gpt_guid_str(e.type, out->type_str);
                gpt_guid_str(e.uuid, out->uuid_str);
                memcpy(name, e.name, sizeof(name));
                name_to_utf8(name, out->name, sizeof(out->name));
        }
        ret = 0;
out:
        free(blk);
        free(arr);
        return ret;
}

/* First line "KEY=value" of a sysfs uevent file into out. */
static int uevent_value(const char *dir, const char *key, char *out, size_t n)
{
        char path[PATH_MAX], line[512];
        size_t kl = strlen(key);
        FILE *f;
        int ret = -1;

        sw_snprintf(path, sizeof(path), "%s/uevent", dir);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (strncmp(line, key, kl) == 0 && line[kl] == '=') {
                        if (strlen(line + kl + 1) < n) {
                                strcpy(out, line + kl + 1);
                                ret = 0;
                        }
                        break;
                }
        }
        fclose(f);
        return ret;
}

int gpt_identify(const char *dev, struct gpt_part *out, char *why, size_t n)
{
        char sys[PATH_MAX], real[PATH_MAX], parent[PATH_MAX], val[64], disk[PATH_MAX];
        struct stat st;
        unsigned long partn;
        int fd, bs = 512, ret;
        char *slash;

        if (stat(dev, &st) < 0) {
                sw_snprintf(why, n, "cannot stat %s: %s", dev, strerror(errno));
                return -1;
        }
        if (!S_ISBLK(st.st_mode))
                return 1;
        sw_snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
        if (!realpath(sys, real)) {
                sw_snprintf(why, n, "cannot resolve %s: %s", sys, strerror(errno));
                return -1;
        }
        if (uevent_value(real, "PARTN", val, sizeof(val)) < 0)
                return 1; /* a whole disk, not a partition */
        partn = strtoul(val, NULL, 10);
        if (partn == 0 || partn > GPT_MAX_ENTRIES)
                return 1;
        strcpy(parent, real);
        slash = strrchr(parent, '/');
        if (!slash)
                return 1;
        *slash = '\0';
        if (uevent_value(parent, "DEVNAME", val, sizeof(val)) < 0) {
                sw_snprintf(why, n, "%s: no DEVNAME for its parent disk in %s/uevent", dev, parent);
                return -1;
        }
        sw_snprintf(disk, sizeof(disk), "/dev/%s", val);
        fd = open(disk, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                sw_snprintf(why, n, "cannot open %s (the disk of %s): %s", disk, dev, strerror(errno));
                return -1;
        }
        if (ioctl(fd, BLKSSZGET, &bs) < 0)
                bs = 512;
        ret = gpt_read_entry(fd, (unsigned)bs, (unsigned)partn, out, why, n);
        close(fd);
        return ret;
}
