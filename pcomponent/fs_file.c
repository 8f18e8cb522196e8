/*
 * Open regular files and directories on storage (include/pcomponent/fs.h): a struct
 * file whose object is smon's handle and the open file's offset, shared by dup and
 * fork as Linux shares a file description. Bytes cross through a bounce buffer of
 * each call's own, NET_FS_IO_MAX at a time; user memory only through pcomponent/mm.h.
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "lib/string.h"
#include "linux-abi/linux.h"
#include "net/protocol.h"
#include "pcomponent/file.h"
#include "pcomponent/fs.h"
#include "pcomponent/mm.h"

#define DIR_END INT64_MAX	/* a directory's offset once smon said it is done */
#define COPY_STEP 4096		/* a failed copy is retried in pieces this big */

struct fs_file {
	struct fs_handle h;	/* fixed */
	char *path;		/* fixed: a directory's absolute path (openat, fchdir); else NULL */
	struct spinlock lock;	/* pos */
	uint64_t pos;		/* the offset; a directory's is smon's cookie or DIR_END */
};

static struct wait_queue fs_wq = { SPINLOCK_INIT("fs"), LIST_HEAD_INIT(fs_wq.waiters) };

static uint64_t pos_get(struct fs_file *ff)
{
	uint64_t pos;

	spin_lock(&ff->lock);
	pos = ff->pos;
	spin_unlock(&ff->lock);
	return pos;
}

/*
 * Offsets are read before a transfer and set after it, without holding the lock
 * across the network: two threads moving bytes through one description at once
 * may see the same offset (Linux serializes them; nothing here relies on it).
 */
static void pos_set(struct fs_file *ff, uint64_t pos)
{
	spin_lock(&ff->lock);
	ff->pos = pos;
	spin_unlock(&ff->lock);
}

static uint32_t acc_mode(const struct file *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & O_ACCMODE;
}

static int copy_piece(struct mm *mm, uint64_t uva, uint8_t *kbuf, size_t n, bool to_user)
{
	return to_user ? mm_copy_out(mm, uva, kbuf, n) : mm_copy_in(mm, kbuf, uva, n);
}

/*
 * Copy n bytes between kbuf and user memory at uva: how many moved before a fault.
 * The whole copy is tried first; after a fault, page by page to find where it was.
 */
static size_t copy_user(struct mm *mm, uint64_t uva, uint8_t *kbuf, size_t n, bool to_user)
{
	size_t done = 0;

	if (!copy_piece(mm, uva, kbuf, n, to_user))
		return n;
	while (done < n) {
		size_t k = COPY_STEP - (uva + done) % COPY_STEP;

		k = k < n - done ? k : n - done;
		if (copy_piece(mm, uva + done, kbuf + done, k, to_user))
			break;
		done += k;
	}
	return done;
}

/* Up to n bytes at off into uva: bytes read (short at end of file or a fault) or -errno. */
static long read_at(struct fs_file *ff, struct mm *mm, uint64_t uva, size_t n, uint64_t off)
{
	uint8_t *buf = kmalloc(NET_FS_IO_MAX);
	size_t done = 0;
	long ret = 0;

	if (!buf)
		return -ENOMEM;
	while (done < n) {
		struct x2s_io q = { .h = ff->h, .offset = off + done };
		size_t moved;

		q.len = n - done < NET_FS_IO_MAX ? (uint32_t)(n - done) : NET_FS_IO_MAX;
		ret = fs_call(ff->h.vnode, X2S_READ, &q, sizeof(q), buf, q.len);
		if (ret <= 0)
			break;
		moved = copy_user(mm, uva + done, buf, (size_t)ret, true);
		done += moved;
		if (moved < (size_t)ret) {
			ret = -EFAULT;
			break;
		}
		if ((uint32_t)ret < q.len)
			break;
	}
	kfree(buf);
	return done ? (long)done : ret;
}

/*
 * n bytes from uva to off (or the end of file with X2S_APPEND): bytes written or
 * -errno; *end gets the offset just past them.
 */
