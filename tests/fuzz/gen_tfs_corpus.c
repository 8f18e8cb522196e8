/*
 * Writes the tfs fuzz target's seed corpus (tests/fuzz/corpus_tfs/, `make fuzz-corpus`):
 * small valid images (empty, a tree with links, a sparse file with a two-level map, a
 * directory of several blocks), in the target's input format up to the last block used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_tfs.h"

static const char *dir;
static struct fuzz_tfs f;
static struct tfs *fs;
static uint64_t root;

static void fail(const char *what)
{
	fprintf(stderr, "gen_tfs_corpus: %s failed\n", what);
	exit(1);
}

static void begin(void)
{
	char err[160];

	if (tfs_format(&f.dev, &fuzz_tfs_ops) < 0)
		fail("format");
	if (tfs_mount(&fs, &f.dev, &fuzz_tfs_ops, NULL, err, sizeof(err)) < 0)
		fail(err);
	if (tfs_vnode_root(fs, 1, true, &root) < 0)
		fail("vnode root");
}

static bool zero(const uint8_t *block)
{
	for (size_t i = 0; i < TFS_BLOCK_SIZE; i++)
		if (block[i])
			return false;
	return true;
}

static void end(const char *name, uint8_t flags)
{
	static uint8_t records[FUZZ_TFS_BLOCKS * (TFS_BLOCK_SIZE + 2)];
	size_t nblocks = FUZZ_TFS_BLOCKS, len;
	char path[512];
	FILE *out;

	if (tfs_sync(fs) < 0 || tfs_check(fs, NULL, NULL) != 0)
		fail(name);
	tfs_unmount(fs);
	while (nblocks && zero(f.img + (nblocks - 1) * TFS_BLOCK_SIZE))
		nblocks--;
	len = fuzz_tfs_save(&f, records, nblocks);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = fopen(path, "wb");
	if (!out || fputc(flags, out) == EOF || fwrite(records, 1, len, out) != len || fclose(out))
		fail(path);
}

static uint64_t file(uint64_t in, const char *name, uint64_t off, const char *text)
{
	uint64_t ino;

	if (tfs_create(fs, in, name, 0644, 0, 0, &ino) < 0 ||
	    tfs_write(fs, ino, off, text, strlen(text)) < 0)
		fail(name);
	return ino;
}

static uint64_t dir_in(uint64_t in, const char *name)
{
	uint64_t ino;

	if (tfs_mkdir(fs, in, name, 0755, 0, 0, &ino) < 0)
		fail(name);
	return ino;
}

static void seed_tree(void)
{
	uint64_t a, b, f1, ino;

	begin();
	a = dir_in(root, "a");
	b = dir_in(a, "b");
	f1 = file(root, "f", 0, "hello");
	file(b, "g", 0, "deeper");
	if (tfs_symlink(fs, root, "l", "a/b/g", 0, 0, &ino) < 0 ||
	    tfs_symlink(fs, b, "up", "../..", 0, 0, &ino) < 0 || tfs_link(fs, f1, a, "h") < 0)
		fail("links");
	end("tree", FUZZ_TFS_FIX_CRC | FUZZ_TFS_CHANGE);
}

static void seed_sparse(void)
{
	begin();
	file(root, "sparse", (uint64_t)3 << 20, "far");
	end("sparse", FUZZ_TFS_FIX_CRC);
}

static void seed_big_dir(void)
{
	uint64_t d;
	char name[64];
	int i;

	begin();
	d = dir_in(root, "many");
	for (i = 0; i < 90; i++) {
		snprintf(name, sizeof(name), "a-rather-long-file-name-number-%d", i);
		file(d, name, 0, "");
	}
	end("big_dir", FUZZ_TFS_FIX_CRC | FUZZ_TFS_CHANGE);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	fuzz_tfs_init(&f);
	memset(f.img, 0, FUZZ_TFS_BLOCKS * TFS_BLOCK_SIZE);
	begin();
	end("empty", 0);
	seed_tree();
	seed_sparse();
	seed_big_dir();
	return 0;
}
