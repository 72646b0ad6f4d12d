/* SPDX-License-Identifier: MIT */
/*
 * A save header lives in the resident block, where a guest with /dev/mem
 * can write anything.  The input is a header's bytes (padded or cut to its
 * size).  Checked: the verdict is one of the enum; OK only for an intact,
 * valid header of this identity; the reason is printable text; a header
 * recorded and consumed by the codec itself is never resumable again.
 *
 * Seeds: (fuzz_seeds writes a recorded and a consumed header)
 */
#include <string.h>

#include "fuzz.h"
#include "savestate.h"

static bool printable(const char *s, size_t n)
{
        if (!fuzz_terminated(s, n))
                return false;
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

void fuzz_seeds(const char *dir)
{
        struct sw_save_header h;
        struct sw_save_identity id;
        struct sw_slot_config s;

        memset(&s, 0, sizeof(s));
        strcpy(s.id, "f");
        sw_save_identity_make(&id, &s, "6.1.0-56-amd64", 8247232, NULL, 0, 0x140000000ULL, 128ULL << 20);
        memset(&h, 0, sizeof(h));
        sw_save_record(&h, &id, true, 0x1234);
        fuzz_write_seed(dir, "recorded", &h, sizeof(h));
        sw_save_consume(&h);
        fuzz_write_seed(dir, "consumed", &h, sizeof(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct sw_save_header h, mine;
        struct sw_save_identity id;
        struct sw_slot_config s;
        enum sw_save_verdict v;
        char why[160];

        memset(&s, 0, sizeof(s));
        strcpy(s.id, "f");
        s.part_kind = SW_PART_LABEL;
        strcpy(s.partition, "slot-f");
        sw_save_identity_make(&id, &s, "6.1.0-56-amd64", 8247232, data, size > 64 ? 64 : size, 0x140000000ULL,
                              128ULL << 20);
        memset(&h, 0, sizeof(h));
        memcpy(&h, data, size < sizeof(h) ? size : sizeof(h));
        v = sw_save_check(&h, &id, why, sizeof(why));
        FUZZ_CHECK(v >= SW_SAVE_OK && v <= SW_SAVE_ERR_DATA, "verdict %d", v);
        FUZZ_CHECK(strcmp(sw_save_verdict_name(v), "unknown") != 0, "no name for %d", v);
        FUZZ_CHECK(printable(why, sizeof(why)), "reason not printable");
        FUZZ_CHECK(v != SW_SAVE_OK || (h.magic == SW_SAVE_MAGIC && h.status == SW_SAVE_VALID), "ok for a bad header");
        if (v == SW_SAVE_OK) {
                v = sw_save_check_data(&h, 42, why, sizeof(why));
                FUZZ_CHECK(v == SW_SAVE_OK || v == SW_SAVE_ERR_DATA, "data verdict %d", v);
        }

        /* The codec's own life cycle on top of whatever was there. */
        mine = h;
        sw_save_record(&mine, &id, true, 7);
        FUZZ_CHECK(sw_save_check(&mine, &id, why, sizeof(why)) == SW_SAVE_OK, "own record refused: %s", why);
        FUZZ_CHECK(sw_save_check_data(&mine, 7, why, sizeof(why)) == SW_SAVE_OK, "own data refused");
        sw_save_consume(&mine);
        FUZZ_CHECK(sw_save_check(&mine, &id, why, sizeof(why)) == SW_SAVE_ERR_CONSUMED, "consumed resumable");
        return 0;
}
