/*
 * Host tests for managers/gpm.c: power-of-two-choices placement of new processes over
 * the pComponents' load per CPU, charges that spread a burst and outlive one report,
 * staleness, node loss, full nodes, and hostile reports and arguments.
 */
#include <stdint.h>
#include "check.h"
#include "kernel/errno.h"
#include "managers/gpm.h"

#define SEC 1000000000ull
#define TIMEOUT (3 * SEC)
#define VNODE 1

static struct gpm_params params(uint32_t charge_reports)
{
	struct gpm_params p = { .timeout_ns = TIMEOUT, .charge_reports = charge_reports,
				.seed = 42 };
	return p;
}

static void setup(struct gpm *g, uint32_t charge_reports)
{
	struct gpm_params p = params(charge_reports);

	CHECK(gpm_init(g, &p) == 0);
}

static struct gpm_load load(uint32_t cpus, uint32_t threads, uint32_t procs)
{
	struct gpm_load l = { .cpus = cpus, .lines = 1024, .procs_max = 64,
			      .threads = threads, .procs = procs };
	return l;
}

/* Report l for node at now; 1 on its first report, else 0. */
static int report(struct gpm *g, uint8_t node, struct gpm_load l, uint64_t now)
{
	return gpm_report(g, node, &l, now);
}

/* The charges placements have left on node, as the policy counts them. */
static uint32_t charged(const struct gpm *g, uint8_t id)
{
	for (int i = 0; i < GPM_MAX_NODES; i++) {
		const struct gpm_node *n = &g->nodes[i];
		uint32_t sum = 0;

		if (!n->used || n->id != id)
			continue;
		for (uint32_t k = 0; k < g->p.charge_reports; k++)
			sum += n->charged[k];
		return sum;
	}
	CHECK(!"node not registered");
	return 0;
}

static void gpm_init_rejects_bad_params(void)
{
	struct gpm g;
	struct gpm_params p = params(2);

	p.timeout_ns = 0;
	CHECK(gpm_init(&g, &p) == -EINVAL);
	p = params(0);
	CHECK(gpm_init(&g, &p) == -EINVAL);
	p = params(GPM_CHARGE_REPORTS_MAX + 1);
	CHECK(gpm_init(&g, &p) == -EINVAL);
	CHECK(gpm_init(&g, NULL) == -EINVAL);
	CHECK(gpm_init(NULL, &p) == -EINVAL);
	p = params(GPM_CHARGE_REPORTS_MAX);
	p.seed = 0;		/* replaced, not a stuck PRNG */
	CHECK(gpm_init(&g, &p) == 0 && g.rng != 0);
}

/* before: empty; after: the first report registers (1), later ones update (0) */
static void gpm_first_report_registers_the_node(void)
{
	struct gpm g;

	setup(&g, 2);
	CHECK(!gpm_eligible(&g, 3, 0));
	CHECK(report(&g, 3, load(2, 0, 0), 0) == 1);
	CHECK(gpm_eligible(&g, 3, 0));
	CHECK(report(&g, 3, load(4, 1, 1), 1) == 0);
	CHECK(g.nodes[0].load.cpus == 4 && g.nodes[0].load.threads == 1);
}

/* A report out of its bounds is refused whole: nothing registered, nothing updated. */
static void gpm_hostile_reports_are_refused(void)
{
	struct gpm_load bad[8];
	struct gpm g;
	unsigned i;

	for (i = 0; i < 8; i++)
		bad[i] = load(1, 0, 0);
	bad[0].cpus = 0;
	bad[1].cpus = GPM_CPUS_MAX + 1;
	bad[2].cpus = UINT32_MAX;
	bad[3].lines = 0;
	bad[4].lines = GPM_LINES_MAX + 1;
	bad[5].procs_max = 0;
	bad[6].procs_max = GPM_PROCS_MAX + 1;
	bad[7].procs = bad[7].procs_max + 1;
	setup(&g, 2);
	for (i = 0; i < 8; i++)
		CHECK(report(&g, 5, bad[i], 0) == -EINVAL);
	CHECK(report(&g, GPM_NONE, load(1, 0, 0), 0) == -EINVAL);
	CHECK(gpm_report(&g, 5, NULL, 0) == -EINVAL);
	CHECK(!gpm_eligible(&g, 5, 0) && !g.nodes[0].used);
	CHECK(report(&g, 5, load(2, 0, 0), 0) == 1);
	for (i = 0; i < 8; i++)
		CHECK(report(&g, 5, bad[i], 1) == -EINVAL);
	CHECK(g.nodes[0].load.cpus == 2 && g.nodes[0].heard_ns == 0);
	/* the edges of the ranges are fine */
	bad[0] = load(GPM_CPUS_MAX, UINT32_MAX, 0);
	bad[0].lines = GPM_LINES_MAX;
	bad[0].procs_max = GPM_PROCS_MAX;
	bad[0].procs = GPM_PROCS_MAX;
	CHECK(report(&g, 5, bad[0], 2) == 0);
}

