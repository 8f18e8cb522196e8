/*
 * Host tests for managers/gmm.c: power-of-two-choices placement, backups, staleness,
 * node loss, stable records, release, and hostile inputs and allocator failure
 * (copies for a fork: test_gmm_copy.c).
 */
#include "gmm_test.h"

static void gmm_init_rejects_bad_params(void)
{
	struct gmm g;
	struct gmm_params p = params(0);
	struct gmm_alloc a = { heap_alloc, heap_free, &heap }, noalloc = { NULL, heap_free, NULL };

	p.timeout_ns = 0;
	CHECK(gmm_init(&g, &p, &a) == -EINVAL);
	p = params(0);
	p.nvregions = 0;
	CHECK(gmm_init(&g, &p, &a) == -EINVAL);
	p.nvregions = GMM_VREGIONS_MAX + 1;
	CHECK(gmm_init(&g, &p, &a) == -EINVAL);
	p = params(0);
	p.max_records = 0;
	CHECK(gmm_init(&g, &p, &a) == -EINVAL);
	p.max_records = GMM_RECORDS_MAX + 1;
	CHECK(gmm_init(&g, &p, &a) == -EINVAL);
	p = params(0);
	CHECK(gmm_init(&g, &p, &noalloc) == -EINVAL);
	CHECK(gmm_init(&g, NULL, &a) == -EINVAL);
	CHECK(gmm_init(&g, &p, NULL) == -EINVAL);
	p.seed = 0;		/* replaced, not a stuck PRNG */
	CHECK(gmm_init(&g, &p, &a) == 0 && g.rng != 0);
}

/* before: empty; after: 64 nodes, each bad registration refused without effect */
static void gmm_register_rejects_bad_and_duplicate_nodes(void)
{
	struct gmm g;
	int i;

	setup(&g, 0);
	CHECK(gmm_register(&g, GMM_NONE, 100, 0) == -EINVAL);
	CHECK(gmm_register(&g, 1, 0, 0) == -EINVAL);
	CHECK(gmm_register(&g, 1, 100, 0) == 0);
	CHECK(gmm_register(&g, 1, 200, 0) == -EEXIST);
	CHECK(free_of(&g, 1) == 100);
	for (i = 2; i <= GMM_MAX_NODES; i++)
		CHECK(gmm_register(&g, (uint8_t)i, UINT64_MAX, 0) == 0);
	CHECK(gmm_register(&g, 200, 100, 0) == -ENOSPC);
	CHECK(!gmm_eligible(&g, 200, 0));
	CHECK(gmm_eligible(&g, 64, 0));
	teardown(&g);
}

static void gmm_report_rejects_unknown_node_and_impossible_free(void)
{
	struct gmm g;

	setup(&g, 0);
	CHECK(gmm_report(&g, 7, 10, 0) == -ENOENT);
	CHECK(gmm_register(&g, 7, 100, 0) == 0);
	CHECK(gmm_report(&g, 7, 101, 1) == -EINVAL);
	CHECK(gmm_report(&g, 7, UINT64_MAX, 1) == -EINVAL);
	CHECK(free_of(&g, 7) == 100);
	CHECK(gmm_report(&g, 7, 0, 1) == 0);
	CHECK(free_of(&g, 7) == 0);
	teardown(&g);
}

/* before: report at t=5s said 40 free; a report stamped 4s arrives late: ignored */
static void gmm_report_older_than_latest_is_ignored(void)
{
	struct gmm g;

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 100, 0) == 0);
	CHECK(gmm_report(&g, 1, 40, 5 * SEC) == 0);
	CHECK(gmm_report(&g, 1, 90, 4 * SEC) == 0);
	CHECK(free_of(&g, 1) == 40);
	teardown(&g);
}

static void gmm_place_with_no_nodes_is_eagain(void)
{
	struct gmm g;
	uint8_t o = 0, b = 0;

	setup(&g, 0);
	CHECK(gmm_place_home(&g, 1, 0, &o) == -EAGAIN);
	CHECK(gmm_place_vregion(&g, 1, 0, 0, &o, &b) == -EAGAIN);
	CHECK(gmm_lookup(&g, 1, 0, &o, &b) == -ENOENT);
	CHECK(g.nrecs == 0 && heap.live == 0);
	teardown(&g);
}

