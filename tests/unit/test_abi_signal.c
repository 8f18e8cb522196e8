/*
 * Host tests for linux-abi/sys_signal.c on the pmon stubs: rt_sigaction,
 * rt_sigprocmask, rt_sigpending, rt_sigsuspend, kill/tkill/tgkill and sigaltstack
 * check their arguments as Linux does, and refuse bad pointers with nothing done;
 * then the signal state a program sees as signals arrive: blocked ones wait,
 * ignored ones vanish, defaults terminate, a handler is entered once unblocked.
 */
#include "abi_test.h"
#include "pcomponent/signal.h"

#define HANDLER 0x401000ULL
#define RESTORER 0x401100ULL
#define ALT (HOST_UBASE + 0x40000)	/* an alternate signal stack */
#define ALT_SIZE 0x10000
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))

struct linux_stack {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};

static void put_action(uint64_t uva, uint64_t handler, uint64_t flags, uint64_t mask)
{
	struct linux_sigaction act = { .handler = handler, .flags = flags,
				       .restorer = RESTORER, .mask = mask };

	uput(uva, &act, sizeof(act));
}

static struct linux_sigaction action_at(uint64_t uva)
{
	struct linux_sigaction act;

	uget(&act, uva, sizeof(act));
	return act;
}

/* sigprocmask(how, set): the old mask (-1 if the call failed). */
static uint64_t mask_call(uint64_t how, uint64_t set)
{
	uint64_t old;

	put64(UBUF, set);
	if (SYS(rt_sigprocmask, how, UBUF, UBUF2, 8) != 0)
		return (uint64_t)-1;
	old = get64(UBUF2);
	CHECK(old != (uint64_t)-1);
	return old;
}

static uint64_t pending_set(void)
{
	CHECK(SYS(rt_sigpending, UBUF3, 8) == 0);
	return get64(UBUF3);
}

/* signal_deliver() on the way back to user mode; the wait status if it ended us, else -1. */
static int deliver(struct user_regs *r)
{
	if (setjmp(ended))
		return host.exit_wstatus;
	signal_deliver(&ut, r);
	CHECK(host.locks == 0);
	return -1;
}

/* ---- rt_sigaction ---- */

/* a sigsetsize but 8, a signal outside 1..64, an action for SIGKILL or SIGSTOP: -EINVAL */
static void sigaction_bad_arguments_are_einval(void)
{
	static const uint64_t bad_sig[] = { 0, 65, (uint64_t)-1, 0xffffffffu, 1000 };

	abi_start();
	put_action(UBUF, HANDLER, SA_RESTORER, 0);
	CHECK(SYS(rt_sigaction, SIGUSR1, UBUF, 0, 4) == -EINVAL);
	CHECK(SYS(rt_sigaction, SIGUSR1, UBUF, 0, 16) == -EINVAL);
	CHECK(SYS(rt_sigaction, SIGUSR1, 0, 0, 0) == -EINVAL);
	for (unsigned i = 0; i < sizeof(bad_sig) / sizeof(bad_sig[0]); i++)
		CHECK(SYS(rt_sigaction, bad_sig[i], UBUF, 0, 8) == -EINVAL);
	CHECK(SYS(rt_sigaction, SIGKILL, UBUF, 0, 8) == -EINVAL);
	CHECK(SYS(rt_sigaction, SIGSTOP, UBUF, 0, 8) == -EINVAL);
	CHECK(SYS(rt_sigaction, SIGKILL, 0, UBUF2, 8) == 0);	/* reading theirs is fine */
	CHECK(action_at(UBUF2).handler == SIG_DFL);
	CHECK(SYS(rt_sigaction, 64, UBUF, 0, 8) == 0);		/* 64 is a signal */
	CHECK(proc.actions[SIGUSR1 - 1].handler == SIG_DFL);
	abi_finish();
}

