/*
 * Signals (include/pcomponent/signal.h). A signal is a pending bit on a process
 * (any thread may take it) or on one thread; senders set it under proc_lock and
 * wake the threads, which take it on their way back to ring 3. A handler runs on a
 * frame Linux's x86-64 layout gives (struct rt_sigframe), so libc's restorer and
 * rt_sigreturn bring back the registers, FPU state and mask it saved.
 */
#define LOG_SUBSYS "signal"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "mcomponent/vma.h"
#include "pcomponent/signal.h"
#include "pmon.h"

#define BIT(sig) (1ULL << ((sig) - 1))
/* Signals whose default action is to do nothing; job control stops are among them. */
#define DEFAULT_IGNORE (BIT(SIGCHLD) | BIT(SIGURG) | BIT(SIGWINCH) | BIT(SIGCONT) | \
			BIT(SIGSTOP) | BIT(SIGTSTP) | BIT(SIGTTIN) | BIT(SIGTTOU))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))
#define RED_ZONE 128
#define FXSAVE_SIZE 512

struct linux_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate;
	uint64_t reserved[8];
};
_Static_assert(sizeof(struct linux_sigcontext) == 256, "sigcontext");

struct linux_ucontext {
	uint64_t flags, link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct linux_sigcontext mc;
	uint64_t sigmask;
};

struct linux_siginfo {
	int32_t signo, errno_, code, pad;
	int32_t pid, uid;
	uint8_t rest[104];
};
_Static_assert(sizeof(struct linux_siginfo) == 128, "siginfo");

struct rt_sigframe {
	uint64_t pretcode;		/* the handler returns to sa_restorer */
	struct linux_ucontext uc;
	struct linux_siginfo info;
};

static bool ignored(const struct process *p, int sig)
{
	uint64_t h = p->actions[sig - 1].handler;

	return h == SIG_IGN || (h == SIG_DFL && (DEFAULT_IGNORE & BIT(sig)));
}

/* Wake p's threads to look at their signals (SIGKILL: to die right away). */
static void kick(struct process *p)
{
	struct list_head *l;

	list_for_each(l, &p->threads)
		thread_kick(list_entry(l, struct uthread, link)->thread);
}

void signal_send_locked(struct process *p, int sig)
{
	if (p->state != PROC_LIVE || p->exiting || ignored(p, sig))
		return;
	if (sig == SIGKILL) {
		p->exiting = true;
		p->exit_wstatus = linux_wstatus_signaled(SIGKILL);
	}
	p->pending |= BIT(sig);
	kick(p);
}

/* May a sender of vNode vnode see p at all? Another vNode's processes do not exist for it. */
static bool visible(uint32_t vnode, const struct process *p)
{
	return vnode == SIGNAL_ANY_VNODE || p->vnode == vnode;
}

int signal_send(uint32_t vnode, uint32_t pid, int sig)
{
	struct process *p;
	int err = 0;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	spin_lock(&proc_lock);
	p = proc_lookup(pid);
	if (!p || p->state == PROC_ZOMBIE || p->state == PROC_NEW || !visible(vnode, p))
		err = -ESRCH;
	else if (sig)
		signal_send_locked(p, sig);
	spin_unlock(&proc_lock);
	return err;
}

int signal_send_group(uint32_t vnode, uint32_t pgid, int sig)
{
	int err = -ESRCH;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	spin_lock(&proc_lock);
	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct process *p = proc_at(i);

		if (!p || p->pgid != pgid || p->state != PROC_LIVE || !visible(vnode, p))
			continue;
		err = 0;
		if (sig)
			signal_send_locked(p, sig);
	}
	spin_unlock(&proc_lock);
	return err;
}

int signal_send_tid(uint32_t vnode, uint32_t tgid, uint32_t tid, int sig)
{
	struct uthread *t = NULL;
	int err = -ESRCH;

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	spin_lock(&proc_lock);
	for (unsigned i = 0; i < PROC_MAX && !t; i++) {
		struct process *p = proc_at(i);

		if (p && p->state == PROC_LIVE && (!tgid || p->pid == tgid) && visible(vnode, p))
			t = proc_thread(p, tid);
	}
	if (t) {
		err = 0;
		if (sig && !ignored(t->proc, sig)) {
			t->pending |= BIT(sig);
			thread_kick(t->thread);
		}
	}
	spin_unlock(&proc_lock);
	return err;
}

