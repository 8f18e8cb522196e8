/*
 * Private to linux-abi/: the system calls each file implements, as the table in
 * syscall.c calls them (six raw argument registers, a Linux return value).
 */
#ifndef LINUX_ABI_SYSCALLS_H
#define LINUX_ABI_SYSCALLS_H

#include <stdint.h>
#include "pcomponent/process.h"

typedef long (*syscall_fn)(struct process *p, const uint64_t a[6]);

/* sys_io.c */
long sys_write(struct process *p, const uint64_t a[6]);
long sys_writev(struct process *p, const uint64_t a[6]);
long sys_ioctl(struct process *p, const uint64_t a[6]);

/* sys_mm.c */
long sys_brk(struct process *p, const uint64_t a[6]);
long sys_mmap(struct process *p, const uint64_t a[6]);
long sys_munmap(struct process *p, const uint64_t a[6]);
long sys_mprotect(struct process *p, const uint64_t a[6]);
long sys_mremap(struct process *p, const uint64_t a[6]);
long sys_madvise(struct process *p, const uint64_t a[6]);

/* sys_proc.c */
long sys_exit(struct process *p, const uint64_t a[6]);
long sys_getpid(struct process *p, const uint64_t a[6]);
long sys_set_tid_address(struct process *p, const uint64_t a[6]);
long sys_arch_prctl(struct process *p, const uint64_t a[6]);
long sys_clock_gettime(struct process *p, const uint64_t a[6]);

#endif
