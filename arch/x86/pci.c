/*
 * PCI enumeration through configuration mechanism #1 (ports 0xcf8/0xcfc): every
 * function on every bus is recorded with its decoded BARs and logged, so drivers
 * find their devices with pci_find().
 */
#define LOG_SUBSYS "pci"
#include <stdint.h>
#include "kernel/errno.h"
#include "kernel/cpu.h"
#include "kernel/mm.h"
#include "kernel/paging.h"
#include "kernel/pci.h"
#include "kernel/printk.h"
#include "internal.h"
#include "x86.h"

#define CONFIG_ADDR	0xcf8
#define CONFIG_DATA	0xcfc
#define PCI_ID		0x00
#define PCI_COMMAND	0x04
#define PCI_CLASS	0x08
#define PCI_HEADER	0x0c
#define PCI_BAR0	0x10
#define PCI_CAP_PTR	0x34
#define PCI_IRQ		0x3c
#define PCI_STATUS_CAPS	(1 << 20)
#define CMD_DECODE	0x3	/* I/O and memory space enable */
#define CMD_BUS_MASTER	0x4
#define CMD_INTX_OFF	0x400
#define CAP_MSIX	0x11
#define MSIX_ENABLE	(1u << 31)	/* in the capability's first dword */
#define MSIX_FUNC_MASK	(1u << 30)
#define MSIX_ENTRY_SIZE	16
#define MSI_ADDR_BASE	0xfee00000u

static struct list_head devices = LIST_HEAD_INIT(devices);

static uint32_t config_addr(uint8_t bus, uint8_t slot, uint8_t func, uint8_t off)
{
	return 0x80000000u | bus << 16 | slot << 11 | func << 8 | (off & 0xfc);
}

static uint32_t read_config(uint8_t bus, uint8_t slot, uint8_t func, uint8_t off)
{
	outl(CONFIG_ADDR, config_addr(bus, slot, func, off));
	return inl(CONFIG_DATA);
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
	return read_config(d->bus, d->slot, d->func, off);
}

void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
	outl(CONFIG_ADDR, config_addr(d->bus, d->slot, d->func, off));
	outl(CONFIG_DATA, v);
}

/* Size a BAR the standard way: write all ones, read back the mask, restore. */
static uint32_t bar_mask(struct pci_dev *d, uint8_t off)
{
	uint32_t old = pci_read32(d, off), mask;

	pci_write32(d, off, 0xffffffff);
	mask = pci_read32(d, off);
	pci_write32(d, off, old);
	return mask;
}

/* Decode BAR i; returns how many BAR slots it used (2 for a 64-bit BAR). */
static int decode_bar(struct pci_dev *d, int i)
{
	uint8_t off = PCI_BAR0 + 4 * i;
	uint32_t lo = pci_read32(d, off), mask = bar_mask(d, off);
	struct pci_bar *b = &d->bar[i];

	if (mask == 0)
		return 1;
	if (lo & 1) {
		b->kind = BAR_IO;
		b->base = lo & ~3u;
		b->size = (uint16_t)(~(mask & ~3u) + 1);
		return 1;
	}
	b->prefetchable = lo & 8;
	b->base = lo & ~0xfu;
	b->size = (uint32_t)(~(mask & ~0xfu) + 1);
	if (((lo >> 1) & 3) != 2 || i == 5) {
		b->kind = BAR_MEM32;
		return 1;
	}
	b->kind = BAR_MEM64;
	b->base |= (uint64_t)pci_read32(d, off + 4) << 32;
	b->size = ~(((uint64_t)bar_mask(d, off + 4) << 32) | (mask & ~0xfu)) + 1;
	return 2;
}

static void log_device(const struct pci_dev *d)
{
	static const char *const kinds[] = { "", "io", "mem32", "mem64" };

	pr_info("%02x:%02x.%x %04x:%04x class %02x.%02x irq %u", d->bus, d->slot, d->func,
		d->vendor, d->device, d->class, d->subclass, d->irq_line);
	for (int i = 0; i < 6; i++)
		if (d->bar[i].kind != BAR_NONE)
			pr_debug("  bar%d %s %#lx size %#lx%s", i, kinds[d->bar[i].kind],
				 d->bar[i].base, d->bar[i].size,
				 d->bar[i].prefetchable ? " prefetch" : "");
}

