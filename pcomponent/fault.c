/*
 * What happens when user code traps on a pComponent: a page fault on a page that
 * is not resident, or the first write to one the owner has not backed, is an
 * ExCache miss; anything the owner refuses, a write to a read-only mapping, or
 * another CPU exception ends the process with a signal. The monitor itself never
 * stops for a user program.
 */
#define LOG_SUBSYS "fault"
#include "kernel/errno.h"
#include "kernel/user.h"
#include "linux-abi/abi.h"
#include "pcomponent/excache.h"
#include "pcomponent/process.h"

static void page_fault(struct user_regs *r, uint64_t error, uint64_t addr)
{
	struct process *p = proc_current();
	int err;

	(void)r;
	/* A present page faults on a write only when it is mapped read-only: the vma
	 * forbids it (-EACCES below), or the owner has not backed it yet. */
	if ((error & USER_PF_PRESENT) && !(error & USER_PF_WRITE))
		proc_kill(SIGSEGV, "execute of a non-executable page", addr);
	err = excache_fault(p, addr, error & USER_PF_WRITE);
	if (err == -EFAULT)
		proc_kill(SIGSEGV, "access outside any mapping", addr);
	if (err == -EACCES)
		proc_kill(SIGSEGV, error & USER_PF_WRITE ? "write to a read-only mapping" :
			  "read of an inaccessible mapping", addr);
	if (err)
		proc_kill(SIGBUS, err == -ENOMEM ? "out of memory on its mComponent" :
			  "its page could not be fetched", addr);
}

static void exception(struct user_regs *r, unsigned vector, uint64_t error, uint64_t addr)
{
	switch (vector) {
	case USER_EXC_PAGE_FAULT:
		page_fault(r, error, addr);
		return;
	case 0:		/* #DE */
	case 16:	/* #MF */
	case 19:	/* #XM */
		proc_kill(SIGFPE, "arithmetic exception", r->rip);
	case 1:		/* #DB */
	case 3:		/* #BP */
		proc_kill(SIGTRAP, "trap", r->rip);
	case 6:		/* #UD */
		proc_kill(SIGILL, "invalid opcode", r->rip);
	default:
		proc_kill(SIGSEGV, "protection fault", r->rip);
	}
}

const struct user_ops pmon_user_ops = {
	.syscall = abi_syscall,
	.exception = exception,
};
