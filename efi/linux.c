/* SPDX-License-Identifier: MIT */
/*
 * Preloading and starting Linux slots through the x86 boot protocol.
 *
 * Every valid slot's kernel and initrds are read from the ESP at start-up, so
 * a later cold boot of any slot needs no disk access.  A slot's files are
 * laid out at addresses of the active region (the only RAM its e820 offers):
 * the slot that boots now gets them there directly; every other slot gets
 * them at the same offsets inside its store, which is an image of the active
 * region (see sw_plan_store_addr()), ready for "restore store, enter".
 */
#include "sw-efi.h"
#include "linux.h"
#include "fmt.h"
#include "resident.h"
#include "tboot.h"
#include "trampoline.h"

#include <string.h>

#define KERNEL_MAX (256ULL << 20)
#define INITRD_MAX (1ULL << 30)
#define MIB (1ULL << 20)

static uint64_t align_up(uint64_t v, uint64_t a)
{
        return (v + a - 1) & ~(a - 1);
}

int linux_preload(struct slot_rt *rt, struct sw_slot_config *s, uint64_t slot_ram, struct sw_diag *d)
{
        void *buf;
        size_t size, total = 0;
        EFI_STATUS st;

        st = fs_read(s->linux_path, &buf, &size, KERNEL_MAX);
        if (EFI_ERROR(st)) {
                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': kernel '%s': cannot read: %s; slot dropped",
                         fs_conf_path(), s->linux_line, s->id, s->linux_path, efi_strerror(st));
                return -1;
        }
        rt->kernel = buf;
        rt->kernel_size = size;

        /* Several initrds are concatenated: the kernel unpacks back-to-back
         * cpio archives as one. Each one is padded to 4 bytes as cpio wants. */
        void *parts[SW_MAX_INITRD];
        size_t sizes[SW_MAX_INITRD];

        for (unsigned i = 0; i < s->ninitrd; i++) {
                st = fs_read(s->initrd[i], &parts[i], &sizes[i], INITRD_MAX);
                if (EFI_ERROR(st)) {
                        sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': initrd '%s': cannot read: %s; slot dropped",
                                 fs_conf_path(), s->initrd_line[i], s->id, s->initrd[i], efi_strerror(st));
                        for (unsigned j = 0; j < i; j++)
                                FreePool(parts[j]);
                        FreePool(rt->kernel);
                        rt->kernel = NULL;
                        return -1;
                }
                total += align_up(sizes[i], 4);
        }

        /* The header, then the kernel against the slot: its architecture,
         * and whether it fits the slot's RAM with its initrds at all.  The
         * same check as `mkslot check --esp`. */
        if (sw_slot_kernel_check(s, fs_conf_path(), buf, size, size, slot_ram, total, &rt->info, d) < 0) {
                for (unsigned j = 0; j < s->ninitrd; j++)
                        FreePool(parts[j]);
                FreePool(rt->kernel);
                rt->kernel = NULL;
                return -1;
        }

        rt->initrd = NULL;
        rt->initrd_size = 0;
        if (s->ninitrd) {
                UINT8 *cat = AllocateZeroPool(total);

                if (!cat) {
                        sw_diagf(d, SW_ERROR, "slot '%s': no memory for its initrds; slot dropped", s->id);
                        for (unsigned j = 0; j < s->ninitrd; j++)
                                FreePool(parts[j]);
                        FreePool(rt->kernel);
                        rt->kernel = NULL;
                        return -1;
                }
                for (unsigned j = 0, off = 0; j < s->ninitrd; j++) {
                        sw_copy_fast(cat + off, parts[j], sizes[j]);
                        off += align_up(sizes[j], 4);
                        FreePool(parts[j]);
                }
                rt->initrd = cat;
                rt->initrd_size = total;
        }
        /* Only a 64-bit kernel can call the 64-bit firmware's runtime
         * services (docs/efi-runtime.md). */
        rt->efi = s->arch == SW_ARCH_X86_64;
        sw_diagf(d, SW_INFO, "slot '%s': kernel %s (%s, protocol %u.%02u, %zu KiB), initrd %zu KiB",
                 s->id, rt->info.kernel_version[0] ? rt->info.kernel_version : "?", sw_arch_name(s->arch),
                 rt->info.version >> 8, rt->info.version & 0xff, size / 1024, rt->initrd_size / 1024);
        return 0;
}