void signal_send_thread(struct uthread *t, int sig)
{
	spin_lock(&proc_lock);
	if (!ignored(t->proc, sig)) {
		t->pending |= BIT(sig);
		thread_wake(t->thread);
	}
	spin_unlock(&proc_lock);
}

bool signal_pending(struct uthread *t)
{
	bool yes;

	spin_lock(&proc_lock);
	yes = (t->pending | t->proc->pending) & ~t->sigmask;
	spin_unlock(&proc_lock);
	return yes;
}

/* Take the lowest pending signal t does not block, with its action; 0 if none. */
static int dequeue(struct uthread *t, struct linux_sigaction *act)
{
	struct process *p = t->proc;
	uint64_t ready;
	int sig = 0;

	spin_lock(&proc_lock);
	ready = (t->pending | p->pending) & ~t->sigmask;
	if (ready) {
		sig = __builtin_ctzll(ready) + 1;
		t->pending &= ~BIT(sig);
		p->pending &= ~BIT(sig);
		*act = p->actions[sig - 1];
		if (act->handler > SIG_IGN && (act->flags & SA_RESETHAND))
			p->actions[sig - 1].handler = SIG_DFL;
	}
	spin_unlock(&proc_lock);
	return sig;
}

static void save_regs(struct linux_sigcontext *mc, const struct user_regs *r)
{
	*mc = (struct linux_sigcontext){
		.r8 = r->r8, .r9 = r->r9, .r10 = r->r10, .r11 = r->r11, .r12 = r->r12,
		.r13 = r->r13, .r14 = r->r14, .r15 = r->r15, .rdi = r->rdi, .rsi = r->rsi,
		.rbp = r->rbp, .rbx = r->rbx, .rdx = r->rdx, .rax = r->rax, .rcx = r->rcx,
		.rsp = r->rsp, .rip = r->rip, .eflags = r->rflags, .cs = (uint16_t)r->cs,
		.ss = (uint16_t)r->ss, .err = r->error, .trapno = r->vector,
	};
}

/* Where the frame goes: below the red zone, or on the alternate stack if asked. */
static uint64_t frame_top(struct uthread *t, const struct user_regs *r, uint64_t flags)
{
	bool on_alt = t->altstack && r->rsp - t->altstack <= t->altstack_size;

	if ((flags & SA_ONSTACK) && t->altstack && !on_alt)
		return t->altstack + t->altstack_size;
	return r->rsp - RED_ZONE;
}

/* Build the frame for sig's handler and point r at the handler; 0 or -EFAULT. */
static int setup_frame(struct uthread *t, struct user_regs *r, int sig,
		       const struct linux_sigaction *act)
{
	struct mm *mm = t->proc->mm;
	uint64_t fp = (frame_top(t, r, act->flags) - FXSAVE_SIZE) & ~63ULL;
	uint64_t sp = ((fp - sizeof(struct rt_sigframe)) & ~15ULL) - 8;
	struct rt_sigframe f = { .pretcode = act->restorer };
	struct user_ctx fpu;

	if (!(act->flags & SA_RESTORER))
		return -EFAULT;		/* x86-64 has no kernel-provided trampoline */
	save_regs(&f.uc.mc, r);
	f.uc.mc.fpstate = fp;
	f.uc.ss_sp = t->altstack;
	f.uc.ss_size = t->altstack_size;
	f.uc.ss_flags = t->altstack ? 0 : SS_DISABLE;
	f.uc.sigmask = t->restore_mask ? t->saved_mask : t->sigmask;
	f.info = (struct linux_siginfo){ .signo = sig, .code = SI_USER };
	arch_user_fpu_copy(&fpu);
	if (mm_copy_out(mm, fp, fpu.fpu, FXSAVE_SIZE) || mm_copy_out(mm, sp, &f, sizeof(f)))
		return -EFAULT;
	t->restore_mask = false;
	spin_lock(&proc_lock);
	t->sigmask |= act->mask | ((act->flags & SA_NODEFER) ? 0 : BIT(sig));
	t->sigmask &= ~UNBLOCKABLE;
	spin_unlock(&proc_lock);
	r->rsp = sp;
	r->rip = act->handler;
	r->rdi = (uint64_t)sig;
	r->rsi = sp + offsetof(struct rt_sigframe, info);
	r->rdx = sp + offsetof(struct rt_sigframe, uc);
	r->rax = 0;
	r->rflags &= ~0x400ULL;		/* DF clear, as the ABI wants at a call */
	return 0;
}

