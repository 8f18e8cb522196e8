/*
 * tfs superblocks and commits: the two alternating superblocks, what makes one valid,
 * the commit that makes a transaction durable (tfs_sync), format and statfs. Mounting
 * (the validating walk of the committed tree) is in mount.c.
 */
#include "tfs_int.h"
#include "kernel/errno.h"
#include "lib/string.h"

/* Whether a superblock read from block blk may be mounted; *why says why not. */
int tfs_super_check(const struct tfs_super *sb, uint64_t blk, uint64_t dev_nblocks,
		    const char **why)
{
	const struct tfs_dinode *it = &sb->itable;
	struct tfs_want want = { TFS_MAGIC_SUPER, 0, 0 };

	*why = NULL;
	if (sb->h.magic != TFS_MAGIC_SUPER)
		*why = "bad magic";
	else if (tfs_verify(sb, blk, &want) < 0)
		*why = "bad checksum";
	else if (sb->version != TFS_VERSION || sb->block_size != TFS_BLOCK_SIZE)
		*why = "unsupported version or block size";
	else if (sb->h.gen == 0 || sb->h.gen % 2 != blk)
		*why = "generation in the wrong slot";
	else if (sb->nblocks < TFS_MIN_BLOCKS || sb->nblocks > TFS_MAX_BLOCKS)
		*why = "impossible size";
	else if (sb->nblocks > dev_nblocks)
		*why = "truncated image (shorter than the superblock says)";
	else if (!tfs_inode_sane(it, sb->nblocks) || tfs_type(it->mode) != TFS_S_IFREG ||
		 it->size % TFS_BLOCK_SIZE || it->size == 0 ||
		 it->size / TFS_BLOCK_SIZE > it->blocks || it->blocks > sb->nblocks ||
		 it->size / TFS_BLOCK_SIZE * TFS_INODES_PER_BLOCK > TFS_MAX_INODES)
		*why = "bad inode table";
	else if (tfs_slot(sb->root) != TFS_ROOT_SLOT || sb->free_blocks > sb->nblocks)
		*why = "bad counts or root";
	return *why ? -EUCLEAN : 0;
}

/* A file system with nothing in it yet, for mount and format to fill. */
int tfs_new(const struct tfs_dev *dev, const struct tfs_ops *ops, uint64_t nblocks,
	    const struct tfs_limits *lim, struct tfs **fsp)
{
	struct tfs *fs = ops->alloc(ops->ctx, sizeof(*fs));
	int rc;

	if (!fs)
		return -ENOMEM;
	memset(fs, 0, sizeof(*fs));
	fs->dev = *dev;
	fs->ops = *ops;
	fs->nblocks = nblocks;
	fs->ihint = TFS_ROOT_SLOT;
	*fsp = fs;
	fs->path = tfs_zalloc(fs, 2 * TFS_PATH_MAX);
	if (!fs->path)
		return -ENOMEM;
	rc = tfs_cache_init(fs, lim);
	if (rc == 0)
		rc = tfs_alloc_init(fs);
	return rc;
}

void tfs_unmount(struct tfs *fs)
{
	if (!fs)
		return;
	tfs_cache_fini(fs);
	tfs_alloc_fini(fs);
	tfs_free(fs, fs->imap);
	tfs_free(fs, fs->path);
	tfs_free(fs, fs);
}

/* The superblock of the next generation, stamped, in block (a whole block). */
static void super_build(struct tfs *fs, uint8_t *block, uint64_t gen)
{
	struct tfs_super *sb = (struct tfs_super *)block;

	memset(block, 0, TFS_BLOCK_SIZE);
	*sb = fs->sb;
	sb->h.magic = TFS_MAGIC_SUPER;
	sb->h.blkno = gen % 2;
	sb->h.owner = 0;
	sb->h.aux = 0;
	sb->version = TFS_VERSION;
	sb->block_size = TFS_BLOCK_SIZE;
	sb->nblocks = fs->nblocks;
	sb->free_blocks = fs->nfree + fs->npending;
	sb->used_inodes = fs->iused;
	sb->commit_time = tfs_now(fs);
	tfs_stamp(block, gen);
}

