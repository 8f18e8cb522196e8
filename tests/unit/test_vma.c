/*
 * Host tests for mcomponent/vma.c and vma_tree.c, part one: setup and lookup, mmap
 * (arguments and Linux's errnos, MAP_FIXED, placement, merging), and copying a space.
 */
#include "vma_test.h"

/* ---- setup and lookup ---- */

static void init_rejects_bad_bases(void)
{
	struct vma_space s;
	struct vma_alloc none = { NULL, NULL, NULL };

	CHECK(vma_space_init(&s, &test_vma_alloc, MMAP_BASE + 1, BRK_START) == -EINVAL);
	CHECK(vma_space_init(&s, &test_vma_alloc, MMAP_BASE, BRK_START + 8) == -EINVAL);
	CHECK(vma_space_init(&s, &test_vma_alloc, 0, BRK_START) == -EINVAL);
	CHECK(vma_space_init(&s, &test_vma_alloc, MMAP_BASE, VMA_MAX + PAGE_SIZE) == -EINVAL);
	CHECK(vma_space_init(&s, &none, MMAP_BASE, BRK_START) == -EINVAL);
}

/* before: empty; lookups anywhere, including 0 and ~0, find nothing */
static void empty_space_finds_nothing(void)
{
	setup();
	CHECK(vma_find(&sp, 0) == NULL);
	CHECK(vma_find(&sp, UINT64_MAX) == NULL);
	CHECK(vma_first_after(&sp, 0) == NULL);
	CHECK(vma_first(&sp) == NULL);
	CHECK_LAYOUT("");
	teardown();
}

/* before: 0-4, 8-10; find hits inside, misses at end and in the hole */
static void find_and_first_after(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	CHECK(mmap_fixed(8, 2, PROT_READ) == 0);
	CHECK(vma_find(&sp, pg(0))->start == pg(0));
	CHECK(vma_find(&sp, pg(4) - 1)->start == pg(0));
	CHECK(vma_find(&sp, pg(4)) == NULL);
	CHECK(vma_find(&sp, pg(9) + 5)->start == pg(8));
	CHECK(vma_find(&sp, pg(10)) == NULL);
	CHECK(vma_first_after(&sp, 0)->start == pg(0));
	CHECK(vma_first_after(&sp, pg(2))->start == pg(0));
	CHECK(vma_first_after(&sp, pg(5))->start == pg(8));
	CHECK(vma_first_after(&sp, pg(10)) == NULL);
	CHECK_LAYOUT("0-4 rw-, 8-10 r--");
	teardown();
}

/* ---- mmap arguments ---- */

