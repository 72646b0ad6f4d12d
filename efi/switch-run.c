/* SPDX-License-Identifier: MIT */
/*
 * The switch, after boot services are gone.  On every S3 resume the
 * firmware enters the wake blob (trampoline/wake16.asm), which reaches long
 * mode and calls sw_wake_entry().  Here the facts are gathered (the
 * mailbox's verdict on the request, every slot's state, the saved-state
 * check), the core decides (switcher/switch.c: sw_switch_decide()), and
 * this file only carries the decision out: it copies, hashes, writes the
 * results into the mailbox and jumps.  Boot services are gone; the one
 * firmware call left is the runtime SetVariable that renames the running
 * slot (bli_switched(), through the virtual mapping of the runtime
 * regions in these page tables, docs/efi-runtime.md).
 */
#include "sw-efi.h"
#include "acpi.h"
#include "fmt.h"
#include "hash64.h"
#include "resident.h"
#include "savestate.h"
#include "snapshot.h"
#include "switch.h"
#include "tboot.h"
#include "trampoline.h"

#include <string.h>

static struct sw_save_header *save_hdr(int i)
{
        return (struct sw_save_header *)(uintptr_t)sw_resident_save_header(&res.lay, (unsigned)res.rt[i].plan_index);
}

static const struct sw_slot_plan *slot_plan(int i)
{
        return &res.plan->slots[res.rt[i].plan_index];
}

/* What slot i's store must belong to: the same facts at save and resume. */
void save_identity(int i, struct sw_save_identity *id)
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

/* The part of the lazy owner's RAM still in the active region, hashed. */
static uint64_t lazy_hash(void)
{
        uint64_t h = 0;

        for (unsigned k = 0; k < res.lazy_rest.n; k++)
                h = sw_hash64((const void *)(uintptr_t)res.lazy_rest.c[k].active, res.lazy_rest.c[k].size, h);
        return h;
}

/* The decision's verify callback: slot i's header, then (if it verifies)
 * its bytes, in its store and, for the lazy owner, in the active region.
 * Adds the TSC ticks spent hashing to *ctx. */
static enum sw_save_verdict save_verify(void *ctx, int i, char *why, size_t n)
{
        uint64_t *ticks = ctx, t0;
        struct sw_save_identity id;
        enum sw_save_verdict v;

        save_identity(i, &id);
        v = sw_save_check(save_hdr(i), &id, why, n);
        if (v != SW_SAVE_OK || !(save_hdr(i)->flags & SW_SAVE_HASHED))
                return v;
        t0 = rdtsc();
        v = sw_save_check_data(save_hdr(i), store_hash(i), why, n);
        if (v == SW_SAVE_OK && i == res.lazy_owner) {
                uint64_t h = lazy_hash();

                if (h != res.lazy_hash) {
                        sw_snprintf(why, n, "its RAM left in the active region changed since it was left there "
                                    "(checksum %016llx, saved %016llx)",
                                    (unsigned long long)h, (unsigned long long)res.lazy_hash);
                        v = SW_SAVE_ERR_DATA;
                }
        }
        *ticks += rdtsc() - t0;
        return v;
}

/* After saving slot i into its store. */
void save_record(int i, uint64_t *ticks)
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

static void copy_all(const struct sw_copy_list *l, bool save)
{
        for (unsigned k = 0; k < l->n; k++) {
                void *active = (void *)(uintptr_t)l->c[k].active, *store = (void *)(uintptr_t)l->c[k].store;

                if (save)
                        sw_copy_fast(store, active, l->c[k].size);
                else
                        sw_copy_fast(active, store, l->c[k].size);
        }
}

