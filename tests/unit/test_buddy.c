/*
 * Host tests for kernel/buddy.c: allocation, coalescing, release of ranges, hostile
 * frees, and a seeded random stress checked against a shadow map.
 */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "kernel/buddy.h"
#include "kernel/errno.h"
#include "kernel/page.h"

#define MAX_BLOCK ((size_t)1 << BUDDY_MAX_ORDER)

/* A zone over a malloc'd, page-aligned arena. */
struct arena {
	char *mem;
	uint8_t *meta;
	struct buddy_zone z;
};

static void arena_init(struct arena *a, size_t npages)
{
	a->mem = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
	a->meta = malloc(buddy_meta_size(npages));
	CHECK(a->mem && a->meta);
	buddy_init(&a->z, (uintptr_t)a->mem, npages, a->meta);
}

static void arena_fini(struct arena *a)
{
	free(a->mem);
	free(a->meta);
}

static void *page(struct arena *a, size_t idx)
{
	return a->mem + idx * PAGE_SIZE;
}

/* p moved by delta bytes, computed on integers so it may leave the arena. */
static void *shift(const void *p, intptr_t delta)
{
	return (void *)((uintptr_t)p + (uintptr_t)delta);
}

static size_t index_of(struct arena *a, void *p)
{
	return (size_t)((char *)p - a->mem) / PAGE_SIZE;
}

/* Count how many blocks of order can be allocated, then free them all again. */
static size_t count_allocatable(struct arena *a, unsigned order)
{
	void **blocks = malloc(sizeof(void *) * (a->z.npages + 1));
	size_t n = 0, i;

	CHECK(blocks);
	while ((blocks[n] = buddy_alloc(&a->z, order)))
		n++;
	for (i = 0; i < n; i++)
		CHECK(buddy_free(&a->z, blocks[i]) == 0);
	free(blocks);
	return n;
}

static void buddy_meta_size_is_one_byte_per_page(void)
{
	CHECK(buddy_meta_size(0) == 0);
	CHECK(buddy_meta_size(1) == 1);
	CHECK(buddy_meta_size(4096) == 4096);
}

/* before: fresh zone; after: nothing allocatable, nfree 0 */
static void buddy_new_zone_has_everything_reserved(void)
{
	struct arena a;

	arena_init(&a, 64);
	CHECK(a.z.npages == 64 && a.z.nfree == 0);
	CHECK(buddy_alloc(&a.z, 0) == NULL);
	arena_fini(&a);
}

/* before: 2 max blocks released; after: exactly 2 order-10 allocations succeed */
static void buddy_release_whole_zone_gives_max_order_blocks(void)
{
	struct arena a;

	arena_init(&a, 2 * MAX_BLOCK);
	buddy_release(&a.z, (uintptr_t)a.mem, 2 * MAX_BLOCK);
	CHECK(a.z.nfree == 2 * MAX_BLOCK);
	CHECK(count_allocatable(&a, BUDDY_MAX_ORDER) == 2);
	CHECK(a.z.nfree == 2 * MAX_BLOCK);
	arena_fini(&a);
}

/* before: one max block; alloc order 0 splits it; free merges it back whole */
static void buddy_alloc_splits_and_free_coalesces(void)
{
	struct arena a;
	void *p;

	arena_init(&a, MAX_BLOCK);
	buddy_release(&a.z, (uintptr_t)a.mem, MAX_BLOCK);
	p = buddy_alloc(&a.z, 0);
	CHECK(p == page(&a, 0));
	CHECK(a.z.nfree == MAX_BLOCK - 1);
	CHECK(buddy_alloc(&a.z, BUDDY_MAX_ORDER) == NULL);
	CHECK(buddy_free(&a.z, p) == 0);
	CHECK(a.z.nfree == MAX_BLOCK);
	CHECK(count_allocatable(&a, BUDDY_MAX_ORDER) == 1);
	arena_fini(&a);
}

