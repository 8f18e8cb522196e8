/*
 * heapcross: the heap (brk) grows across a vRegion boundary (1 GiB). user.mk links
 * the program 8 MiB below 1 GiB; it moves the break to 4 MiB past the boundary with
 * the brk system call (musl's sbrk only answers sbrk(0)), writes a pattern to every
 * page from 4 MiB below the boundary to the new break, reads it back, and shrinks
 * the break again. No addresses are printed: the output is the same on the host and
 * on a vNode. Linux places the heap up to 1 GiB past the program at random, so on
 * the host the program runs itself again without that randomization.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096UL
#define BOUNDARY (1UL << 30)
#define SPAN (4UL << 20)		/* checked on each side of the boundary */

static uint64_t value(uintptr_t page)
{
	return page * 0x9e3779b97f4a7c15ULL ^ 0x5a5a5a5a5a5a5a5aULL;
}

/* Linux with ASLR: exec ourselves again with the heap right after the program. */
static void unrandomize(char **argv, char **envp)
{
	int pers = personality(0xffffffff);

	if (pers == -1 || (pers & ADDR_NO_RANDOMIZE))
		return;
	if (personality((unsigned long)pers | ADDR_NO_RANDOMIZE) == -1)
		return;
	execve("/proc/self/exe", argv, envp);
}

int main(int argc, char **argv, char **envp)
{
	uintptr_t start = (uintptr_t)syscall(SYS_brk, 0), end = BOUNDARY + SPAN, p;
	unsigned long pages = 0, mismatches = 0;

	(void)argc;
	if (start > BOUNDARY - SPAN) {
		unrandomize(argv, envp);
		printf("heap starts too high: link the program lower\n");
		return 2;
	}
	if ((uintptr_t)syscall(SYS_brk, end) != end) {
		printf("brk to the boundary + %lu MiB failed\n", SPAN >> 20);
		return 1;
	}
	for (p = BOUNDARY - SPAN; p < end; p += PAGE) {
		volatile uint64_t *w = (uint64_t *)p;

		w[0] = value(p);
		w[PAGE / 8 - 1] = ~value(p);
	}
	for (p = BOUNDARY - SPAN; p < end; p += PAGE, pages++) {
		volatile uint64_t *w = (uint64_t *)p;

		mismatches += w[0] != value(p) || w[PAGE / 8 - 1] != ~value(p);
	}
	printf("crossed vRegion boundary: %s\n", start < BOUNDARY && end > BOUNDARY ? "yes" : "no");
	printf("pages=%lu mismatches=%lu\n", pages, mismatches);
	if ((uintptr_t)syscall(SYS_brk, start) != start)
		printf("shrinking the break failed\n");
	else
		printf("break restored\n");
	return mismatches ? 1 : 0;
}
