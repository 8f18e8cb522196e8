/*
 * tessera-net's file commands: put, get, ls, stat, mkdir and rm on a vNode's file
 * system, as a user copies programs in and results out. Each asks GSM on gmon which
 * mComponent fronts the vNode, then sends it the same X2S_* requests a pmon does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "net/host.h"
#include "tool.h"

#define TIMEOUT (60 * 1000000000ULL)

static int fail(const char *what, const char *path, int err)
{
	fprintf(stderr, "tessera-net: %s %s: %s\n", what, path, strerror(err < 0 ? -err : err));
	return 1;
}

static int call(struct fs_target *t, uint16_t op, const void *req, size_t len, void *resp,
		size_t max)
{
	return host_rpc(t->h, t->front, op, req, len, resp, max, TIMEOUT);
}

/* A request of struct x2s_path and the path after it. */
static int path_call(struct fs_target *t, uint16_t op, const char *path, uint32_t flags,
		     uint32_t mode, void *resp, size_t max)
{
	uint8_t req[sizeof(struct x2s_path) + NET_PATH_MAX];
	struct x2s_path q = { .vnode = t->vnode, .flags = flags, .mode = mode,
			      .len = (uint32_t)strlen(path) };

	if (q.len == 0 || q.len > NET_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(req, &q, sizeof(q));
	memcpy(req + sizeof(q), path, q.len);
	return call(t, op, req, sizeof(q) + q.len, resp, max);
}

static int open_path(struct fs_target *t, const char *path, uint32_t flags, uint32_t mode,
		     struct s2x_attr *a)
{
	int ret = path_call(t, X2S_OPEN, path, flags, mode, a, sizeof(*a));

	return ret < 0 ? ret : ret == sizeof(*a) ? 0 : -EPROTO;
}

/* Copy the local file src to path on the vNode, then make it durable. */
static int cmd_put(struct fs_target *t, const char *src, const char *path)
{
	static uint8_t req[sizeof(struct x2s_io) + NET_FS_IO_MAX];
	struct x2s_io q = { .flags = 0 };
	struct s2x_write w;
	struct s2x_attr a;
	int fd = open(src, O_RDONLY), ret = 0;
	ssize_t n;

	if (fd < 0)
		return fail("cannot read", src, errno);
	ret = open_path(t, path, X2S_CREAT | X2S_TRUNC, 0755, &a);
	q.h = a.h;
	while (!ret && (n = read(fd, req + sizeof(q), NET_FS_IO_MAX)) > 0) {
		q.len = (uint32_t)n;
		memcpy(req, &q, sizeof(q));
		ret = call(t, X2S_WRITE, req, sizeof(q) + q.len, &w, sizeof(w));
		ret = ret < 0 ? ret : ret == sizeof(w) ? 0 : -EPROTO;
		q.offset += q.len;
	}
	if (!ret && n < 0)
		ret = -errno;
	close(fd);
	if (!ret) {
		q.len = 0;
		ret = call(t, X2S_FSYNC, &q, sizeof(q), NULL, 0);
	}
	return ret < 0 ? fail("cannot put", path, ret) : 0;
}

/* Copy path on the vNode to the local file dst ("-": standard output). */
static int cmd_get(struct fs_target *t, const char *path, const char *dst)
{
	static uint8_t buf[NET_FS_IO_MAX];
	struct x2s_io q = { .len = NET_FS_IO_MAX };
	struct s2x_attr a;
	int ret = open_path(t, path, 0, 0, &a), fd;

	if (ret)
		return fail("cannot get", path, ret);
	fd = strcmp(dst, "-") ? open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644) : 1;
	if (fd < 0)
		return fail("cannot write", dst, errno);
	q.h = a.h;
	while ((ret = call(t, X2S_READ, &q, sizeof(q), buf, sizeof(buf))) > 0) {
		if (write(fd, buf, (size_t)ret) != ret) {
			ret = -errno;
			break;
		}
		q.offset += (uint64_t)ret;
	}
	if (fd != 1)
		close(fd);
	return ret < 0 ? fail("cannot get", path, ret) : 0;
}

static char type_char(uint32_t mode)
{
	switch (mode & 0170000) {
	case 0040000:
		return 'd';
	case 0120000:
		return 'l';
	default:
		return '-';
	}
}

static void print_attr(const struct fs_attr *a, const char *name)
{
	printf("%c%04o %3u %10llu %s\n", type_char(a->mode), a->mode & 07777, a->nlink,
	       (unsigned long long)a->size, name);
}

