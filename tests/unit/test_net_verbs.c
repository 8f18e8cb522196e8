/*
 * Host tests for net/verbs.c: one-sided READ and WRITE within bounds, and every way
 * to get them wrong (bounds, key, permission, deregistered region, malformed request
 * or response), which is refused and counted without touching memory outside the
 * region (regions are exact malloc blocks, so ASan would see a stray byte); SEND and
 * posted receives; completion queues; timeouts and dead peers.
 */
#include <stdlib.h>
#include "check.h"
#include "kernel/errno.h"
#include "net/verbs.h"
#include "net_sim.h"

#define REGION 8192

static struct sim sim;
static struct sim_node a, b;
static struct verbs va, vb;
static struct verbs_cq cq, cqb;
static uint8_t *region;			/* on b, exactly REGION bytes */
static uint32_t key;
static unsigned notified, delivered;

static void notify(void *arg)
{
	(void)arg;
	notified++;
}

static void b_deliver(struct sim_node *n, uint8_t peer, const struct net_msg_hdr *m,
		      const void *payload, size_t len)
{
	(void)n, (void)peer, (void)m, (void)payload, (void)len;
	delivered++;
}

static void start(unsigned mtu)
{
	size_t i;

	CHECK(sim_pair_start(&sim, 7, &a, &b, mtu) == 0);
	CHECK(verbs_init(&va, &a.ep, 8, 50 * SIM_MS) == 0);
	CHECK(verbs_init(&vb, &b.ep, 8, 50 * SIM_MS) == 0);
	CHECK(verbs_cq_init(&cq, &a.ep, 16, notify, NULL) == 0);
	CHECK(verbs_cq_init(&cqb, &b.ep, 16, NULL, NULL) == 0);
	region = malloc(REGION);
	for (i = 0; i < REGION; i++)
		region[i] = (uint8_t)(i * 7);
	CHECK(verbs_reg_mr(&vb, region, REGION, VERBS_READ | VERBS_WRITE, &key) == 0);
	b.deliver = b_deliver;
	notified = delivered = 0;
}

static void stop(void)
{
	verbs_fini(&va);
	verbs_fini(&vb);
	verbs_cq_fini(&cq);
	verbs_cq_fini(&cqb);
	sim_fini(&sim);
	free(region);
	CHECK(sim.allocs == 0);
}

static bool cq_ready(void *arg)
{
	return ((struct verbs_cq *)arg)->count > 0;
}

/* Post one op from a and wait for its completion. */
static struct verbs_wc run(enum verbs_opcode op, uint32_t k, uint64_t off, void *buf,
			   uint32_t len)
{
	struct verbs_wr wr = { .wr_id = 99, .peer = 2, .key = k, .offset = off, .buf = buf,
			       .len = len };
	struct verbs_wc wc;

	CHECK(verbs_post(&va, &cq, op, &wr) == 0);
	CHECK(cq.count == 0);
	CHECK(sim_run(&sim, cq_ready, &cq, 10 * SIM_SEC));
	CHECK(verbs_cq_poll(&cq, &wc, 1) == 1);
	CHECK(wc.wr_id == 99 && wc.op == op && wc.peer == 2);
	return wc;
}

static void verbs_read_within_bounds_returns_the_region_bytes(void)
{
	uint8_t *buf = malloc(REGION);
	struct verbs_wc wc;

	start(1500);
	wc = run(VERBS_OP_READ, key, 0, buf, REGION);
	CHECK(wc.status == 0 && wc.bytes == REGION && memcmp(buf, region, REGION) == 0);
	wc = run(VERBS_OP_READ, key, REGION - 100, buf, 100);
	CHECK(wc.status == 0 && wc.bytes == 100 && memcmp(buf, region + REGION - 100, 100) == 0);
	wc = run(VERBS_OP_READ, key, REGION, buf, 0);
	CHECK(wc.status == 0 && wc.bytes == 0);
	CHECK(notified == 3 && delivered == 0);
	free(buf);
	stop();
}

