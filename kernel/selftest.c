/*
 * Boot-time self-test: exercises the frame allocator, kmalloc, the page-table API,
 * threads and wait queues on every CPU, preemption and timers on the running
 * system, and reports one PASS or FAIL line for the integration tests.
 */
#define LOG_SUBSYS "selftest"
#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/selftest.h"
#include "kernel/time.h"
#include "lib/string.h"

#define NPAGES		64
#define TEST_VA		0xffffff0000000000UL	/* an unused stretch of kernel space */
#define WAIT_LIMIT_NS	(2 * NSEC_PER_SEC)
#define SLEEP_NS	(20 * NSEC_PER_MSEC)

#define EXPECT(cond, what)			\
	do {					\
		if (!(cond))			\
			return (what);		\
	} while (0)

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Allocate, check, free, and allocate again: the free count must come back. */
static const char *test_frames(void)
{
	void *pages[NPAGES];
	size_t before = page_free_count();
	void *big;

	for (int i = 0; i < NPAGES; i++) {
		pages[i] = page_alloc(0);
		EXPECT(pages[i] && all_zero(pages[i], PAGE_SIZE), "frames: alloc");
		memset(pages[i], i + 1, PAGE_SIZE);
	}
	for (int i = 0; i < NPAGES; i++) {
		EXPECT(((uint8_t *)pages[i])[PAGE_SIZE - 1] == i + 1, "frames: overlap");
		page_free(pages[i]);
	}
	big = page_alloc(4);
	EXPECT(big && ((uintptr_t)big & ((PAGE_SIZE << 4) - 1)) == 0, "frames: order-4 alignment");
	page_free(big);
	EXPECT(page_free_count() == before, "frames: freed pages not reusable");
	return NULL;
}

static const char *test_kmalloc(void)
{
	static const size_t sizes[] = { 1, 16, 24, 100, 512, 2048, 2049, 5000, 70000 };
	void *p[sizeof(sizes) / sizeof(sizes[0])];
	size_t n = sizeof(sizes) / sizeof(sizes[0]);

	for (size_t i = 0; i < n; i++) {
		p[i] = kmalloc(sizes[i]);
		EXPECT(p[i] && ((uintptr_t)p[i] & 15) == 0, "kmalloc: alloc");
		memset(p[i], (int)i + 1, sizes[i]);
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = p[i];

		EXPECT(b[0] == i + 1 && b[sizes[i] - 1] == i + 1, "kmalloc: overlap");
		kfree(p[i]);
	}
	return NULL;
}

/* Map a fresh frame, write through the mapping, read through the direct map. */
static const char *test_paging(void)
{
	uint64_t root = pgtable_kernel_root(), pa;
	unsigned flags;
	void *frame = page_alloc(0);
	const char *fail = NULL;

	EXPECT(frame, "paging: no frame");
	if (pgtable_map(root, TEST_VA, virt_to_phys(frame), PG_WRITE)) {
		fail = "paging: map";
		goto out_free;
	}
	*(volatile uint64_t *)TEST_VA = 0x7e55e7a;
	if (*(uint64_t *)frame != 0x7e55e7a)
		fail = "paging: write through mapping";
	else if (pgtable_map(root, TEST_VA, virt_to_phys(frame), 0) != -EEXIST)
		fail = "paging: double map";
	else if (pgtable_walk(root, TEST_VA, &pa, &flags) || pa != virt_to_phys(frame) ||
		 !(flags & PG_WRITE) || (flags & PG_EXEC))
		fail = "paging: walk";
	else if (pgtable_protect(root, TEST_VA, 0) || pgtable_walk(root, TEST_VA, NULL, &flags) ||
		 (flags & PG_WRITE))
		fail = "paging: protect";
	if (pgtable_unmap(root, TEST_VA, &pa, NULL) || pa != virt_to_phys(frame))
		fail = fail ? fail : "paging: unmap";
	else if (pgtable_walk(root, TEST_VA, NULL, NULL) != -ENOENT)
		fail = fail ? fail : "paging: still mapped after unmap";
out_free:
	page_free(frame);
	return fail;
}

