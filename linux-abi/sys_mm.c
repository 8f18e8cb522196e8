/*
 * Memory system calls: Linux's argument checks, then pmon's memory API
 * (include/pcomponent/mm.h), which keeps the ExCache coherent with the home.
 */
#include "kernel/errno.h"
#include "kernel/page.h"
#include "pcomponent/file.h"
#include "syscalls.h"

SYSCALL(sys_brk)
{
	return mm_brk(t->proc->mm, a[0]);
}

/* Nothing open can be mapped yet: a descriptor is -ENODEV, as for a pipe on Linux. */
static long map_file(struct uthread *t, uint64_t fd)
{
	struct file *f = fd < FD_MAX ? fd_get(t->proc->files, (int)fd) : NULL;

	if (!f)
		return -EBADF;
	file_put(f);
	return -ENODEV;
}

/*
 * As Linux: an offset off a page is -EINVAL before anything else; bits of prot and
 * flags Linux does not know are ignored (the home checks the rest).
 */
SYSCALL(sys_mmap)
{
	if (a[5] & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(a[3] & MAP_ANONYMOUS))
		return map_file(t, a[4]);
	return mm_mmap(t->proc->mm, a[0], a[1], (uint32_t)a[2], (uint32_t)a[3]);
}

SYSCALL(sys_munmap)
{
	return mm_munmap(t->proc->mm, a[0], a[1]);
}

SYSCALL(sys_mprotect)
{
	if (a[2] >> 32)
		return -EINVAL;
	return mm_mprotect(t->proc->mm, a[0], a[1], (uint32_t)a[2]);
}

SYSCALL(sys_mremap)
{
	if (a[3] >> 32)
		return -EINVAL;
	return mm_mremap(t->proc->mm, a[0], a[1], a[2], (uint32_t)a[3]);
}

/* Linux's advice (an int): 0..MADV_MAX, but 5..7, which it never had. */
static bool advice_known(int32_t advice)
{
	return advice >= 0 && advice <= MADV_MAX && (advice <= MADV_DONTNEED || advice >= 8);
}

/*
 * Only MADV_DONTNEED changes anything (the range reads back as zeros); the rest are
 * hints. Checked in Linux's order: the advice, the start's alignment, a length that
 * rounds up past the end of the address space.
 */
SYSCALL(sys_madvise)
{
	uint64_t len = PAGE_ALIGN_UP(a[1]);

	if (!advice_known((int32_t)a[2]) || (a[0] & (PAGE_SIZE - 1)))
		return -EINVAL;
	if ((a[1] && !len) || a[0] + len < a[0])
		return -EINVAL;
	if ((int32_t)a[2] != MADV_DONTNEED || !len)
		return 0;
	return mm_dontneed(t->proc->mm, a[0], a[1]);
}
