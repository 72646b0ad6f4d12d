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
CR0_WP          equ 16                  ; bit numbers, for BTR/BTS
CR4_CET         equ 23
MSR_APIC_BASE   equ 0x1b
APIC_BASE_BSP   equ 1 << 8
APIC_BASE_EXTD  equ 1 << 10
MSR_X2APIC_ICR  equ 0x830
XAPIC_ICR_LO    equ 0x300
XAPIC_ICR_HI    equ 0x310
ICR_NMI         equ 0x4400              ; delivery mode NMI, level assert
RESET_CF9       equ 0xcf9
ENDBR_DWORD     equ 0xfa1e0ff3          ; F3 0F 1E FA, read as a dword
NMI_GATE        equ 2 * 16              ; vector 2 in a long-mode IDT

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
;            - anything else on an application processor (a panic there:
;              the kernel stopped the boot CPU in its own code, interrupts
;              off, local APIC soft-disabled, in HLT): ap_rescue, below.
;              The boot CPU then comes in here itself, through the kernel's
;              NMI entry, and takes the boot CPU's way; this one parks.
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
        sub rsp, 16
        ; An application processor with anything but WFS patches the
        ; kernel's NMI entry while the kernel's page tables are still on.
        mov esi, [rbp + data + TD_SHARED]
        cmp dword [rsi + TYPE_OFF], SW_TBOOT_WFS
        je .gdt
        mov ecx, MSR_APIC_BASE
        rdmsr
        test eax, APIC_BASE_BSP
        jnz .gdt
; .patch_nmi: make the kernel's NMI entry come to tboot_entry (inline:
; a call would push below this CPU's 16 bytes of stack).  The
; kernel loads one IDT on every CPU, so this CPU's vector 2 is the boot
; CPU's.  25 bytes over the entry's first instructions (after its ENDBR64,
; if any): RCX = the page-table base in this CPU's CR3 (the kernel's
; swapper_pg_dir, which maps this range 1:1 for its tboot), CR3 = RCX,
; then an indirect jump to tboot_entry.  The kernel's text is read-only: the
; write goes with CR0.WP off (CR4.CET off first, which WP needs).  The
; slot is about to start over, so its text is ours to change.
;   Expects: 64-bit mode, the kernel's page tables, RBP = this page, 10
;            bytes at RSP + 6 free.
;   Leaves:  CR0.WP on again, CR4.CET off.  Clobbers RAX, RCX, RDX.
.patch_nmi:
        sidt [rsp + 6]
        mov rdx, [rsp + 8]
        movzx eax, word [rdx + NMI_GATE + 6]
        shl eax, 16
        mov ax, [rdx + NMI_GATE]
        mov ecx, [rdx + NMI_GATE + 8]
        shl rcx, 32
        or rax, rcx
        mov rdx, rax                    ; the NMI entry's address
        cmp dword [rdx], ENDBR_DWORD
        jne .write
        add rdx, 4
.write:
        mov rax, cr4
        btr rax, CR4_CET
        mov cr4, rax
        mov rax, cr0
        btr rax, CR0_WP
        mov cr0, rax
        mov rcx, cr3
        mov rax, 0x7ffffffffffff000     ; the base, without PCID or no-flush bits
        and rcx, rax
        lea rax, [rbp + tboot_entry]
        mov word [rdx], 0xb948          ; 48 B9 imm64: mov rcx, imm64
        mov [rdx + 2], rcx
        mov dword [rdx + 10], 0x48d9220f ; 0F 22 D9: mov cr3, rcx; 48 ...
        mov byte [rdx + 14], 0xb8       ; ... B8 imm64: mov rax, imm64
        mov [rdx + 15], rax
        mov word [rdx + 23], 0xe0ff     ; FF E0: jmp rax
        mov rax, cr0
        bts rax, CR0_WP
        mov cr0, rax
.gdt:
        ; The stub's GDT, through a GDTR built on that stack.
        lea rax, [rbp + gdt]
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
        jz ap_rescue
        mov dword [ebp + data + TD_BSP_IN], 1
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

; ap_rescue: an application processor came with a restart, halt or
; power-off (the kernel panicked on it): the boot CPU sits in the kernel's
; stop_this_cpu(), where only an NMI (or INIT, which would send a boot CPU
; to the firmware's reset vector) reaches it.  patch_nmi_entry has made the
; kernel's NMI entry jump here; send the boot CPU that NMI, wait (bounded)
; until it is in, then park as a CPU going offline does.  If it never comes
; (stopped with NMIs blocked, say), say so and reset the machine rather
; than hang without a word.
;   Expects: 32-bit protected mode, paging off, EBP = this page, this CPU's
;            stack.
ap_rescue:
        mov eax, 1
        cpuid
        shr ebx, 24
        inc ebx
        mov [ebp + data + TD_RESCUER], ebx
        lea esi, [ebp + msg_rescue]
        call puts
        mfence                          ; the patch is visible before the NMI
        mov ecx, MSR_APIC_BASE
        rdmsr
        test eax, APIC_BASE_EXTD
        jz .xapic
        ; x2APIC: the ICR is one MSR, its destination the 32-bit x2APIC ID
        ; in EDX (the 8-bit initial APIC ID differs once IDs pass 255).
        mov edx, [ebp + data + TD_BSP_X2APIC]
        mov eax, ICR_NMI
        mov ecx, MSR_X2APIC_ICR
        wrmsr
        jmp .wait
.xapic:
        mov ebx, [ebp + data + TD_BSP_APIC]
        and eax, ~0xfff
        shl ebx, 24
        mov [eax + XAPIC_ICR_HI], ebx
        mov dword [eax + XAPIC_ICR_LO], ICR_NMI
.wait:
        rdtsc
        mov edi, edx
.spin:
        pause
        cmp dword [ebp + data + TD_BSP_IN], 0
        jne .in
        rdtsc
        sub edx, edi
        cmp edx, 2                      ; 2^33 TSC ticks: seconds at any clock
        jb .spin
        jmp ap_gives_up
.in:
        mov esi, [ebp + data + TD_SHARED]
        jmp park

ap_gives_up:
        lea esi, [ebp + msg_ap]
        call puts
.reset:
        mov dx, RESET_CF9
        mov al, 0x06                    ; full reset, as the reset control register does it
        out dx, al
.hang:
        hlt
        jmp .hang

; puts: the NUL-terminated string at ESI on COM1.  Clobbers EAX, EDX, ESI.
puts:
        mov al, [esi]
        test al, al
        jz .done
        COM1_PUTC
        inc esi
        jmp puts
.done:
        ret

msg_rescue:
        db "switcher: a guest stopped on an application processor (a panic there?): bringing its boot CPU over by NMI", 13, 10, 0
msg_ap:
        db "switcher: the boot CPU did not come over: resetting the machine", 13, 10, 0


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
