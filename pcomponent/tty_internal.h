/*
 * Private to the terminal's files (tty.c, tty_ioctl.c): the struct behind
 * include/pcomponent/tty.h's handle.
 */
#ifndef PCOMPONENT_TTY_INTERNAL_H
#define PCOMPONENT_TTY_INTERNAL_H

#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "pcomponent/ldisc.h"
#include "pcomponent/tty.h"

struct tty {
	int refs;			/* atomic: its open files and processes */
	uint8_t host;			/* fixed */
	uint32_t pid;			/* fixed: the process the host spawned; its session */
	bool terminal;			/* fixed: the host's stdin and stdout are a terminal */
	struct spinlock lock;		/* below */
	struct ldisc ld;		/* raw, without echo, when not a terminal */
	bool eof;			/* the host's input ended */
	bool hungup;			/* the host is gone */
	uint32_t fgpgrp;		/* the foreground process group: its signals */
	struct linux_winsize ws;
	struct wait_queue wq;		/* readers wait for input here */
};

/* tty_ioctl.c: the terminal ioctls (TCGETS, TIOCSPGRP, TIOCGWINSZ, ...). */
int tty_ioctl(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg);

#endif