static void verbs_write_within_bounds_changes_only_those_bytes(void)
{
	uint8_t data[300];
	struct verbs_wc wc;

	start(9000);
	memset(data, 0xee, sizeof(data));
	wc = run(VERBS_OP_WRITE, key, 1000, data, sizeof(data));
	CHECK(wc.status == 0 && wc.bytes == sizeof(data));
	CHECK(memcmp(region + 1000, data, sizeof(data)) == 0);
	CHECK(region[999] == (uint8_t)(999 * 7) && region[1300] == (uint8_t)(1300 * 7));
	wc = run(VERBS_OP_WRITE, key, REGION - 1, data, 1);
	CHECK(wc.status == 0 && region[REGION - 1] == 0xee);
	CHECK(delivered == 0);
	stop();
}

/* Every out-of-bounds shape, offset overflow included: -EFAULT, counted, no access. */
static void verbs_out_of_bounds_access_is_refused(void)
{
	static uint8_t buf[REGION + 1];
	struct verbs_wc wc;

	start(9000);
	CHECK(run(VERBS_OP_READ, key, 0, buf, REGION + 1).status == -EFAULT);
	CHECK(run(VERBS_OP_READ, key, REGION, buf, 1).status == -EFAULT);
	CHECK(run(VERBS_OP_READ, key, REGION + 1, buf, 0).status == -EFAULT);
	CHECK(run(VERBS_OP_READ, key, UINT64_MAX, buf, 2).status == -EFAULT);
	CHECK(run(VERBS_OP_READ, key, UINT64_MAX - 10, buf, 100).status == -EFAULT);
	wc = run(VERBS_OP_WRITE, key, REGION - 1, buf, 2);
	CHECK(wc.status == -EFAULT && wc.bytes == 0);
	CHECK(run(VERBS_OP_WRITE, key, (uint64_t)1 << 63, buf, 1).status == -EFAULT);
	CHECK(b.ep.stats.c[NET_C_OUT_OF_BOUNDS] == 7);
	CHECK(net_peer_stats(&b.ep, 1)->c[NET_C_OUT_OF_BOUNDS] == 7);
	stop();
}

static void verbs_wrong_or_deregistered_key_is_refused(void)
{
	uint8_t buf[16];
	uint32_t key2;

	start(9000);
	CHECK(run(VERBS_OP_READ, key ^ 0x100, 0, buf, 16).status == -EACCES);
	CHECK(run(VERBS_OP_READ, 0, 0, buf, 16).status == -EACCES);
	CHECK(run(VERBS_OP_WRITE, key + 1, 0, buf, 16).status == -EACCES);
	CHECK(verbs_dereg_mr(&vb, key) == 0);
	CHECK(verbs_dereg_mr(&vb, key) == -ENOENT);
	CHECK(run(VERBS_OP_READ, key, 0, buf, 16).status == -EACCES);
	/* the entry is reused under a new key; the old key still names nothing */
	CHECK(verbs_reg_mr(&vb, region, REGION, VERBS_READ, &key2) == 0);
	CHECK(key2 != key && (key2 & 7) == (key & 7));
	CHECK(run(VERBS_OP_READ, key, 0, buf, 16).status == -EACCES);
	CHECK(run(VERBS_OP_READ, key2, 0, buf, 16).status == 0);
	CHECK(b.ep.stats.c[NET_C_BAD_KEY] == 5);
	stop();
}

