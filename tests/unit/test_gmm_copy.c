/*
 * Host tests for managers/gmm.c, part two: gmm_copy(), which gives a forked address
 * space its parent's placements: records, charges, hostile ids and capacity bounds.
 */
#include "gmm_test.h"

/* Place mm's home and vRegions 0..n-1 (two nodes registered by the caller). */
static void place_mm(struct gmm *g, uint32_t mm, uint32_t n)
{
	uint8_t o, b, h;

	CHECK(gmm_place_home(g, mm, 0, &h) == 0);
	for (uint32_t v = 0; v < n; v++)
		CHECK(gmm_place_vregion(g, mm, v, 0, &o, &b) == 0);
}

/* The records of a and b agree: same home, same owner and backup for vRegions 0..n-1. */
static void check_same_placements(struct gmm *g, uint32_t a, uint32_t b, uint32_t n)
{
	uint8_t oa, ba, ob, bb;

	for (uint32_t v = 0; v < n; v++) {
		CHECK(gmm_lookup(g, a, v, &oa, &ba) == 0);
		CHECK(gmm_lookup(g, b, v, &ob, &bb) == 0 && oa == ob && ba == bb);
	}
	CHECK(gmm_place_home(g, a, 0, &oa) == 0 && gmm_place_home(g, b, 0, &ob) == 0);
	CHECK(oa == ob);
}

/*
 * before: mm 5 with a home and 3 vRegions; after copy(5, 9) and copy(5, 2): each child
 * has the same 4 records (ids above and below the parent), and each copy charged the
 * owners and backups as 4 placements would; the parent is untouched and released apart.
 */
static void gmm_copy_duplicates_every_record(void)
{
	struct gmm g;
	uint64_t f1, f2;

	setup(&g, 10);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_register(&g, 2, 1000, 0) == 0);
	place_mm(&g, 5, 3);
	CHECK(gmm_report(&g, 1, 1000, 1) == 0 && gmm_report(&g, 2, 1000, 1) == 0);
	CHECK(gmm_copy(&g, 5, 9) == 4);
	CHECK(g.nrecs == 8);
	CHECK(free_of(&g, 1) + free_of(&g, 2) == 2000 - 4 * 10 - 3 * 5);
	f1 = free_of(&g, 1);
	f2 = free_of(&g, 2);
	check_same_placements(&g, 5, 9, 3);
	CHECK(free_of(&g, 1) == f1 && free_of(&g, 2) == f2);	/* lookups charge nothing */
	CHECK(gmm_copy(&g, 5, 2) == 4 && g.nrecs == 12);
	check_same_placements(&g, 5, 2, 3);
	CHECK(gmm_release(&g, 5) == 4);
	check_same_placements(&g, 9, 2, 3);
	CHECK(gmm_release(&g, 9) == 4 && gmm_release(&g, 2) == 4);
	teardown(&g);
}

/* before: 5 and 6 both placed; after: copying onto 6 is -EEXIST, nothing changed */
static void gmm_copy_onto_existing_is_eexist(void)
{
	struct gmm g;
	uint8_t o, b;

	setup(&g, 10);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	place_mm(&g, 5, 2);
	CHECK(gmm_place_vregion(&g, 6, 7, 0, &o, &b) == 0);
	CHECK(free_of(&g, 1) == 1000 - 4 * 10);
	CHECK(gmm_copy(&g, 5, 6) == -EEXIST);
	CHECK(gmm_copy(&g, 6, 5) == -EEXIST);
	CHECK(g.nrecs == 4 && free_of(&g, 1) == 1000 - 4 * 10);
	CHECK(gmm_lookup(&g, 6, 0, &o, &b) == -ENOENT);
	teardown(&g);
}

/* Hostile ids: -EINVAL for bad or equal ones, -ENOENT for a parent with no record. */
static void gmm_copy_hostile_ids(void)
{
	static const uint32_t bad[] = { 0, GMM_MM_MAX + 1, 0x80000000u, UINT32_MAX };
	struct gmm g;

	setup(&g, 10);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	place_mm(&g, 5, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(gmm_copy(&g, bad[i], 6) == -EINVAL);
		CHECK(gmm_copy(&g, 5, bad[i]) == -EINVAL);
	}
	CHECK(gmm_copy(&g, 5, 5) == -EINVAL);
	CHECK(gmm_copy(&g, 7, 8) == -ENOENT);
	CHECK(g.nrecs == 2 && free_of(&g, 1) == 1000 - 2 * 10);
	CHECK(gmm_copy(&g, 5, GMM_MM_MAX) == 2);		/* the top id is fine */
	CHECK(gmm_release(&g, GMM_MM_MAX) == 2);
	teardown(&g);
}

/*
 * A copy that does not fit, by params.max_records or by the allocator, is -ENOMEM with
 * the table, its capacity and every charge as they were.
 */
static void gmm_copy_capacity_bounds(void)
{
	struct gmm g;
	struct gmm_params p = params(10);
	struct gmm_alloc a = { heap_alloc, heap_free, &heap };
	uint8_t o, b;

	heap.live = 0;
	heap.fail_after = -1;
	p.max_records = 10;
	CHECK(gmm_init(&g, &p, &a) == 0);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	place_mm(&g, 5, 5);				/* 6 records */
	CHECK(gmm_copy(&g, 5, 6) == -ENOMEM);		/* 12 > 10 */
	CHECK(g.nrecs == 6 && free_of(&g, 1) == 1000 - 6 * 10);
	CHECK(gmm_lookup(&g, 6, 0, &o, &b) == -ENOENT);
	CHECK(gmm_release(&g, 5) == 6);
	place_mm(&g, 5, 4);				/* 5 records; the table holds 10 */
	CHECK(gmm_copy(&g, 5, 6) == 5 && g.nrecs == 10);	/* exactly full */
	CHECK(gmm_release(&g, 6) == 5);
	gmm_fini(&g);

	setup(&g, 10);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	place_mm(&g, 5, 15);				/* 16 records: the table is full */
	heap.fail_after = 0;
	CHECK(gmm_copy(&g, 5, 6) == -ENOMEM);
	CHECK(g.nrecs == 16 && g.cap == 16 && free_of(&g, 1) == 1000 - 16 * 10);
	heap.fail_after = -1;
	CHECK(gmm_copy(&g, 5, 6) == 16 && g.cap == 32);
	check_same_placements(&g, 5, 6, 15);
	teardown(&g);
}

/* A record lost to node_down is copied ownerless, charges nobody, and is re-placed. */
static void gmm_copy_of_lost_owner(void)
{
	struct gmm g;
	uint8_t o, b;

	setup(&g, 10);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	place_mm(&g, 5, 1);
	CHECK(gmm_register(&g, 2, 1000, 0) == 0);
	CHECK(gmm_node_down(&g, 1) == 0);
	CHECK(gmm_copy(&g, 5, 6) == 2);
	CHECK(free_of(&g, 2) == 1000);
	CHECK(gmm_lookup(&g, 6, 0, &o, &b) == 0 && o == GMM_NONE);
	CHECK(gmm_place_vregion(&g, 6, 0, 0, &o, &b) == 0 && o == 2);
	teardown(&g);
}

static const struct unit_test tests[] = {
	TEST(gmm_copy_duplicates_every_record),
	TEST(gmm_copy_onto_existing_is_eexist),
	TEST(gmm_copy_hostile_ids),
	TEST(gmm_copy_capacity_bounds),
	TEST(gmm_copy_of_lost_owner),
};

CHECK_MAIN("gmm_copy", tests)
