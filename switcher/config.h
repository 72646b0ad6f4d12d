/* SPDX-License-Identifier: MIT */
/*
 * partitions.conf: which slots exist, what each one boots, and how.
 *
 * The syntax is that of systemd-boot's loader.conf and of Boot Loader
 * Specification entries, so people already know it:
 *
 *     # global keys first
 *     timeout      5
 *     default      debian
 *     active-size  512M
 *     console      both
 *     verbose      no
 *
 *     slot debian
 *     title        Debian 12
 *     linux        /slots/debian/vmlinuz
 *     initrd       /slots/debian/initrd.img
 *     options      root=PARTUUID=... ro
 *     partition    PARTUUID=0fc63daf-8483-4772-8e79-3d69d8477de4
 *     hotkey       ctrl+alt+1
 *
 *     slot packed
 *     image        /slots/packed.slot    # kernel, initrds, options in one file
 *
 * One "keyword value" per line; '#' starts a comment only at the start of a
 * line; UTF-8 (a leading BOM is skipped), LF or CRLF.  Global keys come
 * before the first "slot ID" line; each "slot" line opens a block that runs
 * until the next one.
 *
 * Problems are reported through struct sw_diag as "FILE:LINE: ..." (and
 * "FILE:LINE: slot 'ID': ..." for a slot's problems).  Cosmetic ones are
 * warnings and the key is ignored.  Anything that could make a slot boot the
 * wrong thing, or in the wrong place (kernel/initrd paths, partition, mode,
 * arch), is an error that drops the slot; an invalid active-size makes the
 * whole configuration unusable, since no slot can be placed without it.
 *
 * Everything is fixed-size: the parser allocates nothing and never reads
 * past the length it was given.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "hotkey.h"

#define SW_MAX_SLOTS 16
#define SW_ID_MAX 64
#define SW_PATH_MAX 256
#define SW_TITLE_MAX 128
#define SW_OPTIONS_MAX 2048
#define SW_MAX_INITRD 8
#define SW_PART_MAX 64

/* Longest GPT partition name: 36 UTF-16 code units (UEFI 2.10, 5.3.3). */
#define SW_PARTLABEL_MAX_UNITS 36

/* The active region's size: a default, and the floor below which no stock
 * kernel plus initrd can come up. */
#define SW_ACTIVE_SIZE_DEFAULT (256ULL << 20)
#define SW_ACTIVE_SIZE_MIN (16ULL << 20)

/*
 * An in-place slot's DMA32 window when its block says nothing (see plan.h,
 * SW_PLAN_DMA32_LIMIT, and docs/dma32.md): Linux's 64 MiB swiotlb bounce
 * buffer must fit in one piece beside the kernel's image (about 48 MiB for
 * Debian 12's), which KASLR may put anywhere in the window, with room left
 * for the DMA32 zone.
 */
#define SW_DMA32_SIZE_DEFAULT (256ULL << 20)

#define SW_TIMEOUT_DEFAULT 5
#define SW_TIMEOUT_MAX 3600

enum sw_slot_mode { SW_MODE_SWAP, SW_MODE_IN_PLACE };
enum sw_console { SW_CONSOLE_BOTH, SW_CONSOLE_SERIAL, SW_CONSOLE_SCREEN };
enum sw_arch { SW_ARCH_AUTO, SW_ARCH_X86_64, SW_ARCH_I386 };
enum sw_part_kind { SW_PART_NONE, SW_PART_UUID, SW_PART_LABEL };

struct sw_slot_config {
        char id[SW_ID_MAX];
        char title[SW_TITLE_MAX];
        char linux_path[SW_PATH_MAX];
        char initrd[SW_MAX_INITRD][SW_PATH_MAX];
        unsigned ninitrd;
        char options[SW_OPTIONS_MAX];
        char sort_key[SW_ID_MAX];
        enum sw_part_kind part_kind;
        char partition[SW_PART_MAX];   /* the uuid (lower case) or the label, without prefix */
        unsigned partition_line;       /* line of its 'partition' key, 0 if none */
        bool partition_missing;        /* set at start-up: no disk the firmware sees has it (gpt.h) */
        char hotkey[SW_HOTKEY_MAX];    /* normalized, "" if none */
        enum sw_slot_mode mode;
        enum sw_arch arch;
        uint64_t memory;               /* RAM the slot sees; 0 = the whole active region */
        uint64_t dma32_size;           /* an in-place slot's DMA32 window (plan.h); 0 = none */
        unsigned dma32_line;           /* line of its 'dma32-size' key, 0 if none */
        bool verify_store;             /* checksum the store at each save, check it before each resume */
        bool prewarm;                  /* booted at start-up and suspended at once, so the first switch resumes it */
        bool cold_boot_on_damage;      /* 'on-damage cold-boot': start over when its saved state is damaged */
        bool handoff_s3;               /* 'handoff s3': no tboot page, always the firmware's S3 */
        unsigned memory_line;
        unsigned line;                 /* line of its 'slot' keyword */
        unsigned linux_line;
        /* A slot image (see slotimg.h) instead of linux/initrd: "" if none. */
        char image_path[SW_PATH_MAX];
        unsigned image_line;
        /* A snapshot brought back at every start-up ('snapshot PATH', an
         * ESP path; a split one is PATH.000, PATH.001, ...): "" if none. */
        char snapshot_path[SW_PATH_MAX];
        unsigned snapshot_line;
        /* Lines of 'title', 'mode', 'arch' in the block; 0 when absent, so
         * a slot image may supply them. */
        unsigned title_line, mode_line, arch_line;
        unsigned initrd_line[SW_MAX_INITRD];
        bool valid;                    /* false once dropped; the reason was reported */
};

