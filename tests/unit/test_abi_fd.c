/*
 * Host tests for linux-abi/sys_fd.c on the pmon stubs: descriptor calls check
 * their arguments as Linux does (bad descriptors, access modes, user buffers and
 * lengths, flags, the order of those checks, with nothing half-done on failure),
 * and the table behaves as a program sees it: lowest free descriptor, -EMFILE,
 * close-on-exec at exec, a fork's copy sharing the open files.
 */
#include "abi_test.h"
#include "pcomponent/pipe.h"

/* Bytes waiting in the pipe whose read end is fd (it must be O_NONBLOCK). */
static long drain(int fd)
{
	long n = 0, k;

	while ((k = SYS(read, fd, UBUF2, 4096)) > 0)
		n += k;
	CHECK(k == -EAGAIN || k == 0);
	return n;
}

/* Fill every free slot with dups of fd but the one at hole (-1: none). */
static void fill_table(int fd, int hole)
{
	for (int i = 0; i < FD_MAX; i++)
		if (!proc.files->fd[i] && i != hole)
			CHECK(SYS(dup2, fd, i) == i);
}

/* ---- bad descriptors ---- */

/* before: fds 0 and 1 a pipe; after: every call on a descriptor that is not open: -EBADF */
static void calls_on_bad_fds_are_ebadf(void)
{
	static const uint64_t bad[] = { (uint64_t)-1, 0xffffffffu, FD_MAX, FD_MAX + 1, 200 };
	int fds[2];

	abi_start();
	make_pipe(fds, O_NONBLOCK);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t fd = bad[i];

		CHECK(SYS(read, fd, UBUF, 1) == -EBADF);
		CHECK(SYS(write, fd, UBUF, 1) == -EBADF);
		CHECK(SYS(close, fd) == -EBADF);
		CHECK(SYS(dup, fd) == -EBADF);
		CHECK(SYS(dup2, fd, 5) == -EBADF);
		CHECK(SYS(lseek, fd, 0, SEEK_SET) == -EBADF);
		CHECK(SYS(fsync, fd) == -EBADF);
		CHECK(SYS(ioctl, fd, FIONREAD, UBUF) == -EBADF);
		CHECK(SYS(fcntl, fd, F_GETFD) == -EBADF);
		CHECK(SYS(fcntl, fd, F_SETFD, FD_CLOEXEC) == -EBADF);
		CHECK(SYS(fcntl, fd, F_GETFL) == -EBADF);
		CHECK(SYS(fcntl, fd, F_DUPFD, 0) == -EBADF);
		CHECK(SYS(fstat, fd, UBUF) == -EBADF);
		CHECK(SYS(getdents64, fd, UBUF, 64) == -EBADF);
	}
	CHECK(open_fds() == 2);
	abi_finish();
}

/* a closed descriptor is gone: a second close and a read of it are -EBADF */
static void closed_fds_are_ebadf(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, O_NONBLOCK);
	CHECK(SYS(close, fds[0]) == 0);
	CHECK(SYS(close, fds[0]) == -EBADF);
	CHECK(SYS(read, fds[0], UBUF, 1) == -EBADF);
	abi_finish();
}

/* Linux's FMODE checks: the wrong end of a pipe, and /dev/null by its open mode */
static void access_mode_is_checked(void)
{
	static const char null[] = "/dev/null";
	int fds[2];
	long ro, wo, rw;

	abi_start();
	make_pipe(fds, O_NONBLOCK);
	CHECK(SYS(write, fds[0], UBUF, 1) == -EBADF);
	CHECK(SYS(read, fds[1], UBUF, 1) == -EBADF);
	uput(UBUF2, null, sizeof(null));
	ro = SYS(open, UBUF2, O_RDONLY);
	wo = SYS(open, UBUF2, O_WRONLY);
	rw = SYS(open, UBUF2, O_RDWR);
	CHECK(ro >= 0 && wo >= 0 && rw >= 0);
	CHECK(SYS(write, ro, UBUF, 3) == -EBADF);
	CHECK(SYS(read, ro, UBUF, 3) == 0);
	CHECK(SYS(read, wo, UBUF, 3) == -EBADF);
	CHECK(SYS(write, wo, UBUF, 3) == 3);
	CHECK(SYS(read, rw, UBUF, 3) == 0 && SYS(write, rw, UBUF, 3) == 3);
	uput(UBUF3, &(uint64_t[2]){ UBUF, 3 }, 16);
	CHECK(SYS(writev, ro, UBUF3, 1) == -EBADF);
	CHECK(SYS(readv, wo, UBUF3, 1) == -EBADF);
	abi_finish();
}

