/*
 * Host tests for pcomponent/signal.c: rt_sigaction's rules, sending (to a process,
 * a thread, a group; probes; what is ignored), blocking, default actions, the
 * x86-64 frame a handler is entered on (checked against the host's Linux uapi
 * layout, sigframe_abi.c) and rt_sigreturn, hostile frames included. The process
 * ends through proc_exit()/proc_kill(), which jump back here (pmon_host.c).
 */
#include <stdlib.h>
#include "pmon_test.h"
#include "linux-abi/linux.h"
#include "mcomponent/vma.h"
#include "pcomponent/signal.h"
#include "sigframe_abi.h"

#define BIT(sig) (1ULL << ((sig) - 1))
#define STACK (HOST_UBASE + 0x80000)	/* the user stack at the interrupted instruction */
#define HANDLER 0x401000ULL
#define RESTORER 0x401100ULL
#define USER_RIP 0x402345ULL
#define RFLAGS_DF 0x400ULL
#define RED_ZONE 128

static const struct sigframe_abi *abi = &sigframe_abi;
static struct process proc;
static struct uthread ut;
static jmp_buf ended;			/* where proc_exit() and proc_kill() land */

static void start(void)
{
	setup();
	memset(&proc, 0, sizeof(proc));
	memset(&ut, 0, sizeof(ut));
	proc.pid = proc.pgid = proc.sid = 100;
	proc.vnode = 1;
	proc.state = PROC_LIVE;
	proc.nthreads = 1;
	proc.mm = &test_mm;
	list_init(&proc.threads);
	ut.proc = &proc;
	ut.tid = 100;
	ut.thread = &host.threads[1];
	list_add_tail(&ut.link, &proc.threads);
	host.procs[3] = &proc;
	host.exit_jmp = &ended;
	for (unsigned i = 0; i < sizeof(host.fpu); i++)
		host.fpu[i] = (uint8_t)(i * 13 + 5);
	memset(host_uptr(STACK - 0x8000), 0xcc, 0x9000);
}

static void finish(void)
{
	check_clean();
}

/* Registers at an interrupted user instruction: every one different. */
static struct user_regs user_regs_at(uint64_t rsp)
{
	struct user_regs r;
	uint64_t *w = (uint64_t *)&r;

	for (unsigned i = 0; i < sizeof(r) / sizeof(*w); i++)
		w[i] = 0x5a5a000000000000ULL | (uint64_t)(i + 1) << 32 | (i + 1) * 0x01010101ULL;
	r.rip = USER_RIP;
	r.rsp = rsp;
	r.rflags = 0x202 | RFLAGS_DF | 0x1;
	r.cs = 0x33;
	r.ss = 0x2b;
	r.vector = 14;
	r.error = 6;
	return r;
}

/* The registers rt_sigreturn brings back (not cs, ss, vector, error: the arch's). */
static bool same_user_regs(const struct user_regs *a, const struct user_regs *b)
{
	return a->r8 == b->r8 && a->r9 == b->r9 && a->r10 == b->r10 && a->r11 == b->r11 &&
	       a->r12 == b->r12 && a->r13 == b->r13 && a->r14 == b->r14 && a->r15 == b->r15 &&
	       a->rdi == b->rdi && a->rsi == b->rsi && a->rbp == b->rbp && a->rbx == b->rbx &&
	       a->rdx == b->rdx && a->rax == b->rax && a->rcx == b->rcx && a->rsp == b->rsp &&
	       a->rip == b->rip && a->rflags == b->rflags;
}

static void set_action(int sig, uint64_t handler, uint64_t flags, uint64_t mask)
{
	struct linux_sigaction act = { .handler = handler, .flags = flags,
				       .restorer = RESTORER, .mask = mask };

	CHECK(signal_action(&proc, sig, &act, NULL) == 0);
}

static struct linux_sigaction action_of(int sig)
{
	struct linux_sigaction old;

	CHECK(signal_action(&proc, sig, NULL, &old) == 0);
	return old;
}

/* signal_deliver(); the wait status if the process ended, else -1. */
static int deliver(struct user_regs *r)
{
	if (setjmp(ended))
		return host.exit_wstatus;
	signal_deliver(&ut, r);
	CHECK(host.locks == 0);
	return -1;
}

