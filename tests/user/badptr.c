/*
 * badptr: system calls given bad user pointers (NULL+1, ~0, a PROT_NONE page, an
 * unmapped page, the kernel's own text) must fail with EFAULT and change nothing.
 * Raw syscall(2) throughout, so libc neither crashes first nor hides the call.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "utest.h"

#define PAGE 4096UL
#define KSIGSET 8	/* the kernel's sigset_t size, for rt_sig* */

static int rfd, wfd;	/* a non-blocking pipe, so no call below can block */

static long do_read(void *p)
{
	if (write(wfd, "r", 1) != 1)
		die("refill of the pipe failed");
	return syscall(SYS_read, rfd, p, 16);
}

static long do_write(void *p)
{
	return syscall(SYS_write, wfd, p, 16);
}

static long do_pipe2(void *p)
{
	return syscall(SYS_pipe2, p, 0);
}

/* A child that has exited, for a wait call to find. */
static pid_t exited_child(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", errname(errno));
	if (pid == 0)
		_exit(0);
	return pid;
}

/* The child is reaped whatever the wait call returned; collect it quietly if not. */
static long reaped(pid_t pid, long ret)
{
	int err = errno;

	waitpid(pid, NULL, 0);
	errno = err;
	return ret;
}

static long do_wait4(void *p)
{
	pid_t pid = exited_child();

	return reaped(pid, syscall(SYS_wait4, pid, p, 0, NULL));
}

static long do_waitid(void *p)
{
	pid_t pid = exited_child();

	return reaped(pid, syscall(SYS_waitid, P_PID, pid, p, WEXITED | WNOWAIT, NULL));
}

static long do_sigaction_act(void *p)
{
	return syscall(SYS_rt_sigaction, SIGUSR1, p, NULL, KSIGSET);
}

static long do_sigaction_oldact(void *p)
{
	return syscall(SYS_rt_sigaction, SIGUSR1, NULL, p, KSIGSET);
}

static long do_sigprocmask_set(void *p)
{
	return syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, NULL, KSIGSET);
}

static long do_sigprocmask_oldset(void *p)
{
	return syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, p, KSIGSET);
}

static long do_clock_gettime(void *p)
{
	return syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p);
}

static long do_uname(void *p)
{
	return syscall(SYS_uname, p);
}

static long do_nanosleep(void *p)
{
	return syscall(SYS_nanosleep, p, NULL);
}

static long do_poll(void *p)
{
	return syscall(SYS_poll, p, 1, 0);
}

static long do_getrandom(void *p)
{
	return syscall(SYS_getrandom, p, 16, 0);
}

static long do_readv(void *p)
{
	return syscall(SYS_readv, rfd, p, 1);
}

static long do_writev(void *p)
{
	return syscall(SYS_writev, wfd, p, 1);
}

static long do_select(void *p)
{
	struct timeval zero = { 0, 0 };

	return syscall(SYS_select, 4, p, NULL, NULL, &zero);
}

static long do_ppoll(void *p)
{
	return syscall(SYS_ppoll, p, 1, NULL, NULL, KSIGSET);
}

/* Aligned down: an unaligned futex word is EINVAL before memory is looked at. */
static long do_futex_wait(void *p)
{
	return syscall(SYS_futex, (void *)((unsigned long)p & ~3UL), 0 /* FUTEX_WAIT */, 0,
		       NULL, NULL, 0);
}

static long do_sigaltstack(void *p)
{
	return syscall(SYS_sigaltstack, p, NULL);
}

static long do_sigpending(void *p)
{
	return syscall(SYS_rt_sigpending, p, KSIGSET);
}

static long do_setitimer(void *p)
{
	return syscall(SYS_setitimer, ITIMER_REAL, p, NULL);
}

static long do_gettimeofday(void *p)
{
	return syscall(SYS_gettimeofday, p, NULL);
}

static long do_getrusage(void *p)
{
	return syscall(SYS_getrusage, RUSAGE_SELF, p);
}

static long do_sysinfo(void *p)
{
	return syscall(SYS_sysinfo, p);
}

static long do_getaffinity(void *p)
{
	return syscall(SYS_sched_getaffinity, 0, 8, p);
}

static long do_fstat(void *p)
{
	return syscall(SYS_fstat, rfd, p);
}

static long do_execve(void *p)
{
	return syscall(SYS_execve, p, NULL, NULL);
}

