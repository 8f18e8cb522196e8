/*
 * Per-CPU state. Each CPU's %gs base points at its own struct cpu, so this_cpu()
 * is one load; fields are touched only by their own CPU unless a lock is named.
 */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/list.h"
#include "kernel/spinlock.h"

#define MAX_CPUS 64

struct thread;

struct cpu {
	struct cpu *self;		/* %gs:0, read by this_cpu() */
	uint64_t kernel_rsp;		/* %gs:8: stack top of the current thread (syscall) */
	uint64_t user_rsp;		/* %gs:16: scratch for the syscall entry */
	unsigned id;			/* 0 = the boot CPU */
	uint32_t apic_id;
	int preempt_count;		/* spinlocks held; preemption only at 0 */
	bool need_resched;
	volatile bool online;

	struct spinlock rq_lock;	/* guards run_queue, current, thread states */
	struct list_head run_queue;
	struct thread *current;
	struct thread *idle;
	struct thread *dead;		/* exited thread whose stack is freed after the switch */
	uint64_t slice_end;

	struct spinlock timer_lock;	/* guards timers */
	struct list_head timers;	/* sorted by deadline */
	uint64_t ticks;			/* timer interrupts taken */
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned ncpus;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

#endif