static void verbs_permissions_are_enforced(void)
{
	uint8_t buf[16] = { 0 };
	uint32_t ro, wo;

	start(9000);
	CHECK(verbs_reg_mr(&vb, region, 64, VERBS_READ, &ro) == 0);
	CHECK(verbs_reg_mr(&vb, region + 64, 64, VERBS_WRITE, &wo) == 0);
	CHECK(run(VERBS_OP_WRITE, ro, 0, buf, 16).status == -EPERM);
	CHECK(region[0] == 0);
	CHECK(run(VERBS_OP_READ, wo, 0, buf, 16).status == -EPERM);
	CHECK(run(VERBS_OP_READ, ro, 0, buf, 16).status == 0);
	CHECK(run(VERBS_OP_WRITE, wo, 0, buf, 16).status == 0);
	CHECK(b.ep.stats.c[NET_C_BAD_PERM] == 2);
	stop();
}

static void verbs_registration_validates_and_fills_up(void)
{
	uint32_t k;
	int i;

	start(9000);
	CHECK(verbs_reg_mr(&vb, region, 16, 0, &k) == -EINVAL);
	CHECK(verbs_reg_mr(&vb, region, 16, 4, &k) == -EINVAL);
	CHECK(verbs_reg_mr(&vb, NULL, 16, VERBS_READ, &k) == -EINVAL);
	for (i = 1; i < 8; i++)
		CHECK(verbs_reg_mr(&vb, region, 16, VERBS_READ, &k) == 0);
	CHECK(verbs_reg_mr(&vb, region, 16, VERBS_READ, &k) == -ENOSPC);
	CHECK(verbs_init(&vb, &b.ep, 0, 0) == -EINVAL);
	stop();
}

/* Requests built by hand that do not parse are answered -EINVAL and counted. */
static void verbs_malformed_requests_are_refused(void)
{
	struct net_read_req r = { .key = 0, .len = 4, .offset = 0 };
	uint8_t wbuf[sizeof(struct net_write_req) + 8];
	struct net_write_req w = { .len = 9 };
	struct net_msg_hdr m = { .kind = NET_READ_REQ, .id = 1 };

	start(9000);
	r.key = key;
	CHECK(net_send(&a.ep, 2, &m, &r, sizeof(r) - 1, NULL, NULL) == 0);
	r.len = NET_MSG_MAX + 1;
	CHECK(net_send(&a.ep, 2, &m, &r, sizeof(r), NULL, NULL) == 0);
	m.kind = NET_WRITE_REQ;
	w.key = key;
	memcpy(wbuf, &w, sizeof(w));
	CHECK(net_send(&a.ep, 2, &m, wbuf, sizeof(wbuf), NULL, NULL) == 0);
	CHECK(net_send(&a.ep, 2, &m, wbuf, 3, NULL, NULL) == 0);
	sim_advance(&sim, 10 * SIM_MS);
	CHECK(b.ep.stats.c[NET_C_BAD_REQ] == 4);
	/* the answers match nothing a posted: late */
	CHECK(a.ep.stats.c[NET_C_LATE_RESP] == 4);
	stop();
}

/*
 * A response shaped wrong for its op (data longer than the READ asked for) fails the
 * op with -EPROTO and never writes past the requester's buffer.
 */
static void verbs_malformed_responses_fail_the_op(void)
{
	uint8_t *buf = malloc(10), big[100] = { 0 };
	struct verbs_wr wr = { .wr_id = 5, .peer = 2, .key = 0, .buf = buf, .len = 10 };
	struct net_msg_hdr m = { .kind = NET_READ_RESP };
	struct verbs_wc wc;

	start(9000);
	verbs_fini(&vb);	/* b answers nothing by itself */
	CHECK(verbs_init(&vb, &b.ep, 8, 0) == 0);
	net_set_handler(&b.ep, NET_READ_REQ, NULL, NULL);
	CHECK(verbs_post(&va, &cq, VERBS_OP_READ, &wr) == 0);
	m.id = a.ep.next_id;	/* the id the READ went out with */
	CHECK(net_send(&b.ep, 1, &m, big, sizeof(big), NULL, NULL) == 0);
	CHECK(sim_run(&sim, cq_ready, &cq, SIM_SEC));
	CHECK(verbs_cq_poll(&cq, &wc, 1) == 1 && wc.status == -EPROTO && wc.bytes == 0);
	CHECK(a.ep.stats.c[NET_C_BAD_RESP] == 1);
	CHECK(verbs_post(&va, &cq, VERBS_OP_READ, &wr) == 0);
	m.id = a.ep.next_id;
	m.kind = NET_WRITE_RESP;	/* a WRITE's answer to a READ */
	CHECK(net_send(&b.ep, 1, &m, NULL, 0, NULL, NULL) == 0);
	CHECK(sim_run(&sim, cq_ready, &cq, SIM_SEC));
	CHECK(verbs_cq_poll(&cq, &wc, 1) == 1 && wc.status == -EPROTO);
	free(buf);
	stop();
}