/* Into slot i's own S3 resume path, in real mode, through wake_exit64. */
static void __attribute__((noreturn)) enter_vector(int i)
{
        uint32_t v = waking_vector(i);
        struct sw_wake_params *wp = wake_params(res.low_page);
        void (*exit64)(uint64_t) = (void (*)(uint64_t))(uintptr_t)wake_entry(res.low_page, SW_WAKE_HDR_EXIT);

        wp->vector_ip = (uint16_t)(v & 0xf);
        wp->vector_cs = (uint16_t)(v >> 4);
        tboot_enter_slot(&res.rt[i]);
        serial_printf("switcher: resuming slot '%s' at its waking vector 0x%x\n", res.cfg->slots[i].id, v);
        exit64(res.low_page);
        __builtin_unreachable();
}

/* The lab bank's adoption callbacks (switcher/switch.h): the identity slot
 * i has now, and its RAM hashed as a restored snapshot's (every range
 * sw_snap_slot_ram() gives). */
static void adopt_identity(void *ctx, int i, struct sw_save_identity *id)
{
        save_identity(i, id);
}

static uint64_t adopt_ram_hash(void *ctx, int i)
{
        /* Static: the resident switcher runs on a small stack. */
        static struct sw_snap_ram_hash state;
        struct sw_snap_range r[SW_SNAP_SLOT_RANGES];
        uint64_t *ticks = ctx, t0 = rdtsc();
        /* Every range the snapshot restored, in the snapshot's order: an
         * in-place slot's window, low memory and own RAM, not only its
         * store. */
        uint64_t h = sw_snap_ram_hash_ranges(&state, r, sw_snap_slot_ram(slot_plan(i), r));

        *ticks += rdtsc() - t0;
        return h;
}

/* What `switchctl snapshot save` needs of each slot and of the lazy save:
 * the identity a snapshot must carry, the vector it resumes at, and where
 * the lazy owner's RAM still lies (mailbox.h, the lab bank). */
static void publish_lab(void *mb)
{
        static struct sw_mb_lazy lazy;

        for (unsigned i = 0; i < res.cfg->nslots; i++) {
                struct sw_save_identity sid;
                struct sw_mb_identity id;

                if (!res.cfg->slots[i].valid || res.rt[i].plan_index < 0)
                        continue;
                save_identity((int)i, &sid);
                memset(&id, 0, sizeof(id));
                sw_snprintf(id.kernel, sizeof(id.kernel), "%s", sid.kernel);
                id.kernel_size = sid.kernel_size;
                id.layout = sid.layout;
                id.config_hash = sw_snap_config_hash(res.cfg, &res.cfg->slots[i]);
                id.vector = res.state[i] == SW_SLOT_SUSPENDED ? waking_vector((int)i) : 0;
                sw_mb_set_identity(mb, res.cfg->slots[i].id, &id);
        }
        memset(&lazy, 0, sizeof(lazy));
        if (res.lazy_owner >= 0) {
                sw_snprintf(lazy.owner, sizeof(lazy.owner), "%s", res.cfg->slots[res.lazy_owner].id);
                lazy.n = res.lazy_rest.n;
                for (unsigned k = 0; k < res.lazy_rest.n && k < SW_MB_LAZY_MAX; k++)
                        lazy.piece[k] = (struct sw_mb_lazy_piece){ .store = res.lazy_rest.c[k].store,
                                                                   .now = res.lazy_rest.c[k].active,
                                                                   .size = res.lazy_rest.c[k].size };
        }
        sw_mb_set_lazy(mb, &lazy);
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
                        publish_store(mb, (int)i);
        }
}

void publish_store(void *mb, int i)
{
        struct sw_snap_range r[SW_SNAP_SLOT_RANGES];
        struct sw_mb_ram ram;

        sw_mb_set_store(mb, res.cfg->slots[i].id, slot_plan(i)->store_base, slot_plan(i)->store_size);
        memset(&ram, 0, sizeof(ram));
        ram.n = sw_snap_slot_ram(slot_plan(i), r);
        for (unsigned k = 0; k < ram.n; k++)
                ram.r[k] = (struct sw_mb_ram_range){ r[k].addr, r[k].size, r[k].kind };
        sw_mb_set_ram(mb, res.cfg->slots[i].id, &ram);
}

