/*
 * The storage monitor's service on the host (smon_host.h): serve.c's handlers over a
 * memory disk, and stand-ins for what disk.c and monitor.c give them. Answers are
 * checked as a client reads them: an attributes answer is whole, a read no longer
 * than asked, a directory listing's entries inside it and aligned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../scomponent/smon.h"
#include "fuzz_rpc.h"
#include "fuzz_tfs.h"
#include "smon_host.h"

#define DISK_BYTES ((size_t)FUZZ_TFS_BLOCKS * TFS_BLOCK_SIZE)
#define BIG_FILE 40000

#define SERVE_OP(op) RPC_OP(op, serve_##op),
const struct rpc_op smon_host_ops[NET_OPCODE_MAX] = {
	X2S_REQUESTS(SERVE_OP)
};

static struct fuzz_tfs disk;
static uint8_t *snapshot;		/* the disk after smon_host_init() */
static struct tfs *fs;			/* mounted from reset to end */
static bool held;			/* disk_get() until disk_put() */
static bool is_mmon[NET_NODES];
static struct fs_handle handles[SMON_HOST_HANDLES];
static unsigned nhandles;

static void fail(const char *what)
{
	fprintf(stderr, "smon_host: %s\n", what);
	abort();
}

bool smon_is_mmon(uint8_t node)
{
	return is_mmon[node];
}

/* Requests run one at a time here: a second hold would sleep for ever on smon. */
struct tfs *disk_get(void)
{
	if (held)
		fail("disk_get() while the disk is held");
	held = fs != NULL;
	return fs;
}

void disk_put(void)
{
	if (!held)
		fail("disk_put() without disk_get()");
	held = false;
}

static void mount(void)
{
	char err[160];

	if (tfs_mount(&fs, &disk.dev, &fuzz_tfs_ops, NULL, err, sizeof(err)) < 0)
		fail(err);
}

static uint64_t put_dir(uint64_t in, const char *name)
{
	uint64_t ino;

	if (tfs_mkdir(fs, in, name, 0755, 0, 0, &ino) < 0)
		fail(name);
	return ino;
}

static void put_file(uint64_t in, const char *name, uint32_t mode, const void *data,
		     size_t len)
{
	uint64_t ino;

	if (tfs_create(fs, in, name, mode, 0, 0, &ino) < 0 ||
	    tfs_write(fs, ino, 0, data, len) != (long)len)
		fail(name);
}

static void fill_vnode(uint32_t vnode, const void *prog, size_t prog_len)
{
	static uint8_t big[BIG_FILE];
	uint64_t root, dir, ino;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	if (tfs_vnode_root(fs, vnode, true, &root) < 0)
		fail("vnode root");
	put_file(put_dir(root, "bin"), "prog", 0755, prog, prog_len);
	put_file(put_dir(root, "etc"), "motd", 0644, "hello\n", 6);
	put_file(root, "big", 0644, big, sizeof(big));
	dir = put_dir(root, "dir");
	put_dir(dir, "sub");
	put_file(dir, "empty", 0644, "", 0);
	if (tfs_symlink(fs, root, "link", "etc/motd", 0, 0, &ino) < 0)
		fail("link");
}

void smon_host_init(const uint8_t *mmons, unsigned n, const void *prog, size_t prog_len)
{
	static const char script[] = "#!/bin/sh\necho hi\n";

	fuzz_tfs_init(&disk);
	memset(disk.img, 0, DISK_BYTES);
	for (unsigned i = 0; i < n; i++)
		is_mmon[mmons[i]] = true;
	if (!prog) {
		prog = script;
		prog_len = sizeof(script) - 1;
	}
	if (tfs_format(&disk.dev, &fuzz_tfs_ops) < 0)
		fail("format");
	mount();
	fill_vnode(1, prog, prog_len);
	fill_vnode(7, prog, prog_len);
	if (tfs_sync(fs) < 0)
		fail("sync");
	tfs_unmount(fs);
	fs = NULL;
	snapshot = malloc(DISK_BYTES);
	if (!snapshot)
		fail("no memory");
	memcpy(snapshot, disk.img, DISK_BYTES);
}

void smon_host_reset(void)
{
	memcpy(disk.img, snapshot, DISK_BYTES);
	nhandles = 0;
	mount();
}

static void remember(const struct fs_handle *h)
{
	for (unsigned i = 0; i < nhandles; i++)
		if (!memcmp(&handles[i], h, sizeof(*h)))
			return;
	if (nhandles < SMON_HOST_HANDLES)
		handles[nhandles++] = *h;
}

