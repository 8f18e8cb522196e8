/*
 * User mode, as the architecture offers it to the process monitor: a thread's user
 * context (address space, FS base, FPU state), entering ring 3 with a full register
 * frame, the ways back (a system call, an exception such as a page fault, an
 * interrupt), and one hook on every return to ring 3. arch/x86/user.c.
 */
#ifndef KERNEL_USER_H
#define KERNEL_USER_H

#include <stdint.h>

/*
 * User registers as the kernel saved them on entry, at the top of the thread's kernel
 * stack; changes take effect on return to ring 3.
 */
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

/* What the monitor does when user code traps; all run with interrupts enabled. */
struct user_ops {
	void (*syscall)(struct user_regs *r);
	/* addr is the faulting address for page faults, else 0. */
	void (*exception)(struct user_regs *r, unsigned vector, uint64_t error, uint64_t addr);
	/* Last thing before every return to ring 3 (signals are delivered here). */
	void (*ret_to_user)(struct user_regs *r);
};

/* Enable the syscall instruction on every CPU and route user traps to ops. */
void arch_user_init(const struct user_ops *ops);
/* Fresh FPU state, no FS base, address space root. */
void arch_user_ctx_init(struct user_ctx *u, uint64_t root);
/* Enter ring 3 with registers r (segments and privileged flags are forced) on the
 * current (user) thread: a new program, a forked child, a new thread. */
void arch_user_enter(const struct user_regs *r) __attribute__((noreturn));
/* The frame of the current thread's last entry from ring 3. */
struct user_regs *arch_user_regs(void);
/* Copy the current thread's FPU state into u (for a fork or a new thread). */
void arch_user_fpu_copy(struct user_ctx *u);
/* Load FPU state from user memory's copy fx (512 bytes, fxsave's layout) into u and
 * the registers of the current thread (whose context u is); reserved bits are cleared. */
void arch_user_fpu_set(struct user_ctx *u, const void *fx);
/* Set the current thread's FS base (its TLS pointer). */
void arch_user_set_fs(uint64_t base);
/* Leave the user address space on this CPU (before it is destroyed). */
void arch_user_leave(void);

#endif
