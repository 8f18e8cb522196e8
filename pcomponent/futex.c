/*
 * Futexes (include/pcomponent/futex.h). Sleepers hang on a hash bucket's list. A
 * waiter compares the user word under its bucket's lock, reading the resident
 * line without faulting (the ExCache's lock nests inside); a waker takes the same
 * lock, so a wake after the user word changed can never miss a waiter that saw the
 * old value. When the word is not resident, the waiter faults it in first.
 */
#include "kernel/errno.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "lib/list.h"
#include "pcomponent/futex.h"
#include "pcomponent/mm.h"
#include "pcomponent/process.h"

#define BUCKETS 64
#define PEEK_TRIES 8

struct futex_waiter {
	struct list_head link;		/* bucket lock */
	struct mm *mm;			/* bucket lock: with uaddr, the key */
	uint64_t uaddr;
	uint32_t bitset;
	bool woken;			/* set under the bucket lock, read atomically */
	struct thread *thread;
};

static struct bucket {
	struct spinlock lock;
	struct list_head waiters;
} buckets[BUCKETS];

void futex_init(void)
{
	for (unsigned i = 0; i < BUCKETS; i++) {
		spin_init(&buckets[i].lock, "futex");
		list_init(&buckets[i].waiters);
	}
}

static struct bucket *bucket_of(struct mm *mm, uint64_t uaddr)
{
	return &buckets[(((uint64_t)mm >> 6) ^ (uaddr >> 2) * 0x9e3779b1ULL) % BUCKETS];
}

/* Lock uaddr's bucket with its word read: 0, -EFAULT, or -EAGAIN if it kept leaving. */
static int lock_and_read(struct mm *mm, uint64_t uaddr, struct bucket *b, uint32_t *val)
{
	for (int i = 0; i < PEEK_TRIES; i++) {
		int err;

		if (mm_copy_in(mm, val, uaddr, sizeof(*val)))
			return -EFAULT;
		spin_lock(&b->lock);
		err = excache_peek(mm, val, uaddr, sizeof(*val));
		if (!err)
			return 0;
		spin_unlock(&b->lock);
	}
	return -EAGAIN;			/* as if it changed: the caller looks again */
}

static void wake_waiter(struct timer *tm)
{
	thread_wake(tm->arg);
}

/* Sleep until woken, the deadline or a signal; the waiter is off its list after. */
static long sleep_on(struct futex_waiter *w, uint64_t deadline)
{
	struct timer tm;
	long err = 0;

	timer_init(&tm, wake_waiter, current());
	if (deadline != FUTEX_FOREVER)
		timer_arm(&tm, deadline);
	for (;;) {
		sched_prepare_block();
		if (__atomic_load_n(&w->woken, __ATOMIC_ACQUIRE))
			break;
		if (deadline != FUTEX_FOREVER && clock_ns() >= deadline)
			err = -ETIMEDOUT;
		else if (uthread_interrupted())
			err = -EINTR;
		if (err)
			break;
		schedule();
	}
	thread_wake(current());		/* undo the block if we did not sleep */
	timer_cancel(&tm);
	return err;
}

/*
 * Lock the bucket w is on. A requeue moves a waiter under both buckets' locks, so
 * holding the one its address maps to pins it there.
 */
static struct bucket *lock_own_bucket(struct futex_waiter *w)
{
	for (;;) {
		struct bucket *b = bucket_of(w->mm, __atomic_load_n(&w->uaddr, __ATOMIC_RELAXED));

		spin_lock(&b->lock);
		if (b == bucket_of(w->mm, w->uaddr))
			return b;
		spin_unlock(&b->lock);
	}
}

long futex_wait(struct mm *mm, uint64_t uaddr, uint32_t val, uint64_t deadline,
		uint32_t bitset)
{
	struct futex_waiter w = { .mm = mm, .uaddr = uaddr, .bitset = bitset,
				  .thread = current() };
	struct bucket *b;
	uint32_t now;
	long err;

	if ((uaddr & 3) || !bitset)
		return -EINVAL;
	b = bucket_of(mm, uaddr);
	err = lock_and_read(mm, uaddr, b, &now);
	if (err)
		return err;
	if (now != val) {
		spin_unlock(&b->lock);
		return -EAGAIN;
	}
	list_add_tail(&w.link, &b->waiters);
	spin_unlock(&b->lock);
	err = sleep_on(&w, deadline);
	b = lock_own_bucket(&w);
	if (!w.woken)
		list_del(&w.link);
	else
		err = 0;
	spin_unlock(&b->lock);
	return err;
}

