/* SPDX-License-Identifier: MIT */
#include "switch.h"

#include <string.h>

#include "fmt.h"
#include "snapshot.h"

_Static_assert(SW_MB_ADOPT_HEADER_LEN == SW_SNAP_HEADER_SIZE, "the adopt request carries one snapshot header");

const char *sw_switch_action_name(enum sw_switch_action a)
{
        static const char *const names[] = { [SW_SWITCH_REFUSE] = "refuse", [SW_SWITCH_RESUME] = "resume",
                                             [SW_SWITCH_COLD_BOOT] = "cold-boot", [SW_SWITCH_RECOVER] = "recover", [SW_SWITCH_POWER_OFF] = "power-off",
                                             [SW_SWITCH_RESET] = "reset" };

        return SW_ENUM_NAME(names, a, "unknown");
}

int sw_switch_copy_list(const struct sw_plan *p, int k, const struct sw_range *ranges, unsigned n,
                        struct sw_copy_list *l, char *why, size_t whylen)
{
        const struct sw_slot_plan *s;
        uint64_t saved;

        l->n = 0;
        l->bytes = 0;
        if (k < 0 || (unsigned)k >= p->nslots || k >= SW_PLAN_SLOTS || !p->slots[k].placed) {
                sw_snprintf(why, whylen, "it has no store");
                return -1;
        }
        s = &p->slots[k];
        saved = sw_plan_saved_bytes(p, (unsigned)k);
        for (unsigned i = 0; i < n; i++) {
                const struct sw_range *r = &ranges[i];
                uint64_t first, last;

                if (r->size == 0)
                        continue;
                /* An in-place slot's own RAM is not a copy: it stays. */
                if (sw_plan_in_own(p, (unsigned)k, r->base, r->size))
                        continue;
                /* The start and the last byte both in the store, as one
                 * piece, inside the part that holds a saved image: then
                 * every byte between is too. */
                if (!sw_plan_in_active(p, r->base, r->size) ||
                    sw_plan_store_addr(p, (unsigned)k, r->base, &first) < 0 ||
                    sw_plan_store_addr(p, (unsigned)k, r->base + r->size - 1, &last) < 0 ||
                    last - first != r->size - 1 || first < s->store_base || last - s->store_base >= saved) {
                        sw_snprintf(why, whylen, "RAM 0x%llx-0x%llx has no complete place in its store 0x%llx-0x%llx",
                                    (unsigned long long)r->base, (unsigned long long)(sw_range_end(r) - 1),
                                    (unsigned long long)s->store_base,
                                    (unsigned long long)(s->store_base + saved - 1));
                        return -1;
                }
                if (l->n >= SW_ACTIVE_MAX) {
                        sw_snprintf(why, whylen, "more than %d RAM ranges to copy", SW_ACTIVE_MAX);
                        return -1;
                }
                l->c[l->n++] = (struct sw_copy){ .active = r->base, .store = first, .size = r->size };
                l->bytes += r->size;
        }
        return 0;
}

static bool slot_index_ok(const struct sw_switch_facts *f, int i);

static void list_clear(struct sw_copy_list *l)
{
        if (l) {
                l->n = 0;
                l->bytes = 0;
        }
}

static int list_add(struct sw_copy_list *l, uint64_t active, uint64_t store, uint64_t size)
{
        if (!l || !size)
                return 0;
        if (l->n >= SW_COPY_MAX)
                return -1;
        l->c[l->n++] = (struct sw_copy){ .active = active, .store = store, .size = size };
        l->bytes += size;
        return 0;
}

/* Splits l by the n ranges r (active-region addresses): every piece of a
 * copy inside one of them goes to in, every other piece to out (either
 * may be NULL).  -1 when a list would overflow. */