/* rt_sigreturn on r; true if it killed the process (with host.kill_sig). */
static bool sigreturn(struct user_regs *r, long *ret)
{
	if (setjmp(ended))
		return true;
	*ret = signal_return(&ut, r);
	CHECK(host.locks == 0);
	return false;
}

/* The handler returns: its ret pops pretcode and lands in the restorer. */
static void handler_returns(struct user_regs *r)
{
	r->rsp += 8;
	r->rip = RESTORER;
	r->rax = 15;				/* __NR_rt_sigreturn */
	r->rdi = r->rsi = r->rdx = r->rcx = r->r11 = 0xdead;
}

/* ---- rt_sigaction ---- */

/* signals outside 1..64 are -EINVAL, with or without an action */
static void action_bad_signal_is_einval(void)
{
	static const int bad[] = { 0, -1, NSIG + 1, 65, INT32_MAX, INT32_MIN };
	struct linux_sigaction act = { .handler = HANDLER, .flags = SA_RESTORER };
	struct linux_sigaction old;

	start();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(signal_action(&proc, bad[i], &act, &old) == -EINVAL);
		CHECK(signal_action(&proc, bad[i], NULL, &old) == -EINVAL);
	}
	CHECK(signal_action(&proc, NSIG, &act, NULL) == 0);	/* 64 is a signal */
	finish();
}

/* SIGKILL and SIGSTOP: no action may be set (-EINVAL), but theirs can be read */
static void kill_and_stop_cannot_be_caught(void)
{
	struct linux_sigaction act = { .handler = HANDLER, .flags = SA_RESTORER };
	struct linux_sigaction ign = { .handler = SIG_IGN };
	struct linux_sigaction old = { .handler = 77 };

	start();
	CHECK(signal_action(&proc, SIGKILL, &act, NULL) == -EINVAL);
	CHECK(signal_action(&proc, SIGSTOP, &act, NULL) == -EINVAL);
	CHECK(signal_action(&proc, SIGKILL, &ign, NULL) == -EINVAL);
	CHECK(signal_action(&proc, SIGSTOP, &ign, &old) == -EINVAL);
	CHECK(old.handler == 77);			/* untouched on failure */
	CHECK(signal_action(&proc, SIGKILL, NULL, &old) == 0 && old.handler == SIG_DFL);
	CHECK(proc.actions[SIGKILL - 1].handler == SIG_DFL);
	finish();
}

/* before: SIGUSR1 default; set H1, then H2: the old action comes back whole each time */
static void action_returns_the_old_one(void)
{
	struct linux_sigaction h1 = { .handler = HANDLER, .flags = SA_RESTORER | SA_SIGINFO,
				      .restorer = RESTORER, .mask = BIT(SIGUSR2) };
	struct linux_sigaction h2 = { .handler = HANDLER + 8, .flags = SA_RESTORER,
				      .restorer = RESTORER };
	struct linux_sigaction old;

	start();
	CHECK(signal_action(&proc, SIGUSR1, &h1, &old) == 0);
	CHECK(old.handler == SIG_DFL && old.flags == 0 && old.mask == 0);
	CHECK(signal_action(&proc, SIGUSR1, &h2, &old) == 0);
	CHECK(old.handler == h1.handler && old.flags == h1.flags && old.restorer == RESTORER &&
	      old.mask == BIT(SIGUSR2));
	old = action_of(SIGUSR1);
	CHECK(old.handler == h2.handler && old.mask == 0);
	finish();
}

/* a handler's mask can name anything but SIGKILL and SIGSTOP */
static void action_mask_never_holds_kill_or_stop(void)
{
	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, ~0ULL);
	CHECK(action_of(SIGUSR1).mask == (~0ULL & ~(BIT(SIGKILL) | BIT(SIGSTOP))));
	finish();
}

