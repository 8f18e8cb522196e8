/*
 * Shared by tests/unit/test_vma.c and test_vma_ranges.c: a vma space on a counting,
 * failable allocator, and helpers that speak in pages from BASE.
 */
#ifndef TESTS_UNIT_VMA_TEST_H
#define TESTS_UNIT_VMA_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "kernel/errno.h"
#include "kernel/page.h"
#include "mcomponent/vma.h"

#define BASE 0x100000ULL		/* page 0 of the layouts below */
#define MMAP_BASE 0x7f0000000000ULL
#define BRK_START 0x600000ULL
#define ANON_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

/* An allocator that counts live nodes and can be told to fail. */
struct test_alloc {
	long live;
	long allowed;		/* allocations left before failing; -1: never fail */
	long failures;
};

static struct test_alloc ta;
static struct vma_space sp;

static inline void *t_alloc(void *ctx, size_t size)
{
	struct test_alloc *a = ctx;
	void *p;

	if (a->allowed == 0) {
		a->failures++;
		return NULL;
	}
	if (a->allowed > 0)
		a->allowed--;
	p = malloc(size);
	if (p)
		a->live++;
	return p;
}

static inline void t_free(void *ctx, void *p)
{
	struct test_alloc *a = ctx;

	a->live--;
	free(p);
}

static const struct vma_alloc test_vma_alloc = { t_alloc, t_free, &ta };

static inline void setup_with(uint64_t mmap_base, uint64_t brk_start)
{
	ta.live = 0;
	ta.allowed = -1;
	ta.failures = 0;
	CHECK(vma_space_init(&sp, &test_vma_alloc, mmap_base, brk_start) == 0);
}

static inline void setup(void)
{
	setup_with(MMAP_BASE, BRK_START);
}

/* Every node freed, none leaked. */
static inline void teardown(void)
{
	vma_space_fini(&sp);
	CHECK(ta.live == 0);
	CHECK(sp.first == NULL && sp.nr_vmas == 0);
}

#define CHECK_SANE()							\
	do {								\
		const char *why_ = vma_check(&sp);			\
		if (why_)						\
			fprintf(stderr, "vma_check: %s\n", why_);	\
		CHECK(why_ == NULL);					\
		CHECK((long)sp.nr_vmas == ta.live);			\
	} while (0)

static inline uint64_t pg(int64_t n)
{
	return BASE + (uint64_t)n * PAGE_SIZE;
}

static const char *kind_name[VMA_KIND_COUNT] = {
	[VMA_KIND_ANON] = "", [VMA_KIND_TEXT] = " text", [VMA_KIND_DATA] = " data",
	[VMA_KIND_BSS] = " bss", [VMA_KIND_HEAP] = " heap", [VMA_KIND_STACK] = " stack",
};

/* The space as "start-end prot[ kind]" in pages from BASE, e.g. "0-4 rw-, 6-8 r-- heap". */
static inline const char *layout(void)
{
	static char buf[4096];
	const struct vma *v;
	size_t n = 0;

	buf[0] = 0;
	vma_for_each(&sp, v) {
		n += snprintf(buf + n, sizeof(buf) - n, "%s%lld-%lld %c%c%c%s",
			      n ? ", " : "",
			      (long long)(v->start - BASE) / (long long)PAGE_SIZE,
			      (long long)(v->end - BASE) / (long long)PAGE_SIZE,
			      v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
			      v->prot & PROT_EXEC ? 'x' : '-', kind_name[v->kind]);
		CHECK(n < sizeof(buf));
	}
	return buf;
}

#define CHECK_LAYOUT(want)						\
	do {								\
		CHECK_SANE();						\
		CHECK_STREQ(layout(), want);				\
	} while (0)

static inline int mmap_fixed_kind(int64_t p, int64_t n, uint32_t prot, enum vma_kind kind)
{
	uint64_t out = 0;
	int err = vma_mmap(&sp, pg(p), (uint64_t)n * PAGE_SIZE, prot, ANON_FLAGS | MAP_FIXED,
			   kind, 0, &out);

	CHECK(err || out == pg(p));
	return err;
}

static inline int mmap_fixed(int64_t p, int64_t n, uint32_t prot)
{
	return mmap_fixed_kind(p, n, prot, VMA_KIND_ANON);
}

static inline int munmap_pg(int64_t p, int64_t n)
{
	return vma_munmap(&sp, pg(p), (uint64_t)n * PAGE_SIZE);
}

static inline int mprotect_pg(int64_t p, int64_t n, uint32_t prot)
{
	return vma_mprotect(&sp, pg(p), (uint64_t)n * PAGE_SIZE, prot);
}

#endif
