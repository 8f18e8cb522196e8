/*
 * Host tests for net/rpc.c over the simulated fabric: echo round trips, remote error
 * codes, the server's choke point (unknown opcodes, wrong lengths), timeouts, late and
 * forged responses, peers going down or restarting, and a lossy link.
 */
#include <stdlib.h>
#include "check.h"
#include "kernel/errno.h"
#include "net/rpc.h"
#include "net_sim.h"

enum {
	OP_FAIL = NET_OPCODE_MAX,	/* returns -EEXIST */
	OP_EXACT,			/* exactly 8 bytes in, their sum out */
	OP_SILENT,			/* never answered (the test's deliver drops it) */
	OP_HELD,			/* answered when the test says */
	OP_GREEDY,			/* claims more response than it may write */
	OP_COUNT
};

static struct sim sim;
static struct sim_node a, b, c;
static struct rpc_client cl;
static struct rpc_server srv;
static unsigned handled;		/* handler calls on b */
static struct net_msg_hdr held;		/* the OP_HELD request */
static bool have_held;

static int op_fail(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		   size_t resp_max)
{
	(void)ctx, (void)peer, (void)req, (void)len, (void)resp, (void)resp_max;
	handled++;
	return -EEXIST;
}

static int op_exact(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		    size_t resp_max)
{
	const uint8_t *in = req;
	uint32_t sum = 0;
	size_t i;

	(void)ctx, (void)peer, (void)resp_max;
	handled++;
	CHECK(len == 8);
	for (i = 0; i < len; i++)
		sum += in[i];
	memcpy(resp, &sum, sizeof(sum));
	return sizeof(sum);
}

static int op_greedy(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		     size_t resp_max)
{
	(void)ctx, (void)peer, (void)req, (void)len, (void)resp;
	handled++;
	return (int)resp_max + 1;
}

static const struct rpc_op test_ops[OP_COUNT] = {
	[OP_FAIL] = { op_fail, 0, 16, 0 },
	[OP_EXACT] = { op_exact, 8, 8, 4 },
	[OP_SILENT] = { op_fail, 0, 16, 0 },
	[OP_HELD] = { op_fail, 0, 16, 0 },
	[OP_GREEDY] = { op_greedy, 0, 0, 64 },
};

/* b's glue: requests go through rpc_serve, except the ones a test wants unanswered. */
static void b_deliver(struct sim_node *n, uint8_t peer, const struct net_msg_hdr *m,
		      const void *payload, size_t len)
{
	(void)n;
	if (m->kind != NET_RPC_REQ)
		return;
	if (m->opcode == OP_SILENT)
		return;
	if (m->opcode == OP_HELD) {
		held = *m;
		have_held = true;
		return;
	}
	rpc_serve(&srv, peer, m, payload, len);
}

static void start(unsigned mtu)
{
	struct net_params p;

	sim_init(&sim, 42);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	sim_params(&p, 1, 0x1111, mtu);
	CHECK(sim_node_start(&sim, &a, 1, &p) == 0);
	sim_params(&p, 2, 0x2222, mtu);
	CHECK(sim_node_start(&sim, &b, 2, &p) == 0);
	CHECK(rpc_client_init(&cl, &a.ep) == 0);
	CHECK(rpc_server_init(&srv, &b.ep, test_ops, OP_COUNT, NULL) == 0);
	b.deliver = b_deliver;
	handled = 0;
	have_held = false;
}

static void stop(void)
{
	rpc_client_fini(&cl);
	rpc_server_fini(&srv);
	sim_fini(&sim);
	CHECK(sim.allocs == 0);
}

/* One call's outcome. */
struct result {
	bool done;
	int status;
	size_t len;
	uint8_t resp[NET_MSG_MAX];
};

static void call_done(void *arg, int status, const void *resp, size_t len)
{
	struct result *r = arg;

	CHECK(!r->done);
	r->done = true;
	r->status = status;
	r->len = len;
	if (len)
		memcpy(r->resp, resp, len);
}

static bool is_done(void *arg)
{
	return ((struct result *)arg)->done;
}

/* Call op on b and run until it completes; returns its status. */
static int call(uint16_t op, const void *req, size_t len, uint64_t timeout, struct result *r)
{
	memset(r, 0, sizeof(*r));
	CHECK(rpc_call_start(&cl, 2, op, req, len, timeout, call_done, r) == 0);
	CHECK(!r->done);
	CHECK(sim_run(&sim, is_done, r, 10 * SIM_SEC));
	return r->status;
}

static struct result res;

