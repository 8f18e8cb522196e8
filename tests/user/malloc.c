/*
 * malloc: musl's allocator under churn. Thousands of small blocks are allocated,
 * filled, checked, freed and realloc'd in a fixed pseudo-random order (the brk and
 * mmap'd heap), then large blocks grow and shrink by realloc (mremap). Contents are
 * checked after every move. Prints the live blocks' checksums, sorted, and never an
 * address, so the host's output and a vNode's match. Exit 1 on a corrupted block.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NBLOCKS 2048
#define ROUNDS 40000
#define NBIG 4

struct block {
	unsigned char *p;
	size_t len;
	unsigned tag;
};

static struct block blocks[NBLOCKS];
static uint64_t rng = 0x2545f4914f6cdd1dULL;
static unsigned long errors;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned char byte(unsigned tag, size_t i)
{
	return (unsigned char)(tag * 31 + i * 7 + (i >> 8));
}

static void fill(struct block *b, unsigned tag)
{
	b->tag = tag;
	for (size_t i = 0; i < b->len; i++)
		b->p[i] = byte(tag, i);
}

/* The first len bytes hold tag's pattern. */
static void verify(const struct block *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (b->p[i] != byte(b->tag, i)) {
			errors++;
			return;
		}
	}
}

static size_t small_size(void)
{
	uint64_t r = next();

	return r % 64 ? 1 + r % 600 : 1 + r % 65536;	/* now and then a larger one */
}

/* Resize b, check what survives, and refill it. */
static int resize(struct block *b, size_t len, unsigned tag)
{
	unsigned char *p = realloc(b->p, len);
	size_t kept = len < b->len ? len : b->len;

	if (!p)
		return -1;
	b->p = p;
	verify(b, kept);
	b->len = len;
	fill(b, tag);
	return 0;
}

static int churn(void)
{
	for (unsigned r = 1; r <= ROUNDS; r++) {
		struct block *b = &blocks[next() % NBLOCKS];

		if (!b->p) {
			b->len = small_size();
			b->p = malloc(b->len);
			if (!b->p)
				return -1;
			fill(b, r);
		} else if (next() % 3 == 0) {
			verify(b, b->len);
			free(b->p);
			b->p = NULL;
		} else if (resize(b, small_size(), r)) {
			return -1;
		}
	}
	return 0;
}

/* Big blocks, far past musl's mmap threshold: realloc moves them with mremap. */
static int grow_big(void)
{
	static const size_t sizes[] = { 200 << 10, 1 << 20, 3 << 20, 8 << 20, 100 << 10, 2 << 20 };

	for (unsigned k = 0; k < NBIG; k++) {
		struct block *b = &blocks[k];

		for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			if (resize(b, sizes[s] + k * 4096, 1000 + k * 10 + s))
				return -1;
	}
	return 0;
}

static uint64_t checksum(const struct block *b)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ b->len;

	for (size_t i = 0; i < b->len; i++)
		h = (h ^ b->p[i]) * 0x100000001b3ULL;
	return h;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(void)
{
	static uint64_t sums[NBLOCKS];
	uint64_t all = 0, bytes = 0;
	unsigned n = 0;

	for (unsigned k = 0; k < NBLOCKS; k++) {
		if (!blocks[k].p)
			continue;
		verify(&blocks[k], blocks[k].len);
		bytes += blocks[k].len;
		sums[n++] = checksum(&blocks[k]);
	}
	qsort(sums, n, sizeof(sums[0]), cmp);
	for (unsigned i = 0; i < n; i++)
		all = (all ^ sums[i]) * 0x100000001b3ULL;
	printf("live=%u bytes=%llu errors=%lu\n", n, (unsigned long long)bytes, errors);
	for (unsigned i = 0; i < n && i < 4; i++)
		printf("smallest[%u]=%016llx\n", i, (unsigned long long)sums[i]);
	for (unsigned i = n > 4 ? n - 4 : 0; i < n; i++)
		printf("largest[%u]=%016llx\n", n - 1 - i, (unsigned long long)sums[i]);
	printf("sorted=%016llx\n", (unsigned long long)all);
}

int main(void)
{
	if (churn() || grow_big()) {
		printf("out of memory\n");
		return 2;
	}
	report();
	for (unsigned k = 0; k < NBLOCKS; k++)
		free(blocks[k].p);
	return errors ? 1 : 0;
}