static void buddy_alloc_returns_blocks_aligned_to_their_order(void)
{
	struct arena a;
	unsigned order;

	arena_init(&a, 2 * MAX_BLOCK);
	buddy_release(&a.z, (uintptr_t)a.mem, 2 * MAX_BLOCK);
	buddy_alloc(&a.z, 0);
	for (order = 0; order <= BUDDY_MAX_ORDER; order++) {
		void *p = buddy_alloc(&a.z, order);

		CHECK(p);
		CHECK((index_of(&a, p) & (((size_t)1 << order) - 1)) == 0);
		CHECK(buddy_order_of(&a.z, p) == order);
	}
	arena_fini(&a);
}

static void buddy_alloc_above_max_order_returns_null(void)
{
	struct arena a;

	arena_init(&a, 2 * MAX_BLOCK);
	buddy_release(&a.z, (uintptr_t)a.mem, 2 * MAX_BLOCK);
	CHECK(buddy_alloc(&a.z, BUDDY_MAX_ORDER + 1) == NULL);
	CHECK(buddy_alloc(&a.z, 63) == NULL);
	CHECK(buddy_alloc(&a.z, 64) == NULL);
	CHECK(buddy_alloc(&a.z, ~0u) == NULL);
	CHECK(a.z.nfree == 2 * MAX_BLOCK);
	arena_fini(&a);
}

/* before: 16 free pages; after: 16 distinct pages handed out, then NULL; one free refills */
static void buddy_alloc_fails_when_exhausted_and_recovers_after_free(void)
{
	struct arena a;
	void *p[16];
	int i, j;

	arena_init(&a, 16);
	buddy_release(&a.z, (uintptr_t)a.mem, 16);
	for (i = 0; i < 16; i++) {
		p[i] = buddy_alloc(&a.z, 0);
		CHECK(p[i] && buddy_owns(&a.z, p[i]));
		for (j = 0; j < i; j++)
			CHECK(p[i] != p[j]);
	}
	CHECK(buddy_alloc(&a.z, 0) == NULL);
	CHECK(a.z.nfree == 0);
	CHECK(buddy_free(&a.z, p[7]) == 0);
	CHECK(buddy_alloc(&a.z, 0) == p[7]);
	for (i = 0; i < 16; i++)
		CHECK(buddy_free(&a.z, p[i]) == 0);
	CHECK(count_allocatable(&a, 4) == 1);
	arena_fini(&a);
}

/* Freed pages are ordinary memory: writing all of a block must not disturb the lists. */
static void buddy_blocks_are_fully_writable(void)
{
	struct arena a;
	void *p, *q;

	arena_init(&a, 64);
	buddy_release(&a.z, (uintptr_t)a.mem, 64);
	p = buddy_alloc(&a.z, 3);
	q = buddy_alloc(&a.z, 3);
	memset(p, 0xa5, 8 * PAGE_SIZE);
	memset(q, 0x5a, 8 * PAGE_SIZE);
	CHECK(buddy_free(&a.z, p) == 0);
	CHECK(((unsigned char *)q)[8 * PAGE_SIZE - 1] == 0x5a);
	CHECK(buddy_free(&a.z, q) == 0);
	CHECK(count_allocatable(&a, 6) == 1);
	arena_fini(&a);
}

static void buddy_free_rejects_double_free(void)
{
	struct arena a;
	void *p, *q;

	arena_init(&a, 64);
	buddy_release(&a.z, (uintptr_t)a.mem, 64);
	p = buddy_alloc(&a.z, 2);
	q = buddy_alloc(&a.z, 2);
	CHECK(buddy_free(&a.z, p) == 0);
	CHECK(buddy_free(&a.z, p) == -EINVAL);
	CHECK(buddy_free(&a.z, q) == 0);
	CHECK(buddy_free(&a.z, q) == -EINVAL);
	CHECK(buddy_free(&a.z, p) == -EINVAL);
	CHECK(a.z.nfree == 64);
	arena_fini(&a);
}