/* before: two live nodes, both full; after: -ENOSPC, nothing recorded */
static void gmm_place_with_only_full_nodes_is_enospc(void)
{
	struct gmm g;
	uint8_t o, b;

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 100, 0) == 0);
	CHECK(gmm_register(&g, 2, 100, 0) == 0);
	CHECK(gmm_report(&g, 1, 0, 1) == 0);
	CHECK(gmm_report(&g, 2, 0, 1) == 0);
	CHECK(gmm_place_vregion(&g, 1, 0, 1, &o, &b) == -ENOSPC);
	CHECK(gmm_place_home(&g, 1, 1, &o) == -ENOSPC);
	CHECK(g.nrecs == 0);
	teardown(&g);
}

/* before: one node; after: it owns everything, backup none, charged per placement */
static void gmm_single_node_owns_with_no_backup(void)
{
	struct gmm g;
	uint8_t o, b, h;

	setup(&g, 10);
	CHECK(gmm_register(&g, 9, 1000, 0) == 0);
	CHECK(gmm_place_home(&g, 5, 0, &h) == 0 && h == 9);
	CHECK(gmm_place_vregion(&g, 5, 0, 0, &o, &b) == 0);
	CHECK(o == 9 && b == GMM_NONE);
	CHECK(gmm_place_vregion(&g, 5, 1, 0, &o, &b) == 0);
	CHECK(o == 9 && b == GMM_NONE);
	CHECK(free_of(&g, 9) == 1000 - 3 * 10);
	teardown(&g);
}

/* gmm_pick: the freer node, charged, with nothing recorded; no node is -EAGAIN. */
static void gmm_pick_charges_and_records_nothing(void)
{
	struct gmm g;
	uint8_t n, o, b;

	setup(&g, 10);
	CHECK(gmm_pick(&g, 0, &n) == -EAGAIN);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_register(&g, 2, 500, 0) == 0);
	CHECK(gmm_pick(&g, 0, &n) == 0 && n == 1);
	CHECK(free_of(&g, 1) == 990);
	CHECK(gmm_lookup(&g, 1, 0, &o, &b) == -ENOENT);
	CHECK(gmm_pick(&g, 0, NULL) == -EINVAL);
	teardown(&g);
}

/* With exactly two candidates both are always sampled: the freer must own, the other back up. */
static void gmm_two_choices_picks_the_freer_of_two(void)
{
	struct gmm g;
	uint8_t o, b;
	uint32_t mm;

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_register(&g, 2, 1000, 0) == 0);
	CHECK(gmm_report(&g, 1, 300, 1) == 0);
	CHECK(gmm_report(&g, 2, 301, 1) == 0);
	for (mm = 1; mm <= 200; mm++) {
		CHECK(gmm_place_vregion(&g, mm, 0, 1, &o, &b) == 0);
		CHECK(o == 2 && b == 1);
	}
	CHECK(gmm_report(&g, 1, 900, 2) == 0);
	CHECK(gmm_place_vregion(&g, 500, 0, 2, &o, &b) == 0);
	CHECK(o == 1 && b == 2);
	teardown(&g);
}

/* Of three nodes, the least free loses every comparison, so it never owns. */
static void gmm_two_choices_never_picks_the_least_free_of_three(void)
{
	struct gmm g;
	uint8_t o, b;
	uint32_t mm;
	int owned[4] = { 0 };

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 100, 0) == 0);
	CHECK(gmm_register(&g, 2, 200, 0) == 0);
	CHECK(gmm_register(&g, 3, 300, 0) == 0);
	for (mm = 1; mm <= 300; mm++) {
		CHECK(gmm_place_vregion(&g, mm, 0, 0, &o, &b) == 0);
		CHECK(o >= 1 && o <= 3);
		owned[o]++;
	}
	CHECK(owned[1] == 0);
	/* node 3 wins whenever sampled (2/3 of pairs), node 2 only against node 1 (1/3) */
	CHECK(owned[3] > 150 && owned[2] > 50);
	teardown(&g);
}

