/*
 * Slab caches (one page per slab, header at the page start, a bitmap of used objects)
 * and the kheap size classes behind kmalloc. Used by kernel/kmalloc and the unit tests.
 */
#include <stdbool.h>
#include "kernel/slab.h"
#include "kernel/errno.h"
#include "kernel/page.h"
#include "lib/string.h"

/* Low bits set: a buddy free-list link (a page address) at the page start never matches. */
#define SLAB_MAGIC 0x51ab0b1eU
#define SLAB_ALIGN 16
#define SLAB_MAP_WORDS 4

/* The header at the start of every slab page; guarded by the cache's owner. */
struct slab {
	uint32_t magic;		/* SLAB_MAGIC while the page is a slab */
	uint32_t inuse;		/* objects handed out from this slab */
	struct slab_cache *cache;
	struct slab *next;	/* on cache->partial */
	struct slab *prev;
	uint64_t used[SLAB_MAP_WORDS];	/* bit i set: object i is allocated */
};

#define SLAB_HDR ((sizeof(struct slab) + SLAB_ALIGN - 1) & ~(size_t)(SLAB_ALIGN - 1))

_Static_assert((PAGE_SIZE - SLAB_HDR) / SLAB_ALIGN <= SLAB_MAP_WORDS * 64,
	       "bitmap must cover the smallest objects");

static void partial_push(struct slab_cache *c, struct slab *s)
{
	s->prev = NULL;
	s->next = c->partial;
	if (s->next)
		s->next->prev = s;
	c->partial = s;
}

