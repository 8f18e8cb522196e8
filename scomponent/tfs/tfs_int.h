/*
 * tfs internals shared by the files of scomponent/tfs/: the mounted file system, the block cache,
 * block allocation, block maps, inodes and directories. Not for users of the library,
 * who see include/scomponent/tfs.h only.
 */
#ifndef SCOMPONENT_TFS_INT_H
#define SCOMPONENT_TFS_INT_H

#include "scomponent/tfs.h"

/* The on-disk structs are used in place: the format is little-endian, and so are we. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "tfs needs a little-endian host");

#define TFS_DEFAULT_DIRTY 1024
#define TFS_DEFAULT_CACHE 4096
/* Free blocks only deletions may use, so a full disk can still be emptied. */
#define TFS_RESERVE 64
/* Worst-case new blocks of one namespace operation, and of one block of a write. */
#define TFS_NS_BUDGET 48
#define TFS_STEP_BUDGET 16

/* A cached block. A fresh block (allocated this transaction) is dirty until commit. */
struct tfs_buf {
	uint64_t blk;
	struct tfs_buf *hnext;		/* hash chain */
	struct tfs_buf *prev, *next;	/* LRU list, while clean and unpinned */
	struct tfs_buf *dnext;		/* dirty list */
	uint32_t refs;
	bool dirty;
	bool checked;			/* header and checksum verified */
	bool meta;			/* has a tfs_bhdr to stamp at commit */
	uint8_t *data;
};

/* What a metadata block must say about itself; magic 0 means a data block. */
struct tfs_want {
	uint32_t magic;
	uint32_t owner;
	uint32_t aux;
};

/* Visits every pointer of a block map (tfs_bmap_walk), parents before children. */
struct tfs_walk {
	/* 0: go on (and read it, if interior); 1: skip it; < 0: stop with that. */
	int (*visit)(void *arg, uint64_t blk, unsigned level, uint64_t index);
	/* An interior block could not be read (rc); 0 skips it, < 0 stops. */
	int (*bad)(void *arg, uint64_t blk, int rc);
	void *arg;
};

struct tfs {
	struct tfs_dev dev;
	struct tfs_ops ops;
	struct tfs_super sb;		/* the running transaction's root */
	struct tfs_super csb;		/* the last committed superblock */
	uint64_t nblocks;

	uint64_t *used;			/* allocated blocks, pending frees included */
	uint64_t *fresh;		/* allocated this transaction */
	uint64_t *pending;		/* freed this transaction, still committed */
	uint64_t nfree, npending, hint;

	uint64_t *imap;			/* allocated inode slots */
	uint64_t imap_bits;		/* capacity */
	uint64_t ninodes;		/* slots in the inode table */
	uint64_t iused;
	uint64_t ihint;

	struct tfs_buf **hash;
	size_t nhash;			/* a power of two */
	struct tfs_buf lru;		/* list head: least recently used first */
	struct tfs_buf *dirty;
	size_t ncached, ndirty, max_cache, max_dirty;

	uint64_t mutations;		/* changes made to the transaction, ever */
	uint64_t op_mark;		/* mutations when the current operation began */
	uint64_t synced;		/* mutations when the last commit began */
	bool broken;			/* an operation failed half done: no more commits */
	char *path;			/* tfs_resolve's scratch: TFS_PATH_MAX * 2 bytes */
};

static inline uint32_t tfs_slot(uint64_t ino)
{
	return (uint32_t)ino;
}

static inline uint64_t tfs_handle(uint32_t slot, uint32_t gen)
{
	return (uint64_t)gen << 32 | slot;
}

static inline bool tfs_bit(const uint64_t *map, uint64_t i)
{
	return map[i / 64] >> (i % 64) & 1;
}

static inline void tfs_bit_set(uint64_t *map, uint64_t i)
{
	map[i / 64] |= 1ULL << (i % 64);
}

static inline void tfs_bit_clear(uint64_t *map, uint64_t i)
{
	map[i / 64] &= ~(1ULL << (i % 64));
}

static inline uint32_t tfs_type(uint32_t mode)
{
	return mode & TFS_S_IFMT;
}

static inline uint64_t tfs_now(struct tfs *fs)
{
	return fs->ops.now_ns ? fs->ops.now_ns(fs->ops.ctx) : 0;
}

