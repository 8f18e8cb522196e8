/*
 * kmalloc/kfree: the portable size-class heap (kernel/slab.c) under one lock,
 * fed whole pages by the page allocator.
 */
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "kernel/slab.h"
#include "kernel/spinlock.h"
#include "lib/string.h"

static struct spinlock heap_lock = SPINLOCK_INIT("kmalloc");	/* heap */
static struct kheap heap;

static void *src_alloc(void *ctx, unsigned order)
{
	(void)ctx;
	return page_alloc_dirty(order);	/* kmalloc memory is uninitialized; kzalloc zeroes */
}

static void src_free(void *ctx, void *p)
{
	(void)ctx;
	page_free(p);
}

static unsigned src_order(void *ctx, void *p)
{
	(void)ctx;
	return page_order(p);
}

static const struct page_source pages = {
	.alloc = src_alloc,
	.free = src_free,
	.order_of = src_order,
};

void kmalloc_init(void)
{
	kheap_init(&heap, &pages);
}

void *kmalloc(size_t size)
{
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	void *p = kheap_alloc(&heap, size);

	spin_unlock_irqrestore(&heap_lock, flags);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	return p ? memset(p, 0, size) : NULL;
}

void kfree(void *p)
{
	unsigned long flags = spin_lock_irqsave(&heap_lock);
	int err = kheap_free(&heap, p);

	spin_unlock_irqrestore(&heap_lock, flags);
	if (err)
		panic("kfree(%p): not a kmalloc'd block", p);
}
