/*
 * printk: formats one line with the "[<node> <subsys>] " prefix and writes it to
 * the console under a lock, so lines from different CPUs never interleave.
 */
#include <stdarg.h>
#include "kernel/arch.h"
#include "kernel/monitor.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "lib/printf.h"

#define LINE_MAX 320

static struct spinlock console_lock = SPINLOCK_INIT("console");
static const char *node_name;		/* NULL: the role's name, until the config names us */
static enum log_level max_level = LOG_INFO;
static volatile bool panicking;

void printk_set_node(const char *name)
{
	node_name = name;
}

void printk_set_level(enum log_level level)
{
	max_level = level;
}

bool panic_in_progress(void)
{
	return panicking;
}

void panic_begin(void)
{
	irq_disable();
	panicking = true;
}

void printk(enum log_level level, const char *subsys, const char *fmt, ...)
{
	char line[LINE_MAX];
	unsigned long flags;
	va_list ap;
	int n;

	if (level > max_level)
		return;
	n = ksnprintf(line, sizeof(line), "[%s %s] ",
		      node_name ? node_name : role_name(monitor.role), subsys);
	if (n > LINE_MAX / 2)
		n = LINE_MAX / 2;	/* a runaway prefix still leaves room for the message */
	va_start(ap, fmt);
	n += kvsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > LINE_MAX - 2)
		n = LINE_MAX - 2;
	line[n++] = '\n';
	/* A panicking CPU may have stopped another one inside this lock: print anyway. */
	if (panicking) {
		console_write(line, n);
		return;
	}
	flags = spin_lock_irqsave(&console_lock);
	console_write(line, n);
	spin_unlock_irqrestore(&console_lock, flags);
}
