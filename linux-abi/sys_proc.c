/*
 * Process system calls: exit, identity, the TLS pointer and clocks. CLOCK_REALTIME
 * is the host's wall clock at spawn plus the pmon's monotonic time since.
 */
#include "kernel/errno.h"
#include "kernel/time.h"
#include "kernel/user.h"
#include "mcomponent/vma.h"
#include "syscalls.h"

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define CLOCK_REALTIME 0
#define CLOCK_TAI 11

struct timespec_user {
	int64_t tv_sec;
	int64_t tv_nsec;
};

long sys_exit(struct process *p, const uint64_t a[6])
{
	(void)p;
	proc_exit((int)(a[0] & 0xff));
}

long sys_getpid(struct process *p, const uint64_t a[6])
{
	(void)a;
	return p->pid;
}

/* No threads to wake at exit yet: remember nothing, answer the tid. */
long sys_set_tid_address(struct process *p, const uint64_t a[6])
{
	(void)a;
	return p->pid;
}

long sys_arch_prctl(struct process *p, const uint64_t a[6])
{
	uint64_t fs = p->user.fs_base;

	switch (a[0]) {
	case ARCH_SET_FS:
		if (a[1] >= VMA_MAX)
			return -EPERM;
		arch_user_set_fs(a[1]);
		return 0;
	case ARCH_GET_FS:
		return excache_copy_out(p, a[1], &fs, sizeof(fs));
	default:
		return -EINVAL;
	}
}

/* Every clock is the monotonic one, except the wall clocks, offset to the host's time. */
long sys_clock_gettime(struct process *p, const uint64_t a[6])
{
	int64_t ns = (int64_t)clock_ns();
	struct timespec_user ts;

	if (a[0] > CLOCK_TAI)
		return -EINVAL;
	if (a[0] == CLOCK_REALTIME || a[0] == CLOCK_TAI)
		ns += p->realtime_offset;
	ts.tv_sec = ns / (int64_t)NSEC_PER_SEC;
	ts.tv_nsec = ns % (int64_t)NSEC_PER_SEC;
	return excache_copy_out(p, a[1], &ts, sizeof(ts));
}
