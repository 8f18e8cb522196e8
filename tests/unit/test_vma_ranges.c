/*
 * Host tests for mcomponent/vma.c and vma_tree.c, part two: munmap, mprotect, brk and
 * mremap on ranges (Linux's splitting, merging and errnos), allocation failure, and
 * a seeded random stress checked page by page against a shadow map.
 */
#include "vma_test.h"

/* ---- munmap ---- */

static void munmap_unaligned_is_einval(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	/* Linux: munmap of an unaligned address is EINVAL */
	CHECK(vma_munmap(&sp, pg(1) + 1, PAGE_SIZE) == -EINVAL);
	CHECK_LAYOUT("0-4 rw-");
	teardown();
}

static void munmap_zero_len_is_einval(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	/* Linux: munmap of length 0 is EINVAL */
	CHECK(vma_munmap(&sp, pg(1), 0) == -EINVAL);
	CHECK_LAYOUT("0-4 rw-");
	teardown();
}

static void munmap_huge_or_wrapping_is_einval(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	/* Linux: len > TASK_SIZE - start (including addr+len wrapping) is EINVAL */
	CHECK(vma_munmap(&sp, pg(1), UINT64_MAX) == -EINVAL);
	CHECK(vma_munmap(&sp, pg(1), UINT64_MAX - pg(1) + 1) == -EINVAL);
	CHECK(vma_munmap(&sp, pg(1), VMA_MAX) == -EINVAL);
	CHECK(vma_munmap(&sp, VMA_MAX, PAGE_SIZE) == -EINVAL);
	CHECK(vma_munmap(&sp, UINT64_MAX & ~(PAGE_SIZE - 1), PAGE_SIZE) == -EINVAL);
	CHECK_LAYOUT("0-4 rw-");
	/* the very top page is still a valid range */
	CHECK(vma_munmap(&sp, VMA_MAX - PAGE_SIZE, PAGE_SIZE) == 0);
	teardown();
}

static void munmap_of_nothing_is_zero(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	/* Linux: unmapping a range with no mappings succeeds */
	CHECK(munmap_pg(10, 5) == 0);
	CHECK(vma_munmap(&sp, 0, PAGE_SIZE) == 0);
	CHECK_LAYOUT("0-4 rw-");
	teardown();
}

/* before: 0-4; after: 1-4 */
static void munmap_front(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	CHECK(munmap_pg(0, 1) == 0);
	CHECK_LAYOUT("1-4 rw-");
	teardown();
}

/* before: 0-4; after: 0-3, with an unaligned length rounded up */
static void munmap_back_unaligned_len(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	CHECK(vma_munmap(&sp, pg(3), 1) == 0);
	CHECK_LAYOUT("0-3 rw-");
	teardown();
}

/* before: 0-4; after: 0-1, 3-4 */
static void munmap_middle_splits(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	CHECK(munmap_pg(1, 2) == 0);
	CHECK_LAYOUT("0-1 rw-, 3-4 rw-");
	teardown();
}

/* before: 0-2, 3-5, 6-8, 9-11; after: 0-1, 10-11 (holes inside the range are fine) */
static void munmap_spanning_several(void)
{
	setup();
	CHECK(mmap_fixed(0, 2, RW) == 0);
	CHECK(mmap_fixed(3, 2, PROT_READ) == 0);
	CHECK(mmap_fixed(6, 2, RW) == 0);
	CHECK(mmap_fixed(9, 2, PROT_READ) == 0);
	CHECK(munmap_pg(1, 9) == 0);
	CHECK_LAYOUT("0-1 rw-, 10-11 r--");
	teardown();
}

/* before: 2-4; after: empty, from a range overlapping it on both sides */
static void munmap_overlapping_whole(void)
{
	setup();
	CHECK(mmap_fixed(2, 2, RW) == 0);
	CHECK(munmap_pg(0, 10) == 0);
	CHECK_LAYOUT("");
	teardown();
}

/* ---- mprotect ---- */

