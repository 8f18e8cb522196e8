/*
 * Host tests for linux-abi/sys_mm.c, sys_proc.c and sys_futex.c on the pmon stubs:
 * what each checks before it asks pmon (the home's memory calls, fork, wait, the
 * process groups, the futex queues), as Linux checks it: offsets and alignment,
 * advice, flags and options, ints passed as such, and timeouts too far to reach.
 */
#include "abi_test.h"

#define PAGE 4096ULL
#define MAP (HOST_UBASE + 0x10000)	/* a page-aligned user address */
#define FAR_SEC 18446744074LL	/* * 10^9 ns wraps 2^64 to about 0.29 s */
#define CLONE_NEEDS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)

static void advance(void *ms)
{
	host.now += (uint64_t)(uintptr_t)ms * 1000000;
}

static void interrupt(void *arg)
{
	(void)arg;
	host.interrupted = true;
}

/* ---- memory ---- */

/* mmap: an offset off a page is -EINVAL first; no open file can be mapped (-ENODEV) */
static void mmap_checks_before_asking_the_home(void)
{
	const uint64_t priv = MAP_PRIVATE, anon = MAP_PRIVATE | MAP_ANONYMOUS;
	int fds[2];

	abi_start();
	make_pipe(fds, 0);
	CHECK(SYS(mmap, 0, PAGE, PROT_READ, anon, -1, 1) == -EINVAL);
	CHECK(SYS(mmap, 0, PAGE, PROT_READ, priv, fds[0], PAGE + 8) == -EINVAL);
	CHECK(SYS(mmap, 0, PAGE, PROT_READ, priv, -1, 0) == -EBADF);
	CHECK(SYS(mmap, 0, PAGE, PROT_READ, priv, 99, 0) == -EBADF);
	CHECK(SYS(mmap, 0, PAGE, PROT_READ, priv, fds[0], 0) == -ENODEV);
	CHECK(abi.mmap.calls == 0);
	abi_finish();
}

/* what Linux ignores (high bits of prot and flags, an anonymous map's fd) is ignored */
static void mmap_passes_the_rest_to_the_home(void)
{
	abi_start();
	abi.mmap.ret = 0x10000000;
	CHECK(SYS(mmap, MAP, 2 * PAGE, (1ULL << 32) | PROT_READ | PROT_WRITE,
		  (1ULL << 40) | MAP_PRIVATE | MAP_ANONYMOUS, 99, PAGE) == 0x10000000);
	CHECK(abi.mmap.calls == 1 && abi.mmap.arg[0] == MAP && abi.mmap.arg[1] == 2 * PAGE);
	CHECK(abi.mmap.arg[2] == (PROT_READ | PROT_WRITE));
	CHECK(abi.mmap.arg[3] == (MAP_PRIVATE | MAP_ANONYMOUS));
	abi.mmap.ret = -ENOMEM;
	CHECK(SYS(mmap, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == -ENOMEM);
	abi_finish();
}

/* mprotect's prot and mremap's flags are checked whole (Linux refuses unknown bits) */
static void the_other_memory_calls(void)
{
	abi_start();
	CHECK(SYS(mprotect, MAP, PAGE, (1ULL << 32) | PROT_READ) == -EINVAL);
	CHECK(SYS(mremap, MAP, PAGE, 2 * PAGE, 1ULL << 32) == -EINVAL);
	CHECK(abi.mprotect.calls == 0 && abi.mremap.calls == 0);
	CHECK(SYS(mprotect, MAP, PAGE, PROT_READ) == 0);
	CHECK(abi.mprotect.arg[0] == MAP && abi.mprotect.arg[2] == PROT_READ);
	abi.mremap.ret = MAP + PAGE;
	CHECK(SYS(mremap, MAP, PAGE, 2 * PAGE, MREMAP_MAYMOVE) == (long)(MAP + PAGE));
	CHECK(abi.mremap.arg[2] == 2 * PAGE && abi.mremap.arg[3] == MREMAP_MAYMOVE);
	CHECK(SYS(munmap, MAP, PAGE) == 0 && abi.munmap.arg[1] == PAGE);
	abi.brk.ret = 0x600000;
	CHECK(SYS(brk, 0) == 0x600000 && abi.brk.calls == 1);
	abi_finish();
}

/* madvise: an advice Linux lacks is -EINVAL first, then an unaligned start, then a wrap */
static void madvise_checks_as_linux_does(void)
{
	static const uint64_t bad[] = { 5, 6, 7, 26, 1000, (uint64_t)-1 };

	abi_start();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(SYS(madvise, MAP, PAGE, bad[i]) == -EINVAL);
		CHECK(SYS(madvise, MAP, 0, bad[i]) == -EINVAL);
	}
	CHECK(SYS(madvise, MAP + 1, PAGE, 0) == -EINVAL);
	CHECK(SYS(madvise, MAP, -1, 0) == -EINVAL);		/* rounds up to nothing */
	CHECK(SYS(madvise, -PAGE, 2 * PAGE, 0) == -EINVAL);	/* wraps */
	CHECK(SYS(madvise, -PAGE, 2 * PAGE, MADV_DONTNEED) == -EINVAL);
	CHECK(SYS(madvise, MAP, 0, MADV_DONTNEED) == 0);	/* nothing to do */
	CHECK(SYS(madvise, MAP, PAGE, 3) == 0);			/* MADV_WILLNEED: a hint */
	CHECK(abi.dontneed.calls == 0);
	CHECK(SYS(madvise, MAP, 100, (1ULL << 32) | MADV_DONTNEED) == 0);	/* an int */
	CHECK(abi.dontneed.calls == 1 && abi.dontneed.arg[0] == MAP);
	abi_finish();
}

