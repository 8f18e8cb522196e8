/*
 * Signal system calls: actions, masks, sending (kill, tkill, tgkill), waiting
 * (rt_sigsuspend, pause), the alternate stack, and rt_sigreturn. The machinery is
 * pmon's (include/pcomponent/signal.h).
 */
#include "kernel/errno.h"
#include "kernel/sched.h"
#include "pcomponent/signal.h"
#include "syscalls.h"

#define SIGSET_SIZE 8

SYSCALL(sys_rt_sigaction)
{
	struct linux_sigaction act, old;
	struct mm *mm = t->proc->mm;
	int err;

	if (a[3] != SIGSET_SIZE)
		return -EINVAL;
	if (a[1] && mm_copy_in(mm, &act, a[1], sizeof(act)))
		return -EFAULT;
	err = signal_action(t->proc, (int)a[0], a[1] ? &act : NULL, &old);
	if (!err && a[2] && mm_copy_out(mm, a[2], &old, sizeof(old)))
		err = -EFAULT;
	return err;
}

static uint64_t mask_of(struct uthread *t)
{
	return __atomic_load_n(&t->sigmask, __ATOMIC_RELAXED);
}

/*
 * As Linux: the new set is read before how is looked at; but the old mask is
 * written before the new one takes effect, so a bad pointer changes nothing.
 */
SYSCALL(sys_rt_sigprocmask)
{
	uint64_t set = 0, old = mask_of(t), now;
	struct mm *mm = t->proc->mm;

	if (a[3] != SIGSET_SIZE)
		return -EINVAL;
	if (a[1] && mm_copy_in(mm, &set, a[1], sizeof(set)))
		return -EFAULT;
	if (a[1] && a[0] > SIG_SETMASK)
		return -EINVAL;
	if (a[2] && mm_copy_out(mm, a[2], &old, sizeof(old)))
		return -EFAULT;
	if (!a[1])
		return 0;
	now = a[0] == SIG_BLOCK ? old | set : a[0] == SIG_UNBLOCK ? old & ~set : set;
	now &= ~SIG_UNBLOCKABLE;
	__atomic_store_n(&t->sigmask, now, __ATOMIC_RELAXED);
	return 0;
}

/* The pending signals the thread blocks; Linux copies any size up to a sigset's. */
SYSCALL(sys_rt_sigpending)
{
	uint64_t set;

	if (a[1] > SIGSET_SIZE)
		return -EINVAL;
	set = (__atomic_load_n(&t->pending, __ATOMIC_RELAXED) |
	       __atomic_load_n(&t->proc->pending, __ATOMIC_RELAXED)) & mask_of(t);
	return a[1] ? mm_copy_out(t->proc->mm, a[0], &set, a[1]) : 0;
}

SYSCALL(sys_rt_sigreturn)
{
	(void)a;
	return signal_return(t, arch_user_regs());
}

/* Sleep until a signal comes; the handler runs with the mask as it was before. */
static long suspend(struct uthread *t, uint64_t mask)
{
	struct wait_queue wq;

	wait_queue_init(&wq);
	t->saved_mask = mask_of(t);
	t->restore_mask = true;
	__atomic_store_n(&t->sigmask, mask, __ATOMIC_RELAXED);
	return uthread_wait_event(&wq, false);
}

SYSCALL(sys_rt_sigsuspend)
{
	uint64_t mask;

	if (a[1] != SIGSET_SIZE)
		return -EINVAL;
	if (mm_copy_in(t->proc->mm, &mask, a[0], sizeof(mask)))
		return -EFAULT;
	return suspend(t, mask & ~SIG_UNBLOCKABLE);
}

SYSCALL(sys_pause)
{
	struct wait_queue wq;

	(void)t, (void)a;
	wait_queue_init(&wq);
	return uthread_wait_event(&wq, false);
}

/* kill: pid > 0 a process, 0 the caller's group, -1 every process of its vNode, < -1 a group. */
SYSCALL(sys_kill)
{
	int32_t pid = (int32_t)a[0];
	int sig = (int)a[1];

	if (pid > 0)
		return signal_send(t->proc->vnode, (uint32_t)pid, sig);
	if (pid == 0)
		return signal_send_group(t->proc->vnode, t->proc->pgid, sig);
	if (pid == -1)
		return -EPERM;
	if (pid == INT32_MIN)
		return -ESRCH;		/* no group -INT_MIN, as Linux says */
	return signal_send_group(t->proc->vnode, (uint32_t)-pid, sig);
}

/* tkill and tgkill take ints (pid_t), as kill does: a negative one is -EINVAL. */
SYSCALL(sys_tkill)
{
	if ((int32_t)a[0] <= 0)
		return -EINVAL;
	return signal_send_tid(t->proc->vnode, 0, (uint32_t)a[0], (int)a[1]);
}

SYSCALL(sys_tgkill)
{
	if ((int32_t)a[0] <= 0 || (int32_t)a[1] <= 0)
		return -EINVAL;
	return signal_send_tid(t->proc->vnode, (uint32_t)a[0], (uint32_t)a[1], (int)a[2]);
}

struct linux_stack_t {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};

/* Is t running on its alternate stack (Linux's on_sig_stack)? */
static bool on_altstack(const struct uthread *t, uint64_t sp)
{
	return sp > t->altstack && sp - t->altstack <= t->altstack_size;
}

/* Can the stack ss replace t's (running at sp)? 0, -EPERM, -EINVAL or -ENOMEM, as Linux. */
static int altstack_check(const struct uthread *t, const struct linux_stack_t *ss, uint64_t sp)
{
	int32_t mode = ss->flags;

	if (on_altstack(t, sp))
		return -EPERM;
	if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
		return -EINVAL;
	if (mode != SS_DISABLE && ss->size < MINSIGSTKSZ)
		return -ENOMEM;
	return 0;
}

/*
 * sigaltstack: the new stack is checked before the old one is written, and the old
 * one written before the new one takes effect, so a failure changes nothing.
 */
SYSCALL(sys_sigaltstack)
{
	uint64_t sp = arch_user_regs()->rsp;
	struct linux_stack_t ss, old = { .sp = t->altstack, .size = t->altstack_size,
					 .flags = !t->altstack ? SS_DISABLE :
						  on_altstack(t, sp) ? SS_ONSTACK : 0 };
	struct mm *mm = t->proc->mm;
	int err;

	if (a[0] && mm_copy_in(mm, &ss, a[0], sizeof(ss)))
		return -EFAULT;
	err = a[0] ? altstack_check(t, &ss, sp) : 0;
	if (err)
		return err;
	if (a[1] && mm_copy_out(mm, a[1], &old, sizeof(old)))
		return -EFAULT;
	if (!a[0])
		return 0;
	t->altstack = ss.flags == SS_DISABLE ? 0 : ss.sp;
	t->altstack_size = ss.flags == SS_DISABLE ? 0 : ss.size;
	return 0;
}
