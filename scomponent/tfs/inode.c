/*
 * tfs inodes: slots of the inode table, itself a file (the superblock's itable) that
 * grows a block at a time. Handles carry the slot's generation, so a handle outliving
 * its inode fails with -ESTALE. Also getattr and setattr.
 */
#include "tfs_int.h"
#include "kernel/errno.h"
#include "lib/string.h"

static struct tfs_want itable_want(uint64_t idx)
{
	return (struct tfs_want){ TFS_MAGIC_INODE, 0, (uint32_t)idx };
}

static size_t slot_offset(uint32_t slot)
{
	return sizeof(struct tfs_bhdr) + (slot % TFS_INODES_PER_BLOCK) * sizeof(struct tfs_dinode);
}

int tfs_inode_read(struct tfs *fs, uint32_t slot, struct tfs_dinode *di)
{
	uint64_t idx = slot / TFS_INODES_PER_BLOCK, blk;
	struct tfs_want want = itable_want(idx);
	struct tfs_buf *b;
	int rc;

	if (slot >= fs->ninodes)
		return -ESTALE;
	rc = tfs_bmap_get(fs, &fs->sb.itable, 0, idx, &blk);
	if (rc < 0)
		return rc;
	if (!blk)
		return -EUCLEAN;
	rc = tfs_buf_read(fs, blk, &want, &b);
	if (rc < 0)
		return rc;
	memcpy(di, b->data + slot_offset(slot), sizeof(*di));
	tfs_buf_put(fs, b);
	return 0;
}

int tfs_inode_write(struct tfs *fs, uint32_t slot, const struct tfs_dinode *di)
{
	uint64_t idx = slot / TFS_INODES_PER_BLOCK;
	struct tfs_want want = itable_want(idx);
	struct tfs_buf *b;
	int rc = tfs_bmap_cow(fs, &fs->sb.itable, 0, idx, &want, false, &b);

	if (rc < 0)
		return rc;
	memcpy(b->data + slot_offset(slot), di, sizeof(*di));
	tfs_buf_put(fs, b);
	return 0;
}

/* The live inode a handle names; -ESTALE if it was freed or its slot reused. */
int tfs_iget(struct tfs *fs, uint64_t ino, struct tfs_dinode *di)
{
	uint32_t slot = tfs_slot(ino);
	int rc;

	if (slot == 0 || slot >= fs->ninodes || !tfs_bit(fs->imap, slot))
		return -ESTALE;
	rc = tfs_inode_read(fs, slot, di);
	if (rc < 0)
		return rc;
	return di->gen == (uint32_t)(ino >> 32) ? 0 : -ESTALE;
}

/* Room in the slot bitmap for slots inodes. */
int tfs_imap_grow(struct tfs *fs, uint64_t slots)
{
	uint64_t bits = fs->imap_bits ? fs->imap_bits : 64, *map;

	if (slots <= fs->imap_bits)
		return 0;
	while (bits < slots)
		bits *= 2;
	map = tfs_zalloc(fs, bits / 8);
	if (!map)
		return -ENOMEM;
	if (fs->imap)
		memcpy(map, fs->imap, fs->imap_bits / 8);
	tfs_free(fs, fs->imap);
	fs->imap = map;
	fs->imap_bits = bits;
	return 0;
}

/* Add a block of free slots to the inode table. */
static int itable_grow(struct tfs *fs)
{
	uint64_t idx = fs->ninodes / TFS_INODES_PER_BLOCK;
	struct tfs_want want = itable_want(idx);
	struct tfs_buf *b;
	int rc;

	if (fs->ninodes + TFS_INODES_PER_BLOCK > TFS_MAX_INODES)
		return -ENOSPC;
	rc = tfs_imap_grow(fs, fs->ninodes + TFS_INODES_PER_BLOCK);
	if (rc < 0)
		return rc;
	rc = tfs_bmap_cow(fs, &fs->sb.itable, 0, idx, &want, false, &b);
	if (rc < 0)
		return rc;
	tfs_buf_put(fs, b);
	fs->sb.itable.size += TFS_BLOCK_SIZE;
	fs->ninodes += TFS_INODES_PER_BLOCK;
	return 0;
}

static int free_slot(struct tfs *fs, uint32_t *slot)
{
	uint64_t i, n;
	int rc;

	if (fs->iused + 1 >= fs->ninodes) {
		rc = itable_grow(fs);
		if (rc < 0)
			return rc;
	}
	for (n = 0, i = fs->ihint; n < fs->ninodes; n++, i = (i + 1) % fs->ninodes) {
		if (!tfs_bit(fs->imap, i)) {
			*slot = (uint32_t)i;
			fs->ihint = i + 1;
			return 0;
		}
	}
	return -ENOSPC;
}

