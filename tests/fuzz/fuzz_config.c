/* SPDX-License-Identifier: MIT */
/*
 * partitions.conf is read from the ESP, where anything can have written it.
 * The input is the file's bytes; the target then does what the switcher does
 * with a parsed config: checks the files, sorts the slots, builds the plan
 * request and the plan on a fixed machine, and publishes the slot table in
 * a mailbox, checking at each step what the parser promises.
 *
 * Seeds: tests/fixtures/conf-*.conf partitions.conf
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "mailbox.h"
#include "memmap.h"
#include "plan.h"
#include "layout.h"

static bool valid_id(const char *id)
{
        size_t n = strnlen(id, SW_ID_MAX);

        if (n == 0 || n >= SW_ID_MAX || id[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = id[i];

                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '.' || ch == '_' || ch == '-' || ch == '+'))
                        return false;
        }
        return true;
}

/* A normalized ESP path: "/", no empty, "." or ".." component. */
static bool normal_path(const char *p)
{
        if (p[0] != '/' || p[1] == '\0')
                return false;
        for (const char *c = p; *c; c++) {
                if (*c == '\\')
                        return false;
                if (*c == '/' && (c[1] == '/' || c[1] == '\0'))
                        return false;
                if (*c == '/' && c[1] == '.' && (c[2] == '/' || c[2] == '\0'))
                        return false;
                if (*c == '/' && c[1] == '.' && c[2] == '.' && (c[3] == '/' || c[3] == '\0'))
                        return false;
        }
        return true;
}

static void check_slot(const struct sw_config *c, const struct sw_slot_config *s)
{
        FUZZ_CHECK(fuzz_terminated(s->id, sizeof(s->id)) && valid_id(s->id), "kept slot with a bad id");
        FUZZ_CHECK(fuzz_terminated(s->title, sizeof(s->title)), "title unterminated");
        FUZZ_CHECK(fuzz_terminated(s->linux_path, sizeof(s->linux_path)), "linux unterminated");
        FUZZ_CHECK(fuzz_terminated(s->options, sizeof(s->options)), "options unterminated");
        FUZZ_CHECK(fuzz_terminated(s->sort_key, sizeof(s->sort_key)), "sort-key unterminated");
        FUZZ_CHECK(fuzz_terminated(s->partition, sizeof(s->partition)), "partition unterminated");
        FUZZ_CHECK(fuzz_terminated(s->hotkey, sizeof(s->hotkey)), "hotkey unterminated");
        FUZZ_CHECK(s->ninitrd <= SW_MAX_INITRD, "%u initrds", s->ninitrd);
        for (unsigned k = 0; k < s->ninitrd; k++)
                FUZZ_CHECK(fuzz_terminated(s->initrd[k], sizeof(s->initrd[k])) && normal_path(s->initrd[k]),
                           "slot '%s': initrd %u is not a normalized path", s->id, k);
        if (!s->valid)
                return;
        /* A slot boots either a plain kernel or a slot image, never both. */
        FUZZ_CHECK(!s->linux_path[0] != !s->image_path[0], "slot '%s': linux '%s' and image '%s'", s->id,
                   s->linux_path, s->image_path);
        FUZZ_CHECK(normal_path(s->linux_path[0] ? s->linux_path : s->image_path),
                   "slot '%s': linux '%s' / image '%s' is not a normalized path", s->id, s->linux_path,
                   s->image_path);
        FUZZ_CHECK(s->title[0] != '\0', "slot '%s' without a title", s->id);
        FUZZ_CHECK(s->mode == SW_MODE_SWAP || s->mode == SW_MODE_IN_PLACE, "mode %d", (int)s->mode);
        FUZZ_CHECK(s->arch <= SW_ARCH_I386, "arch %d", (int)s->arch);
        /* Only an in-place slot may see more than the active region. */
        FUZZ_CHECK(s->memory == 0 || (s->memory % 4096 == 0 && s->memory >= SW_ACTIVE_SIZE_MIN &&
                                      (s->memory <= c->active_size || s->mode == SW_MODE_IN_PLACE)),
                   "slot '%s': memory %llu", s->id, (unsigned long long)s->memory);
        FUZZ_CHECK(s->part_kind != SW_PART_NONE || s->partition[0] == '\0', "partition without a kind");
}

