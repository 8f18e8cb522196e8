/*
 * The node's page store (the portable mcomponent/store.c) behind one spinlock, held
 * only around store calls and page copies, never across an RPC. Pages come from the
 * frame allocator; a reserve stays free for the kernel heap and the network.
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "mcomponent/store.h"
#include "mmon.h"

static struct spinlock pages_lock = SPINLOCK_INIT("pages");
static struct store store;	/* pages_lock */

static void *pages_frame_alloc(void *ctx, bool zero)
{
	(void)ctx;
	if (page_free_count() < MMON_RESERVE)
		return NULL;
	return zero ? page_alloc(0) : page_alloc_dirty(0);
}

static void pages_frame_free(void *ctx, void *page)
{
	(void)ctx;
	page_free(page);
}

static const struct store_ops pages_ops = {
	mmon_kmalloc, mmon_kfree, pages_frame_alloc, pages_frame_free, NULL,
};

/* One hash chain per four pages of RAM: chains stay short even with memory full. */
int pages_init(void)
{
	size_t n = page_total_count() / 4;

	return store_init(&store, &pages_ops, n < 1024 ? 1024 : n);
}

/*
 * Copy the page at va into out. A missing page reads as zeros; a write fetch also
 * makes it, so the write-back that follows cannot fail for memory. *unbacked says a
 * read found no page (and made none).
 */
int pages_fetch(struct space *s, uint64_t va, bool write, void *out, bool *unbacked)
{
	uint64_t vpn = va >> PAGE_SHIFT;
	bool made = false;
	void *p;
	int err = 0;

	spin_lock(&pages_lock);
	p = store_find(&store, s->mm, vpn);
	if (!p && write)
		err = store_get(&store, s->mm, s->vnode, vpn, &p, &made);
	if (p)
		memcpy(out, p, PAGE_SIZE);
	else
		memset(out, 0, PAGE_SIZE);
	*unbacked = !p;
	spin_unlock(&pages_lock);
	if (err)
		return err;
	mmon_count(&mmon_stats.fetches);
	if (!p || made)
		mmon_count(&mmon_stats.zero_fills);
	return 0;
}

int pages_write(struct space *s, uint64_t va, const void *src)
{
	int err;

	spin_lock(&pages_lock);
	err = store_write(&store, s->mm, s->vnode, va >> PAGE_SHIFT, src);
	spin_unlock(&pages_lock);
	return err;
}

void pages_drop(struct space *s, uint64_t lo, uint64_t hi)
{
	spin_lock(&pages_lock);
	store_drop(&store, s->mm, lo >> PAGE_SHIFT, hi >> PAGE_SHIFT);
	spin_unlock(&pages_lock);
}

/* Drop the pages of [lo, hi) that no vma of s covers any more. */
void pages_drop_unmapped(struct space *s, uint64_t lo, uint64_t hi)
{
	struct vma *v = vma_first_after(&s->vs, lo);
	uint64_t at = lo, gap_end;

	while (at < hi) {
		gap_end = v && v->start < hi ? v->start : hi;
		if (gap_end > at)
			pages_drop(s, at, gap_end);
		if (!v || v->start >= hi)
			break;
		at = v->end;
		v = v->next;
	}
}

void pages_move(struct space *s, uint64_t from, uint64_t to, uint64_t len)
{
	spin_lock(&pages_lock);
	store_move(&store, s->mm, from >> PAGE_SHIFT, to >> PAGE_SHIFT, len >> PAGE_SHIFT);
	spin_unlock(&pages_lock);
}

void pages_free(uint32_t mm)
{
	spin_lock(&pages_lock);
	store_free_pid(&store, mm);
	spin_unlock(&pages_lock);
}

/*
 * Give to a copy of every page from holds here (a fork), charged to to's vNode and
 * above the reserve like any page. Pages outside every vma are unreachable and stay
 * behind. The lock is taken vma by vma, so other spaces' fetches get in between.
 * Returns the pages copied, or -ENOMEM with the copies so far left for the caller
 * to free with to.
 */
long pages_copy(struct space *from, struct space *to)
{
	const struct vma *v;
	long n = 0, k;

	vma_for_each(&from->vs, v) {
		spin_lock(&pages_lock);
		k = store_copy(&store, from->mm, to->mm, to->vnode, v->start >> PAGE_SHIFT,
			       v->end >> PAGE_SHIFT);
		spin_unlock(&pages_lock);
		if (k < 0)
			return k;
		n += k;
	}
	return n;
}

/* The store's share of X2M_MEMSTATS: pages held, the first MEMSTATS_VNODES vNodes. */
void pages_stats(struct m2x_memstats *m)
{
	const struct store_vnode *v;

	spin_lock(&pages_lock);
	m->store_pages = store.npages;
	m->nvnodes = 0;
	for (v = store.vnodes; v && m->nvnodes < MEMSTATS_VNODES; v = v->next, m->nvnodes++) {
		m->vnodes[m->nvnodes].vnode = v->vnode;
		m->vnodes[m->nvnodes].pages = v->pages;
	}
	spin_unlock(&pages_lock);
}
