/*
 * tfs mount: pick the newest valid superblock, then walk the committed tree once to
 * derive the free-block and free-inode bitmaps. The walk validates as it goes (every
 * pointer in range, no block used twice, sane inodes, directories a tree), so nothing
 * later trusts a structure mount has not seen.
 */
#include "tfs_int.h"
#include "kernel/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

struct mount_walk {
	struct tfs *fs;
	char *err;
	size_t errlen;
	uint32_t slot;		/* the inode whose map is being walked */
	uint64_t mapped;	/* blocks found in its map so far */
	uint32_t *parent;	/* per slot: a directory's parent slot, else 0 */
	uint64_t leaves;	/* inode table blocks seen */
};

/* Record why the mount fails (the first reason only). */
static int fail(struct mount_walk *m, const char *fmt, uint64_t a, uint64_t b)
{
	if (m->errlen && !m->err[0])
		ksnprintf(m->err, m->errlen, fmt, (unsigned long long)a, (unsigned long long)b);
	return -EUCLEAN;
}

static int mount_inode(struct mount_walk *m, uint32_t slot, const struct tfs_dinode *di);

/* A block of the inode table: mount every inode in it. */
static int itable_block(struct mount_walk *m, uint64_t blk, uint64_t idx)
{
	struct tfs_want want = { TFS_MAGIC_INODE, 0, (uint32_t)idx };
	struct tfs_dinode di;
	struct tfs_buf *b;
	uint32_t i;
	int rc;

	if (idx >= m->fs->sb.itable.size / TFS_BLOCK_SIZE)
		return fail(m, "inode table block %llu lies past its end (index %llu)", blk, idx);
	rc = tfs_buf_read(m->fs, blk, &want, &b);
	if (rc < 0)
		return rc == -EUCLEAN ? fail(m, "inode table block %llu: bad header or checksum",
					     blk, 0) : rc;
	m->leaves++;
	for (i = 0; i < TFS_INODES_PER_BLOCK && rc == 0; i++) {
		memcpy(&di, b->data + sizeof(struct tfs_bhdr) + i * sizeof(di), sizeof(di));
		rc = mount_inode(m, (uint32_t)(idx * TFS_INODES_PER_BLOCK + i), &di);
	}
	tfs_buf_put(m->fs, b);
	return rc;
}

/* Claim a block of the committed tree; leaves of the inode table are read too. */
static int mark(void *arg, uint64_t blk, unsigned level, uint64_t index)
{
	struct mount_walk *m = arg;
	struct tfs *fs = m->fs;

	if (blk < 2 || blk >= fs->nblocks)
		return fail(m, "inode %llu: block pointer %llu out of range", m->slot, blk);
	if (tfs_bit(fs->used, blk))
		return fail(m, "block %llu referenced twice (again by inode %llu)", blk, m->slot);
	tfs_bit_set(fs->used, blk);
	fs->nfree--;
	m->mapped++;
	if (m->slot == 0 && level == 0)
		return itable_block(m, blk, index);
	return 0;
}

static int bad_map(void *arg, uint64_t blk, int rc)
{
	struct mount_walk *m = arg;

	if (rc != -EUCLEAN)
		return rc;
	return fail(m, "inode %llu: map block %llu: bad header or checksum", m->slot, blk);
}

static int mount_inode(struct mount_walk *m, uint32_t slot, const struct tfs_dinode *di)
{
	struct tfs_walk w = { mark, bad_map, m };
	struct tfs *fs = m->fs;
	int rc;

	if (di->mode == 0)
		return 0;
	if (slot == 0 || !tfs_inode_sane(di, fs->nblocks))
		return fail(m, "inode %llu: impossible fields (mode %llo)", slot, di->mode);
	tfs_bit_set(fs->imap, slot);
	fs->iused++;
	if (tfs_type(di->mode) == TFS_S_IFDIR) {
		m->parent[slot] = tfs_slot(di->parent);
		if (!m->parent[slot])
			return fail(m, "directory %llu has no parent", slot, 0);
	}
	m->slot = slot;
	m->mapped = 0;
	rc = tfs_bmap_walk(fs, di, slot, &w);
	m->slot = 0;
	if (rc == 0 && m->mapped != di->blocks)
		return fail(m, "inode %llu: its map holds %llu blocks, not as it says", slot,
			    m->mapped);
	return rc;
}

/*
 * Every directory's chain of parents must reach the top directory: else some
 * directories form a loop cut off from it. Linear: each is climbed from once.
 */
