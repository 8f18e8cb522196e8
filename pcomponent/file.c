/*
 * Open files and descriptor tables (include/pcomponent/file.h). A table's lock
 * covers its slots only: a file is released (which may wake or message others)
 * after the slot that held it is cleared and the lock dropped.
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "lib/string.h"
#include "pcomponent/file.h"

struct file *file_new(const struct file_ops *ops, void *priv, struct wait_queue *wq,
		      uint32_t flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (!f)
		return NULL;
	f->refs = 1;
	f->ops = ops;
	f->priv = priv;
	f->wq = wq;
	f->flags = flags;
	f->mode = ops->mode;
	return f;
}

void file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
		return;
	f->ops->release(f);
	kfree(f);
}

struct files *files_new(void)
{
	struct files *fs = kzalloc(sizeof(*fs));

	if (!fs)
		return NULL;
	spin_init(&fs->lock, "files");
	return fs;
}

struct files *files_dup(struct files *fs)
{
	struct files *c = files_new();

	if (!c)
		return NULL;
	spin_lock(&fs->lock);
	for (int i = 0; i < FD_MAX; i++) {
		c->fd[i] = fs->fd[i];
		if (c->fd[i])
			file_get(c->fd[i]);
	}
	memcpy(c->cloexec, fs->cloexec, sizeof(c->cloexec));
	spin_unlock(&fs->lock);
	return c;
}

void files_close(struct files *fs)
{
	for (int i = 0; i < FD_MAX; i++)
		if (fs->fd[i])
			file_put(fs->fd[i]);
	kfree(fs);
}

static bool is_cloexec(const struct files *fs, int fd)
{
	return fs->cloexec[fd / 64] & (1ULL << (fd % 64));
}

static void set_cloexec(struct files *fs, int fd, bool on)
{
	if (on)
		fs->cloexec[fd / 64] |= 1ULL << (fd % 64);
	else
		fs->cloexec[fd / 64] &= ~(1ULL << (fd % 64));
}

/* Empty slot fd under the lock; the caller puts what it held once the lock is gone. */
static struct file *take_slot(struct files *fs, int fd)
{
	struct file *f = fs->fd[fd];

	fs->fd[fd] = NULL;
	set_cloexec(fs, fd, false);
	return f;
}

void files_exec(struct files *fs)
{
	for (int i = 0; i < FD_MAX; i++) {
		struct file *f = NULL;

		spin_lock(&fs->lock);
		if (is_cloexec(fs, i))
			f = take_slot(fs, i);
		spin_unlock(&fs->lock);
		if (f)
			file_put(f);
	}
}

int fd_install(struct files *fs, struct file *f, int min, bool cloexec)
{
	int fd = -EMFILE;

	if (min < 0 || min >= FD_MAX)
		return -EINVAL;
	spin_lock(&fs->lock);
	for (int i = min; i < FD_MAX && fd < 0; i++) {
		if (!fs->fd[i]) {
			fs->fd[i] = f;
			set_cloexec(fs, i, cloexec);
			fd = i;
		}
	}
	spin_unlock(&fs->lock);
	return fd;
}

struct file *fd_get(struct files *fs, int fd)
{
	struct file *f = NULL;

	if (fd < 0 || fd >= FD_MAX)
		return NULL;
	spin_lock(&fs->lock);
	f = fs->fd[fd];
	if (f)
		file_get(f);
	spin_unlock(&fs->lock);
	return f;
}

int fd_close(struct files *fs, int fd)
{
	struct file *f;

	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	spin_lock(&fs->lock);
	f = take_slot(fs, fd);
	spin_unlock(&fs->lock);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

int fd_dup2(struct files *fs, int oldfd, int newfd, bool cloexec)
{
	struct file *f, *old = NULL;

	if (oldfd < 0 || oldfd >= FD_MAX || newfd < 0 || newfd >= FD_MAX)
		return -EBADF;
	spin_lock(&fs->lock);
	f = fs->fd[oldfd];
	if (f && oldfd != newfd) {
		file_get(f);
		old = take_slot(fs, newfd);
		fs->fd[newfd] = f;
		set_cloexec(fs, newfd, cloexec);
	}
	spin_unlock(&fs->lock);
	if (old)
		file_put(old);
	return f ? newfd : -EBADF;
}

int fd_cloexec(struct files *fs, int fd, int set)
{
	int ret = -EBADF;

	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	spin_lock(&fs->lock);
	if (fs->fd[fd]) {
		if (set >= 0)
			set_cloexec(fs, fd, set);
		ret = is_cloexec(fs, fd) ? 1 : 0;
	}
	spin_unlock(&fs->lock);
	return ret;
}