static int list_split(const struct sw_copy_list *l, const struct sw_range *r, unsigned n, struct sw_copy_list *in,
                      struct sw_copy_list *out)
{
        list_clear(in);
        list_clear(out);
        for (unsigned k = 0; k < l->n; k++) {
                const struct sw_copy *c = &l->c[k];
                uint64_t pos = c->active, end = c->active + c->size;

                while (pos < end) {
                        uint64_t next = end;
                        bool inside = false;

                        for (unsigned i = 0; i < n; i++) {
                                uint64_t rs = r[i].base, re = r[i].base + r[i].size;

                                if (rs <= pos && pos < re) {
                                        inside = true;
                                        next = re < end ? re : end;
                                        break;
                                }
                                if (rs > pos && rs < next)
                                        next = rs;
                        }
                        if (list_add(inside ? in : out, pos, c->store + (pos - c->active), next - pos) < 0)
                                return -1;
                        pos = next;
                }
        }
        return 0;
}

/* The active-region ranges a copy list covers. */
static unsigned list_ranges(const struct sw_copy_list *l, struct sw_range *r)
{
        for (unsigned k = 0; k < l->n; k++)
                r[k] = (struct sw_range){ .base = l->c[k].active, .size = l->c[k].size };
        return l->n;
}

static bool in_place(const struct sw_switch_facts *f, int i)
{
        int k = f->slot[i].plan_index;

        return k >= 0 && (unsigned)k < f->plan->nslots && k < SW_PLAN_SLOTS && f->plan->slots[k].in_place;
}

/*
 * The lazy save's part of an action that went ahead (not a refusal): what
 * becomes of the lazy owner's RAM in the active region, and whether the
 * requester's becomes lazy (saves_cur: it is being saved, d->save holds
 * all of its copies).
 */
static void plan_lazy(const struct sw_switch_facts *f, struct sw_switch_decision *d, bool saves_cur)
{
        static struct sw_copy_list in, out;
        static struct sw_range r[SW_COPY_MAX];
        int owner = f->lazy_owner, cur = f->current, t = d->target;

        list_clear(&d->flush);
        list_clear(&d->lazy_rest);
        d->flush_slot = -1;
        d->lazy_owner = -1;
        /* A failed slot's RAM is garbage now: the region is free. */
        if (!slot_index_ok(f, owner) || !f->lazy_rest || d->state[owner] == SW_SLOT_FAILED)
                owner = -1;
        if (!slot_index_ok(f, t))
                return;
        if (owner >= 0 && owner == t) {
                /* Back to the owner: only what was saved comes back (a
                 * recovery drops the rest with the rest of its state).
                 * These pieces are the ones the lazy save made, so they
                 * always fit. */
                if (d->action == SW_SWITCH_RESUME && list_split(&d->restore, r, list_ranges(f->lazy_rest, r), NULL, &out) == 0)
                        d->restore = out;
                return;
        }
        if (owner >= 0) {
                /* A swap slot takes the whole region; another in-place slot
                 * only its own ranges. */
                if (!in_place(f, t) ||
                    (list_split(f->lazy_rest, f->slot[t].ranges, f->slot[t].nranges, &in, NULL) < 0 || in.n > 0)) {
                        d->flush = *f->lazy_rest;
                        d->flush_slot = owner;
                } else {
                        d->lazy_owner = owner;
                        d->lazy_rest = *f->lazy_rest;
                }
        }
        if (saves_cur && d->lazy_owner < 0 && !in_place(f, cur) && in_place(f, t) &&
            list_split(&d->save, f->slot[t].ranges, f->slot[t].nranges, &in, &out) == 0 && out.n > 0) {
                /* A swap slot hands over to an in-place one: save only what
                 * that one overwrites. */
                d->save = in;
                d->lazy_owner = cur;
                d->lazy_rest = out;
        }
}

static void refuse(const struct sw_switch_facts *f, struct sw_switch_decision *d, enum sw_mb_status st)
{
        int cur = slot_index_ok(f, f->current) ? f->current : -1;

        d->action = SW_SWITCH_REFUSE;
        d->status = st;
        if (!d->message[0])
                sw_snprintf(d->message, sizeof(d->message), "request refused: %s", sw_mb_status_name(st));
        /* A request whose seq is not the next one answers nothing new: the
         * result keeps the seq of the last one that switched. */
        if (st == SW_MB_BAD_SEQ || st == SW_MB_NO_REQUEST)
                d->result_seq = cur >= 0 ? f->slot[cur].result_seq : 0;
        else
                d->result_seq = f->req.seq;
        d->save.n = 0;
        d->save.bytes = 0;
        d->restore.n = 0;
        d->restore.bytes = 0;
}

