/*
 * The system-call table: Linux x86-64 numbers to implementations, bounds-checked
 * before the call (as xv6's syscall()). Anything not here returns -ENOSYS and is
 * logged once per number, so a missing call shows up without flooding the log.
 */
#define LOG_SUBSYS "syscall"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "linux-abi/abi.h"
#include "syscalls.h"

#define NR_SYSCALLS 512

static const syscall_fn table[NR_SYSCALLS] = {
	[1] = sys_write,
	[9] = sys_mmap,
	[10] = sys_mprotect,
	[11] = sys_munmap,
	[12] = sys_brk,
	[16] = sys_ioctl,
	[20] = sys_writev,
	[25] = sys_mremap,
	[28] = sys_madvise,
	[39] = sys_getpid,
	[60] = sys_exit,
	[158] = sys_arch_prctl,
	[186] = sys_getpid,		/* gettid: one thread per process */
	[218] = sys_set_tid_address,
	[228] = sys_clock_gettime,
	[231] = sys_exit,		/* exit_group */
};

static struct spinlock warned_lock = SPINLOCK_INIT("enosys");	/* warned */
static uint64_t warned[NR_SYSCALLS / 64 + 1];

static void warn_once(struct process *p, uint64_t nr)
{
	unsigned i = nr < NR_SYSCALLS ? (unsigned)nr : NR_SYSCALLS;
	bool first;

	spin_lock(&warned_lock);
	first = !(warned[i / 64] & (1ULL << (i % 64)));
	warned[i / 64] |= 1ULL << (i % 64);
	spin_unlock(&warned_lock);
	if (first)
		pr_warn("pid %u: system call %lu is not implemented (-ENOSYS)", p->pid, nr);
}

void abi_syscall(struct user_regs *r)
{
	struct process *p = proc_current();
	const uint64_t a[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };
	uint64_t nr = r->rax;

	if (nr < NR_SYSCALLS && table[nr]) {
		r->rax = (uint64_t)table[nr](p, a);
		return;
	}
	warn_once(p, nr);
	r->rax = (uint64_t)-ENOSYS;
}
