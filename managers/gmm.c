/*
 * GMM placement policy: power-of-two-choices (as in Infiniswap) over the mComponents'
 * reported free capacity, with a record per placement so answers are stable.
 * Used by gmon's manager (managers/) and by tests/unit/test_gmm.c.
 *
 * Errors: -EINVAL bad argument (unknown ranges, NULL outputs, free > capacity);
 * -ENOENT unknown node or record; -EEXIST duplicate registration; -ENOSPC no slot for a
 * 65th node, or live mComponents exist but all report zero free pages; -EAGAIN no live
 * mComponent at all (none registered yet, or all silent past the timeout: retry later);
 * -ENOMEM the record table cannot grow (allocator failed or params.max_records reached).
 *
 * Charging: each placement subtracts params.charge_pages from the free estimate of the
 * node that will hold the pages (a home, a vRegion's owner), saturating at 0, so a
 * burst of placements between two reports spreads instead of piling onto the node
 * that looked freest. A backup keeps a copy of every page too (mcomponent/replica.c)
 * but serves no fetches: it is charged half, so owners still alternate (charged
 * alike, two nodes would keep their order, and one would own everything until a
 * report). The next report
 * replaces the estimate with the node's own count; releasing a process credits nothing
 * back, since that report already reflects what the node really frees. A copy (fork)
 * charges each copied record's owner as a placement would: the fork copies the pages
 * eagerly, so those nodes really lose that memory before their next report.
 */
#include "managers/gmm.h"
#include "managers/choice.h"
#include "kernel/errno.h"
#include "lib/string.h"

#define GMM_IDX_HOME UINT32_MAX	/* rec idx of a process's home: above every vRegion */
#define GMM_SEED_DEFAULT 0x9e3779b97f4a7c15ull
#define GMM_CAP_MIN 16

static uint64_t rec_key(uint32_t mm, uint32_t idx)
{
	return (uint64_t)mm << 32 | idx;
}

int gmm_init(struct gmm *g, const struct gmm_params *p, const struct gmm_alloc *a)
{
	if (!g || !p || !a || !a->alloc || !a->free)
		return -EINVAL;
	if (p->timeout_ns == 0 || p->nvregions == 0 || p->nvregions > GMM_VREGIONS_MAX ||
	    p->max_records == 0 || p->max_records > GMM_RECORDS_MAX)
		return -EINVAL;
	memset(g, 0, sizeof(*g));
	g->p = *p;
	g->a = *a;
	g->rng = p->seed ? p->seed : GMM_SEED_DEFAULT;
	return 0;
}

void gmm_fini(struct gmm *g)
{
	if (g->recs)
		g->a.free(g->a.ctx, g->recs);
	g->recs = NULL;
	g->nrecs = 0;
	g->cap = 0;
}

static struct gmm_node *node_find(struct gmm *g, uint8_t id)
{
	int i;

	for (i = 0; i < GMM_MAX_NODES; i++)
		if (g->nodes[i].used && g->nodes[i].id == id)
			return &g->nodes[i];
	return NULL;
}

/* Heard from within the timeout. A time before the last report counts as fresh. */
static bool node_live(const struct gmm *g, const struct gmm_node *n, uint64_t now)
{
	return n->used && (now <= n->heard_ns || now - n->heard_ns <= g->p.timeout_ns);
}

bool gmm_eligible(const struct gmm *g, uint8_t node, uint64_t now)
{
	int i;

	for (i = 0; i < GMM_MAX_NODES; i++)
		if (g->nodes[i].used && g->nodes[i].id == node)
			return node_live(g, &g->nodes[i], now) && g->nodes[i].free > 0;
	return false;
}

int gmm_register(struct gmm *g, uint8_t node, uint64_t capacity_pages, uint64_t now)
{
	int i;

	if (node == GMM_NONE || capacity_pages == 0)
		return -EINVAL;
	if (node_find(g, node))
		return -EEXIST;
	for (i = 0; i < GMM_MAX_NODES; i++) {
		struct gmm_node *n = &g->nodes[i];

		if (n->used)
			continue;
		n->used = true;
		n->id = node;
		n->capacity = capacity_pages;
		n->free = capacity_pages;
		n->heard_ns = now;
		return 0;
	}
	return -ENOSPC;
}

