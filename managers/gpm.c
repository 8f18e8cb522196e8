/*
 * GPM placement policy: which pComponent runs a new process the user placed nowhere.
 * Power of two choices over the load the pComponents report every second, with charges
 * so a burst spreads. Used by gmon (managers/gmon.c) and tests/unit/test_gpm.c; a forked
 * child stays on its parent's pComponent and never comes here.
 *
 * Load: the run-queue length a new process's thread would find per CPU, (threads + 1) /
 * cpus; so an idle 4-CPU node beats an idle 1-CPU one, and a node with 3 threads on 4
 * CPUs beats one with 1 thread on 1 CPU. Ties (idle nodes of the same size) go to the node
 * whose ExCache the newcomer would share with fewer processes, (procs + 1) / lines, then
 * to the first sampled. The ratios are compared by cross-multiplying in 64 bits, which
 * the report bounds (GPM_*_MAX) keep from overflowing.
 *
 * Two choices, not the least loaded: reports are up to a second old and many hosts may
 * ask at once. Always taking the minimum sends every request between two reports to the
 * same node (herding); sampling two eligible nodes at random and taking the lighter keeps
 * the busiest node close to the mean even on stale numbers (Mitzenmacher's power of two
 * choices; GMM does the same). With two eligible nodes both are always sampled, so it is
 * the least loaded of them.
 *
 * Eligible: heard from within params.timeout_ns, and room for one more process (procs
 * plus charges below procs_max; a full pComponent would refuse the spawn).
 *
 * Charging: each placement counts as one more process with one thread on the node it
 * chose until reports show it. A process counts in its node's report only once started,
 * after the host has uploaded its image, so the report right after a placement most
 * likely misses it; a charge therefore outlives params.charge_reports - 1 reports and
 * goes at the next (gmon: 2, so one report's grace). The price is that a process may
 * count twice for a report or so, which errs towards spreading.
 *
 * vnode: every pComponent serves every vNode today, so it is only checked (>= 1, as a
 * spawn requires); it is on the wire for a policy that keeps a vNode's processes together.
 *
 * Errors: -EINVAL bad argument (node GPM_NONE, a report out of bounds, vnode 0, NULL
 * output); -ENOENT unknown node; -ENOSPC no slot for a 65th node, or live pComponents
 * exist but all are full; -EAGAIN no live pComponent at all (none has reported yet, or all
 * are silent past the timeout: retry later).
 */
#include "managers/gpm.h"
#include "managers/choice.h"
#include "kernel/errno.h"
#include "lib/string.h"

#define GPM_SEED_DEFAULT 0x9e3779b97f4a7c15ull

int gpm_init(struct gpm *g, const struct gpm_params *p)
{
	if (!g || !p || p->timeout_ns == 0 || p->charge_reports == 0 ||
	    p->charge_reports > GPM_CHARGE_REPORTS_MAX)
		return -EINVAL;
	memset(g, 0, sizeof(*g));
	g->p = *p;
	g->rng = p->seed ? p->seed : GPM_SEED_DEFAULT;
	return 0;
}

static struct gpm_node *node_find(struct gpm *g, uint8_t id)
{
	for (int i = 0; i < GPM_MAX_NODES; i++)
		if (g->nodes[i].used && g->nodes[i].id == id)
			return &g->nodes[i];
	return NULL;
}

/* Placements reports have not shown yet: at most the largest procs_max reported. */
static uint32_t charges(const struct gpm *g, const struct gpm_node *n)
{
	uint32_t sum = 0;

	for (uint32_t k = 0; k < g->p.charge_reports; k++)
		sum += n->charged[k];
	return sum;
}

static uint64_t procs_of(const struct gpm *g, const struct gpm_node *n)
{
	return (uint64_t)n->load.procs + charges(g, n);
}

static uint64_t threads_of(const struct gpm *g, const struct gpm_node *n)
{
	return (uint64_t)n->load.threads + charges(g, n);
}

/* Heard from within the timeout. A time before the last report counts as fresh. */
static bool node_live(const struct gpm *g, const struct gpm_node *n, uint64_t now)
{
	return n->used && (now <= n->heard_ns || now - n->heard_ns <= g->p.timeout_ns);
}

static bool node_has_room(const struct gpm *g, const struct gpm_node *n)
{
	return procs_of(g, n) < n->load.procs_max;
}

