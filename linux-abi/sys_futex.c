/*
 * futex(2): WAIT and WAKE (with or without a bitset), REQUEUE and CMP_REQUEUE, the
 * operations pthreads in musl and glibc use. The wait queues are pmon's
 * (include/pcomponent/futex.h); this file decodes the operation and the timeout.
 */
#include "kernel/errno.h"
#include "kernel/time.h"
#include "pcomponent/futex.h"
#include "syscalls.h"

#define FUTEX_CMD_MASK 0x7f
#define BITSET_ANY 0xffffffffu

/* WAIT's timeout is relative; WAIT_BITSET's is absolute on its clock. */
static long deadline_of(struct uthread *t, unsigned cmd, uint64_t uts, bool realtime,
			uint64_t *deadline)
{
	struct linux_timespec ts;
	int64_t ns;

	*deadline = FUTEX_FOREVER;
	if (!uts)
		return 0;
	if (mm_copy_in(t->proc->mm, &ts, uts, sizeof(ts)))
		return -EFAULT;
	if (!timespec_valid(&ts))
		return -EINVAL;
	ns = timespec_ns(&ts);		/* saturated, as deadline_in()'s answer */
	if (cmd != FUTEX_WAIT) {
		ns -= realtime ? t->proc->realtime_offset : 0;
		*deadline = ns > 0 ? (uint64_t)ns : 1;	/* 1: due at once */
		return 0;
	}
	*deadline = deadline_in((uint64_t)ns);
	if (*deadline == FUTEX_FOREVER)
		*deadline = 1;		/* a 0 timeout at time 0: not never */
	return 0;
}

/* futex(uaddr, op, val, timeout or val2, uaddr2, val3) */
SYSCALL(sys_futex)
{
	unsigned cmd = (unsigned)a[1] & FUTEX_CMD_MASK;
	struct mm *mm = t->proc->mm;
	uint64_t deadline;
	long err;

	if ((a[1] & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;		/* as Linux: no other op here takes that clock */
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		err = deadline_of(t, cmd, a[3], a[1] & FUTEX_CLOCK_REALTIME, &deadline);
		if (err)
			return err;
		return futex_wait(mm, a[0], (uint32_t)a[2], deadline,
				  cmd == FUTEX_WAIT ? BITSET_ANY : (uint32_t)a[5]);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		return futex_wake(mm, a[0], (uint32_t)a[2],
				  cmd == FUTEX_WAKE ? BITSET_ANY : (uint32_t)a[5]);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		if ((int32_t)a[2] < 0 || (int32_t)a[3] < 0)
			return -EINVAL;
		return futex_requeue(mm, a[0], (uint32_t)a[2], a[4], (uint32_t)a[3],
				     cmd == FUTEX_CMP_REQUEUE, (uint32_t)a[5]);
	default:
		return -ENOSYS;
	}
}