/* A machine with 6 GiB: low RAM, a hole, RAM to 3 GiB, RAM above 4 GiB. */
static void machine(struct sw_memmap *m)
{
        sw_memmap_init(m);
        sw_memmap_add(m, SW_EFI_CONVENTIONAL, 0x1000, 0x9f, 0, NULL);
        sw_memmap_add(m, SW_EFI_RESERVED, 0xa0000, 0x60, 0, NULL);
        sw_memmap_add(m, SW_EFI_CONVENTIONAL, 0x100000, 0xbff00, 0, NULL);
        sw_memmap_add(m, SW_EFI_ACPI_NVS, 0xc0000000, 0x100, 0, NULL);
        sw_memmap_add(m, SW_EFI_CONVENTIONAL, 0x100000000, 0xc0000, 0, NULL);
}

/* Deterministic "file exists" from the path, so both outcomes are reached. */
static bool exists(void *ctx, const char *path)
{
        (void)ctx;
        FUZZ_CHECK(normal_path(path), "check_files asked for '%s'", path);
        return strlen(path) % 7 != 0;
}

static void publish(const struct sw_config *c)
{
        static uint8_t mb[SW_MAILBOX_SIZE] __attribute__((aligned(8)));
        enum sw_slot_state state[SW_MAX_SLOTS];
        struct fuzz_diag fd;
        struct sw_diag *d = fuzz_diag_init(&fd, true);
        struct sw_mb_request r;
        int def = sw_config_default_index(c), other = -1, err;
        uint32_t seq, st;

        for (unsigned i = 0; i < SW_MAX_SLOTS; i++)
                state[i] = (enum sw_slot_state)(i % 4);
        err = sw_mailbox_build(mb, sizeof(mb), c, state, def, d);
        FUZZ_CHECK(err == 0, "mailbox build failed (%d): %s", err, fd.last);
        FUZZ_CHECK(sw_mb_check(mb, sizeof(mb)) == 0, "a freshly built mailbox fails its check");
        for (unsigned i = 0; i < c->nslots; i++) {
                const struct sw_slot_config *s = &c->slots[i];
                int off = sw_mb_slot_offset(mb, s->id);

                if (!s->valid) {
                        /* A dropped slot may share its id with no valid one:
                         * ids are unique among kept blocks. */
                        FUZZ_CHECK(off == -SW_MB_UNKNOWN_SLOT, "dropped slot '%s' published", s->id);
                        continue;
                }
                FUZZ_CHECK(off >= 0, "valid slot '%s' not in the mailbox", s->id);
                FUZZ_CHECK(sw_mb_get_result(mb, s->id, &seq, &st, NULL, 0) == 0 && seq == 0 && st == SW_MB_OK,
                           "slot '%s': fresh result", s->id);
                if ((int)i != def)
                        other = (int)i;
        }
        if (def < 0 || other < 0)
                return;
        /* The agent's request from the default slot to another one. */
        FUZZ_CHECK(sw_mb_request_write(mb, c->slots[def].id, c->slots[other].id, 1) == 0, "request write");
        FUZZ_CHECK(sw_mb_check(mb, sizeof(mb)) == 0 && sw_mb_request_read(mb, &r) == 0, "request read");
        FUZZ_CHECK(sw_mb_request_validate(mb, &r, c->slots[def].id) == SW_MB_OK, "a good request refused");
}