/* One entry per line: type and permissions, links, size, name (sorted by the disk). */
static int cmd_ls(struct fs_target *t, const char *path)
{
	static uint8_t buf[sizeof(struct s2x_readdir) + NET_FS_DIRENT_MAX];
	struct x2s_io q = { .len = NET_FS_DIRENT_MAX };
	struct s2x_readdir r;
	struct s2x_attr a;
	int ret = open_path(t, path, X2S_DIRECTORY, 0, &a);

	q.h = a.h;
	do {
		size_t off = sizeof(r);

		if (ret)
			break;
		ret = call(t, X2S_READDIR, &q, sizeof(q), buf, sizeof(buf));
		if (ret < (int)sizeof(r)) {
			ret = ret < 0 ? ret : -EPROTO;
			break;
		}
		memcpy(&r, buf, sizeof(r));
		for (uint32_t i = 0; i < r.count && off + sizeof(struct fs_dirent) <= (size_t)ret;
		     i++) {
			struct fs_dirent d;

			memcpy(&d, buf + off, sizeof(d));
			if (d.reclen < sizeof(d) + d.namelen || off + d.reclen > (size_t)ret)
				return fail("bad directory answer for", path, EPROTO);
			printf("%c %.*s\n", d.type == FS_TYPE_DIR ? 'd' :
			       d.type == FS_TYPE_LNK ? 'l' : '-', d.namelen,
			       (const char *)buf + off + sizeof(d));
			off += d.reclen;
		}
		q.offset = r.next;
		ret = 0;
	} while (r.next);
	return ret < 0 ? fail("cannot list", path, ret) : 0;
}

static int cmd_stat(struct fs_target *t, const char *path)
{
	struct s2x_attr a;
	int ret = path_call(t, X2S_STAT, path, X2S_NOFOLLOW, 0, &a, sizeof(a));

	if (ret >= 0 && ret != sizeof(a))
		ret = -EPROTO;
	if (ret < 0)
		return fail("cannot stat", path, ret);
	print_attr(&a.a, path);
	return 0;
}

/* mkdir, rm: a request with no answer but its status. */
static int cmd_simple(struct fs_target *t, uint16_t op, const char *path, const char *what)
{
	int ret = path_call(t, op, path, 0, 0755, NULL, 0);

	return ret < 0 ? fail(what, path, ret) : 0;
}

/* The vNode's front mmon, from GSM on gmon. */
static int target(struct host_ep *h, const char *vnode, struct fs_target *t)
{
	const struct host_peer *gmon = tool_peer_by_role(h, "gmon");
	struct g2x_storage g;
	char *end;
	int ret;

	t->h = h;
	t->vnode = (uint32_t)strtoul(vnode, &end, 10);
	if (*end || t->vnode == 0) {
		fprintf(stderr, "tessera-net: '%s' is not a vNode number\n", vnode);
		return -1;
	}
	if (!gmon) {
		fprintf(stderr, "tessera-net: no gmon in the cluster map to ask for storage\n");
		return -1;
	}
	ret = host_rpc(h, gmon->id, X2G_STORAGE, &t->vnode, sizeof(t->vnode), &g,
		       sizeof(g), TIMEOUT);
	if (ret != sizeof(g)) {
		fail("no storage for vNode", vnode, ret < 0 ? ret : -EPROTO);
		return -1;
	}
	t->front = g.mmon;
	t->smon = g.smon;
	return 0;
}

int tool_fs(struct host_ep *h, int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	struct fs_target t;

	if (argc < 4)
		return 2;
	if (target(h, argv[2], &t))
		return 1;
	if (!strcmp(cmd, "put") && argc == 5)
		return cmd_put(&t, argv[3], argv[4]);
	if (!strcmp(cmd, "get") && argc <= 5)
		return cmd_get(&t, argv[3], argc == 5 ? argv[4] : "-");
	if (!strcmp(cmd, "ls") && argc == 4)
		return cmd_ls(&t, argv[3]);
	if (!strcmp(cmd, "stat") && argc == 4)
		return cmd_stat(&t, argv[3]);
	if (!strcmp(cmd, "mkdir") && argc == 4)
		return cmd_simple(&t, X2S_MKDIR, argv[3], "cannot mkdir");
	if (!strcmp(cmd, "rm") && argc == 4)
		return cmd_simple(&t, X2S_UNLINK, argv[3], "cannot remove");
	if (!strcmp(cmd, "inject") && argc == 4)
		return tool_fs_inject(&t, argv[3]);
	return 2;
}
