/*
 * tfs, the storage monitor's on-disk file system: a copy-on-write tree of 4 KiB blocks
 * under two alternating superblocks (docs/storage-format.md). Portable C linked into
 * smon.elf, the host tool (build/tessera-fs), the unit tests and the fuzzer.
 *
 * Not thread-safe: the caller serializes every call on one struct tfs. Every function
 * returns a negative errno on failure. Inode numbers are handles, (generation << 32) |
 * slot, so a handle to a deleted and reused inode fails with -ESTALE.
 */
#ifndef SCOMPONENT_TFS_H
#define SCOMPONENT_TFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- The on-disk format (little-endian, naturally aligned) ---- */

#define TFS_BLOCK_SIZE 4096
#define TFS_VERSION 1
#define TFS_MAGIC_SUPER 0x53534654u	/* "TFSS" */
#define TFS_MAGIC_INODE 0x49534654u	/* "TFSI": a block of the inode table */
#define TFS_MAGIC_MAP 0x4d534654u	/* "TFSM": an interior block of a block map */
#define TFS_MAGIC_DIR 0x44534654u	/* "TFSD": a directory block */

/* Opens every metadata block. */
struct tfs_bhdr {
	uint32_t magic;		/* TFS_MAGIC_* */
	uint32_t crc;		/* crc32c of the whole block with this field 0 */
	uint64_t blkno;		/* where the block belongs */
	uint64_t gen;		/* the commit that wrote it */
	uint32_t owner;		/* inode slot whose map holds it; 0: the inode table */
	uint32_t aux;		/* map block: its level (>= 1); else its index in the file */
};
_Static_assert(sizeof(struct tfs_bhdr) == 32, "block header");

#define TFS_MAP_FANOUT ((TFS_BLOCK_SIZE - 32) / 8)	/* 508 pointers */
#define TFS_MAX_HEIGHT 4
#define TFS_MAX_FILE_SIZE (1ULL << 40)

#define TFS_S_IFMT 0170000
#define TFS_S_IFREG 0100000
#define TFS_S_IFDIR 0040000
#define TFS_S_IFLNK 0120000
#define TFS_MODE_PERM 07777

/* An inode; mode 0 marks a free slot, whose gen is kept for the next user. */
struct tfs_dinode {
	uint32_t mode;		/* TFS_S_IF* | permission bits */
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint32_t gen;		/* bumped each time the slot is allocated */
	uint8_t height;		/* block map: 0 = root is block 0 itself */
	uint8_t rsvd0[3];
	uint64_t size;		/* bytes */
	uint64_t atime;		/* ns since the epoch */
	uint64_t mtime;
	uint64_t ctime;
	uint64_t blocks;	/* blocks the map holds, interior ones included */
	uint64_t root;		/* block map root; 0: no blocks */
	uint64_t parent;	/* directories: the parent's handle; else 0 */
	uint8_t rsvd1[48];
};
_Static_assert(sizeof(struct tfs_dinode) == 128, "inode");

#define TFS_INODES_PER_BLOCK ((TFS_BLOCK_SIZE - 32) / 128)	/* 31 */

/* Blocks 0 and 1; the one of generation g sits in block g % 2. */
struct tfs_super {
	struct tfs_bhdr h;	/* magic TFS_MAGIC_SUPER, gen = the generation */
	uint32_t version;	/* TFS_VERSION */
	uint32_t block_size;	/* TFS_BLOCK_SIZE */
	uint64_t nblocks;	/* file system size in blocks */
	uint64_t free_blocks;	/* free once this generation is durable */
	uint64_t used_inodes;	/* allocated slots */
	uint64_t root;		/* handle of the top directory (slot 1) */
	uint64_t mkfs_time;	/* ns */
	uint64_t commit_time;	/* ns */
	uint8_t rsvd[40];
	struct tfs_dinode itable;	/* the inode table, a file of TFS_MAGIC_INODE blocks */
};
_Static_assert(sizeof(struct tfs_super) == 256, "superblock");

/* A directory block holds these from byte 32 on, each 8-aligned, tiling the block. */
struct tfs_dirent {
	uint64_t ino;		/* handle; 0: unused space */
	uint16_t reclen;	/* bytes to the next record */
	uint8_t namelen;
	uint8_t type;		/* TFS_DT_* */
	char name[];		/* namelen bytes, no NUL */
};
_Static_assert(offsetof(struct tfs_dirent, name) == 12, "dirent");

#define TFS_DT_DIR 4		/* the Linux d_type values */
#define TFS_DT_REG 8
#define TFS_DT_LNK 10

#define TFS_NAME_MAX 255
#define TFS_PATH_MAX 4096	/* a path must be shorter */
#define TFS_SYMLOOP_MAX 40
#define TFS_MIN_BLOCKS 256
#define TFS_MAX_BLOCKS (1ULL << 32)
#define TFS_MAX_INODES (1ULL << 31)
#define TFS_ROOT_SLOT 1

/* ---- The library ---- */

/* The disk, one block at a time; all synchronous. flush makes prior writes durable. */
struct tfs_dev {
	int (*read)(void *ctx, uint64_t blk, void *buf);
	int (*write)(void *ctx, uint64_t blk, const void *buf);
	int (*flush)(void *ctx);
	uint64_t nblocks;
	void *ctx;
};

