/*
 * The buffer cache's index: chained hashes of files by (vNode, inode) and of pages by
 * (file, page number), a clock over every page, and the arithmetic of read windows
 * and write-back runs. Portable; bcache.c calls it under its lock.
 */
#include "mcomponent/bcache_index.h"
#include "kernel/errno.h"
#include "lib/string.h"

static size_t mix(const struct bidx *b, uint64_t x, uint64_t y)
{
	uint64_t h = (x ^ (y << 32) ^ (y >> 32)) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 32) & (b->nbuckets - 1);
}

static size_t file_bucket(const struct bidx *b, uint32_t vnode, uint64_t ino)
{
	return mix(b, ino, vnode);
}

static size_t page_bucket(const struct bidx *b, const struct bidx_file *f, uint64_t index)
{
	return mix(b, index, (uint64_t)(uintptr_t)f);
}

int bidx_init(struct bidx *b, const struct bidx_ops *ops, size_t nbuckets)
{
	size_t n = 1;

	if (!ops || !ops->alloc || !ops->free || !ops->page_alloc || !ops->page_free)
		return -EINVAL;
	while (n <= nbuckets / 2)
		n *= 2;
	memset(b, 0, sizeof(*b));
	b->ops = *ops;
	b->pages = ops->alloc(ops->ctx, n * sizeof(*b->pages));
	b->files = ops->alloc(ops->ctx, n * sizeof(*b->files));
	if (!b->pages || !b->files) {
		ops->free(ops->ctx, b->pages);
		ops->free(ops->ctx, b->files);
		return -ENOMEM;
	}
	memset(b->pages, 0, n * sizeof(*b->pages));
	memset(b->files, 0, n * sizeof(*b->files));
	b->nbuckets = n;
	list_init(&b->file_list);
	list_init(&b->clock);
	return 0;
}

static void file_free(struct bidx *b, struct bidx_file *f)
{
	struct bidx_file **link = &b->files[file_bucket(b, f->h.vnode, f->h.ino)];

	while (*link != f)
		link = &(*link)->hnext;
	*link = f->hnext;
	list_del(&f->link);
	b->ops.free(b->ops.ctx, f);
	b->freed++;
}

void bidx_fini(struct bidx *b)
{
	struct bidx_file *f;

	while (!list_empty(&b->file_list)) {
		f = list_first_entry(&b->file_list, struct bidx_file, link);
		bidx_drop_file(b, f);
		file_free(b, f);
	}
	b->ops.free(b->ops.ctx, b->pages);
	b->ops.free(b->ops.ctx, b->files);
	b->pages = NULL;
	b->files = NULL;
}

struct bidx_file *bidx_file_find(const struct bidx *b, uint32_t vnode, uint64_t ino)
{
	struct bidx_file *f = b->files[file_bucket(b, vnode, ino)];

	while (f && (f->h.vnode != vnode || f->h.ino != ino))
		f = f->hnext;
	return f;
}

int bidx_file_add(struct bidx *b, const struct fs_handle *h, uint8_t smon, uint64_t size,
		  struct bidx_file **out)
{
	struct bidx_file *f = b->ops.alloc(b->ops.ctx, sizeof(*f));
	size_t i = file_bucket(b, h->vnode, h->ino);

	if (!f)
		return -ENOMEM;
	memset(f, 0, sizeof(*f));
	f->h = *h;
	f->smon = smon;
	f->size = size;
	list_init(&f->pages);
	list_add_tail(&f->link, &b->file_list);
	f->hnext = b->files[i];
	b->files[i] = f;
	*out = f;
	return 0;
}

void bidx_file_release(struct bidx *b, struct bidx_file *f)
{
	if (f->refs == 0 && f->npages == 0 && !__atomic_load_n(&f->busy, __ATOMIC_ACQUIRE))
		file_free(b, f);
}

struct bidx_page *bidx_find(const struct bidx *b, const struct bidx_file *f, uint64_t index)
{
	struct bidx_page *p = b->pages[page_bucket(b, f, index)];

	while (p && (p->file != f || p->index != index))
		p = p->hnext;
	return p;
}

/* Unlink p from everything; its frame is the caller's. */
static void *page_unlink(struct bidx *b, struct bidx_page *p)
{
	struct bidx_page **link = &b->pages[page_bucket(b, p->file, p->index)];
	void *data = p->data;

	while (*link != p)
		link = &(*link)->hnext;
	*link = p->hnext;
	bidx_clean(b, p);
	list_del(&p->flink);
	list_del(&p->clink);
	p->file->npages--;
	b->npages--;
	b->ops.free(b->ops.ctx, p);
	return data;
}

void bidx_drop(struct bidx *b, struct bidx_page *p)
{
	b->ops.page_free(b->ops.ctx, page_unlink(b, p));
}

static bool evictable(const struct bidx_page *p)
{
	return (p->flags & (BIDX_UPTODATE | BIDX_DIRTY | BIDX_WRITEBACK)) == BIDX_UPTODATE;
}

/*
 * Second chance: the hand passes pages at the front of the clock to its back,
 * clearing their reference bits; the first clean, idle, unreferenced page goes. Two
 * turns at most: after one, every reference bit is clear.
 */
