/*
 * CRC32C with the SSE4.2 crc32 instruction, which works on general registers (so
 * it is allowed under -mgeneral-regs-only). Same results as net/wire.c's table
 * version; the message layer uses it when the CPU has it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/arch.h"
#include "x86.h"

#define CPUID_SSE42 (1u << 20)

bool arch_has_crc32c(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[2] & CPUID_SSE42;
}

uint32_t arch_crc32c(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t c = ~crc;

	for (; n >= 8; n -= 8, b += 8) {
		uint64_t v;

		__builtin_memcpy(&v, b, 8);
		__asm__("crc32q %1, %0" : "+r"(c) : "rm"(v));
	}
	for (; n; n--, b++)
		__asm__("crc32b %1, %k0" : "+r"(c) : "rm"(*b));
	return ~(uint32_t)c;
}
