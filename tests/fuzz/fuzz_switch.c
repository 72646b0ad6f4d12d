/* SPDX-License-Identifier: MIT */
/*
 * The switch decision under any facts a damaged machine could present.  The
 * input picks the mailbox's verdict, the requester and target, every slot's
 * state, usability, recovery copy and waking vector, the saved-state
 * verdict, one RAM range moved or grown, and the prewarm chain's position.
 * Checked, for every input: a refusal copies nothing, answers with a reason
 * and changes no state but the target's (to failed); a switch suspends the
 * requester, runs the target and leaves the rest alone; resume only after a
 * good verdict, recover only with a recovery copy; every copy lies whole in
 * the active region and in the saved part of its slot's store; the verdict
 * is asked at most once, and only for a suspended target.
 *
 * Seeds: (fuzz_seeds writes a cold boot, a resume and a damaged store)
 */
#include <string.h>

#include "fuzz.h"
#include "plan.h"
#include "switch.h"

#define NSLOTS 4

static const char conf[] = "active-size 256M\n"
                           "slot a\nlinux /a\n\n"
                           "slot b\nlinux /b\non-damage cold-boot\n\n"
                           "slot c\nlinux /c\nmode in-place\nmemory 256M\n\n"
                           "slot d\nlinux /d\nmemory 64M\n";
static const char *const targets[] = { "a", "b", "c", "d", "zz", "" };

static struct sw_config cfg;
static struct sw_plan plan;
static struct sw_range ranges[NSLOTS][SW_ACTIVE_MAX];
static unsigned nranges[NSLOTS];
static int plan_index[NSLOTS];

static enum sw_save_verdict verdict;
static int verify_calls, verify_slot;

static enum sw_save_verdict fake_verify(void *ctx, int i, char *why, size_t n)
{
        (void)ctx;
        verify_calls++;
        verify_slot = i;
        if (verdict != SW_SAVE_OK)
                strncpy(why, "its store changed", n - 1);
        return verdict;
}

static void machine_once(void)
{
        static struct sw_memmap m;
        static struct sw_plan_input in;

        if (cfg.nslots)
                return;
        if (sw_config_parse(&cfg, conf, sizeof(conf) - 1, "switch.conf", NULL) != NSLOTS)
                fuzz_fail(__FILE__, __LINE__, "the fixed config does not parse");
        sw_memmap_init(&m);
        sw_memmap_add(&m, SW_EFI_CONVENTIONAL, 0x1000, 0x9f, 0, NULL);
        sw_memmap_add(&m, SW_EFI_RESERVED, 0xa0000, 0x60, 0, NULL);
        sw_memmap_add(&m, SW_EFI_CONVENTIONAL, 0x100000, 0x3ff00, 0, NULL);
        sw_memmap_add(&m, SW_EFI_ACPI_NVS, 0x40000000, 0x100, 0, NULL);
        sw_memmap_add(&m, SW_EFI_CONVENTIONAL, 0x40100000, 0x3ff00, 0, NULL);
        in = (struct sw_plan_input){ .cfg = &cfg, .map_top = sw_memmap_top(&m) };
        sw_plan_input_from_config(&in);
        if (sw_plan_build(&m, &in.req, &plan, NULL) != NSLOTS)
                fuzz_fail(__FILE__, __LINE__, "the fixed plan does not place every slot");
        for (int i = 0; i < NSLOTS; i++) {
                plan_index[i] = -1;
                for (unsigned j = 0; j < plan.nslots; j++)
                        if (strcmp(plan.slots[j].id, cfg.slots[i].id) == 0)
                                plan_index[i] = (int)j;
                FUZZ_CHECK(plan_index[i] >= 0, "slot %d not in the plan", i);
                nranges[i] = (unsigned)sw_plan_slot_ranges(&plan, (unsigned)plan_index[i], ranges[i], SW_ACTIVE_MAX);
        }
}

