/*
 * Path system calls before storage: the only directory is "/", the only files one
 * can open are /dev/null (pcomponent/dev.c) and /dev/tty (the process's terminal,
 * if it is one), and fstat describes what descriptors name. Everything else a path
 * names does not exist (-ENOENT).
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "pcomponent/dev.h"
#include "pcomponent/file.h"
#include "pcomponent/tty.h"
#include "syscalls.h"

int user_path(struct uthread *t, uint64_t uva, char buf[USER_PATH_MAX])
{
	for (unsigned i = 0; i < USER_PATH_MAX; i++) {
		if (mm_copy_in(t->proc->mm, &buf[i], uva + i, 1))
			return -EFAULT;
		if (!buf[i])
			return i ? 0 : -ENOENT;
	}
	return -ENOENT;
}

static bool is_root(const char *path)
{
	return !strcmp(path, "/") || !strcmp(path, ".") || !strcmp(path, "/.");
}

static long open_path(struct uthread *t, uint64_t upath, uint64_t flags)
{
	char path[USER_PATH_MAX];
	struct file *f;
	int err = user_path(t, upath, path), fd;

	if (err)
		return err;
	if (is_root(path))
		return flags & O_ACCMODE ? -EISDIR : -EACCES;
	if (!strcmp(path, "/dev/tty")) {
		f = tty_open(t->proc->tty, TTY_RW);
		if (!f)
			return -ENXIO;
	} else {
		err = dev_open(path, (uint32_t)flags, &f);
		if (err)
			return err;
	}
	fd = fd_install(t->proc->files, f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL(sys_open)
{
	return open_path(t, a[0], a[1]);
}

/* Relative paths are relative to "/", the only directory, whatever dirfd says. */
SYSCALL(sys_openat)
{
	return open_path(t, a[1], a[2]);
}

SYSCALL(sys_getcwd)
{
	if (a[1] < 2)
		return -ERANGE;
	return mm_copy_out(t->proc->mm, a[0], "/", 2) ? -EFAULT : 2;
}

SYSCALL(sys_chdir)
{
	char path[USER_PATH_MAX];
	int err = user_path(t, a[0], path);

	return err ? err : is_root(path) ? 0 : -ENOENT;
}

static long stat_mode(struct uthread *t, uint64_t buf, uint32_t mode, uint64_t rdev)
{
	struct linux_stat st = { .dev = 1, .ino = 1, .nlink = 1, .mode = mode, .rdev = rdev,
				 .blksize = 4096 };

	return mm_copy_out(t->proc->mm, buf, &st, sizeof(st));
}

static long stat_fd(struct uthread *t, uint64_t fd, uint64_t buf)
{
	struct file *f = fd < FD_MAX ? fd_get(t->proc->files, (int)fd) : NULL;
	uint32_t mode;

	if (!f)
		return -EBADF;
	mode = f->mode;
	file_put(f);
	return stat_mode(t, buf, mode, (mode & S_IFCHR) ? 0x103 : 0);	/* /dev/null is 1:3 */
}

SYSCALL(sys_fstat)
{
	return stat_fd(t, a[0], a[1]);
}

static long stat_path(struct uthread *t, uint64_t upath, uint64_t buf)
{
	char path[USER_PATH_MAX];
	int err = user_path(t, upath, path);

	if (err)
		return err;
	if (is_root(path))
		return stat_mode(t, buf, S_IFDIR | 0755, 0);
	if (!strcmp(path, "/dev/null"))
		return stat_mode(t, buf, S_IFCHR | 0666, 0x103);
	return -ENOENT;
}

SYSCALL(sys_stat)
{
	return stat_path(t, a[0], a[1]);
}

SYSCALL(sys_newfstatat)
{
	char c;

	if ((a[3] & AT_EMPTY_PATH) && !mm_copy_in(t->proc->mm, &c, a[1], 1) && !c)
		return stat_fd(t, a[0], a[2]);
	return stat_path(t, a[1], a[2]);
}
