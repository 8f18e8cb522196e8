/*
 * holddirty KIB: writes KIB of fresh memory (small enough to stay in the ExCache,
 * so it is held there dirty), prints "dirty", waits for a line on stdin, then makes
 * the range read-only, which writes every dirty page back first, and prints a
 * checksum read back from it. Cutting its mmon off between the two shows what a
 * failed write-back does (tests/integration/test_lost_page.py).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

int main(int argc, char **argv)
{
	size_t len = argc > 1 ? strtoul(argv[1], NULL, 10) * 1024 : 256 * 1024;
	uint64_t sum = 0;
	uint64_t *mem;
	char line[16];

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (size_t i = 0; i < len / 8; i++)
		mem[i] = i * 0x9e3779b97f4a7c15ULL;
	printf("dirty\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	if (mprotect(mem, len, PROT_READ)) {
		perror("mprotect");
		return 3;
	}
	for (size_t i = 0; i < len / 8; i += PAGE / 8)
		sum += mem[i];
	printf("checksum=%016llx\n", (unsigned long long)sum);
	return 0;
}
