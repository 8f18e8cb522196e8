/*
 * What the portable kernel needs from the architecture: interrupt flags, idling,
 * context switching, the one-shot timer, IPIs and backtraces. arch/x86 implements it;
 * nothing outside arch/x86 includes that directory's private headers.
 */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IRQ_FLAG_IF 0x200UL

static inline unsigned long irq_save(void)
{
	unsigned long flags;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static inline void irq_restore(unsigned long flags)
{
	if (flags & IRQ_FLAG_IF)
		__asm__ volatile("sti" : : : "memory");
}

static inline void irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

/*
 * Enable interrupts and halt in one step (sti's shadow covers hlt, so a wakeup
 * cannot slip in between); returns with interrupts disabled after one arrives.
 */
static inline void arch_idle(void)
{
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

void arch_halt_forever(void) __attribute__((noreturn));

/* Save callee-saved registers on this stack, store its pointer in *old_sp, resume new_sp. */
void arch_switch(void **old_sp, void *new_sp);
struct thread;
/* Carry per-thread CPU state (user address space, FPU, kernel stack) from prev to next. */
void arch_thread_switch(struct thread *prev, struct thread *next);
/* Prepare a fresh stack so that the first arch_switch() to it calls entry(). */
void *arch_stack_init(void *stack_top, void (*entry)(void));

/* Fire the local timer interrupt once, at clock_ns() == deadline; 0 stops it. */
void arch_timer_arm(uint64_t deadline_ns);
void arch_send_resched(unsigned cpu);

/* Print the call chain starting at frame pointer fp, one symbolized line per frame. */
void arch_backtrace(uintptr_t fp);
uintptr_t arch_frame_pointer(void);

/* Bits that differ from boot to boot (an endpoint's epoch); not cryptographic. */
uint64_t arch_entropy(void);

/* CRC32C in hardware (same results as net/'s table version), where the CPU has it. */
bool arch_has_crc32c(void);
uint32_t arch_crc32c(uint32_t crc, const void *p, size_t n);

/* The architecture's own boot self-test: NULL, or what failed. */
const char *arch_selftest(void);

/* Stop every other CPU (used by panic). */
void arch_stop_others(void);

#endif
