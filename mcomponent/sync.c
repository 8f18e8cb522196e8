/*
 * Home to owners: after the home's vma tree changes over a range, both copies of each
 * vRegion in it (owner and backup) get the vmas there (M2M_VMA_SYNC) and replace
 * their mirror; pages go with M2M_PAGE_PUT, a fork copies mirrors with M2M_MM_COPY,
 * and M2M_MM_FREE ends it all. The receiving side of VMA_SYNC is here too.
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "mmon.h"

#define SYNC_MSG_MAX (sizeof(struct m2m_vma_sync) + NET_SYNC_VMAS * sizeof(struct wire_vma))

static void mark_synced(struct space *s, uint8_t owner)
{
	s->synced[owner / 8] |= 1u << (owner % 8);
}

/* Send one message: the vmas of [lo, hi) are the n entries already in msg's body. */
static int send_one(struct space *s, uint8_t owner, uint8_t *msg, uint64_t lo, uint64_t hi,
		    uint32_t n)
{
	struct m2m_vma_sync h = {
		.mm = s->mm, .vnode = s->vnode, .pmon = s->pmon, .nvmas = n,
		.start = lo, .end = hi, .backup = VREGION_NONE,
	};
	int ret, backup = vregion_map_backup(&s->owners, vregion_of(lo));

	h.owner = (uint8_t)vregion_map_get(&s->owners, vregion_of(lo));
	if (backup >= 0)
		h.backup = (uint8_t)backup;

	memcpy(msg, &h, sizeof(h));
	mark_synced(s, owner);
	ret = msg_rpc(owner, M2M_VMA_SYNC, msg, sizeof(h) + n * sizeof(struct wire_vma), NULL,
		      0, MMON_RPC_TIMEOUT);
	return ret < 0 ? ret : 0;
}

/*
 * Send the home tree over [lo, hi), inside one vRegion, to its owner: consecutive
 * messages of at most NET_SYNC_VMAS vmas, each covering up to the next one's first vma.
 * fresh: an empty message first, so the owner drops every page of the range.
 */
static int send_sync(struct space *s, uint8_t owner, uint64_t lo, uint64_t hi, bool fresh)
{
	uint8_t *msg = kmalloc(SYNC_MSG_MAX);
	struct vma *v = vma_first_after(&s->vs, lo);
	struct wire_vma w;
	uint64_t at = lo, end;
	uint32_t n;
	int err = 0;

	if (!msg)
		return -ENOMEM;
	if (fresh)
		err = send_one(s, owner, msg, lo, hi, 0);
	while (!err && at < hi) {
		for (n = 0; v && v->start < hi && n < NET_SYNC_VMAS; v = v->next, n++) {
			w = (struct wire_vma){
				.start = v->start > lo ? v->start : lo,
				.end = v->end < hi ? v->end : hi,
				.prot = v->prot, .kind = v->kind,
			};
			memcpy(msg + sizeof(struct m2m_vma_sync) + n * sizeof(w), &w, sizeof(w));
		}
		end = v && v->start < hi ? v->start : hi;
		err = send_one(s, owner, msg, at, end, n);
		at = end;
	}
	kfree(msg);
	return err;
}

struct sync_arg {
	uint64_t lo, hi;
	bool fresh;
};

/* One copy of a vRegion: by message, or here by dropping the pages no vma covers. */
static int sync_copy(struct space *s, uint8_t node, void *arg)
{
	const struct sync_arg *a = arg;

	if (node != mmon_self)
		return send_sync(s, node, a->lo, a->hi, a->fresh);
	if (a->fresh)
		pages_drop(s, a->lo, a->hi);
	else
		pages_drop_unmapped(s, a->lo, a->hi);
	return 0;
}

/*
 * Bring both copies of every known vRegion in [lo, hi) up to date with the home's
 * tree (all their pages dropped if fresh). Goes on past a failing copy; returns the
 * first error. A copy found lost is forgotten, and the rest go on without it.
 */
