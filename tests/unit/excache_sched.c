/*
 * A deterministic scheduler for the ExCache's host tests (excache_host.h). Each
 * simulated CPU is a pthread, but only the one holding the baton (sched.cur, under
 * sched.mu) runs. Every stub excache.c calls is a point where a PRNG seeded by the
 * test may hand the baton to another runnable thread, so a seed is one interleaving
 * and replays exactly: no host timing leaks in. The cost is that interleavings inside
 * a lock-free stretch between two stub calls are not explored; excache.c touches its
 * shared state only under its lock, or in lines it owns (busy), so the points cover
 * what another CPU could see. Time is virtual: each point is a microsecond, a thread
 * that sleeps or waits for the network lets time jump to the next event, and a state
 * where nothing can run and nothing is due is a deadlock, reported as a failure.
 * Spinlocks live here too: a lock held by another thread blocks, a second lock of
 * the same, or a sleep under one, fails the test.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "excache_host.h"

#define POINT_NS 1000			/* virtual time a point takes */
#define MAX_POINTS 20000000ULL		/* a run that takes longer is livelocked */
#define NLOCKS 8
#define TRACE_LEN 4096			/* events kept; EXCACHE_TRACE=1 prints them all */
#define TRACE_SHOWN 40

struct lockrec {
	const struct spinlock *lock;
	struct host_thread *holder;
};

struct trace_ev {
	uint64_t point;
	const char *what;
	uint64_t a, b;
	unsigned thread;
};

static struct {
	pthread_mutex_t mu;		/* the baton: held by whoever runs */
	pthread_cond_t idle;		/* the main thread waits here for the end */
	struct host_thread threads[HOST_THREADS];
	unsigned nthreads, ndone;
	struct host_thread *cur;	/* running now; NULL: the main thread */
	struct host_thread *prefer;
	struct lockrec locks[NLOCKS];
	uint64_t rng, seed, now, points;
	unsigned switch_permille;
	void (*check)(void);
	unsigned check_every;
	bool running;
	const char *label;
	struct trace_ev trace[TRACE_LEN];
	unsigned ntrace;
} sched = { .mu = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER };

/* Who holds a lock taken outside a run: the test's own thread. */
static struct host_thread main_cpu = { .name = "main" };

/* The network's side (excache_host.c): answer what is due; when the next answer is. */
void host_net_poll(uint64_t now);
uint64_t host_net_next(void);

uint64_t host_rand(void)
{
	uint64_t z = (sched.rng += 0x9e3779b97f4a7c15ULL);	/* splitmix64 */

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

unsigned host_below(unsigned n)
{
	return n ? (unsigned)(host_rand() % n) : 0;
}

bool host_chance(unsigned permille)
{
	return host_below(1000) < permille;
}

void (*host_fail_dump)(void);

void host_trace(const char *what, uint64_t a, uint64_t b)
{
	sched.trace[sched.ntrace++ % TRACE_LEN] = (struct trace_ev){
		sched.points, what, a, b, sched.cur ? sched.cur->id : ~0u };
}

static void dump_threads(void)
{
	for (unsigned i = 0; i < sched.nthreads; i++) {
		const struct host_thread *t = &sched.threads[i];

		fprintf(stderr, "  thread %u %s: %s%s, %u locks\n", t->id, t->name,
			t->done ? "done" : t->wake_ns ? "sleeping" : t->ready ? "blocked" :
			"runnable", t == sched.cur ? " (current)" : "", t->locks);
	}
}

void host_fail(const char *fmt, ...)
{
	unsigned shown = getenv("EXCACHE_TRACE") ? TRACE_LEN : TRACE_SHOWN;
	unsigned first = sched.ntrace > shown ? sched.ntrace - shown : 0;
	va_list ap;

	fprintf(stderr, "\nFAIL %s: ", sched.label ? sched.label : "excache host");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  replay: EXCACHE_SEED=%#llx (point %llu, thread %s)\n",
		(unsigned long long)sched.seed, (unsigned long long)sched.points,
		sched.cur ? sched.cur->name : "main");
	dump_threads();
	if (host_fail_dump)
		host_fail_dump();
	fprintf(stderr, "  last events (point thread what a b):\n");
	for (unsigned i = first; i < sched.ntrace; i++) {
		const struct trace_ev *e = &sched.trace[i % TRACE_LEN];

		fprintf(stderr, "    %8llu t%-2d %-22s %#llx %#llx\n",
			(unsigned long long)e->point, (int)e->thread, e->what,
			(unsigned long long)e->a, (unsigned long long)e->b);
	}
	fflush(stderr);
	_exit(1);
}

