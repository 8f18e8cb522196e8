/*
 * Host stand-ins for the kernel services pcomponent/file.c, pipe.c, futex.c and
 * signal.c use, defined against the real kernel headers so those files link
 * unchanged (tests/unit/pmon_host.h). current() reads %gs:0, so the host thread's GS
 * base points at a struct cpu of ours. What would sleep runs a queued step instead.
 */
#include <asm/prctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "kernel/user.h"
#include "mcomponent/vma.h"
#include "pcomponent/mm.h"
#include "../../pcomponent/pmon.h"
#include "pmon_host.h"

struct host_state host;
struct spinlock proc_lock = SPINLOCK_INIT("proc");

static struct cpu host_cpu;
static uint8_t user_mem[HOST_USIZE] __attribute__((aligned(4096)));

/* Report a broken contract through the test's hook; never returns. */
static void __attribute__((noreturn)) fail(const char *why)
{
	if (host.fail)
		host.fail(why);
	fprintf(stderr, "pmon_host: %s\n", why);
	abort();
}

__attribute__((constructor)) static void host_boot(void)
{
	host_cpu.self = &host_cpu;
	host_cpu.current = &host.threads[0];
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)&host_cpu)) {
		perror("pmon_host: arch_prctl(ARCH_SET_GS)");
		abort();
	}
	host.user = user_mem;
	host.fault_at = HOST_UEND;
}

void host_reset(void)
{
	long kmallocs = host.kmallocs;

	memset(&host, 0, sizeof(host));
	host.kmallocs = kmallocs;
	host.user = user_mem;
	memset(user_mem, 0, sizeof(user_mem));
	host.fault_at = HOST_UEND;
	for (unsigned i = 0; i < HOST_THREADS; i++)
		host.threads[i].id = i;
	host_cpu.current = &host.threads[0];
	spin_init(&proc_lock, "proc");
}

void host_defer(void (*fn)(void *arg), void *arg)
{
	if (host.nsteps == HOST_STEPS)
		fail("too many deferred steps");
	host.steps[host.nsteps++] = (struct host_step){ fn, arg };
}

struct thread *host_switch(struct thread *t)
{
	struct thread *old = host_cpu.current;

	host_cpu.current = t;
	return old;
}

bool host_holds(const struct spinlock *l)
{
	for (int i = 0; i < host.locks; i++)
		if (host.held[i] == l)
			return true;
	return false;
}

void *host_uptr(uint64_t uva)
{
	if (uva < HOST_UBASE || uva >= HOST_UEND)
		fail("host_uptr: not in the user memory");
	return host.user + (uva - HOST_UBASE);
}

/* ---- memory ---- */

void *kmalloc(size_t size)
{
	void *p;

	if (host.fail_alloc && --host.fail_alloc == 0)
		return NULL;
	p = malloc(size);
	host.kmallocs += p != NULL;
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	return p ? memset(p, 0, size) : NULL;
}

void kfree(void *p)
{
	host.kmallocs -= p != NULL;
	free(p);
}

/* ---- locks, threads, wait queues, time ---- */

void spin_init(struct spinlock *l, const char *name)
{
	*l = (struct spinlock)SPINLOCK_INIT(name);
}

void spin_lock(struct spinlock *l)
{
	if (host_holds(l))
		fail("spinlock taken twice (a deadlock on one CPU)");
	if (host.locks == HOST_LOCKS)
		fail("too many spinlocks held");
	host.held[host.locks++] = l;
}

void spin_unlock(struct spinlock *l)
{
	for (int i = 0; i < host.locks; i++) {
		if (host.held[i] == l) {
			host.held[i] = host.held[--host.locks];
			return;
		}
	}
	fail("spin_unlock of a lock not held");
}

/* The current thread sleeps: the next step runs (as other threads would), then timers. */
void schedule(void)
{
	struct host_step s;

	host.schedules++;
	if (host.locks)
		fail("schedule() under a spinlock");
	if (host.next_step == host.nsteps)
		fail("schedule() with no step queued: the thread would sleep forever");
	s = host.steps[host.next_step++];
	s.fn(s.arg);
	if (host.timer && host.now >= host.timer->deadline) {
		struct timer *t = host.timer;

		host.timer = NULL;
		host.timer_fires++;
		t->fn(t);
	}
}

void sched_prepare_block(void)
{
}

void thread_wake(struct thread *t)
{
	if (host.nwoke < HOST_WAKES)
		host.woke[host.nwoke++] = t;
}

void thread_kick(struct thread *t)
{
	if (host.nkicked < HOST_WAKES)
		host.kicked[host.nkicked++] = t;
}

bool uthread_interrupted(void)
{
	return host.interrupted;
}

void wait_queue_init(struct wait_queue *wq)
{
	spin_init(&wq->lock, "wq");
	list_init(&wq->waiters);
}

void prepare_to_wait(struct wait_queue *wq, struct waiter *w)
{
	if (list_empty(&w->link))
		list_add_tail(&w->link, &wq->waiters);
}

void finish_wait(struct wait_queue *wq, struct waiter *w)
{
	(void)wq;
	list_del(&w->link);
}

void wake_up_all(struct wait_queue *wq)
{
	host.wake_ups++;
	host.woken_wq = wq;
}

