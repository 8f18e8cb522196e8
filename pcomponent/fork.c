/*
 * fork: a new process on this pmon with a copy of the caller's address space (made
 * eagerly on its mComponents, see mm_fork()), its descriptors, signal handlers and
 * mask, and one thread that returns 0 from the same system call; and execve's
 * switch of a process to a new address space.
 */
#define LOG_SUBSYS "proc"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "kernel/arch.h"
#include "pcomponent/file.h"
#include "pcomponent/fs.h"
#include "pcomponent/signal.h"
#include "pcomponent/tty.h"
#include "pmon.h"

/* The child as the table sees it: related to p, not yet running. */
static struct process *child_new(struct process *p)
{
	struct process *c = kzalloc(sizeof(*c));

	if (!c)
		return NULL;
	c->vnode = p->vnode;
	c->host = p->host;
	c->realtime_offset = p->realtime_offset;
	c->exec = p->exec;
	c->state = PROC_FORKING;
	wait_queue_init(&c->child_wq);
	list_init(&c->threads);
	if (proc_add(c)) {
		kfree(c);
		return NULL;
	}
	spin_lock(&proc_lock);
	c->ppid = p->pid;
	c->pgid = p->pgid;
	c->sid = p->sid;
	memcpy(c->actions, p->actions, sizeof(c->actions));
	c->cwd = p->cwd;
	if (c->cwd)
		__atomic_add_fetch(&c->cwd->refs, 1, __ATOMIC_RELAXED);
	spin_unlock(&proc_lock);
	c->umask = __atomic_load_n(&p->umask, __ATOMIC_RELAXED);
	c->tty = p->tty;
	tty_get(c->tty);
	return c;
}

/* The child's thread: the caller's registers, FPU and TLS, returning 0. */
static struct uthread *child_thread(struct uthread *t, struct process *c,
				    const struct user_regs *regs)
{
	struct uthread *ct = kzalloc(sizeof(*ct));

	if (!ct)
		return NULL;
	arch_user_ctx_init(&ct->user, c->mm->root);
	arch_user_fpu_copy(&ct->user);
	ct->user.fs_base = t->user.fs_base;
	ct->proc = c;
	ct->tid = c->pid;
	ct->sigmask = t->sigmask;
	ct->start = *regs;
	ct->start.rax = 0;
	return ct;
}

long proc_fork(struct uthread *t, const struct user_regs *regs, uint64_t child_tid)
{
	struct process *p = t->proc, *c = child_new(p);
	struct uthread *ct;
	int err;

	if (!c)
		return -EAGAIN;
	err = mm_fork(p->mm, &c->mm);
	if (err)
		goto out_free;
	err = -ENOMEM;
	c->files = files_dup(p->files);
	if (!c->files)
		goto out_mm;
	if (child_tid)		/* a bad address fails quietly, as on Linux */
		mm_copy_out(c->mm, child_tid, &c->pid, sizeof(c->pid));
	ct = child_thread(t, c, regs);
	if (!ct)
		goto out_files;
	spin_lock(&proc_lock);
	c->state = PROC_LIVE;
	spin_unlock(&proc_lock);
	err = uthread_start(ct);
	if (err) {
		kfree(ct);
		goto out_files;
	}
	pr_debug("pid %u forks pid %u (mm %u -> %u)", p->pid, c->pid, p->mm->id, c->mm->id);
	return c->pid;
out_files:
	files_close(c->files);
out_mm:
	mm_put(c->mm);
out_free:
	proc_free(c);
	return err;
}

struct mm *proc_exec(struct uthread *t, struct mm *mm)
{
	struct process *p = t->proc;
	struct mm *old = p->mm;

	irq_disable();
	arch_user_ctx_init(&t->user, mm->root);
	arch_user_leave();
	irq_enable();
	spin_lock(&proc_lock);
	p->mm = mm;
	spin_unlock(&proc_lock);
	t->altstack = t->altstack_size = 0;
	files_exec(p->files);
	signal_exec(p);
	return old;
}
