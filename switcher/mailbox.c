/* SPDX-License-Identifier: MIT */
/*
 * The mailbox codec: builds the slot table at boot and reads/edits it in
 * place afterwards.  Compiled into the switcher (EFI and resident code) and
 * into the guest agent.  Every read path assumes the bytes were written by a
 * hostile or broken guest: nodes and properties are looked up again on each
 * call and their sizes checked exactly before a byte is copied.
 */
#include "mailbox.h"

#include <libfdt.h>
#include <string.h>

#include "fmt.h"

const char *sw_slot_state_name(enum sw_slot_state s)
{
        static const char *const names[] = { [SW_SLOT_EMPTY] = "empty", [SW_SLOT_RUNNING] = "running",
                                             [SW_SLOT_SUSPENDED] = "suspended", [SW_SLOT_FAILED] = "failed" };

        return SW_ENUM_NAME(names, s, "unknown");
}

const char *sw_mb_status_name(enum sw_mb_status s)
{
        static const char *const names[] = {
                [SW_MB_OK] = "ok",
                [SW_MB_BAD_CSUM] = "bad-csum",
                [SW_MB_UNKNOWN_SLOT] = "unknown-slot",
                [SW_MB_SAME_SLOT] = "same-slot",
                [SW_MB_TARGET_FAILED] = "target-failed",
                [SW_MB_BAD_SEQ] = "bad-seq",
                [SW_MB_MALFORMED] = "malformed",
                [SW_MB_NO_REQUEST] = "no-request",
                [SW_MB_CANNOT_SAVE] = "cannot-save",
                [SW_MB_ADOPT_REFUSED] = "adopt-refused",
        };

        return SW_ENUM_NAME(names, s, "unknown");
}

/*
 * Bitwise, table-free: the request checksum covers 136 bytes, so speed does
 * not matter, and no table means no data to place or relocate in the
 * resident code.
 */
uint32_t sw_crc32(uint32_t crc, const void *buf, size_t len)
{
        const uint8_t *p = buf;

        crc = ~crc;
        while (len--) {
                crc ^= *p++;
                for (int k = 0; k < 8; k++)
                        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
        }
        return ~crc;
}

uint32_t sw_mb_request_csum(const struct sw_mb_request *r)
{
        uint8_t be[4] = {
                (uint8_t)(r->seq >> 24), (uint8_t)(r->seq >> 16),
                (uint8_t)(r->seq >> 8), (uint8_t)r->seq,
        };
        uint32_t crc;

        crc = sw_crc32(0, r->slot, sizeof(r->slot));
        crc = sw_crc32(crc, r->target, sizeof(r->target));
        return sw_crc32(crc, be, sizeof(be));
}

/* ------------------------------------------------------------------------ */
/* Building. */

/* A property of exactly size bytes: text, then zeros.  text must fit. */
static int setprop_padded(void *fdt, int node, const char *name, const char *text, size_t size)
{
        char buf[SW_MB_MSG_LEN];
        size_t n = text ? strlen(text) : 0;

        if (size > sizeof(buf) || n >= size)
                return -FDT_ERR_BADVALUE;
        memset(buf, 0, size);
        if (n)
                memcpy(buf, text, n);
        return fdt_setprop(fdt, node, name, buf, (int)size);
}

/* A property of size zero bytes (the lab bank's, see mailbox.h). */
static int setprop_zero(void *fdt, int node, const char *name, int size)
{
        void *p;
        int err = fdt_setprop_placeholder(fdt, node, name, size, &p);

        if (!err)
                memset(p, 0, (size_t)size);
        return err;
}

static int build_slot(void *fdt, int slots, const struct sw_slot_config *s, enum sw_slot_state st)
{
        char part[SW_PART_MAX + 16];
        int node, err;

        node = fdt_add_subnode(fdt, slots, s->id);
        if (node < 0)
                return node;
        err = fdt_setprop_string(fdt, node, "title", s->title);
        if (!err)
                err = fdt_setprop_string(fdt, node, "mode", sw_mode_name(s->mode));
        if (!err)
                err = setprop_padded(fdt, node, "state", sw_slot_state_name(st), SW_MB_STATE_LEN);
        if (!err && s->hotkey[0])
                err = fdt_setprop_string(fdt, node, "hotkey", s->hotkey);
        if (!err && s->part_kind != SW_PART_NONE && s->partition[0]) {
                sw_snprintf(part, sizeof(part), "%s=%s",
                            s->part_kind == SW_PART_UUID ? "PARTUUID" : "PARTLABEL", s->partition);
                err = fdt_setprop_string(fdt, node, "partition", part);
        }
        if (!err && s->partition_missing)
                err = fdt_setprop_empty(fdt, node, "partition-missing");
        if (!err)
                err = fdt_setprop_u32(fdt, node, "switches", 0);
        if (!err)
                err = fdt_setprop_u32(fdt, node, "last-switch-us", 0);
        if (!err)
                err = fdt_setprop_u32(fdt, node, "result-seq", 0);
        if (!err)
                err = fdt_setprop_u32(fdt, node, "result-status", SW_MB_OK);
        if (!err)
                err = setprop_padded(fdt, node, "result-message", "", SW_MB_MSG_LEN);
        if (!err) {
                static const uint8_t none[16];

                err = fdt_setprop(fdt, node, "store", none, sizeof(none));
        }
        if (!err)
                err = setprop_zero(fdt, node, "snapshot-identity", SW_MB_IDENTITY_SIZE);
        if (!err)
                err = setprop_zero(fdt, node, "snapshot-ram", SW_MB_RAM_SIZE);
        return err;
}

