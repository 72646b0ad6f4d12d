/* SPDX-License-Identifier: MIT */
/*
 * The tboot hand-off, EFI side: the entry stub (trampoline/tboot-stub.asm)
 * copied to the resident block's tboot range, every 64-bit slot's shared
 * page (switcher/tboot.h), and what the resident switcher does with the
 * CPUs when a guest came in that way instead of through the firmware.
 * docs/tboot-handoff.md has the kernel's side of the contract.
 */
#include "sw-efi.h"
#include "resident.h"
#include "tboot-stub.h"
#include "tboot.h"
#include "trampoline.h"

#include <string.h>

_Static_assert(SW_TBOOT_PARK_STRIDE * 256 <= SW_PAGE_SIZE, "every initial APIC ID has its stack in the park page");
_Static_assert(SW_TBOOT_STUB_BUDGET <= SW_PAGE_SIZE, "the stub fits its page");

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1ULL << 10)     /* x2APIC mode */
#define APIC_BASE_EN (1ULL << 11)
#define MSR_X2APIC_SVR 0x80f
#define MSR_X2APIC_ICR 0x830
#define XAPIC_SVR 0xf0
#define XAPIC_ICR_LO 0x300
#define XAPIC_ICR_HI 0x310
#define APIC_SVR_ENABLE (1u << 8)
#define ICR_BUSY (1u << 12)
/* INIT to all but this CPU, level triggered: assert, then de-assert, as the
 * kernel itself wakes a CPU. */
#define ICR_INIT_ASSERT 0xcc500u
#define ICR_INIT_DEASSERT 0xc8500u
/* The local APIC registers the reset below touches (xAPIC offsets; the
 * x2APIC MSR of offset r is 0x800 + r / 16). */
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_ISR 0x100
#define LAPIC_LVTT 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LINT0 0x350
#define LAPIC_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TMICT 0x380
#define LVT_MASKED (1u << 16)
#define LVT_EXTINT 0x700u
#define LVT_NMI 0x400u

/* How long the boot CPU waits for the last application processor to park. */
#define PARK_WAIT_US 200000

static uint32_t hdr32(unsigned off)
{
        return *(const uint32_t *)(uintptr_t)(res.lay.tboot + off);
}

static struct sw_tboot_stub_data *stub_data(void)
{
        return (struct sw_tboot_stub_data *)(uintptr_t)(res.lay.tboot + hdr32(SW_TBOOT_HDR_DATA));
}

