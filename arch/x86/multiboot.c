/*
 * Reads the multiboot2 information GRUB leaves us into struct boot_info:
 * usable RAM, the command line and the ACPI RSDP. Only arch_start() calls it,
 * before anything allocates memory the information might sit in.
 */
#define LOG_SUBSYS "boot"
#include <stdint.h>
#include "kernel/boot.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "internal.h"

#define MB2_BOOT_MAGIC		0x36d76289
#define MB2_TAG_END		0
#define MB2_TAG_CMDLINE		1
#define MB2_TAG_MMAP		6
#define MB2_TAG_ACPI_OLD	14
#define MB2_TAG_ACPI_NEW	15
#define MB2_MEM_AVAILABLE	1

struct mb2_tag {
	uint32_t type;
	uint32_t size;
};

struct mb2_mmap {
	uint32_t type;
	uint32_t size;
	uint32_t entry_size;
	uint32_t entry_version;
};

struct mb2_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;
	uint32_t reserved;
};

struct boot_info boot_info;

extern char _kernel_end[];

/* Keep the usable list sorted by base so the frame allocator can walk it in order. */
static void add_ram(struct boot_info *bi, uint64_t base, uint64_t len)
{
	unsigned i;

	if (len == 0 || bi->nram == BOOT_MAX_REGIONS)
		return;
	for (i = bi->nram; i > 0 && bi->ram[i - 1].base > base; i--)
		bi->ram[i] = bi->ram[i - 1];
	bi->ram[i].base = base;
	bi->ram[i].len = len;
	bi->nram++;
}

static void parse_mmap(struct boot_info *bi, const struct mb2_mmap *m)
{
	const uint8_t *p = (const uint8_t *)(m + 1);
	const uint8_t *end = (const uint8_t *)m + m->size;

	for (; p + m->entry_size <= end; p += m->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;

		if (e->type == MB2_MEM_AVAILABLE)
			add_ram(bi, e->base, e->len);
	}
}

static void copy_cmdline(struct boot_info *bi, const struct mb2_tag *t)
{
	size_t n = t->size - sizeof(*t);

	if (n >= sizeof(bi->cmdline))
		n = sizeof(bi->cmdline) - 1;
	memcpy(bi->cmdline, t + 1, n);
	bi->cmdline[n] = '\0';
}

static void copy_rsdp(struct boot_info *bi, const struct mb2_tag *t)
{
	size_t n = t->size - sizeof(*t);

	if (n > sizeof(bi->rsdp))
		n = sizeof(bi->rsdp);
	memcpy(bi->rsdp, t + 1, n);
	bi->rsdp_len = n;
}

/*
 * The information sits below 1 GiB, which the boot page tables map at DIRECT_MAP.
 * A wrong magic means we were not started by a multiboot2 loader: nothing to trust.
 */
void multiboot_parse(uint32_t magic, uint64_t mbi_phys)
{
	const uint8_t *mbi = phys_to_virt(mbi_phys);
	uint32_t total = *(const uint32_t *)mbi;
	const uint8_t *p = mbi + 8;

	if (magic != MB2_BOOT_MAGIC)
		panic("not started by a multiboot2 loader (magic %#x)", magic);
	boot_info.image_end = (uint64_t)_kernel_end - KERNEL_VMA;
	while (p + sizeof(struct mb2_tag) <= mbi + total) {
		const struct mb2_tag *t = (const void *)p;

		if (t->type == MB2_TAG_END)
			break;
		if (t->type == MB2_TAG_MMAP)
			parse_mmap(&boot_info, (const void *)t);
		else if (t->type == MB2_TAG_CMDLINE)
			copy_cmdline(&boot_info, t);
		else if (t->type == MB2_TAG_ACPI_OLD || t->type == MB2_TAG_ACPI_NEW)
			copy_rsdp(&boot_info, t);
		p += (t->size + 7) & ~7u;
	}
	if (boot_info.nram == 0)
		panic("multiboot2 memory map lists no usable RAM");
}