/* before: 64 nodes known; after: a 65th is refused, the 64 stay */
static void gpm_65th_node_is_enospc(void)
{
	struct gpm g;
	int i;

	setup(&g, 2);
	for (i = 0; i < GPM_MAX_NODES; i++)
		CHECK(report(&g, (uint8_t)i, load(1, 0, 0), 0) == 1);
	CHECK(report(&g, 200, load(1, 0, 0), 0) == -ENOSPC);
	CHECK(!gpm_eligible(&g, 200, 0) && gpm_eligible(&g, 63, 0));
}

/* before: a report at t=5s said 7 threads; one stamped 4s arrives late: ignored */
static void gpm_report_older_than_latest_is_ignored(void)
{
	struct gpm g;

	setup(&g, 2);
	CHECK(report(&g, 1, load(1, 7, 1), 5 * SEC) == 1);
	CHECK(report(&g, 1, load(1, 0, 0), 4 * SEC) == 0);
	CHECK(g.nodes[0].load.threads == 7 && g.nodes[0].heard_ns == 5 * SEC);
}

/* No pComponent at all, or none heard within the timeout: -EAGAIN, retry later. */
static void gpm_place_with_no_live_pmon_is_eagain(void)
{
	struct gpm g;
	uint8_t p = 0;

	setup(&g, 2);
	CHECK(gpm_place(&g, VNODE, 0, &p) == -EAGAIN);
	CHECK(report(&g, 1, load(1, 0, 0), 0) == 1);
	CHECK(gpm_place(&g, VNODE, 100 * SEC, &p) == -EAGAIN);
	CHECK(gpm_place(&g, VNODE, UINT64_MAX, &p) == -EAGAIN);
	CHECK(charged(&g, 1) == 0);
}

/* before: two live nodes, both at procs_max; after: -ENOSPC, nobody charged */
static void gpm_place_with_only_full_pmons_is_enospc(void)
{
	struct gpm g;
	uint8_t p;

	setup(&g, 2);
	CHECK(report(&g, 1, load(1, 64, 64), 0) == 1);
	CHECK(report(&g, 2, load(8, 64, 64), 0) == 1);
	CHECK(!gpm_eligible(&g, 1, 0) && !gpm_eligible(&g, 2, 0));
	CHECK(gpm_place(&g, VNODE, 0, &p) == -ENOSPC);
	CHECK(charged(&g, 1) == 0 && charged(&g, 2) == 0);
}

/* Hostile arguments: vnode 0 (a spawn refuses it too), a NULL answer; nothing charged. */
static void gpm_place_rejects_bad_arguments(void)
{
	struct gpm g;
	uint8_t p;

	setup(&g, 2);
	CHECK(report(&g, 1, load(1, 0, 0), 0) == 1);
	CHECK(gpm_place(&g, 0, 0, &p) == -EINVAL);
	CHECK(gpm_place(&g, VNODE, 0, NULL) == -EINVAL);
	CHECK(charged(&g, 1) == 0);
	CHECK(gpm_place(&g, UINT32_MAX, 0, &p) == 0 && p == 1);
}

/* One pComponent takes everything it has room for, however loaded. */
static void gpm_single_pmon_takes_all(void)
{
	struct gpm g;
	uint8_t p;

	setup(&g, 2);
	CHECK(report(&g, 9, load(1, 40, 20), 0) == 1);
	for (int i = 0; i < 44; i++)
		CHECK(gpm_place(&g, VNODE, 0, &p) == 0 && p == 9);
	CHECK(charged(&g, 9) == 44);
	CHECK(gpm_place(&g, VNODE, 0, &p) == -ENOSPC);
}

