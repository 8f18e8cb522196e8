/*
 * Wait queues: a thread registers itself as a waiter and blocks; wake_up_all()
 * makes every registered waiter runnable, and each re-checks its condition
 * (see wait_event() in include/kernel/sched.h).
 */
#include "kernel/sched.h"

void wait_queue_init(struct wait_queue *wq)
{
	spin_init(&wq->lock, "wait queue");
	list_init(&wq->waiters);
}

/*
 * Register w and mark the thread blocked before the caller tests its condition:
 * a wake-up that lands between the test and schedule() then just cancels the block.
 */
void prepare_to_wait(struct wait_queue *wq, struct waiter *w)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	if (list_empty(&w->link))
		list_add_tail(&w->link, &wq->waiters);
	sched_prepare_block();
	spin_unlock_irqrestore(&wq->lock, flags);
}

void finish_wait(struct wait_queue *wq, struct waiter *w)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	list_del(&w->link);
	spin_unlock_irqrestore(&wq->lock, flags);
	thread_wake(w->thread);		/* undo the block if the condition held at once */
}

void wake_up_all_locked(struct wait_queue *wq)
{
	struct list_head *p;

	list_for_each(p, &wq->waiters)
		thread_wake(list_entry(p, struct waiter, link)->thread);
}

void wake_up_all(struct wait_queue *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	wake_up_all_locked(wq);
	spin_unlock_irqrestore(&wq->lock, flags);
}
