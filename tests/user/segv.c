/*
 * segv: a write to a read-only page kills the process with SIGSEGV (a shell shows
 * exit status 139), after a read of the same page succeeded.
 */
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
	volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		printf("mmap failed\n");
		return 1;
	}
	printf(p[100] ? "read nonzero\n" : "read ok\n");
	fflush(stdout);
	p[100] = 1;
	printf("write to a read-only page did not fault\n");
	return 1;
}
