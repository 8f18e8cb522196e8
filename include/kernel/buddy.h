/*
 * Buddy allocator for physical page frames: the portable core under the kernel's frame
 * allocator (which adds the lock) and kheap's large blocks; tested on the host.
 */
#ifndef KERNEL_BUDDY_H
#define KERNEL_BUDDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUDDY_MAX_ORDER 10	/* largest block: 2^10 pages = 4 MiB */

/* Free-list link, stored inside the first page of each free block. */
struct buddy_link {
	struct buddy_link *next;
	struct buddy_link *prev;
};

/*
 * One contiguous range of page frames, reached through virtual addresses (the direct
 * map). Not locked: the caller serialises every call on one zone.
 */
struct buddy_zone {
	uintptr_t base;		/* address of page 0, page-aligned */
	size_t npages;		/* pages covered, allocatable or not */
	size_t nfree;		/* pages currently on the free lists */
	uint8_t *meta;		/* one byte per page: see buddy.c */
	struct buddy_link *free[BUDDY_MAX_ORDER + 1];	/* free blocks by order */
};

size_t buddy_meta_size(size_t npages);
void buddy_init(struct buddy_zone *z, uintptr_t base, size_t npages, void *meta);
void buddy_release(struct buddy_zone *z, uintptr_t addr, size_t npages);
void *buddy_alloc(struct buddy_zone *z, unsigned order);
int buddy_free(struct buddy_zone *z, void *p);
unsigned buddy_order_of(struct buddy_zone *z, void *p);
bool buddy_owns(struct buddy_zone *z, const void *p);

#endif
