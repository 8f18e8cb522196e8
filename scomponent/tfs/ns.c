/*
 * tfs namespace operations: create, mkdir, symlink, link, unlink, rmdir and rename,
 * each on (directory handle, name) pairs. Each checks everything it can before its
 * first change, so the only failures after it are the disk's or memory's.
 */
#include "tfs_int.h"
#include "kernel/errno.h"
#include "lib/string.h"

#define LINK_MAX 65000

static bool dot_or_dotdot(const char *name, size_t len)
{
	return name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.'));
}

/* Add delta to an inode's link count, stamping its ctime. */
static int adjust_nlink(struct tfs *fs, uint64_t ino, int delta)
{
	struct tfs_dinode di;
	int rc = tfs_iget(fs, ino, &di);

	if (rc < 0)
		return rc;
	di.nlink += (uint32_t)delta;
	di.ctime = tfs_now(fs);
	return tfs_inode_write(fs, tfs_slot(ino), &di);
}

/* name is a new name in directory dir: 0, or why not. */
static int name_free(struct tfs *fs, uint64_t dir, const char *name, size_t *len)
{
	uint64_t ino;
	uint8_t type;
	int rc = tfs_name_ok(name, len);

	if (rc < 0)
		return rc;
	if (dot_or_dotdot(name, *len))
		return -EEXIST;
	rc = tfs_dir_find(fs, dir, name, *len, &ino, &type);
	return rc == 0 ? -EEXIST : rc == -ENOENT ? 0 : rc;
}

/* A new inode of mode under dir/name; a symlink gets target as its contents. */
static int make(struct tfs *fs, uint64_t dir, const char *name, uint32_t mode, uint32_t uid,
		uint32_t gid, const char *target, uint64_t *ino)
{
	bool isdir = tfs_type(mode) == TFS_S_IFDIR;
	struct tfs_dinode di;
	size_t len, tlen = target ? strlen(target) : 0;
	long n;
	int rc = name_free(fs, dir, name, &len);

	if (rc < 0)
		return rc;
	rc = tfs_ialloc(fs, mode, uid, gid, ino, &di);
	if (rc < 0)
		return rc;
	di.nlink = isdir ? 2 : 1;
	di.parent = isdir ? dir : 0;
	rc = tfs_inode_write(fs, tfs_slot(*ino), &di);
	if (rc == 0 && target) {
		n = tfs_data_write(fs, *ino, 0, target, tlen);
		rc = n < 0 ? (int)n : (size_t)n == tlen ? 0 : -ENOSPC;
	}
	if (rc == 0)
		rc = tfs_dir_add(fs, dir, name, len, *ino, tfs_dtype(mode));
	if (rc == 0 && isdir)
		rc = adjust_nlink(fs, dir, 1);
	return rc;
}

static int make_op(struct tfs *fs, uint64_t dir, const char *name, uint32_t mode, uint32_t uid,
		   uint32_t gid, const char *target, uint64_t *ino)
{
	int rc = tfs_begin(fs, TFS_NS_BUDGET, false);

	if (rc < 0)
		return rc;
	return tfs_end(fs, make(fs, dir, name, mode, uid, gid, target, ino));
}

int tfs_create(struct tfs *fs, uint64_t dir, const char *name, uint32_t mode,
	       uint32_t uid, uint32_t gid, uint64_t *ino)
{
	return make_op(fs, dir, name, TFS_S_IFREG | (mode & TFS_MODE_PERM), uid, gid, NULL, ino);
}

int tfs_mkdir(struct tfs *fs, uint64_t dir, const char *name, uint32_t mode,
	      uint32_t uid, uint32_t gid, uint64_t *ino)
{
	return make_op(fs, dir, name, TFS_S_IFDIR | (mode & TFS_MODE_PERM), uid, gid, NULL, ino);
}

int tfs_symlink(struct tfs *fs, uint64_t dir, const char *name, const char *target,
		uint32_t uid, uint32_t gid, uint64_t *ino)
{
	size_t tlen = 0;

	while (tlen < TFS_PATH_MAX && target[tlen])
		tlen++;
	if (tlen == 0)
		return -ENOENT;
	if (tlen >= TFS_PATH_MAX)
		return -ENAMETOOLONG;
	return make_op(fs, dir, name, TFS_S_IFLNK | 0777, uid, gid, target, ino);
}