/* before: SIGUSR1 caught, blocked and pending; after SIG_IGN: no longer pending */
static void ignoring_discards_a_pending_signal(void)
{
	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, 0);
	set_action(SIGCHLD, HANDLER, SA_RESTORER, 0);
	ut.sigmask = BIT(SIGUSR1) | BIT(SIGCHLD);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGCHLD) == 0);
	CHECK(proc.pending == (BIT(SIGUSR1) | BIT(SIGCHLD)));
	set_action(SIGUSR1, SIG_IGN, 0, 0);
	CHECK(proc.pending == BIT(SIGCHLD));
	set_action(SIGCHLD, SIG_DFL, 0, 0);	/* ignored by default: discarded too */
	CHECK(proc.pending == 0);
	finish();
}

/* the same for a signal sent to the thread (tkill): SIG_IGN discards it (Linux does) */
static void ignoring_discards_a_threads_pending_signal(void)
{
	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, 0);
	ut.sigmask = BIT(SIGUSR1);
	CHECK(signal_send_tid(SIGNAL_ANY_VNODE, 100, 100, SIGUSR1) == 0);
	CHECK(ut.pending == BIT(SIGUSR1));
	set_action(SIGUSR1, SIG_IGN, 0, 0);
	ut.sigmask = 0;
	CHECK(!signal_pending(&ut));		/* else a sleep ends in a needless -EINTR */
	finish();
}

/* execve: caught signals go back to default, ignored ones stay ignored */
static void exec_resets_handlers_keeps_ignored(void)
{
	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, BIT(SIGUSR2));
	set_action(SIGTERM, SIG_IGN, 0, 0);
	signal_exec(&proc);
	CHECK(action_of(SIGUSR1).handler == SIG_DFL && action_of(SIGUSR1).mask == 0);
	CHECK(action_of(SIGTERM).handler == SIG_IGN);
	finish();
}

/* ---- sending ---- */

/* no such pid, or one not running (new, zombie): -ESRCH; a signal out of range: -EINVAL */
static void send_to_a_missing_process_is_esrch(void)
{
	start();
	CHECK(signal_send(SIGNAL_ANY_VNODE, 999, SIGTERM) == -ESRCH);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 0, SIGTERM) == -ESRCH);
	CHECK(signal_send(SIGNAL_ANY_VNODE, UINT32_MAX, SIGTERM) == -ESRCH);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, NSIG + 1) == -EINVAL);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, -1) == -EINVAL);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, INT32_MIN) == -EINVAL);
	proc.state = PROC_ZOMBIE;
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGTERM) == -ESRCH);
	proc.state = PROC_NEW;
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGTERM) == -ESRCH);
	CHECK(proc.pending == 0 && host.nkicked == 0);
	finish();
}

/* before: a process of vNode 1. after: a sender of vNode 2 cannot see it, one of vNode 1 can */
static void another_vnodes_processes_are_invisible(void)
{
	start();
	CHECK(signal_send(2, 100, SIGTERM) == -ESRCH);
	CHECK(signal_send_group(2, 100, SIGTERM) == -ESRCH);
	CHECK(signal_send_tid(2, 100, 100, SIGTERM) == -ESRCH);
	CHECK(signal_send_tid(2, 0, 100, SIGTERM) == -ESRCH);
	CHECK(proc.pending == 0 && ut.pending == 0 && host.nkicked == 0);
	CHECK(signal_send(1, 100, 0) == 0 && signal_send_group(1, 100, 0) == 0);
	CHECK(signal_send_tid(1, 100, 100, 0) == 0);
	finish();
}

/* signal 0 only asks whether the process is there: 0 or -ESRCH, nothing sent */
static void signal_zero_probes(void)
{
	start();
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, 0) == 0);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 999, 0) == -ESRCH);
	CHECK(signal_send_tid(SIGNAL_ANY_VNODE, 100, 100, 0) == 0);
	CHECK(signal_send_tid(SIGNAL_ANY_VNODE, 100, 999, 0) == -ESRCH);
	CHECK(signal_send_group(SIGNAL_ANY_VNODE, 100, 0) == 0);
	CHECK(signal_send_group(SIGNAL_ANY_VNODE, 999, 0) == -ESRCH);
	CHECK(proc.pending == 0 && ut.pending == 0 && host.nkicked == 0);
	finish();
}

