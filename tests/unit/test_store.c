/*
 * Host tests for mcomponent/store.c, the page store: zero-fill, writes, per-vNode
 * counts, dropping ranges (both walk strategies), freeing a mm, moving pages, copying
 * them (fork), and running out of memory at every allocation.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "kernel/errno.h"
#include "mcomponent/store.h"

/* Counts live records and pages; allowed runs down to 0 then every allocation fails. */
struct test_mem {
	long records, pages;
	long allowed;		/* -1: never fail */
};

static struct test_mem tm;
static struct store st;

static bool may_alloc(void)
{
	if (tm.allowed == 0)
		return false;
	if (tm.allowed > 0)
		tm.allowed--;
	return true;
}

static void *t_alloc(void *ctx, size_t size)
{
	void *p = may_alloc() ? malloc(size) : NULL;

	(void)ctx;
	tm.records += p != NULL;
	return p;
}

static void t_free(void *ctx, void *p)
{
	(void)ctx;
	tm.records--;
	free(p);
}

static void *t_page_alloc(void *ctx, bool zero)
{
	void *p = may_alloc() ? malloc(STORE_PAGE_SIZE) : NULL;

	(void)ctx;
	if (p) {
		memset(p, zero ? 0 : 0xa5, STORE_PAGE_SIZE);
		tm.pages++;
	}
	return p;
}

static void t_page_free(void *ctx, void *p)
{
	(void)ctx;
	tm.pages--;
	free(p);
}

static const struct store_ops test_ops = { t_alloc, t_free, t_page_alloc, t_page_free, NULL };

static void setup_buckets(size_t nbuckets)
{
	tm = (struct test_mem){ .allowed = -1 };
	CHECK(store_init(&st, &test_ops, nbuckets) == 0);
}

static void setup(void)
{
	setup_buckets(64);
}

/* Everything given back, and the counters agree with the allocator. */
static void teardown(void)
{
	CHECK((long)st.npages == tm.pages);
	store_fini(&st);
	CHECK(tm.records == 0 && tm.pages == 0);
}

static void fill(uint32_t mm, uint32_t vnode, uint64_t vpn, int byte)
{
	uint8_t buf[STORE_PAGE_SIZE];

	memset(buf, byte, sizeof(buf));
	CHECK(store_write(&st, mm, vnode, vpn, buf) == 0);
}

static int first_byte(uint32_t mm, uint64_t vpn)
{
	uint8_t *p = store_find(&st, mm, vpn);

	return p ? p[0] : -1;
}

/* before: empty; get makes a zeroed page once, then finds the same one */
static void get_zero_fills_once(void)
{
	void *a, *b;
	bool made;

	setup();
	CHECK(store_find(&st, 1, 10) == NULL);
	CHECK(store_get(&st, 1, 7, 10, &a, &made) == 0 && made);
	CHECK(((uint8_t *)a)[0] == 0 && ((uint8_t *)a)[STORE_PAGE_SIZE - 1] == 0);
	CHECK(store_get(&st, 1, 7, 10, &b, &made) == 0 && !made && a == b);
	CHECK(st.npages == 1);
	CHECK(store_vnode_pages(&st, 7) == 1);
	teardown();
}

/* the same page number of two mm ids is two pages; a write replaces a page's bytes */
static void mms_are_separate(void)
{
	setup();
	fill(1, 1, 5, 0x11);
	fill(2, 1, 5, 0x22);
	fill(1, 1, 5, 0x33);
	CHECK(first_byte(1, 5) == 0x33 && first_byte(2, 5) == 0x22);
	CHECK(st.npages == 2);
	teardown();
}

/* pages are counted per vNode; a vNode with no pages left disappears */
static void vnode_accounting(void)
{
	setup();
	fill(1, 3, 0, 1);
	fill(1, 3, 1, 1);
	fill(2, 4, 0, 1);
	CHECK(store_vnode_pages(&st, 3) == 2 && store_vnode_pages(&st, 4) == 1);
	store_free_pid(&st, 1);
	CHECK(store_vnode_pages(&st, 3) == 0 && store_vnode_pages(&st, 4) == 1);
	CHECK(st.vnodes && st.vnodes->vnode == 4 && !st.vnodes->next);
	teardown();
}

