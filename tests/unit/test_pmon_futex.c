/*
 * Host tests for pcomponent/futex.c: argument checks, the value compared under the
 * bucket lock, wake order and bitsets, requeue, timeouts and signals. A sleeper is a
 * futex_wait() whose schedule() runs the next queued step: another sleeper (nested,
 * as another thread) or a waker. Each runs as its own host thread, so thread_wake()'s
 * log tells who was woken.
 */
#include <stdlib.h>
#include "pmon_test.h"
#include "pcomponent/futex.h"

#define U1 (HOST_UBASE + 0x100)
#define U2 (HOST_UBASE + 0x200)
#define WAKER (&host.threads[HOST_THREADS - 1])

static struct mm other_mm = { .id = 2 };

struct sleeper {
	struct thread *t;
	uint64_t uaddr;
	uint32_t val, bitset;
	uint64_t deadline;
	long ret;
	bool done;
};

static struct sleeper a, b, c;

static void sleeper_init(struct sleeper *s, int thread, uint64_t uaddr)
{
	*s = (struct sleeper){ .t = &host.threads[thread], .uaddr = uaddr, .bitset = ~0u,
			       .deadline = FUTEX_FOREVER, .ret = 1 };
}

/* Run s's futex_wait as its thread (from a test, or as a step inside another sleep). */
static void sleep_as(void *arg)
{
	struct sleeper *s = arg;
	struct thread *me = host_switch(s->t);

	s->ret = futex_wait(&test_mm, s->uaddr, s->val, s->deadline, s->bitset);
	s->done = true;
	host_switch(me);
}

static void start(void)
{
	setup();
	sleeper_init(&a, 1, U1);
	sleeper_init(&b, 2, U1);
	sleeper_init(&c, 3, U1);
}

static void finish(void)
{
	CHECK(host.peeks_unlocked == 0);	/* the word is compared under the bucket lock */
	check_clean();
}

/* thread_wake()'s targets since mark are exactly want[0..n). */
static bool woke_since(unsigned mark, struct thread *const *want, unsigned n)
{
	if (host.nwoke != mark + n)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (host.woke[mark + i] != want[i])
			return false;
	return true;
}

static long wake_as_waker(struct mm *mm, uint64_t uaddr, uint32_t n, uint32_t bitset)
{
	struct thread *me = host_switch(WAKER);
	long ret = futex_wake(mm, uaddr, n, bitset);

	host_switch(me);
	return ret;
}

/* ---- arguments ---- */

/* before: *U1 == 1; wait for 0: -EAGAIN at once, nobody queued */
static void wait_on_a_changed_value_is_eagain(void)
{
	start();
	put32(U1, 1);
	CHECK(futex_wait(&test_mm, U1, 0, FUTEX_FOREVER, ~0u) == -EAGAIN);
	CHECK(futex_wait(&test_mm, U1, UINT32_MAX, 100, 1) == -EAGAIN);
	CHECK(host.schedules == 0 && host.timer_arms == 0);
	CHECK(futex_wake(&test_mm, U1, UINT32_MAX, ~0u) == 0);
	finish();
}

/* an address not 4-aligned is -EINVAL for every call, before memory is touched */
static void unaligned_address_is_einval(void)
{
	static const uint64_t bad[] = { U1 + 1, U1 + 2, U1 + 3, UINT64_MAX, 1 };

	start();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(futex_wait(&test_mm, bad[i], 0, FUTEX_FOREVER, ~0u) == -EINVAL);
		CHECK(futex_wake(&test_mm, bad[i], 1, ~0u) == -EINVAL);
		CHECK(futex_requeue(&test_mm, bad[i], 1, U2, 1, true, 0) == -EINVAL);
		CHECK(futex_requeue(&test_mm, U1, 1, bad[i], 1, false, 0) == -EINVAL);
	}
	CHECK(host.copies_in == 0 && host.peeks == 0);
	finish();
}

/* FUTEX_WAIT_BITSET / WAKE_BITSET with an empty bitset: -EINVAL */
static void zero_bitset_is_einval(void)
{
	start();
	CHECK(futex_wait(&test_mm, U1, 0, FUTEX_FOREVER, 0) == -EINVAL);
	CHECK(futex_wake(&test_mm, U1, 1, 0) == -EINVAL);
	CHECK(host.copies_in == 0);
	finish();
}

