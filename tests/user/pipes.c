/*
 * pipes: pipe and file-descriptor edge cases, one line per check: EOF, SIGPIPE and
 * EPIPE, O_NONBLOCK, ESPIPE, a write larger than the pipe, pipe2 flags, dup, dup2,
 * dup3 and F_DUPFD, poll's IN/OUT/HUP/ERR/NVAL, and EBADF. Prints no fd numbers.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "utest.h"

#define BIG (64 * 1024 + 1)

static void xpipe(int p[2], int flags)
{
	if (pipe2(p, flags))
		die("pipe2(%#x): %s", flags, errname(errno));
}

static void close_pipe(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "yes" : "no");
	if (!ok)
		die("%s: no", what);
}

static void show(const char *what, long ret, long want)
{
	printf("%s = %ld\n", what, ret);
	if (ret != want)
		die("%s: want %ld, got %ld %s", what, want, ret, ret == -1 ? errname(errno) : "");
}

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void test_eof(void)
{
	int p[2], w2;
	char buf[8];
	ssize_t n, total = 0;
	pid_t pid;

	xpipe(p, 0);
	pid = xfork();
	if (pid == 0) {
		close(p[0]);
		_exit(write(p[1], "abc", 3) == 3 ? 0 : 1);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		total += n;
	show("eof: bytes read from a child before EOF", total, 3);
	show("eof: read after the writer exited", n, 0);
	if (reap(pid) != 0)
		die("writer child failed");
	close(p[0]);

	xpipe(p, O_NONBLOCK);
	w2 = dup(p[1]);
	close(p[1]);
	expect_err("eof: read with one of two writers left", read(p[0], buf, 1), EAGAIN);
	close(w2);
	show("eof: read with both writers closed", read(p[0], buf, 1), 0);
	close(p[0]);
}

static void test_epipe(void)
{
	int p[2], status;
	pid_t pid;

	xpipe(p, 0);
	close(p[0]);
	pid = xfork();
	if (pid == 0) {
		if (write(p[1], "x", 1) < 0)
			_exit(2);
		_exit(1);
	}
	close(p[1]);
	status = reap(pid);
	printf("epipe: writer with no readers killed by signal %d\n",
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGPIPE)
		die("writer status %#x, want SIGPIPE", status);

	signal(SIGPIPE, SIG_IGN);
	xpipe(p, 0);
	close(p[0]);
	expect_err("epipe: write with no readers, SIGPIPE ignored", write(p[1], "x", 1), EPIPE);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

static void test_nonblock(void)
{
	static char chunk[4096];
	int p[2];
	char c;
	long total = 0;
	ssize_t n;

	xpipe(p, O_NONBLOCK);
	expect_err("nonblock: read from an empty pipe", read(p[0], &c, 1), EAGAIN);
	while ((n = write(p[1], chunk, sizeof(chunk))) > 0 && total < (16 << 20))
		total += n;
	check("nonblock: filled the pipe with at least 4 KiB", total >= 4096 && total < (16 << 20));
	expect_err("nonblock: write to a full pipe", n, EAGAIN);
	expect_err("lseek(pipe)", lseek(p[0], 0, SEEK_SET), ESPIPE);
	expect_err("pread(pipe)", pread(p[0], &c, 1, 0), ESPIPE);
	close_pipe(p);
}

static uint64_t sum(const unsigned char *buf, size_t len)
{
	uint64_t h = 0;

	for (size_t i = 0; i < len; i++)
		h = (h ^ buf[i]) * 0x100000001b3ULL;
	return h;
}

/* One write of 64 KiB + 1 bytes, more than a Linux pipe holds, read in small pieces. */
static void test_big(void)
{
	static unsigned char out[BIG], in[BIG];
	size_t got = 0;
	ssize_t n;
	int p[2];
	pid_t pid;

	for (size_t i = 0; i < BIG; i++)
		out[i] = (unsigned char)(i * 31 + i / 251);
	xpipe(p, 0);
	pid = xfork();
	if (pid == 0) {
		close(p[0]);
		_exit(write(p[1], out, BIG) == BIG ? 0 : 1);
	}
	close(p[1]);
	while (got < BIG && (n = read(p[0], in + got, got + 1000 < BIG ? 1000 : BIG - got)) > 0)
		got += n;
	close(p[0]);
	if (reap(pid) != 0)
		die("big write: the child's write was short");
	printf("big write: %zu bytes read, checksum %016llx\n", got,
	       (unsigned long long)sum(in, got));
	if (got != BIG || memcmp(in, out, BIG))
		die("big write: data differs");
}

static int cloexec(int fd)
{
	return fcntl(fd, F_GETFD) == FD_CLOEXEC;
}

