/*
 * vma operations with Linux's semantics and errno: mmap, munmap, mprotect, brk, mremap
 * over one address space, splitting and merging vmas. Portable: the vm RPC handlers
 * call it under the space's lock, and tests/unit/test_vma.c runs it on the host.
 *
 * Every operation that may need new vma nodes counts them first and allocates them
 * all into a reserve before it changes anything, so running out of memory returns
 * -ENOMEM with the space exactly as it was.
 */
#include <stdbool.h>
#include "mcomponent/vma.h"
#include "kernel/errno.h"
#include "kernel/page.h"
#include "vma_tree.h"

#define PROT_MASK (PROT_READ | PROT_WRITE | PROT_EXEC)
#define MMAP_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_FIXED_NOREPLACE)
#define PAGE_MASK_LOW (PAGE_SIZE - 1)
#define RESERVE_MAX 2

struct reserve {
	struct vma *v[RESERVE_MAX];
	int n;
};

static void reserve_drain(struct vma_space *s, struct reserve *r)
{
	while (r->n > 0)
		s->alloc.free(s->alloc.ctx, r->v[--r->n]);
}

static int reserve_fill(struct vma_space *s, struct reserve *r, int n)
{
	r->n = 0;
	while (r->n < n) {
		r->v[r->n] = s->alloc.alloc(s->alloc.ctx, sizeof(struct vma));
		if (!r->v[r->n]) {
			reserve_drain(s, r);
			return -ENOMEM;
		}
		r->n++;
	}
	return 0;
}

/* The caller counted its needs into reserve_fill(), so this never runs dry. */
static struct vma *reserve_take(struct reserve *r)
{
	return r->v[--r->n];
}

static void vma_free(struct vma_space *s, struct vma *v)
{
	vma_tree_remove(s, v);
	s->alloc.free(s->alloc.ctx, v);
}

static bool same_attrs(const struct vma *a, uint32_t prot, uint32_t flags, uint32_t kind)
{
	return a->prot == prot && a->flags == flags && a->kind == kind;
}

static bool mergeable(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && same_attrs(b, a->prot, a->flags, a->kind);
}

struct vma *vma_find(const struct vma_space *s, uint64_t addr)
{
	struct vma *v = vma_tree_le(s, addr);

	return v && addr < v->end ? v : NULL;
}

struct vma *vma_first_after(const struct vma_space *s, uint64_t addr)
{
	struct vma *v = vma_tree_le(s, addr);

	if (v && addr < v->end)
		return v;
	return v ? v->next : s->first;
}

static bool range_free(const struct vma_space *s, uint64_t start, uint64_t end)
{
	struct vma *v = vma_first_after(s, start);

	return !v || v->start >= end;
}

/* Fold v's successor into v if they touch and match. */
static void merge_next(struct vma_space *s, struct vma *v)
{
	struct vma *n = v->next;

	if (n && mergeable(v, n)) {
		v->end = n->end;
		vma_free(s, n);
	}
}

/* Merge every matching pair whose boundary lies in [start, end]. */
static void merge_range(struct vma_space *s, uint64_t start, uint64_t end)
{
	struct vma *v = vma_tree_le(s, start - 1);

	if (!v)
		v = s->first;
	while (v && v->next && v->next->start <= end) {
		if (mergeable(v, v->next))
			merge_next(s, v);
		else
			v = v->next;
	}
}

/* Nodes unmap_range() will need: one if a single vma sticks out on both sides. */
static int unmap_needs(const struct vma_space *s, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(s, start);

	return v && v->start < start && v->end > end;
}

/*
 * Remove [start, end) from the space. vmas overlapping one edge are trimmed in place:
 * their new start or end stays between their list neighbours, so the tree stays ordered.
 */
