/*
 * Global memory manager placement policy: which mComponent is a process's home and which
 * owns (and backs up) each active vRegion. Portable: gmon wires it to RPCs; tested on the host.
 */
#ifndef MANAGERS_GMM_H
#define MANAGERS_GMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GMM_MAX_NODES 64		/* mComponents one gmm tracks */
#define GMM_NONE 0xff			/* "no node": a missing backup, a lost owner */
#define GMM_MM_MAX 0x3fffff		/* mm ids are 1..GMM_MM_MAX: a pmon id (< 64) above a 16-bit sequence */
#define GMM_VREGIONS_MAX (1u << 20)	/* bound on params.nvregions */
#define GMM_RECORDS_MAX (1u << 24)	/* bound on params.max_records */

/* Where the placement table's memory comes from (kheap on gmon, malloc in tests). */
struct gmm_alloc {
	void *(*alloc)(void *ctx, size_t size);	/* NULL on failure */
	void (*free)(void *ctx, void *p);
	void *ctx;
};

struct gmm_params {
	uint64_t timeout_ns;	/* a node silent this long is not eligible; > 0 */
	uint64_t charge_pages;	/* expected footprint of one placement, see gmm.c; may be 0 */
	uint32_t nvregions;	/* vRegions per address space: indexes 0..nvregions-1 */
	uint32_t max_records;	/* bound on placements held (homes + vRegions) */
	uint64_t seed;		/* PRNG seed; 0 is replaced by a fixed constant */
	bool no_backups;	/* replication off: vRegions get an owner only */
};

/* One registered mComponent. */
struct gmm_node {
	bool used;		/* slot holds a registered node */
	uint8_t id;		/* node id, never GMM_NONE */
	uint64_t capacity;	/* pages, as registered */
	uint64_t free;		/* pages: last report, minus charges since */
	uint64_t heard_ns;	/* time of registration or the latest report */
};

/* One placement: a process's home (idx GMM_IDX_HOME) or one vRegion's owner and backup. */
struct gmm_rec {
	uint64_t key;		/* mm << 32 | idx: the table is sorted by it */
	uint8_t owner;		/* GMM_NONE once lost to gmm_node_down() */
	uint8_t backup;		/* GMM_NONE: none */
};

/*
 * Not locked: the caller (gmon's manager thread) serialises every call on one gmm.
 * Nothing here is global; the caller owns the struct.
 */
struct gmm {
	struct gmm_params p;
	struct gmm_alloc a;
	uint64_t rng;			/* xorshift64* state, never 0 */
	struct gmm_node nodes[GMM_MAX_NODES];
	struct gmm_rec *recs;		/* sorted by key; from a.alloc, NULL when cap 0 */
	size_t nrecs;
	size_t cap;
};

int gmm_init(struct gmm *g, const struct gmm_params *p, const struct gmm_alloc *a);
void gmm_fini(struct gmm *g);

int gmm_register(struct gmm *g, uint8_t node, uint64_t capacity_pages, uint64_t now);
int gmm_report(struct gmm *g, uint8_t node, uint64_t free_pages, uint64_t now);
int gmm_node_down(struct gmm *g, uint8_t node);
bool gmm_eligible(const struct gmm *g, uint8_t node, uint64_t now);

int gmm_place_home(struct gmm *g, uint32_t mm, uint64_t now, uint8_t *home);
int gmm_pick(struct gmm *g, uint64_t now, uint8_t *node);
int gmm_place_vregion(struct gmm *g, uint32_t mm, uint32_t vregion, uint64_t now,
		      uint8_t *owner, uint8_t *backup);
int gmm_lookup(const struct gmm *g, uint32_t mm, uint32_t vregion,
	       uint8_t *owner, uint8_t *backup);
int gmm_release(struct gmm *g, uint32_t mm);
/* Records a restarted gmon hears from the nodes: 1 taken, 0 one stands already. */
int gmm_restore_home(struct gmm *g, uint32_t mm, uint8_t home);
int gmm_restore_vregion(struct gmm *g, uint32_t mm, uint32_t vregion, uint8_t owner,
			uint8_t backup);
/* Every mm id first..last: a pmon's whole range when it dies. */
int gmm_release_range(struct gmm *g, uint32_t first, uint32_t last);
int gmm_copy(struct gmm *g, uint32_t from, uint32_t to);

#endif
