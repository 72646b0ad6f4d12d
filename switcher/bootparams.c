/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "fmt.h"

#include "bootparams.h"
#include "bzimage.h"

#define BP_4G 0x100000000ULL
/* The real-mode setup's heap ends below its stack; 0xfe00 - 0x200 is the
 * value boot.rst gives for a setup loaded the modern way. */
#define BP_HEAP_END 0xfe00
#define BP_FB_PAGE 4096ULL

static const char *const bp_errors[SW_BP_ERR_MAX] = {
        [0] = "success",
        [SW_BP_ERR_IMAGE] = "image shorter than its setup header",
        [SW_BP_ERR_CMDLINE_SIZE] = "command line longer than the kernel accepts",
        [SW_BP_ERR_CMDLINE_HIGH] = "command line above 4 GiB for a kernel that cannot reach it",
        [SW_BP_ERR_INITRD_HIGH] = "initrd above the kernel's initrd_addr_max",
        [SW_BP_ERR_KERNEL_ALIGN] = "kernel load address not aligned to kernel_alignment",
        [SW_BP_ERR_KERNEL_HIGH] = "kernel above 4 GiB for a kernel that cannot run there",
        [SW_BP_ERR_E820] = "e820 table empty or larger than 128 entries",
};

const char *sw_bootparams_strerror(int err)
{
        return SW_ENUM_NAME(bp_errors, err < 0 ? -(unsigned)err : (unsigned)err, "unknown boot_params error");
}

/* Keeps the first error as the result while every problem still gets its
 * own message, so one run shows all that is wrong with a slot. */
static void bp_fail(int *rc, enum sw_bp_err err)
{
        if (*rc == 0)
                *rc = -(int)err;
}

/*
 * Describes a GOP framebuffer the way Linux's EFI stub does for efifb, so
 * the kernel's early console and efifb/simpledrm find it.  Returns false
 * (and leaves si alone) when the numbers do not fit screen_info.
 */
static bool bp_screen_info(struct sw_screen_info *si, const struct sw_fb *fb,
                           const char *what, struct sw_diag *d)
{
        unsigned depth;
        uint64_t linelength, need, size;

        depth = (unsigned)fb->red_size + fb->green_size + fb->blue_size + fb->rsvd_size;
        if (depth == 0 || depth > 32 || depth % 8 != 0) {
                sw_diagf(d, SW_WARN, "%s: framebuffer %ux%u at 0x%llx has %u bits per pixel, which screen_info cannot describe; the kernel gets no framebuffer console",
                         what, fb->width, fb->height, (unsigned long long)fb->base, depth);
                return false;
        }
        linelength = (uint64_t)fb->stride_pixels * (depth / 8);
        if (fb->width == 0 || fb->height == 0 || fb->width > 0xffff || fb->height > 0xffff ||
            fb->stride_pixels < fb->width || linelength > 0xffff) {
                sw_diagf(d, SW_WARN, "%s: framebuffer %ux%u (stride %u pixels) does not fit screen_info; the kernel gets no framebuffer console",
                         what, fb->width, fb->height, fb->stride_pixels);
                return false;
        }
        /* GOP's FrameBufferSize may be the whole aperture or, on some
         * firmware, too small; the kernel maps lfb_size bytes, so make it
         * cover every visible line, in whole pages. */
        need = linelength * fb->height;
        size = fb->size > need ? fb->size : need;
        size = (size + BP_FB_PAGE - 1) & ~(BP_FB_PAGE - 1);
        if (size > 0xffffffffULL)
                size = 0x100000000ULL - BP_FB_PAGE;
        if (fb->base + size < fb->base) {
                sw_diagf(d, SW_WARN, "%s: framebuffer at 0x%llx wraps around the address space; the kernel gets no framebuffer console",
                         what, (unsigned long long)fb->base);
                return false;
        }

        si->orig_video_isVGA = SW_VIDEO_TYPE_EFI;
        si->lfb_width = (uint16_t)fb->width;
        si->lfb_height = (uint16_t)fb->height;
        si->lfb_depth = (uint16_t)depth;
        si->lfb_linelength = (uint16_t)linelength;
        si->lfb_base = (uint32_t)fb->base;
        si->lfb_size = (uint32_t)size;
        si->red_size = fb->red_size;
        si->red_pos = fb->red_pos;
        si->green_size = fb->green_size;
        si->green_pos = fb->green_pos;
        si->blue_size = fb->blue_size;
        si->blue_pos = fb->blue_pos;
        si->rsvd_size = fb->rsvd_size;
        si->rsvd_pos = fb->rsvd_pos;
        /* The numbers come straight from GOP, so the PCI BAR quirks efifb
         * would apply to a VESA mode must not second-guess them. */
        si->capabilities = SW_VIDEO_CAPABILITY_SKIP_QUIRKS;
        if (fb->base >= BP_4G) {
                si->capabilities |= SW_VIDEO_CAPABILITY_64BIT_BASE;
                si->ext_lfb_base = (uint32_t)(fb->base >> 32);
        }
        return true;
}

