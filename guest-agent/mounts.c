/* SPDX-License-Identifier: MIT */
/*
 * Guest agent: the mount check (see mounts.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libfdt.h>

#include "agent.h"
#include "gpt.h"
#include "mounts.h"

/* Decodes the octal escapes of /proc/self/mounts ("\040" for a space). */
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

static bool opt_rw(const char *opts)
{
        size_t n = strcspn(opts, ",");

        /* The kernel always lists rw or ro first. */
        return n == 2 && strncmp(opts, "rw", 2) == 0;
}

/* Does GPT partition p match a slot's "PARTLABEL=x" / "PARTUUID=u"? */
static bool part_matches(const struct gpt_part *p, const char *spec)
{
        if (strncmp(spec, "PARTLABEL=", 10) == 0)
                return strcmp(p->name, spec + 10) == 0;
        if (strncmp(spec, "PARTUUID=", 9) == 0)
                return strcasecmp(p->uuid_str, spec + 9) == 0;
        return false;
}

int agent_mount_check(const struct agent_mb *m, const char *self, const char *mounts)
{
        char line[4096], why[256];
        int slots = fdt_path_offset(m->base, "/slots");
        FILE *f;
        int bad = 0;

        f = fopen(mounts ? mounts : "/proc/self/mounts", "re");
        if (!f) {
                agent_log("cannot read %s: %s; refusing to switch without knowing what is mounted",
                          mounts ? mounts : "/proc/self/mounts", strerror(errno));
                return 1;
        }
        while (fgets(line, sizeof(line), f)) {
                char dev[1024], dir[1024], type[64], opts[1024];
                struct gpt_part p;
                int node, r;

                if (sscanf(line, "%1023s %1023s %63s %1023s", dev, dir, type, opts) != 4)
                        continue;
                if (strncmp(dev, "/dev/", 5) != 0 || !opt_rw(opts))
                        continue;
                unescape(dev);
                unescape(dir);
                r = gpt_identify(dev, &p, why, sizeof(why));
                if (r < 0) {
                        agent_log("%s mounted read-write at %s: cannot tell which partition it is (%s); "
                                  "assuming it belongs to no other slot",
                                  dev, dir, why);
                        continue;
                }
                if (r > 0)
                        continue;
                if (strcmp(p.type_str, GPT_ESP_TYPE) == 0) {
                        agent_log("the ESP (%s) is mounted read-write at %s: the switcher and other slots use it; "
                                  "unmount it or remount it read-only first",
                                  dev, dir);
                        bad = 1;
                        continue;
                }
                if (slots < 0)
                        continue;
                fdt_for_each_subnode(node, m->base, slots) {
                        const char *id = fdt_get_name(m->base, node, NULL);
                        const char *spec = agent_prop_str(m, node, "partition");

                        if (!id || !spec || strcmp(id, self) == 0)
                                continue;
                        if (part_matches(&p, spec)) {
                                agent_log("%s (%s) is mounted read-write at %s: it is slot '%s''s partition, "
                                          "which would be changed under that slot's feet; unmount it first",
                                          dev, spec, dir, id);
                                bad = 1;
                        }
                }
        }
        fclose(f);
        return bad;
}
