/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 against the FIPS 180-2 appendix B examples ("abc", the 448-bit
 * message, one million 'a'), the empty message, the padding boundaries
 * (55/56/63/64 bytes), piecewise input, and sha256sum(1) on a real file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sha256.h"

static const char *hex_of(const void *data, size_t len)
{
        static char hex[SW_SHA256_HEX_LEN];
        uint8_t d[SW_SHA256_LEN];

        sw_sha256(data, len, d);
        return sw_sha256_hex(d, hex);
}

static void test_fips_vectors(void **state)
{
        static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        static const char m896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                                   "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

        (void)state;
        assert_string_equal(hex_of("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_string_equal(hex_of("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_string_equal(hex_of(m448, strlen(m448)),
                            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        assert_string_equal(hex_of(m896, strlen(m896)),
                            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
        struct sw_sha256 c;
        uint8_t chunk[1000], d[SW_SHA256_LEN];
        char hex[SW_SHA256_HEX_LEN];

        (void)state;
        memset(chunk, 'a', sizeof(chunk));
        sw_sha256_init(&c);
        for (int i = 0; i < 1000; i++)
                sw_sha256_update(&c, chunk, sizeof(chunk));
        sw_sha256_final(&c, d);
        assert_string_equal(sw_sha256_hex(d, hex), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding boundary: 55 bytes still take one block, 56
 * need two.  Expected digests from coreutils' sha256sum, computed at test time
 * so the vectors are not copied from this implementation. */
static void sha256sum_of(const void *data, size_t len, char out[SW_SHA256_HEX_LEN])
{
        char path[] = "/tmp/test_sha256.XXXXXX", cmd[128];
        int fd = mkstemp(path);
        FILE *f, *p;

        assert_true(fd >= 0);
        f = fdopen(fd, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        fclose(f);
        snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
        p = popen(cmd, "r");
        assert_non_null(p);
        assert_non_null(fgets(out, SW_SHA256_HEX_LEN, p));
        pclose(p);
        unlink(path);
        assert_int_equal(strlen(out), 64);
}

static void test_padding_boundaries(void **state)
{
        static const size_t lens[] = { 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000 };
        uint8_t msg[1000];
        char want[SW_SHA256_HEX_LEN];

        (void)state;
        for (size_t i = 0; i < sizeof(msg); i++)
                msg[i] = (uint8_t)(i * 7 + 3);
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                sha256sum_of(msg, lens[i], want);
                assert_string_equal(hex_of(msg, lens[i]), want);
        }
}

/* Any split of the input gives the same digest as one call. */
static void test_piecewise(void **state)
{
        uint8_t msg[300], whole[SW_SHA256_LEN], d[SW_SHA256_LEN];

        (void)state;
        for (size_t i = 0; i < sizeof(msg); i++)
                msg[i] = (uint8_t)(i ^ 0x5a);
        sw_sha256(msg, sizeof(msg), whole);
        for (size_t a = 0; a <= sizeof(msg); a += 7) {
                for (size_t b = a; b <= sizeof(msg); b += 13) {
                        struct sw_sha256 c;

                        sw_sha256_init(&c);
                        sw_sha256_update(&c, msg, a);
                        sw_sha256_update(&c, NULL, 0);
                        sw_sha256_update(&c, msg + a, b - a);
                        sw_sha256_update(&c, msg + b, sizeof(msg) - b);
                        sw_sha256_final(&c, d);
                        assert_memory_equal(d, whole, sizeof(d));
                }
        }
}

/* A real fixture file, against sha256sum. */
static void test_fixture_file(void **state)
{
        static uint8_t data[65536];
        char path[1024], want[SW_SHA256_HEX_LEN];
        size_t n;
        FILE *f;

        (void)state;
        snprintf(path, sizeof(path), "%s/bzimage-amd64-head.bin", FIXTURES);
        f = fopen(path, "rb");
        assert_non_null(f);
        n = fread(data, 1, sizeof(data), f);
        fclose(f);
        assert_true(n > 0 && n < sizeof(data));
        sha256sum_of(data, n, want);
        assert_string_equal(hex_of(data, n), want);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fips_vectors),
                cmocka_unit_test(test_million_a),
                cmocka_unit_test(test_padding_boundaries),
                cmocka_unit_test(test_piecewise),
                cmocka_unit_test(test_fixture_file),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
