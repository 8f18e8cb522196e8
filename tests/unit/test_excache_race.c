/*
 * The ExCache's races one at a time (excache_host.h): each test steers the
 * deterministic scheduler into one interleaving, by holding an owner's answers or by
 * running a thread first at a chosen point, and states what must then hold. Between
 * steps the cache's invariants are checked at every point. Also: an owner that fails
 * write-backs, and kernel copies of hostile ranges.
 */
#include "excache_test.h"
#include "kernel/errno.h"
#include "mcomponent/vma.h"
#include "net/protocol.h"

#define SEED 0x7e57ULL
#define STEALS 20			/* more than any retry limit a copy could have */

static struct host_space *a, *b;
static struct host_thread *t1, *t2, *thief;
static bool go, released, t1_done;	/* the baton orders every access */
static unsigned steals, armed_at;
static uint64_t hold_va;
static int err1, err2;

static void setup(unsigned nsets, unsigned ways, const char *name)
{
	host_sched_reset(SEED, 300, name);
	host_reset();
	excache_host_init(nsets, ways, EXCACHE_FIFO);
	host_set_check(excache_host_check, 1);
	a = host_space_new(4, 1);
	b = host_space_new(4, 1);
	go = released = t1_done = false;
	steals = armed_at = 0;
	err1 = err2 = 1;
}

static void finish(void)
{
	excache_host_check_idle();
	host_cleanup();
}

static bool flag_set(void *arg)
{
	return *(bool *)arg;
}

static void store_page(struct host_space *s, unsigned p, uint8_t v)
{
	uint8_t data[PAGE_SIZE];

	memset(data, v, sizeof(data));
	EXPECT(host_store(s, host_va(p), data, sizeof(data)) == 0);
}

/* Owners keep every write-back of a's hold_va page until released is set. */
static bool hold_writeback(const struct host_msg *m)
{
	return !released && m->opcode == P2M_WRITEBACK && m->mm == a->id && m->va == hold_va;
}

static bool hold_fetch(const struct host_msg *m)
{
	return !released && m->opcode == P2M_FETCH && m->mm == a->id && m->va == hold_va;
}

/* ---- one process evicts another's line ---- */

static void evict_other_run(void *arg)
{
	(void)arg;
	store_page(a, 0, 0xa0);
	store_page(a, 1, 0xa1);
	EXPECT(host_load(b, host_va(0), 1) == 0);	/* the set is full: a's oldest goes */
	EXPECT(a->mm->stats.evictions == 1 && a->mm->stats.writebacks == 1);
	EXPECT(a->store[0].data[0] == 0xa0 && a->store[0].data[PAGE_SIZE - 1] == 0xa0);
	EXPECT(host_load(a, host_va(0), PAGE_SIZE) == 0);	/* back, as a left it */
	EXPECT(a->mm->stats.misses == 3 && b->mm->stats.misses == 1);
	host_space_leave(a);
	host_space_leave(b);
}

/* Before: a's two dirty pages fill a set of two. After b's miss: a's oldest is home. */
static void evict_other(void)
{
	setup(1, 2, "evict_other");
	host_spawn("t", evict_other_run, NULL);
	host_run();
	CHECK(a->final.evictions == 2 && a->writebacks == 2);
	finish();
}

/* ---- a range flush waits for a line being filled ---- */

static void fill_run(void *arg)
{
	(void)arg;
	err1 = excache_fault(a->mm, hold_va, false);	/* once: no refault after the flush */
	t1_done = true;
	host_space_leave(a);
}

static void flush_run(void *arg)
{
	(void)arg;
	host_wait(flag_set, &go);
	excache_flush(a->mm, hold_va, hold_va + PAGE_SIZE, false);
	EXPECT(released);			/* it could not end while the fill was held */
	EXPECT(!excache_host_refs(a->mm, hold_va, true) && !a->pte[1].present);
	host_space_leave(a);
}

static bool flush_sleeping(void *arg)
{
	(void)arg;
	return t2->sleeps >= 3;
}

/* Hold t1's fetch; start t2's flush; release once the flush has waited three times. */
static void release_run(void *arg)
{
	(void)arg;
	host_wait(flag_set, &go);
	host_wait(flush_sleeping, NULL);
	released = true;
	host_space_leave(b);
}

static bool fetch_held(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < HOST_MSGS; i++)
		if (host.msgs[i].used && hold_fetch(&host.msgs[i]))
			return true;
	return false;
}

static void start_flush_run(void *arg)
{
	(void)arg;
	host_wait(fetch_held, NULL);
	go = true;
}

