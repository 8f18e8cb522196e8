/*
 * panic(): the end of the line for a broken invariant of our own code. It prints
 * the message and a backtrace, stops the other CPUs and halts; the launcher sees
 * "TESSERA PANIC" in the log.
 */
#define LOG_SUBSYS "panic"
#include <stdarg.h>
#include "kernel/arch.h"
#include "kernel/printk.h"
#include "lib/printf.h"

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	panic_begin();
	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("TESSERA PANIC: %s", msg);
	arch_backtrace((uintptr_t)__builtin_frame_address(0));
	arch_stop_others();
	arch_halt_forever();
}
