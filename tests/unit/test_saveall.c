/* SPDX-License-Identifier: MIT */
/*
 * poweroff --save's decisions (switcher/saveall.c): which slots are saved
 * and why the others are not, the room check over all snapshots, the file
 * names, who saves the running slot and where, and the power-off record
 * (/poweroff in the mailbox) the resumed slots act on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libfdt.h>

#include "config.h"
#include "gpt.h"
#include "mailbox.h"
#include "saveall.h"

static char why[300];

static void test_classify(void **state)
{
        (void)state;
        assert_int_equal(sw_saveall_classify("lab", "ctl", "suspended", "swap", why, sizeof(why)), SW_SAVEALL_SAVE);
        assert_string_equal(why, "");
        /* No mode in the mailbox: a swap slot, as the switcher's default. */
        assert_int_equal(sw_saveall_classify("lab", "ctl", "suspended", NULL, why, sizeof(why)), SW_SAVEALL_SAVE);
        assert_int_equal(sw_saveall_classify("ctl", "ctl", "running", "swap", why, sizeof(why)), SW_SAVEALL_SELF);
        assert_non_null(strstr(why, "slot 'ctl' is this slot, running: it is saved last, by another slot"));
        assert_int_equal(sw_saveall_classify("b", "ctl", "empty", "swap", why, sizeof(why)), SW_SAVEALL_NOTHING);
        assert_string_equal(why, "slot 'b' has nothing to save: it never ran, or went off");
        assert_int_equal(sw_saveall_classify("b", "ctl", "failed", "swap", why, sizeof(why)), SW_SAVEALL_SKIP);
        assert_string_equal(why, "slot 'b' is not saved: it failed");
        /* An in-place slot has snapshots too (its window, low memory and own RAM). */
        assert_int_equal(sw_saveall_classify("b", "ctl", "suspended", "in-place", why, sizeof(why)), SW_SAVEALL_SAVE);
        assert_int_equal(sw_saveall_classify("b", "ctl", "suspended", "sideways", why, sizeof(why)), SW_SAVEALL_SKIP);
        assert_int_equal(sw_saveall_classify("b", "ctl", NULL, "swap", why, sizeof(why)), SW_SAVEALL_SKIP);
        assert_string_equal(why, "slot 'b' is not saved: it has no state in the mailbox");
        /* Another slot running (a damaged mailbox): not this one, not saved. */
        assert_int_equal(sw_saveall_classify("b", "ctl", "running", "swap", why, sizeof(why)), SW_SAVEALL_SKIP);
        assert_string_equal(why, "slot 'b' is not saved: it is running, and is not this slot");
        assert_int_equal(sw_saveall_classify("b", "ctl", "bogus", "swap", why, sizeof(why)), SW_SAVEALL_SKIP);
}

static void test_room(void **state)
{
        uint64_t need[3] = { 300 << 20, 200 << 20, 1 << 20 };

        (void)state;
        assert_int_equal(sw_saveall_room(need, 3, 501u << 20, why, sizeof(why)), 0);
        assert_string_equal(why, "");
        assert_int_equal(sw_saveall_room(need, 3, (501u << 20) - 1, why, sizeof(why)), -1);
        assert_string_equal(why, "525336575 bytes free, and the 3 snapshots need up to 525336576 (every page non-zero)");
        assert_int_equal(sw_saveall_room(need, 1, 1, why, sizeof(why)), -1);
        assert_string_equal(why, "1 bytes free, and the 1 snapshot needs up to 314572800 (every page non-zero)");
        /* Nothing to save always fits. */
        assert_int_equal(sw_saveall_room(need, 0, 0, why, sizeof(why)), 0);
        need[1] = UINT64_MAX;
        assert_int_equal(sw_saveall_room(need, 3, UINT64_MAX, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "more than 2^64"));
}

