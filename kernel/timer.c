/*
 * Per-CPU one-shot timers kept in a list sorted by deadline. The hardware timer
 * is programmed for the earliest of the next timer and, when other threads wait
 * to run, the end of the current time slice; otherwise it is stopped.
 */
#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "kernel/sched.h"
#include "kernel/time.h"

void timer_init(struct timer *t, void (*fn)(struct timer *t), void *arg)
{
	t->deadline = 0;
	t->fn = fn;
	t->arg = arg;
	t->cpu = NULL;
	list_init(&t->link);
}

void timer_reprogram(void)
{
	struct cpu *c = this_cpu();
	unsigned long flags = spin_lock_irqsave(&c->timer_lock);
	uint64_t next = 0;

	if (!list_empty(&c->timers))
		next = list_first_entry(&c->timers, struct timer, link)->deadline;
	if (!list_empty(&c->run_queue) && (next == 0 || c->slice_end < next))
		next = c->slice_end;
	arch_timer_arm(next);
	spin_unlock_irqrestore(&c->timer_lock, flags);
}

void timer_arm(struct timer *t, uint64_t deadline)
{
	struct cpu *c = this_cpu();
	unsigned long flags;
	struct list_head *p;

	timer_cancel(t);
	flags = spin_lock_irqsave(&c->timer_lock);
	t->deadline = deadline ? deadline : 1;
	t->cpu = c;
	list_for_each(p, &c->timers)
		if (list_entry(p, struct timer, link)->deadline > t->deadline)
			break;
	list_add_tail(&t->link, p);	/* before the first later timer */
	spin_unlock_irqrestore(&c->timer_lock, flags);
	timer_reprogram();
}

void timer_cancel(struct timer *t)
{
	struct cpu *c = t->cpu;
	unsigned long flags;

	if (!c)
		return;
	flags = spin_lock_irqsave(&c->timer_lock);
	list_del(&t->link);
	t->cpu = NULL;
	spin_unlock_irqrestore(&c->timer_lock, flags);
}

/* Pop the first timer if it is due by now; NULL otherwise. */
static struct timer *pop_due(struct cpu *c, uint64_t now)
{
	unsigned long flags = spin_lock_irqsave(&c->timer_lock);
	struct timer *t = NULL;

	if (!list_empty(&c->timers)) {
		t = list_first_entry(&c->timers, struct timer, link);
		if (t->deadline <= now) {
			list_del(&t->link);
			t->cpu = NULL;
		} else {
			t = NULL;
		}
	}
	spin_unlock_irqrestore(&c->timer_lock, flags);
	return t;
}

void timer_interrupt(void)
{
	struct cpu *c = this_cpu();
	uint64_t now = clock_ns();
	struct timer *t;

	c->ticks++;
	while ((t = pop_due(c, now)))
		t->fn(t);
	if (now >= c->slice_end && !list_empty(&c->run_queue))
		c->need_resched = true;
	timer_reprogram();
}

static void wake_sleeper(struct timer *t)
{
	thread_wake(t->arg);
}

void sleep_ns(uint64_t ns)
{
	uint64_t deadline = clock_ns() + ns;
	struct timer t;

	timer_init(&t, wake_sleeper, current());
	while (clock_ns() < deadline) {
		sched_prepare_block();
		timer_arm(&t, deadline);
		schedule();
	}
	timer_cancel(&t);
}
