/* SPDX-License-Identifier: MIT */
/*
 * The switch decision (switch.c), table-tested: every refusal the resident
 * switcher can give (the mailbox's verdicts, a target that cannot run, a
 * suspended target without a waking vector, each saved-state verdict, RAM
 * without a place in its store), and every state transition (cold boot,
 * resume, recover, the requester suspended, a target marked failed, the
 * prewarm chain).  The plan is real: the 2 GiB OVMF memory map, a config
 * with three swap slots (one of them smaller than the active region) and
 * an in-place one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util_fixture.h"
#include "config.h"
#include "plan.h"
#include "snapshot.h"
#include "switch.h"

#define MiB (1024ULL * 1024)

enum { A, B, C, D };    /* config indexes of the slots */

static struct sw_config cfg;
static struct sw_plan plan;
static struct sw_range ranges[4][SW_ACTIVE_MAX];
static struct sw_switch_facts f;
static struct sw_switch_decision d;

/* What the verify callback answers, and how often it was asked. */
static enum sw_save_verdict verdict;
static int verify_calls, verify_slot;

static enum sw_save_verdict fake_verify(void *ctx, int i, char *why, size_t n)
{
        (void)ctx;
        verify_calls++;
        verify_slot = i;
        if (verdict != SW_SAVE_OK)
                snprintf(why, n, "its store changed since it was saved");
        return verdict;
}

static const char conf[] = "active-size 256M\n"
                           "slot a\nlinux /a\n\n"
                           "slot b\nlinux /b\non-damage cold-boot\n\n"
                           "slot c\nlinux /c\nmode in-place\nmemory 256M\n\n"
                           "slot d\nlinux /d\nmemory 64M\n";

static int setup(void **state)
{
        static struct sw_memmap map;
        static struct sw_plan_input in;
        (void)state;

        memset(&cfg, 0, sizeof(cfg));
        assert_int_equal(sw_config_parse(&cfg, conf, sizeof(conf) - 1, "t.conf", NULL), 4);
        load_memmap_fixture(&map, "memmap-ovmf-2G.txt");
        in = (struct sw_plan_input){ .cfg = &cfg, .map_top = sw_memmap_top(&map) };
        assert_int_equal(sw_plan_input_from_config(&in), 4);
        assert_int_equal(sw_plan_build(&map, &in.req, &plan, NULL), 4);

        memset(&f, 0, sizeof(f));
        f.cfg = &cfg;
        f.plan = &plan;
        f.current = A;
        f.request = SW_MB_OK;
        for (int i = 0; i < 4; i++) {
                int k = -1;

                for (unsigned j = 0; j < plan.nslots; j++)
                        if (strcmp(plan.slots[j].id, cfg.slots[i].id) == 0)
                                k = (int)j;
                assert_true(k >= 0);
                f.slot[i].plan_index = k;
                f.slot[i].usable = true;
                f.slot[i].vector = 0x9a000;
                f.slot[i].state = SW_SLOT_EMPTY;
                f.slot[i].result_seq = 4;
                f.slot[i].nranges = (unsigned)sw_plan_slot_ranges(&plan, (unsigned)k, ranges[i], SW_ACTIVE_MAX);
                f.slot[i].ranges = ranges[i];
        }
        f.slot[A].state = SW_SLOT_RUNNING;
        f.slot[B].can_recover = true;
        f.slot[B].has_spare = true;
        snprintf(f.req.slot, sizeof(f.req.slot), "a");
        snprintf(f.req.target, sizeof(f.req.target), "b");
        f.req.seq = 5;
        f.verify = fake_verify;
        f.lazy_owner = -1;
        f.previous = -1;
        verdict = SW_SAVE_OK;
        verify_calls = 0;
        verify_slot = -1;
        return 0;
}

/* A refusal: the requester's result and nothing copied, nobody's state
 * changed except where expected. */
static void assert_refused(enum sw_mb_status st, const char *message, uint32_t seq)
{
        assert_int_equal(d.action, SW_SWITCH_REFUSE);
        assert_int_equal(d.status, st);
        assert_string_equal(d.message, message);
        assert_int_equal(d.result_seq, seq);
        assert_int_equal(d.save.n, 0);
        assert_int_equal(d.restore.n, 0);
        assert_int_equal(d.state[A], SW_SLOT_RUNNING);
}

static void test_mailbox_verdicts_refused(void **state)
{
        static const struct {
                enum sw_mb_status st;
                const char *message;
                uint32_t seq;   /* the seq the result answers */
        } rows[] = {
                { SW_MB_BAD_CSUM, "request refused: bad-csum", 5 },
                { SW_MB_UNKNOWN_SLOT, "request refused: unknown-slot", 5 },
                { SW_MB_SAME_SLOT, "request refused: same-slot", 5 },
                { SW_MB_MALFORMED, "request refused: malformed", 5 },
                /* No new request: the result keeps the last switch's seq. */
                { SW_MB_BAD_SEQ, "request refused: bad-seq", 4 },
                { SW_MB_NO_REQUEST, "request refused: no-request", 4 },
        };
        (void)state;

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                f.request = rows[i].st;
                sw_switch_decide(&f, &d);
                assert_refused(rows[i].st, rows[i].message, rows[i].seq);
                assert_int_equal(d.target, -1);
                assert_string_equal(d.log, "");
        }
        assert_int_equal(verify_calls, 0);
}