int sw_mailbox_build(void *buf, size_t size, const struct sw_config *c,
                     const enum sw_slot_state *state, int current, struct sw_diag *d)
{
        int err, slots, req, def;
        const char *cur = "";

        if (size < SW_MAILBOX_SIZE || size > INT32_MAX) {
                err = -FDT_ERR_NOSPACE;
                goto fail;
        }
        err = fdt_create_empty_tree(buf, (int)size);
        if (err)
                goto fail;
        err = fdt_setprop_u32(buf, 0, "version", SW_MAILBOX_VERSION);
        if (err)
                goto fail;
        if (current >= 0 && (unsigned)current < c->nslots && c->slots[current].valid)
                cur = c->slots[current].id;
        err = setprop_padded(buf, 0, "current", cur, SW_MB_ID_LEN);
        if (!err)
                err = setprop_padded(buf, 0, "prewarm-next", "", SW_MB_ID_LEN);
        if (err)
                goto fail;
        def = sw_config_default_index(c);
        if (def >= 0) {
                err = fdt_setprop_string(buf, 0, "default", c->slots[def].id);
                if (err)
                        goto fail;
        }
        if (c->next_hotkey[0]) {
                err = fdt_setprop_string(buf, 0, "next-hotkey", c->next_hotkey);
                if (err)
                        goto fail;
        }
        slots = fdt_add_subnode(buf, 0, "slots");
        if (slots < 0) {
                err = slots;
                goto fail;
        }
        /* fdt_add_subnode() puts a new node before its older siblings, so
         * adding them last to first leaves them in menu order. */
        for (unsigned i = c->nslots < SW_MAX_SLOTS ? c->nslots : SW_MAX_SLOTS; i-- > 0;) {
                if (!c->slots[i].valid)
                        continue;
                err = build_slot(buf, slots, &c->slots[i], state[i]);
                if (err)
                        goto fail;
        }
        req = fdt_add_subnode(buf, 0, "request");
        if (req < 0) {
                err = req;
                goto fail;
        }
        err = setprop_padded(buf, req, "slot", "", SW_MB_ID_LEN);
        if (!err)
                err = setprop_padded(buf, req, "target", "", SW_MB_ID_LEN);
        if (!err)
                err = fdt_setprop_u32(buf, req, "seq", 0);
        if (!err)
                err = fdt_setprop_u32(buf, req, "csum", 0);
        if (!err)
                err = setprop_zero(buf, 0, "lazy-ram", SW_MB_LAZY_SIZE);
        if (!err)
                err = setprop_zero(buf, 0, "adopt", SW_MB_ADOPT_SIZE);
        if (!err)
                err = setprop_zero(buf, 0, "poweroff", SW_MB_POWEROFF_SIZE);
        if (err)
                goto fail;
        /* Not packed: the switch path edits the tree in place later. */
        return 0;
fail:
        sw_diagf(d, SW_ERROR, "mailbox: cannot build the slot table: %s", fdt_strerror(err));
        return err;
}

/* ------------------------------------------------------------------------ */
/* Reading and editing in place. */

/* The value of node's property name if it is exactly len bytes, else NULL. */
static const void *prop_exact(const void *fdt, int node, const char *name, int len)
{
        int got = -1;
        const void *p = fdt_getprop(fdt, node, name, &got);

        return p && got == len ? p : NULL;
}

/* Big-endian u32 from an unaligned pointer (FDT properties are only 4-byte
 * aligned relative to the blob, and the blob may sit anywhere). */
