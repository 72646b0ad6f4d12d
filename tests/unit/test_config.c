/* SPDX-License-Identifier: MIT */
/*
 * partitions.conf parser: a realistic file, then one test per class of
 * mistake, each asserting the exact messages (and their severity) that a
 * user would see, and what was kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "diag.h"

#define MAX_MSGS 64

/* Every message, prefixed "W: ", "E: " or "I: " so severity is asserted too. */
struct capture {
        unsigned n;
        char msg[MAX_MSGS][600];
};

static struct capture cap;
static struct sw_config cfg;

static void emit(void *ctx, enum sw_severity sev, const char *msg)
{
        struct capture *c = ctx;
        const char *tag = sev == SW_ERROR ? "E: " : sev == SW_WARN ? "W: " : "I: ";

        if (c->n < MAX_MSGS)
                snprintf(c->msg[c->n], sizeof(c->msg[0]), "%s%s", tag, msg);
        c->n++;
}

static struct sw_diag diag;

static void reset_diag(void)
{
        memset(&cap, 0, sizeof(cap));
        memset(&diag, 0, sizeof(diag));
        diag.emit = emit;
        diag.ctx = &cap;
}

static int parse_n(const char *text, size_t len)
{
        reset_diag();
        return sw_config_parse(&cfg, text, len, "p.conf", &diag);
}

static int parse(const char *text)
{
        return parse_n(text, strlen(text));
}

static void dump_msgs(void)
{
        for (unsigned i = 0; i < cap.n && i < MAX_MSGS; i++)
                print_message("  got[%u] %s\n", i, cap.msg[i]);
}

/* The captured messages must be exactly want[] (NULL-terminated), in order. */
static void expect_msgs(const char *const *want)
{
        unsigned n = 0;

        while (want[n])
                n++;
        if (cap.n != n)
                dump_msgs();
        assert_int_equal(cap.n, n);
        for (unsigned i = 0; i < n; i++) {
                if (strcmp(cap.msg[i], want[i]) != 0)
                        dump_msgs();
                assert_string_equal(cap.msg[i], want[i]);
        }
}

#define EXPECT(...) expect_msgs((const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_NONE() expect_msgs((const char *const[]){ NULL })

static const struct sw_slot_config *slot(const char *id)
{
        for (unsigned i = 0; i < cfg.nslots; i++)
                if (strcmp(cfg.slots[i].id, id) == 0)
                        return &cfg.slots[i];
        fail_msg("no slot '%s' kept", id);
        return NULL;
}

static size_t read_fixture(const char *name, char *buf, size_t size)
{
        char path[512];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
        f = fopen(path, "rb");
        if (!f)
                fail_msg("cannot open %s", path);
        n = fread(buf, 1, size, f);
        assert_true(n < size);
        fclose(f);
        return n;
}

static int parse_fixture(const char *name)
{
        static char buf[65536];
        size_t n = read_fixture(name, buf, sizeof(buf));

        reset_diag();
        return sw_config_parse(&cfg, buf, n, name, &diag);
}

/* ------------------------------------------------------------------------ */

static const char full_conf[] =
        "# a realistic file\n"
        "timeout 10\n"
        "default debian-i386\n"
        "active-size 512M\n"
        "console serial\n"
        "\n"
        "slot debian\n"
        "title   Debian 12 (amd64)  \n"
        "linux   \\slots\\debian\\vmlinuz-6.1.0-18-amd64\n"
        "initrd  /slots/debian/initrd.img-6.1.0-18-amd64\n"
        "options root=PARTUUID=1b5b7c3e-8c0f-4e57-9a35-0c5c0a1f2e3d ro\n"
        "options quiet  console=ttyS0,115200\n"
        "partition PARTUUID=1B5B7C3E-8C0F-4E57-9A35-0C5C0A1F2E3D\n"
        "hotkey Ctrl+Alt+1\n"
        "sort-key a-debian\n"
        "arch x86_64\n"
        "mode in-place\n"
        "\n"
        "\t# an indented comment\n"
        "slot debian-i386\n"
        "  title Debian 12 (i686) #2\n"
        "  linux /slots/i386/vmlinuz\n"
        "  initrd /slots/i386/microcode.img\n"
        "  initrd slots//i386/./initrd.img\n"
        "  options\troot=PARTLABEL=debian-i386 ro\n"
        "  partition PARTLABEL=debian-i386\n"
        "  hotkey alt+ctrl+2\n"
        "  arch i386\n"
        "  mode swap\n"
        "\n"
        "slot rescue\n"
        "linux /rescue/vmlinuz\n"
        "hotkey F12\n";

static void test_full_config(void **state)
{
        const struct sw_slot_config *s;

        assert_int_equal(parse(full_conf), 3);
        EXPECT_NONE();
        assert_int_equal(diag.warnings, 0);
        assert_int_equal(diag.errors, 0);

        assert_string_equal(cfg.filename, "p.conf");
        assert_true(cfg.usable);
        assert_int_equal(cfg.timeout, 10);
        assert_string_equal(cfg.default_id, "debian-i386");
        assert_int_equal(cfg.default_line, 3);
        assert_true(cfg.active_size == 512ULL << 20);
        assert_int_equal(cfg.console, SW_CONSOLE_SERIAL);
        assert_int_equal(cfg.nslots, 3);

        s = &cfg.slots[0];
        assert_string_equal(s->id, "debian");
        assert_string_equal(s->title, "Debian 12 (amd64)");
        assert_string_equal(s->linux_path, "/slots/debian/vmlinuz-6.1.0-18-amd64");
        assert_int_equal(s->linux_line, 9);
        assert_int_equal(s->ninitrd, 1);
        assert_string_equal(s->initrd[0], "/slots/debian/initrd.img-6.1.0-18-amd64");
        assert_int_equal(s->initrd_line[0], 10);
        assert_string_equal(s->options,
                            "root=PARTUUID=1b5b7c3e-8c0f-4e57-9a35-0c5c0a1f2e3d ro quiet  console=ttyS0,115200");
        assert_int_equal(s->part_kind, SW_PART_UUID);
        assert_string_equal(s->partition, "1b5b7c3e-8c0f-4e57-9a35-0c5c0a1f2e3d");
        assert_string_equal(s->hotkey, "ctrl+alt+1");
        assert_string_equal(s->sort_key, "a-debian");
        assert_int_equal(s->arch, SW_ARCH_X86_64);
        assert_int_equal(s->mode, SW_MODE_IN_PLACE);
        assert_int_equal(s->line, 7);
        assert_true(s->valid);

        s = &cfg.slots[1];
        assert_string_equal(s->id, "debian-i386");
        assert_string_equal(s->title, "Debian 12 (i686) #2");
        assert_string_equal(s->linux_path, "/slots/i386/vmlinuz");
        assert_int_equal(s->ninitrd, 2);
        assert_string_equal(s->initrd[0], "/slots/i386/microcode.img");
        assert_string_equal(s->initrd[1], "/slots/i386/initrd.img");
        assert_int_equal(s->initrd_line[1], 24);
        assert_string_equal(s->options, "root=PARTLABEL=debian-i386 ro");
        assert_int_equal(s->part_kind, SW_PART_LABEL);
        assert_string_equal(s->partition, "debian-i386");
        assert_string_equal(s->hotkey, "ctrl+alt+2");
        assert_string_equal(s->sort_key, "");
        assert_int_equal(s->arch, SW_ARCH_I386);
        assert_int_equal(s->mode, SW_MODE_SWAP);
        assert_int_equal(s->line, 20);
        assert_true(s->valid);

        /* Every default, and the title falling back to the id. */
        s = &cfg.slots[2];
        assert_string_equal(s->id, "rescue");
        assert_string_equal(s->title, "rescue");
        assert_string_equal(s->linux_path, "/rescue/vmlinuz");
        assert_int_equal(s->ninitrd, 0);
        assert_string_equal(s->options, "");
        assert_int_equal(s->part_kind, SW_PART_NONE);
        assert_string_equal(s->partition, "");
        assert_string_equal(s->hotkey, "f12");
        assert_int_equal(s->arch, SW_ARCH_AUTO);
        assert_int_equal(s->mode, SW_MODE_SWAP);

        assert_int_equal(sw_config_find_slot(&cfg, "rescue"), 2);
        assert_int_equal(sw_config_find_slot(&cfg, "nope"), -1);
        assert_int_equal(sw_config_default_index(&cfg), 1);
        assert_int_equal(sw_config_valid_slots(&cfg), 3);
}