/*
 * Load is per CPU: 3 threads on 4 CPUs ((3+1)/4 = 1) is lighter than 1 thread on 1 CPU
 * ((1+1)/1 = 2), but 4 threads on 4 CPUs (5/4) is heavier than an idle CPU (1/1). With
 * two candidates both are sampled, so the lighter always wins (charge_reports 1 and a
 * fresh report before each placement keep the loads as stated).
 */
static void gpm_two_choices_picks_the_lighter_per_cpu(void)
{
	struct gpm g;
	uint8_t p;

	setup(&g, 1);
	for (uint64_t t = 1; t <= 100; t++) {
		CHECK(report(&g, 1, load(1, 1, 1), t) >= 0);
		CHECK(report(&g, 2, load(4, 3, 3), t) >= 0);
		CHECK(gpm_place(&g, VNODE, t, &p) == 0 && p == 2);
	}
	CHECK(report(&g, 1, load(1, 0, 0), 200) == 0);
	CHECK(report(&g, 2, load(4, 4, 1), 200) == 0);	/* 5/4 > 1/1 */
	CHECK(gpm_place(&g, VNODE, 200, &p) == 0 && p == 1);
}

/* Equal threads per CPU: the larger ExCache per process wins ((procs+1)/lines). */
static void gpm_tie_goes_to_the_roomier_excache(void)
{
	struct gpm g;
	struct gpm_load small = load(2, 1, 1), big = load(2, 1, 1);
	uint8_t p;

	small.lines = 256;
	big.lines = 4096;
	setup(&g, 1);
	for (uint64_t t = 1; t <= 50; t++) {
		CHECK(report(&g, 1, small, t) >= 0);
		CHECK(report(&g, 2, big, t) >= 0);
		CHECK(gpm_place(&g, VNODE, t, &p) == 0 && p == 2);
	}
}

/* Of three nodes, the heaviest loses every comparison, so it never gets a process. */
static void gpm_two_choices_never_picks_the_heaviest_of_three(void)
{
	struct gpm g;
	uint8_t p;
	int got[4] = { 0 };

	setup(&g, 1);
	for (uint64_t t = 1; t <= 300; t++) {
		CHECK(report(&g, 1, load(1, 9, 3), t) >= 0);
		CHECK(report(&g, 2, load(1, 5, 3), t) >= 0);
		CHECK(report(&g, 3, load(1, 1, 1), t) >= 0);
		CHECK(gpm_place(&g, VNODE, t, &p) == 0 && p >= 1 && p <= 3);
		got[p]++;
	}
	/* node 3 wins whenever sampled (2/3 of pairs), node 2 only against node 1 (1/3) */
	CHECK(got[1] == 0 && got[3] > 150 && got[2] > 50);
}

/*
 * before: nodes 1 and 2 idle and equal; after 10 placements between reports, each has 5:
 * the charge makes the other node the lighter after every placement.
 */
static void gpm_charging_spreads_a_burst(void)
{
	struct gpm g;
	uint8_t p;
	int got[3] = { 0 };

	setup(&g, 2);
	CHECK(report(&g, 1, load(2, 0, 0), 0) == 1);
	CHECK(report(&g, 2, load(2, 0, 0), 0) == 1);
	for (int i = 0; i < 10; i++) {
		CHECK(gpm_place(&g, VNODE, 0, &p) == 0);
		got[p]++;
	}
	CHECK(got[1] == 5 && got[2] == 5);
	CHECK(charged(&g, 1) == 5 && charged(&g, 2) == 5);
}

/*
 * charge_reports 2: a charge survives the next report (sampled, likely, before the
 * process started) and goes at the one after. charge_reports 1: at the next.
 */
static void gpm_charge_outlives_one_report(void)
{
	struct gpm g;
	uint8_t p, q;

	setup(&g, 2);
	CHECK(report(&g, 1, load(1, 0, 0), 0) == 1);
	CHECK(report(&g, 2, load(1, 0, 0), 0) == 1);
	CHECK(gpm_place(&g, VNODE, 0, &p) == 0 && charged(&g, p) == 1);
	CHECK(report(&g, p, load(1, 0, 0), 1) == 0);		/* not started yet */
	CHECK(charged(&g, p) == 1);
	CHECK(gpm_place(&g, VNODE, 1, &q) == 0 && q != p);	/* still counted */
	CHECK(report(&g, p, load(1, 1, 1), 2) == 0);		/* started: the report has it */
	CHECK(charged(&g, p) == 0);

	setup(&g, 1);
	CHECK(report(&g, 1, load(1, 0, 0), 0) == 1);
	CHECK(gpm_place(&g, VNODE, 0, &p) == 0 && p == 1 && charged(&g, 1) == 1);
	CHECK(report(&g, 1, load(1, 0, 0), 1) == 0);
	CHECK(charged(&g, 1) == 0);
}

