/*
 * Architectural constants shared by the assembly and C sides of arch/x86:
 * control-register bits, MSR numbers, page-table entry bits, segment selectors.
 */
#ifndef ARCH_X86_ASM_H
#define ARCH_X86_ASM_H

#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define CR4_PGE		(1 << 7)

#define MSR_EFER	0xc0000080
#define EFER_SCE	(1 << 0)
#define EFER_LME	(1 << 8)
#define EFER_NXE	(1 << 11)
#define MSR_GS_BASE	0xc0000101
#define MSR_APIC_BASE	0x1b

#define PTE_P		0x001
#define PTE_W		0x002
#define PTE_U		0x004
#define PTE_PWT		0x008
#define PTE_PCD		0x010
#define PTE_A		0x020
#define PTE_D		0x040
#define PTE_PS		0x080
#define PTE_G		0x100

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define USER_DS		0x23
#define USER_CS		0x2b
#define TSS_SEL		0x30

/* Offsets in struct cpu (kernel/cpu.h) that the syscall entry reads through %gs. */
#define CPU_KERNEL_RSP	8
#define CPU_USER_RSP	16

/* Physical address the application-processor trampoline is copied to. */
#define TRAMPOLINE_PHYS	0x8000

/* Interrupt vectors: 32..239 for devices, the rest for the kernel's own use. */
#define VEC_TIMER	0x20
#define VEC_IRQ_BASE	0x30
#define VEC_RESCHED	0xf1
#define VEC_SHOOTDOWN	0xf2
#define VEC_SPURIOUS	0xff

#endif
