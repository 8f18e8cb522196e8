/*
 * Pipes (include/pcomponent/pipe.h). The ring is guarded by a spinlock, but bytes
 * move to and from user memory outside it (a copy may fault and wait for the
 * network): a reader or writer first claims its side of the pipe, so one reader
 * consumes from the head while one writer appends at the tail, each undisturbed.
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "linux-abi/linux.h"
#include "pcomponent/file.h"
#include "pcomponent/pipe.h"
#include "pcomponent/process.h"

struct pipe {
	struct spinlock lock;		/* everything below but buf's bytes */
	struct wait_queue wq;		/* readers and writers wait for each other here */
	uint32_t head;			/* the first unread byte */
	uint32_t count;			/* unread bytes */
	int readers, writers;		/* open ends */
	bool reading, writing;		/* a side is claimed */
	uint8_t *buf;			/* PIPE_SIZE; the claimants' bytes */
};

/* Claim the read side if there is something to read, or no writer is left. */
static bool claim_read(struct pipe *p)
{
	bool ok;

	spin_lock(&p->lock);
	ok = !p->reading && (p->count || !p->writers);
	if (ok)
		p->reading = true;
	spin_unlock(&p->lock);
	return ok;
}

/*
 * Claim the write side if need bytes fit at once, or no reader is left; *at and
 * *room get the tail and the space as they are now (a reader only adds room).
 */
static bool claim_write(struct pipe *p, uint32_t need, uint32_t *at, uint32_t *room)
{
	bool ok;

	spin_lock(&p->lock);
	ok = !p->writing && (!p->readers || PIPE_SIZE - p->count >= need);
	if (ok) {
		p->writing = true;
		*at = (p->head + p->count) % PIPE_SIZE;
		*room = p->readers ? PIPE_SIZE - p->count : 0;
	}
	spin_unlock(&p->lock);
	return ok;
}

/* Give a side back after moving n bytes (consumed or appended), and wake the other. */
static void release(struct pipe *p, bool reader, uint32_t n)
{
	spin_lock(&p->lock);
	if (reader) {
		p->head = (p->head + n) % PIPE_SIZE;
		p->count -= n;
		p->reading = false;
	} else {
		p->count += n;
		p->writing = false;
	}
	spin_unlock(&p->lock);
	wake_up_all(&p->wq);
}

/* Would a claim have to wait? Then a non-blocking caller gets -EAGAIN instead. */
static bool must_wait(struct pipe *p, bool reader, uint32_t need)
{
	bool wait;

	spin_lock(&p->lock);
	wait = reader ? !p->count && p->writers : p->readers && PIPE_SIZE - p->count < need;
	spin_unlock(&p->lock);
	return wait;
}

/* Copy up to n bytes between user memory and the ring from offset at; bytes moved. */
static uint32_t move(struct pipe *p, struct mm *mm, uint64_t uva, uint32_t at, uint32_t n,
		     bool to_user)
{
	uint32_t done = 0;

	while (done < n) {
		uint32_t off = (at + done) % PIPE_SIZE, k = PIPE_SIZE - off;
		int err;

		if (k > n - done)
			k = n - done;
		err = to_user ? mm_copy_out(mm, uva + done, p->buf + off, k)
			      : mm_copy_in(mm, p->buf + off, uva + done, k);
		if (err)
			break;
		done += k;
	}
	return done;
}

static long pipe_read(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	struct pipe *p = f->priv;
	uint32_t k, done;
	int err;

	if (n == 0)
		return 0;
	if ((f->flags & O_NONBLOCK) && must_wait(p, true, 0))
		return -EAGAIN;
	err = uthread_wait_event(&p->wq, claim_read(p));
	if (err)
		return err;
	k = p->count < n ? p->count : (uint32_t)n;
	done = move(p, mm, uva, p->head, k, true);
	release(p, true, done);
	return done || !k ? (long)done : -EFAULT;
}

/* Append what fits now: all of a write of at most PIPE_BUF bytes, else any part. */
static long write_some(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	struct pipe *p = f->priv;
	uint32_t need = n <= PIPE_BUF ? (uint32_t)n : 1, at, k, done;
	int err;

	if ((f->flags & O_NONBLOCK) && must_wait(p, false, need))
		return -EAGAIN;
	err = uthread_wait_event(&p->wq, claim_write(p, need, &at, &k));
	if (err)
		return err;
	if (!k) {
		release(p, false, 0);
		return -EPIPE;
	}
	if (k > n)
		k = (uint32_t)n;
	done = move(p, mm, uva, at, k, false);
	release(p, false, done);
	return done ? (long)done : -EFAULT;
}

static long pipe_write(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	size_t total = 0;

	while (total < n) {
		long k = write_some(f, mm, uva + total, n - total);

		if (k < 0)
			return total ? (long)total : k;
		total += (size_t)k;
	}
	return (long)total;
}

static unsigned pipe_poll(struct file *f)
{
	struct pipe *p = f->priv;
	bool reader = f->ops->read != NULL;
	unsigned mask = 0;

	spin_lock(&p->lock);
	if (reader) {
		mask |= p->count ? POLLIN : 0;
		mask |= p->writers ? 0 : POLLHUP;
	} else {
		mask |= PIPE_SIZE - p->count >= PIPE_BUF ? POLLOUT : 0;
		mask |= p->readers ? 0 : POLLERR;
	}
	spin_unlock(&p->lock);
	return mask;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	bool last;

	spin_lock(&p->lock);
	if (f->ops->read)
		p->readers--;
	else
		p->writers--;
	last = !p->readers && !p->writers;
	spin_unlock(&p->lock);
	if (!last) {
		wake_up_all(&p->wq);
		return;
	}
	kfree(p->buf);
	kfree(p);
}

static const struct file_ops read_ops = {
	.read = pipe_read, .poll = pipe_poll, .release = pipe_release, .mode = S_IFIFO | 0600,
};

static const struct file_ops write_ops = {
	.write = pipe_write, .poll = pipe_poll, .release = pipe_release, .mode = S_IFIFO | 0600,
};

int pipe_create(uint32_t flags, struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->buf = kmalloc(PIPE_SIZE);
	if (!p->buf)
		goto out_free;
	spin_init(&p->lock, "pipe");
	wait_queue_init(&p->wq);
	p->readers = p->writers = 1;
	*rd = file_new(&read_ops, p, &p->wq, O_RDONLY | (flags & O_NONBLOCK));
	if (!*rd)
		goto out_free_buf;
	*wr = file_new(&write_ops, p, &p->wq, O_WRONLY | (flags & O_NONBLOCK));
	if (!*wr) {
		p->writers = 0;		/* so that closing the read end frees the pipe */
		file_put(*rd);
		return -ENOMEM;
	}
	return 0;
out_free_buf:
	kfree(p->buf);
out_free:
	kfree(p);
	return -ENOMEM;
}
