/*
 * Host tests for linux-abi/syscall.c and sys_misc.c on the pmon stubs: the table
 * (unknown numbers are -ENOSYS, logged once), then the small calls a libc makes:
 * clocks and sleeps (clock ids, timespecs, timeouts too far to reach), randomness,
 * limits, time of day, affinity, interval timers, TLS and sysinfo, each checking
 * its arguments as Linux does.
 */
#include "abi_test.h"

#define FAR_SEC 18446744074LL	/* * 10^9 ns wraps 2^64 to about 0.29 s */
#define SEC 1000000000ULL
#define OFFSET (1000 * SEC)	/* CLOCK_REALTIME - clock_ns() */
#define TS UBUF2

static void put_ts(int64_t sec, int64_t nsec)
{
	uput(TS, &(struct linux_timespec){ sec, nsec }, sizeof(struct linux_timespec));
}

static struct linux_timespec ts_at(uint64_t uva)
{
	struct linux_timespec ts;

	uget(&ts, uva, sizeof(ts));
	return ts;
}

/* ---- what the other threads do while the caller sleeps ---- */

static void advance(void *ms)
{
	host.now += (uint64_t)(uintptr_t)ms * 1000000;
}

static void interrupt(void *arg)
{
	(void)arg;
	host.interrupted = true;
}

static void nothing(void *arg)
{
	(void)arg;
}

/* ---- the table ---- */

/* numbers with no call are -ENOSYS, logged once each; all past the table share one log */
static void unknown_numbers_are_enosys(void)
{
	const uint64_t a[6] = { 0 };

	abi_start();
	CHECK(sys_call(26, a) == -ENOSYS);			/* msync */
	CHECK(strstr(host.log, "system call 26 ") != NULL);
	host.log[0] = 0;
	CHECK(sys_call(26, a) == -ENOSYS && host.log[0] == 0);
	CHECK(sys_call(29, a) == -ENOSYS && strstr(host.log, "system call 29 "));
	CHECK(sys_call(511, a) == -ENOSYS && strstr(host.log, "system call 511 "));
	CHECK(sys_call(512, a) == -ENOSYS && strstr(host.log, "system call 512 "));
	host.log[0] = 0;
	CHECK(sys_call(1000, a) == -ENOSYS && sys_call(UINT64_MAX, a) == -ENOSYS);
	CHECK(host.log[0] == 0);
	abi_finish();
}

/* a sample of the table by what each call answers */
static void the_table_reaches_its_calls(void)
{
	abi_start();
	abi.ppid = 7;
	CHECK(SYS(getpid, 0) == PID && SYS(gettid, 0) == PID && SYS(getppid, 0) == 7);
	CHECK(SYS(getuid, 0) == 0 && SYS(getgid, 0) == 0);
	CHECK(SYS(geteuid, 0) == 0 && SYS(getegid, 0) == 0);
	CHECK(SYS(set_robust_list, UBUF, 24) == 0);
	CHECK(SYS(set_tid_address, UBUF) == PID && ut.clear_child_tid == UBUF);
	host_defer(nothing, NULL);
	CHECK(SYS(sched_yield, 0) == 0 && host.schedules == 1);
	CHECK(SYS(umask, 07777) == 0 && SYS(umask, 022) == 0777);
	CHECK(SYS(uname, UBUF) == 0 && !strcmp(host_uptr(UBUF), "Linux"));
	CHECK(SYS(uname, KERNEL_VA) == -EFAULT);
	abi_finish();
}

/* ---- clocks ---- */