static void test_global_defaults(void **state)
{
        assert_int_equal(parse("slot a\nlinux /k\n"), 1);
        EXPECT_NONE();
        assert_int_equal(cfg.timeout, 5);
        assert_true(cfg.active_size == 256ULL << 20);
        assert_int_equal(cfg.console, SW_CONSOLE_BOTH);
        assert_string_equal(cfg.default_id, "");
        assert_int_equal(sw_config_default_index(&cfg), 0);
}

static void test_unknown_key_and_missing_value(void **state)
{
        assert_int_equal(parse("foo bar\n"
                               "timeout\n"
                               "slot a\n"
                               "linux /k\n"
                               "colour red\n"
                               "title   \n"
                               "lonely\n"), 1);
        EXPECT("W: p.conf:1: unknown key 'foo', ignored",
               "W: p.conf:2: key 'timeout' has no value, ignored",
               "W: p.conf:5: slot 'a': unknown key 'colour', ignored",
               "W: p.conf:6: slot 'a': key 'title' has no value, ignored",
               "W: p.conf:7: slot 'a': unknown key 'lonely', ignored");
        assert_int_equal(cfg.timeout, 5);
        assert_string_equal(cfg.slots[0].title, "a");
        assert_int_equal(diag.warnings, 5);
        assert_int_equal(diag.errors, 0);
}

static void test_invalid_id(void **state)
{
        assert_int_equal(parse("slot a b\n"
                               "linux /k\n"
                               "nonsense here\n"
                               "slot .hidden\n"
                               "slot x/y\n"
                               "slot 0123456789012345678901234567890123456789012345678901234567890123\n"
                               "slot\n"
                               "linux /k\n"
                               "slot 012345678901234567890123456789012345678901234567890123456789012\n"
                               "linux /k\n"
                               "slot A.b_c-d+e\n"
                               "linux /k\n"), 2);
        EXPECT("E: p.conf:1: slot 'a b': invalid id (1 to 63 letters, digits, '.', '_', '-' or '+', "
               "not starting with '.'); slot dropped",
               "E: p.conf:4: slot '.hidden': invalid id (1 to 63 letters, digits, '.', '_', '-' or '+', "
               "not starting with '.'); slot dropped",
               "E: p.conf:5: slot 'x/y': invalid id (1 to 63 letters, digits, '.', '_', '-' or '+', "
               "not starting with '.'); slot dropped",
               "E: p.conf:6: slot '0123456789012345678901234567890123456789012345678901234567890123': "
               "invalid id (1 to 63 letters, digits, '.', '_', '-' or '+', not starting with '.'); slot dropped",
               "E: p.conf:7: 'slot' has no id; slot dropped");
        /* Rejected blocks are not kept; the 63-character id is fine. */
        assert_int_equal(cfg.nslots, 2);
        assert_int_equal(strlen(cfg.slots[0].id), 63);
        assert_string_equal(cfg.slots[1].id, "A.b_c-d+e");
}

static void test_duplicate_id(void **state)
{
        assert_int_equal(parse("slot a\n"
                               "linux /a\n"
                               "slot b\n"
                               "linux /b\n"
                               "slot a\n"
                               "linux /a2\n"
                               "partition nonsense\n"), 2);
        EXPECT("E: p.conf:5: slot 'a': id already used by the slot at line 1; slot dropped");
        assert_int_equal(cfg.nslots, 2);
        assert_string_equal(slot("a")->linux_path, "/a");
}

static void test_bad_active_size(void **state)
{
        static const struct {
                const char *value;
                const char *msg;
        } cases[] = {
                { "lots", "E: p.conf:1: active-size 'lots' is not a size like 256M or 1G; "
                          "configuration unusable, every slot dropped" },
                { "256 M", "E: p.conf:1: active-size '256 M' is not a size like 256M or 1G; "
                           "configuration unusable, every slot dropped" },
                { "-256M", "E: p.conf:1: active-size '-256M' is not a size like 256M or 1G; "
                           "configuration unusable, every slot dropped" },
                { "99999999999T", "E: p.conf:1: active-size '99999999999T' is not a size like 256M or 1G; "
                                  "configuration unusable, every slot dropped" },
                { "100000000", "E: p.conf:1: active-size '100000000' is not a multiple of 4 KiB; "
                               "configuration unusable, every slot dropped" },
                { "8M", "E: p.conf:1: active-size '8M' is less than 16 MiB; "
                        "configuration unusable, every slot dropped" },
                { "16380K", "E: p.conf:1: active-size '16380K' is less than 16 MiB; "
                            "configuration unusable, every slot dropped" },
        };
        char text[256];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                snprintf(text, sizeof(text), "active-size %s\nslot a\nlinux /k\nslot b\nlinux /k\n",
                         cases[i].value);
                assert_int_equal(parse(text), 0);
                /* One error, no "no valid slot" on top of it. */
                EXPECT(cases[i].msg);
                assert_false(cfg.usable);
                assert_int_equal(cfg.nslots, 2);
                assert_false(cfg.slots[0].valid);
                assert_false(cfg.slots[1].valid);
                assert_int_equal(sw_config_find_slot(&cfg, "a"), -1);
                assert_int_equal(sw_config_default_index(&cfg), -1);
        }

        /* Limits that are fine. */
        assert_int_equal(parse("active-size 16M\nslot a\nlinux /k\n"), 1);
        EXPECT_NONE();
        assert_true(cfg.active_size == 16ULL << 20);
        assert_int_equal(parse("active-size 16388KiB\nslot a\nlinux /k\n"), 1);
        assert_true(cfg.active_size == 16388ULL << 10);
        assert_int_equal(parse("active-size 2g\nslot a\nlinux /k\n"), 1);
        assert_true(cfg.active_size == 2ULL << 30);
}

static void test_bad_partition(void **state)
{
        static const char *const bad[] = {
                "PARTUUID=1b5b7c3e-8c0f-4e57-9a35-0c5c0a1f2e3",   /* one digit short */
                "PARTUUID=1b5b7c3e-8c0f-4e57-9a35-0c5c0a1f2e3dd", /* one too many */
                "1b5b7c3e_8c0f-4e57-9a35-0c5c0a1f2e3d",           /* wrong separator */
                "PARTUUID=1b5b7c3e-8c0f-4e57-9a35-0c5c0a1f2e3g",  /* not hex */
                "PARTLABEL=",                                     /* empty label */
                "PARTLABEL=0123456789012345678901234567890123456", /* 37 characters */
                "LABEL=root",
                "/dev/sda2",
        };
        char text[256], want[512];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(text, sizeof(text), "slot a\nlinux /k\npartition %s\n", bad[i]);
                assert_int_equal(parse(text), 0);
                snprintf(want, sizeof(want), "E: p.conf:3: slot 'a': invalid partition '%s' "
                         "(PARTUUID=<uuid> or PARTLABEL=<label of at most 36 characters>); slot dropped",
                         bad[i]);
                EXPECT(want, "E: p.conf:3: no valid slot; nothing to boot");
                assert_int_equal(cfg.nslots, 1);
                assert_false(cfg.slots[0].valid);
        }

        /* What is accepted, and how it is stored. */
        assert_int_equal(parse("slot a\nlinux /k\npartition 0FC63DAF-8483-4772-8E79-3D69D8477DE4\n"
                               "slot b\nlinux /k\npartition partlabel=Debian root Ü 36 chars.........\n"
                               "slot c\nlinux /k\npartition PARTLABEL=012345678901234567890123456789012345\n"), 3);
        EXPECT_NONE();
        assert_int_equal(slot("a")->part_kind, SW_PART_UUID);
        assert_string_equal(slot("a")->partition, "0fc63daf-8483-4772-8e79-3d69d8477de4");
        assert_int_equal(slot("b")->part_kind, SW_PART_LABEL);
        assert_string_equal(slot("b")->partition, "Debian root Ü 36 chars.........");
        assert_string_equal(slot("c")->partition, "012345678901234567890123456789012345");

        /* 36 characters, but 72 bytes of UTF-8: does not fit the field. */
        assert_int_equal(parse("slot a\nlinux /k\npartition PARTLABEL="
                               "ÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜÜ\n"), 0);
        assert_int_equal(cap.n, 2);
        assert_non_null(strstr(cap.msg[0], "invalid partition"));
}