static void mailbox_publish(void *mb)
{
        for (unsigned i = 0; i < res.cfg->nslots; i++)
                if (res.cfg->slots[i].valid)
                        sw_mb_set_state(mb, res.cfg->slots[i].id, res.state[i]);
        sw_mb_set_current(mb, res.cfg->slots[res.current].id);
        publish_lab(mb);
}

/* The facts: what the mailbox says of the request, and what the switcher
 * knows of every slot. */
static void gather(void *mb, struct sw_switch_facts *f, uint64_t *verify_ticks)
{
        static struct sw_mb_adopt adopt;
        int cur = res.current;

        memset(f, 0, sizeof(*f));
        f->cfg = res.cfg;
        f->plan = res.plan;
        f->current = cur;
        f->previous = res.previous;
        f->lazy_owner = res.lazy_owner;
        f->lazy_rest = &res.lazy_rest;
        if (sw_mb_check(mb, SW_MAILBOX_SIZE) < 0) {
                f->request = SW_MB_MALFORMED;
                mailbox_rebuild(mb);
        } else if (sw_mb_request_read(mb, &f->req) < 0) {
                f->request = SW_MB_MALFORMED;
        } else {
                f->request = sw_mb_request_validate(mb, &f->req, res.cfg->slots[cur].id);
        }
        /* An adopt request counts only with a request to the slot itself. */
        if (f->request == SW_MB_SAME_SLOT) {
                f->adopt_status = sw_mb_adopt_read(mb, &adopt);
                f->adopt = f->adopt_status == 0 ? &adopt : NULL;
        }
        f->identity = adopt_identity;
        f->ram_hash = adopt_ram_hash;
        for (unsigned i = 0; i < res.cfg->nslots; i++) {
                const struct slot_rt *rt = &res.rt[i];
                struct sw_switch_slot *s = &f->slot[i];

                s->state = res.state[i];
                s->usable = res.cfg->slots[i].valid && rt->plan_index >= 0 && rt->loaded;
                s->has_spare = s->usable && slot_plan((int)i)->spare_size;
                s->can_recover = s->has_spare && res.cfg->slots[i].cold_boot_on_damage;
                s->recover_only = res.recover_only[i];
                s->vector = waking_vector((int)i);
                s->result_seq = res.result_seq[i];
                s->plan_index = rt->plan_index;
                s->ranges = rt->ranges;
                s->nranges = rt->nranges;
        }
        f->chain = res.chain;
        f->nprewarm = res.nprewarm;
        f->pos = res.pos;
        f->verify = save_verify;
        f->ctx = verify_ticks;
}

/* The whole machine: off with the PM1 values the leaving guest computed
 * (S5; a halt has none), or reset.  Never returns. */
static void __attribute__((noreturn)) machine_end(int cur, enum sw_switch_action a)
{
        if (a == SW_SWITCH_RESET)
                tboot_reset_machine();
        else
                tboot_power_off(&res.rt[cur]);
        serial_printf("switcher: the machine did not %s; halting\n", a == SW_SWITCH_RESET ? "reset" : "power off");
        for (;;)
                __asm__ volatile("cli; hlt");
}