/* SIGCHLD, SIGWINCH, SIGURG, SIGCONT at their default, and SIG_IGN: never pending */
static void ignored_signals_are_never_pending(void)
{
	static const int dfl_ign[] = { SIGCHLD, SIGWINCH, SIGURG, SIGCONT };

	start();
	for (unsigned i = 0; i < sizeof(dfl_ign) / sizeof(dfl_ign[0]); i++) {
		CHECK(signal_send(SIGNAL_ANY_VNODE, 100, dfl_ign[i]) == 0);
		CHECK(signal_send_tid(SIGNAL_ANY_VNODE, 100, 100, dfl_ign[i]) == 0);
		signal_send_thread(&ut, dfl_ign[i]);
	}
	set_action(SIGTERM, SIG_IGN, 0, 0);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGTERM) == 0);
	CHECK(proc.pending == 0 && ut.pending == 0 && !signal_pending(&ut));
	CHECK(host.nkicked == 0 && host.nwoke == 0);
	set_action(SIGCHLD, HANDLER, SA_RESTORER, 0);	/* caught: it counts */
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGCHLD) == 0);
	CHECK(proc.pending == BIT(SIGCHLD) && host.nkicked == 1 && host.kicked[0] == ut.thread);
	finish();
}

/* a thread of another process, or no such thread: -ESRCH; the thread's own pending set */
static void send_to_a_thread(void)
{
	start();
	CHECK(signal_send_tid(SIGNAL_ANY_VNODE, 100, 999, SIGUSR1) == -ESRCH);
	CHECK(signal_send_tid(SIGNAL_ANY_VNODE, 999, 100, SIGUSR1) == -ESRCH);
	CHECK(signal_send_tid(SIGNAL_ANY_VNODE, 100, 100, NSIG + 1) == -EINVAL);
	CHECK(signal_send_tid(SIGNAL_ANY_VNODE, 0, 100, SIGUSR1) == 0);		/* tkill: any process */
	CHECK(ut.pending == BIT(SIGUSR1) && proc.pending == 0);
	CHECK(host.nkicked == 1 && host.kicked[0] == ut.thread);
	finish();
}

/* a group: every live member; no member: -ESRCH */
static void send_to_a_group(void)
{
	start();
	CHECK(signal_send_group(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(proc.pending == BIT(SIGUSR1));
	CHECK(signal_send_group(SIGNAL_ANY_VNODE, 555, SIGUSR1) == -ESRCH);
	CHECK(signal_send_group(SIGNAL_ANY_VNODE, 100, NSIG + 1) == -EINVAL);
	finish();
}

/* SIGKILL: the process is exiting with status "killed by 9" and its threads are kicked */
static void sigkill_makes_the_process_exit(void)
{
	start();
	ut.sigmask = ~0ULL;
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGKILL) == 0);
	CHECK(proc.exiting && proc.exit_wstatus == linux_wstatus_signaled(SIGKILL));
	CHECK(host.nkicked == 1 && host.kicked[0] == ut.thread);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGTERM) == 0 && !(proc.pending & BIT(SIGTERM)));
	finish();
}

/* before: SIGUSR1 blocked and sent; pending, not delivered; unblocked: delivered */
static void blocked_signal_waits_until_unblocked(void)
{
	struct user_regs r = user_regs_at(STACK), orig = r;

	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, 0);
	ut.sigmask = BIT(SIGUSR1);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(proc.pending == BIT(SIGUSR1) && !signal_pending(&ut));
	CHECK(deliver(&r) == -1);
	CHECK(same_user_regs(&r, &orig) && host.copies_out == 0);
	CHECK(proc.pending == BIT(SIGUSR1));
	ut.sigmask = 0;
	CHECK(signal_pending(&ut));
	CHECK(deliver(&r) == -1);
	CHECK(r.rip == HANDLER && proc.pending == 0);
	finish();
}

/* SIGTERM at its default terminates: exit status "killed by 15" */
static void default_action_terminates(void)
{
	struct user_regs r = user_regs_at(STACK);

	start();
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGTERM) == 0);
	CHECK(deliver(&r) == linux_wstatus_signaled(SIGTERM));
	CHECK(host.exits == 1);
	finish();
}

/* ---- the frame ---- */