/* Memory and time. */
struct tfs_ops {
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	uint64_t (*now_ns)(void *ctx);
	void *ctx;
};

/* Memory bounds; 0 picks the default. */
struct tfs_limits {
	uint32_t max_dirty_blocks;	/* commit on our own past this many */
	uint32_t max_cache_blocks;	/* clean blocks kept beyond it are evicted */
};

struct tfs;

struct tfs_stat {
	uint64_t ino;
	uint32_t mode;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint64_t size;
	uint64_t blocks;	/* 512-byte units, as st_blocks */
	uint64_t atime, mtime, ctime;	/* ns */
};

#define TFS_SET_MODE (1u << 0)	/* permission bits only; the type stays */
#define TFS_SET_UID (1u << 1)
#define TFS_SET_GID (1u << 2)
#define TFS_SET_ATIME (1u << 3)
#define TFS_SET_MTIME (1u << 4)

struct tfs_setattr {
	uint32_t mask;		/* TFS_SET_* */
	uint32_t mode, uid, gid;
	uint64_t atime, mtime;
};

struct tfs_statfs {
	uint64_t block_size;
	uint64_t blocks, free_blocks;
	uint64_t inodes, free_inodes;
	uint64_t generation;	/* of the last commit */
};

/* One readdir result; name is NUL-terminated. */
struct tfs_dirent_out {
	uint64_t ino;
	uint64_t next;		/* cookie of the entry after this one */
	uint8_t type;		/* TFS_DT_* */
	char name[TFS_NAME_MAX + 1];
};

#define TFS_RENAME_NOREPLACE (1u << 0)

/* What tfs_check found wrong, one line each. */
typedef void (*tfs_report_fn)(void *arg, const char *problem);

/* Write an empty file system over the whole device. */
int tfs_format(const struct tfs_dev *dev, const struct tfs_ops *ops);
/*
 * Mount the newest valid superblock, validating the committed tree on the way. On
 * failure err (if errlen) holds a one-line reason. lim may be NULL.
 */
int tfs_mount(struct tfs **fsp, const struct tfs_dev *dev, const struct tfs_ops *ops,
	      const struct tfs_limits *lim, char *err, size_t errlen);
/* Free everything; whatever was not synced is dropped. */
void tfs_unmount(struct tfs *fs);
/* Commit: on return 0 everything before is durable. */
int tfs_sync(struct tfs *fs);
int tfs_statfs(struct tfs *fs, struct tfs_statfs *st);
/* Walk the committed tree checking everything; returns the number of problems. */
long tfs_check(struct tfs *fs, tfs_report_fn report, void *arg);

/* The top directory, which holds the vNode roots. */
uint64_t tfs_top(struct tfs *fs);
/* The root directory of vNode vnode, made if create (and missing). */
int tfs_vnode_root(struct tfs *fs, uint32_t vnode, bool create, uint64_t *ino);
/* Resolve path below root ("/" and ".." stop at root), following symlinks. */
int tfs_resolve(struct tfs *fs, uint64_t root, const char *path, bool follow_last,
		uint64_t *ino);
/* Resolve all but the last component into *dir; name gets the last one (NUL-ended). */
int tfs_resolve_parent(struct tfs *fs, uint64_t root, const char *path, uint64_t *dir,
		       char name[TFS_NAME_MAX + 1]);
int tfs_lookup(struct tfs *fs, uint64_t dir, const char *name, uint64_t *ino);

int tfs_create(struct tfs *fs, uint64_t dir, const char *name, uint32_t mode,
	       uint32_t uid, uint32_t gid, uint64_t *ino);
int tfs_mkdir(struct tfs *fs, uint64_t dir, const char *name, uint32_t mode,
	      uint32_t uid, uint32_t gid, uint64_t *ino);
int tfs_symlink(struct tfs *fs, uint64_t dir, const char *name, const char *target,
		uint32_t uid, uint32_t gid, uint64_t *ino);
int tfs_link(struct tfs *fs, uint64_t ino, uint64_t dir, const char *name);
/* The target's length, with min(length, size) bytes copied (no NUL). */
long tfs_readlink(struct tfs *fs, uint64_t ino, char *buf, size_t size);
int tfs_unlink(struct tfs *fs, uint64_t dir, const char *name);
int tfs_rmdir(struct tfs *fs, uint64_t dir, const char *name);
int tfs_rename(struct tfs *fs, uint64_t sdir, const char *sname, uint64_t ddir,
	       const char *dname, uint32_t flags);

/* Bytes read, short at end of file; holes read as zeros. */
long tfs_read(struct tfs *fs, uint64_t ino, uint64_t off, void *buf, size_t len);
/* Bytes written (short only when space runs out part way). */
long tfs_write(struct tfs *fs, uint64_t ino, uint64_t off, const void *buf, size_t len);
int tfs_truncate(struct tfs *fs, uint64_t ino, uint64_t size);
int tfs_getattr(struct tfs *fs, uint64_t ino, struct tfs_stat *st);
int tfs_setattr(struct tfs *fs, uint64_t ino, const struct tfs_setattr *attr);
/*
 * Up to n entries of dir from *cookie (0: the start; "." and ".." come first), with
 * *cookie moved past them. Returns how many; 0 at the end.
 */
int tfs_readdir(struct tfs *fs, uint64_t dir, uint64_t *cookie, struct tfs_dirent_out *ents,
		size_t n);

#endif