static void test_cold_boot(void **state)
{
        (void)state;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_COLD_BOOT);
        assert_int_equal(d.target, B);
        assert_int_equal(d.status, SW_MB_OK);
        assert_int_equal(d.result_seq, 5);
        assert_string_equal(d.message, "switched to 'b'");
        assert_int_equal(d.state[A], SW_SLOT_SUSPENDED);
        assert_int_equal(d.state[B], SW_SLOT_RUNNING);
        assert_int_equal(d.state[C], SW_SLOT_EMPTY);
        /* A never-run slot has nothing to verify. */
        assert_int_equal(verify_calls, 0);
        /* Both swap slots see the whole active region: all of it saved,
         * all of it brought back. */
        assert_int_equal(d.save.bytes, 256 * MiB);
        assert_int_equal(d.restore.bytes, 256 * MiB);
        assert_int_equal(d.save.n, plan.nactive);
        for (unsigned k = 0; k < d.save.n; k++) {
                assert_int_equal(d.save.c[k].active, plan.active[k].base);
                assert_int_equal(d.save.c[k].size, plan.active[k].size);
                assert_true(d.save.c[k].store >= plan.slots[f.slot[A].plan_index].store_base);
        }
}

static void test_resume(void **state)
{
        (void)state;
        f.slot[B].state = SW_SLOT_SUSPENDED;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RESUME);
        assert_int_equal(verify_calls, 1);
        assert_int_equal(verify_slot, B);
        assert_int_equal(d.verdict, SW_SAVE_OK);
        assert_int_equal(d.state[A], SW_SLOT_SUSPENDED);
        assert_int_equal(d.state[B], SW_SLOT_RUNNING);
        assert_string_equal(d.log, "");
}

/* Each verdict that refuses a resume: the target marked failed (b has no
 * recovery here), the requester goes on with the reason. */
static void test_damaged_store_fails_target(void **state)
{
        static const struct {
                enum sw_save_verdict v;
                const char *name;
        } rows[] = {
                { SW_SAVE_ERR_NONE, "never-saved" },         { SW_SAVE_ERR_CONSUMED, "consumed" },
                { SW_SAVE_ERR_HEADER, "header-damaged" },    { SW_SAVE_ERR_IDENTITY, "identity-mismatch" },
                { SW_SAVE_ERR_DATA, "data-mismatch" },
        };
        char log[SW_SWITCH_LOG_LEN];
        (void)state;

        f.slot[B].can_recover = false;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                f.slot[B].state = SW_SLOT_SUSPENDED;
                verdict = rows[i].v;
                sw_switch_decide(&f, &d);
                assert_refused(SW_MB_TARGET_FAILED, "cannot resume 'b': its store changed since it was saved", 5);
                assert_int_equal(d.verdict, rows[i].v);
                assert_int_equal(d.state[B], SW_SLOT_FAILED);
                snprintf(log, sizeof(log), "slot 'b': cannot resume: its store changed since it was saved (%s); "
                                           "slot marked failed", rows[i].name);
                assert_string_equal(d.log, log);
        }
}

static void test_damaged_store_recovers(void **state)
{
        (void)state;
        f.slot[B].state = SW_SLOT_SUSPENDED;
        verdict = SW_SAVE_ERR_DATA;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RECOVER);
        assert_int_equal(d.status, SW_MB_OK);
        assert_string_equal(d.message, "switched to 'b' (cold boot: its saved state was damaged)");
        assert_string_equal(d.log, "slot 'b': cannot resume: its store changed since it was saved (data-mismatch); "
                                   "cold-booting it instead (on-damage cold-boot)");
        assert_int_equal(d.state[A], SW_SLOT_SUSPENDED);
        assert_int_equal(d.state[B], SW_SLOT_RUNNING);
        /* The requester is saved; the target comes from its recovery copy,
         * not its store. */
        assert_int_equal(d.save.bytes, 256 * MiB);
        assert_int_equal(d.restore.n, 0);
}

