/*
 * Shared by tests/unit/test_excache*.c. A broken property ends the process that found
 * it (host_fail: the simulated threads cannot unwind to the test), so each test runs
 * in a child process of its own and one failure does not hide the others.
 * EXCACHE_TEST=<name> runs only that test.
 */
#ifndef TESTS_UNIT_EXCACHE_TEST_H
#define TESTS_UNIT_EXCACHE_TEST_H

#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>
#include "excache_host.h"
#include "check.h"

/* <sys/wait.h> brings the host's <signal.h>, whose names linux-abi/linux.h defines. */
pid_t waitpid(pid_t pid, int *status, int options);

/* Run one test in a child: 0 if it passed. */
static int excache_child(const struct unit_test *t)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		if (setjmp(check_abort))
			_exit(1);
		t->fn();
		host_cleanup();
		excache_host_fini();
		exit(0);	/* not _exit: LeakSanitizer looks at what the test left */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;		/* 0 only for exit(0) */
}

static int excache_main(const char *suite, const struct unit_test *tests, size_t n)
{
	const char *only = getenv("EXCACHE_TEST");
	size_t failed = 0, ran = 0;

	for (size_t i = 0; i < n; i++) {
		if (only && strcmp(only, tests[i].name))
			continue;
		ran++;
		if (excache_child(&tests[i])) {
			fprintf(stderr, "FAIL %s: %s\n", suite, tests[i].name);
			failed++;
		}
	}
	printf("%s: %zu/%zu tests passed\n", suite, ran - failed, ran);
	return failed || !ran ? 1 : 0;
}

#define EXCACHE_MAIN(suite, tests)					\
	int main(void)							\
	{								\
		return excache_main(suite, tests, sizeof(tests) / sizeof(tests[0])); \
	}

#endif