/* an action that cannot be read is -EFAULT, nothing set; an old one too, as Linux, once set */
static void sigaction_bad_pointers_are_efault(void)
{
	abi_start();
	CHECK(SYS(rt_sigaction, SIGUSR1, KERNEL_VA, 0, 8) == -EFAULT);
	put_action(UBUF, HANDLER, SA_RESTORER, 0);
	host.fault_at = UBUF + 16;				/* half of the action */
	CHECK(SYS(rt_sigaction, SIGUSR1, UBUF, 0, 8) == -EFAULT);
	host.fault_at = HOST_UEND;
	CHECK(proc.actions[SIGUSR1 - 1].handler == SIG_DFL);
	CHECK(SYS(rt_sigaction, SIGUSR1, 0, KERNEL_VA, 8) == -EFAULT);
	CHECK(SYS(rt_sigaction, SIGUSR1, UBUF, KERNEL_VA, 8) == -EFAULT);
	CHECK(proc.actions[SIGUSR1 - 1].handler == HANDLER);
	abi_finish();
}

/* before: default; each call returns the action before it whole, its mask without KILL/STOP */
static void sigaction_returns_the_old_action(void)
{
	struct linux_sigaction old;

	abi_start();
	put_action(UBUF, HANDLER, SA_RESTORER | SA_SIGINFO | SA_ONSTACK, ~0ULL);
	memset(host_uptr(UBUF2), 0x5a, sizeof(old));
	CHECK(SYS(rt_sigaction, SIGUSR1, UBUF, UBUF2, 8) == 0);
	old = action_at(UBUF2);
	CHECK(old.handler == SIG_DFL && old.flags == 0 && old.mask == 0 && old.restorer == 0);
	put_action(UBUF, SIG_IGN, 0, 0);
	CHECK(SYS(rt_sigaction, SIGUSR1, UBUF, UBUF2, 8) == 0);
	old = action_at(UBUF2);
	CHECK(old.handler == HANDLER && old.restorer == RESTORER);
	CHECK(old.flags == (SA_RESTORER | SA_SIGINFO | SA_ONSTACK));
	CHECK(old.mask == ~UNBLOCKABLE);
	CHECK(SYS(rt_sigaction, SIGUSR1, 0, UBUF2, 8) == 0);
	CHECK(action_at(UBUF2).handler == SIG_IGN);
	abi_finish();
}

/* ---- rt_sigprocmask ---- */

/* the mask changes as each how says; SIGKILL and SIGSTOP are never blocked */
static void sigprocmask_block_unblock_setmask(void)
{
	abi_start();
	CHECK(mask_call(SIG_BLOCK, BIT(SIGUSR1) | UNBLOCKABLE) == 0);
	CHECK(mask_call(SIG_BLOCK, BIT(SIGUSR2)) == BIT(SIGUSR1));
	CHECK(mask_call(SIG_UNBLOCK, BIT(SIGUSR1) | BIT(SIGTERM)) ==
	      (BIT(SIGUSR1) | BIT(SIGUSR2)));
	CHECK(mask_call(SIG_SETMASK, ~0ULL) == BIT(SIGUSR2));
	CHECK(ut.sigmask == ~UNBLOCKABLE);
	CHECK(SYS(rt_sigprocmask, 99, 0, UBUF2, 8) == 0);	/* no set: how is not looked at */
	CHECK(get64(UBUF2) == ~UNBLOCKABLE && ut.sigmask == ~UNBLOCKABLE);
	CHECK(SYS(rt_sigprocmask, SIG_BLOCK, 0, 0, 8) == 0);
	abi_finish();
}

