/*
 * First code to run: GRUB enters _start in 32-bit protected mode with paging off.
 * We build throwaway page tables (identity, direct map and kernel window over the
 * first GiB), switch to long mode and jump to arch_start() in the higher half.
 */
#include "asm.h"

#define MB2_MAGIC	0xe85250d6
#define MB2_ARCH_I386	0

	.section .multiboot, "a"
	.balign 8
mb2_header:
	.long	MB2_MAGIC
	.long	MB2_ARCH_I386
	.long	mb2_header_end - mb2_header
	.long	-(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	.balign 8
	.word	0, 0			/* end tag */
	.long	8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
	.globl	_start
_start:
	cli
	cld
	movl	$boot_stack_low_top, %esp
	movl	%eax, %ebp		/* multiboot2 magic; cpuid and stosl spare %ebp */
	movl	%ebx, %esi		/* multiboot2 info (physical) */

	/* Long mode (bit 29) and NX (bit 20) are both required. */
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_long_mode
	movl	$0x80000001, %eax
	cpuid
	andl	$((1 << 29) | (1 << 20)), %edx
	cmpl	$((1 << 29) | (1 << 20)), %edx
	jne	no_long_mode

	/* Zero the four boot page-table pages. */
	movl	$boot_pml4, %edi
	xorl	%eax, %eax
	movl	$(4 * 4096 / 4), %ecx
	rep stosl

	/* boot_pd maps 0..1 GiB with 2 MiB pages. */
	movl	$boot_pd, %edi
	movl	$(PTE_P | PTE_W | PTE_PS), %eax
	movl	$512, %ecx
1:	movl	%eax, (%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	loop	1b

	movl	$(boot_pd + PTE_P + PTE_W), boot_pdpt_low
	movl	$(boot_pd + PTE_P + PTE_W), boot_pdpt_high + 510 * 8
	movl	$(boot_pdpt_low + PTE_P + PTE_W), boot_pml4		/* identity */
	movl	$(boot_pdpt_low + PTE_P + PTE_W), boot_pml4 + 256 * 8	/* direct map */
	movl	$(boot_pdpt_high + PTE_P + PTE_W), boot_pml4 + 511 * 8	/* kernel window */

	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP | CR0_PE), %eax
	movl	%eax, %cr0

	lgdt	boot_gdt_ptr
	ljmp	$0x08, $long_mode_low

no_long_mode:
	movl	$no_lm_msg, %esi
2:	lodsb
	testb	%al, %al
	jz	3f
	movw	$0x3f8, %dx
	outb	%al, %dx
	jmp	2b
3:	hlt
	jmp	3b

	.code64
long_mode_low:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorw	%ax, %ax
	movw	%ax, %fs
	movw	%ax, %gs
	movabsq	$higher_half, %rax
	jmp	*%rax

	.section .boot.data, "a"
	.balign 8
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
boot_gdt_ptr:
	.word	boot_gdt_ptr - boot_gdt - 1
	.long	boot_gdt
no_lm_msg:
	.asciz	"TESSERA PANIC: this CPU lacks long mode or NX\r\n"

	.section .boot.bss, "aw", @nobits
	.balign 4096
	.globl	boot_pml4
boot_pml4:	.skip 4096
boot_pdpt_low:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4096
		.skip 1024
boot_stack_low_top:

	.text
higher_half:
	movabsq	$boot_stack_top, %rsp
	movl	%ebp, %edi		/* arch_start(magic, mbi_phys) */
	xorl	%ebp, %ebp		/* ends the backtrace */
	call	arch_start
4:	cli
	hlt
	jmp	4b

	.bss
	.balign 16
	.skip	16384
boot_stack_top:
