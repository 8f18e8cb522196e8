/*
 * tessera-net fs inject: well-formed frames carrying hostile file requests, sent to
 * a vNode's front mmon as a buggy or malicious client would: lengths that disagree
 * with the message, paths with NULs or too long, offsets past any file, forged and
 * borrowed handles, and a request straight to smon, which serves mmons only. Every
 * one must be refused; the test then checks that the file around which they were
 * sent still reads back whole and that both nodes answer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "net/host.h"
#include "tool.h"

#define TIMEOUT (10 * 1000000000ULL)
#define FAR (1ULL << 62)	/* far past the largest file tfs keeps */

static uint8_t req[sizeof(struct x2s_path2) + 2 * NET_PATH_MAX + 16];
static uint8_t resp[sizeof(struct s2x_readdir) + NET_FS_DIRENT_MAX];

/* Print one request's fate; 1 if it was not refused. */
static int refused(const char *what, int ret)
{
	printf("request=%s result=%d refused=%s\n", what, ret, ret < 0 ? "yes" : "no");
	return ret >= 0;
}

static int send_to(struct fs_target *t, uint8_t node, uint16_t op, size_t len)
{
	return host_rpc(t->h, node, op, req, len, resp, sizeof(resp), TIMEOUT);
}

/* A read past any end may answer nothing, as Linux's read does, or be refused. */
static int no_bytes(const char *what, int ret)
{
	printf("request=%s result=%d refused=%s\n", what, ret, ret <= 0 ? "yes" : "no");
	return ret > 0;
}

/* An X2S_* path request whose len field says claimed; the message holds path. */
static size_t path_req(uint32_t vnode, uint32_t flags, uint32_t claimed, const void *path,
		       size_t n)
{
	struct x2s_path q = { .vnode = vnode, .flags = flags, .mode = 0644, .len = claimed };

	memcpy(req, &q, sizeof(q));
	memcpy(req + sizeof(q), path, n);
	return sizeof(q) + n;
}

static size_t io_req(struct fs_handle h, uint64_t offset, uint32_t len, uint32_t flags,
		     size_t data)
{
	struct x2s_io q = { .h = h, .offset = offset, .len = len, .flags = flags };

	memcpy(req, &q, sizeof(q));
	memset(req + sizeof(q), 'x', data);
	return sizeof(q) + data;
}

static int open_handle(struct fs_target *t, const char *path, struct fs_handle *h)
{
	struct s2x_attr a;
	int ret = send_to(t, t->front, X2S_OPEN,
			  path_req(t->vnode, 0, (uint32_t)strlen(path), path, strlen(path)));

	if (ret != sizeof(a))
		return ret < 0 ? ret : -EPROTO;
	memcpy(&a, resp, sizeof(a));
	*h = a.h;
	return 0;
}

static int bad_paths(struct fs_target *t, const char *path)
{
	static char longest[NET_PATH_MAX + 1], below[NET_PATH_MAX];
	uint32_t n = (uint32_t)strlen(path);
	int below_n = snprintf(below, sizeof(below), "%s/d", path);
	int bad = 0;

	memset(longest, 'a', sizeof(longest));
	longest[0] = '/';
	bad += refused("path_len_above_message",
		       send_to(t, t->front, X2S_OPEN, path_req(t->vnode, 0, n + 9, path, n)));
	bad += refused("path_len_below_message",
		       send_to(t, t->front, X2S_STAT, path_req(t->vnode, 0, n - 1, path, n)));
	bad += refused("path_with_nul",
		       send_to(t, t->front, X2S_OPEN, path_req(t->vnode, 0, 4, "/a\0b", 4)));
	bad += refused("path_too_long",
		       send_to(t, t->front, X2S_MKDIR,
			       path_req(t->vnode, 0, sizeof(longest), longest, sizeof(longest))));
	bad += refused("path_empty", send_to(t, t->front, X2S_STAT,
					     path_req(t->vnode, 0, 0, "", 0)));
	bad += refused("vnode_zero",
		       send_to(t, t->front, X2S_OPEN, path_req(0, 0, n, path, n)));
	bad += refused("mkdir_below_a_file",
		       send_to(t, t->front, X2S_MKDIR,
			       path_req(t->vnode, 0, (uint32_t)below_n, below, (size_t)below_n)));
	return bad;
}

