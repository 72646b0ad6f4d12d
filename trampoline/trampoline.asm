; SPDX-License-Identifier: MIT
;
; Long-mode pieces of the trampoline, linked into switcher.efi (elf64,
; position independent: every address is RIP-relative, computed at run time).
; Its C side, every export and the exception frame, is trampoline.h; the
; numbers shared with C come from the generated wake-defs.inc.

        default rel
        bits 64

%include "wake-defs.inc"

; ---------------------------------------------------------------------------
; The real-mode wake entry, as bytes that efi/ copies below 1 MiB.
        section .rodata
        global sw_wake16_start
        global sw_wake16_end
        align 16
sw_wake16_start:
        incbin "wake16.bin"
sw_wake16_end:

; The tboot entry, as bytes that efi/ copies to the resident block.
        global sw_tboot_stub_start
        global sw_tboot_stub_end
        align 16
sw_tboot_stub_start:
        incbin "tboot-stub.bin"
sw_tboot_stub_end:

; A flat GDT laid out as the Linux boot protocol asks: __BOOT_CS = 0x10
; (64-bit code), __BOOT_DS = 0x18 (data).  It lives in the switcher's image,
; which every slot's e820 marks reserved, so it outlives the jump.
        section .data
        align 16
boot_gdt:
        dq 0                            ; 0x00 null
        dq 0                            ; 0x08 unused
        dq 0x00af9a000000ffff           ; 0x10 code: L=1, D=0, P, DPL0, exec/read
        dq 0x00cf92000000ffff           ; 0x18 data: G=1, D/B=1, P, DPL0, read/write
boot_gdt_end:

BOOT_CS         equ SW_BOOT_CS
BOOT_DS         equ SW_BOOT_DS

        section .text

; ---------------------------------------------------------------------------
; void sw_boot_linux64(uint64_t entry, uint64_t boot_params)  (noreturn)
;
; Enters a bzImage's 64-bit entry (load address + 0x200).
;   Expects: long mode, paging on with an identity map covering the kernel,
;            boot_params and the command line (UEFI's map after
;            ExitBootServices does), SysV ABI: RDI = entry, RSI = boot_params,
;            a usable stack; any GDT; interrupts in any state.
;   Leaves:  jumps to RDI with interrupts off (IF = 0), DF = 0, our GDT
;            loaded, CS = 0x10, DS = ES = SS = FS = GS = 0x18, RSI =
;            boot_params, as Documentation/arch/x86/boot.rst ("64-bit BOOT
;            PROTOCOL") requires.  RSP stays on the caller's stack: the
;            kernel sets up its own before it uses one.
;   Clobbers: everything; never returns.
        global sw_boot_linux64
sw_boot_linux64:
        cli
        cld
        lea rax, [boot_gdt]
        sub rsp, 16
        mov word [rsp], boot_gdt_end - boot_gdt - 1
        mov [rsp + 2], rax
        lgdt [rsp]
        add rsp, 16
        ; A far return is the way to load CS in long mode.
        lea rax, [.reloaded]
        push BOOT_CS
        push rax
        o64 retf
.reloaded:
        mov eax, BOOT_DS
        mov ds, eax
        mov es, eax
        mov ss, eax
        mov fs, eax
        mov gs, eax
        xor ebp, ebp
        jmp rdi


; ---------------------------------------------------------------------------
; void sw_copy_fast(void *dst, const void *src, uint64_t len)
;
; The swap's hot path: copies RAM 64 bytes per turn through general
; registers, then any tail byte by byte.  General registers, not XMM:
; QEMU keeps XMM registers in memory, so every vector move costs an extra
; load and store.  `SW_BENCH_ONLY=copy make bench` times this routine
; against rep movsb, rep movsq and glibc's memcpy at 256 MiB in one TCG
; guest (docs/bench.md): about 3 GB/s, 2.6-3.5 times glibc's memcpy.  On
; hardware a large copy is bound by memory bandwidth either way.
;   Expects: long mode; SysV ABI: RDI = dst, RSI = src, RDX = len; regions
;            do not overlap.
;   Leaves:  returns normally; interrupts untouched.
;   Clobbers: RAX, RCX, RSI, RDI, R8-R10, flags.
        global sw_copy_fast
sw_copy_fast:
        mov r10, rdx
        shr r10, 6
        jz .tail
.loop:
        mov rax, [rsi]
        mov rcx, [rsi + 8]
        mov r8, [rsi + 16]
        mov r9, [rsi + 24]
        mov [rdi], rax
        mov [rdi + 8], rcx
        mov [rdi + 16], r8
        mov [rdi + 24], r9
        mov rax, [rsi + 32]
        mov rcx, [rsi + 40]
        mov r8, [rsi + 48]
        mov r9, [rsi + 56]
        mov [rdi + 32], rax
        mov [rdi + 40], rcx
        mov [rdi + 48], r8
        mov [rdi + 56], r9
        add rsi, 64
        add rdi, 64
        dec r10
        jnz .loop
.tail:
        mov rcx, rdx
        and rcx, 63
        rep movsb
        ret

; ---------------------------------------------------------------------------
; Exception stubs for the resident switcher (long mode after an S3 wake):
; SW_EXC_VECTORS entries, each padded to exactly SW_EXC_STUB_STRIDE bytes,
; so C builds its IDT as sw_exc_stubs + SW_EXC_STUB_STRIDE * n.
;   Expects: an interrupt gate on the wake GDT's 64-bit code selector; the
;            CPU has pushed SS, RSP, RFLAGS, CS, RIP (and an error code for
;            vectors 8, 10-14, 17, 21, 29, 30).
;   Leaves:  a struct sw_exc_frame (trampoline.h: error code 0 where the
;            CPU pushed none, the vector, the general registers at the
;            generated EF_* offsets), and calls sw_exception(frame), which
;            prints everything on COM1 and halts: a fault is a bug report,
;            never a silent triple fault.
%macro EXC_STUB 1
%%start:
%if (%1 == 8) || (%1 >= 10 && %1 <= 14) || (%1 == 17) || (%1 == 21) || (%1 == 29) || (%1 == 30)
        push qword %1
%else
        push qword 0
        push qword %1
%endif
        jmp exc_common
        ; A negative count (a stub longer than its stride) fails the build.
        times SW_EXC_STUB_STRIDE - ($ - %%start) db 0xcc
%endmacro

        extern sw_exception
        global sw_exc_stubs
        align 16
sw_exc_stubs:
%assign vec 0
%rep SW_EXC_VECTORS
        EXC_STUB vec
%assign vec vec + 1
%endrep

; The general registers below the stub's vector, where struct sw_exc_frame
; has them.
exc_common:
        sub rsp, EF_VECTOR
        mov [rsp + EF_RAX], rax
        mov [rsp + EF_RBX], rbx
        mov [rsp + EF_RCX], rcx
        mov [rsp + EF_RDX], rdx
        mov [rsp + EF_RSI], rsi
        mov [rsp + EF_RDI], rdi
        mov [rsp + EF_RBP], rbp
        mov [rsp + EF_R8], r8
        mov [rsp + EF_R9], r9
        mov [rsp + EF_R10], r10
        mov [rsp + EF_R11], r11
        mov [rsp + EF_R12], r12
        mov [rsp + EF_R13], r13
        mov [rsp + EF_R14], r14
        mov [rsp + EF_R15], r15
        mov rdi, rsp
        and rsp, -16
        call sw_exception
.hang:
        cli
        hlt
        jmp .hang

        section .note.GNU-stack noalloc noexec nowrite progbits