/* ---- read and write: counts and buffers ---- */

/* before: an empty pipe; a count of 0 moves nothing and returns 0, without SIGPIPE */
static void count_zero_moves_nothing(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, O_NONBLOCK);
	CHECK(SYS(read, fds[0], UBUF, 0) == 0);
	CHECK(SYS(read, fds[0], 0, 0) == 0);			/* NULL, 0: fine */
	CHECK(SYS(write, fds[1], UBUF, 0) == 0);
	CHECK(SYS(close, fds[0]) == 0);
	CHECK(SYS(write, fds[1], UBUF, 0) == 0);		/* no reader: still 0 */
	CHECK(ut.pending == 0);
	CHECK(SYS(write, fds[1], UBUF, 1) == -EPIPE);
	CHECK(ut.pending == BIT(SIGPIPE));
	abi_finish();
}

/* a buffer Linux's access_ok refuses is -EFAULT before anything moves, count 0 or not */
static void buffer_outside_user_memory_is_efault(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, O_NONBLOCK);
	CHECK(SYS(write, fds[1], KERNEL_VA, 0) == -EFAULT);
	CHECK(SYS(read, fds[0], KERNEL_VA, 0) == -EFAULT);
	CHECK(SYS(write, fds[1], VMA_MAX - 4, 8) == -EFAULT);
	CHECK(SYS(write, fds[1], VMA_MAX, 0) == 0);		/* the end itself is fine */
	CHECK(SYS(write, fds[1], VMA_MAX + 1, 0) == -EFAULT);
	CHECK(SYS(write, fds[1], UBUF, -1) == -EFAULT);		/* a huge count, as Linux */
	CHECK(SYS(write, fds[1], UBUF, 1ULL << 62) == -EFAULT);
	CHECK(SYS(read, fds[0], UBUF, -1) == -EFAULT);
	CHECK(drain(fds[0]) == 0);
	CHECK(SYS(write, fds[0] + 5, KERNEL_VA, 0) == -EBADF);	/* the descriptor first */
	CHECK(SYS(write, fds[0], KERNEL_VA, 0) == -EBADF);	/* then its mode */
	abi_finish();
}

/* a write to a pipe nobody reads: -EPIPE and SIGPIPE, unless SIGPIPE is ignored */
static void broken_pipe_is_epipe_and_sigpipe(void)
{
	struct linux_sigaction ign = { .handler = SIG_IGN };
	int fds[2];

	abi_start();
	make_pipe(fds, 0);
	CHECK(SYS(close, fds[0]) == 0);
	CHECK(SYS(write, fds[1], UBUF, 10) == -EPIPE);
	CHECK(ut.pending == BIT(SIGPIPE) && host.nwoke == 1);
	ut.pending = 0;
	uput(UBUF2, &ign, sizeof(ign));
	CHECK(SYS(rt_sigaction, SIGPIPE, UBUF2, 0, 8) == 0);
	CHECK(SYS(write, fds[1], UBUF, 10) == -EPIPE);
	CHECK(ut.pending == 0);
	abi_finish();
}

/* ---- readv and writev ---- */

static void put_iov(uint64_t at, unsigned i, uint64_t base, uint64_t len)
{
	uput(at + i * 16, &(uint64_t[2]){ base, len }, 16);
}

/* the descriptor and its mode come first, then the count (at most 1024), as Linux */
static void iovec_count_is_checked_after_the_fd(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, O_NONBLOCK);
	CHECK(SYS(writev, 99, UBUF, 0) == -EBADF);
	CHECK(SYS(readv, 99, UBUF, 0) == -EBADF);
	CHECK(SYS(writev, 99, UBUF, 2000) == -EBADF);
	CHECK(SYS(writev, fds[0], UBUF, -1) == -EBADF);
	CHECK(SYS(readv, fds[1], KERNEL_VA, 1) == -EBADF);
	CHECK(SYS(writev, fds[1], UBUF, 1025) == -EINVAL);
	CHECK(SYS(writev, fds[1], UBUF, -1) == -EINVAL);
	CHECK(SYS(writev, fds[1], KERNEL_VA, 0) == 0);		/* nothing to read of it */
	CHECK(SYS(writev, fds[1], UBUF, 1024) == 0);		/* 1024 empty buffers */
	abi_finish();
}

