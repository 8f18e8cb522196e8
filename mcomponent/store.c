/*
 * The page store: a chained hash table of (mm, page number) -> page, with a count of
 * pages per vNode. Portable; the kernel calls it under pages.c's lock, and
 * tests/unit/test_store.c runs it on the host.
 */
#include "mcomponent/store.h"
#include "kernel/errno.h"
#include "lib/string.h"

struct store_page {
	struct store_page *next;	/* hash chain */
	uint64_t vpn;
	uint32_t mm;
	uint32_t vnode;
	void *data;
};

/* Called with the link that points at a page; it may unlink the page. */
typedef void (*walk_fn)(struct store *st, struct store_page **link, void *arg);

static size_t bucket(const struct store *st, uint32_t mm, uint64_t vpn)
{
	uint64_t h = (vpn ^ ((uint64_t)mm << 36) ^ mm) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 32) & (st->nbuckets - 1);
}

/* The link pointing at (mm, vpn)'s record, or at the NULL ending its chain. */
static struct store_page **find_link(const struct store *st, uint32_t mm, uint64_t vpn)
{
	struct store_page **link = &st->buckets[bucket(st, mm, vpn)];

	while (*link && ((*link)->mm != mm || (*link)->vpn != vpn))
		link = &(*link)->next;
	return link;
}

static struct store_vnode **vnode_link(struct store *st, uint32_t vnode)
{
	struct store_vnode **link = &st->vnodes;

	while (*link && (*link)->vnode != vnode)
		link = &(*link)->next;
	return link;
}

/* Charge one page to vnode, making its counter if it has none; -ENOMEM if we can't. */
static int vnode_charge(struct store *st, uint32_t vnode)
{
	struct store_vnode **link = vnode_link(st, vnode), *v = *link;

	if (!v) {
		v = st->ops.alloc(st->ops.ctx, sizeof(*v));
		if (!v)
			return -ENOMEM;
		v->vnode = vnode;
		v->pages = 0;
		v->next = NULL;
		*link = v;
	}
	v->pages++;
	return 0;
}

static void vnode_uncharge(struct store *st, uint32_t vnode)
{
	struct store_vnode **link = vnode_link(st, vnode), *v = *link;

	if (v && --v->pages == 0) {
		*link = v->next;
		st->ops.free(st->ops.ctx, v);
	}
}

/* Unlink the page *link points at and give its memory back. */
static void page_release(struct store *st, struct store_page **link, void *arg)
{
	struct store_page *p = *link;

	(void)arg;
	*link = p->next;
	vnode_uncharge(st, p->vnode);
	st->ops.page_free(st->ops.ctx, p->data);
	st->ops.free(st->ops.ctx, p);
	st->npages--;
}

/*
 * Call fn on each of mm's pages in [first, end). A short range is looked up page by
 * page, a long one (a munmap of a mostly empty reservation) by scanning the table:
 * whichever touches fewer records.
 */
static void walk(struct store *st, uint32_t mm, uint64_t first, uint64_t end, walk_fn fn,
		 void *arg)
{
	struct store_page **link, *p;

	if (end <= first)
		return;
	if (end - first <= st->nbuckets + st->npages) {
		for (uint64_t vpn = first; vpn < end; vpn++) {
			link = find_link(st, mm, vpn);
			if (*link)
				fn(st, link, arg);
		}
		return;
	}
	for (size_t i = 0; i < st->nbuckets; i++) {
		link = &st->buckets[i];
		while ((p = *link)) {
			if (p->mm == mm && p->vpn >= first && p->vpn < end)
				fn(st, link, arg);
			if (*link == p)
				link = &p->next;
		}
	}
}

int store_init(struct store *st, const struct store_ops *ops, size_t nbuckets)
{
	size_t n = 1;

	if (!ops || !ops->alloc || !ops->free || !ops->page_alloc || !ops->page_free)
		return -EINVAL;
	while (n <= nbuckets / 2)
		n *= 2;
	st->ops = *ops;
	st->buckets = ops->alloc(ops->ctx, n * sizeof(*st->buckets));
	if (!st->buckets)
		return -ENOMEM;
	memset(st->buckets, 0, n * sizeof(*st->buckets));
	st->nbuckets = n;
	st->npages = 0;
	st->vnodes = NULL;
	return 0;
}

void store_fini(struct store *st)
{
	for (size_t i = 0; i < st->nbuckets; i++)
		while (st->buckets[i])
			page_release(st, &st->buckets[i], NULL);
	st->ops.free(st->ops.ctx, st->buckets);
	st->buckets = NULL;
	st->nbuckets = 0;
}