/* Is i a slot of this config? */
static bool slot_index_ok(const struct sw_switch_facts *f, int i)
{
        return i >= 0 && (unsigned)i < f->cfg->nslots && i < SW_MAX_SLOTS;
}

/* Can slot t take the machine over by a resume (its saved state checked)
 * or, when that state is damaged, by recovery?  Fills d's restore list;
 * marks t failed when neither. */
static bool leave_to(const struct sw_switch_facts *f, struct sw_switch_decision *d, int t)
{
        const struct sw_config *c = f->cfg;
        char why[160];

        if (!slot_index_ok(f, t) || t == f->current || f->slot[t].state != SW_SLOT_SUSPENDED ||
            !f->slot[t].usable || !f->slot[t].vector || d->state[t] != SW_SLOT_SUSPENDED)
                return false;
        if (sw_switch_copy_list(f->plan, f->slot[t].plan_index, f->slot[t].ranges, f->slot[t].nranges,
                                &d->restore, why, sizeof(why)) < 0) {
                d->state[t] = SW_SLOT_FAILED;
                return false;
        }
        why[0] = '\0';
        d->verdict = f->verify ? f->verify(f->ctx, t, why, sizeof(why)) : SW_SAVE_ERR_NONE;
        if (d->verdict == SW_SAVE_OK) {
                d->action = SW_SWITCH_RESUME;
        } else if (f->slot[t].can_recover) {
                d->action = SW_SWITCH_RECOVER;
                d->restore.n = 0;
                d->restore.bytes = 0;
        } else {
                d->state[t] = SW_SLOT_FAILED;
                d->restore.n = 0;
                d->restore.bytes = 0;
                return false;
        }
        d->target = t;
        d->state[t] = SW_SLOT_RUNNING;
        sw_snprintf(d->message, sizeof(d->message), "slot '%s' %s; going on in '%s'%s", c->slots[f->current].id,
                    f->entry == SW_ENTRY_OFF ? "is off" : "left", c->slots[t].id,
                    d->action == SW_SWITCH_RECOVER ? " (cold boot: its saved state was damaged)" : "");
        return true;
}

/* The running slot restarts or goes off (see switch.h). */
static void decide_leave(const struct sw_switch_facts *f, struct sw_switch_decision *d)
{
        const struct sw_config *c = f->cfg;
        int cur = f->current;

        d->status = SW_MB_OK;
        d->result_seq = f->slot[cur].result_seq;
        if (f->chain && f->pos < f->nprewarm)
                d->prewarm_pos = f->nprewarm;
        if (f->entry == SW_ENTRY_REBOOT) {
                if (f->slot[cur].has_spare) {
                        d->action = SW_SWITCH_RECOVER;
                        d->target = cur;
                        sw_snprintf(d->log, sizeof(d->log), "slot '%s' restarts: cold boot from its recovery copy",
                                    c->slots[cur].id);
                        plan_lazy(f, d, false);
                } else {
                        d->action = SW_SWITCH_RESET;
                        sw_snprintf(d->log, sizeof(d->log),
                                    "slot '%s' restarts and has no recovery copy: resetting the machine",
                                    c->slots[cur].id);
                }
                return;
        }
        d->state[cur] = SW_SLOT_EMPTY;
        if (!leave_to(f, d, f->previous) && !leave_to(f, d, sw_config_default_index(c))) {
                for (int i = 0; i < (int)c->nslots && i < SW_MAX_SLOTS; i++)
                        if (leave_to(f, d, i))
                                break;
        }
        if (d->target < 0) {
                d->action = SW_SWITCH_POWER_OFF;
                sw_snprintf(d->log, sizeof(d->log), "slot '%s' is off and no other slot has state: powering off",
                            c->slots[cur].id);
                return;
        }
        sw_snprintf(d->log, sizeof(d->log), "%s", d->message);
        plan_lazy(f, d, false);
}

