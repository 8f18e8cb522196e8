/*
 * Process system calls: identity, fork (and clone used as fork), wait4 and waitid,
 * exit and exit_group, process groups; execve is in sys_exec.c.
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "mcomponent/vma.h"
#include "linux-abi/abi.h"
#include "pcomponent/file.h"
#include "pcomponent/signal.h"
#include "syscalls.h"

/*
 * wait options Linux takes beside the documented ones: every child here reports
 * with SIGCHLD, none is a "clone" child, so __WCLONE without __WALL finds none;
 * __WALL and __WNOTHREAD change nothing.
 */
#define WAIT_KERNEL_ONLY (WNOTHREAD | WALL | WCLONE)

SYSCALL(sys_exit)
{
	(void)t;
	uthread_exit(linux_wstatus_exited((int)a[0]));
}

SYSCALL(sys_exit_group)
{
	(void)t;
	proc_exit(linux_wstatus_exited((int)a[0]));
}

SYSCALL(sys_getpid)
{
	(void)a;
	return t->proc->pid;
}

SYSCALL(sys_getppid)
{
	(void)a;
	return proc_ppid(t->proc);
}

SYSCALL(sys_gettid)
{
	(void)a;
	return t->tid;
}

SYSCALL(sys_set_tid_address)
{
	t->clear_child_tid = a[0];
	return t->tid;
}

SYSCALL(sys_fork)
{
	(void)a;
	return proc_fork(t, arch_user_regs(), 0);
}

#define CLONE_IDS (CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)
/* What a thread of this process must share: all of it, as pthreads asks. */
#define CLONE_THREAD_NEEDS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)

/* clone(CLONE_THREAD): a thread of the caller's process (args: flags, sp, ptid, ctid, tls). */
static long clone_thread(struct uthread *t, const uint64_t a[6])
{
	const uint64_t allowed = CLONE_THREAD_NEEDS | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_IDS |
				 CLONE_DETACHED;

	if ((a[0] & ~allowed) || (a[0] & CLONE_THREAD_NEEDS) != CLONE_THREAD_NEEDS || !a[1])
		return -EINVAL;
	if ((a[0] & CLONE_SETTLS) && a[4] >= VMA_MAX)
		return -EPERM;
	return uthread_clone(t, arch_user_regs(), a[1], a[4], a[0] & CLONE_SETTLS,
			     a[0] & CLONE_PARENT_SETTID ? a[2] : 0,
			     a[0] & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) ? a[3] : 0,
			     a[0] & CLONE_CHILD_SETTID, a[0] & CLONE_CHILD_CLEARTID);
}

/*
 * clone as fork, vfork and libc's fork() use it: a new process with a copy of the
 * caller's memory (CLONE_VM with CLONE_VFORK copies too: the parent waits for
 * nothing, which vfork's callers cannot tell). CHILD_CLEARTID concerns only memory
 * shared with someone still running, so for a copy there is nothing to clear.
 * Sharing memory without being a thread (CLONE_VM alone) is not supported.
 */
SYSCALL(sys_clone)
{
	const uint64_t forkish = CLONE_VFORK | CLONE_VM | CLONE_IDS | 0xff;
	struct user_regs regs = *arch_user_regs();
	long pid;

	if (a[0] & CLONE_THREAD)
		return clone_thread(t, a);
	if ((a[0] & ~forkish) || ((a[0] & CLONE_VM) && !(a[0] & CLONE_VFORK)))
		return -EINVAL;
	if (a[1])
		regs.rsp = a[1];	/* posix_spawn gives its child a stack of its own */
	pid = proc_fork(t, &regs, a[0] & CLONE_CHILD_SETTID ? a[3] : 0);
	if (pid > 0 && (a[0] & CLONE_PARENT_SETTID))
		mm_copy_out(t->proc->mm, a[2], &(int32_t){ (int32_t)pid }, sizeof(int32_t));
	return pid;
}

/* CPU time as getrusage and wait4 give it: all of it counts as user time. */
static int put_rusage(struct mm *mm, uint64_t uva, uint64_t cpu_ns)
{
	struct linux_rusage ru = {
		.utime_sec = (int64_t)(cpu_ns / NSEC_PER_SEC),
		.utime_usec = (int64_t)(cpu_ns % NSEC_PER_SEC / 1000),
	};

	return mm_copy_out(mm, uva, &ru, sizeof(ru));
}