/*
 * Four nodes with distinct free counts and no charging: the k-th least free wins a
 * sampled pair with probability (k-1)/6, so owners split about 0 : 1 : 2 : 3.
 */
static void gmm_distribution_favours_free_nodes(void)
{
	struct gmm g;
	uint8_t o, b;
	uint32_t mm;
	int owned[5] = { 0 };

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_register(&g, 2, 2000, 0) == 0);
	CHECK(gmm_register(&g, 3, 4000, 0) == 0);
	CHECK(gmm_register(&g, 4, 8000, 0) == 0);
	for (mm = 1; mm <= 6000; mm++) {
		CHECK(gmm_place_vregion(&g, mm, 0, 0, &o, &b) == 0);
		owned[o]++;
	}
	CHECK(owned[1] == 0);
	CHECK(owned[2] > 700 && owned[2] < 1300);
	CHECK(owned[3] > 1600 && owned[3] < 2400);
	CHECK(owned[4] > 2600 && owned[4] < 3400);
	teardown(&g);
}

/*
 * before: nodes 1 and 2 equally free, charge 100; after 10 homes placed between reports,
 * each node has 5: the charge makes the other node the freer after every placement.
 * Without charging, a one-page lead takes them all.
 */
static void gmm_charging_spreads_a_burst(void)
{
	struct gmm g;
	uint8_t h;
	uint32_t mm;
	int homes[3] = { 0 };

	setup(&g, 100);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_register(&g, 2, 1000, 0) == 0);
	for (mm = 1; mm <= 10; mm++) {
		CHECK(gmm_place_home(&g, mm, 0, &h) == 0);
		homes[h]++;
	}
	CHECK(homes[1] == 5 && homes[2] == 5);
	CHECK(free_of(&g, 1) == 500 && free_of(&g, 2) == 500);
	teardown(&g);

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_register(&g, 2, 999, 0) == 0);
	for (mm = 1; mm <= 10; mm++)
		CHECK(gmm_place_home(&g, mm, 0, &h) == 0 && h == 1);
	teardown(&g);
}

/* Charges saturate at zero; a node charged to zero is skipped until it reports again. */
static void gmm_charge_saturates_and_full_node_is_skipped(void)
{
	struct gmm g;
	uint8_t h;

	setup(&g, 100);
	CHECK(gmm_register(&g, 1, 50, 0) == 0);
	CHECK(gmm_place_home(&g, 1, 0, &h) == 0 && h == 1);
	CHECK(free_of(&g, 1) == 0);
	CHECK(gmm_place_home(&g, 2, 0, &h) == -ENOSPC);
	CHECK(gmm_report(&g, 1, 50, 1) == 0);
	CHECK(gmm_place_home(&g, 2, 1, &h) == 0 && h == 1);
	teardown(&g);
}

/* Five nodes, many vRegions: every backup exists and is a different registered node. */
static void gmm_backup_differs_from_owner(void)
{
	struct gmm g;
	uint8_t o, b;
	uint32_t v;
	int i;

	setup(&g, 1);
	for (i = 1; i <= 5; i++)
		CHECK(gmm_register(&g, (uint8_t)(10 * i), 100 * (uint64_t)i, 0) == 0);
	for (v = 0; v < 128; v++) {
		CHECK(gmm_place_vregion(&g, 77, v, 0, &o, &b) == 0);
		CHECK(b != GMM_NONE && b != o);
		CHECK(o % 10 == 0 && o <= 50 && b % 10 == 0 && b <= 50);
	}
	teardown(&g);
}

