/*
 * Host tests for linux-abi/sys_poll.c on the pmon stubs: poll, ppoll, select and
 * pselect6 check their counts, pointers, timeouts and signal masks as Linux does,
 * report readiness per descriptor (POLLNVAL, POLLERR, POLLHUP unasked), and time
 * out when the clock says so, never early. A "sleep" runs the step a test queued.
 */
#include "abi_test.h"

#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))
#define FAR_SEC 18446744074LL	/* * 10^9 ns wraps 2^64 to about 0.29 s */
#define SET_BYTES 128		/* an fd_set of FD_SETSIZE (1024) bits */
#define RSET UBUF
#define WSET (UBUF + SET_BYTES)
#define TV UBUF2

static int fds[2];		/* a non-blocking pipe: fds[0] reads, fds[1] writes */

static void start(void)
{
	abi_start();
	make_pipe(fds, O_NONBLOCK);
}

static void put_pollfd(unsigned i, int32_t fd, int16_t events)
{
	uint64_t at = UBUF + i * 8;

	put32(at, (uint32_t)fd);
	memcpy(host_uptr(at + 4), &events, 2);
	memset(host_uptr(at + 6), 0x5a, 2);			/* revents: must be written */
}

static int16_t revents(unsigned i)
{
	int16_t r;

	memcpy(&r, host_uptr(UBUF + i * 8 + 6), 2);
	return r;
}

/* ---- what the other threads do while the caller sleeps ---- */

static void advance(void *ms)
{
	host.now += (uint64_t)(uintptr_t)ms * 1000000;
}

static void feed(void *arg)
{
	struct file *f = fd_get(proc.files, fds[1]);

	(void)arg;
	uput(UBUF3 + 0x800, "x", 1);
	CHECK(f->ops->write(f, &test_mm, UBUF3 + 0x800, 1) == 1);
	file_put(f);
}

static void interrupt(void *arg)
{
	(void)arg;
	host.interrupted = true;
}

static uint64_t mask_seen;

static void see_mask(void *arg)
{
	(void)arg;
	mask_seen = ut.sigmask;
	host.interrupted = true;
}

/* ---- poll ---- */

/* more descriptors than the table holds is -EINVAL; as many is fine */
static void poll_nfds_over_the_limit_is_einval(void)
{
	start();
	for (unsigned i = 0; i <= FD_MAX; i++)
		put_pollfd(i, -1, POLLIN);
	CHECK(SYS(poll, UBUF, FD_MAX + 1, 0) == -EINVAL);
	CHECK(SYS(poll, UBUF, -1, 0) == -EINVAL);
	CHECK(SYS(poll, UBUF, FD_MAX, 0) == 0);
	CHECK(revents(0) == 0 && revents(FD_MAX - 1) == 0);
	abi_finish();
}

/* poll(NULL, 0, ms) is a sleep: nothing to read, nothing to write back */
static void poll_of_nothing_is_a_sleep(void)
{
	start();
	CHECK(SYS(poll, 0, 0, 0) == 0);
	host_defer(advance, (void *)100);
	CHECK(SYS(poll, 0, 0, 50) == 0);
	CHECK(host.schedules == 1 && host.timer_fires == 1);
	abi_finish();
}

/* each pollfd gets its own answer: 0 for fd < 0, POLLNVAL for a bad fd, only what was asked */
static void poll_answers_each_descriptor(void)
{
	start();
	put_pollfd(0, -1, POLLIN);
	put_pollfd(1, 99, POLLIN);
	put_pollfd(2, FD_MAX + 5, POLLIN);
	put_pollfd(3, fds[0], POLLIN);
	put_pollfd(4, fds[1], POLLOUT);
	put_pollfd(5, fds[1], POLLIN);
	CHECK(SYS(poll, UBUF, 6, 0) == 3);
	CHECK(revents(0) == 0 && revents(1) == POLLNVAL && revents(2) == POLLNVAL);
	CHECK(revents(3) == 0 && revents(4) == POLLOUT && revents(5) == 0);
	CHECK(SYS(close, fds[0]) == 0);
	CHECK(SYS(poll, UBUF + 5 * 8, 1, 0) == 1);
	CHECK(revents(5) == POLLERR);				/* unasked, as Linux */
	abi_finish();
}

static void feed_and_unmap(void *arg)
{
	feed(arg);
	host.fault_at = UBUF;
}

/* an array that cannot be read, or no longer written back, is -EFAULT */
static void poll_bad_array_is_efault(void)
{
	start();
	put_pollfd(0, fds[1], POLLOUT);
	put_pollfd(1, fds[1], POLLOUT);
	CHECK(SYS(poll, KERNEL_VA, 1, 0) == -EFAULT);
	host.fault_at = UBUF + 12;
	CHECK(SYS(poll, UBUF, 2, 0) == -EFAULT);
	host.fault_at = HOST_UEND;
	put_pollfd(0, fds[0], POLLIN);
	host_defer(feed_and_unmap, NULL);			/* another thread munmaps it */
	CHECK(SYS(poll, UBUF, 1, -1) == -EFAULT);
	abi_finish();
}

