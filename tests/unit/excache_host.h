/*
 * The kernel under the ExCache's host tests (test_excache*.c): a deterministic
 * scheduler of simulated CPUs (excache_sched.c), the stubs pcomponent/excache.c links
 * against, owner mmons that keep every page behind a simulated network
 * (excache_host.c), programs that load and store through fake page tables and keep a
 * model of what they stored (excache_prog.c), and the cache's invariants, checked
 * from inside it (excache_lines.c).
 *
 * Concurrency model: real pthreads, one per simulated CPU, but run one at a time and
 * switched at every stub call by a PRNG from the test's seed, so a failure replays
 * exactly from the seed it prints (EXCACHE_SEED). excache.c keeps its shared state
 * under its lock or in lines it holds busy, so the stub calls are where another CPU
 * could change what it sees; a lock-free data race between two stub calls would not
 * be found here (that is ThreadSanitizer's job, on free-running threads).
 */
#ifndef TESTS_UNIT_EXCACHE_HOST_H
#define TESTS_UNIT_EXCACHE_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/config.h"
#include "kernel/page.h"
#include "pcomponent/excache.h"
#include "pcomponent/mm.h"

/* ---- the scheduler (excache_sched.c) ---- */

#define HOST_THREADS 16

/* A simulated CPU running one thread of a test; only one runs at any time. */
struct host_thread {
	pthread_t pt;
	pthread_cond_t cv;		/* signalled when it is its turn */
	void (*fn)(void *arg);
	void *arg;
	bool (*ready)(void *arg);	/* blocked until ready(ready_arg); NULL: runnable */
	void *ready_arg;
	uint64_t wake_ns;		/* sleeping until then; 0: not sleeping */
	unsigned locks;			/* spinlocks held */
	unsigned injected;		/* failures the network injected into its calls */
	unsigned sleeps, acquired;	/* sleep_ns() calls; spinlocks taken */
	unsigned id;
	bool done;
	char name[16];
};

/* Forget every thread and lock; seed the one PRNG everything draws from. */
void host_sched_reset(uint64_t seed, unsigned switch_permille, const char *label);
struct host_thread *host_spawn(const char *name, void (*fn)(void *arg), void *arg);
/* Run the spawned threads until every one has returned; fails on deadlock. */
void host_run(void);
/* A place where another CPU may run: every stub calls it. */
void host_point(void);
/* Block the current thread until ready(arg) holds (re-checked at every switch). */
void host_wait(bool (*ready)(void *arg), void *arg);
/* Run t whenever it can run, before anyone else (NULL: nobody is preferred). */
void host_prefer(struct host_thread *t);
struct host_thread *host_current(void);
bool host_locked(void);			/* does any thread hold a spinlock? */
uint64_t host_now(void);
uint64_t host_points(void);
/* Call fn at every every-th point where no spinlock is held (0: never). */
void host_set_check(void (*fn)(void), unsigned every);

uint64_t host_rand(void);
unsigned host_below(unsigned n);	/* uniform in [0, n) */
bool host_chance(unsigned permille);

