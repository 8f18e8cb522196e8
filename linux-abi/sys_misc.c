/*
 * The small calls a libc and a shell make: TLS, clocks and sleeping, identity and
 * process groups, uname, umask, limits, randomness. CLOCK_REALTIME is the host's
 * wall clock at spawn plus the pmon's monotonic time since.
 */
#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "mcomponent/vma.h"
#include "pcomponent/file.h"
#include "pcomponent/itimer.h"
#include "syscalls.h"

#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIM_NLIMITS 16
#define RLIM_INFINITY (~0ULL)
#define GETRANDOM_MAX 256
#define GRND_RANDOM 2
#define GRND_INSECURE 4

SYSCALL(sys_arch_prctl)
{
	uint64_t fs = t->user.fs_base;

	switch (a[0]) {
	case ARCH_SET_FS:
		if (a[1] >= VMA_MAX)
			return -EPERM;
		arch_user_set_fs(a[1]);
		return 0;
	case ARCH_GET_FS:
		return mm_copy_out(t->proc->mm, a[1], &fs, sizeof(fs));
	default:
		return -EINVAL;
	}
}

bool timespec_valid(const struct linux_timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (int64_t)NSEC_PER_SEC;
}

int64_t timespec_ns(const struct linux_timespec *ts)
{
	if (ts->tv_sec >= INT64_MAX / (int64_t)NSEC_PER_SEC)
		return INT64_MAX;
	return ts->tv_sec * (int64_t)NSEC_PER_SEC + ts->tv_nsec;
}

uint64_t deadline_in(uint64_t ns)
{
	uint64_t now = clock_ns();

	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

/* Linux's clock ids: 0..CLOCK_TAI but CLOCK_SGI_CYCLE. */
static bool clock_known(uint64_t clock)
{
	return clock <= CLOCK_TAI && clock != CLOCK_SGI_CYCLE;
}

/*
 * The time on clock now: the wall clocks are the monotonic one offset to the
 * host's time, the CPU-time clocks count the process's or the thread's CPU time,
 * and every other clock is the monotonic one.
 */
static int64_t clock_of(struct uthread *t, uint64_t clock)
{
	int64_t ns = (int64_t)clock_ns();

	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_TAI:
		return ns + t->proc->realtime_offset;
	case CLOCK_PROCESS_CPUTIME_ID:
		return (int64_t)proc_cpu_ns(t->proc, false);
	case CLOCK_THREAD_CPUTIME_ID:
		return (int64_t)thread_run_ns(current());
	default:
		return ns;
	}
}

SYSCALL(sys_clock_gettime)
{
	int64_t ns;
	struct linux_timespec ts;

	if (!clock_known(a[0]))
		return -EINVAL;
	ns = clock_of(t, a[0]);
	ts.tv_sec = ns / (int64_t)NSEC_PER_SEC;
	ts.tv_nsec = ns % (int64_t)NSEC_PER_SEC;
	return mm_copy_out(t->proc->mm, a[1], &ts, sizeof(ts));
}

static void wake_sleeper(struct timer *tm)
{
	thread_wake(tm->arg);
}

/* Sleep until clock_ns() reaches deadline, or a signal: 0 or -EINTR. */
static long sleep_until(uint64_t deadline)
{
	struct wait_queue wq;
	struct timer tm;
	long err;

	wait_queue_init(&wq);
	timer_init(&tm, wake_sleeper, current());
	timer_arm(&tm, deadline);
	err = uthread_wait_event(&wq, clock_ns() >= deadline);
	timer_cancel(&tm);
	return err;
}

/* Sleep for the timespec at req; on a signal, what was left goes to rem. */
static long sleep_for(struct uthread *t, uint64_t req, uint64_t rem)
{
	struct linux_timespec ts;
	uint64_t deadline;
	long err;

	if (mm_copy_in(t->proc->mm, &ts, req, sizeof(ts)))
		return -EFAULT;
	if (!timespec_valid(&ts))
		return -EINVAL;
	deadline = deadline_in((uint64_t)timespec_ns(&ts));
	err = sleep_until(deadline);
	if (err && rem) {
		uint64_t left = deadline > clock_ns() ? deadline - clock_ns() : 0;

		ts.tv_sec = (int64_t)(left / NSEC_PER_SEC);
		ts.tv_nsec = (int64_t)(left % NSEC_PER_SEC);
		if (mm_copy_out(t->proc->mm, rem, &ts, sizeof(ts)))
			return -EFAULT;
	}
	return err;
}

