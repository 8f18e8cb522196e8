/*
 * Open files and descriptor tables on a pComponent. A struct file is one open
 * object (a pipe end, the host's terminal, a file on storage) shared by every
 * descriptor that dup or
 * fork made of it; a struct files is a process's table, which its threads share
 * through the process (CLONE_FILES) and fork copies. pcomponent/file.c; pipe.c,
 * tty.c, dev.c and fs_file.c are the objects.
 */
#ifndef PCOMPONENT_FILE_H
#define PCOMPONENT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/sched.h"
#include "kernel/spinlock.h"

#define FD_MAX 256			/* descriptors per process (RLIMIT_NOFILE) */

struct file;
struct fs_attr;
struct mm;

/*
 * What an open object does. read/write move bytes to or from user memory of mm.
 * The operations from pread on are optional, for objects with an offset and
 * attributes (files on storage); pipes and the terminal leave them NULL, and the
 * system call answers as Linux does for them (-ESPIPE, -EINVAL, -ENOTDIR).
 */
struct file_ops {
	long (*read)(struct file *f, struct mm *mm, uint64_t uva, size_t n);
	long (*write)(struct file *f, struct mm *mm, uint64_t uva, size_t n);
	long (*pread)(struct file *f, struct mm *mm, uint64_t uva, size_t n, uint64_t off);
	long (*pwrite)(struct file *f, struct mm *mm, uint64_t uva, size_t n, uint64_t off);
	/* lseek: whence is SEEK_SET, SEEK_CUR or SEEK_END; the new offset or -errno. */
	long (*seek)(struct file *f, int64_t off, int whence);
	int (*stat)(struct file *f, struct fs_attr *a);
	int (*sync)(struct file *f, bool data_only);
	int (*truncate)(struct file *f, uint64_t size);
	/* getdents64: Linux's records into n bytes at uva; bytes filled, 0 at the end. */
	long (*getdents)(struct file *f, struct mm *mm, uint64_t uva, size_t n);
	/* POLLIN, POLLOUT, POLLHUP as they are now; f->wq wakes when they may change. */
	unsigned (*poll)(struct file *f);
	int (*ioctl)(struct file *f, struct mm *mm, unsigned cmd, uint64_t arg);
	void (*release)(struct file *f);	/* the last reference is gone */
	uint32_t mode;			/* st_mode's type and permissions, unless the open says */
};

struct file {
	int refs;			/* atomic */
	uint32_t flags;			/* atomic: O_ACCMODE, O_NONBLOCK, O_APPEND, O_DSYNC, O_SYNC */
	uint32_t mode;			/* set at open: st_mode's type and permissions */
	const struct file_ops *ops;	/* fixed */
	void *priv;			/* fixed: the object */
	struct wait_queue *wq;		/* fixed: the object's readiness changes here */
};

struct files {
	struct spinlock lock;		/* fd, cloexec */
	struct file *fd[FD_MAX];
	uint64_t cloexec[FD_MAX / 64];
};

struct file *file_new(const struct file_ops *ops, void *priv, struct wait_queue *wq,
		      uint32_t flags);
void file_get(struct file *f);
void file_put(struct file *f);

struct files *files_new(void);
/* A copy for fork: the same open files, one more reference each. NULL: no memory. */
struct files *files_dup(struct files *fs);
/* Close every descriptor and free the table (its process is gone). */
void files_close(struct files *fs);
/* Close the descriptors marked close-on-exec. */
void files_exec(struct files *fs);

/* The lowest free descriptor >= min now names f (the table's reference); or -EMFILE. */
int fd_install(struct files *fs, struct file *f, int min, bool cloexec);
/* The file fd names, with a reference for the caller, or NULL. */
struct file *fd_get(struct files *fs, int fd);
int fd_close(struct files *fs, int fd);
/* dup2/dup3: newfd names oldfd's file (closing what it named); newfd or -errno. */
int fd_dup2(struct files *fs, int oldfd, int newfd, bool cloexec);
/* FD_CLOEXEC of fd: get (set < 0) or set; the flag or 0, or -EBADF. */
int fd_cloexec(struct files *fs, int fd, int set);

#endif
