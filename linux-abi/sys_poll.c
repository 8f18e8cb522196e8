/*
 * poll, ppoll, select and pselect6 over pipes, the terminal and /dev/null: every
 * polled file's wait queue gets a waiter, so whichever changes first wakes the
 * caller, which asks each file again.
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/time.h"
#include "pcomponent/file.h"
#include "syscalls.h"

#define NO_TIMEOUT UINT64_MAX

struct linux_pollfd {
	int32_t fd;
	int16_t events, revents;
};

struct poll_set {
	struct linux_pollfd *fds;
	struct file **files;
	struct waiter *w;
	uint64_t n;
};

static void wake_poller(struct timer *tm)
{
	thread_wake(tm->arg);
}

/* Ask every file; register the waiters first so that no change is missed. */
static long scan(struct poll_set *s)
{
	long ready = 0;

	for (uint64_t i = 0; i < s->n; i++) {
		struct linux_pollfd *p = &s->fds[i];
		unsigned mask = POLLNVAL;

		if (p->fd < 0) {
			p->revents = 0;
			continue;
		}
		if (s->files[i]) {
			prepare_to_wait(s->files[i]->wq, &s->w[i]);
			mask = s->files[i]->ops->poll(s->files[i]) &
			       ((unsigned)p->events | POLLHUP | POLLERR);
		}
		p->revents = (int16_t)mask;
		ready += mask != 0;
	}
	return ready;
}

static long wait_ready(struct poll_set *s, uint64_t deadline)
{
	struct timer tm;
	long ready;

	timer_init(&tm, wake_poller, current());
	if (deadline != NO_TIMEOUT)
		timer_arm(&tm, deadline);
	for (;;) {
		ready = scan(s);
		if (ready || clock_ns() >= deadline)
			break;
		if (uthread_interrupted()) {
			ready = -EINTR;
			break;
		}
		schedule();
	}
	timer_cancel(&tm);
	for (uint64_t i = 0; i < s->n; i++)
		if (s->files[i])
			finish_wait(s->files[i]->wq, &s->w[i]);
	return ready;
}

/* Wait for n pollfds (kernel memory) as poll does; their revents are filled in. */
static long poll_set_run(struct uthread *t, struct linux_pollfd *fds, uint64_t n,
			 uint64_t deadline)
{
	struct poll_set s = { .fds = fds, .n = n };
	long ret = -ENOMEM;

	s.files = kzalloc(n * sizeof(*s.files) + 1);
	s.w = kzalloc(n * sizeof(*s.w) + 1);
	if (!s.files || !s.w)
		goto out;
	for (uint64_t i = 0; i < n; i++) {
		s.files[i] = fds[i].fd >= 0 ? fd_get(t->proc->files, fds[i].fd) : NULL;
		s.w[i].thread = current();
		list_init(&s.w[i].link);
	}
	ret = wait_ready(&s, deadline);
	for (uint64_t i = 0; i < n; i++)
		if (s.files[i])
			file_put(s.files[i]);
out:
	kfree(s.files);
	kfree(s.w);
	return ret;
}

/* poll(NULL, 0, ms) is a sleep: an empty array is neither read nor written. */
static long do_poll(struct uthread *t, uint64_t ufds, uint64_t n, uint64_t deadline)
{
	struct mm *mm = t->proc->mm;
	struct linux_pollfd *fds;
	long ret;

	if (n > FD_MAX)
		return -EINVAL;
	fds = kmalloc(n * sizeof(*fds) + 1);
	if (!fds)
		return -ENOMEM;
	ret = n && mm_copy_in(mm, fds, ufds, n * sizeof(*fds)) ? -EFAULT
								: poll_set_run(t, fds, n, deadline);
	if (ret >= 0 && n && mm_copy_out(mm, ufds, fds, n * sizeof(*fds)))
		ret = -EFAULT;
	kfree(fds);
	return ret;
}

SYSCALL(sys_poll)
{
	int64_t ms = (int64_t)(int32_t)a[2];

	return do_poll(t, a[0], a[1], ms < 0 ? NO_TIMEOUT : clock_ns() + (uint64_t)ms * 1000000);
}

/*
 * ppoll's and pselect6's mask, as rt_sigsuspend's: it holds while the call waits,
 * and a handler the wait ends for runs with the mask as it was before.
 */
static void mask_begin(struct uthread *t, uint64_t mask)
{
	mask &= ~SIG_UNBLOCKABLE;
	t->saved_mask = __atomic_exchange_n(&t->sigmask, mask, __ATOMIC_RELAXED);
	t->restore_mask = true;
}

static long mask_end(struct uthread *t, long ret)
{
	if (ret != -EINTR) {
		__atomic_store_n(&t->sigmask, t->saved_mask, __ATOMIC_RELAXED);
		t->restore_mask = false;
	}
	return ret;
}

static long ppoll_masked(struct uthread *t, const uint64_t a[6], uint64_t deadline)
{
	uint64_t mask;

	if (!a[3])
		return do_poll(t, a[0], a[1], deadline);
	if (a[4] != sizeof(mask))
		return -EINVAL;
	if (mm_copy_in(t->proc->mm, &mask, a[3], sizeof(mask)))
		return -EFAULT;
	mask_begin(t, mask);
	return mask_end(t, do_poll(t, a[0], a[1], deadline));
}

SYSCALL(sys_ppoll)
{
	struct linux_timespec ts;

	if (!a[2])
		return ppoll_masked(t, a, NO_TIMEOUT);
	if (mm_copy_in(t->proc->mm, &ts, a[2], sizeof(ts)))
		return -EFAULT;
	if (!timespec_valid(&ts))
		return -EINVAL;
	return ppoll_masked(t, a, deadline_in((uint64_t)timespec_ns(&ts)));
}

