/*
 * The storage service's messages on the wire: file requests (X2S_*), served by the
 * vNode's front mmon and by smon behind it, and their answers, packed and
 * little-endian like every wire struct. include/net/protocol.h gives each opcode its
 * number and length bounds; docs/protocol.md and docs/storage.md explain them.
 */
#ifndef SCOMPONENT_PROTO_H
#define SCOMPONENT_PROTO_H

#include <stdint.h>

/*
 * Files. smon is stateless: a request names the vNode and a full path inside the
 * vNode's own root ("/" is that root; ".." never leaves it), or a handle an earlier
 * answer gave. A handle whose file was since removed is refused with -ESTALE.
 */
#define NET_PATH_MAX 4096		/* bytes of path in a request, NUL excluded */
#define NET_FS_IO_MAX 32768		/* bytes per X2S_READ or X2S_WRITE */
#define NET_FS_DIRENT_MAX 32768		/* bytes of entries per X2S_READDIR */

struct fs_handle {
	uint32_t vnode;
	uint32_t gen;		/* the inode's generation: a reused number is told apart */
	uint64_t ino;
} __attribute__((packed));
_Static_assert(sizeof(struct fs_handle) == 16, "file handle");

/* x2s_path.flags (Linux's O_* values where one exists). */
#define X2S_CREAT	0x40		/* X2S_OPEN: create a regular file if missing */
#define X2S_EXCL	0x80		/* with X2S_CREAT: fail if it exists */
#define X2S_TRUNC	0x200		/* X2S_OPEN: cut a regular file to 0 */
#define X2S_DIRECTORY	0x10000		/* X2S_OPEN: it must be a directory */
#define X2S_NOFOLLOW	0x20000		/* do not follow a symlink in the last component */
#define X2S_REMOVEDIR	0x200000	/* X2S_UNLINK: remove a directory (rmdir) */
#define X2S_PATH_FLAGS	(X2S_CREAT | X2S_EXCL | X2S_TRUNC | X2S_DIRECTORY | X2S_NOFOLLOW | \
			 X2S_REMOVEDIR)

/* A request naming one path; len bytes of path follow (no NUL). */
struct x2s_path {
	uint32_t vnode;
	uint32_t flags;		/* X2S_* */
	uint32_t mode;		/* X2S_OPEN with X2S_CREAT, X2S_MKDIR: permission bits */
	uint32_t len;		/* 1..NET_PATH_MAX; the message length must agree */
} __attribute__((packed));
_Static_assert(sizeof(struct x2s_path) == 16, "path request");

/* X2S_RENAME (old, new) and X2S_SYMLINK (target, path): two strings follow. */
#define X2S_NOREPLACE	0x1		/* X2S_RENAME: fail with -EEXIST if new exists */

struct x2s_path2 {
	uint32_t vnode;
	uint32_t flags;		/* X2S_NOREPLACE */
	uint32_t len1;		/* 1..NET_PATH_MAX each; the message length must agree */
	uint32_t len2;
} __attribute__((packed));
_Static_assert(sizeof(struct x2s_path2) == 16, "two-path request");

/* x2s_io.flags */
#define X2S_SYNC	0x1		/* X2S_WRITE: durable before the answer (O_SYNC) */
#define X2S_APPEND	0x2		/* X2S_WRITE: at the end of file, offset ignored */
#define X2S_DATASYNC	0x4		/* X2S_FSYNC: fdatasync */

struct x2s_io {
	struct fs_handle h;
	uint64_t offset;
	uint32_t len;		/* X2S_READ, X2S_WRITE: <= NET_FS_IO_MAX */
	uint32_t flags;		/* X2S_SYNC, X2S_APPEND, X2S_DATASYNC */
} __attribute__((packed));
_Static_assert(sizeof(struct x2s_io) == 32, "file I/O request");

#define FS_TYPE_REG	1
#define FS_TYPE_DIR	2
#define FS_TYPE_LNK	3

/* A file's attributes, as stat(2) shows them. */
struct fs_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;	/* 512-byte units allocated */
	uint64_t atime_ns, mtime_ns, ctime_ns;
	uint32_t mode;		/* S_IF* type bits and permissions, as Linux */
	uint32_t nlink;
	uint32_t uid, gid;
} __attribute__((packed));
_Static_assert(sizeof(struct fs_attr) == 64, "file attributes");

struct s2x_attr {
	struct fs_handle h;
	struct fs_attr a;
} __attribute__((packed));
_Static_assert(sizeof(struct s2x_attr) == 80, "attributes answer");

struct s2x_write {
	uint64_t offset;	/* where the bytes went (X2S_APPEND: the old end) */
	uint64_t size;		/* the file's size after the write */
} __attribute__((packed));
_Static_assert(sizeof(struct s2x_write) == 16, "write answer");

/* X2S_READDIR's answer: entries from cookie on, each 8-byte aligned. */
struct s2x_readdir {
	uint64_t next;		/* cookie for the next call; 0: the directory is done */
	uint32_t count;		/* entries that follow */
	uint32_t rsvd;		/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct s2x_readdir) == 16, "readdir answer");

struct fs_dirent {
	uint64_t ino;
	uint16_t reclen;	/* this entry's bytes, name and padding included */
	uint8_t type;		/* FS_TYPE_* */
	uint8_t namelen;	/* name bytes that follow (no NUL), 1..255 */
	uint32_t rsvd;		/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct fs_dirent) == 16, "directory entry");

struct s2x_statfs {
	uint64_t blocks, free_blocks;	/* 4 KiB */
	uint64_t files, free_files;
} __attribute__((packed));
_Static_assert(sizeof(struct s2x_statfs) == 32, "statfs answer");

#endif
