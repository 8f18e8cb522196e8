/*
 * File system calls that change the namespace or where a process stands in it:
 * mkdir, unlink, rmdir, rename, symlink, truncate, chdir, fchdir and getcwd. Names
 * resolve through user_at_path (sys_file.c); smon does the rest (pcomponent/fs.c).
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "lib/string.h"
#include "net/protocol.h"
#include "pcomponent/file.h"
#include "pcomponent/fs.h"
#include "syscalls.h"

static long mkdir_at(struct uthread *t, int64_t dirfd, uint64_t upath, uint64_t mode)
{
	uint32_t umask = __atomic_load_n(&t->proc->umask, __ATOMIC_RELAXED);
	char *path;
	bool dir;
	int err = user_at_path(t, dirfd, upath, &path, &dir);

	if (err)
		return err;
	err = fs_path_call(t->proc->vnode, X2S_MKDIR, path, 0, (uint32_t)mode & ~umask & 07777,
			   NULL, 0);
	kfree(path);
	return err;
}

SYSCALL(sys_mkdir)
{
	return mkdir_at(t, AT_FDCWD, a[0], a[1]);
}

SYSCALL(sys_mkdirat)
{
	return mkdir_at(t, (int32_t)a[0], a[1], a[2]);
}

static long unlink_at(struct uthread *t, int64_t dirfd, uint64_t upath, uint64_t flags)
{
	char *path;
	bool dir;
	int err;

	if (flags & ~(uint64_t)AT_REMOVEDIR)
		return -EINVAL;
	err = user_at_path(t, dirfd, upath, &path, &dir);
	if (err)
		return err;
	err = fs_path_call(t->proc->vnode, X2S_UNLINK, path,
			   flags & AT_REMOVEDIR ? X2S_REMOVEDIR : 0, 0, NULL, 0);
	kfree(path);
	return err;
}

SYSCALL(sys_unlink)
{
	return unlink_at(t, AT_FDCWD, a[0], 0);
}

SYSCALL(sys_unlinkat)
{
	return unlink_at(t, (int32_t)a[0], a[1], a[2]);
}

SYSCALL(sys_rmdir)
{
	return unlink_at(t, AT_FDCWD, a[0], AT_REMOVEDIR);
}

static long rename_at(struct uthread *t, int64_t olddir, uint64_t uold, int64_t newdir,
		      uint64_t unew, uint64_t flags)
{
	char *old, *new;
	bool dir;
	int err;

	if (flags & ~(uint64_t)RENAME_NOREPLACE)
		return -EINVAL;
	err = user_at_path(t, olddir, uold, &old, &dir);
	if (err)
		return err;
	err = user_at_path(t, newdir, unew, &new, &dir);
	if (!err) {
		err = fs_path2_call(t->proc->vnode, X2S_RENAME, old, new,
				    flags & RENAME_NOREPLACE ? X2S_NOREPLACE : 0);
		kfree(new);
	}
	kfree(old);
	return err;
}

SYSCALL(sys_rename)
{
	return rename_at(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

SYSCALL(sys_renameat)
{
	return rename_at(t, (int32_t)a[0], a[1], (int32_t)a[2], a[3], 0);
}

SYSCALL(sys_renameat2)
{
	return rename_at(t, (int32_t)a[0], a[1], (int32_t)a[2], a[3], a[4]);
}

/*
 * The link keeps its target as the user wrote it; only the link's own name
 * resolves. The target is a name as Linux reads one: not empty, within PATH_MAX.
 */
static long symlink_at(struct uthread *t, uint64_t utarget, int64_t dirfd, uint64_t upath)
{
	char *path, *target;
	bool dir;
	int err = user_at_path(t, dirfd, upath, &path, &dir);

	if (err)
		return err;
	target = path + FS_PATH_SIZE;	/* user_at_path's scratch, done with */
	err = (int)user_string(t->proc->mm, utarget, target, LINUX_PATH_MAX);
	if (err == 0)
		err = -ENOENT;
	if (err > 0)
		err = fs_path2_call(t->proc->vnode, X2S_SYMLINK, target, path, 0);
	kfree(path);
	return err;
}

SYSCALL(sys_symlink)
{
	return symlink_at(t, a[0], AT_FDCWD, a[1]);
}

SYSCALL(sys_symlinkat)
{
	return symlink_at(t, a[0], (int32_t)a[1], a[2]);
}

SYSCALL(sys_truncate)
{
	struct file *f;
	char *path;
	bool dir;
	int err;

	if ((int64_t)a[1] < 0)
		return -EINVAL;
	err = user_at_path(t, AT_FDCWD, a[0], &path, &dir);
	if (err)
		return err;
	err = fs_open(t->proc->vnode, path, O_WRONLY, 0, dir, &f);
	kfree(path);
	if (err)
		return err;
	err = f->ops->truncate ? f->ops->truncate(f, a[1]) : -EINVAL;
	file_put(f);
	return err;
}

SYSCALL(sys_chdir)
{
	struct fs_attr at;
	char *path;
	bool dir;
	int err = user_at_path(t, AT_FDCWD, a[0], &path, &dir);

	if (err)
		return err;
	err = fs_stat(t->proc->vnode, path, false, &at);
	if (!err && (at.mode & S_IFMT) != S_IFDIR)
		err = -ENOTDIR;
	if (!err)
		err = fs_cwd_set(t->proc, path);
	kfree(path);
	return err;
}

SYSCALL(sys_fchdir)
{
	struct file *f = a[0] < FD_MAX ? fd_get(t->proc->files, (int)a[0]) : NULL;
	const char *path;
	int err;

	if (!f)
		return -EBADF;
	path = fs_dir_path(f);
	err = path ? fs_cwd_set(t->proc, path) : -ENOTDIR;
	file_put(f);
	return err;
}

SYSCALL(sys_getcwd)
{
	struct fs_cwd *c = fs_cwd_get(t->proc);
	size_t n = strlen(fs_cwd_path(c)) + 1;
	long ret = (long)n;

	if (a[1] < n)
		ret = -ERANGE;
	else if (mm_copy_out(t->proc->mm, a[0], fs_cwd_path(c), n))
		ret = -EFAULT;
	fs_cwd_put(c);
	return ret;
}
