/*
 * The storage monitor's requests (X2S_*, include/net/wire.h), from the mComponents
 * that front vNodes. Stateless: each request names its vNode and a full path inside
 * the vNode's root, or a handle an earlier answer gave; nothing about a client
 * outlives its request, so a restarted smon serves the next one as if nothing
 * happened. Lengths were checked at the choke point (rpc_check) against
 * the protocol's bounds (include/net/protocol.h); the strings inside are checked here.
 */
#define LOG_SUBSYS "smon"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "lib/string.h"
#include "smon.h"

#define DIRENT_ALIGN 8

/* A request's path as a C string (kmalloc'd): no NUL inside, 1..NET_PATH_MAX bytes. */
static char *path_dup(const uint8_t *p, uint32_t n, int *err)
{
	char *s;

	*err = n == 0 || n > NET_PATH_MAX ? -EINVAL : 0;
	for (uint32_t i = 0; i < n && !*err; i++)
		if (!p[i])
			*err = -EINVAL;
	if (*err)
		return NULL;
	s = kmalloc(n + 1);
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

/* The request's struct x2s_path and its path; the length must be exactly both. */
static char *path_req(const void *req, size_t len, struct x2s_path *q, int *err)
{
	memcpy(q, req, sizeof(*q));
	if (len != sizeof(*q) + q->len) {
		*err = -EINVAL;
		return NULL;
	}
	return path_dup((const uint8_t *)req + sizeof(*q), q->len, err);
}

/*
 * A handle names its vNode too: its gen is a check value over (vnode, ino), so a
 * handle given for one vNode is refused with another's (-ESTALE, as a stale one).
 * Not a secret: it catches mistakes, while the vNode a client claims is trusted.
 */
static uint32_t handle_check(uint32_t vnode, uint64_t ino)
{
	uint64_t v[2] = { vnode, ino };

	return crc32c(0, v, sizeof(v));
}

static struct fs_handle handle_of(uint32_t vnode, uint64_t ino)
{
	return (struct fs_handle){ .vnode = vnode, .gen = handle_check(vnode, ino), .ino = ino };
}

static int handle_ok(const struct fs_handle *h)
{
	return h->vnode && h->gen == handle_check(h->vnode, h->ino) ? 0 : -ESTALE;
}

static int attr_answer(struct tfs *fs, uint32_t vnode, uint64_t ino, void *resp,
		       size_t resp_max)
{
	struct s2x_attr a = { .h = handle_of(vnode, ino) };
	struct tfs_stat st;
	int err = tfs_getattr(fs, ino, &st);

	if (err)
		return err;
	if (resp_max < sizeof(a))
		return -ENOSPC;
	a.a = (struct fs_attr){
		.ino = st.ino, .size = st.size, .blocks = st.blocks, .atime_ns = st.atime,
		.mtime_ns = st.mtime, .ctime_ns = st.ctime, .mode = st.mode,
		.nlink = st.nlink, .uid = st.uid, .gid = st.gid,
	};
	memcpy(resp, &a, sizeof(a));
	return sizeof(a);
}

/* Only the mComponents in front of vNodes ask; each takes the fs for one request. */
static struct tfs *begin(uint8_t peer, uint32_t vnode, uint64_t *root, int *err)
{
	struct tfs *fs;

	*err = 0;
	if (!smon_is_mmon(peer))
		*err = -EPERM;
	else if (vnode == 0)
		*err = -EINVAL;
	if (*err)
		return NULL;
	fs = disk_get();
	if (!fs) {
		*err = -EIO;
		return NULL;
	}
	*err = tfs_vnode_root(fs, vnode, true, root);
	if (*err) {
		disk_put();
		return NULL;
	}
	return fs;
}

/* X2S_OPEN's file: found, or made if X2S_CREAT; then checked and maybe truncated. */
static int open_file(struct tfs *fs, uint64_t root, const char *path, const struct x2s_path *q,
		     uint64_t *ino)
{
	char name[TFS_NAME_MAX + 1];
	uint64_t dir;
	struct tfs_stat st;
	int err = tfs_resolve(fs, root, path, !(q->flags & X2S_NOFOLLOW), ino);

	if (err == -ENOENT && (q->flags & X2S_CREAT)) {
		err = tfs_resolve_parent(fs, root, path, &dir, name);
		if (!err)
			err = tfs_create(fs, dir, name, TFS_S_IFREG | (q->mode & TFS_MODE_PERM),
					 0, 0, ino);
		return err;
	}
	if (!err && (q->flags & (X2S_CREAT | X2S_EXCL)) == (X2S_CREAT | X2S_EXCL))
		return -EEXIST;
	if (!err)
		err = tfs_getattr(fs, *ino, &st);
	if (err)
		return err;
	if ((st.mode & TFS_S_IFMT) == TFS_S_IFLNK)
		return -ELOOP;		/* X2S_NOFOLLOW on a symlink, as O_NOFOLLOW */
	if ((q->flags & X2S_DIRECTORY) && (st.mode & TFS_S_IFMT) != TFS_S_IFDIR)
		return -ENOTDIR;
	if ((q->flags & X2S_TRUNC) && (st.mode & TFS_S_IFMT) == TFS_S_IFREG)
		err = tfs_truncate(fs, *ino, 0);
	return err;
}

/* What a request naming one path does, with the fs held and its vNode's root. */
typedef int (*path_fn)(struct tfs *fs, uint64_t root, const char *path,
		       const struct x2s_path *q, void *resp, size_t resp_max);

static int path_op(uint8_t peer, const void *req, size_t len, path_fn fn, void *resp,
		   size_t resp_max)
{
	struct x2s_path q;
	uint64_t root;
	struct tfs *fs;
	int err;
	char *path = path_req(req, len, &q, &err);

	if (!path)
		return err;
	fs = begin(peer, q.vnode, &root, &err);
	if (fs) {
		err = fn(fs, root, path, &q, resp, resp_max);
		disk_put();
	}
	kfree(path);
	return err;
}

static int do_open(struct tfs *fs, uint64_t root, const char *path, const struct x2s_path *q,
		   void *resp, size_t resp_max)
{
	uint64_t ino;
	int err = open_file(fs, root, path, q, &ino);

	return err ? err : attr_answer(fs, q->vnode, ino, resp, resp_max);
}

static int do_stat(struct tfs *fs, uint64_t root, const char *path, const struct x2s_path *q,
		   void *resp, size_t resp_max)
{
	uint64_t ino;
	int err = tfs_resolve(fs, root, path, !(q->flags & X2S_NOFOLLOW), &ino);

	return err ? err : attr_answer(fs, q->vnode, ino, resp, resp_max);
}

/* mkdir, unlink and rmdir: one change to the directory holding path's last name. */
static int do_change(struct tfs *fs, uint64_t root, const char *path,
		     const struct x2s_path *q, bool mkdir)
{
	char name[TFS_NAME_MAX + 1];
	uint64_t dir, ino;
	int err = tfs_resolve_parent(fs, root, path, &dir, name);

	if (err)
		return err;
	if (mkdir)
		return tfs_mkdir(fs, dir, name, q->mode & TFS_MODE_PERM, 0, 0, &ino);
	if (q->flags & X2S_REMOVEDIR)
		return tfs_rmdir(fs, dir, name);
	return tfs_unlink(fs, dir, name);
}

static int do_mkdir(struct tfs *fs, uint64_t root, const char *path, const struct x2s_path *q,
		    void *resp, size_t resp_max)
{
	(void)resp, (void)resp_max;
	return do_change(fs, root, path, q, true);
}

static int do_unlink(struct tfs *fs, uint64_t root, const char *path,
		     const struct x2s_path *q, void *resp, size_t resp_max)
{
	(void)resp, (void)resp_max;
	return do_change(fs, root, path, q, false);
}

static int do_readlink(struct tfs *fs, uint64_t root, const char *path,
		       const struct x2s_path *q, void *resp, size_t resp_max)
{
	uint64_t ino;
	int err = tfs_resolve(fs, root, path, false, &ino);

	(void)q;
	return err ? err : (int)tfs_readlink(fs, ino, resp, resp_max);
}

#define PATH_HANDLER(op, fn)							\
SMON_HANDLER(serve_##op)							\
{										\
	(void)ctx;								\
	return path_op(peer, req, len, fn, resp, resp_max);			\
}
PATH_HANDLER(X2S_OPEN, do_open)
PATH_HANDLER(X2S_STAT, do_stat)
PATH_HANDLER(X2S_MKDIR, do_mkdir)
PATH_HANDLER(X2S_UNLINK, do_unlink)
PATH_HANDLER(X2S_READLINK, do_readlink)

SMON_HANDLER(serve_X2S_GETATTR)
{
	struct fs_handle h;
	uint64_t root;
	struct tfs *fs;
	int err;

	(void)ctx, (void)len;
	memcpy(&h, req, sizeof(h));
	err = handle_ok(&h);
	fs = err ? NULL : begin(peer, h.vnode, &root, &err);
	if (!fs)
		return err;
	err = attr_answer(fs, h.vnode, h.ino, resp, resp_max);
	disk_put();
	return err;
}

/* The fs for a request on an open file, its handle checked; NULL with *err set. */
static struct tfs *begin_io(uint8_t peer, const void *req, struct x2s_io *q, int *err)
{
	uint64_t root;

	memcpy(q, req, sizeof(*q));
	*err = handle_ok(&q->h);
	return *err ? NULL : begin(peer, q->h.vnode, &root, err);
}

SMON_HANDLER(serve_X2S_READ)
{
	struct x2s_io q;
	struct tfs *fs;
	long n;
	int err;

	(void)ctx, (void)len;
	fs = begin_io(peer, req, &q, &err);
	if (!fs)
		return err;
	if (q.len > NET_FS_IO_MAX || q.len > resp_max)
		n = -EINVAL;
	else
		n = tfs_read(fs, q.h.ino, q.offset, resp, q.len);
	disk_put();
	return (int)n;
}

/* X2S_APPEND writes at the end of file, found under the same hold as the write. */
static int write_at(struct tfs *fs, const struct x2s_io *q, const void *data,
		    struct s2x_write *w)
{
	struct tfs_stat st;
	long n;
	int err = 0;

	w->offset = q->offset;
	if (q->flags & X2S_APPEND) {
		err = tfs_getattr(fs, q->h.ino, &st);
		w->offset = st.size;
	}
	if (err)
		return err;
	n = tfs_write(fs, q->h.ino, w->offset, data, q->len);
	if (n >= 0 && (uint64_t)n != q->len)
		n = -ENOSPC;	/* tfs wrote part: the caller sees the error, no count */
	if (n < 0)
		return (int)n;
	if (q->flags & X2S_SYNC)
		err = tfs_sync(fs);
	if (!err)
		err = tfs_getattr(fs, q->h.ino, &st);
	w->size = st.size;
	return err;
}

SMON_HANDLER(serve_X2S_WRITE)
{
	struct s2x_write w;
	struct x2s_io q;
	struct tfs *fs;
	int err;

	(void)ctx;
	fs = begin_io(peer, req, &q, &err);
	if (!fs)
		return err;
	if (len != sizeof(q) + q.len || resp_max < sizeof(w))
		err = -EINVAL;
	else
		err = write_at(fs, &q, (const uint8_t *)req + sizeof(q), &w);
	disk_put();
	if (err)
		return err;
	memcpy(resp, &w, sizeof(w));
	return sizeof(w);
}

/* A request on an open file that answers nothing but its status: fn does it. */
static int file_op(uint8_t peer, const void *req,
		   int (*fn)(struct tfs *fs, const struct x2s_io *q))
{
	struct x2s_io q;
	struct tfs *fs;
	int err;

	fs = begin_io(peer, req, &q, &err);
	if (!fs)
		return err;
	err = fn(fs, &q);
	disk_put();
	return err;
}

static int do_truncate(struct tfs *fs, const struct x2s_io *q)
{
	return tfs_truncate(fs, q->h.ino, q->offset);
}

/* fsync and fdatasync alike: a commit makes every earlier write durable. */
static int do_sync(struct tfs *fs, const struct x2s_io *q)
{
	(void)q;
	return tfs_sync(fs);
}

SMON_HANDLER(serve_X2S_TRUNCATE)
{
	(void)ctx, (void)len, (void)resp, (void)resp_max;
	return file_op(peer, req, do_truncate);
}

SMON_HANDLER(serve_X2S_FSYNC)
{
	(void)ctx, (void)len, (void)resp, (void)resp_max;
	return file_op(peer, req, do_sync);
}

static uint8_t wire_type(uint8_t dt)
{
	return dt == TFS_DT_DIR ? FS_TYPE_DIR : dt == TFS_DT_LNK ? FS_TYPE_LNK : FS_TYPE_REG;
}

/* Entries from cookie q->offset, as many as fit; next is where the answer stopped. */
static int readdir_fill(struct tfs *fs, const struct x2s_io *q, uint8_t *out, size_t max)
{
	struct tfs_dirent_out *e = kmalloc(sizeof(*e));
	struct s2x_readdir r = { .next = q->offset };
	size_t off = sizeof(r);
	int n = 0;

	if (!e)
		return -ENOMEM;
	for (;;) {
		uint64_t cookie = r.next;
		struct fs_dirent d;

		n = tfs_readdir(fs, q->h.ino, &cookie, e, 1);
		if (n <= 0) {
			r.next = 0;
			break;
		}
		d = (struct fs_dirent){ .ino = e->ino, .type = wire_type(e->type),
					.namelen = (uint8_t)strlen(e->name) };
		d.reclen = (uint16_t)((sizeof(d) + d.namelen + DIRENT_ALIGN - 1) &
				      ~(DIRENT_ALIGN - 1));
		if (off + d.reclen > max)
			break;
		memset(out + off, 0, d.reclen);
		memcpy(out + off, &d, sizeof(d));
		memcpy(out + off + sizeof(d), e->name, d.namelen);
		off += d.reclen;
		r.count++;
		r.next = cookie;
	}
	kfree(e);
	if (n < 0)
		return n;
	memcpy(out, &r, sizeof(r));
	return (int)off;
}

SMON_HANDLER(serve_X2S_READDIR)
{
	struct x2s_io q;
	struct tfs *fs;
	size_t max;
	int err;

	(void)ctx, (void)len;
	fs = begin_io(peer, req, &q, &err);
	if (!fs)
		return err;
	max = sizeof(struct s2x_readdir) + (q.len < NET_FS_DIRENT_MAX ? q.len : NET_FS_DIRENT_MAX);
	err = readdir_fill(fs, &q, resp, max < resp_max ? max : resp_max);
	disk_put();
	return err;
}

/* The two strings after a struct x2s_path2, as C strings (kmalloc'd). */
static int two_paths(const void *req, size_t len, struct x2s_path2 *q, char **a, char **b)
{
	const uint8_t *p = (const uint8_t *)req + sizeof(*q);
	int err;

	memcpy(q, req, sizeof(*q));
	*a = *b = NULL;
	if (q->len1 > NET_PATH_MAX || q->len2 > NET_PATH_MAX ||
	    len != sizeof(*q) + q->len1 + q->len2)
		return -EINVAL;
	*a = path_dup(p, q->len1, &err);
	if (*a)
		*b = path_dup(p + q->len1, q->len2, &err);
	if (!err)
		return 0;
	kfree(*a);
	return err;
}

static int rename_paths(struct tfs *fs, uint64_t root, const char *from, const char *to,
			uint32_t flags)
{
	char sname[TFS_NAME_MAX + 1], dname[TFS_NAME_MAX + 1];
	uint64_t sdir, ddir;
	int err = tfs_resolve_parent(fs, root, from, &sdir, sname);

	if (!err)
		err = tfs_resolve_parent(fs, root, to, &ddir, dname);
	if (err)
		return err;
	return tfs_rename(fs, sdir, sname, ddir, dname,
			  flags & X2S_NOREPLACE ? TFS_RENAME_NOREPLACE : 0);
}

static int symlink_path(struct tfs *fs, uint64_t root, const char *target, const char *path)
{
	char name[TFS_NAME_MAX + 1];
	uint64_t dir, ino;
	int err = tfs_resolve_parent(fs, root, path, &dir, name);

	return err ? err : tfs_symlink(fs, dir, name, target, 0, 0, &ino);
}

static int two_path_call(uint8_t peer, const void *req, size_t len, uint16_t op)
{
	struct x2s_path2 q;
	uint64_t root;
	struct tfs *fs;
	char *a, *b;
	int err = two_paths(req, len, &q, &a, &b);

	if (err)
		return err;
	fs = begin(peer, q.vnode, &root, &err);
	if (fs) {
		if (op == X2S_RENAME)
			err = rename_paths(fs, root, a, b, q.flags);
		else
			err = symlink_path(fs, root, a, b);
		disk_put();
	}
	kfree(a);
	kfree(b);
	return err;
}

SMON_HANDLER(serve_X2S_RENAME)
{
	(void)ctx, (void)resp, (void)resp_max;
	return two_path_call(peer, req, len, X2S_RENAME);
}

SMON_HANDLER(serve_X2S_SYMLINK)
{
	(void)ctx, (void)resp, (void)resp_max;
	return two_path_call(peer, req, len, X2S_SYMLINK);
}

SMON_HANDLER(serve_X2S_STATFS)
{
	struct s2x_statfs out;
	struct tfs_statfs st;
	uint32_t vnode;
	uint64_t root;
	struct tfs *fs;
	int err;

	(void)ctx, (void)len;
	memcpy(&vnode, req, sizeof(vnode));
	fs = begin(peer, vnode, &root, &err);
	if (!fs)
		return err;
	err = tfs_statfs(fs, &st);
	disk_put();
	if (err)
		return err;
	if (resp_max < sizeof(out))
		return -ENOSPC;
	out = (struct s2x_statfs){ st.blocks, st.free_blocks, st.inodes, st.free_inodes };
	memcpy(resp, &out, sizeof(out));
	return sizeof(out);
}