/* Before: t1's fill of a page is in flight. After: t2's flush of it waited for it. */
static void flush_waits_fill(void)
{
	setup(2, 2, "flush_waits_fill");
	a->users = 2;
	hold_va = host_va(1);
	host.net.hold = hold_fetch;
	t1 = host_spawn("filler", fill_run, NULL);
	t2 = host_spawn("flusher", flush_run, NULL);
	host_spawn("release", release_run, NULL);
	host_spawn("start", start_flush_run, NULL);
	host_run();
	CHECK(err1 == 0 && t1_done);
	finish();
}

/* ---- a flush, a refetch and an exit wait for a victim being written back ---- */

/* a's dirty page 1 is the oldest of a full set; b's miss evicts it, held. */
static void evict_held(void)
{
	store_page(a, 1, 0x5a);
	EXPECT(host_load(a, host_va(3), 1) == 0);
	hold_va = host_va(1);
	host.net.hold = hold_writeback;
}

static bool writeback_held(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < HOST_MSGS; i++)
		if (host.msgs[i].used && hold_writeback(&host.msgs[i]))
			return true;
	return false;
}

static void evictor_run(void *arg)
{
	(void)arg;
	host_wait(flag_set, &go);
	EXPECT(host_load(b, host_va(0), 1) == 0);
	host_space_leave(b);
}

static bool a_sleeping(void *arg)
{
	return ((struct host_thread *)arg)->sleeps >= 3;
}

static void release_when_waiting(void *arg)
{
	host_wait(a_sleeping, arg);
	released = true;
}

static void victim_flush_run(void *arg)
{
	evict_held();
	go = true;
	host_wait(writeback_held, NULL);
	excache_flush(a->mm, hold_va, hold_va + PAGE_SIZE, (bool)arg);
	EXPECT(released && a->writebacks == 1);		/* it landed first */
	EXPECT(host_load(a, hold_va, PAGE_SIZE) == 0);
	host_space_leave(a);
}

/* Before: a's dirty page is on its way home. After: a flush of it waited for that. */
static void flush_waits_writeback(void)
{
	for (int wb = 0; wb < 2; wb++) {
		setup(1, 2, wb ? "flush_waits_writeback(wb)" : "flush_waits_writeback");
		t1 = host_spawn("flusher", victim_flush_run, (void *)(uintptr_t)wb);
		host_spawn("evictor", evictor_run, NULL);
		host_spawn("release", release_when_waiting, t1);
		host_run();
		finish();
	}
}

static void refetch_run(void *arg)
{
	(void)arg;
	evict_held();
	go = true;
	host_wait(writeback_held, NULL);
	EXPECT(host_load(a, hold_va, PAGE_SIZE) == 0);	/* the owner checks it came first */
	EXPECT(released && a->writebacks == 1 && a->fetches == 3);
	host_space_leave(a);
}

/* Before: a's dirty page is on its way home. After: a's refetch of it came after. */
static void refetch_waits_writeback(void)
{
	setup(1, 2, "refetch_waits_writeback");
	t1 = host_spawn("refetch", refetch_run, NULL);
	host_spawn("evictor", evictor_run, NULL);
	host_spawn("release", release_when_waiting, t1);
	host_run();
	finish();
}

static void exit_run(void *arg)
{
	(void)arg;
	evict_held();
	go = true;
	host_wait(writeback_held, NULL);
	host_space_leave(a);		/* excache_drop; then the mm is freed */
	EXPECT(released && a->writebacks == 1);
}

/* Before: a's dirty page is on its way home. After: a's exit waited for it to land. */
static void exit_waits_eviction(void)
{
	setup(1, 2, "exit_waits_eviction");
	t1 = host_spawn("exit", exit_run, NULL);
	host_spawn("evictor", evictor_run, NULL);
	host_spawn("release", release_when_waiting, t1);
	host_run();
	CHECK(a->dead && a->final.evictions == 1 && a->final.writebacks == 1);
	finish();
}

/* ---- two threads of one mm miss on the same page ---- */

static void twin_run(void *arg)
{
	(void)arg;
	host_wait(flag_set, &go);
	err2 = host_load(a, host_va(0), 1);
	host_prefer(NULL);
	host_space_leave(a);
}

static void first_run(void *arg)
{
	(void)arg;
	EXPECT(host_load(b, host_va(0), 1) == 0);
	EXPECT(host_load(b, host_va(1), 1) == 0);	/* a full set: misses take victims */
	err1 = host_load(a, host_va(0), 1);
	host_space_leave(a);
	host_space_leave(b);
}

/* t1 is emptying its victim: t2 misses on the same page now. */
static void twin_on_unmap(struct host_space *s, unsigned page)
{
	(void)page;
	if (s == b && host_current() == t1 && !go) {
		go = true;
		host_prefer(t2);
	}
}

