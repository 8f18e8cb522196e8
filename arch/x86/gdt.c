/*
 * Segmentation, as little as long mode needs: one GDT and TSS per CPU. The TSS
 * gives double faults and NMIs their own stacks (IST), so a kernel stack overflow
 * still reaches the panic printer.
 */
#include <stdint.h>
#include "kernel/cpu.h"
#include "internal.h"

#define IST_STACK_SIZE		4096

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss) == 104, "64-bit TSS layout");

struct cpu_tables {
	uint64_t gdt[8];
	struct tss tss;
	uint8_t ist_stacks[2][IST_STACK_SIZE] __attribute__((aligned(16)));
};

static struct cpu_tables tables[MAX_CPUS];

/* A TSS descriptor is 16 bytes: two GDT slots. */
static void set_tss(uint64_t *gdt, const struct tss *tss)
{
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

	gdt[TSS_SEL / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			   (0x89ULL << 40) | ((limit >> 16 & 0xf) << 48) |
			   ((base >> 24 & 0xff) << 56);
	gdt[TSS_SEL / 8 + 1] = base >> 32;
}

/* Where the CPU switches stacks on an interrupt or exception from user mode. */
void gdt_set_kernel_stack(unsigned id, uint64_t top)
{
	tables[id].tss.rsp[0] = top;
}

void gdt_init_cpu(unsigned id)
{
	struct cpu_tables *t = &tables[id];
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(t->gdt) - 1, (uint64_t)t->gdt };

	t->gdt[KERNEL_CS / 8] = 0x00af9a000000ffffULL;
	t->gdt[KERNEL_DS / 8] = 0x00cf92000000ffffULL;
	t->gdt[3] = 0x00cffa000000ffffULL;		/* 32-bit user code: sysret layout */
	t->gdt[USER_DS / 8] = 0x00cff2000000ffffULL;
	t->gdt[USER_CS / 8] = 0x00affa000000ffffULL;
	t->tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)t->ist_stacks[0] + IST_STACK_SIZE;
	t->tss.ist[IST_NMI - 1] = (uint64_t)t->ist_stacks[1] + IST_STACK_SIZE;
	t->tss.iomap_base = sizeof(t->tss);
	set_tss(t->gdt, &t->tss);

	__asm__ volatile("lgdt %0" : : "m"(ptr));
	__asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
			 : : "i"(KERNEL_CS) : "rax", "memory");
	__asm__ volatile("movw %w0, %%ds; movw %w0, %%es; movw %w0, %%ss"
			 : : "r"(KERNEL_DS));
	__asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
}
