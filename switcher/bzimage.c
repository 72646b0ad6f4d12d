/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "bootparams.h"
#include "bzimage.h"
#include "fmt.h"

/* The header through the version field: enough to tell whether this is a
 * bzImage at all and which protocol it speaks. */
#define BZ_IDENT_END 0x208
/* Protocol 2.12's fields end with handover_offset (0x264, 4 bytes); a
 * header that claims 2.12 but stops earlier is damaged. */
#define BZ_HDR_212_END 0x268
#define BZ_HDR_KNOWN_END (SW_SETUP_HDR_OFFSET + sizeof(struct sw_setup_header))
/* The version string is a short line; anything longer is not one. */
#define BZ_VERSION_SCAN 256

static const char *const bz_errors[SW_BZ_ERR_MAX] = {
        [0] = "success",
        [SW_BZ_ERR_SHORT] = "file shorter than the bzImage setup header",
        [SW_BZ_ERR_BOOT_FLAG] = "no boot sector signature 0xAA55",
        [SW_BZ_ERR_MAGIC] = "no \"HdrS\" setup header signature",
        [SW_BZ_ERR_VERSION] = "boot protocol older than 2.12",
        [SW_BZ_ERR_NOT_HIGH] = "not loaded high (a zImage)",
        [SW_BZ_ERR_SETUP_SECTS] = "setup code larger than the file",
        [SW_BZ_ERR_TRUNCATED] = "kernel truncated: protected-mode code beyond the end of the file",
        [SW_BZ_ERR_NOT_RELOCATABLE] = "kernel not relocatable",
        [SW_BZ_ERR_ALIGNMENT] = "kernel_alignment not a power of two",
        [SW_BZ_ERR_INIT_SIZE] = "init_size smaller than the kernel",
        [SW_BZ_ERR_CMDLINE_SIZE] = "cmdline_size is 0",
};

const char *sw_bzimage_strerror(int err)
{
        return SW_ENUM_NAME(bz_errors, err < 0 ? -(unsigned)err : (unsigned)err, "unknown bzImage error");
}

static uint16_t bz_get16(const uint8_t *p, size_t off)
{
        return (uint16_t)(p[off] | (unsigned)p[off + 1] << 8);
}

/*
 * Takes the release (the first word) of the version string at off, if the
 * whole string lies in the head, is NUL-terminated within a line's length
 * and is printable ASCII; otherwise leaves out empty.  A damaged pointer
 * must not produce a garbage name in every later message about the slot.
 */
static void bz_read_version(const uint8_t *p, size_t head, size_t off, char *out, size_t outsz)
{
        size_t end, i, n;

        out[0] = '\0';
        if (off >= head)
                return;
        end = head - off < BZ_VERSION_SCAN ? head : off + BZ_VERSION_SCAN;
        for (i = off; i < end && p[i] != '\0'; i++) {
                if (p[i] < 0x20 || p[i] > 0x7e)
                        return;
        }
        if (i == end || i == off)
                return;
        for (n = 0; off + n < i && p[off + n] != ' ' && n + 1 < outsz; n++)
                out[n] = (char)p[off + n];
        out[n] = '\0';
}

