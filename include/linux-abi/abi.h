/*
 * The Linux x86-64 ABI on a pComponent (linux-abi/, linked into pmon only): the
 * system-call table and the initial process stack an ELF program expects.
 */
#ifndef LINUX_ABI_ABI_H
#define LINUX_ABI_ABI_H

#include <stdint.h>
#include "kernel/user.h"

struct process;
struct uthread;
struct mm;

/* Run the system call r->rax with Linux's argument registers; result in r->rax. */
void abi_syscall(struct user_regs *r);
/* Lay out argc, argv, envp and auxv at the top of p's stack; *rsp for entry. */
int abi_initial_stack(struct process *p, uint64_t *rsp);
/*
 * The end of execve: t's process switches to mm (loaded), whose stack gets argc + envc
 * strings (kmalloc'd, taken over), and t enters the new program.
 */
void abi_exec(struct uthread *t, struct mm *mm, char *strings, uint32_t len, uint16_t argc,
	      uint16_t envc) __attribute__((noreturn));

#endif
