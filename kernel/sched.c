/*
 * The scheduler: one run queue per CPU, round-robin with a time slice. A thread
 * stays on the CPU it was created on; waking it from elsewhere sends that CPU a
 * reschedule IPI. With nothing to run, a CPU runs its idle thread, which halts.
 *
 * Switching threads hands the run-queue lock across arch_switch(): schedule()
 * takes it, and whichever thread resumes releases it (finish_switch()).
 */
#define LOG_SUBSYS "sched"
#include "kernel/arch.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "lib/string.h"

static unsigned next_thread_id;

static void copy_name(struct thread *t, const char *name)
{
	size_t n = strlen(name);

	if (n >= sizeof(t->name))
		n = sizeof(t->name) - 1;
	memcpy(t->name, name, n);
	t->name[n] = '\0';
}

/* After a switch, in the resumed thread: release the lock and free a dead thread. */
static void finish_switch(struct cpu *c)
{
	struct thread *dead = c->dead;

	c->dead = NULL;
	spin_unlock(&c->rq_lock);
	if (dead) {
		page_free(dead->stack);
		kfree(dead);
	}
}

/* Every new thread starts here, inside the switch that first chose it. */
static void thread_start(void)
{
	struct thread *t = current();

	finish_switch(t->cpu);
	irq_enable();
	t->fn(t->arg);
	thread_exit();
}

/*
 * Switch to the next runnable thread. preempt: an interrupt took the CPU from prev,
 * which may have marked itself blocked without reaching its own schedule() yet; it
 * stays runnable, or it would be lost if its waker had already run. Its wait loop
 * re-checks the condition, so this is only a spurious wakeup.
 */
static void __schedule(bool preempt)
{
	struct cpu *c = this_cpu();
	unsigned long flags = spin_lock_irqsave(&c->rq_lock);
	struct thread *prev = c->current, *next = c->idle;

	if (preempt && prev->state == THREAD_BLOCKED)
		prev->state = THREAD_RUNNABLE;
	if (prev != c->idle && (prev->state == THREAD_RUNNING || prev->state == THREAD_RUNNABLE)) {
		prev->state = THREAD_RUNNABLE;
		list_add_tail(&prev->rq_link, &c->run_queue);
	}
	if (!list_empty(&c->run_queue)) {
		next = list_first_entry(&c->run_queue, struct thread, rq_link);
		list_del(&next->rq_link);
	}
	c->need_resched = false;
	next->state = THREAD_RUNNING;
	if (next != prev) {
		uint64_t now = clock_ns();

		prev->run_ns += now - prev->ran_since;
		next->ran_since = now;
		c->current = next;
		c->slice_end = now + TIME_SLICE_NS;
		if (prev->state == THREAD_DEAD)
			c->dead = prev;
		arch_thread_switch(prev, next);
		arch_switch(&prev->sp, next->sp);
		c = this_cpu();
		finish_switch(c);
	} else {
		spin_unlock(&c->rq_lock);
	}
	timer_reprogram();
	irq_restore(flags);
}

void schedule(void)
{
	__schedule(false);
}

void sched_preempt_irq(void)
{
	struct cpu *c = this_cpu();

	if (c->need_resched && c->preempt_count == 0)
		__schedule(true);
}

void sched_prepare_block(void)
{
	struct cpu *c = this_cpu();
	unsigned long flags = spin_lock_irqsave(&c->rq_lock);

	c->current->state = THREAD_BLOCKED;
	spin_unlock_irqrestore(&c->rq_lock, flags);
}

/*
 * Make t look at its state soon: wake it if it is blocked, or interrupt its CPU if
 * it is running there (a user thread passes its return-to-user hook on the way back).
 */
void thread_kick(struct thread *t)
{
	struct cpu *c = t->cpu;
	bool running;

	thread_wake(t);
	running = __atomic_load_n(&c->current, __ATOMIC_RELAXED) == t;
	if (running && c != this_cpu())
		arch_send_resched(c->id);
}

uint64_t thread_run_ns(struct thread *t)
{
	unsigned long flags = spin_lock_irqsave(&t->cpu->rq_lock);
	uint64_t ns = t->run_ns;

	if (t->cpu->current == t)
		ns += clock_ns() - t->ran_since;
	spin_unlock_irqrestore(&t->cpu->rq_lock, flags);
	return ns;
}

/* Make t runnable if it is blocked; it runs when its CPU next schedules. */
void thread_wake(struct thread *t)
{
	struct cpu *c = t->cpu;
	unsigned long flags = spin_lock_irqsave(&c->rq_lock);
	bool kick = false;

	if (t->state == THREAD_BLOCKED) {
		t->state = t == c->current ? THREAD_RUNNING : THREAD_RUNNABLE;
		if (t != c->current) {
			list_add_tail(&t->rq_link, &c->run_queue);
			kick = true;
		}
	}
	spin_unlock(&c->rq_lock);
	if (kick && c == this_cpu()) {
		c->need_resched = true;	/* switch at the next interrupt exit... */
		timer_reprogram();	/* ...which comes by the end of the slice */
	} else if (kick) {
		arch_send_resched(c->id);
	}
	irq_restore(flags);
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, unsigned cpu)
{
	struct thread *t = thread_create_stopped(name, fn, arg, cpu);

	if (t)
		thread_wake(t);
	return t;
}

struct thread *thread_create_stopped(const char *name, void (*fn)(void *), void *arg,
				     unsigned cpu)
{
	struct thread *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->stack = page_alloc(THREAD_STACK_ORDER);
	if (!t->stack) {
		kfree(t);
		return NULL;
	}
	copy_name(t, name);
	t->id = __atomic_add_fetch(&next_thread_id, 1, __ATOMIC_RELAXED);
	t->fn = fn;
	t->arg = arg;
	t->cpu = &cpus[cpu < ncpus ? cpu : 0];
	t->sp = arch_stack_init((char *)t->stack + THREAD_STACK_SIZE, thread_start);
	list_init(&t->rq_link);
	t->state = THREAD_BLOCKED;
	return t;
}

void thread_exit(void)
{
	struct cpu *c = this_cpu();
	unsigned long flags = spin_lock_irqsave(&c->rq_lock);

	c->current->state = THREAD_DEAD;
	spin_unlock_irqrestore(&c->rq_lock, flags);
	schedule();
	panic("dead thread %s was scheduled again", c->current->name);
}

void sched_init_cpu(void)
{
	struct cpu *c = this_cpu();
	struct thread *idle = kzalloc(sizeof(*idle));

	if (!idle)
		panic("no memory for the idle thread of cpu %u", c->id);
	spin_init(&c->rq_lock, "run queue");
	list_init(&c->run_queue);
	spin_init(&c->timer_lock, "timers");
	list_init(&c->timers);
	copy_name(idle, "idle");
	idle->cpu = c;
	idle->state = THREAD_RUNNING;
	list_init(&idle->rq_link);
	c->idle = idle;
	c->current = idle;
}

/* The idle loop: halt until an interrupt, then let schedule() pick up any work. */
void sched_idle(void)
{
	struct cpu *c = this_cpu();

	irq_enable();
	for (;;) {
		irq_disable();
		if (list_empty(&c->run_queue) && !c->need_resched)
			arch_idle();
		irq_enable();
		schedule();
	}
}