static void test_duplicate_partition(void **state)
{
        assert_int_equal(parse("slot a\n"
                               "linux /a\n"
                               "partition PARTUUID=0fc63daf-8483-4772-8e79-3d69d8477de4\n"
                               "slot b\n"
                               "partition 0FC63DAF-8483-4772-8E79-3D69D8477DE4\n"
                               "linux /b\n"
                               "slot c\n"
                               "linux /c\n"
                               "partition PARTLABEL=data\n"
                               "slot d\n"
                               "linux /d\n"
                               "partition PARTLABEL=data\n"
                               "slot e\n"
                               "linux /e\n"
                               "partition PARTLABEL=Data\n"), 3);
        EXPECT("E: p.conf:5: slot 'b': partition PARTUUID=0fc63daf-8483-4772-8e79-3d69d8477de4 "
               "is already used by slot 'a' (line 3); slot dropped",
               "E: p.conf:12: slot 'd': partition PARTLABEL=data is already used by slot 'c' (line 9); "
               "slot dropped");
        assert_true(slot("a")->valid);
        assert_false(slot("b")->valid);
        assert_true(slot("c")->valid);
        assert_false(slot("d")->valid);
        assert_true(slot("e")->valid);

        /* A partition named by a slot that was dropped anyway is free. */
        assert_int_equal(parse("slot a\n"
                               "partition PARTLABEL=data\n"
                               "slot b\n"
                               "linux /b\n"
                               "partition PARTLABEL=data\n"), 1);
        EXPECT("E: p.conf:1: slot 'a': no 'linux' or 'image' line; slot dropped");
        assert_true(slot("b")->valid);
}

static void test_bad_mode_and_arch(void **state)
{
        assert_int_equal(parse("slot a\nlinux /k\nmode sideways\n"
                               "slot b\nlinux /k\narch arm64\n"
                               "slot c\nlinux /k\nmode SWAP\n"
                               "slot d\nlinux /k\nmode in-place\narch auto\n"), 1);
        EXPECT("E: p.conf:3: slot 'a': invalid mode 'sideways' (swap or in-place); slot dropped",
               "E: p.conf:6: slot 'b': invalid arch 'arm64' (auto, x86_64 or i386); slot dropped",
               "E: p.conf:9: slot 'c': invalid mode 'SWAP' (swap or in-place); slot dropped");
        assert_int_equal(cfg.nslots, 4);
        assert_true(slot("d")->valid);
        assert_int_equal(slot("d")->mode, SW_MODE_IN_PLACE);
        assert_string_equal(sw_mode_name(SW_MODE_SWAP), "swap");
        assert_string_equal(sw_mode_name(SW_MODE_IN_PLACE), "in-place");
        assert_string_equal(sw_arch_name(SW_ARCH_AUTO), "auto");
        assert_string_equal(sw_arch_name(SW_ARCH_X86_64), "x86_64");
        assert_string_equal(sw_arch_name(SW_ARCH_I386), "i386");
        assert_string_equal(sw_arch_name((enum sw_arch)7), "?");
        assert_string_equal(sw_console_name(SW_CONSOLE_SCREEN), "screen");
}

static void test_slot_memory(void **state)
{
        (void)state;
        assert_int_equal(parse("active-size 256M\n"
                               "slot a\nlinux /k\nmemory 12X\n"
                               "slot b\nlinux /k\nmemory 512M\n"
                               "slot c\nlinux /k\nmemory 8M\n"
                               "slot d\nlinux /k\nmemory 128M\n"
                               "slot e\nlinux /k\n"), 2);
        EXPECT("E: p.conf:4: slot 'a': memory '12X' is not a size like 128M or 1G; slot dropped",
               "E: p.conf:7: slot 'b': memory '512 MiB' is more than the active region (active-size 256 MiB); only an in-place slot may have more; slot dropped",
               "E: p.conf:10: slot 'c': memory '8M' is less than 16 MiB; slot dropped");
        assert_int_equal(slot("d")->memory, 128ULL << 20);
        assert_int_equal(sw_slot_memory(&cfg, slot("d")), 128ULL << 20);
        /* Without the key a slot sees the whole active region. */
        assert_int_equal(slot("e")->memory, 0);
        assert_int_equal(sw_slot_memory(&cfg, slot("e")), 256ULL << 20);
}

static void test_next_hotkey(void **state)
{
        (void)state;
        assert_int_equal(parse("next-hotkey Ctrl+Alt+0\n"
                               "slot a\nlinux /k\nhotkey ctrl+alt+0\n"
                               "slot b\nlinux /k\nhotkey ctrl+alt+2\n"), 2);
        EXPECT("W: p.conf:4: slot 'a': hotkey 'ctrl+alt+0' is already the next-hotkey, ignored");
        assert_string_equal(cfg.next_hotkey, "ctrl+alt+0");
        assert_string_equal(slot("a")->hotkey, "");
        assert_string_equal(slot("b")->hotkey, "ctrl+alt+2");
        assert_int_equal(parse("next-hotkey ctrl+nothing\nslot a\nlinux /k\n"), 1);
        EXPECT("W: p.conf:1: invalid next-hotkey 'ctrl+nothing' (like ctrl+alt+0: ctrl, alt, shift or super, "
               "then a digit, a letter or f1 to f12), ignored");
}

static void test_paths(void **state)
{
        char text[1024], longpath[300], want[512];

        assert_int_equal(parse("slot a\nlinux /slots/../vmlinuz\n"
                               "slot b\nlinux /k\ninitrd \\x\\..\\..\\initrd\n"
                               "slot c\nlinux ..\n"
                               "slot d\nlinux /\n"
                               "slot e\nlinux /k\ninitrd \\./\\\n"
                               "slot f\nlinux .\\EFI\\\\f\\vmlinuz.efi\\\ninitrd /..x/a..b/...\n"), 1);
        EXPECT("E: p.conf:2: slot 'a': linux path '/slots/../vmlinuz' has a '..' component; slot dropped",
               "E: p.conf:5: slot 'b': initrd path '\\x\\..\\..\\initrd' has a '..' component; slot dropped",
               "E: p.conf:7: slot 'c': linux path '..' has a '..' component; slot dropped",
               "E: p.conf:9: slot 'd': linux path '/' is empty; slot dropped",
               "E: p.conf:12: slot 'e': initrd path '\\./\\' is empty; slot dropped");
        assert_string_equal(slot("f")->linux_path, "/EFI/f/vmlinuz.efi");
        assert_string_equal(slot("f")->initrd[0], "/..x/a..b/...");
        assert_int_equal(slot("a")->linux_line, 2);

        /* 255 bytes is the longest path that fits; 256 is dropped. */
        memset(longpath, 'p', sizeof(longpath));
        longpath[0] = '/';
        longpath[255] = '\0';
        snprintf(text, sizeof(text), "slot a\nlinux %s\n", longpath);
        assert_int_equal(parse(text), 1);
        assert_int_equal(strlen(cfg.slots[0].linux_path), 255);
        longpath[255] = 'p';
        longpath[256] = '\0';
        snprintf(text, sizeof(text), "slot a\nlinux %s\n", longpath);
        assert_int_equal(parse(text), 0);
        /* Messages quote the first 80 bytes of a value. */
        snprintf(want, sizeof(want), "E: p.conf:2: slot 'a': linux path '%.80s' is longer than 255 bytes; "
                 "slot dropped", longpath);
        EXPECT(want, "E: p.conf:2: no valid slot; nothing to boot");
}

