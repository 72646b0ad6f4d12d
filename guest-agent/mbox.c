/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: mailbox access and the slot lookups on it (see mbox.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libfdt.h>

#include "agent.h"
#include "mbox.h"

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
        size_t done = 0;

        while (done < len) {
                ssize_t r = pwrite(fd, (const char *)buf + done, len - done, off + (off_t)done);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return -1;
                done += (size_t)r;
        }
        return 0;
}

static int check(struct agent_mb *m)
{
        if (sw_mb_check(m->base, m->len) != 0) {
                if (m->access == AGENT_FILE && fdt_magic(m->base) == FDT_MAGIC && fdt_totalsize(m->base) > m->len)
                        agent_log("mailbox file %s is %zu bytes, shorter than the mailbox it holds (%u bytes)",
                                  m->where, m->len, fdt_totalsize(m->base));
                else if (fdt_magic(m->base) != FDT_MAGIC)
                        agent_log("mailbox at %s is not a switcher mailbox (no device tree magic: "
                                  "first bytes %02x %02x %02x %02x)",
                                  m->where, m->base[0], m->base[1], m->base[2], m->base[3]);
                else
                        agent_log("mailbox at %s is damaged or of another version (expected version %d); "
                                  "not using it",
                                  m->where, SW_MAILBOX_VERSION);
                return -1;
        }
        return 0;
}

static int load_copy(struct agent_mb *m)
{
        size_t got;
        uint64_t off = m->access == AGENT_FILE ? 0 : m->addr;

        memset(m->copy, 0, sizeof(m->copy));
        if (agent_pread_all(m->fd, m->copy, SW_MAILBOX_SIZE, off, &got) < 0) {
                agent_log("cannot read the mailbox at %s: %s", m->where, strerror(errno));
                return -1;
        }
        if (got < SW_MAILBOX_SIZE && m->access != AGENT_FILE) {
                agent_log("short read of the mailbox at %s: %zu of %d bytes", m->where, got, SW_MAILBOX_SIZE);
                return -1;
        }
        memcpy(m->orig, m->copy, sizeof(m->orig));
        m->len = got;
        return 0;
}

static int open_devmem(struct agent_mb *m, uint64_t addr)
{
        long page = sysconf(_SC_PAGESIZE);
        uint64_t base, delta;
        int map_err;

        if (page <= 0)
                page = 4096;
        m->addr = addr;
        /* No O_SYNC: that would ask for an uncached mapping, and PAT refuses
         * it (EAGAIN) for pages the kernel already maps write-back. */
        m->fd = open("/dev/mem", O_RDWR | O_CLOEXEC);
        if (m->fd < 0) {
                agent_log("cannot open /dev/mem for the mailbox at 0x%llx: %s%s", (unsigned long long)addr,
                          strerror(errno), errno == EACCES || errno == EPERM ? " (run as root)" : "");
                return -1;
        }
        base = addr & ~(uint64_t)(page - 1);
        delta = addr - base;
        m->map_len = (size_t)delta + SW_MAILBOX_SIZE;
        m->map = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, (off_t)base);
        if (m->map != MAP_FAILED) {
                m->access = AGENT_MMAP;
                m->base = (uint8_t *)m->map + delta;
                m->len = SW_MAILBOX_SIZE;
                snprintf(m->where, sizeof(m->where), "0x%llx (/dev/mem, mmap)", (unsigned long long)addr);
                return 0;
        }
        map_err = errno;
        m->map = NULL;
        m->access = AGENT_PREAD;
        m->base = m->copy;
        snprintf(m->where, sizeof(m->where), "0x%llx (/dev/mem, pread)", (unsigned long long)addr);
        if (load_copy(m) < 0) {
                agent_log("mailbox at 0x%llx: mmap of /dev/mem failed (%s) and so did pread; "
                          "is the address outside what /dev/mem serves (STRICT_DEVMEM)?",
                          (unsigned long long)addr, strerror(map_err));
                return -1;
        }
        agent_info("mmap of /dev/mem at 0x%llx failed (%s); using pread/pwrite", (unsigned long long)addr,
                   strerror(map_err));
        return 0;
}

