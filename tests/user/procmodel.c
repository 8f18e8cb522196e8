/*
 * procmodel: the Linux process model, one line per check: fork, pipes, execve of
 * /proc/self/exe, wait statuses, waitid, signals (kill, raise, SIGCHLD, alarm, masks),
 * getppid, and pthreads (a condvar barrier, a contended mutex, raw futexes).
 * Built with musl and with glibc (procmodel-glibc); both must print the same.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "utest.h"

#define NTHREADS 8
#define BARRIER_ITERS 10000
#define CONTEND_ITERS 20000

/* From <linux/futex.h>, which musl-gcc cannot see. */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static volatile sig_atomic_t usr1_count, usr2_count, chld_count, alrm_count;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		usr1_count++;
	else if (sig == SIGUSR2)
		usr2_count++;
	else if (sig == SIGCHLD)
		chld_count++;
	else if (sig == SIGALRM)
		alrm_count++;
}

static void handle(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		die("sigaction(%d): %s", sig, errname(errno));
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			die("write: %s", errname(errno));
		buf += n;
		len -= n;
	}
}

/*
 * Child mode, after execve: "procmodel upper PPID". Checks getppid(), then copies
 * stdin to stdout in upper case and exits 3 (so the parent sees a real status).
 */
static int child_upper(const char *ppid)
{
	char buf[256];
	ssize_t n;

	if (getppid() != (pid_t)atoi(ppid))
		return 1;
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			buf[i] = toupper((unsigned char)buf[i]);
		write_all(1, buf, n);
	}
	return n == 0 ? 3 : 2;
}

