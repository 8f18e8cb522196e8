/*
 * Host tests for managers/gsm.c: which sComponent keeps a vNode's files, chosen by
 * free blocks with two choices and charges, fixed once made; staleness and hostile
 * reports and arguments.
 */
#include <stdint.h>
#include "check.h"
#include "kernel/errno.h"
#include "managers/gsm.h"

#define SEC 1000000000ull
#define TIMEOUT (3 * SEC)
#define MMON 9

static void setup(struct gsm *g, uint64_t charge)
{
	struct gsm_params p = { .timeout_ns = TIMEOUT, .charge_blocks = charge, .seed = 7 };

	CHECK(gsm_init(g, &p) == 0);
}

/* Place vnode with MMON in front; the smon it got. */
static uint8_t place(struct gsm *g, uint32_t vnode, uint64_t now)
{
	struct gsm_vnode v;
	bool made;

	CHECK(gsm_place(g, vnode, MMON, now, &v, &made) == 0);
	CHECK(v.vnode == vnode && v.mmon == MMON);
	return v.smon;
}

static void gsm_init_rejects_bad_params(void)
{
	struct gsm_params p = { 0 };
	struct gsm g;

	CHECK(gsm_init(&g, &p) == -EINVAL);
	CHECK(gsm_init(NULL, &p) == -EINVAL);
}

static void gsm_first_report_registers_the_node(void)
{
	struct gsm g;

	setup(&g, 0);
	CHECK(gsm_report(&g, 3, 100, 50, SEC) == 1);
	CHECK(gsm_report(&g, 3, 100, 40, 2 * SEC) == 0);
	CHECK(gsm_eligible(&g, 3, 2 * SEC));
	CHECK(!gsm_eligible(&g, 4, 2 * SEC));
}

static void gsm_hostile_reports_are_refused(void)
{
	struct gsm g;

	setup(&g, 0);
	CHECK(gsm_report(&g, GSM_NONE, 100, 50, SEC) == -EINVAL);
	CHECK(gsm_report(&g, 3, 100, 101, SEC) == -EINVAL);
	CHECK(!gsm_eligible(&g, 3, SEC));
}

static void gsm_65th_node_is_enospc(void)
{
	struct gsm g;

	setup(&g, 0);
	for (int i = 0; i < GSM_MAX_NODES; i++)
		CHECK(gsm_report(&g, (uint8_t)i, 10, 10, SEC) == 1);
	CHECK(gsm_report(&g, 200, 10, 10, SEC) == -ENOSPC);
}

static void gsm_place_with_no_live_smon_is_eagain(void)
{
	struct gsm_vnode v;
	struct gsm g;
	bool made;

	setup(&g, 0);
	CHECK(gsm_place(&g, 1, MMON, SEC, &v, &made) == -EAGAIN);
	CHECK(gsm_report(&g, 3, 100, 50, SEC) == 1);
	CHECK(gsm_place(&g, 1, MMON, SEC + TIMEOUT, &v, &made) == -EAGAIN);
}

static void gsm_place_with_only_full_smons_is_enospc(void)
{
	struct gsm_vnode v;
	struct gsm g;
	bool made;

	setup(&g, 0);
	CHECK(gsm_report(&g, 3, 100, 0, SEC) == 1);
	CHECK(gsm_place(&g, 1, MMON, SEC, &v, &made) == -ENOSPC);
}

static void gsm_place_rejects_bad_arguments(void)
{
	struct gsm_vnode v;
	struct gsm g;
	bool made;

	setup(&g, 0);
	CHECK(gsm_report(&g, 3, 100, 50, SEC) == 1);
	CHECK(gsm_place(&g, 0, MMON, SEC, &v, &made) == -EINVAL);
	CHECK(gsm_place(&g, 1, GSM_NONE, SEC, &v, &made) == -EINVAL);
	CHECK(gsm_place(&g, 1, MMON, SEC, NULL, &made) == -EINVAL);
}

static void gsm_placement_is_fixed_once_made(void)
{
	struct gsm_vnode v;
	struct gsm g;
	bool made;

	setup(&g, 0);
	CHECK(gsm_report(&g, 3, 100, 50, SEC) == 1);
	CHECK(gsm_place(&g, 5, MMON, SEC, &v, &made) == 0 && made && v.smon == 3);
	/* A freer smon joins, and the first one goes silent: vNode 5 stays. */
	CHECK(gsm_report(&g, 4, 1000, 900, 2 * SEC) == 1);
	CHECK(gsm_place(&g, 5, 1, 10 * SEC, &v, &made) == 0 && !made);
	CHECK(v.smon == 3 && v.mmon == MMON);
	CHECK(gsm_lookup(&g, 5, &v) == 0 && v.smon == 3);
	CHECK(gsm_lookup(&g, 6, &v) == -ENOENT);
}

