/*
 * The storage client of a pComponent (include/pcomponent/fs.h): every file request
 * of a vNode goes to the mComponent that GSM on gmon names for it (X2G_STORAGE,
 * remembered per vNode), which forwards it to the vNode's smon. With no smon in the
 * cluster map there is no storage: each vNode sees an empty, read-only "/".
 */
#define LOG_SUBSYS "fs"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "linux-abi/linux.h"
#include "pcomponent/fs.h"
#include "pcomponent/process.h"
#include "pmon.h"

#define FRONTS 16		/* vNodes whose front mmon a pmon remembers */

struct front {
	uint32_t vnode;		/* 0: unused */
	uint8_t mmon;
};

static struct spinlock front_lock = SPINLOCK_INIT("fs-front");	/* fronts, next_front */
static struct front fronts[FRONTS];
static unsigned next_front;
static uint8_t fs_gmon;		/* fixed after fs_init */
static bool fs_storage;		/* fixed after fs_init: an smon is in the map */

int fs_init(const struct node_config *cfg)
{
	bool gmon = false;

	for (unsigned i = 0; i < cfg->npeers; i++) {
		if (cfg->peers[i].role == ROLE_GMON) {
			fs_gmon = cfg->peers[i].id;
			gmon = true;
		}
		fs_storage |= cfg->peers[i].role == ROLE_SMON;
	}
	if (fs_storage && !gmon) {
		pr_warn("an smon but no gmon in the cluster map: no storage");
		fs_storage = false;
	}
	return 0;
}

static int front_lookup(uint32_t vnode)
{
	int mmon = -ENOENT;

	spin_lock(&front_lock);
	for (unsigned i = 0; i < FRONTS; i++)
		if (fronts[i].vnode == vnode)
			mmon = fronts[i].mmon;
	spin_unlock(&front_lock);
	return mmon;
}

static void front_remember(uint32_t vnode, uint8_t mmon)
{
	spin_lock(&front_lock);
	fronts[next_front] = (struct front){ .vnode = vnode, .mmon = mmon };
	next_front = (next_front + 1) % FRONTS;
	spin_unlock(&front_lock);
}

/* A front that stopped answering is asked of GSM again next time. */
static void front_forget(uint32_t vnode)
{
	spin_lock(&front_lock);
	for (unsigned i = 0; i < FRONTS; i++)
		if (fronts[i].vnode == vnode)
			fronts[i].vnode = 0;
	spin_unlock(&front_lock);
}

/* vnode's front mmon: remembered, or GSM's answer. Node id or -errno. */
static int front(uint32_t vnode)
{
	struct g2x_storage g;
	int ret = front_lookup(vnode);

	if (ret >= 0)
		return ret;
	ret = msg_rpc(fs_gmon, X2G_STORAGE, &vnode, sizeof(vnode), &g, sizeof(g),
		      FS_RPC_TIMEOUT);
	if (ret >= 0 && ret != sizeof(g))
		ret = -EPROTO;
	if (ret < 0) {
		pr_warn("no storage for vNode %u from gmon (%d)", vnode, ret);
		return ret == -ENOENT ? -EIO : ret;
	}
	front_remember(vnode, g.mmon);
	return g.mmon;
}

static bool names_root(const void *req, size_t len)
{
	return len == sizeof(struct x2s_path) + 1 &&
	       ((const char *)req)[sizeof(struct x2s_path)] == '/';
}

static int root_attr(uint32_t vnode, void *resp, size_t max)
{
	struct s2x_attr a = {
		.h = { .vnode = vnode, .gen = 1, .ino = 1 },
		.a = { .ino = 1, .mode = S_IFDIR | 0755, .nlink = 2 },
	};

	if (max < sizeof(a))
		return -EPROTO;
	memcpy(resp, &a, sizeof(a));
	return sizeof(a);
}

/*
 * What smon would answer for a vNode whose file system is an empty, read-only "/":
 * the root can be looked at and listed; nothing else exists or can be made.
 */
static int empty_root(uint32_t vnode, uint16_t op, const void *req, size_t len, void *resp,
		      size_t max)
{
	struct x2s_path q = { 0 };
	struct s2x_readdir r = { 0 };

	if (len >= sizeof(q))
		memcpy(&q, req, sizeof(q));
	switch (op) {
	case X2S_OPEN:
		if (names_root(req, len))
			return (q.flags & X2S_EXCL) ? -EEXIST : root_attr(vnode, resp, max);
		return (q.flags & X2S_CREAT) ? -EROFS : -ENOENT;
	case X2S_STAT:
		return names_root(req, len) ? root_attr(vnode, resp, max) : -ENOENT;
	case X2S_GETATTR:
		return root_attr(vnode, resp, max);
	case X2S_READDIR:
		if (max < sizeof(r))
			return -EPROTO;
		memcpy(resp, &r, sizeof(r));
		return sizeof(r);
	case X2S_READLINK:
		return names_root(req, len) ? -EINVAL : -ENOENT;
	case X2S_MKDIR:
		return names_root(req, len) ? -EEXIST : -EROFS;
	case X2S_READ:
		return -EISDIR;
	case X2S_FSYNC:
		return 0;
	case X2S_STATFS:
		if (max < sizeof(struct s2x_statfs))
			return -EPROTO;
		memset(resp, 0, sizeof(struct s2x_statfs));
		return sizeof(struct s2x_statfs);
	default:
		return -EROFS;
	}
}