/*
 * select and pselect6 are poll over the descriptors their sets name: a read set
 * asks POLLIN, a write set POLLOUT, an except set POLLPRI; the sets come back with
 * only the ready bits set, and the count of bits is the answer.
 */
#define FD_SET_WORDS (FD_MAX / 64)

struct fd_sets {
	uint64_t in[FD_SET_WORDS], out[FD_SET_WORDS], ex[FD_SET_WORDS];
};

static long copy_sets(struct mm *mm, const uint64_t a[6], uint64_t n, struct fd_sets *s,
		      bool out)
{
	uint64_t *sets[3] = { s->in, s->out, s->ex };
	size_t bytes = (n + 63) / 64 * 8;

	for (int i = 0; i < 3; i++) {
		if (!a[1 + i])
			continue;
		if (out ? mm_copy_out(mm, a[1 + i], sets[i], bytes)
			: mm_copy_in(mm, sets[i], a[1 + i], bytes))
			return -EFAULT;
	}
	return 0;
}

static bool bit(const uint64_t *set, uint64_t fd)
{
	return set[fd / 64] & (1ULL << (fd % 64));
}

/* The sets as select returns them, from the polled answers; the bits set, or -EBADF. */
static long collect(const struct linux_pollfd *fds, uint64_t n, struct fd_sets *s)
{
	struct fd_sets want = *s;
	long count = 0;

	*s = (struct fd_sets){ 0 };
	for (uint64_t i = 0; i < n; i++) {
		uint64_t fd = (uint64_t)fds[i].fd, w = fd / 64, b = 1ULL << (fd % 64);
		unsigned r = (uint16_t)fds[i].revents;

		if (r & POLLNVAL)
			return -EBADF;
		if ((want.in[w] & b) && (r & (POLLIN | POLLHUP | POLLERR)))
			s->in[w] |= b, count++;
		if ((want.out[w] & b) && (r & (POLLOUT | POLLERR)))
			s->out[w] |= b, count++;
		if ((want.ex[w] & b) && (r & POLLPRI))
			s->ex[w] |= b, count++;
	}
	return count;
}

/*
 * nfds is an int; past the table's size it is clamped, as Linux clamps it to its
 * table's, so select(FD_SETSIZE, ...) works: bits beyond are not looked at.
 */
static long do_select(struct uthread *t, const uint64_t a[6], uint64_t deadline)
{
	struct mm *mm = t->proc->mm;
	struct linux_pollfd *fds;
	struct fd_sets s = { 0 };
	int32_t nfds = (int32_t)a[0];
	uint64_t n = nfds > FD_MAX ? FD_MAX : (uint64_t)nfds, k = 0;
	long ret;

	if (nfds < 0)
		return -EINVAL;
	if (copy_sets(mm, a, n, &s, false))
		return -EFAULT;
	fds = kmalloc(n * sizeof(*fds) + 1);
	if (!fds)
		return -ENOMEM;
	for (uint64_t fd = 0; fd < n; fd++) {
		int16_t ev = (bit(s.in, fd) ? POLLIN : 0) | (bit(s.out, fd) ? POLLOUT : 0) |
			     (bit(s.ex, fd) ? POLLPRI : 0);

		if (ev)
			fds[k++] = (struct linux_pollfd){ .fd = (int32_t)fd, .events = ev };
	}
	ret = poll_set_run(t, fds, k, deadline);
	if (ret >= 0)
		ret = collect(fds, k, &s);
	kfree(fds);
	if (ret >= 0 && copy_sets(mm, a, n, &s, true))
		ret = -EFAULT;
	return ret;
}

struct linux_timeval {
	int64_t tv_sec, tv_usec;
};

/*
 * select(n, in, out, ex, timeout): the timeout is left as it was. Its microseconds
 * carry into seconds first, as Linux's kern_select does; then it must be valid.
 */
SYSCALL(sys_select)
{
	struct linux_timeval tv;
	struct linux_timespec ts;

	if (!a[4])
		return do_select(t, a, NO_TIMEOUT);
	if (mm_copy_in(t->proc->mm, &tv, a[4], sizeof(tv)))
		return -EFAULT;
	if (__builtin_add_overflow(tv.tv_sec, tv.tv_usec / 1000000, &ts.tv_sec))
		ts.tv_sec = tv.tv_usec > 0 ? INT64_MAX : -1;
	ts.tv_nsec = tv.tv_usec % 1000000 * 1000;
	if (!timespec_valid(&ts))
		return -EINVAL;
	return do_select(t, a, deadline_in((uint64_t)timespec_ns(&ts)));
}

/* pselect6(n, in, out, ex, timespec, {sigmask pointer, size}) */
SYSCALL(sys_pselect6)
{
	struct linux_timespec ts;
	uint64_t deadline = NO_TIMEOUT, sig[2] = { 0, 0 };
	uint64_t b[6] = { a[0], a[1], a[2], a[3], 0, 0 };

	if (a[4]) {
		if (mm_copy_in(t->proc->mm, &ts, a[4], sizeof(ts)))
			return -EFAULT;
		if (!timespec_valid(&ts))
			return -EINVAL;
		deadline = deadline_in((uint64_t)timespec_ns(&ts));
	}
	if (a[5] && mm_copy_in(t->proc->mm, sig, a[5], sizeof(sig)))
		return -EFAULT;
	if (!sig[0])
		return do_select(t, b, deadline);
	if (sig[1] != sizeof(uint64_t))
		return -EINVAL;
	if (mm_copy_in(t->proc->mm, &sig[0], sig[0], sizeof(uint64_t)))
		return -EFAULT;
	mask_begin(t, sig[0]);
	return mask_end(t, do_select(t, b, deadline));
}
