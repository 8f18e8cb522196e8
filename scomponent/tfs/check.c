/*
 * tfs_check: a full consistency check of the committed tree (what a crash would leave),
 * reporting each problem instead of stopping at the first. The host tool's `check`,
 * the tests and the fuzzer run it; it reads through the cache and changes nothing.
 */
#include "tfs_int.h"
#include "kernel/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define REPORT_MAX 200

/* What the check learns about one inode slot. */
struct ck_inode {
	uint32_t mode;		/* 0: free */
	uint32_t gen;
	uint32_t nlink;
	uint32_t parent;	/* a directory's ".." (slot) */
	uint32_t refs;		/* directory entries naming it */
	uint32_t subdirs;	/* directories among its entries */
	uint32_t holder;	/* the directory whose entry names it (the last one) */
};

struct ck {
	struct tfs *fs;
	tfs_report_fn report;
	void *arg;
	long problems;
	uint64_t *seen;		/* blocks the tree uses */
	uint64_t nseen;
	struct ck_inode *ino;
	uint64_t ninodes;
	struct tfs_dinode itable;	/* the committed one */
	uint32_t slot;		/* the inode whose map is walked */
	uint64_t mapped;	/* blocks found in its map */
	uint64_t nleaves;	/* index bound of its leaves */
};

static void problem(struct ck *ck, const char *fmt, uint64_t a, uint64_t b, uint64_t c)
{
	char line[160];

	if (ck->problems++ < REPORT_MAX && ck->report) {
		ksnprintf(line, sizeof(line), fmt, (unsigned long long)a, (unsigned long long)b,
			  (unsigned long long)c);
		ck->report(ck->arg, line);
	}
}

static int ck_mark(void *arg, uint64_t blk, unsigned level, uint64_t index)
{
	struct ck *ck = arg;

	if (blk < 2 || blk >= ck->fs->nblocks) {
		problem(ck, "inode %llu: block pointer %llu out of range", ck->slot, blk, 0);
		return 1;
	}
	if (tfs_bit(ck->seen, blk)) {
		problem(ck, "block %llu referenced twice (again by inode %llu)", blk, ck->slot, 0);
		return 1;
	}
	tfs_bit_set(ck->seen, blk);
	ck->nseen++;
	ck->mapped++;
	if (level == 0 && index >= ck->nleaves)
		problem(ck, "inode %llu: block %llu lies past its end (index %llu)", ck->slot, blk,
			index);
	return 0;
}

static int ck_bad(void *arg, uint64_t blk, int rc)
{
	struct ck *ck = arg;

	if (rc != -EUCLEAN)
		return rc;
	problem(ck, "inode %llu: map block %llu: bad header or checksum", ck->slot, blk, 0);
	return 0;
}

/* Walk one inode's map, claiming its blocks. */
static int ck_map(struct ck *ck, uint32_t slot, const struct tfs_dinode *di)
{
	struct tfs_walk w = { ck_mark, ck_bad, ck };
	int rc;

	ck->slot = slot;
	ck->mapped = 0;
	ck->nleaves = (di->size + TFS_BLOCK_SIZE - 1) / TFS_BLOCK_SIZE;
	rc = tfs_bmap_walk(ck->fs, di, slot, &w);
	if (rc == 0 && ck->mapped != di->blocks)
		problem(ck, "inode %llu: says %llu blocks, its map holds %llu", slot, di->blocks,
			ck->mapped);
	return rc;
}

static int ck_learn(struct ck *ck, uint32_t slot, const struct tfs_dinode *di)
{
	struct ck_inode *ci = &ck->ino[slot];

	if (di->mode == 0)
		return 0;
	if (slot == 0 || !tfs_inode_sane(di, ck->fs->nblocks)) {
		problem(ck, "inode %llu: impossible fields (mode %llo, size %llu)", slot, di->mode,
			di->size);
		return 0;
	}
	ci->mode = di->mode;
	ci->gen = di->gen;
	ci->nlink = di->nlink;
	ci->parent = tfs_slot(di->parent);
	return ck_map(ck, slot, di);
}

static int ck_dir(struct ck *ck, uint32_t slot, const struct tfs_dinode *di);

