/*
 * Host tests for mcomponent/bcache_index.c, the buffer cache's index: files and pages
 * by key, dirty counts, truncation, the clock's choice of victims under a budget,
 * dirty runs for write-back, read windows, and running out of memory.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "kernel/errno.h"
#include "mcomponent/bcache_index.h"

/* Live records and frames; frames beyond budget, and allocations past allowed, fail. */
struct test_mem {
	long records, frames;
	long budget;		/* frames at most */
	long allowed;		/* record allocations left; -1: never fail */
};

static struct test_mem tm;
static struct bidx b;

static void *t_alloc(void *ctx, size_t size)
{
	void *p;

	(void)ctx;
	if (tm.allowed == 0)
		return NULL;
	if (tm.allowed > 0)
		tm.allowed--;
	p = malloc(size);
	tm.records += p != NULL;
	return p;
}

static void t_free(void *ctx, void *p)
{
	(void)ctx;
	tm.records -= p != NULL;
	free(p);
}

static void *t_page_alloc(void *ctx)
{
	void *p;

	(void)ctx;
	if (tm.frames >= tm.budget)
		return NULL;
	p = malloc(BIDX_PAGE_SIZE);
	memset(p, 0xa5, BIDX_PAGE_SIZE);	/* the index must zero it */
	tm.frames++;
	return p;
}

static void t_page_free(void *ctx, void *p)
{
	(void)ctx;
	tm.frames--;
	free(p);
}

static const struct bidx_ops ops = { t_alloc, t_free, t_page_alloc, t_page_free, NULL };

static void setup(long budget)
{
	tm = (struct test_mem){ .budget = budget, .allowed = -1 };
	CHECK(bidx_init(&b, &ops, 16) == 0);
}

static void teardown(void)
{
	bidx_fini(&b);
	CHECK(tm.records == 0 && tm.frames == 0);
}

static struct bidx_file *file(uint32_t vnode, uint64_t ino, uint64_t size)
{
	struct fs_handle h = { .vnode = vnode, .gen = 7, .ino = ino };
	struct bidx_file *f;

	CHECK(bidx_file_add(&b, &h, 3, size, &f) == 0);
	f->refs = 1;
	return f;
}

static struct bidx_page *page(struct bidx_file *f, uint64_t index, uint32_t flags)
{
	struct bidx_page *p;

	CHECK(bidx_add(&b, f, index, flags, &p) == 0);
	return p;
}

/* Files are found by (vNode, inode) only; pages by (file, index). */
static void test_find_by_key(void)
{
	struct bidx_file *f, *g;
	struct bidx_page *p;

	setup(8);
	f = file(1, 10, 0);
	g = file(2, 10, 0);
	CHECK(bidx_file_find(&b, 1, 10) == f && bidx_file_find(&b, 2, 10) == g);
	CHECK(bidx_file_find(&b, 1, 11) == NULL);
	p = page(f, 5, BIDX_UPTODATE);
	CHECK(bidx_find(&b, f, 5) == p && bidx_find(&b, g, 5) == NULL);
	CHECK(p->data[0] == 0 && p->data[BIDX_PAGE_SIZE - 1] == 0);	/* zeroed */
	CHECK(b.npages == 1 && f->npages == 1 && g->npages == 0);
	teardown();
}

/* A record goes only when no ref, no page and no hold keeps it. */
static void test_file_release(void)
{
	struct bidx_file *f;
	struct bidx_page *p;

	setup(8);
	f = file(1, 10, 0);
	p = page(f, 0, BIDX_UPTODATE);
	f->refs = 0;
	bidx_file_release(&b, f);
	CHECK(bidx_file_find(&b, 1, 10) == f);		/* it has a page */
	bidx_drop(&b, p);
	f->busy = true;
	bidx_file_release(&b, f);
	CHECK(bidx_file_find(&b, 1, 10) == f);		/* held */
	f->busy = false;
	bidx_file_release(&b, f);
	CHECK(bidx_file_find(&b, 1, 10) == NULL && b.freed == 1);
	teardown();
}