static void mprotect_unaligned_is_einval(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	/* Linux: mprotect of an unaligned address is EINVAL */
	CHECK(vma_mprotect(&sp, pg(1) + 8, PAGE_SIZE, PROT_READ) == -EINVAL);
	CHECK_LAYOUT("0-4 rw-");
	teardown();
}

static void mprotect_zero_len_is_zero(void)
{
	setup();
	/* Linux: mprotect of length 0 succeeds even where nothing is mapped */
	CHECK(vma_mprotect(&sp, pg(1), 0, PROT_READ) == 0);
	CHECK_LAYOUT("");
	teardown();
}

static void mprotect_wrapping_len_is_enomem(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	/* Linux: start + PAGE_ALIGN(len) wrapping, or past TASK_SIZE, is ENOMEM */
	CHECK(vma_mprotect(&sp, pg(0), UINT64_MAX, PROT_READ) == -ENOMEM);
	CHECK(vma_mprotect(&sp, pg(0), UINT64_MAX - pg(0) - 10, PROT_READ) == -ENOMEM);
	CHECK(vma_mprotect(&sp, VMA_MAX, PAGE_SIZE, PROT_READ) == -ENOMEM);
	CHECK_LAYOUT("0-4 rw-");
	teardown();
}

static void mprotect_bad_prot_is_einval(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	/* Linux: unknown prot bits are EINVAL */
	CHECK(mprotect_pg(0, 1, 0x100) == -EINVAL);
	CHECK_LAYOUT("0-4 rw-");
	teardown();
}

static void mprotect_unmapped_is_enomem(void)
{
	setup();
	CHECK(mmap_fixed(0, 2, RW) == 0);
	CHECK(mmap_fixed(3, 2, RW) == 0);
	/* Linux: any unmapped page in the range is ENOMEM */
	CHECK(mprotect_pg(10, 1, PROT_READ) == -ENOMEM);
	CHECK(mprotect_pg(0, 5, PROT_READ) == -ENOMEM);	/* hole at 2 */
	CHECK(mprotect_pg(3, 3, PROT_READ) == -ENOMEM);	/* runs off the end */
	CHECK(mprotect_pg(-1, 2, PROT_READ) == -ENOMEM);	/* starts before */
	/* and nothing changed, not even the part before the hole */
	CHECK_LAYOUT("0-2 rw-, 3-5 rw-");
	teardown();
}

/* before: 0-4 rw; after: 0-1 r, 1-4 rw */
static void mprotect_front(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	CHECK(mprotect_pg(0, 1, PROT_READ) == 0);
	CHECK_LAYOUT("0-1 r--, 1-4 rw-");
	teardown();
}

/* before: 0-4 rw; after: 0-3 rw, 3-4 none */
static void mprotect_back(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	CHECK(mprotect_pg(3, 1, PROT_NONE) == 0);
	CHECK_LAYOUT("0-3 rw-, 3-4 ---");
	teardown();
}

/* before: 0-4 rw; after: 0-1 rw, 1-3 rx, 3-4 rw */
static void mprotect_middle(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	CHECK(mprotect_pg(1, 2, PROT_READ | PROT_EXEC) == 0);
	CHECK_LAYOUT("0-1 rw-, 1-3 r-x, 3-4 rw-");
	teardown();
}

/* before: 0-2 r, 2-4 rw data, 4-6 x; after: 1-5 rw keeps each vma's kind */
static void mprotect_spanning_several_keeps_kinds(void)
{
	setup();
	CHECK(mmap_fixed(0, 2, PROT_READ) == 0);
	CHECK(mmap_fixed_kind(2, 2, RW, VMA_KIND_DATA) == 0);
	CHECK(mmap_fixed(4, 2, PROT_EXEC) == 0);
	CHECK(mprotect_pg(1, 4, RW) == 0);
	CHECK_LAYOUT("0-1 r--, 1-2 rw-, 2-4 rw- data, 4-5 rw-, 5-6 --x");
	teardown();
}

