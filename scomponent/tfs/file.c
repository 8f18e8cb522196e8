/*
 * tfs file contents: read, write and truncate of regular files (and the symlink
 * target reads path.c and ns.c need). Writes copy each block they touch; a write
 * longer than the dirty limit commits on its own between blocks.
 */
#include "tfs_int.h"
#include "kernel/errno.h"
#include "lib/string.h"

static const struct tfs_want data_want;	/* data blocks carry no header */

static size_t min_size(uint64_t a, uint64_t b)
{
	return (size_t)(a < b ? a : b);
}

/* Read from an inode's data; short at its end, zeros for holes. */
long tfs_data_read(struct tfs *fs, const struct tfs_dinode *di, uint32_t slot, uint64_t off,
		   void *buf, size_t len)
{
	uint8_t *dst = buf;
	size_t done = 0;

	if (off >= di->size)
		return 0;
	len = min_size(len, di->size - off);
	while (done < len) {
		uint64_t pos = off + done, blk;
		size_t boff = pos % TFS_BLOCK_SIZE, n = min_size(TFS_BLOCK_SIZE - boff, len - done);
		struct tfs_buf *b;
		int rc = tfs_bmap_get(fs, di, slot, pos / TFS_BLOCK_SIZE, &blk);

		if (rc == 0 && blk)
			rc = tfs_buf_read(fs, blk, &data_want, &b);
		if (rc < 0)
			return done ? (long)done : rc;
		if (blk) {
			memcpy(dst + done, b->data + boff, n);
			tfs_buf_put(fs, b);
		} else {
			memset(dst + done, 0, n);
		}
		done += n;
	}
	return (long)done;
}

/* Copy into block idx of an inode at byte boff; di is written back even on failure. */
static int write_block(struct tfs *fs, struct tfs_dinode *di, uint32_t slot, uint64_t pos,
		       const uint8_t *src, size_t n)
{
	size_t boff = pos % TFS_BLOCK_SIZE;
	struct tfs_buf *b;
	int rc = tfs_bmap_cow(fs, di, slot, pos / TFS_BLOCK_SIZE, &data_want,
			      boff == 0 && n == TFS_BLOCK_SIZE, &b), wrc;

	if (rc == 0) {
		memcpy(b->data + boff, src, n);
		tfs_buf_put(fs, b);
		if (pos + n > di->size)
			di->size = pos + n;
		di->mtime = di->ctime = tfs_now(fs);
	}
	wrc = tfs_inode_write(fs, slot, di);
	return rc < 0 ? rc : wrc;
}

/* Write into an inode's data, growing it; returns bytes written or an error. */
long tfs_data_write(struct tfs *fs, uint64_t ino, uint64_t off, const void *buf, size_t len)
{
	const uint8_t *src = buf;
	struct tfs_dinode di;
	size_t done = 0;
	int rc = 0;

	while (done < len) {
		uint64_t pos = off + done;
		size_t n = min_size(TFS_BLOCK_SIZE - pos % TFS_BLOCK_SIZE, len - done);

		if (done)
			rc = tfs_step(fs, TFS_STEP_BUDGET, false);
		if (rc == 0)
			rc = tfs_iget(fs, ino, &di);
		if (rc == 0)
			rc = write_block(fs, &di, tfs_slot(ino), pos, src + done, n);
		if (rc < 0)
			break;
		done += n;
	}
	return done ? (long)done : rc;
}

/* The regular file a handle names. */
static int file_get(struct tfs *fs, uint64_t ino, struct tfs_dinode *di)
{
	int rc = tfs_iget(fs, ino, di);

	if (rc < 0)
		return rc;
	if (tfs_type(di->mode) == TFS_S_IFDIR)
		return -EISDIR;
	return tfs_type(di->mode) == TFS_S_IFREG ? 0 : -EINVAL;
}

long tfs_read(struct tfs *fs, uint64_t ino, uint64_t off, void *buf, size_t len)
{
	struct tfs_dinode di;
	int rc = file_get(fs, ino, &di);

	if (rc < 0)
		return rc;
	return tfs_data_read(fs, &di, tfs_slot(ino), off, buf, len);
}

long tfs_write(struct tfs *fs, uint64_t ino, uint64_t off, const void *buf, size_t len)
{
	struct tfs_dinode di;
	long n;
	int rc = file_get(fs, ino, &di);

	if (rc < 0)
		return rc;
	if (off >= TFS_MAX_FILE_SIZE)
		return -EFBIG;
	if (len > TFS_MAX_FILE_SIZE - off)
		len = (size_t)(TFS_MAX_FILE_SIZE - off);
	if (len == 0)
		return 0;
	rc = tfs_begin(fs, TFS_STEP_BUDGET, false);
	if (rc < 0)
		return rc;
	n = tfs_data_write(fs, ino, off, buf, len);
	return n < 0 ? tfs_end(fs, (int)n) : n;
}

/* Shrink to size: zero the tail of the last block kept, free the blocks past it. */
static int shrink(struct tfs *fs, uint64_t ino, struct tfs_dinode *di, uint64_t size)
{
	uint32_t slot = tfs_slot(ino);
	size_t boff = size % TFS_BLOCK_SIZE;
	struct tfs_buf *b;
	uint64_t blk;
	int rc = tfs_bmap_get(fs, di, slot, size / TFS_BLOCK_SIZE, &blk);

	if (rc == 0 && blk && boff) {
		rc = tfs_bmap_cow(fs, di, slot, size / TFS_BLOCK_SIZE, &data_want, false, &b);
		if (rc == 0) {
			memset(b->data + boff, 0, TFS_BLOCK_SIZE - boff);
			tfs_buf_put(fs, b);
		}
	}
	if (rc == 0)
		rc = tfs_bmap_trunc(fs, di, slot, (size + TFS_BLOCK_SIZE - 1) / TFS_BLOCK_SIZE);
	return rc;
}

int tfs_truncate(struct tfs *fs, uint64_t ino, uint64_t size)
{
	struct tfs_dinode di;
	int rc = file_get(fs, ino, &di);

	if (rc < 0)
		return rc;
	if (size > TFS_MAX_FILE_SIZE)
		return -EFBIG;
	rc = tfs_begin(fs, TFS_STEP_BUDGET, size < di.size);
	if (rc < 0)
		return rc;
	if (size < di.size)
		rc = shrink(fs, ino, &di, size);
	if (rc == 0) {
		di.size = size;
		di.mtime = di.ctime = tfs_now(fs);
		rc = tfs_inode_write(fs, tfs_slot(ino), &di);
	}
	return tfs_end(fs, rc);
}
