/*
 * utest.h: helpers shared by the process-model test programs in tests/user/.
 * Errors are printed by name, not with strerror(), so that musl and glibc builds
 * of a program, and a vNode and the host, print byte-identical lines.
 */
#ifndef TESTS_USER_UTEST_H
#define TESTS_USER_UTEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ESPIPE: return "ESPIPE";
	case EPIPE: return "EPIPE";
	case ENOSYS: return "ENOSYS";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return "E?";
	}
}

/* Print "prog: what" and exit 1: for a check that failed. */
static inline void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/*
 * Print "what = ret" or "what = -1 ENAME" for a call that should fail with
 * errno want, and die() unless it did. errno is saved before printf can touch it.
 */
static inline void expect_err(const char *what, long ret, int want)
{
	int e = errno;

	if (ret == -1)
		printf("%s = -1 %s\n", what, errname(e));
	else
		printf("%s = %ld\n", what, ret);
	if (ret != -1 || e != want)
		die("%s: want -1 %s", what, errname(want));
}

/* fork, with stdout flushed first so the child does not print its copy again. */
static inline pid_t xfork(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", errname(errno));
	return pid;
}

/* The status of child pid, through wait4 and retrying EINTR. */
static inline int reap(pid_t pid)
{
	int status;
	pid_t got;

	do
		got = wait4(pid, &status, 0, NULL);
	while (got < 0 && errno == EINTR);
	if (got != pid)
		die("wait4: got %d, %s", (int)got, errname(errno));
	return status;
}

/* CLOCK_MONOTONIC in nanoseconds, for the bench programs. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die("clock_gettime: %s", errname(errno));
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* argv[i] as a positive number, or dflt when there are fewer arguments. */
static inline unsigned long arg(int argc, char **argv, int i, unsigned long dflt)
{
	char *end;
	unsigned long v;

	if (argc <= i)
		return dflt;
	v = strtoul(argv[i], &end, 0);
	if (*end || !v)
		die("argument %d: want a positive number, got '%s'", i, argv[i]);
	return v;
}

#endif
