/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "fmt.h"
#include "hash64.h"
#include "savestate.h"

_Static_assert(offsetof(struct sw_save_header, hdr_hash) + sizeof(uint64_t) == sizeof(struct sw_save_header),
               "hdr_hash is the last field: it covers every byte before it");

const char *sw_save_verdict_name(enum sw_save_verdict v)
{
        static const char *const names[] = {
                [SW_SAVE_OK] = "ok",
                [SW_SAVE_ERR_NONE] = "never-saved",
                [SW_SAVE_ERR_CONSUMED] = "consumed",
                [SW_SAVE_ERR_HEADER] = "header-damaged",
                [SW_SAVE_ERR_IDENTITY] = "identity-mismatch",
                [SW_SAVE_ERR_DATA] = "data-mismatch",
        };

        return SW_ENUM_NAME(names, v, "unknown");
}

/* Copies text into a fixed field, cut to fit, the rest zero. */
static void put_text(char *dst, size_t size, const char *src)
{
        size_t n = src ? strnlen(src, size - 1) : 0;

        memset(dst, 0, size);
        if (n)
                memcpy(dst, src, n);
}

void sw_save_identity_make(struct sw_save_identity *id, const struct sw_slot_config *s,
                           const char *kernel_release, uint64_t kernel_size, const void *e820,
                           size_t e820_bytes, uint64_t store_base, uint64_t store_size)
{
        char part[SW_PART_MAX + 16];

        memset(id, 0, sizeof(*id));
        put_text(id->slot, sizeof(id->slot), s->id);
        put_text(id->kernel, sizeof(id->kernel), kernel_release);
        id->kernel_size = kernel_size;
        part[0] = '\0';
        if (s->part_kind != SW_PART_NONE)
                sw_snprintf(part, sizeof(part), "%s=%s", s->part_kind == SW_PART_UUID ? "PARTUUID" : "PARTLABEL",
                            s->partition);
        put_text(id->partition, sizeof(id->partition), part);
        id->layout = e820 && e820_bytes ? sw_hash64(e820, e820_bytes, 0) : 0;
        id->store_base = store_base;
        id->store_size = store_size;
}

static uint64_t seal(const struct sw_save_header *h)
{
        return sw_hash64(h, offsetof(struct sw_save_header, hdr_hash), 0);
}

void sw_save_record(struct sw_save_header *h, const struct sw_save_identity *id, bool hashed,
                    uint64_t data_hash)
{
        uint32_t saves = 0;

        /* The count carries on only from an intact header of this slot. */
        if (h->magic == SW_SAVE_MAGIC && h->hdr_hash == seal(h) && !memcmp(h->id.slot, id->slot, sizeof(id->slot)))
                saves = h->saves;
        memset(h, 0, sizeof(*h));
        h->magic = SW_SAVE_MAGIC;
        h->status = SW_SAVE_VALID;
        h->saves = saves + 1;
        h->flags = hashed ? SW_SAVE_HASHED : 0;
        h->id = *id;
        h->data_hash = hashed ? data_hash : 0;
        h->hdr_hash = seal(h);
}

/* The first identity field that differs, said as "saved for X, the slot now
 * has Y". */
static void identity_diff(const struct sw_save_identity *a, const struct sw_save_identity *b, char *why, size_t n)
{
        if (memcmp(a->slot, b->slot, sizeof(a->slot)))
                sw_snprintf(why, n, "saved for slot '%s', not '%s'", a->slot, b->slot);
        else if (memcmp(a->kernel, b->kernel, sizeof(a->kernel)) || a->kernel_size != b->kernel_size)
                sw_snprintf(why, n, "saved for kernel '%s' (%llu bytes), the slot now has '%s' (%llu bytes)",
                            a->kernel, (unsigned long long)a->kernel_size, b->kernel,
                            (unsigned long long)b->kernel_size);
        else if (memcmp(a->partition, b->partition, sizeof(a->partition)))
                sw_snprintf(why, n, "saved with partition '%s', the slot now has '%s'", a->partition,
                            b->partition);
        else if (a->layout != b->layout)
                sw_snprintf(why, n, "saved with another RAM layout (e820 hash 0x%016llx, now 0x%016llx)",
                            (unsigned long long)a->layout, (unsigned long long)b->layout);
        else
                sw_snprintf(why, n, "saved in a store at 0x%llx (+0x%llx), the slot's store is at 0x%llx (+0x%llx)",
                            (unsigned long long)a->store_base, (unsigned long long)a->store_size,
                            (unsigned long long)b->store_base, (unsigned long long)b->store_size);
}

enum sw_save_verdict sw_save_check(const struct sw_save_header *h, const struct sw_save_identity *id,
                                   char *why, size_t n)
{
        if (h->magic == 0 && h->status == SW_SAVE_NONE && h->hdr_hash == 0) {
                sw_snprintf(why, n, "nothing was saved for this slot");
                return SW_SAVE_ERR_NONE;
        }
        if (h->magic != SW_SAVE_MAGIC || h->hdr_hash != seal(h)) {
                sw_snprintf(why, n, "its save header is damaged (magic 0x%08x, checksum %s)", h->magic,
                            h->hdr_hash == seal(h) ? "ok" : "wrong");
                return SW_SAVE_ERR_HEADER;
        }
        if (h->status == SW_SAVE_CONSUMED) {
                sw_snprintf(why, n, "its saved state was already resumed once (save %u); it is never replayed",
                            h->saves);
                return SW_SAVE_ERR_CONSUMED;
        }
        if (h->status != SW_SAVE_VALID) {
                sw_snprintf(why, n, "its save header has an unknown status 0x%08x", h->status);
                return SW_SAVE_ERR_HEADER;
        }
        if (memcmp(&h->id, id, sizeof(*id))) {
                identity_diff(&h->id, id, why, n);
                return SW_SAVE_ERR_IDENTITY;
        }
        if (n)
                why[0] = '\0';
        return SW_SAVE_OK;
}

enum sw_save_verdict sw_save_check_data(const struct sw_save_header *h, uint64_t data_hash, char *why,
                                        size_t n)
{
        if (!(h->flags & SW_SAVE_HASHED) || h->data_hash == data_hash) {
                if (n)
                        why[0] = '\0';
                return SW_SAVE_OK;
        }
        sw_snprintf(why, n, "its store changed since it was saved (checksum 0x%016llx, saved 0x%016llx)",
                    (unsigned long long)data_hash, (unsigned long long)h->data_hash);
        return SW_SAVE_ERR_DATA;
}

void sw_save_consume(struct sw_save_header *h)
{
        h->status = SW_SAVE_CONSUMED;
        h->hdr_hash = seal(h);
}