/* before: 0-2 r, 2-4 rw, 4-6 r; after: mprotect 2-4 r merges all three */
static void mprotect_merges_neighbours(void)
{
	setup();
	CHECK(mmap_fixed(0, 2, PROT_READ) == 0);
	CHECK(mmap_fixed(2, 2, RW) == 0);
	CHECK(mmap_fixed(4, 2, PROT_READ) == 0);
	CHECK(mprotect_pg(2, 2, PROT_READ) == 0);
	CHECK_LAYOUT("0-6 r--");
	teardown();
}

/* before: 0-4 rw; after: the same, and a split-and-restore merges back */
static void mprotect_back_and_forth_restores_one_vma(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	CHECK(mprotect_pg(1, 2, PROT_READ) == 0);
	CHECK(mprotect_pg(1, 2, RW) == 0);
	CHECK_LAYOUT("0-4 rw-");
	teardown();
}

/* ---- brk ---- */

static void brk_query_returns_start(void)
{
	setup();
	CHECK(vma_brk(&sp, 0) == BRK_START);
	CHECK_LAYOUT("");
	teardown();
}

/* before: no heap; after: growing creates one heap vma and extends it */
static void brk_grow_creates_and_extends_heap(void)
{
	setup();
	CHECK(vma_brk(&sp, BRK_START + 100) == BRK_START + 100);
	CHECK(sp.nr_vmas == 1 && sp.first->kind == VMA_KIND_HEAP);
	CHECK(sp.first->start == BRK_START && sp.first->end == BRK_START + PAGE_SIZE);
	CHECK(sp.first->prot == RW);
	CHECK(vma_brk(&sp, BRK_START + 3 * PAGE_SIZE) == BRK_START + 3 * PAGE_SIZE);
	CHECK(sp.nr_vmas == 1 && sp.first->end == BRK_START + 3 * PAGE_SIZE);
	CHECK(vma_brk(&sp, 0) == BRK_START + 3 * PAGE_SIZE);
	CHECK_SANE();
	teardown();
}

/* before: heap of 4 pages; after: shrinking to 1.5 pages keeps 2 */
static void brk_shrink_unmaps(void)
{
	setup();
	CHECK(vma_brk(&sp, BRK_START + 4 * PAGE_SIZE) == BRK_START + 4 * PAGE_SIZE);
	CHECK(vma_brk(&sp, BRK_START + PAGE_SIZE + 1) == BRK_START + PAGE_SIZE + 1);
	CHECK(sp.nr_vmas == 1 && sp.first->end == BRK_START + 2 * PAGE_SIZE);
	CHECK(vma_brk(&sp, BRK_START) == BRK_START);
	CHECK(sp.nr_vmas == 0);
	CHECK_SANE();
	teardown();
}

static void brk_refuses_overlap_and_bad_values(void)
{
	uint64_t out;

	setup();
	CHECK(vma_brk(&sp, BRK_START + PAGE_SIZE) == BRK_START + PAGE_SIZE);
	CHECK(vma_mmap(&sp, BRK_START + 4 * PAGE_SIZE, PAGE_SIZE, RW,
		       ANON_FLAGS | MAP_FIXED, VMA_KIND_ANON, 0, &out) == 0);
	/* Linux: brk returns the old break when it cannot move it */
	CHECK(vma_brk(&sp, BRK_START + 5 * PAGE_SIZE) == BRK_START + PAGE_SIZE);
	CHECK(vma_brk(&sp, BRK_START - PAGE_SIZE) == BRK_START + PAGE_SIZE);
	CHECK(vma_brk(&sp, UINT64_MAX) == BRK_START + PAGE_SIZE);
	/* up to the other mapping is fine */
	CHECK(vma_brk(&sp, BRK_START + 4 * PAGE_SIZE) == BRK_START + 4 * PAGE_SIZE);
	CHECK(sp.nr_vmas == 2);
	CHECK_SANE();
	teardown();
}

/* ---- mremap ---- */