static void test_pipe2(void)
{
	int p[2];

	xpipe(p, 0);
	check("pipe: FD_CLOEXEC clear", !cloexec(p[0]) && !cloexec(p[1]));
	check("pipe: ends O_RDONLY and O_WRONLY", (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY &&
	      (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
	close_pipe(p);
	xpipe(p, O_CLOEXEC);
	check("pipe2(O_CLOEXEC): FD_CLOEXEC set on both ends", cloexec(p[0]) && cloexec(p[1]));
	check("pipe2(O_CLOEXEC): O_NONBLOCK clear", !(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	close_pipe(p);
	xpipe(p, O_NONBLOCK);
	check("pipe2(O_NONBLOCK): O_NONBLOCK set on both ends",
	      (fcntl(p[0], F_GETFL) & O_NONBLOCK) && (fcntl(p[1], F_GETFL) & O_NONBLOCK));
	close_pipe(p);
	expect_err("pipe2(O_APPEND)", syscall(SYS_pipe2, p, O_APPEND), EINVAL);
}

static void test_dup(void)
{
	int a[2], b[2], lowest, fd, fd2;
	char c = 0;

	xpipe(a, 0);
	lowest = a[0];
	close(a[0]);
	fd = dup(a[1]);
	check("dup: returns the lowest free fd", fd == lowest);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	check("dup: file status flags shared", (fcntl(a[1], F_GETFL) & O_NONBLOCK) != 0);
	check("dup: FD_CLOEXEC not shared", !cloexec(a[1]));
	close(fd);
	close(a[1]);

	xpipe(a, 0);
	xpipe(b, O_CLOEXEC);
	check("dup2(fd, same fd): returns fd", dup2(a[1], a[1]) == a[1]);
	check("dup2 onto an open fd: new fd open", dup2(b[1], a[1]) == a[1]);
	show("dup2 onto an open fd: its old pipe's read sees EOF", read(a[0], &c, 1), 0);
	show("dup2 onto an open fd: write goes to the new pipe", write(a[1], "d", 1), 1);
	check("dup2 onto an open fd: read from the new pipe", read(b[0], &c, 1) == 1 && c == 'd');
	check("dup2: FD_CLOEXEC clear on the copy of a cloexec fd", !cloexec(a[1]));
	expect_err("dup2(bad fd, fd)", dup2(-1, a[1]), EBADF);
	expect_err("dup2(fd, -1)", dup2(a[1], -1), EBADF);
	expect_err("dup3(fd, same fd)", syscall(SYS_dup3, a[1], a[1], 0), EINVAL);
	expect_err("dup3(O_NONBLOCK)", syscall(SYS_dup3, b[1], a[1], O_NONBLOCK), EINVAL);
	check("dup3(O_CLOEXEC): FD_CLOEXEC set",
	      syscall(SYS_dup3, a[0], a[1], O_CLOEXEC) == a[1] && cloexec(a[1]));

	fd = fcntl(a[0], F_DUPFD, 20);
	fd2 = fcntl(a[0], F_DUPFD_CLOEXEC, 20);
	check("fcntl(F_DUPFD, 20): fd >= 20, FD_CLOEXEC clear", fd >= 20 && !cloexec(fd));
	check("fcntl(F_DUPFD_CLOEXEC, 20): next fd, FD_CLOEXEC set", fd2 > fd && cloexec(fd2));
	expect_err("fcntl(F_DUPFD, -1)", fcntl(a[0], F_DUPFD, -1), EINVAL);
	close(fd);
	close(fd2);
	close_pipe(a);
	close_pipe(b);
}

/* revents of one fd polled for events, by name. */
static const char *polled(int fd, short events, int timeout)
{
	static const struct { short bit; const char *name; } bits[] = {
		{ POLLIN, "IN" }, { POLLRDNORM, "RDNORM" }, { POLLOUT, "OUT" },
		{ POLLWRNORM, "WRNORM" }, { POLLHUP, "HUP" }, { POLLERR, "ERR" },
		{ POLLNVAL, "NVAL" },
	};
	static char buf[64];
	struct pollfd pfd = { .fd = fd, .events = events };
	int n = poll(&pfd, 1, timeout);

	if (n < 0)
		die("poll: %s", errname(errno));
	snprintf(buf, sizeof(buf), "%d", n);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (pfd.revents & bits[i].bit)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %s", bits[i].name);
	return buf;
}

static void test_poll(void)
{
	int p[2];
	char c;
	pid_t pid;

	xpipe(p, 0);
	printf("poll: empty pipe, read end: %s\n", polled(p[0], POLLIN, 0));
	printf("poll: empty pipe, read end, 50 ms: %s\n", polled(p[0], POLLIN, 50));
	printf("poll: empty pipe, write end: %s\n", polled(p[1], POLLOUT, 0));
	pid = xfork();
	if (pid == 0) {
		msleep(50);
		_exit(write(p[1], "p", 1) == 1 ? 0 : 1);
	}
	printf("poll: read end, woken by a child's write: %s\n", polled(p[0], POLLIN, -1));
	if (reap(pid) != 0)
		die("poll: child's write failed");
	close(p[1]);
	printf("poll: writer closed, data left: %s\n", polled(p[0], POLLIN, 0));
	if (read(p[0], &c, 1) != 1)
		die("poll: read of the byte failed");
	printf("poll: writer closed, drained: %s\n", polled(p[0], POLLIN, 0));
	close(p[0]);
	printf("poll: closed fd: %s\n", polled(p[0], POLLIN, 0));

	xpipe(p, 0);
	close(p[0]);
	printf("poll: reader closed, write end: %s\n", polled(p[1], POLLOUT, 0));
	close(p[1]);
}

static void test_ebadf(void)
{
	int p[2];
	char c = 0;

	xpipe(p, 0);
	expect_err("read(write end)", read(p[1], &c, 1), EBADF);
	expect_err("write(read end)", write(p[0], &c, 1), EBADF);
	close(p[1]);
	show("close(read end)", close(p[0]), 0);
	expect_err("close(read end) again", close(p[0]), EBADF);
	expect_err("close(-1)", close(-1), EBADF);
	expect_err("fcntl(closed fd, F_GETFD)", fcntl(p[0], F_GETFD), EBADF);
	expect_err("read(closed fd)", read(p[0], &c, 1), EBADF);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_eof();
	test_epipe();
	test_nonblock();
	test_big();
	test_pipe2();
	test_dup();
	test_poll();
	test_ebadf();
	printf("pipes: all ok\n");
	return 0;
}