/* a bad how or size is -EINVAL, a bad pointer -EFAULT; the mask is left as it was */
static void sigprocmask_bad_arguments_change_nothing(void)
{
	abi_start();
	ut.sigmask = BIT(SIGUSR2);
	put64(UBUF, BIT(SIGUSR1));
	CHECK(SYS(rt_sigprocmask, SIG_BLOCK, UBUF, 0, 4) == -EINVAL);
	CHECK(SYS(rt_sigprocmask, SIG_BLOCK, UBUF, 0, 16) == -EINVAL);
	CHECK(SYS(rt_sigprocmask, 3, UBUF, 0, 8) == -EINVAL);
	CHECK(SYS(rt_sigprocmask, -1, UBUF, 0, 8) == -EINVAL);
	CHECK(SYS(rt_sigprocmask, SIG_BLOCK, KERNEL_VA, 0, 8) == -EFAULT);
	CHECK(SYS(rt_sigprocmask, 3, KERNEL_VA, 0, 8) == -EFAULT);	/* Linux reads it first */
	host.fault_at = UBUF + 4;
	CHECK(SYS(rt_sigprocmask, SIG_BLOCK, UBUF, 0, 8) == -EFAULT);
	host.fault_at = HOST_UEND;
	/* stricter than Linux, which sets the mask, then fails to write the old one */
	CHECK(SYS(rt_sigprocmask, SIG_BLOCK, UBUF, KERNEL_VA, 8) == -EFAULT);
	CHECK(ut.sigmask == BIT(SIGUSR2));
	abi_finish();
}

/* ---- rt_sigpending ---- */

/* sizes up to 8 are copied as asked (Linux's check is >, not !=); more is -EINVAL */
static void sigpending_takes_any_size_up_to_8(void)
{
	abi_start();
	ut.sigmask = BIT(SIGUSR1) | BIT(33);
	proc.pending = BIT(SIGUSR1) | BIT(33);
	memset(host_uptr(UBUF), 0xff, 8);
	CHECK(SYS(rt_sigpending, UBUF, 9) == -EINVAL);
	CHECK(SYS(rt_sigpending, UBUF, 4) == 0);
	CHECK(get32(UBUF) == BIT(SIGUSR1) && get32(UBUF + 4) == 0xffffffffu);
	CHECK(SYS(rt_sigpending, UBUF, 0) == 0);
	CHECK(SYS(rt_sigpending, 0, 0) == 0);			/* nothing to write */
	CHECK(SYS(rt_sigpending, KERNEL_VA, 8) == -EFAULT);
	CHECK(pending_set() == (BIT(SIGUSR1) | BIT(33)));
	abi_finish();
}

/* the set is of pending signals that are blocked: the thread's and the process's */
static void sigpending_shows_blocked_signals_only(void)
{
	abi_start();
	ut.sigmask = BIT(SIGUSR1) | BIT(SIGTERM);
	ut.pending = BIT(SIGTERM) | BIT(SIGALRM);
	proc.pending = BIT(SIGUSR1) | BIT(SIGUSR2);	/* SIGUSR2 and SIGALRM: on their way */
	CHECK(pending_set() == (BIT(SIGUSR1) | BIT(SIGTERM)));
	abi_finish();
}

/* ---- rt_sigsuspend ---- */

static void interrupt(void *arg)
{
	(void)arg;
	host.interrupted = true;
}

/* a bad size or mask leaves everything; else the thread sleeps on the new mask until a signal */
static void sigsuspend_sleeps_on_the_new_mask(void)
{
	struct user_regs r = { .rsp = HOST_UBASE + 0x80000, .rip = 0x402000 };

	abi_start();
	ut.sigmask = BIT(SIGUSR2);
	put64(UBUF, ~0ULL);
	CHECK(SYS(rt_sigsuspend, UBUF, 4) == -EINVAL);
	CHECK(SYS(rt_sigsuspend, KERNEL_VA, 8) == -EFAULT);
	CHECK(ut.sigmask == BIT(SIGUSR2) && !ut.restore_mask && host.schedules == 0);
	host_defer(interrupt, NULL);
	CHECK(SYS(rt_sigsuspend, UBUF, 8) == -EINTR);
	CHECK(host.schedules == 1);
	CHECK(ut.sigmask == ~UNBLOCKABLE && ut.restore_mask && ut.saved_mask == BIT(SIGUSR2));
	CHECK(deliver(&r) == -1);			/* nothing pending: the old mask is back */
	CHECK(ut.sigmask == BIT(SIGUSR2) && !ut.restore_mask);
	abi_finish();
}

