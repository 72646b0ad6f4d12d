/* SPDX-License-Identifier: MIT */
/*
 * Saved-state integrity: the XXH64 checksum against the reference tool's
 * values, and the save header's life (save, check, consume, refuse a replay,
 * a damaged header, another identity, changed data).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "hash64.h"
#include "savestate.h"

/* Values printed by `xxh64sum` (Debian's xxhash 0.8.1, the reference
 * implementation) for the same bytes: printf '%s' abc | xxh64sum, and for
 * the 1000-byte pattern below written to a file. */
static void test_hash_reference_values(void **state)
{
        static uint8_t pat[1000], zero[1000];
        (void)state;

        for (unsigned i = 0; i < sizeof(pat); i++)
                pat[i] = (uint8_t)(i * 7 + 3);
        assert_int_equal(sw_hash64("", 0, 0), 0xef46db3751d8e999ULL);
        assert_int_equal(sw_hash64("a", 1, 0), 0xd24ec4f1a98c6e5bULL);
        assert_int_equal(sw_hash64("abc", 3, 0), 0x44bc2cf5ad770999ULL);
        assert_int_equal(sw_hash64("switcher", 8, 0), 0x5ee8c30d289b3d5fULL);
        assert_int_equal(sw_hash64(zero, sizeof(zero), 0), 0x0e2b1ef27944075aULL);
        assert_int_equal(sw_hash64(pat, sizeof(pat), 0), 0x5f235fa033f1a3fbULL);
        /* 37 bytes: one 32-byte stripe, a 4-byte word and one byte. */
        assert_int_equal(sw_hash64(pat, 37, 0), 0xe32ef63802f5a3fdULL);
}

/* Any one flipped bit anywhere changes the hash; so does the seed; an
 * unaligned start is read correctly. */
static void test_hash_sensitivity(void **state)
{
        static uint8_t a[4096 + 8];
        uint64_t h0;
        (void)state;

        for (unsigned i = 0; i < sizeof(a); i++)
                a[i] = (uint8_t)(i ^ (i >> 8));
        h0 = sw_hash64(a, 4096, 0);
        for (unsigned i = 0; i < 4096; i += 61) {
                a[i] ^= 0x10;
                assert_true(sw_hash64(a, 4096, 0) != h0);
                a[i] ^= 0x10;
        }
        assert_int_equal(sw_hash64(a, 4096, 0), h0);
        assert_true(sw_hash64(a, 4096, 1) != h0);
        memmove(a + 3, a, 4096);
        assert_int_equal(sw_hash64(a + 3, 4096, 0), h0);
}

static struct sw_slot_config slot_b(void)
{
        struct sw_slot_config s;

        memset(&s, 0, sizeof(s));
        strcpy(s.id, "b");
        s.part_kind = SW_PART_LABEL;
        strcpy(s.partition, "slot-b");
        return s;
}

static const uint8_t e820[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };

static void make_id(struct sw_save_identity *id, const char *kernel)
{
        struct sw_slot_config s = slot_b();

        sw_save_identity_make(id, &s, kernel, 8247232, e820, sizeof(e820), 0x140000000ULL, 128ULL << 20);
}

/* The normal life: save, check, consume; a second resume of the same save
 * is refused; the next save makes it resumable again and counts. */
static void test_header_life(void **state)
{
        struct sw_save_header h;
        struct sw_save_identity id;
        char why[160];
        (void)state;

        memset(&h, 0, sizeof(h));
        make_id(&id, "6.1.0-56-amd64");
        assert_string_equal(id.partition, "PARTLABEL=slot-b");
        assert_int_equal(sw_save_check(&h, &id, why, sizeof(why)), SW_SAVE_ERR_NONE);
        assert_string_equal(why, "nothing was saved for this slot");

        sw_save_record(&h, &id, true, 0x1234);
        assert_int_equal(h.saves, 1);
        assert_int_equal(sw_save_check(&h, &id, why, sizeof(why)), SW_SAVE_OK);
        assert_string_equal(why, "");
        assert_int_equal(sw_save_check_data(&h, 0x1234, why, sizeof(why)), SW_SAVE_OK);

        sw_save_consume(&h);
        assert_int_equal(sw_save_check(&h, &id, why, sizeof(why)), SW_SAVE_ERR_CONSUMED);
        assert_string_equal(why, "its saved state was already resumed once (save 1); it is never replayed");

        sw_save_record(&h, &id, true, 0x5678);
        assert_int_equal(h.saves, 2);
        assert_int_equal(sw_save_check(&h, &id, why, sizeof(why)), SW_SAVE_OK);
        assert_string_equal(sw_save_verdict_name(SW_SAVE_ERR_CONSUMED), "consumed");
        assert_string_equal(sw_save_verdict_name((enum sw_save_verdict)99), "unknown");
}

/* Changed bytes in the store. */
static void test_data_mismatch(void **state)
{
        struct sw_save_header h;
        struct sw_save_identity id;
        char why[160];
        (void)state;

        memset(&h, 0, sizeof(h));
        make_id(&id, "6.1.0-56-amd64");
        sw_save_record(&h, &id, true, 0x00000000deadbeefULL);
        assert_int_equal(sw_save_check_data(&h, 0x00000000deadbeeeULL, why, sizeof(why)), SW_SAVE_ERR_DATA);
        assert_string_equal(why, "its store changed since it was saved (checksum 0x00000000deadbeee, "
                                 "saved 0x00000000deadbeef)");
        /* A slot with verify-store no records no hash, and any data passes. */
        sw_save_record(&h, &id, false, 0x00000000deadbeefULL);
        assert_int_equal(h.flags & SW_SAVE_HASHED, 0);
        assert_int_equal(sw_save_check_data(&h, 42, why, sizeof(why)), SW_SAVE_OK);
}