uint64_t clock_ns(void)
{
	return host.now;
}

void timer_init(struct timer *t, void (*fn)(struct timer *t), void *arg)
{
	*t = (struct timer){ .fn = fn, .arg = arg };
	list_init(&t->link);
}

void timer_arm(struct timer *t, uint64_t deadline)
{
	if (host.timer && host.timer != t)
		fail("a second timer armed (the host runs one)");
	t->deadline = deadline;
	host.timer = t;
	host.timer_arms++;
}

void timer_cancel(struct timer *t)
{
	if (host.timer == t)
		host.timer = NULL;
}

/* ---- user memory ---- */

/*
 * Copy what lies inside the user memory, below fault_at, as the ExCache copies page
 * by page; -EFAULT if that is not all, or if the range is not one of user addresses
 * at all (even empty: the ExCache refuses those too). These may fetch over the
 * network: never under a spinlock.
 */
static int user_copy(void *dst, const void *src, uint64_t uva, size_t n, bool out)
{
	uint64_t lim = host.fault_at < HOST_UEND ? host.fault_at : HOST_UEND;
	size_t k = 0;

	if (host.locks)
		fail("user memory copied under a spinlock");
	if (uva < VMA_MIN || uva > VMA_MAX || n > VMA_MAX - uva)
		return -EFAULT;
	if (host.during_copy) {
		void (*fn)(void *) = host.during_copy;

		host.during_copy = NULL;
		fn(host.during_copy_arg);
	}
	if (uva >= HOST_UBASE && uva < lim)
		k = n < lim - uva ? n : lim - uva;
	if (k && out)
		memcpy(host.user + (uva - HOST_UBASE), src, k);
	else if (k)
		memcpy(dst, host.user + (uva - HOST_UBASE), k);
	return k == n ? 0 : -EFAULT;
}

int mm_copy_in(struct mm *mm, void *dst, uint64_t uva, size_t n)
{
	if (!mm)
		fail("mm_copy_in without an mm");
	host.copies_in++;
	return user_copy(dst, NULL, uva, n, false);
}

int mm_copy_out(struct mm *mm, uint64_t uva, const void *src, size_t n)
{
	if (!mm)
		fail("mm_copy_out without an mm");
	host.copies_out++;
	return user_copy(NULL, src, uva, n, true);
}

/* Resident unless told otherwise; never faults, so callers may hold a lock. */
int excache_peek(struct mm *mm, void *dst, uint64_t uva, size_t n)
{
	uint64_t lim = host.fault_at < HOST_UEND ? host.fault_at : HOST_UEND;

	(void)mm;
	host.peeks++;
	host.peeks_unlocked += host.locks == 0;
	if (host.peek_misses) {
		host.peek_misses--;
		return -EAGAIN;
	}
	if (uva < HOST_UBASE || uva >= lim || n > lim - uva)
		return -EAGAIN;
	memcpy(dst, host.user + (uva - HOST_UBASE), n);
	return 0;
}

/* ---- the FPU ---- */

void arch_user_fpu_copy(struct user_ctx *u)
{
	memcpy(u->fpu, host.fpu, sizeof(u->fpu));
}

void arch_user_fpu_set(struct user_ctx *u, const void *fx)
{
	memcpy(host.fpu_set, fx, sizeof(host.fpu_set));
	host.fpu_set_ctx = u;
	host.fpu_sets++;
}

/* ---- process.c and exit.c ---- */

struct process *proc_lookup(uint32_t pid)
{
	if (!host_holds(&proc_lock))
		fail("proc_lookup without proc_lock");
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (host.procs[i] && host.procs[i]->pid == pid)
			return host.procs[i];
	return NULL;
}

struct process *proc_at(unsigned slot)
{
	if (!host_holds(&proc_lock))
		fail("proc_at without proc_lock");
	return slot < PROC_MAX ? host.procs[slot] : NULL;
}

struct uthread *proc_thread(struct process *p, uint32_t tid)
{
	struct list_head *l;

	if (!host_holds(&proc_lock))
		fail("proc_thread without proc_lock");
	list_for_each(l, &p->threads) {
		struct uthread *t = list_entry(l, struct uthread, link);

		if (t->tid == tid)
			return t;
	}
	return NULL;
}

static void __attribute__((noreturn)) leave(void)
{
	if (host.locks)
		fail("the process ends holding a spinlock");
	if (!host.exit_jmp)
		fail("the process ended with nowhere to return");
	longjmp(*host.exit_jmp, 1);
}

void proc_exit(int wstatus)
{
	host.exits++;
	host.exit_wstatus = wstatus;
	leave();
}

void proc_kill(int sig, const char *why, uint64_t addr)
{
	host.exits++;
	host.kill_sig = sig;
	host.kill_addr = addr;
	snprintf(host.log, sizeof(host.log), "%s", why);
	leave();
}

/* ---- the console ---- */

void printk(enum log_level level, const char *subsys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(host.log, sizeof(host.log), fmt, ap);
	va_end(ap);
	if (getenv("PMON_LOG"))
		fprintf(stderr, "[%d %s] %s\n", level, subsys, host.log);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(host.log, sizeof(host.log), fmt, ap);
	va_end(ap);
	fail(host.log);
}