/*
 * Finds [addr, addr+size) inside one range of the slot's RAM and, when need_free is set,
 * inside memory that is EfiConventionalMemory right now (so it can be
 * allocated at that address).  from_top picks the highest such spot.
 */
static int find_spot(const struct slot_rt *rt, const struct sw_memmap *m, bool need_free,
                     uint64_t size, uint64_t align, uint64_t min_addr, bool from_top, uint64_t *out)
{
        bool found = false;
        uint64_t best = 0;

        for (unsigned i = 0; i < rt->nranges; i++) {
                const struct sw_range *a = &rt->ranges[i];

                for (unsigned j = 0; j < (need_free ? m->n : 1); j++) {
                        uint64_t lo = a->base, hi = sw_range_end(a), cand;

                        if (need_free) {
                                const struct sw_mem_range *r = &m->r[j];

                                if (r->efi_type != SW_EFI_CONVENTIONAL)
                                        continue;
                                if (r->base > lo)
                                        lo = r->base;
                                if (r->base + r->size < hi)
                                        hi = r->base + r->size;
                        }
                        if (lo < min_addr)
                                lo = min_addr;
                        if (hi <= lo || hi - lo < size)
                                continue;
                        if (from_top)
                                cand = (hi - size) & ~(align - 1);
                        else
                                cand = align_up(lo, align);
                        if (cand < lo || cand + size > hi)
                                continue;
                        if (!found || (from_top ? cand > best : cand < best)) {
                                best = cand;
                                found = true;
                        }
                }
        }
        if (!found)
                return -1;
        *out = best;
        return 0;
}

int linux_layout(struct slot_rt *rt, const struct sw_slot_config *s, const struct sw_memmap *m,
                 bool boot_now, struct sw_diag *d)
{
        uint64_t ksize = align_up(rt->info.init_size > rt->info.pm_size ? rt->info.init_size : rt->info.pm_size,
                                  SW_PAGE_SIZE);
        uint64_t kalign = rt->info.kernel_alignment ? rt->info.kernel_alignment : 2 * MIB;
        /* An in-place slot's own RAM was allocated whole with its store, so
         * nothing in it is "free" and nothing more is allocated there. */
        bool in_place = s->mode == SW_MODE_IN_PLACE;

        if (in_place)
                boot_now = false;

        /* The kernel goes low (at 16 MiB or above, where x86-64 Linux
         * decompresses anyway); the initrd high, out of the way of the
         * decompressor; boot_params and the command line in two pages. */
        if (find_spot(rt, m, boot_now, ksize, kalign, 16 * MIB, false, &rt->kernel_load) < 0 &&
            find_spot(rt, m, boot_now, ksize, kalign, MIB, false, &rt->kernel_load) < 0) {
                sw_diagf(d, SW_ERROR, "slot '%s': no room in its RAM for the kernel (%llu MiB with alignment %llu KiB)",
                         s->id, (unsigned long long)(ksize / MIB), (unsigned long long)(kalign / 1024));
                return -1;
        }
        if (boot_now && EFI_ERROR(mem_alloc_at(rt->kernel_load, ksize, EfiLoaderData)))
                goto nomem;
        rt->initrd_addr = 0;
        if (rt->initrd_size) {
                uint64_t isize = align_up(rt->initrd_size, SW_PAGE_SIZE);

                if (find_spot(rt, m, boot_now, isize, SW_PAGE_SIZE, rt->kernel_load + ksize, true, &rt->initrd_addr) < 0 &&
                    find_spot(rt, m, boot_now, isize, SW_PAGE_SIZE, MIB, true, &rt->initrd_addr) < 0) {
                        sw_diagf(d, SW_ERROR, "slot '%s': no room in its RAM for the initrd", s->id);
                        return -1;
                }
                if (!rt->info.can_load_above_4g && rt->initrd_addr + isize - 1 > rt->info.initrd_addr_max) {
                        sw_diagf(d, SW_ERROR, "slot '%s': initrd would lie above the kernel's limit 0x%x",
                                 s->id, rt->info.initrd_addr_max);
                        return -1;
                }
                if (boot_now && EFI_ERROR(mem_alloc_at(rt->initrd_addr, isize, EfiLoaderData)))
                        goto nomem;
        }
        /* Nothing is allocated while laying out a slot that does not boot
         * now, or an in-place one, so boot_params go past the kernel
         * rather than wherever find_spot() would see room (for an in-place
         * slot the only RAM above 1 MiB is its own, where the kernel is). */
        if (find_spot(rt, m, boot_now, 2 * SW_PAGE_SIZE, SW_PAGE_SIZE, boot_now ? MIB : rt->kernel_load + ksize,
                      false, &rt->bp_addr) < 0 &&
            find_spot(rt, m, boot_now, 2 * SW_PAGE_SIZE, SW_PAGE_SIZE, MIB, false, &rt->bp_addr) < 0) {
                sw_diagf(d, SW_ERROR, "slot '%s': no room in its RAM for boot_params", s->id);
                return -1;
        }
        if (boot_now && EFI_ERROR(mem_alloc_at(rt->bp_addr, 2 * SW_PAGE_SIZE, EfiLoaderData)))
                goto nomem;
        rt->cmdline_addr = rt->bp_addr + SW_PAGE_SIZE;
        return 0;
nomem:
        sw_diagf(d, SW_ERROR, "slot '%s': the firmware refused memory the plan chose", s->id);
        return -1;
}

