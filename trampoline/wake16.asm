; SPDX-License-Identifier: MIT
;
; The switcher's wake blob: real-mode code that the firmware enters on every
; S3 resume (the switcher wrote the blob's address into the firmware FACS's
; FirmwareWakingVector at boot, see docs/s3-handoff.md), and the way back
; down to real mode for a guest's own waking vector.
;
; Assembled alone (nasm -f bin), embedded in switcher.efi by trampoline.asm
; and copied by efi/ to the planner's low page below 1 MiB.  Position
; independent: real-mode data goes through DS = CS, protected/long-mode code
; adds the page's linear base (kept in EBX/RBX) to every label.  Offsets of
; the header and parameter block, the selectors and the budget come from
; wake-defs.inc, generated from trampoline/wake16.h, never typed twice.

        bits 16
        org 0

%include "wake-defs.inc"

%include "com1.inc"

CR0_PE          equ 1 << 0
CR0_MP          equ 1 << 1
CR0_EM          equ 1 << 2
CR0_TS          equ 1 << 3
CR0_NW          equ 1 << 29
CR0_CD          equ 1 << 30
CR0_PG          equ 1 << 31
CR4_PAE         equ 1 << 5
CR4_OSFXSR      equ 1 << 9          ; SSE instructions allowed
CR4_OSXMMEXCPT  equ 1 << 10
MSR_EFER        equ 0xc0000080
MSR_APIC_BASE   equ 0x1b
APIC_BASE_BSP   equ 1 << 8          ; this CPU is the boot processor
EFER_LME        equ 1 << 8

SEL_CODE32      equ SW_WAKE_SEL_CODE32
SEL_DATA        equ SW_WAKE_SEL_DATA
SEL_CODE64      equ SW_WAKE_SEL_CODE64
SEL_CODE16      equ SW_WAKE_SEL_CODE16
SEL_DATA16      equ SW_WAKE_SEL_DATA16
; LEAVE_LONG_MODE: from compatibility mode (32-bit code on an identity-
; mapped page) to 32-bit protected mode with paging, PAE and long mode off
; and CR3 = 0.  Clobbers EAX, ECX, EDX.  Used by both ways out of long mode.
%macro LEAVE_LONG_MODE 0
        mov eax, cr0
        and eax, ~CR0_PG                ; paging off: long mode deactivates
        mov cr0, eax
        mov ecx, MSR_EFER
        rdmsr
        and eax, ~EFER_LME
        wrmsr
        mov eax, cr4
        and eax, ~CR4_PAE
        mov cr4, eax
        xor eax, eax
        mov cr3, eax
%endmacro

; The Linux boot protocol's own selectors, in boot_gdt (wake_boot32).
BOOT_CS         equ SW_BOOT_CS
BOOT_DS         equ SW_BOOT_DS

; ---------------------------------------------------------------------------
; Header at fixed offsets (wake-params.h).  A negative TIMES count fails the
; build if a field drifts.
hdr:
        jmp near wake_entry16
        times SW_WAKE_HDR_MAGIC - ($ - $$) db 0
        dd SW_WAKE_MAGIC
        times SW_WAKE_HDR_EXIT - ($ - $$) db 0
        dd wake_exit64
        times SW_WAKE_HDR_PARAMS - ($ - $$) db 0
        dd params
        times SW_WAKE_HDR_SIZE - ($ - $$) db 0
        dd blob_end
        times SW_WAKE_HDR_BOOT32 - ($ - $$) db 0
        dd wake_boot32
        times SW_WAKE_HDR_TBOOT32 - ($ - $$) db 0
        dd wake_tboot32

; ---------------------------------------------------------------------------
; wake_entry16: the firmware's S3 resume jumps here.
;   Expects: real mode, CS = low page >> 4, IP = this label's offset (the
;            vector is the page itself, so IP = 0 reaches the jmp above),
;            interrupts in any state, other segments and SP undefined.  Any
;            CPU may arrive; only the boot CPU goes on (an AP parks in HLT).
;   Uses:    a real-mode stack at the top of the low page (SS = CS).
;   Leaves:  long mode with the identity page tables from params.cr3, the
;            blob's GDT (CS = SEL_CODE64, data SEL_DATA), CR4.OSFXSR set so C may use
;            SSE, interrupts off, RSP = params.stack_top, and calls
;            params.entry64(RDI = linear address of the low page), which
;            never returns.  Prints "switcher: S3 wake" on COM1 first, so a
;            failure later is never silent.
;   Clobbers: everything.
wake_entry16:
        cli
        cld
        ; Only the boot CPU may run the switcher.  The firmware's S3 resume
        ; starts the application processors with a SIPI to a buffer at the
        ; top of base memory (OVMF's MpInitLib takes the highest free 4 KiB
        ; below 0xA0000: this very page, whose contents it saves and puts
        ; back around its use).  An AP that starts late, after the page is
        ; ours again (seen under TCG on a busy host), lands here; running
        ; the switcher beside the boot CPU, on the same real-mode stack,
        ; wrecks both.  IA32_APIC_BASE.BSP tells them apart; an AP waits
        ; here with interrupts off until the resumed kernel's INIT/SIPI
        ; takes it back.  No stack is touched before this check.
        mov ecx, MSR_APIC_BASE
        rdmsr
        test ah, APIC_BASE_BSP >> 8
        jnz .boot_cpu