int sync_range(struct space *s, uint64_t lo, uint64_t hi, bool fresh)
{
	struct sync_arg a = { .fresh = fresh };
	uint32_t end_r;
	int err = 0, e;
	long r;

	if (lo >= hi)
		return 0;
	end_r = vregion_of(hi - 1) + 1;
	for (r = vregion_map_next(&s->owners, vregion_of(lo), end_r); r >= 0;
	     r = vregion_map_next(&s->owners, (uint32_t)r + 1, end_r)) {
		a.lo = vregion_start((uint32_t)r) > lo ? vregion_start((uint32_t)r) : lo;
		a.hi = vregion_start((uint32_t)r) + VREGION_SIZE < hi ?
		       vregion_start((uint32_t)r) + VREGION_SIZE : hi;
		e = replica_each(s, (uint32_t)r, sync_copy, &a);
		if (e) {
			pr_warn("vma sync mm=%u [%#lx, %#lx) failed (%d)", s->mm, a.lo, a.hi, e);
			err = err ? err : e;
		}
	}
	return err;
}

/* One copy of an image page: M2M_PAGE_PUT, or the store here. */
static int put_copy(struct space *s, uint8_t node, void *arg)
{
	const uint8_t *msg = arg;
	struct m2m_page h;
	int ret;

	memcpy(&h, msg, sizeof(h));
	if (node == mmon_self)
		return pages_write(s, h.va, msg + sizeof(h));
	mark_synced(s, node);
	ret = msg_rpc(node, M2M_PAGE_PUT, msg, sizeof(h) + NET_PAGE_SIZE, NULL, 0,
		      MMON_RPC_TIMEOUT);
	return ret < 0 ? ret : 0;
}

/* An image page (exec's) to both copies of its vRegion. */
int sync_page(struct space *s, uint64_t va, const void *page)
{
	struct m2m_page h = { .mm = s->mm, .va = va };
	uint8_t *msg = kmalloc(sizeof(h) + NET_PAGE_SIZE);
	int err;

	if (!msg)
		return -ENOMEM;
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), page, NET_PAGE_SIZE);
	err = replica_each(s, vregion_of(va), put_copy, msg);
	kfree(msg);
	return err;
}

/* M2M_MM_FREE to every owner that got anything; returns how many were told. */
unsigned sync_free_all(struct space *s)
{
	unsigned told = 0;
	int ret;

	for (unsigned node = 0; node < NET_NODES; node++) {
		if (!(s->synced[node / 8] & (1u << (node % 8))))
			continue;
		ret = msg_rpc((uint8_t)node, M2M_MM_FREE, &s->mm, sizeof(s->mm), NULL, 0,
			      MMON_RPC_TIMEOUT);
		if (ret < 0)
			pr_warn("M2M_MM_FREE mm=%u to mmon %u failed (%d)", s->mm, node, ret);
		else
			told++;
	}
	return told;
}

/*
 * A fork: M2M_MM_COPY to every owner the parent's home sent anything, each making
 * child's mirror a copy of parent's; child's synced marks each one first, so that
 * sync_free_all(c) undoes what they made. Stops at the first failure. *owners and
 * *pages count the owners that did it and the pages they say they copied.
 */
int sync_copy_all(struct space *p, struct space *c, unsigned *owners, long *pages)
{
	struct m2m_mm_copy q = { .parent = p->mm, .child = c->mm };
	uint32_t n;
	int ret;

	for (unsigned node = 0; node < NET_NODES; node++) {
		if (!(p->synced[node / 8] & (1u << (node % 8))))
			continue;
		mark_synced(c, (uint8_t)node);
		n = 0;
		ret = msg_rpc((uint8_t)node, M2M_MM_COPY, &q, sizeof(q), &n, sizeof(n),
			      MMON_RPC_TIMEOUT);
		if (ret < 0 && replica_lost(p, (uint8_t)node, ret)) {
			replica_lost(c, (uint8_t)node, ret);
			continue;
		}
		if (ret < 0) {
			pr_warn("M2M_MM_COPY mm=%u -> mm=%u to mmon %u failed (%d)", q.parent,
				q.child, node, ret);
			return ret;
		}
		(*owners)++;
		*pages += ret == sizeof(n) ? n : 0;
	}
	return 0;
}