int sw_bzimage_parse_head(const void *head, size_t head_len, uint64_t file_len,
                          const char *what, struct sw_bzimage_info *out, struct sw_diag *d)
{
        const uint8_t *p = head;
        struct sw_setup_header h;
        uint64_t setup_size, pm_size;
        size_t have, hdr_end, copy_end;
        uint16_t v;

        if (!what)
                what = "kernel";
        memset(out, 0, sizeof(*out));

        /* Only bytes that are both read and part of the file count. */
        have = head ? head_len : 0;
        if ((uint64_t)have > file_len)
                have = (size_t)file_len;

        if (have < BZ_IDENT_END) {
                sw_diagf(d, SW_ERROR, "%s: %llu bytes is too short for a bzImage setup header (need at least %u)",
                         what, (unsigned long long)have, BZ_IDENT_END);
                return -SW_BZ_ERR_SHORT;
        }
        v = bz_get16(p, 0x1fe);
        if (v != SW_BOOT_FLAG) {
                sw_diagf(d, SW_ERROR, "%s: no boot sector signature 0xAA55 at 0x1fe (found 0x%04x): not a bzImage",
                         what, v);
                return -SW_BZ_ERR_BOOT_FLAG;
        }
        if (memcmp(p + 0x202, "HdrS", 4) != 0) {
                sw_diagf(d, SW_ERROR, "%s: no \"HdrS\" signature at 0x202: not a bzImage (or older than boot protocol 2.00)",
                         what);
                return -SW_BZ_ERR_MAGIC;
        }
        v = bz_get16(p, 0x206);
        if (v < SW_BZ_MIN_VERSION) {
                sw_diagf(d, SW_ERROR, "%s: boot protocol %u.%02u is too old (need %u.%02u)",
                         what, v >> 8, v & 0xff, SW_BZ_MIN_VERSION >> 8, SW_BZ_MIN_VERSION & 0xff);
                return -SW_BZ_ERR_VERSION;
        }

        /* The second byte of the jump at 0x200 is the header's length past
         * 0x202: fields beyond it are not there and must read as 0. */
        hdr_end = 0x202 + (size_t)p[0x201];
        if (hdr_end < BZ_HDR_212_END) {
                sw_diagf(d, SW_ERROR, "%s: the setup header ends at 0x%zx, before the end of boot protocol 2.12's fields (0x%x)",
                         what, hdr_end, BZ_HDR_212_END);
                return -SW_BZ_ERR_SHORT;
        }
        copy_end = hdr_end < BZ_HDR_KNOWN_END ? hdr_end : BZ_HDR_KNOWN_END;
        if (have < copy_end) {
                sw_diagf(d, SW_ERROR, "%s: %llu bytes is too short for a bzImage setup header (need at least %zu)",
                         what, (unsigned long long)have, copy_end);
                return -SW_BZ_ERR_SHORT;
        }
        memset(&h, 0, sizeof(h));
        memcpy(&h, p + SW_SETUP_HDR_OFFSET, copy_end - SW_SETUP_HDR_OFFSET);

        if (!(h.loadflags & SW_LOADED_HIGH)) {
                sw_diagf(d, SW_ERROR, "%s: loadflags 0x%02x lacks LOADED_HIGH: a zImage, which must run at 0x10000, is not supported",
                         what, h.loadflags);
                return -SW_BZ_ERR_NOT_HIGH;
        }

        setup_size = ((uint64_t)(h.setup_sects ? h.setup_sects : 4) + 1) * 512;
        if (setup_size > file_len) {
                sw_diagf(d, SW_ERROR, "%s: setup_sects %u means %llu bytes of setup code, more than the whole file (%llu bytes)",
                         what, h.setup_sects, (unsigned long long)setup_size, (unsigned long long)file_len);
                return -SW_BZ_ERR_SETUP_SECTS;
        }

        /* syssize counts 16-byte paragraphs.  Signed images carry their
         * signature after the kernel, so the file may be longer, never
         * shorter. */
        pm_size = (uint64_t)h.syssize * 16;
        if (pm_size == 0 || pm_size > file_len - setup_size || pm_size > UINT32_MAX) {
                sw_diagf(d, SW_ERROR, "%s: the header declares %llu bytes of kernel after %llu bytes of setup, but the file has %llu bytes: truncated or damaged",
                         what, (unsigned long long)pm_size, (unsigned long long)setup_size,
                         (unsigned long long)file_len);
                return -SW_BZ_ERR_TRUNCATED;
        }

        if (!h.relocatable_kernel) {
                sw_diagf(d, SW_ERROR, "%s: the kernel is not relocatable: it would only run at its link address 0x%llx, which a slot cannot promise",
                         what, (unsigned long long)h.pref_address);
                return -SW_BZ_ERR_NOT_RELOCATABLE;
        }
        if (h.kernel_alignment == 0 || (h.kernel_alignment & (h.kernel_alignment - 1)) != 0) {
                sw_diagf(d, SW_ERROR, "%s: kernel_alignment 0x%x is not a power of two",
                         what, h.kernel_alignment);
                return -SW_BZ_ERR_ALIGNMENT;
        }
        if (h.init_size < pm_size) {
                sw_diagf(d, SW_ERROR, "%s: init_size 0x%x is smaller than the kernel's own 0x%llx bytes",
                         what, h.init_size, (unsigned long long)pm_size);
                return -SW_BZ_ERR_INIT_SIZE;
        }
        if (h.cmdline_size == 0) {
                sw_diagf(d, SW_ERROR, "%s: cmdline_size is 0: the kernel would take no command line", what);
                return -SW_BZ_ERR_CMDLINE_SIZE;
        }

        out->version = h.version;
        out->setup_size = (uint32_t)setup_size;
        out->pm_size = (uint32_t)pm_size;
        out->init_size = h.init_size;
        out->kernel_alignment = h.kernel_alignment;
        out->pref_address = h.pref_address;
        out->cmdline_size = h.cmdline_size;
        out->initrd_addr_max = h.initrd_addr_max;
        out->xloadflags = h.xloadflags;
        out->relocatable = true;
        out->can_64bit_entry = (h.xloadflags & SW_XLF_KERNEL_64) != 0;
        out->can_load_above_4g = (h.xloadflags & SW_XLF_CAN_BE_LOADED_ABOVE_4G) != 0;
        out->is_64bit_kernel = out->can_64bit_entry;

        /* The version string belongs to the setup code; a pointer past it
         * is damage, not a string. */
        if (h.kernel_version != 0 && (uint64_t)h.kernel_version + 0x200 < setup_size)
                bz_read_version(p, have, (size_t)h.kernel_version + 0x200, out->kernel_version,
                                sizeof(out->kernel_version));
        return 0;
}