/* before: pages 0..9 of mm 1, page 5 of mm 2; drop [3, 7) of mm 1 */
static void drop_short_range(void)
{
	setup();
	for (int i = 0; i < 10; i++)
		fill(1, 1, i, i);
	fill(2, 1, 5, 0x55);
	store_drop(&st, 1, 3, 7);
	CHECK(first_byte(1, 2) == 2 && first_byte(1, 3) == -1 && first_byte(1, 6) == -1);
	CHECK(first_byte(1, 7) == 7 && first_byte(2, 5) == 0x55);
	CHECK(st.npages == 7);
	teardown();
}

/* a range far longer than the table is dropped by scanning it; edges are exact */
static void drop_long_range_scans(void)
{
	setup_buckets(4);
	fill(1, 1, 0, 1);
	fill(1, 1, 1000, 1);
	fill(1, 1, 1ULL << 40, 1);
	fill(1, 1, (1ULL << 40) + 1, 1);
	fill(2, 1, 1000, 1);
	store_drop(&st, 1, 1, 1ULL << 40);
	CHECK(first_byte(1, 0) == 1 && first_byte(1, 1000) == -1);
	CHECK(first_byte(1, 1ULL << 40) == 1 && first_byte(2, 1000) == 1);
	store_drop(&st, 1, 5, 5);	/* empty range: nothing */
	CHECK(st.npages == 4);
	teardown();
}

/* many pages in few chains: free_pid takes every one of its mm's and no other */
static void free_pid_takes_all(void)
{
	setup_buckets(2);
	for (int i = 0; i < 200; i++) {
		fill(9, 1, i * 3, 1);
		fill(8, 2, i, 2);
	}
	store_free_pid(&st, 9);
	CHECK(st.npages == 200 && store_vnode_pages(&st, 1) == 0);
	for (int i = 0; i < 200; i++)
		CHECK(first_byte(8, i) == 2);
	teardown();
}

/* before: pages 10..13 hold 10..13, page 21 holds 99; move 4 pages from 10 to 20 */
static void move_replaces_destination(void)
{
	setup();
	for (int i = 10; i < 14; i++)
		fill(1, 1, i, i);
	fill(1, 1, 21, 99);
	store_move(&st, 1, 10, 20, 4);
	CHECK(first_byte(1, 10) == -1 && first_byte(1, 13) == -1);
	CHECK(first_byte(1, 20) == 10 && first_byte(1, 21) == 11 && first_byte(1, 23) == 13);
	CHECK(st.npages == 4);
	teardown();
}

/* overlapping ranges move as memmove would */
static void move_overlapping(void)
{
	setup();
	for (int i = 0; i < 8; i++)
		fill(1, 1, i, i + 1);
	store_move(&st, 1, 0, 4, 8);
	for (int i = 0; i < 4; i++)
		CHECK(first_byte(1, i) == -1);
	for (int i = 4; i < 12; i++)
		CHECK(first_byte(1, i) == i - 3);
	store_move(&st, 1, 4, 2, 8);
	CHECK(first_byte(1, 2) == 1 && first_byte(1, 9) == 8 && first_byte(1, 10) == -1);
	teardown();
}

/* each allocation of a new page failing in turn leaves the store as it was */
static void out_of_memory_changes_nothing(void)
{
	void *p;
	bool made;

	for (long n = 0; n < 3; n++) {
		setup();
		fill(1, 1, 0, 1);
		tm.allowed = n;
		CHECK(store_get(&st, 1, 2, 1, &p, &made) == -ENOMEM);
		CHECK(st.npages == 1 && store_find(&st, 1, 1) == NULL);
		/* the table, vNode 1's counter and page 0's record */
		CHECK(store_vnode_pages(&st, 2) == 0 && tm.records == 3);
		tm.allowed = -1;
		teardown();
	}
}

/* an existing page needs no memory to be found or overwritten */
static void existing_page_needs_no_memory(void)
{
	uint8_t buf[STORE_PAGE_SIZE] = { 7 };
	void *p;
	bool made;

	setup();
	fill(1, 1, 0, 1);
	tm.allowed = 0;
	CHECK(store_get(&st, 1, 1, 0, &p, &made) == 0 && !made);
	CHECK(store_write(&st, 1, 1, 0, buf) == 0 && first_byte(1, 0) == 7);
	store_move(&st, 1, 0, 1, 1);
	CHECK(first_byte(1, 1) == 7);
	teardown();
}