static void test_too_many_slots(void **state)
{
        char text[4096];
        size_t o = 0;

        for (int i = 0; i < 18; i++)
                o += (size_t)snprintf(text + o, sizeof(text) - o, "slot s%d\nlinux /k%d\n", i, i);
        assert_int_equal(parse(text), 16);
        EXPECT("E: p.conf:33: slot 's16': more than 16 slots; slot dropped",
               "E: p.conf:35: slot 's17': more than 16 slots; slot dropped");
        assert_int_equal(cfg.nslots, SW_MAX_SLOTS);
        assert_string_equal(cfg.slots[15].id, "s15");
        assert_string_equal(cfg.slots[15].linux_path, "/k15");
}

static void test_options_length(void **state)
{
        static char text[8192];
        char chunk[1100];

        /* 1023 + 1 + 1023 = 2047 bytes: fits exactly. */
        memset(chunk, 'o', 1023);
        chunk[1023] = '\0';
        snprintf(text, sizeof(text), "slot a\nlinux /k\noptions %s\noptions %s\n", chunk, chunk);
        assert_int_equal(parse(text), 1);
        EXPECT_NONE();
        assert_int_equal(strlen(cfg.slots[0].options), 2047);
        assert_int_equal(cfg.slots[0].options[1023], ' ');

        /* One more byte: the slot is dropped once, not cut. */
        memset(chunk, 'o', 1024);
        chunk[1024] = '\0';
        snprintf(text, sizeof(text), "slot a\nlinux /k\noptions %s\noptions %s\noptions more\n", chunk, chunk);
        assert_int_equal(parse(text), 0);
        EXPECT("E: p.conf:4: slot 'a': options longer than 2047 bytes; slot dropped",
               "E: p.conf:5: no valid slot; nothing to boot");
}

static void test_invalid_utf8_and_control(void **state)
{
        static const char text[] =
                "timeout 7\n"
                "title caf\xc3\n"              /* truncated sequence */
                "slot a\n"
                "linux /a\n"
                "title \xc0\xaf overlong\n"     /* overlong '/' */
                "options x=\xed\xa0\x80\n"      /* a surrogate, in a safety key */
                "slot b\n"
                "linux /b\n"
                "title tab\tand bell\x07\n"
                "# comment \xff\n"
                "slot c\xff\n"                  /* the id is unreadable */
                "linux /c\n"
                "partition PARTLABEL=c\n"
                "slot d\n"
                "linux /d\n"
                "title \xf0\x9f\x90\xa7 ok \xe2\x82\xac\n";

        assert_int_equal(parse(text), 2);
        EXPECT("W: p.conf:2: line is not valid UTF-8, ignored",
               "W: p.conf:5: slot 'a': line is not valid UTF-8, ignored",
               "E: p.conf:6: slot 'a': 'options' line is not valid UTF-8; slot dropped",
               "W: p.conf:9: slot 'b': line contains a control character, ignored",
               "W: p.conf:10: slot 'b': line is not valid UTF-8, ignored",
               "E: p.conf:11: 'slot' line is not valid UTF-8; slot dropped");
        assert_int_equal(cfg.timeout, 7);
        assert_false(slot("a")->valid);
        /* b's block ended at line 11: c's keys did not land in it. */
        assert_true(slot("b")->valid);
        assert_string_equal(slot("b")->linux_path, "/b");
        assert_int_equal(slot("b")->part_kind, SW_PART_NONE);
        assert_string_equal(slot("b")->title, "b");
        assert_string_equal(slot("d")->title, "\xf0\x9f\x90\xa7 ok \xe2\x82\xac");
        assert_int_equal(cfg.nslots, 3);

        /* An unreadable active-size cannot be replaced by the default. */
        assert_int_equal(parse("active-size 512M\xa0\nslot a\nlinux /k\n"), 0);
        EXPECT("E: p.conf:1: 'active-size' line is not valid UTF-8; configuration unusable, every slot dropped");

        /* A NUL byte inside the buffer is a control character, not an end. */
        static const char nul[] = "slot a\nlinux /k\ntitle x\0y\n";
        assert_int_equal(parse_n(nul, sizeof(nul) - 1), 1);
        EXPECT("W: p.conf:3: slot 'a': line contains a control character, ignored");
}

static void test_key_in_wrong_section(void **state)
{
        assert_int_equal(parse("linux /early\n"
                               "hotkey ctrl+1\n"
                               "timeout 2\n"
                               "slot a\n"
                               "linux /k\n"
                               "timeout 30\n"
                               "active-size 1G\n"
                               "default a\n"), 1);
        EXPECT("W: p.conf:1: 'linux' is a slot key; put it after a 'slot ID' line; ignored",
               "W: p.conf:2: 'hotkey' is a slot key; put it after a 'slot ID' line; ignored",
               "W: p.conf:6: slot 'a': 'timeout' is a global key; put it before the first 'slot' line; ignored",
               "W: p.conf:7: slot 'a': 'active-size' is a global key; put it before the first 'slot' line; "
               "ignored",
               "W: p.conf:8: slot 'a': 'default' is a global key; put it before the first 'slot' line; ignored");
        assert_int_equal(cfg.timeout, 2);
        assert_true(cfg.active_size == 256ULL << 20);
        assert_string_equal(cfg.default_id, "");
        assert_string_equal(cfg.slots[0].hotkey, "");
        assert_string_equal(cfg.slots[0].linux_path, "/k");
}

static void test_hotkeys(void **state)
{
        static const struct {
                const char *in, *out;
        } good[] = {
                { "1", "1" },
                { "Q", "q" },
                { "f1", "f1" },
                { "F12", "f12" },
                { "SUPER+shift+Alt+CTRL+f10", "ctrl+alt+shift+super+f10" },
                { "shift+z", "shift+z" },
        };
        static const char *const bad[] = {
                "ctrl+", "+1", "ctrl++1", "ctrl+ctrl+1", "meta+1", "f0", "f13", "f01", "ctrl+12",
                "ctrl + 1", "ctrl+alt", "!",
        };
        char text[256], want[512];

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                snprintf(text, sizeof(text), "slot a\nlinux /k\nhotkey %s\n", good[i].in);
                assert_int_equal(parse(text), 1);
                EXPECT_NONE();
                assert_string_equal(cfg.slots[0].hotkey, good[i].out);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(text, sizeof(text), "slot a\nlinux /k\nhotkey %s\n", bad[i]);
                assert_int_equal(parse(text), 1);
                snprintf(want, sizeof(want), "W: p.conf:3: slot 'a': invalid hotkey '%s' (like ctrl+alt+1: "
                         "ctrl, alt, shift or super, then a digit, a letter or f1 to f12), ignored", bad[i]);
                EXPECT(want);
                assert_string_equal(cfg.slots[0].hotkey, "");
        }

        /* The same key spelt differently is still the same key. */
        assert_int_equal(parse("slot a\nlinux /k\nhotkey ctrl+alt+1\n"
                               "slot b\nlinux /k\nhotkey Alt+Ctrl+1\n"
                               "slot c\nlinux /k\nhotkey ctrl+alt+2\n"), 3);
        EXPECT("W: p.conf:6: slot 'b': hotkey 'ctrl+alt+1' is already used by slot 'a', ignored");
        assert_string_equal(slot("a")->hotkey, "ctrl+alt+1");
        assert_string_equal(slot("b")->hotkey, "");
        assert_string_equal(slot("c")->hotkey, "ctrl+alt+2");
}

