/* SPDX-License-Identifier: MIT */
/*
 * The C side of trampoline.asm: every symbol it exports or calls, and the
 * layouts the two languages share.  The numbers reach nasm through
 * asm-defines.c (a generated include); a drifted value fails the build.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "wake16.h"

/* The resident switcher's exception stubs: one per vector 0..31, each
 * padded to exactly SW_EXC_STUB_STRIDE bytes (nasm fails the build if one
 * outgrows it), so the IDT gate of vector v points at
 * sw_exc_stubs + v * SW_EXC_STUB_STRIDE. */
#define SW_EXC_VECTORS 32
#define SW_EXC_STUB_STRIDE 16

/*
 * What exc_common leaves on the stack for sw_exception(): the general
 * registers (stored at these offsets, generated for nasm), then what the
 * stub pushed (vector, error code: 0 where the CPU pushes none), then the
 * CPU's own interrupt frame.  From .vector on the order is the hardware's
 * and the stub's, so it is asserted here, not chosen.
 */
struct sw_exc_frame {
        uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
        uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
        uint64_t vector;
        uint64_t error;
        uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(offsetof(struct sw_exc_frame, error) ==
                       offsetof(struct sw_exc_frame, vector) + 8, "stub pushes error, then vector");
_Static_assert(offsetof(struct sw_exc_frame, rip) ==
                       offsetof(struct sw_exc_frame, vector) + 16, "the CPU frame follows the stub's");
_Static_assert(sizeof(struct sw_exc_frame) - offsetof(struct sw_exc_frame, rip) == 5 * 8,
               "the 64-bit interrupt frame is rip, cs, rflags, rsp, ss");

/* The real-mode wake blob (wake16.asm assembled flat), embedded. */
extern const uint8_t sw_wake16_start[], sw_wake16_end[];
/* tboot-stub.asm, assembled flat (tboot-stub.h). */
extern const uint8_t sw_tboot_stub_start[], sw_tboot_stub_end[];

/* Enters a bzImage's 64-bit entry with boot_params in RSI (boot.rst's
 * 64-bit boot protocol). */
void sw_boot_linux64(uint64_t entry, uint64_t boot_params) __attribute__((noreturn));

/* The swap's copy loop (and the staging copies): dst and src must not
 * overlap. */
void sw_copy_fast(void *dst, const void *src, uint64_t len);

extern const uint8_t sw_exc_stubs[];

/* Implemented in C (efi/wake-setup.c), called by exc_common: prints the
 * frame on COM1 and halts. */
void sw_exception(const struct sw_exc_frame *f) __attribute__((noreturn));
