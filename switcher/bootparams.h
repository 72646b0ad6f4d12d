/* SPDX-License-Identifier: MIT */
/*
 * The Linux x86 boot protocol's data: the setup header a bzImage carries at
 * 0x1f1, and the 4096-byte "zero page" (struct boot_params) a boot loader
 * hands to the kernel's 32-bit or 64-bit entry.  Layouts follow Linux's
 * Documentation/arch/x86/boot.rst, zero-page.rst and
 * arch/x86/include/uapi/asm/bootparam.h; every offset is checked by the
 * compiler, so a wrong one fails the build and never a boot.
 *
 * sw_bootparams_build() fills boot_params for a cold boot of a slot's
 * kernel from the image's own header and the addresses the planner chose.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "e820.h"

struct sw_bzimage_info;

/* loadflags (setup header 0x211). */
#define SW_LOADED_HIGH          (1u << 0)       /* protected-mode code at 0x100000 or above */
#define SW_KASLR_FLAG           (1u << 1)       /* written by the kernel itself */
#define SW_QUIET_FLAG           (1u << 5)
#define SW_KEEP_SEGMENTS        (1u << 6)       /* obsolete */
#define SW_CAN_USE_HEAP         (1u << 7)       /* heap_end_ptr is valid */

/* xloadflags (setup header 0x236, protocol 2.12+). */
#define SW_XLF_KERNEL_64                (1u << 0) /* 64-bit entry at load address + 0x200 */
#define SW_XLF_CAN_BE_LOADED_ABOVE_4G   (1u << 1)
#define SW_XLF_EFI_HANDOVER_32          (1u << 2)
#define SW_XLF_EFI_HANDOVER_64          (1u << 3)
#define SW_XLF_EFI_KEXEC                (1u << 4)
#define SW_XLF_5LEVEL                   (1u << 5)
#define SW_XLF_5LEVEL_ENABLED           (1u << 6)
#define SW_XLF_MEM_ENCRYPTION           (1u << 7)

#define SW_BOOT_FLAG            0xAA55
#define SW_HDRS_MAGIC           0x53726448u     /* "HdrS", little-endian */
#define SW_LOADER_TYPE_UNKNOWN  0xff            /* a boot loader without an assigned id */
#define SW_VID_MODE_NORMAL      0xffff
#define SW_VIDEO_TYPE_EFI       0x70
#define SW_VIDEO_CAPABILITY_SKIP_QUIRKS (1u << 0)
#define SW_VIDEO_CAPABILITY_64BIT_BASE  (1u << 1)

/* Where the setup header lives, in the image and in boot_params alike. */
#define SW_SETUP_HDR_OFFSET     0x1f1

/*
 * The setup header, as found at 0x1f1 in a bzImage and in boot_params.
 * Offsets in comments are from the start of the image / boot_params; the
 * _Static_asserts below check them relative to 0x1f1.
 */
struct sw_setup_header {
        uint8_t setup_sects;            /* 0x1f1: 512-byte sectors of setup code after the boot sector, 0 = 4 */
        uint16_t root_flags;            /* 0x1f2 */
        uint32_t syssize;               /* 0x1f4: protected-mode code, in 16-byte paragraphs */
        uint16_t ram_size;              /* 0x1f8: obsolete */
        uint16_t vid_mode;              /* 0x1fa */
        uint16_t root_dev;              /* 0x1fc */
        uint16_t boot_flag;             /* 0x1fe: 0xAA55 */
        uint16_t jump;                  /* 0x200: a short jmp; its second byte is the header's length - 2 */
        uint32_t header;                /* 0x202: "HdrS" */
        uint16_t version;               /* 0x206: boot protocol, major << 8 | minor */
        uint32_t realmode_swtch;        /* 0x208 */
        uint16_t start_sys_seg;         /* 0x20c: obsolete */
        uint16_t kernel_version;        /* 0x20e: version string at this + 0x200 */
        uint8_t type_of_loader;         /* 0x210 */
        uint8_t loadflags;              /* 0x211 */
        uint16_t setup_move_size;       /* 0x212 */
        uint32_t code32_start;          /* 0x214: 32-bit entry, = load address */
        uint32_t ramdisk_image;         /* 0x218 */
        uint32_t ramdisk_size;          /* 0x21c */
        uint32_t bootsect_kludge;       /* 0x220: obsolete */
        uint16_t heap_end_ptr;          /* 0x224 */
        uint8_t ext_loader_ver;         /* 0x226 */
        uint8_t ext_loader_type;        /* 0x227 */
        uint32_t cmd_line_ptr;          /* 0x228 */
        uint32_t initrd_addr_max;       /* 0x22c: highest address the initrd may touch */
        uint32_t kernel_alignment;      /* 0x230 */
        uint8_t relocatable_kernel;     /* 0x234 */
        uint8_t min_alignment;          /* 0x235: log2 */
        uint16_t xloadflags;            /* 0x236 */
        uint32_t cmdline_size;          /* 0x238: without the NUL */
        uint32_t hardware_subarch;      /* 0x23c */
        uint64_t hardware_subarch_data; /* 0x240 */
        uint32_t payload_offset;        /* 0x248 */
        uint32_t payload_length;        /* 0x24c */
        uint64_t setup_data;            /* 0x250: physical address of a struct setup_data list */
        uint64_t pref_address;          /* 0x258 */
        uint32_t init_size;             /* 0x260 */
        uint32_t handover_offset;       /* 0x264 */
        uint32_t kernel_info_offset;    /* 0x268: protocol 2.15 */
} __attribute__((packed));

