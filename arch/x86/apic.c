/*
 * The local APIC of each CPU: interrupt acknowledge, inter-processor interrupts
 * (reschedule, TLB shootdown, stop, AP startup) and the one-shot timer that
 * kernel/timer.c programs for its next deadline.
 */
#define LOG_SUBSYS "apic"
#include <stdint.h>
#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/time.h"
#include "internal.h"
#include "x86.h"

#define APIC_ID		0x020
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_TIMER_INIT	0x380
#define APIC_TIMER_CUR	0x390
#define APIC_TIMER_DIV	0x3e0

#define SVR_ENABLE	0x100
#define LVT_MASKED	0x10000
#define ICR_PENDING	0x1000
#define ICR_NMI		0x400
#define ICR_INIT	0x500
#define ICR_STARTUP	0x600
#define ICR_ASSERT	0x4000
#define ICR_OTHERS	0xc0000
#define DIV_16		0x3

static volatile uint32_t *apic;
static uint64_t apic_ticks_per_ms;

static inline uint32_t apic_read(unsigned reg)
{
	return apic[reg / 4];
}

static inline void apic_write(unsigned reg, uint32_t v)
{
	apic[reg / 4] = v;
}

uint32_t apic_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

static void icr_send(uint32_t dest, uint32_t cmd)
{
	unsigned long flags = irq_save();

	apic_write(APIC_ICR_HI, dest << 24);
	apic_write(APIC_ICR_LO, cmd);
	while (apic_read(APIC_ICR_LO) & ICR_PENDING)
		cpu_relax();
	irq_restore(flags);
}

void apic_send_ipi(uint32_t dest, uint8_t vector)
{
	icr_send(dest, vector);
}

void apic_send_ipi_others(uint8_t vector)
{
	icr_send(0, ICR_OTHERS | vector);
}

void apic_send_nmi_others(void)
{
	icr_send(0, ICR_OTHERS | ICR_NMI);
}

/* INIT, then two STARTUPs at the trampoline page, with the waits the MP spec asks. */
void apic_start_ap(uint32_t dest, uint8_t vector_page)
{
	icr_send(dest, ICR_INIT | ICR_ASSERT);
	clock_delay_ns(10 * NSEC_PER_MSEC);
	for (int i = 0; i < 2; i++) {
		icr_send(dest, ICR_STARTUP | vector_page);
		clock_delay_ns(200 * NSEC_PER_USEC);
	}
}

void arch_send_resched(unsigned cpu)
{
	apic_send_ipi(cpus[cpu].apic_id, VEC_RESCHED);
}

void arch_timer_arm(uint64_t deadline)
{
	uint64_t now = clock_ns(), count;

	if (deadline == 0) {
		apic_write(APIC_TIMER_INIT, 0);
		return;
	}
	count = deadline > now ? (deadline - now) * apic_ticks_per_ms / NSEC_PER_MSEC : 1;
	if (count == 0)
		count = 1;
	if (count > 0xffffffffULL)
		count = 0xffffffffULL;	/* fires early; timer.c re-arms */
	apic_write(APIC_TIMER_INIT, (uint32_t)count);
}

/* Enable this CPU's APIC with the timer in one-shot mode, stopped. */
void apic_init_cpu(void)
{
	apic_write(APIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	apic_write(APIC_TIMER_DIV, DIV_16);
	apic_write(APIC_LVT_TIMER, VEC_TIMER);
	apic_write(APIC_TIMER_INIT, 0);
}

static uint64_t apic_countdown(void)
{
	return 0xffffffffULL - apic_read(APIC_TIMER_CUR);
}

void apic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE) & ~0xfffULL, ns, ticks;

	/* Mask every line of the legacy 8259 PICs: all interrupts come via APICs. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	apic = ioremap(base, 4096);
	apic_init_cpu();
	apic_write(APIC_LVT_TIMER, VEC_TIMER | LVT_MASKED);
	apic_write(APIC_TIMER_INIT, 0xffffffff);
	ticks = pit_measure(apic_countdown, &ns);
	apic_write(APIC_TIMER_INIT, 0);
	apic_write(APIC_LVT_TIMER, VEC_TIMER);
	apic_ticks_per_ms = ticks * NSEC_PER_MSEC / ns;
	if (apic_ticks_per_ms == 0)
		panic("local APIC timer does not count");
	pr_info("local APIC %#lx id %u, timer %lu kHz", base, apic_id(), apic_ticks_per_ms);
}