static uint32_t be32_at(const void *p)
{
        const uint8_t *b = p;

        return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static bool u32_prop(const void *fdt, int node, const char *name, uint32_t *out)
{
        const void *p = prop_exact(fdt, node, name, 4);

        if (!p)
                return false;
        *out = be32_at(p);
        return true;
}

/* A fixed-size text field: terminated within len bytes. */
static bool text_field_ok(const char *p, size_t len)
{
        return strnlen(p, len) < len;
}

/* Terminated and zero after the terminator. */
static bool padded_field_ok(const char *p, size_t len)
{
        size_t n = strnlen(p, len);

        if (n >= len)
                return false;
        for (size_t i = n; i < len; i++)
                if (p[i])
                        return false;
        return true;
}

int sw_mb_slot_offset(const void *fdt, const char *id)
{
        int slots, node;

        slots = fdt_path_offset(fdt, "/slots");
        if (slots < 0)
                return -SW_MB_MALFORMED;
        if (!id || !id[0])
                return -SW_MB_UNKNOWN_SLOT;
        fdt_for_each_subnode(node, fdt, slots) {
                int len = -1;
                const char *name = fdt_get_name(fdt, node, &len);

                if (name && len >= 0 && strlen(id) == (size_t)len &&
                    memcmp(name, id, (size_t)len) == 0)
                        return node;
        }
        return node == -FDT_ERR_NOTFOUND ? -SW_MB_UNKNOWN_SLOT : -SW_MB_MALFORMED;
}

/* The fixed-size properties the switcher edits in place.  (No table of
 * names: a pointer array would need relocating in the resident copy.) */
static bool slot_node_ok(const void *fdt, int node)
{
        const char *state = prop_exact(fdt, node, "state", SW_MB_STATE_LEN);

        return state && text_field_ok(state, SW_MB_STATE_LEN) &&
               prop_exact(fdt, node, "result-message", SW_MB_MSG_LEN) &&
               prop_exact(fdt, node, "switches", 4) && prop_exact(fdt, node, "last-switch-us", 4) &&
               prop_exact(fdt, node, "result-seq", 4) && prop_exact(fdt, node, "result-status", 4);
}

/*
 * The blocks in the order and shape sw_mailbox_build() lays them out: the
 * header, an empty memory reservation map, the structure block, the strings
 * block, none overlapping another, all inside total.  libfdt's read-only
 * checks allow overlapping blocks, and then an in-place write of one value
 * changes another: a "state" written over the reservation map's terminator
 * made a mailbox that had passed sw_mb_check() fail it afterwards (found by
 * tests/fuzz/fuzz_mailbox.c).  Offsets and sizes are 32-bit, so the sums
 * below cannot overflow 64 bits.
 */
static bool layout_ok(const uint8_t *blob, uint32_t total)
{
        const size_t entry = sizeof(struct fdt_reserve_entry);
        uint64_t rsv = fdt_off_mem_rsvmap(blob), st = fdt_off_dt_struct(blob);
        uint64_t str = fdt_off_dt_strings(blob);

        /* Every bound first: only then is the map known to lie in the blob. */
        if (rsv < sizeof(struct fdt_header) || rsv % 8 || rsv + entry > st)
                return false;
        if (st % 4 || fdt_size_dt_struct(blob) % 4 || st + fdt_size_dt_struct(blob) > str ||
            str + fdt_size_dt_strings(blob) > total)
                return false;
        /* Empty: its first entry is the all-zero terminator. */
        for (size_t i = 0; i < entry; i++)
                if (blob[rsv + i])
                        return false;
        return true;
}

/*
 * Walks the structure block's tags with checked arithmetic before libfdt
 * does: every node name must end and every property value must fit inside
 * the block, and the walk must reach FDT_END.  libfdt 1.6.1 adds a property's
 * length to an int offset unchecked, so a length near 2^32 wraps the offset
 * backwards and fdt_check_full() loops forever: a guest could hang the
 * switcher with one word (found by tests/fuzz/fuzz_mailbox.c; input in
 * tests/fuzz/regress/mailbox/).  Depth, names and string offsets are left
 * to fdt_check_full(), which is safe once no length can wrap.  Call
 * layout_ok() first: the block must lie inside the blob.
 */
static bool struct_block_ok(const uint8_t *blob)
{
        uint64_t len = fdt_size_dt_struct(blob), pos = 0;
        const uint8_t *st = blob + fdt_off_dt_struct(blob);

        while (pos + 4 <= len) {
                uint32_t tag = be32_at(st + pos);
                uint64_t n;

                pos += 4;
                switch (tag) {
                case FDT_BEGIN_NODE:
                        for (n = 0; pos + n < len && st[pos + n]; n++)
                                ;
                        if (pos + n == len)
                                return false;
                        pos += n + 1;
                        break;
                case FDT_PROP:
                        if (len - pos < 8)
                                return false;
                        n = be32_at(st + pos);
                        pos += 8;
                        if (n > len - pos)
                                return false;
                        pos += n;
                        break;
                case FDT_END_NODE:
                case FDT_NOP:
                        break;
                case FDT_END:
                        return true;
                default:
                        return false;
                }
                pos = (pos + 3) & ~(uint64_t)3;
        }
        return false;
}

int sw_mb_check(const void *fdt, size_t size)
{
        uint32_t version;
        const char *cur;
        int slots, req, node;

        if (!fdt || size < sizeof(struct fdt_header) || fdt_magic(fdt) != FDT_MAGIC)
                return -SW_MB_MALFORMED;
        /*
         * Only the header version sw_mailbox_build() writes (17, compatible
         * with 16).  libfdt still reads versions 2 to 15, and its 1.6.1
         * fdt_check_full() dereferences NULL on such a tree: for them
         * fdt_get_name() looks for a '/' in the root node's name, finds
         * none and returns NULL, which the check then reads.  A guest
         * writing two header words must not crash the switcher (found by
         * tests/fuzz/fuzz_mailbox.c; input in tests/fuzz/regress/mailbox/).
         */
        if (fdt_version(fdt) != FDT_LAST_SUPPORTED_VERSION ||
            fdt_last_comp_version(fdt) != FDT_LAST_COMPATIBLE_VERSION)
                return -SW_MB_MALFORMED;
        if (fdt_totalsize(fdt) > size || !layout_ok(fdt, fdt_totalsize(fdt)) ||
            !struct_block_ok(fdt) || fdt_check_full(fdt, size) != 0)
                return -SW_MB_MALFORMED;
        if (!u32_prop(fdt, 0, "version", &version) || version != SW_MAILBOX_VERSION)
                return -SW_MB_MALFORMED;
        cur = prop_exact(fdt, 0, "current", SW_MB_ID_LEN);
        if (!cur || !text_field_ok(cur, SW_MB_ID_LEN))
                return -SW_MB_MALFORMED;
        slots = fdt_path_offset(fdt, "/slots");
        if (slots < 0)
                return -SW_MB_MALFORMED;
        fdt_for_each_subnode(node, fdt, slots) {
                if (!slot_node_ok(fdt, node))
                        return -SW_MB_MALFORMED;
        }
        if (node != -FDT_ERR_NOTFOUND)
                return -SW_MB_MALFORMED;
        req = fdt_path_offset(fdt, "/request");
        if (req < 0 || !prop_exact(fdt, req, "slot", SW_MB_ID_LEN) ||
            !prop_exact(fdt, req, "target", SW_MB_ID_LEN) || !prop_exact(fdt, req, "seq", 4) ||
            !prop_exact(fdt, req, "csum", 4))
                return -SW_MB_MALFORMED;
        return 0;
}

int sw_mb_request_read(const void *fdt, struct sw_mb_request *r)
{
        const char *slot, *target;
        int req;

        memset(r, 0, sizeof(*r));
        req = fdt_path_offset(fdt, "/request");
        if (req < 0)
                return -SW_MB_MALFORMED;
        slot = prop_exact(fdt, req, "slot", SW_MB_ID_LEN);
        target = prop_exact(fdt, req, "target", SW_MB_ID_LEN);
        if (!slot || !target || !padded_field_ok(slot, SW_MB_ID_LEN) ||
            !padded_field_ok(target, SW_MB_ID_LEN) || !u32_prop(fdt, req, "seq", &r->seq) ||
            !u32_prop(fdt, req, "csum", &r->csum)) {
                memset(r, 0, sizeof(*r));
                return -SW_MB_MALFORMED;
        }
        memcpy(r->slot, slot, SW_MB_ID_LEN);
        memcpy(r->target, target, SW_MB_ID_LEN);
        return 0;
}

static bool request_is_zero(const struct sw_mb_request *r)
{
        for (size_t i = 0; i < SW_MB_ID_LEN; i++)
                if (r->slot[i] || r->target[i])
                        return false;
        return r->seq == 0 && r->csum == 0;
}

enum sw_mb_status sw_mb_request_validate(const void *fdt, const struct sw_mb_request *r,
                                         const char *current_id)
{
        uint32_t prev;
        int node;

        if (request_is_zero(r))
                return SW_MB_NO_REQUEST;
        if (r->csum != sw_mb_request_csum(r))
                return SW_MB_BAD_CSUM;
        /* r may not come from sw_mb_request_read(): bound every string. */
        if (!text_field_ok(r->slot, SW_MB_ID_LEN) || !text_field_ok(r->target, SW_MB_ID_LEN))
                return SW_MB_MALFORMED;
        if (!current_id || strcmp(r->slot, current_id) != 0)
                return SW_MB_MALFORMED;
        node = sw_mb_slot_offset(fdt, r->target);
        if (node == -SW_MB_UNKNOWN_SLOT)
                return SW_MB_UNKNOWN_SLOT;
        if (node < 0)
                return SW_MB_MALFORMED;
        if (strcmp(r->target, current_id) == 0)
                return SW_MB_SAME_SLOT;
        node = sw_mb_slot_offset(fdt, current_id);
        if (node < 0 || !u32_prop(fdt, node, "result-seq", &prev))
                return SW_MB_MALFORMED;
        if (r->seq != prev + 1u)
                return SW_MB_BAD_SEQ;
        return SW_MB_OK;
}

/* Overwrites an existing property of exactly size bytes with text + zeros. */
static int set_padded(void *fdt, int node, const char *name, const char *text, size_t size,
                      bool cut)
{
        char buf[SW_MB_MSG_LEN];
        size_t n = text ? strlen(text) : 0;

        if (size > sizeof(buf))
                return -SW_MB_MALFORMED;
        if (n >= size) {
                if (!cut)
                        return -SW_MB_MALFORMED;
                n = size - 1;
        }
        memset(buf, 0, size);
        if (n)
                memcpy(buf, text, n);
        return fdt_setprop_inplace(fdt, node, name, buf, (int)size) ? -SW_MB_MALFORMED : 0;
}

static int set_u32(void *fdt, int node, const char *name, uint32_t v)
{
        /* fdt_setprop_inplace_u32 fails unless the property is exactly 4 bytes. */
        return fdt_setprop_inplace_u32(fdt, node, name, v) ? -SW_MB_MALFORMED : 0;
}

/* An id that fits a 64-byte field with its terminator. */
static bool id_ok(const char *id)
{
        return id && id[0] && strnlen(id, SW_MB_ID_LEN) < SW_MB_ID_LEN;
}

int sw_mb_request_write(void *fdt, const char *slot, const char *target, uint32_t seq)
{
        struct sw_mb_request r;
        int req, err;

        if (!id_ok(slot) || !id_ok(target))
                return -SW_MB_MALFORMED;
        memset(&r, 0, sizeof(r));
        memcpy(r.slot, slot, strlen(slot));
        memcpy(r.target, target, strlen(target));
        r.seq = seq;
        r.csum = sw_mb_request_csum(&r);
        req = fdt_path_offset(fdt, "/request");
        if (req < 0)
                return -SW_MB_MALFORMED;
        err = set_padded(fdt, req, "slot", r.slot, SW_MB_ID_LEN, false);
        if (!err)
                err = set_padded(fdt, req, "target", r.target, SW_MB_ID_LEN, false);
        if (!err)
                err = set_u32(fdt, req, "seq", r.seq);
        if (!err)
                err = set_u32(fdt, req, "csum", r.csum);
        return err;
}

int sw_mb_request_clear(void *fdt)
{
        int req, err;

        req = fdt_path_offset(fdt, "/request");
        if (req < 0)
                return -SW_MB_MALFORMED;
        err = set_padded(fdt, req, "slot", "", SW_MB_ID_LEN, false);
        if (!err)
                err = set_padded(fdt, req, "target", "", SW_MB_ID_LEN, false);
        if (!err)
                err = set_u32(fdt, req, "seq", 0);
        if (!err)
                err = set_u32(fdt, req, "csum", 0);
        return err;
}

int sw_mb_set_result(void *fdt, const char *slot, uint32_t seq, enum sw_mb_status st,
                     const char *msg)
{
        int node = sw_mb_slot_offset(fdt, slot);
        int err;

        if (node < 0)
                return node;
        err = set_u32(fdt, node, "result-seq", seq);
        if (!err)
                err = set_u32(fdt, node, "result-status", (uint32_t)st);
        if (!err)
                err = set_padded(fdt, node, "result-message", msg, SW_MB_MSG_LEN, true);
        return err;
}

int sw_mb_get_result(const void *fdt, const char *slot, uint32_t *seq, uint32_t *st, char *msg,
                     size_t n)
{
        int node = sw_mb_slot_offset(fdt, slot);
        const char *m;
        uint32_t s, q;
        size_t len;

        if (msg && n)
                msg[0] = '\0';
        if (node < 0)
                return node;
        m = prop_exact(fdt, node, "result-message", SW_MB_MSG_LEN);
        if (!m || !text_field_ok(m, SW_MB_MSG_LEN) || !u32_prop(fdt, node, "result-seq", &q) ||
            !u32_prop(fdt, node, "result-status", &s))
                return -SW_MB_MALFORMED;
        if (seq)
                *seq = q;
        if (st)
                *st = s;
        if (msg && n) {
                len = strlen(m);
                if (len >= n)
                        len = n - 1;
                memcpy(msg, m, len);
                msg[len] = '\0';
        }
        return 0;
}

int sw_mb_set_state(void *fdt, const char *slot, enum sw_slot_state st)
{
        int node;

        if ((unsigned)st > SW_SLOT_FAILED)
                return -SW_MB_MALFORMED;
        node = sw_mb_slot_offset(fdt, slot);
        if (node < 0)
                return node;
        return set_padded(fdt, node, "state", sw_slot_state_name(st), SW_MB_STATE_LEN, false);
}

int sw_mb_set_current(void *fdt, const char *slot)
{
        if (slot && strnlen(slot, SW_MB_ID_LEN) >= SW_MB_ID_LEN)
                return -SW_MB_MALFORMED;
        return set_padded(fdt, 0, "current", slot, SW_MB_ID_LEN, false);
}

int sw_mb_note_switch(void *fdt, const char *slot, uint32_t switch_us)
{
        int node = sw_mb_slot_offset(fdt, slot);
        uint32_t n;
        int err;

        if (node < 0)
                return node;
        if (!u32_prop(fdt, node, "switches", &n))
                return -SW_MB_MALFORMED;
        err = set_u32(fdt, node, "switches", n + 1u);
        if (!err)
                err = set_u32(fdt, node, "last-switch-us", switch_us);
        return err;
}

int sw_mb_set_store(void *fdt, const char *slot, uint64_t base, uint64_t size)
{
        uint8_t v[16];
        int node = sw_mb_slot_offset(fdt, slot);

        if (node < 0)
                return node;
        for (unsigned i = 0; i < 8; i++) {
                v[i] = (uint8_t)(base >> (56 - 8 * i));
                v[8 + i] = (uint8_t)(size >> (56 - 8 * i));
        }
        return fdt_setprop_inplace(fdt, node, "store", v, sizeof(v)) ? -SW_MB_MALFORMED : 0;
}

int sw_mb_get_store(const void *fdt, const char *slot, uint64_t *base, uint64_t *size)
{
        int node = sw_mb_slot_offset(fdt, slot);
        const uint8_t *p;

        if (node < 0)
                return node;
        p = prop_exact(fdt, node, "store", 16);
        if (!p)
                return -SW_MB_MALFORMED;
        *base = 0;
        *size = 0;
        for (unsigned i = 0; i < 8; i++) {
                *base = *base << 8 | p[i];
                *size = *size << 8 | p[8 + i];
        }
        return 0;
}

int sw_mb_set_prewarm_next(void *fdt, const char *slot)
{
        if (slot && strnlen(slot, SW_MB_ID_LEN) >= SW_MB_ID_LEN)
                return -SW_MB_MALFORMED;
        return set_padded(fdt, 0, "prewarm-next", slot, SW_MB_ID_LEN, false);
}

int sw_mb_get_prewarm_next(const void *fdt, char out[SW_MB_ID_LEN])
{
        const char *p = prop_exact(fdt, 0, "prewarm-next", SW_MB_ID_LEN);

        out[0] = '\0';
        if (!p || !text_field_ok(p, SW_MB_ID_LEN))
                return -SW_MB_MALFORMED;
        memcpy(out, p, SW_MB_ID_LEN);
        return 0;
}

/* ------------------------------------------------------------------------ */
/* The lab bank's properties (see mailbox.h). */

static void put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
        for (unsigned i = 0; i < bytes; i++)
                p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned bytes)
{
        uint64_t v = 0;

        for (unsigned i = 0; i < bytes; i++)
                v = v << 8 | p[i];
        return v;
}

