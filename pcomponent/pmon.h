/*
 * What the process monitor's files share: the process table behind its lock
 * (process.c), and the steps of a process's life that other files take (exit.c).
 */
#ifndef PCOMPONENT_PMON_H
#define PCOMPONENT_PMON_H

#include "kernel/spinlock.h"
#include "pcomponent/process.h"

/* Guards the table and every struct process field marked "table lock". */
extern struct spinlock proc_lock;

/* A new pid for p, in the table; -EAGAIN when the pmon or p's vNode is full. */
int proc_add(struct process *p);
/* Out of the table and freed; the caller holds no reference to its mm or files. */
void proc_free(struct process *p);
/* The process pid, or NULL. Under proc_lock. */
struct process *proc_lookup(uint32_t pid);
/* Every process in the table, for a scan under proc_lock (NULL entries skipped). */
struct process *proc_at(unsigned slot);
/* p's thread tid, or NULL. Under proc_lock. */
struct uthread *proc_thread(struct process *p, uint32_t tid);
/* An unused pid or tid. Under proc_lock. */
uint32_t proc_new_id(void);
/* Is there a process group pgid in session sid (a terminal's foreground candidate)? */
bool proc_group_exists(uint32_t pgid, uint32_t sid);
/* The terminal peer's request for pid addresses, with a reference; NULL if none. */
struct tty *proc_tty_of(uint8_t peer, uint32_t pid);

/* exit.c: the last thread of p is gone; p becomes a zombie or is freed. */
void proc_exited(struct process *p, int wstatus);

#endif
