/*
 * Just enough ACPI to find the CPUs and the I/O APIC: RSDP (from the loader) ->
 * RSDT/XSDT -> MADT, which lists every processor QEMU was given, the I/O APIC and
 * how ISA IRQs map onto its inputs. Firmware tables are input like any other:
 * lengths and checksums are checked before use.
 */
#define LOG_SUBSYS "acpi"
#include <stdbool.h>
#include <stdint.h>
#include "kernel/boot.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "internal.h"

#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_OVERRIDE		2
#define LAPIC_ENABLED		0x1
#define LAPIC_ONLINE_CAPABLE	0x2

struct rsdp {
	char signature[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem[6];
	char oem_table[8];
	uint32_t oem_revision;
	uint32_t creator;
	uint32_t creator_revision;
} __attribute__((packed));

struct madt {
	struct sdt_header h;
	uint32_t lapic_addr;
	uint32_t flags;
} __attribute__((packed));

struct madt_lapic {
	uint8_t type, len, acpi_id, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, len, id, reserved;
	uint32_t addr;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_override {
	uint8_t type, len, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

static bool checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum == 0;
}

/* Map a table whose header says its own length; NULL if it is implausible or corrupt. */
static const struct sdt_header *map_table(uint64_t pa)
{
	const struct sdt_header *h = ioremap(pa, sizeof(*h));

	if (h->length < sizeof(*h) || h->length > (1u << 20))
		return NULL;
	h = ioremap(pa, h->length);
	return checksum_ok(h, h->length) ? h : NULL;
}

static const struct sdt_header *find_table(const char *sig)
{
	const struct rsdp *r = (const void *)boot_info.rsdp;
	bool xsdt = r->revision >= 2 && boot_info.rsdp_len >= sizeof(*r) && r->xsdt;
	const struct sdt_header *root;
	size_t entry = xsdt ? 8 : 4;

	if (boot_info.rsdp_len < 20 || memcmp(r->signature, "RSD PTR ", 8) || !checksum_ok(r, 20))
		return NULL;
	root = map_table(xsdt ? r->xsdt : r->rsdt);
	if (!root)
		return NULL;
	for (size_t off = sizeof(*root); off + entry <= root->length; off += entry) {
		const uint8_t *p = (const uint8_t *)root + off;
		uint64_t pa = 0;
		const struct sdt_header *t;

		memcpy(&pa, p, entry);
		t = map_table(pa);
		if (t && !memcmp(t->signature, sig, 4))
			return t;
	}
	return NULL;
}

static void parse_entry(struct acpi_madt *info, const uint8_t *p)
{
	const struct madt_lapic *l = (const void *)p;
	const struct madt_ioapic *io = (const void *)p;
	const struct madt_override *o = (const void *)p;

	if (l->type == MADT_LAPIC && l->len >= sizeof(*l)) {
		if ((l->flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE)) && info->ncpus < MAX_CPUS)
			info->apic_ids[info->ncpus++] = l->apic_id;
	} else if (io->type == MADT_IOAPIC && io->len >= sizeof(*io) && !info->ioapic_addr) {
		info->ioapic_addr = io->addr;
		info->ioapic_gsi_base = io->gsi_base;
	} else if (o->type == MADT_OVERRIDE && o->len >= sizeof(*o) && o->source < 16) {
		info->isa_gsi[o->source] = o->gsi;
		info->isa_flags[o->source] = o->flags;
	}
}

/* Read the MADT into info; -ENOENT without one (then we run on the boot CPU alone). */
int acpi_madt(struct acpi_madt *info)
{
	const struct madt *m = (const void *)find_table("APIC");
	const uint8_t *p, *end;

	memset(info, 0, sizeof(*info));
	for (unsigned irq = 0; irq < 16; irq++)
		info->isa_gsi[irq] = irq;	/* identity unless overridden */
	if (!m || m->h.length < sizeof(*m))
		return -ENOENT;
	p = (const uint8_t *)(m + 1);
	end = (const uint8_t *)m + m->h.length;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		parse_entry(info, p);
		p += p[1];
	}
	return 0;
}
