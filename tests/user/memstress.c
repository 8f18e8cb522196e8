/*
 * memstress KIB [SEED [TIMES]]: a KIB-KiB working set (malloc, so musl mmaps it) filled
 * with a pattern derived from SEED, then read back sequentially, with a 4 KiB + 64 B
 * stride that wraps around, and in random order (one access per page per pass),
 * then each page's first word bumped (last page first) and everything read again. Every
 * read is checked; the checksum covers them all. With an ExCache smaller than the working
 * set this exercises misses, evictions and write-backs. Exit 1 on a mismatch.
 * With TIMES 1 each phase's time goes to stderr (`phase=NAME ns=N`, then `total_ns=N`):
 * make bench times the work itself, not the spawn and image upload around it.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "utest.h"

#define PAGE 4096
#define WORDS_PER_PAGE (PAGE / 8)
#define STRIDE ((PAGE + 64) / 8)	/* in words */
#define PASSES 4

static uint64_t seed, checksum, mismatches;
static uint64_t *mem;
static size_t nwords, npages;
static bool times;
static uint64_t phase_start, work_start;

/* Close the phase that began at phase_start: report it if asked, start the next. */
static void phase(const char *name)
{
	uint64_t now = now_ns();

	if (times)
		fprintf(stderr, "phase=%s ns=%llu\n", name,
			(unsigned long long)(now - phase_start));
	phase_start = now;
}

/* splitmix64 of the word's index: the value word i holds. */
static uint64_t pattern(uint64_t i)
{
	uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check(size_t i, uint64_t bump)
{
	uint64_t want = pattern(i) + (i % WORDS_PER_PAGE ? 0 : bump);
	uint64_t got = mem[i];

	mismatches += got != want;
	checksum = (checksum << 7 | checksum >> 57) ^ got;
}

/* Read everything back: sequentially, strided and at random; name says which pass. */
static void read_all(uint64_t bump, const char *name)
{
	size_t i, k;
	uint64_t r = seed | 1;
	char label[32];

	for (i = 0; i < nwords; i++)
		check(i, bump);
	snprintf(label, sizeof(label), "%s_seq", name);
	phase(label);
	for (int pass = 0; pass < PASSES; pass++)
		for (k = 0, i = (size_t)pass; k < npages; k++, i = (i + STRIDE) % nwords)
			check(i, bump);
	snprintf(label, sizeof(label), "%s_stride", name);
	phase(label);
	for (int pass = 0; pass < PASSES; pass++)
		for (k = 0; k < npages; k++)
			check(xorshift(&r) % nwords, bump);
	snprintf(label, sizeof(label), "%s_random", name);
	phase(label);
}

int main(int argc, char **argv)
{
	unsigned long kib = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;

	seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	times = argc > 3 && argv[3][0] == '1';
	if (kib < 4) {
		printf("usage: memstress KIB [SEED [TIMES]] (KIB >= 4)\n");
		return 2;
	}
	npages = kib / 4;
	nwords = npages * WORDS_PER_PAGE;
	work_start = phase_start = now_ns();
	mem = malloc(npages * PAGE);
	if (!mem) {
		printf("malloc of %lu KiB failed\n", kib);
		return 2;
	}
	for (size_t i = 0; i < nwords; i++)
		mem[i] = pattern(i);
	phase("fill");
	read_all(0, "read");
	for (size_t k = npages; k-- > 0;)
		mem[k * WORDS_PER_PAGE]++;
	phase("bump");
	read_all(1, "reread");
	if (times)
		fprintf(stderr, "total_ns=%llu\n", (unsigned long long)(now_ns() - work_start));
	printf("checksum=%016llx mismatches=%llu pages=%zu\n", (unsigned long long)checksum,
	       (unsigned long long)mismatches, npages);
	free(mem);
	return mismatches ? 1 : 0;
}