int agent_mb_open(struct agent_mb *m, const struct agent_source *src)
{
        uint64_t addr;
        char val[64];

        memset(m, 0, sizeof(*m));
        m->fd = -1;
        if (src->file) {
                m->access = AGENT_FILE;
                m->base = m->copy;
                snprintf(m->where, sizeof(m->where), "%s", src->file);
                m->fd = open(src->file, O_RDWR | O_CLOEXEC);
                if (m->fd < 0)
                        m->fd = open(src->file, O_RDONLY | O_CLOEXEC);
                if (m->fd < 0) {
                        agent_log("cannot open mailbox file %s: %s", src->file, strerror(errno));
                        return -1;
                }
                if (load_copy(m) < 0)
                        goto fail;
        } else {
                if (src->have_addr) {
                        addr = src->addr;
                } else if (agent_cmdline_value(NULL, "switcher.mailbox", val, sizeof(val)) < 0) {
                        agent_log("no switcher.mailbox= on the kernel command line: this system was not "
                                  "started by the switcher (or use --mailbox-addr / --mailbox-file)");
                        return -1;
                } else if (agent_parse_u64(val, &addr) < 0) {
                        agent_log("switcher.mailbox='%s' on the kernel command line is not an address", val);
                        return -1;
                }
                if (open_devmem(m, addr) < 0)
                        goto fail;
        }
        if (check(m) < 0)
                goto fail;
        return 0;
fail:
        agent_mb_close(m);
        return -1;
}

int agent_mb_refresh(struct agent_mb *m)
{
        if (m->access != AGENT_MMAP && load_copy(m) < 0)
                return -1;
        return check(m);
}

int agent_mb_commit(struct agent_mb *m)
{
        size_t lo, hi;

        if (m->access == AGENT_MMAP) {
                /* /dev/mem is a direct mapping of the RAM itself: msync has no
                 * backing store to flush, but it orders our stores before the
                 * suspend and costs nothing. */
                if (msync(m->map, m->map_len, MS_SYNC) < 0 && errno != EINVAL)
                        agent_log("msync of the mailbox mapping: %s (continuing)", strerror(errno));
                return 0;
        }
        /* Write back only the changed bytes: the rest may be the switcher's. */
        for (lo = 0; lo < SW_MAILBOX_SIZE && m->copy[lo] == m->orig[lo]; lo++)
                ;
        if (lo == SW_MAILBOX_SIZE)
                return 0;
        for (hi = SW_MAILBOX_SIZE; m->copy[hi - 1] == m->orig[hi - 1]; hi--)
                ;
        if (write_all(m->fd, m->copy + lo, hi - lo,
                      (off_t)((m->access == AGENT_FILE ? 0 : m->addr) + lo)) < 0) {
                agent_log("cannot write the mailbox at %s: %s", m->where, strerror(errno));
                return -1;
        }
        if (m->access == AGENT_FILE)
                fsync(m->fd);
        memcpy(m->orig + lo, m->copy + lo, hi - lo);
        return 0;
}

void agent_mb_close(struct agent_mb *m)
{
        if (m->map)
                munmap(m->map, m->map_len);
        if (m->fd >= 0)
                close(m->fd);
        m->map = NULL;
        m->fd = -1;
}

const char *agent_prop_str(const struct agent_mb *m, int node, const char *name)
{
        int len = -1;
        const char *p = fdt_getprop(m->base, node, name, &len);

        if (!p || len <= 0 || strnlen(p, (size_t)len) >= (size_t)len)
                return NULL;
        return p;
}

bool agent_prop_u32(const struct agent_mb *m, int node, const char *name, uint32_t *v)
{
        int len = -1;
        const uint8_t *p = fdt_getprop(m->base, node, name, &len);

        if (!p || len != 4)
                return false;
        *v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        return true;
}

