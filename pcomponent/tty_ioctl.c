/*
 * The terminal's ioctls: termios (TCGETS, TCSETS*), the foreground process group
 * (TIOCGPGRP, TIOCSPGRP), the window size, FIONREAD, TCFLSH. A terminal that is
 * not one (the host's side is a pipe or a file) answers -ENOTTY to all, so
 * isatty() is false, as it is on the host.
 */
#include "kernel/errno.h"
#include "pcomponent/file.h"
#include "pcomponent/mm.h"
#include "pmon.h"
#include "tty_internal.h"

static int get_termios(struct tty *t, struct mm *mm, uint64_t arg)
{
	struct linux_termios tio;

	spin_lock(&t->lock);
	tio = t->ld.tio;
	spin_unlock(&t->lock);
	return mm_copy_out(mm, arg, &tio, sizeof(tio));
}

static int set_termios(struct tty *t, struct mm *mm, uint64_t arg, bool flush)
{
	struct linux_termios tio;

	if (mm_copy_in(mm, &tio, arg, sizeof(tio)))
		return -EFAULT;
	spin_lock(&t->lock);
	if (flush)
		ldisc_flush(&t->ld);
	ldisc_set(&t->ld, &tio);
	spin_unlock(&t->lock);
	return 0;
}

static int put_u32(struct mm *mm, uint64_t arg, uint32_t v)
{
	return mm_copy_out(mm, arg, &v, sizeof(v));
}

static int set_pgrp(struct tty *t, struct mm *mm, uint64_t arg)
{
	int32_t pgrp;

	if (mm_copy_in(mm, &pgrp, arg, sizeof(pgrp)))
		return -EFAULT;
	if (pgrp <= 0)
		return -EINVAL;
	if (!proc_group_exists((uint32_t)pgrp, t->pid))
		return -EPERM;		/* only a group of the terminal's own session */
	__atomic_store_n(&t->fgpgrp, (uint32_t)pgrp, __ATOMIC_RELAXED);
	return 0;
}

static int winsize(struct tty *t, struct mm *mm, uint64_t arg, bool set)
{
	struct linux_winsize ws;

	if (set) {
		if (mm_copy_in(mm, &ws, arg, sizeof(ws)))
			return -EFAULT;
		tty_resize(t, ws.rows, ws.cols);
		return 0;
	}
	spin_lock(&t->lock);
	ws = t->ws;
	spin_unlock(&t->lock);
	return mm_copy_out(mm, arg, &ws, sizeof(ws));
}

static int ready(struct tty *t, struct mm *mm, uint64_t arg)
{
	uint32_t n;

	spin_lock(&t->lock);
	n = ldisc_ready(&t->ld);
	spin_unlock(&t->lock);
	return put_u32(mm, arg, n);
}

int tty_ioctl(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg)
{
	struct tty *t = f->priv;

	if (!t->terminal)
		return -ENOTTY;
	switch (cmd) {
	case TCGETS:
		return get_termios(t, mm, arg);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return set_termios(t, mm, arg, cmd == TCSETSF);
	case TIOCGPGRP:
		return put_u32(mm, arg, __atomic_load_n(&t->fgpgrp, __ATOMIC_RELAXED));
	case TIOCSPGRP:
		return set_pgrp(t, mm, arg);
	case TIOCGSID:
		return put_u32(mm, arg, t->pid);
	case TIOCGWINSZ:
	case TIOCSWINSZ:
		return winsize(t, mm, arg, cmd == TIOCSWINSZ);
	case FIONREAD:
		return ready(t, mm, arg);
	case TIOCOUTQ:
		return put_u32(mm, arg, 0);
	case TCFLSH:
		spin_lock(&t->lock);
		ldisc_flush(&t->ld);
		spin_unlock(&t->lock);
		return 0;
	case TIOCSCTTY:
	case TIOCNOTTY:
		return 0;
	default:
		return -EINVAL;
	}
}
