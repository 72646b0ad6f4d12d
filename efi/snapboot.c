/* SPDX-License-Identifier: MIT */
/*
 * The start-up restore of the lab bank (issue 14, docs/lab-bank.md): every
 * slot with a 'snapshot PATH' line gets its snapshot back before any slot
 * boots.  The snapshot is read from the ESP through the Simple File System
 * the switcher was loaded from, in two streaming passes over the file:
 * the first checks every structure and hash and that the snapshot fits the
 * slot as configured now (the checks of switcher/snapshot.c, shared with
 * the adoption), the second writes the file system's blocks to the slot's
 * partition through Disk I/O and the RAM into the slot's store.  Nothing is
 * written unless the first pass found everything right.  What to do with a
 * slot whose snapshot fails is the core's decision (sw_snap_boot_failed());
 * this file only reads, writes and reports.
 */
#include "sw-efi.h"
#include "acpi.h"
#include "fmt.h"
#include "gpt.h"
#include "hash64.h"
#include "layout.h"
#include "linux.h"
#include "resident.h"
#include "savestate.h"
#include "snapboot.h"
#include "snapshot.h"

#include <string.h>

/* The streaming buffer: big enough that Simple File System reads are few,
 * small enough for any firmware pool. */
#define SCRATCH (1u << 20)
/* The pieces of a split snapshot: PATH.000 to PATH.999. */
#define MAX_PIECES 1000

/* The snapshot file, whole or in pieces, as one stream. */
struct source {
        const char *path;
        EFI_FILE_HANDLE fh;
        bool split;
        unsigned next;          /* the next piece's number */
        char *why;              /* where a read failure is said */
        size_t why_len;
};

/* Where the slot's bytes go. */
struct target {
        EFI_DISK_IO *dio;
        EFI_BLOCK_IO *bio;
        UINT32 media;
        uint64_t part_offset, part_bytes;
        uint8_t *zero;
        const char *path;       /* the snapshot, as the walk names it */
        char *why;
        size_t why_len;
};

static EFI_STATUS source_open(struct source *s, const char *path, char *why, size_t n)
{
        char piece[SW_PATH_MAX + 8];
        EFI_STATUS st;

        memset(s, 0, sizeof(*s));
        s->path = path;
        s->why = why;
        s->why_len = n;
        st = fs_open(path, &s->fh);
        if (st != EFI_NOT_FOUND)
                goto out;
        sw_snprintf(piece, sizeof(piece), "%s.000", path);
        st = fs_open(piece, &s->fh);
        s->split = !EFI_ERROR(st);
        s->next = 1;
out:
        if (EFI_ERROR(st)) {
                s->fh = NULL;
                sw_snprintf(why, n, "cannot read it (nor %s.000) on the ESP: %s", path, efi_strerror(st));
        }
        return st;
}

static void source_close(struct source *s)
{
        if (s->fh)
                uefi_call_wrapper(s->fh->Close, 1, s->fh);
        s->fh = NULL;
}

/* sw_snap_source's read(): at the end of a piece the stream goes on in the
 * next one, if there is one. */
static long long source_read(void *ctx, void *buf, size_t len)
{
        struct source *s = ctx;
        char piece[SW_PATH_MAX + 8];

        while (s->fh) {
                UINTN n = len;
                EFI_STATUS st = uefi_call_wrapper(s->fh->Read, 3, s->fh, &n, buf);

                if (EFI_ERROR(st)) {
                        sw_snprintf(s->why, s->why_len, "cannot read it: %s", efi_strerror(st));
                        return -1;
                }
                if (n)
                        return (long long)n;
                source_close(s);
                if (!s->split || s->next >= MAX_PIECES)
                        break;
                sw_snprintf(piece, sizeof(piece), "%s.%03u", s->path, s->next++);
                st = fs_open(piece, &s->fh);
                if (EFI_ERROR(st) && st != EFI_NOT_FOUND) {
                        sw_snprintf(s->why, s->why_len, "cannot read %s: %s", piece, efi_strerror(st));
                        return -1;
                }
                if (EFI_ERROR(st))
                        s->fh = NULL;
        }
        return 0;
}

/* The walk's messages name the file, the offset and the part: the first
 * error is the reason, without the file, which the caller's message names
 * already. */
static void keep_first(void *ctx, enum sw_severity sev, const char *msg)
{
        struct target *t = ctx;
        size_t n = strlen(t->path);

        if (sev != SW_ERROR || t->why[0])
                return;
        if (!strncmp(msg, t->path, n) && msg[n] == ':' && msg[n + 1] == ' ')
                msg += n + 2;
        sw_snprintf(t->why, t->why_len, "%s", msg);
}

static int disk_read(void *ctx, uint64_t off, void *buf, size_t len)
{
        struct target *t = ctx;

        return EFI_ERROR(uefi_call_wrapper(t->dio->ReadDisk, 5, t->dio, t->media, off, len, buf)) ? -1 : 0;
}