/* Linux's clock ids (0..11 but 10): the wall clocks are offset, the CPU clocks count CPU */
static void clock_gettime_by_clock(void)
{
	static const uint64_t bad[] = { 10, 12, 1000, (uint64_t)-1, 0xffffffffu };

	abi_start();
	host.now = 5 * SEC + 500;
	proc.realtime_offset = (int64_t)OFFSET;
	abi.cpu_ns = 3 * SEC + 7;
	abi.thread_ns = 2 * SEC + 9;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(SYS(clock_gettime, bad[i], UBUF) == -EINVAL);
	CHECK(SYS(clock_gettime, CLOCK_REALTIME, KERNEL_VA) == -EFAULT);
	CHECK(SYS(clock_gettime, CLOCK_REALTIME, UBUF) == 0);
	CHECK(ts_at(UBUF).tv_sec == 1005 && ts_at(UBUF).tv_nsec == 500);
	CHECK(SYS(clock_gettime, CLOCK_TAI, UBUF) == 0 && ts_at(UBUF).tv_sec == 1005);
	CHECK(SYS(clock_gettime, CLOCK_REALTIME_COARSE, UBUF) == 0 && ts_at(UBUF).tv_sec == 1005);
	CHECK(SYS(clock_gettime, CLOCK_REALTIME_ALARM, UBUF) == 0 && ts_at(UBUF).tv_sec == 1005);
	CHECK(SYS(clock_gettime, CLOCK_MONOTONIC, UBUF) == 0 && ts_at(UBUF).tv_sec == 5);
	CHECK(SYS(clock_gettime, 7, UBUF) == 0 && ts_at(UBUF).tv_sec == 5);	/* BOOTTIME */
	CHECK(SYS(clock_gettime, 2, UBUF) == 0);			/* PROCESS_CPUTIME */
	CHECK(ts_at(UBUF).tv_sec == 3 && ts_at(UBUF).tv_nsec == 7);
	CHECK(SYS(clock_gettime, 3, UBUF) == 0);			/* THREAD_CPUTIME */
	CHECK(ts_at(UBUF).tv_sec == 2 && ts_at(UBUF).tv_nsec == 9);
	abi_finish();
}

/* a bad timespec is -EINVAL, an unreadable one -EFAULT, before any sleep */
static void nanosleep_checks_its_timespec(void)
{
	abi_start();
	put_ts(0, SEC);
	CHECK(SYS(nanosleep, TS, 0) == -EINVAL);
	put_ts(0, -1);
	CHECK(SYS(nanosleep, TS, 0) == -EINVAL);
	put_ts(-1, 0);
	CHECK(SYS(nanosleep, TS, 0) == -EINVAL);
	CHECK(SYS(nanosleep, KERNEL_VA, 0) == -EFAULT);
	CHECK(SYS(clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, KERNEL_VA, 0) == -EFAULT);
	put_ts(0, -1);
	CHECK(SYS(clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, TS, 0) == -EINVAL);
	put_ts(1, SEC);
	CHECK(SYS(clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, TS, 0) == -EINVAL);
	CHECK(host.schedules == 0);
	abi_finish();
}

/* the sleep lasts what was asked; a signal ends it with -EINTR and what is left in rem */
static void nanosleep_sleeps_or_is_interrupted(void)
{
	abi_start();
	put_ts(1, 0);
	host_defer(advance, (void *)999);
	host_defer(advance, (void *)1);
	CHECK(SYS(nanosleep, TS, UBUF) == 0 && host.schedules == 2);
	put_ts(10, 0);
	host_defer(advance, (void *)3000);
	host_defer(interrupt, NULL);
	CHECK(SYS(nanosleep, TS, UBUF) == -EINTR);
	CHECK(ts_at(UBUF).tv_sec == 7 && ts_at(UBUF).tv_nsec == 0);
	host.interrupted = false;
	host_defer(interrupt, NULL);
	CHECK(SYS(nanosleep, TS, KERNEL_VA) == -EFAULT);
	abi_finish();
}

/* a timeout too far for the clock sleeps until a signal, relative or absolute; never wraps */
static void far_sleeps_never_end(void)
{
	abi_start();
	host.now = 5 * SEC;
	put_ts(FAR_SEC, 0);
	host_defer(advance, (void *)1000000);
	host_defer(interrupt, NULL);
	CHECK(SYS(nanosleep, TS, 0) == -EINTR);
	host.interrupted = false;
	put_ts(INT64_MAX, SEC - 1);
	host_defer(advance, (void *)1000000);
	host_defer(interrupt, NULL);
	CHECK(SYS(clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, TS, 0) == -EINTR);
	abi_finish();
}