static void rpc_echo_round_trips_at_every_size(void)
{
	static uint8_t req[NET_MSG_MAX];
	static const size_t sizes[] = { 0, 1, 64, 4096, 9000, NET_MSG_MAX };
	size_t i, j;

	start(1500);
	for (i = 0; i < sizeof(req); i++)
		req[i] = (uint8_t)(i * 13 + 1);
	for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
		CHECK(call(ANY_ECHO, req, sizes[j], SIM_SEC, &res) == 0);
		CHECK(res.len == sizes[j] && memcmp(res.resp, req, sizes[j]) == 0);
	}
	CHECK(b.ep.stats.c[NET_C_RPC_SERVED] == 6);
	stop();
}

static void rpc_remote_error_reaches_the_caller(void)
{
	start(9000);
	CHECK(call(OP_FAIL, "abc", 3, SIM_SEC, &res) == -EEXIST);
	CHECK(res.len == 0 && handled == 1);
	stop();
}

static void rpc_exact_length_op_gets_exactly_its_bytes(void)
{
	uint32_t sum;

	start(9000);
	CHECK(call(OP_EXACT, "\1\2\3\4\5\6\7\10", 8, SIM_SEC, &res) == 0);
	memcpy(&sum, res.resp, sizeof(sum));
	CHECK(res.len == 4 && sum == 36);
	stop();
}

/* Rejected before any handler sees the bytes: -ENOSYS and -EINVAL, counted on b. */
static void rpc_choke_point_rejects_unknown_opcodes_and_wrong_lengths(void)
{
	start(9000);
	CHECK(call(0, "x", 1, SIM_SEC, &res) == -ENOSYS);
	CHECK(call(OP_COUNT, "x", 1, SIM_SEC, &res) == -ENOSYS);
	CHECK(call(0xffff, "x", 1, SIM_SEC, &res) == -ENOSYS);
	CHECK(b.ep.stats.c[NET_C_BAD_OPCODE] == 3);
	CHECK(call(OP_EXACT, "1234567", 7, SIM_SEC, &res) == -EINVAL);
	CHECK(call(OP_EXACT, "123456789", 9, SIM_SEC, &res) == -EINVAL);
	CHECK(call(OP_FAIL, res.resp, 17, SIM_SEC, &res) == -EINVAL);
	CHECK(b.ep.stats.c[NET_C_BAD_RPC_LEN] == 3);
	CHECK(handled == 0 && b.ep.stats.c[NET_C_RPC_SERVED] == 0);
	CHECK(net_peer_stats(&b.ep, 1)->c[NET_C_BAD_OPCODE] == 3);
	stop();
}

/* A handler claiming more response than its buffer is a bug on b: -EIO, nothing sent. */
static void rpc_oversized_handler_result_becomes_eio(void)
{
	start(9000);
	CHECK(call(OP_GREEDY, NULL, 0, SIM_SEC, &res) == -EIO);
	CHECK(handled == 1);
	stop();
}

/* Calls time out by their own deadlines, whatever order they were made in. */
static void rpc_timeouts_fire_in_deadline_order(void)
{
	static struct result slow, fast;

	start(9000);
	memset(&slow, 0, sizeof(slow));
	memset(&fast, 0, sizeof(fast));
	CHECK(rpc_call_start(&cl, 2, OP_SILENT, "x", 1, 50 * SIM_MS, call_done, &slow) == 0);
	CHECK(rpc_call_start(&cl, 2, OP_SILENT, "x", 1, 5 * SIM_MS, call_done, &fast) == 0);
	CHECK(sim_run(&sim, is_done, &fast, SIM_SEC));
	CHECK(fast.status == -ETIMEDOUT && !slow.done);
	CHECK(sim_run(&sim, is_done, &slow, SIM_SEC));
	CHECK(slow.status == -ETIMEDOUT && a.ep.stats.c[NET_C_OP_TIMEOUTS] == 2);
	stop();
}

static void rpc_timeout_fires_and_the_late_response_is_counted(void)
{
	uint64_t start_ns;

	start(9000);
	start_ns = sim.now;
	CHECK(call(OP_HELD, "x", 1, 5 * SIM_MS, &res) == -ETIMEDOUT);
	CHECK(sim.now - start_ns >= 5 * SIM_MS && sim.now - start_ns < 6 * SIM_MS);
	CHECK(a.ep.stats.c[NET_C_OP_TIMEOUTS] == 1 && have_held);
	CHECK(rpc_reply(&b.ep, 1, &held, 0, NULL) == 0);
	sim_advance(&sim, 10 * SIM_MS);
	CHECK(a.ep.stats.c[NET_C_LATE_RESP] == 1);
	/* the client still works */
	CHECK(call(ANY_ECHO, "y", 1, SIM_SEC, &res) == 0);
	stop();
}

/*
 * A call without a timeout of its own ends when its peer is declared down (which
 * takes traffic to notice: here a second call).
 */
