/* SPDX-License-Identifier: MIT */
/*
 * Per-slot copies of the ACPI root tables.
 *
 * The switcher owns the S3 wake-up: the firmware's FACS carries the
 * switcher's real-mode entry as its waking vector.  A guest that suspends
 * writes its own waking vector into the FACS it found, so every slot must find
 * a FACS of its own, or the guest would overwrite the switcher's vector (and
 * the next guest's).  Each slot therefore gets a private chain
 *     RSDP -> XSDT (and RSDT) -> FADT -> FACS
 * in one reserved page; everything below the FADT (DSDT, MADT, HPET, ...)
 * stays shared and unmodified, because the copies keep pointing at the
 * firmware's tables for all of them.  The one addition: on a machine whose
 * firmware has no \_S3, each root copy also lists a small SSDT of the
 * switcher's declaring it (sw_acpi_find_sleep() below).  The one removal:
 * the copies of a slot whose kernel uses the tboot hand-off leave DMAR out
 * (SW_ACPI_COPY_HIDE_DMAR below).
 *
 * Firmware memory is read through a caller-supplied accessor, so the same
 * code walks identity-mapped physical memory in the EFI binary and a buffer
 * of dumped tables in the host tests.  Nothing here writes firmware memory
 * except sw_acpi_set_waking_vector(), which is handed a writable FACS.
 *
 * Layouts follow the ACPI 6.5 specification, section 5.2 (RSDP 5.2.5,
 * table header 5.2.6, RSDT 5.2.7, XSDT 5.2.8, FADT 5.2.9, FACS 5.2.10).
 *
 * Known limit: a guest's FACS copy has its own Global Lock, not shared with
 * the firmware's.  Harmless while no firmware (SMM) agent takes the lock, as
 * under OVMF; on hardware whose embedded controller uses it, it matters.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/*
 * Error codes, libfdt style: every function returning int gives 0 on success
 * or one of these (negative); sw_acpi_strerror() names them.  The message that
 * went through the diag says which table and address.
 */
#define SW_ACPI_ERR_RSDP     (-1) /* RSDP: bad signature, checksum, extended
                                     checksum or length */
#define SW_ACPI_ERR_ROOT     (-2) /* XSDT/RSDT: none named, bad signature,
                                     length, checksum, or a second FADT */
#define SW_ACPI_ERR_NO_FADT  (-3) /* the root table lists no FADT ("FACP") */
#define SW_ACPI_ERR_FADT     (-4) /* FADT: bad signature, length or checksum */
#define SW_ACPI_ERR_FACS     (-5) /* FACS: not named by the FADT, bad
                                     signature or length */
#define SW_ACPI_ERR_SPACE    (-6) /* the copies do not fit the destination, or
                                     the destination is misaligned or not
                                     below 4 GiB */
#define SW_ACPI_ERR_RANGE    (-7) /* the reader could not map a table (NULL) */
#define SW_ACPI_ERR_MAX      7

/* One page per slot holds RSDP + XSDT + RSDT + FADT + FACS, and the \_S3
 * SSDT when one is added, on every firmware seen so far (QEMU q35 + OVMF:
 * 576 bytes, 625 with the SSDT). */
#define SW_ACPI_COPY_SIZE 4096

/* Sanity ceiling for any table length read from firmware (RSDP length, XSDT,
 * RSDT, FADT, FACS): real ones are a few hundred bytes, so a larger value is
 * corruption, and the ceiling keeps every sum below far from overflow. */
#define SW_ACPI_MAX_TABLE 65536u

/* An ACPI 1.0 FADT ends after the Flags field at 112: 116 bytes.  Anything
 * shorter cannot be a FADT. */
#define SW_ACPI_FADT_MIN_LEN 116u
/* The FADT must reach this far for X_FIRMWARE_CTRL (132 + 8) to exist. */
#define SW_ACPI_FADT_XFC_END 140u
#define SW_ACPI_FACS_MIN_LEN 64u

/*
 * Reader for firmware memory: returns a pointer to len readable bytes at
 * physical address addr, or NULL if any of them is out of bounds.
 */
typedef const void *(*sw_phys_read_fn)(void *ctx, uint64_t addr, uint64_t len);

/* Root System Description Pointer (5.2.5.3).  Revision 0 ends at 20 bytes
 * (the first checksum covers those); revision 2 adds the rest. */