static long write_at(struct fs_file *ff, struct mm *mm, uint64_t uva, size_t n, uint64_t off,
		     uint32_t flags, uint64_t *end)
{
	uint8_t *req = kmalloc(sizeof(struct x2s_io) + NET_FS_IO_MAX);
	size_t done = 0;
	long ret = 0;

	if (!req)
		return -ENOMEM;
	*end = off;
	while (done < n) {
		struct x2s_io q = { .h = ff->h, .offset = off + done, .flags = flags };
		size_t want = n - done < NET_FS_IO_MAX ? n - done : NET_FS_IO_MAX;
		struct s2x_write w;

		q.len = (uint32_t)copy_user(mm, uva + done, req + sizeof(q), want, false);
		ret = q.len ? 0 : -EFAULT;
		if (!q.len)
			break;
		memcpy(req, &q, sizeof(q));
		ret = fs_call(ff->h.vnode, X2S_WRITE, req, sizeof(q) + q.len, &w, sizeof(w));
		if (ret >= 0 && ret != sizeof(w))
			ret = -EPROTO;
		if (ret < 0)
			break;
		done += q.len;
		*end = w.offset + q.len;
		if (q.len < want) {
			ret = -EFAULT;
			break;
		}
	}
	kfree(req);
	return done ? (long)done : ret;
}

static uint32_t write_flags(const struct file *f)
{
	uint32_t fl = __atomic_load_n(&f->flags, __ATOMIC_RELAXED);

	return (fl & O_APPEND ? X2S_APPEND : 0) | (fl & O_DSYNC ? X2S_SYNC : 0);
}

static long reg_pread(struct file *f, struct mm *mm, uint64_t uva, size_t n, uint64_t off)
{
	if (acc_mode(f) == O_WRONLY)
		return -EBADF;
	if ((int64_t)off < 0 || off + n < off)
		return -EINVAL;
	return read_at(f->priv, mm, uva, n, off);
}

static long reg_pwrite(struct file *f, struct mm *mm, uint64_t uva, size_t n, uint64_t off)
{
	uint64_t end;

	if (acc_mode(f) == O_RDONLY)
		return -EBADF;
	if ((int64_t)off < 0 || off + n < off)
		return -EINVAL;
	return write_at(f->priv, mm, uva, n, off, write_flags(f), &end);
}

static long reg_read(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	struct fs_file *ff = f->priv;
	uint64_t pos = pos_get(ff);
	long ret = reg_pread(f, mm, uva, n, pos);

	if (ret > 0)
		pos_set(ff, pos + (uint64_t)ret);
	return ret;
}

static long reg_write(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	struct fs_file *ff = f->priv;
	uint64_t pos = pos_get(ff), end;
	long ret;

	if (acc_mode(f) == O_RDONLY)
		return -EBADF;
	ret = write_at(ff, mm, uva, n, pos, write_flags(f), &end);
	if (ret > 0)
		pos_set(ff, end);
	return ret;
}

static int fs_file_stat(struct file *f, struct fs_attr *a)
{
	struct fs_file *ff = f->priv;

	return fs_getattr(&ff->h, a);
}

static long reg_seek(struct file *f, int64_t off, int whence)
{
	struct fs_file *ff = f->priv;
	struct fs_attr a;
	int64_t base = 0;
	int err;

	if (whence == SEEK_CUR)
		base = (int64_t)pos_get(ff);
	else if (whence == SEEK_END && (err = fs_getattr(&ff->h, &a)))
		return err;
	else if (whence == SEEK_END)
		base = (int64_t)a.size;
	else if (whence != SEEK_SET)
		return -EINVAL;
	if (base + off < 0 || (off > 0 && base + off < base))
		return -EINVAL;
	pos_set(ff, (uint64_t)(base + off));
	return base + off;
}