static void test_path(void **state)
{
        char out[16];

        (void)state;
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/bank", "lab"), 0);
        assert_string_equal(out, "/bank/lab.snap");
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/bank//", "lab"), 0);
        assert_string_equal(out, "/bank/lab.snap");
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/", "lab"), 0);
        assert_string_equal(out, "/lab.snap");
        assert_int_equal(sw_saveall_path(out, sizeof(out), "d", "a"), 0);
        assert_string_equal(out, "d/a.snap");
        /* "/bank/labx.snap" and its NUL are 16 bytes: just fits; one more
         * byte of id does not. */
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/bank", "labx"), 0);
        assert_string_equal(out, "/bank/labx.snap");
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/bank", "labxy"), -1);
        assert_int_equal(sw_saveall_path(out, sizeof(out), "", "lab"), -1);
        assert_int_equal(sw_saveall_path(out, sizeof(out), "/bank", ""), -1);
}

static const char conf_text[] = "timeout 0\ndefault lab\n\n"
                                "slot lab\nlinux /slots/lab/vmlinuz\npartition PARTLABEL=slot-lab\n\n"
                                "slot ctl\nlinux /slots/ctl/vmlinuz\n"
                                "partition PARTUUID=0fc63daf-8483-4772-8e79-3d69d8477de4\n\n"
                                "slot spare\nlinux /slots/spare/vmlinuz\n";

static uint8_t mb[SW_MAILBOX_SIZE] __attribute__((aligned(8)));

/* A fresh mailbox: ctl running (it runs the command), lab suspended,
 * spare never ran. */
static void fresh_mailbox(void)
{
        static struct sw_config cfg;
        enum sw_slot_state st[SW_MAX_SLOTS] = { SW_SLOT_SUSPENDED, SW_SLOT_RUNNING, SW_SLOT_EMPTY };

        assert_int_equal(sw_config_parse(&cfg, conf_text, strlen(conf_text), "t.conf", NULL), 3);
        assert_int_equal(sw_mailbox_build(mb, sizeof(mb), &cfg, st, 1, NULL), 0);
}

/* ctl's save request, as poweroff --save leaves it before its switch. */
static void request(struct sw_mb_poweroff *p)
{
        memset(p, 0, sizeof(*p));
        p->phase = SW_MB_PO_SAVE;
        strcpy(p->from, "ctl");
        strcpy(p->saver, "lab");
        strcpy(p->fstype, "ext4");
        strcpy(p->part, "PARTUUID=11111111-2222-3333-4444-555555555555");
        strcpy(p->path, "/snaps");
}

/* The switch ctl -> lab, as the switcher records it. */
static void switched(const char *from, const char *to)
{
        assert_int_equal(sw_mb_set_state(mb, from, SW_SLOT_SUSPENDED), 0);
        assert_int_equal(sw_mb_set_state(mb, to, SW_SLOT_RUNNING), 0);
        assert_int_equal(sw_mb_set_current(mb, to), 0);
}

/* /poweroff: built all zero (none), written and read back whole, and
 * refused when damaged or ill-formed. */
static void test_record(void **state)
{
        static struct sw_mb_poweroff p, q;
        int len;
        uint8_t *v;

        (void)state;
        fresh_mailbox();
        assert_int_equal(sw_mb_get_poweroff(mb, &q), 1);
        request(&p);
        assert_int_equal(sw_mb_set_poweroff(mb, &p), 0);
        assert_int_equal(sw_mb_get_poweroff(mb, &q), 0);
        assert_memory_equal(&p, &q, sizeof(p));
        assert_int_equal(sw_mb_check(mb, sizeof(mb)), 0);
        /* One flipped byte: the CRC says so. */
        v = fdt_getprop_w(mb, 0, "poweroff", &len);
        assert_non_null(v);
        assert_int_equal(len, SW_MB_POWEROFF_SIZE);
        v[4 + SW_MB_ID_LEN] ^= 1;
        assert_int_equal(sw_mb_get_poweroff(mb, &q), -SW_MB_BAD_CSUM);
        assert_string_equal(q.from, "");
        /* A field too long for its place, or a phase outside the enum. */
        request(&p);
        memset(p.fstype, 'x', sizeof(p.fstype));
        assert_int_equal(sw_mb_set_poweroff(mb, &p), -SW_MB_MALFORMED);
        request(&p);
        p.phase = SW_MB_PO_MAX;
        assert_int_equal(sw_mb_set_poweroff(mb, &p), -SW_MB_MALFORMED);
        /* Cleared: none again. */
        assert_int_equal(sw_mb_poweroff_clear(mb), 0);
        assert_int_equal(sw_mb_get_poweroff(mb, &q), 1);
        /* A mailbox without the property (an older switcher): none, and
         * nothing can be written. */
        assert_int_equal(fdt_delprop(mb, 0, "poweroff"), 0);
        assert_int_equal(sw_mb_get_poweroff(mb, &q), 1);
        request(&p);
        assert_int_equal(sw_mb_set_poweroff(mb, &p), -SW_MB_MALFORMED);
}