int sw_mb_set_identity(void *fdt, const char *slot, const struct sw_mb_identity *id)
{
        uint8_t v[SW_MB_IDENTITY_SIZE];
        int node = sw_mb_slot_offset(fdt, slot);
        size_t n = strnlen(id->kernel, SW_MB_KERNEL_LEN - 1);

        if (node < 0)
                return node;
        memset(v, 0, sizeof(v));
        memcpy(v, id->kernel, n);
        put_be(v + SW_MB_KERNEL_LEN, id->kernel_size, 8);
        put_be(v + SW_MB_KERNEL_LEN + 8, id->layout, 8);
        put_be(v + SW_MB_KERNEL_LEN + 16, id->config_hash, 8);
        put_be(v + SW_MB_KERNEL_LEN + 24, id->vector, 4);
        return fdt_setprop_inplace(fdt, node, "snapshot-identity", v, sizeof(v)) ? -SW_MB_MALFORMED : 0;
}

int sw_mb_get_identity(const void *fdt, const char *slot, struct sw_mb_identity *id)
{
        int node = sw_mb_slot_offset(fdt, slot);
        const uint8_t *p;

        memset(id, 0, sizeof(*id));
        if (node < 0)
                return node;
        p = prop_exact(fdt, node, "snapshot-identity", SW_MB_IDENTITY_SIZE);
        if (!p || !text_field_ok((const char *)p, SW_MB_KERNEL_LEN))
                return -SW_MB_MALFORMED;
        memcpy(id->kernel, p, SW_MB_KERNEL_LEN);
        id->kernel_size = get_be(p + SW_MB_KERNEL_LEN, 8);
        id->layout = get_be(p + SW_MB_KERNEL_LEN + 8, 8);
        id->config_hash = get_be(p + SW_MB_KERNEL_LEN + 16, 8);
        id->vector = (uint32_t)get_be(p + SW_MB_KERNEL_LEN + 24, 4);
        return 0;
}