struct sw_acpi_rsdp {
        char signature[8];      /* "RSD PTR " */
        uint8_t checksum;       /* over the first 20 bytes */
        char oemid[6];
        uint8_t revision;       /* 0: ACPI 1.0, 2: ACPI 2.0 and later */
        uint32_t rsdt;
        uint32_t length;        /* whole structure, revision >= 2 */
        uint64_t xsdt;
        uint8_t ext_checksum;   /* over length bytes, revision >= 2 */
        uint8_t reserved[3];
} __attribute__((packed));

_Static_assert(offsetof(struct sw_acpi_rsdp, checksum) == 8, "RSDP checksum");
_Static_assert(offsetof(struct sw_acpi_rsdp, oemid) == 9, "RSDP OEMID");
_Static_assert(offsetof(struct sw_acpi_rsdp, revision) == 15, "RSDP revision");
_Static_assert(offsetof(struct sw_acpi_rsdp, rsdt) == 16, "RSDP RsdtAddress");
_Static_assert(offsetof(struct sw_acpi_rsdp, length) == 20, "RSDP length");
_Static_assert(offsetof(struct sw_acpi_rsdp, xsdt) == 24, "RSDP XsdtAddress");
_Static_assert(offsetof(struct sw_acpi_rsdp, ext_checksum) == 32, "RSDP ext checksum");
_Static_assert(sizeof(struct sw_acpi_rsdp) == 36, "RSDP is 36 bytes");

#define SW_ACPI_RSDP_V1_LEN 20u

/* System Description Table Header (5.2.6), shared by every table but the
 * FACS.  The checksum makes all length bytes of the table sum to 0. */
struct sw_acpi_header {
        char signature[4];
        uint32_t length;
        uint8_t revision;
        uint8_t checksum;
        char oemid[6];
        char oem_table_id[8];
        uint32_t oem_revision;
        uint32_t creator_id;
        uint32_t creator_revision;
} __attribute__((packed));

_Static_assert(offsetof(struct sw_acpi_header, length) == 4, "header length");
_Static_assert(offsetof(struct sw_acpi_header, revision) == 8, "header revision");
_Static_assert(offsetof(struct sw_acpi_header, checksum) == 9, "header checksum");
_Static_assert(offsetof(struct sw_acpi_header, oemid) == 10, "header OEMID");
_Static_assert(offsetof(struct sw_acpi_header, oem_table_id) == 16, "header OEM table id");
_Static_assert(offsetof(struct sw_acpi_header, oem_revision) == 24, "header OEM revision");
_Static_assert(offsetof(struct sw_acpi_header, creator_id) == 28, "header creator id");
_Static_assert(offsetof(struct sw_acpi_header, creator_revision) == 32, "header creator rev");
_Static_assert(sizeof(struct sw_acpi_header) == 36, "table header is 36 bytes");

/* Generic Address Structure (5.2.3.2). */
struct sw_acpi_gas {
        uint8_t space_id;       /* 0: system memory, 1: system I/O */
        uint8_t bit_width;
        uint8_t bit_offset;
        uint8_t access_size;
        uint64_t address;
} __attribute__((packed));

_Static_assert(sizeof(struct sw_acpi_gas) == 12, "GAS is 12 bytes");

#define SW_ACPI_GAS_SYSTEM_IO 1

/* Fixed ACPI Description Table (5.2.9, table 5.9), ACPI 6.x layout.  Older
 * firmware hands out shorter ones (QEMU q35: revision 3, 244 bytes, ending
 * after X_GPE1_BLK): a field exists only when the header's length covers it. */