static void buddy_free_rejects_pointers_outside_zone(void)
{
	struct arena a;

	arena_init(&a, 64);
	buddy_release(&a.z, (uintptr_t)a.mem, 64);
	CHECK(buddy_free(&a.z, NULL) == -EINVAL);
	CHECK(buddy_free(&a.z, shift(a.mem, -(intptr_t)PAGE_SIZE)) == -EINVAL);
	CHECK(buddy_free(&a.z, shift(a.mem, 64 * PAGE_SIZE)) == -EINVAL);
	CHECK(buddy_free(&a.z, (void *)UINTPTR_MAX) == -EINVAL);
	CHECK(buddy_free(&a.z, (void *)(UINTPTR_MAX & ~(PAGE_SIZE - 1))) == -EINVAL);
	CHECK(buddy_free(&a.z, &a) == -EINVAL);
	CHECK(a.z.nfree == 64);
	arena_fini(&a);
}

static void buddy_free_rejects_unaligned_pointer(void)
{
	struct arena a;
	char *p;

	arena_init(&a, 64);
	buddy_release(&a.z, (uintptr_t)a.mem, 64);
	p = buddy_alloc(&a.z, 0);
	CHECK(buddy_free(&a.z, p + 1) == -EINVAL);
	CHECK(buddy_free(&a.z, p + PAGE_SIZE - 1) == -EINVAL);
	CHECK(buddy_free(&a.z, p) == 0);
	arena_fini(&a);
}

/* before: an order-2 block allocated; freeing its 2nd..4th page is refused */
static void buddy_free_rejects_tail_page_of_block(void)
{
	struct arena a;
	char *p;
	int i;

	arena_init(&a, 64);
	buddy_release(&a.z, (uintptr_t)a.mem, 64);
	p = buddy_alloc(&a.z, 2);
	for (i = 1; i < 4; i++)
		CHECK(buddy_free(&a.z, p + i * PAGE_SIZE) == -EINVAL);
	CHECK(a.z.nfree == 60);
	CHECK(buddy_free(&a.z, p) == 0);
	CHECK(a.z.nfree == 64);
	arena_fini(&a);
}

/* Pages never released, and free pages never allocated, cannot be freed. */
static void buddy_free_rejects_reserved_and_free_pages(void)
{
	struct arena a;
	size_t i;

	arena_init(&a, 64);
	buddy_release(&a.z, (uintptr_t)page(&a, 32), 32);
	for (i = 0; i < 64; i++)
		CHECK(buddy_free(&a.z, page(&a, i)) == -EINVAL);
	CHECK(a.z.nfree == 32);
	CHECK(count_allocatable(&a, 5) == 1);
	arena_fini(&a);
}

/* before: mixed allocations; a burst of bad frees; after: the same state, all coalesces */
static void buddy_bad_frees_leave_state_intact(void)
{
	struct arena a;
	char *p[4];
	size_t nfree;
	int i;

	arena_init(&a, 2 * MAX_BLOCK);
	buddy_release(&a.z, (uintptr_t)a.mem, 2 * MAX_BLOCK);
	for (i = 0; i < 4; i++)
		p[i] = buddy_alloc(&a.z, (unsigned)i * 3);
	nfree = a.z.nfree;
	for (i = 0; i < 4; i++) {
		buddy_free(&a.z, p[i] + 8);
		buddy_free(&a.z, p[i] + PAGE_SIZE);
		buddy_free(&a.z, shift(p[i], -(intptr_t)PAGE_SIZE));
	}
	buddy_free(&a.z, shift(a.mem, 2 * MAX_BLOCK * PAGE_SIZE));
	CHECK(a.z.nfree == nfree);
	for (i = 0; i < 4; i++)
		CHECK(buddy_free(&a.z, p[i]) == 0);
	CHECK(count_allocatable(&a, BUDDY_MAX_ORDER) == 2);
	arena_fini(&a);
}