/* ---- kill, tkill, tgkill ---- */

/* kill's pid: the process, 0 its group, -pgid a group; -1 is refused; INT_MIN is -ESRCH */
static void kill_targets(void)
{
	static struct process other;			/* a second process in our group */

	abi_start();
	other = (struct process){ .pid = PID + 1, .pgid = PID, .vnode = 1, .state = PROC_LIVE };
	list_init(&other.threads);
	host.procs[1] = &other;
	ut.sigmask = ~0ULL;
	CHECK(SYS(kill, PID, 0) == 0 && proc.pending == 0);	/* a probe */
	CHECK(SYS(kill, PID, 65) == -EINVAL);
	CHECK(SYS(kill, PID, -1) == -EINVAL);
	CHECK(SYS(kill, 999, SIGTERM) == -ESRCH);
	CHECK(SYS(kill, -999, SIGTERM) == -ESRCH);
	CHECK(SYS(kill, -1, SIGTERM) == -EPERM);
	CHECK(SYS(kill, INT32_MIN, 0) == -ESRCH);		/* -INT_MIN is no group */
	CHECK(SYS(kill, 0x80000000u, SIGTERM) == -ESRCH);	/* the same, zero-extended */
	CHECK(proc.pending == 0);
	CHECK(SYS(kill, 0, SIGUSR1) == 0 && proc.pending == BIT(SIGUSR1));
	CHECK(other.pending == BIT(SIGUSR1));
	CHECK(SYS(kill, -PID, SIGUSR2) == 0);
	CHECK(proc.pending == (BIT(SIGUSR1) | BIT(SIGUSR2)) && other.pending == proc.pending);
	CHECK(SYS(kill, PID + 1, SIGTERM) == 0 && proc.pending == other.pending - BIT(SIGTERM));
	abi_finish();
}

/* tkill/tgkill ids are ints: zero, negative (even zero-extended) are -EINVAL */
static void tkill_ids_are_ints(void)
{
	abi_start();
	CHECK(SYS(tkill, 0, SIGUSR1) == -EINVAL);
	CHECK(SYS(tkill, -1, SIGUSR1) == -EINVAL);
	CHECK(SYS(tkill, 0xffffffffu, SIGUSR1) == -EINVAL);
	CHECK(SYS(tgkill, PID, 0, SIGUSR1) == -EINVAL);
	CHECK(SYS(tgkill, 0, PID, SIGUSR1) == -EINVAL);
	CHECK(SYS(tgkill, 0xffffffffu, PID, SIGUSR1) == -EINVAL);
	CHECK(SYS(tgkill, PID, 0x80000000u, SIGUSR1) == -EINVAL);
	CHECK(SYS(tkill, PID, 65) == -EINVAL);
	CHECK(SYS(tgkill, PID + 1, PID, SIGUSR1) == -ESRCH);
	CHECK(ut.pending == 0);
	CHECK(SYS(tgkill, PID, PID, SIGUSR1) == 0 && ut.pending == BIT(SIGUSR1));
	CHECK(proc.pending == 0);
	abi_finish();
}

/* ---- sigaltstack ---- */

static long altstack(uint64_t sp, int32_t flags, uint64_t size)
{
	struct linux_stack ss = { .sp = sp, .flags = flags, .size = size };

	uput(UBUF, &ss, sizeof(ss));
	memset(host_uptr(UBUF2), 0x5a, sizeof(ss));
	return SYS(sigaltstack, UBUF, UBUF2);
}

static struct linux_stack old_stack(void)
{
	struct linux_stack ss;

