/*
 * Memory system calls. The layout of an address space lives on the process's home
 * mComponent, so each call is one P2M_VM RPC there; the pmon's part is keeping the
 * ExCache honest around it: dirty lines are written back before a range changes
 * protection or moves, and lines of a range that is gone are dropped.
 */
#include "kernel/errno.h"
#include "kernel/msg.h"
#include "kernel/page.h"
#include "mcomponent/vma.h"
#include "syscalls.h"

#define MADV_DONTNEED 4
#define MADV_MAX 25		/* MADV_COLLAPSE: the highest advice Linux knows */

static long vm_call(struct process *p, const struct p2m_vm *req, uint64_t *addr)
{
	struct m2p_vm r;
	int n = msg_rpc(p->home, P2M_VM, req, sizeof(*req), &r, sizeof(r), PROC_RPC_TIMEOUT);

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

long sys_brk(struct process *p, const uint64_t a[6])
{
	struct p2m_vm req = { .pid = p->pid, .op = VM_BRK, .addr = a[0] };
	uint64_t old = p->brk, now;

	if (vm_call(p, &req, &now))
		return (long)old;
	if (now < old)
		excache_flush(p, PAGE_ALIGN_UP(now), PAGE_ALIGN_UP(old), false);
	p->brk = now;
	return (long)now;
}

long sys_mmap(struct process *p, const uint64_t a[6])
{
	struct p2m_vm req = { .pid = p->pid, .op = VM_MMAP, .addr = a[0], .len = a[1],
			      .prot = (uint32_t)a[2], .flags = (uint32_t)a[3] };
	uint64_t addr;
	long err;

	if (!(a[3] & MAP_ANONYMOUS))
		return -EBADF;		/* no files yet, so no descriptor is valid */
	if ((a[2] >> 32) || (a[3] >> 32))
		return -EINVAL;
	err = vm_call(p, &req, &addr);
	if (err)
		return err;
	if (a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE))
		excache_flush(p, addr, range_end(addr, a[1]), false);
	return (long)addr;
}

long sys_munmap(struct process *p, const uint64_t a[6])
{
	struct p2m_vm req = { .pid = p->pid, .op = VM_MUNMAP, .addr = a[0], .len = a[1] };
	uint64_t unused;
	long err = vm_call(p, &req, &unused);

	if (!err)
		excache_flush(p, a[0], range_end(a[0], a[1]), false);
	return err;
}

long sys_mprotect(struct process *p, const uint64_t a[6])
{
	struct p2m_vm req = { .pid = p->pid, .op = VM_MPROTECT, .addr = a[0], .len = a[1],
			      .prot = (uint32_t)a[2] };
	uint64_t unused;

	if (a[2] >> 32)
		return -EINVAL;
	excache_flush(p, a[0], range_end(a[0], a[1]), true);
	return vm_call(p, &req, &unused);
}

long sys_mremap(struct process *p, const uint64_t a[6])
{
	struct p2m_vm req = { .pid = p->pid, .op = VM_MREMAP, .addr = a[0], .len = a[1],
			      .new_len = a[2], .flags = (uint32_t)a[3] };
	uint64_t addr;
	long err;

	if (a[3] >> 32)
		return -EINVAL;
	excache_flush(p, a[0], range_end(a[0], a[1]), true);
	err = vm_call(p, &req, &addr);
	return err ? err : (long)addr;
}

/* Only MADV_DONTNEED changes anything (the range reads back as zeros); the rest are hints. */
long sys_madvise(struct process *p, const uint64_t a[6])
{
	struct p2m_vm req = { .pid = p->pid, .op = VM_DONTNEED, .addr = a[0], .len = a[1] };
	uint64_t unused;
	long err;

	if (a[0] & (PAGE_SIZE - 1) || a[2] > MADV_MAX)
		return -EINVAL;
	if (a[2] != MADV_DONTNEED)
		return 0;
	err = vm_call(p, &req, &unused);
	if (!err)
		excache_flush(p, a[0], range_end(a[0], a[1]), false);
	return err;
}
