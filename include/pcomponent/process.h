/*
 * Threads and processes on a pComponent, as Linux and xv6 split them: a user thread
 * (registers, FPU, TLS, signal mask) runs on one of the pmon's CPUs; a process
 * (pid, parent, exit status, descriptors, signal handlers) owns its threads and an
 * address space (struct mm, pcomponent/mm.h). pcomponent/process.c keeps the table,
 * serves the host's spawn and start, fork, exit and wait; uthread.c runs threads.
 */
#ifndef PCOMPONENT_PROCESS_H
#define PCOMPONENT_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/sched.h"
#include "lib/list.h"
#include "kernel/user.h"
#include "linux-abi/linux.h"
#include "mcomponent/proto.h"
#include "net/wire.h"
#include "pcomponent/mm.h"

#define PROC_MAX 64			/* processes one pmon runs at once */
#define PROC_VNODE_MAX 48		/* of them, processes of one vNode: fork gets -EAGAIN */
#define PROC_RPC_TIMEOUT MM_RPC_TIMEOUT

struct files;
struct fs_cwd;
struct tty;

/* One user thread; its kernel thread's ->user points at .user. */
struct uthread {
	struct user_ctx user;		/* own thread: FPU, FS base, page-table root */
	struct thread *thread;		/* fixed: the kernel thread running it */
	struct process *proc;		/* fixed */
	uint32_t tid;			/* fixed */
	uint64_t sigmask;		/* atomic: blocked signals (bit n - 1: signal n) */
	uint64_t clear_child_tid;	/* own thread: zeroed and woken at exit */
	uint64_t pending;		/* table lock: signals sent to this thread */
	uint64_t saved_mask;		/* own thread: sigsuspend's mask to restore */
	bool restore_mask;		/* own thread: saved_mask is set */
	uint64_t altstack, altstack_size;	/* own thread: sigaltstack, 0 if none */
	struct list_head link;		/* table lock: on proc->threads */
	struct user_regs start;		/* own thread: the registers it first enters with */
};

enum proc_state {
	PROC_NEW,		/* spawned by the host, not started */
	PROC_FORKING,		/* being made by fork: nobody else's to touch */
	PROC_LIVE,		/* running */
	PROC_ZOMBIE,		/* exited; its parent has not waited for it yet */
};

/* A process. The table lock guards the fields so marked. */
struct process {
	uint32_t pid;			/* fixed */
	uint32_t vnode;			/* fixed */
	uint8_t host;			/* fixed: the client whose terminal it uses */
	uint32_t ppid;			/* table lock: 0 if the host started it, or orphaned */
	uint32_t pgid, sid;		/* table lock */
	enum proc_state state;		/* table lock */
	int wstatus;			/* table lock: the wait status, once a zombie */
	int nthreads;			/* table lock: live threads */
	bool exiting;			/* table lock: its threads must stop */
	int exit_wstatus;		/* table lock: what exiting threads report */
	uint64_t pending;		/* table lock: signals sent to the process */
	uint64_t alarm_at;		/* table lock: ITIMER_REAL's clock_ns() deadline, 0: off */
	uint64_t alarm_every;		/* table lock: its interval, 0: once */
	uint64_t cpu_ns;		/* table lock: CPU time of its threads that exited */
	uint64_t children_cpu_ns;	/* table lock: of its children it waited for, and theirs */
	struct linux_sigaction actions[NSIG];	/* table lock; [n - 1]: signal n */
	struct list_head threads;	/* table lock: its live uthreads */
	struct wait_queue child_wq;	/* its wait4 sleeps here; a child's exit wakes it */
	struct mm *mm;			/* its threads': replaced by execve */
	struct files *files;		/* its threads': the descriptor table */
	struct tty *tty;		/* fixed: its controlling terminal (the host's) */
	struct fs_cwd *cwd;		/* table lock: the current directory; NULL: "/" */
	uint32_t umask;			/* atomic: permission bits a create leaves out */
	struct m2p_exec exec;		/* what the home's exec answered */
	int64_t realtime_offset;	/* fixed: CLOCK_REALTIME - clock_ns() */
	char *strings;			/* until started: argv then envp */
	uint32_t strings_len;
	uint16_t argc, envc;
};

/* The RPCs the host calls on a pmon. */
int proc_spawn(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max);
int proc_start(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max);
int proc_input(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max);
int proc_winsize(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max);
int proc_exstats(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max);

