/*
 * Descriptor system calls: reading and writing open files (pipes, the terminal,
 * files on storage), offsets, sync and truncate, and the table itself (pipe, dup,
 * close, fcntl). The objects behind descriptors
 * are pmon's (include/pcomponent/file.h); this file checks Linux's arguments.
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "pcomponent/file.h"
#include "pcomponent/pipe.h"
#include "pcomponent/signal.h"
#include "syscalls.h"

#define IOV_MAX 1024
#define SEEK_MAX 4		/* SEEK_HOLE: the last whence Linux knows */

/* The file fd names, with a reference the caller puts; NULL if it names none. */
static struct file *get_file(struct uthread *t, uint64_t fd)
{
	return fd < FD_MAX ? fd_get(t->proc->files, (int)fd) : NULL;
}

/*
 * The file fd names if it was opened for reading (or writing), as Linux's FMODE
 * checks: a reference, or NULL for -EBADF.
 */
static struct file *get_rw_file(struct uthread *t, uint64_t fd, bool write)
{
	struct file *f = get_file(t, fd);
	uint32_t acc;

	if (!f)
		return NULL;
	acc = __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_ACCMODE;
	if ((write ? f->ops->write : f->ops->read) &&
	    (acc == O_RDWR || acc == (write ? O_WRONLY : O_RDONLY)))
		return f;
	file_put(f);
	return NULL;
}

/* n bytes at uva to or from f; a write to a pipe nobody reads is SIGPIPE. */
static long rw_file(struct uthread *t, struct file *f, uint64_t uva, uint64_t n, bool write)
{
	long ret;

	if (!user_range(uva, n))
		return -EFAULT;
	if (write)
		ret = f->ops->write(f, t->proc->mm, uva, n);
	else
		ret = f->ops->read(f, t->proc->mm, uva, n);
	if (ret == -EPIPE)
		signal_send_thread(t, SIGPIPE);
	return ret;
}

static long rw(struct uthread *t, uint64_t fd, uint64_t uva, uint64_t n, bool write)
{
	struct file *f = get_rw_file(t, fd, write);
	long ret;

	if (!f)
		return -EBADF;
	ret = rw_file(t, f, uva, n, write);
	file_put(f);
	return ret;
}

SYSCALL(sys_read)
{
	return rw(t, a[0], a[1], a[2], false);
}

SYSCALL(sys_write)
{
	return rw(t, a[0], a[1], a[2], true);
}

/*
 * The n iovecs at uva into *out (kmalloc'd, the caller frees it), checked whole
 * before a byte moves, as Linux imports them: a vector that cannot be read is
 * -EFAULT, a length negative as ssize_t -EINVAL, a buffer outside user memory -EFAULT.
 */
static int iov_import(struct mm *mm, uint64_t uva, uint64_t n, struct linux_iovec **out)
{
	struct linux_iovec *v;

	if (n > IOV_MAX)
		return -EINVAL;
	v = *out = kmalloc(n * sizeof(*v) + 1);
	if (!v)
		return -ENOMEM;
	if (n && mm_copy_in(mm, v, uva, n * sizeof(*v)))
		return -EFAULT;
	for (uint64_t i = 0; i < n; i++)
		if ((int64_t)v[i].len < 0)
			return -EINVAL;
	for (uint64_t i = 0; i < n; i++)
		if (!user_range(v[i].base, v[i].len))
			return -EFAULT;
	return 0;
}

/* readv/writev: each buffer in turn, stopping at the first short or failed one. */
static long rwv(struct uthread *t, const uint64_t a[6], bool write)
{
	struct file *f = get_rw_file(t, a[0], write);
	struct linux_iovec *v = NULL;
	uint64_t total = 0;
	long ret;

	if (!f)
		return -EBADF;
	ret = iov_import(t->proc->mm, a[1], a[2], &v);
	for (uint64_t i = 0; !ret && i < a[2]; i++) {
		long n = v[i].len ? rw_file(t, f, v[i].base, v[i].len, write) : 0;

		if (n < 0) {
			ret = total ? 0 : n;
			break;
		}
		total += (uint64_t)n;
		if ((uint64_t)n < v[i].len)
			break;
	}
	kfree(v);
	file_put(f);
	return ret ? ret : (long)total;
}