/* Where an address of this slot's RAM is written now: in place for the slot
 * that boots now and for an in-place slot's own RAM, else in its store. */
static void *stage_ptr(const struct slot_rt *rt, const struct sw_plan *p, uint64_t active_addr)
{
        uint64_t a = active_addr;

        if (rt->boot_now || sw_plan_in_own(p, (unsigned)rt->plan_index, active_addr, 1))
                return (void *)(uintptr_t)a;
        if (sw_plan_store_addr(p, (unsigned)rt->plan_index, active_addr, &a) < 0)
                return NULL;
        return (void *)(uintptr_t)a;
}

int linux_stage(struct slot_rt *rt, const struct sw_slot_config *s, const struct sw_plan *p,
                uint64_t mailbox, struct sw_diag *d)
{
        void *k = stage_ptr(rt, p, rt->kernel_load);
        void *i = rt->initrd_size ? stage_ptr(rt, p, rt->initrd_addr) : NULL;
        char *cl = stage_ptr(rt, p, rt->cmdline_addr);
        int n;

        if (!k || !cl || (rt->initrd_size && !i)) {
                sw_diagf(d, SW_ERROR, "slot '%s': staging address outside its RAM", s->id);
                return -1;
        }
        /* sw_copy_fast, not CopyMem: GNU-EFI's is a byte loop, which
         * under TCG made staging four slots (46 MiB) take a second. */
        sw_copy_fast(k, (UINT8 *)rt->kernel + rt->info.setup_size, rt->kernel_size - rt->info.setup_size);
        if (i)
                sw_copy_fast(i, rt->initrd, rt->initrd_size);
        /* What the switcher adds comes last, so it wins over a stray
         * duplicate in the slot's own options. */
        n = sw_snprintf(cl, SW_PAGE_SIZE, "%s%sswitcher.slot=%s switcher.mailbox=0x%llx", s->options,
                        s->options[0] ? " " : "", s->id, (unsigned long long)mailbox);
        if (n < 0 || (uint32_t)n > rt->info.cmdline_size || n >= (int)SW_PAGE_SIZE) {
                sw_diagf(d, SW_ERROR, "slot '%s': command line is %d bytes, the kernel takes at most %u",
                         s->id, n, rt->info.cmdline_size);
                return -1;
        }
        rt->cmdline_len = (uint32_t)n;
        return 0;
}

uint64_t linux_spare_size(const struct slot_rt *rt)
{
        if (!rt->loaded || !rt->kernel)
                return 0;
        return 2 * SW_PAGE_SIZE + align_up(rt->kernel_size - rt->info.setup_size, SW_PAGE_SIZE) +
               align_up(rt->initrd_size, SW_PAGE_SIZE);
}

/* The recovery copy's layout: boot_params and command line pages, the
 * kernel's protected-mode part, the initrds, each page aligned. */