/* a negative timeout waits for ever, a signal ends it (-EINTR); a positive one expires */
static void poll_timeouts(void)
{
	start();
	put_pollfd(0, fds[0], POLLIN);
	host_defer(advance, (void *)100000);
	host_defer(feed, NULL);
	CHECK(SYS(poll, UBUF, 1, -1) == 1 && revents(0) == POLLIN);
	CHECK(host.timer_arms == 0 && host.schedules == 2);
	CHECK(SYS(read, fds[0], UBUF2, 10) == 1);
	host_defer(interrupt, NULL);
	CHECK(SYS(poll, UBUF, 1, -1) == -EINTR);
	host.interrupted = false;
	host_defer(advance, (void *)99);
	host_defer(advance, (void *)1);
	CHECK(SYS(poll, UBUF, 1, 100) == 0 && host.schedules == 5);
	abi_finish();
}

/* ---- ppoll ---- */

/* a bad timespec, mask size or pointer: refused before anything waits */
static void ppoll_checks_its_arguments(void)
{
	start();
	put_pollfd(0, fds[1], POLLOUT);
	uput(TV, &(struct linux_timespec){ 0, 1000000000 }, 16);
	CHECK(SYS(ppoll, UBUF, 1, TV, 0, 8) == -EINVAL);
	uput(TV, &(struct linux_timespec){ -1, 0 }, 16);
	CHECK(SYS(ppoll, UBUF, 1, TV, 0, 8) == -EINVAL);
	CHECK(SYS(ppoll, UBUF, 1, KERNEL_VA, 0, 8) == -EFAULT);
	put64(UBUF3, 0);
	CHECK(SYS(ppoll, UBUF, 1, 0, UBUF3, 4) == -EINVAL);
	CHECK(SYS(ppoll, UBUF, 1, 0, KERNEL_VA, 8) == -EFAULT);
	CHECK(SYS(ppoll, UBUF, FD_MAX + 1, 0, UBUF3, 8) == -EINVAL);
	CHECK(ut.sigmask == 0 && !ut.restore_mask && host.schedules == 0);
	uput(TV, &(struct linux_timespec){ 0, 0 }, 16);
	CHECK(SYS(ppoll, UBUF, 1, TV, UBUF3, 8) == 1);
	abi_finish();
}

/* the mask holds while ppoll waits (never SIGKILL or SIGSTOP); after a signal, till its handler */
static void ppoll_mask_holds_while_waiting(void)
{
	start();
	ut.sigmask = BIT(SIGUSR2);
	put_pollfd(0, fds[0], POLLIN);
	put64(UBUF3, ~0ULL);
	host_defer(see_mask, NULL);
	CHECK(SYS(ppoll, UBUF, 1, 0, UBUF3, 8) == -EINTR);
	CHECK(mask_seen == ~UNBLOCKABLE);
	CHECK(ut.restore_mask && ut.saved_mask == BIT(SIGUSR2));	/* for the handler */
	host.interrupted = false;
	ut.restore_mask = false;
	ut.sigmask = BIT(SIGUSR2);
	host_defer(feed, NULL);
	CHECK(SYS(ppoll, UBUF, 1, 0, UBUF3, 8) == 1);
	CHECK(ut.sigmask == BIT(SIGUSR2) && !ut.restore_mask);
	abi_finish();
}

/* a timeout too far for the clock never expires (Linux saturates it), it does not wrap */
static void far_timeouts_never_expire(void)
{
	start();
	host.now = 5000000000ULL;
	put_pollfd(0, fds[0], POLLIN);
	uput(TV, &(struct linux_timespec){ FAR_SEC, 0 }, 16);
	host_defer(advance, (void *)1000000);
	host_defer(feed, NULL);
	CHECK(SYS(ppoll, UBUF, 1, TV, 0, 8) == 1);
	CHECK(SYS(read, fds[0], UBUF2, 10) == 1);
	uput(TV, &(struct linux_timespec){ INT64_MAX, 999999999 }, 16);
	host_defer(advance, (void *)1000000);
	host_defer(feed, NULL);
	CHECK(SYS(ppoll, UBUF, 1, TV, 0, 8) == 1);
	CHECK(SYS(read, fds[0], UBUF2, 10) == 1);
	memset(host_uptr(RSET), 0, SET_BYTES);
	put64(RSET, 1ULL << fds[0]);
	uput(TV, &(int64_t[2]){ FAR_SEC, 0 }, 16);
	host_defer(advance, (void *)1000000);
	host_defer(feed, NULL);
	CHECK(SYS(select, fds[0] + 1, RSET, 0, 0, TV) == 1);
	abi_finish();
}

/* ---- select and pselect6 ---- */

