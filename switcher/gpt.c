/* SPDX-License-Identifier: MIT */
/*
 * The GPT reader (see gpt.h).  No allocation: the header is read into a
 * fixed buffer and the entry array in small chunks whose CRC is carried
 * from one to the next, so the EFI binary, the agent and mkslot share it
 * as it is.
 */
#include <string.h>

#include "fmt.h"
#include "gpt.h"
#include "mailbox.h"

/* Offsets in the header (UEFI 2.10, table 5-5). */
#define H_SIG 0x00
#define H_SIZE 0x0c
#define H_CRC 0x10
#define H_ENTRIES_LBA 0x48
#define H_NUM_ENTRIES 0x50
#define H_ENTRY_SIZE 0x54
#define H_ENTRIES_CRC 0x58
#define H_MIN_SIZE 92

/* Offsets in an entry (table 5-6). */
#define E_TYPE 0x00
#define E_UUID 0x10
#define E_FIRST 0x20
#define E_LAST 0x28
#define E_NAME 0x38
#define E_SIZE 128

/* The header is read whole into this buffer: headers are 92 bytes and a
 * block holds them, but the header-size field may claim up to one block. */
#define HDR_BUF 4096
/* The entry array is read and checked in chunks of this many bytes. */
#define CHUNK 4096
#define MAX_ENTRIES 4096
#define MAX_ENTRY_SIZE 4096
#define MAX_ARRAY (1u << 20)

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
        return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

void sw_gpt_guid_str(const uint8_t g[16], char out[37])
{
        sw_snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                    g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12],
                    g[13], g[14], g[15]);
}

/* UTF-16LE (36 units, NUL-terminated or not) to UTF-8; an unpaired
 * surrogate becomes U+FFFD. */