/* before: nothing; release the two halves of a max block separately; after: one max block */
static void buddy_release_of_adjacent_halves_coalesces(void)
{
	struct arena a;

	arena_init(&a, MAX_BLOCK);
	buddy_release(&a.z, (uintptr_t)page(&a, MAX_BLOCK / 2), MAX_BLOCK / 2);
	CHECK(buddy_alloc(&a.z, BUDDY_MAX_ORDER) == NULL);
	buddy_release(&a.z, (uintptr_t)a.mem, MAX_BLOCK / 2);
	CHECK(a.z.nfree == MAX_BLOCK);
	CHECK(count_allocatable(&a, BUDDY_MAX_ORDER) == 1);
	arena_fini(&a);
}

/* Releasing pages [3, 1000): every page in it is handed out once, none outside it. */
static void buddy_release_of_unaligned_range_uses_smaller_blocks(void)
{
	struct arena a;
	size_t n = 0;
	void *p;

	arena_init(&a, MAX_BLOCK);
	buddy_release(&a.z, (uintptr_t)page(&a, 3), 997);
	CHECK(a.z.nfree == 997);
	CHECK(buddy_alloc(&a.z, 9) == NULL);
	CHECK(count_allocatable(&a, 8) == 2);
	while ((p = buddy_alloc(&a.z, 0))) {
		CHECK(index_of(&a, p) >= 3 && index_of(&a, p) < 1000);
		n++;
	}
	CHECK(n == 997);
	arena_fini(&a);
}

static void buddy_release_is_clipped_to_zone(void)
{
	struct arena a;

	arena_init(&a, 64);
	buddy_release(&a.z, (uintptr_t)a.mem - 16 * PAGE_SIZE, 20);
	CHECK(a.z.nfree == 4);
	buddy_release(&a.z, (uintptr_t)page(&a, 60), 1000);
	CHECK(a.z.nfree == 8);
	buddy_release(&a.z, (uintptr_t)page(&a, 64), 10);
	buddy_release(&a.z, UINTPTR_MAX - PAGE_SIZE, SIZE_MAX);
	buddy_release(&a.z, 0, 1);
	CHECK(a.z.nfree == 8);
	buddy_release(&a.z, 0, SIZE_MAX);
	CHECK(a.z.nfree == 64);
	CHECK(count_allocatable(&a, 6) == 1);
	arena_fini(&a);
}

/* Releasing a range twice, or overlapping ranges, counts each page once. */
static void buddy_release_twice_is_harmless(void)
{
	struct arena a;

	arena_init(&a, 64);
	buddy_release(&a.z, (uintptr_t)a.mem, 40);
	buddy_release(&a.z, (uintptr_t)a.mem, 40);
	buddy_release(&a.z, (uintptr_t)page(&a, 30), 34);
	CHECK(a.z.nfree == 64);
	CHECK(count_allocatable(&a, 6) == 1);
	CHECK(count_allocatable(&a, 0) == 64);
	arena_fini(&a);
}

/* An unaligned address releases only the whole pages inside the range. */
static void buddy_release_rounds_partial_pages_inward(void)
{
	struct arena a;

	arena_init(&a, 64);
	buddy_release(&a.z, (uintptr_t)a.mem + 100, 4);
	CHECK(a.z.nfree == 3);
	CHECK(buddy_alloc(&a.z, 0) != page(&a, 0));
	arena_fini(&a);
}

/* A reserved page inside usable memory is never handed out; its neighbours still are. */
static void buddy_reserved_hole_is_never_allocated(void)
{
	struct arena a;
	size_t n = 0;
	void *p;

	arena_init(&a, MAX_BLOCK);
	buddy_release(&a.z, (uintptr_t)a.mem, 100);
	buddy_release(&a.z, (uintptr_t)page(&a, 101), MAX_BLOCK - 101);
	CHECK(a.z.nfree == MAX_BLOCK - 1);
	CHECK(buddy_alloc(&a.z, BUDDY_MAX_ORDER) == NULL);
	while ((p = buddy_alloc(&a.z, 0))) {
		CHECK(p != page(&a, 100));
		n++;
	}
	CHECK(n == MAX_BLOCK - 1);
	arena_fini(&a);
}

