/* SPDX-License-Identifier: MIT */
/*
 * The switch path.  On every S3 resume the firmware enters the wake blob,
 * which reaches long mode and calls sw_resident_entry().  Here the request
 * the running slot's agent left in the mailbox is validated; a bad one sends
 * the requester straight back with an error status, a good one saves the
 * requester's RAM into its store, brings the target's store back, and
 * resumes the target at its own waking vector (or cold-boots it the first
 * time).  Nothing here may touch firmware services: they are gone.
 */
#include "sw-efi.h"
#include "acpi.h"
#include "fmt.h"
#include "hash64.h"
#include "pagetable.h"
#include "savestate.h"
#include "resident_efi.h"
#include "wake-params.h"

#include <string.h>

struct resident res;

/* An IDT gate: 64-bit interrupt gate on the wake GDT's code selector. */
struct idt_gate {
        uint16_t off0;
        uint16_t sel;
        uint8_t ist;
        uint8_t type;
        uint16_t off1;
        uint32_t off2;
        uint32_t zero;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");

#define WAKE_SEL_CODE64 0x18
#define EXC_STUB_STRIDE 16

static inline uint64_t rdtsc(void)
{
        uint32_t lo, hi;

        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        return ((uint64_t)hi << 32) | lo;
}

static struct sw_wake_params *wake_params(uint64_t low)
{
        return (struct sw_wake_params *)(uintptr_t)(low + *(const uint32_t *)(uintptr_t)(low + SW_WAKE_HDR_PARAMS));
}

int resident_setup(uint64_t map_top, struct sw_diag *d)
{
        const uint8_t *blob = sw_wake16_start;
        size_t len = (size_t)(sw_wake16_end - sw_wake16_start);
        uint32_t magic, params_off, exit_off, boot32_off, size;
        struct sw_wake_params *wp;
        struct idt_gate *idt;
        uint64_t cr3, t0, t1;

        /* The blob's header is checked against the C side's idea of it:
         * the same numbers, from wake-params.h, went into the nasm build. */
        memcpy(&magic, blob + SW_WAKE_HDR_MAGIC, 4);
        memcpy(&exit_off, blob + SW_WAKE_HDR_EXIT, 4);
        memcpy(&params_off, blob + SW_WAKE_HDR_PARAMS, 4);
        memcpy(&size, blob + SW_WAKE_HDR_SIZE, 4);
        memcpy(&boot32_off, blob + SW_WAKE_HDR_BOOT32, 4);
        if (magic != SW_WAKE_MAGIC || size > len || size > SW_PAGE_SIZE || exit_off >= size || boot32_off >= size ||
            params_off + sizeof(struct sw_wake_params) > size) {
                sw_diagf(d, SW_ERROR, "wake blob: bad header (magic 0x%x, size %u)", magic, size);
                return -1;
        }
        CopyMem((void *)(uintptr_t)res.low_page, (void *)(uintptr_t)blob, len);

        cr3 = sw_pt_build((void *)(uintptr_t)res.lay.tables, res.lay.tables, res.lay.end - res.lay.tables, map_top);
        if (!cr3) {
                sw_diagf(d, SW_ERROR, "resident: cannot build page tables up to 0x%llx", (unsigned long long)map_top);
                return -1;
        }
        idt = (struct idt_gate *)(uintptr_t)res.lay.idt;
        SetMem(idt, SW_PAGE_SIZE, 0);
        for (unsigned v = 0; v < 32; v++) {
                uint64_t h = (uint64_t)(uintptr_t)(sw_exc_stubs + v * EXC_STUB_STRIDE);

                idt[v] = (struct idt_gate){ .off0 = (uint16_t)h, .sel = WAKE_SEL_CODE64, .type = 0x8e,
                                            .off1 = (uint16_t)(h >> 16), .off2 = (uint32_t)(h >> 32) };
        }
        /* No slot has been saved yet: every header reads "never saved". */
        SetMem((void *)(uintptr_t)res.lay.saves, res.lay.stack_base - res.lay.saves, 0);
        wp = wake_params(res.low_page);
        wp->cr3 = cr3;
        wp->entry64 = (uint64_t)(uintptr_t)sw_resident_entry;
        wp->stack_top = res.lay.stack_top & ~15ULL;

        /* TSC ticks per microsecond, for switch timings on serial and in the
         * mailbox.  20 ms of Stall is enough for three digits. */
        t0 = rdtsc();
        uefi_call_wrapper(BS->Stall, 1, 20000);
        t1 = rdtsc();
        res.tsc_per_us = (t1 - t0) / 20000;
        if (!res.tsc_per_us)
                res.tsc_per_us = 1;
        return 0;
}

static void load_idt(void)
{
        struct {
                uint16_t limit;
                uint64_t base;
        } __attribute__((packed)) idtr = { 32 * sizeof(struct idt_gate) - 1, res.lay.idt };

        __asm__ volatile("lidt %0" : : "m"(idtr));
}

void sw_exception(const uint64_t *f)
{
        /* Frame: r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax,
         * vector, error, rip, cs, rflags, rsp, ss. */
        uint64_t cr2, cr3;

        __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
        __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
        serial_printf("\nswitcher: EXCEPTION %llu (error 0x%llx) at rip 0x%llx cs 0x%llx rflags 0x%llx rsp 0x%llx\n",
                      (unsigned long long)f[15], (unsigned long long)f[16], (unsigned long long)f[17],
                      (unsigned long long)f[18], (unsigned long long)f[19], (unsigned long long)f[20]);
        serial_printf("switcher: cr2 0x%llx cr3 0x%llx rax 0x%llx rbx 0x%llx rcx 0x%llx rdx 0x%llx\n",
                      (unsigned long long)cr2, (unsigned long long)cr3, (unsigned long long)f[14],
                      (unsigned long long)f[13], (unsigned long long)f[12], (unsigned long long)f[11]);
        serial_printf("switcher: rsi 0x%llx rdi 0x%llx rbp 0x%llx; image at 0x%llx; halting\n",
                      (unsigned long long)f[10], (unsigned long long)f[9], (unsigned long long)f[8],
                      (unsigned long long)(uintptr_t)&res);
        for (;;)
                __asm__ volatile("cli; hlt");
}

/* Copies slot i's RAM between the active region and its store. */
static uint64_t copy_slot(int i, bool save)
{
        const struct slot_rt *rt = &res.rt[i];
        uint64_t bytes = 0;

        for (unsigned k = 0; k < rt->nranges; k++) {
                uint64_t store;

                if (sw_plan_store_addr(res.plan, (unsigned)rt->plan_index, rt->ranges[k].base, &store) < 0)
                        continue;
                if (save)
                        sw_copy_fast((void *)(uintptr_t)store, (void *)(uintptr_t)rt->ranges[k].base,
                                     rt->ranges[k].size);
                else
                        sw_copy_fast((void *)(uintptr_t)rt->ranges[k].base, (void *)(uintptr_t)store,
                                     rt->ranges[k].size);
                bytes += rt->ranges[k].size;
        }
        return bytes;
}

/* ---- saved-state integrity (savestate.h) ---- */

static struct sw_save_header *save_hdr(int i)
{
        return (struct sw_save_header *)(uintptr_t)sw_resident_save_header(&res.lay, (unsigned)res.rt[i].plan_index);
}

static const struct sw_slot_plan *slot_plan(int i)
{
        return &res.plan->slots[res.rt[i].plan_index];
}

/* What slot i's store must belong to: the same facts at save and resume. */
static void save_identity(int i, struct sw_save_identity *id)
{
        const struct slot_rt *rt = &res.rt[i];

        sw_save_identity_make(id, &res.cfg->slots[i], rt->info.kernel_version, rt->kernel_size, rt->e820,
                              rt->ne820 > 0 ? (size_t)rt->ne820 * sizeof(rt->e820[0]) : 0,
                              slot_plan(i)->store_base, slot_plan(i)->store_size);
}

/* The saved image only: all of a swap slot's store, the low-memory part of
 * an in-place slot's (its own RAM is not a copy; it stays where it runs). */
static uint64_t store_hash(int i)
{
        return sw_hash64((const void *)(uintptr_t)slot_plan(i)->store_base,
                         sw_plan_saved_bytes(res.plan, (unsigned)res.rt[i].plan_index), 0);
}

/* Before resuming slot i: its header, then (if it verifies) its bytes.
 * Adds the TSC ticks spent hashing to *ticks. */
static enum sw_save_verdict save_verify(int i, char *why, size_t n, uint64_t *ticks)
{
        struct sw_save_identity id;
        enum sw_save_verdict v;
        uint64_t t0;