int linux_save_spare(const struct slot_rt *rt, const struct sw_plan *p)
{
        const struct sw_slot_plan *sp = &p->slots[rt->plan_index];
        uint8_t *dst = (uint8_t *)(uintptr_t)sp->spare_base;
        const void *bp = stage_ptr(rt, p, rt->bp_addr), *cl = stage_ptr(rt, p, rt->cmdline_addr);
        uint64_t klen = rt->kernel_size - rt->info.setup_size;

        if (!sp->spare_size || sp->spare_size < linux_spare_size(rt) || !bp || !cl)
                return -1;
        /* After ExitBootServices: no boot service; the large parts go
         * through sw_copy_fast, the two pages through memcpy. */
        memcpy(dst, bp, SW_PAGE_SIZE);
        memcpy(dst + SW_PAGE_SIZE, cl, SW_PAGE_SIZE);
        sw_copy_fast(dst + 2 * SW_PAGE_SIZE, (const uint8_t *)rt->kernel + rt->info.setup_size, klen);
        if (rt->initrd_size)
                sw_copy_fast(dst + 2 * SW_PAGE_SIZE + align_up(klen, SW_PAGE_SIZE), rt->initrd, rt->initrd_size);
        return 0;
}

uint64_t linux_restage(const struct slot_rt *rt, const struct sw_plan *p)
{
        const struct sw_slot_plan *sp = &p->slots[rt->plan_index];
        const uint8_t *src = (const uint8_t *)(uintptr_t)sp->spare_base;
        uint64_t klen = rt->kernel_size - rt->info.setup_size;

        memcpy((void *)(uintptr_t)rt->bp_addr, src, SW_PAGE_SIZE);
        memcpy((void *)(uintptr_t)rt->cmdline_addr, src + SW_PAGE_SIZE, SW_PAGE_SIZE);
        sw_copy_fast((void *)(uintptr_t)rt->kernel_load, src + 2 * SW_PAGE_SIZE, klen);
        if (rt->initrd_size)
                sw_copy_fast((void *)(uintptr_t)rt->initrd_addr, src + 2 * SW_PAGE_SIZE + align_up(klen, SW_PAGE_SIZE),
                             rt->initrd_size);
        return 2 * SW_PAGE_SIZE + klen + rt->initrd_size;
}

int linux_build_bp(struct slot_rt *rt, const char *id, const struct sw_plan *p, const struct sw_memmap *m,
                   const struct sw_fb *fb, struct sw_diag *d)
{
        struct sw_boot_params *bp = stage_ptr(rt, p, rt->bp_addr);
        int ne820 = sw_e820_build(m, rt->ranges, rt->nranges, rt->e820, SW_E820_MAX, d);
        unsigned nram;
        struct sw_bp_args a = {
                .kernel_load = rt->kernel_load,
                .cmdline = rt->cmdline_addr,
                .cmdline_len = rt->cmdline_len,
                .initrd = rt->initrd_addr,
                .initrd_size = rt->initrd_size,
                .rsdp = rt->rsdp,
                .tboot = rt->tboot,
                .e820 = rt->e820,
                .ne820 = ne820 > 0 ? (unsigned)ne820 : 0,
                .fb = fb && fb->base ? fb : NULL,
                .efi = rt->efi ? efirt_bp() : NULL,
        };

        rt->ne820 = ne820;
        if (!bp || ne820 < 0)
                return -1;
        if (rt->tboot && !sw_tboot_e820_ok(rt->e820, (unsigned)ne820, &nram)) {
                /* The kernel would panic in its first suspend: S3 instead. */
                sw_diagf(d, SW_WARN, "slot '%s': %u RAM ranges in its e820, more than the %u the tboot hand-off "
                         "allows; it hands over through the firmware's S3",
                         id, nram, SW_TBOOT_MAX_RAM_RANGES);
                rt->tboot = 0;
                a.tboot = 0;
        }
        return sw_bootparams_build(bp, rt->kernel, rt->kernel_size, &rt->info, &a, d);
}

void linux_drop_efi(const struct slot_rt *rt, const struct sw_plan *p)
{
        struct sw_boot_params *bp = stage_ptr(rt, p, rt->bp_addr);

        if (!bp)
                return;
        memset(&bp->efi_info, 0, sizeof(bp->efi_info));
        bp->hdr.setup_data = 0;
        bp->secure_boot = SW_SECURE_BOOT_UNSET;
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
        boot32 = (void (*)(uint64_t))(uintptr_t)wake_entry(low_page, SW_WAKE_HDR_BOOT32);
        boot32(low_page);
        __builtin_unreachable();
}
