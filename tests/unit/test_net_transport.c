/*
 * Host tests for the reliable transport (net/transport.c, tx.c, rx.c) over the
 * simulated fabric: exactly-once in-order delivery through loss, duplication,
 * reordering and corruption at three MTUs; dead peers, restarts and stale epochs.
 */
#include <stdlib.h>
#include "check.h"
#include "kernel/errno.h"
#include "net_sim.h"

static struct sim sim;
static struct sim_node a, b;

/* Two nodes, 1 and 2, with this MTU; link impairments are set by each test. */
static void pair_start(unsigned mtu)
{
	CHECK(sim_pair_start(&sim, 0x7e55e7a, &a, &b, mtu) == 0);
}

static void pair_stop(void)
{
	sim_fini(&sim);
	CHECK(sim.allocs == 0);
}

static struct net_msg_hdr send_hdr(uint64_t id)
{
	struct net_msg_hdr m = { .kind = NET_SEND, .opcode = 7, .id = id };

	return m;
}

/* ---- one flow of numbered messages, checked at the receiver ---- */

struct flow {
	struct sim_node *from, *to;
	unsigned total;		/* messages to send */
	unsigned sent, acked, failed, received;
	int last_err;
	bool bad;		/* out of order, duplicated or corrupted at the receiver */
	size_t max_len;
};

static size_t flow_len(const struct flow *f, unsigned seq)
{
	uint64_t r = (uint64_t)seq * 0x9e3779b97f4a7c15ull;
	unsigned bits = (unsigned)((r >> 20) % 17);
	size_t len;

	if (seq == 0)
		return f->max_len;
	if (seq == 1)
		return 1;
	len = 1 + (size_t)((r >> 32) % (1ull << bits));
	return len > f->max_len ? f->max_len : len;
}

static uint8_t flow_byte(unsigned seq, size_t i)
{
	return (uint8_t)(seq * 131u + i * 7u + (i >> 8));
}

static void flow_done(void *arg, const struct net_msg_hdr *m, int err)
{
	struct flow *f = arg;

	(void)m;
	if (err) {
		f->failed++;
		f->last_err = err;
	} else {
		f->acked++;
	}
}

static void flow_deliver(struct sim_node *n, uint8_t peer, const struct net_msg_hdr *m,
			 const void *payload, size_t len)
{
	struct flow *f = n->test;
	const uint8_t *p = payload;
	size_t i;

	if (peer != f->from->id || m->kind != NET_SEND || m->id != f->received ||
	    len != flow_len(f, (unsigned)m->id) || m->len != len) {
		f->bad = true;
		return;
	}
	for (i = 0; i < len; i++)
		if (p[i] != flow_byte((unsigned)m->id, i)) {
			f->bad = true;
			return;
		}
	f->received++;
}

/* Queue as many of the flow's messages as the transport takes; false on an error. */
static bool flow_pump(struct flow *f)
{
	static uint8_t buf[NET_MSG_MAX];

	while (f->sent < f->total) {
		struct net_msg_hdr m = send_hdr(f->sent);
		size_t len = flow_len(f, f->sent), i;
		int err;

		for (i = 0; i < len; i++)
			buf[i] = flow_byte(f->sent, i);
		err = net_send(&f->from->ep, f->to->id, &m, buf, len, flow_done, f);
		if (err == -ENOMEM)
			return true;
		if (err)
			return false;
		f->sent++;
	}
	return true;
}

static void flow_init(struct flow *f, struct sim_node *from, struct sim_node *to,
		      unsigned total, size_t max_len)
{
	memset(f, 0, sizeof(*f));
	f->from = from;
	f->to = to;
	f->total = total;
	f->max_len = max_len;
	to->test = f;
	to->deliver = flow_deliver;
}

static bool flow_finished(const struct flow *f)
{
	return f->bad || (f->acked + f->failed == f->total && f->received == f->total);
}

