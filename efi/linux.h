/* SPDX-License-Identifier: MIT */
#pragma once

#include "sw-efi.h"
#include "bootparams.h"
#include "bzimage.h"
#include "e820.h"
#include "plan.h"

/* What the EFI stage knows of one slot while it gets ready to boot. */
struct slot_rt {
        bool loaded;
        bool boot_now;          /* the slot started by this boot */
        int plan_index;         /* index in sw_plan.slots, -1 if not placed */
        void *kernel;           /* the whole bzImage file, in pool memory */
        size_t kernel_size;
        void *initrd;           /* all initrds, concatenated */
        size_t initrd_size;
        struct sw_bzimage_info info;
        /* Active-region addresses. */
        uint64_t kernel_load, initrd_addr, bp_addr, cmdline_addr;
        uint32_t cmdline_len;
        uint64_t rsdp, facs;    /* this slot's ACPI copies */
        uint64_t tboot;         /* its tboot shared page (switcher/tboot.h), 0 = S3 only */
        bool efi;               /* a 64-bit kernel: gets EFI runtime services (efirt_bp()) */
        struct sw_range ranges[SW_ACTIVE_MAX];  /* the RAM it sees (sw_plan_slot_ranges) */
        unsigned nranges;
        struct sw_e820_entry e820[SW_E820_MAX];
        int ne820;
};

/* Reads kernel + initrds, checks the bzImage header and the kernel against
 * the slot (sw_bzimage_check_slot(): arch, size against slot_ram), and
 * resolves s->arch. */
int linux_preload(struct slot_rt *rt, struct sw_slot_config *s, uint64_t slot_ram, struct sw_diag *d);
/* Enters slot rt's kernel through the boot protocol entry its arch needs:
 * the 64-bit one, or the 32-bit one through the wake blob's wake_boot32 at
 * low_page.  Never returns.  Used at the first boot and for a cold boot at
 * a switch. */
void linux_enter(const struct slot_rt *rt, const struct sw_slot_config *s, uint64_t low_page)
        __attribute__((noreturn));
/* Picks addresses in the slot's RAM; allocates them when the slot boots now. */
int linux_layout(struct slot_rt *rt, const struct sw_slot_config *s, const struct sw_memmap *m,
                 bool boot_now, struct sw_diag *d);
/* Copies kernel, initrd and command line into place (active region or store). */
int linux_stage(struct slot_rt *rt, const struct sw_slot_config *s, const struct sw_plan *p,
                uint64_t mailbox, struct sw_diag *d);
/* Writes boot_params; called between GetMemoryMap and ExitBootServices, so
 * it must not allocate or print (d must be NULL there). */
int linux_build_bp(struct slot_rt *rt, const char *id, const struct sw_plan *p, const struct sw_memmap *m,
                   const struct sw_fb *fb, struct sw_diag *d);

/* 'on-damage cold-boot': the bytes of the slot's recovery copy; the copy
 * itself, made right after ExitBootServices from the staged boot_params and
 * command line and the preloaded kernel and initrds (-1 if the plan gave it
 * no room); and putting it back into the slot's RAM for a cold boot from the
 * resident switcher (returns the bytes copied). */
/* After a failed SetVirtualAddressMap: the staged boot_params lose their
 * EFI information (efi_info and the setup_data pointer). */
void linux_drop_efi(const struct slot_rt *rt, const struct sw_plan *p);

uint64_t linux_spare_size(const struct slot_rt *rt);
int linux_save_spare(const struct slot_rt *rt, const struct sw_plan *p);
uint64_t linux_restage(const struct slot_rt *rt, const struct sw_plan *p);