int sw_bzimage_parse(const void *img, size_t len, const char *what,
                     struct sw_bzimage_info *out, struct sw_diag *d)
{
        return sw_bzimage_parse_head(img, len, len, what, out, d);
}

int sw_bzimage_check_slot(const struct sw_bzimage_info *info, struct sw_slot_config *s,
                          uint64_t slot_ram, uint64_t initrd_size, const char *what,
                          struct sw_diag *d)
{
        enum sw_arch arch = info->is_64bit_kernel ? SW_ARCH_X86_64 : SW_ARCH_I386;
        uint64_t need;
        uint64_t kmem = info->init_size > info->pm_size ? info->init_size : info->pm_size;
        char a[24], b[24], c[24], e[24];

        if (!what)
                what = "kernel";
        if (s->arch == SW_ARCH_I386 && arch == SW_ARCH_X86_64) {
                sw_diagf(d, SW_ERROR, "%s: is a 64-bit (x86_64) kernel, but the slot says 'arch i386'; "
                         "an i386 slot needs a 32-bit kernel", what);
                return -1;
        }
        if (s->arch == SW_ARCH_X86_64 && arch == SW_ARCH_I386) {
                sw_diagf(d, SW_ERROR, "%s: is a 32-bit kernel (no 64-bit entry point), but the slot says "
                         "'arch x86_64'; use 'arch i386' or 'arch auto'", what);
                return -1;
        }
        /* An in-place slot runs in its own RAM, wherever the planner put
         * it: above 4 GiB on most machines. */
        if (s->mode == SW_MODE_IN_PLACE && (arch != SW_ARCH_X86_64 || !info->can_load_above_4g)) {
                sw_diagf(d, SW_ERROR, "%s: an in-place slot needs a 64-bit kernel that may be loaded above 4 GiB "
                         "(XLF_CAN_BE_LOADED_ABOVE_4G); use 'mode swap'", what);
                return -1;
        }
        /* init_size is what the kernel needs from its load address to run
         * (decompressor, decompressed image, early page tables); the
         * initrds come on top.  A slot smaller than that can never boot. */
        need = kmem + initrd_size;
        if (need < initrd_size || need > slot_ram) {
                sw_diagf(d, SW_ERROR, "%s: needs %s (init_size %s plus initrds %s), more than the slot's %s of RAM",
                         what, sw_fmt_size(a, sizeof(a), need), sw_fmt_size(b, sizeof(b), kmem),
                         sw_fmt_size(c, sizeof(c), initrd_size), sw_fmt_size(e, sizeof(e), slot_ram));
                return -1;
        }
        s->arch = arch;
        return 0;
}

int sw_slot_kernel_check(struct sw_slot_config *s, const char *file, const void *head, size_t head_len,
                         uint64_t file_len, uint64_t slot_ram, uint64_t initrd_size,
                         struct sw_bzimage_info *info, struct sw_diag *d)
{
        char what[2 * SW_PATH_MAX + SW_ID_MAX + 48];

        if (!file)
                file = "partitions.conf";
        sw_snprintf(what, sizeof(what), "%s:%u: slot '%s': kernel '%s'", file, s->linux_line, s->id,
                    s->linux_path);
        if (sw_bzimage_parse_head(head, head_len, file_len, what, info, d) < 0) {
                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': not a usable kernel; slot dropped", file, s->linux_line,
                         s->id);
                return -1;
        }
        if (sw_bzimage_check_slot(info, s, slot_ram, initrd_size, what, d) < 0) {
                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': kernel cannot run in this slot; slot dropped", file,
                         s->linux_line, s->id);
                return -1;
        }
        return 0;
}