/* Before: t1 claimed a victim's line for a's page. After: t2 waited for that line. */
static void same_page_twice(void)
{
	setup(1, 2, "same_page_twice");
	a->users = 2;
	host.on_unmap = twin_on_unmap;
	t1 = host_spawn("first", first_run, NULL);
	t2 = host_spawn("second", twin_run, NULL);
	host_run();
	CHECK(err1 == 0 && err2 == 0);
	CHECK(a->fetches == 1);			/* one line, one fetch */
	finish();
}

/* ---- a write fault on a read-only (unbacked) line, from two threads ---- */

static void writer_run(void *arg)
{
	(void)arg;
	EXPECT(host_load(a, host_va(0), 1) == 0);	/* mapped read-only, unbacked */
	armed_at = t1->acquired + 1;
	err1 = host_store(a, host_va(0), "one", 3);
	host_wait(flag_set, &t1_done);
	host_sync(a);			/* alone now: every page home, as stored */
	host_space_leave(a);
}

static void other_writer_run(void *arg)
{
	(void)arg;
	host_wait(flag_set, &go);
	err2 = host_store(a, host_va(0) + 8, "two", 3);
	host_prefer(NULL);
	t1_done = true;
	host_space_leave(a);
}

static void leave_b(void *arg)
{
	(void)arg;
	host_space_leave(b);
}

/* t1 found the line unbacked and let the lock go: t2's whole write runs now. */
static void unbacked_check(void)
{
	excache_host_check();
	if (!go && armed_at && host_current() == t1 && t1->acquired >= armed_at) {
		go = true;
		host_prefer(t2);
	}
}

/* Before: a's page is mapped read-only, unbacked. After both write: both writes stay. */
static void unbacked_write_twice(void)
{
	setup(2, 2, "unbacked_write_twice");
	a->users = 2;
	host_set_check(unbacked_check, 1);
	t1 = host_spawn("first", writer_run, NULL);
	t2 = host_spawn("second", other_writer_run, NULL);
	host_spawn("idle", leave_b, NULL);
	host_run();
	CHECK(err1 == 0 && err2 == 0);
	CHECK(!memcmp(a->store[0].data, "one", 3) && !memcmp(a->store[0].data + 8, "two", 3));
	finish();
}

/* ---- a kernel copy whose page is stolen after every fault ---- */

static void copier_run(void *arg)
{
	(void)arg;
	err1 = host_copy_in(a, host_va(2) + 100, 200);
	t1_done = true;
	host_space_leave(a);
}

static bool steal_or_end(void *arg)
{
	(void)arg;
	return go || t1_done;
}

static void thief_run(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !t1_done; i++) {
		host_wait(steal_or_end, NULL);
		if (go)
			EXPECT(host_load(b, host_va(i % 2), 1) == 0);
		go = false;
		host_prefer(NULL);
	}
	host_space_leave(b);
}

/* a's page came in for the copy: the thief takes its line before the copy can. */
static void steal_check(void)
{
	excache_host_check();
	if (!go && steals < STEALS && excache_host_refs(a->mm, host_va(2), true)) {
		steals++;
		go = true;
		host_prefer(thief);
	}
}

/* Before: a one-line cache. After 20 steals in a row: the copy still went through. */
static void copy_outlasts_steals(void)
{
	setup(1, 1, "copy_outlasts_steals");
	host_set_check(steal_check, 1);
	host.spurious_ok = true;
	host_spawn("copier", copier_run, NULL);
	thief = host_spawn("thief", thief_run, NULL);
	host_run();
	CHECK(steals == STEALS);
	CHECK(err1 == 0 && host.spurious == 0);
	finish();
}

/* ---- owners that fail write-backs ---- */

static void owner_down_run(void *arg)
{
	(void)arg;
	store_page(a, 0, 1);		/* owned by node 1 */
	store_page(a, 1, 2);		/* by node 2, which is down */
	store_page(a, 2, 3);		/* evicts page 0: written back */
	EXPECT(a->writebacks == 1 && !host_space_lost(a));
	store_page(a, 3, 4);		/* evicts page 1: three tries, then lost */
	EXPECT(a->wb_tries == 4 && a->mm->lost && a->killed && host.kills == 1);
	EXPECT(a->mm->stats.writeback_errors == 1 && a->mm->stats.writebacks == 1);
	store_page(a, 0, 5);		/* evicts page 2, dirty: a lost mm sends nothing */
	EXPECT(a->wb_tries == 4);
	host_space_leave(a);
	host_space_leave(b);
}

