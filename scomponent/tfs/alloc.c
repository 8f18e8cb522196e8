/*
 * tfs's free space: three bitmaps over the blocks, derived at mount from the committed
 * tree. A block freed while the committed tree still uses it stays allocated until the
 * commit that frees it is durable. Also the bracket every changing operation runs in.
 */
#include "tfs_int.h"
#include "kernel/errno.h"
#include "lib/string.h"

void *tfs_zalloc(struct tfs *fs, size_t size)
{
	void *p = fs->ops.alloc(fs->ops.ctx, size);

	if (p)
		memset(p, 0, size);
	return p;
}

void tfs_free(struct tfs *fs, void *p)
{
	if (p)
		fs->ops.free(fs->ops.ctx, p);
}

/* Empty bitmaps but for the superblocks; bits past the last block read as used. */
int tfs_alloc_init(struct tfs *fs)
{
	size_t words = (fs->nblocks + 63) / 64, bytes = words * sizeof(uint64_t);
	uint64_t i;

	fs->used = tfs_zalloc(fs, bytes);
	fs->fresh = tfs_zalloc(fs, bytes);
	fs->pending = tfs_zalloc(fs, bytes);
	if (!fs->used || !fs->fresh || !fs->pending)
		return -ENOMEM;
	for (i = fs->nblocks; i < words * 64; i++)
		tfs_bit_set(fs->used, i);
	tfs_bit_set(fs->used, 0);
	tfs_bit_set(fs->used, 1);
	fs->nfree = fs->nblocks - 2;
	fs->hint = 2;
	return 0;
}

void tfs_alloc_fini(struct tfs *fs)
{
	tfs_free(fs, fs->used);
	tfs_free(fs, fs->fresh);
	tfs_free(fs, fs->pending);
}

bool tfs_fresh(const struct tfs *fs, uint64_t blk)
{
	return blk < fs->nblocks && tfs_bit(fs->fresh, blk);
}

/* A free block, now allocated to this transaction; the scan goes on from the last one. */
int tfs_balloc(struct tfs *fs, uint64_t *blk)
{
	size_t words = (fs->nblocks + 63) / 64, w = fs->hint / 64, n;

	if (fs->nfree == 0)
		return -ENOSPC;
	for (n = 0; n <= words; n++, w = (w + 1) % words) {
		uint64_t b;

		if (fs->used[w] == ~0ULL)
			continue;
		b = w * 64 + (uint64_t)__builtin_ctzll(~fs->used[w]);
		tfs_bit_set(fs->used, b);
		tfs_bit_set(fs->fresh, b);
		fs->nfree--;
		fs->hint = b + 1 < fs->nblocks ? b + 1 : 2;
		fs->mutations++;
		*blk = b;
		return 0;
	}
	return -ENOSPC;
}

/* Give blk back: at once if this transaction made it, else after the commit. */
void tfs_bfree(struct tfs *fs, uint64_t blk)
{
	if (blk < 2 || blk >= fs->nblocks || !tfs_bit(fs->used, blk))
		return;
	fs->mutations++;
	if (tfs_bit(fs->fresh, blk)) {
		tfs_bit_clear(fs->fresh, blk);
		tfs_bit_clear(fs->used, blk);
		fs->nfree++;
	} else if (!tfs_bit(fs->pending, blk)) {
		tfs_bit_set(fs->pending, blk);
		fs->npending++;
	}
}

/* The commit is durable: what it freed is free. */
void tfs_alloc_commit(struct tfs *fs)
{
	size_t w, words = (fs->nblocks + 63) / 64;

	if (!fs->npending)
		return;
	for (w = 0; w < words; w++) {
		fs->used[w] &= ~fs->pending[w];
		fs->pending[w] = 0;
	}
	fs->nfree += fs->npending;
	fs->npending = 0;
}

/*
 * Make room for need more blocks (beyond the reserve unless reserved): commit first
 * when dirty blocks pass the limit, or when only the blocks this transaction freed
 * would make room. -ENOSPC if that is not enough.
 */
int tfs_step(struct tfs *fs, uint32_t need, bool reserved)
{
	uint64_t want = need + (reserved ? 0 : TFS_RESERVE);
	int rc;

	if (fs->ndirty >= fs->max_dirty || (fs->nfree < want && fs->npending)) {
		rc = tfs_commit(fs);
		if (rc < 0)
			return rc;
	}
	return fs->nfree < want ? -ENOSPC : 0;
}

/* Open an operation that changes the file system (close it with tfs_end). */
int tfs_begin(struct tfs *fs, uint32_t need, bool reserved)
{
	if (fs->broken)
		return -EIO;
	fs->op_mark = fs->mutations;
	return tfs_step(fs, need, reserved);
}

/*
 * Close an operation. One that failed after changing something left the transaction
 * half done: no later commit may write it (the committed state stays as it was).
 */
int tfs_end(struct tfs *fs, int rc)
{
	if (rc < 0 && fs->mutations != fs->op_mark)
		fs->broken = true;
	return rc;
}
