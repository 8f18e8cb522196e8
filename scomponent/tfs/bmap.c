/*
 * tfs block maps: the radix tree under an inode that maps file block indices to disk
 * blocks, TFS_MAP_FANOUT pointers per interior block, growing in height as the file
 * does. Every change copies the path from the root down (copy on write).
 */
#include "tfs_int.h"
#include "kernel/errno.h"
#include "lib/string.h"

/* How many file blocks a map of this height reaches. */
uint64_t tfs_bmap_cap(unsigned height)
{
	uint64_t cap = 1;

	while (height--)
		cap *= TFS_MAP_FANOUT;
	return cap;
}

static uint64_t *ptrs(struct tfs_buf *b)
{
	return (uint64_t *)(b->data + sizeof(struct tfs_bhdr));
}

static struct tfs_want map_want(uint32_t slot, unsigned level)
{
	return (struct tfs_want){ TFS_MAGIC_MAP, slot, level };
}

/* The disk block of file block idx, or 0 for a hole. */
int tfs_bmap_get(struct tfs *fs, const struct tfs_dinode *di, uint32_t slot, uint64_t idx,
		 uint64_t *blk)
{
	uint64_t p = di->root;
	unsigned level = di->height;
	struct tfs_buf *b;
	int rc;

	*blk = 0;
	if (level > TFS_MAX_HEIGHT || idx >= tfs_bmap_cap(level))
		return 0;
	for (; level > 0 && p; level--) {
		struct tfs_want want = map_want(slot, level);

		rc = tfs_buf_read(fs, p, &want, &b);
		if (rc < 0)
			return rc;
		p = ptrs(b)[(idx / tfs_bmap_cap(level - 1)) % TFS_MAP_FANOUT];
		tfs_buf_put(fs, b);
	}
	if (p && (p < 2 || p >= fs->nblocks))
		return -EUCLEAN;
	*blk = p;
	return 0;
}

/*
 * Make *ptr a block of this transaction, held in *bp: a fresh one is used as is, a
 * committed one copied to a new place (only allocated if whole: the caller overwrites
 * all of it), none made zeroed. The old block is freed; *blocks counts a new one.
 */
static int cow(struct tfs *fs, uint64_t *ptr, const struct tfs_want *want, bool whole,
	       struct tfs_buf **bp, uint64_t *blocks)
{
	struct tfs_buf *old = NULL, *b;
	uint64_t blk;
	int rc;

	if (*ptr && tfs_fresh(fs, *ptr))
		return tfs_buf_read(fs, *ptr, want, bp);
	if (*ptr && !whole) {
		rc = tfs_buf_read(fs, *ptr, want, &old);
		if (rc < 0)
			return rc;
	}
	rc = tfs_balloc(fs, &blk);
	if (rc < 0)
		goto out_put;
	rc = tfs_buf_new(fs, blk, want, &b);
	if (rc < 0) {
		tfs_bfree(fs, blk);
		goto out_put;
	}
	if (old) {
		memcpy(b->data, old->data, TFS_BLOCK_SIZE);
		if (want->magic)
			((struct tfs_bhdr *)b->data)->blkno = blk;
	}
	if (*ptr)
		tfs_bfree(fs, *ptr);
	else
		(*blocks)++;
	*ptr = blk;
	*bp = b;
out_put:
	if (old)
		tfs_buf_put(fs, old);
	return rc;
}

/* Raise the map until it reaches idx: each new root points at the old one. */
static int grow(struct tfs *fs, struct tfs_dinode *di, uint32_t slot, uint64_t idx)
{
	struct tfs_buf *b;
	uint64_t blk;
	int rc;

	if (!di->root) {
		while (idx >= tfs_bmap_cap(di->height))
			di->height++;
		return 0;
	}
	while (idx >= tfs_bmap_cap(di->height)) {
		struct tfs_want want = map_want(slot, di->height + 1u);

		rc = tfs_balloc(fs, &blk);
		if (rc < 0)
			return rc;
		rc = tfs_buf_new(fs, blk, &want, &b);
		if (rc < 0) {
			tfs_bfree(fs, blk);
			return rc;
		}
		ptrs(b)[0] = di->root;
		tfs_buf_put(fs, b);
		di->root = blk;
		di->height++;
		di->blocks++;
	}
	return 0;
}

/*
 * File block idx made writable in this transaction (want says what it is), with the
 * path to it; held in *bp. The caller writes di back.
 */
int tfs_bmap_cow(struct tfs *fs, struct tfs_dinode *di, uint32_t slot, uint64_t idx,
		 const struct tfs_want *want, bool whole, struct tfs_buf **bp)
{
	struct tfs_buf *parent = NULL, *b;
	uint64_t *p = &di->root;
	unsigned level;
	int rc;

	if (idx >= tfs_bmap_cap(TFS_MAX_HEIGHT) || di->height > TFS_MAX_HEIGHT)
		return -EFBIG;
	fs->mutations++;
	rc = grow(fs, di, slot, idx);
	if (rc < 0)
		return rc;
	for (level = di->height; level > 0; level--) {
		struct tfs_want mw = map_want(slot, level);

		rc = cow(fs, p, &mw, false, &b, &di->blocks);
		if (parent)
			tfs_buf_put(fs, parent);
		if (rc < 0)
			return rc;
		parent = b;
		p = &ptrs(b)[(idx / tfs_bmap_cap(level - 1)) % TFS_MAP_FANOUT];
	}
	rc = cow(fs, p, want, whole, bp, &di->blocks);
	if (parent)
		tfs_buf_put(fs, parent);
	return rc;
}