/* Before: node 2 down. After a's page there is evicted: counted, a lost and killed. */
static void failed_owner_loses_mm(void)
{
	struct excache_counters node;
	unsigned resident;

	setup(1, 2, "failed_owner_loses_mm");
	host.net.down[2] = true;
	host_spawn("t", owner_down_run, NULL);
	host_run();
	excache_host_node(&node, &resident);
	CHECK(node.writeback_errors == 1 && node.writebacks == 1);
	CHECK(a->lost && a->killed && !b->killed && host.warnings >= 3);
	CHECK(strstr(host.log, "lost") != NULL);
	finish();
}

static void owner_flaky_run(void *arg)
{
	(void)arg;
	store_page(a, 1, 7);
	store_page(a, 3, 8);
	store_page(a, 0, 9);		/* evicts page 1: fails twice, then lands */
	EXPECT(a->wb_tries == 3 && a->writebacks == 1 && !host_space_lost(a));	/* 2 failed */
	EXPECT(host_load(a, host_va(1), PAGE_SIZE) == 0);
	host_space_leave(a);
	host_space_leave(b);
}

/* Before: node 2 fails two write-backs in a row. After: the third try keeps the page. */
static void flaky_owner_retried(void)
{
	setup(1, 2, "flaky_owner_retried");
	host.net.wb_fail = 1000;	/* at delivery; never a third time */
	host_spawn("t", owner_flaky_run, NULL);
	host_run();
	CHECK(a->final.writeback_errors == 0 && !a->lost && !a->killed);
	finish();
}

static void nomem_run(void *arg)
{
	(void)arg;
	store_page(a, 0, 1);
	store_page(a, 1, 2);
	host.kmalloc_fail = 1;		/* the write-back's buffer */
	store_page(a, 2, 3);
	EXPECT(a->mm->lost && a->killed && a->mm->stats.writeback_errors == 1);
	host_space_leave(a);
	host_space_leave(b);
}

/* Before: no memory for a write-back's buffer. After: not silent, the mm is lost. */
static void writeback_nomem_loses_mm(void)
{
	setup(1, 2, "writeback_nomem_loses_mm");
	host_spawn("t", nomem_run, NULL);
	host_run();
	CHECK(a->lost && a->final.writeback_errors == 1);
	finish();
}

/* ---- hostile copies ---- */

static void hostile_run(void *arg)
{
	uint8_t buf[64] = { 0 };	/* what the pages hold: a copy_out that fails midway */

	(void)arg;
	EXPECT(excache_copy_in(a->mm, buf, 0, 8) == -EFAULT);
	EXPECT(excache_copy_in(a->mm, buf, VMA_MAX - 4, 8) == -EFAULT);
	EXPECT(excache_copy_out(a->mm, ~0ULL - 3, buf, 8) == -EFAULT);
	EXPECT(excache_copy_in(a->mm, buf, HOST_VA, ~(size_t)0) == -EFAULT);
	EXPECT(excache_copy_in(a->mm, buf, host_va(a->npages), 8) == -EFAULT);
	EXPECT(excache_copy_out(a->mm, host_va(a->npages - 1) + PAGE_SIZE - 4, buf, 8) == -EFAULT);
	EXPECT(excache_peek(a->mm, buf, host_va(0) + PAGE_SIZE - 4, 8) == -EINVAL);
	EXPECT(a->fetches == 1 && b->fetches == 0);	/* the last page, once */
	EXPECT(host_munmap(a, 1, 1) == 0);
	EXPECT(host_copy_in(a, host_va(0) + 10, 2 * PAGE_SIZE) == -EFAULT && !host.spurious);
	EXPECT(host_copy_out(a, host_va(1), buf, 8) == -EFAULT && !host.spurious);
	host_space_leave(a);
	host_space_leave(b);
}

/* Copies outside the user range fault nothing in; past the mapping, only -EFAULT. */
static void hostile_copies(void)
{
	setup(2, 2, "hostile_copies");
	host_spawn("t", hostile_run, NULL);
	host_run();
	finish();
}

static const struct unit_test tests[] = {
	TEST(evict_other),
	TEST(flush_waits_fill),
	TEST(flush_waits_writeback),
	TEST(refetch_waits_writeback),
	TEST(exit_waits_eviction),
	TEST(same_page_twice),
	TEST(unbacked_write_twice),
	TEST(copy_outlasts_steals),
	TEST(failed_owner_loses_mm),
	TEST(flaky_owner_retried),
	TEST(writeback_nomem_loses_mm),
	TEST(hostile_copies),
};

EXCACHE_MAIN("excache_race", tests)