/* Backup follows the same rule among the rest: of two others, the freer one. */
static void gmm_backup_is_the_freer_of_the_rest(void)
{
	struct gmm g;
	uint8_t o, b;
	uint32_t mm;

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 900, 0) == 0);
	CHECK(gmm_register(&g, 2, 500, 0) == 0);
	CHECK(gmm_register(&g, 3, 100, 0) == 0);
	for (mm = 1; mm <= 100; mm++) {
		CHECK(gmm_place_vregion(&g, mm, 0, 0, &o, &b) == 0);
		CHECK(o != 3);
		CHECK(b == (o == 1 ? 2 : 1));
	}
	teardown(&g);
}

/*
 * Two equally free nodes, charge 100, no report between: each placement has the
 * other node as its backup, and the owners alternate (a backup is charged half).
 */
static void gmm_owners_alternate_with_backups(void)
{
	struct gmm g;
	uint8_t o, b;
	unsigned on1 = 0;

	setup(&g, 100);
	CHECK(gmm_register(&g, 1, 10000, 0) == 0);
	CHECK(gmm_register(&g, 2, 10000, 0) == 0);
	for (uint32_t v = 0; v < 8; v++) {
		CHECK(gmm_place_vregion(&g, 5, v, 0, &o, &b) == 0);
		CHECK(o != b && (b == 1 || b == 2));
		on1 += o == 1;
	}
	CHECK(on1 == 4);
	teardown(&g);
}

/*
 * before: node 1 (freest) silent since t=0, node 2 reporting; after the timeout node 1 is
 * skipped and there is no backup; its next report readmits it.
 */
static void gmm_stale_node_excluded_then_readmitted(void)
{
	struct gmm g;
	uint8_t o, b;

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_register(&g, 2, 100, 0) == 0);
	CHECK(gmm_report(&g, 2, 100, 10 * SEC) == 0);
	CHECK(gmm_eligible(&g, 1, TIMEOUT));		/* exactly the timeout: still live */
	CHECK(!gmm_eligible(&g, 1, TIMEOUT + 1));
	CHECK(gmm_place_vregion(&g, 1, 0, 10 * SEC, &o, &b) == 0);
	CHECK(o == 2 && b == GMM_NONE);
	CHECK(gmm_report(&g, 1, 1000, 11 * SEC) == 0);
	CHECK(gmm_eligible(&g, 1, 11 * SEC));
	CHECK(gmm_place_vregion(&g, 1, 1, 11 * SEC, &o, &b) == 0);
	CHECK(o == 1 && b == 2);
	teardown(&g);
}

/* before: every node silent past the timeout; after: -EAGAIN (not -ENOSPC) */
static void gmm_all_stale_is_eagain(void)
{
	struct gmm g;
	uint8_t h;

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_place_home(&g, 1, 100 * SEC, &h) == -EAGAIN);
	CHECK(gmm_place_home(&g, 1, UINT64_MAX, &h) == -EAGAIN);
	teardown(&g);
}

/* A clock reading before the latest report (reordering) must not wrap into "stale". */
static void gmm_time_before_last_report_counts_as_live(void)
{
	struct gmm g;

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 1000, 50 * SEC) == 0);
	CHECK(gmm_eligible(&g, 1, 0));
	teardown(&g);
}

/*
 * before: (mm 1, v0) owned by 2 backed by 1; after node_down(2): node 2 is gone at once,
 * node 1 promoted to owner, no backup; after node_down(1) too, the next place re-places.
 */