static void bp_check_ranges(const struct sw_bzimage_info *info, const struct sw_bp_args *a,
                            const char *what, struct sw_diag *d, int *rc)
{
        uint64_t align = info->kernel_alignment;

        if (a->cmdline_len > info->cmdline_size) {
                sw_diagf(d, SW_ERROR, "%s: the command line is %u bytes, longer than the kernel's limit of %u bytes",
                         what, a->cmdline_len, info->cmdline_size);
                bp_fail(rc, SW_BP_ERR_CMDLINE_SIZE);
        }
        if (align == 0 || (a->kernel_load & (align - 1)) != 0) {
                sw_diagf(d, SW_ERROR, "%s: load address 0x%llx is not a multiple of the kernel's alignment 0x%llx",
                         what, (unsigned long long)a->kernel_load, (unsigned long long)align);
                bp_fail(rc, SW_BP_ERR_KERNEL_ALIGN);
        }

        /* The rest only concerns kernels that cannot reach above 4 GiB;
         * the others take every address in 64 bits. */
        if (info->can_load_above_4g)
                return;
        if (a->kernel_load >= BP_4G || info->init_size > BP_4G - a->kernel_load) {
                sw_diagf(d, SW_ERROR, "%s: the kernel at 0x%llx needs 0x%x bytes, reaching above 4 GiB, where this kernel cannot run",
                         what, (unsigned long long)a->kernel_load, info->init_size);
                bp_fail(rc, SW_BP_ERR_KERNEL_HIGH);
        }
        if (a->cmdline != 0 &&
            (a->cmdline >= BP_4G || (uint64_t)a->cmdline_len + 1 > BP_4G - a->cmdline)) {
                sw_diagf(d, SW_ERROR, "%s: the command line at 0x%llx lies above 4 GiB, which this kernel cannot reach",
                         what, (unsigned long long)a->cmdline);
                bp_fail(rc, SW_BP_ERR_CMDLINE_HIGH);
        }
        if (a->initrd_size != 0 &&
            (a->initrd > info->initrd_addr_max ||
             a->initrd_size - 1 > info->initrd_addr_max - a->initrd)) {
                sw_diagf(d, SW_ERROR, "%s: the initrd at 0x%llx (%llu bytes) ends above the kernel's initrd_addr_max 0x%x",
                         what, (unsigned long long)a->initrd, (unsigned long long)a->initrd_size,
                         info->initrd_addr_max);
                bp_fail(rc, SW_BP_ERR_INITRD_HIGH);
        }
}

int sw_bootparams_build(struct sw_boot_params *bp, const void *img, size_t len,
                        const struct sw_bzimage_info *info, const struct sw_bp_args *a,
                        struct sw_diag *d)
{
        const uint8_t *p = img;
        const char *what = a->what ? a->what : "kernel";
        struct sw_setup_header *h = &bp->hdr;
        size_t hdr_end;
        int rc = 0;

        memset(bp, 0, sizeof(*bp));

        /* Copy exactly the header the image declares (0x202 + the jump's
         * second byte), never more than we have a field for or the bytes
         * that are there: the rest stays zero, as boot.rst asks. */
        if (!p || len < 0x202) {
                sw_diagf(d, SW_ERROR, "%s: %zu bytes of image is too short for a setup header", what,
                         p ? len : (size_t)0);
                return -SW_BP_ERR_IMAGE;
        }
        hdr_end = 0x202 + (size_t)p[0x201];
        if (hdr_end > SW_SETUP_HDR_OFFSET + sizeof(*h))
                hdr_end = SW_SETUP_HDR_OFFSET + sizeof(*h);
        if (hdr_end > len) {
                sw_diagf(d, SW_ERROR, "%s: %zu bytes of image is too short for its setup header (ends at 0x%zx)",
                         what, len, hdr_end);
                return -SW_BP_ERR_IMAGE;
        }
        memcpy(h, p + SW_SETUP_HDR_OFFSET, hdr_end - SW_SETUP_HDR_OFFSET);

