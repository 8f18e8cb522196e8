/*
 * The real-time interval timer of a process (alarm, setitimer ITIMER_REAL): when
 * it runs out the process gets SIGALRM. pcomponent/itimer.c; one pmon thread
 * watches every process's timer, so firing never runs in interrupt context.
 */
#ifndef PCOMPONENT_ITIMER_H
#define PCOMPONENT_ITIMER_H

#include <stdint.h>

struct process;

int itimer_init(void);
/* Arm p's timer to fire in value ns, then every interval ns (0: once; value 0: off);
 * *old_value and *old_interval get what was left of the previous setting. */
void itimer_set(struct process *p, uint64_t value, uint64_t interval, uint64_t *old_value,
		uint64_t *old_interval);

#endif