static void name_to_utf8(const uint8_t *in, char *out, size_t n)
{
        size_t o = 0;

        for (unsigned i = 0; i < 36; i++) {
                uint32_t c = (uint32_t)in[2 * i] | (uint32_t)in[2 * i + 1] << 8, lo;
                char b[4];
                size_t k;

                if (!c)
                        break;
                lo = i + 1 < 36 ? ((uint32_t)in[2 * i + 2] | (uint32_t)in[2 * i + 3] << 8) : 0;
                if (c >= 0xd800 && c <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
                        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
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

static bool all_zero(const uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (p[i])
                        return false;
        return true;
}

/* Adds the entry at e (number index) to out unless it is unused. */
static int take_entry(struct sw_gpt *out, const uint8_t *e, unsigned index, char *why, size_t n)
{
        struct sw_gpt_part *p;

        if (all_zero(e + E_TYPE, 16))
                return 0;
        if (out->nparts == SW_GPT_MAX_PARTS) {
                sw_snprintf(why, n, "GPT has more than %u used entries", SW_GPT_MAX_PARTS);
                return -1;
        }
        p = &out->parts[out->nparts++];
        memset(p, 0, sizeof(*p));
        p->index = index;
        memcpy(p->type, e + E_TYPE, 16);
        memcpy(p->uuid, e + E_UUID, 16);
        p->first_lba = le64(e + E_FIRST);
        p->last_lba = le64(e + E_LAST);
        sw_gpt_guid_str(p->type, p->type_str);
        sw_gpt_guid_str(p->uuid, p->uuid_str);
        name_to_utf8(e + E_NAME, p->name, sizeof(p->name));
        return 0;
}

int sw_gpt_read(sw_gpt_read_fn rd, void *ctx, unsigned bs, struct sw_gpt *out, char *why, size_t n)
{
        static uint8_t hdr[HDR_BUF];
        static uint8_t chunk[CHUNK];
        uint32_t hsize, want, crc, nent, esize;
        uint64_t elba, len, done;
        unsigned index = 1;

        out->nparts = 0;
        out->nentries = 0;
        if (bs < 512 || bs > 65536 || (bs & (bs - 1))) {
                sw_snprintf(why, n, "logical block size %u is not a power of two in 512..65536", bs);
                return SW_GPT_BAD;
        }
        if (rd(ctx, bs, hdr, H_MIN_SIZE) < 0) {
                sw_snprintf(why, n, "cannot read LBA 1");
                return SW_GPT_BAD;
        }
        if (memcmp(hdr + H_SIG, "EFI PART", 8) != 0) {
                sw_snprintf(why, n, "no GPT (LBA 1 has no \"EFI PART\" signature)");
                return SW_GPT_NONE;
        }
        hsize = le32(hdr + H_SIZE);
        if (hsize < H_MIN_SIZE || hsize > bs || hsize > HDR_BUF) {
                sw_snprintf(why, n, "GPT header size %u is outside 92..%u", hsize, bs < HDR_BUF ? bs : HDR_BUF);
                return SW_GPT_BAD;
        }
        if (hsize > H_MIN_SIZE && rd(ctx, bs, hdr, hsize) < 0) {
                sw_snprintf(why, n, "cannot read LBA 1");
                return SW_GPT_BAD;
        }
        want = le32(hdr + H_CRC);
        memset(hdr + H_CRC, 0, 4);
        crc = sw_crc32(0, hdr, hsize);
        if (crc != want) {
                sw_snprintf(why, n, "GPT header CRC is 0x%08x, computed 0x%08x", want, crc);
                return SW_GPT_BAD;
        }
        elba = le64(hdr + H_ENTRIES_LBA);
        nent = le32(hdr + H_NUM_ENTRIES);
        esize = le32(hdr + H_ENTRY_SIZE);
        if (nent == 0 || nent > MAX_ENTRIES || esize < E_SIZE || esize > MAX_ENTRY_SIZE || esize % 8 != 0) {
                sw_snprintf(why, n, "GPT has %u entries of %u bytes: not a sane table", nent, esize);
                return SW_GPT_BAD;
        }
        len = (uint64_t)nent * esize;
        if (len > MAX_ARRAY || elba < 2 || elba > UINT64_MAX / bs - 1) {
                sw_snprintf(why, n, "GPT entry array (%llu bytes at LBA %llu) is out of bounds",
                            (unsigned long long)len, (unsigned long long)elba);
                return SW_GPT_BAD;
        }
        out->nentries = nent;
        /* Entries are taken whole from each chunk; a chunk is a multiple
         * of the entry size (or one entry when entries exceed a chunk, in
         * which case only its first 128 bytes matter and the rest is read
         * for the CRC alone). */
        crc = 0;
        for (done = 0; done < len;) {
                uint64_t step = esize <= CHUNK ? (CHUNK / esize) * esize : CHUNK;

                if (step > len - done)
                        step = len - done;
                if (rd(ctx, elba * bs + done, chunk, (size_t)step) < 0) {
                        sw_snprintf(why, n, "cannot read the GPT entries at LBA %llu", (unsigned long long)elba);
                        return SW_GPT_BAD;
                }
                crc = sw_crc32(crc, chunk, (size_t)step);
                if (esize <= CHUNK) {
                        for (uint64_t o = 0; o < step; o += esize)
                                if (take_entry(out, chunk + o, index++, why, n) < 0)
                                        return SW_GPT_BAD;
                } else if (done % esize == 0) {
                        if (take_entry(out, chunk, index++, why, n) < 0)
                                return SW_GPT_BAD;
                }
                done += step;
        }
        want = le32(hdr + H_ENTRIES_CRC);
        if (crc != want) {
                out->nparts = 0;
                sw_snprintf(why, n, "GPT entry array CRC is 0x%08x, computed 0x%08x", want, crc);
                return SW_GPT_BAD;
        }
        return SW_GPT_OK;
}

/* ASCII case-insensitive equality (uuids are ASCII hex). */
static bool eq_nocase(const char *a, const char *b)
{
        for (; *a && *b; a++, b++) {
                char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
                char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

                if (x != y)
                        return false;
        }
        return *a == *b;
}

bool sw_gpt_matches(const struct sw_gpt_part *p, enum sw_part_kind kind, const char *value)
{
        if (kind == SW_PART_LABEL)
                return strcmp(p->name, value) == 0;
        if (kind == SW_PART_UUID)
                return eq_nocase(p->uuid_str, value);
        return false;
}

bool sw_gpt_matches_spec(const struct sw_gpt_part *p, const char *spec)
{
        if (strncmp(spec, "PARTLABEL=", 10) == 0)
                return sw_gpt_matches(p, SW_PART_LABEL, spec + 10);
        if (strncmp(spec, "PARTUUID=", 9) == 0)
                return sw_gpt_matches(p, SW_PART_UUID, spec + 9);
        return false;
}

const struct sw_gpt_part *sw_gpt_find(const struct sw_gpt *g, enum sw_part_kind kind, const char *value)
{
        for (unsigned i = 0; i < g->nparts; i++)
                if (sw_gpt_matches(&g->parts[i], kind, value))
                        return &g->parts[i];
        return NULL;
}

const struct sw_gpt_part *sw_gpt_entry(const struct sw_gpt *g, unsigned index)
{
        for (unsigned i = 0; i < g->nparts; i++)
                if (g->parts[i].index == index)
                        return &g->parts[i];
        return NULL;
}

unsigned sw_gpt_check_config(struct sw_config *c, const struct sw_gpt *const *disks, unsigned ndisks,
                             unsigned unreadable, struct sw_diag *d)
{
        unsigned flagged = 0;
        char extra[96] = "";

        for (unsigned i = 0; i < c->nslots; i++) {
                struct sw_slot_config *s = &c->slots[i];
                bool found = false;

                s->partition_missing = false;
                if (!s->valid || s->part_kind == SW_PART_NONE || !s->partition[0])
                        continue;
                for (unsigned k = 0; k < ndisks && !found; k++)
                        found = sw_gpt_find(disks[k], s->part_kind, s->partition) != NULL;
                if (found)
                        continue;
                s->partition_missing = true;
                flagged++;
                if (unreadable)
                        sw_snprintf(extra, sizeof(extra), " (%u disk(s) whose GPT could not be read were not searched)",
                                    unreadable);
                sw_diagf(d, SW_WARN, "%s:%u: slot '%s': partition %s=%s: no such partition on any disk%s",
                         c->filename, s->partition_line, s->id,
                         s->part_kind == SW_PART_UUID ? "PARTUUID" : "PARTLABEL", s->partition, extra);
        }
        return flagged;
}
