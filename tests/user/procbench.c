/*
 * procbench [FORKS [TOUCHED_FORKS [MIB [ROUNDS_1B [ROUNDS_64K]]]]]: the process
 * model's costs, for make bench (tests/bench/proc.py), which runs the same binary
 * on a Tessera pmon and in a Linux guest under the same QEMU accelerator and
 * reports the ratios. Times come from clock_gettime(CLOCK_MONOTONIC); each figure
 * is the median of its samples, after one untimed warm-up.
 *
 *   fork_exit_wait_us          fork, the child _exit(0)s at once, waitpid: FORKS
 *                              samples (default 200)
 *   fork_touched_exit_wait_us  the same from a process that has written MIB MiB
 *                              (default 4) of anonymous memory: every page is
 *                              written again, untimed, before each of the
 *                              TOUCHED_FORKS samples (default 20), so every fork
 *                              copies a freshly dirtied address space (on Tessera
 *                              an eager copy on the memory monitors)
 *   pipe_rtt_1b_us             one round trip of 1 byte between parent and child
 *                              over two pipes: ROUNDS_1B round trips (default 2000)
 *   pipe_rtt_64k_us            the same with 64 KiB each way: ROUNDS_64K (default 200)
 *
 * The pipe figures are medians of batches of rounds (at most 32 batches), so that
 * reading the clock does not weigh on a sub-microsecond round trip. stdout holds
 * only the four key=value lines; errors go to stderr, with exit status 1.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "utest.h"

#define PAGE 4096
#define BIG (64 * 1024)
#define MAX_BATCHES 32

static uint8_t *touched;
static size_t touched_len;
static uint8_t big[BIG];

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
}

static uint64_t *samples(size_t n)
{
	uint64_t *v = calloc(n, sizeof(*v));

	if (!v)
		die("cannot allocate %zu samples", n);
	return v;
}

/* One fork, the child gone at once, reaped: nanoseconds. */
static uint64_t fork_exit_wait(void)
{
	uint64_t t0 = now_ns();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", errname(errno));
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid: %s", errname(errno));
	if (status != 0)
		die("child status %#x", status);
	return now_ns() - t0;
}

static void touch(uint8_t seed)
{
	for (size_t off = 0; off < touched_len; off += PAGE)
		touched[off] = (uint8_t)(off / PAGE) ^ seed;
}

static double fork_figure(unsigned long n, int touching)
{
	uint64_t *v = samples(n);
	double m;

	if (touching) {
		touched = mmap(NULL, touched_len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (touched == MAP_FAILED)
			die("cannot map %zu MiB: %s", touched_len >> 20, errname(errno));
		touch(0xff);
	}
	(void)fork_exit_wait();                 /* warm-up */
	for (unsigned long i = 0; i < n; i++) {
		if (touching)
			touch((uint8_t)i);
		v[i] = fork_exit_wait();
	}
	if (touching && munmap(touched, touched_len))
		die("munmap: %s", errname(errno));
	m = median(v, n) / 1e3;
	free(v);
	return m;
}

static void write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("pipe write: %s", errname(errno));
		buf += n;
		len -= (size_t)n;
	}
}

/* 1 when len bytes came, 0 on end of file before any. */
static int read_all(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("pipe read: %s", errname(errno));
		if (n == 0) {
			if (got)
				die("pipe read: end of file after %zu of %zu bytes", got, len);
			return 0;
		}
		got += (size_t)n;
	}
	return 1;
}

/* Ping-pong of len bytes with a child: the median per round trip, microseconds. */
static double pipe_figure(unsigned long rounds, size_t len)
{
	unsigned long batches = rounds < MAX_BATCHES ? rounds : MAX_BATCHES;
	unsigned long per = rounds / batches;
	uint64_t *v = samples(batches);
	int down[2], up[2], status;
	double m;
	pid_t pid;

	if (pipe(down) || pipe(up))
		die("pipe: %s", errname(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", errname(errno));
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		while (read_all(down[0], big, len))
			write_all(up[1], big, len);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	memset(big, 0x5a, len);
	write_all(down[1], big, len);           /* warm-up */
	read_all(up[0], big, len);
	for (unsigned long b = 0; b < batches; b++) {
		uint64_t t0 = now_ns();

		for (unsigned long i = 0; i < per; i++) {
			write_all(down[1], big, len);
			if (!read_all(up[0], big, len))
				die("pipe: the child went away");
		}
		v[b] = (now_ns() - t0) / per;
	}
	close(down[1]);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		die("pipe child: status %#x (%s)", status, errname(errno));
	close(up[0]);
	m = median(v, batches) / 1e3;
	free(v);
	return m;
}

int main(int argc, char **argv)
{
	unsigned long forks = arg(argc, argv, 1, 200);
	unsigned long touched_forks = arg(argc, argv, 2, 20);
	unsigned long mib = arg(argc, argv, 3, 4);
	unsigned long rounds_1b = arg(argc, argv, 4, 2000);
	unsigned long rounds_64k = arg(argc, argv, 5, 200);
	double f, ft, p1, p64;

	if (argc > 6)
		die("usage: procbench [FORKS [TOUCHED_FORKS [MIB [ROUNDS_1B [ROUNDS_64K]]]]]");
	touched_len = mib << 20;
	f = fork_figure(forks, 0);
	ft = fork_figure(touched_forks, 1);
	p1 = pipe_figure(rounds_1b, 1);
	p64 = pipe_figure(rounds_64k, BIG);

	printf("fork_exit_wait_us=%.2f\n", f);
	printf("fork_touched_exit_wait_us=%.2f\n", ft);
	printf("pipe_rtt_1b_us=%.2f\n", p1);
	printf("pipe_rtt_64k_us=%.2f\n", p64);
	return 0;
}
