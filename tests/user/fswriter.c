/*
 * fswriter SEED ITER_BASE DIR [COUNT]: the storage crash test's writer
 * (tests/integration/test_storage_crash.py). Iteration i (from ITER_BASE on) rewrites,
 * overwrites part of or appends to one of NFILES files in DIR, in several write calls,
 * with bytes that depend only on (SEED, i), makes it durable (fsync, fdatasync or
 * O_SYNC), and only then prints one "synced" line. Every choice is a function of
 * (SEED, i) and the file's size, so the test rebuilds each file's bytes in Python.
 * Stops at the first error, which goes to stderr.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "utest.h"

#define NFILES		12
#define MAX_LEN		(1u << 20)
#define MAX_APPENDED	(3u << 19)	/* an append past this rewrites instead */

enum { OP_REWRITE, OP_OVERWRITE, OP_APPEND };
enum { SYNC_FSYNC, SYNC_FDATASYNC, SYNC_OSYNC };
static const char *const op_names[] = { "rewrite", "overwrite", "append" };
static const char *const sync_names[] = { "fsync", "fdatasync", "osync" };

/* The generator; the test has the same few lines in Python. */
static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The k-th choice of iteration iter. */
static uint64_t pick(uint64_t seed, uint64_t iter, uint64_t k)
{
	return splitmix((splitmix(seed ^ splitmix(iter))) + k);
}

/* Iteration iter's bytes: xorshift64 words, each stored little-endian. */
static void fill(uint64_t seed, uint64_t iter, uint8_t *buf, size_t len)
{
	uint64_t x = pick(seed, iter, 100) | 1;

	for (size_t i = 0; i < len; i++) {
		if (i % 8 == 0) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		buf[i] = (uint8_t)(x >> (8 * (i % 8)));
	}
}

struct step {
	unsigned file, op, sync, pieces;
	uint64_t len, off;
};

/* What iteration iter does to a file now size bytes long (-1: absent). */
static struct step plan(uint64_t seed, uint64_t iter, int64_t size)
{
	struct step s;
	uint64_t cur = size < 0 ? 0 : (uint64_t)size;

	s.file = (unsigned)(pick(seed, iter, 0) % NFILES);
	s.op = (unsigned)(pick(seed, iter, 1) % 4);
	s.op = s.op == 3 ? OP_APPEND : s.op == 2 ? OP_OVERWRITE : OP_REWRITE;
	s.len = 1 + pick(seed, iter, 3) % (1ull << (pick(seed, iter, 2) % 21));
	if (s.op == OP_APPEND && cur + s.len > MAX_APPENDED)
		s.op = OP_REWRITE;
	s.off = s.op == OP_OVERWRITE ? pick(seed, iter, 4) % (cur + 1) : 0;
	s.sync = (unsigned)(pick(seed, iter, 5) % 3);
	s.pieces = 1 + (unsigned)(pick(seed, iter, 6) % 4);
	return s;
}

static void write_all(int fd, const uint8_t *p, uint64_t n, const char *name)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k <= 0)
			die("write %s: %s", name, k < 0 ? errname(errno) : "wrote 0");
		p += k;
		n -= (uint64_t)k;
	}
}

/* Write buf in s->pieces calls from where fd stands. */
static void write_pieces(int fd, const struct step *s, const uint8_t *buf, const char *name)
{
	uint64_t piece = (s->len + s->pieces - 1) / s->pieces, done = 0;

	while (done < s->len) {
		uint64_t n = s->len - done < piece ? s->len - done : piece;

		write_all(fd, buf + done, n, name);
		done += n;
	}
}

static int open_for(const struct step *s, const char *name)
{
	int flags = O_WRONLY | O_CREAT;
	int fd;

	flags |= s->op == OP_REWRITE ? O_TRUNC : s->op == OP_APPEND ? O_APPEND : 0;
	flags |= s->sync == SYNC_OSYNC ? O_SYNC : 0;
	fd = open(name, flags, 0644);
	if (fd < 0)
		die("open %s: %s", name, errname(errno));
	return fd;
}

static void make_durable(int fd, unsigned sync, const char *name)
{
	if (sync == SYNC_FSYNC && fsync(fd) < 0)
		die("fsync %s: %s", name, errname(errno));
	if (sync == SYNC_FDATASYNC && fdatasync(fd) < 0)
		die("fdatasync %s: %s", name, errname(errno));
}

/* A new name is durable once its directory is synced too, as on Linux. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		die("open %s: %s", dir, errname(errno));
	if (fsync(fd) < 0)
		die("fsync %s: %s", dir, errname(errno));
	close(fd);
}

static void sync_parent(const char *path)
{
	char parent[4096];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		parent[1] = '\0';
	else
		*slash = '\0';
	sync_dir(parent);
}

static void iterate(uint64_t seed, uint64_t iter, const char *dir, uint8_t *buf)
{
	char name[4096];
	struct step s = plan(seed, iter, 0);
	struct stat st;
	int64_t size = -1;
	int fd;

	snprintf(name, sizeof(name), "%s/f%02u", dir, s.file);
	if (stat(name, &st) == 0)
		size = st.st_size;
	else if (errno != ENOENT)
		die("stat %s: %s", name, errname(errno));
	s = plan(seed, iter, size);
	fill(seed, iter, buf, s.len);
	fd = open_for(&s, name);
	if (s.op == OP_OVERWRITE && lseek(fd, (off_t)s.off, SEEK_SET) != (off_t)s.off)
		die("lseek %s: %s", name, errname(errno));
	write_pieces(fd, &s, buf, name);
	make_durable(fd, s.sync, name);
	if (fstat(fd, &st) < 0)
		die("fstat %s: %s", name, errname(errno));
	if (close(fd) < 0)
		die("close %s: %s", name, errname(errno));
	if (size < 0)
		sync_dir(dir);
	printf("synced f%02u size=%lld iter=%llu op=%s off=%llu len=%llu sync=%s\n", s.file,
	       (long long)st.st_size, (unsigned long long)iter, op_names[s.op],
	       (unsigned long long)s.off, (unsigned long long)s.len, sync_names[s.sync]);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	uint64_t seed, base, count = UINT64_MAX;
	uint8_t *buf;

	if (argc < 4 || argc > 5)
		die("usage: fswriter SEED ITER_BASE DIR [COUNT]");
	seed = strtoull(argv[1], NULL, 0);
	base = strtoull(argv[2], NULL, 0);
	if (argc == 5)
		count = strtoull(argv[4], NULL, 0);
	buf = malloc(MAX_LEN);
	if (!buf)
		die("malloc: %s", errname(ENOMEM));
	if (mkdir(argv[3], 0755) == 0)
		sync_parent(argv[3]);
	else if (errno != EEXIST)
		die("mkdir %s: %s", argv[3], errname(errno));
	for (uint64_t i = 0; i < count; i++)
		iterate(seed, base + i, argv[3], buf);
	return 0;
}
