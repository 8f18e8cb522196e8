/*
 * The ExCache's miss path under many threads and a random schedule (excache_host.h):
 * processes of one to three threads on one mm load, store, copy in and out, munmap,
 * mmap, flush and exit, on a cache of a few lines far below their working set, under
 * FIFO and CLOCK, while owners answer late and fail now and then. Every load is
 * checked against the program's last store, every page reaching an owner too, the
 * lines against the page tables as the run goes; after a run every line must be free
 * and every counter add up. One run is one seed: a failure prints it, and
 * EXCACHE_SEED=<seed> replays just that run; EXCACHE_RUNS=<n> runs n per test.
 */
#include <stdio.h>
#include "excache_test.h"
#include "kernel/errno.h"
#include "mcomponent/vma.h"

#define RUNS 40				/* per test, unless EXCACHE_RUNS says */
#define SEED_BASE 0xe8cac4e000ULL

struct proc {
	struct host_space *s;		/* threaded: made before the run */
	unsigned npages, lives, ops;
};

struct geometry {
	unsigned nsets, ways;
};

static const struct geometry geometries[] = { { 4, 2 }, { 2, 4 }, { 3, 3 }, { 1, 4 }, { 8, 2 },
					      { 2, 2 } };

/* What a run does; the seed decides the rest. */
struct workload {
	unsigned nprocs_min, nprocs_span;
	unsigned threads_max;		/* per process */
	unsigned threaded_permille;	/* of processes with more than one thread */
	unsigned pages_min, pages_span;
};

static const struct workload mixed = { 3, 4, 3, 400, 4, 9 };
static const struct workload hot = { 2, 2, 3, 1000, 2, 3 };	/* threads on few pages */

static struct proc procs[HOST_THREADS];
static char label[96];
static uint64_t total_points;

static void check_fault(struct host_space *s, unsigned p, unsigned gen, unsigned injected,
			int err, bool write, const char *what)
{
	if (!host_fault_ok(s, p, gen, err, write, injected))
		host_fail("%s of mm %u page %u: %d", what, s->id, p, err);
}

static void op_access(struct host_space *s, unsigned p, bool write)
{
	unsigned off = host_below(PAGE_SIZE), gen = s->page[p].gen;
	unsigned injected = host_current()->injected;
	size_t n = 1 + host_below(write ? 64 : PAGE_SIZE - off);
	uint8_t data[PAGE_SIZE];
	int err;

	if (write && host_chance(100))
		off = 0, n = PAGE_SIZE;
	if (off + n > PAGE_SIZE)
		n = PAGE_SIZE - off;
	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)host_rand();
	err = write ? host_store(s, host_va(p) + off, data, n) : host_load(s, host_va(p) + off, n);
	check_fault(s, p, gen, injected, err, write, write ? "store" : "load");
}

static void op_copy(struct host_space *s, unsigned p, bool out)
{
	uint64_t va = host_va(p) + host_below(PAGE_SIZE), end = host_va(s->npages);
	size_t n = 1 + host_below(2 * PAGE_SIZE);
	uint8_t *src = malloc(n);

	if (va + n > end)
		n = end - va;
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)host_rand();
	if (out)
		host_copy_out(s, va, src, n);
	else
		host_copy_in(s, va, n);
	free(src);
}

/* munmap a few mapped pages, or mmap a few unmapped ones back. */
static void op_layout(struct host_space *s, unsigned p)
{
	unsigned n = 1;

	while (n < 3 && p + n < s->npages && s->page[p + n].mapped == s->page[p].mapped)
		n++;
	if (s->page[p].mapped)
		host_munmap(s, p, n);
	else
		host_mmap(s, p, n);
}

/* A flush with write-back, as mprotect and mremap make: page by page or of every line. */
static void op_flush(struct host_space *s, unsigned p)
{
	unsigned n = 1 + host_below(s->npages - p);

	excache_flush(s->mm, host_va(p), host_va(p + n), true);
}

static void op_stats(struct host_space *s, unsigned p)
{
	struct p2x_exstats st;
	int err;

	if (host_chance(500)) {
		excache_stats(host_chance(500) ? s->mm : NULL, &st);
		if (st.resident > st.lines || st.lines != excache_host_nsets() * st.ways)
			host_fail("excache_stats: %u resident of %u lines", st.resident, st.lines);
		return;
	}
	err = host_peek(s, host_va(p) + 8, 16);
	(void)err;
}

static void one_op(struct host_space *s)
{
	unsigned r = host_below(100), p = host_below(s->npages);

	if (r < 38)
		op_access(s, p, false);
	else if (r < 66)
		op_access(s, p, true);
	else if (r < 75)
		op_copy(s, p, false);
	else if (r < 84)
		op_copy(s, p, true);
	else if (r < 90)
		op_layout(s, p);
	else if (r < 94)
		op_flush(s, p);
	else if (r < 96)
		host_sync(s);
	else
		op_stats(s, p);
}

/* Run ops on s until done or killed, then leave it; the last one out may sync first. */
static void run_ops(struct host_space *s, unsigned ops)
{
	for (unsigned i = 0; i < ops && !host_space_lost(s); i++)
		one_op(s);
	if (s->users == 1 && !host_space_lost(s) && host_chance(500))
		host_sync(s);
	host_space_leave(s);
}