/* before: SIGUSR2 blocked, rsp misaligned; the frame Linux's x86-64 ABI describes */
static void frame_has_linux_layout(void)
{
	struct user_regs r, orig;
	uint64_t sp, fp, top, mask = BIT(SIGUSR2);
	const uint8_t *p;

	start();
	r = orig = user_regs_at(STACK + 3);
	set_action(SIGUSR1, HANDLER, SA_RESTORER | SA_SIGINFO, BIT(SIGALRM));
	ut.sigmask = mask;
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(deliver(&r) == -1);
	sp = r.rsp;
	top = orig.rsp - RED_ZONE;
	/* entry: as after a call, registers as the handler's arguments */
	CHECK(sp % 16 == 8);
	CHECK(r.rip == HANDLER);
	CHECK(r.rdi == SIGUSR1 && r.rsi == sp + abi->info && r.rdx == sp + abi->uc);
	CHECK(r.rax == 0 && r.rflags == (orig.rflags & ~RFLAGS_DF));
	CHECK(get64(sp) == RESTORER);
	/* the FPU state: 64-byte aligned, between the frame and the red zone */
	fp = get64(sp + abi->fpstate);
	CHECK(fp % 64 == 0 && sp + abi->size <= fp && fp + 512 <= top);
	CHECK(top - (fp + 512) < 64);
	CHECK(memcmp(host_uptr(fp), host.fpu, 512) == 0);
	/* the interrupted registers */
	CHECK(get64(sp + abi->r8) == orig.r8 && get64(sp + abi->r9) == orig.r9);
	CHECK(get64(sp + abi->r10) == orig.r10 && get64(sp + abi->r11) == orig.r11);
	CHECK(get64(sp + abi->r12) == orig.r12 && get64(sp + abi->r13) == orig.r13);
	CHECK(get64(sp + abi->r14) == orig.r14 && get64(sp + abi->r15) == orig.r15);
	CHECK(get64(sp + abi->rdi) == orig.rdi && get64(sp + abi->rsi) == orig.rsi);
	CHECK(get64(sp + abi->rbp) == orig.rbp && get64(sp + abi->rbx) == orig.rbx);
	CHECK(get64(sp + abi->rdx) == orig.rdx && get64(sp + abi->rax) == orig.rax);
	CHECK(get64(sp + abi->rcx) == orig.rcx && get64(sp + abi->rsp) == orig.rsp);
	CHECK(get64(sp + abi->rip) == USER_RIP && get64(sp + abi->eflags) == orig.rflags);
	CHECK(*(uint16_t *)host_uptr(sp + abi->cs) == 0x33);
	CHECK(get64(sp + abi->err) == orig.error && get64(sp + abi->trapno) == orig.vector);
	/* the mask to restore, the stack, the siginfo */
	CHECK(get64(sp + abi->sigmask) == mask);
	CHECK((int32_t)get32(sp + abi->ss_flags) == SS_DISABLE);
	CHECK(get64(sp + abi->ss_sp) == 0 && get64(sp + abi->ss_size) == 0);
	CHECK((int32_t)get32(sp + abi->si_signo) == SIGUSR1);
	CHECK((int32_t)get32(sp + abi->si_code) == SI_USER && get32(sp + abi->si_errno) == 0);
	/* nothing written below the frame, in the red zone, or above */
	p = host_uptr(STACK - 0x8000);
	for (uint64_t a = STACK - 0x8000; a < STACK + 0x1000; a++, p++)
		if (a < sp || a >= top)
			CHECK(*p == 0xcc);
	/* in the handler: its mask and the signal itself blocked, nothing pending */
	CHECK(ut.sigmask == (mask | BIT(SIGALRM) | BIT(SIGUSR1)));
	CHECK(proc.pending == 0 && !signal_pending(&ut));
	finish();
}

