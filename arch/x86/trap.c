/*
 * The interrupt descriptor table and trap(), where every vector lands: CPU
 * exceptions (fatal in the kernel: a register dump and a symbolized backtrace),
 * the local timer, and the kernel's own IPIs.
 */
#define LOG_SUBSYS "trap"
#include <stdint.h>
#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "kernel/ksyms.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "internal.h"
#include "x86.h"

#define VEC_NMI		2
#define VEC_DF		8
#define VEC_PF		14
#define GATE_INTR	0x8e
#define MAX_FRAMES	24

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));

extern const uint64_t vector_table[256];
static struct idt_gate idt[256];

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization",
	"#CP control protection",
};

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		uint64_t off = vector_table[v];

		idt[v] = (struct idt_gate){
			.off_lo = off & 0xffff,
			.sel = KERNEL_CS,
			.type = GATE_INTR,
			.off_mid = (off >> 16) & 0xffff,
			.off_hi = off >> 32,
		};
	}
	idt[VEC_DF].ist = IST_DOUBLE_FAULT;
	idt[VEC_NMI].ist = IST_NMI;
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(ptr));
}

static void print_frame(uintptr_t addr)
{
	uintptr_t off, size;
	const char *name = ksym_lookup(addr, &off, &size);

	if (name)
		pr_err("  [<%016lx>] %s+%#lx/%#lx", addr, name, off, size);
	else
		pr_err("  [<%016lx>] ?", addr);
}

/*
 * Follow saved frame pointers (every function keeps one: -fno-omit-frame-pointer).
 * The chain is untrusted here, so each frame must be aligned and mapped.
 */
static void walk_frames(uintptr_t fp)
{
	for (int n = 0; n < MAX_FRAMES && fp; n++) {
		const uintptr_t *frame = (const uintptr_t *)fp;

		if ((fp & 7) || fp < DIRECT_MAP || !pgtable_kernel_mapped(fp) ||
		    !pgtable_kernel_mapped(fp + 8))
			break;
		if (frame[1] == 0)
			break;
		print_frame(frame[1]);
		fp = frame[0];
	}
}

void arch_backtrace(uintptr_t fp)
{
	pr_err("backtrace:");
	walk_frames(fp);
}

static void dump_regs(const struct trap_frame *f)
{
	pr_err("  RIP %016lx RSP %016lx RFLAGS %08lx CS %lx SS %lx",
	       f->rip, f->rsp, f->rflags, f->cs, f->ss);
	pr_err("  RAX %016lx RBX %016lx RCX %016lx RDX %016lx", f->rax, f->rbx, f->rcx, f->rdx);
	pr_err("  RSI %016lx RDI %016lx RBP %016lx R8  %016lx", f->rsi, f->rdi, f->rbp, f->r8);
	pr_err("  R9  %016lx R10 %016lx R11 %016lx R12 %016lx", f->r9, f->r10, f->r11, f->r12);
	pr_err("  R13 %016lx R14 %016lx R15 %016lx", f->r13, f->r14, f->r15);
	pr_err("  CR0 %016lx CR2 %016lx CR3 %016lx CR4 %016lx",
	       read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

/* A CPU exception in the kernel is a bug of ours: report it fully and stop. */
static void __attribute__((noreturn)) fatal_exception(const struct trap_frame *f)
{
	const char *name = f->vector < 32 && exception_names[f->vector] ?
			   exception_names[f->vector] : "exception";

	panic_begin();
	if (f->vector == VEC_PF)
		pr_err("TESSERA PANIC: %s at address %#lx (error %#lx) on cpu %u",
		       name, read_cr2(), f->error, this_cpu()->id);
	else
		pr_err("TESSERA PANIC: %s (vector %lu, error %#lx) on cpu %u",
		       name, f->vector, f->error, this_cpu()->id);
	dump_regs(f);
	pr_err("backtrace:");
	print_frame(f->rip);
	walk_frames(f->rbp);
	arch_stop_others();
	arch_halt_forever();
}

void trap(struct trap_frame *f)
{
	switch (f->vector) {
	case VEC_NMI:
		if (panic_in_progress())
			arch_halt_forever();
		pr_warn("NMI on cpu %u ignored", this_cpu()->id);
		return;
	case VEC_TIMER:
		apic_eoi();
		timer_interrupt();
		break;
	case VEC_RESCHED:
		apic_eoi();
		this_cpu()->need_resched = true;
		break;
	case VEC_SHOOTDOWN:
		tlb_shootdown_ipi();
		apic_eoi();
		return;
	case VEC_SPURIOUS:
		return;
	default:
		if (f->vector < 32) {
			if (!(f->cs & 3))
				fatal_exception(f);
			user_trap(f);
			break;
		}
		if (!irq_dispatch(f->vector))
			pr_warn("unexpected interrupt vector %lu on cpu %u", f->vector,
				this_cpu()->id);
		apic_eoi();
		break;
	}
	sched_preempt_irq();
	if ((f->cs & 3) && f->vector >= 32)
		user_irq_return(f);
}