static void test_target_cannot_run(void **state)
{
        (void)state;
        /* Not loaded, not placed, or dropped by the config. */
        f.slot[B].usable = false;
        sw_switch_decide(&f, &d);
        assert_refused(SW_MB_TARGET_FAILED, "request refused: target-failed", 5);
        assert_int_equal(d.state[B], SW_SLOT_EMPTY);

        /* Failed before: stays failed, never verified. */
        f.slot[B].usable = true;
        f.slot[B].state = SW_SLOT_FAILED;
        sw_switch_decide(&f, &d);
        assert_refused(SW_MB_TARGET_FAILED, "request refused: target-failed", 5);
        assert_int_equal(d.state[B], SW_SLOT_FAILED);

        /* A target the config does not have, though the mailbox had it. */
        snprintf(f.req.target, sizeof(f.req.target), "zz");
        sw_switch_decide(&f, &d);
        assert_refused(SW_MB_TARGET_FAILED, "request refused: target-failed", 5);
        assert_int_equal(d.target, -1);

        /* The running slot itself. */
        snprintf(f.req.target, sizeof(f.req.target), "a");
        sw_switch_decide(&f, &d);
        assert_refused(SW_MB_SAME_SLOT, "request refused: same-slot", 5);
        assert_int_equal(verify_calls, 0);
}

static void test_suspended_without_vector(void **state)
{
        (void)state;
        f.slot[B].state = SW_SLOT_SUSPENDED;
        f.slot[B].vector = 0;
        sw_switch_decide(&f, &d);
        assert_refused(SW_MB_TARGET_FAILED, "request refused: target-failed", 5);
        assert_int_equal(d.state[B], SW_SLOT_FAILED);
        assert_int_equal(verify_calls, 0);
}

/* A swap slot's RAM range with no complete place in its store: refused
 * before anything is copied, whichever side it is on. */
static void test_range_without_place(void **state)
{
        struct sw_range bad[SW_ACTIVE_MAX];
        unsigned n = f.slot[A].nranges;
        (void)state;

        /* The requester sees one page more than its store holds. */
        memcpy(bad, ranges[A], n * sizeof(bad[0]));
        bad[n - 1].size += 4096;
        f.slot[A].ranges = bad;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_REFUSE);
        assert_int_equal(d.status, SW_MB_CANNOT_SAVE);
        assert_non_null(strstr(d.message, "cannot save 'a': RAM 0x"));
        assert_non_null(strstr(d.log, "has no complete place in its store"));
        assert_int_equal(d.state[A], SW_SLOT_RUNNING);
        assert_int_equal(d.state[B], SW_SLOT_EMPTY);

        /* The target's range lies outside the active region. */
        f.slot[A].ranges = ranges[A];
        memcpy(bad, ranges[B], f.slot[B].nranges * sizeof(bad[0]));
        bad[0].base = plan.slots[f.slot[B].plan_index].store_base;
        f.slot[B].ranges = bad;
        f.slot[B].state = SW_SLOT_SUSPENDED;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_REFUSE);
        assert_int_equal(d.status, SW_MB_TARGET_FAILED);
        assert_non_null(strstr(d.message, "cannot switch to 'b': RAM 0x"));
        assert_int_equal(d.state[B], SW_SLOT_FAILED);
        /* Refused before its store was even read. */
        assert_int_equal(verify_calls, 0);

        /* d's store holds 64 MiB: a range list that gives it the whole
         * active region has no place past that, though every range is
         * active RAM. */
        f.slot[D].ranges = ranges[A];
        f.slot[D].nranges = f.slot[A].nranges;
        f.slot[D].state = SW_SLOT_SUSPENDED;
        snprintf(f.req.target, sizeof(f.req.target), "d");
        sw_switch_decide(&f, &d);
        assert_int_equal(d.status, SW_MB_TARGET_FAILED);
        assert_non_null(strstr(d.message, "cannot switch to 'd': RAM 0x"));
        assert_int_equal(verify_calls, 0);
        /* Its own list is what a 64 MiB slot sees. */
        f.slot[D].ranges = ranges[D];
        f.slot[D].nranges = (unsigned)sw_plan_slot_ranges(&plan, (unsigned)f.slot[D].plan_index, ranges[D],
                                                          SW_ACTIVE_MAX);
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RESUME);
        assert_int_equal(d.restore.bytes, 64 * MiB);
}

/* An in-place slot: only the low memory moves; its own RAM stays. */
static void test_in_place_copies_low_memory_only(void **state)
{
        uint64_t low = 0;
        (void)state;

        for (unsigned k = 0; k < plan.nactive; k++)
                if (plan.active[k].base < 1 * MiB)
                        low += plan.active[k].size;
        snprintf(f.req.target, sizeof(f.req.target), "c");
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_COLD_BOOT);
        assert_int_equal(d.restore.bytes, low);
        for (unsigned k = 0; k < d.restore.n; k++)
                assert_true(d.restore.c[k].active < 1 * MiB);

        /* And back: c is the requester now. */
        f.current = C;
        f.slot[C].state = SW_SLOT_RUNNING;
        f.slot[A].state = SW_SLOT_SUSPENDED;
        snprintf(f.req.slot, sizeof(f.req.slot), "c");
        snprintf(f.req.target, sizeof(f.req.target), "a");
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RESUME);
        assert_int_equal(d.save.bytes, low);
        assert_int_equal(d.state[C], SW_SLOT_SUSPENDED);
        assert_int_equal(d.state[A], SW_SLOT_RUNNING);
}