/* The message's range and vmas: aligned, inside one vRegion, sorted, in bounds. */
static int check_sync(const struct m2m_vma_sync *h, const uint8_t *body)
{
	const uint64_t low = PAGE_SIZE - 1;
	uint64_t at = h->start;
	struct wire_vma w;

	if (((h->start | h->end) & low) || h->start >= h->end || h->end > VMA_MAX ||
	    vregion_of(h->start) != vregion_of(h->end - 1) || !mmon_is(h->pmon, ROLE_PMON) ||
	    !h->mm || h->rsvd || !mmon_is(h->owner, ROLE_MMON) || h->owner == h->backup ||
	    (h->backup != VREGION_NONE && !mmon_is(h->backup, ROLE_MMON)) ||
	    (h->owner != mmon_self && h->backup != mmon_self))
		return -EINVAL;
	for (uint32_t i = 0; i < h->nvmas; i++) {
		memcpy(&w, body + i * sizeof(w), sizeof(w));
		if (((w.start | w.end) & low) || w.start < at || w.start >= w.end ||
		    w.end > h->end || w.start < VMA_MIN ||
		    (w.prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) || w.kind >= VMA_KIND_COUNT)
			return -EINVAL;
		at = w.end;
	}
	return 0;
}

/* The mirror for mm, held: the existing one, or a new one whose home is peer. */
static int mirror_get(const struct m2m_vma_sync *h, uint8_t peer, struct space **out)
{
	struct space *s = space_get(h->mm);
	int err;

	if (!s) {
		err = space_create(h->mm, false, peer, &s);
		if (!err) {
			s->born = reap_gen(peer);	/* reaped if its home dies */
			pr_info("mirror of mm=%u for its home mmon %u", h->mm, peer);
		} else if (err == -EEXIST) {
			s = space_get(h->mm);
		} else {
			return err;
		}
		if (!s)
			return -EAGAIN;
	}
	if (s->is_home || s->home != peer) {
		space_put(s);
		mmon_refuse("vma-sync", h->mm, peer, "not the process's home");
		return -EPERM;
	}
	*out = s;
	return 0;
}

/*
 * Replace the mirror over [start, end) with the listed vmas, then drop the pages they
 * no longer cover. Running out of memory half-way leaves the range partly updated and
 * returns -ENOMEM; the home logs it.
 */
static int mirror_apply(struct space *s, const struct m2m_vma_sync *h, const uint8_t *body)
{
	const uint32_t flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
	struct wire_vma w;
	uint64_t out;
	int err;

	err = vregion_map_set(&s->owners, vregion_of(h->start), h->owner, h->backup);
	if (!err)
		err = vma_munmap(&s->vs, h->start, h->end - h->start);
	for (uint32_t i = 0; !err && i < h->nvmas; i++) {
		memcpy(&w, body + i * sizeof(w), sizeof(w));
		err = vma_mmap(&s->vs, w.start, w.end - w.start, w.prot, flags, w.kind, 0, &out);
	}
	pages_drop_unmapped(s, h->start, h->end);
	s->pmon = h->pmon;
	s->vnode = h->vnode;
	return err;
}

/* M2M_VMA_SYNC: from the home of mm, about a vRegion this node keeps a copy of. */
int sync_receive(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		 size_t resp_max)
{
	const uint8_t *body = (const uint8_t *)req + sizeof(struct m2m_vma_sync);
	struct m2m_vma_sync h;
	struct space *s;
	int err;

	(void)ctx, (void)resp, (void)resp_max;
	memcpy(&h, req, sizeof(h));
	if (!mmon_is(peer, ROLE_MMON) || peer == mmon_self) {
		mmon_refuse("vma-sync", h.mm, peer, "not another mmon");
		return -EPERM;
	}
	if (h.nvmas > NET_SYNC_VMAS || len != sizeof(h) + h.nvmas * sizeof(struct wire_vma))
		return -EINVAL;
	err = check_sync(&h, body);
	if (err)
		return err;
	err = mirror_get(&h, peer, &s);
	if (err)
		return err;
	err = mirror_apply(s, &h, body);
	space_put(s);
	return err;
}