/* Call fn on every committed inode (pass 1 learns them, pass 2 reads directories). */
static int ck_inodes(struct ck *ck, int (*fn)(struct ck *, uint32_t, const struct tfs_dinode *))
{
	uint64_t idx, nblk = ck->itable.size / TFS_BLOCK_SIZE, blk;
	struct tfs_dinode di;
	struct tfs_buf *b;
	uint32_t i;
	int rc = 0;

	for (idx = 0; idx < nblk && rc == 0; idx++) {
		struct tfs_want want = { TFS_MAGIC_INODE, 0, (uint32_t)idx };

		rc = tfs_bmap_get(ck->fs, &ck->itable, 0, idx, &blk);
		if (rc == 0 && !blk)
			rc = -ENOENT;
		if (rc == 0)
			rc = tfs_buf_read(ck->fs, blk, &want, &b);
		if (rc == -EUCLEAN || rc == -ENOENT) {
			if (fn == ck_learn)
				problem(ck, "inode table block %llu (index %llu): missing or corrupt",
					blk, idx, 0);
			rc = 0;
			continue;
		}
		for (i = 0; i < TFS_INODES_PER_BLOCK && rc == 0; i++) {
			memcpy(&di, b->data + sizeof(struct tfs_bhdr) + i * sizeof(di), sizeof(di));
			rc = fn(ck, (uint32_t)(idx * TFS_INODES_PER_BLOCK + i), &di);
		}
		tfs_buf_put(ck->fs, b);
	}
	return rc;
}

/* One directory entry: does it name a live inode of its type, one place only? */
static void ck_entry(struct ck *ck, uint32_t dir, const struct tfs_dirent *r)
{
	uint32_t t = tfs_slot(r->ino);
	struct ck_inode *ci = &ck->ino[t < ck->ninodes ? t : 0];

	if (t == 0 || t >= ck->ninodes || !ci->mode) {
		problem(ck, "directory %llu: an entry names free inode %llu", dir, t, 0);
		return;
	}
	if (ci->gen != (uint32_t)(r->ino >> 32)) {
		problem(ck, "directory %llu: an entry names inode %llu of generation %llu",
			dir, t, r->ino >> 32);
		return;
	}
	if (r->type != tfs_dtype(ci->mode))
		problem(ck, "directory %llu: entry type %llu for inode %llu", dir, r->type, t);
	ci->refs++;
	ci->holder = dir;
	if (tfs_type(ci->mode) != TFS_S_IFDIR)
		return;
	ck->ino[dir].subdirs++;
	if (ci->parent != dir)
		problem(ck, "directory %llu: its '..' is %llu but directory %llu holds it", t,
			ci->parent, dir);
}

static int ck_dir_block(struct ck *ck, uint32_t slot, const struct tfs_dinode *di, uint64_t idx)
{
	struct tfs_want want = { TFS_MAGIC_DIR, slot, (uint32_t)idx };
	struct tfs_buf *b;
	uint64_t blk;
	size_t off;
	int rc = tfs_bmap_get(ck->fs, di, slot, idx, &blk);

	if (rc == 0 && blk)
		rc = tfs_buf_read(ck->fs, blk, &want, &b);
	if (rc == -EUCLEAN) {
		problem(ck, "directory %llu: block %llu (index %llu): bad header, checksum "
			"or entries", slot, blk, idx);
		return 0;
	}
	if (rc < 0 || !blk)
		return rc;
	for (off = sizeof(struct tfs_bhdr); off < TFS_BLOCK_SIZE;) {
		const struct tfs_dirent *r = (const void *)(b->data + off);

		if (r->ino)
			ck_entry(ck, slot, r);
		off += r->reclen;
	}
	tfs_buf_put(ck->fs, b);
	return 0;
}

static int ck_dir(struct ck *ck, uint32_t slot, const struct tfs_dinode *di)
{
	uint64_t idx;
	int rc = 0;

	if (!ck->ino[slot].mode || tfs_type(di->mode) != TFS_S_IFDIR)
		return 0;
	for (idx = 0; idx < di->size / TFS_BLOCK_SIZE && rc == 0; idx++)
		rc = ck_dir_block(ck, slot, di, idx);
	return rc;
}