        save_identity(i, &id);
        v = sw_save_check(save_hdr(i), &id, why, n);
        if (v != SW_SAVE_OK || !(save_hdr(i)->flags & SW_SAVE_HASHED))
                return v;
        t0 = rdtsc();
        v = sw_save_check_data(save_hdr(i), store_hash(i), why, n);
        *ticks += rdtsc() - t0;
        return v;
}

/* After saving slot i into its store. */
static void save_record(int i, uint64_t *ticks)
{
        struct sw_save_identity id;
        bool verify = res.cfg->slots[i].verify_store;
        uint64_t t0 = rdtsc(), h = verify ? store_hash(i) : 0;

        *ticks += rdtsc() - t0;
        save_identity(i, &id);
        sw_save_record(save_hdr(i), &id, verify, h);
}

static uint32_t waking_vector(int i)
{
        const struct sw_acpi_facs *f = (const struct sw_acpi_facs *)(uintptr_t)res.rt[i].facs;

        return f ? f->firmware_waking_vector : 0;
}

/* Into slot i's own S3 resume path, in real mode. */
static void __attribute__((noreturn)) enter_vector(int i)
{
        uint32_t v = waking_vector(i);
        struct sw_wake_params *wp = wake_params(res.low_page);
        void (*exit64)(uint64_t);

        wp->vector_ip = (uint16_t)(v & 0xf);
        wp->vector_cs = (uint16_t)(v >> 4);
        exit64 = (void (*)(uint64_t))(uintptr_t)(res.low_page +
                                                 *(const uint32_t *)(uintptr_t)(res.low_page + SW_WAKE_HDR_EXIT));
        serial_printf("switcher: resuming slot '%s' at its waking vector 0x%x\n", res.cfg->slots[i].id, v);
        exit64(res.low_page);
        __builtin_unreachable();
}

void linux_enter(const struct slot_rt *rt, const struct sw_slot_config *s, uint64_t low_page)
{
        struct sw_wake_params *wp;
        void (*boot32)(uint64_t);
        uint64_t entry;

        if (s->arch != SW_ARCH_I386) {
                entry = sw_bootparams_entry64(&rt->info, rt->kernel_load);
                serial_printf("switcher: entering slot '%s' at 0x%llx (64-bit entry)\n", s->id,
                              (unsigned long long)entry);
                sw_boot_linux64(entry, rt->bp_addr);
        }
        /* The 32-bit entry: the kernel and boot_params lie below 4 GiB (the
         * plan keeps an i386 slot's RAM there), so they fit the blob's
         * 32-bit fields. */
        entry = sw_bootparams_entry32(&rt->info, rt->kernel_load);
        wp = wake_params(low_page);
        wp->entry32 = (uint32_t)entry;
        wp->boot_params32 = (uint32_t)rt->bp_addr;
        serial_printf("switcher: entering slot '%s' at 0x%llx (32-bit entry, boot_params 0x%llx)\n", s->id,
                      (unsigned long long)entry, (unsigned long long)rt->bp_addr);
        if (!entry || rt->bp_addr >= SW_I386_LIMIT) {
                serial_printf("switcher: slot '%s': kernel or boot_params above 4 GiB; halting\n", s->id);
                for (;;)
                        __asm__ volatile("cli; hlt");
        }
        boot32 = (void (*)(uint64_t))(uintptr_t)(low_page + *(const uint32_t *)(uintptr_t)(low_page + SW_WAKE_HDR_BOOT32));
        boot32(low_page);
        __builtin_unreachable();
}

/* After a switch to t: the prewarm chain moves on when t is its next link,
 * and ends (prewarm-next cleared) when it is the last or anything else. */
static void prewarm_step(void *mb, int t)
{
        if (res.pos >= res.nprewarm)
                return;
        if (t == res.chain[res.pos + 1])
                res.pos++;
        else
                res.pos = res.nprewarm;
        sw_mb_set_prewarm_next(mb, res.pos < res.nprewarm ? res.cfg->slots[res.chain[res.pos + 1]].id : "");
        if (res.pos < res.nprewarm)
                serial_printf("switcher: prewarm: next is '%s'\n", res.cfg->slots[res.chain[res.pos + 1]].id);
        else
                serial_printf("switcher: prewarm done\n");
}

/* A mailbox the guest damaged is rebuilt from the switcher's own state. */
static void mailbox_rebuild(void *mb)
{
        sw_mailbox_build(mb, SW_MAILBOX_SIZE, res.cfg, res.state, res.current, NULL);
        if (res.pos < res.nprewarm)
                sw_mb_set_prewarm_next(mb, res.cfg->slots[res.chain[res.pos + 1]].id);
        for (unsigned i = 0; i < res.cfg->nslots; i++) {
                if (!res.cfg->slots[i].valid)
                        continue;
                sw_mb_set_result(mb, res.cfg->slots[i].id, res.result_seq[i], SW_MB_OK, "");
                if (res.rt[i].plan_index >= 0)
                        sw_mb_set_store(mb, res.cfg->slots[i].id, slot_plan((int)i)->store_base,
                                        slot_plan((int)i)->store_size);
        }
}

static void mailbox_publish(void *mb)
{
        for (unsigned i = 0; i < res.cfg->nslots; i++)
                if (res.cfg->slots[i].valid)
                        sw_mb_set_state(mb, res.cfg->slots[i].id, res.state[i]);
        sw_mb_set_current(mb, res.cfg->slots[res.current].id);
}

void sw_resident_entry(uint64_t low_page)
{
        uint64_t t0 = rdtsc(), t1, saved, restored, verify_ticks = 0, record_ticks = 0;
        void *mb = (void *)(uintptr_t)res.lay.mailbox;
        int cur = res.current, t = -1;
        const char *cur_id = res.cfg->slots[cur].id;
        struct sw_mb_request req;
        enum sw_mb_status st;
        char msg[SW_MB_MSG_LEN], why[160];
        bool cold, recover = false;
        uint32_t copy_us;

        load_idt();
        memset(&req, 0, sizeof(req));
        serial_printf("switcher: slot '%s' suspended; reading its request\n", cur_id);
        if (sw_mb_check(mb, SW_MAILBOX_SIZE) < 0) {
                st = SW_MB_MALFORMED;
                mailbox_rebuild(mb);
        } else if (sw_mb_request_read(mb, &req) < 0) {
                st = SW_MB_MALFORMED;
        } else {
                st = sw_mb_request_validate(mb, &req, cur_id);
        }
        if (st == SW_MB_OK) {
                t = sw_config_find_slot(res.cfg, req.target);
                if (t < 0 || res.rt[t].plan_index < 0 || !res.rt[t].loaded || res.state[t] == SW_SLOT_FAILED)
                        st = SW_MB_TARGET_FAILED;
                else if (res.state[t] == SW_SLOT_SUSPENDED && waking_vector(t) == 0) {
                        /* Suspended without a vector: it cannot be resumed. */
                        res.state[t] = SW_SLOT_FAILED;
                        st = SW_MB_TARGET_FAILED;
                }
        }
        msg[0] = '\0';
        if (st == SW_MB_OK && res.state[t] == SW_SLOT_SUSPENDED) {
                /* The target's saved state, checked before anything is
                 * overwritten: on a refusal the requester's RAM is still in
                 * place and it simply goes on. */
                enum sw_save_verdict v = save_verify(t, why, sizeof(why), &verify_ticks);

                if (v != SW_SAVE_OK && res.cfg->slots[t].cold_boot_on_damage && slot_plan(t)->spare_size) {
                        /* The config allows starting over: the damaged
                         * state is dropped, the slot cold-boots from its
                         * recovery copy. */
                        recover = true;
                        serial_printf("switcher: slot '%s': cannot resume: %s (%s); cold-booting it instead "
                                      "(on-damage cold-boot)\n", res.cfg->slots[t].id, why, sw_save_verdict_name(v));
                } else if (v != SW_SAVE_OK) {
                        res.state[t] = SW_SLOT_FAILED;
                        st = SW_MB_TARGET_FAILED;
                        serial_printf("switcher: slot '%s': cannot resume: %s (%s); slot marked failed\n",
                                      res.cfg->slots[t].id, why, sw_save_verdict_name(v));
                        sw_snprintf(msg, sizeof(msg), "cannot resume '%s': %s", res.cfg->slots[t].id, why);
                }
        }
        if (st != SW_MB_OK) {
                if (!msg[0])
                        sw_snprintf(msg, sizeof(msg), "request refused: %s", sw_mb_status_name(st));
                serial_printf("switcher: slot '%s': %s\n", cur_id, msg);
                if (st != SW_MB_MALFORMED || sw_mb_check(mb, SW_MAILBOX_SIZE) == 0) {
                        uint32_t seq = st == SW_MB_BAD_SEQ || st == SW_MB_NO_REQUEST ? res.result_seq[cur] : req.seq;

                        sw_mb_set_result(mb, cur_id, seq, st, msg);
                        sw_mb_request_clear(mb);
                }
                mailbox_publish(mb);
                enter_vector(cur);
        }

        /* The swap.  The requester's RAM goes to its store first; only then
         * is the active region overwritten with the target's. */
        res.result_seq[cur] = req.seq;
        saved = copy_slot(cur, true);
        save_record(cur, &record_ticks);
        res.state[cur] = SW_SLOT_SUSPENDED;
        /* One save, one resume: marked before the store is even read, so a
         * fault or a second wake from here on can never replay it. */
        if (recover) {
                memset(save_hdr(t), 0, sizeof(struct sw_save_header));
                res.state[t] = SW_SLOT_EMPTY;
                restored = linux_restage(&res.rt[t], res.plan);
        } else {
                if (res.state[t] == SW_SLOT_SUSPENDED)
                        sw_save_consume(save_hdr(t));
                restored = copy_slot(t, false);
        }
        cold = res.state[t] == SW_SLOT_EMPTY;
        res.state[t] = SW_SLOT_RUNNING;
        res.current = t;
        t1 = rdtsc();
        res.switches[t]++;
        res.last_us[t] = (uint32_t)((t1 - t0) / res.tsc_per_us);
        copy_us = (uint32_t)((t1 - t0 - verify_ticks - record_ticks) / res.tsc_per_us);

        if (recover)
                sw_snprintf(msg, sizeof(msg), "switched to '%s' (cold boot: its saved state was damaged)",
                            res.cfg->slots[t].id);
        else
                sw_snprintf(msg, sizeof(msg), "switched to '%s'", res.cfg->slots[t].id);
        sw_mb_set_result(mb, cur_id, req.seq, SW_MB_OK, msg);
        sw_mb_request_clear(mb);
        sw_mb_note_switch(mb, res.cfg->slots[t].id, res.last_us[t]);
        prewarm_step(mb, t);
        mailbox_publish(mb);
        /* The copy's own rate (checksums left out), then the checksums'. */
        serial_printf("switcher: switch '%s' -> '%s': saved %llu KiB, restored %llu KiB in %u us (%llu MB/s)\n",
                      cur_id, res.cfg->slots[t].id, (unsigned long long)(saved / 1024),
                      (unsigned long long)(restored / 1024), copy_us,
                      copy_us ? (unsigned long long)((saved + restored) / copy_us) : 0ULL);
        serial_printf("switcher: checksums: verify '%s' %llu us, record '%s' %llu us; switcher total %u us\n",
                      res.cfg->slots[t].id, (unsigned long long)(verify_ticks / res.tsc_per_us), cur_id,
                      (unsigned long long)(record_ticks / res.tsc_per_us), res.last_us[t]);
        if (cold) {
                serial_printf("switcher: cold boot of slot '%s' (%s)\n", res.cfg->slots[t].id,
                              sw_arch_name(res.cfg->slots[t].arch));
                linux_enter(&res.rt[t], &res.cfg->slots[t], res.low_page);
        }
        enter_vector(t);
}
