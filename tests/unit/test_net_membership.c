/*
 * Host tests for net/membership.c on a four-node simulated cluster (gmon is node 1):
 * heartbeats keep everyone alive, a silent node is declared dead after the timeout
 * and every live node hears NODE_DOWN, it rejoins with NODE_UP, a restarted node gets
 * gmon's view, and membership messages not from gmon or malformed are refused.
 */
#include <stdlib.h>
#include "check.h"
#include "kernel/errno.h"
#include "net/membership.h"
#include "net_sim.h"

#define NODES 4
#define GMON 1
#define HB (100 * SIM_MS)
#define TIMEOUT (1 * SIM_SEC)

static struct sim sim;
static struct sim_node nodes[NODES + 1];
static struct membership memb[NODES + 1];

/* changes[n][m]: how many times node n saw node m change; up[n][m]: its last word. */
static unsigned changes[NODES + 1][NODES + 1];
static bool up[NODES + 1][NODES + 1];

static void changed(void *arg, uint8_t node, bool alive)
{
	unsigned self = (unsigned)(uintptr_t)arg;

	changes[self][node]++;
	up[self][node] = alive;
}

static void memb_start(unsigned i)
{
	struct memb_params mp = { .gmon = GMON, .hb_interval_ns = HB, .hb_timeout_ns = TIMEOUT };

	CHECK(memb_init(&memb[i], &nodes[i].ep, &mp, changed, (void *)(uintptr_t)i) == 0);
}

static void start(void)
{
	struct net_params p;
	unsigned i;

	sim_init(&sim, 3);
	memset(nodes, 0, sizeof(nodes));
	memset(changes, 0, sizeof(changes));
	for (i = 1; i <= NODES; i++) {
		sim_params(&p, (uint8_t)i, 0x1000 + i, 9000);
		CHECK(sim_node_start(&sim, &nodes[i], (uint8_t)i, &p) == 0);
	}
	for (i = 1; i <= NODES; i++)
		memb_start(i);
}

static void stop(void)
{
	unsigned i;

	for (i = 1; i <= NODES; i++)
		if (nodes[i].up)
			memb_fini(&memb[i]);
	sim_fini(&sim);
	CHECK(sim.allocs == 0);
}

static unsigned total_changes(void)
{
	unsigned i, j, n = 0;

	for (i = 1; i <= NODES; i++)
		for (j = 1; j <= NODES; j++)
			n += changes[i][j];
	return n;
}

static void memb_heartbeats_keep_everyone_alive(void)
{
	unsigned i, j;

	start();
	sim_advance(&sim, 10 * SIM_SEC);
	CHECK(total_changes() == 0);
	for (i = 1; i <= NODES; i++)
		for (j = 1; j <= NODES; j++)
			CHECK(memb_alive(&memb[i], (uint8_t)j));
	/* 10 s at 100 ms: about 100 heartbeats from each node */
	CHECK(nodes[GMON].ep.stats.c[NET_C_MSGS_IN] >= 3 * 99);
	CHECK(nodes[GMON].ep.stats.c[NET_C_MSGS_IN] <= 3 * 102);
	stop();
}

/*
 * Node 4 stands for a host entry: in the map, but it runs no membership and is not
 * a member. Before: members {1, 2, 3}. After 10 s: nobody saw node 4 change, and a
 * heartbeat it forges is refused and counted.
 */
static void memb_ignores_nodes_outside_the_members(void)
{
	struct memb_params mp = { .gmon = GMON, .hb_interval_ns = HB, .hb_timeout_ns = TIMEOUT };
	struct net_msg_hdr hb = { .kind = NET_HEARTBEAT };
	struct net_params p;
	uint64_t refused;
	unsigned i;

	sim_init(&sim, 3);
	memset(nodes, 0, sizeof(nodes));
	memset(changes, 0, sizeof(changes));
	mp.members[0] = (1u << 1) | (1u << 2) | (1u << 3);
	for (i = 1; i <= NODES; i++) {
		sim_params(&p, (uint8_t)i, 0x1000 + i, 9000);
		CHECK(sim_node_start(&sim, &nodes[i], (uint8_t)i, &p) == 0);
	}
	for (i = 1; i < NODES; i++)
		CHECK(memb_init(&memb[i], &nodes[i].ep, &mp, changed, (void *)(uintptr_t)i) == 0);
	sim_advance(&sim, 10 * SIM_SEC);
	CHECK(total_changes() == 0);
	CHECK(!memb_alive(&memb[GMON], 4));
	refused = nodes[GMON].ep.stats.c[NET_C_BAD_MEMB];
	CHECK(net_send(&nodes[4].ep, GMON, &hb, NULL, 0, NULL, NULL) == 0);
	sim_advance(&sim, SIM_SEC);
	CHECK(nodes[GMON].ep.stats.c[NET_C_BAD_MEMB] == refused + 1);
	CHECK(total_changes() == 0);
	for (i = 1; i < NODES; i++)
		memb_fini(&memb[i]);
	sim_fini(&sim);
	CHECK(sim.allocs == 0);
}

/* Node 3 falls silent: dead after the timeout, not before; the live nodes are told. */
static void memb_silent_node_is_declared_dead_and_everyone_told(void)
{
	uint64_t t0;

	start();
	sim_advance(&sim, SIM_SEC);
	nodes[3].link_down = true;
	t0 = sim.now;
	sim_advance(&sim, TIMEOUT - 2 * HB);
	CHECK(memb_alive(&memb[GMON], 3) && changes[GMON][3] == 0);
	sim_advance(&sim, 3 * HB);
	CHECK(!memb_alive(&memb[GMON], 3) && changes[GMON][3] == 1 && !up[GMON][3]);
	CHECK(sim.now - t0 >= TIMEOUT - HB);
	sim_advance(&sim, 10 * SIM_MS);
	CHECK(!memb_alive(&memb[2], 3) && changes[2][3] == 1 && !up[2][3]);
	CHECK(!memb_alive(&memb[4], 3) && changes[4][3] == 1);
	/* nobody else changed */
	CHECK(total_changes() == 3);
	stop();
}