static void verbs_unanswered_op_times_out(void)
{
	uint8_t buf[8];
	uint64_t t0;

	start(9000);
	net_set_handler(&b.ep, NET_READ_REQ, NULL, NULL);	/* to b's deliver, ignored */
	t0 = sim.now;
	CHECK(run(VERBS_OP_READ, key, 0, buf, 8).status == -ETIMEDOUT);
	CHECK(sim.now - t0 >= 50 * SIM_MS && a.ep.stats.c[NET_C_OP_TIMEOUTS] == 1);
	CHECK(delivered == 1);
	stop();
}

static void verbs_ops_to_a_dead_peer_fail(void)
{
	uint8_t buf[8];

	start(9000);
	verbs_fini(&va);
	CHECK(verbs_init(&va, &a.ep, 8, 0) == 0);	/* no op timeout of its own */
	b.link_down = true;
	CHECK(run(VERBS_OP_WRITE, key, 0, buf, 8).status == -ETIMEDOUT);
	CHECK(a.events[NET_PEER_DOWN] == 1);
	stop();
}

static void verbs_send_fills_posted_receives_in_order(void)
{
	struct verbs_wr r1 = { .wr_id = 1, .buf = malloc(8), .len = 8 };
	struct verbs_wr r2 = { .wr_id = 2, .buf = malloc(4), .len = 4 };
	struct verbs_wc wc[2];

	start(9000);
	CHECK(verbs_post(&vb, &cqb, VERBS_OP_RECV, &r1) == 0);
	CHECK(verbs_post(&vb, &cqb, VERBS_OP_RECV, &r2) == 0);
	CHECK(run(VERBS_OP_SEND, 0, 0, "hello", 5).status == 0);
	CHECK(run(VERBS_OP_SEND, 0, 0, "toolong", 7).status == 0);
	CHECK(verbs_cq_poll(&cqb, wc, 2) == 2);
	CHECK(wc[0].wr_id == 1 && wc[0].status == 0 && wc[0].bytes == 5 && wc[0].peer == 1);
	CHECK(memcmp(r1.buf, "hello", 5) == 0);
	CHECK(wc[1].wr_id == 2 && wc[1].status == -EMSGSIZE && wc[1].op == VERBS_OP_RECV);
	CHECK(memcmp(r2.buf, "tool", 4) == 0);
	/* no receive posted: the SEND goes to the environment */
	CHECK(run(VERBS_OP_SEND, 0, 0, "x", 1).status == 0);
	CHECK(delivered == 1);
	free(r1.buf);
	free(r2.buf);
	stop();
}