/*
 * before: mm 1 holds pages 0..9 (vNode 1), mm 3 one page; copy 2..7 to mm 2 (vNode
 * 5): six pages, same bytes, charged to vNode 5; writes to either side stay there
 */
static void copy_range_then_diverge(void)
{
	setup();
	for (int i = 0; i < 10; i++)
		fill(1, 1, i, i + 1);
	fill(3, 1, 4, 0x33);
	CHECK(store_copy(&st, 1, 2, 5, 2, 8) == 6);
	CHECK(st.npages == 17 && store_vnode_pages(&st, 5) == 6);
	CHECK(first_byte(2, 1) == -1 && first_byte(2, 2) == 3 && first_byte(2, 7) == 8);
	CHECK(first_byte(2, 8) == -1);
	fill(1, 1, 3, 0x11);
	fill(2, 5, 4, 0x22);
	CHECK(first_byte(2, 3) == 4 && first_byte(1, 4) == 5);
	CHECK(store_copy(&st, 1, 2, 5, 3, 4) == 1 && first_byte(2, 3) == 0x11);
	CHECK(st.npages == 17);				/* overwritten, not made */
	CHECK(store_copy(&st, 1, 1, 5, 0, 10) == -EINVAL);
	CHECK(store_copy(&st, 4, 2, 5, 0, 10) == 0);	/* from holds nothing */
	teardown();
}

/* a range far longer than the table is copied by a scan that skips what it makes */
static void copy_long_range_scans(void)
{
	setup_buckets(2);
	for (int i = 0; i < 100; i++)
		fill(1, 1, (uint64_t)i << 30, i);
	fill(9, 1, 5, 9);
	CHECK(store_copy(&st, 1, 2, 1, 0, UINT64_MAX) == 100);
	for (int i = 0; i < 100; i++)
		CHECK(first_byte(2, (uint64_t)i << 30) == i);
	CHECK(st.npages == 201 && store_vnode_pages(&st, 1) == 201);
	teardown();
}

/* memory running out at each allocation: -ENOMEM, from intact, the partial copy dropped */
static void copy_out_of_memory(void)
{
	for (long n = 0; n < 7; n++) {
		setup();
		for (int i = 0; i < 4; i++)
			fill(1, 1, i, i + 1);
		tm.allowed = n;
		CHECK(store_copy(&st, 1, 2, 2, 0, 4) == -ENOMEM);
		tm.allowed = -1;
		CHECK((long)st.npages == tm.pages);
		for (int i = 0; i < 4; i++)
			CHECK(first_byte(1, i) == i + 1);
		store_free_pid(&st, 2);
		CHECK(st.npages == 4 && store_vnode_pages(&st, 2) == 0);
		teardown();
	}
}

static void init_rejects_missing_ops(void)
{
	struct store_ops none = { 0 };

	CHECK(store_init(&st, &none, 8) == -EINVAL);
	tm = (struct test_mem){ .allowed = 0 };
	CHECK(store_init(&st, &test_ops, 8) == -ENOMEM);
	setup_buckets(0);
	CHECK(st.nbuckets == 1);
	fill(1, 1, 3, 3);
	teardown();
	setup_buckets(100);
	CHECK(st.nbuckets == 64);
	teardown();
}

static const struct unit_test tests[] = {
	TEST(get_zero_fills_once),
	TEST(mms_are_separate),
	TEST(vnode_accounting),
	TEST(drop_short_range),
	TEST(drop_long_range_scans),
	TEST(free_pid_takes_all),
	TEST(move_replaces_destination),
	TEST(move_overlapping),
	TEST(out_of_memory_changes_nothing),
	TEST(existing_page_needs_no_memory),
	TEST(copy_range_then_diverge),
	TEST(copy_long_range_scans),
	TEST(copy_out_of_memory),
	TEST(init_rejects_missing_ops),
};

CHECK_MAIN("store", tests)