void host_sched_reset(uint64_t seed, unsigned switch_permille, const char *label)
{
	if (sched.running)
		host_fail("host_sched_reset during a run");
	for (unsigned i = 0; i < sched.nthreads; i++)
		pthread_cond_destroy(&sched.threads[i].cv);
	memset(sched.threads, 0, sizeof(sched.threads));
	memset(sched.locks, 0, sizeof(sched.locks));
	sched.nthreads = sched.ndone = 0;
	sched.cur = sched.prefer = NULL;
	sched.seed = sched.rng = seed;
	sched.now = 1000000;
	sched.points = 0;
	sched.switch_permille = switch_permille;
	sched.check = NULL;
	sched.ntrace = 0;
	sched.label = label;
}

struct host_thread *host_spawn(const char *name, void (*fn)(void *arg), void *arg)
{
	struct host_thread *t;

	if (sched.running || sched.nthreads == HOST_THREADS)
		host_fail("host_spawn: %s", sched.running ? "during a run" : "too many threads");
	t = &sched.threads[sched.nthreads];
	*t = (struct host_thread){ .fn = fn, .arg = arg, .id = sched.nthreads };
	pthread_cond_init(&t->cv, NULL);
	snprintf(t->name, sizeof(t->name), "%s", name);
	sched.nthreads++;
	return t;
}

static bool can_run(struct host_thread *t)
{
	return !t->done && (!t->ready || t->ready(t->ready_arg));
}

/* The earliest time a sleeper wakes or an answer is due; UINT64_MAX if none. */
static uint64_t next_event(void)
{
	uint64_t next = host_net_next();

	for (unsigned i = 0; i < sched.nthreads; i++) {
		const struct host_thread *t = &sched.threads[i];

		if (!t->done && t->wake_ns && t->wake_ns < next)
			next = t->wake_ns;
	}
	return next;
}

/* Who runs next: the preferred thread if it can, else a random runnable one. */
static struct host_thread *pick(void)
{
	for (;;) {
		struct host_thread *cand[HOST_THREADS];
		unsigned n = 0;
		uint64_t next;

		if (sched.prefer && can_run(sched.prefer))
			return sched.prefer;
		for (unsigned i = 0; i < sched.nthreads; i++)
			if (can_run(&sched.threads[i]))
				cand[n++] = &sched.threads[i];
		if (n)
			return cand[host_below(n)];
		next = next_event();
		if (next == UINT64_MAX)
			host_fail("deadlock: no thread can run and nothing is due");
		if (next > sched.now)
			sched.now = next;
		host_net_poll(sched.now);
	}
}

/* Hand the baton to next and wait until it comes back. */
static void switch_to(struct host_thread *next)
{
	struct host_thread *me = sched.cur;

	if (next == me)
		return;
	sched.cur = next;
	pthread_cond_signal(&next->cv);
	while (sched.cur != me)
		pthread_cond_wait(&me->cv, &sched.mu);
}

void host_point(void)
{
	if (!sched.running)
		return;
	sched.now += POINT_NS;
	if (++sched.points > MAX_POINTS)
		host_fail("livelock: %llu points without the run ending", MAX_POINTS);
	host_net_poll(sched.now);
	if (sched.check && sched.points % sched.check_every == 0 && !host_locked())
		sched.check();
	if (sched.prefer && sched.prefer != sched.cur && can_run(sched.prefer))
		switch_to(sched.prefer);
	else if (host_chance(sched.switch_permille))
		switch_to(pick());
}

void host_wait(bool (*ready)(void *arg), void *arg)
{
	struct host_thread *me = sched.cur;

	if (ready(arg))
		return;
	if (!me)
		host_fail("host_wait outside a thread: it would wait forever");
	while (!ready(arg)) {
		me->ready = ready;
		me->ready_arg = arg;
		switch_to(pick());
		me->ready = NULL;
	}
}