#define SW_HDR_OFF(field) (SW_SETUP_HDR_OFFSET + offsetof(struct sw_setup_header, field))
_Static_assert(SW_HDR_OFF(setup_sects) == 0x1f1, "setup_sects");
_Static_assert(SW_HDR_OFF(root_flags) == 0x1f2, "root_flags");
_Static_assert(SW_HDR_OFF(syssize) == 0x1f4, "syssize");
_Static_assert(SW_HDR_OFF(ram_size) == 0x1f8, "ram_size");
_Static_assert(SW_HDR_OFF(vid_mode) == 0x1fa, "vid_mode");
_Static_assert(SW_HDR_OFF(root_dev) == 0x1fc, "root_dev");
_Static_assert(SW_HDR_OFF(boot_flag) == 0x1fe, "boot_flag");
_Static_assert(SW_HDR_OFF(jump) == 0x200, "jump");
_Static_assert(SW_HDR_OFF(header) == 0x202, "header");
_Static_assert(SW_HDR_OFF(version) == 0x206, "version");
_Static_assert(SW_HDR_OFF(realmode_swtch) == 0x208, "realmode_swtch");
_Static_assert(SW_HDR_OFF(start_sys_seg) == 0x20c, "start_sys_seg");
_Static_assert(SW_HDR_OFF(kernel_version) == 0x20e, "kernel_version");
_Static_assert(SW_HDR_OFF(type_of_loader) == 0x210, "type_of_loader");
_Static_assert(SW_HDR_OFF(loadflags) == 0x211, "loadflags");
_Static_assert(SW_HDR_OFF(setup_move_size) == 0x212, "setup_move_size");
_Static_assert(SW_HDR_OFF(code32_start) == 0x214, "code32_start");
_Static_assert(SW_HDR_OFF(ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(SW_HDR_OFF(ramdisk_size) == 0x21c, "ramdisk_size");
_Static_assert(SW_HDR_OFF(bootsect_kludge) == 0x220, "bootsect_kludge");
_Static_assert(SW_HDR_OFF(heap_end_ptr) == 0x224, "heap_end_ptr");
_Static_assert(SW_HDR_OFF(ext_loader_ver) == 0x226, "ext_loader_ver");
_Static_assert(SW_HDR_OFF(ext_loader_type) == 0x227, "ext_loader_type");
_Static_assert(SW_HDR_OFF(cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(SW_HDR_OFF(initrd_addr_max) == 0x22c, "initrd_addr_max");
_Static_assert(SW_HDR_OFF(kernel_alignment) == 0x230, "kernel_alignment");
_Static_assert(SW_HDR_OFF(relocatable_kernel) == 0x234, "relocatable_kernel");
_Static_assert(SW_HDR_OFF(min_alignment) == 0x235, "min_alignment");
_Static_assert(SW_HDR_OFF(xloadflags) == 0x236, "xloadflags");
_Static_assert(SW_HDR_OFF(cmdline_size) == 0x238, "cmdline_size");
_Static_assert(SW_HDR_OFF(hardware_subarch) == 0x23c, "hardware_subarch");
_Static_assert(SW_HDR_OFF(hardware_subarch_data) == 0x240, "hardware_subarch_data");
_Static_assert(SW_HDR_OFF(payload_offset) == 0x248, "payload_offset");
_Static_assert(SW_HDR_OFF(payload_length) == 0x24c, "payload_length");
_Static_assert(SW_HDR_OFF(setup_data) == 0x250, "setup_data");
_Static_assert(SW_HDR_OFF(pref_address) == 0x258, "pref_address");
_Static_assert(SW_HDR_OFF(init_size) == 0x260, "init_size");
_Static_assert(SW_HDR_OFF(handover_offset) == 0x264, "handover_offset");
_Static_assert(SW_HDR_OFF(kernel_info_offset) == 0x268, "kernel_info_offset");
_Static_assert(sizeof(struct sw_setup_header) == 0x26c - 0x1f1, "setup header ends at 0x26c");

/*
 * Video and framebuffer information, boot_params offset 0 (Linux's
 * struct screen_info).  For VIDEO_TYPE_EFI, lfb_size is in bytes.
 */
struct sw_screen_info {
        uint8_t orig_x;                 /* 0x00 */
        uint8_t orig_y;                 /* 0x01 */
        uint16_t ext_mem_k;             /* 0x02 */
        uint16_t orig_video_page;       /* 0x04 */
        uint8_t orig_video_mode;        /* 0x06 */
        uint8_t orig_video_cols;        /* 0x07 */
        uint8_t flags;                  /* 0x08 */
        uint8_t unused2;                /* 0x09 */
        uint16_t orig_video_ega_bx;     /* 0x0a */
        uint16_t unused3;               /* 0x0c */
        uint8_t orig_video_lines;       /* 0x0e */
        uint8_t orig_video_isVGA;       /* 0x0f: video type, 0x70 = EFI framebuffer */
        uint16_t orig_video_points;     /* 0x10 */
        uint16_t lfb_width;             /* 0x12 */
        uint16_t lfb_height;            /* 0x14 */
        uint16_t lfb_depth;             /* 0x16: bits per pixel */
        uint32_t lfb_base;              /* 0x18: low 32 bits of the base */
        uint32_t lfb_size;              /* 0x1c */
        uint16_t cl_magic;              /* 0x20 */
        uint16_t cl_offset;             /* 0x22 */
        uint16_t lfb_linelength;        /* 0x24: bytes per scan line */
        uint8_t red_size;               /* 0x26 */
        uint8_t red_pos;                /* 0x27 */
        uint8_t green_size;             /* 0x28 */
        uint8_t green_pos;              /* 0x29 */
        uint8_t blue_size;              /* 0x2a */
        uint8_t blue_pos;               /* 0x2b */
        uint8_t rsvd_size;              /* 0x2c */
        uint8_t rsvd_pos;               /* 0x2d */
        uint16_t vesapm_seg;            /* 0x2e */
        uint16_t vesapm_off;            /* 0x30 */
        uint16_t pages;                 /* 0x32 */
        uint16_t vesa_attributes;       /* 0x34 */
        uint32_t capabilities;          /* 0x36 */
        uint32_t ext_lfb_base;          /* 0x3a: high 32 bits, with VIDEO_CAPABILITY_64BIT_BASE */
        uint8_t _reserved[2];           /* 0x3e */
} __attribute__((packed));

_Static_assert(offsetof(struct sw_screen_info, orig_video_isVGA) == 0x0f, "orig_video_isVGA");
_Static_assert(offsetof(struct sw_screen_info, orig_video_points) == 0x10, "orig_video_points");
_Static_assert(offsetof(struct sw_screen_info, lfb_width) == 0x12, "lfb_width");
_Static_assert(offsetof(struct sw_screen_info, lfb_height) == 0x14, "lfb_height");
_Static_assert(offsetof(struct sw_screen_info, lfb_depth) == 0x16, "lfb_depth");
_Static_assert(offsetof(struct sw_screen_info, lfb_base) == 0x18, "lfb_base");
_Static_assert(offsetof(struct sw_screen_info, lfb_size) == 0x1c, "lfb_size");
_Static_assert(offsetof(struct sw_screen_info, cl_magic) == 0x20, "cl_magic");
_Static_assert(offsetof(struct sw_screen_info, lfb_linelength) == 0x24, "lfb_linelength");
_Static_assert(offsetof(struct sw_screen_info, red_size) == 0x26, "red_size");
_Static_assert(offsetof(struct sw_screen_info, red_pos) == 0x27, "red_pos");
_Static_assert(offsetof(struct sw_screen_info, green_size) == 0x28, "green_size");
_Static_assert(offsetof(struct sw_screen_info, green_pos) == 0x29, "green_pos");
_Static_assert(offsetof(struct sw_screen_info, blue_size) == 0x2a, "blue_size");
_Static_assert(offsetof(struct sw_screen_info, blue_pos) == 0x2b, "blue_pos");
_Static_assert(offsetof(struct sw_screen_info, rsvd_size) == 0x2c, "rsvd_size");
_Static_assert(offsetof(struct sw_screen_info, rsvd_pos) == 0x2d, "rsvd_pos");
_Static_assert(offsetof(struct sw_screen_info, vesapm_seg) == 0x2e, "vesapm_seg");
_Static_assert(offsetof(struct sw_screen_info, capabilities) == 0x36, "capabilities");
_Static_assert(offsetof(struct sw_screen_info, ext_lfb_base) == 0x3a, "ext_lfb_base");
_Static_assert(sizeof(struct sw_screen_info) == 0x40, "screen_info is 64 bytes");

/*
 * boot_params.efi_info (Linux's struct efi_info): how the kernel finds the
 * EFI system table and memory map.  "EL64" in loader_signature tells it
 * the firmware is 64-bit.
 */
struct sw_efi_info {
        uint32_t loader_signature;      /* 0x00 */
        uint32_t systab;                /* 0x04: low 32 bits of the system table */
        uint32_t memdesc_size;          /* 0x08 */
        uint32_t memdesc_version;       /* 0x0c */
        uint32_t memmap;                /* 0x10: low 32 bits of the memory map */
        uint32_t memmap_size;           /* 0x14: bytes */
        uint32_t systab_hi;             /* 0x18 */
        uint32_t memmap_hi;             /* 0x1c */
} __attribute__((packed));
_Static_assert(sizeof(struct sw_efi_info) == 0x20, "efi_info is 32 bytes");

#define SW_EFI64_LOADER_SIGNATURE 0x34364c45u   /* "EL64", little-endian */
/* boot_params.secure_boot (Linux's enum efi_secureboot_mode). */
#define SW_SECURE_BOOT_UNSET    0
#define SW_SECURE_BOOT_UNKNOWN  1
#define SW_SECURE_BOOT_DISABLED 2
#define SW_SECURE_BOOT_ENABLED  3

/*
 * The zero page.  Fields this loader never writes are kept as opaque
 * padding with their Linux names in the comments, so the offsets of the
 * ones it does write stay checkable.
 */
struct sw_boot_params {
        struct sw_screen_info screen_info;      /* 0x000 */
        uint8_t apm_bios_info[0x14];            /* 0x040 */
        uint8_t _pad2[4];                       /* 0x054 */
        uint64_t tboot_addr;                    /* 0x058 */
        uint8_t ist_info[0x10];                 /* 0x060 */
        uint64_t acpi_rsdp_addr;                /* 0x070: protocol 2.14 */
        uint8_t _pad3[8];                       /* 0x078 */
        uint8_t hd0_info[16];                   /* 0x080 */
        uint8_t hd1_info[16];                   /* 0x090 */
        uint8_t sys_desc_table[0x10];           /* 0x0a0 */
        uint8_t olpc_ofw_header[0x10];          /* 0x0b0 */
        uint32_t ext_ramdisk_image;             /* 0x0c0: high 32 bits of ramdisk_image */
        uint32_t ext_ramdisk_size;              /* 0x0c4 */
        uint32_t ext_cmd_line_ptr;              /* 0x0c8 */
        uint8_t _pad4[112];                     /* 0x0cc */
        uint32_t cc_blob_address;               /* 0x13c */
        uint8_t edid_info[0x80];                /* 0x140 */
        struct sw_efi_info efi_info;            /* 0x1c0 */
        uint32_t alt_mem_k;                     /* 0x1e0 */
        uint32_t scratch;                       /* 0x1e4 */
        uint8_t e820_entries;                   /* 0x1e8 */
        uint8_t eddbuf_entries;                 /* 0x1e9 */
        uint8_t edd_mbr_sig_buf_entries;        /* 0x1ea */
        uint8_t kbd_status;                     /* 0x1eb */
        uint8_t secure_boot;                    /* 0x1ec */
        uint8_t _pad5[2];                       /* 0x1ed */
        uint8_t sentinel;                       /* 0x1ef: must stay 0, else the kernel wipes fields */
        uint8_t _pad6[1];                       /* 0x1f0 */
        struct sw_setup_header hdr;             /* 0x1f1 */
        uint8_t _pad7[0x290 - 0x1f1 - sizeof(struct sw_setup_header)];
        uint32_t edd_mbr_sig_buffer[16];        /* 0x290 */
        struct sw_e820_entry e820_table[SW_E820_MAX]; /* 0x2d0 */
        uint8_t _pad8[48];                      /* 0xcd0 */
        uint8_t eddbuf[6 * 82];                 /* 0xd00 */
        uint8_t _pad9[276];                     /* 0xeec */
} __attribute__((packed));

_Static_assert(offsetof(struct sw_boot_params, screen_info) == 0x000, "screen_info");
_Static_assert(offsetof(struct sw_boot_params, apm_bios_info) == 0x040, "apm_bios_info");
_Static_assert(offsetof(struct sw_boot_params, tboot_addr) == 0x058, "tboot_addr");
_Static_assert(offsetof(struct sw_boot_params, ist_info) == 0x060, "ist_info");
_Static_assert(offsetof(struct sw_boot_params, acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(offsetof(struct sw_boot_params, hd0_info) == 0x080, "hd0_info");
_Static_assert(offsetof(struct sw_boot_params, sys_desc_table) == 0x0a0, "sys_desc_table");
_Static_assert(offsetof(struct sw_boot_params, olpc_ofw_header) == 0x0b0, "olpc_ofw_header");
_Static_assert(offsetof(struct sw_boot_params, ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(offsetof(struct sw_boot_params, ext_ramdisk_size) == 0x0c4, "ext_ramdisk_size");
_Static_assert(offsetof(struct sw_boot_params, ext_cmd_line_ptr) == 0x0c8, "ext_cmd_line_ptr");
_Static_assert(offsetof(struct sw_boot_params, cc_blob_address) == 0x13c, "cc_blob_address");
_Static_assert(offsetof(struct sw_boot_params, edid_info) == 0x140, "edid_info");
_Static_assert(offsetof(struct sw_boot_params, efi_info) == 0x1c0, "efi_info");
_Static_assert(offsetof(struct sw_boot_params, alt_mem_k) == 0x1e0, "alt_mem_k");
_Static_assert(offsetof(struct sw_boot_params, e820_entries) == 0x1e8, "e820_entries");
_Static_assert(offsetof(struct sw_boot_params, secure_boot) == 0x1ec, "secure_boot");
_Static_assert(offsetof(struct sw_boot_params, sentinel) == 0x1ef, "sentinel");
_Static_assert(offsetof(struct sw_boot_params, hdr) == 0x1f1, "hdr");
_Static_assert(offsetof(struct sw_boot_params, edd_mbr_sig_buffer) == 0x290, "edd_mbr_sig_buffer");
_Static_assert(offsetof(struct sw_boot_params, e820_table) == 0x2d0, "e820_table");
_Static_assert(offsetof(struct sw_boot_params, _pad8) == 0xcd0, "_pad8");
_Static_assert(offsetof(struct sw_boot_params, eddbuf) == 0xd00, "eddbuf");
_Static_assert(offsetof(struct sw_boot_params, _pad9) == 0xeec, "_pad9");
_Static_assert(sizeof(struct sw_boot_params) == 4096, "boot_params is one page");

/* A linear framebuffer from GOP; base 0 = none. */
struct sw_fb {
        uint64_t base;
        uint64_t size;                  /* GOP's FrameBufferSize, bytes */
        uint32_t width, height, stride_pixels;
        uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size, rsvd_pos, rsvd_size;
};

/*
 * EFI runtime services for a 64-bit kernel (switcher/efirt.h): the system
 * table, the runtime-only map and the SETUP_EFI record, all physical and
 * outside every slot's RAM.
 */
struct sw_bp_efi {
        uint64_t systab;
        uint64_t memmap;
        uint32_t memmap_size;
        uint32_t desc_size;
        uint32_t desc_version;
        uint64_t setup_data;            /* the record's header; becomes hdr.setup_data */
};

/* What the planner decided for one cold boot; all addresses are physical. */
struct sw_bp_args {
        const char *what;               /* names the kernel in messages, e.g. "slot 'a': kernel '/vmlinuz'"; NULL = "kernel" */
        uint64_t kernel_load;           /* where the protected-mode code was placed (code32_start) */
        uint64_t cmdline;               /* NUL-terminated command line; 0 = none */
        uint32_t cmdline_len;           /* its length without the NUL */
        uint64_t initrd;                /* 0/0 = none */
        uint64_t initrd_size;
        uint64_t rsdp;                  /* acpi_rsdp_addr, only written if protocol >= 2.14; 0 = none */
        uint64_t tboot;                 /* tboot_addr: the slot's tboot shared page (tboot.h); 0 = none */
        const struct sw_e820_entry *e820;
        unsigned ne820;
        const struct sw_fb *fb;         /* NULL (or base 0) = no framebuffer info */
        const struct sw_bp_efi *efi;    /* NULL = no EFI information (the kernel sees a legacy boot) */
};

/* Errors of sw_bootparams_build(), returned negated. */
enum sw_bp_err {
        SW_BP_ERR_IMAGE = 1,            /* the image is shorter than its setup header, or no image */
        SW_BP_ERR_CMDLINE_SIZE,         /* command line longer than the kernel's cmdline_size */
        SW_BP_ERR_CMDLINE_HIGH,         /* command line above 4 GiB for a kernel that cannot reach it */
        SW_BP_ERR_INITRD_HIGH,          /* initrd beyond initrd_addr_max for a kernel limited to it */
        SW_BP_ERR_KERNEL_ALIGN,         /* kernel_load not a multiple of kernel_alignment */
        SW_BP_ERR_KERNEL_HIGH,          /* kernel above 4 GiB for a kernel that cannot run there */
        SW_BP_ERR_E820,                 /* no e820 entries, or more than 128 */
        SW_BP_ERR_MAX,
};

/*
 * Fills bp for a cold boot of the kernel in img (len bytes available, at
 * least its setup header), parsed before by sw_bzimage_parse*() into info.
 *
 * bp is zeroed first, then: the image's setup header (0x1f1 up to the end
 * the header declares, 0x202 + the byte at 0x201, bounded by struct
 * sw_setup_header and len); type_of_loader 0xff; vid_mode 0xffff;
 * loadflags keep LOADED_HIGH, gain CAN_USE_HEAP (heap_end_ptr 0xfe00 - 0x200),
 * lose QUIET and KEEP_SEGMENTS; code32_start = kernel_load (0 when the
 * kernel sits above 4 GiB, where only the 64-bit entry can be used);
 * setup_data 0, or a->efi's record; the command line and initrd, each 64-bit address split into
 * the header field and its ext_* high half; acpi_rsdp_addr (protocol 2.14+,
 * otherwise a warning and the kernel finds the RSDP itself); the e820
 * table; screen_info as an EFI framebuffer (VIDEO_TYPE_EFI) when a->fb has a
 * base, with VIDEO_CAPABILITY_64BIT_BASE and ext_lfb_base when the base is
 * at or above 4 GiB and lfb_size covering both GOP's size and
 * stride * height, rounded up to a page.  With a->efi: efi_info ("EL64",
 * system table, map, descriptor size and version), hdr.setup_data the
 * SETUP_EFI record, and secure_boot "disabled": the switcher verifies no
 * slot kernel, so no slot may believe in a verified chain (see
 * docs/efi-runtime.md).  A framebuffer whose numbers do not
 * fit screen_info is left out with a warning: the kernel then boots without
 * a framebuffer console.
 *
 * Every problem is reported (SW_ERROR, with a->what); the return value is
 * 0, or the first problem's -SW_BP_ERR_*, in which case bp must not be used:
 *   command line longer than info->cmdline_size, command line or kernel
 *   above 4 GiB or initrd above initrd_addr_max when the kernel cannot be
 *   loaded above 4 GiB, kernel_load not aligned to kernel_alignment,
 *   no e820 entries or more than 128.
 */
int sw_bootparams_build(struct sw_boot_params *bp, const void *img, size_t len,
                        const struct sw_bzimage_info *info, const struct sw_bp_args *a,
                        struct sw_diag *d);

/* A fixed English text for a -SW_BP_ERR_* (either sign); never NULL. */
const char *sw_bootparams_strerror(int err);

/* The 64-bit entry point of a kernel loaded at kernel_load: kernel_load +
 * 0x200; 0 when the kernel has no 64-bit entry (XLF_KERNEL_64 clear). */
uint64_t sw_bootparams_entry64(const struct sw_bzimage_info *info, uint64_t kernel_load);

/* The 32-bit entry point (code32_start) of a kernel loaded at kernel_load:
 * kernel_load itself; 0 when that is at or above 4 GiB and so cannot be
 * reached from 32-bit protected mode. */
uint64_t sw_bootparams_entry32(const struct sw_bzimage_info *info, uint64_t kernel_load);