/* for every alignment of the interrupted rsp: rsp % 16 == 8, the FPU area 64-aligned */
static void frame_is_aligned_for_any_rsp(void)
{
	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, 0);
	for (uint64_t k = 0; k < 128; k++) {
		struct user_regs r = user_regs_at(STACK - k);
		uint64_t top = STACK - k - RED_ZONE, fp;

		CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
		CHECK(deliver(&r) == -1);
		fp = get64(r.rsp + abi->fpstate);
		CHECK(r.rsp % 16 == 8 && fp % 64 == 0);
		CHECK(r.rsp + abi->size <= fp && fp + 512 <= top && top - (fp + 512) < 64);
		CHECK(fp - (r.rsp + abi->size) < 16 + 64);	/* no more gap than alignment needs */
		ut.sigmask = 0;
	}
	finish();
}

/* before: in the handler with other registers and mask; after sigreturn: all as before */
static void sigreturn_restores_registers_and_mask(void)
{
	struct user_regs r = user_regs_at(STACK + 8), orig = r;
	uint64_t fp;
	long ret = 0;

	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, BIT(SIGALRM));
	ut.sigmask = BIT(SIGUSR2);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(deliver(&r) == -1);
	fp = get64(r.rsp + abi->fpstate);
	handler_returns(&r);
	CHECK(!sigreturn(&r, &ret));
	CHECK(same_user_regs(&r, &orig));
	CHECK(ret == (long)orig.rax);		/* what the syscall returns: rax as it was */
	CHECK(ut.sigmask == BIT(SIGUSR2));
	CHECK(host.fpu_sets == 1 && host.fpu_set_ctx == &ut.user);
	CHECK(memcmp(host.fpu_set, host_uptr(fp), 512) == 0);
	CHECK(memcmp(host.fpu_set, host.fpu, 512) == 0);
	finish();
}

/* the handler edits its ucontext (rip, rax, mask, MXCSR): sigreturn takes the edits */
static void sigreturn_takes_the_frame_as_the_handler_left_it(void)
{
	struct user_regs r = user_regs_at(STACK);
	uint64_t sp, fp;
	long ret = 0;

	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, 0);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(deliver(&r) == -1);
	sp = r.rsp;
	fp = get64(sp + abi->fpstate);
	put64(sp + abi->rip, 0x403000);
	put64(sp + abi->rax, 42);
	put64(sp + abi->sigmask, ~0ULL);
	put32(fp + 24, 0xffffffff);		/* MXCSR with every reserved bit set */
	handler_returns(&r);
	CHECK(!sigreturn(&r, &ret));
	CHECK(r.rip == 0x403000 && r.rax == 42 && ret == 42);
	CHECK(ut.sigmask == (~0ULL & ~(BIT(SIGKILL) | BIT(SIGSTOP))));
	/* handed to the arch as it is: arch_user_fpu_set() clears the reserved bits */
	CHECK(host.fpu_sets == 1);
	CHECK(memcmp(host.fpu_set + 24, "\xff\xff\xff\xff", 4) == 0);
	put64(sp + abi->fpstate, 0);		/* no FPU state: the FPU is left alone */
	r.rsp = sp + 8;
	CHECK(!sigreturn(&r, &ret));
	CHECK(host.fpu_sets == 1);
	finish();
}

