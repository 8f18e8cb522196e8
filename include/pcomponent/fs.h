/*
 * Files on a pComponent: the storage client that sends a vNode's X2S_* requests to
 * the mComponent GSM names for it (pcomponent/fs.c), the open regular files and
 * directories behind descriptors (fs_file.c), and each process's current
 * directory. linux-abi/sys_file.c and sys_path.c are the system calls over them.
 */
#ifndef PCOMPONENT_FS_H
#define PCOMPONENT_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/config.h"
#include "kernel/time.h"
#include "net/wire.h"
#include "scomponent/proto.h"

#define FS_RPC_TIMEOUT (30 * NSEC_PER_SEC)
#define FS_PATH_SIZE (NET_PATH_MAX + 1)	/* a path buffer, NUL included */

struct file;
struct process;

/* Find gmon, and whether the cluster has storage at all (an smon in the map). */
int fs_init(const struct node_config *cfg);

/*
 * One X2S_* request of vnode's, answered by its front mmon (or, with no smon in the
 * cluster, by an empty read-only root): the answer's length or -errno. May block
 * the calling thread for up to FS_RPC_TIMEOUT; signals do not interrupt it.
 */
int fs_call(uint32_t vnode, uint16_t op, const void *req, size_t len, void *resp, size_t max);
/* A request of one path (struct x2s_path + path). */
int fs_path_call(uint32_t vnode, uint16_t op, const char *path, uint32_t flags, uint32_t mode,
		 void *resp, size_t max);
/* A request of two paths (struct x2s_path2 + p1 + p2): X2S_RENAME, X2S_SYMLINK. */
int fs_path2_call(uint32_t vnode, uint16_t op, const char *p1, const char *p2, uint32_t flags);
/* X2S_STAT of path (following a last symlink unless nofollow), or X2S_GETATTR of h. */
int fs_stat(uint32_t vnode, const char *path, bool nofollow, struct fs_attr *a);
int fs_getattr(const struct fs_handle *h, struct fs_attr *a);

/*
 * Open path of vnode (absolute, normalized) with Linux's open flags and creation
 * mode (umask applied): a regular file or a directory, one reference, the caller's.
 * must_dir: the name ended in a slash.
 */
int fs_open(uint32_t vnode, const char *path, uint32_t flags, uint32_t mode, bool must_dir,
	    struct file **out);
/* The absolute path f was opened by if it is a directory here, else NULL. */
const char *fs_dir_path(const struct file *f);

/* A current directory: an immutable path, shared by fork until a chdir replaces it. */
struct fs_cwd {
	int refs;		/* atomic */
	char path[];		/* absolute, normalized */
};

/* p's current directory with a reference (NULL means "/"); fs_cwd_path() reads it. */
struct fs_cwd *fs_cwd_get(struct process *p);
const char *fs_cwd_path(const struct fs_cwd *c);
void fs_cwd_put(struct fs_cwd *c);
/* Make path p's current directory: 0 or -ENOMEM. */
int fs_cwd_set(struct process *p, const char *path);

#endif