static void rpc_peer_down_fails_pending_calls(void)
{
	static struct result second;

	start(9000);
	memset(&res, 0, sizeof(res));
	memset(&second, 0, sizeof(second));
	CHECK(rpc_call_start(&cl, 2, OP_SILENT, "x", 1, 0, call_done, &res) == 0);
	sim_advance(&sim, SIM_MS);
	b.link_down = true;
	CHECK(rpc_call_start(&cl, 2, ANY_ECHO, "x", 1, 0, call_done, &second) == 0);
	CHECK(sim_run(&sim, is_done, &res, 10 * SIM_SEC));
	CHECK(res.status == -ETIMEDOUT && second.done && second.status == -ETIMEDOUT);
	CHECK(a.events[NET_PEER_DOWN] == 1 && cl.calls.count == 0);
	CHECK(rpc_call_start(&cl, 2, ANY_ECHO, "x", 1, 0, call_done, &res) == -EHOSTUNREACH);
	stop();
}

/* rpc_fail_peer: the calls pending on that peer end with the status given, no others. */
static void rpc_fail_peer_ends_only_that_peer_s_calls(void)
{
	static struct result second;

	start(9000);
	memset(&res, 0, sizeof(res));
	memset(&second, 0, sizeof(second));
	CHECK(rpc_call_start(&cl, 2, OP_SILENT, "x", 1, 0, call_done, &res) == 0);
	CHECK(rpc_call_start(&cl, 2, OP_SILENT, "y", 1, 0, call_done, &second) == 0);
	sim_advance(&sim, SIM_MS);
	rpc_fail_peer(&cl, 3, -EHOSTUNREACH);
	CHECK(!res.done && !second.done && cl.calls.count == 2);
	rpc_fail_peer(&cl, 2, -EHOSTUNREACH);
	CHECK(res.done && res.status == -EHOSTUNREACH && second.status == -EHOSTUNREACH);
	CHECK(cl.calls.count == 0);
	CHECK(call(ANY_ECHO, "z", 1, SIM_SEC, &res) == 0);	/* the peer still answers */
	stop();
}

/* The request itself never gets through: the transport's error completes the call. */
static void rpc_undeliverable_request_fails_with_the_transport_error(void)
{
	start(9000);
	b.link_down = true;
	CHECK(call(ANY_ECHO, "x", 1, 0, &res) == -ETIMEDOUT);
	CHECK(cl.calls.count == 0);
	stop();
}

static void rpc_peer_restart_fails_pending_calls_with_econnreset(void)
{
	struct net_params p;

	start(9000);
	memset(&res, 0, sizeof(res));
	CHECK(rpc_call_start(&cl, 2, OP_SILENT, "x", 1, 0, call_done, &res) == 0);
	sim_advance(&sim, SIM_MS);
	rpc_server_fini(&srv);
	sim_node_stop(&b);
	sim_params(&p, 2, 0x2223, 9000);
	CHECK(sim_node_start(&sim, &b, 2, &p) == 0);
	CHECK(rpc_server_init(&srv, &b.ep, test_ops, OP_COUNT, NULL) == 0);
	b.deliver = b_deliver;
	/* b's first words come from its new incarnation */
	CHECK(net_send(&b.ep, 1, &(struct net_msg_hdr){ .kind = NET_SEND }, NULL, 0, NULL,
		       NULL) == 0);
	CHECK(sim_run(&sim, is_done, &res, SIM_SEC));
	CHECK(res.status == -ECONNRESET);
	CHECK(call(ANY_ECHO, "z", 1, SIM_SEC, &res) == 0 && res.resp[0] == 'z');
	stop();
}

/* Only the peer a call went to may answer it; a forged or malformed answer is counted. */
static void rpc_forged_and_malformed_responses_are_rejected(void)
{
	struct net_params p;
	struct net_msg_hdr m;

	start(9000);
	sim_params(&p, 3, 0x3333, 9000);
	CHECK(sim_node_start(&sim, &c, 3, &p) == 0);
	memset(&res, 0, sizeof(res));
	CHECK(rpc_call_start(&cl, 2, OP_HELD, "x", 1, SIM_SEC, call_done, &res) == 0);
	sim_advance(&sim, SIM_MS);
	CHECK(have_held);
	m = held;
	m.kind = NET_RPC_RESP;
	CHECK(net_send(&c.ep, 1, &m, "evil", 4, NULL, NULL) == 0);	/* from node 3 */
	sim_advance(&sim, SIM_MS);
	CHECK(!res.done && a.ep.stats.c[NET_C_LATE_RESP] == 1);
	m.status = 5;						/* positive status */
	CHECK(net_send(&b.ep, 1, &m, NULL, 0, NULL, NULL) == 0);
	CHECK(sim_run(&sim, is_done, &res, SIM_SEC));
	CHECK(res.status == -EPROTO && a.ep.stats.c[NET_C_BAD_RESP] == 1);
	stop();
}

