/*
 * fork of an address space, copied eagerly. P2M_MM_FORK on the parent's home makes
 * the child there (vmas, break, owners, image, pages), has gmon place it where the
 * parent is (M2G_MM_COPY) and each other owner copy its mirror (M2M_MM_COPY, served
 * below). A failure anywhere undoes it everywhere: the child leaves no trace.
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "mmon.h"

/* What only a home has: the image, shared once sealed. */
static void fork_home(struct space *p, struct space *c)
{
	c->execd = p->execd;
	if (p->image && p->image->sealed)
		c->image = image_get(p->image);
}

/*
 * The child space, held, as p (held) is on this node: same home, pmon, host, vNode,
 * vmas, break and copies of vRegions, a copy of every page here. Undone whole on failure (-EEXIST if
 * child is known here, -ENOMEM).
 */
static int fork_space(struct space *p, uint32_t child, struct space **out, long *pages)
{
	struct space *c;
	long n = 0;
	int err;

	err = space_create(child, p->is_home, p->home, &c);
	if (err)
		return err;
	c->pmon = p->pmon;
	c->born = p->born;
	c->host = p->host;
	c->vnode = p->vnode;
	if (p->is_home)
		fork_home(p, c);
	err = vma_space_copy(&c->vs, &p->vs);
	if (!err)
		err = vregion_map_copy(&c->owners, &p->owners);
	if (!err)
		n = pages_copy(p, c);
	if (err || n < 0) {
		space_kill(c);
		space_put(c);
		return err ? err : (int)n;
	}
	*out = c;
	*pages = n;
	return 0;
}

static int copy_placements(const struct m2g_mm_copy *q)
{
	return msg_rpc_patient(mmon_gmon, M2G_MM_COPY, q, sizeof(*q), NULL, 0, MMON_RPC_TIMEOUT,
			       MMON_GMON_PATIENCE);
}

/*
 * M2G_MM_COPY: gmon places child where parent is. -ENOENT (parent has no placement)
 * is fine while parent has no vRegion either: an execve'd space, whose home the pmon
 * did not place, before its exec. With vRegions it means gmon restarted and has not
 * heard of parent yet (the restorer waits for p, which we hold): tell it, and copy
 * again. A gmon restarting is waited for. On failure, release what the copy may have
 * made (its answer may be what got lost), unless gmon said child already had
 * placements: those are not ours. Without a gmon nothing was ever placed.
 */
static int fork_placements(struct space *p, uint32_t child)
{
	struct m2g_mm_copy q = { .parent = p->mm, .child = child };
	bool placed = vregion_map_next(&p->owners, 0, VREGION_COUNT) >= 0;
	int ret;

	if (mmon_gmon == 0xff)
		return 0;
	ret = copy_placements(&q);
	if (ret == -ENOENT && placed && restore_space(p) == 0)
		ret = copy_placements(&q);
	if (ret >= 0 || (ret == -ENOENT && !placed))
		return 0;
	pr_warn("M2G_MM_COPY mm=%u -> mm=%u to gmon failed (%d)", p->mm, child, ret);
	if (ret != -EEXIST)
		space_release(child);
	return ret;
}

/* P2M_MM_FORK: from the pmon running parent, on its home. */
int fork_mm(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
	    size_t resp_max)
{
	struct p2m_mm_fork q;
	struct space *p, *c;
	long here, remote = 0;
	unsigned owners = 0;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&q, req, sizeof(q));
	(void)reap_now(peer);	/* before holding p: it may be one to reap */
	err = space_get_pmon_home(q.parent, peer, "fork", &p);
	if (err)
		return err;
	err = !q.child || q.child == q.parent ? -EINVAL : fork_space(p, q.child, &c, &here);
	if (err)
		goto out_put;
	err = fork_placements(p, q.child);
	if (err)
		goto out_kill;
	err = sync_copy_all(p, c, &owners, &remote);
	if (err)
		goto out_free_mirrors;
	space_put(c);
	space_put(p);
	pr_info("fork mm=%u -> mm=%u: %ld pages here, %ld on %u other mmons", q.parent,
		q.child, here, remote, owners);
	return 0;

out_free_mirrors:
	sync_free_all(c);
	space_release(q.child);
out_kill:
	space_kill(c);
	space_put(c);
out_put:
	space_put(p);
	pr_warn("fork mm=%u -> mm=%u failed (%d)", q.parent, q.child, err);
	return err;
}

/* M2M_MM_COPY: parent's home has this owner make child's mirror a copy of parent's. */
int fork_copy(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
	      size_t resp_max)
{
	struct m2m_mm_copy q;
	struct space *p, *c;
	long pages;
	uint32_t n;
	int err;

	(void)ctx, (void)len;
	memcpy(&q, req, sizeof(q));
	if (resp_max < sizeof(n))
		return -ENOSPC;
	err = space_get_home(q.parent, peer, "mm-copy", &p);
	if (err)
		return err;
	err = !q.child || q.child == q.parent ? -EINVAL : fork_space(p, q.child, &c, &pages);
	space_put(p);
	if (err)
		return err;
	space_put(c);
	n = (uint32_t)pages;
	memcpy(resp, &n, sizeof(n));
	pr_info("mirror of mm=%u copied to mm=%u for its home mmon %u: %u pages", q.parent,
		q.child, peer, n);
	return sizeof(n);
}