/* before: an empty pipe; a bad vector is refused whole: the pipe stays empty */
static void writev_checks_the_whole_vector_first(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, O_NONBLOCK);
	put_iov(UBUF, 0, UBUF2, 4);
	put_iov(UBUF, 1, UBUF2, -1);				/* negative as ssize_t */
	CHECK(SYS(writev, fds[1], UBUF, 2) == -EINVAL);
	CHECK(drain(fds[0]) == 0);
	put_iov(UBUF, 1, KERNEL_VA, 4);
	CHECK(SYS(writev, fds[1], UBUF, 2) == -EFAULT);
	CHECK(drain(fds[0]) == 0);
	put_iov(UBUF, 1, KERNEL_VA, 0);				/* even an empty one */
	CHECK(SYS(writev, fds[1], UBUF, 2) == -EFAULT);
	CHECK(drain(fds[0]) == 0);
	put_iov(UBUF, 1, UBUF2, 4);
	host.fault_at = UBUF + 20;				/* the vector itself faults */
	CHECK(SYS(writev, fds[1], UBUF, 2) == -EFAULT);
	host.fault_at = HOST_UEND;
	CHECK(drain(fds[0]) == 0);
	CHECK(SYS(writev, fds[1], UBUF, 2) == 8);
	CHECK(drain(fds[0]) == 8);
	abi_finish();
}

/* writev gathers the buffers in order; readv scatters into them, skipping empty ones */
static void vectors_move_bytes_in_order(void)
{
	uint8_t got[8] = { 0 };
	int fds[2], bl[2];

	abi_start();
	make_pipe(bl, 0);
	CHECK(SYS(write, bl[1], UBUF2, 2) == 2);
	put_iov(UBUF, 0, UBUF3, 5);
	put_iov(UBUF, 1, UBUF3 + 8, 5);
	CHECK(SYS(readv, bl[0], UBUF, 2) == 2);			/* short: no second read */
	make_pipe(fds, O_NONBLOCK);
	uput(UBUF2, "AAB", 3);
	put_iov(UBUF, 0, UBUF2, 2);
	put_iov(UBUF, 1, UBUF2, 0);
	put_iov(UBUF, 2, UBUF2 + 2, 1);
	CHECK(SYS(writev, fds[1], UBUF, 3) == 3);
	put_iov(UBUF, 0, UBUF3, 1);
	put_iov(UBUF, 1, UBUF3 + 8, 0);
	put_iov(UBUF, 2, UBUF3 + 16, 100);
	CHECK(SYS(readv, fds[0], UBUF, 3) == 3);
	uget(got, UBUF3, 1);
	uget(got + 1, UBUF3 + 16, 2);
	CHECK(!memcmp(got, "AAB", 3));
	abi_finish();
}

/* ---- pipe2 ---- */

/* flags other than O_NONBLOCK and O_CLOEXEC: -EINVAL, nothing made */
static void pipe2_bad_flags_are_einval(void)
{
	static const uint64_t bad[] = { O_WRONLY, O_APPEND, O_CREAT, 0x80000000u };

	abi_start();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(SYS(pipe2, UBUF, bad[i]) == -EINVAL);
	CHECK(open_fds() == 0 && host.kmallocs == base_kmallocs + 1);	/* the table */
	abi_finish();
}

/* the array cannot be written (or only half of it): -EFAULT, no descriptor, no pipe */
static void pipe2_bad_array_installs_nothing(void)
{
	abi_start();
	CHECK(SYS(pipe2, KERNEL_VA, 0) == -EFAULT);
	CHECK(SYS(pipe, 0) == -EFAULT);
	host.fault_at = UBUF + 4;
	CHECK(SYS(pipe2, UBUF, O_CLOEXEC) == -EFAULT);
	CHECK(open_fds() == 0 && host.kmallocs == base_kmallocs + 1);
	abi_finish();
}

/* one free slot is not two: -EMFILE, the slot still free, the pipe freed */
static void pipe2_needs_two_free_slots(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, 0);
	fill_table(fds[0], 7);
	CHECK(SYS(pipe2, UBUF, 0) == -EMFILE);
	CHECK(proc.files->fd[7] == NULL);
	CHECK(SYS(close, 7 + 1) == 0);
	CHECK(SYS(pipe2, UBUF, 0) == 0);
	uget(fds, UBUF, sizeof(fds));
	CHECK(fds[0] == 7 && fds[1] == 8);
	abi_finish();
}

