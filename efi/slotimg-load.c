/* SPDX-License-Identifier: MIT */
/*
 * Slot images at boot: the file is read whole from the ESP, and every
 * decision -- is it whole, do the hashes verify, is the kernel a bzImage of
 * the image's architecture, how the image and partitions.conf combine -- is
 * sw_slotimg_for_slot()'s, the same code mkslot check runs on the host.
 * What is left here is the firmware's part: reading the file and handing
 * the verified blobs to the ordinary Linux path.  The image buffer stays
 * allocated: the slot's kernel is staged from it later.
 */
#include "sw-efi.h"
#include "slotimg-load.h"
#include "slotimg.h"
#include "fmt.h"
#include "trampoline.h"

/* A slot image holds less than 4 GiB; the switcher's own memory is the
 * real limit, and AllocatePool says so. */
#define IMAGE_MAX (2ULL << 30)

int slot_preload(struct slot_rt *rt, struct sw_slot_config *s, uint64_t slot_ram, struct sw_diag *d)
{
        char what[2 * SW_PATH_MAX + SW_ID_MAX + 48];
        static struct sw_slotimg img;
        void *buf;
        size_t size, total = 0;
        EFI_STATUS st;

        if (!s->image_path[0])
                return linux_preload(rt, s, slot_ram, d);
        st = fs_read(s->image_path, &buf, &size, IMAGE_MAX);
        if (EFI_ERROR(st)) {
                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': image '%s': cannot read: %s; slot dropped",
                         fs_conf_path(), s->image_line, s->id, s->image_path, efi_strerror(st));
                return -1;
        }
        if (sw_slotimg_for_slot(buf, size, s, fs_conf_path(), &img, &rt->info, d) < 0)
                goto fail;
        rt->kernel = (void *)(uintptr_t)img.kernel.data;
        rt->kernel_size = img.kernel.size;
        rt->initrd = NULL;
        rt->initrd_size = 0;
        if (img.ninitrd == 1) {
                rt->initrd = (void *)(uintptr_t)img.initrd[0].data;
                rt->initrd_size = img.initrd[0].size;
        } else if (img.ninitrd > 1) {
                /* Back to back, each padded to 4 bytes as cpio wants. */
                UINT8 *cat;

                for (unsigned i = 0; i < img.ninitrd; i++)
                        total += (img.initrd[i].size + 3u) & ~(size_t)3;
                cat = AllocateZeroPool(total);
                if (!cat) {
                        sw_diagf(d, SW_ERROR, "slot '%s': no memory for its initrds; slot dropped", s->id);
                        goto fail;
                }
                for (size_t i = 0, off = 0; i < img.ninitrd; i++) {
                        sw_copy_fast(cat + off, (void *)(uintptr_t)img.initrd[i].data, img.initrd[i].size);
                        off += (img.initrd[i].size + 3u) & ~(size_t)3;
                }
                rt->initrd = cat;
                rt->initrd_size = total;
        }
        /* The kernel against the slot, as for a plain 'linux' entry. */
        sw_snprintf(what, sizeof(what), "%s:%u: slot '%s': image '%s'", fs_conf_path(), s->image_line, s->id,
                    s->image_path);
        if (sw_bzimage_check_slot(&rt->info, s, slot_ram, rt->initrd_size, what, d) < 0) {
                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': kernel cannot run in this slot; slot dropped",
                         fs_conf_path(), s->image_line, s->id);
                if (img.ninitrd > 1 && rt->initrd)
                        FreePool(rt->initrd);
                rt->kernel = rt->initrd = NULL;
                goto fail;
        }
        sw_diagf(d, SW_INFO, "slot '%s': image %s verified: kernel %s (%s, protocol %u.%02u, %u KiB), initrd %zu KiB",
                 s->id, s->image_path, rt->info.kernel_version[0] ? rt->info.kernel_version : "?",
                 sw_arch_name(s->arch), rt->info.version >> 8, rt->info.version & 0xff, img.kernel.size / 1024,
                 rt->initrd_size / 1024);
        return 0;
fail:
        FreePool(buf);
        return -1;
}