/* clock_nanosleep: a bad clock is -EINVAL, one without sleeps -EOPNOTSUPP; past times return */
static void clock_nanosleep_by_clock(void)
{
	static const uint64_t no_sleep[] = { 3, 4, 5, 6 };	/* thread CPU, raw, coarse */

	abi_start();
	host.now = 5 * SEC;
	proc.realtime_offset = (int64_t)OFFSET;
	put_ts(0, 0);
	CHECK(SYS(clock_nanosleep, 10, 0, TS, 0) == -EINVAL);
	CHECK(SYS(clock_nanosleep, 12, 0, TS, 0) == -EINVAL);
	for (unsigned i = 0; i < sizeof(no_sleep) / sizeof(no_sleep[0]); i++)
		CHECK(SYS(clock_nanosleep, no_sleep[i], 0, TS, 0) == -EOPNOTSUPP);
	CHECK(SYS(clock_nanosleep, CLOCK_MONOTONIC, 2, TS, 0) == 0);	/* unknown flag */
	put_ts(1004, 0);
	CHECK(SYS(clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, TS, 0) == 0);
	put_ts(1010, 0);
	host_defer(advance, (void *)4000);
	host_defer(advance, (void *)1000);
	CHECK(SYS(clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, TS, 0) == 0);
	CHECK(host.schedules == 2 && host.now == 10 * SEC);
	abi_finish();
}

/* ---- randomness, limits, identity ---- */

/* flags are GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE, but not RANDOM with INSECURE */
static void getrandom_checks_flags_and_length(void)
{
	static const uint64_t good[] = { 0, 1, 2, 3, 4, 5 };
	uint8_t zero[256] = { 0 };

	abi_start();
	CHECK(SYS(getrandom, UBUF, 16, 8) == -EINVAL);
	CHECK(SYS(getrandom, UBUF, 16, 6) == -EINVAL);
	CHECK(SYS(getrandom, UBUF, 16, 7) == -EINVAL);
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(SYS(getrandom, UBUF, 16, good[i]) == 16);
	CHECK(SYS(getrandom, 0, 0, 0) == 0);			/* nothing to write */
	CHECK(SYS(getrandom, KERNEL_VA, 16, 0) == -EFAULT);
	CHECK(SYS(getrandom, UBUF, 1000, 0) == 256);		/* one call gives 256 */
	CHECK(memcmp(host_uptr(UBUF), zero, sizeof(zero)) != 0);
	abi_finish();
}

/* prlimit64: another pid is -ESRCH, an unknown resource -EINVAL, a change -EPERM */
static void prlimit64_checks_its_arguments(void)
{
	uint64_t lim[2];

	abi_start();
	CHECK(SYS(prlimit64, 999, 7, 0, UBUF) == -ESRCH);
	CHECK(SYS(prlimit64, 0, 16, 0, UBUF) == -EINVAL);	/* RLIM_NLIMITS */
	CHECK(SYS(prlimit64, PID, 999, 0, UBUF) == -EINVAL);
	CHECK(SYS(prlimit64, 0, 7, UBUF2, UBUF) == -EPERM);	/* RLIMIT_NOFILE */
	CHECK(SYS(prlimit64, 0, 7, 0, KERNEL_VA) == -EFAULT);
	CHECK(SYS(prlimit64, 0, 7, 0, 0) == 0);
	CHECK(SYS(prlimit64, 0, 7, 0, UBUF) == 0);
	uget(lim, UBUF, sizeof(lim));
	CHECK(lim[0] == FD_MAX && lim[1] == FD_MAX);
	CHECK(SYS(prlimit64, 0, 6, 0, UBUF) == 0 && get64(UBUF) == PROC_VNODE_MAX);
	CHECK(SYS(prlimit64, 0, 3, 0, UBUF) == 0 && get64(UBUF) == UINT64_MAX);
	abi_finish();
}

/* gettimeofday writes the timezone too (zeros: UTC); time() returns the seconds */
static void time_of_day(void)
{
	int64_t tv[2];

	abi_start();
	host.now = 5 * SEC + 250000000;
	proc.realtime_offset = (int64_t)OFFSET;
	memset(host_uptr(UBUF2), 0x5a, 16);
	CHECK(SYS(gettimeofday, UBUF, UBUF2) == 0);
	uget(tv, UBUF, sizeof(tv));
	CHECK(tv[0] == 1005 && tv[1] == 250000);
	CHECK(get64(UBUF2) == 0 && get64(UBUF2 + 8) == 0x5a5a5a5a5a5a5a5aULL);
	CHECK(SYS(gettimeofday, 0, 0) == 0);
	CHECK(SYS(gettimeofday, KERNEL_VA, 0) == -EFAULT);
	CHECK(SYS(gettimeofday, 0, KERNEL_VA) == -EFAULT);
	CHECK(SYS(time, 0) == 1005);
	CHECK(SYS(time, UBUF) == 1005 && get64(UBUF) == 1005);
	CHECK(SYS(time, KERNEL_VA) == -EFAULT);
	abi_finish();
}