static void test_default(void **state)
{
        assert_int_equal(parse("default nosuch\nslot a\nlinux /a\nslot b\nlinux /b\n"), 2);
        EXPECT("W: p.conf:1: default slot 'nosuch' does not exist or was dropped; using the first valid slot");
        assert_int_equal(sw_config_default_index(&cfg), 0);

        /* Naming a slot that the parser dropped. */
        assert_int_equal(parse("timeout 1\ndefault b\nslot a\nlinux /a\nslot b\nmode fast\nlinux /b\n"
                               "slot c\nlinux /c\n"), 2);
        EXPECT("E: p.conf:6: slot 'b': invalid mode 'fast' (swap or in-place); slot dropped",
               "W: p.conf:2: default slot 'b' does not exist or was dropped; using the first valid slot");
        assert_int_equal(sw_config_default_index(&cfg), 0);

        assert_int_equal(parse("default bad/id\nslot a\nlinux /a\n"), 1);
        EXPECT("W: p.conf:1: 'default' names an invalid slot id 'bad/id', ignored");
        assert_string_equal(cfg.default_id, "");

        assert_int_equal(parse("default b\nslot a\nlinux /a\nslot b\nlinux /b\n"), 2);
        EXPECT_NONE();
        assert_int_equal(sw_config_default_index(&cfg), 1);
}

static void test_repeated_keys(void **state)
{
        assert_int_equal(parse("timeout 3\n"
                               "timeout 4\n"
                               "console screen\n"
                               "console tv\n"
                               "timeout 3601\n"
                               "slot a\n"
                               "title One\n"
                               "linux /one\n"
                               "title Two\n"
                               "linux /two\n"
                               "initrd /i1\n"
                               "initrd /i2\n"
                               "options a\n"
                               "options b\n"), 1);
        EXPECT("W: p.conf:2: 'timeout' given twice (first at line 1), the later value wins",
               "W: p.conf:4: 'console' given twice (first at line 3), the later value wins",
               "W: p.conf:4: invalid console 'tv' (serial, screen or both), keeping screen",
               "W: p.conf:5: 'timeout' given twice (first at line 1), the later value wins",
               "W: p.conf:5: invalid timeout '3601' (0 to 3600 seconds), keeping 4",
               "W: p.conf:9: slot 'a': 'title' given twice (first at line 7), the later value wins",
               "W: p.conf:10: slot 'a': 'linux' given twice (first at line 8), the later value wins");
        assert_int_equal(cfg.timeout, 4);
        assert_int_equal(cfg.console, SW_CONSOLE_SCREEN);
        assert_string_equal(cfg.slots[0].title, "Two");
        assert_string_equal(cfg.slots[0].linux_path, "/two");
        assert_int_equal(cfg.slots[0].linux_line, 10);
        assert_int_equal(cfg.slots[0].ninitrd, 2);
        assert_string_equal(cfg.slots[0].options, "a b");

        assert_int_equal(parse("timeout 0\ntimeout x\nslot a\nlinux /a\n"), 1);
        assert_int_equal(cfg.timeout, 0);
        assert_int_equal(parse("timeout 3600\nslot a\nlinux /a\n"), 1);
        assert_int_equal(cfg.timeout, 3600);
        EXPECT_NONE();
}

static void test_initrd_limit(void **state)
{
        char text[1024];
        size_t o = 0;

        o += (size_t)snprintf(text + o, sizeof(text) - o, "slot a\nlinux /k\n");
        for (int i = 0; i < 10; i++)
                o += (size_t)snprintf(text + o, sizeof(text) - o, "initrd /i%d\n", i);
        assert_int_equal(parse(text), 0);
        EXPECT("E: p.conf:11: slot 'a': more than 8 'initrd' lines; slot dropped",
               "E: p.conf:12: no valid slot; nothing to boot");
        assert_int_equal(cfg.slots[0].ninitrd, 8);
}

static void test_title_and_sort_key_limits(void **state)
{
        char text[1024], title[200];

        /* 126 ASCII bytes then a 2-byte character: cut before it. */
        memset(title, 't', 126);
        memcpy(title + 126, "\xc3\xa9xyz", 6);
        snprintf(text, sizeof(text), "slot a\nlinux /k\ntitle %s\nsort-key has space\n"
                 "sort-key ok.key\n", title);
        assert_int_equal(parse(text), 1);
        EXPECT("W: p.conf:3: slot 'a': title longer than 127 bytes, cut",
               "W: p.conf:4: slot 'a': invalid sort-key 'has space' (1 to 63 letters, digits, '.', '_', '-' "
               "or '+'), ignored",
               "W: p.conf:5: slot 'a': 'sort-key' given twice (first at line 4), the later value wins");
        assert_int_equal(strlen(cfg.slots[0].title), 126);
        assert_string_equal(cfg.slots[0].sort_key, "ok.key");
}

static void test_crlf_and_bom(void **state)
{
        static const char text[] = "\xef\xbb\xbftimeout 8\r\n"
                                   "\r\n"
                                   "# comment\r\n"
                                   "slot a\r\n"
                                   "title  Hello  \t\r\n"
                                   "linux /k\r\n"
                                   "options quiet\r\n"
                                   "slot b\r\n"
                                   "linux /b";              /* no final newline */

        assert_int_equal(parse(text), 2);
        EXPECT_NONE();
        assert_int_equal(cfg.timeout, 8);
        assert_string_equal(slot("a")->title, "Hello");
        assert_string_equal(slot("a")->options, "quiet");
        assert_string_equal(slot("a")->linux_path, "/k");
        assert_int_equal(slot("b")->line, 8);
        assert_string_equal(slot("b")->linux_path, "/b");

        /* A BOM anywhere else is a character like any other. */
        assert_int_equal(parse("timeout 8\n\xef\xbb\xbftimeout 9\nslot a\nlinux /k\n"), 1);
        EXPECT("W: p.conf:2: unknown key '\xef\xbb\xbftimeout', ignored");
        /* A lone CR in the middle of a line is not a line end. */
        assert_int_equal(parse("slot a\nlinux /k\rtitle x\n"), 0);
        EXPECT("E: p.conf:2: slot 'a': 'linux' line contains a control character; slot dropped",
               "E: p.conf:2: no valid slot; nothing to boot");
}

static void test_empty_and_no_valid_slot(void **state)
{
        assert_int_equal(parse(""), 0);
        EXPECT("E: p.conf:1: no valid slot; nothing to boot");
        assert_int_equal(cfg.nslots, 0);
        assert_true(cfg.usable);
        assert_int_equal(sw_config_default_index(&cfg), -1);

        assert_int_equal(sw_config_parse(&cfg, NULL, 0, NULL, NULL), 0);
        assert_string_equal(cfg.filename, "partitions.conf");

        assert_int_equal(parse("\xef\xbb\xbf# only comments\n\n   \n\t# more\n"), 0);
        EXPECT("E: p.conf:4: no valid slot; nothing to boot");

        assert_int_equal(parse("timeout 3\nslot a\ntitle No kernel\nslot b\nlinux /k\nmode bad\n"), 0);
        EXPECT("E: p.conf:2: slot 'a': no 'linux' or 'image' line; slot dropped",
               "E: p.conf:6: slot 'b': invalid mode 'bad' (swap or in-place); slot dropped",
               "E: p.conf:6: no valid slot; nothing to boot");
        assert_int_equal(cfg.nslots, 2);
        assert_string_equal(cfg.slots[0].title, "No kernel");
        assert_int_equal(sw_config_valid_slots(&cfg), 0);
        assert_int_equal(sw_config_find_slot(&cfg, "a"), -1);
}

/*
 * An unreadable line is never parsed for its value.  For a key that decides
 * what or where a slot boots that drops the slot (and the key counts as
 * seen: no "no 'linux' line" on top); for any other key it is a warning.
 */