/* O_CLOEXEC and O_NONBLOCK reach both ends */
static void pipe2_flags_reach_both_ends(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, O_CLOEXEC | O_NONBLOCK);
	CHECK(fds[0] == 0 && fds[1] == 1);
	for (int i = 0; i < 2; i++) {
		CHECK(SYS(fcntl, fds[i], F_GETFD) == FD_CLOEXEC);
		CHECK(SYS(fcntl, fds[i], F_GETFL) == (O_NONBLOCK | (i ? O_WRONLY : O_RDONLY)));
	}
	CHECK(SYS(read, fds[0], UBUF, 1) == -EAGAIN);
	make_pipe(fds, 0);
	CHECK(SYS(fcntl, fds[0], F_GETFD) == 0 && SYS(fcntl, fds[1], F_GETFL) == O_WRONLY);
	abi_finish();
}

/* ---- dup, dup2, dup3, F_DUPFD ---- */

/* before: 0 and 1 a pipe; each dup takes the lowest free slot (>= F_DUPFD's minimum) */
static void dup_takes_the_lowest_free_fd(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, O_CLOEXEC);
	CHECK(SYS(dup, 0) == 2);
	CHECK(SYS(fcntl, 2, F_GETFD) == 0);			/* a dup is not close-on-exec */
	CHECK(SYS(close, 0) == 0);
	CHECK(SYS(dup, 1) == 0);
	CHECK(SYS(fcntl, 1, F_DUPFD, 10) == 10);
	CHECK(SYS(fcntl, 1, F_DUPFD, 5) == 5);
	CHECK(SYS(fcntl, 1, F_DUPFD, 5) == 6);
	CHECK(SYS(fcntl, 1, F_DUPFD_CLOEXEC, 0) == 3);
	CHECK(SYS(fcntl, 3, F_GETFD) == FD_CLOEXEC);
	CHECK(SYS(fcntl, 1, F_DUPFD, FD_MAX) == -EINVAL);
	CHECK(SYS(fcntl, 1, F_DUPFD, -1) == -EINVAL);
	CHECK(SYS(fcntl, 1, F_DUPFD, FD_MAX - 1) == FD_MAX - 1);
	CHECK(open_fds() == 8);
	abi_finish();
}

/* before: a full table; every way to make a descriptor is -EMFILE, no reference leaks */
static void a_full_table_is_emfile(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, 0);
	fill_table(fds[0], -1);
	CHECK(SYS(dup, fds[0]) == -EMFILE);
	CHECK(SYS(fcntl, fds[0], F_DUPFD, FD_MAX - 1) == -EMFILE);
	CHECK(SYS(pipe2, UBUF, 0) == -EMFILE);
	CHECK(proc.files->fd[fds[0]]->refs == FD_MAX - 1);	/* every slot but fds[1] */
	CHECK(SYS(close, 100) == 0);
	CHECK(SYS(dup, fds[1]) == 100);
	abi_finish();
}

/* dup2: onto itself only checks the fd; onto another closes what it named, clears cloexec */
static void dup2_edge_cases(void)
{
	int fds[2], old[2];

	abi_start();
	make_pipe(old, O_CLOEXEC);
	make_pipe(fds, O_CLOEXEC);
	CHECK(SYS(dup2, fds[0], fds[0]) == fds[0]);
	CHECK(SYS(fcntl, fds[0], F_GETFD) == FD_CLOEXEC);	/* untouched */
	CHECK(SYS(dup2, 99, 99) == -EBADF);
	CHECK(SYS(dup2, fds[0], FD_MAX) == -EBADF);
	CHECK(SYS(dup2, fds[0], -1) == -EBADF);
	CHECK(SYS(dup2, 99, old[1]) == -EBADF);
	CHECK(SYS(fcntl, old[1], F_GETFD) == FD_CLOEXEC);	/* newfd still open */
	CHECK(SYS(dup2, fds[1], old[1]) == old[1]);		/* old's write end goes */
	CHECK(SYS(fcntl, old[1], F_GETFD) == 0);
	CHECK(SYS(read, old[0], UBUF, 1) == 0);			/* old's end of file */
	CHECK(SYS(write, old[1], UBUF, 1) == 1);		/* into fds's pipe */
	CHECK(SYS(read, fds[0], UBUF, 1) == 1);
	abi_finish();
}