/* Input bytes, read in order; zeros past the end. */
struct cursor {
        const uint8_t *p;
        size_t n;
};

static uint8_t take(struct cursor *c)
{
        uint8_t b = 0;

        if (c->n) {
                b = *c->p++;
                c->n--;
        }
        return b;
}

static uint64_t take64(struct cursor *c)
{
        uint64_t v = 0;

        for (int i = 0; i < 8; i++)
                v = v << 8 | take(c);
        return v;
}

static void check_list(const struct sw_copy_list *l, int slot)
{
        const struct sw_slot_plan *s = &plan.slots[plan_index[slot]];
        uint64_t saved = sw_plan_saved_bytes(&plan, (unsigned)plan_index[slot]), sum = 0;

        FUZZ_CHECK(l->n <= SW_ACTIVE_MAX, "%u copies", l->n);
        for (unsigned k = 0; k < l->n; k++) {
                const struct sw_copy *c = &l->c[k];

                FUZZ_CHECK(c->size > 0, "an empty copy");
                FUZZ_CHECK(sw_plan_in_active(&plan, c->active, c->size), "copy 0x%llx+0x%llx outside the active region",
                           (unsigned long long)c->active, (unsigned long long)c->size);
                FUZZ_CHECK(c->store >= s->store_base && c->size <= saved &&
                                   c->store - s->store_base <= saved - c->size,
                           "copy to 0x%llx+0x%llx outside slot %d's saved store", (unsigned long long)c->store,
                           (unsigned long long)c->size, slot);
                sum += c->size;
        }
        FUZZ_CHECK(sum == l->bytes, "bytes %llu, copies add up to %llu", (unsigned long long)l->bytes,
                   (unsigned long long)sum);
}

