/*
 * Host tests for mcomponent/bcache.c, the front mmon's buffer cache, against a fake
 * smon holding one file: reads fetch windows once, writes stay until a write-back,
 * partial pages are fetched first, truncates cut the cache, memory pressure writes
 * back and evicts, and failed write-backs are kept (or dropped on -ESTALE).
 */
#include "mmon_test.h"
#include "../../mcomponent/mmon.h"

enum { SMON = 9, VNODE = 1, INO = 5 };
#define FILE_MAX (1 << 20)
#define READS_MAX 64		/* X2S_READs a test may send: past them, -EIO */

/* The fake smon: one regular file, and what it was asked. */
static struct {
	uint8_t data[FILE_MAX];
	uint64_t size;
	int write_err;		/* X2S_WRITE's answer if set */
	unsigned fsyncs;
	unsigned reads;		/* a read that loops fails at READS_MAX, not at abort() */
} disk;

static const struct fs_handle handle = { .vnode = VNODE, .gen = 1, .ino = INO };

static int smon_attr(void *resp)
{
	struct s2x_attr a = { .h = handle, .a = { .ino = INO, .size = disk.size,
						  .mode = 0100644 } };

	memcpy(resp, &a, sizeof(a));
	return sizeof(a);
}

static int smon_io(uint16_t op, const struct x2s_io *q, const uint8_t *bytes, void *resp)
{
	struct s2x_write w = { .offset = q->offset };
	uint64_t n = q->offset < disk.size ? disk.size - q->offset : 0;

	CHECK(q->h.ino == INO && q->offset + q->len <= FILE_MAX);
	if (op == X2S_READ) {
		if (++disk.reads > READS_MAX)
			return -EIO;
		n = n < q->len ? n : q->len;
		memcpy(resp, disk.data + q->offset, n);
		return (int)n;
	}
	if (op == X2S_TRUNCATE) {
		if (q->offset < disk.size)
			memset(disk.data + q->offset, 0, disk.size - q->offset);
		disk.size = q->offset;
		return 0;
	}
	if (disk.write_err)
		return disk.write_err;
	memcpy(disk.data + q->offset, bytes, q->len);
	if (q->offset + q->len > disk.size)
		disk.size = q->offset + q->len;
	w.size = disk.size;
	memcpy(resp, &w, sizeof(w));
	return sizeof(w);
}

static int smon_serve(uint8_t peer, uint16_t op, const void *req, size_t len, void *resp,
		      size_t resp_max)
{
	struct x2s_io q;

	(void)len, (void)resp_max;
	if (peer != SMON)
		return -ENOSYS;
	if (((const struct fs_handle *)req)->gen != handle.gen)
		return -ESTALE;			/* as smon's check value refuses it */
	if (op == X2S_GETATTR)
		return smon_attr(resp);
	if (op == X2S_FSYNC) {
		disk.fsyncs++;
		return 0;
	}
	memcpy(&q, req, sizeof(q));
	return smon_io(op, &q, (const uint8_t *)req + sizeof(q), resp);
}

/* A fresh file of size bytes (pattern i * 7) on smon, none of it cached. */
static void setup(uint64_t size)
{
	struct x2s_io cut = { .h = handle };

	boot();
	host.serve = smon_serve;
	memset(&disk, 0, sizeof(disk));
	CHECK(bcache_truncate(SMON, &cut, sizeof(cut)) == 0);	/* the record goes too */
	disk.size = size;
	for (uint64_t i = 0; i < size; i++)
		disk.data[i] = (uint8_t)(i * 7);
	host_forget();
}

static int rd(uint64_t off, uint32_t len)
{
	struct x2s_io q = { .h = handle, .offset = off, .len = len };

	return bcache_read(SMON, &q, sizeof(q), resp, sizeof(resp));
}

static int wr_as(struct fs_handle h, uint64_t off, const void *bytes, uint32_t len,
		 uint32_t flags)
{
	static uint8_t req[sizeof(struct x2s_io) + NET_FS_IO_MAX];
	struct x2s_io q = { .h = h, .offset = off, .len = len, .flags = flags };

	memcpy(req, &q, sizeof(q));
	memcpy(req + sizeof(q), bytes, len);
	return bcache_write(SMON, req, sizeof(q) + len, resp, sizeof(resp));
}

static int wr(uint64_t off, const void *bytes, uint32_t len, uint32_t flags)
{
	return wr_as(handle, off, bytes, len, flags);
}

static int fsync_file(void)
{
	struct x2s_io q = { .h = handle };

	return bcache_fsync(SMON, &q, sizeof(q));
}

static struct m2x_memstats stats(void)
{
	struct m2x_memstats m = { 0 };

