/*
 * The architecture's part of the boot self-test: a real device interrupt end to
 * end. PIT channel 0 fires once, the I/O APIC routes ISA IRQ 0 (through the
 * firmware's override, GSI 2 on QEMU) to a freshly allocated vector on this CPU.
 */
#include <stdint.h>
#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "kernel/irq.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "x86.h"

#define PIT_CH0		0x40
#define PIT_CMD		0x43
#define PIT_IRQ		0
#define WAIT_NS		(2 * NSEC_PER_SEC)

struct irq_test {
	struct wait_queue wq;
	struct timer watchdog;
	volatile unsigned fired;
	volatile bool timed_out;
};

static void pit_fired(void *arg)
{
	struct irq_test *t = arg;

	t->fired++;
	wake_up_all(&t->wq);
}

static void watchdog_fired(struct timer *timer)
{
	struct irq_test *t = timer->arg;

	t->timed_out = true;
	wake_up_all(&t->wq);
}

const char *arch_selftest(void)
{
	static struct irq_test t;
	int vector = irq_alloc(pit_fired, &t);
	const char *fail = NULL;

	if (vector < 0)
		return "irq: no free vector";
	wait_queue_init(&t.wq);
	t.fired = 0;
	t.timed_out = false;
	timer_init(&t.watchdog, watchdog_fired, &t);
	if (irq_route_isa(PIT_IRQ, vector, this_cpu()->id)) {
		fail = "irq: cannot route ISA IRQ 0 through the I/O APIC";
		goto out_release;
	}
	timer_arm(&t.watchdog, clock_ns() + WAIT_NS);
	outb(PIT_CMD, 0x30);		/* channel 0, lo/hi byte, mode 0: one interrupt */
	outb(PIT_CH0, 0x00);
	outb(PIT_CH0, 0x10);		/* 4096 ticks: about 3.4 ms */
	wait_event(&t.wq, t.fired || t.timed_out);
	timer_cancel(&t.watchdog);
	irq_mask_isa(PIT_IRQ);
	if (!t.fired)
		fail = "irq: the PIT interrupt never arrived through the I/O APIC";
out_release:
	irq_release(vector);
	return fail;
}
