/*
 * Bring up every CPU the firmware lists. Each AP leaves the trampoline on the
 * boot page tables, switches to the kernel's, sets up its own GDT, APIC and idle
 * thread, reports online and enters the scheduler's idle loop.
 */
#define LOG_SUBSYS "smp"
#include <stdint.h>
#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "kernel/mm.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "internal.h"
#include "x86.h"

#define AP_TIMEOUT_NS (1000 * NSEC_PER_MSEC)

struct trampoline_params {
	uint64_t boot_cr3;
	uint64_t kernel_cr3;
	uint64_t stack;
	uint64_t cpu;
};

extern const char trampoline_start[], trampoline_end[], trampoline_params[];
extern char boot_pml4[];

static unsigned online = 1;

unsigned smp_online_count(void)
{
	return __atomic_load_n(&online, __ATOMIC_ACQUIRE);
}

/* First C code of an AP (from ap_start), on the stack smp_boot() gave it. */
void __attribute__((noreturn)) ap_main(uint64_t id)
{
	struct cpu *c = &cpus[id];

	paging_init_cpu();
	gdt_init_cpu(id);
	user_init_cpu();
	cpu_setup(c, id);
	idt_load();
	apic_init_cpu();
	sched_init_cpu();
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	__atomic_fetch_add(&online, 1, __ATOMIC_RELEASE);
	sched_idle();
}

static bool start_ap(unsigned id, uint32_t apic)
{
	struct trampoline_params *p = phys_to_virt(TRAMPOLINE_PHYS +
						   (trampoline_params - trampoline_start));
	void *stack = page_alloc(THREAD_STACK_ORDER);
	uint64_t deadline;

	if (!stack)
		return false;
	cpus[id].apic_id = apic;
	p->boot_cr3 = (uint64_t)boot_pml4;	/* .boot.bss: linked at its physical address */
	p->kernel_cr3 = pgtable_kernel_root();
	p->stack = (uint64_t)stack + THREAD_STACK_SIZE;
	p->cpu = id;
	apic_start_ap(apic, TRAMPOLINE_PHYS >> 12);
	deadline = clock_ns() + AP_TIMEOUT_NS;
	while (!__atomic_load_n(&cpus[id].online, __ATOMIC_ACQUIRE)) {
		if (clock_ns() > deadline) {
			page_free(stack);
			return false;
		}
		cpu_relax();
	}
	return true;
}

void smp_boot(void)
{
	uint32_t self = apic_id();

	cpus[0].apic_id = self;
	if (madt.ncpus == 0) {
		pr_warn("no processors in the ACPI MADT: running on the boot CPU only");
		return;
	}
	memcpy(phys_to_virt(TRAMPOLINE_PHYS), trampoline_start,
	       trampoline_end - trampoline_start);
	for (unsigned i = 0; i < madt.ncpus; i++) {
		unsigned id = ncpus;

		if (madt.apic_ids[i] == self)
			continue;
		if (!start_ap(id, madt.apic_ids[i])) {
			pr_err("cpu with APIC id %u did not come up", madt.apic_ids[i]);
			continue;
		}
		ncpus++;
	}
	pr_info("%u CPUs online", ncpus);
}
