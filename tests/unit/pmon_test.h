/*
 * Shared by tests/unit/test_pmon_*.c: each test starts from a reset kernel
 * (pmon_host.c) and ends by checking it left nothing behind: no block, lock, step
 * or armed timer.
 */
#ifndef TESTS_UNIT_PMON_TEST_H
#define TESTS_UNIT_PMON_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "kernel/errno.h"
#include "pcomponent/futex.h"
#include "pcomponent/mm.h"
#include "pmon_host.h"

static long base_kmallocs;	/* live blocks when the test began */
static struct mm test_mm __attribute__((unused)) = { .id = 1 };

static void test_fail(const char *why)
{
	fprintf(stderr, "kernel contract broken: %s\n", why);
	longjmp(check_abort, 1);
}

static inline void setup(void)
{
	host_reset();
	host.fail = test_fail;
	base_kmallocs = host.kmallocs;
	futex_init();
}

/* Nothing allocated is still live, no lock is held, every step ran, no timer is armed. */
static inline void check_clean(void)
{
	CHECK(host.kmallocs == base_kmallocs);
	CHECK(host.locks == 0);
	CHECK(host.next_step == host.nsteps);
	CHECK(host.timer == NULL);
}

static inline uint32_t get32(uint64_t uva)
{
	uint32_t v;

	memcpy(&v, host_uptr(uva), sizeof(v));
	return v;
}

static inline void put32(uint64_t uva, uint32_t v)
{
	memcpy(host_uptr(uva), &v, sizeof(v));
}

static inline uint64_t get64(uint64_t uva)
{
	uint64_t v;

	memcpy(&v, host_uptr(uva), sizeof(v));
	return v;
}

static inline void put64(uint64_t uva, uint64_t v)
{
	memcpy(host_uptr(uva), &v, sizeof(v));
}

#endif
