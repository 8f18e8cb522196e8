/*
 * The tfs fuzzing harness (see fuzz_tfs.h): a memory disk, walks bounded in depth and
 * count, and a few changes that make the library allocate, free and commit over
 * whatever the input left on the disk.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzz_tfs.h"
#include "net/wire.h"

#define WALK_DEPTH 8
#define WALK_MAX 400

static int mem_read(void *ctx, uint64_t blk, void *buf)
{
	struct fuzz_tfs *f = ctx;

	memcpy(buf, f->img + blk * TFS_BLOCK_SIZE, TFS_BLOCK_SIZE);
	return 0;
}

static int mem_write(void *ctx, uint64_t blk, const void *buf)
{
	struct fuzz_tfs *f = ctx;

	memcpy(f->img + blk * TFS_BLOCK_SIZE, buf, TFS_BLOCK_SIZE);
	return 0;
}

static int mem_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

static long *live;

static void *f_alloc(void *ctx, size_t size)
{
	(void)ctx;
	(*live)++;
	return malloc(size);
}

static void f_free(void *ctx, void *p)
{
	(void)ctx;
	(*live)--;
	free(p);
}

static uint64_t f_now(void *ctx)
{
	static uint64_t t;

	(void)ctx;
	return t += 1000;
}

const struct tfs_ops fuzz_tfs_ops = { f_alloc, f_free, f_now, NULL };

void fuzz_tfs_init(struct fuzz_tfs *f)
{
	f->img = malloc(FUZZ_TFS_BLOCKS * TFS_BLOCK_SIZE);
	f->dev = (struct tfs_dev){ mem_read, mem_write, mem_flush, FUZZ_TFS_BLOCKS, f };
	f->live = 0;
	live = &f->live;
}

static bool is_meta(uint32_t magic)
{
	return magic == TFS_MAGIC_SUPER || magic == TFS_MAGIC_INODE || magic == TFS_MAGIC_MAP ||
	       magic == TFS_MAGIC_DIR;
}

void fuzz_tfs_load(struct fuzz_tfs *f, const uint8_t *in, size_t len, bool fix_crc)
{
	size_t pos = 0, b, n;

	memset(f->img, 0, FUZZ_TFS_BLOCKS * TFS_BLOCK_SIZE);
	for (b = 0; b < FUZZ_TFS_BLOCKS && pos + 2 <= len; b++) {
		n = (size_t)in[pos] | (size_t)in[pos + 1] << 8;
		pos += 2;
		if (n > TFS_BLOCK_SIZE)
			n = TFS_BLOCK_SIZE;
		if (n > len - pos)
			n = len - pos;
		memcpy(f->img + b * TFS_BLOCK_SIZE, in + pos, n);
		pos += n;
	}
	for (b = 0; fix_crc && b < FUZZ_TFS_BLOCKS; b++) {
		struct tfs_bhdr *h = (void *)(f->img + b * TFS_BLOCK_SIZE);

		if (!is_meta(h->magic))
			continue;
		h->crc = 0;
		h->crc = crc32c(0, h, TFS_BLOCK_SIZE);
	}
}

size_t fuzz_tfs_save(const struct fuzz_tfs *f, uint8_t *out, size_t nblocks)
{
	size_t used = 0, b, n;

	for (b = 0; b < nblocks; b++) {
		const uint8_t *blk = f->img + b * TFS_BLOCK_SIZE;

		for (n = TFS_BLOCK_SIZE; n && !blk[n - 1]; n--)
			;
		out[used++] = (uint8_t)n;
		out[used++] = (uint8_t)(n >> 8);
		memcpy(out + used, blk, n);
		used += n;
	}
	return used;
}

/* Read everything under dir as a user would: entries, contents, link targets. */
static void walk(struct tfs *fs, uint64_t dir, int depth, int *budget)
{
	static char buf[8192];
	struct tfs_dirent_out e[8];
	struct tfs_stat st;
	uint64_t cookie = 0, ino;
	int n, i;

	while (depth < WALK_DEPTH && *budget > 0 && (n = tfs_readdir(fs, dir, &cookie, e, 8)) > 0) {
		for (i = 0; i < n && --*budget > 0; i++) {
			if (e[i].name[0] == '.' && (!e[i].name[1] || !strcmp(e[i].name, "..")))
				continue;
			tfs_getattr(fs, e[i].ino, &st);
			tfs_read(fs, e[i].ino, 0, buf, sizeof(buf));
			tfs_read(fs, e[i].ino, 1ULL << 32, buf, 16);
			tfs_readlink(fs, e[i].ino, buf, sizeof(buf));
			tfs_resolve(fs, dir, e[i].name, true, &ino);
			if (e[i].type == TFS_DT_DIR)
				walk(fs, e[i].ino, depth + 1, budget);
		}
	}
}

/* Make the library allocate, copy, free and commit on top of the fuzzed tree. */
static void change(struct tfs *fs)
{
	static const char data[5000] = "fuzz";
	uint64_t root, ino, dir;

	if (tfs_vnode_root(fs, 1, true, &root) < 0)
		return;
	if (tfs_create(fs, root, "new", 0644, 0, 0, &ino) == 0) {
		tfs_write(fs, ino, 4000, data, sizeof(data));
		tfs_truncate(fs, ino, 100);
	}
	if (tfs_mkdir(fs, root, "d", 0755, 0, 0, &dir) == 0)
		tfs_rename(fs, root, "new", dir, "moved", 0);
	tfs_symlink(fs, root, "l", "d/moved", 0, 0, &ino);
	tfs_resolve(fs, root, "/l/../d/./moved", true, &ino);
	tfs_unlink(fs, root, "a");
	tfs_rmdir(fs, root, "b");
	tfs_sync(fs);
	tfs_check(fs, NULL, NULL);
}

void fuzz_tfs_run(struct fuzz_tfs *f, uint8_t flags)
{
	struct tfs_limits lim = { 16, 32 };
	struct tfs *fs;
	char err[160];
	int budget = WALK_MAX;

	if (tfs_mount(&fs, &f->dev, &fuzz_tfs_ops, &lim, err, sizeof(err)) < 0) {
		if (f->live)
			abort();	/* a failed mount leaked */
		return;
	}
	walk(fs, tfs_top(fs), 0, &budget);
	tfs_check(fs, NULL, NULL);
	if (flags & FUZZ_TFS_CHANGE)
		change(fs);
	tfs_unmount(fs);
	if (f->live)
		abort();		/* unmount leaked */
}
