/*
 * Signals on a pComponent (pcomponent/signal.c): sending to a process or one of its
 * threads, Linux's default actions, handlers entered through a signal frame on the
 * user stack and left through rt_sigreturn. Delivery happens on the way back to
 * ring 3 (uthread_ret_to_user), so a thread takes its signals between instructions.
 */
#ifndef PCOMPONENT_SIGNAL_H
#define PCOMPONENT_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/user.h"
#include "linux-abi/linux.h"

struct uthread;
struct process;

/*
 * Senders name their vNode: a process of another vNode is invisible to them
 * (-ESRCH), as another pid namespace's is on Linux. The monitor itself (a terminal,
 * a child's exit) sends as SIGNAL_ANY_VNODE.
 */
#define SIGNAL_ANY_VNODE 0

/* Send sig to process pid (a thread of it that does not block it takes it). */
int signal_send(uint32_t vnode, uint32_t pid, int sig);
/* Send sig to every process of process group pgid; -ESRCH if there is none. */
int signal_send_group(uint32_t vnode, uint32_t pgid, int sig);
/* Send sig to thread tid (of process tgid, unless 0): tkill, tgkill. */
int signal_send_tid(uint32_t vnode, uint32_t tgid, uint32_t tid, int sig);
/* Send sig to thread t itself (SIGPIPE, a fault). */
void signal_send_thread(struct uthread *t, int sig);
/* Is a signal pending that t does not block? */
bool signal_pending(struct uthread *t);
/* Take t's pending signals: run default actions, or enter a handler by changing r. */
void signal_deliver(struct uthread *t, struct user_regs *r);
/* rt_sigreturn: r becomes what the signal frame at the user stack saved. */
long signal_return(struct uthread *t, struct user_regs *r);
/* rt_sigaction, checked: old and new in the kernel's layout. */
int signal_action(struct process *p, int sig, const struct linux_sigaction *act,
		  struct linux_sigaction *old);
/* Under proc_lock: send sig to p (its parent's SIGCHLD, a terminal's SIGINT). */
void signal_send_locked(struct process *p, int sig);
/* execve: handlers go back to their default action; ignored signals stay ignored. */
void signal_exec(struct process *p);

#endif
