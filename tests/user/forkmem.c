/*
 * forkmem: copy-on-write across fork. A parent fills N KiB (argv[1], default 8192),
 * forks; the child must see the parent's data, overwrites it all and exits; the
 * parent's copy must be intact. Twice, the second time after the parent rewrote it.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "utest.h"

static uint64_t *mem;
static size_t words;

static void fill(uint64_t seed)
{
	for (size_t i = 0; i < words; i++)
		mem[i] = (i + 1) * 0x9e3779b97f4a7c15ULL ^ seed;
}

/* A multiply-xorshift hash of the words in order: any changed word changes it. */
static uint64_t checksum(void)
{
	uint64_t h = 0;

	for (size_t i = 0; i < words; i++) {
		h = (h ^ mem[i]) * 0xff51afd7ed558ccdULL;
		h ^= h >> 33;
	}
	return h;
}

/* The parent's memory holds seed `mine`; the child checks it and writes `theirs`. */
static void round_trip(int round, uint64_t mine, uint64_t theirs)
{
	uint64_t sum = checksum();
	int status;
	pid_t pid;

	printf("round %d: parent before fork %016llx\n", round, (unsigned long long)sum);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", errname(errno));
	if (pid == 0) {
		if (checksum() != sum)
			die("child does not see the parent's data");
		fill(theirs);
		printf("round %d: child saw the parent's data, wrote %016llx\n", round,
		       (unsigned long long)checksum());
		exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || status != 0)
		die("child failed: status %#x", status);
	if (checksum() != sum)
		die("round %d: parent's copy changed by the child", round);
	printf("round %d: parent after child %016llx intact\n", round, (unsigned long long)sum);
	fill(mine);
	printf("round %d: parent rewrote %016llx\n", round, (unsigned long long)checksum());
}

int main(int argc, char **argv)
{
	size_t kib = argc > 1 ? strtoul(argv[1], NULL, 0) : 8192;

	words = kib * 1024 / sizeof(uint64_t);
	mem = mmap(NULL, kib * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!words || mem == MAP_FAILED)
		die("cannot map %zu KiB", kib);
	printf("forkmem: %zu KiB\n", kib);
	fill(1);
	round_trip(1, 2, 3);
	round_trip(2, 4, 5);
	return 0;
}