/* The slot's partition on the disks the firmware sees, by the GPT entry
 * its 'partition' names.  0, or -1 with the reason. */
static int find_partition(const struct sw_slot_config *s, struct target *t)
{
        EFI_HANDLE *handles = NULL;
        UINTN nh = 0;
        struct sw_gpt *g = AllocatePool(sizeof(*g));
        int found = -1;

        if (!g || EFI_ERROR(uefi_call_wrapper(BS->LocateHandleBuffer, 5, ByProtocol, &BlockIoProtocol, NULL, &nh,
                                              &handles)))
                nh = 0;
        for (UINTN i = 0; i < nh && found < 0; i++) {
                const struct sw_gpt_part *p;
                char why[160];

                /* Whole disks only: partitions have Block I/O handles too. */
                if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, handles[i], &BlockIoProtocol, (void **)&t->bio)) ||
                    !t->bio->Media->MediaPresent || t->bio->Media->LogicalPartition || t->bio->Media->ReadOnly ||
                    EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, handles[i], &DiskIoProtocol, (void **)&t->dio)))
                        continue;
                t->media = t->bio->Media->MediaId;
                if (sw_gpt_read(disk_read, t, t->bio->Media->BlockSize, g, why, sizeof(why)) != SW_GPT_OK)
                        continue;
                p = sw_gpt_find(g, s->part_kind, s->partition);
                if (!p)
                        continue;
                t->part_offset = p->first_lba * t->bio->Media->BlockSize;
                t->part_bytes = (p->last_lba + 1 - p->first_lba) * t->bio->Media->BlockSize;
                found = 0;
        }
        if (handles)
                FreePool(handles);
        if (g)
                FreePool(g);
        if (found < 0)
                sw_snprintf(t->why, t->why_len, "its partition %s%s is on no writable disk the firmware sees",
                            s->part_kind == SW_PART_UUID ? "PARTUUID=" : "PARTLABEL=", s->partition);
        return found;
}

/* Second pass: a part's bytes where they go.  The first pass checked
 * every range against the store and the partition. */
static int put(struct target *t, const struct sw_snap_part *p, unsigned r, uint64_t at, const void *buf, size_t len)
{
        EFI_STATUS st;

        if (p->type == SW_SNAP_PART_RAM) {
                memcpy((void *)(uintptr_t)(p->range[r].addr + at), buf, len);
                return 0;
        }
        st = uefi_call_wrapper(t->dio->WriteDisk, 5, t->dio, t->media, t->part_offset + at, len,
                               (void *)(uintptr_t)buf);
        if (EFI_ERROR(st)) {
                sw_snprintf(t->why, t->why_len, "cannot write its partition at offset %llu: %s",
                            (unsigned long long)at, efi_strerror(st));
                return -1;
        }
        return 0;
}

static int write_data(void *ctx, const struct sw_snap_part *p, unsigned r, uint64_t at, const void *buf, size_t len)
{
        return put(ctx, p, r, at, buf, len);
}

/* What no extent covers is zero in the restored slot: free blocks of the
 * file system, zero pages of the RAM. */
static int write_gap(void *ctx, const struct sw_snap_part *p, unsigned r, uint64_t offset, uint64_t count)
{
        struct target *t = ctx;
        uint64_t at = offset * p->unit, left = count * p->unit;

        if (p->type == SW_SNAP_PART_RAM) {
                memset((void *)(uintptr_t)(p->range[r].addr + at), 0, left);
                return 0;
        }
        while (left) {
                size_t n = left < SCRATCH ? (size_t)left : SCRATCH;

                if (put(t, p, r, at, t->zero, n) < 0)
                        return -1;
                at += n;
                left -= n;
        }
        return 0;
}

/*
 * One slot: the checking pass, then the writing pass.  Returns 0 when the
 * slot holds its snapshot now (vector: where it resumes), else -1 with the
 * reason in why and *written set once anything was written.
 */