void *store_find(const struct store *st, uint32_t mm, uint64_t vpn)
{
	struct store_page *p = *find_link(st, mm, vpn);

	return p ? p->data : NULL;
}

/* Make (mm, vpn), which is missing and whose chain ends at *link. */
static int page_make(struct store *st, struct store_page **link, uint32_t mm,
		     uint32_t vnode, uint64_t vpn, bool zero)
{
	struct store_page *p;
	int err;

	err = vnode_charge(st, vnode);
	if (err)
		return err;
	p = st->ops.alloc(st->ops.ctx, sizeof(*p));
	if (!p)
		goto out_uncharge;
	p->data = st->ops.page_alloc(st->ops.ctx, zero);
	if (!p->data)
		goto out_free_record;
	p->next = NULL;
	p->mm = mm;
	p->vnode = vnode;
	p->vpn = vpn;
	*link = p;
	st->npages++;
	return 0;

out_free_record:
	st->ops.free(st->ops.ctx, p);
out_uncharge:
	vnode_uncharge(st, vnode);
	return -ENOMEM;
}

int store_get(struct store *st, uint32_t mm, uint32_t vnode, uint64_t vpn, void **page,
	      bool *made)
{
	struct store_page **link = find_link(st, mm, vpn);
	int err;

	*made = !*link;
	if (*made) {
		err = page_make(st, link, mm, vnode, vpn, true);
		if (err)
			return err;
	}
	*page = (*link)->data;
	return 0;
}

int store_write(struct store *st, uint32_t mm, uint32_t vnode, uint64_t vpn, const void *src)
{
	struct store_page **link = find_link(st, mm, vpn);
	int err;

	if (!*link) {
		err = page_make(st, link, mm, vnode, vpn, false);
		if (err)
			return err;
	}
	memcpy((*link)->data, src, STORE_PAGE_SIZE);
	return 0;
}

void store_drop(struct store *st, uint32_t mm, uint64_t first, uint64_t end)
{
	walk(st, mm, first, end, page_release, NULL);
}

void store_free_pid(struct store *st, uint32_t mm)
{
	walk(st, mm, 0, UINT64_MAX, page_release, NULL);
}

/* Move the page *link points at from its chain onto the list at *arg. */
static void page_detach(struct store *st, struct store_page **link, void *arg)
{
	struct store_page **list = arg, *p = *link;

	(void)st;
	*link = p->next;
	p->next = *list;
	*list = p;
}

void store_move(struct store *st, uint32_t mm, uint64_t from, uint64_t to, uint64_t n)
{
	struct store_page *moving = NULL, *p;

	if (from == to || n == 0)
		return;
	walk(st, mm, from, from + n, page_detach, &moving);
	store_drop(st, mm, to, to + n);
	while ((p = moving)) {
		moving = p->next;
		p->vpn = p->vpn - from + to;
		p->next = NULL;
		*find_link(st, mm, p->vpn) = p;
	}
}

struct copy_arg {
	uint32_t to, vnode;
	long copied;		/* or -ENOMEM, after which nothing more is copied */
};

/*
 * Copy the page *link points at to (arg->to, same vpn). A page made here joins the
 * end of some chain; a table scan may meet it later and skips it, its mm being to.
 */
static void page_copy(struct store *st, struct store_page **link, void *arg)
{
	struct copy_arg *c = arg;
	const struct store_page *p = *link;
	struct store_page **dst;
	int err;

	if (c->copied < 0)
		return;
	dst = find_link(st, c->to, p->vpn);
	if (!*dst) {
		err = page_make(st, dst, c->to, c->vnode, p->vpn, false);
		if (err) {
			c->copied = err;
			return;
		}
	}
	memcpy((*dst)->data, p->data, STORE_PAGE_SIZE);
	c->copied++;
}

long store_copy(struct store *st, uint32_t from, uint32_t to, uint32_t vnode,
		uint64_t first, uint64_t end)
{
	struct copy_arg c = { to, vnode, 0 };

	if (from == to)
		return -EINVAL;
	walk(st, from, first, end, page_copy, &c);
	return c.copied;
}

uint64_t store_vnode_pages(const struct store *st, uint32_t vnode)
{
	const struct store_vnode *v;

	for (v = st->vnodes; v; v = v->next)
		if (v->vnode == vnode)
			return v->pages;
	return 0;
}
