/*
 * The memory API linux-abi/ calls (include/pcomponent/mm.h). The layout of an
 * address space lives on its home mComponent, so each call is one P2M_VM RPC there;
 * this file keeps the ExCache honest around it: dirty lines are written back before
 * a range changes protection or moves, and lines of a range that is gone are dropped.
 */
#include "kernel/errno.h"
#include "kernel/msg.h"
#include "kernel/page.h"
#include "mcomponent/vma.h"
#include "pcomponent/mm.h"

int mm_copy_in(struct mm *mm, void *dst, uint64_t uva, size_t n)
{
	return excache_copy_in(mm, dst, uva, n);
}

int mm_copy_out(struct mm *mm, uint64_t uva, const void *src, size_t n)
{
	return excache_copy_out(mm, uva, src, n);
}

static long vm_call(struct mm *mm, struct p2m_vm *req, uint64_t *addr)
{
	struct m2p_vm r;
	int n;

	req->mm = mm->id;
	n = msg_rpc(mm->home, P2M_VM, req, sizeof(*req), &r, sizeof(r), MM_RPC_TIMEOUT);
	if (n < 0)
		return n;
	if (n != sizeof(r))
		return -EIO;
	*addr = r.addr;
	return 0;
}

/* The end of [addr, addr + len) rounded to pages, clamped to the user range. */
static uint64_t range_end(uint64_t addr, uint64_t len)
{
	return len > VMA_MAX || addr > VMA_MAX - len ? VMA_MAX : PAGE_ALIGN_UP(addr + len);
}

/* Linux's brk never fails: it answers the old break when it cannot move it. */
long mm_brk(struct mm *mm, uint64_t addr)
{
	struct p2m_vm req = { .op = VM_BRK, .addr = addr };
	uint64_t old = mm->brk, now;

	if (vm_call(mm, &req, &now))
		return (long)old;
	if (now < old)
		excache_flush(mm, PAGE_ALIGN_UP(now), PAGE_ALIGN_UP(old), false);
	mm->brk = now;
	return (long)now;
}

long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags)
{
	struct p2m_vm req = { .op = VM_MMAP, .addr = addr, .len = len, .prot = prot,
			      .flags = flags };
	long err = vm_call(mm, &req, &addr);

	if (err)
		return err;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
		excache_flush(mm, addr, range_end(addr, len), false);
	return (long)addr;
}

long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	struct p2m_vm req = { .op = VM_MUNMAP, .addr = addr, .len = len };
	uint64_t unused;
	long err = vm_call(mm, &req, &unused);

	if (!err)
		excache_flush(mm, addr, range_end(addr, len), false);
	return err;
}

long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot)
{
	struct p2m_vm req = { .op = VM_MPROTECT, .addr = addr, .len = len, .prot = prot };
	uint64_t unused;

	excache_flush(mm, addr, range_end(addr, len), true);
	return vm_call(mm, &req, &unused);
}

long mm_mremap(struct mm *mm, uint64_t addr, uint64_t len, uint64_t new_len, uint32_t flags)
{
	struct p2m_vm req = { .op = VM_MREMAP, .addr = addr, .len = len, .new_len = new_len,
			      .flags = flags };
	long err;

	excache_flush(mm, addr, range_end(addr, len), true);
	err = vm_call(mm, &req, &addr);
	return err ? err : (long)addr;
}

/* The range reads back as zeros: its pages go on the owners, its lines here. */
long mm_dontneed(struct mm *mm, uint64_t addr, uint64_t len)
{
	struct p2m_vm req = { .op = VM_DONTNEED, .addr = addr, .len = len };
	uint64_t unused;
	long err = vm_call(mm, &req, &unused);

	if (!err)
		excache_flush(mm, addr, range_end(addr, len), false);
	return err;
}
