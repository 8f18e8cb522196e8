/*
 * P2M_VM on a process's home: mmap, munmap, mprotect, brk, mremap and
 * madvise(MADV_DONTNEED) with Linux's arguments and errnos (vma.c), then the changed
 * range synced to the vRegions' owners (sync.c). Owners are found before anything
 * changes, so a placement failure leaves the space as it was.
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "mmon.h"

#define MAP_TYPE 0x0f
#define MAP_32BIT 0x40
#define MAP_NORESERVE 0x4000
#define MAP_HUGETLB 0x40000
#define MAP_KEPT (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_FIXED_NOREPLACE)
#define PAGE_LOW (PAGE_SIZE - 1)

/*
 * Linux's heuristic overcommit, simplified: refuse one request for more pages than
 * this node has in all; smaller ones may still find memory short at first touch.
 */
static bool too_big(uint64_t len)
{
	return len / PAGE_SIZE > page_total_count();
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/*
 * Anonymous private mappings only: a file or shared mapping is -ENODEV, MAP_32BIT and
 * MAP_HUGETLB -EINVAL; flags Linux ignores for private memory (MAP_NORESERVE,
 * MAP_STACK, MAP_POPULATE, ...) are ignored. The owners of the range are learnt first.
 */
static int vm_mmap(struct space *s, const struct p2m_vm *q, uint64_t *addr)
{
	uint32_t type = q->flags & MAP_TYPE, fixed = q->flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	uint64_t len = q->len, at;
	int err;

	if (type == 0 || type > 3)
		return -EINVAL;
	if (type != MAP_PRIVATE || !(q->flags & MAP_ANONYMOUS))
		return -ENODEV;
	if ((q->flags & (MAP_32BIT | MAP_HUGETLB)) || len == 0)
		return -EINVAL;
	if (len > VMA_MAX - VMA_MIN)
		return -ENOMEM;
	len = PAGE_ALIGN_UP(len);
	if ((q->prot & PROT_WRITE) && !(q->flags & MAP_NORESERVE) && too_big(len))
		return -ENOMEM;
	at = fixed ? q->addr : vma_place(&s->vs, q->addr, len, PAGE_SIZE);
	if (at >= VMA_MIN && !(at & PAGE_LOW) && at <= VMA_MAX - len) {
		err = owner_fill(s, at, at + len);
		if (err)
			return err;
	}
	err = vma_mmap(&s->vs, q->addr, len, q->prot, q->flags & MAP_KEPT, VMA_KIND_ANON, 0,
		       addr);
	if (err)
		return err;
	if (*addr != at) {
		pr_err("mmap mm=%u landed at %#lx, not %#lx as placed", s->mm, *addr, at);
		owner_fill(s, *addr, *addr + len);
	}
	return sync_range(s, *addr, *addr + len, fixed != 0);
}

static int vm_munmap(struct space *s, const struct p2m_vm *q)
{
	int err = vma_munmap(&s->vs, q->addr, q->len);

	if (err)
		return err;
	return sync_range(s, q->addr, q->addr + PAGE_ALIGN_UP(q->len), false);
}

static int vm_mprotect(struct space *s, const struct p2m_vm *q)
{
	int err = vma_mprotect(&s->vs, q->addr, q->len, q->prot);

	if (err || q->len == 0)
		return err;
	return sync_range(s, q->addr, q->addr + PAGE_ALIGN_UP(q->len), false);
}

/* brk(2): the new break, or the old one if it cannot move; never an error. */
static uint64_t vm_brk(struct space *s, uint64_t want)
{
	uint64_t old = s->vs.brk, old_end = PAGE_ALIGN_UP(old), new_end, got;

	if (want >= s->vs.brk_start && want <= VMA_MAX) {
		new_end = PAGE_ALIGN_UP(want);
		if (new_end > old_end &&
		    (too_big(new_end - old_end) || owner_fill(s, old_end, new_end)))
			return old;
	}
	got = vma_brk(&s->vs, want);
	new_end = PAGE_ALIGN_UP(got);
	sync_range(s, min_u64(old_end, new_end), max_u64(old_end, new_end), false);
	return got;
}

/*
 * Before a growing mremap: learn the owners of where it will grow or move to. A move
 * carries pages, which only works inside this node's store (and its backup's, told
 * with M2M_PAGE_MOVE): if the old or new range lies in a vRegion another mmon owns,
 * or the two have different backups, -ENOMEM now, and musl and glibc fall back to
 * malloc, copy, free.
 */
static int mremap_prepare(struct space *s, uint64_t old, uint64_t old_len, uint64_t new_len,
			  uint32_t flags)
{
	struct vma *v = vma_find(&s->vs, old), *n;
	int err, backup = -EINVAL;
	uint64_t dest;

	if (!v || old_len > v->end - old)
		return 0;		/* vma_mremap() says -EFAULT */
	if ((v->prot & PROT_WRITE) && too_big(new_len - old_len))
		return -ENOMEM;
	n = v->next;
	if (v->end == old + old_len && new_len <= VMA_MAX - old &&
	    (!n || n->start >= old + new_len))
		return owner_fill(s, old + old_len, old + new_len);
	if (!(flags & MREMAP_MAYMOVE))
		return 0;		/* vma_mremap() says -ENOMEM */
	dest = vma_place(&s->vs, 0, new_len, PAGE_SIZE);
	if (!dest)
		return -ENOMEM;
	err = owner_fill(s, dest, dest + new_len);
	if (err)
		return err;
	if (!owner_all_self(s, old, old + old_len, &backup) ||
	    !owner_all_self(s, dest, dest + new_len, &backup)) {
		pr_info("mremap mm=%u refused: it would move pages between mmons", s->mm);
		return -ENOMEM;
	}
	return 0;
}

static int vm_mremap(struct space *s, const struct p2m_vm *q, uint64_t *addr)
{
	uint64_t old = q->addr, old_len = PAGE_ALIGN_UP(q->len);
	uint64_t new_len = PAGE_ALIGN_UP(q->new_len);
	int err;

	if (!(old & PAGE_LOW) && old <= VMA_MAX && q->len && q->len <= VMA_MAX &&
	    q->new_len <= VMA_MAX && new_len > old_len && !(q->flags & ~MREMAP_MAYMOVE)) {
		err = mremap_prepare(s, old, old_len, new_len, q->flags);
		if (err)
			return err;
	}
	err = vma_mremap(&s->vs, q->addr, q->len, q->new_len, q->flags, addr);
	if (err)
		return err;
	if (*addr == old)
		return sync_range(s, old + min_u64(old_len, new_len),
				  old + max_u64(old_len, new_len), false);
	pages_move(s, old, *addr, old_len);
	err = replica_move(s, old, *addr, old_len);
	if (!err)
		err = sync_range(s, *addr, *addr + new_len, false);
	return sync_range(s, old, old + old_len, false) ? -EIO : err;
}

/*
 * madvise(MADV_DONTNEED): the range reads back as zeros. Like Linux, the mapped parts
 * are dropped even if the range has holes, which then make it -ENOMEM.
 */
static int vm_dontneed(struct space *s, const struct p2m_vm *q)
{
	uint64_t end, at;
	struct vma *v;
	int err;

	if (q->addr & PAGE_LOW)
		return -EINVAL;
	if (q->len == 0)
		return 0;
	if (q->len > VMA_MAX || q->addr > VMA_MAX - PAGE_ALIGN_UP(q->len))
		return -ENOMEM;
	end = q->addr + PAGE_ALIGN_UP(q->len);
	err = sync_range(s, q->addr, end, true);
	if (err)
		return err;
	for (at = q->addr, v = vma_find(&s->vs, at); at < end; at = v->end, v = v->next)
		if (!v || v->start > at)
			return -ENOMEM;
	return 0;
}

static int vm_do(struct space *s, const struct p2m_vm *q, uint64_t *addr)
{
	*addr = 0;
	switch (q->op) {
	case VM_MMAP:
		return vm_mmap(s, q, addr);
	case VM_MUNMAP:
		return vm_munmap(s, q);
	case VM_MPROTECT:
		return vm_mprotect(s, q);
	case VM_BRK:
		*addr = vm_brk(s, q->addr);
		return 0;
	case VM_MREMAP:
		return vm_mremap(s, q, addr);
	case VM_DONTNEED:
		return vm_dontneed(s, q);
	default:
		return -EINVAL;
	}
}

/* P2M_VM: from the process's pmon, to its home. */
int vm_call(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
	    size_t resp_max)
{
	struct m2p_vm a;
	struct p2m_vm q;
	struct space *s;
	uint64_t addr;
	int err;

	(void)ctx, (void)len;
	memcpy(&q, req, sizeof(q));
	if (resp_max < sizeof(a))
		return -ENOSPC;
	err = space_get_pmon_home(q.mm, peer, "vm", &s);
	if (err)
		return err;
	err = vm_do(s, &q, &addr);
	pr_debug("vm mm=%u op=%u addr=%#lx len=%#lx -> %d %#lx", q.mm, q.op, q.addr, q.len,
		 err, addr);
	space_put(s);
	if (err)
		return err;
	a.addr = addr;
	memcpy(resp, &a, sizeof(a));
	return sizeof(a);
}