static void add_device(uint8_t bus, uint8_t slot, uint8_t func, uint32_t id)
{
	struct pci_dev *d = kzalloc(sizeof(*d));
	uint32_t class, cmd;

	if (!d) {
		pr_err("out of memory recording %02x:%02x.%x", bus, slot, func);
		return;
	}
	d->bus = bus, d->slot = slot, d->func = func;
	d->vendor = id & 0xffff;
	d->device = id >> 16;
	class = pci_read32(d, PCI_CLASS);
	d->class = class >> 24, d->subclass = class >> 16, d->prog_if = class >> 8;
	d->irq_line = pci_read32(d, PCI_IRQ) & 0xff;
	if (((pci_read32(d, PCI_HEADER) >> 16) & 0x7f) == 0) {
		cmd = pci_read32(d, PCI_COMMAND);
		pci_write32(d, PCI_COMMAND, cmd & ~CMD_DECODE);	/* no decoding while sizing */
		for (int i = 0; i < 6; i += decode_bar(d, i))
			;
		pci_write32(d, PCI_COMMAND, cmd);
	}
	list_add_tail(&d->link, &devices);
	log_device(d);
}

void pci_init(void)
{
	for (unsigned bus = 0; bus < 256; bus++) {
		for (uint8_t slot = 0; slot < 32; slot++) {
			uint32_t hdr = read_config(bus, slot, 0, PCI_HEADER);
			int nfunc = (hdr >> 16) & 0x80 ? 8 : 1;

			for (uint8_t func = 0; func < nfunc; func++) {
				uint32_t id = read_config(bus, slot, func, PCI_ID);

				if ((id & 0xffff) != 0xffff)
					add_device(bus, slot, func, id);
			}
		}
	}
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned index)
{
	struct list_head *p;

	list_for_each(p, &devices) {
		struct pci_dev *d = list_entry(p, struct pci_dev, link);

		if (d->vendor == vendor && d->device == device && index-- == 0)
			return d;
	}
	return NULL;
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t cap_id)
{
	uint8_t off;
	int guard = 48;		/* a looping capability list must not hang us */

	if (!(pci_read32(d, PCI_COMMAND) & PCI_STATUS_CAPS))
		return 0;
	off = pci_read32(d, PCI_CAP_PTR) & 0xfc;
	while (off && guard--) {
		uint32_t cap = pci_read32(d, off);

		if ((cap & 0xff) == cap_id)
			return off;
		off = (cap >> 8) & 0xfc;
	}
	return 0;
}

void pci_enable_dma(const struct pci_dev *d)
{
	uint32_t cmd = pci_read32(d, PCI_COMMAND) & 0xffff;

	pci_write32(d, PCI_COMMAND, cmd | CMD_BUS_MASTER | CMD_INTX_OFF);
}

/* Map the MSI-X table (it lives in one of the device's memory BARs). */
static int msix_map(struct pci_dev *d, uint8_t cap)
{
	uint32_t ctl = pci_read32(d, cap), table = pci_read32(d, cap + 4);
	const struct pci_bar *bar = &d->bar[table & 7];

	if ((table & 7) > 5 || (bar->kind != BAR_MEM32 && bar->kind != BAR_MEM64))
		return -ENODEV;
	d->msix_entries = ((ctl >> 16) & 0x7ff) + 1;
	d->msix_table = ioremap(bar->base + (table & ~7u), d->msix_entries * MSIX_ENTRY_SIZE);
	return 0;
}

int pci_msix_route(struct pci_dev *d, unsigned entry, int vector, unsigned cpu)
{
	uint8_t cap = pci_find_cap(d, CAP_MSIX);
	volatile uint32_t *e;
	int err;

	if (!cap)
		return -ENODEV;
	if (!d->msix_table && (err = msix_map(d, cap)))
		return err;
	if (entry >= d->msix_entries || cpu >= ncpus || vector < 0x20 || vector > 0xff)
		return -EINVAL;
	e = d->msix_table + entry * MSIX_ENTRY_SIZE / 4;
	e[0] = MSI_ADDR_BASE | cpus[cpu].apic_id << 12;
	e[1] = 0;
	e[2] = (uint32_t)vector;	/* fixed delivery, edge */
	e[3] = 0;			/* unmasked */
	pci_write32(d, cap, (pci_read32(d, cap) | MSIX_ENABLE) & ~MSIX_FUNC_MASK);
	return 0;
}