static struct bidx_page *clock_victim(struct bidx *b)
{
	struct bidx_page *p;

	for (uint64_t i = 0; i < 2 * b->npages; i++) {
		p = list_first_entry(&b->clock, struct bidx_page, clink);
		if (evictable(p) && !(p->flags & BIDX_REF))
			return p;
		p->flags &= ~BIDX_REF;
		list_del(&p->clink);
		list_add_tail(&p->clink, &b->clock);
	}
	return NULL;
}

/* The frame of the evicted page; its file goes too if nothing else needs it. */
static void *evict_frame(struct bidx *b)
{
	struct bidx_page *p = clock_victim(b);
	struct bidx_file *f;
	void *data;

	if (!p)
		return NULL;
	f = p->file;
	data = page_unlink(b, p);
	bidx_file_release(b, f);
	return data;
}

bool bidx_evict(struct bidx *b)
{
	void *data = evict_frame(b);

	if (data)
		b->ops.page_free(b->ops.ctx, data);
	return data != NULL;
}

int bidx_add(struct bidx *b, struct bidx_file *f, uint64_t index, uint32_t flags,
	     struct bidx_page **out)
{
	struct bidx_page *p = b->ops.alloc(b->ops.ctx, sizeof(*p));
	size_t i = page_bucket(b, f, index);

	if (!p)
		return -ENOMEM;
	p->data = b->ops.page_alloc(b->ops.ctx);
	if (!p->data)
		p->data = evict_frame(b);
	if (!p->data) {
		b->ops.free(b->ops.ctx, p);
		return -ENOMEM;
	}
	memset(p->data, 0, BIDX_PAGE_SIZE);
	p->file = f;
	p->index = index;
	p->flags = flags;
	p->fill = 0;
	p->hnext = b->pages[i];
	b->pages[i] = p;
	list_add_tail(&p->flink, &f->pages);
	list_add_tail(&p->clink, &b->clock);
	f->npages++;
	b->npages++;
	*out = p;
	return 0;
}

void bidx_drop_file(struct bidx *b, struct bidx_file *f)
{
	while (!list_empty(&f->pages))
		bidx_drop(b, list_first_entry(&f->pages, struct bidx_page, flink));
}

void bidx_truncate(struct bidx *b, struct bidx_file *f, uint64_t size)
{
	uint64_t keep = (size + BIDX_PAGE_SIZE - 1) >> BIDX_PAGE_SHIFT;
	struct list_head *pos, *tmp;
	struct bidx_page *p;

	list_for_each_safe(pos, tmp, &f->pages) {
		p = list_entry(pos, struct bidx_page, flink);
		if (p->index >= keep)
			bidx_drop(b, p);
	}
	p = size % BIDX_PAGE_SIZE ? bidx_find(b, f, size >> BIDX_PAGE_SHIFT) : NULL;
	if (p)
		memset(p->data + size % BIDX_PAGE_SIZE, 0, BIDX_PAGE_SIZE - size % BIDX_PAGE_SIZE);
	f->size = size;
}

void bidx_dirty(struct bidx *b, struct bidx_page *p, uint64_t now)
{
	p->flags |= BIDX_REF;
	if (p->flags & BIDX_DIRTY)
		return;
	p->flags |= BIDX_DIRTY;
	if (p->file->ndirty++ == 0)
		p->file->dirty_since = now;
	b->ndirty++;
}

void bidx_clean(struct bidx *b, struct bidx_page *p)
{
	if (!(p->flags & BIDX_DIRTY))
		return;
	p->flags &= ~BIDX_DIRTY;
	p->file->ndirty--;
	b->ndirty--;
}

static bool runnable(const struct bidx_page *p)
{
	return p && (p->flags & (BIDX_DIRTY | BIDX_WRITEBACK)) == BIDX_DIRTY;
}

bool bidx_dirty_run(const struct bidx *b, const struct bidx_file *f, uint64_t *first,
		    unsigned *n)
{
	const struct bidx_page *p, *low = NULL;
	struct list_head *pos;

	list_for_each(pos, &f->pages) {
		p = list_entry(pos, struct bidx_page, flink);
		if (runnable(p) && (!low || p->index < low->index))
			low = p;
	}
	if (!low)
		return false;
	*first = low->index;
	*n = 1;
	while (*n < BIDX_RUN_PAGES && runnable(bidx_find(b, f, *first + *n)))
		(*n)++;
	return true;
}

uint32_t bidx_run_bytes(const struct bidx_file *f, uint64_t first, unsigned n)
{
	uint64_t start = first << BIDX_PAGE_SHIFT, end = (first + n) << BIDX_PAGE_SHIFT;

	if (end > f->size)
		end = f->size;
	return end > start ? (uint32_t)(end - start) : 0;
}

unsigned bidx_window(uint64_t index, uint64_t size, uint64_t *first)
{
	uint64_t last = (size >> BIDX_PAGE_SHIFT) + (size % BIDX_PAGE_SIZE != 0);	/* pages */

	*first = index - index % BIDX_RUN_PAGES;
	if (index >= last)
		return 0;
	return last - *first < BIDX_RUN_PAGES ? (unsigned)(last - *first) : BIDX_RUN_PAGES;
}