static void plan(const struct sw_config *c)
{
        static struct sw_memmap m;
        static struct sw_plan p;
        static struct sw_plan_input in;
        struct fuzz_diag fd;
        unsigned n;
        int placed;

        if (m.n == 0)
                machine(&m);
        in = (struct sw_plan_input){ .cfg = c, .map_top = sw_memmap_top(&m) };
        n = sw_plan_input_from_config(&in);
        FUZZ_CHECK(n == sw_config_valid_slots(c), "request for %u of %u slots", n, sw_config_valid_slots(c));
        placed = sw_plan_build(&m, &in.req, &p, fuzz_diag_init(&fd, true));
        if (placed < 0) {
                FUZZ_CHECK(fd.nerror > 0, "plan failed without an error");
                return;
        }
        FUZZ_CHECK(p.active_bytes == c->active_size, "active %llu for %llu",
                   (unsigned long long)p.active_bytes, (unsigned long long)c->active_size);
        /* A swap slot's store is the RAM it sees (less when an address
         * limit cuts it); an in-place slot's is its RAM after the saved low
         * memory. */
        for (unsigned i = 0; i < p.nslots; i++) {
                if (!p.slots[i].placed)
                        continue;
                if (in.in_place[i])
                        FUZZ_CHECK(p.slots[i].store_size == SW_INPLACE_LOW + in.sizes[i], "in-place store of slot %u", i);
                else if (in.limits[i])
                        FUZZ_CHECK(p.slots[i].store_size <= in.sizes[i], "limited store of slot %u", i);
                else
                        FUZZ_CHECK(p.slots[i].store_size == in.sizes[i], "store size of slot %u", i);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct sw_config c;
        struct fuzz_diag fd;
        struct sw_diag *d = fuzz_diag_init(&fd, true);
        char *copy;
        unsigned nvalid;
        int rc;

        copy = fuzz_copy(data, size);
        if (!copy)
                return 0;
        rc = sw_config_parse(&c, copy, size, "p.conf", d);
        free(copy);

        nvalid = sw_config_valid_slots(&c);
        FUZZ_CHECK(rc >= 0 && (unsigned)rc == nvalid, "returned %d with %u valid slots", rc, nvalid);
        FUZZ_CHECK(c.nslots <= SW_MAX_SLOTS, "%u slots", c.nslots);
        FUZZ_CHECK(c.usable || nvalid == 0, "unusable config with valid slots");
        FUZZ_CHECK(rc > 0 || fd.nerror > 0, "nothing to boot, and no error said so");
        FUZZ_CHECK(nvalid == c.nslots || fd.nerror > 0, "a slot dropped silently");
        FUZZ_CHECK(c.timeout <= SW_TIMEOUT_MAX, "timeout %u", c.timeout);
        FUZZ_CHECK(c.active_size >= SW_ACTIVE_SIZE_MIN && c.active_size % 4096 == 0, "active-size");
        FUZZ_CHECK(fuzz_terminated(c.default_id, sizeof(c.default_id)), "default unterminated");
        FUZZ_CHECK(fuzz_terminated(c.next_hotkey, sizeof(c.next_hotkey)), "next-hotkey unterminated");
        for (unsigned i = 0; i < c.nslots; i++)
                check_slot(&c, &c.slots[i]);
        if (fd.n)
                FUZZ_CHECK(strncmp(fd.last, "p.conf:", 7) == 0, "message without FILE:LINE: %s", fd.last);
        if (nvalid == 0)
                return 0;

        FUZZ_CHECK(sw_config_default_index(&c) >= 0, "no default with %u valid slots", nvalid);
        sw_config_sort(&c);
        FUZZ_CHECK(sw_config_valid_slots(&c) == nvalid, "sort lost a slot");
        plan(&c);
        publish(&c);

        nvalid = (unsigned)sw_config_check_files(&c, exists, NULL, fuzz_diag_init(&fd, true));
        FUZZ_CHECK(nvalid == sw_config_valid_slots(&c), "check_files count");
        for (unsigned i = 0; i < c.nslots; i++)
                check_slot(&c, &c.slots[i]);
        return 0;
}
