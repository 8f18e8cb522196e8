/*
 * File system calls that open and look at files: open, openat, creat, the stat
 * family, statx, getdents64, readlink, access and statfs. Paths are resolved here
 * (user_at_path) against the cwd or a directory descriptor; /dev/null and /dev/tty
 * are pmon's own, everything else is the vNode's storage (pcomponent/fs.c).
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "lib/string.h"
#include "net/protocol.h"
#include "pcomponent/dev.h"
#include "pcomponent/file.h"
#include "pcomponent/fs.h"
#include "pcomponent/path.h"
#include "pcomponent/tty.h"
#include "syscalls.h"

#define STRING_STEP 256		/* a user string is copied in pieces this big */
#define DEV_NULL_RDEV 0x103	/* 1:3 */
#define FS_MAGIC 0x54455353	/* statfs's f_type: "TESS" */

long user_string(struct mm *mm, uint64_t uva, char *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		size_t k = STRING_STEP - (uva + done) % STRING_STEP;

		k = k < size - done ? k : size - done;
		if (mm_copy_in(mm, buf + done, uva + done, k)) {
			if (k == 1)
				return -EFAULT;
			k = 1;		/* the string may end before the fault */
			if (mm_copy_in(mm, buf + done, uva + done, k))
				return -EFAULT;
		}
		for (size_t i = done; i < done + k; i++)
			if (!buf[i])
				return (long)i;
		done += k;
	}
	return -ENAMETOOLONG;
}

int user_path(struct uthread *t, uint64_t uva, char buf[USER_PATH_MAX])
{
	long n = user_string(t->proc->mm, uva, buf, USER_PATH_MAX);

	return n > 0 ? 0 : n == -EFAULT ? -EFAULT : -ENOENT;
}

/* The directory relative names of dirfd start from, into base (FS_PATH_SIZE bytes). */
static int at_base(struct uthread *t, int64_t dirfd, char *base)
{
	struct fs_cwd *c;
	struct file *f;
	const char *path;

	if (dirfd == AT_FDCWD) {
		c = fs_cwd_get(t->proc);
		memcpy(base, fs_cwd_path(c), strlen(fs_cwd_path(c)) + 1);
		fs_cwd_put(c);
		return 0;
	}
	f = dirfd >= 0 && dirfd < FD_MAX ? fd_get(t->proc->files, (int)dirfd) : NULL;
	if (!f)
		return -EBADF;
	path = fs_dir_path(f);
	if (path)
		memcpy(base, path, strlen(path) + 1);
	file_put(f);
	return path ? 0 : -ENOTDIR;
}

int user_at_path(struct uthread *t, int64_t dirfd, uint64_t upath, char **out, bool *dir)
{
	char *buf = kmalloc(3 * FS_PATH_SIZE), *name = buf + FS_PATH_SIZE;
	long n;
	int err;

	if (!buf)
		return -ENOMEM;
	n = user_string(t->proc->mm, upath, name, LINUX_PATH_MAX);
	err = n < 0 ? (int)n : n == 0 ? -ENOENT : 0;
	if (!err && name[0] != '/')
		err = at_base(t, dirfd, name + FS_PATH_SIZE);
	if (!err)
		err = path_resolve(name + FS_PATH_SIZE, name, buf, FS_PATH_SIZE, dir);
	if (err) {
		kfree(buf);
		return err;
	}
	*out = buf;
	return 0;
}

/* The object path names, opened with Linux's flags; one reference, the caller's. */
static int open_file(struct uthread *t, const char *path, bool dir, uint64_t flags,
		     uint64_t mode, struct file **f)
{
	uint32_t umask = __atomic_load_n(&t->proc->umask, __ATOMIC_RELAXED);

	if (!strcmp(path, "/dev/tty")) {
		*f = tty_open(t->proc->tty, TTY_RW);
		return *f ? 0 : -ENXIO;
	}
	if (!strcmp(path, "/dev/null"))
		return dev_open(path, (uint32_t)flags, f);
	return fs_open(t->proc->vnode, path, (uint32_t)flags, (uint32_t)mode & ~umask, dir, f);
}

