/*
 * forkbomb: fork sleeping children until fork fails, which must be with EAGAIN
 * (RLIMIT_NPROC of 64 here, a vNode's own process limit there); then kill and
 * reap every one. At most 200 children, so it is safe to run on any host.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "utest.h"

#define MAX_CHILDREN 200
#define NPROC_LIMIT 64
#define NOBODY 65534

static pid_t kids[MAX_CHILDREN];

/*
 * Linux exempts root from RLIMIT_NPROC, so on a root host give the limit to an
 * unprivileged uid. Failures are not fatal: a vNode may enforce its own limit.
 */
static void limit_procs(void)
{
	struct rlimit rl = { NPROC_LIMIT, NPROC_LIMIT };

	setrlimit(RLIMIT_NPROC, &rl);
	if (getuid() == 0 && setuid(NOBODY))
		return;		/* no uids (a vNode): its own limit applies */
}

/* The number of children forked before fork failed, or -1 if it never did. */
static int bomb(int *err)
{
	for (int n = 0; n < MAX_CHILDREN; n++) {
		pid_t pid = fork();

		if (pid < 0) {
			*err = errno;
			return n;
		}
		if (pid == 0) {
			alarm(60);	/* in case the parent dies before it kills us */
			for (;;)
				pause();
		}
		kids[n] = pid;
	}
	return -1;
}

int main(void)
{
	int n, err = 0, reaped = 0, status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	limit_procs();
	fflush(stdout);
	n = bomb(&err);
	if (n < 0)
		printf("fork: did not fail after %d children\n", MAX_CHILDREN);
	else
		printf("fork: eventually failed with %s\n", errname(err));

	if (n < 0)
		n = MAX_CHILDREN;
	for (int i = 0; i < n; i++)
		if (kill(kids[i], SIGKILL))
			die("kill: %s", errname(errno));
	for (int i = 0; i < n; i++)
		if (waitpid(kids[i], &status, 0) == kids[i] && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGKILL)
			reaped++;
	printf("children: %s\n", reaped == n ? "all reaped, killed by SIGKILL" : "NOT all reaped");
	expect_err("waitpid(-1) after", waitpid(-1, &status, WNOHANG), ECHILD);
	if (reaped != n || err != EAGAIN)
		die("%d of %d children reaped, fork error %s", reaped, n, errname(err));
	return 0;
}