static void unmap_range(struct vma_space *s, struct reserve *r, uint64_t start, uint64_t end)
{
	struct vma *v = vma_first_after(s, start), *n;

	if (v && v->start < start && v->end > end) {
		n = reserve_take(r);
		*n = *v;
		n->start = end;
		v->end = start;
		vma_tree_insert(s, n);
		return;
	}
	if (v && v->start < start) {
		v->end = start;
		v = v->next;
	}
	while (v && v->end <= end) {
		n = v->next;
		vma_free(s, v);
		v = n;
	}
	if (v && v->start < end)
		v->start = end;
}

/* Whether a new [start, end) would be absorbed by a matching neighbour after unmapping. */
static bool map_absorbed(const struct vma_space *s, uint64_t start, uint64_t end,
			 uint32_t prot, uint32_t flags, uint32_t kind)
{
	struct vma *p = vma_find(s, start - 1), *n = vma_find(s, end);

	return (p && same_attrs(p, prot, flags, kind)) ||
	       (n && same_attrs(n, prot, flags, kind));
}

static int map_needs(const struct vma_space *s, uint64_t start, uint64_t end,
		     uint32_t prot, uint32_t flags, uint32_t kind)
{
	return unmap_needs(s, start, end) + !map_absorbed(s, start, end, prot, flags, kind);
}

/* Make [start, end) one mapping with these attributes, replacing what was there. */
static void map_range(struct vma_space *s, struct reserve *r, uint64_t start, uint64_t end,
		      uint32_t prot, uint32_t flags, uint32_t kind)
{
	struct vma *p, *n;

	unmap_range(s, r, start, end);
	p = vma_find(s, start - 1);
	if (p && same_attrs(p, prot, flags, kind)) {
		p->end = end;
		merge_next(s, p);
		return;
	}
	n = vma_first_after(s, start);
	if (n && n->start == end && same_attrs(n, prot, flags, kind)) {
		n->start = start;
		return;
	}
	n = reserve_take(r);
	n->start = start;
	n->end = end;
	n->prot = prot;
	n->flags = flags;
	n->kind = kind;
	vma_tree_insert(s, n);
}

static int map(struct vma_space *s, uint64_t start, uint64_t end, uint32_t prot,
	       uint32_t flags, uint32_t kind)
{
	struct reserve r;
	int err;

	err = reserve_fill(s, &r, map_needs(s, start, end, prot, flags, kind));
	if (err)
		return err;
	map_range(s, &r, start, end, prot, flags, kind);
	reserve_drain(s, &r);
	return 0;
}

static int unmap(struct vma_space *s, uint64_t start, uint64_t end)
{
	struct reserve r;
	int err;

	err = reserve_fill(s, &r, unmap_needs(s, start, end));
	if (err)
		return err;
	unmap_range(s, &r, start, end);
	reserve_drain(s, &r);
	return 0;
}

/* The highest align-aligned start of a len-byte gap inside [lo_bound, hi_bound), or 0. */
static uint64_t gap_topdown(const struct vma_space *s, uint64_t len, uint64_t align,
			    uint64_t lo_bound, uint64_t hi_bound)
{
	uint64_t lo, hi = hi_bound, cand;
	struct vma *v;

	if (hi_bound <= lo_bound)
		return 0;
	v = vma_tree_le(s, hi_bound - 1);
	for (;;) {
		lo = v && v->end > lo_bound ? v->end : lo_bound;
		if (hi > lo && hi - lo >= len) {
			cand = (hi - len) & ~(align - 1);
			if (cand >= lo)
				return cand;
		}
		if (!v || v->start <= lo_bound)
			return 0;
		hi = v->start;
		v = v->prev;
	}
}

