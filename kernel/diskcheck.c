/*
 * The boot-time disk check (with selftest=1, when the storage monitor has started
 * its disk): threads write random data to the last MiB, flush, read it back and
 * compare, with requests that together overfill the ring; then the old contents
 * go back. One PASS or FAIL line for the integration tests.
 */
#define LOG_SUBSYS "diskcheck"
#include "kernel/arch.h"
#include "kernel/blkdev.h"
#include "kernel/cpu.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/selftest.h"
#include "lib/string.h"

#define THREADS		8
#define SLICE		252		/* sectors per thread: one request on 32 pages */
#define REGION		(THREADS * SLICE)	/* at the end of the disk: 1008 KiB */
#define SLICE_BYTES	(SLICE * BLKDEV_SECTOR_SIZE)
#define REGION_BYTES	(REGION * BLKDEV_SECTOR_SIZE)
#define MISALIGN	(PAGE_SIZE / 2)	/* so requests start mid-page */
#define REGION_ORDER	8		/* pages holding the region at MISALIGN */
#define SLICE_ORDER	5		/* pages holding a slice at MISALIGN */

_Static_assert((PAGE_SIZE << REGION_ORDER) >= MISALIGN + REGION_BYTES, "region buffer");
_Static_assert((PAGE_SIZE << SLICE_ORDER) >= MISALIGN + SLICE_BYTES, "slice buffer");

static struct diskcheck {
	struct wait_queue wq;
	uint64_t first;			/* first sector of the region */
	const uint8_t *pattern;		/* what the threads write there */
	unsigned done;			/* wq.lock: threads finished */
	const char *fail;		/* wq.lock: the first failure */
} dc;

/* Data no earlier boot wrote: a stale region that survived a write cannot match. */
static void fill(uint8_t *buf, size_t len)
{
	uint64_t x = arch_entropy() | 1;

	for (size_t i = 0; i < len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, 8);
	}
}

/* One thread's slice: write it, flush, read it back into its own buffer, compare. */
static const char *check_slice(unsigned index, uint8_t *buf)
{
	uint64_t sector = dc.first + index * SLICE;
	const uint8_t *want = dc.pattern + index * SLICE_BYTES;

	if (blkdev_write(sector, want, SLICE_BYTES))
		return "write";
	if (blkdev_flush())
		return "flush";
	if (blkdev_read(sector, buf, SLICE_BYTES))
		return "read";
	return memcmp(buf, want, SLICE_BYTES) ? "read back other data than was written" : NULL;
}

static void check_thread(void *arg)
{
	uint8_t *mem = page_alloc(SLICE_ORDER);
	const char *fail = mem ? check_slice((unsigned)(uintptr_t)arg, mem + MISALIGN)
			       : "out of memory";
	unsigned long flags;

	if (mem)
		page_free(mem);
	flags = spin_lock_irqsave(&dc.wq.lock);
	dc.fail = dc.fail ? dc.fail : fail;
	dc.done++;
	wake_up_all_locked(&dc.wq);
	spin_unlock_irqrestore(&dc.wq.lock, flags);
}

/*
 * Every thread's check at once. The pattern is ready before any starts, so their
 * writes go out back to back: together they need more descriptors than the ring
 * has, and the later ones wait for room. The first failure, or NULL.
 */
static const char *run_threads(void)
{
	unsigned started = 0;

	dc.done = 0;
	dc.fail = NULL;
	for (unsigned i = 0; i < THREADS; i++)
		if (thread_create("diskcheck", check_thread, (void *)(uintptr_t)i, i % ncpus))
			started++;
	wait_event(&dc.wq, dc.done == started);
	if (started < THREADS)
		return "cannot create threads";
	return dc.fail;
}

/* Put the saved region back in one large request, flush, and read it back. */
static const char *restore(const uint8_t *saved, uint8_t *scratch)
{
	if (blkdev_write(dc.first, saved, REGION_BYTES) || blkdev_flush())
		return "restore: write";
	if (blkdev_read(dc.first, scratch, REGION_BYTES))
		return "restore: read";
	return memcmp(saved, scratch, REGION_BYTES) ? "restore: contents differ" : NULL;
}

/* Save the region, check it, and restore it whatever the check found. */
static const char *check(uint8_t *saved, uint8_t *scratch)
{
	const char *fail, *restored;

	if (blkdev_read(dc.first, saved, REGION_BYTES))
		return "save: read";
	fill(scratch + MISALIGN, REGION_BYTES);
	dc.pattern = scratch + MISALIGN;
	fail = run_threads();
	restored = restore(saved, scratch);
	return fail ? fail : restored;
}

int diskcheck_run(void)
{
	uint8_t *saved = page_alloc(REGION_ORDER), *scratch = page_alloc(REGION_ORDER);
	const char *fail = saved && scratch ? NULL : "out of memory";
	struct blkdev_stats st;

	if (!fail && blkdev_sectors() < REGION)
		fail = "the disk is smaller than the region checked";
	if (!fail) {
		wait_queue_init(&dc.wq);
		dc.first = blkdev_sectors() - REGION;
		fail = check(saved, scratch);
	}
	if (scratch)
		page_free(scratch);
	if (saved)
		page_free(saved);
	blkdev_stats(&st);
	if (fail) {
		pr_err("TESSERA DISKCHECK FAIL %s (errors %lu)", fail, st.errors);
		return -1;
	}
	pr_info("TESSERA DISKCHECK PASS sectors=%u reads=%lu writes=%lu flushes=%lu "
		"inflight_peak=%u ring_waits=%lu irqs=%lu", REGION, st.reads, st.writes,
		st.flushes, st.inflight_peak, st.ring_waits, st.irqs);
	return 0;
}
