/*
 * Buddy allocator core: power-of-two blocks of pages over one zone, with intrusive free
 * lists. Used by the kernel frame allocator (under its lock) and by tests/unit/test_buddy.c.
 */
#include "kernel/buddy.h"
#include "kernel/errno.h"
#include "kernel/page.h"
#include "lib/string.h"

/*
 * Per-page metadata byte. Bits 0-3 hold a block's order, bits 4-5 its kind:
 * RESERVED pages belong to no block (never released, or outside usable memory);
 * a block's first page is a FREE or ALLOC head carrying the order; its other
 * pages are TAIL. Only heads change on split, merge, alloc and free, so each of
 * those is O(1) in metadata writes.
 */
#define META_ORDER_MASK 0x0f
#define META_RESERVED 0x00
#define META_TAIL 0x10
#define META_FREE 0x20
#define META_ALLOC 0x30
#define META_KIND_MASK 0x30

_Static_assert(BUDDY_MAX_ORDER <= META_ORDER_MASK, "order must fit the meta byte");

static inline size_t page_index(struct buddy_zone *z, uintptr_t addr)
{
	return (addr - z->base) >> PAGE_SHIFT;
}

static inline struct buddy_link *page_link(struct buddy_zone *z, size_t idx)
{
	return (struct buddy_link *)(z->base + (idx << PAGE_SHIFT));
}

static void list_push(struct buddy_zone *z, size_t idx, unsigned order)
{
	struct buddy_link *l = page_link(z, idx);

	l->prev = NULL;
	l->next = z->free[order];
	if (l->next)
		l->next->prev = l;
	z->free[order] = l;
	z->meta[idx] = META_FREE | order;
}

static void list_remove(struct buddy_zone *z, size_t idx, unsigned order)
{
	struct buddy_link *l = page_link(z, idx);

	if (l->prev)
		l->prev->next = l->next;
	else
		z->free[order] = l->next;
	if (l->next)
		l->next->prev = l->prev;
}

size_t buddy_meta_size(size_t npages)
{
	return npages;
}

/* base must be page-aligned and base + npages pages must not wrap. */
void buddy_init(struct buddy_zone *z, uintptr_t base, size_t npages, void *meta)
{
	unsigned order;

	z->base = base;
	z->npages = npages;
	z->nfree = 0;
	z->meta = meta;
	memset(meta, META_RESERVED, buddy_meta_size(npages));
	for (order = 0; order <= BUDDY_MAX_ORDER; order++)
		z->free[order] = NULL;
}

bool buddy_owns(struct buddy_zone *z, const void *p)
{
	uintptr_t a = (uintptr_t)p;

	return a >= z->base && ((a - z->base) >> PAGE_SHIFT) < z->npages;
}

/*
 * Put the block of 2^order pages at idx on the free lists, merging it with its
 * buddy for as long as the buddy is a free block of the same order.
 */
static void free_block(struct buddy_zone *z, size_t idx, unsigned order)
{
	z->nfree += (size_t)1 << order;
	while (order < BUDDY_MAX_ORDER) {
		size_t buddy = idx ^ ((size_t)1 << order);

		if (buddy >= z->npages || z->meta[buddy] != (META_FREE | order))
			break;
		list_remove(z, buddy, order);
		z->meta[buddy > idx ? buddy : idx] = META_TAIL;
		if (buddy < idx)
			idx = buddy;
		order++;
	}
	list_push(z, idx, order);
}

/* Largest order whose block at idx is aligned, ends by end and is all reserved. */
static unsigned release_order(struct buddy_zone *z, size_t idx, size_t end)
{
	unsigned order = 0;
	size_t i;

	while (order < BUDDY_MAX_ORDER) {
		size_t next = (size_t)1 << (order + 1);

		if ((idx & (next - 1)) || next > end - idx)
			break;
		order++;
	}
	for (i = 1; i < ((size_t)1 << order); i++)
		if (z->meta[idx + i] != META_RESERVED)
			break;
	while (((size_t)1 << order) > i)
		order--;
	return order;
}

/*
 * Make the whole pages inside [addr, addr + npages * PAGE_SIZE) allocatable. The range
 * is clipped to the zone, and pages that are not RESERVED (already released) are
 * skipped, so overlapping or repeated releases are harmless.
 */
void buddy_release(struct buddy_zone *z, uintptr_t addr, size_t npages)
{
	uintptr_t zone_end = z->base + (z->npages << PAGE_SHIFT);
	uintptr_t start = addr > z->base ? addr : z->base;
	uintptr_t end = zone_end;
	size_t idx, last;

	if (addr <= zone_end && npages <= (zone_end - addr) >> PAGE_SHIFT)
		end = addr + (npages << PAGE_SHIFT);
	if (start >= end)
		return;
	idx = page_index(z, PAGE_ALIGN_UP(start));
	last = page_index(z, PAGE_ALIGN_DOWN(end));
	while (idx < last) {
		unsigned order;

		if (z->meta[idx] != META_RESERVED) {
			idx++;
			continue;
		}
		order = release_order(z, idx, last);
		memset(&z->meta[idx + 1], META_TAIL, ((size_t)1 << order) - 1);
		free_block(z, idx, order);
		idx += (size_t)1 << order;
	}
}

void *buddy_alloc(struct buddy_zone *z, unsigned order)
{
	unsigned k = order;
	size_t idx;

	if (order > BUDDY_MAX_ORDER)
		return NULL;
	while (k <= BUDDY_MAX_ORDER && !z->free[k])
		k++;
	if (k > BUDDY_MAX_ORDER)
		return NULL;
	idx = page_index(z, (uintptr_t)z->free[k]);
	list_remove(z, idx, k);
	while (k > order) {
		k--;
		list_push(z, idx + ((size_t)1 << k), k);
	}
	z->meta[idx] = META_ALLOC | order;
	z->nfree -= (size_t)1 << order;
	return page_link(z, idx);
}

/*
 * Return the block whose head is p. Anything else (outside the zone, not page-aligned,
 * a tail page, a free or reserved page) is refused with -EINVAL before any state changes.
 */
int buddy_free(struct buddy_zone *z, void *p)
{
	uintptr_t a = (uintptr_t)p;
	size_t idx;

	if (!buddy_owns(z, p) || (a & (PAGE_SIZE - 1)))
		return -EINVAL;
	idx = page_index(z, a);
	if ((z->meta[idx] & META_KIND_MASK) != META_ALLOC)
		return -EINVAL;
	free_block(z, idx, z->meta[idx] & META_ORDER_MASK);
	return 0;
}

/*
 * Order of the allocated block headed by p; p must be such a head (see buddy_free).
 * A p outside the zone gives 0 rather than a read past the metadata.
 */
unsigned buddy_order_of(struct buddy_zone *z, void *p)
{
	if (!buddy_owns(z, p))
		return 0;
	return z->meta[page_index(z, (uintptr_t)p)] & META_ORDER_MASK;
}
