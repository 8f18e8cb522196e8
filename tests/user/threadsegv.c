/*
 * A thread that faults takes its whole process with it (SIGSEGV), while the main
 * thread is blocked in pthread_join: the exit status is 128 + 11 on the host and
 * on a vNode, and nothing after the join runs.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static volatile int *volatile nowhere;	/* NULL, opaque to the compiler */

static void *crash(void *arg)
{
	(void)arg;
	usleep(100000);
	*nowhere = 1;
	return NULL;
}

int main(void)
{
	pthread_t t;

	printf("main: starting a thread that faults\n");
	fflush(stdout);
	if (pthread_create(&t, NULL, crash, NULL))
		return 1;
	pthread_join(t, NULL);
	printf("main: still running after the fault\n");
	return 0;
}