/* hostile words: unmapped, kernel half, the last word of the address space */
static void unmapped_word_is_efault(void)
{
	static const uint64_t bad[] = { 0, HOST_UEND, 0xffff800000000000ULL,
					UINT64_MAX - 3 };

	start();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(futex_wait(&test_mm, bad[i], 0, FUTEX_FOREVER, ~0u) == -EFAULT);
		CHECK(futex_requeue(&test_mm, bad[i], 1, U2, 1, true, 0) == -EFAULT);
		CHECK(futex_wake(&test_mm, bad[i], 1, ~0u) == 0);
	}
	CHECK(host.schedules == 0);
	finish();
}

/* nobody waits: a wake of 0, 1 or all is 0; so is a requeue */
static void wake_without_waiters_is_zero(void)
{
	start();
	CHECK(futex_wake(&test_mm, U1, 0, ~0u) == 0);
	CHECK(futex_wake(&test_mm, U1, 1, ~0u) == 0);
	CHECK(futex_wake(&test_mm, U1, UINT32_MAX, ~0u) == 0);
	CHECK(futex_requeue(&test_mm, U1, UINT32_MAX, U2, UINT32_MAX, true, 0) == 0);
	CHECK(host.nwoke == 0);
	finish();
}

/* ---- sleeping and waking ---- */

static void wake_a_precisely(void *arg)
{
	unsigned mark = host.nwoke;

	(void)arg;
	CHECK(wake_as_waker(&test_mm, U2, 1, ~0u) == 0);		/* another word */
	CHECK(wake_as_waker(&other_mm, U1, 1, ~0u) == 0);		/* another mm */
	CHECK(wake_as_waker(&test_mm, U1, 1, 0x2) == 0);		/* another bit */
	CHECK(wake_as_waker(&test_mm, U1, 0, ~0u) == 0);		/* n = 0 */
	CHECK(host.nwoke == mark);
	CHECK(wake_as_waker(&test_mm, U1, UINT32_MAX, 0x3) == 1);
	CHECK(woke_since(mark, &a.t, 1));
}

/* before: a sleeps on (mm, U1) with bitset 1; only a wake of that key and bit wakes it */
static void wait_sleeps_until_its_key_is_woken(void)
{
	start();
	a.bitset = 0x1;
	host_defer(wake_a_precisely, NULL);
	sleep_as(&a);
	CHECK(a.done && a.ret == 0);
	CHECK(host.schedules == 1);
	CHECK(futex_wake(&test_mm, U1, 1, ~0u) == 0);	/* it left the queue */
	finish();
}

static void wake_two(void *arg)
{
	struct thread *want[] = { a.t, b.t };
	unsigned mark = host.nwoke;

	(void)arg;
	CHECK(wake_as_waker(&test_mm, U1, 2, ~0u) == 2);
	CHECK(woke_since(mark, want, 2));
}

static void wake_rest(void *arg)
{
	unsigned mark = host.nwoke;

	(void)arg;
	CHECK(!a.done && !b.done && !c.done);
	CHECK(wake_as_waker(&test_mm, U1, UINT32_MAX, ~0u) == 1);
	CHECK(woke_since(mark, &c.t, 1));
}

/* before: a, b, c sleep on U1 in that order; a wake of 2 takes a and b, the next c */
static void wake_takes_sleepers_in_order_up_to_n(void)
{
	start();
	host_defer(sleep_as, &b);
	host_defer(sleep_as, &c);
	host_defer(wake_two, NULL);
	host_defer(wake_rest, NULL);		/* c sleeps on after wake_two */
	sleep_as(&a);
	CHECK(a.ret == 0 && b.ret == 0 && c.ret == 0);
	finish();
}

/* ---- requeue ---- */

static void requeue_mismatch(void *arg)
{
	(void)arg;
	put32(U1, 5);
	CHECK(futex_requeue(&test_mm, U1, 1, U2, 1, true, 0) == -EAGAIN);
	CHECK(futex_requeue(&test_mm, U1, 0, U2, 1, true, 4) == -EAGAIN);
	CHECK(wake_as_waker(&test_mm, U2, 1, ~0u) == 0);	/* nothing moved */
	CHECK(futex_requeue(&test_mm, U1, 0, U2, 1, true, 5) == 1);
	CHECK(wake_as_waker(&test_mm, U2, 1, ~0u) == 1);
}

/* before: a sleeps on U1, which then changes: CMP_REQUEUE with the old value is -EAGAIN */
static void cmp_requeue_on_a_changed_value_is_eagain(void)
{
	start();
	host_defer(requeue_mismatch, NULL);
	sleep_as(&a);
	CHECK(a.ret == 0);
	CHECK(futex_requeue(&test_mm, U1, 1, U2, 1, true, 7) == -EAGAIN);	/* nobody waiting */
	finish();
}