int proc_init(const struct node_config *cfg);
/* Live processes and their threads now, for the load report to GPM (pcomponent/load.c). */
void proc_load(uint32_t *threads, uint32_t *procs);
/* User traps on this monitor (pcomponent/fault.c). */
extern const struct user_ops pmon_user_ops;

/* uthread.c: the user thread running on this CPU. */
struct uthread *uthread_current(void);
/* Must the current thread stop sleeping: a signal to take, or its process exiting? */
bool uthread_interrupted(void);

/*
 * Sleep until cond holds (0), or until a signal or the process's exit interrupts the
 * sleep (-EINTR). A sender of signals wakes the thread, which re-checks both.
 */
#define uthread_wait_event(wq, cond)					\
	({								\
		struct waiter __w = { .thread = current() };		\
		int __ret = 0;						\
		list_init(&__w.link);					\
		for (;;) {						\
			prepare_to_wait((wq), &__w);			\
			if (cond)					\
				break;					\
			if (uthread_interrupted()) {			\
				__ret = -EINTR;				\
				break;					\
			}						\
			schedule();					\
		}							\
		finish_wait((wq), &__w);				\
		__ret;							\
	})
/* Start a thread of p on a CPU of the pmon's choice, entering with t->start. */
int uthread_start(struct uthread *t);
/*
 * clone(CLONE_THREAD): a new thread of t's process entering with regs on stack sp
 * (and TLS tls if settls), returning 0 there; its tid, also stored at ptid if given
 * and at ctid if set_ctid; at its exit, ctid is zeroed and woken if clear_ctid.
 */
long uthread_clone(struct uthread *t, const struct user_regs *regs, uint64_t sp,
		   uint64_t tls, bool settls, uint64_t ptid, uint64_t ctid, bool set_ctid,
		   bool clear_ctid);
/* Leave user mode for good: the thread is gone, and so is p if it was the last. */
void uthread_exit(int wstatus) __attribute__((noreturn));
/* pmon_user_ops.ret_to_user: stop a thread whose process exits, deliver signals. */
void uthread_ret_to_user(struct user_regs *r);

/*
 * fork: a copy of the current process (its memory through its home, its
 * descriptors, handlers, mask) whose one thread enters with regs; the child's pid.
 * With child_tid set, the child's copy of that int holds its pid (CLONE_CHILD_SETTID).
 */
long proc_fork(struct uthread *t, const struct user_regs *regs, uint64_t child_tid);
/*
 * execve's switch: t's process now runs in mm (t's registers and FPU start afresh),
 * close-on-exec descriptors close, handlers reset. The old mm, for the caller to put
 * (t no longer runs on it).
 */
struct mm *proc_exec(struct uthread *t, struct mm *mm);
/* What a wait finds of a child that ended. */
struct child_exit {
	uint32_t pid;
	int wstatus;
	uint64_t cpu_ns;	/* its CPU time and that of the children it waited for */
};
/*
 * wait4 and waitid: a child that ended, as pid (wait4's argument: a pid, 0 our group,
 * -1 any, -pgid), in *out with its pid returned, or 0 with WNOHANG, or -ECHILD /
 * -EINTR. Options are Linux's WNOHANG, WEXITED and WNOWAIT (the child stays a zombie);
 * stopped and continued children are never reported: nothing stops here yet.
 */
long proc_wait(struct process *p, int32_t pid, int options, struct child_exit *out);
/* CPU time of p's threads (RUSAGE_SELF), or of the children it waited for. */
uint64_t proc_cpu_ns(struct process *p, bool children);
/* End every thread of the current process with wstatus (exit_group, a fatal signal). */
void proc_exit(int wstatus) __attribute__((noreturn));
/* Kill every process on mm with sig (as a fatal signal, no handler): mm lost a page. */
void proc_kill_mm(struct mm *mm, int sig);
/* Kill the current process with a signal, logging why. */
void proc_kill(int sig, const char *why, uint64_t addr) __attribute__((noreturn));
/* The parent's pid as getppid() answers it. */
uint32_t proc_ppid(struct process *p);
/* pgrp.c: process groups and sessions, with Linux's rules and errors. */
long proc_getpgid(struct process *p, uint32_t pid, bool session);
long proc_setpgid(struct process *p, uint32_t pid, uint32_t pgid);
long proc_setsid(struct process *p);
int proc_tty_signal(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		    size_t max);

#endif
