/*
 * memlat PAGES [DIRTY]: time single user accesses with the TSC, for make bench.
 * First touches of PAGES fresh pages (each one a miss: on Tessera an ExCache fetch
 * of a zero-filled page from its mComponent), then re-reads of a few pages touched
 * just before (hits). With DIRTY, that many other pages are written first: with
 * DIRTY at least the ExCache's lines plus PAGES, every timed miss evicts a dirty
 * line and waits for its write-back, as a program paging under pressure does;
 * without, the misses fill free lines. Prints the medians in nanoseconds, the TSC
 * calibrated against CLOCK_MONOTONIC over the run. Its output is for the
 * benchmark, not compared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096
#define HITS 64

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	size_t pages = argc > 1 ? strtoul(argv[1], NULL, 0) : 256;
	size_t dirty = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
	uint64_t *miss = calloc(pages, sizeof(*miss)), hit[HITS];
	volatile uint8_t *buf, *old;
	uint64_t t0, c0, t1, c1;
	double ns_per_tick;

	if (!miss || pages < HITS)
		return 2;
	buf = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 2;
	if (dirty) {
		old = mmap(NULL, dirty * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
		if (old == MAP_FAILED)
			return 2;
		for (size_t i = 0; i < dirty; i++)
			old[i * PAGE] = 1;
	}
	t0 = now_ns();
	c0 = rdtsc();
	for (size_t i = 0; i < pages; i++) {
		uint64_t a = rdtsc();

		(void)buf[i * PAGE];
		miss[i] = rdtsc() - a;
	}
	for (size_t i = 0; i < HITS; i++) {
		volatile uint8_t *p = &buf[(pages - 1 - i % 4) * PAGE];
		uint64_t a;

		(void)*p;
		a = rdtsc();
		(void)*p;
		hit[i] = rdtsc() - a;
	}
	c1 = rdtsc();
	t1 = now_ns();
	ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
	printf("miss_ns=%.0f hit_ns=%.0f pages=%zu dirty=%zu\n", median(miss, pages) * ns_per_tick,
	       median(hit, HITS) * ns_per_tick, pages, dirty);
	return 0;
}