static void *thread_main(void *arg)
{
	struct host_thread *t = arg;

	pthread_mutex_lock(&sched.mu);
	while (sched.cur != t)
		pthread_cond_wait(&t->cv, &sched.mu);
	t->fn(t->arg);
	if (t->locks)
		host_fail("thread %s ended holding a spinlock", t->name);
	t->done = true;
	if (++sched.ndone == sched.nthreads) {
		sched.cur = NULL;
		pthread_cond_signal(&sched.idle);
	} else {
		sched.cur = pick();
		pthread_cond_signal(&sched.cur->cv);
	}
	pthread_mutex_unlock(&sched.mu);
	return NULL;
}

void host_run(void)
{
	pthread_mutex_lock(&sched.mu);
	sched.running = true;
	for (unsigned i = 0; i < sched.nthreads; i++)
		if (pthread_create(&sched.threads[i].pt, NULL, thread_main, &sched.threads[i]))
			host_fail("pthread_create");
	if (sched.nthreads) {
		sched.cur = pick();
		pthread_cond_signal(&sched.cur->cv);
	}
	while (sched.ndone < sched.nthreads)
		pthread_cond_wait(&sched.idle, &sched.mu);
	sched.running = false;
	pthread_mutex_unlock(&sched.mu);
	for (unsigned i = 0; i < sched.nthreads; i++)
		pthread_join(sched.threads[i].pt, NULL);
}

void host_prefer(struct host_thread *t)
{
	sched.prefer = t;
}

struct host_thread *host_current(void)
{
	return sched.cur;
}

uint64_t host_now(void)
{
	return sched.now;
}

uint64_t host_points(void)
{
	return sched.points;
}

void host_set_check(void (*fn)(void), unsigned every)
{
	sched.check = every ? fn : NULL;
	sched.check_every = every ? every : 1;
}

bool host_locked(void)
{
	for (unsigned i = 0; i < NLOCKS; i++)
		if (sched.locks[i].holder)
			return true;
	return false;
}

/* ---- kernel/time.h and kernel/spinlock.h ---- */

uint64_t clock_ns(void)
{
	return sched.now;
}

static bool woken(void *arg)
{
	const struct host_thread *t = arg;

	return sched.now >= t->wake_ns;
}

void sleep_ns(uint64_t ns)
{
	struct host_thread *me = sched.cur;

	if (!me)
		host_fail("sleep_ns outside a thread");
	if (me->locks)
		host_fail("sleep_ns under a spinlock");
	host_trace("sleep", ns, 0);
	me->sleeps++;
	host.cover.waits++;
	me->wake_ns = sched.now + (ns ? ns : 1);
	host_wait(woken, me);
	me->wake_ns = 0;
}

static struct lockrec *lockrec(const struct spinlock *l)
{
	struct lockrec *free_rec = NULL;

	for (unsigned i = 0; i < NLOCKS; i++) {
		if (sched.locks[i].lock == l)
			return &sched.locks[i];
		if (!sched.locks[i].lock && !free_rec)
			free_rec = &sched.locks[i];
	}
	if (!free_rec)
		host_fail("too many spinlocks");
	free_rec->lock = l;
	return free_rec;
}

static bool lock_free(void *arg)
{
	return !((struct lockrec *)arg)->holder;
}

void spin_lock(struct spinlock *l)
{
	struct host_thread *me = sched.cur ? sched.cur : &main_cpu;
	struct lockrec *r;

	host_point();
	r = lockrec(l);
	if (r->holder == me)
		host_fail("spinlock %s taken twice (a deadlock on one CPU)", l->name);
	if (r->holder && !sched.running)
		host_fail("spinlock %s left held by a run", l->name);
	host_wait(lock_free, r);
	r->holder = me;
	me->locks++;
	me->acquired++;
}

void spin_unlock(struct spinlock *l)
{
	struct host_thread *me = sched.cur ? sched.cur : &main_cpu;
	struct lockrec *r = lockrec(l);

	if (r->holder != me)
		host_fail("spin_unlock of %s, not held by this thread", l->name);
	r->holder = NULL;
	me->locks--;
	host_point();
}