/* dup3: the same fd or a flag but O_CLOEXEC is -EINVAL before any fd is looked at */
static void dup3_edge_cases(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, 0);
	CHECK(SYS(dup3, fds[0], fds[0], 0) == -EINVAL);
	CHECK(SYS(dup3, fds[0], fds[0], O_CLOEXEC) == -EINVAL);
	CHECK(SYS(dup3, 99, 99, 0) == -EINVAL);
	CHECK(SYS(dup3, fds[0], 5, O_NONBLOCK) == -EINVAL);
	CHECK(SYS(dup3, 99, 5, 1) == -EINVAL);
	CHECK(SYS(dup3, 99, 5, 0) == -EBADF);
	CHECK(SYS(dup3, fds[0], FD_MAX, 0) == -EBADF);
	CHECK(SYS(dup3, fds[0], 5, O_CLOEXEC) == 5);
	CHECK(SYS(fcntl, 5, F_GETFD) == FD_CLOEXEC);
	CHECK(SYS(dup3, fds[1], 5, 0) == 5);
	CHECK(SYS(fcntl, 5, F_GETFD) == 0 && SYS(fcntl, 5, F_GETFL) == O_WRONLY);
	CHECK(open_fds() == 3);
	abi_finish();
}

/* ---- fcntl ---- */

/* a bad descriptor is -EBADF whatever the command; an unknown one on a good fd -EINVAL */
static void fcntl_checks_the_fd_first(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, 0);
	CHECK(SYS(fcntl, 99, 9999) == -EBADF);
	CHECK(SYS(fcntl, 99, F_SETFL, O_NONBLOCK) == -EBADF);
	CHECK(SYS(fcntl, fds[0], 9999) == -EINVAL);
	abi_finish();
}

/* F_SETFL changes O_NONBLOCK and O_APPEND only; F_SETFD looks at FD_CLOEXEC only */
static void fcntl_changes_only_what_linux_lets(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, 0);
	CHECK(SYS(fcntl, fds[1], F_SETFL, O_NONBLOCK | O_APPEND | O_RDWR | O_CREAT) == 0);
	CHECK(SYS(fcntl, fds[1], F_GETFL) == (O_WRONLY | O_NONBLOCK | O_APPEND));
	CHECK(SYS(fcntl, fds[1], F_SETFL, 0) == 0);
	CHECK(SYS(fcntl, fds[1], F_GETFL) == O_WRONLY);
	CHECK(SYS(fcntl, fds[0], F_SETFD, 0xfe) == 0);
	CHECK(SYS(fcntl, fds[0], F_GETFD) == 0);
	CHECK(SYS(fcntl, fds[0], F_SETFD, FD_CLOEXEC) == 0);
	CHECK(SYS(fcntl, fds[0], F_GETFD) == FD_CLOEXEC);
	abi_finish();
}

/* ---- objects without an offset ---- */

/* lseek: a bad whence is -EINVAL even where seeking is -ESPIPE, as on Linux */
static void lseek_checks_whence_first(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, 0);
	CHECK(SYS(lseek, fds[0], 0, 99) == -EINVAL);
	CHECK(SYS(lseek, fds[0], 0, -1) == -EINVAL);
	CHECK(SYS(lseek, fds[0], 0, SEEK_SET) == -ESPIPE);
	CHECK(SYS(lseek, fds[0], 0, 4) == -ESPIPE);		/* SEEK_HOLE */
	CHECK(SYS(lseek, 99, 0, 99) == -EBADF);
	abi_finish();
}

/* pread64/pwrite64: a negative offset is -EINVAL first, then the fd, then -ESPIPE */
static void pread_checks_the_offset_first(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, 0);
	CHECK(SYS(pread64, 99, UBUF, 1, -1) == -EINVAL);
	CHECK(SYS(pread64, fds[0], UBUF, 1, -1) == -EINVAL);
	CHECK(SYS(pwrite64, 99, UBUF, 1, -1) == -EINVAL);
	CHECK(SYS(pread64, 99, UBUF, 1, 0) == -EBADF);
	CHECK(SYS(pread64, fds[0], UBUF, -1, 0) == -ESPIPE);
	CHECK(SYS(pwrite64, fds[1], KERNEL_VA, 1, 0) == -ESPIPE);
	abi_finish();
}