static void test_prewarm_chain(void **state)
{
        static const int chain[] = { C, B, A };
        (void)state;

        /* c prewarms, then b; a is the chosen slot.  c hands over to b. */
        f.chain = chain;
        f.nprewarm = 2;
        f.pos = 0;
        f.current = C;
        f.slot[A].state = SW_SLOT_EMPTY;
        f.slot[C].state = SW_SLOT_RUNNING;
        snprintf(f.req.slot, sizeof(f.req.slot), "c");
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_COLD_BOOT);
        assert_int_equal(d.prewarm_pos, 1);

        /* b hands over to a: the chain is done. */
        f.pos = 1;
        f.current = B;
        f.slot[B].state = SW_SLOT_RUNNING;
        f.slot[C].state = SW_SLOT_SUSPENDED;
        snprintf(f.req.slot, sizeof(f.req.slot), "b");
        snprintf(f.req.target, sizeof(f.req.target), "a");
        sw_switch_decide(&f, &d);
        assert_int_equal(d.prewarm_pos, 2);

        /* A switch elsewhere ends the chain early; a refusal keeps it. */
        snprintf(f.req.target, sizeof(f.req.target), "c");
        sw_switch_decide(&f, &d);
        assert_int_equal(d.prewarm_pos, 2);
        f.request = SW_MB_BAD_CSUM;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.prewarm_pos, 1);
}

static void test_bad_current_refused(void **state)
{
        (void)state;
        f.current = 7;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_REFUSE);
        assert_int_equal(d.status, SW_MB_MALFORMED);
        f.current = -1;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_REFUSE);
}

/* A slot that restarts through its tboot entry: recovered in place when it
 * has a recovery copy (nothing saved, nothing restored, the others as they
 * were), the machine reset when it has none. */
static void test_reboot_alone(void **state)
{
        (void)state;
        f.entry = SW_ENTRY_REBOOT;
        f.current = B;
        f.slot[A].state = SW_SLOT_SUSPENDED;
        f.slot[B].state = SW_SLOT_RUNNING;
        f.request = SW_MB_NO_REQUEST;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RECOVER);
        assert_int_equal(d.target, B);
        assert_int_equal(d.state[B], SW_SLOT_RUNNING);
        assert_int_equal(d.state[A], SW_SLOT_SUSPENDED);
        assert_int_equal(d.save.n, 0);
        assert_int_equal(d.restore.n, 0);
        assert_int_equal(verify_calls, 0);
        assert_string_equal(d.log, "slot 'b' restarts: cold boot from its recovery copy");

        f.current = A;
        f.slot[A].state = SW_SLOT_RUNNING;
        f.slot[B].state = SW_SLOT_SUSPENDED;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RESET);
        assert_int_equal(d.save.n, 0);
        assert_string_equal(d.log, "slot 'a' restarts and has no recovery copy: resetting the machine");
}

/* A slot that goes off: the machine goes on in the slot that ran before
 * it (resumed, its state checked), else the default, else any suspended
 * one; with none left it powers off. */
static void test_off_goes_on_elsewhere(void **state)
{
        (void)state;
        f.entry = SW_ENTRY_OFF;
        f.request = SW_MB_NO_REQUEST;
        f.current = A;
        f.previous = B;
        f.slot[B].state = SW_SLOT_SUSPENDED;
        f.slot[C].state = SW_SLOT_SUSPENDED;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RESUME);
        assert_int_equal(d.target, B);
        assert_int_equal(verify_slot, B);
        assert_int_equal(d.state[A], SW_SLOT_EMPTY);
        assert_int_equal(d.state[B], SW_SLOT_RUNNING);
        assert_int_equal(d.state[C], SW_SLOT_SUSPENDED);
        assert_int_equal(d.save.n, 0);
        assert_true(d.restore.n > 0);
        assert_string_equal(d.message, "slot 'a' is off; going on in 'b'");

        /* The one before it never ran: the default (a, off itself) is
         * skipped, and the first suspended slot goes on. */
        f.slot[B].state = SW_SLOT_EMPTY;
        verify_calls = 0;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RESUME);
        assert_int_equal(d.target, C);
        assert_int_equal(verify_calls, 1);

        /* C's state is damaged and C has no recovery copy: marked failed,
         * and nothing with state is left. */
        verdict = SW_SAVE_ERR_DATA;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_POWER_OFF);
        assert_int_equal(d.target, -1);
        assert_int_equal(d.state[C], SW_SLOT_FAILED);
        assert_int_equal(d.state[A], SW_SLOT_EMPTY);
        assert_int_equal(d.restore.n, 0);
        assert_string_equal(d.log, "slot 'a' is off and no other slot has state: powering off");
}

