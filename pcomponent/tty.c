/*
 * The host's terminal (include/pcomponent/tty.h). When the host tool's stdin and
 * stdout are a terminal, it sends keystrokes raw and this is the terminal's line
 * discipline (ldisc.c: editing, echo, Ctrl-C); otherwise the discipline is raw and
 * silent, and programs see a pipe. Output goes out in P2H_OUTPUT messages, in
 * order, each answered before the next, from a buffer of the call's own.
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "lib/string.h"
#include "linux-abi/linux.h"
#include "pcomponent/file.h"
#include "pcomponent/process.h"
#include "pcomponent/signal.h"
#include "tty_internal.h"

#define OUT_CHUNK (NET_OUTPUT_MAX / 2)	/* user bytes per message: NL may become CR NL */

static const struct file_ops in_ops, out_ops, err_ops, rw_ops;

/* A silent, raw discipline: the host's own terminal, if any, does the editing. */
static void set_pipe_like(struct ldisc *ld)
{
	struct linux_termios raw = { .cflag = CS8 | CREAD, .cc = { [VMIN] = 1 } };

	ldisc_set(ld, &raw);
}

struct tty *tty_new(uint8_t host, uint32_t pid, uint16_t rows, uint16_t cols)
{
	struct tty *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->refs = 1;
	t->host = host;
	t->pid = t->fgpgrp = pid;
	t->terminal = rows && cols;
	t->ws = (struct linux_winsize){ .rows = rows, .cols = cols };
	spin_init(&t->lock, "tty");
	wait_queue_init(&t->wq);
	ldisc_init(&t->ld);
	if (!t->terminal)
		set_pipe_like(&t->ld);
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
	static const struct file_ops *const ops[] = { &in_ops, &out_ops, &err_ops, &rw_ops };
	static const uint32_t acc[] = { O_RDONLY, O_WRONLY, O_WRONLY, O_RDWR };
	struct file *f;

	if (stream == TTY_RW && !t->terminal)
		return NULL;
	f = file_new(ops[stream], t, &t->wq, acc[stream]);
	if (f) {
		f->mode = t->terminal ? S_IFCHR | 0620 : S_IFIFO | 0600;
		tty_get(t);
	}
	return f;
}

bool tty_is(const struct tty *t, uint8_t peer, uint32_t pid)
{
	return t->host == peer && t->pid == pid;
}

/* Send n bytes of kernel memory to the host after output processing; 0 or -errno. */
static int send(struct tty *t, unsigned stream, const uint8_t *p, size_t n, uint8_t *msg)
{
	struct p2h_output hdr = { .pid = t->pid, .fd = stream };
	size_t len;
	int err;

	if (__atomic_load_n(&t->hungup, __ATOMIC_RELAXED))
		return -EIO;
	memcpy(msg, &hdr, sizeof(hdr));
	spin_lock(&t->lock);
	len = ldisc_output(&t->ld, p, n, msg + sizeof(hdr));
	spin_unlock(&t->lock);
	err = msg_rpc(t->host, P2H_OUTPUT, msg, sizeof(hdr) + len, NULL, 0, PROC_RPC_TIMEOUT);
	return err < 0 ? -EIO : 0;
}

/* What typing asked for: the echo goes out, the signal to the foreground group. */
static void input_effects(struct tty *t, const struct ldisc_effects *fx)
{
	uint8_t *msg;

	if (fx->sig)
		tty_signal(t, fx->sig);
	if (!fx->echo_len)
		return;
	msg = kmalloc(sizeof(struct p2h_output) + 2 * fx->echo_len);
	if (msg)
		send(t, 1, fx->echo, fx->echo_len, msg);
	kfree(msg);
}

size_t tty_input(struct tty *t, const void *bytes, size_t n, bool eof)
{
	struct ldisc_effects *fx = kmalloc(sizeof(*fx));
	size_t k;

	if (!fx)
		return 0;
	spin_lock(&t->lock);
	k = ldisc_receive(&t->ld, bytes, n, fx);
	if (eof && k == n)
		t->eof = true;
	spin_unlock(&t->lock);
	wake_up_all(&t->wq);
	input_effects(t, fx);
	kfree(fx);
	return k;
}