/* ---- processes ---- */

/* wait4: Linux's options (__WALL and __WNOTHREAD too) before the pid; INT_MIN is -ESRCH */
static void wait4_checks_options_and_pid(void)
{
	abi_start();
	abi.wait.ret = -ECHILD;
	CHECK(SYS(wait4, -1, 0, 0x100, 0) == -EINVAL);
	CHECK(SYS(wait4, INT32_MIN, 0, 0, 0) == -ESRCH);
	CHECK(SYS(wait4, INT32_MIN, 0, 0x100, 0) == -EINVAL);
	CHECK(abi.wait.calls == 0);
	CHECK(SYS(wait4, -1, 0, WALL | WNOTHREAD | WNOHANG, 0) == -ECHILD);
	CHECK(abi.wait.calls == 1 && abi.wait.arg[1] == (WNOHANG | WEXITED));
	CHECK(SYS(wait4, -1, 0, WCLONE, 0) == -ECHILD);	/* no child is a clone child */
	CHECK(abi.wait.calls == 1);
	CHECK(SYS(wait4, -1, 0, WCLONE | WALL, 0) == -ECHILD && abi.wait.calls == 2);
	abi_finish();
}

/* a child found: its pid, wait status and CPU time (as user time) come back */
static void wait4_reports_the_child(void)
{
	int64_t ru[4];

	abi_start();
	abi.wait.ret = 123;
	abi.child = (struct child_exit){ .pid = 123, .wstatus = 0x300,
					 .cpu_ns = 1500000000 };
	CHECK(SYS(wait4, 123, UBUF, WNOHANG, UBUF2) == 123);
	CHECK(abi.wait.arg[0] == 123 && get32(UBUF) == 0x300);
	uget(ru, UBUF2, sizeof(ru));
	CHECK(ru[0] == 1 && ru[1] == 500000 && ru[2] == 0 && ru[3] == 0);
	CHECK(SYS(wait4, 123, KERNEL_VA, 0, 0) == -EFAULT);
	CHECK(SYS(wait4, 123, 0, 0, KERNEL_VA) == -EFAULT);
	abi_finish();
}

/* waitid: Linux's idtypes and options; the child's siginfo, or zeros when none is ready */
static void waitid_checks_and_reports(void)
{
	abi_start();
	CHECK(SYS(waitid, 3, 5, UBUF, WEXITED, 0) == -EINVAL);		/* P_PIDFD */
	CHECK(SYS(waitid, P_PID, 0, UBUF, WEXITED, 0) == -EINVAL);
	CHECK(SYS(waitid, P_PGID, -1, UBUF, WEXITED, 0) == -EINVAL);
	CHECK(SYS(waitid, P_ALL, 0, UBUF, 0, 0) == -EINVAL);
	CHECK(SYS(waitid, P_ALL, 0, UBUF, WNOHANG, 0) == -EINVAL);
	CHECK(SYS(waitid, P_ALL, 0, UBUF, WEXITED | 0x100, 0) == -EINVAL);
	CHECK(abi.wait.calls == 0);
	memset(host_uptr(UBUF), 0x5a, 128);
	CHECK(SYS(waitid, P_ALL, 0, UBUF, WEXITED | WNOHANG | WALL, 0) == 0);
	CHECK(abi.wait.calls == 1 && abi.wait.arg[1] == (WEXITED | WNOHANG));
	CHECK(get32(UBUF) == 0 && get64(UBUF + 120) == 0);
	abi.wait.ret = 77;
	abi.child = (struct child_exit){ .pid = 77, .wstatus = linux_wstatus_exited(4) };
	CHECK(SYS(waitid, P_PID, 77, UBUF, WEXITED, 0) == 0);
	CHECK(get32(UBUF) == SIGCHLD && get32(UBUF + 8) == CLD_EXITED);
	CHECK(get32(UBUF + 16) == 77 && get32(UBUF + 24) == 4);
	abi_finish();
}