static int fs_file_sync(struct file *f, bool data_only)
{
	struct fs_file *ff = f->priv;
	struct x2s_io q = { .h = ff->h, .flags = data_only ? X2S_DATASYNC : 0 };

	return fs_call(ff->h.vnode, X2S_FSYNC, &q, sizeof(q), NULL, 0);
}

static int reg_truncate(struct file *f, uint64_t size)
{
	struct fs_file *ff = f->priv;
	struct x2s_io q = { .h = ff->h, .offset = size };

	if (acc_mode(f) == O_RDONLY)
		return -EINVAL;
	return fs_call(ff->h.vnode, X2S_TRUNCATE, &q, sizeof(q), NULL, 0);
}

static unsigned fs_file_poll(struct file *f)
{
	(void)f;
	return POLLIN | POLLOUT;
}

static void fs_file_release(struct file *f)
{
	struct fs_file *ff = f->priv;

	kfree(ff->path);
	kfree(ff);
}

static const struct file_ops reg_ops = {
	.read = reg_read, .write = reg_write, .pread = reg_pread, .pwrite = reg_pwrite,
	.seek = reg_seek, .stat = fs_file_stat, .sync = fs_file_sync,
	.truncate = reg_truncate, .poll = fs_file_poll, .release = fs_file_release,
	.mode = S_IFREG,
};

static long dir_read(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	(void)f, (void)mm, (void)uva, (void)n;
	return -EISDIR;
}

static long dir_pread(struct file *f, struct mm *mm, uint64_t uva, size_t n, uint64_t off)
{
	(void)off;
	return dir_read(f, mm, uva, n);
}

/* A directory's offset is an opaque cookie: it can be read and set, not computed. */
static long dir_seek(struct file *f, int64_t off, int whence)
{
	struct fs_file *ff = f->priv;

	if (whence == SEEK_CUR && off == 0)
		return (long)pos_get(ff);
	if (whence != SEEK_SET || off < 0)
		return -EINVAL;
	pos_set(ff, (uint64_t)off);
	return off;
}

static uint8_t dirent_type(uint8_t fs_type)
{
	switch (fs_type) {
	case FS_TYPE_DIR:
		return DT_DIR;
	case FS_TYPE_REG:
		return DT_REG;
	case FS_TYPE_LNK:
		return DT_LNK;
	default:
		return DT_UNKNOWN;
	}
}

/*
 * smon's entries in (len bytes after the s2x_readdir r) as Linux's records in out:
 * the bytes filled or -EPROTO. A record is at most 4/3 the size of smon's entry,
 * so out is sized for that.
 */
static long dirents_convert(const uint8_t *in, size_t len, const struct s2x_readdir *r,
			    uint8_t *out, size_t max)
{
	size_t off = 0, filled = 0;

	for (uint32_t i = 0; i < r->count; i++) {
		struct linux_dirent64 ld;
		struct fs_dirent d;
		size_t reclen;

		if (off + sizeof(d) > len)
			return -EPROTO;
		memcpy(&d, in + off, sizeof(d));
		if (d.reclen < sizeof(d) + d.namelen || off + d.reclen > len || !d.namelen)
			return -EPROTO;
		reclen = (LINUX_DIRENT64_NAME + d.namelen + 1 + 7) & ~(size_t)7;
		if (filled + reclen > max)
			return -EPROTO;
		ld = (struct linux_dirent64){ .ino = d.ino, .reclen = (uint16_t)reclen,
					      .type = dirent_type(d.type),
					      .off = (int64_t)(r->next ? r->next : DIR_END) };
		memset(out + filled, 0, reclen);
		memcpy(out + filled, &ld, LINUX_DIRENT64_NAME);
		memcpy(out + filled + LINUX_DIRENT64_NAME, in + off + sizeof(d), d.namelen);
		filled += reclen;
		off += d.reclen;
	}
	return (long)filled;
}

/*
 * getdents64: the entries from the directory's cookie on that fit n bytes, asking
 * smon for 3/4 of n so that every entry it sends fits once converted.
 */