static int do_link(struct tfs *fs, uint64_t ino, uint64_t dir, const char *name)
{
	struct tfs_dinode di;
	size_t len;
	int rc = tfs_iget(fs, ino, &di);

	if (rc < 0)
		return rc;
	if (tfs_type(di.mode) == TFS_S_IFDIR)
		return -EPERM;
	if (di.nlink >= LINK_MAX)
		return -EMLINK;
	rc = name_free(fs, dir, name, &len);
	if (rc == 0)
		rc = tfs_dir_add(fs, dir, name, len, ino, tfs_dtype(di.mode));
	if (rc == 0)
		rc = adjust_nlink(fs, ino, 1);
	return rc;
}

int tfs_link(struct tfs *fs, uint64_t ino, uint64_t dir, const char *name)
{
	int rc = tfs_begin(fs, TFS_NS_BUDGET, false);

	if (rc < 0)
		return rc;
	return tfs_end(fs, do_link(fs, ino, dir, name));
}

long tfs_readlink(struct tfs *fs, uint64_t ino, char *buf, size_t size)
{
	struct tfs_dinode di;
	long n;
	int rc = tfs_iget(fs, ino, &di);

	if (rc < 0)
		return rc;
	if (tfs_type(di.mode) != TFS_S_IFLNK)
		return -EINVAL;
	n = tfs_data_read(fs, &di, tfs_slot(ino), 0, buf, size);
	return n < 0 ? n : (long)(di.size < size ? di.size : size);
}

/* Drop one link to ino (a directory has only one); free it when none are left. */
static int drop_link(struct tfs *fs, uint64_t ino)
{
	struct tfs_dinode di;
	int rc = tfs_iget(fs, ino, &di);

	if (rc < 0)
		return rc;
	if (di.nlink <= 1 || tfs_type(di.mode) == TFS_S_IFDIR)
		return tfs_ifree(fs, tfs_slot(ino));
	return adjust_nlink(fs, ino, -1);
}

/* dir/name, looked up for removal: its handle and mode. */
static int victim(struct tfs *fs, uint64_t dir, const char *name, size_t *len, uint64_t *ino,
		  uint32_t *mode)
{
	struct tfs_dinode di;
	uint8_t type;
	int rc = tfs_name_ok(name, len);

	if (rc < 0)
		return rc;
	rc = tfs_dir_find(fs, dir, name, *len, ino, &type);
	if (rc < 0)
		return rc;
	rc = tfs_iget(fs, *ino, &di);
	if (rc < 0)
		return rc == -ESTALE ? -EUCLEAN : rc;
	*mode = di.mode;
	return 0;
}

static int do_unlink(struct tfs *fs, uint64_t dir, const char *name)
{
	uint64_t ino;
	uint32_t mode;
	size_t len;
	int rc = victim(fs, dir, name, &len, &ino, &mode);

	if (rc == -ENOENT && dot_or_dotdot(name, len))
		return -EISDIR;
	if (rc < 0)
		return rc;
	if (tfs_type(mode) == TFS_S_IFDIR)
		return -EISDIR;
	rc = tfs_dir_remove(fs, dir, name, len);
	return rc < 0 ? rc : drop_link(fs, ino);
}

int tfs_unlink(struct tfs *fs, uint64_t dir, const char *name)
{
	int rc = tfs_begin(fs, TFS_NS_BUDGET, true);

	if (rc < 0)
		return rc;
	return tfs_end(fs, do_unlink(fs, dir, name));
}

static int do_rmdir(struct tfs *fs, uint64_t dir, const char *name)
{
	uint64_t ino;
	uint32_t mode;
	size_t len;
	int rc = victim(fs, dir, name, &len, &ino, &mode);

	if (rc == -ENOENT && dot_or_dotdot(name, len))
		return len == 1 ? -EINVAL : -ENOTEMPTY;
	if (rc < 0)
		return rc;
	if (tfs_type(mode) != TFS_S_IFDIR)
		return -ENOTDIR;
	rc = tfs_dir_empty(fs, ino);
	if (rc == 0)
		rc = tfs_dir_remove(fs, dir, name, len);
	if (rc == 0)
		rc = tfs_ifree(fs, tfs_slot(ino));
	return rc < 0 ? rc : adjust_nlink(fs, dir, -1);
}

int tfs_rmdir(struct tfs *fs, uint64_t dir, const char *name)
{
	int rc = tfs_begin(fs, TFS_NS_BUDGET, true);

	if (rc < 0)
		return rc;
	return tfs_end(fs, do_rmdir(fs, dir, name));
}

/* -EINVAL if dir is ino or below it (following parents up to the top). */
static int not_below(struct tfs *fs, uint64_t dir, uint64_t ino)
{
	uint64_t hops;
	struct tfs_dinode di;
	int rc;

	for (hops = 0; hops <= fs->ninodes; hops++) {
		if (tfs_slot(dir) == tfs_slot(ino))
			return -EINVAL;
		if (dir == tfs_top(fs))
			return 0;
		rc = tfs_iget(fs, dir, &di);
		if (rc < 0)
			return rc == -ESTALE ? -EUCLEAN : rc;
		dir = di.parent;
	}
	return -EUCLEAN;
}

