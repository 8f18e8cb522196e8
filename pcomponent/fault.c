/*
 * What happens when user code traps on a pComponent: a page fault on a page that
 * is not resident, or the first write to one the owner has not backed, is an
 * ExCache miss; anything the owner refuses, a write to a read-only mapping, or
 * another CPU exception is a signal for the thread: its handler runs if it has one
 * that is not blocked, else the process ends. The monitor never stops for a user
 * program.
 */
#define LOG_SUBSYS "fault"
#include "kernel/errno.h"
#include "kernel/user.h"
#include "linux-abi/abi.h"
#include "pcomponent/excache.h"
#include "pcomponent/process.h"
#include "pcomponent/signal.h"

/* The thread's handler takes sig if there is one it does not block; else the end. */
static void fault_signal(int sig, const char *why, uint64_t addr)
{
	struct uthread *t = uthread_current();
	struct linux_sigaction act;

	signal_action(t->proc, sig, NULL, &act);
	if (act.handler <= SIG_IGN || (__atomic_load_n(&t->sigmask, __ATOMIC_RELAXED) &
				       (1ULL << (sig - 1))))
		proc_kill(sig, why, addr);
	signal_send_thread(t, sig);
}

static void page_fault(struct user_regs *r, uint64_t error, uint64_t addr)
{
	struct mm *mm = uthread_current()->proc->mm;
	int err;

	(void)r;
	/* A present page faults on a write only when it is mapped read-only: the vma
	 * forbids it (-EACCES below), or the owner has not backed it yet. */
	if ((error & USER_PF_PRESENT) && !(error & USER_PF_WRITE)) {
		fault_signal(SIGSEGV, "execute of a non-executable page", addr);
		return;
	}
	err = excache_fault(mm, addr, error & USER_PF_WRITE);
	if (err == -EFAULT)
		fault_signal(SIGSEGV, "access outside any mapping", addr);
	else if (err == -EACCES)
		fault_signal(SIGSEGV, error & USER_PF_WRITE ? "write to a read-only mapping" :
			     "read of an inaccessible mapping", addr);
	else if (err)
		fault_signal(SIGBUS, err == -ENOMEM ? "out of memory on its mComponent" :
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
		fault_signal(SIGFPE, "arithmetic exception", r->rip);
		return;
	case 1:		/* #DB */
	case 3:		/* #BP */
		fault_signal(SIGTRAP, "trap", r->rip);
		return;
	case 6:		/* #UD */
		fault_signal(SIGILL, "invalid opcode", r->rip);
		return;
	default:
		fault_signal(SIGSEGV, "protection fault", r->rip);
	}
}

const struct user_ops pmon_user_ops = {
	.syscall = abi_syscall,
	.exception = exception,
	.ret_to_user = uthread_ret_to_user,
};