static void mremap_bad_args(void)
{
	uint64_t out;

	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	/* Linux: unaligned old address, new_len 0, unknown flags are EINVAL */
	CHECK(vma_mremap(&sp, pg(0) + 1, PAGE_SIZE, PAGE_SIZE, 0, &out) == -EINVAL);
	CHECK(vma_mremap(&sp, pg(0), PAGE_SIZE, 0, 0, &out) == -EINVAL);
	CHECK(vma_mremap(&sp, pg(0), PAGE_SIZE, PAGE_SIZE, 0x80, &out) == -EINVAL);
	CHECK(vma_mremap(&sp, pg(0), UINT64_MAX, PAGE_SIZE, 0, &out) == -ENOMEM);
	CHECK(vma_mremap(&sp, pg(0), PAGE_SIZE, UINT64_MAX, MREMAP_MAYMOVE, &out) == -ENOMEM);
	CHECK_LAYOUT("0-4 rw-");
	teardown();
}

/* before: 0-4; after: 0-2, the tail unmapped */
static void mremap_shrink_unmaps_tail(void)
{
	uint64_t out;

	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	CHECK(vma_mremap(&sp, pg(0), 4 * PAGE_SIZE, 2 * PAGE_SIZE, 0, &out) == 0);
	CHECK(out == pg(0));
	CHECK_LAYOUT("0-2 rw-");
	CHECK(vma_mremap(&sp, pg(0), 2 * PAGE_SIZE, 2 * PAGE_SIZE, 0, &out) == 0);
	CHECK_LAYOUT("0-2 rw-");
	teardown();
}

/* before: 0-2, 5-6; after: 0-4 grown in place */
static void mremap_grow_in_place(void)
{
	uint64_t out;

	setup();
	CHECK(mmap_fixed(0, 2, RW) == 0);
	CHECK(mmap_fixed(5, 1, RW) == 0);
	CHECK(vma_mremap(&sp, pg(0), 2 * PAGE_SIZE, 4 * PAGE_SIZE, 0, &out) == 0);
	CHECK(out == pg(0));
	CHECK_LAYOUT("0-4 rw-, 5-6 rw-");
	/* growing into the identical neighbour's start merges with it */
	CHECK(vma_mremap(&sp, pg(0), 4 * PAGE_SIZE, 5 * PAGE_SIZE, 0, &out) == 0);
	CHECK_LAYOUT("0-6 rw-");
	teardown();
}

/* before: 0-2 rw, 2-3 r; growing 0-2 is blocked: -ENOMEM without MAYMOVE */
static void mremap_blocked_without_maymove_is_enomem(void)
{
	uint64_t out;

	setup();
	CHECK(mmap_fixed(0, 2, RW) == 0);
	CHECK(mmap_fixed(2, 1, PROT_READ) == 0);
	/* Linux: cannot grow in place and may not move: ENOMEM */
	CHECK(vma_mremap(&sp, pg(0), 2 * PAGE_SIZE, 3 * PAGE_SIZE, 0, &out) == -ENOMEM);
	/* a range that does not end at the vma's end cannot grow in place either */
	CHECK(vma_mremap(&sp, pg(0), PAGE_SIZE, 3 * PAGE_SIZE, 0, &out) == -ENOMEM);
	CHECK_LAYOUT("0-2 rw-, 2-3 r--");
	teardown();
}

/* before: 0-2 rw data, 2-3 r; after: 2-3 r and a 4-page rw data vma elsewhere */
static void mremap_moves_with_maymove(void)
{
	uint64_t out;
	struct vma *v;

	setup();
	CHECK(mmap_fixed_kind(0, 2, RW, VMA_KIND_DATA) == 0);
	CHECK(mmap_fixed(2, 1, PROT_READ) == 0);
	CHECK(vma_mremap(&sp, pg(0), 2 * PAGE_SIZE, 4 * PAGE_SIZE, MREMAP_MAYMOVE, &out) == 0);
	CHECK(out == MMAP_BASE - 4 * PAGE_SIZE);
	v = vma_find(&sp, out);
	CHECK(v && v->start == out && v->end == out + 4 * PAGE_SIZE);
	CHECK(v->prot == RW && v->kind == VMA_KIND_DATA);
	CHECK(vma_find(&sp, pg(0)) == NULL && vma_find(&sp, pg(1)) == NULL);
	CHECK(sp.nr_vmas == 2);
	CHECK_SANE();
	teardown();
}