/* A new inode of this mode, nlink 0, in *di and written, named by *ino. */
int tfs_ialloc(struct tfs *fs, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *ino,
	       struct tfs_dinode *di)
{
	uint32_t slot, gen;
	int rc = free_slot(fs, &slot);

	if (rc < 0)
		return rc;
	rc = tfs_inode_read(fs, slot, di);
	if (rc < 0)
		return rc;
	gen = di->gen + 1 ? di->gen + 1 : 1;
	memset(di, 0, sizeof(*di));
	di->mode = mode;
	di->uid = uid;
	di->gid = gid;
	di->gen = gen;
	di->atime = di->mtime = di->ctime = tfs_now(fs);
	rc = tfs_inode_write(fs, slot, di);
	if (rc < 0)
		return rc;
	tfs_bit_set(fs->imap, slot);
	fs->iused++;
	*ino = tfs_handle(slot, gen);
	return 0;
}

/* Free an inode and its blocks; its generation stays for the next user of the slot. */
int tfs_ifree(struct tfs *fs, uint32_t slot)
{
	struct tfs_dinode di;
	uint32_t gen;
	int rc = tfs_inode_read(fs, slot, &di);

	if (rc < 0)
		return rc;
	rc = tfs_bmap_trunc(fs, &di, slot, 0);
	if (rc < 0)
		return rc;
	gen = di.gen;
	memset(&di, 0, sizeof(di));
	di.gen = gen;
	rc = tfs_inode_write(fs, slot, &di);
	if (rc < 0)
		return rc;
	tfs_bit_clear(fs->imap, slot);
	fs->iused--;
	if (slot < fs->ihint)
		fs->ihint = slot;	/* keep the table dense: low slots first */
	return 0;
}

/* Whether an allocated inode's fields are possible at all (mount and check use it). */
bool tfs_inode_sane(const struct tfs_dinode *di, uint64_t nblocks)
{
	uint32_t type = tfs_type(di->mode);

	if (type != TFS_S_IFREG && type != TFS_S_IFDIR && type != TFS_S_IFLNK)
		return false;
	if (di->mode & ~(TFS_S_IFMT | TFS_MODE_PERM))
		return false;
	if (di->height > TFS_MAX_HEIGHT || di->size > TFS_MAX_FILE_SIZE)
		return false;
	if (di->root == 1 || (di->root && di->root >= nblocks) || di->blocks > nblocks)
		return false;
	if (type == TFS_S_IFDIR &&
	    (di->size % TFS_BLOCK_SIZE || di->size / TFS_BLOCK_SIZE > di->blocks))
		return false;	/* directories have no holes: bounds every scan */
	if (type == TFS_S_IFLNK && (di->size == 0 || di->size >= TFS_PATH_MAX))
		return false;
	return true;
}

int tfs_getattr(struct tfs *fs, uint64_t ino, struct tfs_stat *st)
{
	struct tfs_dinode di;
	int rc = tfs_iget(fs, ino, &di);

	if (rc < 0)
		return rc;
	st->ino = ino;
	st->mode = di.mode;
	st->nlink = di.nlink;
	st->uid = di.uid;
	st->gid = di.gid;
	st->size = di.size;
	st->blocks = di.blocks * (TFS_BLOCK_SIZE / 512);
	st->atime = di.atime;
	st->mtime = di.mtime;
	st->ctime = di.ctime;
	return 0;
}

static int setattr(struct tfs *fs, uint64_t ino, const struct tfs_setattr *a)
{
	struct tfs_dinode di;
	int rc = tfs_iget(fs, ino, &di);

	if (rc < 0)
		return rc;
	if (a->mask & TFS_SET_MODE)
		di.mode = tfs_type(di.mode) | (a->mode & TFS_MODE_PERM);
	if (a->mask & TFS_SET_UID)
		di.uid = a->uid;
	if (a->mask & TFS_SET_GID)
		di.gid = a->gid;
	if (a->mask & TFS_SET_ATIME)
		di.atime = a->atime;
	if (a->mask & TFS_SET_MTIME)
		di.mtime = a->mtime;
	di.ctime = tfs_now(fs);
	return tfs_inode_write(fs, tfs_slot(ino), &di);
}

int tfs_setattr(struct tfs *fs, uint64_t ino, const struct tfs_setattr *attr)
{
	int rc = tfs_begin(fs, TFS_STEP_BUDGET, true);

	if (rc < 0)
		return rc;
	return tfs_end(fs, setattr(fs, ino, attr));
}