/* getrusage's who and setpgid's pgid are ints: a zero-extended -1 is -1 */
static void int_arguments_are_ints(void)
{
	abi_start();
	abi.cpu_ns = 2000000;
	abi.children_cpu_ns = 3000000;
	abi.thread_ns = 4000000;
	CHECK(SYS(getrusage, 0xffffffffu, UBUF) == 0 && get64(UBUF + 8) == 3000);
	CHECK(SYS(getrusage, -1, UBUF) == 0 && get64(UBUF + 8) == 3000);
	CHECK(SYS(getrusage, RUSAGE_SELF, UBUF) == 0 && get64(UBUF + 8) == 2000);
	CHECK(SYS(getrusage, RUSAGE_THREAD, UBUF) == 0 && get64(UBUF + 8) == 4000);
	CHECK(SYS(getrusage, 2, UBUF) == -EINVAL);
	CHECK(SYS(getrusage, RUSAGE_SELF, KERNEL_VA) == -EFAULT);
	CHECK(SYS(setpgid, 0, -1) == -EINVAL);
	CHECK(SYS(setpgid, 0, 0xffffffffu) == -EINVAL);
	CHECK(abi.setpgid.calls == 0);
	CHECK(SYS(setpgid, 0, 5) == 0 && abi.setpgid.arg[1] == 5);
	CHECK(SYS(getpgid, 9) == 0 && abi.getpgid.arg[0] == 9 && abi.getpgid.arg[1] == 0);
	CHECK(SYS(getsid, 0) == 0 && abi.getpgid.arg[1] == 1);
	CHECK(SYS(getpgrp, 0) == 0 && SYS(setsid, 0) == 0 && abi.setsid.calls == 1);
	abi_finish();
}

/* clone: a thread shares everything, with a stack; a process shares memory only to vfork */
static void clone_flags(void)
{
	abi_start();
	abi.fork.ret = 200;
	abi.clone.ret = 300;
	CHECK(SYS(clone, CLONE_THREAD, UBUF) == -EINVAL);
	CHECK(SYS(clone, CLONE_NEEDS, 0) == -EINVAL);		/* no stack */
	CHECK(SYS(clone, CLONE_NEEDS | CLONE_PARENT, UBUF) == -EINVAL);
	CHECK(SYS(clone, CLONE_NEEDS | CLONE_SETTLS, UBUF, 0, 0, VMA_MAX) == -EPERM);
	CHECK(SYS(clone, CLONE_VM | SIGCHLD, 0) == -EINVAL);
	CHECK(SYS(clone, CLONE_FILES | SIGCHLD, 0) == -EINVAL);
	CHECK(abi.fork.calls == 0 && abi.clone.calls == 0);
	CHECK(SYS(clone, CLONE_NEEDS | CLONE_SETTLS, UBUF, 0, 0, 0x7000) == 300);
	CHECK(abi.clone.arg[0] == UBUF && abi.clone.arg[1] == 0x7000);
	abi.regs.rsp = 0x4f0000;
	CHECK(SYS(clone, SIGCHLD, 0) == 200 && abi.fork.arg[0] == 0x4f0000);
	CHECK(SYS(clone, CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | SIGCHLD, UBUF2,
		  UBUF) == 200);
	CHECK(abi.fork.arg[0] == UBUF2 && get32(UBUF) == 200);
	CHECK(SYS(fork, 0) == 200 && SYS(vfork, 0) == 200 && abi.fork.calls == 4);
	abi_finish();
}