/* before: 0-6; moving the middle 2-4 leaves 0-2 and 4-6 behind */
static void mremap_move_of_middle_splits(void)
{
	uint64_t out;

	setup();
	CHECK(mmap_fixed(0, 6, RW) == 0);
	CHECK(vma_mremap(&sp, pg(2), 2 * PAGE_SIZE, 3 * PAGE_SIZE, MREMAP_MAYMOVE, &out) == 0);
	CHECK(vma_find(&sp, pg(2)) == NULL && vma_find(&sp, pg(3)) == NULL);
	CHECK(vma_find(&sp, pg(1)) && vma_find(&sp, pg(4)));
	CHECK(vma_find(&sp, out)->end == out + 3 * PAGE_SIZE);
	CHECK(sp.nr_vmas == 3);
	CHECK_SANE();
	teardown();
}

static void mremap_unmapped_or_spanning_is_efault(void)
{
	uint64_t out;

	setup();
	CHECK(mmap_fixed(0, 2, RW) == 0);
	CHECK(mmap_fixed(2, 2, PROT_READ) == 0);
	/* Linux: growing a range not inside one vma is EFAULT */
	CHECK(vma_mremap(&sp, pg(10), PAGE_SIZE, 2 * PAGE_SIZE, MREMAP_MAYMOVE, &out) == -EFAULT);
	CHECK(vma_mremap(&sp, pg(0), 3 * PAGE_SIZE, 5 * PAGE_SIZE, MREMAP_MAYMOVE, &out) == -EFAULT);
	/* Linux: shrinking does not look at the mappings at all */
	CHECK(vma_mremap(&sp, pg(10), 2 * PAGE_SIZE, PAGE_SIZE, 0, &out) == 0 && out == pg(10));
	CHECK_LAYOUT("0-2 rw-, 2-4 r--");
	teardown();
}

/* ---- allocation failure ---- */

/* before: 0-4 rw; a middle split with no memory fails and leaves 0-4 rw */
static void munmap_middle_without_memory_changes_nothing(void)
{
	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	ta.allowed = 0;
	/* Linux: munmap that must split a vma can fail with ENOMEM */
	CHECK(munmap_pg(1, 2) == -ENOMEM);
	CHECK_LAYOUT("0-4 rw-");
	/* trimming or removing whole vmas needs no memory */
	CHECK(munmap_pg(3, 1) == 0);
	CHECK(munmap_pg(0, 1) == 0);
	CHECK_LAYOUT("1-3 rw-");
	ta.allowed = -1;
	teardown();
}

/* before: 0-4 rw; each number of allowed allocations short of 2 fails cleanly */
static void mprotect_without_memory_changes_nothing(void)
{
	long k;

	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	for (k = 0; k < 2; k++) {
		ta.allowed = k;
		CHECK(mprotect_pg(1, 2, PROT_READ) == -ENOMEM);
		CHECK_LAYOUT("0-4 rw-");
	}
	/* same prot splits nothing and so needs nothing */
	ta.allowed = 0;
	CHECK(mprotect_pg(1, 2, RW) == 0);
	ta.allowed = 2;
	CHECK(mprotect_pg(1, 2, PROT_READ) == 0);
	CHECK_LAYOUT("0-1 rw-, 1-3 r--, 3-4 rw-");
	ta.allowed = -1;
	teardown();
}

static void mmap_without_memory_changes_nothing(void)
{
	uint64_t out;

	setup();
	CHECK(mmap_fixed(0, 4, RW) == 0);
	ta.allowed = 0;
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, RW, ANON_FLAGS | MAP_FIXED_NOREPLACE,
		       VMA_KIND_ANON, 0, &out) == -EPERM);
	CHECK(vma_mmap(&sp, 0, PAGE_SIZE, PROT_READ, ANON_FLAGS, VMA_KIND_ANON, 0,
		       &out) == -ENOMEM);
	CHECK(mmap_fixed(1, 2, PROT_READ) == -ENOMEM);
	ta.allowed = 1;
	CHECK(mmap_fixed(1, 2, PROT_READ) == -ENOMEM);
	CHECK_LAYOUT("0-4 rw-");
	/* extending a matching neighbour needs no memory */
	ta.allowed = 0;
	CHECK(mmap_fixed(4, 2, RW) == 0);
	CHECK_LAYOUT("0-6 rw-");
	ta.allowed = -1;
	teardown();
}