static void buddy_order_of_reports_allocated_order(void)
{
	struct arena a;
	void *p0, *p5, *p10;

	arena_init(&a, 2 * MAX_BLOCK);
	buddy_release(&a.z, (uintptr_t)a.mem, 2 * MAX_BLOCK);
	p0 = buddy_alloc(&a.z, 0);
	p5 = buddy_alloc(&a.z, 5);
	p10 = buddy_alloc(&a.z, 10);
	CHECK(buddy_order_of(&a.z, p0) == 0);
	CHECK(buddy_order_of(&a.z, p5) == 5);
	CHECK(buddy_order_of(&a.z, p10) == 10);
	CHECK(buddy_order_of(&a.z, shift(a.mem, -(intptr_t)PAGE_SIZE)) == 0);
	CHECK(buddy_order_of(&a.z, (void *)UINTPTR_MAX) == 0);
	arena_fini(&a);
}

static void buddy_owns_covers_exactly_the_zone(void)
{
	struct arena a;

	arena_init(&a, 8);
	CHECK(buddy_owns(&a.z, a.mem));
	CHECK(buddy_owns(&a.z, a.mem + 8 * PAGE_SIZE - 1));
	CHECK(!buddy_owns(&a.z, a.mem + 8 * PAGE_SIZE));
	CHECK(!buddy_owns(&a.z, shift(a.mem, -1)));
	CHECK(!buddy_owns(&a.z, NULL));
	CHECK(!buddy_owns(&a.z, (void *)UINTPTR_MAX));
	arena_fini(&a);
}