/* Charges count against procs_max: a node charged full is skipped until reports free it. */
static void gpm_charges_fill_a_node(void)
{
	struct gpm g;
	struct gpm_load l = load(1, 0, 0);
	uint8_t p;

	l.procs_max = 2;
	setup(&g, 2);
	CHECK(report(&g, 1, l, 0) == 1);
	CHECK(gpm_place(&g, VNODE, 0, &p) == 0 && gpm_place(&g, VNODE, 0, &p) == 0);
	CHECK(!gpm_eligible(&g, 1, 0));
	CHECK(gpm_place(&g, VNODE, 0, &p) == -ENOSPC);
	CHECK(report(&g, 1, l, 1) == 0);		/* charges still within their grace */
	CHECK(gpm_place(&g, VNODE, 1, &p) == -ENOSPC);
	CHECK(report(&g, 1, l, 2) == 0);		/* both processes already gone */
	CHECK(gpm_eligible(&g, 1, 2));
	CHECK(gpm_place(&g, VNODE, 2, &p) == 0 && p == 1);
}

/*
 * before: node 1 (idle) silent since t=0, node 2 busy but reporting; after the timeout
 * node 1 is skipped; its next report readmits it.
 */
static void gpm_stale_pmon_excluded_then_readmitted(void)
{
	struct gpm g;
	uint8_t p;

	setup(&g, 1);
	CHECK(report(&g, 1, load(4, 0, 0), 0) == 1);
	CHECK(report(&g, 2, load(1, 30, 30), 0) == 1);
	CHECK(report(&g, 2, load(1, 30, 30), 10 * SEC) == 0);
	CHECK(gpm_eligible(&g, 1, TIMEOUT));		/* exactly the timeout: still live */
	CHECK(!gpm_eligible(&g, 1, TIMEOUT + 1));
	CHECK(gpm_place(&g, VNODE, 10 * SEC, &p) == 0 && p == 2);
	CHECK(report(&g, 1, load(4, 0, 0), 11 * SEC) == 0);
	CHECK(gpm_place(&g, VNODE, 11 * SEC, &p) == 0 && p == 1);
}

/* A clock reading before the latest report (reordering) must not wrap into "stale". */
static void gpm_time_before_last_report_counts_as_live(void)
{
	struct gpm g;

	setup(&g, 2);
	CHECK(report(&g, 1, load(1, 0, 0), 50 * SEC) == 1);
	CHECK(gpm_eligible(&g, 1, 0));
}

/* before: nodes 1 (idle) and 2; after node_down(1) it is gone at once, and rejoins afresh */
static void gpm_node_down_removes_at_once(void)
{
	struct gpm g;
	uint8_t p;

	setup(&g, 2);
	CHECK(report(&g, 1, load(8, 0, 0), 0) == 1);
	CHECK(report(&g, 2, load(1, 5, 5), 0) == 1);
	CHECK(gpm_place(&g, VNODE, 0, &p) == 0 && p == 1);
	CHECK(gpm_node_down(&g, 1) == 0);
	CHECK(!gpm_eligible(&g, 1, 0));
	CHECK(gpm_node_down(&g, 1) == -ENOENT);
	CHECK(gpm_node_down(&g, GPM_NONE) == -ENOENT);
	CHECK(gpm_place(&g, VNODE, 0, &p) == 0 && p == 2);
	CHECK(gpm_node_down(&g, 2) == 0);
	CHECK(gpm_place(&g, VNODE, 0, &p) == -EAGAIN);
	CHECK(report(&g, 1, load(8, 0, 0), 1) == 1);		/* a restarted node rejoins */
	CHECK(charged(&g, 1) == 0);
	CHECK(gpm_place(&g, VNODE, 1, &p) == 0 && p == 1);
}

/*
 * The largest counts a report may carry compare exactly: UINT32_MAX threads on
 * GPM_CPUS_MAX CPUs is lighter than UINT32_MAX threads on one, heavier than an idle node.
 */