SYSCALL(sys_readv)
{
	return rwv(t, a, false);
}

SYSCALL(sys_writev)
{
	return rwv(t, a, true);
}

SYSCALL(sys_close)
{
	return a[0] < FD_MAX ? fd_close(t->proc->files, (int)a[0]) : -EBADF;
}

SYSCALL(sys_pipe2)
{
	struct files *fs = t->proc->files;
	struct file *rd, *wr;
	int fds[2], err;

	if (a[1] & ~(uint64_t)(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	err = pipe_create((uint32_t)a[1], &rd, &wr);
	if (err)
		return err;
	fds[0] = fd_install(fs, rd, 0, a[1] & O_CLOEXEC);
	fds[1] = fds[0] < 0 ? -EMFILE : fd_install(fs, wr, 0, a[1] & O_CLOEXEC);
	err = fds[1] < 0 ? fds[1] : mm_copy_out(t->proc->mm, a[0], fds, sizeof(fds));
	if (!err)
		return 0;
	if (fds[0] >= 0)
		fd_close(fs, fds[0]);
	else
		file_put(rd);
	if (fds[1] >= 0)
		fd_close(fs, fds[1]);
	else
		file_put(wr);
	return err;
}

SYSCALL(sys_pipe)
{
	const uint64_t b[6] = { a[0], 0 };

	return sys_pipe2(t, b);
}

/* The lowest free descriptor >= min names fd's file too. */
static long dup_from(struct uthread *t, uint64_t fd, uint64_t min, bool cloexec)
{
	struct file *f = get_file(t, fd);
	int nfd;

	if (!f)
		return -EBADF;
	if (min >= FD_MAX) {
		file_put(f);
		return -EINVAL;
	}
	nfd = fd_install(t->proc->files, f, (int)min, cloexec);
	if (nfd < 0)
		file_put(f);
	return nfd;
}

SYSCALL(sys_dup)
{
	return dup_from(t, a[0], 0, false);
}

SYSCALL(sys_dup2)
{
	if (a[0] == a[1]) {
		struct file *f = get_file(t, a[0]);

		if (!f)
			return -EBADF;
		file_put(f);
		return (long)a[1];
	}
	return a[1] < FD_MAX ? fd_dup2(t->proc->files, (int)a[0], (int)a[1], false) : -EBADF;
}

SYSCALL(sys_dup3)
{
	if (a[0] == a[1] || (a[2] & ~(uint64_t)O_CLOEXEC))
		return -EINVAL;
	if (a[0] >= FD_MAX || a[1] >= FD_MAX)
		return -EBADF;
	return fd_dup2(t->proc->files, (int)a[0], (int)a[1], a[2] & O_CLOEXEC);
}

/* F_SETFL may change O_NONBLOCK and O_APPEND (which only files with offsets heed). */
static long set_flags(struct uthread *t, uint64_t fd, uint64_t flags)
{
	const uint32_t settable = O_NONBLOCK | O_APPEND;
	struct file *f = get_file(t, fd);

	if (!f)
		return -EBADF;
	__atomic_store_n(&f->flags, (f->flags & ~settable) | ((uint32_t)flags & settable),
			 __ATOMIC_RELAXED);
	file_put(f);
	return 0;
}

static long get_flags(struct uthread *t, uint64_t fd)
{
	struct file *f = get_file(t, fd);
	long flags;

	if (!f)
		return -EBADF;
	flags = f->flags;
	file_put(f);
	return flags;
}

/* A command this file does not know: -EINVAL, but a bad fd is -EBADF first, as Linux. */
static long bad_command(struct uthread *t, uint64_t fd)
{
	struct file *f = get_file(t, fd);

	if (!f)
		return -EBADF;
	file_put(f);
	return -EINVAL;
}

SYSCALL(sys_fcntl)
{
	switch (a[1]) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return dup_from(t, a[0], a[2], a[1] == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return a[0] < FD_MAX ? fd_cloexec(t->proc->files, (int)a[0], -1) : -EBADF;
	case F_SETFD:
		return a[0] < FD_MAX ? (fd_cloexec(t->proc->files, (int)a[0],
						   a[2] & FD_CLOEXEC) < 0 ? -EBADF : 0) : -EBADF;
	case F_GETFL:
		return get_flags(t, a[0]);
	case F_SETFL:
		return set_flags(t, a[0], a[2]);
	default:
		return bad_command(t, a[0]);
	}
}

/*
 * Only files on storage have offsets: pipes and the terminal answer -ESPIPE, to a
 * whence Linux knows (SEEK_SET..SEEK_HOLE); any other is -EINVAL first.
 */
SYSCALL(sys_lseek)
{
	struct file *f = get_file(t, a[0]);
	long ret;

	if (!f)
		return -EBADF;
	if ((uint32_t)a[2] > SEEK_MAX)
		ret = -EINVAL;
	else
		ret = f->ops->seek ? f->ops->seek(f, (int64_t)a[1], (int)a[2]) : -ESPIPE;
	file_put(f);
	return ret;
}

/*
 * pread64/pwrite64: n bytes at an offset, leaving the file's own offset alone. As
 * on Linux, a negative offset is refused before the fd is looked up, and an object
 * without offsets (-ESPIPE) before the buffer is looked at.
 */
static long prw(struct uthread *t, const uint64_t a[6], bool write)
{
	struct file *f;
	long ret;

	if ((int64_t)a[3] < 0)
		return -EINVAL;
	f = get_file(t, a[0]);
	if (!f)
		return -EBADF;
	if (!(write ? f->ops->pwrite : f->ops->pread))
		ret = -ESPIPE;
	else if (!user_range(a[1], a[2]))
		ret = -EFAULT;
	else if (write)
		ret = f->ops->pwrite(f, t->proc->mm, a[1], a[2], a[3]);
	else
		ret = f->ops->pread(f, t->proc->mm, a[1], a[2], a[3]);
	file_put(f);
	return ret;
}

SYSCALL(sys_pread64)
{
	return prw(t, a, false);
}

SYSCALL(sys_pwrite64)
{
	return prw(t, a, true);
}

/* A negative length is -EINVAL before the fd is looked up, as on Linux. */
SYSCALL(sys_ftruncate)
{
	struct file *f;
	long ret;

	if ((int64_t)a[1] < 0)
		return -EINVAL;
	f = get_file(t, a[0]);
	if (!f)
		return -EBADF;
	if (!f->ops->truncate)
		ret = -EINVAL;
	else
		ret = f->ops->truncate(f, a[1]);
	file_put(f);
	return ret;
}

static long sync_fd(struct uthread *t, uint64_t fd, bool data_only)
{
	struct file *f = get_file(t, fd);
	long ret;

	if (!f)
		return -EBADF;
	ret = f->ops->sync ? f->ops->sync(f, data_only) : -EINVAL;
	file_put(f);
	return ret;
}

SYSCALL(sys_fsync)
{
	return sync_fd(t, a[0], false);
}

SYSCALL(sys_fdatasync)
{
	return sync_fd(t, a[0], true);
}

SYSCALL(sys_ioctl)
{
	struct file *f = get_file(t, a[0]);
	long ret;

	if (!f)
		return -EBADF;
	ret = f->ops->ioctl ? f->ops->ioctl(f, t->proc->mm, (unsigned)a[1], a[2]) : -ENOTTY;
	file_put(f);
	return ret;
}