/* hostile frames: rip or rsp outside user space, fpstate or the frame unreadable: SIGSEGV */
static void sigreturn_refuses_a_bad_frame(void)
{
	static const uint64_t bad[] = { VMA_MAX, VMA_MAX + 1, 0x800000000000ULL,
					0xffff800000000000ULL, UINT64_MAX };
	static const uint64_t bad_sp[] = { 0, 4, 8, HOST_UEND, HOST_UEND + 8, UINT64_MAX };
	struct user_regs r = user_regs_at(STACK), in;
	uint64_t sp, rip, rsp, fp;
	long ret = 0;

	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, 0);
	ut.sigmask = BIT(SIGUSR2);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(deliver(&r) == -1);
	sp = r.rsp;
	rip = get64(sp + abi->rip);
	rsp = get64(sp + abi->rsp);
	fp = get64(sp + abi->fpstate);
	handler_returns(&r);
	in = r;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put64(sp + abi->rip, bad[i]);
		host.kill_sig = 0;
		CHECK(sigreturn(&r, &ret) && host.kill_sig == SIGSEGV);
		put64(sp + abi->rip, rip);
		put64(sp + abi->rsp, bad[i]);
		host.kill_sig = 0;
		CHECK(sigreturn(&r, &ret) && host.kill_sig == SIGSEGV);
		put64(sp + abi->rsp, rsp);
		put64(sp + abi->fpstate, bad[i] & ~63ULL);
		host.kill_sig = 0;
		CHECK(sigreturn(&r, &ret) && host.kill_sig == SIGSEGV);
		put64(sp + abi->fpstate, fp);
	}
	for (unsigned i = 0; i < sizeof(bad_sp) / sizeof(bad_sp[0]); i++) {
		r.rsp = bad_sp[i];
		host.kill_sig = 0;
		CHECK(sigreturn(&r, &ret) && host.kill_sig == SIGSEGV);
		CHECK(host.kill_addr == bad_sp[i]);
		r = in;
	}
	host.fault_at = sp + 100;		/* the frame itself half readable */
	CHECK(sigreturn(&r, &ret) && host.kill_sig == SIGSEGV);
	host.fault_at = fp + 256;		/* the FPU state half readable */
	CHECK(sigreturn(&r, &ret) && host.kill_sig == SIGSEGV);
	host.fault_at = HOST_UEND;
	CHECK(same_user_regs(&r, &in));		/* nothing taken from a refused frame */
	CHECK(host.fpu_sets == 0 && ut.sigmask == (BIT(SIGUSR2) | BIT(SIGUSR1)));
	put64(sp + abi->rip, VMA_MAX - 1);	/* the last user address is one */
	CHECK(!sigreturn(&r, &ret) && r.rip == VMA_MAX - 1);
	finish();
}

/* ---- handler flags ---- */

/* SA_RESETHAND: the action is back to default once the handler is entered */
static void resethand_resets_the_action(void)
{
	struct user_regs r = user_regs_at(STACK);
	long ret = 0;

	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER | SA_RESETHAND, 0);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(deliver(&r) == -1 && r.rip == HANDLER);
	CHECK(action_of(SIGUSR1).handler == SIG_DFL);
	handler_returns(&r);
	CHECK(!sigreturn(&r, &ret));
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(deliver(&r) == linux_wstatus_signaled(SIGUSR1));
	finish();
}

/* SA_NODEFER: the signal is not blocked in its handler; without it, it is */
static void nodefer_leaves_the_signal_unblocked(void)
{
	struct user_regs r = user_regs_at(STACK);

	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER | SA_NODEFER, BIT(SIGUSR2) | BIT(SIGKILL));
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(deliver(&r) == -1);
	CHECK(ut.sigmask == BIT(SIGUSR2));		/* never SIGKILL either */
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(signal_pending(&ut));			/* may nest */
	finish();
}

/* no SA_RESTORER (x86-64 has no kernel trampoline): killed by SIGSEGV, nothing written */
static void handler_without_restorer_is_sigsegv(void)
{
	struct user_regs r = user_regs_at(STACK);

	start();
	set_action(SIGUSR1, HANDLER, 0, 0);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(deliver(&r) == linux_wstatus_signaled(SIGSEGV));
	CHECK(host.copies_out == 0);
	finish();
}

/* a stack with no room for the frame (unmapped, 0, the top of memory): SIGSEGV */
static void unwritable_stack_is_sigsegv(void)
{
	static const uint64_t bad[] = { HOST_UBASE + 200, 0, 64, UINT64_MAX, HOST_UEND + 4096 };

	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct user_regs r = user_regs_at(bad[i]);

		CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
		CHECK(deliver(&r) == linux_wstatus_signaled(SIGSEGV));
	}
	finish();
}

/* two handled signals pending: the lower enters now, the other at the next return */
static void one_handler_at_a_time(void)
{
	struct user_regs r = user_regs_at(STACK);
	long ret = 0;

	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, 0);
	set_action(SIGUSR2, HANDLER + 16, SA_RESTORER, 0);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR2) == 0);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(deliver(&r) == -1);
	CHECK(r.rip == HANDLER && r.rdi == SIGUSR1 && proc.pending == BIT(SIGUSR2));
	handler_returns(&r);
	CHECK(!sigreturn(&r, &ret) && r.rip == USER_RIP);
	CHECK(deliver(&r) == -1);
	CHECK(r.rip == HANDLER + 16 && r.rdi == SIGUSR2 && proc.pending == 0);
	finish();
}