static void gpm_extreme_loads_compare_without_overflow(void)
{
	struct gpm g;
	struct gpm_load a = load(GPM_CPUS_MAX, UINT32_MAX, 0), b = load(1, UINT32_MAX, 0);
	uint8_t p;

	a.lines = b.lines = GPM_LINES_MAX;
	a.procs_max = b.procs_max = GPM_PROCS_MAX;
	setup(&g, 1);
	for (uint64_t t = 1; t <= 20; t++) {
		CHECK(report(&g, 1, a, t) >= 0);
		CHECK(report(&g, 2, b, t) >= 0);
		CHECK(gpm_place(&g, VNODE, t, &p) == 0 && p == 1);
	}
	CHECK(report(&g, 3, load(1, 0, 0), 100) == 1);
	CHECK(gpm_node_down(&g, 2) == 0);
	for (uint64_t t = 100; t <= 120; t++) {
		CHECK(report(&g, 1, a, t) >= 0);
		CHECK(report(&g, 3, load(1, 0, 0), t) >= 0);
		CHECK(gpm_place(&g, VNODE, t, &p) == 0 && p == 3);
	}
}

/* Same seed, same inputs: same placements (tests and replays are deterministic). */
static void gpm_same_seed_same_placements(void)
{
	struct gpm g1, g2;
	uint8_t p1, p2;

	setup(&g1, 2);
	setup(&g2, 2);
	for (int i = 1; i <= 8; i++) {
		CHECK(report(&g1, (uint8_t)i, load(2, 0, 0), 0) == 1);
		CHECK(report(&g2, (uint8_t)i, load(2, 0, 0), 0) == 1);
	}
	for (int i = 0; i < 100; i++) {
		CHECK(gpm_place(&g1, VNODE, 0, &p1) == 0);
		CHECK(gpm_place(&g2, VNODE, 0, &p2) == 0);
		CHECK(p1 == p2);
	}
}

/*
 * Large topology: 64 equal pComponents and a burst of 256 spawns between reports; the
 * charges spread it so no node gets far above the mean of 4, and (nearly) every node
 * gets some. (Over 2000 seeds: at most 7, at most 2 nodes left out.)
 */
static void gpm_large_burst_spreads_over_64_pmons(void)
{
	struct gpm g;
	uint8_t p;
	int got[GPM_MAX_NODES] = { 0 }, idle = 0;

	setup(&g, 2);
	for (int i = 0; i < GPM_MAX_NODES; i++)
		CHECK(report(&g, (uint8_t)i, load(4, 0, 0), 0) == 1);
	for (int i = 0; i < 4 * GPM_MAX_NODES; i++) {
		CHECK(gpm_place(&g, VNODE, 0, &p) == 0 && p < GPM_MAX_NODES);
		got[p]++;
	}
	for (int i = 0; i < GPM_MAX_NODES; i++) {
		CHECK(got[i] <= 7);
		idle += got[i] == 0;
	}
	CHECK(idle <= 2);
}

static const struct unit_test tests[] = {
	TEST(gpm_init_rejects_bad_params),
	TEST(gpm_first_report_registers_the_node),
	TEST(gpm_hostile_reports_are_refused),
	TEST(gpm_65th_node_is_enospc),
	TEST(gpm_report_older_than_latest_is_ignored),
	TEST(gpm_place_with_no_live_pmon_is_eagain),
	TEST(gpm_place_with_only_full_pmons_is_enospc),
	TEST(gpm_place_rejects_bad_arguments),
	TEST(gpm_single_pmon_takes_all),
	TEST(gpm_two_choices_picks_the_lighter_per_cpu),
	TEST(gpm_tie_goes_to_the_roomier_excache),
	TEST(gpm_two_choices_never_picks_the_heaviest_of_three),
	TEST(gpm_charging_spreads_a_burst),
	TEST(gpm_charge_outlives_one_report),
	TEST(gpm_charges_fill_a_node),
	TEST(gpm_stale_pmon_excluded_then_readmitted),
	TEST(gpm_time_before_last_report_counts_as_live),
	TEST(gpm_node_down_removes_at_once),
	TEST(gpm_extreme_loads_compare_without_overflow),
	TEST(gpm_same_seed_same_placements),
	TEST(gpm_large_burst_spreads_over_64_pmons),
};

CHECK_MAIN("gpm", tests)