.park_ap:
        cli
        hlt
        jmp .park_ap
.boot_cpu:
        mov ax, cs
        mov ds, ax
        ; The firmware leaves SS:SP undefined: the top of the low page is
        ; ours (the blob uses its first half), so the stack goes there
        ; before the first call.
        mov ss, ax
        mov sp, SW_WAKE_STACK_TOP
        xor ebx, ebx
        mov bx, ax
        shl ebx, 4                      ; EBX = linear base of the low page
        mov si, msg_wake
        call puts16

        ; The GDT's linear address (pm32 fills in the rest).
        lea eax, [ebx + gdt]
        mov [gdtr + 2], eax
        o32 lgdt [gdtr]

        mov eax, cr0
        or eax, CR0_PE
        mov cr0, eax
        lea eax, [ebx + pm32]
        push dword SEL_CODE32
        push eax
        o32 retf

; puts16: DS:SI -> NUL-terminated text on COM1.  Clobbers AX, DX, SI.
puts16:
        lodsb
        test al, al
        jz .done
        COM1_PUTC
        jmp puts16
.done:
        ret

        bits 32
; wake_tboot32: the tboot entry's way in (tboot-stub.asm), joining the
; firmware's path at pm32, so both reach the resident switcher alike.
;   Expects: 32-bit protected mode, paging, PAE and long mode off, flat code
;            and data selectors of any GDT, interrupts off, EBX = linear
;            address of the low page.  No stack.
;   Leaves:  as wake_entry16 (through pm32).
wake_tboot32:
        lea eax, [ebx + gdt]
        mov [ebx + gdtr + 2], eax
        lgdt [ebx + gdtr]
        lea eax, [ebx + pm32]
        mov [ebx + far_pm32], eax
        mov word [ebx + far_pm32 + 4], SEL_CODE32
        jmp far [ebx + far_pm32]

; pm32: flat 32-bit protected mode, paging off, the blob's GDT loaded; EBX
; = page base.  Whichever way the CPU came in, the way back to real mode
; (wake_exit64) needs the 16-bit descriptors based at this page and its
; real-mode segment: both are filled in here.
pm32:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov eax, ebx
        mov [ebx + gdt + SEL_CODE16 + 2], ax
        mov [ebx + gdt + SEL_DATA16 + 2], ax
        shr eax, 16
        mov [ebx + gdt + SEL_CODE16 + 4], al
        mov [ebx + gdt + SEL_DATA16 + 4], al
        mov [ebx + gdt + SEL_CODE16 + 7], ah
        mov [ebx + gdt + SEL_DATA16 + 7], ah
        mov eax, ebx
        shr eax, 4
        mov [ebx + params + WP_REAL_CS], ax
        mov eax, cr4
        or eax, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
        mov cr4, eax
        mov eax, [ebx + params + WP_CR3]
        mov cr3, eax
        mov ecx, MSR_EFER
        rdmsr
        or eax, EFER_LME
        wrmsr
        mov eax, cr0
        and eax, ~(CR0_CD | CR0_NW | CR0_EM | CR0_TS)
        or eax, CR0_PG | CR0_PE | CR0_MP
        mov cr0, eax
        lea eax, [ebx + lm64]
        push dword SEL_CODE64
        push eax
        retf

        bits 64
lm64:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov ebx, ebx                    ; upper half is undefined after the switch
        mov rsp, [rbx + params + WP_STACK_TOP]
        xor ebp, ebp
        mov rdi, rbx
        mov rax, [rbx + params + WP_ENTRY64]
        call rax
.hang:
        cli
        hlt
        jmp .hang

; ---------------------------------------------------------------------------
; wake_exit64: back to real mode and into a guest's own waking vector.
;   Expects: long mode on the blob's GDT (after wake_entry16), identity
;            mapped low page, RDI = linear address of the low page, and
;            params.vector_cs:vector_ip set by C; called like a C function.
;   Leaves:  real mode, paging/PAE/long mode off, interrupts off, DS = ES =
;            SS = FS = GS = 0, IDTR = the real-mode IVT (0, 0x3ff), and far
;            jumps to vector_cs:vector_ip, as ACPI's FirmwareWakingVector
;            contract says.  The guest sets up its own stack.
;   Clobbers: everything; never returns.
wake_exit64:
        cli
        mov rbx, rdi
        mov ax, [rbx + params + WP_VECTOR_IP]
        mov [rbx + jmp_vector + 1], ax
        mov ax, [rbx + params + WP_VECTOR_CS]
        mov [rbx + jmp_vector + 3], ax
        mov ax, [rbx + params + WP_REAL_CS]
        mov [rbx + jmp_real + 3], ax
        lgdt [rbx + gdtr]
        lea rax, [rbx + exit32]
        push SEL_CODE32
        push rax
        o64 retf

        bits 32