/* The parts of a rename, checked before anything changes. */
struct rename_op {
	uint64_t sdir, ddir, src, dst;	/* dst 0: the name is free */
	uint32_t smode, dmode;
	size_t slen, dlen;
};

static int rename_check(struct tfs *fs, struct rename_op *r, const char *sname,
			const char *dname, uint32_t flags)
{
	uint8_t type;
	int rc = victim(fs, r->sdir, sname, &r->slen, &r->src, &r->smode);

	if (rc == -ENOENT && dot_or_dotdot(sname, r->slen))
		return -EINVAL;
	if (rc < 0)
		return rc;
	rc = tfs_name_ok(dname, &r->dlen);
	if (rc < 0)
		return rc;
	if (dot_or_dotdot(dname, r->dlen))
		return -EINVAL;
	rc = tfs_dir_find(fs, r->ddir, dname, r->dlen, &r->dst, &type);
	if (rc == -ENOENT)
		r->dst = 0;
	else if (rc < 0)
		return rc;
	else if (flags & TFS_RENAME_NOREPLACE)
		return -EEXIST;
	if (tfs_type(r->smode) == TFS_S_IFDIR && (rc = not_below(fs, r->ddir, r->src)) < 0)
		return rc;
	if (!r->dst || r->dst == r->src)
		return 0;
	rc = victim(fs, r->ddir, dname, &r->dlen, &r->dst, &r->dmode);
	if (rc < 0)
		return rc;
	if (tfs_type(r->smode) == TFS_S_IFDIR && tfs_type(r->dmode) != TFS_S_IFDIR)
		return -ENOTDIR;
	if (tfs_type(r->smode) != TFS_S_IFDIR && tfs_type(r->dmode) == TFS_S_IFDIR)
		return -EISDIR;
	return tfs_type(r->dmode) == TFS_S_IFDIR ? tfs_dir_empty(fs, r->dst) : 0;
}

/* A moved directory's ".." now names its new parent. */
static int reparent(struct tfs *fs, const struct rename_op *r)
{
	struct tfs_dinode di;
	int rc = tfs_iget(fs, r->src, &di);

	if (rc < 0)
		return rc;
	di.parent = r->ddir;
	di.ctime = tfs_now(fs);
	rc = tfs_inode_write(fs, tfs_slot(r->src), &di);
	if (rc == 0)
		rc = adjust_nlink(fs, r->sdir, -1);
	return rc < 0 ? rc : adjust_nlink(fs, r->ddir, 1);
}

static int do_rename(struct tfs *fs, struct rename_op *r, const char *sname,
		     const char *dname, uint32_t flags)
{
	bool isdir;
	int rc = rename_check(fs, r, sname, dname, flags);

	if (rc < 0 || r->dst == r->src)
		return rc;
	isdir = tfs_type(r->smode) == TFS_S_IFDIR;
	if (r->dst)
		rc = tfs_dir_replace(fs, r->ddir, dname, r->dlen, r->src, tfs_dtype(r->smode));
	else
		rc = tfs_dir_add(fs, r->ddir, dname, r->dlen, r->src, tfs_dtype(r->smode));
	if (rc == 0)
		rc = tfs_dir_remove(fs, r->sdir, sname, r->slen);
	if (rc == 0 && r->dst)
		rc = drop_link(fs, r->dst);
	if (rc == 0 && r->dst && isdir)
		rc = adjust_nlink(fs, r->ddir, -1);
	if (rc == 0 && isdir && r->sdir != r->ddir)
		rc = reparent(fs, r);
	else if (rc == 0)
		rc = adjust_nlink(fs, r->src, 0);	/* no new link: only its ctime */
	return rc;
}

/*
 * Move sdir/sname to ddir/dname, replacing a file there, or an empty directory when
 * moving a directory, as rename(2) does. A directory cannot move below itself.
 */
int tfs_rename(struct tfs *fs, uint64_t sdir, const char *sname, uint64_t ddir,
	       const char *dname, uint32_t flags)
{
	struct rename_op r = { .sdir = sdir, .ddir = ddir };
	int rc;

	if (flags & ~TFS_RENAME_NOREPLACE)
		return -EINVAL;
	rc = tfs_begin(fs, TFS_NS_BUDGET, false);
	if (rc < 0)
		return rc;
	return tfs_end(fs, do_rename(fs, &r, sname, dname, flags));
}