bool gpm_eligible(const struct gpm *g, uint8_t node, uint64_t now)
{
	for (int i = 0; i < GPM_MAX_NODES; i++)
		if (g->nodes[i].used && g->nodes[i].id == node)
			return node_live(g, &g->nodes[i], now) && node_has_room(g, &g->nodes[i]);
	return false;
}

static bool load_ok(const struct gpm_load *l)
{
	return l->cpus >= 1 && l->cpus <= GPM_CPUS_MAX && l->lines >= 1 &&
	       l->lines <= GPM_LINES_MAX && l->procs_max >= 1 &&
	       l->procs_max <= GPM_PROCS_MAX && l->procs <= l->procs_max;
}

static struct gpm_node *node_add(struct gpm *g, uint8_t id)
{
	for (int i = 0; i < GPM_MAX_NODES; i++) {
		struct gpm_node *n = &g->nodes[i];

		if (!n->used) {
			memset(n, 0, sizeof(*n));
			n->used = true;
			n->id = id;
			return n;
		}
	}
	return NULL;
}

/*
 * Take node's report: its capacity may change (a restart with another configuration),
 * and each report ages the charges by one. A report older than the latest one heard is
 * dropped: it carries older counts.
 */
int gpm_report(struct gpm *g, uint8_t node, const struct gpm_load *l, uint64_t now)
{
	struct gpm_node *n;
	bool joined = false;

	if (node == GPM_NONE || !l || !load_ok(l))
		return -EINVAL;
	n = node_find(g, node);
	if (!n) {
		n = node_add(g, node);
		if (!n)
			return -ENOSPC;
		joined = true;
	} else if (now < n->heard_ns) {
		return 0;
	}
	for (uint32_t k = g->p.charge_reports - 1; k > 0; k--)
		n->charged[k] = n->charged[k - 1];
	n->charged[0] = 0;
	n->load = *l;
	n->heard_ns = now;
	return joined;
}

/* Forget node at once (gmon heard it is down); its next report registers it afresh. */
int gpm_node_down(struct gpm *g, uint8_t node)
{
	struct gpm_node *n = node_find(g, node);

	if (!n)
		return -ENOENT;
	memset(n, 0, sizeof(*n));
	return 0;
}

/* Compare a / b with c / d (b, d > 0) exactly: -1, 0 or 1. The products fit (see the top). */
static int ratio_cmp(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t l = a * d, r = c * b;

	return l < r ? -1 : l > r;
}

/* Is a strictly lighter than b for a new process? */
static bool lighter(const struct gpm *g, const struct gpm_node *a, const struct gpm_node *b)
{
	int c = ratio_cmp(threads_of(g, a) + 1, a->load.cpus, threads_of(g, b) + 1,
			  b->load.cpus);

	if (c)
		return c < 0;
	return ratio_cmp(procs_of(g, a) + 1, a->load.lines, procs_of(g, b) + 1,
			 b->load.lines) < 0;
}

/*
 * Power of two choices among live nodes with room: sample two distinct ones uniformly
 * and return the slot of the lighter (the first sampled on a tie); with one candidate,
 * that one. -EAGAIN / -ENOSPC as described at the top.
 */
static int pick(struct gpm *g, uint64_t now)
{
	uint8_t cand[GPM_MAX_NODES];
	unsigned n = 0, live = 0, i, j;

	for (int k = 0; k < GPM_MAX_NODES; k++) {
		const struct gpm_node *nd = &g->nodes[k];

		if (!node_live(g, nd, now))
			continue;
		live++;
		if (node_has_room(g, nd))
			cand[n++] = (uint8_t)k;
	}
	if (n == 0)
		return live ? -ENOSPC : -EAGAIN;
	if (n == 1)
		return cand[0];
	choice_two(&g->rng, n, &i, &j);
	return lighter(g, &g->nodes[cand[j]], &g->nodes[cand[i]]) ? cand[j] : cand[i];
}

/*
 * Choose the pComponent for a new process of vnode and charge it one process of one
 * thread. The charge keeps the node's charges at most procs_max: a node gets one only
 * while it has room.
 */
int gpm_place(struct gpm *g, uint32_t vnode, uint64_t now, uint8_t *pmon)
{
	int slot;

	if (vnode == 0 || !pmon)
		return -EINVAL;
	slot = pick(g, now);
	if (slot < 0)
		return slot;
	g->nodes[slot].charged[0]++;
	*pmon = g->nodes[slot].id;
	return 0;
}
