/*
 * Shared by tests/unit/test_gmm.c and test_gmm_copy.c: a gmm on a counting, failable
 * heap, and the free-page estimate of one node.
 */
#ifndef TESTS_UNIT_GMM_TEST_H
#define TESTS_UNIT_GMM_TEST_H

#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "kernel/errno.h"
#include "managers/gmm.h"

#define SEC 1000000000ull
#define TIMEOUT (3 * SEC)

/* malloc with a count of live blocks and an optional failure after n more successes. */
struct heap {
	int live;
	int fail_after;		/* < 0: never fail */
};

static inline void *heap_alloc(void *ctx, size_t size)
{
	struct heap *h = ctx;

	if (h->fail_after == 0)
		return NULL;
	if (h->fail_after > 0)
		h->fail_after--;
	h->live++;
	return malloc(size);
}

static inline void heap_free(void *ctx, void *p)
{
	struct heap *h = ctx;

	h->live--;
	free(p);
}

static struct heap heap;

static inline struct gmm_params params(uint64_t charge)
{
	struct gmm_params p = {
		.timeout_ns = TIMEOUT,
		.charge_pages = charge,
		.nvregions = 128,
		.max_records = 1 << 16,
		.seed = 42,
	};
	return p;
}

static inline void setup(struct gmm *g, uint64_t charge)
{
	struct gmm_params p = params(charge);
	struct gmm_alloc a = { heap_alloc, heap_free, &heap };

	heap.live = 0;
	heap.fail_after = -1;
	CHECK(gmm_init(g, &p, &a) == 0);
}

static inline void teardown(struct gmm *g)
{
	gmm_fini(g);
	CHECK(heap.live == 0);
}

static inline uint64_t free_of(struct gmm *g, uint8_t id)
{
	int i;

	for (i = 0; i < GMM_MAX_NODES; i++)
		if (g->nodes[i].used && g->nodes[i].id == id)
			return g->nodes[i].free;
	CHECK(!"node not registered");
	return 0;
}

#endif