struct sw_acpi_fadt {
        struct sw_acpi_header hdr;      /* "FACP" */
        uint32_t firmware_ctrl;         /* 32-bit FACS address */
        uint32_t dsdt;
        uint8_t reserved0;              /* INT_MODEL in ACPI 1.0 */
        uint8_t preferred_pm_profile;
        uint16_t sci_int;
        uint32_t smi_cmd;
        uint8_t acpi_enable;
        uint8_t acpi_disable;
        uint8_t s4bios_req;
        uint8_t pstate_cnt;
        uint32_t pm1a_evt_blk;
        uint32_t pm1b_evt_blk;
        uint32_t pm1a_cnt_blk;
        uint32_t pm1b_cnt_blk;
        uint32_t pm2_cnt_blk;
        uint32_t pm_tmr_blk;
        uint32_t gpe0_blk;
        uint32_t gpe1_blk;
        uint8_t pm1_evt_len;
        uint8_t pm1_cnt_len;
        uint8_t pm2_cnt_len;
        uint8_t pm_tmr_len;
        uint8_t gpe0_blk_len;
        uint8_t gpe1_blk_len;
        uint8_t gpe1_base;
        uint8_t cst_cnt;
        uint16_t p_lvl2_lat;
        uint16_t p_lvl3_lat;
        uint16_t flush_size;
        uint16_t flush_stride;
        uint8_t duty_offset;
        uint8_t duty_width;
        uint8_t day_alrm;
        uint8_t mon_alrm;
        uint8_t century;
        uint16_t iapc_boot_arch;
        uint8_t reserved1;
        uint32_t flags;
        struct sw_acpi_gas reset_reg;
        uint8_t reset_value;
        uint16_t arm_boot_arch;
        uint8_t fadt_minor_version;
        uint64_t x_firmware_ctrl;       /* 64-bit FACS address */
        uint64_t x_dsdt;
        struct sw_acpi_gas x_pm1a_evt_blk;
        struct sw_acpi_gas x_pm1b_evt_blk;
        struct sw_acpi_gas x_pm1a_cnt_blk;
        struct sw_acpi_gas x_pm1b_cnt_blk;
        struct sw_acpi_gas x_pm2_cnt_blk;
        struct sw_acpi_gas x_pm_tmr_blk;
        struct sw_acpi_gas x_gpe0_blk;
        struct sw_acpi_gas x_gpe1_blk;
        struct sw_acpi_gas sleep_control_reg;
        struct sw_acpi_gas sleep_status_reg;
        uint64_t hypervisor_vendor_id;
} __attribute__((packed));