/* The lowest align-aligned start of a len-byte gap inside [lo_bound, hi_bound), or 0. */
static uint64_t gap_bottomup(const struct vma_space *s, uint64_t len, uint64_t align,
			     uint64_t lo_bound, uint64_t hi_bound)
{
	uint64_t lo = lo_bound, hi, cand;
	struct vma *v;

	if (hi_bound <= lo_bound)
		return 0;
	v = vma_first_after(s, lo_bound);
	for (;;) {
		hi = v && v->start < hi_bound ? v->start : hi_bound;
		cand = (lo + align - 1) & ~(align - 1);
		if (cand <= hi && hi - cand >= len)
			return cand;
		if (!v || v->start >= hi_bound)
			return 0;
		if (v->end > lo)
			lo = v->end;
		v = v->next;
	}
}

/*
 * Where a non-fixed mapping goes, or 0: the hint if it is free and aligned, else the
 * highest gap below mmap_base, else (as Linux falls back) the lowest one above it.
 */
uint64_t vma_place(const struct vma_space *s, uint64_t hint, uint64_t len, uint64_t align)
{
	uint64_t addr;

	if (hint && hint <= VMA_MAX) {
		hint = PAGE_ALIGN_UP(hint);
		if (!(hint & (align - 1)) && hint >= VMA_MIN && hint <= VMA_MAX - len &&
		    range_free(s, hint, hint + len))
			return hint;
	}
	addr = gap_topdown(s, len, align, VMA_MIN, s->mmap_base);
	if (addr)
		return addr;
	return gap_bottomup(s, len, align, s->mmap_base, VMA_MAX);
}

int vma_space_init(struct vma_space *s, const struct vma_alloc *alloc,
		   uint64_t mmap_base, uint64_t brk_start)
{
	if (!alloc || !alloc->alloc || !alloc->free)
		return -EINVAL;
	if ((mmap_base | brk_start) & PAGE_MASK_LOW)
		return -EINVAL;
	if (mmap_base < VMA_MIN || mmap_base > VMA_MAX ||
	    brk_start < VMA_MIN || brk_start > VMA_MAX)
		return -EINVAL;
	s->root = s->first = s->last = NULL;
	s->nr_vmas = 0;
	s->mmap_base = mmap_base;
	s->brk_start = s->brk = brk_start;
	s->alloc = *alloc;
	return 0;
}

void vma_space_fini(struct vma_space *s)
{
	struct vma *v = s->first, *n;

	while (v) {
		n = v->next;
		s->alloc.free(s->alloc.ctx, v);
		v = n;
	}
	s->root = s->first = s->last = NULL;
	s->nr_vmas = 0;
}

/* In address order, so each insert lands at the end of the list. */
int vma_space_copy(struct vma_space *dst, const struct vma_space *src)
{
	const struct vma *v;
	struct vma *n;

	if (dst->nr_vmas)
		return -EINVAL;
	vma_for_each(src, v) {
		n = dst->alloc.alloc(dst->alloc.ctx, sizeof(*n));
		if (!n) {
			vma_space_fini(dst);
			return -ENOMEM;
		}
		*n = *v;
		vma_tree_insert(dst, n);
	}
	dst->mmap_base = src->mmap_base;
	dst->brk_start = src->brk_start;
	dst->brk = src->brk;
	return 0;
}

int vma_mmap(struct vma_space *s, uint64_t hint, uint64_t len, uint32_t prot,
	     uint32_t flags, enum vma_kind kind, uint64_t align, uint64_t *out)
{
	const uint32_t vflags = VMA_ANON | VMA_PRIVATE;
	uint64_t addr;
	int err;

	if ((prot & ~PROT_MASK) || (flags & ~MMAP_FLAGS) || (unsigned)kind >= VMA_KIND_COUNT)
		return -EINVAL;
	if ((flags & (MAP_PRIVATE | MAP_ANONYMOUS)) != (MAP_PRIVATE | MAP_ANONYMOUS))
		return -EINVAL;
	if ((align & (align - 1)) || align > VMA_MAX)
		return -EINVAL;
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	if (len == 0)
		return -EINVAL;
	if (len > VMA_MAX - VMA_MIN)
		return -ENOMEM;
	len = PAGE_ALIGN_UP(len);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (hint & PAGE_MASK_LOW)
			return -EINVAL;
		if (hint > VMA_MAX - len)
			return -ENOMEM;
		if (hint < VMA_MIN)
			return -EPERM;
		if ((flags & MAP_FIXED_NOREPLACE) && !range_free(s, hint, hint + len))
			return -EEXIST;
		addr = hint;
	} else {
		addr = vma_place(s, hint, len, align);
		if (!addr)
			return -ENOMEM;
	}
	err = map(s, addr, addr + len, prot, vflags, kind);
	if (err)
		return err;
	*out = addr;
	return 0;
}