/* The options proc_wait takes, or -EINVAL / -ECHILD for what Linux would answer. */
static long wait_options(uint32_t options, uint32_t known)
{
	if (options & ~(known | WAIT_KERNEL_ONLY))
		return -EINVAL;
	if ((options & WCLONE) && !(options & WALL))
		return -ECHILD;
	return options & ~WAIT_KERNEL_ONLY;
}

SYSCALL(sys_wait4)
{
	long options = wait_options((uint32_t)a[2], WNOHANG | WUNTRACED | WCONTINUED), pid;
	struct child_exit c;

	if (options == -EINVAL)
		return options;
	if ((int32_t)a[0] == INT32_MIN)
		return -ESRCH;		/* -INT_MIN is no group, as Linux says */
	if (options < 0)
		return options;
	pid = proc_wait(t->proc, (int32_t)a[0], (int)options | WEXITED, &c);
	if (pid > 0 && a[1] && mm_copy_out(t->proc->mm, a[1], &c.wstatus, sizeof(c.wstatus)))
		return -EFAULT;
	if (pid > 0 && a[3] && put_rusage(t->proc->mm, a[3], c.cpu_ns))
		return -EFAULT;
	return pid;
}

/* waitid's (idtype, id) as wait4's pid argument, or -EINVAL. */
static long waitid_target(uint64_t idtype, uint64_t id)
{
	if (idtype == P_ALL)
		return -1;
	if (idtype == P_PID && (int32_t)id > 0)
		return (int32_t)id;
	if (idtype == P_PGID && (int32_t)id >= 0)
		return -(int32_t)id;	/* 0: the caller's group, as wait4's 0 */
	return -EINVAL;
}

/*
 * waitid(idtype, id, infop, options, rusage): returns 0; infop says which child
 * ended and how, or is all zeros when WNOHANG found none ready.
 */
SYSCALL(sys_waitid)
{
	const uint32_t known = WNOHANG | WEXITED | WUNTRACED | WCONTINUED | WNOWAIT;
	struct linux_siginfo_child si = { 0 };
	long target = waitid_target(a[0], a[1]), options = wait_options((uint32_t)a[3], known);
	struct child_exit c;
	long pid;

	if (target == -EINVAL || options == -EINVAL ||
	    !((uint32_t)a[3] & (WEXITED | WUNTRACED | WCONTINUED)))
		return -EINVAL;
	if (options < 0)
		return options;
	pid = proc_wait(t->proc, (int32_t)target, (int)options, &c);
	if (pid < 0)
		return pid;
	if (pid > 0) {
		bool killed = c.wstatus & 0x7f;

		si = (struct linux_siginfo_child){
			.signo = SIGCHLD, .code = killed ? CLD_KILLED : CLD_EXITED,
			.pid = (int32_t)pid,
			.status = killed ? c.wstatus & 0x7f : (c.wstatus >> 8) & 0xff,
			.utime = (int64_t)(c.cpu_ns / (NSEC_PER_SEC / LINUX_CLOCK_TICKS)),
		};
	}
	if (a[2] && mm_copy_out(t->proc->mm, a[2], &si, sizeof(si)))
		return -EFAULT;
	if (pid > 0 && a[4] && put_rusage(t->proc->mm, a[4], c.cpu_ns))
		return -EFAULT;
	return 0;
}

SYSCALL(sys_getrusage)
{
	int32_t who = (int32_t)a[0];
	uint64_t ns;

	if (who == RUSAGE_THREAD)
		ns = thread_run_ns(current());
	else if (who == RUSAGE_SELF || who == RUSAGE_CHILDREN)
		ns = proc_cpu_ns(t->proc, who == RUSAGE_CHILDREN);
	else
		return -EINVAL;
	return put_rusage(t->proc->mm, a[1], ns);
}

SYSCALL(sys_getpgid)
{
	return proc_getpgid(t->proc, (uint32_t)a[0], false);
}

SYSCALL(sys_getpgrp)
{
	(void)a;
	return proc_getpgid(t->proc, 0, false);
}

SYSCALL(sys_getsid)
{
	return proc_getpgid(t->proc, (uint32_t)a[0], true);
}

SYSCALL(sys_setpgid)
{
	if ((int32_t)a[1] < 0)
		return -EINVAL;
	return proc_setpgid(t->proc, (uint32_t)a[0], (uint32_t)a[1]);
}

SYSCALL(sys_setsid)
{
	(void)a;
	return proc_setsid(t->proc);
}
