/*
 * Host tests for kernel/slab.c: slab caches and the kheap size classes, fed by a real
 * buddy zone as page source; hostile frees and a seeded random stress.
 */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "kernel/buddy.h"
#include "kernel/errno.h"
#include "kernel/page.h"
#include "kernel/slab.h"

#define SRC_PAGES 4096

/* A page source over a buddy zone; fail makes every alloc return NULL. */
struct test_src {
	char *mem;
	uint8_t *meta;
	struct buddy_zone z;
	struct page_source ps;
	bool fail;
};

static struct test_src src;

static void *src_alloc(void *ctx, unsigned order)
{
	struct test_src *t = ctx;

	return t->fail ? NULL : buddy_alloc(&t->z, order);
}

static void src_free(void *ctx, void *p)
{
	struct test_src *t = ctx;

	CHECK(buddy_free(&t->z, p) == 0);
}

static unsigned src_order_of(void *ctx, void *p)
{
	struct test_src *t = ctx;

	return buddy_order_of(&t->z, p);
}

static const struct page_source *src_init(void)
{
	src.mem = aligned_alloc(PAGE_SIZE, SRC_PAGES * PAGE_SIZE);
	src.meta = malloc(buddy_meta_size(SRC_PAGES));
	CHECK(src.mem && src.meta);
	buddy_init(&src.z, (uintptr_t)src.mem, SRC_PAGES, src.meta);
	buddy_release(&src.z, (uintptr_t)src.mem, SRC_PAGES);
	src.ps = (struct page_source){ src_alloc, src_free, src_order_of, &src };
	src.fail = false;
	return &src.ps;
}

static void src_fini(void)
{
	free(src.mem);
	free(src.meta);
}

/* Pages currently taken from the source. */
static size_t pages_out(void)
{
	return SRC_PAGES - src.z.nfree;
}

static uintptr_t page_offset(const void *p)
{
	return (uintptr_t)p & (PAGE_SIZE - 1);
}

static void slab_objects_are_distinct_aligned_and_inside_one_page(void)
{
	struct slab_cache c;
	char *p[8];
	int i, j;

	slab_cache_init(&c, 48, src_init());
	CHECK(c.objsize == 48 && c.nobjs > 8);
	for (i = 0; i < 8; i++) {
		p[i] = slab_alloc(&c);
		CHECK(p[i] && ((uintptr_t)p[i] & 15) == 0);
		CHECK(page_offset(p[i]) != 0 && page_offset(p[i]) + 48 <= PAGE_SIZE);
		for (j = 0; j < i; j++)
			CHECK(p[i] >= p[j] + 48 || p[j] >= p[i] + 48);
		memset(p[i], i, 48);
	}
	CHECK(pages_out() == 1 && c.inuse == 8);
	for (i = 0; i < 8; i++)
		CHECK(slab_free(&c, p[i]) == 0);
	src_fini();
}

static void slab_object_size_is_rounded_up_to_16(void)
{
	struct slab_cache c;

	slab_cache_init(&c, 1, src_init());
	CHECK(c.objsize == 16);
	slab_cache_init(&c, 0, &src.ps);
	CHECK(c.objsize == 16);
	slab_cache_init(&c, 33, &src.ps);
	CHECK(c.objsize == 48);
	src_fini();
}

/* An object too big for a slab page makes a cache that never allocates. */
static void slab_cache_of_oversized_objects_allocates_nothing(void)
{
	struct slab_cache c;

	slab_cache_init(&c, PAGE_SIZE, src_init());
	CHECK(c.nobjs == 0 && slab_alloc(&c) == NULL);
	slab_cache_init(&c, SIZE_MAX, &src.ps);
	CHECK(c.nobjs == 0 && slab_alloc(&c) == NULL);
	CHECK(slab_free(&c, (char *)src.mem + 64) == -EINVAL);
	CHECK(pages_out() == 0);
	src_fini();
}

/* before: one slab full; after: next alloc takes a second page */
static void slab_full_slab_grows_a_new_page(void)
{
	struct slab_cache c;
	unsigned i;

	slab_cache_init(&c, 512, src_init());
	for (i = 0; i < c.nobjs; i++)
		CHECK(slab_alloc(&c));
	CHECK(pages_out() == 1 && c.nslabs == 1);
	CHECK(slab_alloc(&c));
	CHECK(pages_out() == 2 && c.nslabs == 2);
	src_fini();
}