/* Linux's argument rules for munmap: aligned start, non-empty range inside user space. */
int vma_munmap(struct vma_space *s, uint64_t addr, uint64_t len)
{
	if ((addr & PAGE_MASK_LOW) || len == 0 || len > VMA_MAX)
		return -EINVAL;
	len = PAGE_ALIGN_UP(len);
	if (addr > VMA_MAX - len)
		return -EINVAL;
	return unmap(s, addr, addr + len);
}

/* Split v at addr (inside it), keeping the attributes on both halves. */
static void split(struct vma_space *s, struct reserve *r, struct vma *v, uint64_t addr)
{
	struct vma *n = reserve_take(r);

	*n = *v;
	n->start = addr;
	v->end = addr;
	vma_tree_insert(s, n);
}

/* The vma addr splits for a change to prot, or NULL if none does. */
static struct vma *prot_split_at(const struct vma_space *s, uint64_t addr, uint32_t prot)
{
	struct vma *v = vma_find(s, addr);

	return v && v->start < addr && v->prot != prot ? v : NULL;
}

/* True if every page of [start, end) is mapped. */
static bool range_mapped(const struct vma_space *s, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(s, start);
	uint64_t at = start;

	while (at < end) {
		if (!v || v->start > at)
			return false;
		at = v->end;
		v = v->next;
	}
	return true;
}

/*
 * Unlike Linux, which changes the vmas before a hole and then fails, a range with a hole
 * is refused before anything changes. Re-protecting with the same prot never splits.
 */
int vma_mprotect(struct vma_space *s, uint64_t addr, uint64_t len, uint32_t prot)
{
	struct vma *lo, *hi, *v;
	struct reserve r;
	uint64_t end;
	int err;

	if (addr & PAGE_MASK_LOW)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (len > VMA_MAX)
		return -ENOMEM;
	len = PAGE_ALIGN_UP(len);
	if (addr > VMA_MAX - len)
		return -ENOMEM;
	if (prot & ~PROT_MASK)
		return -EINVAL;
	end = addr + len;
	if (!range_mapped(s, addr, end))
		return -ENOMEM;
	lo = prot_split_at(s, addr, prot);
	hi = prot_split_at(s, end, prot);
	err = reserve_fill(s, &r, (lo != NULL) + (hi != NULL));
	if (err)
		return err;
	if (lo)
		split(s, &r, lo, addr);
	if (hi)
		split(s, &r, vma_find(s, end), end);
	for (v = vma_find(s, addr); v && v->start < end; v = v->next)
		v->prot = prot;
	merge_range(s, addr, end);
	reserve_drain(s, &r);
	return 0;
}

/*
 * brk(2): returns the break after the call, as the Linux syscall does. new_brk below
 * brk_start (0 included) or past VMA_MAX leaves it unchanged, so brk(0) queries it.
 * Growing maps [PAGE_ALIGN(old), PAGE_ALIGN(new)) as a read-write heap vma, only if
 * that range is free; shrinking unmaps the pages above PAGE_ALIGN(new). Any refusal
 * (overlap, out of memory) returns the old break. No guard gap is kept below a stack.
 */