/* Run both flows to completion (or max_ns of simulated time). */
static bool flows_run(struct flow *f1, struct flow *f2, uint64_t max_ns)
{
	uint64_t end = sim.now + max_ns;

	sim_poll_all(&sim);
	while (!(flow_finished(f1) && (!f2 || flow_finished(f2)))) {
		if (!flow_pump(f1) || (f2 && !flow_pump(f2)))
			return false;
		if (sim.now >= end || !sim_step(&sim))
			return false;
	}
	return true;
}

/* ---- delivery ---- */

static void transport_delivers_one_message_and_completes_it(void)
{
	struct flow f;

	pair_start(9000);
	flow_init(&f, &a, &b, 1, 100);
	CHECK(flows_run(&f, NULL, SIM_SEC));
	CHECK(!f.bad && f.received == 1 && f.acked == 1 && f.failed == 0);
	CHECK(a.ep.stats.c[NET_C_RETRANSMITS] == 0);
	pair_stop();
}

/* A 64 KiB message at MTU 256 is 293 fragments, more than four windows. */
static void transport_fragments_64k_messages_at_each_mtu(void)
{
	static const unsigned mtus[] = { 9000, 1500, 256, NET_MTU_MIN };
	unsigned i;

	for (i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++) {
		struct flow f;

		pair_start(mtus[i]);
		flow_init(&f, &a, &b, 4, NET_MSG_MAX);
		f.max_len = NET_MSG_MAX;
		CHECK(flows_run(&f, NULL, SIM_SEC));
		CHECK(!f.bad && f.received == 4 && f.acked == 4);
		CHECK(flow_len(&f, 0) == NET_MSG_MAX);
		pair_stop();
	}
}

/* The delayed ACK goes out within ack_delay_ns of the data, so a send completes fast. */
static void transport_acks_within_the_ack_delay(void)
{
	struct flow f;
	uint64_t start;

	pair_start(9000);
	flow_init(&f, &a, &b, 1, 10);
	start = sim.now;
	CHECK(flows_run(&f, NULL, SIM_SEC));
	CHECK(sim.now - start <= a.p.ack_delay_ns + 3 * sim.delay_ns);
	CHECK(b.ep.stats.c[NET_C_ACKS_OUT] == 1);
	pair_stop();
}

/* Before any ACK comes back the sender has exactly one window of packets out. */
static void transport_never_exceeds_the_window(void)
{
	static uint8_t buf[8000];
	struct net_msg_hdr m = send_hdr(0);
	unsigned i;

	pair_start(9000);
	b.link_down = true;
	for (i = 0; i < 100; i++)
		CHECK(net_send(&a.ep, 2, &m, buf, sizeof(buf), NULL, NULL) == 0);
	CHECK(a.ep.stats.c[NET_C_DATA_OUT] == a.p.window);
	sim_advance(&sim, a.p.rto_ns / 2);
	CHECK(a.ep.stats.c[NET_C_DATA_OUT] == a.p.window);
	CHECK(a.ep.stats.c[NET_C_RETRANSMITS] == 0);
	b.link_down = false;
	pair_stop();
}

static void lossy_run(unsigned mtu, unsigned total, unsigned percent)
{
	struct flow ab, ba;

	pair_start(mtu);
	sim.loss = sim.dup = sim.reorder = sim.corrupt = percent;
	flow_init(&ab, &a, &b, total, NET_MSG_MAX);
	flow_init(&ba, &b, &a, total, NET_MSG_MAX);
	CHECK(flows_run(&ab, &ba, 600 * SIM_SEC));
	CHECK(!ab.bad && !ba.bad);
	CHECK(ab.received == total && ab.acked == total && ab.failed == 0);
	CHECK(ba.received == total && ba.acked == total && ba.failed == 0);
	if (percent) {
		CHECK(a.ep.stats.c[NET_C_BAD_CRC] > 0 && b.ep.stats.c[NET_C_DUP] > 0);
		CHECK(a.ep.stats.c[NET_C_RETRANSMITS] > 0 && b.ep.stats.c[NET_C_NAKS_OUT] > 0);
	}
	CHECK(a.events[NET_PEER_DOWN] == 0 && b.events[NET_PEER_DOWN] == 0);
	pair_stop();
}