static void mmap_zero_len_is_einval(void)
{
	uint64_t out;

	setup();
	/* Linux: mmap with length 0 fails with EINVAL */
	CHECK(vma_mmap(&sp, 0, 0, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == -EINVAL);
	CHECK_LAYOUT("");
	teardown();
}

static void mmap_huge_len_is_enomem(void)
{
	uint64_t out;

	setup();
	/* Linux: a length that overflows PAGE_ALIGN or exceeds TASK_SIZE is ENOMEM */
	CHECK(vma_mmap(&sp, 0, UINT64_MAX, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == -ENOMEM);
	CHECK(vma_mmap(&sp, 0, VMA_MAX, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == -ENOMEM);
	CHECK(vma_mmap(&sp, 0, UINT64_MAX - PAGE_SIZE + 2, RW, ANON_FLAGS | MAP_FIXED,
		       VMA_KIND_ANON, 0, &out) == -ENOMEM);
	CHECK_LAYOUT("");
	teardown();
}

static void mmap_fixed_unaligned_is_einval(void)
{
	uint64_t out;

	setup();
	/* Linux: MAP_FIXED (and MAP_FIXED_NOREPLACE) needs a page-aligned address */
	CHECK(vma_mmap(&sp, pg(0) + 1, PAGE_SIZE, RW, ANON_FLAGS | MAP_FIXED,
		       VMA_KIND_ANON, 0, &out) == -EINVAL);
	CHECK(vma_mmap(&sp, pg(0) + 0x800, PAGE_SIZE, RW, ANON_FLAGS | MAP_FIXED_NOREPLACE,
		       VMA_KIND_ANON, 0, &out) == -EINVAL);
	CHECK_LAYOUT("");
	teardown();
}

static void mmap_fixed_below_min_is_eperm(void)
{
	uint64_t out;

	setup();
	/* Linux: a fixed address below mmap_min_addr is EPERM */
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, ANON_FLAGS | MAP_FIXED,
		       VMA_KIND_ANON, 0, &out) == -EPERM);
	CHECK(vma_mmap(&sp, VMA_MIN - PAGE_SIZE, PAGE_SIZE, RW, ANON_FLAGS | MAP_FIXED,
		       VMA_KIND_ANON, 0, &out) == -EPERM);
	CHECK(vma_mmap(&sp, VMA_MIN, PAGE_SIZE, RW, ANON_FLAGS | MAP_FIXED,
		       VMA_KIND_ANON, 0, &out) == 0 && out == VMA_MIN);
	CHECK_SANE();
	teardown();
}

static void mmap_fixed_past_top_is_enomem(void)
{
	uint64_t out;

	setup();
	/* Linux: a fixed range past TASK_SIZE is ENOMEM */
	CHECK(vma_mmap(&sp, VMA_MAX - PAGE_SIZE, 2 * PAGE_SIZE, RW, ANON_FLAGS | MAP_FIXED,
		       VMA_KIND_ANON, 0, &out) == -ENOMEM);
	CHECK(vma_mmap(&sp, UINT64_MAX & ~(PAGE_SIZE - 1), PAGE_SIZE, RW,
		       ANON_FLAGS | MAP_FIXED, VMA_KIND_ANON, 0, &out) == -ENOMEM);
	CHECK(vma_mmap(&sp, VMA_MAX - PAGE_SIZE, PAGE_SIZE, RW, ANON_FLAGS | MAP_FIXED,
		       VMA_KIND_ANON, 0, &out) == 0 && out == VMA_MAX - PAGE_SIZE);
	CHECK_SANE();
	teardown();
}

static void mmap_bad_prot_flags_kind_align_are_einval(void)
{
	uint64_t out;

	setup();
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, 0x8, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == -EINVAL);
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, ANON_FLAGS | 0x40000000, VMA_KIND_ANON, 0,
		       &out) == -EINVAL);
	/* Linux: neither MAP_PRIVATE nor MAP_SHARED is EINVAL; shared/file are not supported */
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, MAP_ANONYMOUS, VMA_KIND_ANON, 0, &out) == -EINVAL);
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, MAP_PRIVATE, VMA_KIND_ANON, 0, &out) == -EINVAL);
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_COUNT, 0, &out) == -EINVAL);
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 3 * PAGE_SIZE,
		       &out) == -EINVAL);
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 1ULL << 63,
		       &out) == -EINVAL);
	CHECK_LAYOUT("");
	teardown();
}

/* before: empty; after: one 2-page vma for a length of one page and one byte */
static void mmap_rounds_len_up_to_pages(void)
{
	uint64_t out;

	setup();
	CHECK(vma_mmap(&sp, pg(0), PAGE_SIZE + 1, RW, ANON_FLAGS | MAP_FIXED, VMA_KIND_ANON,
		       0, &out) == 0);
	CHECK_LAYOUT("0-2 rw-");
	teardown();
}

/* ---- MAP_FIXED ---- */

/* before: 0-10 rw; after: MAP_FIXED 3-5 r replaces the middle */
static void mmap_fixed_replaces_middle(void)
{
	setup();
	CHECK(mmap_fixed(0, 10, RW) == 0);
	CHECK(mmap_fixed(3, 2, PROT_READ) == 0);
	CHECK_LAYOUT("0-3 rw-, 3-5 r--, 5-10 rw-");
	teardown();
}

/* before: 0-2 r, 3-5 rw, 6-8 r; after: MAP_FIXED 1-7 x replaces parts of all three */
static void mmap_fixed_replaces_several(void)
{
	setup();
	CHECK(mmap_fixed(0, 2, PROT_READ) == 0);
	CHECK(mmap_fixed(3, 2, RW) == 0);
	CHECK(mmap_fixed(6, 2, PROT_READ) == 0);
	CHECK(mmap_fixed(1, 6, PROT_EXEC) == 0);
	CHECK_LAYOUT("0-1 r--, 1-7 --x, 7-8 r--");
	teardown();
}