int sw_mb_set_lazy(void *fdt, const struct sw_mb_lazy *l)
{
        uint8_t v[SW_MB_LAZY_SIZE];

        if (strnlen(l->owner, SW_MB_ID_LEN) >= SW_MB_ID_LEN)
                return -SW_MB_MALFORMED;
        memset(v, 0, sizeof(v));
        memcpy(v, l->owner, strlen(l->owner));
        put_be(v + SW_MB_ID_LEN, l->n, 4);
        for (unsigned i = 0; i < l->n && i < SW_MB_LAZY_MAX; i++) {
                uint8_t *e = v + SW_MB_ID_LEN + 4 + 24 * i;

                put_be(e, l->piece[i].store, 8);
                put_be(e + 8, l->piece[i].now, 8);
                put_be(e + 16, l->piece[i].size, 8);
        }
        return fdt_setprop_inplace(fdt, 0, "lazy-ram", v, sizeof(v)) ? -SW_MB_MALFORMED : 0;
}

int sw_mb_get_lazy(const void *fdt, struct sw_mb_lazy *l)
{
        const uint8_t *p = prop_exact(fdt, 0, "lazy-ram", SW_MB_LAZY_SIZE);

        memset(l, 0, sizeof(*l));
        if (!p || !padded_field_ok((const char *)p, SW_MB_ID_LEN))
                return -SW_MB_MALFORMED;
        memcpy(l->owner, p, SW_MB_ID_LEN);
        l->n = (uint32_t)get_be(p + SW_MB_ID_LEN, 4);
        for (unsigned i = 0; i < l->n && i < SW_MB_LAZY_MAX; i++) {
                const uint8_t *e = p + SW_MB_ID_LEN + 4 + 24 * i;

                l->piece[i].store = get_be(e, 8);
                l->piece[i].now = get_be(e + 8, 8);
                l->piece[i].size = get_be(e + 16, 8);
        }
        return 0;
}