	uget(&ss, UBUF2, sizeof(ss));
	return ss;
}

/* flags 0 and SS_ONSTACK set a stack, SS_DISABLE removes it; a refusal writes no old stack */
static void sigaltstack_flags_and_sizes(void)
{
	abi_start();
	CHECK(altstack(ALT, SS_ONSTACK, ALT_SIZE) == 0);	/* old programs say SS_ONSTACK */
	CHECK(old_stack().flags == SS_DISABLE && old_stack().sp == 0);
	CHECK(ut.altstack == ALT && ut.altstack_size == ALT_SIZE);
	CHECK(altstack(ALT, SS_ONSTACK | 4, ALT_SIZE) == -EINVAL);
	CHECK(old_stack().flags == 0x5a5a5a5a);
	CHECK(altstack(ALT, SS_ONSTACK | SS_DISABLE, ALT_SIZE) == -EINVAL);
	CHECK(altstack(ALT, 0, MINSIGSTKSZ - 1) == -ENOMEM);
	CHECK(old_stack().flags == 0x5a5a5a5a);
	CHECK(ut.altstack == ALT && ut.altstack_size == ALT_SIZE);
	CHECK(altstack(0, SS_DISABLE, 0) == 0);
	CHECK(old_stack().sp == ALT && old_stack().size == ALT_SIZE && old_stack().flags == 0);
	CHECK(ut.altstack == 0 && ut.altstack_size == 0);
	abi_finish();
}

/* running on the alternate stack: it is reported SS_ONSTACK and cannot change (-EPERM) */
static void sigaltstack_in_use_cannot_change(void)
{
	abi_start();
	CHECK(altstack(ALT, 0, ALT_SIZE) == 0);
	abi.regs.rsp = ALT + 0x100;
	CHECK(SYS(sigaltstack, 0, UBUF2) == 0);
	CHECK(old_stack().flags == SS_ONSTACK && old_stack().sp == ALT);
	CHECK(altstack(ALT + ALT_SIZE, 0, ALT_SIZE) == -EPERM);
	CHECK(altstack(0, SS_DISABLE, 0) == -EPERM);
	CHECK(ut.altstack == ALT);
	abi.regs.rsp = ALT + ALT_SIZE + 8;			/* back on the thread's stack */
	CHECK(altstack(0, SS_DISABLE, 0) == 0 && old_stack().flags == 0);
	abi_finish();
}

/* a new stack that cannot be read, or an old one that cannot be written: -EFAULT, no change */
static void sigaltstack_bad_pointers_change_nothing(void)
{
	struct linux_stack ss = { .sp = ALT, .size = ALT_SIZE };

	abi_start();
	CHECK(SYS(sigaltstack, KERNEL_VA, 0) == -EFAULT);
	uput(UBUF, &ss, sizeof(ss));
	CHECK(SYS(sigaltstack, UBUF, KERNEL_VA) == -EFAULT);
	CHECK(ut.altstack == 0);
	abi_finish();
}

/* ---- signal state as signals arrive ---- */

/* a blocked signal waits, visible to rt_sigpending, while others are taken; then its turn */
static void blocked_signals_wait_for_unblocking(void)
{
	struct user_regs r = { .rsp = HOST_UBASE + 0x80000, .rip = 0x402000 };

	abi_start();
	put_action(UBUF, HANDLER, SA_RESTORER, 0);
	CHECK(SYS(rt_sigaction, SIGUSR1, UBUF, 0, 8) == 0);
	CHECK(SYS(rt_sigaction, SIGUSR2, UBUF, 0, 8) == 0);
	CHECK(mask_call(SIG_BLOCK, BIT(SIGUSR1)) == 0);
	CHECK(SYS(kill, PID, SIGUSR1) == 0);
	CHECK(pending_set() == BIT(SIGUSR1));
	CHECK(deliver(&r) == -1 && r.rip == 0x402000);	/* still blocked */
	CHECK(SYS(kill, PID, SIGUSR2) == 0);
	CHECK(deliver(&r) == -1 && r.rip == HANDLER && r.rdi == SIGUSR2);
	CHECK(ut.sigmask == (BIT(SIGUSR1) | BIT(SIGUSR2)));	/* blocked in the handler */
	ut.sigmask = BIT(SIGUSR1);				/* its rt_sigreturn's */
	r.rip = 0x402000;
	CHECK(mask_call(SIG_UNBLOCK, BIT(SIGUSR1)) == BIT(SIGUSR1));
	CHECK(deliver(&r) == -1 && r.rip == HANDLER && r.rdi == SIGUSR1);
	CHECK(pending_set() == 0 && ut.sigmask == BIT(SIGUSR1));
	abi_finish();
}

