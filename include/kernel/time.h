/*
 * Time: a monotonic nanosecond clock (the TSC, calibrated at boot) and per-CPU
 * one-shot timers. There is no periodic tick: an idle CPU with no timer armed
 * takes no interrupts at all.
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/list.h"

#define NSEC_PER_USEC 1000UL
#define NSEC_PER_MSEC 1000000UL
#define NSEC_PER_SEC 1000000000UL

uint64_t clock_ns(void);

struct timer {
	uint64_t deadline;		/* clock_ns() value it fires at */
	void (*fn)(struct timer *t);	/* runs in interrupt context */
	void *arg;			/* for fn */
	struct list_head link;		/* on cpu->timers, guarded by cpu->timer_lock */
	struct cpu *cpu;
};

void timer_init(struct timer *t, void (*fn)(struct timer *t), void *arg);
/* Arm t on this CPU (re-arming moves it). */
void timer_arm(struct timer *t, uint64_t deadline);
void timer_cancel(struct timer *t);
/* The local timer interrupt: run what is due and program the next deadline. */
void timer_interrupt(void);
/* Program this CPU's hardware timer for its next event (a timer or the slice end). */
void timer_reprogram(void);

void sleep_ns(uint64_t ns);

#endif
