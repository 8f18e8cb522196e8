/*
 * Memory system calls: Linux's argument checks, then pmon's memory API
 * (include/pcomponent/mm.h), which keeps the ExCache coherent with the home.
 */
#include "kernel/errno.h"
#include "kernel/page.h"
#include "syscalls.h"

SYSCALL(sys_brk)
{
	return mm_brk(t->proc->mm, a[0]);
}

SYSCALL(sys_mmap)
{
	if (!(a[3] & MAP_ANONYMOUS))
		return -EBADF;		/* no files yet, so no descriptor is valid */
	if ((a[2] >> 32) || (a[3] >> 32))
		return -EINVAL;
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

/* Only MADV_DONTNEED changes anything (the range reads back as zeros); the rest are hints. */
SYSCALL(sys_madvise)
{
	if (a[0] & (PAGE_SIZE - 1) || a[2] > MADV_MAX)
		return -EINVAL;
	if (a[2] != MADV_DONTNEED)
		return 0;
	return mm_dontneed(t->proc->mm, a[0], a[1]);
}