/* SIG_IGN, or a default of ignoring, drops a signal: when sent, and when it was pending */
static void ignored_signals_vanish(void)
{
	static const int dfl_ignored[] = { SIGCHLD, SIGURG, SIGWINCH, SIGCONT };

	abi_start();
	ut.sigmask = ~0ULL;
	for (unsigned i = 0; i < sizeof(dfl_ignored) / sizeof(dfl_ignored[0]); i++)
		CHECK(SYS(kill, PID, dfl_ignored[i]) == 0);
	CHECK(SYS(tgkill, PID, PID, SIGCHLD) == 0);
	CHECK(pending_set() == 0);
	CHECK(SYS(kill, PID, SIGTERM) == 0 && SYS(tgkill, PID, PID, SIGHUP) == 0);
	CHECK(pending_set() == (BIT(SIGTERM) | BIT(SIGHUP)));
	put_action(UBUF, SIG_IGN, 0, 0);
	CHECK(SYS(rt_sigaction, SIGTERM, UBUF, 0, 8) == 0);
	CHECK(SYS(rt_sigaction, SIGHUP, UBUF, 0, 8) == 0);
	CHECK(pending_set() == 0);
	CHECK(SYS(kill, PID, SIGTERM) == 0 && pending_set() == 0);
	abi_finish();
}

/* a signal whose default is to terminate ends the process at delivery; SIGKILL at once */
static void default_actions_terminate(void)
{
	struct user_regs r = { .rsp = HOST_UBASE + 0x80000 };

	abi_start();
	CHECK(SYS(kill, PID, SIGTERM) == 0);
	CHECK(deliver(&r) == linux_wstatus_signaled(SIGTERM));
	proc.pending = 0;
	CHECK(mask_call(SIG_SETMASK, ~0ULL) == 0);
	CHECK(SYS(kill, PID, SIGKILL) == 0);
	CHECK(proc.exiting && proc.exit_wstatus == linux_wstatus_signaled(SIGKILL));
	CHECK(deliver(&r) == linux_wstatus_signaled(SIGKILL));	/* the mask holds no KILL */
	abi_finish();
}

static const struct unit_test tests[] = {
	TEST(sigaction_bad_arguments_are_einval),
	TEST(sigaction_bad_pointers_are_efault),
	TEST(sigaction_returns_the_old_action),
	TEST(sigprocmask_block_unblock_setmask),
	TEST(sigprocmask_bad_arguments_change_nothing),
	TEST(sigpending_takes_any_size_up_to_8),
	TEST(sigpending_shows_blocked_signals_only),
	TEST(sigsuspend_sleeps_on_the_new_mask),
	TEST(kill_targets),
	TEST(tkill_ids_are_ints),
	TEST(sigaltstack_flags_and_sizes),
	TEST(sigaltstack_in_use_cannot_change),
	TEST(sigaltstack_bad_pointers_change_nothing),
	TEST(blocked_signals_wait_for_unblocking),
	TEST(ignored_signals_vanish),
	TEST(default_actions_terminate),
};

CHECK_MAIN("abi_signal", tests);
