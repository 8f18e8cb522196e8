/*
 * Writes the storage monitor fuzz target's seeds into DIR (tests/fuzz/corpus_smon/,
 * `make fuzz-corpus`): what a front mmon asks of smon for the tree smon_host.h
 * describes (opens, reads, writes, listings, names made and moved), the same on a
 * full disk, and requests refused for their sender, handle or path. Each seed runs
 * through the target first, and every record must succeed or fail as written here.
 */
#include <stdio.h>
#include "fuzz_rpc.h"
#include "fuzz_smon.h"
#include "x2s_req.h"

#define OK true
#define NO false

static const char *dir;
static struct fuzz_seed seed;
static uint8_t buf[X2S_REQ_MAX];

static void path(uint8_t peer, uint16_t op, uint32_t flags, const char *p, bool ok)
{
	fuzz_seed_rec(&seed, peer | C_FIX, 0, op, buf, x2s_path_req(buf, 1, flags, p), ok);
}

static void path2(uint16_t op, const char *a, const char *b, bool ok)
{
	fuzz_seed_rec(&seed, P_MMON | C_FIX, 0, op, buf, x2s_path2_req(buf, 1, a, b), ok);
}

/* On the pick-th latest handle smon gave. */
static void io(uint8_t pick, uint16_t op, uint64_t offset, uint32_t len, uint32_t flags,
	       bool ok)
{
	fuzz_seed_rec(&seed, P_MMON | C_FIX, pick, op, buf,
		      x2s_io_req(buf, op, offset, len, flags), ok);
}

static void statfs(uint8_t peer, uint32_t vnode, bool ok)
{
	fuzz_seed_rec(&seed, peer, 0, X2S_STATFS, &vnode, sizeof(vnode), ok);
}

static void seed_files(void)
{
	fuzz_seed_begin(&seed, 0);
	path(P_MMON, X2S_OPEN, 0, "/etc/motd", OK);
	io(0, X2S_READ, 0, 100, 0, OK);
	io(0, X2S_WRITE, 6, 4000, X2S_APPEND, OK);
	io(0, X2S_GETATTR, 0, 0, 0, OK);
	io(0, X2S_TRUNCATE, 10, 0, 0, OK);
	io(0, X2S_FSYNC, 0, 0, 0, OK);
	path(P_MMON, X2S_OPEN, 0, "/big", OK);
	io(0, X2S_READ, 32768, 32768, 0, OK);
	io(0, X2S_WRITE, 100000, 20000, X2S_SYNC, OK);
	io(1, X2S_READ, 0, 10, 0, OK);
	path(P_MMON, X2S_OPEN, X2S_CREAT | X2S_EXCL, "/dir/new", OK);
	io(0, X2S_WRITE, 0, 5000, 0, OK);
	path(P_MMON2, X2S_OPEN, X2S_CREAT | X2S_EXCL, "/dir/new", NO);
	path(P_MMON, X2S_OPEN, X2S_TRUNC, "/dir/new", OK);
	fuzz_seed_end(&seed, dir, "files");
}

static void seed_names(void)
{
	fuzz_seed_begin(&seed, 0);
	path(P_MMON, X2S_OPEN, X2S_DIRECTORY, "/dir", OK);
	io(0, X2S_READDIR, 0, 4096, 0, OK);
	path(P_MMON, X2S_STAT, X2S_NOFOLLOW, "/link", OK);
	path(P_MMON, X2S_STAT, 0, "/link", OK);
	path(P_MMON, X2S_READLINK, 0, "/link", OK);
	path(P_MMON, X2S_MKDIR, 0, "/dir/sub/deeper", OK);
	path2(X2S_SYMLINK, "../../etc/motd", "/dir/sub/l", OK);
	path2(X2S_RENAME, "/dir/sub", "/moved", OK);
	path(P_MMON, X2S_STAT, 0, "/moved/l", OK);
	path2(X2S_RENAME, "/etc/motd", "/big", OK);
	path(P_MMON, X2S_UNLINK, 0, "/moved/l", OK);
	path(P_MMON, X2S_UNLINK, X2S_REMOVEDIR, "/moved/deeper", OK);
	path(P_MMON, X2S_UNLINK, X2S_REMOVEDIR, "/moved", OK);
	path(P_MMON, X2S_UNLINK, X2S_REMOVEDIR, "/dir", NO);
	path(P_MMON, X2S_OPEN, X2S_DIRECTORY, "/", OK);
	io(0, X2S_READDIR, 0, 200, 0, OK);
	statfs(P_MMON, 1, OK);
	fuzz_seed_end(&seed, dir, "names");
}

/* A full disk: what needs blocks fails, the rest still works. */
static void seed_full(void)
{
	fuzz_seed_begin(&seed, S_FULL);
	path(P_MMON, X2S_OPEN, 0, "/big", OK);
	io(0, X2S_WRITE, 1 << 20, 30000, 0, NO);
	io(0, X2S_READ, 0, 30000, 0, OK);
	io(0, X2S_TRUNCATE, 0, 0, 0, OK);
	path(P_MMON, X2S_MKDIR, 0, "/d", NO);
	statfs(P_MMON, 1, OK);
	fuzz_seed_end(&seed, dir, "full");
}

/* Refused: a pmon, a stranger, vNode 0, a forged handle, a NUL inside a path. */
static void seed_refused(void)
{
	struct x2s_io forged = { .h = { .vnode = 1, .gen = 1, .ino = 2 }, .len = 10 };
	static const char nul[] = "/etc\0motd";

	fuzz_seed_begin(&seed, 0);
	path(P_PMON, X2S_OPEN, 0, "/etc/motd", NO);
	statfs(P_STRANGER, 1, NO);
	statfs(P_MMON, 0, NO);
	fuzz_seed_rec(&seed, P_MMON, 0, X2S_READ, &forged, sizeof(forged), NO);
	x2s_path_req(buf, 1, 0, "/etc/motd");
	memcpy(buf + sizeof(struct x2s_path), nul, sizeof(nul) - 1);
	fuzz_seed_rec(&seed, P_MMON, 0, X2S_OPEN, buf, sizeof(struct x2s_path) + 9, NO);
	path(P_MMON, X2S_OPEN, 0, "/nope", NO);
	path(P_MMON, X2S_OPEN, X2S_DIRECTORY, "/etc/motd", NO);
	statfs(P_MMON2, 7, OK);
	fuzz_seed_end(&seed, dir, "refused");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	seed_files();
	seed_names();
	seed_full();
	seed_refused();
	return 0;
}
