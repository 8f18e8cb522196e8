/*
 * Ticket spinlocks. spin_lock() also disables preemption on this CPU; the _irqsave
 * variant additionally masks interrupts, for data that interrupt handlers touch.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <stdint.h>

struct spinlock {
	uint32_t next;		/* ticket handed to the next arrival */
	uint32_t owner;		/* ticket now being served */
	const char *name;
};

#define SPINLOCK_INIT(n) { 0, 0, (n) }

void spin_init(struct spinlock *l, const char *name);
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
unsigned long spin_lock_irqsave(struct spinlock *l);
void spin_unlock_irqrestore(struct spinlock *l, unsigned long flags);

#endif
