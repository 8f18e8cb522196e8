/*
 * tfs path resolution: full paths below a vNode's root with ".", ".." and symbolic
 * links, never leaving that root (".." there stays there, as after chroot); and the
 * vNode roots themselves, one directory per vNode in the hidden top directory.
 */
#include "tfs_int.h"
#include "kernel/errno.h"
#include "lib/string.h"

uint64_t tfs_top(struct tfs *fs)
{
	return fs->sb.root;
}

static bool is_dot(const char *name, size_t len)
{
	return len == 1 && name[0] == '.';
}

static bool is_dotdot(const char *name, size_t len)
{
	return len == 2 && name[0] == '.' && name[1] == '.';
}

/* The length of a path, or TFS_PATH_MAX if it is that long or longer. */
static size_t path_len(const char *s)
{
	size_t n = 0;

	while (n < TFS_PATH_MAX && s[n])
		n++;
	return n;
}

/* A directory entry name: 1 to TFS_NAME_MAX bytes without '/'. */
int tfs_name_ok(const char *name, size_t *len)
{
	size_t n = 0;

	while (n <= TFS_NAME_MAX && name[n]) {
		if (name[n] == '/')
			return -EINVAL;
		n++;
	}
	if (n > TFS_NAME_MAX)
		return -ENAMETOOLONG;
	*len = n;
	return n ? 0 : -ENOENT;
}

/* Entry name of directory dir, "." and ".." included. */
static int lookup_n(struct tfs *fs, uint64_t dir, const char *name, size_t len, uint64_t *ino)
{
	struct tfs_dinode di;
	uint8_t type;
	int rc = tfs_iget(fs, dir, &di);

	if (rc < 0)
		return rc;
	if (tfs_type(di.mode) != TFS_S_IFDIR)
		return -ENOTDIR;
	if (is_dot(name, len)) {
		*ino = dir;
		return 0;
	}
	if (is_dotdot(name, len)) {
		*ino = di.parent;
		return 0;
	}
	return tfs_dir_find(fs, dir, name, len, ino, &type);
}

int tfs_lookup(struct tfs *fs, uint64_t dir, const char *name, uint64_t *ino)
{
	size_t len;
	int rc = tfs_name_ok(name, &len);

	if (rc < 0)
		return rc;
	return lookup_n(fs, dir, name, len, ino);
}