/* Free blk and everything under it (a block of this level). */
static int free_tree(struct tfs *fs, uint64_t blk, unsigned level, uint32_t slot,
		     uint64_t *blocks)
{
	struct tfs_want want = map_want(slot, level);
	struct tfs_buf *b;
	unsigned i;
	int rc;

	if (level > 0) {
		rc = tfs_buf_read(fs, blk, &want, &b);
		if (rc < 0)
			return rc;
		for (i = 0; i < TFS_MAP_FANOUT && rc == 0; i++)
			if (ptrs(b)[i])
				rc = free_tree(fs, ptrs(b)[i], level - 1, slot, blocks);
		tfs_buf_put(fs, b);
		if (rc < 0)
			return rc;
	}
	tfs_bfree(fs, blk);
	(*blocks)--;
	return 0;
}

/* Free the blocks at or past keep under *p, a block of level >= 1 reaching from base. */
static int trunc_level(struct tfs *fs, uint64_t *p, unsigned level, uint32_t slot,
		       uint64_t base, uint64_t keep, uint64_t *blocks)
{
	struct tfs_want want = map_want(slot, level);
	uint64_t child = tfs_bmap_cap(level - 1), first;
	struct tfs_buf *b;
	unsigned i;
	int rc;

	if (!*p)
		return 0;
	rc = cow(fs, p, &want, false, &b, blocks);
	if (rc < 0)
		return rc;
	first = (keep - base + child - 1) / child;
	for (i = (unsigned)first; i < TFS_MAP_FANOUT && rc == 0; i++) {
		if (ptrs(b)[i])
			rc = free_tree(fs, ptrs(b)[i], level - 1, slot, blocks);
		if (rc == 0)
			ptrs(b)[i] = 0;
	}
	if (rc == 0 && (keep - base) % child && level > 1)
		rc = trunc_level(fs, &ptrs(b)[first - 1], level - 1, slot,
				 base + (first - 1) * child, keep, blocks);
	tfs_buf_put(fs, b);
	return rc;
}

/* Lower the map while its root reaches further than keep needs. */
static int shrink(struct tfs *fs, struct tfs_dinode *di, uint32_t slot, uint64_t keep)
{
	struct tfs_buf *b;
	int rc;

	while (di->height > 0 && keep <= tfs_bmap_cap(di->height - 1u)) {
		struct tfs_want want = map_want(slot, di->height);
		uint64_t child;

		if (!di->root)
			break;
		rc = tfs_buf_read(fs, di->root, &want, &b);
		if (rc < 0)
			return rc;
		child = ptrs(b)[0];
		tfs_buf_put(fs, b);
		tfs_bfree(fs, di->root);
		di->blocks--;
		di->root = child;
		di->height--;
	}
	if (!di->root)
		di->height = 0;
	return 0;
}

/* Free every file block at index keep or beyond; the caller writes di back. */
int tfs_bmap_trunc(struct tfs *fs, struct tfs_dinode *di, uint32_t slot, uint64_t keep)
{
	int rc;

	fs->mutations++;
	if (!di->root) {
		di->height = 0;
		return 0;
	}
	if (keep == 0) {
		rc = free_tree(fs, di->root, di->height, slot, &di->blocks);
		if (rc < 0)
			return rc;
		di->root = 0;
		di->height = 0;
		return 0;
	}
	if (keep >= tfs_bmap_cap(di->height))
		return 0;
	rc = trunc_level(fs, &di->root, di->height, slot, 0, keep, &di->blocks);
	if (rc < 0)
		return rc;
	return shrink(fs, di, slot, keep);
}

static int walk(struct tfs *fs, uint64_t blk, unsigned level, uint64_t base, uint32_t slot,
		const struct tfs_walk *w)
{
	struct tfs_want want = map_want(slot, level);
	struct tfs_buf *b;
	unsigned i;
	int rc = w->visit(w->arg, blk, level, base);

	if (rc != 0 || level == 0)
		return rc < 0 ? rc : 0;
	rc = tfs_buf_read(fs, blk, &want, &b);
	if (rc < 0)
		return w->bad(w->arg, blk, rc);
	for (i = 0; i < TFS_MAP_FANOUT && rc == 0; i++)
		if (ptrs(b)[i])
			rc = walk(fs, ptrs(b)[i], level - 1,
				  base + i * tfs_bmap_cap(level - 1), slot, w);
	tfs_buf_put(fs, b);
	return rc;
}

/* Visit every block of di's map, interior ones before what they point at. */
int tfs_bmap_walk(struct tfs *fs, const struct tfs_dinode *di, uint32_t slot,
		  const struct tfs_walk *w)
{
	if (!di->root)
		return 0;
	return walk(fs, di->root, di->height, 0, slot, w);
}
