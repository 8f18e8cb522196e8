/*
 * GSM placement policy: which sComponent keeps a vNode's files. A vNode's files live
 * on one smon, so its namespace is one tree and a rename is one request; the first
 * request for a vNode places it, and the placement never changes (its files are on
 * that disk). Used by gmon (managers/gmon.c) and tests/unit/test_gsm.c.
 *
 * Choice: power of two choices over the free blocks the sComponents report every
 * second, as GMM does for memory, with a charge per placement so a burst of new vNodes
 * spreads before the next reports show their use. The mComponent that fronts the
 * vNode's files with its buffer cache is the caller's pick (GMM's, by free memory),
 * recorded here with the smon so every pmon and host sends the vNode's file requests
 * to the same cache.
 *
 * Errors: -EINVAL bad argument (node GSM_NONE, free > capacity, vnode 0, mmon
 * GSM_NONE for a new placement); -ENOENT no placement (gsm_lookup); -ENOSPC no slot for
 * a 65th node or a 1025th vNode, or every live sComponent is full; -EAGAIN no live
 * sComponent (none has reported yet, or all are silent: retry later).
 */
#include "managers/gsm.h"
#include "managers/choice.h"
#include "kernel/errno.h"
#include "lib/string.h"

#define GSM_SEED_DEFAULT 0x2545f4914f6cdd1dull

int gsm_init(struct gsm *g, const struct gsm_params *p)
{
	if (!g || !p || p->timeout_ns == 0)
		return -EINVAL;
	memset(g, 0, sizeof(*g));
	g->p = *p;
	g->rng = p->seed ? p->seed : GSM_SEED_DEFAULT;
	return 0;
}

static struct gsm_node *node_find(struct gsm *g, uint8_t id)
{
	for (int i = 0; i < GSM_MAX_NODES; i++)
		if (g->nodes[i].used && g->nodes[i].id == id)
			return &g->nodes[i];
	return NULL;
}

static bool node_live(const struct gsm *g, const struct gsm_node *n, uint64_t now)
{
	return n->used && (now < n->heard_ns || now - n->heard_ns < g->p.timeout_ns);
}

bool gsm_eligible(const struct gsm *g, uint8_t node, uint64_t now)
{
	for (int i = 0; i < GSM_MAX_NODES; i++)
		if (g->nodes[i].used && g->nodes[i].id == node)
			return node_live(g, &g->nodes[i], now) && g->nodes[i].free > 0;
	return false;
}

static struct gsm_node *node_add(struct gsm *g, uint8_t id)
{
	for (int i = 0; i < GSM_MAX_NODES; i++) {
		if (!g->nodes[i].used) {
			g->nodes[i] = (struct gsm_node){ .used = true, .id = id };
			return &g->nodes[i];
		}
	}
	return NULL;
}

int gsm_report(struct gsm *g, uint8_t node, uint64_t capacity, uint64_t free, uint64_t now)
{
	struct gsm_node *n;
	int made = 0;

	if (node == GSM_NONE || free > capacity)
		return -EINVAL;
	n = node_find(g, node);
	if (!n) {
		n = node_add(g, node);
		if (!n)
			return -ENOSPC;
		made = 1;
	} else if (now < n->heard_ns) {
		return 0;	/* older than the report we have */
	}
	n->capacity = capacity;
	n->free = free;
	n->heard_ns = now;
	return made;
}

/* The slot of the freer of two live sComponents with free blocks, sampled at random. */
static int pick(struct gsm *g, uint64_t now)
{
	uint64_t room[GSM_MAX_NODES];
	uint8_t cand[GSM_MAX_NODES];
	unsigned n = 0, live = 0;

	for (int k = 0; k < GSM_MAX_NODES; k++) {
		if (!node_live(g, &g->nodes[k], now))
			continue;
		live++;
		if (g->nodes[k].free > 0) {
			room[n] = g->nodes[k].free;
			cand[n++] = (uint8_t)k;
		}
	}
	if (n == 0)
		return live ? -ENOSPC : -EAGAIN;
	return cand[choice_freer(&g->rng, room, n)];
}

static const struct gsm_vnode *vnode_find(const struct gsm *g, uint32_t vnode)
{
	for (unsigned i = 0; i < g->nvnodes; i++)
		if (g->vnodes[i].vnode == vnode)
			return &g->vnodes[i];
	return NULL;
}

int gsm_lookup(const struct gsm *g, uint32_t vnode, struct gsm_vnode *out)
{
	const struct gsm_vnode *v = vnode_find(g, vnode);

	if (!v)
		return -ENOENT;
	*out = *v;
	return 0;
}

int gsm_place(struct gsm *g, uint32_t vnode, uint8_t mmon, uint64_t now,
	      struct gsm_vnode *out, bool *made)
{
	struct gsm_node *n;
	int slot;

	if (vnode == 0 || !out || !made)
		return -EINVAL;
	*made = false;
	if (gsm_lookup(g, vnode, out) == 0)
		return 0;
	if (mmon == GSM_NONE)
		return -EINVAL;
	if (g->nvnodes == GSM_MAX_VNODES)
		return -ENOSPC;
	slot = pick(g, now);
	if (slot < 0)
		return slot;
	n = &g->nodes[slot];
	n->free = n->free > g->p.charge_blocks ? n->free - g->p.charge_blocks : 0;
	g->vnodes[g->nvnodes++] = (struct gsm_vnode){ vnode, n->id, mmon };
	*out = g->vnodes[g->nvnodes - 1];
	*made = true;
	return 0;
}

/*
 * A vNode's placement as its front reports it to a restarted gmon (M2G_RESTORE):
 * 1 recorded, 0 one stands already (it wins), -EINVAL, -ENOSPC the table is full.
 */
int gsm_restore(struct gsm *g, uint32_t vnode, uint8_t smon, uint8_t mmon)
{
	if (vnode == 0 || smon == GSM_NONE || mmon == GSM_NONE)
		return -EINVAL;
	if (vnode_find(g, vnode))
		return 0;
	if (g->nvnodes == GSM_MAX_VNODES)
		return -ENOSPC;
	g->vnodes[g->nvnodes++] = (struct gsm_vnode){ vnode, smon, mmon };
	return 1;
}