/*
 * Every return to ring 3 comes here, so the common case, nothing to do, is decided
 * without proc_lock: a sender sets its bit before it kicks the thread, and the kick
 * brings the thread back here after the bit is visible.
 */
static bool nothing_to_do(struct uthread *t)
{
	uint64_t pending = __atomic_load_n(&t->pending, __ATOMIC_ACQUIRE) |
			   __atomic_load_n(&t->proc->pending, __ATOMIC_ACQUIRE);

	return !t->restore_mask && !(pending & ~__atomic_load_n(&t->sigmask, __ATOMIC_RELAXED));
}

void signal_deliver(struct uthread *t, struct user_regs *r)
{
	struct linux_sigaction act;
	int sig;

	if (nothing_to_do(t))
		return;
	while ((sig = dequeue(t, &act))) {
		if (act.handler == SIG_IGN || (act.handler == SIG_DFL && (DEFAULT_IGNORE & BIT(sig))))
			continue;
		if (act.handler == SIG_DFL)
			proc_exit(linux_wstatus_signaled(sig));
		if (setup_frame(t, r, sig, &act)) {
			pr_warn("pid %u: no room for a signal %d frame at %#lx", t->proc->pid, sig,
				r->rsp);
			proc_exit(linux_wstatus_signaled(SIGSEGV));
		}
		return;		/* one handler at a time: the rest come at its next return */
	}
	if (t->restore_mask) {
		spin_lock(&proc_lock);
		t->sigmask = t->saved_mask;
		spin_unlock(&proc_lock);
		t->restore_mask = false;
	}
}

static bool user_address(uint64_t va)
{
	return va < VMA_MAX;
}

long signal_return(struct uthread *t, struct user_regs *r)
{
	struct rt_sigframe f;
	struct linux_sigcontext *mc = &f.uc.mc;
	uint8_t fx[FXSAVE_SIZE];

	if (mm_copy_in(t->proc->mm, &f, r->rsp - 8, sizeof(f)) || !user_address(mc->rip) ||
	    !user_address(mc->rsp) ||
	    (mc->fpstate && mm_copy_in(t->proc->mm, fx, mc->fpstate, sizeof(fx))))
		proc_kill(SIGSEGV, "bad signal frame", r->rsp);
	if (mc->fpstate)
		arch_user_fpu_set(&t->user, fx);
	spin_lock(&proc_lock);
	t->sigmask = f.uc.sigmask & ~UNBLOCKABLE;
	spin_unlock(&proc_lock);
	*r = (struct user_regs){
		.r8 = mc->r8, .r9 = mc->r9, .r10 = mc->r10, .r11 = mc->r11, .r12 = mc->r12,
		.r13 = mc->r13, .r14 = mc->r14, .r15 = mc->r15, .rdi = mc->rdi, .rsi = mc->rsi,
		.rbp = mc->rbp, .rbx = mc->rbx, .rdx = mc->rdx, .rax = mc->rax, .rcx = mc->rcx,
		.rsp = mc->rsp, .rip = mc->rip, .rflags = mc->eflags,
	};
	return (long)mc->rax;
}

/* Under proc_lock: sig, now ignored, is pending nowhere in p, as on Linux. */
static void discard(struct process *p, int sig)
{
	struct list_head *l;

	p->pending &= ~BIT(sig);
	list_for_each(l, &p->threads)
		list_entry(l, struct uthread, link)->pending &= ~BIT(sig);
}

int signal_action(struct process *p, int sig, const struct linux_sigaction *act,
		  struct linux_sigaction *old)
{
	if (sig < 1 || sig > NSIG || (act && (UNBLOCKABLE & BIT(sig))))
		return -EINVAL;
	spin_lock(&proc_lock);
	if (old)
		*old = p->actions[sig - 1];
	if (act) {
		p->actions[sig - 1] = *act;
		p->actions[sig - 1].mask &= ~UNBLOCKABLE;
		if (ignored(p, sig))
			discard(p, sig);
	}
	spin_unlock(&proc_lock);
	return 0;
}

void signal_exec(struct process *p)
{
	spin_lock(&proc_lock);
	for (int i = 0; i < NSIG; i++)
		if (p->actions[i].handler != SIG_IGN)
			p->actions[i] = (struct linux_sigaction){ .handler = SIG_DFL };
	spin_unlock(&proc_lock);
}