/* The link heals: node 3's next heartbeat makes it alive again, everywhere. */
static void memb_dead_node_rejoins_when_heard_again(void)
{
	start();
	nodes[3].link_down = true;
	sim_advance(&sim, TIMEOUT + SIM_SEC);
	CHECK(!memb_alive(&memb[2], 3));
	nodes[3].link_down = false;
	sim_advance(&sim, SIM_SEC);
	CHECK(memb_alive(&memb[GMON], 3) && changes[GMON][3] == 2 && up[GMON][3]);
	CHECK(memb_alive(&memb[2], 3) && changes[2][3] == 2 && up[2][3]);
	CHECK(memb_alive(&memb[4], 3) && changes[4][3] == 2);
	/* node 3 never thought itself or anyone else dead */
	CHECK(changes[3][1] + changes[3][2] + changes[3][4] == 0);
	stop();
}

/* While 3 was away, 4 died; 3 learns it from the view its NODE_UP carries. */
static void memb_rejoining_node_learns_what_it_missed(void)
{
	start();
	nodes[3].link_down = true;
	sim_advance(&sim, SIM_SEC / 2);
	nodes[4].link_down = true;
	sim_advance(&sim, TIMEOUT + SIM_SEC);
	CHECK(!memb_alive(&memb[GMON], 3) && !memb_alive(&memb[GMON], 4));
	CHECK(memb_alive(&memb[3], 4));
	nodes[3].link_down = false;
	sim_advance(&sim, SIM_SEC);
	CHECK(memb_alive(&memb[GMON], 3) && !memb_alive(&memb[3], 4) && changes[3][4] == 1);
	stop();
}

/* A restarted node starts with everyone alive; gmon sends it the real view. */
static void memb_restarted_node_gets_gmons_view(void)
{
	struct net_params p;

	start();
	nodes[4].link_down = true;
	sim_advance(&sim, TIMEOUT + SIM_SEC);
	memb_fini(&memb[2]);
	sim_node_stop(&nodes[2]);
	sim_params(&p, 2, 0x2002, 9000);
	CHECK(sim_node_start(&sim, &nodes[2], 2, &p) == 0);
	memb_start(2);
	changes[2][4] = 0;
	CHECK(memb_alive(&memb[2], 4));
	sim_advance(&sim, SIM_SEC);
	CHECK(!memb_alive(&memb[2], 4) && changes[2][4] == 1);
	stop();
}

/* Views from anyone but gmon, malformed views, and heartbeats to a non-gmon: refused. */
static void memb_refuses_bad_membership_messages(void)
{
	struct net_node_change c = { .node = 4, .up = 0 };
	struct net_msg_hdr down = { .kind = NET_NODE_DOWN }, hb = { .kind = NET_HEARTBEAT };

	start();
	CHECK(net_send(&nodes[3].ep, 2, &down, &c, sizeof(c), NULL, NULL) == 0);
	CHECK(net_send(&nodes[GMON].ep, 2, &down, &c, sizeof(c) - 1, NULL, NULL) == 0);
	c.up = 1;
	CHECK(net_send(&nodes[GMON].ep, 2, &down, &c, sizeof(c), NULL, NULL) == 0);
	c.up = 0;
	c.rsvd[3] = 1;
	CHECK(net_send(&nodes[GMON].ep, 2, &down, &c, sizeof(c), NULL, NULL) == 0);
	CHECK(net_send(&nodes[3].ep, 2, &hb, NULL, 0, NULL, NULL) == 0);
	CHECK(net_send(&nodes[3].ep, GMON, &hb, "x", 1, NULL, NULL) == 0);
	CHECK(net_send(&nodes[GMON].ep, 2, &hb, NULL, 0, NULL, NULL) == 0);
	sim_advance(&sim, 10 * SIM_MS);
	CHECK(nodes[2].ep.stats.c[NET_C_BAD_MEMB] == 6);
	CHECK(nodes[GMON].ep.stats.c[NET_C_BAD_MEMB] == 1);
	CHECK(total_changes() == 0);
	stop();
}

static void memb_init_validates(void)
{
	struct memb_params mp = { .gmon = 9, .hb_interval_ns = HB, .hb_timeout_ns = TIMEOUT };
	struct membership m;

	start();
	CHECK(memb_init(&m, &nodes[2].ep, &mp, NULL, NULL) == -EINVAL);
	mp.gmon = GMON;
	mp.hb_interval_ns = 0;
	CHECK(memb_init(&m, &nodes[2].ep, &mp, NULL, NULL) == -EINVAL);
	stop();
}

static const struct unit_test tests[] = {
	TEST(memb_heartbeats_keep_everyone_alive),
	TEST(memb_silent_node_is_declared_dead_and_everyone_told),
	TEST(memb_dead_node_rejoins_when_heard_again),
	TEST(memb_rejoining_node_learns_what_it_missed),
	TEST(memb_restarted_node_gets_gmons_view),
	TEST(memb_refuses_bad_membership_messages),
	TEST(memb_ignores_nodes_outside_the_members),
	TEST(memb_init_validates),
};

CHECK_MAIN("net_membership", tests)