/* A report older than the latest one heard is dropped: it carries older counts. */
int gmm_report(struct gmm *g, uint8_t node, uint64_t free_pages, uint64_t now)
{
	struct gmm_node *n = node_find(g, node);

	if (!n)
		return -ENOENT;
	if (free_pages > n->capacity)
		return -EINVAL;
	if (now < n->heard_ns)
		return 0;
	n->free = free_pages;
	n->heard_ns = now;
	return 0;
}

/*
 * Forget node at once. Records it owned fall to their backup (the promotion replication
 * will act on); records left with no owner are re-placed by the next place call.
 */
int gmm_node_down(struct gmm *g, uint8_t node)
{
	struct gmm_node *n = node_find(g, node);
	size_t i;

	if (!n)
		return -ENOENT;
	memset(n, 0, sizeof(*n));
	for (i = 0; i < g->nrecs; i++) {
		struct gmm_rec *r = &g->recs[i];

		if (r->owner == node) {
			r->owner = r->backup;
			r->backup = GMM_NONE;
		} else if (r->backup == node) {
			r->backup = GMM_NONE;
		}
	}
	return 0;
}

/*
 * Power of two choices among live nodes with free pages, skipping id exclude: sample two
 * distinct ones uniformly and return the slot of the freer (the first sampled on a tie);
 * with one candidate, that one. Returns -EAGAIN / -ENOSPC as described at the top.
 */
static int pick(struct gmm *g, uint64_t now, uint8_t exclude)
{
	uint64_t room[GMM_MAX_NODES];
	uint8_t cand[GMM_MAX_NODES];
	unsigned n = 0, live = 0;
	int k;

	for (k = 0; k < GMM_MAX_NODES; k++) {
		struct gmm_node *nd = &g->nodes[k];

		if (!node_live(g, nd, now) || nd->id == exclude)
			continue;
		live++;
		if (nd->free > 0) {
			room[n] = nd->free;
			cand[n++] = (uint8_t)k;
		}
	}
	if (n == 0)
		return live ? -ENOSPC : -EAGAIN;
	return cand[choice_freer(&g->rng, room, n)];
}

/* Take pages off slot's free estimate, saturating at 0. */
static void charge_by(struct gmm *g, int slot, uint64_t pages)
{
	struct gmm_node *n = &g->nodes[slot];

	n->free = n->free > pages ? n->free - pages : 0;
}

static void charge(struct gmm *g, int slot)
{
	charge_by(g, slot, g->p.charge_pages);
}

static void charge_backup(struct gmm *g, int slot)
{
	charge_by(g, slot, g->p.charge_pages / 2);
}