/* A zone of 1000 pages: largest block is 512 pages, no page past the end is used. */
static void buddy_odd_sized_zone_stays_inside_its_end(void)
{
	struct arena a;
	void *p;

	arena_init(&a, 1000);
	buddy_release(&a.z, (uintptr_t)a.mem, 1000);
	CHECK(a.z.nfree == 1000);
	CHECK(buddy_alloc(&a.z, BUDDY_MAX_ORDER) == NULL);
	CHECK(count_allocatable(&a, 9) == 1);
	while ((p = buddy_alloc(&a.z, 0)))
		CHECK(index_of(&a, p) < 1000);
	CHECK(a.z.nfree == 0);
	arena_fini(&a);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

#define STRESS_PAGES (4 * MAX_BLOCK)
#define STRESS_OPS 40000

struct live_block {
	char *p;
	unsigned order;
	uint64_t tag;
};

static void stamp(const struct live_block *b)
{
	size_t i;

	for (i = 0; i < ((size_t)1 << b->order); i++) {
		memcpy(b->p + i * PAGE_SIZE, &b->tag, sizeof(b->tag));
		memcpy(b->p + (i + 1) * PAGE_SIZE - sizeof(b->tag), &b->tag, sizeof(b->tag));
	}
}

static bool stamp_intact(const struct live_block *b)
{
	size_t i;

	for (i = 0; i < ((size_t)1 << b->order); i++) {
		if (memcmp(b->p + i * PAGE_SIZE, &b->tag, sizeof(b->tag)) ||
		    memcmp(b->p + (i + 1) * PAGE_SIZE - sizeof(b->tag), &b->tag, sizeof(b->tag)))
			return false;
	}
	return true;
}

/* Record b in the shadow map; every page must be unowned and not a hole. */
static void shadow_claim(struct arena *a, uint8_t *shadow, const struct live_block *b)
{
	size_t first = index_of(a, b->p), i;

	CHECK((first & (((size_t)1 << b->order) - 1)) == 0);
	CHECK(first + ((size_t)1 << b->order) <= STRESS_PAGES);
	for (i = first; i < first + ((size_t)1 << b->order); i++) {
		CHECK(shadow[i] == 0);
		shadow[i] = 1;
	}
}

static void shadow_drop(struct arena *a, uint8_t *shadow, const struct live_block *b)
{
	size_t first = index_of(a, b->p);

	memset(shadow + first, 0, (size_t)1 << b->order);
}

static void stress_free(struct arena *a, uint8_t *shadow, struct live_block *b)
{
	CHECK(stamp_intact(b));
	shadow_drop(a, shadow, b);
	CHECK(buddy_free(&a->z, b->p) == 0);
	CHECK(buddy_free(&a->z, b->p) == -EINVAL);
}

/*
 * Random allocs (orders biased small) and frees over a zone with reserved holes: no
 * two live blocks overlap, contents survive, and at the end everything coalesces back.
 */
static void buddy_random_stress_coalesces_back(void)
{
	static struct live_block live[STRESS_PAGES];
	static uint8_t shadow[STRESS_PAGES];
	size_t nlive = 0, used = 0, total, op;
	struct arena a;

	rng_state = 0x9e3779b97f4a7c15ULL;
	arena_init(&a, STRESS_PAGES);
	memset(shadow, 0, sizeof(shadow));
	buddy_release(&a.z, (uintptr_t)a.mem, 1000);
	buddy_release(&a.z, (uintptr_t)page(&a, 1003), 2500 - 1003);
	buddy_release(&a.z, (uintptr_t)page(&a, 2501), STRESS_PAGES - 2501);
	shadow[1000] = shadow[1001] = shadow[1002] = shadow[2500] = 2;
	total = a.z.nfree;
	CHECK(total == STRESS_PAGES - 4);
	for (op = 0; op < STRESS_OPS; op++) {
		if (nlive == 0 || rng() % 100 < 55) {
			struct live_block b = { .order = (unsigned)(rng() % (rng() % 11 + 1)) };

			b.p = buddy_alloc(&a.z, b.order);
			if (!b.p)
				continue;
			b.tag = rng();
			shadow_claim(&a, shadow, &b);
			stamp(&b);
			live[nlive++] = b;
			used += (size_t)1 << b.order;
		} else {
			size_t k = rng() % nlive;

			stress_free(&a, shadow, &live[k]);
			used -= (size_t)1 << live[k].order;
			live[k] = live[--nlive];
		}
		CHECK(a.z.nfree == total - used);
	}
	while (nlive)
		stress_free(&a, shadow, &live[--nlive]);
	CHECK(a.z.nfree == total);
	CHECK(count_allocatable(&a, BUDDY_MAX_ORDER) == 2);
	CHECK(count_allocatable(&a, 0) == total);
	arena_fini(&a);
}

static const struct unit_test tests[] = {
	TEST(buddy_meta_size_is_one_byte_per_page),
	TEST(buddy_new_zone_has_everything_reserved),
	TEST(buddy_release_whole_zone_gives_max_order_blocks),
	TEST(buddy_alloc_splits_and_free_coalesces),
	TEST(buddy_alloc_returns_blocks_aligned_to_their_order),
	TEST(buddy_alloc_above_max_order_returns_null),
	TEST(buddy_alloc_fails_when_exhausted_and_recovers_after_free),
	TEST(buddy_blocks_are_fully_writable),
	TEST(buddy_free_rejects_double_free),
	TEST(buddy_free_rejects_pointers_outside_zone),
	TEST(buddy_free_rejects_unaligned_pointer),
	TEST(buddy_free_rejects_tail_page_of_block),
	TEST(buddy_free_rejects_reserved_and_free_pages),
	TEST(buddy_bad_frees_leave_state_intact),
	TEST(buddy_release_of_adjacent_halves_coalesces),
	TEST(buddy_release_of_unaligned_range_uses_smaller_blocks),
	TEST(buddy_release_is_clipped_to_zone),
	TEST(buddy_release_twice_is_harmless),
	TEST(buddy_release_rounds_partial_pages_inward),
	TEST(buddy_reserved_hole_is_never_allocated),
	TEST(buddy_order_of_reports_allocated_order),
	TEST(buddy_owns_covers_exactly_the_zone),
	TEST(buddy_odd_sized_zone_stays_inside_its_end),
	TEST(buddy_random_stress_coalesces_back),
};

CHECK_MAIN("buddy", tests)