/* before: one slab full; one object freed; after: the next alloc reuses it, no new page */
static void slab_full_slab_with_a_freed_object_is_reused(void)
{
	struct slab_cache c;
	void *p[7];
	unsigned i;

	slab_cache_init(&c, 512, src_init());
	CHECK(c.nobjs == 7);
	for (i = 0; i < c.nobjs; i++)
		p[i] = slab_alloc(&c);
	CHECK(slab_free(&c, p[3]) == 0);
	CHECK(slab_alloc(&c) == p[3]);
	CHECK(pages_out() == 1);
	for (i = 0; i < c.nobjs; i++)
		CHECK(slab_free(&c, p[i]) == 0);
	CHECK(pages_out() == 1 && c.inuse == 0);
	src_fini();
}

static void slab_freed_object_is_reused(void)
{
	struct slab_cache c;
	void *p, *q;

	slab_cache_init(&c, 64, src_init());
	p = slab_alloc(&c);
	q = slab_alloc(&c);
	CHECK(slab_free(&c, p) == 0);
	CHECK(slab_alloc(&c) == p);
	CHECK(slab_free(&c, p) == 0 && slab_free(&c, q) == 0);
	src_fini();
}

static void slab_free_rejects_double_free(void)
{
	struct slab_cache c;
	void *p, *q;

	slab_cache_init(&c, 64, src_init());
	p = slab_alloc(&c);
	q = slab_alloc(&c);
	CHECK(slab_free(&c, p) == 0);
	CHECK(slab_free(&c, p) == -EINVAL);
	CHECK(c.inuse == 1);
	CHECK(slab_free(&c, q) == 0);
	CHECK(slab_free(&c, q) == -EINVAL);
	CHECK(c.inuse == 0);
	src_fini();
}

static void slab_free_rejects_object_of_another_cache(void)
{
	struct slab_cache a, b;
	void *p;

	slab_cache_init(&a, 64, src_init());
	slab_cache_init(&b, 64, &src.ps);
	p = slab_alloc(&a);
	CHECK(slab_free(&b, p) == -EINVAL);
	CHECK(slab_free(&a, p) == 0);
	src_fini();
}

/* Pointers into a live slab that are not an object's start are refused. */
static void slab_free_rejects_interior_and_header_pointers(void)
{
	struct slab_cache c;
	char *p, *slab;

	slab_cache_init(&c, 96, src_init());
	p = slab_alloc(&c);
	slab = (char *)((uintptr_t)p & ~(PAGE_SIZE - 1));
	CHECK(slab_free(&c, p + 1) == -EINVAL);
	CHECK(slab_free(&c, p + 16) == -EINVAL);
	CHECK(slab_free(&c, slab) == -EINVAL);
	CHECK(slab_free(&c, slab + 8) == -EINVAL);
	CHECK(slab_free(&c, slab + PAGE_SIZE - 16) == -EINVAL);
	CHECK(c.inuse == 1);
	CHECK(slab_free(&c, p) == 0);
	src_fini();
}

/* A page that is not a slab (any contents) is refused, as is NULL. */
static void slab_free_rejects_foreign_page(void)
{
	struct slab_cache c;
	char *page;

	slab_cache_init(&c, 64, src_init());
	page = buddy_alloc(&src.z, 0);
	memset(page, 0xff, PAGE_SIZE);
	CHECK(slab_free(&c, page + 64) == -EINVAL);
	memset(page, 0, PAGE_SIZE);
	CHECK(slab_free(&c, page + 64) == -EINVAL);
	CHECK(slab_free(&c, NULL) == -EINVAL);
	src_fini();
}

/* before: 3 slabs full; all freed; after: one empty slab kept, the rest given back */
static void slab_keeps_one_empty_slab_and_returns_the_rest(void)
{
	struct slab_cache c;
	void *p[3 * 7];
	unsigned i, n;

	slab_cache_init(&c, 512, src_init());
	n = 3 * c.nobjs;
	CHECK(n <= 3 * 7);
	for (i = 0; i < n; i++)
		p[i] = slab_alloc(&c);
	CHECK(pages_out() == 3);
	for (i = 0; i < n; i++)
		CHECK(slab_free(&c, p[i]) == 0);
	CHECK(pages_out() == 1 && c.nslabs == 1 && c.inuse == 0);
	CHECK(slab_alloc(&c) && pages_out() == 1);
	src_fini();
}

/* A pointer into a slab page that went back to the source is refused. */
static void slab_free_rejects_pointer_into_returned_slab(void)
{
	struct slab_cache c;
	void *a, *b;

	slab_cache_init(&c, 2048, src_init());
	CHECK(c.nobjs == 1);
	a = slab_alloc(&c);
	b = slab_alloc(&c);
	CHECK(slab_free(&c, a) == 0);
	CHECK(slab_free(&c, b) == 0);
	CHECK(pages_out() == 1);
	CHECK(slab_free(&c, a) == -EINVAL);
	CHECK(slab_free(&c, b) == -EINVAL);
	src_fini();
}