/* Write the superblock of gen over the older one, and flush it. */
static int super_write(struct tfs *fs, uint64_t gen)
{
	uint8_t *block = fs->ops.alloc(fs->ops.ctx, TFS_BLOCK_SIZE);
	int rc;

	if (!block)
		return -ENOMEM;
	super_build(fs, block, gen);
	rc = fs->dev.write(fs->dev.ctx, gen % 2, block);
	if (rc == 0)
		rc = fs->dev.flush(fs->dev.ctx);
	if (rc == 0)
		memcpy(&fs->csb, block, sizeof(fs->csb));
	tfs_free(fs, block);
	return rc;
}

/*
 * The commit: every block of the transaction goes to its (free) place, a flush makes
 * them durable, then the superblock of the next generation replaces the older of the
 * two, and a second flush makes it durable. A crash before that second flush leaves
 * the previous commit, which nothing here overwrote.
 */
int tfs_commit(struct tfs *fs)
{
	uint64_t gen = fs->csb.h.gen + 1;
	int rc;

	if (fs->broken)
		return -EIO;
	if (!fs->ndirty && !fs->npending && fs->mutations == fs->synced)
		return 0;
	fs->synced = fs->mutations;
	rc = tfs_cache_write_dirty(fs, gen);
	if (rc == 0)
		rc = fs->dev.flush(fs->dev.ctx);
	if (rc < 0)
		return rc;
	rc = super_write(fs, gen);
	if (rc < 0) {
		/* The new superblock may or may not be on the disk: stop here. */
		fs->broken = true;
		return rc;
	}
	fs->sb = fs->csb;
	tfs_cache_clean(fs);
	tfs_alloc_commit(fs);
	return 0;
}

int tfs_sync(struct tfs *fs)
{
	return tfs_commit(fs);
}

int tfs_statfs(struct tfs *fs, struct tfs_statfs *st)
{
	uint64_t free = fs->nfree + fs->npending;
	uint64_t more = free * TFS_INODES_PER_BLOCK;

	st->block_size = TFS_BLOCK_SIZE;
	st->blocks = fs->nblocks;
	st->free_blocks = free;
	st->inodes = fs->ninodes - 1 + more;
	if (st->inodes > TFS_MAX_INODES)
		st->inodes = TFS_MAX_INODES;
	st->free_inodes = st->inodes - fs->iused;
	st->generation = fs->csb.h.gen;
	return 0;
}

/* The top directory of a new file system: slot 1, its own parent. */
static int format_root(struct tfs *fs)
{
	struct tfs_dinode di;
	uint64_t ino;
	int rc = tfs_imap_grow(fs, 64);

	if (rc < 0)
		return rc;
	tfs_bit_set(fs->imap, 0);
	rc = tfs_ialloc(fs, TFS_S_IFDIR | 0755, 0, 0, &ino, &di);
	if (rc < 0)
		return rc;
	if (tfs_slot(ino) != TFS_ROOT_SLOT)
		return -EIO;
	di.nlink = 2;
	di.parent = ino;
	fs->sb.root = ino;
	return tfs_inode_write(fs, TFS_ROOT_SLOT, &di);
}

/* Invalidate both superblocks, then commit generation 1: the empty file system. */
int tfs_format(const struct tfs_dev *dev, const struct tfs_ops *ops)
{
	uint64_t n = dev->nblocks;
	struct tfs *fs = NULL;
	int rc;

	if (n < TFS_MIN_BLOCKS)
		return -ENOSPC;
	if (n > TFS_MAX_BLOCKS)
		n = TFS_MAX_BLOCKS;
	rc = tfs_new(dev, ops, n, NULL, &fs);
	if (rc < 0)
		goto out;
	memset(fs->path, 0, TFS_BLOCK_SIZE);
	rc = dev->write(dev->ctx, 0, fs->path);
	if (rc == 0)
		rc = dev->write(dev->ctx, 1, fs->path);
	if (rc == 0)
		rc = dev->flush(dev->ctx);
	if (rc < 0)
		goto out;
	fs->sb.mkfs_time = tfs_now(fs);
	fs->sb.itable.mode = TFS_S_IFREG | 0600;
	fs->sb.itable.nlink = 1;
	fs->sb.itable.gen = 1;
	rc = format_root(fs);
	if (rc == 0)
		rc = tfs_commit(fs);
out:
	tfs_unmount(fs);
	return rc;
}
