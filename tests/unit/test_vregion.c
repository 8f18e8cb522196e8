/*
 * Host tests for mcomponent/vregion.c (a home's vRegion -> owner map) and for
 * vma_place(), which the home uses to learn where a mapping will land, and so which
 * vRegions' owners it needs, before it changes the space.
 */
#include "vma_test.h"
#include "mcomponent/vregion.h"

static struct vregion_map map;

static void map_setup(void)
{
	ta.live = 0;
	ta.allowed = -1;
	vregion_map_init(&map, &test_vma_alloc);
}

static void map_teardown(void)
{
	vregion_map_fini(&map);
	CHECK(ta.live == 0);
}

/* vRegion arithmetic: 1 GiB slices, the last one holding VMA_MAX - 1 */
static void vregion_bounds(void)
{
	CHECK(vregion_of(0x400000) == 0 && vregion_of(VREGION_SIZE) == 1);
	CHECK(vregion_of(VMA_MAX - 1) == VREGION_COUNT - 1);
	CHECK(vregion_start(3) == 3 * VREGION_SIZE);
}

/* before: empty; set 0 and the last vRegion; node ids 0 and 254 are both owners */
static void map_set_get(void)
{
	map_setup();
	CHECK(vregion_map_get(&map, 0) == -ENOENT);
	CHECK(vregion_map_set(&map, 0, 0, VREGION_NONE) == 0);
	CHECK(vregion_map_set(&map, VREGION_COUNT - 1, 254, 0) == 0);
	CHECK(vregion_map_get(&map, 0) == 0 && vregion_map_backup(&map, 0) == -ENOENT);
	CHECK(vregion_map_get(&map, VREGION_COUNT - 1) == 254);
	CHECK(vregion_map_backup(&map, VREGION_COUNT - 1) == 0);
	CHECK(vregion_map_get(&map, 1) == -ENOENT && vregion_map_backup(&map, 1) == -ENOENT);
	CHECK(ta.live == 2);
	map_teardown();
}

static void map_rejects_out_of_range(void)
{
	map_setup();
	CHECK(vregion_map_set(&map, VREGION_COUNT, 1, VREGION_NONE) == -EINVAL);
	CHECK(vregion_map_set(&map, UINT32_MAX, 1, VREGION_NONE) == -EINVAL);
	CHECK(vregion_map_get(&map, UINT32_MAX) == -ENOENT);
	CHECK(vregion_map_set(&map, 5, VREGION_NONE, 1) == -EINVAL);
	CHECK(vregion_map_set(&map, 5, 2, 2) == -EINVAL);
	CHECK(vregion_map_next(&map, 0, UINT32_MAX) == -1);
	ta.allowed = 0;
	CHECK(vregion_map_set(&map, 5, 1, VREGION_NONE) == -ENOMEM);
	CHECK(vregion_map_get(&map, 5) == -ENOENT);
	map_teardown();
}

/* before: 3, 5000 and the last known; next finds each in turn, within the bound */
static void map_next_skips_unknown(void)
{
	map_setup();
	CHECK(vregion_map_set(&map, 3, 1, VREGION_NONE) == 0);
	CHECK(vregion_map_set(&map, 5000, 2, VREGION_NONE) == 0);
	CHECK(vregion_map_set(&map, VREGION_COUNT - 1, 3, VREGION_NONE) == 0);
	CHECK(vregion_map_next(&map, 0, VREGION_COUNT) == 3);
	CHECK(vregion_map_next(&map, 4, VREGION_COUNT) == 5000);
	CHECK(vregion_map_next(&map, 4, 5000) == -1);
	CHECK(vregion_map_next(&map, 5001, UINT32_MAX) == VREGION_COUNT - 1);
	CHECK(vregion_map_next(&map, VREGION_COUNT, UINT32_MAX) == -1);
	map_teardown();
}

