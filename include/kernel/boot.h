/*
 * What the boot loader told us, copied out of the multiboot2 information before
 * its memory is reused: the memory map, the command line and the ACPI RSDP.
 */
#ifndef KERNEL_BOOT_H
#define KERNEL_BOOT_H

#include <stdint.h>

#define BOOT_MAX_REGIONS 64

struct mem_region {
	uint64_t base;
	uint64_t len;
};

struct boot_info {
	struct mem_region ram[BOOT_MAX_REGIONS];	/* usable RAM, sorted */
	unsigned nram;
	uint64_t image_end;				/* physical end of the kernel image */
	char cmdline[256];
	uint8_t rsdp[36];				/* ACPI RSDP as the loader copied it */
	uint32_t rsdp_len;				/* 0: the loader gave none */
};

extern struct boot_info boot_info;

/* Portable entry, called by arch_start() once memory, CPUs and timers work. */
void kernel_main(void) __attribute__((noreturn));

#endif