struct sw_config {
        char filename[SW_PATH_MAX];
        uint64_t active_size;
        bool usable;                   /* false when a global safety key was invalid */
        unsigned timeout;
        char default_id[SW_ID_MAX];
        unsigned default_line;
        enum sw_console console;
        bool verbose;                  /* 'verbose yes': diagnostics on the screen too, not only serial */
        char next_hotkey[SW_HOTKEY_MAX]; /* "switch to the next slot", "" if none */
        unsigned nslots;               /* blocks kept in the array, valid or not */
        struct sw_slot_config slots[SW_MAX_SLOTS];
};

/* The RAM a slot's OS sees: its 'memory', else the whole active region. */
uint64_t sw_slot_memory(const struct sw_config *c, const struct sw_slot_config *s);

/* A 32-bit kernel's RAM must lie below 4 GiB: it has no way to address more
 * than 4 GiB of physical memory without PAE, and the boot protocol's 32-bit
 * entry takes 32-bit pointers. */
#define SW_I386_LIMIT (4ULL << 30)

/* The address a slot's RAM must stay below: SW_I386_LIMIT for an i386 slot,
 * 0 (no limit) otherwise.  'arch auto' counts as x86_64 until the kernel's
 * header was read (see sw_bzimage_check_slot()). */
uint64_t sw_slot_limit(const struct sw_slot_config *s);

/*
 * Parses len bytes of buf (no NUL terminator needed) into c, which is
 * overwritten completely.  filename is what messages name (NULL means
 * "partitions.conf"); a copy is kept in c->filename for later messages.
 *
 * Blocks whose 'slot' line itself is bad (invalid id, duplicate id, more
 * than SW_MAX_SLOTS) are not kept and their keys are skipped silently after
 * the one error; any other dropped block is kept with valid == false.
 * When nothing valid remains the parser says so itself, so the caller need
 * not repeat it.
 *
 * Returns the number of valid slots (0 when none).
 */
int sw_config_parse(struct sw_config *c, const char *buf, size_t len,
                    const char *filename, struct sw_diag *d);

/*
 * Drops every valid slot whose kernel or one of whose initrds does not exist
 * on the ESP, saying "FILE:LINE: slot 'a': kernel '/x' not found; slot
 * dropped" (or "initrd '/y' not found", "image '/z' not found"), LINE being
 * the line of that key.
 * exists(ctx, path) gets the normalized ESP path ("/slots/a/vmlinuz") and
 * returns true when the file is there.  Says so when this leaves no valid
 * slot.  Returns the number of valid slots left.
 */
int sw_config_check_files(struct sw_config *c,
                          bool (*exists)(void *ctx, const char *path), void *ctx,
                          struct sw_diag *d);

/* Number of slots with valid set. */
unsigned sw_config_valid_slots(const struct sw_config *c);

/* Index in c->slots of the valid slot called id, or -1. */
int sw_config_find_slot(const struct sw_config *c, const char *id);

/*
 * Index of the slot to boot when nobody chooses: the 'default' one if it is
 * still valid (it may have been dropped by sw_config_check_files() after the
 * parse), else the first valid one, else -1.  Reports nothing: the parser
 * already warned about a 'default' naming no valid slot.
 */
int sw_config_default_index(const struct sw_config *c);

/*
 * Stable sort of c->slots, as systemd-boot orders its entries: slots with a
 * sort-key first, ordered by sort-key and then id (byte-wise); the others
 * after them, in file order.  Valid and dropped slots are sorted alike.
 */
void sw_config_sort(struct sw_config *c);

/* "swap", "in-place"; "?" for a value outside the enum. */
const char *sw_mode_name(enum sw_slot_mode m);
/* "auto", "x86_64", "i386"; "?" for a value outside the enum. */
const char *sw_arch_name(enum sw_arch a);
/* "both", "serial", "screen"; "?" for a value outside the enum. */
const char *sw_console_name(enum sw_console con);

/*
 * Parses a byte count: a decimal integer with an optional binary suffix,
 * K, M, G or T (also KiB, MiB, GiB, TiB; case-insensitive), with nothing
 * around it ("256M", "1GiB", "4096").  Returns 0 and sets *out, or -1 for
 * anything else, including a value that does not fit in 64 bits.
 */
int sw_parse_size(const char *s, uint64_t *out);