/* ftruncate: a negative length is -EINVAL before the fd; a pipe cannot be truncated */
static void ftruncate_checks_the_length_first(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, 0);
	CHECK(SYS(ftruncate, 99, -1) == -EINVAL);
	CHECK(SYS(ftruncate, 99, 0) == -EBADF);
	CHECK(SYS(ftruncate, fds[1], 0) == -EINVAL);
	CHECK(SYS(fsync, fds[1]) == -EINVAL);
	CHECK(SYS(fdatasync, fds[1]) == -EINVAL);
	CHECK(SYS(ioctl, fds[0], TCGETS, UBUF) == -ENOTTY);
	CHECK(SYS(getdents64, fds[0], UBUF, 64) == -ENOTDIR);
	abi_finish();
}

/* ---- the table across exec and fork ---- */

/* execve closes what is close-on-exec, wherever it came from; the slots are free again */
static void exec_closes_only_cloexec_fds(void)
{
	int fds[2];

	abi_start();
	make_pipe(fds, O_CLOEXEC);				/* 0, 1 */
	CHECK(SYS(dup, 0) == 2);
	CHECK(SYS(fcntl, 1, F_DUPFD_CLOEXEC, 3) == 3);
	CHECK(SYS(dup3, 1, 4, O_CLOEXEC) == 4);
	CHECK(SYS(fcntl, 2, F_SETFD, FD_CLOEXEC) == 0);
	CHECK(SYS(fcntl, 0, F_SETFD, 0) == 0);
	files_exec(proc.files);					/* as execve does */
	CHECK(open_fds() == 1);
	CHECK(SYS(fcntl, 0, F_GETFD) == 0);
	for (int fd = 1; fd <= 4; fd++)
		CHECK(SYS(fcntl, fd, F_GETFD) == -EBADF);
	CHECK(SYS(dup, 0) == 1);
	abi_finish();
}

/* a fork's table names the same open files: flags are shared, slots and closes are not */
static void fork_shares_open_files_not_slots(void)
{
	struct files *parent, *child;
	int fds[2];

	abi_start();
	make_pipe(fds, O_CLOEXEC);
	parent = proc.files;
	child = files_dup(parent);
	CHECK(child != NULL);
	CHECK(SYS(fcntl, fds[0], F_SETFL, O_NONBLOCK) == 0);
	proc.files = child;
	CHECK(SYS(fcntl, fds[0], F_GETFL) == O_NONBLOCK);	/* the same open file */
	CHECK(SYS(fcntl, fds[1], F_GETFD) == FD_CLOEXEC);	/* the bits are copied */
	CHECK(SYS(write, fds[1], UBUF, 5) == 5);
	CHECK(SYS(close, fds[1]) == 0);
	CHECK(SYS(dup, fds[0]) == 1);				/* the child's slot 1 */
	proc.files = parent;
	CHECK(SYS(fcntl, fds[1], F_GETFD) == FD_CLOEXEC);	/* the parent's is open */
	CHECK(SYS(read, fds[0], UBUF, 10) == 5);
	files_close(child);
	CHECK(SYS(read, fds[0], UBUF, 10) == -EAGAIN);		/* a writer is left */
	abi_finish();
}

static const struct unit_test tests[] = {
	TEST(calls_on_bad_fds_are_ebadf),
	TEST(closed_fds_are_ebadf),
	TEST(access_mode_is_checked),
	TEST(count_zero_moves_nothing),
	TEST(buffer_outside_user_memory_is_efault),
	TEST(broken_pipe_is_epipe_and_sigpipe),
	TEST(iovec_count_is_checked_after_the_fd),
	TEST(writev_checks_the_whole_vector_first),
	TEST(vectors_move_bytes_in_order),
	TEST(pipe2_bad_flags_are_einval),
	TEST(pipe2_bad_array_installs_nothing),
	TEST(pipe2_needs_two_free_slots),
	TEST(pipe2_flags_reach_both_ends),
	TEST(dup_takes_the_lowest_free_fd),
	TEST(a_full_table_is_emfile),
	TEST(dup2_edge_cases),
	TEST(dup3_edge_cases),
	TEST(fcntl_checks_the_fd_first),
	TEST(fcntl_changes_only_what_linux_lets),
	TEST(lseek_checks_whence_first),
	TEST(pread_checks_the_offset_first),
	TEST(ftruncate_checks_the_length_first),
	TEST(exec_closes_only_cloexec_fds),
	TEST(fork_shares_open_files_not_slots),
};

CHECK_MAIN("abi_fd", tests);