static void test_unreadable_line_per_key(void **state)
{
        static const char *const safety[] = { "linux", "initrd", "options", "partition", "mode", "arch", "memory" };
        static const char *const cosmetic[] = { "title", "sort-key", "hotkey", "colour" };
        static const char *const global[] = { "timeout", "default", "console", "next-hotkey", "colour" };
        char text[256], want[256];

        (void)state;
        for (size_t i = 0; i < sizeof(safety) / sizeof(safety[0]); i++) {
                snprintf(text, sizeof(text), "slot a\nlinux /k\n%s x\x01y\n", safety[i]);
                assert_int_equal(parse(text), 0);
                snprintf(want, sizeof(want), "E: p.conf:3: slot 'a': '%s' line contains a control character; "
                         "slot dropped", safety[i]);
                EXPECT(want, "E: p.conf:3: no valid slot; nothing to boot");
        }
        /* The unreadable 'linux' line is the slot's only one: still one error. */
        assert_int_equal(parse("slot a\nlinux /k\x1b[0m\n"), 0);
        EXPECT("E: p.conf:2: slot 'a': 'linux' line contains a control character; slot dropped",
               "E: p.conf:2: no valid slot; nothing to boot");

        for (size_t i = 0; i < sizeof(cosmetic) / sizeof(cosmetic[0]); i++) {
                snprintf(text, sizeof(text), "slot a\nlinux /k\n%s x\x7fy\n", cosmetic[i]);
                assert_int_equal(parse(text), 1);
                EXPECT("W: p.conf:3: slot 'a': line contains a control character, ignored");
        }
        for (size_t i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
                snprintf(text, sizeof(text), "%s \x80\nslot a\nlinux /k\n", global[i]);
                assert_int_equal(parse(text), 1);
                EXPECT("W: p.conf:1: line is not valid UTF-8, ignored");
        }
}

/* Each way a byte sequence can fail to be UTF-8, and the edges that pass. */
static void test_utf8_edges(void **state)
{
        static const char *const bad[] = {
                "\x80",                 /* a continuation byte alone */
                "\xbf",
                "\xc1\xbf",             /* overlong 2-byte */
                "\xe0\x80\x80",         /* overlong 3-byte */
                "\xe0\x9f\xbf",
                "\xf0\x8f\xbf\xbf",     /* overlong 4-byte */
                "\xed\xbf\xbf",         /* a low surrogate */
                "\xf4\x90\x80\x80",     /* above U+10FFFF */
                "\xf5\x80\x80\x80",
                "\xff",
                "\xe2\x82",             /* cut by the end of the line */
                "\xf0\x9f\x90",
                "\xe2\x28\xa1",         /* a continuation that is not one */
        };
        static const char *const good[] = {
                "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
                "\xef\xbf\xbd", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
        };
        char text[128];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                snprintf(text, sizeof(text), "slot a\nlinux /k\ntitle [%s]\n", bad[i]);
                assert_int_equal(parse(text), 1);
                EXPECT("W: p.conf:3: slot 'a': line is not valid UTF-8, ignored");
                assert_string_equal(slot("a")->title, "a");
        }
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                snprintf(text, sizeof(text), "slot a\nlinux /k\ntitle [%s]\n", good[i]);
                assert_int_equal(parse(text), 1);
                EXPECT_NONE();
                snprintf(text, sizeof(text), "[%s]", good[i]);
                assert_string_equal(slot("a")->title, text);
        }
        /* A sequence cut by the end of the buffer (no newline after it). */
        assert_int_equal(parse_n("slot a\nlinux /k\ntitle \xe2\x82\xac", 24), 1);
        EXPECT("W: p.conf:3: slot 'a': line is not valid UTF-8, ignored");
}

/* An unreadable 'slot' line closes the block before it and opens none: its
 * keys, even broken ones, are skipped without another word. */
static void test_unreadable_slot_line(void **state)
{
        (void)state;
        assert_int_equal(parse("slot a\n"
                               "linux /a\n"
                               "slot b\x1b[31m\n"
                               "linux /b\n"
                               "mode sideways\n"
                               "title \x01\n"
                               "slot c\n"
                               "linux /c\n"), 2);
        EXPECT("E: p.conf:3: 'slot' line contains a control character; slot dropped");
        assert_int_equal(cfg.nslots, 2);
        assert_string_equal(slot("a")->linux_path, "/a");
        assert_int_equal(slot("a")->mode, SW_MODE_SWAP);
        assert_string_equal(slot("c")->linux_path, "/c");
}

/* The size keys: every way a value can be unusable. */
static void test_size_values(void **state)
{
        static const struct {
                const char *value, *msg;
        } memory[] = {
                { "16777217", "memory '16777217' is not a multiple of 4 KiB" },
                { "64M+1", "memory '64M+1' is not a size like 128M or 1G" },
                { "0", "memory '0' is less than 16 MiB" },
                { "99999999999999999999", "memory '99999999999999999999' is not a size like 128M or 1G" },
                { "18014398509481984K", "memory '18014398509481984K' is not a size like 128M or 1G" },
                { "0x1000000", "memory '0x1000000' is not a size like 128M or 1G" },
                { "1234567890123456789012345678901234567890",
                  "memory '1234567890123456789012345678901234567890' is not a size like 128M or 1G" },
                { "16M 32M", "memory '16M 32M' is not a size like 128M or 1G" },
                { "1G", "memory '1 GiB' is more than the active region (active-size 512 MiB); only an in-place slot may have more" },
        };
        char text[256], want[512];

        (void)state;
        for (size_t i = 0; i < sizeof(memory) / sizeof(memory[0]); i++) {
                snprintf(text, sizeof(text), "active-size 512M\nslot a\nlinux /k\nmemory %s\nslot b\nlinux /k\n",
                         memory[i].value);
                assert_int_equal(parse(text), 1);
                snprintf(want, sizeof(want), "E: p.conf:4: slot 'a': %s; slot dropped", memory[i].msg);
                EXPECT(want);
                assert_false(slot("a")->valid);
                assert_true(slot("b")->valid);
        }
        /* A value too long to be a size is quoted, not cut into one. */
        assert_int_equal(parse("active-size 0000000000000000000000000000000256M\nslot a\nlinux /k\n"), 0);
        EXPECT("E: p.conf:1: active-size '0000000000000000000000000000000256M' is not a size like 256M or 1G; "
               "configuration unusable, every slot dropped");
        /* The smallest slot, in the smallest active region. */
        assert_int_equal(parse("active-size 16M\nslot a\nlinux /k\nmemory 16384K\n"), 1);
        EXPECT_NONE();
        assert_true(slot("a")->memory == 16ULL << 20);
}

static void test_initrd_path_too_long(void **state)
{
        char text[700], want[700], path[300];

        (void)state;
        memset(path, 'i', 256);
        path[0] = '/';
        path[256] = '\0';
        snprintf(text, sizeof(text), "slot a\nlinux /k\ninitrd /ok\ninitrd %s\n", path);
        assert_int_equal(parse(text), 0);
        snprintf(want, sizeof(want), "E: p.conf:4: slot 'a': initrd path '%.80s' is longer than 255 bytes; "
                 "slot dropped", path);
        EXPECT(want, "E: p.conf:4: no valid slot; nothing to boot");
        /* 255 bytes with its leading '/': the longest that fits. */
        path[255] = '\0';
        snprintf(text, sizeof(text), "slot a\nlinux /k\ninitrd %s\n", path);
        assert_int_equal(parse(text), 1);
        assert_string_equal(slot("a")->initrd[0], path);
}

/* A quoted value is cut at 80 bytes, but never inside a UTF-8 character. */
static void test_quote_cut_on_character(void **state)
{
        char key[256], text[300], want[300];
        size_t n = 0;

        (void)state;
        key[n++] = 'x';
        for (int i = 0; i < 50; i++) {
                key[n++] = '\xc3';
                key[n++] = '\xa9';
        }
        key[n] = '\0';
        snprintf(text, sizeof(text), "%s 1\nslot a\nlinux /k\n", key);
        assert_int_equal(parse(text), 1);
        /* Byte 80 is inside the 40th e-acute: the quote stops before it. */
        key[79] = '\0';
        snprintf(want, sizeof(want), "W: p.conf:1: unknown key '%s', ignored", key);
        EXPECT(want);
}