static void gmm_node_down_removes_at_once_and_promotes_backup(void)
{
	struct gmm g;
	uint8_t o, b, h;

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 100, 0) == 0);
	CHECK(gmm_register(&g, 2, 200, 0) == 0);
	CHECK(gmm_register(&g, 3, 10, 0) == 0);
	CHECK(gmm_report(&g, 3, 0, 0) == 0);		/* live but full: never chosen */
	CHECK(gmm_place_home(&g, 1, 0, &h) == 0 && h == 2);
	CHECK(gmm_place_vregion(&g, 1, 0, 0, &o, &b) == 0 && o == 2 && b == 1);
	CHECK(gmm_node_down(&g, 2) == 0);
	CHECK(!gmm_eligible(&g, 2, 0));
	CHECK(gmm_node_down(&g, 2) == -ENOENT);
	CHECK(gmm_report(&g, 2, 10, 1) == -ENOENT);
	CHECK(gmm_lookup(&g, 1, 0, &o, &b) == 0 && o == 1 && b == GMM_NONE);
	CHECK(gmm_place_vregion(&g, 1, 0, 1, &o, &b) == 0 && o == 1 && b == GMM_NONE);
	CHECK(gmm_place_home(&g, 1, 1, &h) == 0 && h == 1);	/* lost home re-placed */

	CHECK(gmm_node_down(&g, 1) == 0);
	CHECK(gmm_lookup(&g, 1, 0, &o, &b) == 0 && o == GMM_NONE);
	CHECK(gmm_place_vregion(&g, 1, 0, 2, &o, &b) == -ENOSPC);
	CHECK(gmm_register(&g, 2, 500, 3) == 0);		/* a restarted node may rejoin */
	CHECK(gmm_place_vregion(&g, 1, 0, 3, &o, &b) == 0 && o == 2 && b == GMM_NONE);
	CHECK(g.nrecs == 2);
	teardown(&g);
}

static void gmm_node_down_of_unknown_node_is_enoent(void)
{
	struct gmm g;

	setup(&g, 0);
	CHECK(gmm_node_down(&g, 3) == -ENOENT);
	CHECK(gmm_node_down(&g, GMM_NONE) == -ENOENT);
	teardown(&g);
}

/*
 * Asking again returns the recorded answer and charges nothing, even after the reports
 * now favour another node or the owner went silent.
 */
static void gmm_repeated_placement_is_stable(void)
{
	struct gmm g;
	uint8_t o, b, o2, b2, h, h2;

	setup(&g, 10);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_register(&g, 2, 500, 0) == 0);
	CHECK(gmm_place_home(&g, 3, 0, &h) == 0 && h == 1);
	CHECK(gmm_place_vregion(&g, 3, 4, 0, &o, &b) == 0 && o == 1 && b == 2);
	CHECK(free_of(&g, 1) == 980 && free_of(&g, 2) == 495);	/* a backup, half */
	CHECK(gmm_report(&g, 2, 500, 1) == 0);
	CHECK(gmm_report(&g, 1, 1, 1) == 0);
	CHECK(gmm_place_home(&g, 3, 1, &h2) == 0 && h2 == h);
	CHECK(gmm_place_vregion(&g, 3, 4, 1, &o2, &b2) == 0 && o2 == o && b2 == b);
	CHECK(gmm_place_vregion(&g, 3, 4, 100 * SEC, &o2, &b2) == 0 && o2 == o && b2 == b);
	CHECK(free_of(&g, 1) == 1 && free_of(&g, 2) == 500);
	CHECK(g.nrecs == 2);
	teardown(&g);
}

/* before: mm ids 1..3 each with a home and 3 vRegions; after release(2): only 2's are gone */
static void gmm_release_frees_one_process(void)
{
	struct gmm g;
	uint8_t o, b, h;
	uint32_t mm, v;

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_register(&g, 2, 1000, 0) == 0);
	for (mm = 1; mm <= 3; mm++) {
		CHECK(gmm_place_home(&g, mm, 0, &h) == 0);
		for (v = 0; v < 3; v++)
			CHECK(gmm_place_vregion(&g, mm, v, 0, &o, &b) == 0);
	}
	CHECK(g.nrecs == 12);
	CHECK(gmm_release(&g, 2) == 4);
	CHECK(g.nrecs == 8);
	for (v = 0; v < 3; v++) {
		CHECK(gmm_lookup(&g, 2, v, &o, &b) == -ENOENT);
		CHECK(gmm_lookup(&g, 1, v, &o, &b) == 0);
		CHECK(gmm_lookup(&g, 3, v, &o, &b) == 0);
	}
	CHECK(gmm_release(&g, 2) == 0);
	CHECK(gmm_release(&g, 99) == 0);
	CHECK(gmm_release(&g, 1) == 4 && gmm_release(&g, 3) == 4);
	CHECK(g.nrecs == 0 && heap.live == 0);		/* an empty table is returned */
	CHECK(gmm_place_vregion(&g, 2, 0, 0, &o, &b) == 0);	/* and usable again */
	teardown(&g);
}

