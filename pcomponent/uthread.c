/*
 * User threads on a pComponent: each runs on a kernel thread of its own, pinned to
 * one of the pmon's CPUs (CPU 0 runs the network), and enters ring 3 with a full
 * register frame. Every return to ring 3 passes uthread_ret_to_user(), where a
 * thread whose process is exiting stops.
 */
#define LOG_SUBSYS "proc"
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "lib/list.h"
#include "linux-abi/abi.h"
#include "pcomponent/signal.h"
#include "pmon.h"

static unsigned next_cpu;		/* proc_lock */

struct uthread *uthread_current(void)
{
	struct thread *t = current();

	return t->user ? container_of(t->user, struct uthread, user) : NULL;
}

bool uthread_interrupted(void)
{
	struct uthread *t = uthread_current();

	return t && (__atomic_load_n(&t->proc->exiting, __ATOMIC_RELAXED) || signal_pending(t));
}

/* A program's first thread builds its initial stack (argv, envp, auxv) first. */
static void uthread_main(void *arg)
{
	struct uthread *t = arg;
	struct process *p = t->proc;
	uint64_t rsp;
	int err;

	current()->user = &t->user;
	if (p->strings) {
		err = abi_initial_stack(p, &rsp);
		kfree(p->strings);
		p->strings = NULL;
		if (err) {
			pr_warn("pid %u: cannot build the initial stack (%d)", p->pid, err);
			uthread_exit(linux_wstatus_signaled(SIGSEGV));
		}
		t->start = (struct user_regs){ .rip = p->exec.entry, .rsp = rsp };
	}
	arch_user_enter(&t->start);
}

/* The thread counts among its process's from here: a signal sent now finds it. */
int uthread_start(struct uthread *t)
{
	struct process *p = t->proc;
	unsigned cpu;

	spin_lock(&proc_lock);
	cpu = ncpus > 1 ? 1 + next_cpu++ % (ncpus - 1) : 0;
	t->thread = thread_create("user", uthread_main, t, cpu);
	if (t->thread) {
		list_add_tail(&t->link, &p->threads);
		p->nthreads++;
	}
	spin_unlock(&proc_lock);
	return t->thread ? 0 : -ENOMEM;
}

/*
 * Leave the address space before anything lets go of it; the thread's FPU state
 * lives in t, so t goes only once this kernel thread no longer names it.
 */
void uthread_exit(int wstatus)
{
	struct uthread *t = uthread_current();
	struct process *p = t->proc;
	bool last;

	irq_disable();
	current()->user = NULL;
	arch_user_leave();
	irq_enable();
	spin_lock(&proc_lock);
	list_del(&t->link);
	if (!p->exiting) {
		p->exiting = true;
		p->exit_wstatus = wstatus;
	}
	wstatus = p->exit_wstatus;
	last = --p->nthreads == 0;
	spin_unlock(&proc_lock);
	kfree(t);
	if (last)
		proc_exited(p, wstatus);
	thread_exit();
}

void uthread_ret_to_user(struct user_regs *r)
{
	struct uthread *t = uthread_current();

	if (__atomic_load_n(&t->proc->exiting, __ATOMIC_RELAXED))
		uthread_exit(0);
	signal_deliver(t, r);
}