int agent_current(const struct agent_mb *m, char out[SW_MB_ID_LEN])
{
        const char *cur = agent_prop_str(m, 0, "current");

        out[0] = '\0';
        if (!cur || !cur[0] || strlen(cur) >= SW_MB_ID_LEN)
                return -1;
        strcpy(out, cur);
        return 0;
}

int agent_self(const struct agent_mb *m, const struct agent_source *src, const char *opt_slot,
               char out[SW_MB_ID_LEN])
{
        char cur[SW_MB_ID_LEN], boot[SW_MB_ID_LEN];
        bool have_cur = agent_current(m, cur) == 0;

        if (opt_slot) {
                if (strlen(opt_slot) >= SW_MB_ID_LEN) {
                        agent_log("--slot '%s' is longer than %d bytes", opt_slot, SW_MB_ID_LEN - 1);
                        return -1;
                }
                strcpy(out, opt_slot);
                return 0;
        }
        if (!src->file && agent_cmdline_value(NULL, "switcher.slot", boot, sizeof(boot)) == 0) {
                if (have_cur && strcmp(boot, cur) != 0) {
                        agent_log("this kernel was booted as slot '%s' but the mailbox says slot '%s' is "
                                  "running; refusing to act on a mailbox that does not describe us",
                                  boot, cur);
                        return -1;
                }
                strcpy(out, boot);
                return 0;
        }
        if (!have_cur) {
                agent_log("the mailbox names no running slot (empty \"current\"); use --slot ID");
                return -1;
        }
        strcpy(out, cur);
        return 0;
}

/* Comma-separated slot ids, for messages. */
static void slot_list(const struct agent_mb *m, char *out, size_t n)
{
        int slots = fdt_path_offset(m->base, "/slots"), node;
        size_t o = 0;

        out[0] = '\0';
        if (slots < 0)
                return;
        fdt_for_each_subnode(node, m->base, slots) {
                const char *name = fdt_get_name(m->base, node, NULL);
                int w;

                if (!name)
                        continue;
                w = snprintf(out + o, n - o, "%s%s", o ? ", " : "", name);
                if (w < 0 || (size_t)w >= n - o)
                        break;
                o += (size_t)w;
        }
}

int agent_resolve_target(const struct agent_mb *m, const char *self, const char *spec,
                         char out[SW_MB_ID_LEN], char *why, size_t n)
{
        int slots = fdt_path_offset(m->base, "/slots"), node;
        char list[512];
        const char *name;

        out[0] = '\0';
        if (slots < 0) {
                snprintf(why, n, "the mailbox has no /slots");
                return -1;
        }
        if (strcmp(spec, "@next") == 0) {
                int first = -1, me;

                me = sw_mb_slot_offset(m->base, self);
                fdt_for_each_subnode(node, m->base, slots) {
                        if (first < 0)
                                first = node;
                        if (me >= 0 && node > me) {
                                first = node;
                                break;
                        }
                }
                if (first < 0) {
                        snprintf(why, n, "the mailbox lists no slots");
                        return -1;
                }
                name = fdt_get_name(m->base, first, NULL);
        } else if (strcmp(spec, "@default") == 0) {
                name = agent_prop_str(m, 0, "default");
                if (!name || sw_mb_slot_offset(m->base, name) < 0) {
                        /* Older mailboxes have no "default": the first slot is
                         * the switcher's own fallback too. */
                        node = fdt_first_subnode(m->base, slots);
                        if (node < 0) {
                                snprintf(why, n, "the mailbox lists no slots");
                                return -1;
                        }
                        name = fdt_get_name(m->base, node, NULL);
                }
        } else {
                name = spec;
        }
        if (!name || strlen(name) >= SW_MB_ID_LEN || sw_mb_slot_offset(m->base, name) < 0) {
                slot_list(m, list, sizeof(list));
                snprintf(why, n, "unknown slot '%s' (slots: %s)", spec, list[0] ? list : "none");
                return -1;
        }
        if (strcmp(name, self) == 0) {
                snprintf(why, n, "slot '%s' is the one running%s", name,
                         name == spec ? "" : " (it is the only slot)");
                return -1;
        }
        strcpy(out, name);
        return 0;
}