static long dir_getdents(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	struct fs_file *ff = f->priv;
	struct x2s_io q = { .h = ff->h, .offset = pos_get(ff) };
	size_t budget = n / 4 * 3 < NET_FS_DIRENT_MAX ? n / 4 * 3 : NET_FS_DIRENT_MAX;
	uint8_t *in, *out;
	struct s2x_readdir r;
	long ret;

	if (q.offset == DIR_END)
		return 0;
	in = kmalloc(sizeof(r) + budget + budget / 3 + 8);
	if (!in)
		return -ENOMEM;
	out = in + sizeof(r) + budget;
	q.len = (uint32_t)budget;
	ret = fs_call(ff->h.vnode, X2S_READDIR, &q, sizeof(q), in, sizeof(r) + budget);
	if (ret >= 0 && ret < (long)sizeof(r))
		ret = -EPROTO;
	if (ret < 0)
		goto out_free;
	memcpy(&r, in, sizeof(r));
	ret = dirents_convert(in + sizeof(r), (size_t)ret - sizeof(r), &r, out,
			      n < budget + budget / 3 + 8 ? n : budget + budget / 3 + 8);
	if (ret == 0 && r.next)
		ret = -EINVAL;		/* not even one entry fits */
	if (ret >= 0 && mm_copy_out(mm, uva, out, (size_t)ret))
		ret = -EFAULT;
	if (ret >= 0)
		pos_set(ff, r.next ? r.next : DIR_END);
out_free:
	kfree(in);
	return ret;
}

static const struct file_ops dir_ops = {
	.read = dir_read, .pread = dir_pread, .seek = dir_seek, .stat = fs_file_stat,
	.sync = fs_file_sync, .getdents = dir_getdents, .poll = fs_file_poll,
	.release = fs_file_release, .mode = S_IFDIR,
};

const char *fs_dir_path(const struct file *f)
{
	return f->ops == &dir_ops ? ((const struct fs_file *)f->priv)->path : NULL;
}

/* The struct file for what X2S_OPEN answered. */
static int file_make(const struct s2x_attr *r, const char *path, uint32_t flags,
		     struct file **out)
{
	bool dir = (r->a.mode & S_IFMT) == S_IFDIR;
	struct fs_file *ff = kzalloc(sizeof(*ff));
	size_t n = strlen(path) + 1;

	if (!ff)
		return -ENOMEM;
	ff->h = r->h;
	spin_init(&ff->lock, "fs-file");
	ff->path = dir ? kmalloc(n) : NULL;
	if (dir && !ff->path)
		goto out_free;
	if (dir)
		memcpy(ff->path, path, n);
	*out = file_new(dir ? &dir_ops : &reg_ops, ff, &fs_wq,
			flags & (O_ACCMODE | O_NONBLOCK | O_APPEND | O_SYNC));
	if (!*out)
		goto out_path;
	(*out)->mode = r->a.mode;
	return 0;
out_path:
	kfree(ff->path);
out_free:
	kfree(ff);
	return -ENOMEM;
}

int fs_open(uint32_t vnode, const char *path, uint32_t flags, uint32_t mode, bool must_dir,
	    struct file **out)
{
	/* The X2S_ open flags are Linux's O_ values. */
	uint32_t xflags = flags & (O_CREAT | O_EXCL | O_TRUNC | O_DIRECTORY | O_NOFOLLOW);
	struct s2x_attr r;
	int ret;

	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (must_dir && (flags & O_CREAT))
		return -EISDIR;
	ret = fs_path_call(vnode, X2S_OPEN, path, xflags | (must_dir ? X2S_DIRECTORY : 0),
			   mode & 07777, &r, sizeof(r));
	if (ret >= 0 && ret != sizeof(r))
		ret = -EPROTO;
	if (ret < 0)
		return ret;
	if ((r.a.mode & S_IFMT) == S_IFDIR && (flags & (O_ACCMODE | O_CREAT)))
		return -EISDIR;
	if ((r.a.mode & S_IFMT) == S_IFLNK)
		return -ELOOP;
	return file_make(&r, path, flags, out);
}
