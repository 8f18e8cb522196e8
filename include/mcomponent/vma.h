/*
 * The memory monitor's per-address-space vma tree: non-overlapping page-aligned ranges
 * with Linux's mmap/munmap/mprotect/brk/mremap semantics. Portable C, used by the vm
 * RPC handlers in mcomponent/ and by tests/unit/test_vma.c.
 */
#ifndef MCOMPONENT_VMA_H
#define MCOMPONENT_VMA_H

#include <stddef.h>
#include <stdint.h>
#include "linux-abi/linux.h"

/*
 * The user address space is [VMA_MIN, VMA_MAX): Linux's default mmap_min_addr (64 KiB)
 * up to x86-64's 4-level TASK_SIZE, (1 << 47) minus one guard page.
 */
#define VMA_MIN 0x10000ULL
#define VMA_MAX 0x7ffffffff000ULL

/* vma->flags: what backs the range. Only anonymous private memory exists for now. */
#define VMA_ANON 0x1
#define VMA_PRIVATE 0x2

/* vma->kind: set by the caller (exec, brk, mmap), kept for accounting and reports. */
enum vma_kind {
	VMA_KIND_ANON,		/* plain mmap */
	VMA_KIND_TEXT,
	VMA_KIND_DATA,
	VMA_KIND_BSS,
	VMA_KIND_HEAP,		/* brk; vma_brk() creates it */
	VMA_KIND_STACK,
	VMA_KIND_COUNT,
};

/*
 * One mapping [start, end). Neighbours with equal prot, flags and kind are always
 * merged. The tree and list links belong to vma.c/vma_tree.c; callers read the rest.
 */
struct vma {
	uint64_t start, end;
	uint32_t prot;
	uint32_t flags;
	uint32_t kind;
	int height;			/* AVL height of this subtree, leaf = 1 */
	struct vma *left, *right;	/* AVL tree keyed by start */
	struct vma *prev, *next;	/* address order, for iteration and gap search */
};

/* Where vma nodes come from: kmalloc in the kernel, malloc (or a failing one) in tests. */
struct vma_alloc {
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	void *ctx;
};

/*
 * One address space. Not locked here: the owner mComponent holds its per-process lock
 * around every call, and every field is guarded by that lock.
 */
struct vma_space {
	struct vma *root;
	struct vma *first, *last;
	size_t nr_vmas;
	uint64_t mmap_base;	/* top of the top-down mmap search */
	uint64_t brk_start;	/* page-aligned start of the heap */
	uint64_t brk;		/* current break, as the program asked for it (unaligned) */
	struct vma_alloc alloc;
};

/*
 * Set up an empty space. mmap_base and brk_start are page-aligned and lie in
 * [VMA_MIN, VMA_MAX]; returns -EINVAL otherwise.
 */
int vma_space_init(struct vma_space *s, const struct vma_alloc *alloc,
		   uint64_t mmap_base, uint64_t brk_start);
/* Free every vma. */
void vma_space_fini(struct vma_space *s);
/*
 * Make dst, an empty space, a copy of src (a fork): its vmas, mmap_base and break. dst
 * keeps its own allocator. -EINVAL if dst has vmas; -ENOMEM leaves dst empty.
 */
int vma_space_copy(struct vma_space *dst, const struct vma_space *src);

/* The vma containing addr, or NULL. */
struct vma *vma_find(const struct vma_space *s, uint64_t addr);
/* The first vma ending above addr (containing it or lying above it), as Linux find_vma(). */
struct vma *vma_first_after(const struct vma_space *s, uint64_t addr);

static inline struct vma *vma_first(const struct vma_space *s)
{
	return s->first;
}

static inline struct vma *vma_next(const struct vma *v)
{
	return v->next;
}

/* Visit the vmas in address order; the body must not change the space. */
#define vma_for_each(s, v) for ((v) = vma_first(s); (v); (v) = vma_next(v))

/*
 * mmap of anonymous private memory. flags must hold MAP_PRIVATE|MAP_ANONYMOUS and may
 * add MAP_FIXED or MAP_FIXED_NOREPLACE. align is 0 (a page) or a power of two; it
 * applies to the hint and the search, not to a fixed address. On success *out is the
 * start. Errors as Linux: -EINVAL (len 0, unaligned fixed address, bad flags/prot/align),
 * -ENOMEM (no room, length too large), -EPERM (fixed below VMA_MIN), -EEXIST
 * (MAP_FIXED_NOREPLACE over a mapping).
 */
int vma_mmap(struct vma_space *s, uint64_t hint, uint64_t len, uint32_t prot,
	     uint32_t flags, enum vma_kind kind, uint64_t align, uint64_t *out);
/*
 * Where vma_mmap() would put a non-fixed mapping of len bytes (page-aligned, non-zero)
 * with this hint and align (a power of two, at least a page), and where a moving
 * vma_mremap() puts new_len bytes (hint 0, align a page); 0 if nothing fits. The home
 * asks first so it can find the vRegions' owners before the space changes.
 */
uint64_t vma_place(const struct vma_space *s, uint64_t hint, uint64_t len, uint64_t align);
/*
 * Unmap [addr, addr + PAGE_ALIGN(len)), splitting vmas at the edges; unmapping nothing
 * is 0. -EINVAL for an unaligned addr, len 0, or a range past VMA_MAX; -ENOMEM only when
 * a vma must be split in two and no node can be allocated.
 */
int vma_munmap(struct vma_space *s, uint64_t addr, uint64_t len);
/*
 * Set prot on every page of the range, splitting and re-merging. len 0 is 0 (Linux);
 * -EINVAL for an unaligned addr or unknown prot bits; -ENOMEM if any page is unmapped,
 * the range wraps or passes VMA_MAX, or a split cannot allocate. Fails without changes.
 */
int vma_mprotect(struct vma_space *s, uint64_t addr, uint64_t len, uint32_t prot);
/*
 * brk(2): returns the break after the call (the old one if it could not move). A
 * new_brk below brk_start (so 0 queries) or past VMA_MAX, a grow into another vma, or
 * no memory, all leave it unchanged. The heap is one rw VMA_KIND_HEAP vma from brk_start.
 */
uint64_t vma_brk(struct vma_space *s, uint64_t new_brk);
/*
 * mremap(2) with flags 0 or MREMAP_MAYMOVE; *out is the (possibly new) start. If the
 * range moved, the caller moves its pages from old to *out. See vma.c for the errors.
 */
int vma_mremap(struct vma_space *s, uint64_t old, uint64_t old_len, uint64_t new_len,
	       uint32_t flags, uint64_t *out);

/* NULL if every invariant holds, else a description of the first broken one. */
const char *vma_check(const struct vma_space *s);

#endif
