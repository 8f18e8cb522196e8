/*
 * Kernel threads and the scheduler: per-CPU run queues, round-robin with a time
 * slice, a per-CPU idle thread that halts. Threads stay on the CPU they were made on.
 * Wait queues let a thread sleep until another thread or an interrupt wakes it.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/list.h"
#include "kernel/cpu.h"
#include "kernel/spinlock.h"

enum thread_state {
	THREAD_RUNNING,		/* this CPU's current thread */
	THREAD_RUNNABLE,	/* on a run queue */
	THREAD_BLOCKED,		/* waiting for thread_wake() */
	THREAD_DEAD,
};

struct user_ctx;

struct thread {
	void *sp;			/* saved by arch_switch() */
	enum thread_state state;	/* guarded by cpu->rq_lock */
	struct cpu *cpu;		/* fixed at creation */
	struct list_head rq_link;	/* on cpu->run_queue, guarded by cpu->rq_lock */
	void (*fn)(void *arg);
	void *arg;
	void *stack;
	struct user_ctx *user;		/* NULL for a kernel thread; see kernel/user.h */
	uint64_t run_ns;		/* rq_lock of its CPU: time it ran, until its last switch */
	uint64_t ran_since;		/* rq_lock of its CPU: when it last started running */
	unsigned id;
	char name[16];
};

#define THREAD_STACK_ORDER 2		/* 16 KiB kernel stacks */
#define THREAD_STACK_SIZE (4096UL << THREAD_STACK_ORDER)
#define TIME_SLICE_NS 10000000UL

/* Turn the boot context of this CPU into its idle thread; call once per CPU. */
void sched_init_cpu(void);
/* Run the idle loop on this CPU forever (the boot context ends here). */
void sched_idle(void) __attribute__((noreturn));

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, unsigned cpu);
/* The same, blocked: it first runs at a thread_wake(). */
struct thread *thread_create_stopped(const char *name, void (*fn)(void *), void *arg,
				     unsigned cpu);
void thread_exit(void) __attribute__((noreturn));
void thread_wake(struct thread *t);
void thread_kick(struct thread *t);
/* The time t has run, up to now if it runs now. */
uint64_t thread_run_ns(struct thread *t);
void schedule(void);
/* Mark the current thread blocked; the next schedule() sleeps unless a wake came first. */
void sched_prepare_block(void);
/* Called on the way out of an interrupt: switch if a reschedule is due and allowed. */
void sched_preempt_irq(void);

/* For threads that poll: give the CPU up if a woken thread is waiting for it. */
static inline void cond_resched(void)
{
	if (this_cpu()->need_resched)
		schedule();
}

static inline struct thread *current(void)
{
	return this_cpu()->current;
}

struct wait_queue {
	struct spinlock lock;
	struct list_head waiters;
};

struct waiter {
	struct thread *thread;
	struct list_head link;
};

void wait_queue_init(struct wait_queue *wq);
void prepare_to_wait(struct wait_queue *wq, struct waiter *w);
void finish_wait(struct wait_queue *wq, struct waiter *w);
void wake_up_all(struct wait_queue *wq);
/*
 * The same, for a caller that holds wq->lock. A waker whose waiter keeps the wait
 * queue on its own stack must change the waited-for condition and wake under that
 * lock: the waiter's finish_wait() takes the lock too, so it cannot return (and
 * reuse the memory) while the waker still touches the queue.
 */
void wake_up_all_locked(struct wait_queue *wq);

/* Sleep until cond is true; cond is re-checked after every wakeup of wq. */
#define wait_event(wq, cond)						\
	do {								\
		struct waiter __w = { .thread = current() };		\
		list_init(&__w.link);					\
		for (;;) {						\
			prepare_to_wait((wq), &__w);			\
			if (cond)					\
				break;					\
			schedule();					\
		}							\
		finish_wait((wq), &__w);				\
	} while (0)

#endif