        bp_check_ranges(info, a, what, d, &rc);
        if (a->ne820 == 0 || !a->e820) {
                sw_diagf(d, SW_ERROR, "%s: no e820 memory map for the kernel", what);
                bp_fail(&rc, SW_BP_ERR_E820);
        } else if (a->ne820 > SW_E820_MAX) {
                sw_diagf(d, SW_ERROR, "%s: %u e820 entries do not fit in boot_params (at most %u)",
                         what, a->ne820, SW_E820_MAX);
                bp_fail(&rc, SW_BP_ERR_E820);
        } else {
                memcpy(bp->e820_table, a->e820, a->ne820 * sizeof(a->e820[0]));
                bp->e820_entries = (uint8_t)a->ne820;
        }

        h->type_of_loader = SW_LOADER_TYPE_UNKNOWN;
        h->vid_mode = SW_VID_MODE_NORMAL;
        h->loadflags = (uint8_t)((h->loadflags | SW_CAN_USE_HEAP) & ~(SW_QUIET_FLAG | SW_KEEP_SEGMENTS));
        h->heap_end_ptr = BP_HEAP_END - 0x200;
        h->ext_loader_ver = 0;
        h->ext_loader_type = 0;
        /* A 64-bit kernel above 4 GiB has no usable 32-bit entry; a
         * truncated address there would only mislead. */
        h->code32_start = a->kernel_load < BP_4G ? (uint32_t)a->kernel_load : 0;
        /* We pass no setup_data list: whatever the image had is no
         * pointer into this machine's memory. */
        h->setup_data = 0;

        h->cmd_line_ptr = (uint32_t)a->cmdline;
        bp->ext_cmd_line_ptr = (uint32_t)(a->cmdline >> 32);
        if (a->initrd_size != 0) {
                h->ramdisk_image = (uint32_t)a->initrd;
                bp->ext_ramdisk_image = (uint32_t)(a->initrd >> 32);
                h->ramdisk_size = (uint32_t)a->initrd_size;
                bp->ext_ramdisk_size = (uint32_t)(a->initrd_size >> 32);
        }

        if (a->rsdp != 0) {
                if (info->version >= 0x020e) {
                        bp->acpi_rsdp_addr = a->rsdp;
                } else {
                        sw_diagf(d, SW_WARN, "%s: boot protocol %u.%02u has no acpi_rsdp_addr; the kernel will search for the firmware's RSDP itself instead of the slot's copy at 0x%llx",
                                 what, info->version >> 8, info->version & 0xff,
                                 (unsigned long long)a->rsdp);
                }
        }

        /* A kernel without the tboot interface ignores the field. */
        bp->tboot_addr = a->tboot;

        if (a->efi) {
                struct sw_efi_info *e = &bp->efi_info;

                e->loader_signature = SW_EFI64_LOADER_SIGNATURE;
                e->systab = (uint32_t)a->efi->systab;
                e->systab_hi = (uint32_t)(a->efi->systab >> 32);
                e->memmap = (uint32_t)a->efi->memmap;
                e->memmap_hi = (uint32_t)(a->efi->memmap >> 32);
                e->memmap_size = a->efi->memmap_size;
                e->memdesc_size = a->efi->desc_size;
                e->memdesc_version = a->efi->desc_version;
                /* The kernel's SETUP_EFI parser is what makes it take the
                 * mapping as given (kexec_enter_virtual_mode()). */
                h->setup_data = a->efi->setup_data;
                /* Not "enabled": the firmware may have verified
                 * switcher.efi, but the switcher verifies no kernel. */
                bp->secure_boot = SW_SECURE_BOOT_DISABLED;
        }

        if (a->fb && a->fb->base != 0)
                bp_screen_info(&bp->screen_info, a->fb, what, d);
        return rc;
}

uint64_t sw_bootparams_entry64(const struct sw_bzimage_info *info, uint64_t kernel_load)
{
        if (!info->can_64bit_entry)
                return 0;
        return kernel_load + 0x200;
}

uint64_t sw_bootparams_entry32(const struct sw_bzimage_info *info, uint64_t kernel_load)
{
        (void)info;
        if (kernel_load >= BP_4G)
                return 0;
        return kernel_load;
}
