; SPDX-License-Identifier: MIT
;
; The switcher's real-mode wake entry: the firmware calls it on S3 resume,
; because the switcher wrote its address into the firmware FACS's
; FirmwareWakingVector at boot (see ../shared/design/handoff.md).
;
; This flat binary is assembled on its own (nasm -f bin), embedded into
; switcher.efi by trampoline.asm, and copied by efi/ into the low page the
; planner reserves below 1 MiB.  It is position independent: every data
; reference goes through DS = CS.
;
; ENTRY  wake16_entry (offset 0)
;   Expects: real mode, CS = page >> 4, IP = 0 (ACPI: CS:IP = vector>>4 :
;            vector & 0xF with a page-aligned vector), other segment
;            registers and the stack undefined, interrupts in any state,
;            COM1 initialised by the firmware's S3 path (or not: the code
;            only polls the line status register, it programs nothing).
;   Leaves:  never returns.  For now (boot-path stage) it prints one line on
;            COM1 and halts with interrupts off: the switch path replaces the
;            halt with the way into long mode.  A halt after a message is
;            the contract: never a silent hang.
;   Clobbers: AX, DX, SI, DS, flags.

        bits 16
        org 0

COM1_DATA       equ 0x3f8
COM1_LSR        equ 0x3fd
LSR_THRE        equ 0x20            ; transmit holding register empty

wake16_entry:
        cli
        cld
        mov ax, cs
        mov ds, ax
        mov si, wake_msg
.next:
        lodsb
        test al, al
        jz .halt
        mov ah, al
        mov dx, COM1_LSR
.wait:
        in al, dx
        test al, LSR_THRE
        jz .wait
        mov al, ah
        mov dx, COM1_DATA
        out dx, al
        jmp .next
.halt:
        hlt
        jmp .halt

wake_msg:
        db 13, 10, "switcher: S3 wake reached the switcher's real-mode entry;"
        db " switching is not implemented in this build: halting", 13, 10, 0

; The low page is 4 KiB; keep room for the parameter block the switch path
; appends.  A negative TIMES count makes nasm fail the build.
WAKE16_BUDGET   equ 2048
        times WAKE16_BUDGET - ($ - $$) db 0xcc