uint32_t sw_mb_adopt_csum(const struct sw_mb_adopt *a)
{
        uint8_t be[8];
        uint32_t crc;

        put_be(be, a->ram_hash, 8);
        crc = sw_crc32(0, a->slot, sizeof(a->slot));
        crc = sw_crc32(crc, a->header, sizeof(a->header));
        return sw_crc32(crc, be, sizeof(be));
}

static void adopt_encode(const struct sw_mb_adopt *a, uint8_t v[SW_MB_ADOPT_SIZE])
{
        memcpy(v, a->slot, SW_MB_ID_LEN);
        memcpy(v + SW_MB_ID_LEN, a->header, SW_MB_ADOPT_HEADER_LEN);
        put_be(v + SW_MB_ID_LEN + SW_MB_ADOPT_HEADER_LEN, a->ram_hash, 8);
        put_be(v + SW_MB_ID_LEN + SW_MB_ADOPT_HEADER_LEN + 8, a->csum, 4);
}

int sw_mb_adopt_write(void *fdt, const char *slot, const uint8_t header[SW_MB_ADOPT_HEADER_LEN],
                      uint64_t ram_hash)
{
        static struct sw_mb_adopt a;
        static uint8_t v[SW_MB_ADOPT_SIZE];

        if (!id_ok(slot))
                return -SW_MB_MALFORMED;
        memset(&a, 0, sizeof(a));
        memcpy(a.slot, slot, strlen(slot));
        memcpy(a.header, header, SW_MB_ADOPT_HEADER_LEN);
        a.ram_hash = ram_hash;
        a.csum = sw_mb_adopt_csum(&a);
        adopt_encode(&a, v);
        return fdt_setprop_inplace(fdt, 0, "adopt", v, sizeof(v)) ? -SW_MB_MALFORMED : 0;
}

