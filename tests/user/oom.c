/*
 * oom: ask for more memory than any machine here has (1 TiB) through mmap, brk and
 * malloc. Linux's heuristic overcommit refuses such obvious overcommits, and so do
 * Tessera's mComponents: each call must fail with ENOMEM and change nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TIB (1ULL << 40)

int main(void)
{
	void *p = mmap(NULL, TIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t brk0 = (uintptr_t)syscall(SYS_brk, 0);
	uintptr_t brk1 = (uintptr_t)syscall(SYS_brk, brk0 + TIB);
	char *small;

	printf("mmap(1 TiB) = %s\n", p == MAP_FAILED ? strerror(errno) : "mapped");
	printf("brk(+1 TiB) %s\n", brk1 == brk0 ? "unchanged" : "moved");
	printf("malloc(1 TiB) = %s\n", malloc(TIB) ? "memory" : "NULL");
	small = malloc(4096);
	memset(small, 1, 4096);
	printf("malloc(4 KiB) after = %s\n", small && small[4095] == 1 ? "ok" : "broken");
	return 0;
}
