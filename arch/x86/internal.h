/*
 * Private to arch/x86: how its files call each other during bring-up and from
 * the trap path. The portable kernel sees only include/kernel/arch.h.
 */
#ifndef ARCH_X86_INTERNAL_H
#define ARCH_X86_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/cpu.h"
#include "asm.h"

struct cpu;

/* Interrupt stack table slots (TSS.IST1..) for faults that cannot trust the stack. */
#define IST_DOUBLE_FAULT	1
#define IST_NMI			2

/* The register state trap_common pushes; the layout matches entry.S. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

void multiboot_parse(uint32_t magic, uint64_t mbi_phys);

void cpu_setup(struct cpu *c, unsigned id);
void gdt_init_cpu(unsigned id);
void gdt_set_kernel_stack(unsigned id, uint64_t top);
void user_init_cpu(void);
void user_trap(struct trap_frame *f);
void user_irq_return(struct trap_frame *f);
void idt_init(void);
void idt_load(void);
void trap(struct trap_frame *f);

void paging_init(void);
void paging_init_cpu(void);
bool pgtable_kernel_mapped(uintptr_t va);
void tlb_shootdown_ipi(void);

void clock_init(void);
void clock_delay_ns(uint64_t ns);
uint64_t pit_measure(uint64_t (*counter)(void), uint64_t *ns);

void apic_init(void);
void apic_init_cpu(void);
uint32_t apic_id(void);
void apic_eoi(void);
void apic_send_ipi(uint32_t apic_id, uint8_t vector);
void apic_send_ipi_others(uint8_t vector);
void apic_send_nmi_others(void);
void apic_start_ap(uint32_t apic_id, uint8_t vector_page);

/* What the MADT says; isa_flags hold the MPS polarity/trigger bits of an override. */
struct acpi_madt {
	uint32_t apic_ids[MAX_CPUS];
	unsigned ncpus;
	uint32_t ioapic_addr;		/* 0: none */
	uint32_t ioapic_gsi_base;
	uint32_t isa_gsi[16];
	uint16_t isa_flags[16];
};

extern struct acpi_madt madt;
int acpi_madt(struct acpi_madt *info);

void ioapic_init(void);
bool irq_dispatch(unsigned vector);

void smp_boot(void);
void ap_main(uint64_t id) __attribute__((noreturn));
unsigned smp_online_count(void);

void pci_init(void);

#endif