/* Replace the path in buf with link's target followed by rest (which points into buf). */
static int expand(struct tfs *fs, uint64_t link, const char *rest, char *buf)
{
	char *tmp = fs->path + TFS_PATH_MAX;
	size_t rlen = path_len(rest);
	struct tfs_dinode di;
	long n;
	int rc = tfs_iget(fs, link, &di);

	if (rc < 0)
		return rc;
	if (di.size == 0 || di.size >= TFS_PATH_MAX)
		return -EUCLEAN;
	n = tfs_data_read(fs, &di, tfs_slot(link), 0, tmp, (size_t)di.size);
	if (n < 0)
		return (int)n;
	if ((uint64_t)n != di.size)
		return -EUCLEAN;
	if ((size_t)n + rlen >= TFS_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(tmp + n, rest, rlen + 1);	/* rest is "" or starts with '/' */
	memcpy(buf, tmp, (size_t)n + rlen + 1);
	return 0;
}

/* One component: *cur moves to name's inode; *mode gets its mode. */
static int step(struct tfs *fs, uint64_t root, uint64_t *cur, const char *name, size_t len,
		uint32_t *mode)
{
	struct tfs_dinode di;
	uint64_t next;
	int rc;

	if (len > TFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (is_dotdot(name, len) && *cur == root)
		next = root;
	else if ((rc = lookup_n(fs, *cur, name, len, &next)) < 0)
		return rc;
	rc = tfs_iget(fs, next, &di);
	if (rc < 0)
		return rc == -ESTALE ? -EUCLEAN : rc;
	*mode = di.mode;
	*cur = next;
	return 0;
}

/* Resolve the first len bytes of path (see tfs_resolve). */
static int resolve_n(struct tfs *fs, uint64_t root, const char *path, size_t len, bool follow,
		     uint64_t *ino)
{
	char *buf = fs->path, *p = buf;
	uint64_t cur = root, dir;
	unsigned links = 0;
	uint32_t mode = TFS_S_IFDIR;
	int rc;

	if (len >= TFS_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(buf, path, len);
	buf[len] = '\0';
	for (;;) {
		char *q, *rest;
		bool last, slash;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		for (q = p; *q && *q != '/'; q++)
			;
		for (rest = q; *rest == '/'; rest++)
			;
		last = !*rest;
		slash = rest != q;
		dir = cur;
		rc = step(fs, root, &cur, p, (size_t)(q - p), &mode);
		if (rc < 0)
			return rc;
		if (tfs_type(mode) == TFS_S_IFLNK && (!last || follow || slash)) {
			if (++links > TFS_SYMLOOP_MAX)
				return -ELOOP;
			rc = expand(fs, cur, q, buf);
			if (rc < 0)
				return rc;
			cur = buf[0] == '/' ? root : dir;
			mode = TFS_S_IFDIR;
			p = buf;
			continue;
		}
		if (slash && tfs_type(mode) != TFS_S_IFDIR)
			return -ENOTDIR;
		p = q;
	}
	*ino = cur;
	return 0;
}

/*
 * Resolve path from root: absolute or not, it starts at root. Symbolic links are
 * followed (absolute ones from root), the last one only if follow_last.
 */
int tfs_resolve(struct tfs *fs, uint64_t root, const char *path, bool follow_last,
		uint64_t *ino)
{
	struct tfs_dinode di;
	int rc = tfs_iget(fs, root, &di);

	if (rc < 0)
		return rc;
	if (tfs_type(di.mode) != TFS_S_IFDIR)
		return -ENOTDIR;
	return resolve_n(fs, root, path, path_len(path), follow_last, ino);
}

int tfs_resolve_parent(struct tfs *fs, uint64_t root, const char *path, uint64_t *dir,
		       char name[TFS_NAME_MAX + 1])
{
	size_t end = path_len(path), start;
	struct tfs_dinode di;
	int rc;

	if (end >= TFS_PATH_MAX)
		return -ENAMETOOLONG;
	while (end > 0 && path[end - 1] == '/')
		end--;
	if (end == 0)
		return -EINVAL;
	for (start = end; start > 0 && path[start - 1] != '/'; start--)
		;
	if (end - start > TFS_NAME_MAX)
		return -ENAMETOOLONG;
	rc = tfs_resolve(fs, root, "", false, dir);
	if (rc == 0)
		rc = resolve_n(fs, root, path, start, true, dir);
	if (rc == 0)
		rc = tfs_iget(fs, *dir, &di);
	if (rc < 0)
		return rc;
	if (tfs_type(di.mode) != TFS_S_IFDIR)
		return -ENOTDIR;
	memcpy(name, path + start, end - start);
	name[end - start] = '\0';
	return 0;
}

/* The name of vNode vnode's root in the top directory: its number in decimal. */
static void vnode_name(uint32_t vnode, char name[16])
{
	char digits[16];
	size_t n = 0, i;

	do {
		digits[n++] = (char)('0' + vnode % 10);
		vnode /= 10;
	} while (vnode);
	for (i = 0; i < n; i++)
		name[i] = digits[n - 1 - i];
	name[n] = '\0';
}

int tfs_vnode_root(struct tfs *fs, uint32_t vnode, bool create, uint64_t *ino)
{
	char name[16];
	uint8_t type;
	int rc;

	if (vnode == 0)
		return -EINVAL;
	vnode_name(vnode, name);
	rc = tfs_dir_find(fs, tfs_top(fs), name, strlen(name), ino, &type);
	if (rc == -ENOENT && create)
		return tfs_mkdir(fs, tfs_top(fs), name, 0755, 0, 0, ino);
	if (rc == 0 && type != TFS_DT_DIR)
		return -EUCLEAN;
	return rc;
}
