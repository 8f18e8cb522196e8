/*
 * Futexes (pcomponent/futex.c): a thread sleeps on a user address until another
 * wakes that address. Keyed by address space and address: memory is never shared
 * between address spaces here (fork copies), so private and shared futexes are one.
 */
#ifndef PCOMPONENT_FUTEX_H
#define PCOMPONENT_FUTEX_H

#include <stdbool.h>
#include <stdint.h>

struct mm;

#define FUTEX_FOREVER 0		/* a deadline that never comes */

void futex_init(void);

/*
 * Sleep while *uaddr == val (compared atomically with wakers) until woken through
 * bitset, deadline (clock_ns()) or a signal: 0, -EAGAIN, -ETIMEDOUT, -EINTR, -EFAULT.
 */
long futex_wait(struct mm *mm, uint64_t uaddr, uint32_t val, uint64_t deadline,
		uint32_t bitset);
/* Wake up to n sleepers on uaddr whose bitset meets bitset; how many woke. */
long futex_wake(struct mm *mm, uint64_t uaddr, uint32_t n, uint32_t bitset);
/*
 * Wake up to n sleepers on uaddr and move up to n2 more to uaddr2; with cmp, only
 * if *uaddr still holds val (-EAGAIN otherwise). Woken plus moved.
 */
long futex_requeue(struct mm *mm, uint64_t uaddr, uint32_t n, uint64_t uaddr2, uint32_t n2,
		   bool cmp, uint32_t val);

#endif