exit32:
        mov ax, SEL_DATA
        mov ds, ax
        mov es, ax
        mov ss, ax
        LEAVE_LONG_MODE
        lidt [ebx + idt_real]
        jmp SEL_CODE16:exit16           ; CS base = this page: offsets are labels

        bits 16
exit16:
        mov ax, SEL_DATA16
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov eax, cr0
        and eax, ~CR0_PE
        mov cr0, eax
jmp_real:
        jmp 0:real_mode                 ; segment patched: this page >> 4
real_mode:
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
jmp_vector:
        jmp 0:0                         ; patched: the guest's vector

; ---------------------------------------------------------------------------
; wake_boot32: out of long mode into a 32-bit kernel's protected-mode entry,
; as Documentation/arch/x86/boot.rst ("32-bit BOOT PROTOCOL") asks.  Used for
; the first boot of an i386 slot, right after ExitBootServices, and for its
; cold boot from the resident switcher after a wake.
;   Expects: long mode, paging on with the low page identity mapped (UEFI's
;            tables or the resident ones), RDI = linear address of the low
;            page, params.entry32 / params.boot_params32 set by C (both below
;            4 GiB); called like a C function, from any stack.
;   Leaves:  32-bit protected mode, paging, PAE and long mode off, CR3 = 0,
;            interrupts off, DF = 0, the blob's boot GDT loaded with CS =
;            __BOOT_CS (0x10, flat 32-bit code), DS = ES = SS = FS = GS =
;            __BOOT_DS (0x18, flat data), ESI = boot_params, EBP = EDI =
;            EBX = 0, ESP at the top of the low page (the kernel sets its
;            own before it relies on one), and jumps to params.entry32.
;   Clobbers: everything; never returns.
        bits 64
wake_boot32:
        cli
        cld
        mov rbx, rdi
        ; This path may run without a wake before it (the first boot), so
        ; the boot GDT's pointer is filled in here, not by wake_entry16.
        lea eax, [rbx + boot_gdt]
        mov [rbx + boot_gdtr + 2], eax
        lgdt [rbx + boot_gdtr]
        lea rax, [rbx + boot32_compat]
        push BOOT_CS
        push rax
        o64 retf

        bits 32
; Compatibility mode on the boot GDT: turning paging off leaves long mode.
boot32_compat:
        mov ax, BOOT_DS
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        lea esp, [ebx + SW_WAKE_STACK_TOP]
        LEAVE_LONG_MODE
        mov esi, [ebx + params + WP_BOOT_PARAMS32]
        mov eax, [ebx + params + WP_ENTRY32]
        xor ebx, ebx
        xor ebp, ebp
        xor edi, edi
        jmp eax

; ---------------------------------------------------------------------------
        align 16
gdt:
        dq 0                            ; 0x00 null
        dq 0x00cf9a000000ffff           ; 0x08 code, 32-bit, flat
        dq 0x00cf92000000ffff           ; 0x10 data, flat
        dq 0x00af9a000000ffff           ; 0x18 code, 64-bit
        dq 0x00009a000000ffff           ; 0x20 code, 16-bit, base = page (patched)
        dq 0x000092000000ffff           ; 0x28 data, 16-bit, base = page (patched)
gdt_end:
        align 16
boot_gdt:
        dq 0                            ; 0x00 null
        dq 0                            ; 0x08 unused
        dq 0x00cf9a000000ffff           ; 0x10 __BOOT_CS: code, 32-bit, flat
        dq 0x00cf92000000ffff           ; 0x18 __BOOT_DS: data, flat
boot_gdt_end:
        align 8
boot_gdtr:
        dw boot_gdt_end - boot_gdt - 1
        dq 0                            ; base patched by wake_boot32
        align 8
gdtr:
        dw gdt_end - gdt - 1
        dq 0                            ; base patched at entry
idt_real:
        dw 0x3ff
        dq 0
far_pm32:
        dd 0                            ; m16:32 for wake_tboot32's far jump
        dw 0

msg_wake:
        db "switcher: S3 wake", 13, 10, 0

        align 8
params:
        times WP_SIZE db 0
blob_end:

; The blob's share of the low page (wake16.h).  A negative TIMES count
; makes nasm fail the build.
        times SW_WAKE_BUDGET - ($ - $$) db 0xcc