static void slab_alloc_returns_null_when_source_is_empty(void)
{
	struct slab_cache c;
	void *p;

	slab_cache_init(&c, 1024, src_init());
	src.fail = true;
	CHECK(slab_alloc(&c) == NULL);
	src.fail = false;
	p = slab_alloc(&c);
	CHECK(p);
	src.fail = true;
	CHECK(slab_alloc(&c) && slab_alloc(&c));
	CHECK(slab_alloc(&c) == NULL);
	CHECK(c.inuse == 3);
	src_fini();
}

static void kheap_alloc_of_zero_returns_null(void)
{
	struct kheap h;

	kheap_init(&h, src_init());
	CHECK(kheap_alloc(&h, 0) == NULL);
	CHECK(h.bytes_in_use == 0 && pages_out() == 0);
	src_fini();
}

/* Each size lands in the smallest class that holds it; > 2048 bytes takes whole pages. */
static void kheap_alloc_picks_the_smallest_fitting_class(void)
{
	static const struct { size_t size, charged; } cases[] = {
		{ 1, 16 }, { 16, 16 }, { 17, 32 }, { 100, 128 }, { 1024, 1024 },
		{ 1025, 2048 }, { 2048, 2048 }, { 2049, PAGE_SIZE },
		{ PAGE_SIZE, PAGE_SIZE }, { PAGE_SIZE + 1, 2 * PAGE_SIZE },
		{ 5 * PAGE_SIZE, 8 * PAGE_SIZE },
	};
	struct kheap h;
	size_t i;

	kheap_init(&h, src_init());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *p = kheap_alloc(&h, cases[i].size);

		CHECK(p);
		CHECK(h.bytes_in_use == cases[i].charged);
		CHECK((page_offset(p) == 0) == (cases[i].size > 2048));
		CHECK(kheap_free(&h, p) == 0);
		CHECK(h.bytes_in_use == 0);
	}
	src_fini();
}

static void kheap_results_are_16_byte_aligned(void)
{
	struct kheap h;
	size_t size;

	kheap_init(&h, src_init());
	for (size = 1; size <= 3 * PAGE_SIZE; size += 7) {
		void *p = kheap_alloc(&h, size);

		CHECK(p && ((uintptr_t)p & 15) == 0);
		memset(p, 0x3c, size);
		CHECK(kheap_free(&h, p) == 0);
	}
	src_fini();
}

static void kheap_free_of_null_is_a_no_op(void)
{
	struct kheap h;

	kheap_init(&h, src_init());
	CHECK(kheap_free(&h, NULL) == 0);
	src_fini();
}

/* before: 3 large blocks live; after freeing them: every page back in the source */
static void kheap_large_blocks_go_back_to_the_source(void)
{
	struct kheap h;
	void *p[3];
	int i;

	kheap_init(&h, src_init());
	p[0] = kheap_alloc(&h, 3000);
	p[1] = kheap_alloc(&h, 3 * PAGE_SIZE);
	p[2] = kheap_alloc(&h, 1 << 22);
	CHECK(p[0] && p[1] && p[2]);
	CHECK(h.nlarge == 3 && pages_out() == 1 + 4 + 1024);
	for (i = 0; i < 3; i++)
		CHECK(kheap_free(&h, p[i]) == 0);
	CHECK(h.nlarge == 0 && h.bytes_in_use == 0 && pages_out() == 0);
	src_fini();
}

static void kheap_alloc_of_huge_size_returns_null(void)
{
	struct kheap h;

	kheap_init(&h, src_init());
	CHECK(kheap_alloc(&h, ((size_t)PAGE_SIZE << BUDDY_MAX_ORDER) + 1) == NULL);
	CHECK(kheap_alloc(&h, SIZE_MAX) == NULL);
	CHECK(kheap_alloc(&h, SIZE_MAX / 2 + 2) == NULL);
	CHECK(h.bytes_in_use == 0 && h.nlarge == 0 && pages_out() == 0);
	src_fini();
}

static void kheap_free_rejects_double_free_and_interior_pointers(void)
{
	struct kheap h;
	char *p, *q;

	kheap_init(&h, src_init());
	p = kheap_alloc(&h, 40);
	q = kheap_alloc(&h, 40);
	CHECK(kheap_free(&h, p + 16) == -EINVAL);
	CHECK(kheap_free(&h, p + 1) == -EINVAL);
	CHECK(kheap_free(&h, p) == 0);
	CHECK(kheap_free(&h, p) == -EINVAL);
	CHECK(h.bytes_in_use == 64);
	CHECK(kheap_free(&h, q) == 0);
	CHECK(h.bytes_in_use == 0);
	src_fini();
}