static void test_length_is_respected(void **state)
{
        /* The parser must stop at len, even in the middle of a line. */
        static const char text[] = "slot a\nlinux /k\nmode in-place\nslot b\nlinux /b\n";

        assert_int_equal(parse_n(text, 16), 1);
        EXPECT_NONE();
        assert_int_equal(cfg.nslots, 1);
        assert_int_equal(cfg.slots[0].mode, SW_MODE_SWAP);
        assert_int_equal(parse_n(text, 25), 0);
        EXPECT("E: p.conf:3: slot 'a': invalid mode 'in-p' (swap or in-place); slot dropped",
               "E: p.conf:3: no valid slot; nothing to boot");
}

/* ------------------------------------------------------------------------ */

static bool fake_exists(void *ctx, const char *path)
{
        const char *const *present = ctx;

        for (; *present; present++)
                if (strcmp(*present, path) == 0)
                        return true;
        return false;
}

static void test_check_files(void **state)
{
        static const char *present[] = {
                "/a/vmlinuz", "/a/initrd", "/b/vmlinuz", "/c/vmlinuz", "/c/initrd1", NULL,
        };

        assert_int_equal(parse("default c\n"
                               "slot a\nlinux \\a\\vmlinuz\ninitrd /a/initrd\n"
                               "slot b\nlinux /b/vmlinuz\n"
                               "slot c\nlinux /c/vmlinuz\ninitrd /c/initrd1\ninitrd /c/initrd2\n"
                               "slot d\nlinux /d/vmlinuz\n"), 4);
        EXPECT_NONE();
        assert_int_equal(sw_config_default_index(&cfg), 2);

        reset_diag();
        assert_int_equal(sw_config_check_files(&cfg, fake_exists, (void *)present, &diag), 2);
        EXPECT("E: p.conf:10: slot 'c': initrd '/c/initrd2' not found; slot dropped",
               "E: p.conf:12: slot 'd': kernel '/d/vmlinuz' not found; slot dropped");
        assert_true(slot("a")->valid);
        assert_true(slot("b")->valid);
        assert_false(slot("c")->valid);
        /* The default went with it: the first valid slot takes over, silently. */
        assert_int_equal(sw_config_default_index(&cfg), 0);

        /* Nothing left: said once. */
        static const char *nothing[] = { NULL };
        reset_diag();
        assert_int_equal(sw_config_check_files(&cfg, fake_exists, (void *)nothing, &diag), 0);
        EXPECT("E: p.conf:3: slot 'a': kernel '/a/vmlinuz' not found; slot dropped",
               "E: p.conf:6: slot 'b': kernel '/b/vmlinuz' not found; slot dropped",
               "E: p.conf:6: no valid slot left; nothing to boot");
        assert_int_equal(sw_config_default_index(&cfg), -1);
}

static void test_sort(void **state)
{
        assert_int_equal(parse("slot z-nokey\nlinux /k\n"
                               "slot m\nlinux /k\nsort-key 20\n"
                               "slot y-nokey\nlinux /k\nmode bogus\n"
                               "slot b\nlinux /k\nsort-key 10\n"
                               "slot a\nlinux /k\nsort-key 20\n"
                               "slot x-nokey\nlinux /k\n"
                               "slot c\nlinux /k\nsort-key 10\n"), 6);
        EXPECT("E: p.conf:8: slot 'y-nokey': invalid mode 'bogus' (swap or in-place); slot dropped");
        sw_config_sort(&cfg);
        assert_int_equal(cfg.nslots, 7);
        assert_string_equal(cfg.slots[0].id, "b");
        assert_string_equal(cfg.slots[1].id, "c");
        assert_string_equal(cfg.slots[2].id, "a");
        assert_string_equal(cfg.slots[3].id, "m");
        /* Without a sort-key, file order, dropped slots included. */
        assert_string_equal(cfg.slots[4].id, "z-nokey");
        assert_string_equal(cfg.slots[5].id, "y-nokey");
        assert_false(cfg.slots[5].valid);
        assert_string_equal(cfg.slots[6].id, "x-nokey");
        /* Slots move whole. */
        assert_int_equal(cfg.slots[0].line, 9);
        assert_string_equal(cfg.slots[0].sort_key, "10");
        assert_int_equal(sw_config_find_slot(&cfg, "x-nokey"), 6);
        assert_int_equal(sw_config_default_index(&cfg), 0);

        /* Sorting a sorted array changes nothing. */
        sw_config_sort(&cfg);
        assert_string_equal(cfg.slots[0].id, "b");
        assert_string_equal(cfg.slots[6].id, "x-nokey");
}

static void test_parse_size(void **state)
{
        static const struct {
                const char *s;
                uint64_t v;
        } good[] = {
                { "0", 0 },
                { "4096", 4096 },
                { "1K", 1024 },
                { "1k", 1024 },
                { "256M", 256ULL << 20 },
                { "256MiB", 256ULL << 20 },
                { "256mib", 256ULL << 20 },
                { "3G", 3ULL << 30 },
                { "2GiB", 2ULL << 30 },
                { "1T", 1ULL << 40 },
                { "1TiB", 1ULL << 40 },
                { "16777215T", 16777215ULL << 40 },
                { "18446744073709551615", UINT64_MAX },
                { "000000000000000000000000000001K", 1024 },
        };
        static const char *const bad[] = {
                "", "M", "-1", "+1", " 1", "1 ", "1.5G", "1KB", "1Ki", "1KiBs", "1P", "0x100",
                "99999999999T", "16777216T", "18446744073709551616", "17179869184G",
                "99999999999999999999999999",
        };
        uint64_t v;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                v = 12345;
                if (sw_parse_size(good[i].s, &v) != 0)
                        fail_msg("'%s' should parse", good[i].s);
                if (v != good[i].v)
                        fail_msg("'%s' gave %llu", good[i].s, (unsigned long long)v);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                v = 12345;
                if (sw_parse_size(bad[i], &v) != -1)
                        fail_msg("'%s' should fail", bad[i]);
                assert_true(v == 12345);
        }
        assert_int_equal(sw_parse_size(NULL, &v), -1);
        assert_int_equal(sw_parse_size("1", NULL), -1);
}

/* ------------------------------------------------------------------------ */
/* Fixture files, read from disk like the tools will. */

static void test_fixture_good(void **state)
{
        const struct sw_slot_config *s;

        assert_int_equal(parse_fixture("conf-good.conf"), 3);
        EXPECT_NONE();
        assert_string_equal(cfg.filename, "conf-good.conf");
        assert_int_equal(cfg.timeout, 10);
        assert_true(cfg.active_size == 512ULL << 20);
        assert_int_equal(cfg.console, SW_CONSOLE_SERIAL);
        assert_int_equal(sw_config_default_index(&cfg), 1);

        s = slot("debian");
        assert_string_equal(s->linux_path, "/slots/debian/vmlinuz-6.1.0-18-amd64");
        assert_string_equal(s->initrd[0], "/slots/debian/initrd.img-6.1.0-18-amd64");
        assert_string_equal(s->options, "root=PARTUUID=1b5b7c3e-8c0f-4e57-9a35-0c5c0a1f2e3d ro "
                            "quiet console=ttyS0,115200");
        assert_string_equal(s->partition, "1b5b7c3e-8c0f-4e57-9a35-0c5c0a1f2e3d");
        assert_string_equal(s->hotkey, "ctrl+alt+1");
        assert_int_equal(s->mode, SW_MODE_IN_PLACE);
        assert_int_equal(s->arch, SW_ARCH_X86_64);

        s = slot("debian-i386");
        assert_int_equal(s->ninitrd, 2);
        assert_int_equal(s->part_kind, SW_PART_LABEL);
        assert_int_equal(s->arch, SW_ARCH_I386);
        assert_string_equal(s->title, "Debian 12 (i686)");

        s = slot("rescue");
        assert_string_equal(s->title, "rescue");
        assert_string_equal(s->hotkey, "f12");

        /* Only 'debian' has a sort-key, so it stays first and the rest keep order. */
        sw_config_sort(&cfg);
        assert_string_equal(cfg.slots[0].id, "debian");
        assert_string_equal(cfg.slots[1].id, "debian-i386");
        assert_string_equal(cfg.slots[2].id, "rescue");
}

