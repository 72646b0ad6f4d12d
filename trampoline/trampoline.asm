; SPDX-License-Identifier: MIT
;
; Long-mode pieces of the trampoline, linked into switcher.efi (elf64,
; position independent: every address is RIP-relative, computed at run time).

        default rel
        bits 64

; ---------------------------------------------------------------------------
; The real-mode wake entry, as bytes that efi/ copies below 1 MiB.
        section .rodata
        global sw_wake16_start
        global sw_wake16_end
        align 16
sw_wake16_start:
        incbin "wake16.bin"
sw_wake16_end:

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

BOOT_CS         equ 0x10
BOOT_DS         equ 0x18

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

        section .note.GNU-stack noalloc noexec nowrite progbits