/* exit_group ends the process, exit the thread, each with the code as a wait status */
static void exit_codes_become_wait_statuses(void)
{
	abi_start();
	if (!setjmp(ended))
		SYS(exit_group, 3);
	CHECK(host.exits == 1 && host.exit_wstatus == 0x300);
	if (!setjmp(ended))
		SYS(exit, 256 + 7);
	CHECK(host.exits == 2 && host.exit_wstatus == 0x700);
	abi_finish();
}

/* ---- futexes ---- */

/* an op futex.c lacks is -ENOSYS; so is FUTEX_CLOCK_REALTIME on anything but WAIT_BITSET */
static void futex_ops_as_linux(void)
{
	abi_start();
	put32(UBUF, 1);
	CHECK(SYS(futex, UBUF, 99, 0) == -ENOSYS);
	CHECK(SYS(futex, UBUF, FUTEX_WAKE_OP, 1) == -ENOSYS);
	CHECK(SYS(futex, UBUF, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1) == -ENOSYS);
	CHECK(SYS(futex, UBUF, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 0) == -ENOSYS);
	CHECK(SYS(futex, UBUF, FUTEX_REQUEUE | FUTEX_CLOCK_REALTIME, 1, 1, UBUF2) == -ENOSYS);
	CHECK(SYS(futex, UBUF, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, 0, 0, ~0u) ==
	      -EAGAIN);
	CHECK(SYS(futex, UBUF, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1) == 0);
	CHECK(SYS(futex, UBUF, FUTEX_REQUEUE, -1, 1, UBUF2) == -EINVAL);
	CHECK(SYS(futex, UBUF, FUTEX_CMP_REQUEUE, 1, -1, UBUF2, 1) == -EINVAL);
	abi_finish();
}

/* a timeout that cannot be read or is no timespec: refused before the wait */
static void futex_timeout_is_checked(void)
{
	abi_start();
	uput(UBUF2, &(struct linux_timespec){ 0, 1000000000 }, 16);
	CHECK(SYS(futex, UBUF, FUTEX_WAIT, 0, UBUF2) == -EINVAL);
	uput(UBUF2, &(struct linux_timespec){ -1, 0 }, 16);
	CHECK(SYS(futex, UBUF, FUTEX_WAIT, 0, UBUF2) == -EINVAL);
	CHECK(SYS(futex, UBUF, FUTEX_WAIT, 0, KERNEL_VA) == -EFAULT);
	CHECK(host.schedules == 0);
	abi_finish();
}

/* a timeout too far for the clock never expires, relative or absolute: only a signal ends it */
static void futex_far_timeouts_never_expire(void)
{
	abi_start();
	host.now = 5000000000ULL;
	put32(UBUF, 0);
	uput(UBUF2, &(struct linux_timespec){ FAR_SEC, 0 }, 16);
	host_defer(advance, (void *)1000000);
	host_defer(interrupt, NULL);
	CHECK(SYS(futex, UBUF, FUTEX_WAIT, 0, UBUF2) == -EINTR);
	host.interrupted = false;
	uput(UBUF2, &(struct linux_timespec){ INT64_MAX, 999999999 }, 16);
	host_defer(advance, (void *)1000000);
	host_defer(interrupt, NULL);
	CHECK(SYS(futex, UBUF, FUTEX_WAIT_BITSET, 0, UBUF2, 0, ~0u) == -EINTR);
	host.interrupted = false;
	uput(UBUF2, &(struct linux_timespec){ 0, 5000000 }, 16);	/* a near one does */
	host_defer(advance, (void *)10);
	CHECK(SYS(futex, UBUF, FUTEX_WAIT, 0, UBUF2) == -ETIMEDOUT);
	abi_finish();
}

static const struct unit_test tests[] = {
	TEST(mmap_checks_before_asking_the_home),
	TEST(mmap_passes_the_rest_to_the_home),
	TEST(the_other_memory_calls),
	TEST(madvise_checks_as_linux_does),
	TEST(wait4_checks_options_and_pid),
	TEST(wait4_reports_the_child),
	TEST(waitid_checks_and_reports),
	TEST(int_arguments_are_ints),
	TEST(clone_flags),
	TEST(exit_codes_become_wait_statuses),
	TEST(futex_ops_as_linux),
	TEST(futex_timeout_is_checked),
	TEST(futex_far_timeouts_never_expire),
};

CHECK_MAIN("abi_proc", tests);