/* Dirty counts per file and in all; the dirty age starts at the first dirty page. */
static void test_dirty_counts(void)
{
	struct bidx_file *f = (setup(8), file(1, 1, 0));
	struct bidx_page *p = page(f, 0, BIDX_UPTODATE), *q = page(f, 1, BIDX_UPTODATE);

	bidx_dirty(&b, p, 100);
	bidx_dirty(&b, p, 200);
	bidx_dirty(&b, q, 300);
	CHECK(f->ndirty == 2 && b.ndirty == 2 && f->dirty_since == 100);
	bidx_clean(&b, p);
	bidx_clean(&b, p);
	CHECK(f->ndirty == 1 && b.ndirty == 1);
	bidx_drop(&b, q);				/* a dirty page dropped */
	CHECK(f->ndirty == 0 && b.ndirty == 0 && b.npages == 1);
	teardown();
}

/* Truncation drops pages past the size, whatever their state, and zeroes the tail. */
static void test_truncate(void)
{
	struct bidx_file *f = (setup(8), file(1, 1, 5 * BIDX_PAGE_SIZE));
	struct bidx_page *p;

	for (int i = 0; i < 5; i++) {
		p = page(f, i, i == 4 ? 0 : BIDX_UPTODATE);	/* 4: a fill placeholder */
		memset(p->data, 0x55, BIDX_PAGE_SIZE);
		bidx_dirty(&b, p, 1);
	}
	bidx_truncate(&b, f, BIDX_PAGE_SIZE + 100);
	CHECK(f->size == BIDX_PAGE_SIZE + 100 && f->npages == 2 && f->ndirty == 2);
	p = bidx_find(&b, f, 1);
	CHECK(p->data[99] == 0x55 && p->data[100] == 0 && p->data[BIDX_PAGE_SIZE - 1] == 0);
	CHECK(bidx_find(&b, f, 2) == NULL && bidx_find(&b, f, 4) == NULL);
	bidx_truncate(&b, f, 2 * BIDX_PAGE_SIZE);		/* grow: nothing to drop */
	CHECK(f->size == 2 * BIDX_PAGE_SIZE && f->npages == 2);
	bidx_truncate(&b, f, 0);
	CHECK(f->npages == 0 && b.ndirty == 0);
	teardown();
}

/* At its budget, a new page takes the frame of the clock's first clean idle page. */
static void test_evict_clean_only(void)
{
	struct bidx_file *f = (setup(3), file(1, 1, 0));
	struct bidx_page *dirty = page(f, 0, BIDX_UPTODATE), *wb = page(f, 1, BIDX_UPTODATE);
	struct bidx_page *p;

	page(f, 2, BIDX_UPTODATE);
	bidx_dirty(&b, dirty, 1);
	wb->flags |= BIDX_WRITEBACK;
	p = page(f, 3, BIDX_UPTODATE);
	CHECK(bidx_find(&b, f, 2) == NULL && bidx_find(&b, f, 3) == p);
	CHECK(tm.frames == 3 && b.npages == 3);
	p->flags |= BIDX_DIRTY;				/* now nothing is evictable */
	CHECK(bidx_add(&b, f, 4, 0, &p) == -ENOMEM && b.npages == 3);
	CHECK(!bidx_evict(&b));
	p->flags &= ~BIDX_DIRTY;
	teardown();
}

/* A page used since the hand last passed gets a second chance; placeholders stay. */
static void test_clock_second_chance(void)
{
	struct bidx_file *f = (setup(3), file(1, 1, 0));
	struct bidx_page *old = page(f, 0, BIDX_UPTODATE);

	page(f, 1, 0);					/* being filled */
	page(f, 2, BIDX_UPTODATE);
	old->flags |= BIDX_REF;
	CHECK(bidx_evict(&b));
	CHECK(bidx_find(&b, f, 0) == old && bidx_find(&b, f, 1) && !bidx_find(&b, f, 2));
	CHECK(!(old->flags & BIDX_REF));
	CHECK(bidx_evict(&b) && bidx_find(&b, f, 0) == NULL);
	teardown();
}

/* Evicting another file's last page frees its record if nothing holds it. */
static void test_evict_frees_idle_file(void)
{
	struct bidx_file *f = (setup(1), file(1, 1, 0)), *g = file(1, 2, 0);

	page(g, 0, BIDX_UPTODATE);
	g->refs = 0;
	page(f, 0, BIDX_UPTODATE);
	CHECK(bidx_file_find(&b, 1, 2) == NULL && f->npages == 1);
	teardown();
}

