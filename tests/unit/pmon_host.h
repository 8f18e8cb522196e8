/*
 * The kernel under the process monitor's host tests (tests/unit/pmon_host.c): kmalloc
 * that counts and fails on demand, spinlocks that catch a double lock or a sleep under
 * one, a user address space that is a host buffer, a scheduler that runs the next
 * queued step where a thread would sleep, a clock and a timer the tests drive, and
 * stand-ins for what process.c, uthread.c and arch/ give the files under test.
 */
#ifndef TESTS_UNIT_PMON_HOST_H
#define TESTS_UNIT_PMON_HOST_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "kernel/user.h"
#include "pcomponent/process.h"

/* The one user address space: [HOST_UBASE, HOST_UEND), whatever struct mm is passed. */
#define HOST_UBASE 0x400000ULL
#define HOST_USIZE (1u << 20)
#define HOST_UEND (HOST_UBASE + HOST_USIZE)
#define HOST_THREADS 6
#define HOST_STEPS 16
#define HOST_LOCKS 8
#define HOST_WAKES 32

/* What schedule() runs in place of the other threads while the current one sleeps. */
struct host_step {
	void (*fn)(void *arg);
	void *arg;
};

struct host_state {
	/* A broken kernel contract (double lock, sleep under a lock...): the test fails. */
	void (*fail)(const char *why);

	long kmallocs;			/* live kmalloc blocks */
	unsigned fail_alloc;		/* the n-th kmalloc from now returns NULL; 0: none */

	const struct spinlock *held[HOST_LOCKS];
	int locks;			/* spinlocks held right now */

	uint8_t *user;			/* HOST_USIZE bytes at HOST_UBASE */
	uint64_t fault_at;		/* user memory stops here: copies end with -EFAULT */
	unsigned copies_in, copies_out;
	void (*during_copy)(void *arg);	/* run once inside the next copy (another CPU) */
	void *during_copy_arg;
	unsigned peek_misses;		/* excache_peek answers -EAGAIN this many times */
	unsigned peeks, peeks_unlocked;

	struct host_step steps[HOST_STEPS];
	unsigned nsteps, next_step;	/* queued, and run so far */
	unsigned schedules;
	bool interrupted;		/* uthread_interrupted()'s answer */
	uint64_t now;			/* clock_ns() */
	struct timer *timer;		/* the armed timer; schedule() fires it when due */
	unsigned timer_arms, timer_fires;

	struct thread threads[HOST_THREADS];	/* current() is one of them */
	struct thread *woke[HOST_WAKES];	/* thread_wake()'s targets, in order */
	unsigned nwoke;
	struct thread *kicked[HOST_WAKES];	/* thread_kick()'s */
	unsigned nkicked;
	unsigned wake_ups;		/* wake_up_all() calls */
	struct wait_queue *woken_wq;	/* the last one's queue */

	struct process *procs[PROC_MAX];	/* proc_lookup() and proc_at() search these */
	jmp_buf *exit_jmp;		/* proc_exit() and proc_kill() jump here */
	unsigned exits;
	int exit_wstatus;		/* proc_exit()'s */
	int kill_sig;			/* proc_kill()'s */
	uint64_t kill_addr;

	uint8_t fpu[512];		/* what arch_user_fpu_copy() copies out */
	uint8_t fpu_set[512];		/* what arch_user_fpu_set() was last given */
	struct user_ctx *fpu_set_ctx;
	unsigned fpu_sets;

	char log[256];			/* the last line printk printed */
};

extern struct host_state host;

/* Forget everything but live kmalloc blocks: no lock, step, timer, process; zeroed memory. */
void host_reset(void);
/* Queue fn(arg) for the next schedule() that has nothing else to run. */
void host_defer(void (*fn)(void *arg), void *arg);
/* Make t the current thread; the previous one. */
struct thread *host_switch(struct thread *t);
bool host_holds(const struct spinlock *l);
/* The host address of user address uva (which must be in the user memory). */
void *host_uptr(uint64_t uva);

#endif