static void test_fixture_errors(void **state)
{
        assert_int_equal(parse_fixture("conf-errors.conf"), 1);
        EXPECT("W: conf-errors.conf:2: invalid timeout '9000' (0 to 3600 seconds), keeping 5",
               "W: conf-errors.conf:4: invalid console 'vga' (serial, screen or both), keeping both",
               "W: conf-errors.conf:5: 'linux' is a slot key; put it after a 'slot ID' line; ignored",
               "W: conf-errors.conf:6: unknown key 'colour', ignored",
               "W: conf-errors.conf:12: slot 'good': 'timeout' is a global key; put it before the first "
               "'slot' line; ignored",
               "E: conf-errors.conf:14: slot 'bad id': invalid id (1 to 63 letters, digits, '.', '_', '-' "
               "or '+', not starting with '.'); slot dropped",
               "E: conf-errors.conf:17: slot 'good': id already used by the slot at line 8; slot dropped",
               "E: conf-errors.conf:21: slot 'escape': linux path '/slots/../../etc/vmlinuz' has a '..' "
               "component; slot dropped",
               "W: conf-errors.conf:22: slot 'escape': hotkey 'ctrl+1' is already used by slot 'good', ignored",
               "E: conf-errors.conf:26: slot 'samepart': partition PARTLABEL=good is already used by slot "
               "'good' (line 10); slot dropped",
               "E: conf-errors.conf:30: slot 'oddmode': invalid mode 'sideways' (swap or in-place); slot dropped",
               "E: conf-errors.conf:31: slot 'oddmode': invalid arch 'arm64' (auto, x86_64 or i386); "
               "slot dropped",
               "E: conf-errors.conf:33: slot 'nokernel': no 'linux' or 'image' line; slot dropped",
               "W: conf-errors.conf:3: default slot 'nosuchslot' does not exist or was dropped; using the "
               "first valid slot");
        assert_int_equal(diag.errors, 7);
        assert_int_equal(diag.warnings, 7);
        assert_int_equal(cfg.nslots, 5);
        assert_int_equal(cfg.timeout, 5);
        assert_true(slot("good")->valid);
        assert_string_equal(slot("good")->linux_path, "/good/vmlinuz");
        assert_string_equal(slot("nokernel")->title, "No kernel here");
        assert_int_equal(sw_config_default_index(&cfg), 0);
}

static void test_fixture_crlf_bom(void **state)
{
        assert_int_equal(parse_fixture("conf-crlf-bom.conf"), 1);
        EXPECT("W: conf-crlf-bom.conf:7: slot 'win': line is not valid UTF-8, ignored");
        assert_int_equal(cfg.timeout, 3);
        assert_string_equal(cfg.slots[0].title, "Caf\xc3\xa9 \xe2\x80\x94 CRLF");
        assert_string_equal(cfg.slots[0].linux_path, "/EFI/win/vmlinuz");
}

/* 'image': a slot image instead of linux/initrd; never both. */
static void test_image_key(void **state)
{
        static const char *present[] = { "/slots/a.slot", NULL };

        (void)state;
        assert_int_equal(parse("slot a\nimage \\slots\\a.slot\noptions root=/dev/sda2\n"
                               "slot b\nimage /slots/b.slot\ntitle B\nmode swap\narch x86_64\n"
                               "slot c\nlinux /c/vmlinuz\nimage /slots/c.slot\n"
                               "slot d\nimage /slots/d.slot\ninitrd /d/initrd\n"
                               "slot e\nimage\n"), 2);
        EXPECT("E: p.conf:10: slot 'c': both 'image' (line 11) and 'linux' given; use one; slot dropped",
               "E: p.conf:14: slot 'd': 'initrd' with 'image' (line 13): the image carries its initrds; slot dropped",
               "W: p.conf:16: slot 'e': key 'image' has no value, ignored",
               "E: p.conf:15: slot 'e': no 'linux' or 'image' line; slot dropped");
        assert_string_equal(slot("a")->image_path, "/slots/a.slot");
        assert_int_equal(slot("a")->image_line, 2);
        assert_string_equal(slot("a")->linux_path, "");
        assert_int_equal(slot("a")->title_line, 0);
        assert_int_equal(slot("a")->mode_line, 0);
        assert_int_equal(slot("a")->arch_line, 0);
        assert_int_equal(slot("b")->title_line, 6);
        assert_int_equal(slot("b")->mode_line, 7);
        assert_int_equal(slot("b")->arch_line, 8);

        reset_diag();
        assert_int_equal(sw_config_check_files(&cfg, fake_exists, (void *)present, &diag), 1);
        EXPECT("E: p.conf:5: slot 'b': image '/slots/b.slot' not found; slot dropped");
        assert_true(slot("a")->valid);
}

/* 'snapshot': an ESP path, normalized; a bad one drops the slot with its
 * line.  An in-place slot may have one too (its window, low memory and own
 * RAM are all in the snapshot). */
static void test_snapshot_key(void **state)
{
        (void)state;
        assert_int_equal(parse("slot a\nlinux /a/vmlinuz\nsnapshot \\bank\\a.snap\non-damage cold-boot\n"
                               "slot b\nlinux /b/vmlinuz\nsnapshot /bank/../b.snap\n"
                               "slot c\nlinux /c/vmlinuz\nmode in-place\nmemory 64M\nsnapshot /bank/c.snap\n"
                               "slot d\nlinux /d/vmlinuz\n"),
                         3);
        EXPECT("E: p.conf:7: slot 'b': snapshot path '/bank/../b.snap' has a '..' component; slot dropped");
        assert_string_equal(slot("c")->snapshot_path, "/bank/c.snap");
        assert_int_equal(slot("c")->snapshot_line, 12);
        assert_string_equal(slot("a")->snapshot_path, "/bank/a.snap");
        assert_int_equal(slot("a")->snapshot_line, 3);
        assert_true(slot("a")->cold_boot_on_damage);
        assert_string_equal(slot("d")->snapshot_path, "");
        assert_int_equal(slot("d")->snapshot_line, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_config),
                cmocka_unit_test(test_snapshot_key),
                cmocka_unit_test(test_global_defaults),
                cmocka_unit_test(test_unknown_key_and_missing_value),
                cmocka_unit_test(test_invalid_id),
                cmocka_unit_test(test_duplicate_id),
                cmocka_unit_test(test_bad_active_size),
                cmocka_unit_test(test_bad_partition),
                cmocka_unit_test(test_duplicate_partition),
                cmocka_unit_test(test_bad_mode_and_arch),
                cmocka_unit_test(test_slot_memory),
                cmocka_unit_test(test_next_hotkey),
                cmocka_unit_test(test_paths),
                cmocka_unit_test(test_too_many_slots),
                cmocka_unit_test(test_options_length),
                cmocka_unit_test(test_invalid_utf8_and_control),
                cmocka_unit_test(test_key_in_wrong_section),
                cmocka_unit_test(test_hotkeys),
                cmocka_unit_test(test_default),
                cmocka_unit_test(test_repeated_keys),
                cmocka_unit_test(test_initrd_limit),
                cmocka_unit_test(test_title_and_sort_key_limits),
                cmocka_unit_test(test_crlf_and_bom),
                cmocka_unit_test(test_empty_and_no_valid_slot),
                cmocka_unit_test(test_length_is_respected),
                cmocka_unit_test(test_check_files),
                cmocka_unit_test(test_image_key),
                cmocka_unit_test(test_sort),
                cmocka_unit_test(test_unreadable_line_per_key),
                cmocka_unit_test(test_utf8_edges),
                cmocka_unit_test(test_unreadable_slot_line),
                cmocka_unit_test(test_size_values),
                cmocka_unit_test(test_initrd_path_too_long),
                cmocka_unit_test(test_quote_cut_on_character),
                cmocka_unit_test(test_parse_size),
                cmocka_unit_test(test_fixture_good),
                cmocka_unit_test(test_fixture_errors),
                cmocka_unit_test(test_fixture_crlf_bom),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