/* A pmon's whole id range goes at once (its death); its neighbours' ids stay. */
static void gmm_release_range_frees_one_pmon(void)
{
	const uint32_t ids[] = { 0x1ffff, 0x20001, 0x2abcd, 0x2ffff, 0x30000 };
	struct gmm g;
	uint8_t o, b, h;

	setup(&g, 0);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		CHECK(gmm_place_home(&g, ids[i], 0, &h) == 0);
		CHECK(gmm_place_vregion(&g, ids[i], 5, 0, &o, &b) == 0);
	}
	CHECK(gmm_release_range(&g, 0x20000, 0x2ffff) == 6);
	CHECK(g.nrecs == 4);
	CHECK(gmm_lookup(&g, 0x1ffff, 5, &o, &b) == 0);
	CHECK(gmm_lookup(&g, 0x30000, 5, &o, &b) == 0);
	CHECK(gmm_lookup(&g, 0x2abcd, 5, &o, &b) == -ENOENT);
	CHECK(gmm_release_range(&g, 0x20000, 0x2ffff) == 0);
	CHECK(gmm_release_range(&g, 2, 1) == -EINVAL);
	CHECK(gmm_release_range(&g, 0, 5) == -EINVAL);
	CHECK(gmm_release_range(&g, 1, GMM_MM_MAX + 1) == -EINVAL);
	CHECK(gmm_release_range(&g, 1, GMM_MM_MAX) == 4);
	CHECK(g.nrecs == 0 && heap.live == 0);
	teardown(&g);
}

/* Records a restarted gmon hears stand against later placements; hostile ones fail. */
static void gmm_restore_records_stand(void)
{
	struct gmm g;
	uint8_t o, b, h;

	setup(&g, 0);
	CHECK(gmm_restore_home(&g, 7, 2) == 1);
	CHECK(gmm_restore_vregion(&g, 7, 3, 1, GMM_NONE) == 1);
	CHECK(gmm_restore_vregion(&g, 7, 3, 2, GMM_NONE) == 0);	/* the first stands */
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_register(&g, 2, 10, 0) == 0);
	CHECK(gmm_place_home(&g, 7, 0, &h) == 0 && h == 2);
	CHECK(gmm_place_vregion(&g, 7, 3, 0, &o, &b) == 0 && o == 1 && b == GMM_NONE);
	CHECK(gmm_copy(&g, 7, 8) == 2);
	CHECK(gmm_restore_home(&g, 0, 2) == -EINVAL);
	CHECK(gmm_restore_home(&g, 9, GMM_NONE) == -EINVAL);
	CHECK(gmm_restore_vregion(&g, 9, GMM_VREGIONS_MAX, 1, GMM_NONE) == -EINVAL);
	CHECK(gmm_restore_vregion(&g, 9, 1, 1, 1) == -EINVAL);
	CHECK(gmm_lookup(&g, 9, 1, &o, &b) == -ENOENT);
	teardown(&g);
}