/* A switch to a slot that went off earlier: only its recovery copy can
 * start it (its store no longer holds the staged kernel). */
static void test_switch_to_off_slot(void **state)
{
        (void)state;
        f.slot[B].recover_only = true;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RECOVER);
        assert_int_equal(d.target, B);
        assert_int_equal(d.restore.n, 0);
        assert_true(d.save.n > 0);
        assert_string_equal(d.message, "switched to 'b' (cold boot: from its recovery copy)");

        f.slot[B].has_spare = false;
        sw_switch_decide(&f, &d);
        assert_refused(SW_MB_TARGET_FAILED, "cannot start 'b' again: it was shut down and has no recovery copy", 5);
}

/* Lazy save: swap a -> in-place c saves only what c overwrites, and leaves
 * the rest of a's RAM in the active region. */
static struct sw_copy_list rest;

static void lazy_to_c(void)
{
        struct sw_copy_list full;
        char why[160];

        f.current = A;
        f.lazy_owner = -1;
        snprintf(f.req.target, sizeof(f.req.target), "c");
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_COLD_BOOT);
        assert_int_equal(sw_switch_copy_list(&plan, f.slot[A].plan_index, f.slot[A].ranges, f.slot[A].nranges, &full,
                                             why, sizeof(why)), 0);
        assert_int_equal(d.lazy_owner, A);
        assert_int_equal(d.flush.n, 0);
        assert_true(d.save.bytes > 0);
        assert_true(d.lazy_rest.bytes > d.save.bytes);
        assert_int_equal(d.save.bytes + d.lazy_rest.bytes, full.bytes);
        /* Every saved piece lies inside c's ranges, every kept one outside. */
        for (unsigned k = 0; k < d.save.n; k++) {
                bool inside = false;

                for (unsigned i = 0; i < f.slot[C].nranges; i++)
                        inside |= d.save.c[k].active >= ranges[C][i].base &&
                                  d.save.c[k].active + d.save.c[k].size <= ranges[C][i].base + ranges[C][i].size;
                assert_true(inside);
        }
        rest = d.lazy_rest;
}

/* The facts after lazy_to_c(): c runs, a suspended with its rest in place. */
static void from_c_with_a_lazy(void)
{
        f.current = C;
        f.slot[A].state = SW_SLOT_SUSPENDED;
        f.slot[C].state = SW_SLOT_RUNNING;
        f.lazy_owner = A;
        f.lazy_rest = &rest;
        snprintf(f.req.slot, sizeof(f.req.slot), "c");
}

static void test_lazy_save_to_in_place(void **state)
{
        uint64_t saved;

        (void)state;
        lazy_to_c();
        saved = d.save.bytes;

        /* c -> a: only the saved part comes back, nothing is flushed. */
        from_c_with_a_lazy();
        snprintf(f.req.target, sizeof(f.req.target), "a");
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RESUME);
        assert_int_equal(verify_slot, A);
        assert_int_equal(d.restore.bytes, saved);
        assert_int_equal(d.flush.n, 0);
        assert_int_equal(d.lazy_owner, -1);
}

/* A swap slot claims the region: the owner's rest goes to its store first. */
static void test_lazy_flushed_by_swap(void **state)
{
        (void)state;
        lazy_to_c();
        from_c_with_a_lazy();
        snprintf(f.req.target, sizeof(f.req.target), "d");
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_COLD_BOOT);
        assert_int_equal(d.flush_slot, A);
        assert_int_equal(d.flush.bytes, rest.bytes);
        assert_int_equal(d.lazy_owner, -1);

        /* The same on a restart of c that stays out of the rest: kept. */
        f.entry = SW_ENTRY_REBOOT;
        f.slot[C].has_spare = true;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RECOVER);
        assert_int_equal(d.flush.n, 0);
        assert_int_equal(d.lazy_owner, A);
        assert_int_equal(d.lazy_rest.bytes, rest.bytes);
}

/* The owner's RAM found changed: refused and failed, as a changed store. */
static void test_lazy_owner_damaged(void **state)
{
        (void)state;
        lazy_to_c();
        from_c_with_a_lazy();
        snprintf(f.req.target, sizeof(f.req.target), "a");
        verdict = SW_SAVE_ERR_DATA;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_REFUSE);
        assert_int_equal(d.state[A], SW_SLOT_FAILED);
        assert_string_equal(d.message, "cannot resume 'a': its store changed since it was saved");
}

