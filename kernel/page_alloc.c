/*
 * The physical page allocator. Until the buddy zone exists, pages come from a bump
 * allocator right after the kernel image (inside the first GiB, which the boot page
 * tables already map); those pages stay reserved for good.
 */
#define LOG_SUBSYS "mem"
#include "kernel/boot.h"
#include "kernel/buddy.h"
#include "kernel/mm.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "lib/string.h"

#define LOW_LIMIT	0x100000UL		/* below 1 MiB: BIOS data and the AP trampoline */
#define EARLY_LIMIT	0x40000000UL		/* the boot tables map the first GiB */

static struct spinlock zone_lock = SPINLOCK_INIT("pages");	/* zone */
static struct buddy_zone zone;
static bool zone_ready;
static uint64_t early_next, early_end;	/* physical bump range */
static size_t total_pages;

void page_alloc_early_init(const struct boot_info *bi)
{
	uint64_t start = PAGE_ALIGN_UP(bi->image_end);

	for (unsigned i = 0; i < bi->nram; i++) {
		uint64_t end = bi->ram[i].base + bi->ram[i].len;

		if (bi->ram[i].base <= start && start < end) {
			early_next = start;
			early_end = end < EARLY_LIMIT ? end : EARLY_LIMIT;
			return;
		}
	}
	panic("no usable RAM after the kernel image at %#lx", start);
}

static void *early_alloc(unsigned npages)
{
	uint64_t pa = early_next;

	if (early_next + npages * PAGE_SIZE > early_end)
		return NULL;
	early_next += npages * PAGE_SIZE;
	return memset(phys_to_virt(pa), 0, npages * PAGE_SIZE);
}

/* Hand every usable page above the early area to the buddy zone. */
void page_alloc_init(const struct boot_info *bi)
{
	uint64_t top = bi->ram[bi->nram - 1].base + bi->ram[bi->nram - 1].len;
	size_t npages = (PAGE_ALIGN_DOWN(top) - LOW_LIMIT) / PAGE_SIZE;
	void *meta = early_alloc(PAGE_ALIGN_UP(buddy_meta_size(npages)) / PAGE_SIZE);

	if (!meta)
		panic("no room for page metadata (%zu pages)", npages);
	buddy_init(&zone, (uintptr_t)phys_to_virt(LOW_LIMIT), npages, meta);
	for (unsigned i = 0; i < bi->nram; i++) {
		uint64_t base = PAGE_ALIGN_UP(bi->ram[i].base);
		uint64_t end = PAGE_ALIGN_DOWN(bi->ram[i].base + bi->ram[i].len);

		if (base < early_next)
			base = early_next;
		if (base < end) {
			buddy_release(&zone, (uintptr_t)phys_to_virt(base), (end - base) / PAGE_SIZE);
			total_pages += (end - base) / PAGE_SIZE;
		}
	}
	zone_ready = true;
	pr_info("%zu MiB usable, %zu KiB for the kernel image and early tables",
		total_pages * PAGE_SIZE >> 20, (early_next - LOW_LIMIT) >> 10);
}

void *page_alloc_dirty(unsigned order)
{
	unsigned long flags;
	void *p;

	if (!zone_ready)
		return order == 0 ? early_alloc(1) : NULL;
	flags = spin_lock_irqsave(&zone_lock);
	p = buddy_alloc(&zone, order);
	spin_unlock_irqrestore(&zone_lock, flags);
	return p;
}

void *page_alloc(unsigned order)
{
	void *p = page_alloc_dirty(order);

	return p ? memset(p, 0, PAGE_SIZE << order) : NULL;
}

void page_free(void *p)
{
	unsigned long flags = spin_lock_irqsave(&zone_lock);
	int err = buddy_free(&zone, p);

	spin_unlock_irqrestore(&zone_lock, flags);
	if (err)
		panic("page_free(%p): not an allocated block", p);
}

/* Order of the allocated block at p, for kfree() of large blocks. */
unsigned page_order(void *p)
{
	unsigned long flags = spin_lock_irqsave(&zone_lock);
	unsigned order = buddy_order_of(&zone, p);

	spin_unlock_irqrestore(&zone_lock, flags);
	return order;
}

size_t page_free_count(void)
{
	return zone.nfree;
}

size_t page_total_count(void)
{
	return total_pages;
}