/* A broken property: print it with the seed that replays it and the last events; exit. */
void host_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* What host_fail prints besides the threads and the trace (the cache's lines). */
extern void (*host_fail_dump)(void);
/* Remember an event for host_fail's trace. */
void host_trace(const char *what, uint64_t a, uint64_t b);
/* CHECK() for the simulated threads (check.h's longjmp is the main thread's). */
#define EXPECT(cond)							\
	do {								\
		if (!(cond))						\
			host_fail("%s:%d: expected %s", __FILE__, __LINE__, #cond); \
	} while (0)

/* ---- the network and the owner mmons (excache_host.c) ---- */

#define HOST_NODES 3			/* owners are nodes 1 and 2; 0 is never one */
#define HOST_MSGS 64			/* messages in flight at once */

/* One request on its way to an owner, answered when it is due. */
struct host_msg {
	struct msg_call *call;
	struct host_thread *from;
	uint64_t due;			/* clock_ns() it is answered at */
	const void *req;		/* the caller's buffer, read when it is answered */
	size_t len;
	void *resp;
	size_t resp_max;
	uint64_t sum;			/* of req at the start: it must not change in flight */
	uint32_t mm;
	uint64_t va;
	uint16_t opcode;
	uint8_t peer;
	bool used;
};

struct host_net {
	uint64_t delay_ns;		/* answers come within this (a few come later) */
	unsigned fetch_fail;		/* permille of fetches answered -ETIMEDOUT */
	unsigned wb_fail;		/* permille of write-backs failing, never 3 in a row */
	bool down[HOST_NODES];		/* every write-back to the node fails */
	/* While hold(m) is true, m is not answered. */
	bool (*hold)(const struct host_msg *m);
};

/* ---- address spaces (excache_host.c) and their programs (excache_prog.c) ---- */

#define HOST_VA 0x40000000ULL		/* each space's pages: [HOST_VA, HOST_VA + npages) */
#define HOST_PAGES 24

struct host_pte {
	uint64_t pa;
	bool present, write, accessed, dirty;
};

enum host_pin {
	PIN_NONE,
	PIN_COPY,			/* a kernel copy: nobody else writes the page */
	PIN_FLUX,			/* munmap: nobody touches the page */
};

/* One page as its program sees it: what it last wrote there, what is under way. */
struct host_page {
	uint8_t shadow[PAGE_SIZE];
	bool mapped;			/* munmap clears, mmap sets */
	bool known;			/* shadow is exact; a copy that failed midway clears */
	uint8_t pin;			/* enum host_pin */
	unsigned gen;			/* bumped by munmap and mmap */
	const uint8_t *incoming;	/* PIN_COPY by copy_out: bytes [lo, hi) may be these */
	unsigned lo, hi;
};

/* The page as its owner mmon keeps it. */
struct host_stored {
	uint8_t data[PAGE_SIZE];
	bool mapped, backed;
	uint32_t prot;
};

/* An address space: the mm the cache sees, its page table, program and owner pages. */
struct host_space {
	struct mm *mm;			/* NULL once it exited */
	const struct mm *was;		/* the mm it had, to name it after */
	uint32_t id;
	unsigned npages;
	int users;			/* threads still running on it */
	bool dropping, dead, killed;
	struct excache_counters final;	/* mm->stats at exit */
	bool lost;			/* mm->lost at exit */
	unsigned fetches;		/* fetches answered with the page */
	unsigned writebacks;		/* write-backs stored */
	unsigned wb_tries;		/* write-backs tried, failed or not */
	struct host_pte pte[HOST_PAGES];
	struct host_page page[HOST_PAGES];
	struct host_stored store[HOST_PAGES];
	unsigned wb_fails[HOST_PAGES];	/* write-backs failed in a row (transient ones) */
};

#define HOST_SPACES 64

struct host_state {
	struct host_net net;
	struct host_space *spaces[HOST_SPACES];
	unsigned nspaces;
	long kmallocs;			/* live kmalloc blocks */
	unsigned kmalloc_fail;		/* the n-th kmalloc from now returns NULL */
	struct host_msg msgs[HOST_MSGS];
	unsigned inflight;
	unsigned kills;			/* proc_kill_mm() calls */
	unsigned spurious;		/* copies that failed on pages mapped and readable */
	bool spurious_ok;		/* count them; else each fails the test */
	/* What runs went through, for a summary (host_reset keeps it): the races were met. */
	struct host_cover {
		uint64_t faults, copies;
		uint64_t waits;			/* sleeps on a busy line or set */
		uint64_t drop_waits;		/* exits that waited for an eviction */
		uint64_t wb_unmapped;		/* write-backs that met a munmap first */
		uint64_t wb_failed, fetch_failed;	/* injected */
	} cover;
	bool ro_last;			/* each space's last page is read-only, with content */
	char log[200];			/* the last line excache.c logged */
	unsigned warnings;		/* lines logged at LOG_WARN or worse */
	/* Run at each pgtable_unmap / pgtable_map of (s, page), before it happens. */
	void (*on_unmap)(struct host_space *s, unsigned page);
	void (*on_map)(struct host_space *s, unsigned page);
};

extern struct host_state host;

/* Forget every space and message; the network answers at once and never fails. */
void host_reset(void);
/* Free what the last run left (spaces, messages); fails if a message is in flight. */
void host_cleanup(void);
/* A space of npages pages, mapped read-write at their owners, used by users threads. */
struct host_space *host_space_new(unsigned npages, int users);
/* One of its threads is done; the last one drops it from the cache and frees its mm. */
void host_space_leave(struct host_space *s);
struct host_space *host_space_of(const struct mm *mm);	/* live or not; NULL if unknown */
/* A write-back of it failed for good: its pages may be gone, so nobody checks them. */
bool host_space_lost(const struct host_space *s);
uint64_t host_va(unsigned page);
unsigned host_owner(unsigned page);	/* the node that owns it */

/*
 * The program's loads and stores of n bytes at va, inside one page, as the CPU makes
 * them: through the page table, faulting into the cache until they can. 0, the
 * fault's error, or -ECANCELED when a munmap got in the way. Every load is checked
 * against what the program last stored.
 */
int host_load(struct host_space *s, uint64_t va, size_t n);
int host_store(struct host_space *s, uint64_t va, const void *src, size_t n);
/* excache_copy_in/out of [va, va + n), checked the same way; -ECANCELED if pinned. */
int host_copy_in(struct host_space *s, uint64_t va, size_t n);
int host_copy_out(struct host_space *s, uint64_t va, const void *src, size_t n);
/* excache_peek, checked; -EAGAIN when not resident. */
int host_peek(struct host_space *s, uint64_t va, size_t n);
/* munmap and mmap of pages [first, first + n): the owner first, then the cache. */
int host_munmap(struct host_space *s, unsigned first, unsigned n);
int host_mmap(struct host_space *s, unsigned first, unsigned n);
/* The program's view of [off, off + n) of page p matches data? (known pages only) */
bool host_matches(const struct host_space *s, unsigned p, const uint8_t *data,
		  unsigned off, unsigned n);
/* Write every dirty line of s back; alone on it, every owner page must then match. */
void host_sync(struct host_space *s);
/* Is fault error err, for an access to page p begun at generation gen, legitimate? */
bool host_fault_ok(const struct host_space *s, unsigned p, unsigned gen, int err,
		   bool write, unsigned injected);

/* ---- the cache, seen from inside (excache_lines.c) ---- */

/* A fresh cache of nsets * ways lines under policy; the old one is freed. */
void excache_host_init(unsigned nsets, unsigned ways, enum excache_policy policy);
void excache_host_fini(void);
/* The invariants of lines, page tables and pages (see the file). */
void excache_host_check(void);
/* Lines naming (mm, va) as their page or their victim's; va ~0: any page of mm. */
unsigned excache_host_refs(const struct mm *mm, uint64_t va, bool valid_only);
unsigned excache_host_set(const struct mm *mm, uint64_t va);
unsigned excache_host_nsets(void);
/* What excache_stats(NULL) would say, without sampling; and the resident count. */
void excache_host_node(struct excache_counters *out, unsigned *resident);
/* After a run, with every space gone: every line free, every counter adding up. */
void excache_host_check_idle(void);

#endif