/* What each slot does when it resumes, along poweroff --save run in ctl. */
static void test_todo(void **state)
{
        static struct sw_mb_poweroff p, q;

        (void)state;
        fresh_mailbox();
        assert_int_equal(sw_poweroff_todo(mb, "lab", &q, why, sizeof(why)), SW_PO_NOTHING);
        assert_string_equal(why, "");
        request(&p);
        assert_int_equal(sw_mb_set_poweroff(mb, &p), 0);
        switched("ctl", "lab");
        /* lab, the saver, saves ctl; no other slot acts on it, ctl itself
         * included. */
        assert_int_equal(sw_poweroff_todo(mb, "lab", &q, why, sizeof(why)), SW_PO_SAVE);
        assert_string_equal(q.from, "ctl");
        assert_string_equal(q.path, "/snaps");
        assert_int_equal(sw_poweroff_todo(mb, "spare", &q, why, sizeof(why)), SW_PO_NOTHING);
        assert_int_equal(sw_poweroff_todo(mb, "ctl", &q, why, sizeof(why)), SW_PO_NOTHING);
        /* ctl not suspended (it went off, or runs again): said, not saved. */
        assert_int_equal(sw_mb_set_state(mb, "ctl", SW_SLOT_EMPTY), 0);
        assert_int_equal(sw_poweroff_todo(mb, "lab", &q, why, sizeof(why)), SW_PO_IGNORE);
        assert_non_null(strstr(why, "slot 'ctl' asked this slot to save it for its poweroff --save, but it is "
                                    "empty now, not suspended; not saved"));
        assert_int_equal(sw_mb_set_state(mb, "ctl", SW_SLOT_SUSPENDED), 0);
        /* lab saved ctl and goes off: the record says so. */
        assert_int_equal(sw_poweroff_mark(mb, "lab"), 0);
        assert_int_equal(sw_mb_get_poweroff(mb, &q), 0);
        assert_int_equal(q.phase, SW_MB_PO_OFF);
        assert_string_equal(q.from, "lab");
        /* lab still running (its power-off did not happen yet): nobody goes
         * off for it. */
        assert_int_equal(sw_poweroff_todo(mb, "ctl", &q, why, sizeof(why)), SW_PO_NOTHING);
        /* lab went off, the switcher resumed ctl: ctl goes off too, and so
         * does spare after it. */
        assert_int_equal(sw_mb_set_state(mb, "lab", SW_SLOT_EMPTY), 0);
        switched("lab", "ctl");
        assert_int_equal(sw_mb_set_state(mb, "lab", SW_SLOT_EMPTY), 0);
        assert_int_equal(sw_poweroff_todo(mb, "ctl", &q, why, sizeof(why)), SW_PO_OFF);
        assert_int_equal(sw_poweroff_todo(mb, "spare", &q, why, sizeof(why)), SW_PO_OFF);
        /* lab itself, started again, does not go off for its own old
         * record, and once it has state again the record is stale for all. */
        assert_int_equal(sw_poweroff_todo(mb, "lab", &q, why, sizeof(why)), SW_PO_NOTHING);
        assert_int_equal(sw_mb_set_state(mb, "lab", SW_SLOT_RUNNING), 0);
        assert_int_equal(sw_poweroff_todo(mb, "ctl", &q, why, sizeof(why)), SW_PO_NOTHING);
        /* A damaged record is said and ignored. */
        {
                int len;
                uint8_t *v = fdt_getprop_w(mb, 0, "poweroff", &len);

                v[0] ^= 0x80;
        }
        assert_int_equal(sw_poweroff_todo(mb, "ctl", &q, why, sizeof(why)), SW_PO_IGNORE);
        assert_string_equal(why, "the power-off record in the mailbox is damaged (bad-csum); ignored");
}

