/*
 * Kernel log: every call prints one line "[<node> <subsys>] message" on the serial
 * console. A file sets LOG_SUBSYS to its subsystem name and uses pr_err()..pr_debug().
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel/config.h"

void printk(enum log_level level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void printk_set_node(const char *name);
void printk_set_level(enum log_level level);

#define pr_err(...)	printk(LOG_ERR, LOG_SUBSYS, __VA_ARGS__)
#define pr_warn(...)	printk(LOG_WARN, LOG_SUBSYS, __VA_ARGS__)
#define pr_info(...)	printk(LOG_INFO, LOG_SUBSYS, __VA_ARGS__)
#define pr_debug(...)	printk(LOG_DEBUG, LOG_SUBSYS, __VA_ARGS__)

/* For broken invariants of our own code only: prints, backtraces, stops every CPU. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Enter panic mode: printk stops waiting for the console lock; returns once per CPU. */
void panic_begin(void);
bool panic_in_progress(void);

/* The console device (arch/x86/serial.c). */
void console_init(void);
void console_write(const char *s, size_t n);

#endif
