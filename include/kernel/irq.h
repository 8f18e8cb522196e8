/*
 * Device interrupts. A driver allocates a vector with its handler, then routes a
 * source to it: an ISA IRQ through the I/O APIC, or a PCI device's MSI-X entry
 * (pci_msix_route() in kernel/pci.h). Handlers run in interrupt context.
 */
#ifndef KERNEL_IRQ_H
#define KERNEL_IRQ_H

/* A free vector that will call handler(arg), or -ENOSPC. */
int irq_alloc(void (*handler)(void *arg), void *arg);
void irq_release(int vector);

/* Deliver ISA IRQ irq (honouring the firmware's overrides) to vector on cpu. */
int irq_route_isa(unsigned irq, int vector, unsigned cpu);
void irq_mask_isa(unsigned irq);

#endif