/* Room for a completion is reserved at post time; a full CQ refuses new work. */
static void verbs_full_cq_refuses_posts(void)
{
	struct verbs_wr wr = { .peer = 2, .key = 0, .buf = "x", .len = 1 };
	struct verbs_cq small, none;
	int i;

	start(9000);
	CHECK(verbs_cq_init(&none, &a.ep, 0, NULL, NULL) == -EINVAL);
	CHECK(verbs_cq_init(&small, &a.ep, 2, NULL, NULL) == 0);
	for (i = 0; i < 2; i++)
		CHECK(verbs_post(&va, &small, VERBS_OP_SEND, &wr) == 0);
	CHECK(verbs_post(&va, &small, VERBS_OP_SEND, &wr) == -ENOSPC);
	sim_advance(&sim, 10 * SIM_MS);
	CHECK(small.count == 2 && small.reserved == 0);
	CHECK(verbs_post(&va, &small, VERBS_OP_SEND, &wr) == -ENOSPC);
	CHECK(verbs_post(&va, &small, (enum verbs_opcode)9, &wr) == -EINVAL);
	verbs_cq_fini(&small);
	stop();
}

static void verbs_post_validates(void)
{
	struct verbs_wr wr = { .peer = 2, .key = key, .buf = NULL, .len = 10 };

	start(9000);
	CHECK(verbs_post(&va, &cq, VERBS_OP_READ, &wr) == -EINVAL);
	CHECK(verbs_post(&va, &cq, VERBS_OP_RECV, &wr) == -EINVAL);
	wr.buf = region;
	wr.len = NET_MSG_MAX + 1;
	CHECK(verbs_post(&va, &cq, VERBS_OP_READ, &wr) == -EMSGSIZE);
	wr.len = NET_WRITE_MAX + 1;
	CHECK(verbs_post(&va, &cq, VERBS_OP_WRITE, &wr) == -EMSGSIZE);
	wr.peer = 9;
	wr.len = 1;
	CHECK(verbs_post(&va, &cq, VERBS_OP_WRITE, &wr) == -EHOSTUNREACH);
	CHECK(cq.reserved == 0 && va.ops.count == 0);
	stop();
}

/* The largest READ and WRITE, fragmented at MTU 256 through a lossy link. */
static void verbs_64k_ops_survive_a_lossy_small_mtu_link(void)
{
	uint8_t *big = malloc(NET_MSG_MAX), *buf = malloc(NET_MSG_MAX);
	uint32_t bigkey;
	size_t i;

	start(256);
	sim.loss = sim.dup = sim.reorder = sim.corrupt = 10;
	for (i = 0; i < NET_MSG_MAX; i++)
		big[i] = (uint8_t)(i ^ (i >> 8));
	CHECK(verbs_reg_mr(&vb, big, NET_MSG_MAX, VERBS_READ | VERBS_WRITE, &bigkey) == 0);
	CHECK(run(VERBS_OP_READ, bigkey, 0, buf, NET_MSG_MAX).status == 0);
	CHECK(memcmp(buf, big, NET_MSG_MAX) == 0);
	memset(buf, 0x11, NET_MSG_MAX);
	CHECK(run(VERBS_OP_WRITE, bigkey, 16, buf, NET_WRITE_MAX).status == 0);
	CHECK(memcmp(big + 16, buf, NET_WRITE_MAX) == 0 && big[0] == 0);
	free(big);
	free(buf);
	stop();
}

static const struct unit_test tests[] = {
	TEST(verbs_read_within_bounds_returns_the_region_bytes),
	TEST(verbs_write_within_bounds_changes_only_those_bytes),
	TEST(verbs_out_of_bounds_access_is_refused),
	TEST(verbs_wrong_or_deregistered_key_is_refused),
	TEST(verbs_permissions_are_enforced),
	TEST(verbs_registration_validates_and_fills_up),
	TEST(verbs_malformed_requests_are_refused),
	TEST(verbs_malformed_responses_fail_the_op),
	TEST(verbs_unanswered_op_times_out),
	TEST(verbs_ops_to_a_dead_peer_fail),
	TEST(verbs_send_fills_posted_receives_in_order),
	TEST(verbs_full_cq_refuses_posts),
	TEST(verbs_post_validates),
	TEST(verbs_64k_ops_survive_a_lossy_small_mtu_link),
};

CHECK_MAIN("net_verbs", tests)
