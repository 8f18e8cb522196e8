/*
 * Page size and alignment helpers, shared by the frame allocator, slab, paging code
 * and the host unit tests.
 */
#ifndef KERNEL_PAGE_H
#define KERNEL_PAGE_H

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)

/* Round an address or size to a page boundary (x must be an unsigned integer). */
#define PAGE_ALIGN_UP(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define PAGE_ALIGN_DOWN(x) ((x) & ~(PAGE_SIZE - 1))

#endif