/* 30% loss, 30% duplication, 30% reordering and 30% corruption, all at once. */
static void transport_lossy_link_delivers_exactly_once_in_order_mtu_9000(void)
{
	lossy_run(9000, 2000, 30);
}

static void transport_lossy_link_delivers_exactly_once_in_order_mtu_1500(void)
{
	lossy_run(1500, 2000, 30);
}

static void transport_lossy_link_delivers_exactly_once_in_order_mtu_256(void)
{
	lossy_run(256, 1000, 30);
}

static void transport_clean_link_delivers_thousands_each_way(void)
{
	lossy_run(9000, 3000, 0);
}

/*
 * A path slower than the configured rto (5 ms each way against 2 ms): the first round
 * trips send some packets twice, then the timeout follows the measured RTT and
 * nothing is sent twice any more.
 */
static void transport_adapts_its_timeout_to_a_slow_path(void)
{
	struct flow f;
	uint64_t early;

	pair_start(9000);
	sim.delay_ns = 5 * SIM_MS;
	flow_init(&f, &a, &b, 200, 4000);
	CHECK(flows_run(&f, NULL, 60 * SIM_SEC));
	early = a.ep.stats.c[NET_C_RETRANSMITS];
	CHECK(early > 0);
	flow_init(&f, &a, &b, 500, 4000);
	CHECK(flows_run(&f, NULL, 60 * SIM_SEC));
	CHECK(!f.bad && f.acked == 500);
	CHECK(a.ep.stats.c[NET_C_RETRANSMITS] == early);
	pair_stop();
}

/* The NIC refuses frames now and then: counted, and retransmission makes up for it. */
static void transport_recovers_from_xmit_errors(void)
{
	struct flow f;

	pair_start(1500);
	sim.fail_xmit = 20;
	flow_init(&f, &a, &b, 300, 20000);
	CHECK(flows_run(&f, NULL, 60 * SIM_SEC));
	CHECK(!f.bad && f.received == 300 && f.acked == 300);
	CHECK(a.ep.stats.c[NET_C_XMIT_ERRORS] > 0 && b.ep.stats.c[NET_C_XMIT_ERRORS] > 0);
	pair_stop();
}

/* ---- dead peers, restarts, epochs ---- */

static void transport_dead_peer_times_out_and_comes_back(void)
{
	struct flow f;
	struct net_msg_hdr m = send_hdr(0);
	uint64_t start;

	pair_start(9000);
	flow_init(&f, &a, &b, 3, 5000);
	b.link_down = true;
	CHECK(flow_pump(&f) && f.sent == 3);
	start = sim.now;
	sim_advance(&sim, a.p.dead_ns - SIM_MS);
	CHECK(f.failed == 0 && a.events[NET_PEER_DOWN] == 0);
	sim_advance(&sim, 2 * SIM_MS);
	/* before: 3 messages pending; after dead_ns: all failed, peer down */
	CHECK(f.failed == 3 && f.last_err == -ETIMEDOUT && f.acked == 0);
	CHECK(a.events[NET_PEER_DOWN] == 1 && net_peer_down(&a.ep, 2));
	CHECK(sim.now - start >= a.p.dead_ns);
	CHECK(net_send(&a.ep, 2, &m, "x", 1, NULL, NULL) == -EHOSTUNREACH);
	/* the link heals: the next probe gets an answer, the peer is up, traffic flows */
	b.link_down = false;
	sim_advance(&sim, a.p.rto_max_ns + 10 * SIM_MS);
	CHECK(a.events[NET_PEER_UP] == 1 && !net_peer_down(&a.ep, 2));
	CHECK(a.ep.stats.c[NET_C_PROBES_OUT] >= 1);
	flow_init(&f, &a, &b, 5, 20000);
	CHECK(flows_run(&f, NULL, SIM_SEC));
	CHECK(!f.bad && f.acked == 5);
	pair_stop();
}

