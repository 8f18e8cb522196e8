/*
 * Application-processor startup code. smp.c copies this blob to TRAMPOLINE_PHYS,
 * fills in the parameters at its end and sends STARTUP; each AP runs it from real
 * mode through protected mode into long mode on the boot page tables, then jumps
 * to ap_start in the kernel image. Addresses are computed for the copy's location.
 */
#include "asm.h"

#define REL(x)	((x) - trampoline_start + TRAMPOLINE_PHYS)

	.section .rodata
	.globl	trampoline_start, trampoline_end, trampoline_params
	.code16
trampoline_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	lgdtl	REL(tramp_gdt_ptr)
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $REL(tramp32)

	.code32
tramp32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	REL(param_boot_cr3), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP), %eax
	movl	%eax, %cr0
	ljmpl	$0x18, $REL(tramp64)

	.code64
tramp64:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movq	REL(param_cpu), %rdi
	movq	REL(param_stack), %rsi
	movq	REL(param_kernel_cr3), %rdx
	movabsq	$ap_start, %rax
	jmp	*%rax

	.balign 8
tramp_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
	.quad	0x00af9a000000ffff	/* 0x18: 64-bit code */
tramp_gdt_ptr:
	.word	tramp_gdt_ptr - tramp_gdt - 1
	.long	REL(tramp_gdt)

	.balign 8
trampoline_params:
param_boot_cr3:	.quad 0
param_kernel_cr3: .quad 0
param_stack:	.quad 0
param_cpu:	.quad 0
trampoline_end:

/*
 * In the higher half now, which both page tables map: switch to the kernel's
 * tables before touching the stack (it may lie beyond what the boot tables map).
 */
	.text
ap_start:
	movq	%rdx, %cr3
	movq	%rsi, %rsp
	xorl	%ebp, %ebp
	call	ap_main
1:	hlt
	jmp	1b