/* Objects of a slab cache outside the heap, and non-slab pages, are not the heap's. */
static void kheap_free_rejects_objects_it_did_not_allocate(void)
{
	struct slab_cache other;
	struct kheap h;
	char *page, *p;

	kheap_init(&h, src_init());
	slab_cache_init(&other, 64, &src.ps);
	p = slab_alloc(&other);
	CHECK(kheap_free(&h, p) == -EINVAL);
	page = buddy_alloc(&src.z, 0);
	memset(page, 0x51, PAGE_SIZE);
	CHECK(kheap_free(&h, page + 128) == -EINVAL);
	CHECK(h.bytes_in_use == 0);
	CHECK(slab_free(&other, p) == 0);
	src_fini();
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

#define STRESS_LIVE 2000
#define STRESS_OPS 30000

struct live_obj {
	unsigned char *p;
	size_t size;
	unsigned char seed;
};

static void fill(const struct live_obj *o)
{
	size_t i;

	for (i = 0; i < o->size; i++)
		o->p[i] = (unsigned char)(o->seed + i * 7);
}

static bool intact(const struct live_obj *o)
{
	size_t i;

	for (i = 0; i < o->size; i++)
		if (o->p[i] != (unsigned char)(o->seed + i * 7))
			return false;
	return true;
}

/* Mostly small sizes, sometimes whole pages. */
static size_t random_size(void)
{
	if (rng() % 20 == 0)
		return 2049 + rng() % (5 * PAGE_SIZE);
	return 1 + rng() % (rng() % 2 ? 128 : 2048);
}

static void kheap_stress_free(struct kheap *h, struct live_obj *o)
{
	CHECK(intact(o));
	CHECK(kheap_free(h, o->p) == 0);
}

/*
 * Random kheap_alloc/kheap_free with every byte of every live object patterned:
 * no object overlaps another or a slab header, and at the end the heap is empty
 * and holds at most one spare page per class.
 */
static void kheap_random_stress_keeps_objects_intact(void)
{
	static struct live_obj live[STRESS_LIVE];
	size_t nlive = 0, slabs = 0, op;
	struct kheap h;

	rng_state = 0x2545f4914f6cdd1dULL;
	kheap_init(&h, src_init());
	for (op = 0; op < STRESS_OPS; op++) {
		if (nlive < STRESS_LIVE && (nlive == 0 || rng() % 100 < 60)) {
			struct live_obj o = { .size = random_size(), .seed = (unsigned char)rng() };

			o.p = kheap_alloc(&h, o.size);
			if (!o.p)
				continue;
			CHECK(((uintptr_t)o.p & 15) == 0);
			fill(&o);
			live[nlive++] = o;
		} else {
			size_t k = rng() % nlive;

			kheap_stress_free(&h, &live[k]);
			live[k] = live[--nlive];
		}
	}
	while (nlive)
		kheap_stress_free(&h, &live[--nlive]);
	CHECK(h.bytes_in_use == 0 && h.nlarge == 0);
	for (op = 0; op < KHEAP_NCLASSES; op++) {
		CHECK(h.caches[op].inuse == 0 && h.caches[op].nslabs <= 1);
		slabs += h.caches[op].nslabs;
	}
	CHECK(pages_out() == slabs);
	src_fini();
}

static const struct unit_test tests[] = {
	TEST(slab_objects_are_distinct_aligned_and_inside_one_page),
	TEST(slab_object_size_is_rounded_up_to_16),
	TEST(slab_cache_of_oversized_objects_allocates_nothing),
	TEST(slab_full_slab_grows_a_new_page),
	TEST(slab_full_slab_with_a_freed_object_is_reused),
	TEST(slab_freed_object_is_reused),
	TEST(slab_free_rejects_double_free),
	TEST(slab_free_rejects_object_of_another_cache),
	TEST(slab_free_rejects_interior_and_header_pointers),
	TEST(slab_free_rejects_foreign_page),
	TEST(slab_keeps_one_empty_slab_and_returns_the_rest),
	TEST(slab_free_rejects_pointer_into_returned_slab),
	TEST(slab_alloc_returns_null_when_source_is_empty),
	TEST(kheap_alloc_of_zero_returns_null),
	TEST(kheap_alloc_picks_the_smallest_fitting_class),
	TEST(kheap_results_are_16_byte_aligned),
	TEST(kheap_free_of_null_is_a_no_op),
	TEST(kheap_large_blocks_go_back_to_the_source),
	TEST(kheap_alloc_of_huge_size_returns_null),
	TEST(kheap_free_rejects_double_free_and_interior_pointers),
	TEST(kheap_free_rejects_objects_it_did_not_allocate),
	TEST(kheap_random_stress_keeps_objects_intact),
};

CHECK_MAIN("slab", tests)