/* Any damage to the header itself, including a flipped status word. */
static void test_damaged_header(void **state)
{
        struct sw_save_header h, saved;
        struct sw_save_identity id;
        char why[160];
        (void)state;

        memset(&h, 0, sizeof(h));
        make_id(&id, "6.1.0-56-amd64");
        sw_save_record(&h, &id, true, 1);
        saved = h;
        for (size_t off = 0; off < sizeof(h); off += 7) {
                h = saved;
                ((uint8_t *)&h)[off] ^= 0x01;
                assert_int_not_equal(sw_save_check(&h, &id, why, sizeof(why)), SW_SAVE_OK);
        }
        h = saved;
        h.magic = 0x11111111;
        assert_int_equal(sw_save_check(&h, &id, why, sizeof(why)), SW_SAVE_ERR_HEADER);
        assert_string_equal(why, "its save header is damaged (magic 0x11111111, checksum wrong)");
        /* Consumed by someone who forgot to re-seal: damaged, not consumed. */
        h = saved;
        h.status = SW_SAVE_CONSUMED;
        assert_int_equal(sw_save_check(&h, &id, why, sizeof(why)), SW_SAVE_ERR_HEADER);
        /* A damaged header does not carry its count over. */
        h = saved;
        h.saves = 41;
        sw_save_record(&h, &id, true, 1);
        assert_int_equal(h.saves, 1);
}

/* Saved for something else: each identity field is named. */
static void test_identity_mismatch(void **state)
{
        struct sw_save_header h;
        struct sw_save_identity id, other;
        struct sw_slot_config s = slot_b();
        char why[200];
        (void)state;

        memset(&h, 0, sizeof(h));
        make_id(&id, "6.1.0-56-amd64");
        sw_save_record(&h, &id, true, 1);

        make_id(&other, "6.1.0-57-amd64");
        assert_int_equal(sw_save_check(&h, &other, why, sizeof(why)), SW_SAVE_ERR_IDENTITY);
        assert_string_equal(why, "saved for kernel '6.1.0-56-amd64' (8247232 bytes), the slot now has "
                                 "'6.1.0-57-amd64' (8247232 bytes)");

        strcpy(s.partition, "slot-x");
        sw_save_identity_make(&other, &s, "6.1.0-56-amd64", 8247232, e820, sizeof(e820), 0x140000000ULL,
                              128ULL << 20);
        assert_int_equal(sw_save_check(&h, &other, why, sizeof(why)), SW_SAVE_ERR_IDENTITY);
        assert_string_equal(why, "saved with partition 'PARTLABEL=slot-b', the slot now has 'PARTLABEL=slot-x'");

        s = slot_b();
        sw_save_identity_make(&other, &s, "6.1.0-56-amd64", 8247232, e820, sizeof(e820) - 1, 0x140000000ULL,
                              128ULL << 20);
        assert_int_equal(sw_save_check(&h, &other, why, sizeof(why)), SW_SAVE_ERR_IDENTITY);
        assert_non_null(strstr(why, "saved with another RAM layout (e820 hash 0x"));

        sw_save_identity_make(&other, &s, "6.1.0-56-amd64", 8247232, e820, sizeof(e820), 0x160000000ULL,
                              128ULL << 20);
        assert_int_equal(sw_save_check(&h, &other, why, sizeof(why)), SW_SAVE_ERR_IDENTITY);
        assert_string_equal(why, "saved in a store at 0x140000000 (+0x8000000), the slot's store is at "
                                 "0x160000000 (+0x8000000)");

        strcpy(s.id, "c");
        sw_save_identity_make(&other, &s, "6.1.0-56-amd64", 8247232, e820, sizeof(e820), 0x140000000ULL,
                              128ULL << 20);
        assert_int_equal(sw_save_check(&h, &other, why, sizeof(why)), SW_SAVE_ERR_IDENTITY);
        assert_string_equal(why, "saved for slot 'b', not 'c'");
}

/* The config key: default on, "no" turns it off, anything else warns and
 * keeps it on. */
static void test_config_key(void **state)
{
        static const char conf[] = "slot a\nlinux /a\non-damage cold-boot\n\nslot b\nlinux /b\nverify-store no\n\n"
                                   "slot c\nlinux /c\nverify-store nope\non-damage later\n";
        static struct sw_config c;
        struct sw_diag d = { 0 };
        (void)state;

        assert_int_equal(sw_config_parse(&c, conf, sizeof(conf) - 1, "t.conf", &d), 3);
        assert_true(c.slots[0].verify_store);
        assert_false(c.slots[1].verify_store);
        assert_true(c.slots[2].verify_store);
        assert_true(c.slots[0].cold_boot_on_damage);
        assert_false(c.slots[1].cold_boot_on_damage);
        assert_false(c.slots[2].cold_boot_on_damage);
        assert_int_equal(d.warnings, 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hash_reference_values),
                cmocka_unit_test(test_hash_sensitivity),
                cmocka_unit_test(test_header_life),
                cmocka_unit_test(test_data_mismatch),
                cmocka_unit_test(test_damaged_header),
                cmocka_unit_test(test_identity_mismatch),
                cmocka_unit_test(test_config_key),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