/* the mask is of CPUs 1..n-1, in a buffer a multiple of 8 bytes of at least 8 */
static void sched_getaffinity_checks_its_arguments(void)
{
	abi_start();
	CHECK(SYS(sched_getaffinity, 0, 4, UBUF) == -EINVAL);
	CHECK(SYS(sched_getaffinity, 0, 12, UBUF) == -EINVAL);
	CHECK(SYS(sched_getaffinity, 999, 8, UBUF) == -ESRCH);
	CHECK(SYS(sched_getaffinity, 0, 8, KERNEL_VA) == -EFAULT);
	CHECK(SYS(sched_getaffinity, PID, 16, UBUF) == 8 && get64(UBUF) == 0xe);
	abi_finish();
}

/* setitimer: ITIMER_REAL, valid timevals; a value too far never fires, it does not wrap */
static void setitimer_checks_its_arguments(void)
{
	int64_t v[4] = { 0, 0, 1, 500000 };

	abi_start();
	uput(UBUF, v, sizeof(v));
	CHECK(SYS(setitimer, 1, UBUF, 0) == -EINVAL);
	CHECK(SYS(setitimer, 0, KERNEL_VA, 0) == -EFAULT);
	v[3] = 1000000;
	uput(UBUF2, v, sizeof(v));
	CHECK(SYS(setitimer, 0, UBUF2, 0) == -EINVAL);
	CHECK(abi.itimer.calls == 0);
	abi.itimer_old = 2 * SEC;
	CHECK(SYS(setitimer, 0, UBUF, UBUF3) == 0);
	CHECK(abi.itimer.arg[0] == 1500000000 && abi.itimer.arg[1] == 0);
	CHECK(get64(UBUF3 + 16) == 2 && get64(UBUF3 + 24) == 0);
	CHECK(SYS(setitimer, 0, 0, 0) == 0 && abi.itimer.arg[0] == 0);	/* NULL: disarm */
	v[2] = FAR_SEC;
	v[3] = 0;
	uput(UBUF2, v, sizeof(v));
	CHECK(SYS(setitimer, 0, UBUF2, 0) == 0 && abi.itimer.arg[0] == INT64_MAX);
	abi.itimer_old = SEC / 4;
	CHECK(SYS(alarm, 5) == 1 && abi.itimer.arg[0] == 5 * SEC);	/* never 0 if pending */
	abi_finish();
}

/* arch_prctl: an FS base outside user memory is -EPERM; an unknown code -EINVAL */
static void arch_prctl_checks_its_arguments(void)
{
	abi_start();
	ut.user.fs_base = 0x7000;
	CHECK(SYS(arch_prctl, ARCH_SET_FS, VMA_MAX) == -EPERM && abi.fs_base == 0);
	CHECK(SYS(arch_prctl, ARCH_SET_FS, 0x5000) == 0 && abi.fs_base == 0x5000);
	CHECK(SYS(arch_prctl, ARCH_GET_FS, UBUF) == 0 && get64(UBUF) == 0x7000);
	CHECK(SYS(arch_prctl, ARCH_GET_FS, KERNEL_VA) == -EFAULT);
	CHECK(SYS(arch_prctl, 0x9999, UBUF) == -EINVAL);
	abi_finish();
}

static const struct unit_test tests[] = {
	TEST(unknown_numbers_are_enosys),
	TEST(the_table_reaches_its_calls),
	TEST(clock_gettime_by_clock),
	TEST(nanosleep_checks_its_timespec),
	TEST(nanosleep_sleeps_or_is_interrupted),
	TEST(far_sleeps_never_end),
	TEST(clock_nanosleep_by_clock),
	TEST(getrandom_checks_flags_and_length),
	TEST(prlimit64_checks_its_arguments),
	TEST(time_of_day),
	TEST(sched_getaffinity_checks_its_arguments),
	TEST(setitimer_checks_its_arguments),
	TEST(arch_prctl_checks_its_arguments),
};

CHECK_MAIN("abi_misc", tests);