_Static_assert(offsetof(struct sw_acpi_fadt, firmware_ctrl) == 36, "FADT FIRMWARE_CTRL");
_Static_assert(offsetof(struct sw_acpi_fadt, dsdt) == 40, "FADT DSDT");
_Static_assert(offsetof(struct sw_acpi_fadt, sci_int) == 46, "FADT SCI_INT");
_Static_assert(offsetof(struct sw_acpi_fadt, pm1a_evt_blk) == 56, "FADT PM1a_EVT_BLK");
_Static_assert(offsetof(struct sw_acpi_fadt, pm1a_cnt_blk) == 64, "FADT PM1a_CNT_BLK");
_Static_assert(offsetof(struct sw_acpi_fadt, pm1_evt_len) == 88, "FADT PM1_EVT_LEN");
_Static_assert(offsetof(struct sw_acpi_fadt, century) == 108, "FADT CENTURY");
_Static_assert(offsetof(struct sw_acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH");
_Static_assert(offsetof(struct sw_acpi_fadt, flags) == 112, "FADT Flags");
_Static_assert(offsetof(struct sw_acpi_fadt, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(offsetof(struct sw_acpi_fadt, reset_value) == 128, "FADT RESET_VALUE");
_Static_assert(offsetof(struct sw_acpi_fadt, fadt_minor_version) == 131, "FADT minor");
_Static_assert(offsetof(struct sw_acpi_fadt, x_firmware_ctrl) == 132, "FADT X_FIRMWARE_CTRL");
_Static_assert(offsetof(struct sw_acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct sw_acpi_fadt, x_pm1a_evt_blk) == 148, "FADT X_PM1a_EVT_BLK");
_Static_assert(offsetof(struct sw_acpi_fadt, x_pm1a_cnt_blk) == 172, "FADT X_PM1a_CNT_BLK");
_Static_assert(offsetof(struct sw_acpi_fadt, x_gpe1_blk) == 232, "FADT X_GPE1_BLK");
_Static_assert(offsetof(struct sw_acpi_fadt, sleep_control_reg) == 244, "FADT SLEEP_CONTROL");
_Static_assert(offsetof(struct sw_acpi_fadt, hypervisor_vendor_id) == 268, "FADT hypervisor id");
_Static_assert(sizeof(struct sw_acpi_fadt) == 276, "FADT (ACPI 6.x) is 276 bytes");

/* Firmware ACPI Control Structure (5.2.10, table 5.14).  No checksum. */
struct sw_acpi_facs {
        char signature[4];              /* "FACS" */
        uint32_t length;                /* >= 64 */
        uint32_t hardware_signature;
        uint32_t firmware_waking_vector;   /* real-mode entry: CS = v >> 4 */
        uint32_t global_lock;
        uint32_t flags;
        uint64_t x_firmware_waking_vector; /* version >= 1; 0 = unused */
        uint8_t version;
        uint8_t reserved0[3];
        uint32_t ospm_flags;
        uint8_t reserved1[24];
} __attribute__((packed));

_Static_assert(offsetof(struct sw_acpi_facs, length) == 4, "FACS length");
_Static_assert(offsetof(struct sw_acpi_facs, hardware_signature) == 8, "FACS hw signature");
_Static_assert(offsetof(struct sw_acpi_facs, firmware_waking_vector) == 12, "FACS waking vector");
_Static_assert(offsetof(struct sw_acpi_facs, global_lock) == 16, "FACS global lock");
_Static_assert(offsetof(struct sw_acpi_facs, flags) == 20, "FACS flags");
_Static_assert(offsetof(struct sw_acpi_facs, x_firmware_waking_vector) == 24, "FACS X vector");
_Static_assert(offsetof(struct sw_acpi_facs, version) == 32, "FACS version");
_Static_assert(offsetof(struct sw_acpi_facs, ospm_flags) == 36, "FACS OSPM flags");
_Static_assert(sizeof(struct sw_acpi_facs) == 64, "FACS is 64 bytes");

/* What sw_acpi_scan() found: physical addresses, 0 if absent. */
struct sw_acpi_fw {
        uint64_t rsdp, xsdt, rsdt, fadt, facs;
        uint32_t xsdt_len, rsdt_len;    /* header lengths, 0 if absent */
        uint32_t fadt_len, facs_len;
        uint8_t rsdp_rev;
        uint16_t pm1a_cnt;      /* PM1a control I/O port (for S3), 0 if none */
        uint16_t pm1a_evt;      /* PM1a event I/O port, 0 if none */
};

/*
 * Validates the firmware's tables starting from the RSDP at physical address
 * rsdp: signatures, lengths and checksums of the RSDP, of every root table
 * that will be copied (the XSDT when the RSDP has revision >= 2 and names
 * one, and the RSDT when named), of the FADT ("FACP") that root lists, and the
 * FACS signature and length.  The FACS is X_FIRMWARE_CTRL when the FADT is
 * long enough to have it and it is non-zero, else FIRMWARE_CTRL.  Every FADT
 * entry in both roots must be the same table, since only that one is
 * replaced in the copies.  PM1a_CNT/PM1a_EVT come from the X_ blocks when
 * they are system I/O and non-zero, else from the 32-bit blocks.
 * Fills *fw (zeroed first).  Returns 0 or a negative SW_ACPI_ERR_* code after
 * one SW_ERROR message through d ("ACPI: FADT at 0x7f8f2000: bad checksum").
 */
int sw_acpi_scan(sw_phys_read_fn rd, void *ctx, uint64_t rsdp,
                 struct sw_acpi_fw *fw, struct sw_diag *d);

/*
 * Does the firmware's namespace have \_S3?  Linux offers "deep" suspend, and
 * so reaches the tboot hand-off, only when it does.  On a machine without it
 * the switcher adds an SSDT declaring one to each slot's root-table copy.
 *
 * The answer comes from a walk of each definition block's AML (DSDT, then
 * every SSDT the preferred root lists), not from evaluating it:
 *  - DECLARED: a Name, Method or Alias creating \_S3_ (or _S3_ at root
 *    scope), reached through nothing but root-scope declarations, Scope()
 *    and Device-like bodies, whose every byte before it the walk understood.
 *    This is the only answer that keeps the SSDT out.
 *  - UNSURE: the bytes of such a declaration (NameOp then \_S3_, or then
 *    _S3_ where that would be root scope) lie where the walk cannot tell
 *    whether the loader creates them: under If/Else/While (laptops with
 *    "If (SS3) { Name (_S3, ...) }", where a setup option decides), inside a
 *    Method, or after an opcode the walk does not know.
 *  - ABSENT: no such bytes anywhere the walk could not rule out.
 * Why this leans to ABSENT/UNSURE: an unneeded SSDT costs one ACPICA error
 * line ("Failure creating named object [\_S3_], AE_ALREADY_EXISTS"; the
 * loader skips the duplicate, keeps the firmware's object, and goes on),
 * while a wrong DECLARED leaves a machine on which no slot can suspend.
 * Known limits: a Name reached through "^" (parent) prefixes, or through a
 * multi-segment path that ends in \_S3_, is not recognised as \_S3_; an
 * SSDT the firmware loads at run time (Load/LoadTable) is never seen; a
 * data byte sequence that happens to spell NameOp + _S3_ counts as UNSURE.
 */
enum sw_acpi_s3 {
        SW_ACPI_S3_ABSENT = 0,
        SW_ACPI_S3_UNSURE = 1,
        SW_ACPI_S3_DECLARED = 2,
};

/* What sw_acpi_find_sleep() found. */
struct sw_acpi_sleep {
        enum sw_acpi_s3 s3;
        uint64_t s3_table;      /* the table behind the answer, 0 if ABSENT */
        /* SLP_TYP a/b of \_S0_ when a root-scope Name(_S0_, Package) with
         * integer constants 0..7 was found (ACPICA's rule for a one-element
         * package: a = bits 0-7, b = bits 8-15); else false and 0. */
        bool s0_found;
        uint8_t s0_typ_a, s0_typ_b;
};

/* Ceiling for a DSDT or SSDT length: laptop DSDTs reach a few hundred KiB,
 * far past SW_ACPI_MAX_TABLE. */
#define SW_ACPI_MAX_AML (4u << 20)

/*
 * Walks one definition block's AML (the bytes after its 36-byte header) and
 * merges what it finds into *out: s3 only rises (ABSENT < UNSURE < DECLARED),
 * and \_S0_ is taken from the first block that has it (the DSDT loads
 * first).  Never reads outside [aml, aml + len); any byte string is safe.
 * Does not set out->s3_table.
 */
void sw_acpi_aml_sleep(const uint8_t *aml, size_t len, struct sw_acpi_sleep *out);

/*
 * Fills *out (zeroed first) from the DSDT the FADT names (X_DSDT when the
 * FADT has it and it is non-zero, else DSDT) and every SSDT of the
 * preferred root (the XSDT, else the RSDT), in that order.  A definition
 * block that cannot be read, has a bad signature or a length outside
 * 36..SW_ACPI_MAX_AML is skipped with one SW_WARN each; a bad checksum is
 * ignored, as Linux only warns about it.  Returns 0, or a negative
 * SW_ACPI_ERR_* code after one SW_ERROR when the FADT or root in *fw are no
 * longer the tables sw_acpi_scan() found.
 */
int sw_acpi_find_sleep(sw_phys_read_fn rd, void *ctx, const struct sw_acpi_fw *fw,
                       struct sw_acpi_sleep *out, struct sw_diag *d);

/* Room for the SSDT sw_acpi_build_s3_ssdt() writes: 36 + at most 16. */
#define SW_ACPI_S3_SSDT_MAX 52u

/*
 * Writes an SSDT declaring
 *     Name (\_S3_, Package (0x04) { SLP_TYP_a, SLP_TYP_b, Zero, Zero })
 * into dst (size bytes), with SLP_TYP a/b = sl's \_S0_ values when
 * sl->s0_found, else 0: the kernel writes them to PM1 control without
 * SLP_EN before the tboot hook ("write #1"), so the running S0 value makes
 * that write change nothing.  Header: revision 2, the given OEMID, OEM
 * table ID "SWITCHS3", OEM revision 1, creator "SWCH" revision 1, checksum
 * over the whole table.  Integers are ZeroOp, OneOp or BytePrefix nn.
 * Returns the table's length, or SW_ACPI_ERR_SPACE when size is too small
 * (dst untouched).
 */
int sw_acpi_build_s3_ssdt(void *dst, size_t size, const char oemid[6],
                          const struct sw_acpi_sleep *sl);

/* sw_acpi_make_copy() flags. */
/*
 * Leave every root entry whose table has the signature "DMAR" out of the
 * XSDT and RSDT copies.  A kernel that believes it runs under tboot (every
 * slot given a tboot shared page) forces the Intel IOMMU on and takes the
 * DMAR table from the TXT heap instead of ACPI; there is no TXT heap, so
 * with a DMAR table in sight it panics at boot ("tboot: Failed to
 * initialize DMAR table").  Without the entry it never looks.
 */
#define SW_ACPI_COPY_HIDE_DMAR 0x1u

/* How sw_acpi_make_copy() builds one slot's copies; a NULL pointer means
 * all zero (no SSDT, no flags). */
struct sw_acpi_copy_opts {
        /* Not NULL: add the \_S3 SSDT of sw_acpi_build_s3_ssdt(add_s3). */
        const struct sw_acpi_sleep *add_s3;
        unsigned flags;         /* SW_ACPI_COPY_* */
};

/*
 * Builds one slot's copies into dst (dst_size bytes, normally
 * SW_ACPI_COPY_SIZE), which will live at physical address dst_phys: that
 * address is what the pointers written into the copies use.  Layout: RSDP at
 * 0 (36 bytes reserved, rewritten with length 36 for revision >= 2), then
 * XSDT, RSDT, FADT, each 16-byte aligned, then the FACS 64-byte aligned (the
 * spec requires a 64-byte aligned FACS), then, when opts->add_s3 is not
 * NULL, the SSDT of sw_acpi_build_s3_ssdt(opts->add_s3) 16-byte aligned, with
 * the RSDP's OEMID.  The XSDT/RSDT copies keep every entry, in order, except
 * the FADT's, which points to the FADT copy, and, with SW_ACPI_COPY_HIDE_DMAR,
 * those whose table's first 4 bytes read "DMAR", which are left out (a null
 * entry, or one the reader cannot map, is kept as it is); with add_s3 they
 * gain one last entry naming the SSDT copy.  The FADT copy's FIRMWARE_CTRL,
 * and X_FIRMWARE_CTRL when its length covers it, point to the FACS copy; the
 * FACS copy is the firmware's with both waking vectors and the Global Lock
 * zeroed.  All lengths and checksums are recomputed.  Unused bytes up to
 * dst_size are zeroed.  dst_phys must be 64-byte aligned and the copies must
 * end below 4 GiB (the RSDT, the RSDP's RSDT field and FIRMWARE_CTRL are
 * 32-bit).  The source tables are re-read through rd and must still have
 * the signatures and lengths in *fw.
 * On success sets *rsdp_out / *facs_out to the physical addresses of the
 * RSDP and FACS copies, and *hidden_out (when not NULL) to the number of
 * entries left out, XSDT and RSDT copies together (2 for one DMAR table both
 * roots list), and returns 0; on failure returns a negative SW_ACPI_ERR_*
 * code (SW_ACPI_ERR_SPACE when the copies do not fit) after one SW_ERROR
 * message, sets *hidden_out to 0, and leaves dst untouched.
 */
int sw_acpi_make_copy(sw_phys_read_fn rd, void *ctx, const struct sw_acpi_fw *fw,
                      const struct sw_acpi_copy_opts *opts,
                      void *dst, uint64_t dst_phys, size_t dst_size,
                      uint64_t *rsdp_out, uint64_t *facs_out, unsigned *hidden_out,
                      struct sw_diag *d);

/*
 * The interrupt hardware a guest leaves behind.  A kernel that restarts
 * after a panic (through the tboot entry) does not put its I/O APICs and
 * HPET back the way firmware leaves them, as an orderly reboot does; the
 * switcher does it before the slot's next kernel starts.
 */
#define SW_ACPI_MAX_IOAPIC 8

struct sw_acpi_irq_hw {
        unsigned nioapic;
        uint32_t ioapic[SW_ACPI_MAX_IOAPIC];    /* register base of each I/O APIC (MADT) */
        uint64_t hpet;                          /* register block of the HPET (its table), 0 if none */
};

/* Fills *hw from the MADT ("APIC") and HPET tables the preferred root
 * table (XSDT, else RSDT) lists.  Never fails: a missing or unreadable
 * table leaves its part empty. */
void sw_acpi_find_irq_hw(sw_phys_read_fn rd, void *ctx, const struct sw_acpi_fw *fw, struct sw_acpi_irq_hw *hw);

/* Sets FirmwareWakingVector = vector and clears X_FirmwareWakingVector in the
 * (writable) FACS at facs, which must be at least 32 bytes long.  Used on the
 * firmware's FACS so that the platform's S3 resume enters the switcher. */
void sw_acpi_set_waking_vector(void *facs, uint32_t vector);

/* The checksum byte for len bytes at p: the value that, added to their sum,
 * makes it 0 mod 256.  Zero the checksum field before computing it. */
uint8_t sw_acpi_checksum(const void *p, size_t len);

/* True when the len bytes at p sum to 0 mod 256. */
bool sw_acpi_sum_ok(const void *p, size_t len);

/* A short description of a SW_ACPI_ERR_* code (or 0), never NULL. */
const char *sw_acpi_strerror(int err);
