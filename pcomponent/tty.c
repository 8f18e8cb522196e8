/*
 * The host's terminal (include/pcomponent/tty.h). Output goes out in P2H_OUTPUT
 * messages, in order, each answered before the next, from a buffer of the call's
 * own. Input waits in a small ring the host fills; its end is sticky, as a pipe's.
 * There is no line discipline: the host's own terminal edits and echoes lines, so
 * isatty() is false here and programs pick the buffering they would in a pipe.
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "lib/string.h"
#include "linux-abi/linux.h"
#include "pcomponent/file.h"
#include "pcomponent/process.h"
#include "pcomponent/tty.h"

struct tty {
	int refs;			/* atomic: its open files */
	uint8_t host;			/* fixed */
	uint32_t pid;			/* fixed: the process the host spawned */
	struct spinlock lock;		/* below */
	uint8_t in[NET_INPUT_MAX];
	uint32_t head, count;
	bool eof;			/* the host's input ended */
	bool hungup;			/* the host is gone */
	struct wait_queue wq;		/* readers wait for input here */
};

static const struct file_ops in_ops, out_ops, err_ops;

struct tty *tty_new(uint8_t host, uint32_t pid)
{
	struct tty *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->refs = 1;
	t->host = host;
	t->pid = pid;
	spin_init(&t->lock, "tty");
	wait_queue_init(&t->wq);
	return t;
}

void tty_get(struct tty *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
}

void tty_put(struct tty *t)
{
	if (!__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		kfree(t);
}

struct file *tty_open(struct tty *t, unsigned stream)
{
	static const struct file_ops *const ops[] = { &in_ops, &out_ops, &err_ops };
	struct file *f = file_new(ops[stream], t, &t->wq, stream ? O_WRONLY : O_RDONLY);

	if (f)
		tty_get(t);
	return f;
}

bool tty_is(const struct tty *t, uint8_t peer, uint32_t pid)
{
	return t->host == peer && t->pid == pid;
}

size_t tty_input(struct tty *t, const void *bytes, size_t n, bool eof)
{
	size_t k;

	spin_lock(&t->lock);
	k = NET_INPUT_MAX - t->count < n ? NET_INPUT_MAX - t->count : n;
	for (size_t i = 0; i < k; i++)
		t->in[(t->head + t->count + i) % NET_INPUT_MAX] = ((const uint8_t *)bytes)[i];
	t->count += (uint32_t)k;
	if (eof && k == n)
		t->eof = true;
	spin_unlock(&t->lock);
	wake_up_all(&t->wq);
	return k;
}

void tty_hangup(struct tty *t)
{
	spin_lock(&t->lock);
	t->hungup = true;
	spin_unlock(&t->lock);
	wake_up_all(&t->wq);
}

static bool readable(struct tty *t)
{
	bool ok;

	spin_lock(&t->lock);
	ok = t->count || t->eof || t->hungup;
	spin_unlock(&t->lock);
	return ok;
}

/* Copy what is buffered (up to n) out of the ring; only readers consume, one at a time. */
static long tty_read(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	struct tty *t = f->priv;
	uint8_t buf[256];
	long done = 0;
	int err;

	if ((f->flags & O_NONBLOCK) && !readable(t))
		return -EAGAIN;
	err = uthread_wait_event(&t->wq, readable(t));
	if (err)
		return err;
	while ((size_t)done < n) {
		uint32_t k = 0;

		spin_lock(&t->lock);
		for (; k < sizeof(buf) && k < n - (size_t)done && k < t->count; k++)
			buf[k] = t->in[(t->head + k) % NET_INPUT_MAX];
		t->head = (t->head + k) % NET_INPUT_MAX;
		t->count -= k;
		spin_unlock(&t->lock);
		if (!k)
			break;
		if (mm_copy_out(mm, uva + (uint64_t)done, buf, k))
			return done ? done : -EFAULT;
		done += k;
	}
	return done;
}

/* Send n bytes at uva to the host as stream's output; bytes sent, or -errno if none. */
static long output(struct tty *t, unsigned stream, struct mm *mm, uint64_t uva, size_t n)
{
	struct p2h_output hdr = { .pid = t->pid, .fd = stream };
	uint8_t *msg = kmalloc(sizeof(hdr) + NET_OUTPUT_MAX);
	size_t done = 0;
	int err = 0;

	if (!msg)
		return -ENOMEM;
	memcpy(msg, &hdr, sizeof(hdr));
	while (!err && done < n) {
		size_t k = n - done < NET_OUTPUT_MAX ? n - done : NET_OUTPUT_MAX;

		err = mm_copy_in(mm, msg + sizeof(hdr), uva + done, k);
		if (!err && __atomic_load_n(&t->hungup, __ATOMIC_RELAXED))
			err = -EIO;
		if (!err)
			err = msg_rpc(t->host, P2H_OUTPUT, msg, sizeof(hdr) + k, NULL, 0,
				      PROC_RPC_TIMEOUT);
		if (err > 0)
			err = 0;
		if (!err)
			done += k;
	}
	kfree(msg);
	if (err && err != -EFAULT)
		err = -EIO;
	return done ? (long)done : err;
}

static long tty_write(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	return output(f->priv, f->ops == &err_ops ? 2 : 1, mm, uva, n);
}

static unsigned tty_poll(struct file *f)
{
	struct tty *t = f->priv;

	if (f->ops != &in_ops)
		return __atomic_load_n(&t->hungup, __ATOMIC_RELAXED) ? POLLHUP : POLLOUT;
	return readable(t) ? POLLIN : 0;
}

/* Not a terminal, as far as programs can tell (see the top of this file). */
static int tty_ioctl(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg)
{
	(void)f, (void)mm, (void)cmd, (void)arg;
	return -ENOTTY;
}

static void tty_release(struct file *f)
{
	tty_put(f->priv);
}

static const struct file_ops in_ops = {
	.read = tty_read, .poll = tty_poll, .ioctl = tty_ioctl, .release = tty_release,
	.mode = S_IFIFO | 0600,
};

static const struct file_ops out_ops = {
	.write = tty_write, .poll = tty_poll, .ioctl = tty_ioctl, .release = tty_release,
	.mode = S_IFIFO | 0600,
};

static const struct file_ops err_ops = {
	.write = tty_write, .poll = tty_poll, .ioctl = tty_ioctl, .release = tty_release,
	.mode = S_IFIFO | 0600,
};