/* The glue's split path: check under the lock, handle anywhere, reply under the lock. */
static void rpc_check_handle_reply_serve_a_request_in_three_steps(void)
{
	uint8_t out[16];
	int ret;

	start(9000);
	memset(&res, 0, sizeof(res));
	CHECK(rpc_call_start(&cl, 2, OP_HELD, "hello", 5, SIM_SEC, call_done, &res) == 0);
	sim_advance(&sim, SIM_MS);
	CHECK(have_held && held.opcode == OP_HELD);
	held.opcode = ANY_ECHO;		/* serve it as an echo of a 5-byte request */
	CHECK(rpc_check(&srv, 1, &held, 5) == 0);
	ret = rpc_handle(&srv, 1, &held, "hello", 5, out, sizeof(out));
	CHECK(ret == 5);
	held.opcode = OP_HELD;
	CHECK(rpc_reply(&b.ep, 1, &held, ret, out) == 0);
	CHECK(sim_run(&sim, is_done, &res, SIM_SEC));
	CHECK(res.status == 0 && res.len == 5 && memcmp(res.resp, "hello", 5) == 0);
	/* rpc_handle applies the rule even when nobody called rpc_check */
	held.opcode = OP_EXACT;
	CHECK(rpc_handle(&srv, 1, &held, "short", 5, out, sizeof(out)) == -EINVAL);
	held.kind = NET_SEND;
	CHECK(rpc_check(&srv, 1, &held, 5) == -EINVAL);
	CHECK(handled == 0);
	stop();
}

/* The integration test's mix, in miniature: 4 KiB echoes through a faulty fabric. */
static void rpc_echoes_survive_a_faulty_link(void)
{
	static uint8_t req[4096];
	unsigned i;

	start(9000);
	sim.loss = 10;
	sim.dup = 5;
	sim.reorder = 5;
	sim.corrupt = 1;
	for (i = 0; i < 500; i++) {
		memset(req, (int)i, sizeof(req));
		req[0] = (uint8_t)(i >> 8);
		CHECK(call(ANY_ECHO, req, sizeof(req), 0, &res) == 0);
		CHECK(res.len == sizeof(req) && memcmp(res.resp, req, sizeof(req)) == 0);
	}
	CHECK(a.ep.stats.c[NET_C_RETRANSMITS] > 0);
	stop();
}

static void rpc_call_start_validates(void)
{
	start(9000);
	CHECK(rpc_call_start(&cl, 2, ANY_ECHO, "x", 1, 0, NULL, NULL) == -EINVAL);
	CHECK(rpc_call_start(&cl, 1, ANY_ECHO, "x", 1, 0, call_done, &res) == -EINVAL);
	CHECK(rpc_call_start(&cl, 9, ANY_ECHO, "x", 1, 0, call_done, &res) == -EHOSTUNREACH);
	CHECK(rpc_call_start(&cl, 2, ANY_ECHO, res.resp, NET_MSG_MAX + 1, 0, call_done,
			     &res) == -EMSGSIZE);
	sim.fail_alloc = true;
	CHECK(rpc_call_start(&cl, 2, ANY_ECHO, "x", 1, 0, call_done, &res) == -ENOMEM);
	sim.fail_alloc = false;
	CHECK(cl.calls.count == 0);
	stop();
}

static const struct unit_test tests[] = {
	TEST(rpc_echo_round_trips_at_every_size),
	TEST(rpc_remote_error_reaches_the_caller),
	TEST(rpc_exact_length_op_gets_exactly_its_bytes),
	TEST(rpc_choke_point_rejects_unknown_opcodes_and_wrong_lengths),
	TEST(rpc_oversized_handler_result_becomes_eio),
	TEST(rpc_timeouts_fire_in_deadline_order),
	TEST(rpc_timeout_fires_and_the_late_response_is_counted),
	TEST(rpc_peer_down_fails_pending_calls),
	TEST(rpc_fail_peer_ends_only_that_peer_s_calls),
	TEST(rpc_undeliverable_request_fails_with_the_transport_error),
	TEST(rpc_peer_restart_fails_pending_calls_with_econnreset),
	TEST(rpc_forged_and_malformed_responses_are_rejected),
	TEST(rpc_check_handle_reply_serve_a_request_in_three_steps),
	TEST(rpc_echoes_survive_a_faulty_link),
	TEST(rpc_call_start_validates),
};

CHECK_MAIN("net_rpc", tests)