static void requeue_plain(void *arg)
{
	(void)arg;
	put32(U1, 5);
	CHECK(futex_requeue(&test_mm, U1, 0, U2, 1, false, 12345) == 1);
	CHECK(wake_as_waker(&test_mm, U2, 1, ~0u) == 1);
}

/* plain FUTEX_REQUEUE does not compare the value */
static void plain_requeue_ignores_the_value(void)
{
	start();
	host_defer(requeue_plain, NULL);
	sleep_as(&a);
	CHECK(a.ret == 0);
	finish();
}

static void requeue_one_one(void *arg)
{
	unsigned mark = host.nwoke;

	(void)arg;
	CHECK(futex_requeue(&test_mm, U1, 1, U2, 1, true, 0) == 2);	/* woken + moved */
	CHECK(woke_since(mark, &a.t, 1));
	mark = host.nwoke;
	CHECK(wake_as_waker(&test_mm, U1, UINT32_MAX, ~0u) == 1);	/* c stayed */
	CHECK(woke_since(mark, &c.t, 1));
	mark = host.nwoke;
	CHECK(wake_as_waker(&test_mm, U2, UINT32_MAX, ~0u) == 1);	/* b moved */
	CHECK(woke_since(mark, &b.t, 1));
}

/* before: a, b, c on U1; requeue 1 and 1: a woken, b moved to U2, c left on U1 */
static void requeue_wakes_n_then_moves_n2(void)
{
	start();
	host_defer(sleep_as, &b);
	host_defer(sleep_as, &c);
	host_defer(requeue_one_one, NULL);
	sleep_as(&a);
	CHECK(a.ret == 0 && b.ret == 0 && c.ret == 0);
	finish();
}

static void requeue_every_bucket(void *arg)
{
	(void)arg;
	for (uint64_t k = 1; k <= 64; k++) {
		CHECK(futex_requeue(&test_mm, U1, 0, U1 + 4 * k, 1, false, 0) == 1);
		CHECK(futex_requeue(&test_mm, U1 + 4 * k, 0, U1, 1, true, 0) == 1);
	}
	CHECK(wake_as_waker(&test_mm, U1, 1, ~0u) == 1);
}

/*
 * a sleeper moved to each of the next 64 words and back: some share U1's bucket, so
 * requeue within one bucket locks it once (the host stub fails a double lock)
 */
static void requeue_within_one_bucket(void)
{
	start();
	host_defer(requeue_every_bucket, NULL);
	sleep_as(&a);
	CHECK(a.ret == 0);
	finish();
}

static void requeue_to_itself(void *arg)
{
	(void)arg;
	CHECK(futex_requeue(&test_mm, U1, 0, U1, 100, false, 0) == 2);
	CHECK(wake_as_waker(&test_mm, U1, UINT32_MAX, ~0u) == 2);
}

/* before: a and b on U1; a requeue of up to 100 from U1 to U1 counts each sleeper once */
static void requeue_onto_itself_counts_each_sleeper_once(void)
{
	start();
	host_defer(sleep_as, &b);
	host_defer(requeue_to_itself, NULL);
	sleep_as(&a);
	CHECK(a.ret == 0 && b.ret == 0);
	finish();
}

/* ---- timeouts and signals ---- */

static void advance_to_1000(void *arg)
{
	(void)arg;
	CHECK(host.timer && host.timer->deadline == 1000);
	host.now = 1000;			/* schedule() fires the timer after this step */
}

/* before: a sleeps until t=1000; the clock gets there: -ETIMEDOUT, a off the queue */
static void wait_times_out_at_its_deadline(void)
{
	unsigned mark;

	start();
	a.deadline = 1000;
	host_defer(advance_to_1000, NULL);
	mark = host.nwoke;
	sleep_as(&a);
	CHECK(a.ret == -ETIMEDOUT);
	CHECK(host.timer_arms == 1 && host.timer_fires == 1);
	CHECK(host.nwoke > mark && host.woke[mark] == a.t);	/* the timer woke a */
	CHECK(futex_wake(&test_mm, U1, 1, ~0u) == 0);
	finish();
}

static void requeue_then_advance(void *arg)
{
	CHECK(futex_requeue(&test_mm, U1, 0, U2, 1, false, 0) == 1);
	advance_to_1000(arg);
}

/* a sleeper timing out after a requeue leaves its new queue, not the old one */
static void timeout_after_requeue_leaves_the_new_queue(void)
{
	start();
	a.deadline = 1000;
	host_defer(requeue_then_advance, NULL);
	sleep_as(&a);
	CHECK(a.ret == -ETIMEDOUT);
	CHECK(futex_wake(&test_mm, U2, 1, ~0u) == 0);
	CHECK(futex_wake(&test_mm, U1, 1, ~0u) == 0);
	finish();
}

