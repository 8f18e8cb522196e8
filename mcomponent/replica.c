/*
 * The two copies of a vRegion. GMM gives each vRegion an owner and, with replication
 * on, a backup on another mmon; both keep the mirror of its vmas (the home syncs to
 * both) and every page: the node a pmon writes a page back to stores it, sends it to
 * the other copy (M2M_PAGE_COPY) and answers only once that one has it too. So every
 * acknowledged write-back is on two mmons, and either can serve the vRegion alone.
 * The copy is sent after the space is let go: a node never waits for another while
 * it holds a mirror, so the home's syncs (which hold the home) cannot deadlock with it.
 *
 * A copy is lost when gmon declares its node down or the node restarts (its memory
 * is gone), and when it refuses a request about the space (-EPERM: it no longer has
 * it). The node that finds out forgets it in the space's map (vregion_map_lose()),
 * so the backup becomes the owner, as gmon makes it in GMM on the same event, and
 * the vRegion goes on with one copy. Nothing here re-replicates it (docs/memory.md).
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/page.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "mmon.h"

bool replica_holds(const struct space *s, uint32_t r)
{
	return vregion_map_get(&s->owners, r) == mmon_self ||
	       vregion_map_backup(&s->owners, r) == mmon_self;
}

/* Forget node in every vRegion of s that names it; how many did. */
static unsigned forget(struct space *s, uint8_t node)
{
	unsigned n = 0;

	for (long r = vregion_map_next(&s->owners, 0, VREGION_COUNT); r >= 0;
	     r = vregion_map_next(&s->owners, (uint32_t)r + 1, VREGION_COUNT))
		n += vregion_map_lose(&s->owners, (uint32_t)r, node);
	return n;
}

/* Does err, from node, mean its copy is gone? */
static bool copy_gone(uint8_t node, int err)
{
	if (err == -EPERM || err == -ECONNRESET)	/* refused, or a new incarnation */
		return true;
	return (err == -ETIMEDOUT || err == -EHOSTUNREACH) && msg_node_down(node);
}

bool replica_lost(struct space *s, uint8_t node, int err)
{
	unsigned n;

	if (node == mmon_self || !copy_gone(node, err))
		return false;
	n = forget(s, node);
	if (n)
		pr_warn("mm=%u: the copy on mmon %u is lost (%d): %u vRegions go on with one "
			"copy", s->mm, node, err, n);
	return true;
}

int replica_each(struct space *s, uint32_t r, replica_fn fn, void *arg)
{
	int err, first = 0;

	for (int i = 0; i < 2; i++) {
		int node = i ? vregion_map_backup(&s->owners, r) : vregion_map_get(&s->owners, r);

		if (node < 0)
			continue;
		err = node != mmon_self && msg_node_down((uint8_t)node) ? -EHOSTUNREACH :
		      fn(s, (uint8_t)node, arg);
		if (err && replica_lost(s, (uint8_t)node, err))
			i = -1;		/* the map changed: go over what is left */
		else if (err && !first)
			first = err;
	}
	return first;
}

int replica_other(const struct space *s, uint64_t va)
{
	uint32_t r = vregion_of(va);
	int owner = vregion_map_get(&s->owners, r), backup = vregion_map_backup(&s->owners, r);

	if (backup < 0)
		return -ENOENT;
	return owner == mmon_self ? backup : owner;
}

int replica_put(uint32_t mm, uint64_t va, const void *page, uint8_t node)
{
	struct m2m_page h = { .mm = mm, .va = va };
	struct space *s;
	uint8_t *msg;
	int err = -EHOSTUNREACH;

	if (!msg_node_down(node)) {
		msg = kmalloc(sizeof(h) + NET_PAGE_SIZE);
		if (!msg)
			return -ENOMEM;
		memcpy(msg, &h, sizeof(h));
		memcpy(msg + sizeof(h), page, NET_PAGE_SIZE);
		err = msg_rpc(node, M2M_PAGE_COPY, msg, sizeof(h) + NET_PAGE_SIZE, NULL, 0,
			      MMON_RPC_TIMEOUT);
		kfree(msg);
	}
	if (err >= 0 || !copy_gone(node, err))
		return err < 0 ? err : 0;
	s = space_get(mm);
	if (s) {
		replica_lost(s, node, err);
		space_put(s);
	}
	return 0;
}

/* M2M_PAGE_COPY: the other copy of the page's vRegion stored it; store it here too. */
int replica_receive(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		    size_t resp_max)
{
	struct m2m_page q;
	struct space *s;
	uint32_t r;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&q, req, sizeof(q));
	r = vregion_of(q.va);
	s = space_get(q.mm);
	if (!s) {
		mmon_refuse("page-copy", q.mm, peer, "no such process here");
		return -EPERM;
	}
	if (peer == mmon_self || !replica_holds(s, r) ||
	    (vregion_map_get(&s->owners, r) != peer && vregion_map_backup(&s->owners, r) != peer)) {
		space_put(s);
		mmon_refuse("page-copy", q.mm, peer, "not the other copy of the vRegion");
		return -EPERM;
	}
	err = fetch_store(s, q.va, 0, "page-copy", peer, (const uint8_t *)req + sizeof(q));
	space_put(s);
	return err;
}

/* A move of pages in the home's store, done again on the vRegions' other copy. */
static int move_copy(struct space *s, uint8_t node, void *arg)
{
	int ret;

	(void)s;
	if (node == mmon_self)
		return 0;
	ret = msg_rpc(node, M2M_PAGE_MOVE, arg, sizeof(struct m2m_page_move), NULL, 0,
		      MMON_RPC_TIMEOUT);
	return ret < 0 ? ret : 0;
}

int replica_move(struct space *s, uint64_t from, uint64_t to, uint64_t len)
{
	struct m2m_page_move q = { .mm = s->mm, .from = from, .to = to, .len = len };

	return replica_each(s, vregion_of(from), move_copy, &q);
}

/* Does this node keep a copy of every vRegion [lo, lo + len) touches? */
static bool holds_range(const struct space *s, uint64_t lo, uint64_t len)
{
	for (uint32_t r = vregion_of(lo); r <= vregion_of(lo + len - 1); r++)
		if (!replica_holds(s, r))
			return false;
	return true;
}

/* M2M_PAGE_MOVE: from the home, which moved the pages of a range it owns (mremap). */
int replica_move_receive(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
			 size_t resp_max)
{
	struct m2m_page_move q;
	struct space *s;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&q, req, sizeof(q));
	if (((q.from | q.to | q.len) & (PAGE_SIZE - 1)) || !q.len || q.len > VMA_MAX ||
	    q.from > VMA_MAX - q.len || q.to > VMA_MAX - q.len ||
	    (q.from < q.to + q.len && q.to < q.from + q.len))
		return -EINVAL;
	err = space_get_home(q.mm, peer, "page-move", &s);
	if (err)
		return err;
	if (holds_range(s, q.from, q.len) && holds_range(s, q.to, q.len)) {
		pages_move(s, q.from, q.to, q.len);
	} else {
		mmon_refuse("page-move", q.mm, peer, "a range this node keeps no copy of");
		err = -EPERM;
	}
	space_put(s);
	return err;
}
