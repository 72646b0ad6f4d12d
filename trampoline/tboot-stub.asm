; SPDX-License-Identifier: MIT
;
; The switcher's tboot entry: the shutdown_entry of every 64-bit slot's
; tboot shared page (switcher/tboot.h).  A guest kernel calls it instead of
; entering S3/S5 through the firmware or resetting the machine, and for each
; application processor it takes offline (docs/tboot-handoff.md, sections 2
; and 3).
;
; Assembled alone (nasm -f bin), embedded in switcher.efi by trampoline.asm
; and copied by efi/ to the first page of the resident block's tboot range.
; Position independent: addresses come from RIP-relative LEA in long mode and
; from EBP (this page) after that.  The C side, the header and the data
; block, is tboot-stub.h; its numbers come from the generated wake-defs.inc.

        bits 64
        org 0

%include "wake-defs.inc"

%include "com1.inc"
CR0_PG          equ 1 << 31
CR4_PCIDE       equ 1 << 17
MSR_EFER        equ 0xc0000080
EFER_LME        equ 1 << 8
MSR_APIC_BASE   equ 0x1b
APIC_BASE_BSP   equ 1 << 8
RESET_CF9       equ 0xcf9

SEL_CODE32      equ SW_TBOOT_SEL_CODE32
SEL_DATA        equ SW_TBOOT_SEL_DATA
TYPE_OFF        equ SW_TBOOT_SHUTDOWN_TYPE_OFF
WFS_OFF         equ SW_TBOOT_NUM_IN_WFS_OFF

hdr:
        dd SW_TBOOT_STUB_MAGIC
        dd tboot_entry
        dd data
        dd blob_end
        dd nmi_iret
        times SW_TBOOT_HDR_NMI + 4 - ($ - $$) db 0

; ---------------------------------------------------------------------------
; tboot_entry: the kernel's tboot_shutdown() calls here.
;   Expects: 64-bit mode, CPL 0, on the kernel's tboot page tables, which map
;            this page, the park page and the shared pages 1:1 (and nothing
;            else of the switcher); the kernel's GDT, IDT, stack and CR4 (any
;            of PCIDE, LA57, SMEP, SMAP, CET); interrupts on or off;
;            shutdown_type written in the running slot's shared page.
;   Uses:    this CPU's 16 bytes of the park page as its stack.
;   Leaves:  32-bit protected mode, paging, PAE and long mode off, CR3 =
;            CR4 = 0, interrupts off, and then:
;            - wait-for-SIPI: parked here in HLT on the stub's IDT (only NMI
;              present: IRET), after counting itself in the shared page's
;              num_in_wfs and the data block's wfs.  The next INIT ends it.
;            - anything else, on the boot CPU: data.entered = type + 1, then
;              the wake blob's wake_tboot32 with EBX = the low page, which
;              goes on into the resident switcher as a firmware wake does.
;            - anything else on an application processor (a panic there):
;              the boot CPU is stopped inside the guest and cannot be
;              brought over, so a message on COM1 and a reset of the machine.
;   Clobbers: everything; never returns.
tboot_entry:
        endbr64                         ; kernels with IBT call it indirectly
        cli
        cld
        ; This CPU's stack: its slot in the park page (the page after this one).
        mov eax, 1
        cpuid
        shr ebx, 24                     ; initial APIC ID
        imul ebx, ebx, SW_TBOOT_PARK_STRIDE
        lea rbp, [rel $$]
        lea rsp, [rbp + 4096 + rbx + SW_TBOOT_PARK_STRIDE]
        ; The stub's GDT, through a GDTR built on that stack.
        lea rax, [rbp + gdt]
        sub rsp, 16
        mov word [rsp + 6], gdt_end - gdt - 1
        mov [rsp + 8], rax
        lgdt [rsp + 6]
        ; Compatibility mode: a far return to the 32-bit code selector.
        lea rax, [rbp + compat32]
        mov [rsp], rax
        mov qword [rsp + 8], SEL_CODE32
        o64 retf

        bits 32
compat32:
        ; The far return popped its frame: ESP is back at the top of this
        ; CPU's 16 bytes.
        mov eax, SEL_DATA
        mov ds, eax
        mov es, eax
        mov ss, eax
        mov fs, eax
        mov gs, eax
        ; Out of long mode, on this page (identity mapped): PCIDE must be
        ; clear before paging goes off, and the kernel's CR4 (LA57, SMEP,
        ; CET, ...) can only go once it is off.
        mov eax, cr4
        and eax, ~CR4_PCIDE
        mov cr4, eax
        mov eax, cr0
        and eax, ~CR0_PG
        mov cr0, eax
        mov ecx, MSR_EFER
        rdmsr
        and eax, ~EFER_LME
        wrmsr
        xor eax, eax
        mov cr4, eax
        mov cr3, eax

        mov esi, [ebp + data + TD_SHARED]
        cmp dword [esi + TYPE_OFF], SW_TBOOT_WFS
        je park
        mov ecx, MSR_APIC_BASE
        rdmsr
        test eax, APIC_BASE_BSP
        jz ap_gives_up
        mov eax, [esi + TYPE_OFF]
        inc eax
        mov [ebp + data + TD_ENTERED], eax
        mov ebx, [ebp + data + TD_LOW_PAGE]
        push dword SEL_CODE32
        push dword [ebp + data + TD_WAKE_TBOOT32]
        retf

; An application processor going offline: safe from NMIs first (the
; kernel's IDT means nothing with paging off), then counted, then parked.
park:
        sub esp, 8
        mov word [esp + 2], 3 * 8 - 1
        lea eax, [ebp + data + TD_IDT]
        mov [esp + 4], eax
        lidt [esp + 2]
        add esp, 8
        lock inc dword [ebp + data + TD_WFS]
        lock inc dword [esi + WFS_OFF]
.hlt:
        hlt
        jmp .hlt

nmi_iret:
        iretd

ap_gives_up:
        lea esi, [ebp + msg_ap]
.next:
        mov al, [esi]
        test al, al
        jz .reset
        COM1_PUTC
        inc esi
        jmp .next
.reset:
        mov dx, RESET_CF9
        mov al, 0x06                    ; full reset, as the reset control register does it
        out dx, al
.hang:
        hlt
        jmp .hang

msg_ap:
        db "switcher: a guest stopped on an application processor (a panic there?); its boot CPU is stopped inside the guest: resetting the machine", 13, 10, 0

        align 8
gdt:
        dq 0                            ; 0x00 null
        dq 0x00cf9a000000ffff           ; 0x08 code, 32-bit, flat
        dq 0x00cf92000000ffff           ; 0x10 data, flat
gdt_end:

        align 8
data:
        times TD_SIZE db 0
blob_end:

; Padded to the budget; a negative count (the blob outgrew it) fails nasm.
        times SW_TBOOT_STUB_BUDGET - ($ - $$) db 0
