/* SPDX-License-Identifier: MIT */
/*
 * The resident switcher's boot-time setup: while boot services still run,
 * the wake blob goes to the low page below 1 MiB, the resident block gets
 * its identity page tables and IDT, and the blob's parameter block learns
 * where to go at a wake.  The fault report that IDT leads to lives here
 * too.
 */
#include "sw-efi.h"
#include "pagetable.h"
#include "resident.h"
#include "trampoline.h"

#include <string.h>

struct resident res;

/* An IDT gate: 64-bit interrupt gate on the wake GDT's code selector. */
struct idt_gate {
        uint16_t off0;
        uint16_t sel;
        uint8_t ist;
        uint8_t type;
        uint16_t off1;
        uint32_t off2;
        uint32_t zero;
} __attribute__((packed));

_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");
_Static_assert(SW_EXC_VECTORS * sizeof(struct idt_gate) <= SW_PAGE_SIZE, "the IDT fits its resident page");

#define IDT_INTERRUPT_GATE 0x8e         /* present, DPL 0, 64-bit interrupt gate */

int wake_setup(uint64_t map_top, struct sw_diag *d)
{
        const uint8_t *blob = sw_wake16_start;
        size_t len = (size_t)(sw_wake16_end - sw_wake16_start);
        uint32_t magic, params_off, exit_off, boot32_off, size;
        struct sw_wake_params *wp;
        struct idt_gate *idt;
        uint64_t cr3, t0, t1;

        /* The blob's header is checked against the C side's idea of it:
         * the same numbers, from wake16.h, went into the nasm build. */
        memcpy(&magic, blob + SW_WAKE_HDR_MAGIC, 4);
        memcpy(&exit_off, blob + SW_WAKE_HDR_EXIT, 4);
        memcpy(&params_off, blob + SW_WAKE_HDR_PARAMS, 4);
        memcpy(&size, blob + SW_WAKE_HDR_SIZE, 4);
        memcpy(&boot32_off, blob + SW_WAKE_HDR_BOOT32, 4);
        if (magic != SW_WAKE_MAGIC || size > len || len > SW_WAKE_BUDGET || exit_off >= size ||
            boot32_off >= size || params_off + sizeof(struct sw_wake_params) > size) {
                sw_diagf(d, SW_ERROR, "wake blob: bad header (magic 0x%x, size %u)", magic, size);
                return -1;
        }
        CopyMem((void *)(uintptr_t)res.low_page, (void *)(uintptr_t)blob, len);

        cr3 = sw_pt_build((void *)(uintptr_t)res.lay.tables, res.lay.tables, res.lay.end - res.lay.tables, map_top);
        if (!cr3) {
                sw_diagf(d, SW_ERROR, "resident: cannot build page tables up to 0x%llx", (unsigned long long)map_top);
                return -1;
        }
        idt = (struct idt_gate *)(uintptr_t)res.lay.idt;
        SetMem(idt, SW_PAGE_SIZE, 0);
        for (unsigned v = 0; v < SW_EXC_VECTORS; v++) {
                uint64_t h = (uint64_t)(uintptr_t)(sw_exc_stubs + v * SW_EXC_STUB_STRIDE);

                idt[v] = (struct idt_gate){ .off0 = (uint16_t)h, .sel = SW_WAKE_SEL_CODE64,
                                            .type = IDT_INTERRUPT_GATE, .off1 = (uint16_t)(h >> 16),
                                            .off2 = (uint32_t)(h >> 32) };
        }
        /* No slot has been saved yet: every header reads "never saved". */
        SetMem((void *)(uintptr_t)res.lay.saves, res.lay.stack_base - res.lay.saves, 0);
        wp = wake_params(res.low_page);
        wp->cr3 = cr3;
        wp->entry64 = (uint64_t)(uintptr_t)sw_wake_entry;
        wp->stack_top = res.lay.stack_top & ~15ULL;

        /* TSC ticks per microsecond, for switch timings on serial and in the
         * mailbox.  20 ms of Stall is enough for three digits. */
        t0 = rdtsc();
        uefi_call_wrapper(BS->Stall, 1, 20000);
        t1 = rdtsc();
        res.tsc_per_us = (t1 - t0) / 20000;
        if (!res.tsc_per_us)
                res.tsc_per_us = 1;
        return 0;
}

void wake_load_idt(void)
{
        struct {
                uint16_t limit;
                uint64_t base;
        } __attribute__((packed)) idtr = { SW_EXC_VECTORS * sizeof(struct idt_gate) - 1, res.lay.idt };

        __asm__ volatile("lidt %0" : : "m"(idtr));
}

void sw_exception(const struct sw_exc_frame *f)
{
        uint64_t cr2, cr3;

        __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
        __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
        serial_printf("\nswitcher: EXCEPTION %llu (error 0x%llx) at rip 0x%llx cs 0x%llx rflags 0x%llx rsp 0x%llx\n",
                      (unsigned long long)f->vector, (unsigned long long)f->error, (unsigned long long)f->rip,
                      (unsigned long long)f->cs, (unsigned long long)f->rflags, (unsigned long long)f->rsp);
        serial_printf("switcher: cr2 0x%llx cr3 0x%llx rax 0x%llx rbx 0x%llx rcx 0x%llx rdx 0x%llx\n",
                      (unsigned long long)cr2, (unsigned long long)cr3, (unsigned long long)f->rax,
                      (unsigned long long)f->rbx, (unsigned long long)f->rcx, (unsigned long long)f->rdx);
        serial_printf("switcher: rsi 0x%llx rdi 0x%llx rbp 0x%llx; image at 0x%llx; halting\n",
                      (unsigned long long)f->rsi, (unsigned long long)f->rdi, (unsigned long long)f->rbp,
                      (unsigned long long)(uintptr_t)&res);
        for (;;)
                __asm__ volatile("cli; hlt");
}