/* nfds is an int: negative is -EINVAL; past the table (FD_SETSIZE, say) only the table counts */
static void select_nfds_is_clamped_to_the_table(void)
{
	start();
	memset(host_uptr(WSET), 0, SET_BYTES);
	put64(WSET, 1ULL << fds[1]);
	put64(WSET + 300 / 64 * 8, 1ULL << (300 % 64));	/* beyond FD_MAX: not looked at */
	uput(TV, &(int64_t[2]){ 0, 0 }, 16);
	CHECK(SYS(select, -1, 0, WSET, 0, TV) == -EINVAL);
	CHECK(SYS(select, 0xffffffffu, 0, WSET, 0, TV) == -EINVAL);
	CHECK(SYS(select, 1024, 0, WSET, 0, TV) == 1);
	CHECK(get64(WSET) == 1ULL << fds[1]);
	CHECK(get64(WSET + 300 / 64 * 8) == 1ULL << (300 % 64));
	CHECK(SYS(select, 5000, 0, WSET, 0, TV) == 1);
	abi_finish();
}

/* the sets come back with only the ready bits; a closed descriptor's bit is -EBADF */
static void select_returns_the_ready_bits(void)
{
	start();
	memset(host_uptr(RSET), 0, 2 * SET_BYTES);
	put64(RSET, (1ULL << fds[0]) | (1ULL << fds[1]));
	put64(WSET, (1ULL << fds[0]) | (1ULL << fds[1]));
	uput(TV, &(int64_t[2]){ 0, 0 }, 16);
	CHECK(SYS(select, fds[1] + 1, RSET, WSET, 0, TV) == 1);
	CHECK(get64(RSET) == 0 && get64(WSET) == 1ULL << fds[1]);
	CHECK(SYS(close, fds[0]) == 0);
	put64(RSET, 1ULL << fds[1]);				/* POLLERR: readable only */
	put64(WSET, 0);
	CHECK(SYS(select, fds[1] + 1, RSET, WSET, 0, TV) == 1);
	CHECK(get64(RSET) == 1ULL << fds[1] && get64(WSET) == 0);
	put64(RSET, 1ULL << 9);
	CHECK(SYS(select, 10, RSET, 0, 0, TV) == -EBADF);
	CHECK(SYS(select, 10, KERNEL_VA, 0, 0, TV) == -EFAULT);
	CHECK(SYS(select, 10, 0, 0, 0, KERNEL_VA) == -EFAULT);
	abi_finish();
}

/* the timeval is normalized as Linux does (tv_usec of a million or more adds seconds) */
static void select_timeval_is_normalized(void)
{
	start();
	uput(TV, &(int64_t[2]){ 0, 1500000 }, 16);
	host_defer(advance, (void *)1499);
	host_defer(advance, (void *)1);
	CHECK(SYS(select, 0, 0, 0, 0, TV) == 0 && host.schedules == 2);
	uput(TV, &(int64_t[2]){ 1, -1000000 }, 16);		/* exactly 0 s */
	CHECK(SYS(select, 0, 0, 0, 0, TV) == 0 && host.schedules == 2);
	uput(TV, &(int64_t[2]){ 0, -1 }, 16);
	CHECK(SYS(select, 0, 0, 0, 0, TV) == -EINVAL);
	uput(TV, &(int64_t[2]){ -1, 0 }, 16);
	CHECK(SYS(select, 0, 0, 0, 0, TV) == -EINVAL);
	abi_finish();
}

/* pselect6's sixth argument is {mask pointer, size}: checked, and the mask held as ppoll's */
static void pselect6_mask_argument(void)
{
	start();
	memset(host_uptr(RSET), 0, SET_BYTES);
	put64(RSET, 1ULL << fds[0]);
	put64(UBUF3, ~0ULL);
	uput(UBUF3 + 16, &(uint64_t[2]){ UBUF3, 4 }, 16);
	CHECK(SYS(pselect6, fds[0] + 1, RSET, 0, 0, 0, UBUF3 + 16) == -EINVAL);
	CHECK(SYS(pselect6, fds[0] + 1, RSET, 0, 0, 0, KERNEL_VA) == -EFAULT);
	uput(UBUF3 + 16, &(uint64_t[2]){ KERNEL_VA, 8 }, 16);
	CHECK(SYS(pselect6, fds[0] + 1, RSET, 0, 0, 0, UBUF3 + 16) == -EFAULT);
	CHECK(ut.sigmask == 0 && host.schedules == 0);
	uput(UBUF3 + 16, &(uint64_t[2]){ UBUF3, 8 }, 16);
	host_defer(see_mask, NULL);
	CHECK(SYS(pselect6, fds[0] + 1, RSET, 0, 0, 0, UBUF3 + 16) == -EINTR);
	CHECK(mask_seen == ~UNBLOCKABLE && ut.saved_mask == 0);
	abi_finish();
}

static const struct unit_test tests[] = {
	TEST(poll_nfds_over_the_limit_is_einval),
	TEST(poll_of_nothing_is_a_sleep),
	TEST(poll_answers_each_descriptor),
	TEST(poll_bad_array_is_efault),
	TEST(poll_timeouts),
	TEST(ppoll_checks_its_arguments),
	TEST(ppoll_mask_holds_while_waiting),
	TEST(far_timeouts_never_expire),
	TEST(select_nfds_is_clamped_to_the_table),
	TEST(select_returns_the_ready_bits),
	TEST(select_timeval_is_normalized),
	TEST(pselect6_mask_argument),
};

CHECK_MAIN("abi_poll", tests);
