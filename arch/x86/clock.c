/*
 * The monotonic clock: the TSC, whose rate is measured at boot against the PIT
 * (a fixed 1.193182 MHz reference every PC and QEMU machine has). The same PIT
 * window calibrates the local APIC timer (apic.c).
 */
#define LOG_SUBSYS "clock"
#include <stdint.h>
#include "kernel/printk.h"
#include "kernel/time.h"
#include "internal.h"
#include "x86.h"

#define PIT_HZ		1193182ULL
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PIT_GATE	0x61
#define CALIBRATE_MS	20

static uint64_t tsc_base;
static uint64_t tsc_mult;	/* ns per tick, 32.32 fixed point */
static uint64_t tsc_hz;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t tsc_read(void)
{
	return rdtsc();
}

/*
 * Count how far counter() advances while PIT channel 2 counts down CALIBRATE_MS
 * (mode 0: its output goes high at terminal count). *ns gets the window length.
 */
uint64_t pit_measure(uint64_t (*counter)(void), uint64_t *ns)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;
	uint64_t start;

	outb(PIT_GATE, (inb(PIT_GATE) & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(PIT_CMD, 0xb0);				/* ch2, lo/hi byte, mode 0 */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	start = counter();
	while (!(inb(PIT_GATE) & 0x20))
		;
	*ns = count * NSEC_PER_SEC / PIT_HZ;
	return counter() - start;
}

void clock_init(void)
{
	uint64_t ns, ticks = pit_measure(tsc_read, &ns);

	tsc_hz = ticks * NSEC_PER_SEC / ns;
	if (tsc_hz == 0)
		panic("TSC does not advance");
	tsc_mult = (NSEC_PER_SEC << 32) / tsc_hz;
	tsc_base = rdtsc();
	pr_info("TSC %lu.%03lu MHz", tsc_hz / 1000000, tsc_hz / 1000 % 1000);
}

uint64_t clock_ns(void)
{
	unsigned __int128 d = rdtsc() - tsc_base;

	return (uint64_t)((d * tsc_mult) >> 32);
}

/* Busy-wait; only for bring-up code that runs before the scheduler can sleep. */
void clock_delay_ns(uint64_t ns)
{
	uint64_t end = clock_ns() + ns;

	while (clock_ns() < end)
		__asm__ volatile("pause");
}

/* The raw TSC counts host time under QEMU too, so it differs on every boot. */
uint64_t arch_entropy(void)
{
	uint64_t t = rdtsc();

	return t ^ (t >> 29) ^ (t << 17);
}