/* Runs: the lowest dirty page, then contiguous dirty pages not under write-back. */
static void test_dirty_runs(void)
{
	struct bidx_file *f = (setup(64), file(1, 1, 40 * BIDX_PAGE_SIZE));
	uint64_t first;
	unsigned n;

	CHECK(!bidx_dirty_run(&b, f, &first, &n));
	for (int i = 3; i < 20; i++)
		bidx_dirty(&b, page(f, i, BIDX_UPTODATE), 1);
	bidx_dirty(&b, page(f, 30, BIDX_UPTODATE), 1);
	CHECK(bidx_dirty_run(&b, f, &first, &n) && first == 3 && n == BIDX_RUN_PAGES);
	bidx_find(&b, f, 5)->flags |= BIDX_WRITEBACK;
	CHECK(bidx_dirty_run(&b, f, &first, &n) && first == 3 && n == 2);
	for (int i = 3; i < 20; i++)
		bidx_clean(&b, bidx_find(&b, f, i));
	CHECK(bidx_dirty_run(&b, f, &first, &n) && first == 30 && n == 1);
	teardown();
}

/* A run's bytes stop at the size: the last page goes in part, none past the end. */
static void test_run_bytes(void)
{
	struct bidx_file *f = (setup(1), file(1, 1, 3 * BIDX_PAGE_SIZE + 10));

	CHECK(bidx_run_bytes(f, 0, 2) == 2 * BIDX_PAGE_SIZE);
	CHECK(bidx_run_bytes(f, 2, 8) == BIDX_PAGE_SIZE + 10);
	CHECK(bidx_run_bytes(f, 4, 1) == 0);
	teardown();
}

/* Windows are aligned to BIDX_RUN_PAGES and end at the file's last page. */
static void test_windows(void)
{
	uint64_t first;

	CHECK(bidx_window(0, 1, &first) == 1 && first == 0);
	CHECK(bidx_window(3, 100 * BIDX_PAGE_SIZE, &first) == BIDX_RUN_PAGES && first == 0);
	CHECK(bidx_window(13, 100 * BIDX_PAGE_SIZE, &first) == BIDX_RUN_PAGES && first == 8);
	CHECK(bidx_window(97, 100 * BIDX_PAGE_SIZE, &first) == 4 && first == 96);
	CHECK(bidx_window(100, 100 * BIDX_PAGE_SIZE, &first) == 0);
	CHECK(bidx_window(0, 0, &first) == 0);
	CHECK(bidx_window(UINT64_MAX >> BIDX_PAGE_SHIFT, UINT64_MAX - 5, &first) ==
	      BIDX_RUN_PAGES && first == (UINT64_MAX >> BIDX_PAGE_SHIFT) - 7);	/* no wrap */
}

/* Out of records or frames at any allocation: an error and nothing changed. */
static void test_out_of_memory(void)
{
	struct fs_handle h = { .vnode = 1, .ino = 1 };
	struct bidx_file *f;
	struct bidx_page *p;

	setup(0);
	tm.allowed = 0;
	CHECK(bidx_file_add(&b, &h, 3, 0, &f) == -ENOMEM && tm.records == 2);	/* tables */
	tm.allowed = -1;
	f = file(1, 1, 0);
	CHECK(bidx_add(&b, f, 0, 0, &p) == -ENOMEM && b.npages == 0 && tm.records == 3);
	tm.allowed = 0;
	tm.budget = 1;
	CHECK(bidx_add(&b, f, 0, 0, &p) == -ENOMEM && tm.frames == 0);
	tm.allowed = -1;
	teardown();
	tm.allowed = 1;
	CHECK(bidx_init(&b, &ops, 16) == -ENOMEM && tm.records == 0);
}

/* fini frees pages of every state and records still referenced. */
static void test_fini_frees_everything(void)
{
	struct bidx_file *f = (setup(8), file(1, 1, 0));

	bidx_dirty(&b, page(f, 0, BIDX_UPTODATE), 1);
	page(f, 1, 0)->flags |= BIDX_WRITEBACK;
	teardown();
}

static const struct unit_test tests[] = {
	TEST(test_find_by_key),
	TEST(test_file_release),
	TEST(test_dirty_counts),
	TEST(test_truncate),
	TEST(test_evict_clean_only),
	TEST(test_clock_second_chance),
	TEST(test_evict_frees_idle_file),
	TEST(test_dirty_runs),
	TEST(test_run_bytes),
	TEST(test_windows),
	TEST(test_out_of_memory),
	TEST(test_fini_frees_everything),
};

CHECK_MAIN("bcache", tests)