/* A listing: count entries, each aligned, its name inside it, filling the answer. */
static void check_listing(const uint8_t *resp, int ret)
{
	struct s2x_readdir r;
	struct fs_dirent d;
	size_t off = sizeof(r);

	if ((size_t)ret < sizeof(r))
		fail("short listing");
	memcpy(&r, resp, sizeof(r));
	for (uint32_t i = 0; i < r.count; i++) {
		if (off + sizeof(d) > (size_t)ret)
			fail("listing: entry past the answer");
		memcpy(&d, resp + off, sizeof(d));
		if (d.reclen % 8 || d.reclen < sizeof(d) + d.namelen || !d.namelen ||
		    off + d.reclen > (size_t)ret)
			fail("listing: bad entry");
		off += d.reclen;
	}
	if (off != (size_t)ret)
		fail("listing: bytes after the entries");
}

int smon_host_call(uint8_t peer, uint16_t op, const void *req, size_t len, void *resp,
		   size_t resp_max)
{
	int ret = fuzz_rpc_call(smon_host_ops, NET_OPCODE_MAX, peer, op, req, len, resp,
				resp_max);
	struct s2x_attr a;
	struct x2s_io q;

	if (ret < 0)
		return ret;
	if (op == X2S_OPEN || op == X2S_STAT || op == X2S_GETATTR) {
		if (ret != sizeof(a))
			fail("attributes answer of the wrong size");
		memcpy(&a, resp, sizeof(a));
		remember(&a.h);
	} else if (op == X2S_READ) {
		memcpy(&q, req, sizeof(q));
		if ((uint32_t)ret > q.len)
			fail("read answered more than asked");
	} else if (op == X2S_READDIR) {
		check_listing(resp, ret);
	}
	return ret;
}

static void fix_path(uint8_t *req, size_t len)
{
	struct x2s_path p;

	memcpy(&p, req, sizeof(p));
	p.len = (uint32_t)(len - sizeof(p));
	memcpy(req, &p, sizeof(p));
}

/* The first string keeps its length if it fits; the second takes the rest. */
static void fix_path2(uint8_t *req, size_t len)
{
	struct x2s_path2 p;
	uint32_t both = (uint32_t)(len - sizeof(p));

	memcpy(&p, req, sizeof(p));
	if (p.len1 > both)
		p.len1 = both / 2;
	p.len2 = both - p.len1;
	memcpy(req, &p, sizeof(p));
}

static void fix_io(uint16_t op, uint8_t *req, size_t len, const struct fs_handle *h)
{
	struct x2s_io q;

	memcpy(&q, req, sizeof(q));
	if (op == X2S_WRITE)
		q.len = (uint32_t)(len - sizeof(q));
	if (h)
		q.h = *h;
	memcpy(req, &q, sizeof(q));
}

void smon_host_fix(uint16_t op, uint8_t *req, size_t len, int pick)
{
	const struct fs_handle *h = NULL;

	if (pick >= 0 && nhandles)
		h = &handles[nhandles - 1 - (unsigned)pick % nhandles];
	switch (op) {
	case X2S_OPEN: case X2S_STAT: case X2S_MKDIR: case X2S_UNLINK: case X2S_READLINK:
		fix_path(req, len);
		break;
	case X2S_RENAME: case X2S_SYMLINK:
		fix_path2(req, len);
		break;
	case X2S_GETATTR:
		if (h)
			memcpy(req, h, sizeof(*h));
		break;
	case X2S_READ: case X2S_WRITE: case X2S_TRUNCATE: case X2S_FSYNC: case X2S_READDIR:
		fix_io(op, req, len, h);
		break;
	}
}

unsigned smon_host_nhandles(void)
{
	return nhandles;
}

const struct fs_handle *smon_host_handle(unsigned i)
{
	return &handles[i];
}

static void report(void *arg, const char *problem)
{
	(void)arg;
	fprintf(stderr, "smon_host: tfs_check: %s\n", problem);
}

/* A commit may fail for space; the tree committed last must be sound either way. */
void smon_host_end(void)
{
	if (held)
		fail("the disk is still held");
	tfs_sync(fs);
	if (tfs_check(fs, report, NULL))
		fail("the file system is not sound");
	tfs_unmount(fs);
	fs = NULL;
	if (disk.live)
		fail("tfs leaked memory");
}