/* SA_ONSTACK with a sigaltstack: the frame goes on it, unless already there */
static void onstack_uses_the_alternate_stack(void)
{
	uint64_t alt = HOST_UBASE + 0x10000, size = 0x4000, sp;
	struct user_regs r = user_regs_at(STACK);

	start();
	ut.altstack = alt;
	ut.altstack_size = size;
	set_action(SIGUSR1, HANDLER, SA_RESTORER | SA_ONSTACK | SA_NODEFER, 0);
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(deliver(&r) == -1);
	CHECK(r.rsp >= alt && r.rsp < alt + size && r.rsp % 16 == 8);
	CHECK(get64(r.rsp + abi->fpstate) + 512 <= alt + size);
	CHECK(get64(r.rsp + abi->ss_sp) == alt && get64(r.rsp + abi->ss_size) == size);
	CHECK(get32(r.rsp + abi->ss_flags) == 0);
	sp = r.rsp;
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);		/* nested: on down the same stack */
	CHECK(deliver(&r) == -1);
	CHECK(r.rsp < sp - RED_ZONE && r.rsp >= alt);
	finish();
}

/* sigsuspend: the frame saves the mask from before it, which delivery otherwise restores */
static void sigsuspend_mask_is_the_one_saved(void)
{
	struct user_regs r = user_regs_at(STACK);

	start();
	set_action(SIGUSR1, HANDLER, SA_RESTORER, 0);
	ut.restore_mask = true;
	ut.saved_mask = BIT(SIGUSR1) | BIT(SIGTERM);
	ut.sigmask = BIT(SIGUSR2);			/* sigsuspend's temporary mask */
	CHECK(signal_send(SIGNAL_ANY_VNODE, 100, SIGUSR1) == 0);
	CHECK(deliver(&r) == -1);
	CHECK(get64(r.rsp + abi->sigmask) == (BIT(SIGUSR1) | BIT(SIGTERM)));
	CHECK(!ut.restore_mask && ut.sigmask == (BIT(SIGUSR2) | BIT(SIGUSR1)));

	r = user_regs_at(STACK);			/* woken by nothing it takes */
	ut.restore_mask = true;
	ut.sigmask = 0;
	CHECK(deliver(&r) == -1 && r.rip == USER_RIP);
	CHECK(!ut.restore_mask && ut.sigmask == (BIT(SIGUSR1) | BIT(SIGTERM)));
	finish();
}

static const struct unit_test tests[] = {
	TEST(action_bad_signal_is_einval),
	TEST(kill_and_stop_cannot_be_caught),
	TEST(action_returns_the_old_one),
	TEST(action_mask_never_holds_kill_or_stop),
	TEST(ignoring_discards_a_pending_signal),
	TEST(exec_resets_handlers_keeps_ignored),
	TEST(send_to_a_missing_process_is_esrch),
	TEST(another_vnodes_processes_are_invisible),
	TEST(signal_zero_probes),
	TEST(ignored_signals_are_never_pending),
	TEST(send_to_a_thread),
	TEST(send_to_a_group),
	TEST(sigkill_makes_the_process_exit),
	TEST(blocked_signal_waits_until_unblocked),
	TEST(default_action_terminates),
	TEST(frame_has_linux_layout),
	TEST(frame_is_aligned_for_any_rsp),
	TEST(sigreturn_restores_registers_and_mask),
	TEST(sigreturn_takes_the_frame_as_the_handler_left_it),
	TEST(sigreturn_refuses_a_bad_frame),
	TEST(resethand_resets_the_action),
	TEST(nodefer_leaves_the_signal_unblocked),
	TEST(handler_without_restorer_is_sigsegv),
	TEST(unwritable_stack_is_sigsegv),
	TEST(one_handler_at_a_time),
	TEST(onstack_uses_the_alternate_stack),
	TEST(sigsuspend_mask_is_the_one_saved),
	TEST(ignoring_discards_a_threads_pending_signal),
};

int main(void)
{
	return check_run("pmon_signal", tests, sizeof(tests) / sizeof(tests[0]));
}
