/*
 * The end of a process: exit_group and fatal signals (proc_exit), what happens when
 * its last thread is gone (proc_exited), and wait4/waitid (proc_wait). A process whose
 * parent lives becomes a zombie until the parent waits; one the host started
 * reports its status to the host instead, and one whose parent is gone just goes.
 */
#define LOG_SUBSYS "proc"
#include "kernel/errno.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "pcomponent/file.h"
#include "pcomponent/signal.h"
#include "pcomponent/tty.h"
#include "pmon.h"

/* Under proc_lock: every thread of p stops at its next return to ring 3 (or sleep). */
static void end_threads(struct process *p, int wstatus)
{
	struct list_head *l;

	if (!p->exiting) {
		p->exiting = true;
		p->exit_wstatus = wstatus;
	}
	list_for_each(l, &p->threads)
		thread_kick(list_entry(l, struct uthread, link)->thread);
}

void proc_exit(int wstatus)
{
	struct process *p = uthread_current()->proc;

	spin_lock(&proc_lock);
	end_threads(p, wstatus);
	spin_unlock(&proc_lock);
	uthread_exit(wstatus);
}

void proc_kill_mm(struct mm *mm, int sig)
{
	spin_lock(&proc_lock);
	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct process *p = proc_at(i);

		if (p && p->mm == mm && p->state != PROC_ZOMBIE && !p->exiting) {
			pr_warn("pid %u killed by signal %d: its memory lost a page", p->pid, sig);
			end_threads(p, linux_wstatus_signaled(sig));
		}
	}
	spin_unlock(&proc_lock);
}

void proc_kill(int sig, const char *why, uint64_t addr)
{
	pr_warn("pid %u killed by signal %d: %s at %#lx", uthread_current()->proc->pid, sig, why,
		addr);
	proc_exit(linux_wstatus_signaled(sig));
}

uint32_t proc_ppid(struct process *p)
{
	uint32_t ppid;

	spin_lock(&proc_lock);
	ppid = p->ppid;
	spin_unlock(&proc_lock);
	return ppid;
}

/* The host started p: tell it how p ended; its terminal has nobody behind it after. */
static void report_to_host(struct process *p, int wstatus)
{
	struct p2h_exit e = { .pid = p->pid, .status = linux_wstatus_shell(wstatus) };

	msg_rpc(p->host, P2H_EXIT, &e, sizeof(e), NULL, 0, PROC_RPC_TIMEOUT);
	tty_hangup(p->tty);
	pr_info("pid %u exits with status %d", p->pid, e.status);
}

/*
 * Under proc_lock: p's children lose their parent (a zombie among them goes now, the
 * others when they exit), and p becomes its parent's zombie. True if p must go now.
 */
static bool orphan_and_bury(struct process *p, int wstatus, struct process **gone, unsigned *n)
{
	struct process *parent = p->ppid ? proc_lookup(p->ppid) : NULL;

	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct process *c = proc_at(i);

		if (!c || c->ppid != p->pid)
			continue;
		c->ppid = 0;
		if (c->state == PROC_ZOMBIE)
			gone[(*n)++] = c;
	}
	p->wstatus = wstatus;
	p->state = PROC_ZOMBIE;
	if (!parent)
		return true;
	signal_send_locked(parent, SIGCHLD);
	wake_up_all(&parent->child_wq);
	return false;
}

void proc_exited(struct process *p, int wstatus)
{
	struct process *gone[PROC_MAX];
	unsigned n = 0;
	bool free_now;

	files_close(p->files);
	p->files = NULL;
	mm_put(p->mm);
	p->mm = NULL;
	if (tty_is(p->tty, p->host, p->pid))
		report_to_host(p, wstatus);
	spin_lock(&proc_lock);
	free_now = orphan_and_bury(p, wstatus, gone, &n);
	spin_unlock(&proc_lock);
	for (unsigned i = 0; i < n; i++)
		proc_free(gone[i]);
	if (free_now)
		proc_free(p);
}

/* Does child c match wait4's pid argument for parent p? */
static bool wanted(const struct process *p, const struct process *c, int32_t pid)
{
	if (c->ppid != p->pid)
		return false;
	if (pid > 0)
		return c->pid == (uint32_t)pid;
	if (pid == 0)
		return c->pgid == p->pgid;
	return pid == -1 || c->pgid == (uint32_t)-pid;
}

/* Under proc_lock: a wanted zombie in *z (1), wanted children still running (0), none. */
static int scan(struct process *p, int32_t pid, struct process **z)
{
	int found = -ECHILD;

	for (unsigned i = 0; i < PROC_MAX && found < 1; i++) {
		struct process *c = proc_at(i);

		if (!c || !wanted(p, c, pid))
			continue;
		found = 0;
		if (c->state == PROC_ZOMBIE) {
			*z = c;
			found = 1;
		}
	}
	return found;
}

/*
 * Under proc_lock: what the wait ended with, in *r (1: a zombie, 0: wanted children
 * still running, -ECHILD). A zombie is copied out here, while the lock keeps it, and
 * is ours to free (in *z) unless WNOWAIT leaves it for a later wait.
 */
static bool wait_done(struct process *p, int32_t pid, int options, struct child_exit *out,
		      struct process **z, int *r)
{
	spin_lock(&proc_lock);
	*r = scan(p, pid, z);
	if (*r == 1 && !(options & WEXITED))
		*r = 0;			/* only stops were asked for, and nothing stops */
	if (*r == 1) {
		*out = (struct child_exit){ .pid = (*z)->pid, .wstatus = (*z)->wstatus,
					    .cpu_ns = (*z)->cpu_ns + (*z)->children_cpu_ns };
		if (options & WNOWAIT)
			*z = NULL;
		else
			(*z)->ppid = 0;	/* nobody else may reap it */
	}
	spin_unlock(&proc_lock);
	return *r != 0 || (options & WNOHANG);
}

long proc_wait(struct process *p, int32_t pid, int options, struct child_exit *out)
{
	struct process *z = NULL;
	int r, err;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WEXITED | WNOWAIT))
		return -EINVAL;
	err = uthread_wait_event(&p->child_wq, wait_done(p, pid, options, out, &z, &r));
	if (err)
		return err;
	if (r <= 0)
		return r;
	if (z) {
		spin_lock(&proc_lock);
		p->children_cpu_ns += out->cpu_ns;
		spin_unlock(&proc_lock);
		proc_free(z);
	}
	return out->pid;
}

uint64_t proc_cpu_ns(struct process *p, bool children)
{
	struct list_head *l;
	uint64_t ns;

	spin_lock(&proc_lock);
	ns = children ? p->children_cpu_ns : p->cpu_ns;
	if (!children)
		list_for_each(l, &p->threads)
			ns += thread_run_ns(list_entry(l, struct uthread, link)->thread);
	spin_unlock(&proc_lock);
	return ns;
}
