/*
 * User mode, as the architecture offers it to the process monitor: a thread's user
 * context (address space, FS base, FPU state), entering ring 3, and the two ways
 * back (a system call, or an exception such as a page fault). arch/x86/user.c.
 */
#ifndef KERNEL_USER_H
#define KERNEL_USER_H

#include <stdint.h>

/* User registers as the kernel saved them on entry; changes take effect on return. */
struct user_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Per user thread; thread->user points at it. Only its own thread touches it. */
struct user_ctx {
	uint8_t fpu[512] __attribute__((aligned(16)));	/* fxsave area */
	uint64_t root;			/* page-table root of the address space */
	uint64_t fs_base;		/* arch_prctl(ARCH_SET_FS) */
};

/* Exception numbers the monitor tells apart. */
#define USER_EXC_PAGE_FAULT 14
/* error bits of a page fault */
#define USER_PF_PRESENT 0x1
#define USER_PF_WRITE 0x2
#define USER_PF_FETCH 0x10

/* What the monitor does when user code traps; both run with interrupts enabled. */
struct user_ops {
	void (*syscall)(struct user_regs *r);
	/* addr is the faulting address for page faults, else 0. */
	void (*exception)(struct user_regs *r, unsigned vector, uint64_t error, uint64_t addr);
};

/* Enable the syscall instruction on every CPU and route user traps to ops. */
void arch_user_init(const struct user_ops *ops);
/* Fresh FPU state, no FS base, address space root. */
void arch_user_ctx_init(struct user_ctx *u, uint64_t root);
/* Drop to ring 3 at rip with stack rsp, on the current (user) thread. */
void arch_user_enter(uint64_t rip, uint64_t rsp) __attribute__((noreturn));
/* Set the current thread's FS base (its TLS pointer). */
void arch_user_set_fs(uint64_t base);
/* Leave the user address space on this CPU (before it is destroyed). */
void arch_user_leave(void);

#endif