static int restore_one(const struct sw_config *c, int i, const struct sw_slot_config *s, struct slot_rt *rt,
                       const struct sw_plan *plan, struct sw_slot_plan *sp, void *scratch, uint32_t *vector,
                       bool *written, char *why, size_t n)
{
        static struct sw_snap_info info;
        struct target t = { .path = s->snapshot_path, .why = why, .why_len = n };
        struct sw_diag keep = { .emit = keep_first, .ctx = &t };
        struct sw_snap_visitor wr = { NULL, write_data, write_gap, NULL, &t };
        struct sw_save_identity now;
        struct sw_snap_range ram[SW_SNAP_SLOT_RANGES];
        struct sw_snap_source src;
        struct source in;
        uint8_t hash[SW_SHA256_LEN];
        unsigned nram;
        int rc;

        *written = false;
        if (s->part_kind != SW_PART_NONE && find_partition(s, &t) < 0)
                return -1;
        /* Pass 1: every structure and hash, then the fit, before a byte is
         * written. */
        if (EFI_ERROR(source_open(&in, s->snapshot_path, why, n)))
                return -1;
        src = (struct sw_snap_source){ source_read, &in };
        rc = sw_snap_walk(&src, NULL, scratch, SCRATCH, NULL, &info, s->snapshot_path, &keep);
        source_close(&in);
        if (rc < 0)
                return -1;
        save_identity(i, &now);
        /* Every RAM range of the slot as planned now (an in-place slot's
         * window, low memory and own RAM), each the snapshot's own: the
         * second pass writes exactly where the first pass checked. */
        nram = sw_snap_slot_ram(sp, ram);
        if (sw_snap_fits(&info, c, s, &now, ram, nram, t.part_bytes, why, n) < 0)
                return -1;
        memcpy(hash, info.sha256, sizeof(hash));
        /* The store is about to be overwritten: the recovery copy is made
         * now, from the staged boot_params and command line. */
        if (sp->spare_size && linux_save_spare(rt, plan) < 0)
                sp->spare_size = 0;
        /* Pass 2: the same walk writes, and refuses a file that changed
         * since pass 1. */
        if (EFI_ERROR(source_open(&in, s->snapshot_path, why, n)))
                return -1;
        t.zero = AllocateZeroPool(SCRATCH);
        if (!t.zero) {
                source_close(&in);
                sw_snprintf(why, n, "no memory for its zero buffer");
                return -1;
        }
        *written = true;
        src = (struct sw_snap_source){ source_read, &in };
        rc = sw_snap_walk(&src, &wr, scratch, SCRATCH, hash, &info, s->snapshot_path, &keep);
        source_close(&in);
        FreePool(t.zero);
        if (rc == 0 && t.bio && EFI_ERROR(uefi_call_wrapper(t.bio->FlushBlocks, 1, t.bio))) {
                sw_snprintf(why, n, "its partition's disk did not flush");
                rc = -1;
        }
        *vector = (uint32_t)info.hdr.waking_vector;
        return rc;
}

/* The store holds slot i's saved state now: its save header, as the
 * switcher records it after a save, and the snapshot's vector. */
static void record(const struct slot_rt *rt, int i, uint32_t vector)
{
        uint64_t ticks = 0;

        save_record(i, &ticks);
        if (rt->facs)
                ((struct sw_acpi_facs *)(uintptr_t)rt->facs)->firmware_waking_vector = vector;
}

void snapboot_run(struct sw_config *c, struct sw_plan *plan, struct slot_rt *rt, int boot, const struct sw_memmap *map,
                  const struct sw_fb *fb, bool restored[SW_MAX_SLOTS])
{
        void *scratch = NULL;

        for (unsigned i = 0; i < c->nslots && i < SW_MAX_SLOTS; i++) {
                struct sw_slot_config *s = &c->slots[i];
                struct sw_slot_plan *sp;
                char why[SW_MENU_MSG_MAX - 128], msg[SW_MENU_MSG_MAX];
                uint32_t vector = 0;
                bool written = false;

                restored[i] = false;
                if (!s->snapshot_path[0] || !s->valid || rt[i].plan_index < 0 || !rt[i].loaded)
                        continue;
                if ((int)i == boot) {
                        con_say("switcher: slot '%s' boots now (every valid slot has a snapshot); its snapshot %s "
                                "is not brought back\n", s->id, s->snapshot_path);
                        continue;
                }
                sp = &plan->slots[rt[i].plan_index];
                why[0] = '\0';
                if (!scratch)
                        scratch = AllocatePool(SCRATCH);
                if (!scratch) {
                        sw_snprintf(why, sizeof(why), "no memory for the read buffer");
                } else if (linux_build_bp(&rt[i], s->id, plan, map, fb, NULL) < 0) {
                        /* Its e820 is part of what the snapshot must match. */
                        sw_snprintf(why, sizeof(why), "cannot describe this machine to its kernel");
                } else if (restore_one(c, (int)i, s, &rt[i], plan, sp, scratch, &vector, &written, why, sizeof(why)) == 0) {
                        record(&rt[i], (int)i, vector);
                        restored[i] = true;
                        con_printf("switcher: slot '%s': snapshot %s brought back; its first switch resumes it at "
                                   "0x%x\n", s->id, s->snapshot_path, vector);
                        continue;
                }
                if (!why[0])
                        sw_snprintf(why, sizeof(why), "refused");
                if (sw_snap_boot_failed(c, s, written, why, msg, sizeof(msg)) == SW_SNAP_BOOT_DROP)
                        s->valid = false;
                sw_diagf(&con_diag, SW_ERROR, "%s", msg);
        }
        if (scratch)
                FreePool(scratch);
}