/* Index of the first record with key >= key (nrecs if none). */
static size_t lower_bound(const struct gmm *g, uint64_t key)
{
	size_t lo = 0, hi = g->nrecs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->recs[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct gmm_rec *rec_find(const struct gmm *g, uint64_t key)
{
	size_t i = lower_bound(g, key);

	return i < g->nrecs && g->recs[i].key == key ? &g->recs[i] : NULL;
}

/* Make room for n more records: double the table, keeping it whole on failure. */
static int grow(struct gmm *g, size_t n)
{
	size_t cap = g->cap ? g->cap : GMM_CAP_MIN;
	struct gmm_rec *recs;

	if (n > g->p.max_records - g->nrecs)
		return -ENOMEM;
	if (g->nrecs + n <= g->cap)
		return 0;
	while (cap < g->nrecs + n)
		cap *= 2;
	if (cap > g->p.max_records)
		cap = g->p.max_records;
	recs = g->a.alloc(g->a.ctx, cap * sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	if (g->recs) {
		memcpy(recs, g->recs, g->nrecs * sizeof(*recs));
		g->a.free(g->a.ctx, g->recs);
	}
	g->recs = recs;
	g->cap = cap;
	return 0;
}

/* Insert a record for key, which must be absent. */
static int rec_insert(struct gmm *g, uint64_t key, uint8_t owner, uint8_t backup)
{
	size_t i;
	int err = grow(g, 1);

	if (err)
		return err;
	i = lower_bound(g, key);
	memmove(&g->recs[i + 1], &g->recs[i], (g->nrecs - i) * sizeof(g->recs[0]));
	g->recs[i].key = key;
	g->recs[i].owner = owner;
	g->recs[i].backup = backup;
	g->nrecs++;
	return 0;
}

/*
 * Choose an owner and, when another candidate exists, a backup on a different node;
 * record them under key (updating a record whose owner was lost) and charge the owner.
 * with_backup false: owner only (a home).
 */
static int place(struct gmm *g, uint64_t key, uint64_t now, bool with_backup,
		 uint8_t *owner, uint8_t *backup)
{
	struct gmm_rec *r = rec_find(g, key);
	int o, b = -1, err;

	if (r && r->owner != GMM_NONE)
		goto out;
	o = pick(g, now, GMM_NONE);
	if (o < 0)
		return o;
	if (with_backup && !g->p.no_backups)
		b = pick(g, now, g->nodes[o].id);
	if (r) {
		r->owner = g->nodes[o].id;
		r->backup = b >= 0 ? g->nodes[b].id : GMM_NONE;
	} else {
		err = rec_insert(g, key, g->nodes[o].id, b >= 0 ? g->nodes[b].id : GMM_NONE);
		if (err)
			return err;
		r = rec_find(g, key);
	}
	charge(g, o);
	if (b >= 0)
		charge_backup(g, b);
out:
	*owner = r->owner;
	*backup = r->backup;
	return 0;
}

static bool mm_ok(uint32_t mm)
{
	return mm >= 1 && mm <= GMM_MM_MAX;
}

/* Give mm a home mComponent; asking again returns the same home while it is registered. */
int gmm_place_home(struct gmm *g, uint32_t mm, uint64_t now, uint8_t *home)
{
	uint8_t none;

	if (!mm_ok(mm) || !home)
		return -EINVAL;
	return place(g, rec_key(mm, GMM_IDX_HOME), now, false, home, &none);
}

/* A node for a use GMM does not record (GSM's buffer-cache front of a vNode), charged. */
int gmm_pick(struct gmm *g, uint64_t now, uint8_t *node)
{
	int slot;

	if (!node)
		return -EINVAL;
	slot = pick(g, now, GMM_NONE);
	if (slot < 0)
		return slot;
	charge(g, slot);
	*node = g->nodes[slot].id;
	return 0;
}

/*
 * Give vRegion vregion of mm an owner and a backup (GMM_NONE when no other node can
 * take it). Asking again returns the recorded pair, even if a node has since gone silent;
 * only an owner lost to gmm_node_down() with no backup to promote is placed afresh.
 */
int gmm_place_vregion(struct gmm *g, uint32_t mm, uint32_t vregion, uint64_t now,
		      uint8_t *owner, uint8_t *backup)
{
	if (!mm_ok(mm) || vregion >= g->p.nvregions || !owner || !backup)
		return -EINVAL;
	return place(g, rec_key(mm, vregion), now, true, owner, backup);
}

/* The recorded pair for (mm, vregion); owner is GMM_NONE if lost to node_down. */
int gmm_lookup(const struct gmm *g, uint32_t mm, uint32_t vregion,
	       uint8_t *owner, uint8_t *backup)
{
	const struct gmm_rec *r;

	if (!mm_ok(mm) || vregion >= g->p.nvregions || !owner || !backup)
		return -EINVAL;
	r = rec_find(g, rec_key(mm, vregion));
	if (!r)
		return -ENOENT;
	*owner = r->owner;
	*backup = r->backup;
	return 0;
}

/*
 * Drop every record of the mms first..last (home and vRegions); returns how many. An
 * empty table goes back to the allocator.
 */
int gmm_release_range(struct gmm *g, uint32_t first, uint32_t last)
{
	size_t lo, hi;

	if (!mm_ok(first) || !mm_ok(last) || first > last)
		return -EINVAL;
	lo = lower_bound(g, rec_key(first, 0));
	hi = lower_bound(g, rec_key(last + 1, 0));
	if (hi == lo)
		return 0;
	memmove(&g->recs[lo], &g->recs[hi], (g->nrecs - hi) * sizeof(g->recs[0]));
	g->nrecs -= hi - lo;
	if (g->nrecs == 0)
		gmm_fini(g);
	return (int)(hi - lo);
}

int gmm_release(struct gmm *g, uint32_t mm)
{
	return gmm_release_range(g, mm, mm);
}

/*
 * A record a restarted gmon's predecessor made, as the node holding it reports it
 * (M2G_RESTORE): owner keeps mm's vRegion idx (GMM_IDX_HOME via gmm_restore_home).
 * 1 if recorded, 0 if a record stands already (it wins), -EINVAL bad arguments,
 * -ENOMEM. Nothing is charged: the owner's next report counts those pages.
 */
static int restore(struct gmm *g, uint32_t mm, uint32_t idx, uint8_t owner, uint8_t backup)
{
	int err;

	if (!mm_ok(mm) || owner == GMM_NONE || owner == backup)
		return -EINVAL;
	if (rec_find(g, rec_key(mm, idx)))
		return 0;
	err = rec_insert(g, rec_key(mm, idx), owner, backup);
	return err ? err : 1;
}

int gmm_restore_home(struct gmm *g, uint32_t mm, uint8_t home)
{
	return restore(g, mm, GMM_IDX_HOME, home, GMM_NONE);
}

int gmm_restore_vregion(struct gmm *g, uint32_t mm, uint32_t vregion, uint8_t owner,
			uint8_t backup)
{
	if (vregion >= g->p.nvregions)
		return -EINVAL;
	return restore(g, mm, vregion, owner, backup);
}

/* Charge the nodes holding a copied record's pages, those still registered. */
static void charge_copy(struct gmm *g, const struct gmm_rec *r)
{
	struct gmm_node *o = r->owner != GMM_NONE ? node_find(g, r->owner) : NULL;
	struct gmm_node *b = r->backup != GMM_NONE ? node_find(g, r->backup) : NULL;

	if (o)
		charge(g, (int)(o - g->nodes));
	if (b)
		charge_backup(g, (int)(b - g->nodes));
}

/*
 * Give to every record of from (home and vRegions: same owners, same backups), as a
 * fork does; returns how many. -EINVAL bad or equal ids, -ENOENT from has no record,
 * -EEXIST to has one, -ENOMEM the table cannot take them all; nothing changes then.
 * Each copy charges its owner and (half) its backup, see the top of this file.
 */
int gmm_copy(struct gmm *g, uint32_t from, uint32_t to)
{
	size_t lo, n, at;
	int err;

	if (!mm_ok(from) || !mm_ok(to) || from == to)
		return -EINVAL;
	lo = lower_bound(g, rec_key(from, 0));
	n = lower_bound(g, rec_key(from + 1, 0)) - lo;
	if (n == 0)
		return -ENOENT;
	at = lower_bound(g, rec_key(to, 0));
	if (at < g->nrecs && g->recs[at].key < rec_key(to + 1, 0))
		return -EEXIST;
	err = grow(g, n);
	if (err)
		return err;
	memmove(&g->recs[at + n], &g->recs[at], (g->nrecs - at) * sizeof(g->recs[0]));
	g->nrecs += n;
	if (lo >= at)
		lo += n;
	for (size_t i = 0; i < n; i++) {
		g->recs[at + i] = g->recs[lo + i];
		g->recs[at + i].key = rec_key(to, (uint32_t)g->recs[lo + i].key);
		charge_copy(g, &g->recs[at + i]);
	}
	return (int)n;
}