SYSCALL(sys_nanosleep)
{
	return sleep_for(t, a[0], a[1]);
}

/* Clocks Linux has no sleep on: a thread's CPU time, the raw and the coarse clocks. */
static bool clock_sleeps(uint64_t clock)
{
	return clock != CLOCK_THREAD_CPUTIME_ID && clock != CLOCK_MONOTONIC_RAW &&
	       clock != CLOCK_REALTIME_COARSE && clock != CLOCK_MONOTONIC_COARSE;
}

/*
 * An absolute time is waited for as the monotonic time until it; on the process's
 * CPU clock that is only an approximation (a sleeper uses no CPU).
 */
SYSCALL(sys_clock_nanosleep)
{
	struct linux_timespec ts;
	int64_t now, want;

	if (!clock_known(a[0]))
		return -EINVAL;
	if (!clock_sleeps(a[0]))
		return -EOPNOTSUPP;
	if (!(a[1] & TIMER_ABSTIME))
		return sleep_for(t, a[2], a[3]);
	if (mm_copy_in(t->proc->mm, &ts, a[2], sizeof(ts)))
		return -EFAULT;
	if (!timespec_valid(&ts))
		return -EINVAL;
	now = clock_of(t, a[0]);
	want = timespec_ns(&ts);
	return want <= now ? 0 : sleep_until(deadline_in((uint64_t)want - (uint64_t)now));
}

SYSCALL(sys_sched_yield)
{
	(void)t, (void)a;
	schedule();
	return 0;
}

struct linux_utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domain[65];
};

SYSCALL(sys_uname)
{
	static const struct linux_utsname u = {
		"Linux", "tessera", "6.1.0-tessera", "#1 Tessera pmon", "x86_64", "(none)",
	};

	return mm_copy_out(t->proc->mm, a[0], &u, sizeof(u));
}

/* Everything on a vNode runs as root. */
SYSCALL(sys_getuid)
{
	(void)t, (void)a;
	return 0;
}

/* The mask applies to what open, creat and mkdir create (sys_file.c, sys_path.c). */
SYSCALL(sys_umask)
{
	return __atomic_exchange_n(&t->proc->umask, (uint32_t)a[0] & 0777, __ATOMIC_RELAXED);
}

/* At most GETRANDOM_MAX bytes a call: Linux guarantees no more than that in one either. */
SYSCALL(sys_getrandom)
{
	const uint64_t both = GRND_RANDOM | GRND_INSECURE;
	uint8_t buf[GETRANDOM_MAX];
	size_t n = a[1] < sizeof(buf) ? a[1] : sizeof(buf);

	if ((a[2] & ~7ULL) || (a[2] & both) == both)
		return -EINVAL;
	if (!n)
		return user_range(a[0], 0) ? 0 : -EFAULT;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = arch_entropy();

		memcpy(buf + i, &r, n - i < 8 ? n - i : 8);
	}
	return mm_copy_out(t->proc->mm, a[0], buf, n) ? -EFAULT : (long)n;
}

/* Limits can be read; the ones the pmon enforces are its own, and none can be changed. */
SYSCALL(sys_prlimit64)
{
	uint64_t lim[2] = { RLIM_INFINITY, RLIM_INFINITY };

	if (a[0] && a[0] != t->proc->pid)
		return -ESRCH;
	if ((uint32_t)a[1] >= RLIM_NLIMITS)
		return -EINVAL;
	if (a[1] == RLIMIT_NOFILE)
		lim[0] = lim[1] = FD_MAX;
	else if (a[1] == RLIMIT_NPROC)
		lim[0] = lim[1] = PROC_VNODE_MAX;
	if (a[2])
		return -EPERM;
	return a[3] ? mm_copy_out(t->proc->mm, a[3], lim, sizeof(lim)) : 0;
}

/* Calls a libc makes whose answer is 0 here (set_robust_list: no threads to clean up). */
SYSCALL(sys_zero)
{
	(void)t, (void)a;
	return 0;
}

struct linux_itimerval {
	int64_t interval_sec, interval_usec, value_sec, value_usec;
};

#define ITIMER_REAL 0

/* A valid timeval in nanoseconds, saturating: a timer too far to reach never fires. */
static uint64_t usec_ns(int64_t sec, int64_t usec)
{
	const struct linux_timespec ts = { sec, usec * (int64_t)NSEC_PER_USEC };

	return (uint64_t)timespec_ns(&ts);
}