uint64_t vma_brk(struct vma_space *s, uint64_t new_brk)
{
	uint64_t old_end = PAGE_ALIGN_UP(s->brk), new_end;
	int err;

	if (new_brk < s->brk_start || new_brk > VMA_MAX)
		return s->brk;
	new_end = PAGE_ALIGN_UP(new_brk);
	if (new_end < old_end) {
		err = unmap(s, new_end, old_end);
	} else if (new_end > old_end) {
		if (!range_free(s, old_end, new_end))
			return s->brk;
		err = map(s, old_end, new_end, PROT_READ | PROT_WRITE,
			  VMA_ANON | VMA_PRIVATE, VMA_KIND_HEAP);
	} else {
		err = 0;
	}
	if (err)
		return s->brk;
	s->brk = new_brk;
	return new_brk;
}

/* Move [old, old+old_len) of v to a new place new_len long; the caller moves the pages. */
static int mremap_move(struct vma_space *s, struct vma *v, uint64_t old, uint64_t old_len,
		       uint64_t new_len, uint64_t *out)
{
	uint32_t prot = v->prot, flags = v->flags, kind = v->kind;
	uint64_t addr = vma_place(s, 0, new_len, PAGE_SIZE);
	struct reserve r;
	int err;

	if (!addr)
		return -ENOMEM;
	/* One node for the new mapping, one if the old range is a vma's middle. */
	err = reserve_fill(s, &r, 1 + unmap_needs(s, old, old + old_len));
	if (err)
		return err;
	unmap_range(s, &r, old, old + old_len);
	map_range(s, &r, addr, addr + new_len, prot, flags, kind);
	reserve_drain(s, &r);
	*out = addr;
	return 0;
}

/*
 * mremap(2) of private anonymous memory; only MREMAP_MAYMOVE is supported. Shrinking
 * unmaps the tail and, as Linux, does not require the range to be mapped. Growing needs
 * [old, old+old_len) inside one vma (-EFAULT), grows in place if the vma ends there and
 * the pages above are free, else moves if allowed (*out is the new start), else -ENOMEM.
 */
int vma_mremap(struct vma_space *s, uint64_t old, uint64_t old_len, uint64_t new_len,
	       uint32_t flags, uint64_t *out)
{
	struct vma *v;
	int err;

	if (flags & ~MREMAP_MAYMOVE)
		return -EINVAL;
	if ((old & PAGE_MASK_LOW) || old_len == 0 || new_len == 0 || old > VMA_MAX)
		return -EINVAL;
	if (old_len > VMA_MAX || new_len > VMA_MAX)
		return -ENOMEM;
	old_len = PAGE_ALIGN_UP(old_len);
	new_len = PAGE_ALIGN_UP(new_len);
	if (new_len <= old_len) {
		if (new_len < old_len) {
			err = vma_munmap(s, old + new_len, old_len - new_len);
			if (err)
				return err;
		}
		*out = old;
		return 0;
	}
	v = vma_find(s, old);
	if (!v || old_len > v->end - old)
		return -EFAULT;
	if (v->end == old + old_len && old + new_len <= VMA_MAX &&
	    range_free(s, v->end, old + new_len)) {
		v->end = old + new_len;
		merge_next(s, v);
		*out = old;
		return 0;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	return mremap_move(s, v, old, old_len, new_len, out);
}

const char *vma_check(const struct vma_space *s)
{
	const struct vma *v;
	const char *why = vma_tree_check(s);

	if (why)
		return why;
	vma_for_each(s, v) {
		if (v->start >= v->end)
			return "empty or inverted vma";
		if ((v->start | v->end) & PAGE_MASK_LOW)
			return "unaligned vma";
		if (v->start < VMA_MIN || v->end > VMA_MAX)
			return "vma outside user space";
		if ((v->prot & ~PROT_MASK) || v->kind >= VMA_KIND_COUNT)
			return "bad prot or kind";
		if (v->prev && v->prev->end > v->start)
			return "overlapping vmas";
		if (v->prev && mergeable(v->prev, v))
			return "unmerged neighbours";
	}
	return NULL;
}