static void test_names(void **state)
{
        (void)state;
        assert_string_equal(sw_switch_action_name(SW_SWITCH_REFUSE), "refuse");
        assert_string_equal(sw_switch_action_name(SW_SWITCH_RESUME), "resume");
        assert_string_equal(sw_switch_action_name(SW_SWITCH_COLD_BOOT), "cold-boot");
        assert_string_equal(sw_switch_action_name(SW_SWITCH_RECOVER), "recover");
        assert_string_equal(sw_switch_action_name(SW_SWITCH_POWER_OFF), "power-off");
        assert_string_equal(sw_switch_action_name(SW_SWITCH_RESET), "reset");
        assert_string_equal(sw_switch_action_name((enum sw_switch_action)9), "unknown");
        assert_string_equal(sw_mb_status_name(SW_MB_CANNOT_SAVE), "cannot-save");
}

/* ---------------------------------------------------------------------- */
/* Adoption of a restored snapshot (the lab bank): a request from a to
 * itself, with b's snapshot in the adopt request. */

static struct sw_mb_adopt adopt;
static struct sw_snap_header snap;
static int ram_hash_calls;

static void fake_identity(void *ctx, int i, struct sw_save_identity *id)
{
        const struct sw_slot_plan *p = &plan.slots[f.slot[i].plan_index];

        (void)ctx;
        sw_save_identity_make(id, &cfg.slots[i], "6.1.0-test", 1000, NULL, 0, p->store_base, p->store_size);
}

static uint64_t fake_ram_hash(void *ctx, int i)
{
        (void)ctx;
        (void)i;
        ram_hash_calls++;
        return 0x1234;
}

/* b's snapshot as the agent would send it, with edit() applied to the
 * header before it is encoded. */
static void adopt_setup(void (*edit)(struct sw_snap_header *h))
{
        f.current = A;
        f.request = SW_MB_SAME_SLOT;
        snprintf(f.req.target, sizeof(f.req.target), "a");
        f.slot[B].state = SW_SLOT_SUSPENDED;
        f.identity = fake_identity;
        f.ram_hash = fake_ram_hash;
        ram_hash_calls = 0;
        memset(&snap, 0, sizeof(snap));
        snap.nparts = 2;
        snap.created = 1700000000;
        snap.waking_vector = 0x9a000;
        snap.config_hash = sw_snap_config_hash(&cfg, &cfg.slots[B]);
        fake_identity(NULL, B, &snap.id);
        if (edit)
                edit(&snap);
        memset(&adopt, 0, sizeof(adopt));
        snprintf(adopt.slot, sizeof(adopt.slot), "b");
        sw_snap_header_encode(&snap, adopt.header);
        adopt.ram_hash = 0x1234;
        f.adopt = &adopt;
        f.adopt_status = 0;
}

static void test_adopt_accepted(void **state)
{
        (void)state;
        adopt_setup(NULL);
        f.lazy_owner = B;       /* its RAM left in the active region is dropped */
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_REFUSE);   /* the requester goes on */
        assert_int_equal(d.status, SW_MB_OK);
        assert_int_equal(d.result_seq, 5);
        assert_int_equal(d.adopt_slot, B);
        assert_int_equal(d.adopt_vector, 0x9a000);
        assert_int_equal(d.lazy_owner, -1);
        assert_int_equal(d.state[A], SW_SLOT_RUNNING);
        assert_int_equal(d.state[B], SW_SLOT_SUSPENDED);
        assert_int_equal(d.save.n, 0);
        assert_int_equal(d.restore.n, 0);
        assert_int_equal(ram_hash_calls, 1);
        assert_int_equal(verify_calls, 0);
        assert_string_equal(d.message, "slot 'b' adopted its snapshot; it resumes at 0x9a000");
        assert_string_equal(d.log, d.message);
}

static void edit_other_slot(struct sw_snap_header *h)
{
        snprintf(h->id.slot, sizeof(h->id.slot), "d");
}

static void edit_kernel(struct sw_snap_header *h)
{
        snprintf(h->id.kernel, sizeof(h->id.kernel), "6.1.0-other");
}

static void edit_store(struct sw_snap_header *h)
{
        h->id.store_size += 4096;
}

static void edit_config(struct sw_snap_header *h)
{
        h->config_hash ^= 1;
}

static void edit_vector(struct sw_snap_header *h)
{
        h->waking_vector = 0;
}

static void edit_in_place(struct sw_snap_header *h)
{
        h->flags |= SW_SNAP_IN_PLACE;
}

/* Each refusal: the reason in the result, nothing adopted.  Refused before
 * the target is known to be a suspended swap slot, b is untouched; after
 * that the agent has written b's store, so b's saved state is dropped:
 * empty with its recovery copy, failed without one (alternating rows). */