void *tfs_zalloc(struct tfs *fs, size_t size);
void tfs_free(struct tfs *fs, void *p);

/* cache.c */
int tfs_cache_init(struct tfs *fs, const struct tfs_limits *lim);
void tfs_cache_fini(struct tfs *fs);
int tfs_buf_read(struct tfs *fs, uint64_t blk, const struct tfs_want *want,
		 struct tfs_buf **bp);
int tfs_buf_new(struct tfs *fs, uint64_t blk, const struct tfs_want *want,
		struct tfs_buf **bp);
void tfs_buf_put(struct tfs *fs, struct tfs_buf *b);
int tfs_cache_write_dirty(struct tfs *fs, uint64_t gen);
void tfs_cache_clean(struct tfs *fs);
void tfs_stamp(void *block, uint64_t gen);
int tfs_verify(const void *block, uint64_t blk, const struct tfs_want *want);

/* alloc.c */
int tfs_alloc_init(struct tfs *fs);
void tfs_alloc_fini(struct tfs *fs);
int tfs_balloc(struct tfs *fs, uint64_t *blk);
void tfs_bfree(struct tfs *fs, uint64_t blk);
bool tfs_fresh(const struct tfs *fs, uint64_t blk);
void tfs_alloc_commit(struct tfs *fs);
int tfs_begin(struct tfs *fs, uint32_t need, bool reserved);
int tfs_step(struct tfs *fs, uint32_t need, bool reserved);
int tfs_end(struct tfs *fs, int rc);

/* bmap.c */
uint64_t tfs_bmap_cap(unsigned height);
int tfs_bmap_get(struct tfs *fs, const struct tfs_dinode *di, uint32_t slot, uint64_t idx,
		 uint64_t *blk);
int tfs_bmap_cow(struct tfs *fs, struct tfs_dinode *di, uint32_t slot, uint64_t idx,
		 const struct tfs_want *want, bool whole, struct tfs_buf **bp);
int tfs_bmap_trunc(struct tfs *fs, struct tfs_dinode *di, uint32_t slot, uint64_t keep);
int tfs_bmap_walk(struct tfs *fs, const struct tfs_dinode *di, uint32_t slot,
		  const struct tfs_walk *w);

/* inode.c */
int tfs_inode_read(struct tfs *fs, uint32_t slot, struct tfs_dinode *di);
int tfs_inode_write(struct tfs *fs, uint32_t slot, const struct tfs_dinode *di);
int tfs_iget(struct tfs *fs, uint64_t ino, struct tfs_dinode *di);
int tfs_ialloc(struct tfs *fs, uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *ino,
	       struct tfs_dinode *di);
int tfs_ifree(struct tfs *fs, uint32_t slot);
int tfs_imap_grow(struct tfs *fs, uint64_t slots);
bool tfs_inode_sane(const struct tfs_dinode *di, uint64_t nblocks);

/* dir.c */
int tfs_dir_find(struct tfs *fs, uint64_t dir, const char *name, size_t len, uint64_t *ino,
		 uint8_t *type);
int tfs_dir_add(struct tfs *fs, uint64_t dir, const char *name, size_t len, uint64_t ino,
		uint8_t type);
int tfs_dir_remove(struct tfs *fs, uint64_t dir, const char *name, size_t len);
int tfs_dir_replace(struct tfs *fs, uint64_t dir, const char *name, size_t len,
		    uint64_t ino, uint8_t type);
int tfs_dir_empty(struct tfs *fs, uint64_t dir);
bool tfs_dir_block_ok(const uint8_t *data);
uint8_t tfs_dtype(uint32_t mode);

/* file.c */
long tfs_data_read(struct tfs *fs, const struct tfs_dinode *di, uint32_t slot, uint64_t off,
		   void *buf, size_t len);
long tfs_data_write(struct tfs *fs, uint64_t ino, uint64_t off, const void *buf, size_t len);

/* super.c */
int tfs_new(const struct tfs_dev *dev, const struct tfs_ops *ops, uint64_t nblocks,
	    const struct tfs_limits *lim, struct tfs **fsp);
int tfs_commit(struct tfs *fs);
int tfs_super_check(const struct tfs_super *sb, uint64_t blk, uint64_t dev_nblocks,
		    const char **why);

/* path.c */
int tfs_name_ok(const char *name, size_t *len);

#endif