static long open_at(struct uthread *t, int64_t dirfd, uint64_t upath, uint64_t flags,
		    uint64_t mode)
{
	struct file *f;
	char *path;
	bool dir;
	int err = user_at_path(t, dirfd, upath, &path, &dir), fd;

	if (err)
		return err;
	err = open_file(t, path, dir, flags, mode, &f);
	kfree(path);
	if (err)
		return err;
	fd = fd_install(t->proc->files, f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL(sys_open)
{
	return open_at(t, AT_FDCWD, a[0], a[1], a[2]);
}

SYSCALL(sys_openat)
{
	return open_at(t, (int32_t)a[0], a[1], a[2], a[3]);
}

SYSCALL(sys_creat)
{
	return open_at(t, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, a[1]);
}

/* What stat shows of an open object: storage's attributes, or the object's mode. */
static int file_attr(struct file *f, struct fs_attr *a, uint64_t *rdev)
{
	*a = (struct fs_attr){ .ino = 1, .nlink = 1, .mode = f->mode };
	*rdev = (f->mode & S_IFMT) == S_IFCHR ? DEV_NULL_RDEV : 0;
	return f->ops->stat ? f->ops->stat(f, a) : 0;
}

static int fd_attr(struct uthread *t, int64_t fd, struct fs_attr *a, uint64_t *rdev)
{
	struct file *f = fd >= 0 && fd < FD_MAX ? fd_get(t->proc->files, (int)fd) : NULL;
	int err;

	if (!f)
		return -EBADF;
	err = file_attr(f, a, rdev);
	file_put(f);
	return err;
}

static int path_attr(struct uthread *t, const char *path, bool dir, bool nofollow,
		     struct fs_attr *a, uint64_t *rdev)
{
	int err;

	*rdev = 0;
	if (!strcmp(path, "/dev/null") || !strcmp(path, "/dev/tty")) {
		*a = (struct fs_attr){ .ino = 1, .nlink = 1, .mode = S_IFCHR | 0666 };
		*rdev = DEV_NULL_RDEV;
		return 0;
	}
	err = fs_stat(t->proc->vnode, path, nofollow && !dir, a);
	if (!err && dir && (a->mode & S_IFMT) != S_IFDIR)
		err = -ENOTDIR;
	return err;
}

/*
 * The attributes of dirfd + upath as the *at calls name a file: the descriptor
 * itself for an empty path with AT_EMPTY_PATH, without following a last symlink
 * with AT_SYMLINK_NOFOLLOW.
 */
static int at_attr(struct uthread *t, int64_t dirfd, uint64_t upath, uint64_t flags,
		   struct fs_attr *a, uint64_t *rdev)
{
	char *path, c;
	bool dir;
	int err;

	if (flags & ~(uint64_t)(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT |
				AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_EMPTY_PATH) && !mm_copy_in(t->proc->mm, &c, upath, 1) && !c)
		return dirfd == AT_FDCWD ? path_attr(t, "/", true, false, a, rdev) :
					   fd_attr(t, dirfd, a, rdev);
	err = user_at_path(t, dirfd, upath, &path, &dir);
	if (err)
		return err;
	err = path_attr(t, path, dir, flags & AT_SYMLINK_NOFOLLOW, a, rdev);
	kfree(path);
	return err;
}

static void ns_split(uint64_t ns, struct linux_timespec *ts)
{
	ts->tv_sec = (int64_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (int64_t)(ns % NSEC_PER_SEC);
}

static long stat_out(struct uthread *t, uint64_t buf, const struct fs_attr *a, uint64_t rdev)
{
	struct linux_stat st = {
		.dev = 1, .ino = a->ino, .nlink = a->nlink, .mode = a->mode, .uid = a->uid,
		.gid = a->gid, .rdev = rdev, .size = (int64_t)a->size, .blksize = 4096,
		.blocks = (int64_t)a->blocks,
	};

	ns_split(a->atime_ns, &st.atime);
	ns_split(a->mtime_ns, &st.mtime);
	ns_split(a->ctime_ns, &st.ctime);
	return mm_copy_out(t->proc->mm, buf, &st, sizeof(st));
}

static long stat_at(struct uthread *t, int64_t dirfd, uint64_t upath, uint64_t buf,
		    uint64_t flags)
{
	struct fs_attr a;
	uint64_t rdev;
	int err = at_attr(t, dirfd, upath, flags, &a, &rdev);

	return err ? err : stat_out(t, buf, &a, rdev);
}

SYSCALL(sys_stat)
{
	return stat_at(t, AT_FDCWD, a[0], a[1], 0);
}

SYSCALL(sys_lstat)
{
	return stat_at(t, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW);
}

SYSCALL(sys_newfstatat)
{
	return stat_at(t, (int32_t)a[0], a[1], a[2], a[3]);
}

SYSCALL(sys_fstat)
{
	struct fs_attr at;
	uint64_t rdev;
	int err = fd_attr(t, (int64_t)a[0], &at, &rdev);

	return err ? err : stat_out(t, a[1], &at, rdev);
}

static void statx_time(uint64_t ns, struct linux_statx_timestamp *ts)
{
	ts->sec = (int64_t)(ns / NSEC_PER_SEC);
	ts->nsec = (uint32_t)(ns % NSEC_PER_SEC);
}

/*
 * statx(dirfd, path, flags, mask, buf): the basic fields, whatever mask asks, but
 * as Linux, not a reserved mask bit, nor both AT_STATX_FORCE_SYNC and _DONT_SYNC.
 */
SYSCALL(sys_statx)
{
	struct linux_statx sx = { .mask = STATX_BASIC_STATS, .blksize = 4096, .dev_minor = 1 };
	struct fs_attr at;
	uint64_t rdev;
	int err;

	if ((a[2] & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE ||
	    ((uint32_t)a[3] & STATX_RESERVED))
		return -EINVAL;
	err = at_attr(t, (int32_t)a[0], a[1], a[2], &at, &rdev);
	if (err)
		return err;
	sx.nlink = at.nlink;
	sx.uid = at.uid;
	sx.gid = at.gid;
	sx.mode = (uint16_t)at.mode;
	sx.ino = at.ino;
	sx.size = at.size;
	sx.blocks = at.blocks;
	sx.rdev_major = (uint32_t)(rdev >> 8);
	sx.rdev_minor = (uint32_t)(rdev & 0xff);
	statx_time(at.atime_ns, &sx.atime);
	statx_time(at.mtime_ns, &sx.mtime);
	statx_time(at.ctime_ns, &sx.ctime);
	return mm_copy_out(t->proc->mm, a[4], &sx, sizeof(sx));
}

SYSCALL(sys_getdents64)
{
	struct file *f = a[0] < FD_MAX ? fd_get(t->proc->files, (int)a[0]) : NULL;
	long ret;

	if (!f)
		return -EBADF;
	ret = f->ops->getdents ? f->ops->getdents(f, t->proc->mm, a[1], a[2]) : -ENOTDIR;
	file_put(f);
	return ret;
}

static long readlink_at(struct uthread *t, int64_t dirfd, uint64_t upath, uint64_t buf,
			int64_t size)
{
	char *path, *target;
	bool dir;
	int ret;

	if (size <= 0)
		return -EINVAL;
	ret = user_at_path(t, dirfd, upath, &path, &dir);
	if (ret)
		return ret;
	target = path + FS_PATH_SIZE;	/* user_at_path's scratch, done with */
	ret = fs_path_call(t->proc->vnode, X2S_READLINK, path, 0, 0, target, NET_PATH_MAX);
	if (ret > size)
		ret = (int)size;
	if (ret > 0 && mm_copy_out(t->proc->mm, buf, target, (size_t)ret))
		ret = -EFAULT;
	kfree(path);
	return ret;
}

/* The size is an int, as Linux's: one that is not positive as an int is -EINVAL. */
SYSCALL(sys_readlink)
{
	return readlink_at(t, AT_FDCWD, a[0], a[1], (int32_t)a[2]);
}

SYSCALL(sys_readlinkat)
{
	return readlink_at(t, (int32_t)a[0], a[1], a[2], (int32_t)a[3]);
}

/* We run as root: a file exists, and to execute it some x bit must be set. */
static long access_at(struct uthread *t, int64_t dirfd, uint64_t upath, uint64_t mode,
		      uint64_t flags)
{
	struct fs_attr at;
	uint64_t rdev;
	int err;

	if (mode & ~(uint64_t)(R_OK | W_OK | X_OK) ||
	    flags & ~(uint64_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = at_attr(t, dirfd, upath, flags & ~(uint64_t)AT_EACCESS, &at, &rdev);
	if (!err && (mode & X_OK) && !(at.mode & 0111))
		err = -EACCES;
	return err;
}

SYSCALL(sys_access)
{
	return access_at(t, AT_FDCWD, a[0], a[1], 0);
}

SYSCALL(sys_faccessat)
{
	return access_at(t, (int32_t)a[0], a[1], a[2], 0);
}

SYSCALL(sys_faccessat2)
{
	return access_at(t, (int32_t)a[0], a[1], a[2], a[3]);
}

static long statfs_out(struct uthread *t, uint64_t buf)
{
	struct s2x_statfs s;
	uint32_t vnode = t->proc->vnode;
	int ret = fs_call(vnode, X2S_STATFS, &vnode, sizeof(vnode), &s, sizeof(s));
	struct linux_statfs st = { .type = FS_MAGIC, .bsize = 4096, .namelen = PATH_NAME_MAX,
				   .frsize = 4096 };

	if (ret >= 0 && ret != sizeof(s))
		ret = -EPROTO;
	if (ret < 0)
		return ret;
	st.blocks = s.blocks;
	st.bfree = st.bavail = s.free_blocks;
	st.files = s.files;
	st.ffree = s.free_files;
	return mm_copy_out(t->proc->mm, buf, &st, sizeof(st));
}

/* One file system per vNode: statfs of any path that exists describes it. */
SYSCALL(sys_statfs)
{
	struct fs_attr at;
	uint64_t rdev;
	int err = at_attr(t, AT_FDCWD, a[0], 0, &at, &rdev);

	return err ? err : statfs_out(t, a[1]);
}

SYSCALL(sys_fstatfs)
{
	struct fs_attr at;
	uint64_t rdev;
	int err = fd_attr(t, (int64_t)a[0], &at, &rdev);

	return err ? err : statfs_out(t, a[1]);
}