	bcache_stats(&m);
	return m;
}

/* A miss fetches its 32 KiB window once; the rest of it, and a second read, are hits. */
static void test_read_fetches_a_window_once(void)
{
	setup(100000);
	CHECK(rd(4096, 4096) == 4096 && resp[0] == (uint8_t)(4096 * 7));
	CHECK(host_count(X2S_GETATTR) == 1 && host_count(X2S_READ) == 1);
	CHECK(rd(8192, 24576) == 24576 && host_count(X2S_READ) == 1);
	CHECK(rd(99000, 4096) == 1000 && resp[999] == (uint8_t)(99999 * 7));
	CHECK(rd(100000, 10) == 0 && host_count(X2S_READ) == 2);
}

/* A reader going on where it stopped gets the next window too. */
static void test_sequential_read_ahead(void)
{
	setup(200000);
	CHECK(rd(0, 32768) == 32768 && host_count(X2S_READ) == 1);
	CHECK(rd(32768, 32768) == 32768 && host_count(X2S_READ) == 3);
	CHECK(rd(65536, 32768) == 32768 && host_count(X2S_READ) == 3);
}

/* A write stays here until fsync, which sends one run and then smon's fsync. */
static void test_write_back_on_fsync(void)
{
	uint8_t b[10000];
	const struct host_msg *m;

	setup(0);
	memset(b, 'w', sizeof(b));
	CHECK(wr(0, b, sizeof(b), 0) == sizeof(struct s2x_write));
	CHECK(host_count(X2S_WRITE) == 0 && disk.size == 0 && stats().cache_dirty == 3);
	CHECK(rd(0, 32768) == 10000 && host_count(X2S_READ) == 0);
	CHECK(fsync_file() == 0 && disk.fsyncs == 1 && disk.size == 10000);
	m = host_find(X2S_WRITE, 0);
	CHECK(host_count(X2S_WRITE) == 1 && m->len == sizeof(struct x2s_io) + 10000);
	CHECK(disk.data[9999] == 'w' && stats().cache_dirty == 0);
}

/* Part of a page smon has: fetched first; past the end: no fetch. Append uses our size. */
static void test_partial_page_write(void)
{
	struct s2x_write w;

	setup(10000);
	CHECK(wr(5000, "abc", 3, 0) > 0 && host_count(X2S_READ) == 1);
	CHECK(rd(4998, 7) == 7 && resp[1] == (uint8_t)(4999 * 7) && resp[2] == 'a');
	CHECK(wr(20000, "x", 1, 0) > 0 && host_count(X2S_READ) == 1);
	CHECK(wr(0, "yz", 2, X2S_APPEND) > 0);
	memcpy(&w, resp, sizeof(w));
	CHECK(w.offset == 20001 && w.size == 20003);
	CHECK(rd(12000, 8) == 8 && resp[0] == 0);		/* the hole */
	CHECK(fsync_file() == 0 && disk.size == 20003 && disk.data[5002] == 'c');
	CHECK(disk.data[20001] == 'y' && disk.data[4999] == (uint8_t)(4999 * 7));
}

/* A truncate cuts smon, then the cache: nothing past the size is written back. */
static void test_truncate_drops_pages(void)
{
	uint8_t b[3 * 4096];
	struct x2s_io q = { .h = handle, .offset = 100 };

	setup(0);
	memset(b, 't', sizeof(b));
	CHECK(wr(0, b, sizeof(b), 0) > 0);
	CHECK(bcache_truncate(SMON, &q, sizeof(q)) == 0 && stats().cache_dirty == 1);
	CHECK(fsync_file() == 0 && disk.size == 100);
	CHECK(host_find(X2S_WRITE, 0)->len == sizeof(q) + 100);
	q.offset = 8192;
	CHECK(bcache_truncate(SMON, &q, sizeof(q)) == 0 && rd(0, 8192) == 8192);
	CHECK(resp[99] == 't' && resp[100] == 0 && resp[8191] == 0);
}

/* With no memory left, clean pages are evicted and dirty ones written back first. */
static void test_memory_pressure(void)
{
	uint8_t b[32768];
	uint64_t pages;

	setup(0);
	memset(b, 'p', sizeof(b));
	CHECK(wr(0, b, sizeof(b), 0) > 0 && fsync_file() == 0);
	pages = stats().cache_pages;
	host.free_pages = 0;				/* nothing more from the allocator */
	CHECK(wr(65536, b, sizeof(b), 0) > 0 && stats().cache_pages == pages);
	CHECK(wr(131072, b, sizeof(b), 0) > 0 && stats().cache_pages == pages);
	CHECK(host_count(X2S_WRITE) == 2 && disk.size == 65536 + 32768);
	CHECK(rd(65536, 4096) == 4096 && resp[0] == 'p');
	host.free_pages = 1 << 20;
}