/* Hostile mm ids, vRegion indexes and NULL outputs: -EINVAL, no record, no charge. */
static void gmm_invalid_inputs_rejected(void)
{
	static const uint32_t bad_mms[] = { 0, GMM_MM_MAX + 1, 0x80000000u, UINT32_MAX };
	static const uint32_t bad_vregions[] = { 128, 129, 0x80000000u, UINT32_MAX };
	struct gmm g;
	uint8_t o, b, h;
	size_t i;

	setup(&g, 10);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	for (i = 0; i < sizeof(bad_mms) / sizeof(bad_mms[0]); i++) {
		CHECK(gmm_place_home(&g, bad_mms[i], 0, &h) == -EINVAL);
		CHECK(gmm_place_vregion(&g, bad_mms[i], 0, 0, &o, &b) == -EINVAL);
		CHECK(gmm_lookup(&g, bad_mms[i], 0, &o, &b) == -EINVAL);
		CHECK(gmm_release(&g, bad_mms[i]) == -EINVAL);
	}
	for (i = 0; i < sizeof(bad_vregions) / sizeof(bad_vregions[0]); i++) {
		CHECK(gmm_place_vregion(&g, 1, bad_vregions[i], 0, &o, &b) == -EINVAL);
		CHECK(gmm_lookup(&g, 1, bad_vregions[i], &o, &b) == -EINVAL);
	}
	CHECK(gmm_place_home(&g, 1, 0, NULL) == -EINVAL);
	CHECK(gmm_place_vregion(&g, 1, 0, 0, NULL, &b) == -EINVAL);
	CHECK(gmm_place_vregion(&g, 1, 0, 0, &o, NULL) == -EINVAL);
	CHECK(gmm_lookup(&g, 1, 0, NULL, &b) == -EINVAL);
	CHECK(g.nrecs == 0 && free_of(&g, 1) == 1000);
	/* the edges of the ranges are fine */
	CHECK(gmm_place_home(&g, GMM_MM_MAX, 0, &h) == 0);
	CHECK(gmm_place_vregion(&g, GMM_MM_MAX, 127, 0, &o, &b) == 0);
	CHECK(gmm_lookup(&g, GMM_MM_MAX, 127, &o, &b) == 0 && o == 1);
	CHECK(gmm_release(&g, GMM_MM_MAX) == 2);
	teardown(&g);
}

/*
 * before: the allocator fails; after: -ENOMEM, nothing recorded, nothing charged. Then a
 * failure while growing a full table keeps the 16 records it had.
 */
static void gmm_allocation_failure_handled(void)
{
	struct gmm g;
	uint8_t o, b;
	uint32_t v;

	setup(&g, 10);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	CHECK(gmm_register(&g, 2, 1000, 0) == 0);
	heap.fail_after = 0;
	CHECK(gmm_place_vregion(&g, 1, 0, 0, &o, &b) == -ENOMEM);
	CHECK(g.nrecs == 0 && free_of(&g, 1) == 1000 && free_of(&g, 2) == 1000);
	CHECK(gmm_lookup(&g, 1, 0, &o, &b) == -ENOENT);

	heap.fail_after = 1;
	for (v = 0; v < 16; v++)
		CHECK(gmm_place_vregion(&g, 1, v, 0, &o, &b) == 0);
	CHECK(gmm_place_vregion(&g, 1, 16, 0, &o, &b) == -ENOMEM);
	CHECK(g.nrecs == 16);
	for (v = 0; v < 16; v++)
		CHECK(gmm_lookup(&g, 1, v, &o, &b) == 0 && o != b);
	heap.fail_after = -1;
	CHECK(gmm_place_vregion(&g, 1, 16, 0, &o, &b) == 0);
	teardown(&g);
}

/* params.max_records bounds the table whatever the allocator would give. */
static void gmm_record_limit_is_enomem(void)
{
	struct gmm g;
	struct gmm_params p = params(0);
	struct gmm_alloc a = { heap_alloc, heap_free, &heap };
	uint8_t o, b;
	uint32_t v;

	heap.live = 0;
	heap.fail_after = -1;
	p.max_records = 20;
	CHECK(gmm_init(&g, &p, &a) == 0);
	CHECK(gmm_register(&g, 1, 1000, 0) == 0);
	for (v = 0; v < 20; v++)
		CHECK(gmm_place_vregion(&g, 4, v, 0, &o, &b) == 0);
	CHECK(gmm_place_vregion(&g, 4, 20, 0, &o, &b) == -ENOMEM);
	CHECK(gmm_place_home(&g, 4, 0, &o) == -ENOMEM);
	CHECK(g.cap == 20);
	CHECK(gmm_release(&g, 4) == 20);
	teardown(&g);
}

