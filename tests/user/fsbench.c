/*
 * fsbench DIR [MIB [OPS [ROUNDS]]]: file-system throughput and fsync latency, for
 * make bench (tests/bench/storage.py), which runs the same binary with the same
 * arguments on a Tessera vNode and in a Linux guest on ext4 and reports the ratios.
 * Works on DIR/fsbench.dat (DIR is created if missing; the file is removed at the
 * end). Times come from clock_gettime(CLOCK_MONOTONIC). The phases, in order:
 *
 *   seq_write_mib_s      MIB MiB (default 16) written in 64 KiB writes to a new
 *                        file, then one fsync: the rate including that fsync
 *   seq_write_fsync_ms   the closing fsync alone
 *   seq_read_mib_s       the file read back in 64 KiB reads, at once: whatever
 *                        cache holds it (the page cache, the front mmon's
 *                        buffer cache) serves it
 *   rand_read_ops_s      OPS (default 2000) 4 KiB preads at block offsets drawn
 *                        from a fixed seed, the file as the last phase left it
 *   rand_write_ops_s     OPS 4 KiB pwrites at such offsets, until the last one
 *                        returned (nothing forced to the disk)
 *   rand_write_synced_ops_s  the same OPS with the fsync that follows them
 *   fsync_median_us      ROUNDS (default 50) rounds of: pwrite 4 KiB, fsync;
 *   fsync_p90_us         the median and the 90th percentile of a round
 *
 * Where /proc/sys/vm/drop_caches can be written (Linux as root), the file's
 * cached pages are dropped (sync, then "3") before a second run of each read
 * phase: seq_read_cold_mib_s and rand_read_cold_ops_s, read from the disk.
 * cache_drop=1 or 0 says whether that happened. Every block read is checked
 * for the number written at its start. stdout holds only key=value lines; an
 * error goes to stderr with exit status 1.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "utest.h"

#define BLOCK 4096
#define CHUNK (64 * 1024)
#define SEED 0x5eed0f5b

static uint8_t buf[CHUNK];
static char path[4096];
static uint64_t nblocks;
static uint64_t rng = SEED;

static double secs_since(uint64_t t0)
{
	return (double)(now_ns() - t0) / 1e9;
}

/* A block number from the fixed-seed xorshift64 sequence. */
static uint64_t next_block(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % nblocks;
}

/* Stamp the blocks of buf that will land at file block first on. */
static void stamp(uint64_t first, size_t len, uint8_t fill)
{
	memset(buf, fill, len);
	for (size_t off = 0; off < len; off += BLOCK) {
		uint64_t b = first + off / BLOCK;

		memcpy(buf + off, &b, sizeof(b));
	}
}

static void check(uint64_t first, size_t len)
{
	for (size_t off = 0; off < len; off += BLOCK) {
		uint64_t b;

		memcpy(&b, buf + off, sizeof(b));
		if (b != first + off / BLOCK)
			die("block %llu holds the stamp of block %llu",
			    (unsigned long long)(first + off / BLOCK), (unsigned long long)b);
	}
}

static void pwrite_all(int fd, size_t len, uint64_t off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	if (n != (ssize_t)len)
		die("pwrite of %zu at %llu: %zd %s", len, (unsigned long long)off, n,
		    errname(errno));
}

static void pread_all(int fd, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n != (ssize_t)len)
		die("pread of %zu at %llu: %zd %s", len, (unsigned long long)off, n,
		    errname(errno));
}

static void do_fsync(int fd)
{
	if (fsync(fd))
		die("fsync: %s", errname(errno));
}

static int open_file(int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0)
		die("open %s: %s", path, errname(errno));
	return fd;
}

static void seq_write(void)
{
	int fd = open_file(O_WRONLY | O_CREAT | O_TRUNC);
	uint64_t t0 = now_ns(), t1;

	for (uint64_t b = 0; b < nblocks; b += CHUNK / BLOCK) {
		stamp(b, CHUNK, 0xa5);
		if (write(fd, buf, CHUNK) != CHUNK)
			die("write at block %llu: %s", (unsigned long long)b, errname(errno));
	}
	t1 = now_ns();
	do_fsync(fd);
	printf("seq_write_mib_s=%.2f\n", (double)(nblocks * BLOCK >> 20) / secs_since(t0));
	printf("seq_write_fsync_ms=%.2f\n", (double)(now_ns() - t1) / 1e6);
	close(fd);
}