static void brk_and_mremap_without_memory_change_nothing(void)
{
	uint64_t out;

	setup();
	CHECK(mmap_fixed(0, 6, RW) == 0);
	ta.allowed = 0;
	CHECK(vma_brk(&sp, BRK_START + PAGE_SIZE) == BRK_START);
	CHECK(vma_mremap(&sp, pg(2), 2 * PAGE_SIZE, 3 * PAGE_SIZE, MREMAP_MAYMOVE,
			 &out) == -ENOMEM);
	ta.allowed = 1;
	CHECK(vma_mremap(&sp, pg(2), 2 * PAGE_SIZE, 3 * PAGE_SIZE, MREMAP_MAYMOVE,
			 &out) == -ENOMEM);
	CHECK_LAYOUT("0-6 rw-");
	ta.allowed = -1;
	/* a grown heap extends without memory */
	CHECK(vma_brk(&sp, BRK_START + PAGE_SIZE) == BRK_START + PAGE_SIZE);
	ta.allowed = 0;
	CHECK(vma_brk(&sp, BRK_START + 3 * PAGE_SIZE) == BRK_START + 3 * PAGE_SIZE);
	ta.allowed = -1;
	CHECK_SANE();
	teardown();
}

/* ---- randomized stress against a shadow page map ---- */

#define WIN_PAGES 512
#define WIN_START VMA_MIN
#define WIN_END (WIN_START + WIN_PAGES * PAGE_SIZE)
#define SH_MAPPED 0x80

static uint8_t shadow[WIN_PAGES];	/* 0, or SH_MAPPED | kind << 3 | prot */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static uint64_t sh_addr(uint64_t i)
{
	return WIN_START + i * PAGE_SIZE;
}

static void sh_set(uint64_t first, uint64_t n, uint8_t val)
{
	for (uint64_t i = first; i < first + n; i++)
		shadow[i] = val;
}

static bool sh_all(uint64_t first, uint64_t n, bool mapped)
{
	for (uint64_t i = first; i < first + n; i++)
		if (!!shadow[i] != mapped)
			return false;
	return true;
}

/* The highest free run of n pages (top-down placement below mmap_base), or -1. */
static int64_t sh_topdown(uint64_t n)
{
	for (int64_t i = WIN_PAGES - (int64_t)n; i >= 0; i--)
		if (sh_all(i, n, false))
			return i;
	return -1;
}

static void sh_compare(void)
{
	CHECK_SANE();
	CHECK(!sp.last || sp.last->end <= WIN_END);
	for (uint64_t i = 0; i < WIN_PAGES; i++) {
		struct vma *v = vma_find(&sp, sh_addr(i));

		if (!shadow[i]) {
			CHECK(v == NULL);
			continue;
		}
		CHECK(v && v->prot == (shadow[i] & 7u) && v->kind == ((shadow[i] >> 3) & 7u));
	}
}