static void test_adopt_refused(void **state)
{
        static const struct {
                void (*edit)(struct sw_snap_header *h);
                const char *slot;               /* the adopt request's slot; NULL: b */
                enum sw_slot_state b_state;
                uint64_t ram_hash;
                const char *message;            /* its start */
                int hashed;                     /* calls to ram_hash expected */
                bool dropped;                   /* b's saved state dropped */
        } rows[] = {
                { NULL, "zz", SW_SLOT_SUSPENDED, 0x1234, "cannot adopt a snapshot into 'zz': no such slot", 0, false },
                { NULL, "a", SW_SLOT_SUSPENDED, 0x1234, "cannot adopt a snapshot into 'a': it is running", 0, false },
                { NULL, NULL, SW_SLOT_EMPTY, 0x1234, "cannot adopt a snapshot into 'b': it never ran", 0, false },
                { NULL, NULL, SW_SLOT_FAILED, 0x1234, "cannot adopt a snapshot into 'b': it failed", 0, false },
                { NULL, "c", SW_SLOT_SUSPENDED, 0x1234, "cannot adopt a snapshot into 'c': it never ran", 0, false },
                { edit_other_slot, NULL, SW_SLOT_SUSPENDED, 0x1234, "the snapshot is of slot 'd', not 'b'", 0, true },
                { edit_in_place, NULL, SW_SLOT_SUSPENDED, 0x1234, "the snapshot is of an in-place slot", 0, true },
                { edit_kernel, NULL, SW_SLOT_SUSPENDED, 0x1234,
                  "snapshot does not fit 'b' now: saved for kernel '6.1.0-other' (1000 bytes)", 0, true },
                { edit_store, NULL, SW_SLOT_SUSPENDED, 0x1234, "snapshot does not fit 'b' now: saved in a store at", 0, true },
                { edit_config, NULL, SW_SLOT_SUSPENDED, 0x1234,
                  "snapshot was taken with other memory settings (mode, arch, memory or active-size)", 0, true },
                { edit_vector, NULL, SW_SLOT_SUSPENDED, 0x1234,
                  "snapshot's waking vector 0x0 is not a real-mode address", 0, true },
                { NULL, NULL, SW_SLOT_SUSPENDED, 0x5678,
                  "RAM hash mismatch: the store holds 0000000000001234, the snapshot 0000000000005678", 1, true },
        };
        bool spare = f.slot[B].has_spare;

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                adopt_setup(rows[i].edit);
                f.slot[B].state = rows[i].b_state;
                f.slot[B].has_spare = i % 2 == 0;
                if (rows[i].slot) {
                        memset(adopt.slot, 0, sizeof(adopt.slot));
                        snprintf(adopt.slot, sizeof(adopt.slot), "%s", rows[i].slot);
                }
                adopt.ram_hash = rows[i].ram_hash;
                sw_switch_decide(&f, &d);
                assert_int_equal(d.action, SW_SWITCH_REFUSE);
                assert_int_equal(d.status, SW_MB_ADOPT_REFUSED);
                assert_int_equal(d.result_seq, 5);
                assert_int_equal(d.adopt_slot, -1);
                if (rows[i].dropped) {
                        const char *how = f.slot[B].has_spare
                                                  ? "; saved state dropped: it starts over from its recovery copy"
                                                  : "; saved state dropped: it is marked failed";

                        assert_int_equal(d.adopt_dropped, B);
                        assert_int_equal(d.state[B], f.slot[B].has_spare ? SW_SLOT_EMPTY : SW_SLOT_FAILED);
                        if (!strstr(d.message, how))
                                fail_msg("row %zu: message '%s' lacks '%s'", i, d.message, how);
                } else {
                        assert_int_equal(d.adopt_dropped, -1);
                        assert_int_equal(d.state[B], rows[i].b_state);
                }
                assert_int_equal(d.state[A], SW_SLOT_RUNNING);
                assert_int_equal(ram_hash_calls, rows[i].hashed);
                if (strncmp(d.message, rows[i].message, strlen(rows[i].message)) != 0)
                        fail_msg("row %zu: message '%s', expected '%s...'", i, d.message, rows[i].message);
                assert_true(strncmp(d.log, "adopt refused: ", 15) == 0);
                /* The serial log keeps the whole reason. */
                if (strncmp(d.log + 15, rows[i].message, strlen(rows[i].message)) != 0)
                        fail_msg("row %zu: log '%s'", i, d.log);
        }
        f.slot[B].has_spare = spare;
}

/* An in-place slot that ran adopts its own snapshot (every RAM range is
 * hashed by the caller's ram_hash), and refuses a swap slot's. */
