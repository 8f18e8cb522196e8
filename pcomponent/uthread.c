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
#include "pcomponent/futex.h"
#include "pcomponent/signal.h"
#include "pmon.h"

static unsigned next_cpu;		/* atomic: where the next thread goes */

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

/*
 * Make the kernel thread that will run t, stopped, and count t among its process's
 * threads (with a new tid if it has none): a signal sent from now on finds it. It
 * runs at the caller's thread_wake().
 */
static int attach(struct uthread *t)
{
	struct process *p = t->proc;
	unsigned cpu = ncpus > 1 ? 1 + __atomic_fetch_add(&next_cpu, 1, __ATOMIC_RELAXED) %
				   (ncpus - 1) : 0;

	t->thread = thread_create_stopped("user", uthread_main, t, cpu);
	if (!t->thread)
		return -ENOMEM;
	spin_lock(&proc_lock);
	if (!t->tid)
		t->tid = proc_new_id();
	list_add_tail(&t->link, &p->threads);
	p->nthreads++;
	spin_unlock(&proc_lock);
	return 0;
}

int uthread_start(struct uthread *t)
{
	int err = attach(t);

	if (!err)
		thread_wake(t->thread);
	return err;
}

long uthread_clone(struct uthread *t, const struct user_regs *regs, uint64_t sp,
		   uint64_t tls, bool settls, uint64_t ptid, uint64_t ctid, bool set_ctid,
		   bool clear_ctid)
{
	struct process *p = t->proc;
	struct uthread *nt = kzalloc(sizeof(*nt));
	long err;

	if (!nt)
		return -ENOMEM;
	arch_user_ctx_init(&nt->user, p->mm->root);
	arch_user_fpu_copy(&nt->user);
	nt->user.fs_base = settls ? tls : t->user.fs_base;
	nt->proc = p;
	nt->sigmask = __atomic_load_n(&t->sigmask, __ATOMIC_RELAXED);
	nt->clear_child_tid = clear_ctid ? ctid : 0;
	nt->start = *regs;
	nt->start.rax = 0;
	nt->start.rsp = sp;
	err = attach(nt);
	if (err) {
		kfree(nt);
		return err;
	}
	/* Both words hold the tid before either thread runs on (a joiner reads them). */
	if (ptid)
		mm_copy_out(p->mm, ptid, &nt->tid, sizeof(nt->tid));
	if (set_ctid)
		mm_copy_out(p->mm, ctid, &nt->tid, sizeof(nt->tid));
	thread_wake(nt->thread);
	return nt->tid;
}

/* CLONE_CHILD_CLEARTID: the joiner of this thread sleeps on its tid word. */
static void clear_tid(struct uthread *t)
{
	uint32_t zero = 0;

	if (t->clear_child_tid &&
	    !mm_copy_out(t->proc->mm, t->clear_child_tid, &zero, sizeof(zero)))
		futex_wake(t->proc->mm, t->clear_child_tid, 1, ~0u);
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

	clear_tid(t);
	irq_disable();
	current()->user = NULL;
	arch_user_leave();
	irq_enable();
	spin_lock(&proc_lock);
	list_del(&t->link);
	p->cpu_ns += thread_run_ns(current());
	last = --p->nthreads == 0;
	if (last && !p->exiting) {
		p->exiting = true;
		p->exit_wstatus = wstatus;
	}
	wstatus = p->exit_wstatus;
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
