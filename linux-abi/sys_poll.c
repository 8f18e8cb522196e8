/*
 * poll and ppoll over pipes and the terminal: every polled file's wait queue gets a
 * waiter, so whichever changes first wakes the caller, which asks each file again.
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

static long do_poll(struct uthread *t, uint64_t ufds, uint64_t n, uint64_t deadline)
{
	struct mm *mm = t->proc->mm;
	struct poll_set s = { .n = n };
	long ret = -ENOMEM;

	if (n > FD_MAX)
		return -EINVAL;
	s.fds = kmalloc(n * sizeof(*s.fds) + 1);
	s.files = kzalloc(n * sizeof(*s.files) + 1);
	s.w = kzalloc(n * sizeof(*s.w) + 1);
	if (!s.fds || !s.files || !s.w)
		goto out;
	ret = -EFAULT;
	if (mm_copy_in(mm, s.fds, ufds, n * sizeof(*s.fds)))
		goto out;
	for (uint64_t i = 0; i < n; i++) {
		s.files[i] = s.fds[i].fd >= 0 ? fd_get(t->proc->files, s.fds[i].fd) : NULL;
		s.w[i].thread = current();
		list_init(&s.w[i].link);
	}
	ret = wait_ready(&s, deadline);
	for (uint64_t i = 0; i < n; i++)
		if (s.files[i])
			file_put(s.files[i]);
	if (ret >= 0 && mm_copy_out(mm, ufds, s.fds, n * sizeof(*s.fds)))
		ret = -EFAULT;
out:
	kfree(s.fds);
	kfree(s.files);
	kfree(s.w);
	return ret;
}

SYSCALL(sys_poll)
{
	int64_t ms = (int64_t)(int32_t)a[2];

	return do_poll(t, a[0], a[1], ms < 0 ? NO_TIMEOUT : clock_ns() + (uint64_t)ms * 1000000);
}

/* ppoll with a mask: as rt_sigsuspend, a handler runs with the mask as it was before. */
static long ppoll_masked(struct uthread *t, const uint64_t a[6], uint64_t deadline)
{
	uint64_t mask;
	long ret;

	if (!a[3])
		return do_poll(t, a[0], a[1], deadline);
	if (a[4] != sizeof(mask))
		return -EINVAL;
	if (mm_copy_in(t->proc->mm, &mask, a[3], sizeof(mask)))
		return -EFAULT;
	t->saved_mask = __atomic_exchange_n(&t->sigmask, mask, __ATOMIC_RELAXED);
	t->restore_mask = true;
	ret = do_poll(t, a[0], a[1], deadline);
	if (ret != -EINTR) {
		__atomic_store_n(&t->sigmask, t->saved_mask, __ATOMIC_RELAXED);
		t->restore_mask = false;
	}
	return ret;
}

SYSCALL(sys_ppoll)
{
	struct linux_timespec ts;

	if (!a[2])
		return ppoll_masked(t, a, NO_TIMEOUT);
	if (mm_copy_in(t->proc->mm, &ts, a[2], sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	return ppoll_masked(t, a, clock_ns() + (uint64_t)ts.tv_sec * NSEC_PER_SEC +
				  (uint64_t)ts.tv_nsec);
}
