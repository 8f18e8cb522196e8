/*
 * Slab caches of fixed-size objects and the kmalloc size classes built on them. Portable
 * and unlocked: the kernel's kmalloc wraps a kheap with a lock; host tests use it as is.
 */
#ifndef KERNEL_SLAB_H
#define KERNEL_SLAB_H

#include <stddef.h>
#include <stdint.h>

/*
 * Where slabs and large blocks come from (the buddy allocator in the kernel). alloc
 * returns a page-aligned block of 2^order pages or NULL; free takes back what alloc
 * returned; order_of gives the order of such a block.
 */
struct page_source {
	void *(*alloc)(void *ctx, unsigned order);
	void (*free)(void *ctx, void *p);
	unsigned (*order_of)(void *ctx, void *p);
	void *ctx;
};

struct slab;

/*
 * Objects of one size. Each slab is one 4 KiB page: a header at the page start, then
 * the objects, so an object's slab is found by rounding its address down.
 */
struct slab_cache {
	size_t objsize;		/* bytes per object, a multiple of 16 */
	unsigned nobjs;		/* objects per slab; 0 when objsize does not fit a page */
	const struct page_source *src;
	struct slab *partial;	/* slabs with both free and used objects */
	struct slab *empty;	/* at most one slab with no used object, kept for reuse */
	size_t nslabs;		/* slab pages held, including the empty one */
	size_t inuse;		/* objects handed out */
};

void slab_cache_init(struct slab_cache *c, size_t objsize, const struct page_source *src);
void *slab_alloc(struct slab_cache *c);
int slab_free(struct slab_cache *c, void *p);

#define KHEAP_MIN_SHIFT 4	/* smallest class: 16 bytes */
#define KHEAP_NCLASSES 8	/* 16, 32, ... 2048 */
#define KHEAP_MAX_SMALL (1UL << (KHEAP_MIN_SHIFT + KHEAP_NCLASSES - 1))

/*
 * kmalloc's state: one cache per size class; bigger requests go to src as whole pages.
 * Slabs point back at their cache, so a cache or kheap must not move once initialised.
 */
struct kheap {
	struct slab_cache caches[KHEAP_NCLASSES];
	const struct page_source *src;
	size_t bytes_in_use;	/* class sizes of live objects plus pages of live large blocks */
	size_t nlarge;		/* live large blocks */
};

void kheap_init(struct kheap *h, const struct page_source *src);
void *kheap_alloc(struct kheap *h, size_t size);
int kheap_free(struct kheap *h, void *p);

#endif
