/*
 * Device interrupt vectors: who handles each one, and the I/O APIC that routes
 * ISA interrupts to them (MSI-X routing is in pci.c).
 */
#define LOG_SUBSYS "irq"
#include <stdint.h>
#include "kernel/errno.h"
#include "kernel/irq.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "internal.h"

#define NVECTORS	256
#define VEC_IRQ_LAST	0xef

#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOAPIC_VER	0x01
#define IOAPIC_REDIR	0x10
#define REDIR_ACTIVE_LOW (1u << 13)
#define REDIR_LEVEL	(1u << 15)
#define REDIR_MASKED	(1u << 16)
#define MPS_POLARITY_LOW 0x3
#define MPS_TRIGGER_LEVEL (0x3 << 2)

struct irq_handler {
	void (*fn)(void *arg);
	void *arg;
};

static struct spinlock irq_lock = SPINLOCK_INIT("irq");	/* handlers, ioapic registers */
static struct irq_handler handlers[NVECTORS];
static volatile uint32_t *ioapic;
static unsigned ioapic_pins;

int irq_alloc(void (*handler)(void *arg), void *arg)
{
	unsigned long flags = spin_lock_irqsave(&irq_lock);
	int vector = -ENOSPC;

	for (int v = VEC_IRQ_BASE; v <= VEC_IRQ_LAST; v++) {
		if (!handlers[v].fn) {
			handlers[v] = (struct irq_handler){ handler, arg };
			vector = v;
			break;
		}
	}
	spin_unlock_irqrestore(&irq_lock, flags);
	return vector;
}

void irq_release(int vector)
{
	unsigned long flags = spin_lock_irqsave(&irq_lock);

	if (vector >= VEC_IRQ_BASE && vector <= VEC_IRQ_LAST)
		handlers[vector] = (struct irq_handler){ 0 };
	spin_unlock_irqrestore(&irq_lock, flags);
}

/* Run the handler of a device vector; false if nobody owns it. */
bool irq_dispatch(unsigned vector)
{
	struct irq_handler h = vector < NVECTORS ? handlers[vector] : (struct irq_handler){ 0 };

	if (!h.fn)
		return false;
	h.fn(h.arg);
	return true;
}

static uint32_t ioapic_read(unsigned reg)
{
	ioapic[IOREGSEL / 4] = reg;
	return ioapic[IOWIN / 4];
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	ioapic[IOREGSEL / 4] = reg;
	ioapic[IOWIN / 4] = v;
}

/* Map the I/O APIC and mask every input until a driver routes one. */
void ioapic_init(void)
{
	if (!madt.ioapic_addr) {
		pr_warn("no I/O APIC in the MADT: ISA interrupts unavailable");
		return;
	}
	ioapic = ioremap(madt.ioapic_addr, 4096);
	ioapic_pins = ((ioapic_read(IOAPIC_VER) >> 16) & 0xff) + 1;
	for (unsigned pin = 0; pin < ioapic_pins; pin++)
		ioapic_write(IOAPIC_REDIR + 2 * pin, REDIR_MASKED);
}

/* The I/O APIC input carrying ISA IRQ irq, or -EINVAL. */
static int isa_pin(unsigned irq)
{
	unsigned pin;

	if (!ioapic || irq >= 16)
		return -EINVAL;
	pin = madt.isa_gsi[irq] - madt.ioapic_gsi_base;
	return pin < ioapic_pins ? (int)pin : -EINVAL;
}

int irq_route_isa(unsigned irq, int vector, unsigned cpu)
{
	int pin = isa_pin(irq);
	uint16_t mps = irq < 16 ? madt.isa_flags[irq] : 0;
	uint32_t lo = (uint32_t)vector;
	unsigned long flags;

	if (pin < 0 || vector < VEC_IRQ_BASE || vector > VEC_IRQ_LAST || cpu >= ncpus)
		return -EINVAL;
	if ((mps & MPS_POLARITY_LOW) == MPS_POLARITY_LOW)
		lo |= REDIR_ACTIVE_LOW;
	if ((mps & MPS_TRIGGER_LEVEL) == MPS_TRIGGER_LEVEL)
		lo |= REDIR_LEVEL;
	flags = spin_lock_irqsave(&irq_lock);
	ioapic_write(IOAPIC_REDIR + 2 * pin + 1, cpus[cpu].apic_id << 24);
	ioapic_write(IOAPIC_REDIR + 2 * pin, lo);
	spin_unlock_irqrestore(&irq_lock, flags);
	return 0;
}

void irq_mask_isa(unsigned irq)
{
	int pin = isa_pin(irq);
	unsigned long flags;

	if (pin < 0)
		return;
	flags = spin_lock_irqsave(&irq_lock);
	ioapic_write(IOAPIC_REDIR + 2 * pin, REDIR_MASKED);
	spin_unlock_irqrestore(&irq_lock, flags);
}