/* before: 0-4 rw; after: MAP_FIXED_NOREPLACE over it fails, beside it succeeds */
static void mmap_fixed_noreplace(void)
{
	uint64_t out;

	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	/* Linux: MAP_FIXED_NOREPLACE over an existing mapping is EEXIST */
	CHECK(vma_mmap(&sp, pg(3), 2 * PAGE_SIZE, PROT_READ, ANON_FLAGS | MAP_FIXED_NOREPLACE,
		       VMA_KIND_ANON, 0, &out) == -EEXIST);
	CHECK(vma_mmap(&sp, pg(4), 2 * PAGE_SIZE, PROT_READ, ANON_FLAGS | MAP_FIXED_NOREPLACE,
		       VMA_KIND_ANON, 0, &out) == 0 && out == pg(4));
	CHECK_LAYOUT("0-4 rw-, 4-6 r--");
	teardown();
}

/* ---- placement ---- */

static void mmap_hint_taken_when_free(void)
{
	uint64_t out;

	setup();
	CHECK(vma_mmap(&sp, pg(20), PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == 0);
	CHECK(out == pg(20));
	CHECK_LAYOUT("20-21 rw-");
	teardown();
}

static void mmap_unaligned_hint_rounds_up(void)
{
	uint64_t out;

	setup();
	CHECK(vma_mmap(&sp, pg(20) + 1, PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == 0);
	CHECK(out == pg(21));
	teardown();
}

/* before: 20-22; a hint at 21 is busy, so the mapping goes top-down below mmap_base */
static void mmap_hint_not_taken_when_busy(void)
{
	uint64_t out;

	setup();
	CHECK(mmap_fixed(20, 2, RW) == 0);
	CHECK(vma_mmap(&sp, pg(21), PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == 0);
	CHECK(out == MMAP_BASE - PAGE_SIZE);
	/* hints below VMA_MIN or past the top are ignored, not errors */
	CHECK(vma_mmap(&sp, PAGE_SIZE, PAGE_SIZE, PROT_READ, ANON_FLAGS, VMA_KIND_ANON, 0,
		       &out) == 0 && out == MMAP_BASE - 2 * PAGE_SIZE);
	CHECK(vma_mmap(&sp, UINT64_MAX, PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0,
		       &out) == 0 && out == MMAP_BASE - 3 * PAGE_SIZE);
	CHECK_SANE();
	teardown();
}

/* successive mappings stack down from mmap_base and merge when they match */
static void mmap_topdown_from_base(void)
{
	uint64_t a, b, c;

	setup();
	CHECK(vma_mmap(&sp, 0, 2 * PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &a) == 0);
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &b) == 0);
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, PROT_READ, ANON_FLAGS, VMA_KIND_ANON, 0, &c) == 0);
	CHECK(a == MMAP_BASE - 2 * PAGE_SIZE);
	CHECK(b == a - PAGE_SIZE && c == b - PAGE_SIZE);
	CHECK(sp.nr_vmas == 2);
	CHECK_SANE();
	teardown();
}

/* a hole below mmap_base that fits is reused; one too small is skipped */
static void mmap_topdown_fills_highest_hole(void)
{
	uint64_t out, top = MMAP_BASE - 10 * PAGE_SIZE;

	setup();
	CHECK(vma_mmap(&sp, top, 10 * PAGE_SIZE, RW, ANON_FLAGS | MAP_FIXED, VMA_KIND_ANON, 0,
		       &out) == 0);
	CHECK(vma_munmap(&sp, top + PAGE_SIZE, PAGE_SIZE) == 0);	/* 1-page hole */
	CHECK(vma_munmap(&sp, top + 4 * PAGE_SIZE, 3 * PAGE_SIZE) == 0); /* 3-page hole */
	CHECK(vma_mmap(&sp, 0, 2 * PAGE_SIZE, PROT_READ, ANON_FLAGS, VMA_KIND_ANON, 0,
		       &out) == 0);
	CHECK(out == top + 5 * PAGE_SIZE);
	CHECK(vma_mmap(&sp, 0, 2 * PAGE_SIZE, PROT_READ, ANON_FLAGS, VMA_KIND_ANON, 0,
		       &out) == 0);
	CHECK(out == top - 2 * PAGE_SIZE);
	CHECK_SANE();
	teardown();
}