static void partial_remove(struct slab_cache *c, struct slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		c->partial = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

/* An objsize too big for a slab page leaves nobjs 0: slab_alloc then always fails. */
void slab_cache_init(struct slab_cache *c, size_t objsize, const struct page_source *src)
{
	if (objsize == 0)
		objsize = 1;
	if (objsize > PAGE_SIZE)
		objsize = PAGE_SIZE;
	c->objsize = (objsize + SLAB_ALIGN - 1) & ~(size_t)(SLAB_ALIGN - 1);
	c->nobjs = (PAGE_SIZE - SLAB_HDR) / c->objsize;
	c->src = src;
	c->partial = NULL;
	c->empty = NULL;
	c->nslabs = 0;
	c->inuse = 0;
}

static struct slab *slab_new(struct slab_cache *c)
{
	struct slab *s = c->src->alloc(c->src->ctx, 0);

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->magic = SLAB_MAGIC;
	s->cache = c;
	c->nslabs++;
	return s;
}

/* A slab with a free object, taking the kept empty slab or a new page if need be. */
static struct slab *slab_get(struct slab_cache *c)
{
	struct slab *s = c->partial;

	if (s)
		return s;
	s = c->empty;
	c->empty = NULL;
	if (!s)
		s = slab_new(c);
	if (s)
		partial_push(c, s);
	return s;
}

static unsigned first_clear(const struct slab *s)
{
	unsigned w;

	for (w = 0; w < SLAB_MAP_WORDS; w++)
		if (~s->used[w])
			return w * 64 + (unsigned)__builtin_ctzll(~s->used[w]);
	return SLAB_MAP_WORDS * 64;
}

void *slab_alloc(struct slab_cache *c)
{
	struct slab *s;
	unsigned i;

	if (c->nobjs == 0)
		return NULL;
	s = slab_get(c);
	if (!s)
		return NULL;
	i = first_clear(s);
	s->used[i / 64] |= 1ULL << (i % 64);
	s->inuse++;
	c->inuse++;
	if (s->inuse == c->nobjs)
		partial_remove(c, s);
	return (char *)s + SLAB_HDR + (size_t)i * c->objsize;
}

/* The slab whose page holds p, or NULL if that page carries no slab header. */
static struct slab *slab_of(const void *p)
{
	struct slab *s = (struct slab *)((uintptr_t)p & ~(uintptr_t)(PAGE_SIZE - 1));

	if ((uintptr_t)p - (uintptr_t)s < SLAB_HDR || s->magic != SLAB_MAGIC)
		return NULL;
	return s;
}

/* A slab that just became empty: keep it if none is kept, else give the page back. */
static void slab_drop(struct slab_cache *c, struct slab *s)
{
	if (!c->empty) {
		c->empty = s;
		return;
	}
	s->magic = 0;
	c->nslabs--;
	c->src->free(c->src->ctx, s);
}

/*
 * Free p, which slab_alloc(c) returned. Refuses with -EINVAL, changing nothing, a p
 * whose page is not a slab of c, that is not the start of an object, or that is free.
 * p's page is read, so p must at least point into mapped memory.
 */
int slab_free(struct slab_cache *c, void *p)
{
	struct slab *s = slab_of(p);
	size_t off;
	unsigned i;
	uint64_t bit;
	bool was_full;

	if (!s || s->cache != c)
		return -EINVAL;
	off = (uintptr_t)p - (uintptr_t)s - SLAB_HDR;
	i = off / c->objsize;
	if (off % c->objsize || i >= c->nobjs)
		return -EINVAL;
	bit = 1ULL << (i % 64);
	if (!(s->used[i / 64] & bit))
		return -EINVAL;
	s->used[i / 64] &= ~bit;
	was_full = s->inuse == c->nobjs;
	s->inuse--;
	c->inuse--;
	if (s->inuse == 0) {
		if (!was_full)
			partial_remove(c, s);
		slab_drop(c, s);
	} else if (was_full) {
		partial_push(c, s);
	}
	return 0;
}

void kheap_init(struct kheap *h, const struct page_source *src)
{
	unsigned i;

	for (i = 0; i < KHEAP_NCLASSES; i++)
		slab_cache_init(&h->caches[i], (size_t)1 << (KHEAP_MIN_SHIFT + i), src);
	h->src = src;
	h->bytes_in_use = 0;
	h->nlarge = 0;
}

/* Smallest order whose 2^order pages hold size bytes. */
static unsigned large_order(size_t size)
{
	size_t pages = (size >> PAGE_SHIFT) + !!(size & (PAGE_SIZE - 1));
	unsigned order = 0;

	while (((size_t)1 << order) < pages)
		order++;
	return order;
}

static void *kheap_alloc_large(struct kheap *h, size_t size)
{
	unsigned order = large_order(size);
	void *p = h->src->alloc(h->src->ctx, order);

	if (p) {
		h->bytes_in_use += PAGE_SIZE << order;
		h->nlarge++;
	}
	return p;
}

/* size bytes, 16-byte aligned; NULL for size 0 or when memory runs out. */
void *kheap_alloc(struct kheap *h, size_t size)
{
	struct slab_cache *c;
	unsigned i = 0;
	void *p;

	if (size == 0)
		return NULL;
	if (size > KHEAP_MAX_SMALL)
		return kheap_alloc_large(h, size);
	while (((size_t)1 << (KHEAP_MIN_SHIFT + i)) < size)
		i++;
	c = &h->caches[i];
	p = slab_alloc(c);
	if (p)
		h->bytes_in_use += c->objsize;
	return p;
}

static int kheap_free_small(struct kheap *h, struct slab_cache *c, void *p)
{
	int err = slab_free(c, p);

	if (err == 0)
		h->bytes_in_use -= c->objsize;
	return err;
}

/*
 * Free what kheap_alloc returned; NULL is a no-op. A page-aligned p is a large block and
 * is trusted (src->free sees it); any other p must be a live object of one of h's
 * caches, else -EINVAL and nothing changes.
 */
int kheap_free(struct kheap *h, void *p)
{
	struct slab *s;
	unsigned i;

	if (!p)
		return 0;
	if (((uintptr_t)p & (PAGE_SIZE - 1)) == 0) {
		h->bytes_in_use -= PAGE_SIZE << h->src->order_of(h->src->ctx, p);
		h->nlarge--;
		h->src->free(h->src->ctx, p);
		return 0;
	}
	s = slab_of(p);
	for (i = 0; s && i < KHEAP_NCLASSES; i++)
		if (s->cache == &h->caches[i])
			return kheap_free_small(h, &h->caches[i], p);
	return -EINVAL;
}