int sw_mb_adopt_read(const void *fdt, struct sw_mb_adopt *a)
{
        const uint8_t *p = prop_exact(fdt, 0, "adopt", SW_MB_ADOPT_SIZE);
        bool zero = true;

        memset(a, 0, sizeof(*a));
        if (!p)
                return 1;
        for (size_t i = 0; i < SW_MB_ADOPT_SIZE && zero; i++)
                zero = p[i] == 0;
        if (zero)
                return 1;
        memcpy(a->slot, p, SW_MB_ID_LEN);
        memcpy(a->header, p + SW_MB_ID_LEN, SW_MB_ADOPT_HEADER_LEN);
        a->ram_hash = get_be(p + SW_MB_ID_LEN + SW_MB_ADOPT_HEADER_LEN, 8);
        a->csum = (uint32_t)get_be(p + SW_MB_ID_LEN + SW_MB_ADOPT_HEADER_LEN + 8, 4);
        if (a->csum != sw_mb_adopt_csum(a))
                return -SW_MB_BAD_CSUM;
        if (!padded_field_ok(a->slot, SW_MB_ID_LEN) || !a->slot[0])
                return -SW_MB_MALFORMED;
        return 0;
}

int sw_mb_adopt_clear(void *fdt)
{
        static const uint8_t zero[SW_MB_ADOPT_SIZE];

        return fdt_setprop_inplace(fdt, 0, "adopt", zero, sizeof(zero)) ? -SW_MB_MALFORMED : 0;
}

/* ------------------------------------------------------------------------ */
/* A machine power-off under way (see mailbox.h). */