static void mmap_alignment(void)
{
	uint64_t out, huge = 2ULL << 20;

	setup();
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == 0);
	CHECK(vma_mmap(&sp, 0, huge, RW, ANON_FLAGS, VMA_KIND_DATA, huge, &out) == 0);
	CHECK(out % huge == 0 && out + huge <= MMAP_BASE - PAGE_SIZE);
	/* a free but misaligned hint is not taken */
	CHECK(vma_mmap(&sp, pg(1), huge, RW, ANON_FLAGS, VMA_KIND_DATA, huge, &out) == 0);
	CHECK(out % huge == 0 && out != pg(1));
	/* an alignment below a page means a page */
	CHECK(vma_mmap(&sp, pg(1), PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 64, &out) == 0);
	CHECK(out == pg(1));
	CHECK_SANE();
	teardown();
}

/* with nothing free below mmap_base, the search falls back to above it (as Linux) */
static void mmap_falls_back_above_base(void)
{
	uint64_t out;

	setup_with(VMA_MIN + 4 * PAGE_SIZE, BRK_START);
	CHECK(vma_mmap(&sp, 0, 8 * PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == 0);
	CHECK(out == VMA_MIN + 4 * PAGE_SIZE);
	CHECK(vma_mmap(&sp, 0, 4 * PAGE_SIZE, PROT_READ, ANON_FLAGS, VMA_KIND_ANON, 0,
		       &out) == 0);
	CHECK(out == VMA_MIN);
	CHECK_SANE();
	teardown();
}

static void mmap_no_room_is_enomem(void)
{
	uint64_t out;

	setup();
	CHECK(vma_mmap(&sp, VMA_MIN, VMA_MAX - VMA_MIN, RW, ANON_FLAGS | MAP_FIXED,
		       VMA_KIND_ANON, 0, &out) == 0);
	/* Linux: no free range for a non-fixed mapping is ENOMEM */
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == -ENOMEM);
	CHECK(vma_munmap(&sp, pg(0), PAGE_SIZE) == 0);
	CHECK(vma_mmap(&sp, 0, 2 * PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == -ENOMEM);
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, ANON_FLAGS, VMA_KIND_ANON, 0, &out) == 0);
	CHECK(out == pg(0) && sp.nr_vmas == 1);
	CHECK_SANE();
	teardown();
}

/* ---- merging ---- */

/* before: 0-2 rw; after: 2-4 rw merges, 4-6 r does not, 6-8 rw data does not */
static void mmap_merges_only_identical_neighbours(void)
{
	setup();
	CHECK(mmap_fixed(0, 2, RW) == 0);
	CHECK(mmap_fixed(2, 2, RW) == 0);
	CHECK(mmap_fixed(4, 2, PROT_READ) == 0);
	CHECK(mmap_fixed_kind(6, 2, RW, VMA_KIND_DATA) == 0);
	CHECK_LAYOUT("0-4 rw-, 4-6 r--, 6-8 rw- data");
	teardown();
}

/* before: 0-2 rw, 4-6 rw; after: filling 2-4 rw leaves one vma */
static void mmap_filling_a_hole_merges_both_sides(void)
{
	setup();
	CHECK(mmap_fixed(0, 2, RW) == 0);
	CHECK(mmap_fixed(4, 2, RW) == 0);
	CHECK(mmap_fixed(2, 2, RW) == 0);
	CHECK_LAYOUT("0-6 rw-");
	teardown();
}

/* before: 0-6 rw, 3-4 r; after: MAP_FIXED 3-4 rw heals it back into one */
static void mmap_fixed_over_different_middle_merges(void)
{
	setup();
	CHECK(mmap_fixed(0, 6, RW) == 0);
	CHECK(mprotect_pg(3, 1, PROT_READ) == 0);
	CHECK(mmap_fixed(3, 1, RW) == 0);
	CHECK_LAYOUT("0-6 rw-");
	teardown();
}

/* ---- copy (fork) ---- */

static void swap_spaces(struct vma_space *a, struct vma_space *b)
{
	struct vma_space t = *a;

	*a = *b;
	*b = t;
}

/*
 * before: 0-4 rw, 6-8 r-x text, 10-11 ---, a moved break; after a copy: the same
 * layout, break and mmap base; unmapping in the copy leaves the original as it was
 */