/* a deadline already past is -ETIMEDOUT without a sleep; FUTEX_FOREVER arms no timer */
static void past_deadline_times_out_at_once(void)
{
	start();
	host.now = 5000;
	CHECK(futex_wait(&test_mm, U1, 0, 10, ~0u) == -ETIMEDOUT);
	CHECK(futex_wait(&test_mm, U1, 0, 5000, ~0u) == -ETIMEDOUT);
	CHECK(host.schedules == 0);
	CHECK(futex_wake(&test_mm, U1, 1, ~0u) == 0);
	host.interrupted = true;
	CHECK(futex_wait(&test_mm, U1, 0, FUTEX_FOREVER, ~0u) == -EINTR);
	CHECK(host.timer_arms == 2);
	finish();
}

static void wake_and_advance(void *arg)
{
	(void)arg;
	CHECK(wake_as_waker(&test_mm, U1, 1, ~0u) == 1);
	host.now = 2000;
}

/* woken and past the deadline by the time it runs: the wake counts, 0 */
static void a_wake_beats_a_timeout(void)
{
	start();
	a.deadline = 1000;
	host_defer(wake_and_advance, NULL);
	sleep_as(&a);
	CHECK(a.ret == 0);
	finish();
}

static void signal_a(void *arg)
{
	(void)arg;
	host.interrupted = true;
}

/* a signal pending before or during the sleep: -EINTR, off the queue */
static void a_signal_interrupts_the_wait(void)
{
	start();
	host.interrupted = true;
	CHECK(futex_wait(&test_mm, U1, 0, FUTEX_FOREVER, ~0u) == -EINTR);
	CHECK(host.schedules == 0);
	host.interrupted = false;
	host_defer(signal_a, NULL);
	sleep_as(&a);
	CHECK(a.ret == -EINTR);
	CHECK(futex_wake(&test_mm, U1, 1, ~0u) == 0);
	finish();
}

/* ---- the word leaving the ExCache ---- */

static void wake_a(void *arg)
{
	(void)arg;
	CHECK(wake_as_waker(&test_mm, U1, 1, ~0u) == 1);
}

/* evicted between the faulting read and the locked peek: read again, then compared */
static void word_not_resident_is_read_again(void)
{
	start();
	put32(U1, 3);
	host.peek_misses = 3;
	CHECK(futex_wait(&test_mm, U1, 0, FUTEX_FOREVER, ~0u) == -EAGAIN);
	CHECK(host.copies_in == 4 && host.peeks == 4);
	put32(U1, 0);
	host.peek_misses = 3;
	host_defer(wake_a, NULL);
	sleep_as(&a);
	CHECK(a.ret == 0);
	host.peek_misses = 2;
	host.copies_in = 0;
	CHECK(futex_requeue(&test_mm, U1, 1, U2, 1, true, 0) == 0);
	CHECK(host.copies_in == 3);
	finish();
}

/* evicted at every try: a spurious -EAGAIN (callers retry), never -EFAULT for a good word */
static void word_never_resident_is_eagain(void)
{
	start();
	host.peek_misses = 1000;
	CHECK(futex_wait(&test_mm, U1, 0, FUTEX_FOREVER, ~0u) == -EAGAIN);
	host.peek_misses = 0;
	finish();
}

static const struct unit_test tests[] = {
	TEST(wait_on_a_changed_value_is_eagain),
	TEST(unaligned_address_is_einval),
	TEST(zero_bitset_is_einval),
	TEST(unmapped_word_is_efault),
	TEST(wake_without_waiters_is_zero),
	TEST(wait_sleeps_until_its_key_is_woken),
	TEST(wake_takes_sleepers_in_order_up_to_n),
	TEST(cmp_requeue_on_a_changed_value_is_eagain),
	TEST(plain_requeue_ignores_the_value),
	TEST(requeue_wakes_n_then_moves_n2),
	TEST(requeue_within_one_bucket),
	TEST(wait_times_out_at_its_deadline),
	TEST(timeout_after_requeue_leaves_the_new_queue),
	TEST(past_deadline_times_out_at_once),
	TEST(a_wake_beats_a_timeout),
	TEST(a_signal_interrupts_the_wait),
	TEST(word_not_resident_is_read_again),
	TEST(requeue_onto_itself_counts_each_sleeper_once),
	TEST(word_never_resident_is_eagain),
};

int main(void)
{
	return check_run("pmon_futex", tests, sizeof(tests) / sizeof(tests[0]));
}
