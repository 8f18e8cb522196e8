/*
 * The file front: the mComponent GSM names for a vNode takes every file request of
 * that vNode (X2S_*, from its pmons and from hosts). Reads, writes, truncates and
 * fsyncs go to the buffer cache (bcache.c), which sees all of the vNode's traffic;
 * the rest is forwarded to the vNode's sComponent as it came (docs/storage.md).
 */
#define LOG_SUBSYS "mmon files"
#include "kernel/errno.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "mmon.h"

#define FRONT_SLOTS	64			/* vNodes whose smon is remembered */
_Static_assert(FRONT_SLOTS <= NET_RESTORE_MAX, "restore.c sends the fronts in one message");

struct front {
	uint32_t vnode;		/* 0: free slot */
	uint8_t smon;
};

static struct spinlock front_lock = SPINLOCK_INIT("files");	/* fronts, next_slot */
static struct front fronts[FRONT_SLOTS];
static unsigned next_slot;

static bool front_find(uint32_t vnode, uint8_t *smon)
{
	bool found = false;

	spin_lock(&front_lock);
	for (unsigned i = 0; i < FRONT_SLOTS && !found; i++) {
		if (fronts[i].vnode == vnode) {
			*smon = fronts[i].smon;
			found = true;
		}
	}
	spin_unlock(&front_lock);
	return found;
}

static void front_add(uint32_t vnode, uint8_t smon)
{
	spin_lock(&front_lock);
	fronts[next_slot] = (struct front){ vnode, smon };
	next_slot = (next_slot + 1) % FRONT_SLOTS;
	spin_unlock(&front_lock);
}

unsigned files_fronts(struct m2g_restore *out, unsigned max)
{
	unsigned n = 0;

	spin_lock(&front_lock);
	for (unsigned i = 0; i < FRONT_SLOTS && n < max; i++)
		if (fronts[i].vnode)
			out[n++] = (struct m2g_restore){ .key = fronts[i].vnode,
							 .kind = RESTORE_FRONT,
							 .owner = fronts[i].smon };
	spin_unlock(&front_lock);
	return n;
}

/*
 * The smon keeping vnode's files, if GSM says this node fronts them. A placement
 * never changes, so the answer is remembered (a few vNodes at a time).
 */
static int smon_of(uint32_t vnode, uint8_t peer, uint8_t *smon)
{
	struct g2x_storage g;
	int ret;

	if (front_find(vnode, smon))
		return 0;
	if (mmon_gmon == 0xff)
		return -EHOSTUNREACH;
	ret = msg_rpc_patient(mmon_gmon, X2G_STORAGE, &vnode, sizeof(vnode), &g, sizeof(g),
			      MMON_RPC_TIMEOUT, MMON_GMON_PATIENCE);
	if (ret < 0)
		return ret;
	if (ret != sizeof(g) || !mmon_is(g.smon, ROLE_SMON))
		return -EPROTO;
	if (g.mmon != mmon_self) {
		mmon_refuse("file request", vnode, peer, "another mmon fronts the vNode");
		return -EPERM;
	}
	front_add(vnode, g.smon);
	*smon = g.smon;
	return 0;
}

/* Every X2S_* request names its vNode in its first four bytes: its smon, if we front it. */
static int front(uint8_t peer, const void *req, uint8_t *smon)
{
	uint32_t vnode;

	if (!mmon_is(peer, ROLE_PMON) && !mmon_is(peer, ROLE_HOST) && !mmon_is(peer, ROLE_MMON)) {
		mmon_refuse("file request", 0, peer, "not a pmon, an mmon or a host");
		return -EPERM;
	}
	memcpy(&vnode, req, sizeof(vnode));
	if (vnode == 0)
		return -EINVAL;
	return smon_of(vnode, peer, smon);
}

/*
 * A call to a storage monitor, with the time a file request may take. smon keeps
 * nothing but its disk, so a call msg_rpc() sends again after smon's restart (it may
 * have run on the old incarnation, its answer lost) repeats reads, writes, truncates
 * and syncs to the same effect; a create, unlink or rename that did run answers the
 * repeat as a second call (-EEXIST, -ENOENT).
 */
int smon_rpc(uint8_t smon, uint16_t opcode, const void *req, size_t len, void *resp,
	     size_t resp_max)
{
	return msg_rpc(smon, opcode, req, len, resp, resp_max, MMON_FS_TIMEOUT);
}

static int forward(uint16_t opcode, uint8_t peer, const void *req, size_t len, void *resp,
		   size_t resp_max)
{
	uint8_t smon;
	int err = front(peer, req, &smon);

	if (err)
		return err;
	return smon_rpc(smon, opcode, req, len, resp, resp_max);
}

/* An attributes answer, with the size the cache knows; X2S_TRUNC cuts its pages. */
static int attr_call(uint16_t opcode, uint8_t peer, const void *req, size_t len, void *resp,
		     size_t resp_max, bool trunc)
{
	int ret = forward(opcode, peer, req, len, resp, resp_max), err;

	if (ret != sizeof(struct s2x_attr))
		return ret;
	err = bcache_attr(resp, trunc);
	return err ? err : ret;
}

MMON_HANDLER(files_X2S_OPEN)
{
	struct x2s_path q;

	(void)ctx;
	memcpy(&q, req, sizeof(q));
	return attr_call(X2S_OPEN, peer, req, len, resp, resp_max, q.flags & X2S_TRUNC);
}

MMON_HANDLER(files_X2S_STAT)
{
	(void)ctx;
	return attr_call(X2S_STAT, peer, req, len, resp, resp_max, false);
}

MMON_HANDLER(files_X2S_GETATTR)
{
	(void)ctx;
	return attr_call(X2S_GETATTR, peer, req, len, resp, resp_max, false);
}

MMON_HANDLER(files_X2S_READ)
{
	uint8_t smon;
	int err = front(peer, req, &smon);

	(void)ctx;
	return err ? err : bcache_read(smon, req, len, resp, resp_max);
}

MMON_HANDLER(files_X2S_WRITE)
{
	uint8_t smon;
	int err = front(peer, req, &smon);

	(void)ctx;
	return err ? err : bcache_write(smon, req, len, resp, resp_max);
}

MMON_HANDLER(files_X2S_TRUNCATE)
{
	uint8_t smon;
	int err = front(peer, req, &smon);

	(void)ctx, (void)resp, (void)resp_max;
	return err ? err : bcache_truncate(smon, req, len);
}

MMON_HANDLER(files_X2S_FSYNC)
{
	uint8_t smon;
	int err = front(peer, req, &smon);

	(void)ctx, (void)resp, (void)resp_max;
	return err ? err : bcache_fsync(smon, req, len);
}

/* files_X2S_READDIR() and the rest: passed to smon unchanged. */
#define FORWARDER(op)							\
MMON_HANDLER(files_##op)						\
{									\
	(void)ctx;							\
	return forward(op, peer, req, len, resp, resp_max);		\
}
FORWARDER(X2S_READDIR)
FORWARDER(X2S_MKDIR)
FORWARDER(X2S_UNLINK)
FORWARDER(X2S_RENAME)
FORWARDER(X2S_SYMLINK)
FORWARDER(X2S_READLINK)
FORWARDER(X2S_STATFS)