/* Same seed, same inputs: same placements (tests and replays are deterministic). */
static void gmm_same_seed_same_placements(void)
{
	struct gmm g1, g2;
	uint8_t o1, b1, o2, b2;
	uint32_t v;
	int i;

	setup(&g1, 3);
	for (i = 1; i <= 8; i++)
		CHECK(gmm_register(&g1, (uint8_t)i, 100, 0) == 0);
	setup(&g2, 3);		/* resets the heap count: g1 holds no table yet */
	for (i = 1; i <= 8; i++)
		CHECK(gmm_register(&g2, (uint8_t)i, 100, 0) == 0);
	for (v = 0; v < 100; v++) {
		CHECK(gmm_place_vregion(&g1, 1, v, 0, &o1, &b1) == 0);
		CHECK(gmm_place_vregion(&g2, 1, v, 0, &o2, &b2) == 0);
		CHECK(o1 == o2 && b1 == b2);
	}
	gmm_fini(&g1);
	teardown(&g2);
}

/*
 * Large topology: 64 equal mComponents and one address space of 128 vRegions; charging
 * spreads it over many owners, each vRegion with its own backup.
 */
static void gmm_large_address_space_spans_many_nodes(void)
{
	struct gmm g;
	uint8_t o, b;
	uint32_t v;
	int owned[GMM_MAX_NODES] = { 0 }, owners = 0, i;

	setup(&g, 1 << 18);	/* one 1 GiB vRegion of 4 KiB pages */
	for (i = 0; i < GMM_MAX_NODES; i++)
		CHECK(gmm_register(&g, (uint8_t)i, 16ull << 18, 0) == 0);	/* 16 GiB */
	for (v = 0; v < 128; v++) {
		CHECK(gmm_place_vregion(&g, 1, v, 0, &o, &b) == 0);
		CHECK(o < GMM_MAX_NODES && b < GMM_MAX_NODES && o != b);
		owned[o]++;
	}
	for (i = 0; i < GMM_MAX_NODES; i++) {
		owners += owned[i] > 0;
		CHECK(owned[i] <= 8);
	}
	CHECK(owners >= 32);
	teardown(&g);
}

static const struct unit_test tests[] = {
	TEST(gmm_init_rejects_bad_params),
	TEST(gmm_register_rejects_bad_and_duplicate_nodes),
	TEST(gmm_report_rejects_unknown_node_and_impossible_free),
	TEST(gmm_report_older_than_latest_is_ignored),
	TEST(gmm_place_with_no_nodes_is_eagain),
	TEST(gmm_place_with_only_full_nodes_is_enospc),
	TEST(gmm_single_node_owns_with_no_backup),
	TEST(gmm_pick_charges_and_records_nothing),
	TEST(gmm_two_choices_picks_the_freer_of_two),
	TEST(gmm_two_choices_never_picks_the_least_free_of_three),
	TEST(gmm_distribution_favours_free_nodes),
	TEST(gmm_charging_spreads_a_burst),
	TEST(gmm_charge_saturates_and_full_node_is_skipped),
	TEST(gmm_backup_differs_from_owner),
	TEST(gmm_backup_is_the_freer_of_the_rest),
	TEST(gmm_owners_alternate_with_backups),
	TEST(gmm_stale_node_excluded_then_readmitted),
	TEST(gmm_all_stale_is_eagain),
	TEST(gmm_time_before_last_report_counts_as_live),
	TEST(gmm_node_down_removes_at_once_and_promotes_backup),
	TEST(gmm_node_down_of_unknown_node_is_enoent),
	TEST(gmm_repeated_placement_is_stable),
	TEST(gmm_release_frees_one_process),
	TEST(gmm_release_range_frees_one_pmon),
	TEST(gmm_restore_records_stand),
	TEST(gmm_invalid_inputs_rejected),
	TEST(gmm_allocation_failure_handled),
	TEST(gmm_record_limit_is_enomem),
	TEST(gmm_same_seed_same_placements),
	TEST(gmm_large_address_space_spans_many_nodes),
};

CHECK_MAIN("gmm", tests)