static void copy_is_equal_then_independent(void)
{
	struct vma_space dst;
	char want[4096];

	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	CHECK(mmap_fixed_kind(6, 2, PROT_READ | PROT_EXEC, VMA_KIND_TEXT) == 0);
	CHECK(mmap_fixed(10, 1, PROT_NONE) == 0);
	CHECK(vma_brk(&sp, BRK_START + 3 * PAGE_SIZE + 5) == BRK_START + 3 * PAGE_SIZE + 5);
	snprintf(want, sizeof(want), "%s", layout());
	CHECK(vma_space_init(&dst, &test_vma_alloc, VMA_MIN, VMA_MIN) == 0);
	CHECK(vma_space_copy(&dst, &sp) == 0);
	CHECK(dst.nr_vmas == 4 && ta.live == 8);
	CHECK(dst.brk == sp.brk && dst.brk_start == BRK_START && dst.mmap_base == MMAP_BASE);
	swap_spaces(&sp, &dst);
	CHECK(vma_check(&sp) == NULL);
	CHECK_STREQ(layout(), want);
	CHECK(munmap_pg(0, 8) == 0 && vma_brk(&sp, BRK_START) == BRK_START);
	CHECK_STREQ(layout(), "10-11 ---");
	swap_spaces(&sp, &dst);
	CHECK(vma_check(&sp) == NULL && sp.brk == BRK_START + 3 * PAGE_SIZE + 5);
	CHECK_STREQ(layout(), want);
	vma_space_fini(&dst);
	CHECK_SANE();
	teardown();
}

/* running out of memory at each node leaves the copy empty; a used dst is -EINVAL */
static void copy_out_of_memory_leaves_nothing(void)
{
	struct vma_space dst;

	setup();
	for (int i = 0; i < 5; i++)
		CHECK(mmap_fixed(2 * i, 1, i % 2 ? RW : PROT_READ) == 0);
	CHECK(vma_space_init(&dst, &test_vma_alloc, MMAP_BASE, BRK_START) == 0);
	for (long n = 0; n < 5; n++) {
		ta.allowed = n;
		CHECK(vma_space_copy(&dst, &sp) == -ENOMEM);
		CHECK(dst.nr_vmas == 0 && dst.first == NULL && dst.root == NULL);
		CHECK(ta.live == 5);
	}
	ta.allowed = -1;
	CHECK(vma_space_copy(&dst, &sp) == 0 && dst.nr_vmas == 5);
	CHECK(vma_space_copy(&dst, &sp) == -EINVAL && dst.nr_vmas == 5);
	vma_space_fini(&dst);
	CHECK_LAYOUT("0-1 r--, 2-3 rw-, 4-5 r--, 6-7 rw-, 8-9 r--");
	teardown();
}

static const struct unit_test tests[] = {
	TEST(init_rejects_bad_bases),
	TEST(empty_space_finds_nothing),
	TEST(find_and_first_after),
	TEST(mmap_zero_len_is_einval),
	TEST(mmap_huge_len_is_enomem),
	TEST(mmap_fixed_unaligned_is_einval),
	TEST(mmap_fixed_below_min_is_eperm),
	TEST(mmap_fixed_past_top_is_enomem),
	TEST(mmap_bad_prot_flags_kind_align_are_einval),
	TEST(mmap_rounds_len_up_to_pages),
	TEST(mmap_fixed_replaces_middle),
	TEST(mmap_fixed_replaces_several),
	TEST(mmap_fixed_noreplace),
	TEST(mmap_hint_taken_when_free),
	TEST(mmap_unaligned_hint_rounds_up),
	TEST(mmap_hint_not_taken_when_busy),
	TEST(mmap_topdown_from_base),
	TEST(mmap_topdown_fills_highest_hole),
	TEST(mmap_alignment),
	TEST(mmap_falls_back_above_base),
	TEST(mmap_no_room_is_enomem),
	TEST(mmap_merges_only_identical_neighbours),
	TEST(mmap_filling_a_hole_merges_both_sides),
	TEST(mmap_fixed_over_different_middle_merges),
	TEST(copy_is_equal_then_independent),
	TEST(copy_out_of_memory_leaves_nothing),
};

CHECK_MAIN("vma", tests)