int fs_call(uint32_t vnode, uint16_t op, const void *req, size_t len, void *resp, size_t max)
{
	int mmon, ret;

	if (!fs_storage)
		return empty_root(vnode, op, req, len, resp, max);
	mmon = front(vnode);
	if (mmon < 0)
		return mmon;
	ret = msg_rpc((uint8_t)mmon, op, req, len, resp, max, FS_RPC_TIMEOUT);
	if (ret == -ETIMEDOUT || ret == -EHOSTUNREACH) {
		front_forget(vnode);
		ret = -EIO;
	}
	return ret;
}

int fs_path_call(uint32_t vnode, uint16_t op, const char *path, uint32_t flags, uint32_t mode,
		 void *resp, size_t max)
{
	struct x2s_path q = { .vnode = vnode, .flags = flags, .mode = mode,
			      .len = (uint32_t)strlen(path) };
	uint8_t *req;
	int ret;

	if (q.len == 0 || q.len > NET_PATH_MAX)
		return -ENAMETOOLONG;
	req = kmalloc(sizeof(q) + q.len);
	if (!req)
		return -ENOMEM;
	memcpy(req, &q, sizeof(q));
	memcpy(req + sizeof(q), path, q.len);
	ret = fs_call(vnode, op, req, sizeof(q) + q.len, resp, max);
	kfree(req);
	return ret;
}

int fs_path2_call(uint32_t vnode, uint16_t op, const char *p1, const char *p2, uint32_t flags)
{
	struct x2s_path2 q = { .vnode = vnode, .flags = flags, .len1 = (uint32_t)strlen(p1),
			       .len2 = (uint32_t)strlen(p2) };
	uint8_t *req;
	int ret;

	if (!q.len1 || !q.len2)
		return -ENOENT;
	if (q.len1 > NET_PATH_MAX || q.len2 > NET_PATH_MAX)
		return -ENAMETOOLONG;
	req = kmalloc(sizeof(q) + q.len1 + q.len2);
	if (!req)
		return -ENOMEM;
	memcpy(req, &q, sizeof(q));
	memcpy(req + sizeof(q), p1, q.len1);
	memcpy(req + sizeof(q) + q.len1, p2, q.len2);
	ret = fs_call(vnode, op, req, sizeof(q) + q.len1 + q.len2, NULL, 0);
	kfree(req);
	return ret;
}

/* An attributes answer of ret bytes into *a: 0 or -errno. */
static int take_attr(int ret, const struct s2x_attr *r, struct fs_attr *a)
{
	if (ret < 0)
		return ret;
	if (ret != sizeof(*r))
		return -EPROTO;
	*a = r->a;
	return 0;
}

int fs_stat(uint32_t vnode, const char *path, bool nofollow, struct fs_attr *a)
{
	struct s2x_attr r;
	int ret = fs_path_call(vnode, X2S_STAT, path, nofollow ? X2S_NOFOLLOW : 0, 0, &r,
			       sizeof(r));

	return take_attr(ret, &r, a);
}

int fs_getattr(const struct fs_handle *h, struct fs_attr *a)
{
	struct s2x_attr r;
	int ret = fs_call(h->vnode, X2S_GETATTR, h, sizeof(*h), &r, sizeof(r));

	return take_attr(ret, &r, a);
}

struct fs_cwd *fs_cwd_get(struct process *p)
{
	struct fs_cwd *c;

	spin_lock(&proc_lock);
	c = p->cwd;
	if (c)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	spin_unlock(&proc_lock);
	return c;
}

const char *fs_cwd_path(const struct fs_cwd *c)
{
	return c ? c->path : "/";
}

void fs_cwd_put(struct fs_cwd *c)
{
	if (c && !__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL))
		kfree(c);
}

int fs_cwd_set(struct process *p, const char *path)
{
	size_t n = strlen(path) + 1;
	struct fs_cwd *c = kmalloc(sizeof(*c) + n), *old;

	if (!c)
		return -ENOMEM;
	c->refs = 1;
	memcpy(c->path, path, n);
	spin_lock(&proc_lock);
	old = p->cwd;
	p->cwd = c;
	spin_unlock(&proc_lock);
	fs_cwd_put(old);
	return 0;
}