/* The text fields of /poweroff in their order, after the phase. */
#define PO_FIELDS(X, p)                                                                                  \
        X(p->from, SW_MB_ID_LEN) X(p->saver, SW_MB_ID_LEN) X(p->fstype, SW_MB_FSTYPE_LEN)             \
        X(p->part, SW_MB_PART_LEN) X(p->path, SW_MB_PATH_LEN) X(p->message, SW_MB_MSG_LEN)

int sw_mb_set_poweroff(void *fdt, const struct sw_mb_poweroff *p)
{
        static uint8_t v[SW_MB_POWEROFF_SIZE];
        size_t at = 4;
        bool ok = p->phase < SW_MB_PO_MAX;

        memset(v, 0, sizeof(v));
        put_be(v, p->phase, 4);
        /* Each field's text, then zeros up to its size (the last byte
         * always a terminator). */
#define PO_PUT(f, len)                                                                                   \
        if (strnlen(f, len) < len)                                                                       \
                memcpy(v + at, f, strlen(f));                                                            \
        else                                                                                             \
                ok = false;                                                                              \
        at += len;
        PO_FIELDS(PO_PUT, p)
#undef PO_PUT
        if (!ok)
                return -SW_MB_MALFORMED;
        put_be(v + at, sw_crc32(0, v, at), 4);
        return fdt_setprop_inplace(fdt, 0, "poweroff", v, sizeof(v)) ? -SW_MB_MALFORMED : 0;
}

int sw_mb_get_poweroff(const void *fdt, struct sw_mb_poweroff *p)
{
        const uint8_t *v = prop_exact(fdt, 0, "poweroff", SW_MB_POWEROFF_SIZE);
        size_t at = 4;
        bool zero = true, ok;

        memset(p, 0, sizeof(*p));
        if (!v)
                return 1;
        for (size_t i = 0; i < SW_MB_POWEROFF_SIZE && zero; i++)
                zero = v[i] == 0;
        if (zero)
                return 1;
        if (get_be(v + SW_MB_POWEROFF_SIZE - 4, 4) != sw_crc32(0, v, SW_MB_POWEROFF_SIZE - 4))
                return -SW_MB_BAD_CSUM;
        p->phase = (uint32_t)get_be(v, 4);
        ok = p->phase > SW_MB_PO_NONE && p->phase < SW_MB_PO_MAX;
#define PO_GET(f, len)                                                                                   \
        ok = ok && padded_field_ok((const char *)v + at, len);                                          \
        if (ok)                                                                                          \
                memcpy(f, v + at, len);                                                                  \
        at += len;
        PO_FIELDS(PO_GET, p)
#undef PO_GET
        if (!ok) {
                memset(p, 0, sizeof(*p));
                return -SW_MB_MALFORMED;
        }
        return 0;
}

int sw_mb_poweroff_clear(void *fdt)
{
        static const uint8_t zero[SW_MB_POWEROFF_SIZE];

        return fdt_setprop_inplace(fdt, 0, "poweroff", zero, sizeof(zero)) ? -SW_MB_MALFORMED : 0;
}

int sw_mb_set_ram(void *fdt, const char *slot, const struct sw_mb_ram *r)
{
        uint8_t v[SW_MB_RAM_SIZE];
        int node = sw_mb_slot_offset(fdt, slot);

        if (node < 0)
                return node;
        if (r->n > SW_MB_RAM_MAX)
                return -SW_MB_MALFORMED;
        memset(v, 0, sizeof(v));
        put_be(v, r->n, 4);
        for (unsigned i = 0; i < r->n; i++) {
                uint8_t *e = v + 4 + 20 * i;

                put_be(e, r->r[i].addr, 8);
                put_be(e + 8, r->r[i].size, 8);
                put_be(e + 16, r->r[i].kind, 4);
        }
        return fdt_setprop_inplace(fdt, node, "snapshot-ram", v, sizeof(v)) ? -SW_MB_MALFORMED : 0;
}

int sw_mb_get_ram(const void *fdt, const char *slot, struct sw_mb_ram *r)
{
        int node = sw_mb_slot_offset(fdt, slot);
        const uint8_t *p;

        memset(r, 0, sizeof(*r));
        if (node < 0)
                return node;
        p = prop_exact(fdt, node, "snapshot-ram", SW_MB_RAM_SIZE);
        if (!p || get_be(p, 4) > SW_MB_RAM_MAX)
                return -SW_MB_MALFORMED;
        r->n = (uint32_t)get_be(p, 4);
        for (unsigned i = 0; i < r->n; i++) {
                const uint8_t *e = p + 4 + 20 * i;

                r->r[i].addr = get_be(e, 8);
                r->r[i].size = get_be(e + 8, 8);
                r->r[i].kind = (uint32_t)get_be(e + 16, 4);
                if (!r->r[i].size) {
                        memset(r, 0, sizeof(*r));
                        return -SW_MB_MALFORMED;
                }
        }
        return 0;
}
