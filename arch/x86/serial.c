/*
 * The console: COM1 at 115200 8N1, written by polling. QEMU sends it to
 * run/<node>.log, which is how the launcher and the tests watch a node.
 */
#include <stdint.h>
#include "kernel/printk.h"
#include "x86.h"

#define COM1		0x3f8
#define REG_DATA	0
#define REG_IER		1
#define REG_FCR		2
#define REG_LCR		3
#define REG_MCR		4
#define REG_LSR		5
#define LSR_THRE	0x20
#define LCR_DLAB	0x80

void console_init(void)
{
	outb(COM1 + REG_IER, 0);		/* no interrupts: output is polled */
	outb(COM1 + REG_LCR, LCR_DLAB);
	outb(COM1 + REG_DATA, 1);		/* divisor 1: 115200 baud */
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x03);		/* 8N1 */
	outb(COM1 + REG_FCR, 0xc7);		/* FIFO on, cleared */
	outb(COM1 + REG_MCR, 0x03);
}

static void serial_putc(char c)
{
	while (!(inb(COM1 + REG_LSR) & LSR_THRE))
		;
	outb(COM1 + REG_DATA, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}