static void seq_read(const char *key)
{
	int fd = open_file(O_RDONLY);
	uint64_t t0 = now_ns();

	for (uint64_t b = 0; b < nblocks; b += CHUNK / BLOCK) {
		if (read(fd, buf, CHUNK) != CHUNK)
			die("read at block %llu: %s", (unsigned long long)b, errname(errno));
		check(b, CHUNK);
	}
	printf("%s=%.2f\n", key, (double)(nblocks * BLOCK >> 20) / secs_since(t0));
	close(fd);
}

static void rand_read(const char *key, unsigned long ops)
{
	int fd = open_file(O_RDONLY);
	uint64_t t0 = now_ns();

	rng = SEED;
	for (unsigned long i = 0; i < ops; i++) {
		uint64_t b = next_block();

		pread_all(fd, BLOCK, b * BLOCK);
		check(b, BLOCK);
	}
	printf("%s=%.1f\n", key, (double)ops / secs_since(t0));
	close(fd);
}

static void rand_write(unsigned long ops)
{
	int fd = open_file(O_WRONLY);
	uint64_t t0 = now_ns();
	double written;

	rng = SEED ^ 0xffff;
	for (unsigned long i = 0; i < ops; i++) {
		uint64_t b = next_block();

		stamp(b, BLOCK, (uint8_t)i);
		pwrite_all(fd, BLOCK, b * BLOCK);
	}
	written = secs_since(t0);
	do_fsync(fd);
	printf("rand_write_ops_s=%.1f\n", (double)ops / written);
	printf("rand_write_synced_ops_s=%.1f\n", (double)ops / secs_since(t0));
	close(fd);
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void fsync_latency(unsigned long rounds)
{
	uint64_t *v = calloc(rounds, sizeof(*v));
	int fd = open_file(O_WRONLY);

	if (!v)
		die("cannot allocate %lu samples", rounds);
	for (unsigned long i = 0; i < rounds; i++) {
		uint64_t b = i % nblocks, t0;

		stamp(b, BLOCK, (uint8_t)~i);
		t0 = now_ns();
		pwrite_all(fd, BLOCK, b * BLOCK);
		do_fsync(fd);
		v[i] = now_ns() - t0;
	}
	qsort(v, rounds, sizeof(*v), cmp);
	printf("fsync_median_us=%.1f\n", (double)v[rounds / 2] / 1e3);
	printf("fsync_p90_us=%.1f\n", (double)v[rounds * 9 / 10] / 1e3);
	close(fd);
	free(v);
}

/*
 * Drop the kernel's clean cached pages, as root on Linux can; false where there
 * is no such file (Tessera has none yet), so the cold phases are left out.
 */
static bool drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd < 0)
		return false;
	sync();
	if (write(fd, "3\n", 2) != 2)
		die("drop_caches: %s", errname(errno));
	close(fd);
	return true;
}

int main(int argc, char **argv)
{
	unsigned long mib = arg(argc, argv, 2, 16);
	unsigned long ops = arg(argc, argv, 3, 2000);
	unsigned long rounds = arg(argc, argv, 4, 50);
	bool cold;

	if (argc < 2 || argc > 5)
		die("usage: fsbench DIR [MIB [OPS [ROUNDS]]]");
	if (mkdir(argv[1], 0755) && errno != EEXIST)
		die("mkdir %s: %s", argv[1], errname(errno));
	if ((size_t)snprintf(path, sizeof(path), "%s/fsbench.dat", argv[1]) >= sizeof(path))
		die("directory name too long");
	nblocks = (uint64_t)mib << 20 >> 12;

	seq_write();
	seq_read("seq_read_mib_s");
	cold = drop_caches();
	if (cold)
		seq_read("seq_read_cold_mib_s");
	rand_read("rand_read_ops_s", ops);
	if (cold && drop_caches())
		rand_read("rand_read_cold_ops_s", ops);
	rand_write(ops);
	fsync_latency(rounds);
	printf("cache_drop=%d\n", cold);
	if (unlink(path))
		die("unlink %s: %s", path, errname(errno));
	return 0;
}