/* The core's messages on a snapshot header, kept for the result message. */
static void keep_message(void *ctx, enum sw_severity sev, const char *msg)
{
        if (sev == SW_ERROR)
                sw_snprintf(ctx, SW_MB_MSG_LEN, "%s", msg);
}

/* Why slot i cannot adopt a snapshot now; NULL when it can. */
static const char *adopt_state_why(const struct sw_switch_facts *f, int i)
{
        if (i == f->current)
                return "it is running";
        if (!f->slot[i].usable)
                return "it cannot be started";
        if (f->slot[i].state == SW_SLOT_EMPTY)
                return "it never ran";
        if (f->slot[i].state == SW_SLOT_FAILED)
                return "it failed";
        if (f->slot[i].state != SW_SLOT_SUSPENDED)
                return "it is not suspended";
        return NULL;
}

/* A request from the running slot to itself, with an adopt request (see
 * switch.h). */
static void decide_adopt(const struct sw_switch_facts *f, struct sw_switch_decision *d)
{
        const struct sw_config *c = f->cfg;
        const struct sw_mb_adopt *a = f->adopt;
        struct sw_diag keep = { .emit = keep_message, .ctx = d->message };
        static struct sw_snap_header h;
        struct sw_save_identity now;
        struct sw_copy_list *l = &d->restore;
        char id[SW_MB_ID_LEN], why[160];
        const char *bad;
        uint64_t hash;
        int i = -1;
        enum sw_mb_status st = SW_MB_ADOPT_REFUSED;

        if (f->adopt_status < 0 || !a || !f->identity || !f->ram_hash) {
                sw_snprintf(d->message, sizeof(d->message), "adopt request damaged (%s); nothing adopted",
                            sw_mb_status_name((enum sw_mb_status)(f->adopt_status < 0 ? -f->adopt_status
                                                                                      : SW_MB_MALFORMED)));
                goto refused;
        }
        memcpy(id, a->slot, sizeof(id));
        id[sizeof(id) - 1] = '\0';
        i = sw_config_find_slot(c, id);
        if (!slot_index_ok(f, i)) {
                sw_snprintf(d->message, sizeof(d->message), "cannot adopt a snapshot into '%s': no such slot", id);
                goto refused;
        }
        bad = adopt_state_why(f, i);
        if (bad) {
                sw_snprintf(d->message, sizeof(d->message), "cannot adopt a snapshot into '%s': %s", id, bad);
                goto refused;
        }
        /* From here on the agent has written i's store (it asks only after
         * writing, docs/lab-bank.md): a refusal must not leave its old save
         * header in force over that RAM. */
        d->adopt_dropped = i;
        if (f->req.seq != f->slot[f->current].result_seq + 1u) {
                st = SW_MB_BAD_SEQ;
                goto refused;
        }
        if (sw_snap_header_decode(a->header, sizeof(a->header), &h, "snapshot", &keep) < 0)
                goto refused;
        f->identity(f->ctx, i, &now);
        if (sw_snap_header_fits(&h, c, &c->slots[i], &now, d->message, sizeof(d->message)) < 0)
                goto refused;
        if (sw_switch_copy_list(f->plan, f->slot[i].plan_index, f->slot[i].ranges, f->slot[i].nranges, l, why,
                                sizeof(why)) < 0) {
                list_clear(l);
                sw_snprintf(d->message, sizeof(d->message), "cannot adopt into '%s': %s", id, why);
                goto refused;
        }
        list_clear(l);
        hash = f->ram_hash(f->ctx, i);
        if (hash != a->ram_hash) {
                sw_snprintf(d->message, sizeof(d->message),
                            "RAM hash mismatch: the store holds %016llx, the snapshot %016llx", (unsigned long long)hash,
                            (unsigned long long)a->ram_hash);
                goto refused;
        }
        d->action = SW_SWITCH_REFUSE;
        d->status = SW_MB_OK;
        d->result_seq = f->req.seq;
        d->adopt_slot = i;
        d->adopt_dropped = -1;
        d->adopt_vector = (uint32_t)h.waking_vector;
        d->state[i] = SW_SLOT_SUSPENDED;
        if (d->lazy_owner == i)
                d->lazy_owner = -1;
        sw_snprintf(d->message, sizeof(d->message), "slot '%s' adopted its snapshot; it resumes at 0x%x", id,
                    d->adopt_vector);
        sw_snprintf(d->log, sizeof(d->log), "%s", d->message);
        return;
refused:
        if (d->adopt_dropped >= 0) {
                bool spare = f->slot[i].has_spare;
                const char *note = spare ? "; saved state dropped: it starts over from its recovery copy"
                                         : "; saved state dropped: it is marked failed";
                size_t n, room = sizeof(d->message) - strlen(note) - 1;

                d->state[i] = spare ? SW_SLOT_EMPTY : SW_SLOT_FAILED;
                if (d->lazy_owner == i)
                        d->lazy_owner = -1;
                if (!d->message[0])
                        sw_snprintf(d->message, sizeof(d->message), "request refused: %s", sw_mb_status_name(st));
                /* The note must reach the requester whole: the reason
                 * gives way, cut with "..." (the serial log has it all). */
                sw_snprintf(d->log, sizeof(d->log), "adopt refused: %s%s", d->message, note);
                n = strlen(d->message);
                if (n > room) {
                        memcpy(d->message + room - 3, "...", 3);
                        n = room;
                }
                sw_snprintf(d->message + n, sizeof(d->message) - n, "%s", note);
        }
        if (!d->log[0])
                sw_snprintf(d->log, sizeof(d->log), "adopt refused: %s", d->message);
        refuse(f, d, st);
}

