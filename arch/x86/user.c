/*
 * Ring 3 on x86-64: the syscall MSRs, the per-thread state a switch must carry
 * (kernel stack for entries from user mode, page-table root, FS base, FPU
 * registers), the first drop to user mode, and routing user traps to the monitor.
 */
#define LOG_SUBSYS "user"
#include <stddef.h>
#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "kernel/paging.h"
#include "kernel/sched.h"
#include "kernel/user.h"
#include "lib/string.h"
#include "internal.h"
#include "x86.h"

#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082
#define MSR_FMASK	0xc0000084
#define MSR_FS_BASE	0xc0000100
#define CR0_MP		(1 << 1)
#define CR0_EM		(1 << 2)
#define CR4_OSFXSR	(1 << 9)
#define CR4_OSXMMEXCPT	(1 << 10)
/* Cleared on syscall entry: TF, IF, DF, IOPL, NT, AC (as Linux). */
#define SYSCALL_FMASK	0x47700
#define RFLAGS_IF	0x200
/* The flags user code may set (CF PF AF ZF SF TF DF OF AC and ID); IF is always on. */
#define RFLAGS_USER	0x254dd5
#define FPU_FCW_DEFAULT	0x37f
#define FPU_MXCSR_DEFAULT 0x1f80

_Static_assert(offsetof(struct cpu, kernel_rsp) == CPU_KERNEL_RSP, "entry.S offset");
_Static_assert(offsetof(struct cpu, user_rsp) == CPU_USER_RSP, "entry.S offset");
_Static_assert(sizeof(struct user_regs) == sizeof(struct trap_frame), "frame layout");

extern char syscall_entry[];
void user_return(struct trap_frame *f) __attribute__((noreturn));

static const struct user_ops *user_ops;

/* Per CPU: SSE for user code, and the syscall instruction's entry point. */
void user_init_cpu(void)
{
	write_cr0((read_cr0() & ~CR0_EM) | CR0_MP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	wrmsr(MSR_STAR, ((uint64_t)(USER_CS - 16) << 48) | ((uint64_t)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, SYSCALL_FMASK);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

void arch_user_init(const struct user_ops *ops)
{
	user_ops = ops;
}

void arch_user_ctx_init(struct user_ctx *u, uint64_t root)
{
	memset(u, 0, sizeof(*u));
	*(uint16_t *)&u->fpu[0] = FPU_FCW_DEFAULT;
	*(uint32_t *)&u->fpu[24] = FPU_MXCSR_DEFAULT;
	u->root = root;
}

/* Make this CPU run thread t's user side: its kernel stack for entries, space, FPU, FS. */
static void load_user(struct thread *t)
{
	struct cpu *c = this_cpu();
	struct user_ctx *u = t->user;
	uint64_t top = (uint64_t)t->stack + THREAD_STACK_SIZE;

	c->kernel_rsp = top;
	gdt_set_kernel_stack(c->id, top);
	if (read_cr3() != u->root)
		write_cr3(u->root);
	__asm__ volatile("fxrstorq %0" : : "m"(u->fpu));
	wrmsr(MSR_FS_BASE, u->fs_base);
}

/*
 * Called by schedule() with interrupts off, before the stacks change. The FPU is
 * only ever used by user code (the kernel is built with general registers only),
 * so its registers are saved when leaving a user thread and loaded when entering one.
 */
void arch_thread_switch(struct thread *prev, struct thread *next)
{
	if (prev->user)
		__asm__ volatile("fxsaveq %0" : "=m"(prev->user->fpu));
	if (next->user)
		load_user(next);
}

void arch_user_set_fs(uint64_t base)
{
	current()->user->fs_base = base;
	wrmsr(MSR_FS_BASE, base);
}

void arch_user_leave(void)
{
	write_cr3(pgtable_kernel_root());
}

/*
 * An entry to user mode that is not a return from one (a new program, thread or
 * fork child). Entries from ring 3 land at the stack top (TSS and kernel_rsp); this
 * frame is only popped by iretq, so it lives right here. The registers come from the
 * monitor, which may have copied them from user code: only the flags user code may
 * set are kept, and the segments are ring 3's.
 */
void arch_user_enter(const struct user_regs *r)
{
	struct trap_frame f;

	memcpy(&f, r, sizeof(f));
	f.cs = USER_CS;
	f.ss = USER_DS;
	f.rflags = (f.rflags & RFLAGS_USER) | RFLAGS_IF;
	irq_disable();
	load_user(current());
	user_return(&f);
}

struct user_regs *arch_user_regs(void)
{
	uint64_t top = (uint64_t)current()->stack + THREAD_STACK_SIZE;

	return (struct user_regs *)(top - sizeof(struct trap_frame));
}

void arch_user_fpu_copy(struct user_ctx *u)
{
	__asm__ volatile("fxsaveq %0" : "=m"(u->fpu));
}

/* MXCSR bits fxrstor accepts; a reserved one set would fault in the kernel. */
#define MXCSR_VALID	0xffbf

void arch_user_fpu_set(struct user_ctx *u, const void *fx)
{
	memcpy(u->fpu, fx, sizeof(u->fpu));
	*(uint32_t *)&u->fpu[24] &= MXCSR_VALID;
	__asm__ volatile("fxrstorq %0" : : "m"(u->fpu));
}

/* The monitor's last word before ring 3; it may not return (the thread exits). */
static void ret_to_user(struct trap_frame *f)
{
	user_ops->ret_to_user((struct user_regs *)f);
	f->cs = USER_CS;
	f->ss = USER_DS;
	f->rflags = (f->rflags & RFLAGS_USER) | RFLAGS_IF;
}

/* From entry.S with interrupts off: a syscall instruction's saved registers. */
void syscall_trap(struct trap_frame *f)
{
	irq_enable();
	user_ops->syscall((struct user_regs *)f);
	ret_to_user(f);
	irq_disable();
}

/*
 * A CPU exception in ring 3 is the program's, not ours: hand it to the monitor.
 * CR2 must be read before interrupts are enabled, or a nested fault could change it.
 */
void user_trap(struct trap_frame *f)
{
	uint64_t addr = f->vector == USER_EXC_PAGE_FAULT ? read_cr2() : 0;

	irq_enable();
	user_ops->exception((struct user_regs *)f, f->vector, f->error, addr);
	ret_to_user(f);
	irq_disable();
}

/* An interrupt taken in ring 3 is about to return there: a signal may be waiting. */
void user_irq_return(struct trap_frame *f)
{
	irq_enable();
	ret_to_user(f);
	irq_disable();
}