static void gsm_two_choices_picks_the_freer(void)
{
	struct gsm g;

	setup(&g, 0);
	CHECK(gsm_report(&g, 3, 100, 10, SEC) == 1);
	CHECK(gsm_report(&g, 4, 100, 90, SEC) == 1);
	for (uint32_t vn = 1; vn <= 20; vn++)
		CHECK(place(&g, vn, SEC) == 4);
}

static void gsm_charging_spreads_a_burst(void)
{
	unsigned on3 = 0;
	struct gsm g;

	setup(&g, 10);
	CHECK(gsm_report(&g, 3, 1000, 500, SEC) == 1);
	CHECK(gsm_report(&g, 4, 1000, 520, SEC) == 1);
	for (uint32_t vn = 1; vn <= 20; vn++)
		on3 += place(&g, vn, SEC) == 3;
	CHECK(on3 >= 8 && on3 <= 12);
}

static void gsm_stale_smon_excluded_then_readmitted(void)
{
	struct gsm g;

	setup(&g, 0);
	CHECK(gsm_report(&g, 3, 100, 90, SEC) == 1);
	CHECK(gsm_report(&g, 4, 100, 10, 5 * SEC) == 1);
	CHECK(place(&g, 1, 5 * SEC) == 4);
	CHECK(gsm_report(&g, 3, 100, 90, 6 * SEC) == 0);
	CHECK(place(&g, 2, 6 * SEC) == 3);
}

static void gsm_report_older_than_latest_is_ignored(void)
{
	struct gsm g;

	setup(&g, 0);
	CHECK(gsm_report(&g, 3, 100, 90, 5 * SEC) == 1);
	CHECK(gsm_report(&g, 3, 100, 0, 4 * SEC) == 0);
	CHECK(gsm_eligible(&g, 3, 5 * SEC));
}

static void gsm_1025th_vnode_is_enospc(void)
{
	struct gsm_vnode v;
	struct gsm g;
	bool made;

	setup(&g, 0);
	CHECK(gsm_report(&g, 3, 100, 90, SEC) == 1);
	for (uint32_t vn = 1; vn <= GSM_MAX_VNODES; vn++)
		place(&g, vn, SEC);
	CHECK(gsm_place(&g, GSM_MAX_VNODES + 1, MMON, SEC, &v, &made) == -ENOSPC);
	CHECK(gsm_place(&g, 7, MMON, SEC, &v, &made) == 0 && !made);
}

/* A restarted gmon takes a front's placements, before any smon reports; first wins. */
static void gsm_restore_keeps_the_first_placement(void)
{
	struct gsm_vnode v;
	struct gsm g;
	bool made;

	setup(&g, 0);
	CHECK(gsm_restore(&g, 5, 3, MMON) == 1);
	CHECK(gsm_lookup(&g, 5, &v) == 0 && v.smon == 3 && v.mmon == MMON);
	CHECK(gsm_restore(&g, 5, 4, 1) == 0);
	CHECK(gsm_report(&g, 4, 1000, 900, SEC) == 1);
	CHECK(gsm_place(&g, 5, 1, SEC, &v, &made) == 0 && !made && v.smon == 3);
	CHECK(gsm_restore(&g, 0, 3, MMON) == -EINVAL);
	CHECK(gsm_restore(&g, 6, GSM_NONE, MMON) == -EINVAL);
	CHECK(gsm_restore(&g, 6, 3, GSM_NONE) == -EINVAL);
	for (uint32_t vn = 100; g.nvnodes < GSM_MAX_VNODES; vn++)
		CHECK(gsm_restore(&g, vn, 3, MMON) == 1);
	CHECK(gsm_restore(&g, 99, 3, MMON) == -ENOSPC);
}

static const struct unit_test tests[] = {
	TEST(gsm_init_rejects_bad_params),
	TEST(gsm_first_report_registers_the_node),
	TEST(gsm_hostile_reports_are_refused),
	TEST(gsm_65th_node_is_enospc),
	TEST(gsm_place_with_no_live_smon_is_eagain),
	TEST(gsm_place_with_only_full_smons_is_enospc),
	TEST(gsm_place_rejects_bad_arguments),
	TEST(gsm_placement_is_fixed_once_made),
	TEST(gsm_two_choices_picks_the_freer),
	TEST(gsm_charging_spreads_a_burst),
	TEST(gsm_stale_smon_excluded_then_readmitted),
	TEST(gsm_report_older_than_latest_is_ignored),
	TEST(gsm_1025th_vnode_is_enospc),
	TEST(gsm_restore_keeps_the_first_placement),
};

CHECK_MAIN("gsm", tests)
