/*
 * arch_start(): the boot CPU's way from boot.S to kernel_main(). The order matters:
 * console first (so everything after can report), then memory (the page tables need
 * the early allocator), then the clock (the APIC timer and AP startup use it).
 */
#define LOG_SUBSYS "boot"
#include <stdint.h>
#include "kernel/arch.h"
#include "kernel/boot.h"
#include "kernel/cpu.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "internal.h"
#include "x86.h"

struct cpu cpus[MAX_CPUS];
unsigned ncpus = 1;
struct acpi_madt madt;

/* Point %gs at this CPU's struct cpu; this_cpu() works from here on. */
void cpu_setup(struct cpu *c, unsigned id)
{
	c->self = c;
	c->id = id;
	wrmsr(MSR_GS_BASE, (uint64_t)c);
}

void arch_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* NMIs get through even to a CPU spinning with interrupts off; trap() halts it. */
void arch_stop_others(void)
{
	if (smp_online_count() > 1)
		apic_send_nmi_others();
}

void *arch_stack_init(void *stack_top, void (*entry)(void))
{
	uint64_t *sp = stack_top;

	*--sp = 0;			/* entry's return address: ends backtraces */
	*--sp = (uint64_t)entry;	/* where arch_switch() returns to */
	for (int i = 0; i < 6; i++)
		*--sp = 0;		/* rbp rbx r12 r13 r14 r15 */
	return sp;
}

void arch_start(uint32_t magic, uint64_t mbi_phys)
{
	console_init();
	gdt_init_cpu(0);
	user_init_cpu();
	cpu_setup(&cpus[0], 0);
	idt_init();
	idt_load();
	multiboot_parse(magic, mbi_phys);
	page_alloc_early_init(&boot_info);
	paging_init();
	page_alloc_init(&boot_info);
	kmalloc_init();
	clock_init();
	apic_init();
	if (acpi_madt(&madt))
		pr_warn("no ACPI MADT");
	ioapic_init();
	smp_boot();
	pci_init();
	kernel_main();
}