void sw_switch_decide(const struct sw_switch_facts *f, struct sw_switch_decision *d)
{
        const struct sw_config *c = f->cfg;
        int cur = f->current, t = -1;
        enum sw_mb_status st = f->request;
        char why[160];
        bool recover = false;

        memset(d, 0, sizeof(*d));
        d->target = -1;
        d->flush_slot = -1;
        d->adopt_slot = -1;
        d->adopt_dropped = -1;
        d->lazy_owner = f->lazy_owner;
        d->verdict = SW_SAVE_OK;
        for (unsigned i = 0; i < SW_MAX_SLOTS; i++)
                d->state[i] = f->slot[i].state;
        d->prewarm_pos = f->pos;

        if (slot_index_ok(f, cur) && (f->entry == SW_ENTRY_REBOOT || f->entry == SW_ENTRY_OFF)) {
                decide_leave(f, d);
                return;
        }
        /* A status outside the enum is a damaged fact, not a request. */
        if (!slot_index_ok(f, cur) || (unsigned)st >= SW_MB_STATUS_MAX || f->entry != SW_ENTRY_REQUEST) {
                refuse(f, d, SW_MB_MALFORMED);
                return;
        }
        if (st == SW_MB_SAME_SLOT && (f->adopt || f->adopt_status < 0)) {
                decide_adopt(f, d);
                return;
        }
        if (st == SW_MB_OK) {
                char id[SW_MB_ID_LEN];

                /* The mailbox layer checked the target names a slot node;
                 * whether that slot can run is the switcher's call. */
                memcpy(id, f->req.target, sizeof(id));
                id[sizeof(id) - 1] = '\0';
                t = sw_config_find_slot(c, id);
                if (t == cur)
                        st = SW_MB_SAME_SLOT;
                else if (!slot_index_ok(f, t))
                        st = SW_MB_TARGET_FAILED;
                if (st != SW_MB_OK)
                        t = -1;
                d->target = t;
        }
        if (st == SW_MB_OK && (!f->slot[t].usable || f->slot[t].state == SW_SLOT_FAILED ||
                               f->slot[t].state == SW_SLOT_RUNNING))
                st = SW_MB_TARGET_FAILED;
        if (st == SW_MB_OK && f->slot[t].state == SW_SLOT_EMPTY && f->slot[t].recover_only) {
                /* It ran and went off: only its recovery copy can start it. */
                if (f->slot[t].has_spare) {
                        recover = true;
                } else {
                        st = SW_MB_TARGET_FAILED;
                        sw_snprintf(d->message, sizeof(d->message),
                                    "cannot start '%s' again: it was shut down and has no recovery copy",
                                    c->slots[t].id);
                }
        }
        if (st == SW_MB_OK && f->slot[t].state == SW_SLOT_SUSPENDED && f->slot[t].vector == 0) {
                /* Suspended without a waking vector: it cannot be resumed. */
                d->state[t] = SW_SLOT_FAILED;
                st = SW_MB_TARGET_FAILED;
        }
        if (st == SW_MB_OK && sw_switch_copy_list(f->plan, f->slot[cur].plan_index, f->slot[cur].ranges,
                                                  f->slot[cur].nranges, &d->save, why, sizeof(why)) < 0) {
                st = SW_MB_CANNOT_SAVE;
                sw_snprintf(d->log, sizeof(d->log), "slot '%s': cannot save its RAM: %s", c->slots[cur].id, why);
                sw_snprintf(d->message, sizeof(d->message), "cannot save '%s': %s", c->slots[cur].id, why);
        }
        if (st == SW_MB_OK && sw_switch_copy_list(f->plan, f->slot[t].plan_index, f->slot[t].ranges,
                                                  f->slot[t].nranges, &d->restore, why, sizeof(why)) < 0) {
                d->state[t] = SW_SLOT_FAILED;
                st = SW_MB_TARGET_FAILED;
                sw_snprintf(d->log, sizeof(d->log), "slot '%s': cannot restore its RAM: %s; slot marked failed",
                            c->slots[t].id, why);
                sw_snprintf(d->message, sizeof(d->message), "cannot switch to '%s': %s", c->slots[t].id, why);
        }
        if (st == SW_MB_OK && f->slot[t].state == SW_SLOT_SUSPENDED) {
                /* The target's saved state, checked before anything is
                 * overwritten: on a refusal the requester's RAM is still in
                 * place and it simply goes on. */
                why[0] = '\0';
                d->verdict = f->verify ? f->verify(f->ctx, t, why, sizeof(why)) : SW_SAVE_ERR_NONE;
                if (d->verdict != SW_SAVE_OK && f->slot[t].can_recover) {
                        recover = true;
                        sw_snprintf(d->log, sizeof(d->log),
                                    "slot '%s': cannot resume: %s (%s); cold-booting it instead (on-damage cold-boot)",
                                    c->slots[t].id, why, sw_save_verdict_name(d->verdict));
                } else if (d->verdict != SW_SAVE_OK) {
                        d->state[t] = SW_SLOT_FAILED;
                        st = SW_MB_TARGET_FAILED;
                        sw_snprintf(d->log, sizeof(d->log), "slot '%s': cannot resume: %s (%s); slot marked failed",
                                    c->slots[t].id, why, sw_save_verdict_name(d->verdict));
                        sw_snprintf(d->message, sizeof(d->message), "cannot resume '%s': %s", c->slots[t].id, why);
                }
        }
        if (st != SW_MB_OK) {
                refuse(f, d, st);
                return;
        }

        if (recover) {
                /* The recovery copy goes back in place of the store. */
                d->action = SW_SWITCH_RECOVER;
                d->restore.n = 0;
                d->restore.bytes = 0;
                sw_snprintf(d->message, sizeof(d->message), "switched to '%s' (cold boot: %s)", c->slots[t].id,
                            f->slot[t].state == SW_SLOT_EMPTY ? "from its recovery copy"
                                                              : "its saved state was damaged");
        } else {
                d->action = f->slot[t].state == SW_SLOT_EMPTY ? SW_SWITCH_COLD_BOOT : SW_SWITCH_RESUME;
                sw_snprintf(d->message, sizeof(d->message), "switched to '%s'", c->slots[t].id);
        }
        d->status = SW_MB_OK;
        d->result_seq = f->req.seq;
        d->state[cur] = SW_SLOT_SUSPENDED;
        d->state[t] = SW_SLOT_RUNNING;
        plan_lazy(f, d, true);

        /* The prewarm chain moves on when t is its next link, and ends when
         * the switch goes anywhere else. */
        if (f->chain && f->pos < f->nprewarm)
                d->prewarm_pos = t == f->chain[f->pos + 1] ? f->pos + 1 : f->nprewarm;
}