static const struct {
	const char *name;
	long (*fn)(void *p);
} calls[] = {
	{ "read(buf)", do_read },
	{ "write(buf)", do_write },
	{ "pipe2(fds)", do_pipe2 },
	{ "wait4(status)", do_wait4 },
	{ "waitid(infop)", do_waitid },
	{ "rt_sigaction(act)", do_sigaction_act },
	{ "rt_sigaction(oldact)", do_sigaction_oldact },
	{ "rt_sigprocmask(set)", do_sigprocmask_set },
	{ "rt_sigprocmask(oldset)", do_sigprocmask_oldset },
	{ "clock_gettime(tp)", do_clock_gettime },
	{ "uname(buf)", do_uname },
	{ "nanosleep(req)", do_nanosleep },
	{ "poll(fds)", do_poll },
	{ "getrandom(buf)", do_getrandom },
	{ "readv(iov)", do_readv },
	{ "writev(iov)", do_writev },
	{ "select(readfds)", do_select },
	{ "ppoll(fds)", do_ppoll },
	{ "futex(uaddr)", do_futex_wait },
	{ "sigaltstack(ss)", do_sigaltstack },
	{ "rt_sigpending(set)", do_sigpending },
	{ "setitimer(new)", do_setitimer },
	{ "gettimeofday(tv)", do_gettimeofday },
	{ "getrusage(usage)", do_getrusage },
	{ "sysinfo(info)", do_sysinfo },
	{ "sched_getaffinity(mask)", do_getaffinity },
	{ "fstat(statbuf)", do_fstat },
	{ "execve(path)", do_execve },
};

#define NCALLS (sizeof(calls) / sizeof(calls[0]))

static struct {
	const char *name;
	void *p;
} bad[] = {
	{ "NULL+1", (void *)1 },
	{ "~0", (void *)~0UL },
	{ "PROT_NONE page", NULL },
	{ "unmapped page", NULL },
	{ "kernel text", (void *)0xffffffff80000000UL },
};

#define NBAD (sizeof(bad) / sizeof(bad[0]))

/* One line for a call: EFAULT for every bad pointer, or what each wrong one gave. */
static int try_call(size_t c)
{
	int ok = 1;

	for (size_t b = 0; b < NBAD; b++) {
		long ret;

		errno = 0;
		ret = calls[c].fn(bad[b].p);
		if (ret == -1 && errno == EFAULT)
			continue;
		printf("%s: %s = %ld %s\n", calls[c].name, bad[b].name, ret,
		       ret == -1 ? errname(errno) : "");
		ok = 0;
	}
	if (ok)
		printf("%s: EFAULT for all %zu bad pointers\n", calls[c].name, NBAD);
	return ok;
}

/* Bad pointers into our own address space: a PROT_NONE page beside a hole. */
static void map_bad(void)
{
	char *p = mmap(NULL, 3 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || munmap(p + PAGE, PAGE))
		die("mmap/munmap: %s", errname(errno));
	bad[2].p = p;
	bad[3].p = p + PAGE;
}

int main(void)
{
	struct sigaction before, after;
	sigset_t mask0, mask1;
	int ok = 1, fd0, fd1;
	int p[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("badptr: %zu calls, %zu bad pointers each\n", NCALLS, NBAD);
	map_bad();
	if (pipe2(p, O_NONBLOCK))
		die("pipe2: %s", errname(errno));
	rfd = p[0];
	wfd = p[1];
	fd0 = dup(0);
	close(fd0);
	sigaction(SIGUSR1, NULL, &before);
	sigprocmask(SIG_BLOCK, NULL, &mask0);

	for (size_t c = 0; c < NCALLS; c++)
		ok &= try_call(c);

	sigaction(SIGUSR1, NULL, &after);
	sigprocmask(SIG_BLOCK, NULL, &mask1);
	fd1 = dup(0);
	close(fd1);
	printf("after: SIGUSR1 action %s, signal mask %s, fds %s\n",
	       before.sa_handler == after.sa_handler ? "unchanged" : "changed",
	       !memcmp(&mask0, &mask1, KSIGSET) ? "unchanged" : "changed",
	       fd0 == fd1 ? "not leaked" : "leaked");
	if (!ok || before.sa_handler != after.sa_handler || memcmp(&mask0, &mask1, KSIGSET) ||
	    fd0 != fd1)
		die("some calls did not fail cleanly with EFAULT");
	printf("badptr: all ok\n");
	return 0;
}