/*
 * Before: one window cached, no memory for another. After: a read across both
 * windows completes, each filled once: filling the second evicts the first, so the
 * read keeps what it copied instead of asking for the first again (a livelock).
 */
static void test_read_across_windows_under_pressure(void)
{
	setup(100000);
	CHECK(rd(0, 4096) == 4096 && stats().cache_pages == 8);
	host.free_pages = 0;
	CHECK(rd(16384, 32768) == 32768 && host_count(X2S_READ) == 2);
	CHECK(resp[0] == (uint8_t)(16384 * 7) && resp[32767] == (uint8_t)(49151 * 7));
	host.free_pages = 1 << 20;
}

/* -ESTALE drops the file's pages; another failure keeps them dirty, logged once. */
static void test_failed_write_back(void)
{
	uint64_t errors;

	setup(0);
	CHECK(wr(0, "e", 1, 0) > 0);
	errors = stats().cache_errors;
	disk.write_err = -EIO;
	CHECK(fsync_file() == -EIO && stats().cache_dirty == 1);
	CHECK(stats().cache_errors == errors + 1 && strstr(host.log, "write-back"));
	disk.write_err = 0;
	CHECK(fsync_file() == 0 && disk.data[0] == 'e' && stats().cache_dirty == 0);
	CHECK(wr(0, "f", 1, 0) > 0);
	disk.write_err = -ESTALE;
	CHECK(fsync_file() == -ESTALE && stats().cache_dirty == 0);
	CHECK(stats().cache_pages == 0 && disk.data[0] == 'e');
}

/* Attributes answers get the cache's size, and blocks for it while smon lacks pages. */
static void test_attributes_see_the_cache(void)
{
	struct s2x_attr a;

	setup(0);
	CHECK(wr(0, "abcdef", 6, 0) > 0);
	smon_attr(resp);
	CHECK(bcache_attr(resp, false) == 0);
	memcpy(&a, resp, sizeof(a));
	CHECK(a.a.size == 6 && a.a.blocks == 8);
	CHECK(fsync_file() == 0);
	disk.size = 0;					/* as if a write-back were lost */
	smon_attr(resp);
	CHECK(bcache_attr(resp, true) == 0 && host_count(X2S_TRUNCATE) == 1);
	CHECK(stats().cache_pages == 0);
}

/* Out-of-range requests are refused before any page is made. */
static void test_hostile_requests(void)
{
	setup(0);
	CHECK(wr(1ULL << 40, "x", 1, 0) == -EFBIG);
	CHECK(wr(UINT64_MAX, "x", 1, 0) == -EFBIG);
	CHECK(rd(0, NET_FS_IO_MAX + 1) == -EINVAL);
	CHECK(rd(UINT64_MAX, 10) == 0 && stats().cache_pages == 0);
}

/*
 * A handle with a wrong check value names a cached file's (vNode, inode) but is not
 * smon's: refused as smon refuses it, never served from or written into the cache.
 */
static void test_forged_handle_is_refused(void)
{
	struct fs_handle forged = handle;
	struct x2s_io q = { .h = handle, .len = 8 };

	forged.gen ^= 0x5a5a;
	setup(10000);
	CHECK(rd(0, 8) == 8 && fsync_file() == 0 && disk.fsyncs == 1);
	q.h = forged;
	CHECK(bcache_read(SMON, &q, sizeof(q), resp, sizeof(resp)) == -ESTALE);
	CHECK(wr_as(forged, 0, "evil", 4, 0) == -ESTALE);
	CHECK(bcache_fsync(SMON, &q, sizeof(q)) == -ESTALE && disk.fsyncs == 1);
	q.offset = 1;
	CHECK(bcache_truncate(SMON, &q, sizeof(q)) == -ESTALE && disk.size == 10000);
	CHECK(stats().cache_dirty == 0 && rd(0, 8) == 8 && resp[1] == 7);
}

static const struct unit_test tests[] = {
	TEST(test_read_fetches_a_window_once),
	TEST(test_sequential_read_ahead),
	TEST(test_write_back_on_fsync),
	TEST(test_partial_page_write),
	TEST(test_truncate_drops_pages),
	TEST(test_memory_pressure),
	TEST(test_read_across_windows_under_pressure),
	TEST(test_failed_write_back),
	TEST(test_attributes_see_the_cache),
	TEST(test_hostile_requests),
	TEST(test_forged_handle_is_refused),
};

CHECK_MAIN("mmon_bcache", tests)