/* A partially received message is abandoned with the stream; the next one arrives whole. */
static void transport_dead_peer_abandons_partial_message_and_resyncs(void)
{
	static uint8_t buf[NET_MSG_MAX];
	struct net_msg_hdr m = send_hdr(0);
	struct flow f;

	pair_start(1500);
	flow_init(&f, &a, &b, 0, 0);
	CHECK(net_send(&a.ep, 2, &m, buf, sizeof(buf), NULL, NULL) == 0);
	sim_advance(&sim, 50 * SIM_US);		/* the first window arrived */
	b.link_down = true;
	sim_advance(&sim, a.p.dead_ns + SIM_MS);
	CHECK(a.events[NET_PEER_DOWN] == 1 && b.events[NET_PEER_DOWN] == 0);
	b.link_down = false;
	sim_advance(&sim, a.p.rto_max_ns + SIM_MS);
	CHECK(a.events[NET_PEER_UP] == 1);
	flow_init(&f, &a, &b, 3, 3000);
	CHECK(flows_run(&f, NULL, SIM_SEC));
	CHECK(!f.bad && f.received == 3);
	CHECK(b.ep.stats.c[NET_C_RESYNC] == 1);
	pair_stop();
}

/* b restarts with a new epoch: a's pending sends fail -ECONNRESET, then both talk again. */
static void transport_peer_restart_resets_the_qp(void)
{
	struct net_params p;
	struct flow f, g;

	pair_start(9000);
	flow_init(&f, &a, &b, 3, 3000);
	CHECK(flows_run(&f, NULL, SIM_SEC) && f.acked == 3);
	b.link_down = true;
	flow_init(&f, &a, &b, 2, 3000);
	CHECK(flow_pump(&f) && f.sent == 2);
	sim_advance(&sim, SIM_MS);
	sim_node_stop(&b);
	sim_params(&p, 2, 0x2223, 9000);
	CHECK(sim_node_start(&sim, &b, 2, &p) == 0);
	/* the new b hears a's retransmission, addressed to its old epoch: RESET */
	sim_advance(&sim, 20 * SIM_MS);
	CHECK(b.ep.stats.c[NET_C_STALE_EPOCH] >= 1 && b.ep.stats.c[NET_C_RESETS_OUT] >= 1);
	CHECK(f.failed == 2 && f.last_err == -ECONNRESET);
	CHECK(a.events[NET_PEER_RESET] == 1 && a.ep.stats.c[NET_C_PEER_RESET] == 1);
	flow_init(&f, &a, &b, 4, 3000);
	flow_init(&g, &b, &a, 4, 3000);
	CHECK(flows_run(&f, &g, SIM_SEC));
	CHECK(!f.bad && !g.bad && f.acked == 4 && g.acked == 4);
	pair_stop();
}

/* The restarted node speaks first: its new epoch resets the peer's QP at once. */
static void transport_new_epoch_from_peer_resets_the_qp(void)
{
	struct net_params p;
	struct flow f;

	pair_start(9000);
	flow_init(&f, &b, &a, 2, 100);
	CHECK(flows_run(&f, NULL, SIM_SEC) && f.acked == 2);
	sim_node_stop(&b);
	sim_params(&p, 2, 0x2224, 9000);
	CHECK(sim_node_start(&sim, &b, 2, &p) == 0);
	flow_init(&f, &b, &a, 3, 100);
	CHECK(flows_run(&f, NULL, SIM_SEC));
	CHECK(!f.bad && f.received == 3);
	CHECK(a.events[NET_PEER_RESET] == 1 && b.events[NET_PEER_RESET] == 0);
	pair_stop();
}

