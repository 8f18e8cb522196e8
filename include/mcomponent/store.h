/*
 * The memory monitor's page store: the 4 KiB pages of every process whose vRegions
 * this node owns, keyed by (mm, virtual page number), counted per vNode. Portable C
 * with allocation callbacks; mcomponent/pages.c wraps it with a lock for the kernel,
 * tests/unit/test_store.c runs it on the host. Not locked here.
 */
#ifndef MCOMPONENT_STORE_H
#define MCOMPONENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_PAGE_SIZE 4096

/* Where memory comes from: small records, and whole pages (zeroed if zero is set). */
struct store_ops {
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	void *(*page_alloc)(void *ctx, bool zero);
	void (*page_free)(void *ctx, void *page);
	void *ctx;
};

struct store_page;

/* Pages held for one vNode; the list holds only vNodes with pages. */
struct store_vnode {
	uint32_t vnode;
	uint64_t pages;
	struct store_vnode *next;
};

struct store {
	struct store_page **buckets;
	size_t nbuckets;		/* a power of two */
	uint64_t npages;
	struct store_vnode *vnodes;
	struct store_ops ops;
};

/* An empty store of nbuckets (rounded down to a power of two, at least 1) chains. */
int store_init(struct store *st, const struct store_ops *ops, size_t nbuckets);
/* Free every page and record. */
void store_fini(struct store *st);

/* The page of (mm, vpn), or NULL. */
void *store_find(const struct store *st, uint32_t mm, uint64_t vpn);
/*
 * The page of (mm, vpn), made zero-filled and charged to vnode if missing (*made then
 * says so). -ENOMEM with nothing changed if memory runs out.
 */
int store_get(struct store *st, uint32_t mm, uint32_t vnode, uint64_t vpn, void **page,
	      bool *made);
/* Copy STORE_PAGE_SIZE bytes from src into the page of (mm, vpn), making it if needed. */
int store_write(struct store *st, uint32_t mm, uint32_t vnode, uint64_t vpn, const void *src);
/* Free mm's pages in [first, end) (page numbers). */
void store_drop(struct store *st, uint32_t mm, uint64_t first, uint64_t end);
/* Free all of mm's pages. */
void store_free_pid(struct store *st, uint32_t mm);
/*
 * Give mm's pages in [from, from + n) the page numbers [to, to + n), as mremap moves
 * them; pages that were at the destination are freed first. Never allocates.
 */
void store_move(struct store *st, uint32_t mm, uint64_t from, uint64_t to, uint64_t n);

/*
 * Give to a copy of each page from holds in [first, end), at the same page numbers,
 * charged to vnode (a fork); to's own pages there are overwritten. Returns how many
 * were copied; -EINVAL if from == to; -ENOMEM when memory runs out, with the pages
 * copied so far left for the caller to drop.
 */
long store_copy(struct store *st, uint32_t from, uint32_t to, uint32_t vnode,
		uint64_t first, uint64_t end);

/* Pages held for vnode. */
uint64_t store_vnode_pages(const struct store *st, uint32_t vnode);

#endif