/* ctl runs again after its switch to the saver: why its save did not
 * happen. */
static void test_back(void **state)
{
        static struct sw_mb_poweroff p;

        (void)state;
        fresh_mailbox();
        /* ctl's switch was its request 5, and the switcher answered it. */
        assert_int_equal(sw_mb_set_result(mb, "ctl", 5, SW_MB_OK, "switched"), 0);
        request(&p);
        assert_int_equal(sw_mb_set_poweroff(mb, &p), 0);
        assert_int_equal(sw_poweroff_back(mb, "ctl", 5, why, sizeof(why)), 0);
        assert_string_equal(why, "slot 'lab' did not save this slot (it was not resumed inside a switch, where "
                                 "its agent looks for the request)");
        p.phase = SW_MB_PO_FAILED;
        strcpy(p.message, "cannot mount /dev/sda4 (ext4) on /tmp/x: No such device");
        assert_int_equal(sw_mb_set_poweroff(mb, &p), 0);
        assert_int_equal(sw_poweroff_back(mb, "ctl", 5, why, sizeof(why)), 0);
        assert_string_equal(why, "slot 'lab' could not save this slot: cannot mount /dev/sda4 (ext4) on /tmp/x: "
                                 "No such device");
        assert_int_equal(sw_poweroff_mark(mb, "lab"), 0);
        assert_int_equal(sw_poweroff_back(mb, "ctl", 5, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "is gone"));
        /* The record gone, but the switcher answered the request: the
         * mailbox was rebuilt, not made anew; not saved. */
        assert_int_equal(sw_mb_poweroff_clear(mb), 0);
        assert_int_equal(sw_poweroff_back(mb, "ctl", 5, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "is gone (the switcher rebuilt the mailbox"));
        /* A new mailbox (a later start-up brought ctl back from its
         * snapshot): no record, no answer: saved. */
        fresh_mailbox();
        assert_int_equal(sw_poweroff_back(mb, "ctl", 5, why, sizeof(why)), 1);
        assert_string_equal(why, "this slot, 'ctl', runs again from its snapshot, in a later start-up (the mailbox "
                                 "is a new one, without the answer to its request 5): its poweroff --save went "
                                 "through");
}

/* Who saves the running slot, and where the snapshots may go. */
static void test_saver_and_dir(void **state)
{
        const char *saved[2] = { "lab", "spare" };
        static struct sw_gpt_part e;

        (void)state;
        assert_int_equal(sw_saveall_saver(saved, 2, "ctl", why, sizeof(why)), 0);
        assert_string_equal(why, "");
        assert_int_equal(sw_saveall_saver(saved, 0, "ctl", why, sizeof(why)), -1);
        assert_string_equal(why, "slot 'ctl' can only be saved by another slot once it is suspended, and no other "
                                 "slot is suspended to do it");
        fresh_mailbox();
        /* A partition of no slot. */
        strcpy(e.name, "bank");
        strcpy(e.uuid_str, "11111111-2222-3333-4444-555555555555");
        assert_int_equal(sw_saveall_dir_part(mb, &e, "/bank", why, sizeof(why)), 0);
        assert_string_equal(why, "");
        /* lab's, by its label; ctl's (the running slot's own), by its uuid. */
        strcpy(e.name, "slot-lab");
        assert_int_equal(sw_saveall_dir_part(mb, &e, "/bank", why, sizeof(why)), -1);
        assert_string_equal(why, "/bank lies on slot 'lab''s partition PARTLABEL=slot-lab, which is saved with its "
                                 "slot and changes while it runs; put the snapshots on a partition of no slot");
        strcpy(e.name, "x");
        strcpy(e.uuid_str, "0fc63daf-8483-4772-8e79-3d69d8477de4");
        assert_int_equal(sw_saveall_dir_part(mb, &e, "/d", why, sizeof(why)), -1);
        assert_non_null(strstr(why, "slot 'ctl''s partition PARTUUID=0fc63daf"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_classify),
                cmocka_unit_test(test_room),
                cmocka_unit_test(test_path),
                cmocka_unit_test(test_record),
                cmocka_unit_test(test_todo),
                cmocka_unit_test(test_back),
                cmocka_unit_test(test_saver_and_dir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