/* Link counts against the entries found, and every directory hangs off the top. */
static void ck_links(struct ck *ck, uint32_t s)
{
	struct ck_inode *ci = &ck->ino[s];
	bool dir = tfs_type(ci->mode) == TFS_S_IFDIR;
	uint64_t want = dir ? 2 + ci->subdirs : ci->refs;

	if (s == TFS_ROOT_SLOT) {
		if (ci->refs || !dir || ci->parent != s)
			problem(ck, "the top directory (inode %llu) is damaged", s, 0, 0);
	} else if (ci->refs == 0) {
		problem(ck, "inode %llu is in no directory", s, 0, 0);
		return;		/* its link count says nothing more */
	} else if (dir && ci->refs > 1) {
		problem(ck, "directory %llu is in %llu directories", s, ci->refs, 0);
	}
	if (ci->nlink != want)
		problem(ck, "inode %llu: link count %llu, should be %llu", s, ci->nlink, want);
}

/* Climb from each directory through the ones holding it: each climb must reach the top. */
static int ck_loops(struct ck *ck)
{
	uint8_t *state = tfs_zalloc(ck->fs, ck->ninodes);	/* 1: this climb, 2: done */
	uint64_t d, x;

	if (!state)
		return -ENOMEM;
	state[TFS_ROOT_SLOT] = 2;
	for (d = 1; d < ck->ninodes; d++) {
		if (tfs_type(ck->ino[d].mode) != TFS_S_IFDIR || ck->ino[d].refs != 1)
			continue;
		for (x = d; state[x] == 0 && ck->ino[x].refs == 1; x = ck->ino[x].holder)
			state[x] = 1;
		if (state[x] == 1)
			problem(ck, "loop in directories (through directory %llu)", x, 0, 0);
		for (x = d; state[x] == 1; x = ck->ino[x].holder)
			state[x] = 2;
	}
	tfs_free(ck->fs, state);
	return 0;
}

/* Block and inode counts the superblock recorded, against the walk's. */
static void ck_counts(struct ck *ck)
{
	uint64_t used = 0, s, nfree = ck->fs->nblocks - 2 - ck->nseen;

	for (s = 1; s < ck->ninodes; s++) {
		if (!ck->ino[s].mode)
			continue;
		used++;
		ck_links(ck, (uint32_t)s);
	}
	if (nfree != ck->fs->csb.free_blocks)
		problem(ck, "free blocks: the superblock says %llu, the tree leaves %llu",
			ck->fs->csb.free_blocks, nfree, 0);
	if (used != ck->fs->csb.used_inodes)
		problem(ck, "used inodes: the superblock says %llu, the tree has %llu",
			ck->fs->csb.used_inodes, used, 0);
}

static int ck_run(struct ck *ck)
{
	int rc = ck_map(ck, 0, &ck->itable);

	if (rc == 0)
		rc = ck_inodes(ck, ck_learn);
	if (rc == 0)
		rc = ck_inodes(ck, ck_dir);
	if (rc == 0 && !ck->ino[TFS_ROOT_SLOT].mode)
		problem(ck, "no top directory", 0, 0, 0);
	if (rc == 0)
		ck_counts(ck);
	return rc == 0 ? ck_loops(ck) : rc;
}

/* Returns the number of problems found, or an error that stopped the check. */
long tfs_check(struct tfs *fs, tfs_report_fn report, void *arg)
{
	struct ck ck = { .fs = fs, .report = report, .arg = arg };
	char line[64];
	int rc = -ENOMEM;

	ck.itable = fs->csb.itable;
	ck.ninodes = ck.itable.size / TFS_BLOCK_SIZE * TFS_INODES_PER_BLOCK;
	ck.seen = tfs_zalloc(fs, (fs->nblocks + 63) / 64 * sizeof(uint64_t));
	ck.ino = tfs_zalloc(fs, ck.ninodes * sizeof(*ck.ino));
	if (ck.seen && ck.ino)
		rc = ck_run(&ck);
	tfs_free(fs, ck.seen);
	tfs_free(fs, ck.ino);
	if (rc < 0)
		return rc;
	if (ck.problems > REPORT_MAX && report) {
		ksnprintf(line, sizeof(line), "... and %ld more problems", ck.problems - REPORT_MAX);
		report(arg, line);
	}
	return ck.problems;
}