/* One random op; if inject, allocations may fail, and then nothing may change. */
static void stress_op(bool inject)
{
	uint64_t first = rnd(WIN_PAGES), n = 1 + rnd(24), out = 0;
	uint32_t prot = rnd(8), kind = rnd(2) ? VMA_KIND_ANON : VMA_KIND_DATA;
	uint8_t val = SH_MAPPED | kind << 3 | prot;
	int op = rnd(5), got, want;
	int64_t at;

	if (first + n > WIN_PAGES)
		n = WIN_PAGES - first;
	ta.allowed = inject ? (long)rnd(2) : -1;
	switch (op) {
	case 0:		/* MAP_FIXED */
		got = vma_mmap(&sp, sh_addr(first), n * PAGE_SIZE, prot, ANON_FLAGS | MAP_FIXED,
			       kind, 0, &out);
		want = 0;
		if (got == 0)
			sh_set(first, n, val);
		break;
	case 1:		/* hinted, else top-down, else above mmap_base (dropped again) */
		got = vma_mmap(&sp, sh_addr(first), n * PAGE_SIZE, prot, ANON_FLAGS, kind, 0, &out);
		at = sh_all(first, n, false) ? (int64_t)first : sh_topdown(n);
		want = 0;
		if (got == 0 && at < 0) {
			CHECK(out == WIN_END);
			CHECK(vma_munmap(&sp, out, n * PAGE_SIZE) == 0);
		} else if (got == 0) {
			CHECK(out == sh_addr(at));
			sh_set(at, n, val);
		}
		break;
	case 2:
		got = vma_munmap(&sp, sh_addr(first), n * PAGE_SIZE);
		want = 0;
		if (got == 0)
			sh_set(first, n, 0);
		break;
	case 3:
		got = vma_mprotect(&sp, sh_addr(first), n * PAGE_SIZE, prot);
		want = sh_all(first, n, true) ? 0 : -ENOMEM;
		if (got == 0)
			for (uint64_t i = first; i < first + n; i++)
				shadow[i] = (shadow[i] & ~7u) | prot;
		break;
	default:	/* MAP_FIXED_NOREPLACE */
		got = vma_mmap(&sp, sh_addr(first), n * PAGE_SIZE, prot,
			       ANON_FLAGS | MAP_FIXED_NOREPLACE, kind, 0, &out);
		want = sh_all(first, n, false) ? 0 : -EEXIST;
		if (got == 0)
			sh_set(first, n, val);
		break;
	}
	if (got != want) {
		CHECK(inject && got == -ENOMEM && ta.failures > 0);
		ta.failures = 0;
	}
	ta.allowed = -1;
	sh_compare();
}

/* 20000 seeded random ops; every fourth may run out of memory part way */
static void stress_random_ops_match_shadow(void)
{
	setup_with(WIN_END, BRK_START);
	for (uint64_t i = 0; i < WIN_PAGES; i++)
		shadow[i] = 0;
	for (int i = 0; i < 20000; i++)
		stress_op(i % 4 == 3);
	teardown();
}

static const struct unit_test tests[] = {
	TEST(munmap_unaligned_is_einval),
	TEST(munmap_zero_len_is_einval),
	TEST(munmap_huge_or_wrapping_is_einval),
	TEST(munmap_of_nothing_is_zero),
	TEST(munmap_front),
	TEST(munmap_back_unaligned_len),
	TEST(munmap_middle_splits),
	TEST(munmap_spanning_several),
	TEST(munmap_overlapping_whole),
	TEST(mprotect_unaligned_is_einval),
	TEST(mprotect_zero_len_is_zero),
	TEST(mprotect_wrapping_len_is_enomem),
	TEST(mprotect_bad_prot_is_einval),
	TEST(mprotect_unmapped_is_enomem),
	TEST(mprotect_front),
	TEST(mprotect_back),
	TEST(mprotect_middle),
	TEST(mprotect_spanning_several_keeps_kinds),
	TEST(mprotect_merges_neighbours),
	TEST(mprotect_back_and_forth_restores_one_vma),
	TEST(brk_query_returns_start),
	TEST(brk_grow_creates_and_extends_heap),
	TEST(brk_shrink_unmaps),
	TEST(brk_refuses_overlap_and_bad_values),
	TEST(mremap_bad_args),
	TEST(mremap_shrink_unmaps_tail),
	TEST(mremap_grow_in_place),
	TEST(mremap_blocked_without_maymove_is_enomem),
	TEST(mremap_moves_with_maymove),
	TEST(mremap_move_of_middle_splits),
	TEST(mremap_unmapped_or_spanning_is_efault),
	TEST(munmap_middle_without_memory_changes_nothing),
	TEST(mprotect_without_memory_changes_nothing),
	TEST(mmap_without_memory_changes_nothing),
	TEST(brk_and_mremap_without_memory_change_nothing),
	TEST(stress_random_ops_match_shadow),
};

CHECK_MAIN("vma_ranges", tests)