struct cpu_test {
	struct wait_queue wq;
	struct timer watchdog;
	unsigned done;
	bool timed_out;
	unsigned ran_on[MAX_CPUS];
};

static void cpu_test_thread(void *arg)
{
	struct cpu_test *ct = arg;
	unsigned id = this_cpu()->id;

	sleep_ns(NSEC_PER_MSEC);		/* a timer on this CPU */
	ct->ran_on[id] = this_cpu()->id + 1;
	__atomic_fetch_add(&ct->done, 1, __ATOMIC_RELEASE);
	wake_up_all(&ct->wq);
}

static void watchdog_fired(struct timer *t)
{
	struct cpu_test *ct = t->arg;

	ct->timed_out = true;
	wake_up_all(&ct->wq);
}

/* One thread per CPU, each sleeps and signals back through a wait queue. */
static const char *test_threads(void)
{
	static struct cpu_test ct;

	memset(&ct, 0, sizeof(ct));
	wait_queue_init(&ct.wq);
	timer_init(&ct.watchdog, watchdog_fired, &ct);
	timer_arm(&ct.watchdog, clock_ns() + WAIT_LIMIT_NS);
	for (unsigned i = 0; i < ncpus; i++)
		EXPECT(thread_create("selftest", cpu_test_thread, &ct, i), "threads: create");
	wait_event(&ct.wq, __atomic_load_n(&ct.done, __ATOMIC_ACQUIRE) == ncpus || ct.timed_out);
	timer_cancel(&ct.watchdog);
	EXPECT(!ct.timed_out, "threads: not every CPU ran its thread");
	for (unsigned i = 0; i < ncpus; i++)
		EXPECT(ct.ran_on[i] == i + 1, "threads: ran on the wrong CPU");
	return NULL;
}

static volatile bool spinner_ran;

static void spinner(void *arg)
{
	(void)arg;
	spinner_ran = true;
}

/* A thread that never blocks must still be preempted for another on its CPU. */
static const char *test_preemption(void)
{
	uint64_t deadline = clock_ns() + WAIT_LIMIT_NS;

	spinner_ran = false;
	EXPECT(thread_create("spinner", spinner, NULL, this_cpu()->id), "preempt: create");
	while (!spinner_ran && clock_ns() < deadline)
		cpu_relax();
	EXPECT(spinner_ran, "preempt: a busy thread was never preempted");
	return NULL;
}

static const char *test_sleep(void)
{
	uint64_t start = clock_ns(), ticks = this_cpu()->ticks, slept;

	sleep_ns(SLEEP_NS);
	slept = clock_ns() - start;
	EXPECT(slept >= SLEEP_NS, "timers: woke early");
	EXPECT(this_cpu()->ticks > ticks, "timers: no timer interrupt");
	pr_info("slept %lu us for %lu us", slept / NSEC_PER_USEC, SLEEP_NS / NSEC_PER_USEC);
	return NULL;
}

int selftest_run(void)
{
	static const char *(*const tests[])(void) = {
		test_frames, test_kmalloc, test_paging, test_threads, test_preemption, test_sleep,
		arch_selftest,
	};

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		const char *fail = tests[i]();

		if (fail) {
			pr_err("TESSERA SELFTEST FAIL %s", fail);
			return -1;
		}
	}
	pr_info("TESSERA SELFTEST PASS");
	return 0;
}

/* The address goes through a volatile variable so the compiler cannot prove it bad. */
void __attribute__((noinline)) fault_inject_pagefault(void)
{
	static volatile uintptr_t unmapped = 0x10;

	pr_warn("test_fault=pagefault: writing to unmapped address %#lx", unmapped);
	*(volatile uint64_t *)unmapped = 1;
}
