/*
 * The ExCache: the only local DRAM user pages live in on a pComponent. A
 * set-associative cache of 4 KiB lines, mapped into address spaces with ordinary page
 * tables, so a hit costs nothing; a miss is a page fault that fetches the page from
 * the vRegion's owner mComponent. pcomponent/excache.c is the cache; the victim
 * policies (excache_fifo.c, excache_clock.c) are portable and tested on the host.
 */
#ifndef PCOMPONENT_EXCACHE_H
#define PCOMPONENT_EXCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net/wire.h"
#include "pcomponent/proto.h"

struct mm;
struct node_config;
struct p2x_exstats;

enum line_state {
	LINE_FREE,		/* holds nothing */
	LINE_BUSY,		/* being evicted and/or filled by one thread */
	LINE_VALID,		/* holds (mm, va), mapped into mm */
};

/* One line. Guarded by the cache lock; the frame behind it by the line's state. */
struct excache_line {
	uint64_t va;			/* page-aligned user address */
	struct mm *mm;			/* whose page it holds (VALID, BUSY) */
	uint64_t seq;			/* fill order, for FIFO */
	uint32_t prot;			/* PROT_* the owner granted */
	uint8_t owner;			/* the mComponent the page came from, and goes back to */
	uint8_t state;			/* enum line_state */
	bool ref;			/* accessed since the policy last looked */
	bool backed;			/* the owner holds the page (not M2P_FETCH_UNBACKED) */
	bool dirty;			/* written by the kernel (the PTE's D bit misses it) */
	/* BUSY: the victim being emptied out and written back while the line fills */
	struct mm *wb_mm;
	uint64_t wb_va;
};

/*
 * A policy picks the line of one set to fill: a free line if there is one, else a
 * valid victim; -1 when every line is busy. hand is the set's private cursor.
 */
typedef int (*excache_victim_fn)(struct excache_line *set, unsigned ways, unsigned *hand);
int excache_fifo_victim(struct excache_line *set, unsigned ways, unsigned *hand);
int excache_clock_victim(struct excache_line *set, unsigned ways, unsigned *hand);

/* Counters, per address space and for the node. */
struct excache_counters {
	uint64_t hits, misses, evictions, writebacks, miss_ns_total;
	uint64_t writeback_errors;	/* write-backs that failed for good: a page lost */
	uint64_t hist[EXCACHE_HIST];	/* miss latency: [2^i, 2^(i+1)) microseconds */
};

/* Carve the cache out of local memory as the node's config says. */
int excache_init(const struct node_config *cfg);
/*
 * Make (mm, va) resident, and writable if write: fetch it from its owner, evicting a
 * victim of its set. 0, or the owner's error (-EFAULT: no mapping, -EACCES: not
 * allowed, -ENOMEM: no memory there) or a transport one.
 */
int excache_fault(struct mm *mm, uint64_t va, bool write);
/* Copy to or from mm's memory through the cache, faulting pages in; 0 or -EFAULT. */
int excache_copy_in(struct mm *mm, void *dst, uint64_t uva, size_t n);
int excache_copy_out(struct mm *mm, uint64_t uva, const void *src, size_t n);
/* Copy n bytes within one resident page, never faulting; -EAGAIN if not resident. */
int excache_peek(struct mm *mm, void *dst, uint64_t uva, size_t n);
/* Evict mm's lines in [start, end); write dirty ones back first when writeback is set. */
void excache_flush(struct mm *mm, uint64_t start, uint64_t end, bool writeback);
/* Forget every line of mm (nobody uses it); waits for evictions of its lines in flight. */
void excache_drop(struct mm *mm);
/* Lines in all and lines in use, without sampling anything (sysinfo asks often). */
void excache_usage(unsigned *lines, unsigned *resident);
/* Counters of mm, or of the node (mm NULL), with the geometry. */
void excache_stats(struct mm *mm, struct p2x_exstats *out);

#endif