/* before: 3, 5000 and the last known; after a copy: the same answers, separate chunks */
static void map_copy(void)
{
	struct vregion_map dst;

	map_setup();
	CHECK(vregion_map_set(&map, 3, 1, VREGION_NONE) == 0);
	CHECK(vregion_map_set(&map, 5000, 2, VREGION_NONE) == 0);
	CHECK(vregion_map_set(&map, VREGION_COUNT - 1, 3, VREGION_NONE) == 0);
	vregion_map_init(&dst, &test_vma_alloc);
	for (long n = 0; n < 3; n++) {
		ta.allowed = n;
		CHECK(vregion_map_copy(&dst, &map) == -ENOMEM);
		CHECK(vregion_map_next(&dst, 0, VREGION_COUNT) == -1 && ta.live == 3);
	}
	ta.allowed = -1;
	CHECK(vregion_map_copy(&dst, &map) == 0 && ta.live == 6);
	CHECK(vregion_map_get(&dst, 3) == 1 && vregion_map_get(&dst, 5000) == 2);
	CHECK(vregion_map_get(&dst, VREGION_COUNT - 1) == 3);
	CHECK(vregion_map_set(&dst, 4, 9, VREGION_NONE) == 0 && vregion_map_get(&map, 4) == -ENOENT);
	vregion_map_fini(&dst);
	map_teardown();
}

/* a lost owner hands over to its backup; a lost backup is forgotten; others stay */
static void map_lose_promotes_the_backup(void)
{
	map_setup();
	CHECK(vregion_map_set(&map, 0, 1, 2) == 0);
	CHECK(vregion_map_set(&map, 1, 2, 1) == 0);
	CHECK(vregion_map_set(&map, 2, 1, VREGION_NONE) == 0);
	CHECK(vregion_map_set(&map, 3, 3, 4) == 0);
	for (uint32_t r = 0; r < 5; r++)
		CHECK(vregion_map_lose(&map, r, 1) == (r < 3));
	CHECK(vregion_map_get(&map, 0) == 2 && vregion_map_backup(&map, 0) == -ENOENT);
	CHECK(vregion_map_get(&map, 1) == 2 && vregion_map_backup(&map, 1) == -ENOENT);
	CHECK(vregion_map_get(&map, 2) == -ENOENT && vregion_map_next(&map, 2, 3) == -1);
	CHECK(vregion_map_get(&map, 3) == 3 && vregion_map_backup(&map, 3) == 4);
	CHECK(!vregion_map_lose(&map, 0, 1) && !vregion_map_lose(&map, UINT32_MAX, 1));
	map_teardown();
}

/* vma_place() predicts a non-fixed mmap, with and without a usable hint */
static void place_predicts_mmap(void)
{
	uint64_t out, want;

	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	want = vma_place(&sp, 0, 3 * PAGE_SIZE, PAGE_SIZE);
	CHECK(vma_mmap(&sp, 0, 3 * PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == 0);
	CHECK(out == want && want == MMAP_BASE - 3 * PAGE_SIZE);
	want = vma_place(&sp, pg(1), PAGE_SIZE, PAGE_SIZE);	/* taken: searched */
	CHECK(vma_mmap(&sp, pg(1), 1, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == 0);
	CHECK(out == want && want == MMAP_BASE - 4 * PAGE_SIZE);
	want = vma_place(&sp, pg(6), PAGE_SIZE, PAGE_SIZE);	/* free: kept */
	CHECK(want == pg(6));
	CHECK_SANE();
	teardown();
}

/* vma_place() predicts where a moving mremap lands */
static void place_predicts_mremap_move(void)
{
	uint64_t out, want;

	setup();
	CHECK(mmap_fixed(0, 2, RW) == 0);
	CHECK(mmap_fixed(2, 1, PROT_READ) == 0);
	want = vma_place(&sp, 0, 4 * PAGE_SIZE, PAGE_SIZE);
	CHECK(vma_mremap(&sp, pg(0), 2 * PAGE_SIZE, 4 * PAGE_SIZE, MREMAP_MAYMOVE, &out) == 0);
	CHECK(out == want && out != pg(0));
	CHECK_SANE();
	teardown();
}

static const struct unit_test tests[] = {
	TEST(vregion_bounds),
	TEST(map_set_get),
	TEST(map_rejects_out_of_range),
	TEST(map_next_skips_unknown),
	TEST(map_copy),
	TEST(map_lose_promotes_the_backup),
	TEST(place_predicts_mmap),
	TEST(place_predicts_mremap_move),
};

CHECK_MAIN("vregion", tests)