/* The foreground group is one of the terminal's session (set_pgrp() checks it). */
void tty_signal(struct tty *t, int sig)
{
	signal_send_group(SIGNAL_ANY_VNODE, __atomic_load_n(&t->fgpgrp, __ATOMIC_RELAXED), sig);
}

void tty_resize(struct tty *t, uint16_t rows, uint16_t cols)
{
	spin_lock(&t->lock);
	t->ws.rows = rows;
	t->ws.cols = cols;
	spin_unlock(&t->lock);
	tty_signal(t, SIGWINCH);
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
	ok = ldisc_readable(&t->ld) || t->eof || t->hungup;
	spin_unlock(&t->lock);
	return ok;
}

/* A raw read with VMIN 0 does not wait; neither does a non-blocking one (-EAGAIN). */
static int wait_input(struct file *f, struct tty *t)
{
	bool vmin0;

	spin_lock(&t->lock);
	vmin0 = !(t->ld.tio.lflag & ICANON) && !t->ld.tio.cc[VMIN];
	spin_unlock(&t->lock);
	if (readable(t) || vmin0)
		return 0;
	if (f->flags & O_NONBLOCK)
		return -EAGAIN;
	return uthread_wait_event(&t->wq, readable(t));
}

/* One line in canonical mode, what is there otherwise; 0 at an end of file. */
static long tty_read(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	struct tty *t = f->priv;
	uint8_t buf[256];
	long done = 0;
	int err = n ? wait_input(f, t) : 0;

	if (err)
		return err;
	while ((size_t)done < n) {
		size_t want = n - (size_t)done < sizeof(buf) ? n - (size_t)done : sizeof(buf);
		uint32_t lines;
		size_t k = 0;
		bool line_end;

		spin_lock(&t->lock);
		lines = t->ld.nlines;
		if (ldisc_readable(&t->ld))
			k = ldisc_read(&t->ld, buf, want);
		line_end = (t->ld.tio.lflag & ICANON) && t->ld.nlines != lines;
		spin_unlock(&t->lock);
		if (k && mm_copy_out(mm, uva + (uint64_t)done, buf, k))
			return done ? done : -EFAULT;
		done += (long)k;
		if (!k || line_end)
			break;
	}
	return done;
}

/* Send n bytes at uva to the host as stream's output; bytes sent, or -errno if none. */
static long output(struct tty *t, unsigned stream, struct mm *mm, uint64_t uva, size_t n)
{
	uint8_t *msg = kmalloc(sizeof(struct p2h_output) + 2 * OUT_CHUNK);
	uint8_t *user = kmalloc(OUT_CHUNK);
	size_t done = 0;
	int err = msg && user ? 0 : -ENOMEM;

	while (!err && done < n) {
		size_t k = n - done < OUT_CHUNK ? n - done : OUT_CHUNK;

		err = mm_copy_in(mm, user, uva + done, k);
		if (!err)
			err = send(t, stream, user, k, msg);
		if (!err)
			done += k;
	}
	kfree(msg);
	kfree(user);
	return done ? (long)done : err;
}

static long tty_write(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	return output(f->priv, f->ops == &err_ops ? 2 : 1, mm, uva, n);
}

static unsigned tty_poll(struct file *f)
{
	struct tty *t = f->priv;
	unsigned mask = 0;

	if (f->ops->write)
		mask |= __atomic_load_n(&t->hungup, __ATOMIC_RELAXED) ? POLLHUP : POLLOUT;
	if (f->ops->read && readable(t))
		mask |= POLLIN;
	return mask;
}

static void tty_release(struct file *f)
{
	tty_put(f->priv);
}

static const struct file_ops in_ops = {
	.read = tty_read, .poll = tty_poll, .ioctl = tty_ioctl, .release = tty_release,
};

static const struct file_ops out_ops = {
	.write = tty_write, .poll = tty_poll, .ioctl = tty_ioctl, .release = tty_release,
};

static const struct file_ops err_ops = {
	.write = tty_write, .poll = tty_poll, .ioctl = tty_ioctl, .release = tty_release,
};

static const struct file_ops rw_ops = {
	.read = tty_read, .write = tty_write, .poll = tty_poll, .ioctl = tty_ioctl,
	.release = tty_release,
};