static int bad_io(struct fs_target *t, struct fs_handle h)
{
	struct fs_handle forged = h, borrowed = h;
	int bad = 0;

	forged.gen ^= 0x5a5a5a5a;
	borrowed.vnode = t->vnode + 1;
	bad += refused("read_too_long",
		       send_to(t, t->front, X2S_READ, io_req(h, 0, NET_FS_IO_MAX + 1, 0, 0)));
	bad += no_bytes("read_offset_wraps",
			send_to(t, t->front, X2S_READ, io_req(h, ~0ULL - 8, 4096, 0, 0)));
	bad += refused("write_len_above_message",
		       send_to(t, t->front, X2S_WRITE, io_req(h, 0, 100, 0, 50)));
	bad += refused("write_len_below_message",
		       send_to(t, t->front, X2S_WRITE, io_req(h, 0, 10, 0, 50)));
	bad += refused("write_far_offset",
		       send_to(t, t->front, X2S_WRITE, io_req(h, FAR, 16, 0, 16)));
	bad += refused("write_offset_wraps",
		       send_to(t, t->front, X2S_WRITE, io_req(h, ~0ULL - 8, 16, 0, 16)));
	bad += refused("truncate_far",
		       send_to(t, t->front, X2S_TRUNCATE, io_req(h, FAR, 0, 0, 0)));
	bad += refused("write_forged_handle",
		       send_to(t, t->front, X2S_WRITE, io_req(forged, 0, 16, 0, 16)));
	bad += refused("write_borrowed_handle",
		       send_to(t, t->front, X2S_WRITE, io_req(borrowed, 0, 16, 0, 16)));
	bad += refused("fsync_forged_handle",
		       send_to(t, t->front, X2S_FSYNC, io_req(forged, 0, 0, 0, 0)));
	bad += refused("readdir_of_a_file",
		       send_to(t, t->front, X2S_READDIR, io_req(h, 0, NET_FS_DIRENT_MAX, 0, 0)));
	return bad;
}

static int bad_others(struct fs_target *t, const char *path)
{
	struct x2s_path2 q = { .vnode = t->vnode, .len1 = 2, .len2 = 40 };
	uint32_t n = (uint32_t)strlen(path);
	int bad = 0;

	memcpy(req, &q, sizeof(q));
	memcpy(req + sizeof(q), "/a/b", 4);
	bad += refused("rename_lengths_disagree", send_to(t, t->front, X2S_RENAME,
							  sizeof(q) + 4));
	bad += refused("statfs_short", send_to(t, t->front, X2S_STATFS, 3));
	bad += refused("unknown_opcode", send_to(t, t->front, X2S_STATFS + 40, 16));
	bad += refused("straight_to_smon",
		       send_to(t, t->smon, X2S_STAT, path_req(t->vnode, 0, n, path, n)));
	return bad;
}

int tool_fs_inject(struct fs_target *t, const char *path)
{
	uint8_t ping[16] = "still there?";
	struct fs_handle h;
	int bad, ret = open_handle(t, path, &h);

	if (ret) {
		fprintf(stderr, "tessera-net: cannot open %s: %s\n", path, strerror(-ret));
		return 1;
	}
	bad = bad_paths(t, path) + bad_io(t, h) + bad_others(t, path);
	for (unsigned i = 0; i < 2; i++) {
		uint8_t node = i ? t->smon : t->front;

		ret = host_rpc(t->h, node, ANY_ECHO, ping, sizeof(ping), resp, sizeof(resp),
			       TIMEOUT);
		printf("node=%u alive=%s\n", node, ret == sizeof(ping) ? "yes" : "no");
		bad += ret != sizeof(ping);
	}
	printf("failures=%d\n", bad);
	return bad ? 1 : 0;
}
