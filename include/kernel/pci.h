/*
 * PCI devices found at boot (arch/x86/pci.c): identity, class and decoded BARs,
 * for drivers to look up; configuration space access; MSI-X interrupt routing.
 */
#ifndef KERNEL_PCI_H
#define KERNEL_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/list.h"

enum pci_bar_kind { BAR_NONE, BAR_IO, BAR_MEM32, BAR_MEM64 };

struct pci_bar {
	enum pci_bar_kind kind;
	uint64_t base;
	uint64_t size;
	bool prefetchable;
};

struct pci_dev {
	uint8_t bus, slot, func;
	uint16_t vendor, device;
	uint8_t class, subclass, prog_if;
	uint8_t irq_line;
	struct pci_bar bar[6];
	struct list_head link;		/* on the device list; fixed after boot */
	volatile uint32_t *msix_table;	/* mapped by the first pci_msix_route() */
	uint16_t msix_entries;
};

/* The index'th device with this vendor and device id, or NULL. */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned index);
uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
/* Offset of the capability with this id in config space, or 0. */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t cap_id);
/* Let the device bus-master (DMA) and turn its legacy INTx off. */
void pci_enable_dma(const struct pci_dev *d);
/* Point MSI-X table entry at vector on cpu and enable MSI-X; -ENODEV/-EINVAL. */
int pci_msix_route(struct pci_dev *d, unsigned entry, int vector, unsigned cpu);

#endif