/* Under b's lock: wake up to n of uaddr's sleepers in b; how many. */
static uint32_t wake_some(struct bucket *b, struct mm *mm, uint64_t uaddr, uint32_t n,
			  uint32_t bitset)
{
	struct list_head *l, *tmp;
	uint32_t woke = 0;

	list_for_each_safe(l, tmp, &b->waiters) {
		struct futex_waiter *w = list_entry(l, struct futex_waiter, link);

		if (woke >= n)
			break;
		if (w->mm != mm || w->uaddr != uaddr || !(w->bitset & bitset))
			continue;
		list_del(&w->link);
		__atomic_store_n(&w->woken, true, __ATOMIC_RELEASE);
		thread_wake(w->thread);
		woke++;
	}
	return woke;
}

long futex_wake(struct mm *mm, uint64_t uaddr, uint32_t n, uint32_t bitset)
{
	struct bucket *b = bucket_of(mm, uaddr);
	uint32_t woke;

	if ((uaddr & 3) || !bitset)
		return -EINVAL;
	spin_lock(&b->lock);
	woke = wake_some(b, mm, uaddr, n, bitset);
	spin_unlock(&b->lock);
	return woke;
}

/* Both buckets locked, in address order, so two requeues cannot deadlock. */
static void lock_two(struct bucket *a, struct bucket *b)
{
	if (a > b) {
		struct bucket *t = a;

		a = b;
		b = t;
	}
	spin_lock(&a->lock);
	if (b != a)
		spin_lock(&b->lock);
}

static void unlock_two(struct bucket *a, struct bucket *b)
{
	if (b != a)
		spin_unlock(&b->lock);
	spin_unlock(&a->lock);
}

/* Under both locks: move up to n of uaddr's sleepers to uaddr2; how many. */
static uint32_t move_some(struct bucket *b, struct bucket *b2, struct mm *mm, uint64_t uaddr,
			  uint64_t uaddr2, uint32_t n)
{
	struct list_head *l, *tmp;
	uint32_t moved = 0;

	list_for_each_safe(l, tmp, &b->waiters) {
		struct futex_waiter *w = list_entry(l, struct futex_waiter, link);

		if (moved >= n)
			break;
		if (w->mm != mm || w->uaddr != uaddr)
			continue;
		__atomic_store_n(&w->uaddr, uaddr2, __ATOMIC_RELAXED);
		if (b2 != b) {		/* else it stays put: the walk must not meet it again */
			list_del(&w->link);
			list_add_tail(&w->link, &b2->waiters);
		}
		moved++;
	}
	return moved;
}

long futex_requeue(struct mm *mm, uint64_t uaddr, uint32_t n, uint64_t uaddr2, uint32_t n2,
		   bool cmp, uint32_t val)
{
	struct bucket *b = bucket_of(mm, uaddr), *b2 = bucket_of(mm, uaddr2);
	uint32_t now, done;
	long err;

	if ((uaddr & 3) || (uaddr2 & 3))
		return -EINVAL;
	for (int i = 0; cmp; i++) {
		if (i == PEEK_TRIES)
			return -EAGAIN;
		if (mm_copy_in(mm, &now, uaddr, sizeof(now)))
			return -EFAULT;
		lock_two(b, b2);
		err = excache_peek(mm, &now, uaddr, sizeof(now));
		if (!err)
			break;
		unlock_two(b, b2);
	}
	if (!cmp)
		lock_two(b, b2);
	if (cmp && now != val) {
		unlock_two(b, b2);
		return -EAGAIN;
	}
	done = wake_some(b, mm, uaddr, n, ~0u);
	done += move_some(b, b2, mm, uaddr, uaddr2, n2);
	unlock_two(b, b2);
	return done;
}