/* A late packet from the old incarnation is dropped, not taken for a new restart. */
static void transport_old_epoch_packets_are_dropped(void)
{
	uint8_t frame[128];
	struct net_params p;
	struct flow f;
	size_t n;

	pair_start(9000);
	flow_init(&f, &b, &a, 1, 10);
	CHECK(flows_run(&f, NULL, SIM_SEC));
	sim_node_stop(&b);
	sim_params(&p, 2, 0x2225, 9000);
	CHECK(sim_node_start(&sim, &b, 2, &p) == 0);
	flow_init(&f, &b, &a, 1, 10);
	CHECK(flows_run(&f, NULL, SIM_SEC));
	n = sim_frame(frame, 2, 1, 0x2222, 0x1111, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	sim_inject(&sim, frame, n);
	sim_advance(&sim, SIM_MS);
	CHECK(a.ep.stats.c[NET_C_OLD_PEER_EPOCH] == 1 && a.events[NET_PEER_RESET] == 1);
	pair_stop();
}

/* ---- net_send's contract ---- */

static void transport_send_rejects_bad_requests(void)
{
	static uint8_t big[NET_MSG_MAX + 1];
	struct net_msg_hdr m = send_hdr(0), bad = { .kind = NET_KIND_MAX };

	pair_start(9000);
	CHECK(net_send(&a.ep, 1, &m, "x", 1, NULL, NULL) == -EINVAL);
	CHECK(net_send(&a.ep, 9, &m, "x", 1, NULL, NULL) == -EHOSTUNREACH);
	CHECK(net_send(&a.ep, 2, &m, big, sizeof(big), NULL, NULL) == -EMSGSIZE);
	CHECK(net_send(&a.ep, 2, &bad, "x", 1, NULL, NULL) == -EINVAL);
	bad.kind = 0;
	CHECK(net_send(&a.ep, 2, &bad, "x", 1, NULL, NULL) == -EINVAL);
	CHECK(net_send(&a.ep, 2, &m, big, NET_MSG_MAX, NULL, NULL) == 0);
	pair_stop();
}

/* Queue memory per peer is bounded: beyond it -ENOMEM, and space returns as acks do. */
static void transport_queue_limit_refuses_then_recovers(void)
{
	static uint8_t buf[NET_MSG_MAX];
	struct net_msg_hdr m = send_hdr(0);
	unsigned queued = 0;

	pair_start(9000);
	b.link_down = true;
	while (net_send(&a.ep, 2, &m, buf, sizeof(buf), NULL, NULL) == 0)
		queued++;
	CHECK(queued == a.p.queue_limit / (NET_MSG_MAX + 100));
	CHECK(a.ep.stats.c[NET_C_QUEUE_FULL] == 1);
	b.link_down = false;
	sim_advance(&sim, 100 * SIM_MS);
	CHECK(a.ep.stats.c[NET_C_MSGS_OUT] == queued);
	CHECK(net_send(&a.ep, 2, &m, buf, sizeof(buf), NULL, NULL) == 0);
	pair_stop();
}

/* Bad parameters are refused; an allocation failure at init is -ENOMEM. */
static void transport_init_validates_params(void)
{
	struct net_endpoint ep;
	struct net_params p;

	pair_start(9000);
	sim_params(&p, 3, 0, 9000);
	CHECK(net_init(&ep, &p, &a.ep.env) == -EINVAL);
	sim_params(&p, 3, 5, NET_MTU_MIN - 1);
	CHECK(net_init(&ep, &p, &a.ep.env) == -EINVAL);
	sim_params(&p, 3, 5, NET_MTU_MAX + 1);
	CHECK(net_init(&ep, &p, &a.ep.env) == -EINVAL);
	sim_params(&p, 3, 5, 9000);
	p.window = 0;
	CHECK(net_init(&ep, &p, &a.ep.env) == -EINVAL);
	p.window = 48;		/* not a power of two */
	CHECK(net_init(&ep, &p, &a.ep.env) == -EINVAL);
	p.window = NET_WINDOW_MAX * 2;
	CHECK(net_init(&ep, &p, &a.ep.env) == -EINVAL);
	sim_params(&p, 3, 5, 9000);
	p.reorder = p.window + 1;
	CHECK(net_init(&ep, &p, &a.ep.env) == -EINVAL);
	sim_params(&p, 3, 5, 9000);
	p.ack_delay_ns = p.rto_ns;
	CHECK(net_init(&ep, &p, &a.ep.env) == -EINVAL);
	sim_params(&p, 3, 5, 9000);
	p.queue_limit = 1000;
	CHECK(net_init(&ep, &p, &a.ep.env) == -EINVAL);
	sim_params(&p, 3, 5, 9000);
	sim.fail_alloc = true;
	CHECK(net_init(&ep, &p, &a.ep.env) == -ENOMEM);
	sim.fail_alloc = false;
	CHECK(net_init(&ep, &p, &a.ep.env) == 0);
	net_fini(&ep);
	pair_stop();
}

/* psns wrap around 2^32 in the middle of a lossy transfer without a hiccup. */
static void transport_sequence_numbers_wrap(void)
{
	struct flow f;
	struct net_params p;

	sim_init(&sim, 99);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	/* tx_init starts at epoch * 2654435761 + peer * 40503: pick a's epoch so that
	 * its stream to node 2 starts 100 packets before the wrap */
	sim_params(&p, 1, 0, 1500);
	for (p.epoch = 1; (uint32_t)(p.epoch * 2654435761u + 2 * 40503u) < 0xffffff00u ||
			  (uint32_t)(p.epoch * 2654435761u + 2 * 40503u) > 0xffffffa0u;
	     p.epoch++)
		;
	CHECK(sim_node_start(&sim, &a, 1, &p) == 0);
	sim_params(&p, 2, 0x2222, 1500);
	CHECK(sim_node_start(&sim, &b, 2, &p) == 0);
	sim.loss = sim.reorder = 20;
	flow_init(&f, &a, &b, 200, 8000);
	CHECK(flows_run(&f, NULL, 60 * SIM_SEC));
	CHECK(!f.bad && f.received == 200 && f.acked == 200);
	CHECK(a.ep.stats.c[NET_C_DATA_OUT] > 300);
	pair_stop();
}

static const struct unit_test tests[] = {
	TEST(transport_delivers_one_message_and_completes_it),
	TEST(transport_fragments_64k_messages_at_each_mtu),
	TEST(transport_acks_within_the_ack_delay),
	TEST(transport_never_exceeds_the_window),
	TEST(transport_clean_link_delivers_thousands_each_way),
	TEST(transport_lossy_link_delivers_exactly_once_in_order_mtu_9000),
	TEST(transport_lossy_link_delivers_exactly_once_in_order_mtu_1500),
	TEST(transport_lossy_link_delivers_exactly_once_in_order_mtu_256),
	TEST(transport_adapts_its_timeout_to_a_slow_path),
	TEST(transport_recovers_from_xmit_errors),
	TEST(transport_dead_peer_times_out_and_comes_back),
	TEST(transport_dead_peer_abandons_partial_message_and_resyncs),
	TEST(transport_peer_restart_resets_the_qp),
	TEST(transport_new_epoch_from_peer_resets_the_qp),
	TEST(transport_old_epoch_packets_are_dropped),
	TEST(transport_send_rejects_bad_requests),
	TEST(transport_queue_limit_refuses_then_recovers),
	TEST(transport_init_validates_params),
	TEST(transport_sequence_numbers_wrap),
};

CHECK_MAIN("net_transport", tests)