static uint64_t rdmsr(uint32_t msr)
{
        uint32_t lo, hi;

        __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
        return ((uint64_t)hi << 32) | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
        __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
        __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* This CPU's initial APIC ID (CPUID leaf 1, EBX[31:24]), as the stub
 * reads it: the destination of the NMI an application processor sends to
 * bring the boot CPU over while the kernel keeps the xAPIC on. */
static uint32_t initial_apic_id(void)
{
        uint32_t r[4];

        cpuid(1, 0, r);
        return r[1] >> 24;
}

/*
 * This CPU's x2APIC ID: the 32-bit destination the x2APIC ICR takes, the
 * NMI's destination when the kernel has turned x2APIC on.  CPUID leaf 0xB
 * gives it in EDX whatever the APIC's mode; the leaf exists when the
 * highest basic leaf is at least 0xB and its sub-leaf 0 reports a level
 * (EBX[15:0] not 0).  A CPU without the leaf has no x2APIC ID wider than
 * its initial APIC ID, which is then the answer.
 */
static uint32_t x2apic_id(void)
{
        uint32_t r[4];

        cpuid(0, 0, r);
        if (r[0] < 0xB)
                return initial_apic_id();
        cpuid(0xB, 0, r);
        if ((r[1] & 0xffff) == 0)
                return initial_apic_id();
        return r[3];
}

static void udelay(uint64_t us)
{
        uint64_t end = rdtsc() + us * res.tsc_per_us;

        while (rdtsc() < end)
                __asm__ volatile("pause");
}

int tboot_setup(unsigned nslots, struct sw_diag *d)
{
        const uint8_t *blob = sw_tboot_stub_start;
        size_t len = (size_t)(sw_tboot_stub_end - sw_tboot_stub_start);
        uint32_t magic, entry, data, size, nmi;
        struct sw_tboot_stub_data *sd;
        uint64_t h;

        memcpy(&magic, blob + SW_TBOOT_HDR_MAGIC, 4);
        memcpy(&entry, blob + SW_TBOOT_HDR_ENTRY, 4);
        memcpy(&data, blob + SW_TBOOT_HDR_DATA, 4);
        memcpy(&size, blob + SW_TBOOT_HDR_SIZE, 4);
        memcpy(&nmi, blob + SW_TBOOT_HDR_NMI, 4);
        if (magic != SW_TBOOT_STUB_MAGIC || len > SW_TBOOT_STUB_BUDGET || size > len || entry >= size ||
            nmi >= size || data + sizeof(struct sw_tboot_stub_data) > size) {
                sw_diagf(d, SW_ERROR, "tboot stub: bad header (magic 0x%x, size %u)", magic, size);
                return -1;
        }
        CopyMem((void *)(uintptr_t)res.lay.tboot, (void *)(uintptr_t)blob, len);
        SetMem((void *)(uintptr_t)(res.lay.tboot + SW_PAGE_SIZE), SW_PAGE_SIZE, 0);
        sd = stub_data();
        SetMem(sd, sizeof(*sd), 0);
        /* Vector 2 only: a 32-bit interrupt gate (present, DPL 0) on the
         * stub's code selector, to a bare IRET. */
        h = res.lay.tboot + nmi;
        sd->idt[2] = (h & 0xffff) | ((uint64_t)SW_TBOOT_SEL_CODE32 << 16) | (0x8eULL << 40) |
                     ((h >> 16) << 48);
        sd->wake_tboot32 = (uint32_t)wake_entry(res.low_page, SW_WAKE_HDR_TBOOT32);
        sd->low_page = (uint32_t)res.low_page;
        sd->park = (uint32_t)(res.lay.tboot + SW_PAGE_SIZE);
        /* tboot_setup() runs on the boot CPU, the one the slots boot on. */
        sd->bsp_apic = initial_apic_id();
        sd->bsp_x2apic = x2apic_id();
        res.tboot_size = sw_resident_tboot_size(nslots);
        return 0;
}

void tboot_slot_reset(const struct slot_rt *rt)
{
        if (!rt->tboot)
                return;
        sw_tboot_page_init((struct sw_tboot_shared *)(uintptr_t)rt->tboot,
                           (uint32_t)(res.lay.tboot + hdr32(SW_TBOOT_HDR_ENTRY)), (uint32_t)res.lay.tboot,
                           (uint32_t)res.tboot_size);
}

void tboot_enter_slot(const struct slot_rt *rt)
{
        struct sw_tboot_stub_data *sd = stub_data();

        sd->shared = (uint32_t)rt->tboot;
        sd->wfs = 0;
        sd->bsp_in = 0;
        sd->rescuer = 0;
}

int tboot_take_rescuer(void)
{
        struct sw_tboot_stub_data *sd = stub_data();
        uint32_t r = sd->rescuer;

        sd->rescuer = 0;
        return (int)r - 1;
}

bool tboot_take_entry(uint32_t *type)
{
        struct sw_tboot_stub_data *sd = stub_data();
        uint32_t e = sd->entered;

        sd->entered = 0;
        if (!e)
                return false;
        *type = e - 1;
        return true;
}

unsigned tboot_quiesce_aps(unsigned expect)
{
        volatile struct sw_tboot_stub_data *sd = stub_data();
        uint64_t base = rdmsr(MSR_APIC_BASE), end = rdtsc() + PARK_WAIT_US * res.tsc_per_us;

        /* The kernel reports its last application processor dead before
         * that CPU reaches the entry; give it the moment it needs. */
        while (sd->wfs < expect && rdtsc() < end)
                __asm__ volatile("pause");
        /* Whatever each one is doing, INIT leaves it waiting for a SIPI,
         * which only the next kernel sends: none can run (an NMI, a machine
         * check) in memory that is about to belong to another slot. */
        if (base & APIC_BASE_EN) {
                if (base & APIC_BASE_EXTD) {
                        wrmsr(MSR_X2APIC_SVR, rdmsr(MSR_X2APIC_SVR) | APIC_SVR_ENABLE);
                        wrmsr(MSR_X2APIC_ICR, ICR_INIT_ASSERT);
                        udelay(200);
                        wrmsr(MSR_X2APIC_ICR, ICR_INIT_DEASSERT);
                } else {
                        volatile uint32_t *apic = (volatile uint32_t *)(uintptr_t)(base & ~0xfffULL);

                        apic[XAPIC_SVR / 4] |= APIC_SVR_ENABLE;
                        apic[XAPIC_ICR_HI / 4] = 0;
                        apic[XAPIC_ICR_LO / 4] = ICR_INIT_ASSERT;
                        while (apic[XAPIC_ICR_LO / 4] & ICR_BUSY)
                                __asm__ volatile("pause");
                        udelay(200);
                        apic[XAPIC_ICR_LO / 4] = ICR_INIT_DEASSERT;
                        while (apic[XAPIC_ICR_LO / 4] & ICR_BUSY)
                                __asm__ volatile("pause");
                }
        }
        return sd->wfs;
}

static uint32_t lapic_read(uint64_t base, unsigned reg)
{
        if (base & APIC_BASE_EXTD)
                return (uint32_t)rdmsr(0x800 + reg / 16);
        return *(volatile uint32_t *)(uintptr_t)((base & ~0xfffULL) + reg);
}

static void lapic_write(uint64_t base, unsigned reg, uint32_t v)
{
        if (base & APIC_BASE_EXTD)
                wrmsr(0x800 + reg / 16, v);
        else
                *(volatile uint32_t *)(uintptr_t)((base & ~0xfffULL) + reg) = v;
}

void tboot_irq_reset(void)
{
        uint64_t base = rdmsr(MSR_APIC_BASE);

        if (base & APIC_BASE_EN) {
                /* The timer stopped, every local interrupt masked but the
                 * virtual wire (LINT0 ExtINT, LINT1 NMI) firmware leaves,
                 * nothing in service, every priority accepted. */
                lapic_write(base, LAPIC_TMICT, 0);
                lapic_write(base, LAPIC_LVTT, LVT_MASKED);
                lapic_write(base, LAPIC_LVT_THERMAL, LVT_MASKED);
                lapic_write(base, LAPIC_LVT_PERF, LVT_MASKED);
                lapic_write(base, LAPIC_LVT_ERROR, LVT_MASKED);
                lapic_write(base, LAPIC_LINT0, LVT_EXTINT);
                lapic_write(base, LAPIC_LINT1, LVT_NMI);
                lapic_write(base, LAPIC_TPR, 0);
                for (unsigned n = 0; n < 256; n++) {
                        bool busy = false;

                        for (unsigned i = 0; i < 8; i++)
                                busy |= lapic_read(base, LAPIC_ISR + i * 0x10) != 0;
                        if (!busy)
                                break;
                        lapic_write(base, LAPIC_EOI, 0);
                }
        }
        /* Every I/O APIC pin masked, as firmware hands them over. */
        for (unsigned k = 0; k < res.irq_hw.nioapic; k++) {
                volatile uint32_t *sel = (volatile uint32_t *)(uintptr_t)res.irq_hw.ioapic[k];
                volatile uint32_t *win = (volatile uint32_t *)(uintptr_t)(res.irq_hw.ioapic[k] + 0x10);
                unsigned pins;

                *sel = 1;
                pins = ((*win >> 16) & 0xff) + 1;
                for (unsigned i = 0; i < pins; i++) {
                        *sel = 0x10 + 2 * i;
                        *win = LVT_MASKED;
                        *sel = 0x11 + 2 * i;
                        *win = 0;
                }
        }
        /* The HPET stopped and out of legacy replacement. */
        if (res.irq_hw.hpet) {
                volatile uint64_t *cfg = (volatile uint64_t *)(uintptr_t)(res.irq_hw.hpet + 0x10);

                *cfg &= ~3ULL;
        }
}

/* One PM1 control write, as the GAS in the shared page says. */
static void pm1_write(const struct sw_tboot_gas *g, uint16_t v)
{
        if (!g->address)
                return;
        if (g->space_id == 1)
                __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"((uint16_t)g->address));
        else
                *(volatile uint16_t *)(uintptr_t)g->address = v;
}

void tboot_power_off(const struct slot_rt *rt)
{
        const struct sw_tboot_shared *t = (const struct sw_tboot_shared *)(uintptr_t)rt->tboot;

        /* The values the guest computed for S5, in ACPICA's order. */
        pm1_write(&t->acpi_sinfo.pm1a_cnt_blk, t->acpi_sinfo.pm1a_cnt_val);
        pm1_write(&t->acpi_sinfo.pm1b_cnt_blk, t->acpi_sinfo.pm1b_cnt_val);
        udelay(100000);
}

void tboot_reset_machine(void)
{
        /* The reset control register of PC chipsets: a full reset. */
        __asm__ volatile("outb %0, %1" : : "a"((uint8_t)0x06), "Nd"((uint16_t)0xcf9));
        udelay(100000);
}