static struct linux_itimerval to_itimerval(uint64_t value, uint64_t interval)
{
	return (struct linux_itimerval){
		.interval_sec = (int64_t)(interval / NSEC_PER_SEC),
		.interval_usec = (int64_t)(interval % NSEC_PER_SEC / NSEC_PER_USEC),
		.value_sec = (int64_t)(value / NSEC_PER_SEC),
		.value_usec = (int64_t)(value % NSEC_PER_SEC / NSEC_PER_USEC),
	};
}

/* alarm: the seconds left of the previous alarm, rounded as Linux does. */
SYSCALL(sys_alarm)
{
	uint64_t old, old_interval;

	itimer_set(t->proc, (a[0] & 0xffffffff) * NSEC_PER_SEC, 0, &old, &old_interval);
	return (long)((old + NSEC_PER_SEC / 2) / NSEC_PER_SEC) + (old && old < NSEC_PER_SEC / 2);
}

SYSCALL(sys_setitimer)
{
	struct linux_itimerval v = { 0 }, o;
	uint64_t old, old_interval;

	if (a[0] != ITIMER_REAL)
		return -EINVAL;
	if (a[1] && mm_copy_in(t->proc->mm, &v, a[1], sizeof(v)))
		return -EFAULT;
	if (v.value_sec < 0 || v.value_usec < 0 || v.value_usec >= 1000000 ||
	    v.interval_sec < 0 || v.interval_usec < 0 || v.interval_usec >= 1000000)
		return -EINVAL;
	itimer_set(t->proc, usec_ns(v.value_sec, v.value_usec),
		   usec_ns(v.interval_sec, v.interval_usec), &old, &old_interval);
	o = to_itimerval(old, old_interval);
	return a[2] && mm_copy_out(t->proc->mm, a[2], &o, sizeof(o)) ? -EFAULT : 0;
}

/* The time zone is UTC: struct timezone comes back zeroed, as Linux's default. */
SYSCALL(sys_gettimeofday)
{
	int64_t ns = clock_of(t, CLOCK_REALTIME);
	int64_t tv[2] = { ns / (int64_t)NSEC_PER_SEC, ns % (int64_t)NSEC_PER_SEC / 1000 };
	const int32_t tz[2] = { 0, 0 };

	if (a[0] && mm_copy_out(t->proc->mm, a[0], tv, sizeof(tv)))
		return -EFAULT;
	return a[1] && mm_copy_out(t->proc->mm, a[1], tz, sizeof(tz)) ? -EFAULT : 0;
}

SYSCALL(sys_time)
{
	int64_t now = clock_of(t, CLOCK_REALTIME) / (int64_t)NSEC_PER_SEC;

	return a[0] && mm_copy_out(t->proc->mm, a[0], &now, sizeof(now)) ? -EFAULT : now;
}

/* User threads run on CPUs 1..n-1 (CPU 0 on a one-CPU pmon): that is the set. */
SYSCALL(sys_sched_getaffinity)
{
	uint64_t mask = ncpus > 1 ? ((ncpus >= 64 ? ~0ULL : (1ULL << ncpus) - 1) & ~1ULL) : 1;

	if (a[0] && a[0] != t->proc->pid && a[0] != t->tid)
		return -ESRCH;
	if (a[1] < sizeof(mask) || (a[1] & 7))
		return -EINVAL;
	return mm_copy_out(t->proc->mm, a[2], &mask, sizeof(mask)) ? -EFAULT : (long)sizeof(mask);
}

struct linux_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t pad2;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	uint8_t rest[4];
};

/* The pmon's own view: uptime, its processes, and its ExCache as the program's RAM. */
SYSCALL(sys_sysinfo)
{
	struct linux_sysinfo si = { .uptime = (int64_t)(clock_ns() / NSEC_PER_SEC),
				    .mem_unit = 1 };
	uint32_t threads, procs;
	unsigned lines, resident;

	excache_usage(&lines, &resident);
	proc_load(&threads, &procs);
	si.procs = (uint16_t)procs;
	si.totalram = (uint64_t)lines * NET_PAGE_SIZE;
	si.freeram = (uint64_t)(lines - resident) * NET_PAGE_SIZE;
	return mm_copy_out(t->proc->mm, a[0], &si, sizeof(si));
}