static void decide(struct cursor *in)
{
        static struct sw_switch_facts f;
        static struct sw_switch_decision d;
        static struct sw_range moved[SW_ACTIVE_MAX];
        static const int chain[] = { 2, 1, 0 };
        uint8_t b;
        int cur, t;

        memset(&f, 0, sizeof(f));
        f.cfg = &cfg;
        f.plan = &plan;
        f.request = (enum sw_mb_status)(take(in) % (SW_MB_STATUS_MAX + 1));
        f.current = (int)(take(in) % (NSLOTS + 2)) - 1;
        strcpy(f.req.target, targets[take(in) % (sizeof(targets) / sizeof(targets[0]))]);
        f.req.seq = take(in);
        for (int i = 0; i < NSLOTS; i++) {
                b = take(in);
                f.slot[i].state = (enum sw_slot_state)(b % 4);
                f.slot[i].usable = !(b & 0x10);
                f.slot[i].can_recover = b & 0x20;
                f.slot[i].vector = b & 0x40 ? 0 : 0x9a000;
                f.slot[i].result_seq = take(in);
                f.slot[i].plan_index = plan_index[i];
                f.slot[i].ranges = ranges[i];
                f.slot[i].nranges = nranges[i];
        }
        if (f.current >= 0)
                f.slot[f.current].state = SW_SLOT_RUNNING;
        verdict = (enum sw_save_verdict)(take(in) % 6);
        /* One slot's range list disturbed: a range moved and grown. */
        b = take(in);
        if (b & 0x80) {
                int i = b % NSLOTS;
                unsigned r = take(in) % (nranges[i] ? nranges[i] : 1);

                memcpy(moved, ranges[i], sizeof(moved));
                moved[r].base += take64(in) & 0xfffffff000ULL;
                moved[r].size += take64(in) & 0xfffffffULL;
                f.slot[i].ranges = moved;
        }
        b = take(in);
        if (b & 1) {
                f.chain = chain;
                f.nprewarm = 2;
                f.pos = (b >> 1) % 3;
        }
        f.verify = fake_verify;
        verify_calls = 0;
        verify_slot = -1;

        sw_switch_decide(&f, &d);

        cur = f.current;
        t = d.target;
        FUZZ_CHECK(fuzz_terminated(d.message, sizeof(d.message)) && d.message[0], "no message");
        FUZZ_CHECK(fuzz_terminated(d.log, sizeof(d.log)), "log line not terminated");
        FUZZ_CHECK(verify_calls <= 1, "verified %d times", verify_calls);
        if (verify_calls)
                FUZZ_CHECK(verify_slot == t && f.slot[t].state == SW_SLOT_SUSPENDED, "verified slot %d", verify_slot);
        if (d.action == SW_SWITCH_REFUSE) {
                FUZZ_CHECK(d.status != SW_MB_OK && d.status < SW_MB_STATUS_MAX, "refused with status %d", d.status);
                FUZZ_CHECK(d.save.n == 0 && d.restore.n == 0, "a refusal that copies");
                for (int i = 0; i < NSLOTS; i++)
                        FUZZ_CHECK(d.state[i] == f.slot[i].state || (i == t && d.state[i] == SW_SLOT_FAILED),
                                   "a refusal changed slot %d", i);
                FUZZ_CHECK(d.prewarm_pos == f.pos, "a refusal moved the prewarm chain");
                return;
        }
        FUZZ_CHECK(d.status == SW_MB_OK && f.request == SW_MB_OK, "switched on status %d", f.request);
        FUZZ_CHECK(cur >= 0 && cur < NSLOTS && t >= 0 && t < NSLOTS && t != cur, "switch %d -> %d", cur, t);
        FUZZ_CHECK(strcmp(cfg.slots[t].id, f.req.target) == 0, "switched to another slot than asked");
        FUZZ_CHECK(f.slot[t].usable, "switched to an unusable slot");
        FUZZ_CHECK(d.state[cur] == SW_SLOT_SUSPENDED && d.state[t] == SW_SLOT_RUNNING, "states after a switch");
        for (int i = 0; i < NSLOTS; i++)
                if (i != cur && i != t)
                        FUZZ_CHECK(d.state[i] == f.slot[i].state, "a switch changed bystander %d", i);
        FUZZ_CHECK(d.result_seq == f.req.seq, "result for seq %u", d.result_seq);
        switch (d.action) {
        case SW_SWITCH_RESUME:
                FUZZ_CHECK(f.slot[t].state == SW_SLOT_SUSPENDED && f.slot[t].vector && verify_calls == 1 &&
                                   verdict == SW_SAVE_OK, "resume without a good saved state");
                break;
        case SW_SWITCH_COLD_BOOT:
                FUZZ_CHECK(f.slot[t].state == SW_SLOT_EMPTY, "cold boot of a slot in state %d", f.slot[t].state);
                break;
        case SW_SWITCH_RECOVER:
                FUZZ_CHECK(f.slot[t].can_recover && verdict != SW_SAVE_OK && d.restore.n == 0, "recover");
                break;
        default:
                fuzz_fail(__FILE__, __LINE__, "action %d", d.action);
        }
        check_list(&d.save, cur);
        check_list(&d.restore, t);
}

void fuzz_seeds(const char *dir)
{
        /* status, current + 1, target, seq, then per slot (state, seq). */
        static const uint8_t cold[] = { 0, 1, 1, 5, 1, 4, 0, 4, 0, 4, 0, 4, 0, 0, 0 };
        static const uint8_t resume[] = { 0, 1, 1, 5, 1, 4, 2, 4, 0, 4, 0, 4, 0, 0, 0 };
        static const uint8_t damaged[] = { 0, 1, 1, 5, 1, 4, 2 | 0x20, 4, 0, 4, 0, 4, 5, 0, 1 };

        fuzz_write_seed(dir, "cold-boot", cold, sizeof(cold));
        fuzz_write_seed(dir, "resume", resume, sizeof(resume));
        fuzz_write_seed(dir, "damaged", damaged, sizeof(damaged));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct cursor in = { data, size };

        machine_once();
        decide(&in);
        return 0;
}