static int check_loops(struct mount_walk *m)
{
	uint64_t n = m->fs->ninodes, d, x;
	uint8_t *state = tfs_zalloc(m->fs, n);	/* 1: on this climb, 2: reaches the top */
	int rc = 0;

	if (!state)
		return -ENOMEM;
	state[TFS_ROOT_SLOT] = 2;
	for (d = 1; d < n; d++) {
		if (!m->parent[d])
			continue;
		for (x = d; state[x] == 0; x = m->parent[x]) {
			state[x] = 1;
			if (m->parent[x] >= n || !m->parent[m->parent[x]]) {
				rc = fail(m, "directory %llu: parent %llu is no directory", x,
					  m->parent[x]);
				goto out;
			}
		}
		if (state[x] == 1) {
			rc = fail(m, "loop in directories (through directory %llu)", x, 0);
			goto out;
		}
		for (x = d; state[x] == 1; x = m->parent[x])
			state[x] = 2;
	}
out:
	tfs_free(m->fs, state);
	return rc;
}

/* The top directory: slot 1, a directory of the generation the superblock names. */
static int check_top(struct mount_walk *m)
{
	struct tfs_dinode di;
	int rc = tfs_iget(m->fs, m->fs->sb.root, &di);

	if (rc < 0 || tfs_type(di.mode) != TFS_S_IFDIR || m->parent[TFS_ROOT_SLOT] != TFS_ROOT_SLOT)
		return fail(m, "no top directory (slot %llu, generation %llu)", TFS_ROOT_SLOT,
			    m->fs->sb.root >> 32);
	return 0;
}

static int mount_walk(struct tfs *fs, char *err, size_t errlen)
{
	struct mount_walk m = { .fs = fs, .err = err, .errlen = errlen };
	struct tfs_walk w = { mark, bad_map, &m };
	int rc;

	m.parent = tfs_zalloc(fs, fs->ninodes * sizeof(*m.parent));
	if (!m.parent)
		return -ENOMEM;
	rc = tfs_bmap_walk(fs, &fs->sb.itable, 0, &w);
	if (rc == 0 && m.leaves != fs->sb.itable.size / TFS_BLOCK_SIZE)
		rc = fail(&m, "hole in the inode table (%llu of %llu blocks)", m.leaves,
			  fs->sb.itable.size / TFS_BLOCK_SIZE);
	if (rc == 0)
		rc = check_top(&m);
	if (rc == 0)
		rc = check_loops(&m);
	tfs_free(fs, m.parent);
	return rc;
}

static const char *const read_failed = "cannot read it";

/* The newest valid superblock into *sb; else -EUCLEAN and why both are not. */
static int pick_super(const struct tfs_dev *dev, const struct tfs_ops *ops,
		      struct tfs_super *sb, char *err, size_t errlen)
{
	uint8_t *block = ops->alloc(ops->ctx, TFS_BLOCK_SIZE);
	const char *why[2] = { "truncated image", "truncated image" };
	uint64_t slot;
	bool found = false;

	if (!block)
		return -ENOMEM;
	for (slot = 0; slot < 2 && slot < dev->nblocks; slot++) {
		if (dev->read(dev->ctx, slot, block) < 0) {
			why[slot] = read_failed;
			continue;
		}
		if (tfs_super_check((void *)block, slot, dev->nblocks, &why[slot]) < 0)
			continue;
		if (!found || ((struct tfs_super *)block)->h.gen > sb->h.gen)
			memcpy(sb, block, sizeof(*sb));
		found = true;
	}
	ops->free(ops->ctx, block);
	if (found)
		return 0;
	if (errlen)
		ksnprintf(err, errlen, "no valid superblock (block 0: %s; block 1: %s)",
			  why[0], why[1]);
	return -EUCLEAN;
}

int tfs_mount(struct tfs **fsp, const struct tfs_dev *dev, const struct tfs_ops *ops,
	      const struct tfs_limits *lim, char *err, size_t errlen)
{
	struct tfs_super sb;
	struct tfs *fs = NULL;
	int rc;

	if (errlen)
		err[0] = '\0';
	rc = pick_super(dev, ops, &sb, err, errlen);
	if (rc < 0)
		return rc;
	rc = tfs_new(dev, ops, sb.nblocks, lim, &fs);
	if (rc < 0)
		goto out_fail;
	fs->sb = fs->csb = sb;
	fs->ninodes = sb.itable.size / TFS_BLOCK_SIZE * TFS_INODES_PER_BLOCK;
	rc = tfs_imap_grow(fs, fs->ninodes);
	if (rc < 0)
		goto out_fail;
	tfs_bit_set(fs->imap, 0);
	rc = mount_walk(fs, err, errlen);
	if (rc < 0)
		goto out_fail;
	*fsp = fs;
	return 0;

out_fail:
	if (rc == -ENOMEM && errlen)
		ksnprintf(err, errlen, "out of memory");
	else if (errlen && !err[0])
		ksnprintf(err, errlen, "cannot read the image (error %d)", rc);
	tfs_unmount(fs);
	return rc;
}