static void test_exec(void)
{
	static const char msg[] = "hello through two pipes and an execve\n";
	int in[2], out[2], status;
	char ppid[16], buf[128];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	snprintf(ppid, sizeof(ppid), "%d", (int)getpid());
	if (pipe(in) || pipe(out))
		die("pipe: %s", errname(errno));
	pid = xfork();
	if (pid == 0) {
		char *argv[] = { "procmodel", "upper", ppid, NULL };

		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(20);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execve("/proc/self/exe", argv, environ);
		_exit(21);
	}
	close(in[0]);
	close(out[1]);
	write_all(in[1], msg, strlen(msg));
	close(in[1]);
	while (len < sizeof(buf) - 1 && (n = read(out[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
	close(out[0]);
	status = reap(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 3)
		die("exec child: status %#x, want exit 3", status);
	if (len != strlen(msg) || strncasecmp(buf, msg, len) || buf[0] != 'H')
		die("exec child wrote \"%s\"", buf);
	printf("exec: child wrote: %s", buf);
	printf("exec: child exited with status 3 (getppid ok)\n");
}

static void test_getppid(void)
{
	pid_t parent = getpid(), pid = xfork();

	if (pid == 0)
		_exit(getppid() == parent ? 0 : 1);
	if (reap(pid) != 0)
		die("getppid in the child is not the parent's pid");
	printf("getppid: ok\n");
}

static void test_killed(void)
{
	int status;
	pid_t pid = xfork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	if (kill(pid, SIGTERM))
		die("kill: %s", errname(errno));
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid: %s", errname(errno));
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
		die("killed child: status %#x, want SIGTERM", status);
	printf("wait: child killed by signal %d (SIGTERM)\n", WTERMSIG(status));

	pid = xfork();
	if (pid == 0) {
		signal(SIGUSR2, SIG_DFL);
		raise(SIGUSR2);
		_exit(0);
	}
	status = reap(pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGUSR2)
		die("self-killed child: status %#x, want SIGUSR2", status);
	printf("wait: child killed itself with signal %d (SIGUSR2)\n", WTERMSIG(status));
}

/* One waitid line: what infop said, after filling it with 0xff to see it written. */
static void show_waitid(const char *what, idtype_t type, id_t id, int options, pid_t want)
{
	siginfo_t si;

	memset(&si, 0xff, sizeof(si));
	if (waitid(type, id, &si, options))
		die("%s: %s", what, errname(errno));
	printf("%s: signo %d code %d status %d pid %s\n", what, si.si_signo, si.si_code,
	       si.si_status, si.si_pid == want ? "the child's" : si.si_pid ? "other" : "0");
}

/* waitid: WNOWAIT leaves the zombie, WNOHANG finds none ready, a killed child. */
static void test_waitid(void)
{
	siginfo_t si;
	pid_t pid = xfork();

	if (pid == 0)
		_exit(9);
	show_waitid("waitid(P_PID, WNOWAIT)", P_PID, (id_t)pid, WEXITED | WNOWAIT, pid);
	show_waitid("waitid(P_ALL) after WNOWAIT", P_ALL, 0, WEXITED, pid);
	expect_err("waitid(P_ALL), no children", waitid(P_ALL, 0, &si, WEXITED), ECHILD);
	pid = xfork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	show_waitid("waitid(WNOHANG), child running", P_ALL, 0, WEXITED | WNOHANG, pid);
	if (kill(pid, SIGTERM))
		die("kill: %s", errname(errno));
	show_waitid("waitid(P_PGID), child killed", P_PGID, (id_t)getpgrp(), WEXITED, pid);
	expect_err("waitid(no WEXITED)", waitid(P_ALL, 0, &si, WNOHANG), EINVAL);
	expect_err("waitid(idtype 7)", waitid((idtype_t)7, 0, &si, WEXITED), EINVAL);
	expect_err("wait4(WNOWAIT)", wait4(-1, NULL, WNOWAIT, NULL), EINVAL);
}

static void test_sigusr1(void)
{
	handle(SIGUSR1, SA_RESTART);
	if (kill(getpid(), SIGUSR1))
		die("kill(self): %s", errname(errno));
	printf("kill(getpid(), SIGUSR1): handled %d\n", (int)usr1_count);
	raise(SIGUSR1);
	printf("raise(SIGUSR1): handled %d\n", (int)usr1_count);
	if (usr1_count != 2)
		die("SIGUSR1 handler ran %d times, want 2", (int)usr1_count);
}

static void test_sigchld(void)
{
	pid_t pid;

	handle(SIGCHLD, SA_RESTART);
	pid = xfork();
	if (pid == 0)
		_exit(7);
	if (WEXITSTATUS(reap(pid)) != 7)
		die("child exit status is not 7");
	printf("sigchld: child exited 7, handler ran %d\n", (int)chld_count);
	if (chld_count != 1)
		die("SIGCHLD handler ran %d times, want 1", (int)chld_count);
	signal(SIGCHLD, SIG_DFL);
}

static void test_sigprocmask(void)
{
	sigset_t block, old, pending;

	handle(SIGUSR2, 0);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &block, &old))
		die("sigprocmask: %s", errname(errno));
	raise(SIGUSR2);
	sigpending(&pending);
	printf("sigprocmask: blocked SIGUSR2 pending %s, handled %d\n",
	       sigismember(&pending, SIGUSR2) ? "yes" : "no", (int)usr2_count);
	if (usr2_count != 0 || !sigismember(&pending, SIGUSR2))
		die("blocked SIGUSR2 was delivered or not pending");
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigpending(&pending);
	printf("sigprocmask: after unblock pending %s, handled %d\n",
	       sigismember(&pending, SIGUSR2) ? "yes" : "no", (int)usr2_count);
	if (usr2_count != 1 || sigismember(&pending, SIGUSR2))
		die("unblocked SIGUSR2 was not delivered once");
}

/* The alarm may fire before pause() is reached on a slow machine: loop on the flag. */
static void test_alarm(void)
{
	handle(SIGALRM, 0);
	alarm(1);
	while (!alrm_count)
		if (pause() != -1 || errno != EINTR)
			die("pause() returned without EINTR");
	printf("alarm(1): pause() interrupted with EINTR, handled %d\n", (int)alrm_count);
	if (alrm_count != 1)
		die("SIGALRM handler ran %d times, want 1", (int)alrm_count);
}

/* Threads: a condvar start barrier, then a mutex-protected counter. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t go_cv = PTHREAD_COND_INITIALIZER;
static int ready, go;		/* guarded by lock */
static long counter;		/* guarded by lock */

static void *barrier_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	ready++;
	pthread_cond_signal(&ready_cv);
	while (!go)
		pthread_cond_wait(&go_cv, &lock);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < BARRIER_ITERS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *contend_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < CONTEND_ITERS; i++) {
		pthread_mutex_lock(&lock);
		counter += 2;
		if (i % 64 == 0)
			sched_yield();	/* yield holding the lock: others must sleep */
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void run_threads(void *(*fn)(void *), int barrier)
{
	pthread_t t[NTHREADS];
	int err;

	for (int i = 0; i < NTHREADS; i++)
		if ((err = pthread_create(&t[i], NULL, fn, NULL)))
			die("pthread_create: %s", errname(err));
	if (barrier) {
		pthread_mutex_lock(&lock);
		while (ready < NTHREADS)
			pthread_cond_wait(&ready_cv, &lock);
		go = 1;
		pthread_cond_broadcast(&go_cv);
		pthread_mutex_unlock(&lock);
	}
	for (int i = 0; i < NTHREADS; i++)
		if ((err = pthread_join(t[i], NULL)))
			die("pthread_join: %s", errname(err));
}

static void test_threads(void)
{
	long want = (long)NTHREADS * BARRIER_ITERS;

	run_threads(barrier_thread, 1);
	printf("threads: %d ready, go broadcast, counter %ld\n", ready, counter);
	if (counter != want)
		die("barrier counter %ld, want %ld", counter, want);

	counter = 0;
	want = 2L * NTHREADS * CONTEND_ITERS;
	run_threads(contend_thread, 0);
	printf("mutex contention: %d threads, counter %ld\n", NTHREADS, counter);
	if (counter != want)
		die("contended counter %ld, want %ld", counter, want);
}

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void test_futex(void)
{
	static uint32_t word = 1;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	long ret;

	expect_err("futex(WAIT on a changed value)", futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL),
		   EAGAIN);
	expect_err("futex(WAIT 10 ms, no waker)", futex(&word, FUTEX_WAIT_PRIVATE, 1, &ts),
		   ETIMEDOUT);
	ret = futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
	printf("futex(WAKE, no waiters) = %ld\n", ret);
	if (ret != 0)
		die("FUTEX_WAKE woke %ld", ret);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "upper"))
		return child_upper(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_exec();
	test_getppid();
	test_killed();
	test_waitid();
	test_sigusr1();
	test_sigchld();
	test_sigprocmask();
	test_alarm();
	test_threads();
	test_futex();
	printf("procmodel: all ok\n");
	return 0;
}
