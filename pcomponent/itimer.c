/*
 * Interval timers (include/pcomponent/itimer.h). Each process keeps its deadline;
 * one kernel thread sleeps until the earliest of them, sends SIGALRM to whoever is
 * due and re-arms periodic timers. A change wakes it to look again.
 */
#include "kernel/errno.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "pcomponent/itimer.h"
#include "pcomponent/signal.h"
#include "pmon.h"

static struct wait_queue itimer_wq;
static bool changed;			/* atomic: a deadline moved */

/* Fire every due timer; the earliest deadline still ahead, or 0. Under proc_lock. */
static uint64_t fire_due(uint64_t now)
{
	uint64_t next = 0;

	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct process *p = proc_at(i);

		if (!p || !p->alarm_at)
			continue;
		if (p->alarm_at <= now) {
			signal_send_locked(p, SIGALRM);
			p->alarm_at = p->alarm_every ? now + p->alarm_every : 0;
		}
		if (p->alarm_at && (!next || p->alarm_at < next))
			next = p->alarm_at;
	}
	return next;
}

static void wake_itimer(struct timer *tm)
{
	thread_wake(tm->arg);
}

static void itimer_main(void *arg)
{
	struct timer tm;

	(void)arg;
	timer_init(&tm, wake_itimer, current());
	for (;;) {
		uint64_t next;

		spin_lock(&proc_lock);
		next = fire_due(clock_ns());
		spin_unlock(&proc_lock);
		if (next)
			timer_arm(&tm, next);
		wait_event(&itimer_wq, __atomic_exchange_n(&changed, false, __ATOMIC_ACQ_REL) ||
				       (next && clock_ns() >= next));
		timer_cancel(&tm);
	}
}

int itimer_init(void)
{
	wait_queue_init(&itimer_wq);
	return thread_create("itimer", itimer_main, NULL, 0) ? 0 : -ENOMEM;
}

void itimer_set(struct process *p, uint64_t value, uint64_t interval, uint64_t *old_value,
		uint64_t *old_interval)
{
	uint64_t now = clock_ns();

	spin_lock(&proc_lock);
	*old_value = p->alarm_at > now ? p->alarm_at - now : 0;
	*old_interval = p->alarm_every;
	p->alarm_at = value ? now + value : 0;
	p->alarm_every = value ? interval : 0;
	spin_unlock(&proc_lock);
	__atomic_store_n(&changed, true, __ATOMIC_RELEASE);
	wake_up_all(&itimer_wq);
}
