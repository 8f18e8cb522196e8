/*
 * Trap entry and context switch. Every vector has a stub that pushes a uniform
 * frame (error code or 0, vector number) and joins trap_common, which saves the
 * general registers as a struct trap_frame and calls trap().
 */
#include "asm.h"

	.altmacro
.macro push_regs	/* the general registers, as struct trap_frame has them */
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

.macro vector n
	.balign 16
vector\n:
	/* Vectors where the CPU pushes an error code itself. */
	.if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushq	$0
	.endif
	pushq	$\n
	jmp	trap_common
.endm

.macro vector_addr n
	.quad	vector\n
.endm

	.text
	.set	i, 0
	.rept	256
	vector	%i
	.set	i, i + 1
	.endr

trap_common:
	testb	$3, 24(%rsp)		/* from user mode: switch to the kernel %gs */
	jz	1f
	swapgs
1:	push_regs
	cld
	movq	%rsp, %rdi
	call	trap
	/* Fall through: the way back from every trap, and the first entry to user mode. */
trap_return:
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	testb	$3, 24(%rsp)
	jz	2f
	swapgs
2:	addq	$16, %rsp		/* vector and error code */
	iretq

/* void user_return(struct trap_frame *f): leave through f, which lies at the stack top. */
	.globl	user_return
user_return:
	movq	%rdi, %rsp
	jmp	trap_return

/*
 * The syscall instruction lands here with interrupts off (FMASK), user %gs, user
 * %rsp, the return %rip in %rcx and %rflags in %r11. Build a trap frame on the
 * thread's kernel stack, as an interrupt would, and leave through trap_return:
 * iretq restores everything, so no sysret corner case needs handling.
 */
	.globl	syscall_entry
syscall_entry:
	swapgs
	movq	%rsp, %gs:CPU_USER_RSP
	movq	%gs:CPU_KERNEL_RSP, %rsp
	pushq	$USER_DS
	pushq	%gs:CPU_USER_RSP
	pushq	%r11
	pushq	$USER_CS
	pushq	%rcx
	pushq	$0			/* error */
	pushq	$0x100			/* vector: a system call, not a trap */
	push_regs
	movq	%rsp, %rdi
	call	syscall_trap
	jmp	trap_return

	.section .rodata
	.balign 8
	.globl	vector_table
vector_table:
	.set	i, 0
	.rept	256
	vector_addr %i
	.set	i, i + 1
	.endr

	.text
/* void arch_switch(void **old_sp, void *new_sp) */
	.globl	arch_switch
arch_switch:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