void sw_wake_entry(uint64_t low_page)
{
        static struct sw_switch_facts f;
        static struct sw_switch_decision d;
        uint64_t t0 = rdtsc(), t1, restored, verify_ticks = 0, record_ticks = 0;
        void *mb = (void *)(uintptr_t)res.lay.mailbox;
        int cur = res.current, t;
        const char *cur_id = res.cfg->slots[cur].id, *t_id;
        uint32_t copy_us, ttype;
        enum sw_switch_entry entry = SW_ENTRY_REQUEST;
        bool via_tboot;

        wake_load_idt();
        via_tboot = tboot_take_entry(&ttype);
        if (via_tboot) {
                /* The guest came through the switcher's tboot entry, not
                 * the firmware.  At S3 its application processors parked
                 * in the tboot range (the last one may still be on its
                 * way: as many as parked at its last S3, one the first
                 * time); at a restart or power-off the kernel stopped them
                 * in its own code.  Either way they must be stopped before
                 * any of its memory is overwritten. */
                unsigned expect = ttype != SW_TBOOT_S3 ? 0 : res.tboot_aps[cur] ? res.tboot_aps[cur] - 1 : 1;
                unsigned parked = tboot_quiesce_aps(expect);

                int rescuer = tboot_take_rescuer();

                serial_printf("switcher: slot '%s' entered through its tboot entry: %s (%u CPUs parked)\n",
                              cur_id, sw_tboot_type_name(ttype), parked);
                if (rescuer >= 0)
                        serial_printf("switcher: slot '%s' stopped on the CPU with APIC ID %d, which brought "
                                      "the boot CPU over by NMI\n",
                                      cur_id, rescuer);
                if (ttype == SW_TBOOT_S3)
                        res.tboot_aps[cur] = parked + 1;
                else
                        entry = ttype == SW_TBOOT_REBOOT ? SW_ENTRY_REBOOT : SW_ENTRY_OFF;
        }
        if (entry == SW_ENTRY_REQUEST)
                serial_printf("switcher: slot '%s' suspended; reading its request\n", cur_id);
        gather(mb, &f, &verify_ticks);
        f.entry = entry;
        sw_switch_decide(&f, &d);
        if (d.log[0])
                serial_printf("switcher: %s\n", d.log);

        if (res.lazy_owner >= 0 && d.state[res.lazy_owner] == SW_SLOT_FAILED)
                res.lazy_owner = -1;    /* its RAM in the region is worth nothing now */
        if (d.action == SW_SWITCH_REFUSE) {
                /* Nothing was copied: the requester's RAM is in place. */
                serial_printf("switcher: slot '%s': %s\n", cur_id, d.message);
                memcpy(res.state, d.state, sizeof(res.state));
                /* The mailbox's result answers this seq from now on (an
                 * adoption checks the next request's seq against it). */
                res.result_seq[cur] = d.result_seq;
                if (d.adopt_dropped >= 0) {
                        memset(save_hdr(d.adopt_dropped), 0, sizeof(struct sw_save_header));
                        res.recover_only[d.adopt_dropped] = d.state[d.adopt_dropped] == SW_SLOT_EMPTY;
                        if (res.lazy_owner == d.adopt_dropped)
                                res.lazy_owner = -1;
                }
                if (d.adopt_slot >= 0) {
                        /* A restored snapshot: its store is now the slot's
                         * saved state, resumed at the snapshot's vector. */
                        int a = d.adopt_slot;

                        if (res.rt[a].facs)
                                ((struct sw_acpi_facs *)(uintptr_t)res.rt[a].facs)->firmware_waking_vector =
                                        d.adopt_vector;
                        save_record(a, &record_ticks);
                        res.recover_only[a] = false;
                        if (res.lazy_owner == a)
                                res.lazy_owner = -1;
                }
                if (sw_mb_check(mb, SW_MAILBOX_SIZE) == 0) {
                        sw_mb_set_result(mb, cur_id, d.result_seq, d.status, d.message);
                        sw_mb_request_clear(mb);
                        sw_mb_adopt_clear(mb);
                }
                mailbox_publish(mb);
                enter_vector(cur);
        }

        if (d.action == SW_SWITCH_POWER_OFF || d.action == SW_SWITCH_RESET) {
                memcpy(res.state, d.state, sizeof(res.state));
                machine_end(cur, d.action);
        }

        /* The swap.  The requester's RAM goes to its store first; only then
         * is anything of the target's brought in.  A slot that restarts or
         * went off has nothing to save. */
        t = d.target;
        t_id = res.cfg->slots[t].id;
        if (d.flush_slot >= 0) {
                /* The lazy owner's RAM leaves the active region at last. */
                copy_all(&d.flush, true);
                save_record(d.flush_slot, &record_ticks);
                serial_printf("switcher: slot '%s': its RAM left in the active region saved (%llu KiB)\n",
                              res.cfg->slots[d.flush_slot].id, (unsigned long long)(d.flush.bytes / 1024));
        }
        res.lazy_owner = d.lazy_owner;
        res.lazy_rest = d.lazy_rest;
        if (entry == SW_ENTRY_REQUEST) {
                copy_all(&d.save, true);
                if (d.lazy_owner == cur) {
                        uint64_t t2 = rdtsc();

                        res.lazy_hash = res.cfg->slots[cur].verify_store ? lazy_hash() : 0;
                        record_ticks += rdtsc() - t2;
                }
                save_record(cur, &record_ticks);
        } else if (entry == SW_ENTRY_OFF) {
                memset(save_hdr(cur), 0, sizeof(struct sw_save_header));
                res.recover_only[cur] = true;
        }
        if (t != cur)
                res.previous = cur;
        res.recover_only[t] = false;
        if (d.action == SW_SWITCH_RECOVER) {
                /* The damaged state is dropped; the slot starts over from
                 * its recovery copy. */
                memset(save_hdr(t), 0, sizeof(struct sw_save_header));
                restored = linux_restage(&res.rt[t], res.plan);
        } else {
                /* One save, one resume: marked before the store is even
                 * read, so a fault or a second wake from here on can never
                 * replay it. */
                if (d.action == SW_SWITCH_RESUME)
                        sw_save_consume(save_hdr(t));
                copy_all(&d.restore, false);
                restored = d.restore.bytes;
        }
        memcpy(res.state, d.state, sizeof(res.state));
        res.result_seq[cur] = d.result_seq;
        res.current = t;
        t1 = rdtsc();
        res.switches[t]++;
        res.last_us[t] = (uint32_t)((t1 - t0) / res.tsc_per_us);
        copy_us = (uint32_t)((t1 - t0 - verify_ticks - record_ticks) / res.tsc_per_us);

        if (entry == SW_ENTRY_REQUEST) {
                sw_mb_set_result(mb, cur_id, d.result_seq, SW_MB_OK, d.message);
                sw_mb_request_clear(mb);
                sw_mb_adopt_clear(mb);
        }
        sw_mb_note_switch(mb, t_id, res.last_us[t]);
        if (res.pos < res.nprewarm) {
                res.pos = d.prewarm_pos;
                sw_mb_set_prewarm_next(mb, res.pos < res.nprewarm ? res.cfg->slots[res.chain[res.pos + 1]].id : "");
                if (res.pos < res.nprewarm)
                        serial_printf("switcher: prewarm: next is '%s'\n", res.cfg->slots[res.chain[res.pos + 1]].id);
                else
                        serial_printf("switcher: prewarm done\n");
        }
        mailbox_publish(mb);
        /* The copy's own rate (checksums left out), then the checksums'. */
        if (entry == SW_ENTRY_REQUEST)
                serial_printf("switcher: switch '%s' -> '%s': saved %llu KiB, restored %llu KiB in %u us (%llu MB/s)\n",
                      cur_id, t_id, (unsigned long long)(d.save.bytes / 1024), (unsigned long long)(restored / 1024),
                      copy_us, copy_us ? (unsigned long long)((d.save.bytes + restored) / copy_us) : 0ULL);
        serial_printf("switcher: checksums: verify '%s' %llu us, record '%s' %llu us; switcher total %u us\n", t_id,
                      (unsigned long long)(verify_ticks / res.tsc_per_us), cur_id,
                      (unsigned long long)(record_ticks / res.tsc_per_us), res.last_us[t]);
        /* The Boot Loader Interface names the slot that runs from now on. */
        bli_switched(t);
        if (d.action != SW_SWITCH_RESUME) {
                serial_printf("switcher: cold boot of slot '%s' (%s)\n", t_id, sw_arch_name(res.cfg->slots[t].arch));
                tboot_slot_reset(&res.rt[t]);
                tboot_enter_slot(&res.rt[t]);
                if (via_tboot)
                        tboot_irq_reset();
                linux_enter(&res.rt[t], &res.cfg->slots[t], res.low_page);
        }
        enter_vector(t);
}