static void worker(void *arg)
{
	struct proc *pr = arg;

	if (pr->s) {
		run_ops(pr->s, pr->ops);
		return;
	}
	for (unsigned life = 0; life < pr->lives; life++)
		run_ops(host_space_new(pr->npages, 1), pr->ops);
}

/* Spawn the processes of one run: threaded ones share a space made now. */
static void spawn(const struct workload *w)
{
	unsigned nprocs = w->nprocs_min + host_below(w->nprocs_span), nthreads = 0;

	for (unsigned i = 0; i < nprocs && nthreads < HOST_THREADS; i++) {
		struct proc *pr = &procs[nthreads];
		unsigned threads = 1;
		char name[32];

		if (host_chance(w->threaded_permille))
			threads = 2 + host_below(w->threads_max - 1);
		if (nthreads + threads > HOST_THREADS)
			break;
		*pr = (struct proc){ .npages = w->pages_min + host_below(w->pages_span),
				     .lives = 1 + host_below(3), .ops = 40 + host_below(120) };
		if (threads > 1)
			pr->s = host_space_new(pr->npages, (int)threads);
		for (unsigned t = 0; t < threads; t++) {
			procs[nthreads + t] = *pr;
			snprintf(name, sizeof(name), "p%u.%u", i, t);
			host_spawn(name, worker, &procs[nthreads + t]);
		}
		nthreads += threads;
	}
}

/* The owners' behaviour and the cache's shape for one run, drawn from its seed. */
static void configure(enum excache_policy policy, const char *what)
{
	static const uint64_t delays[] = { 0, 5000, 40000, 300000 };
	const struct geometry *g = &geometries[host_below(sizeof(geometries) / sizeof(*geometries))];

	host_reset();
	excache_host_init(g->nsets, g->ways, policy);
	host.net.delay_ns = delays[host_below(4)];
	host.net.fetch_fail = host_chance(300) ? 10 : 0;
	host.net.wb_fail = host_chance(500) ? 80 : 0;
	host.ro_last = host_chance(500);
	host_set_check(excache_host_check, 1 + host_below(8));
	snprintf(label + strlen(label), sizeof(label) - strlen(label), " %s %ux%u", what,
		 g->nsets, g->ways);
}

static void run_one(uint64_t seed, enum excache_policy policy, const struct workload *w,
		    const char *what)
{
	static const unsigned switches[] = { 30, 250, 700 };

	snprintf(label, sizeof(label), "excache %s seed %#llx", policy == EXCACHE_FIFO ?
		 "fifo" : "clock", (unsigned long long)seed);
	host_sched_reset(seed, switches[seed % 3], label);
	configure(policy, what);
	spawn(w);
	host_run();
	excache_host_check_idle();
	for (unsigned i = 0; i < host.nspaces; i++)	/* owners fail twice in a row at most */
		if (host.spaces[i]->lost)
			host_fail("mm %u lost a page to failures a retry rides out",
				  host.spaces[i]->id);
	total_points += host_points();
	host_cleanup();
}

/* EXCACHE_SEED replays one run; otherwise RUNS (or EXCACHE_RUNS) seeds from a base. */
static void run_many(enum excache_policy policy, const struct workload *w, const char *what,
		     uint64_t salt)
{
	const char *seed = getenv("EXCACHE_SEED"), *runs = getenv("EXCACHE_RUNS");
	unsigned n = runs ? (unsigned)strtoul(runs, NULL, 0) : RUNS;

	if (seed)
		n = 1;
	memset(&host.cover, 0, sizeof(host.cover));	/* summed over the runs */
	for (unsigned i = 0; i < n; i++)
		run_one(seed ? strtoull(seed, NULL, 0) : SEED_BASE + salt + i * 4 + policy, policy,
			w, what);
	printf("  %s %s: %u runs, %llu points: %llu faults, %llu copies, %llu waits on busy "
	       "lines, %llu exits that waited, %llu write-backs after munmap, %llu+%llu "
	       "failed write-backs+fetches\n", what, policy == EXCACHE_FIFO ? "fifo" : "clock",
	       n, (unsigned long long)total_points, (unsigned long long)host.cover.faults,
	       (unsigned long long)host.cover.copies, (unsigned long long)host.cover.waits,
	       (unsigned long long)host.cover.drop_waits, (unsigned long long)host.cover.wb_unmapped,
	       (unsigned long long)host.cover.wb_failed, (unsigned long long)host.cover.fetch_failed);
}

/* Before: FIFO over a few lines, processes of one to three threads. After: no page lost. */
static void mixed_fifo(void)
{
	run_many(EXCACHE_FIFO, &mixed, "mixed", 0);
}

static void mixed_clock(void)
{
	run_many(EXCACHE_CLOCK, &mixed, "mixed", 0);
}

/* Threads of a few processes all on a handful of pages: the same page faulted at once. */
static void hot_fifo(void)
{
	run_many(EXCACHE_FIFO, &hot, "hot", 0x10000);
}

static void hot_clock(void)
{
	run_many(EXCACHE_CLOCK, &hot, "hot", 0x10000);
}

static const struct unit_test tests[] = {
	TEST(mixed_fifo),
	TEST(mixed_clock),
	TEST(hot_fifo),
	TEST(hot_clock),
};

EXCACHE_MAIN("excache", tests)