static void test_adopt_in_place(void **state)
{
        (void)state;
        adopt_setup(NULL);
        f.slot[C].state = SW_SLOT_SUSPENDED;
        snprintf(adopt.slot, sizeof(adopt.slot), "c");
        snap.flags = SW_SNAP_IN_PLACE;
        snap.config_hash = sw_snap_config_hash(&cfg, &cfg.slots[C]);
        fake_identity(NULL, C, &snap.id);
        sw_snap_header_encode(&snap, adopt.header);
        sw_switch_decide(&f, &d);
        assert_int_equal(d.status, SW_MB_OK);
        assert_int_equal(d.adopt_slot, C);
        assert_int_equal(d.state[C], SW_SLOT_SUSPENDED);
        assert_int_equal(ram_hash_calls, 1);
        assert_string_equal(d.message, "slot 'c' adopted its snapshot; it resumes at 0x9a000");

        /* The same slot's snapshot, but marked as a swap slot's. */
        adopt_setup(NULL);
        f.slot[C].state = SW_SLOT_SUSPENDED;
        snprintf(adopt.slot, sizeof(adopt.slot), "c");
        snap.config_hash = sw_snap_config_hash(&cfg, &cfg.slots[C]);
        fake_identity(NULL, C, &snap.id);
        sw_snap_header_encode(&snap, adopt.header);
        sw_switch_decide(&f, &d);
        assert_int_equal(d.status, SW_MB_ADOPT_REFUSED);
        assert_int_equal(d.adopt_slot, -1);
        assert_int_equal(ram_hash_calls, 0);
        assert_true(strncmp(d.message, "the snapshot is of a swap slot; 'c' runs in place", 49) == 0);
}

/* A damaged header, a damaged request and a stale seq. */
static void test_adopt_damaged(void **state)
{
        (void)state;
        adopt_setup(NULL);
        adopt.header[24] ^= 1;         /* the creation time: only the hash can tell */
        sw_switch_decide(&f, &d);
        assert_int_equal(d.status, SW_MB_ADOPT_REFUSED);
        assert_non_null(strstr(d.message, "header hash mismatch"));
        assert_int_equal(d.adopt_slot, -1);
        assert_int_equal(d.adopt_dropped, B);   /* b's store was written */

        adopt_setup(NULL);
        f.adopt = NULL;
        f.adopt_status = -SW_MB_BAD_CSUM;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.status, SW_MB_ADOPT_REFUSED);
        assert_string_equal(d.message, "adopt request damaged (bad-csum); nothing adopted");
        assert_int_equal(d.adopt_dropped, -1);  /* which slot is not known */

        adopt_setup(NULL);
        f.req.seq = 9;
        sw_switch_decide(&f, &d);
        assert_int_equal(d.status, SW_MB_BAD_SEQ);
        assert_int_equal(d.result_seq, 4);
        assert_int_equal(d.adopt_dropped, B);
        assert_int_equal(d.adopt_slot, -1);
        assert_int_equal(ram_hash_calls, 0);
}

/* An adopt request beside a real switch request is not acted on: the
 * switch goes ahead as ever, and a self-request without one stays a
 * same-slot refusal. */
static void test_adopt_only_with_self_request(void **state)
{
        (void)state;
        adopt_setup(NULL);
        f.request = SW_MB_OK;
        snprintf(f.req.target, sizeof(f.req.target), "b");
        sw_switch_decide(&f, &d);
        assert_int_equal(d.action, SW_SWITCH_RESUME);
        assert_int_equal(d.adopt_slot, -1);
        assert_int_equal(ram_hash_calls, 0);

        adopt_setup(NULL);
        f.adopt = NULL;
        f.adopt_status = 1;
        sw_switch_decide(&f, &d);
        assert_refused(SW_MB_SAME_SLOT, "request refused: same-slot", 5);
        assert_int_equal(d.adopt_slot, -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_mailbox_verdicts_refused, setup),
                cmocka_unit_test_setup(test_cold_boot, setup),
                cmocka_unit_test_setup(test_resume, setup),
                cmocka_unit_test_setup(test_damaged_store_fails_target, setup),
                cmocka_unit_test_setup(test_damaged_store_recovers, setup),
                cmocka_unit_test_setup(test_target_cannot_run, setup),
                cmocka_unit_test_setup(test_suspended_without_vector, setup),
                cmocka_unit_test_setup(test_range_without_place, setup),
                cmocka_unit_test_setup(test_in_place_copies_low_memory_only, setup),
                cmocka_unit_test_setup(test_prewarm_chain, setup),
                cmocka_unit_test_setup(test_bad_current_refused, setup),
                cmocka_unit_test_setup(test_reboot_alone, setup),
                cmocka_unit_test_setup(test_off_goes_on_elsewhere, setup),
                cmocka_unit_test_setup(test_switch_to_off_slot, setup),
                cmocka_unit_test_setup(test_lazy_save_to_in_place, setup),
                cmocka_unit_test_setup(test_lazy_flushed_by_swap, setup),
                cmocka_unit_test_setup(test_lazy_owner_damaged, setup),
                cmocka_unit_test_setup(test_names, setup),
                cmocka_unit_test_setup(test_adopt_accepted, setup),
                cmocka_unit_test_setup(test_adopt_refused, setup),
                cmocka_unit_test_setup(test_adopt_in_place, setup),
                cmocka_unit_test_setup(test_adopt_damaged, setup),
                cmocka_unit_test_setup(test_adopt_only_with_self_request, setup),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
