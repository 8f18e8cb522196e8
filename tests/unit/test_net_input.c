/*
 * Host tests for net_input with hostile frames: every class of malformed, misaddressed
 * or out-of-place frame is dropped (or answered) and counted, nothing crashes, and a
 * well-formed message still gets through afterwards. The peer is a hand-made stream.
 */
#include <stdlib.h>
#include "check.h"
#include "kernel/errno.h"
#include "net_sim.h"

#define PEER 2
#define PEER_EPOCH 0x2222u
#define START 1000u

static struct sim sim;
static struct sim_node a;
static uint8_t frame[NET_HDRS + NET_MTU_MAX];
static unsigned delivered;
static struct net_msg_hdr last_msg;
static size_t last_len;

static void record(struct sim_node *n, uint8_t peer, const struct net_msg_hdr *m,
		   const void *payload, size_t len)
{
	(void)n;
	(void)payload;
	if (peer == PEER) {
		delivered++;
		last_msg = *m;
		last_len = len;
	}
}

/* Node 1 alone; node 2 is in its map but is us, sending frames by hand. */
static void start(void)
{
	struct net_params p;
	uint8_t mac[6];

	sim_init(&sim, 1);
	memset(&a, 0, sizeof(a));
	sim_params(&p, 1, 0x1111, 1500);
	p.ack_delay_ns = 0;
	CHECK(sim_node_start(&sim, &a, 1, &p) == 0);
	sim_mac(PEER, mac);
	CHECK(net_add_peer(&a.ep, PEER, mac) == 0);
	a.deliver = record;
	delivered = 0;
}

static void stop(void)
{
	sim_fini(&sim);
	CHECK(sim.allocs == 0);
}

static uint64_t stat(unsigned c)
{
	return a.ep.stats.c[c];
}

static uint64_t peer_stat(unsigned c)
{
	const struct net_stats *s = net_peer_stats(&a.ep, PEER);

	return s ? s->c[c] : 0;
}

static void feed(uint8_t type, uint16_t flags, uint32_t psn, uint32_t ack, const void *payload,
		 size_t len)
{
	size_t n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0, type, flags, psn, ack, payload, len);

	net_input(&a.ep, frame, n);
}

/* One DATA packet carrying bytes [off, off + n) of a message stream. */
static void feed_data(uint16_t flags, uint32_t psn, const uint8_t *stream, size_t n)
{
	feed(NET_PKT_DATA, flags, psn, 0, stream, n);
}

/* A message's stream bytes: header, then len bytes of payload. */
static size_t msg(uint8_t *buf, uint16_t kind, uint32_t len, uint64_t id)
{
	struct net_msg_hdr m = { .kind = kind, .len = len, .id = id };

	memcpy(buf, &m, sizeof(m));
	memset(buf + sizeof(m), 0x5a, len);
	return sizeof(m) + len;
}

/* A synced stream: one whole message at START, so START + 1 is expected next. */
static void synced(void)
{
	uint8_t buf[64];
	size_t n = msg(buf, NET_SEND, 8, 1);

	feed_data(NET_F_SYNC | NET_F_FIRST | NET_F_LAST, START, buf, n);
	CHECK(delivered == 1 && last_msg.id == 1 && last_len == 8);
}

/* The nonce of the CHALLENGE node 1 sent last, which must be for this epoch of the peer. */
static uint64_t challenged(uint32_t epoch)
{
	const struct net_pkt_hdr *h = (const void *)(sim.last_frame + sizeof(struct net_eth_hdr));
	struct net_challenge c = { 0 };

	CHECK(h->type == NET_PKT_CHALLENGE && h->dst_epoch == epoch && h->len == sizeof(c));
	memcpy(&c, h + 1, sizeof(c));
	return c.nonce;
}

/* The peer, running epoch, answers a challenge with nonce. */
static void prove(uint32_t epoch, uint64_t nonce)
{
	struct net_challenge c = { .nonce = nonce };
	size_t n = sim_frame(frame, PEER, 1, epoch, 0x1111, NET_PKT_PROOF, 0, 0, 0, &c, sizeof(c));

	net_input(&a.ep, frame, n);
}

static void input_counts_every_framing_error(void)
{
	uint8_t buf[64];
	size_t n;

	start();
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	net_input(&a.ep, frame, 5);
	net_input(&a.ep, NULL, 0);
	frame[12] = 0x86;
	net_input(&a.ep, frame, n);
	sim_frame(frame, PEER, 1, PEER_EPOCH, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	frame[NET_HDRS - 5] ^= 1;
	net_input(&a.ep, frame, n);
	msg(buf, NET_SEND, 8, 1);
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0, NET_PKT_DATA, NET_F_SYNC, 0, 0, buf, 32);
	net_input(&a.ep, frame, n - 1);
	CHECK(stat(NET_C_TRUNCATED) == 2 && stat(NET_C_BAD_ETHERTYPE) == 1);
	CHECK(stat(NET_C_BAD_CRC) == 1 && stat(NET_C_BAD_LEN) == 1);
	CHECK(stat(NET_C_FRAMES_IN) == 5 && delivered == 0);
	/* before the frame is trusted no peer is charged */
	CHECK(net_peer_stats(&a.ep, PEER) == NULL);
	stop();
}

static void input_counts_frames_from_unknown_or_misaddressed_nodes(void)
{
	size_t n;

	start();
	n = sim_frame(frame, 7, 1, PEER_EPOCH, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	net_input(&a.ep, frame, n);		/* id 7 is not in the map */
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	frame[11] = 0x99;			/* node 2's id from another MAC */
	net_input(&a.ep, frame, n);
	CHECK(stat(NET_C_SPOOFED) == 1);
	n = sim_frame(frame, PEER, 3, PEER_EPOCH, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	net_input(&a.ep, frame, n);		/* for node 3's MAC and id */
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	((struct net_pkt_hdr *)(frame + 14))->dst = 3;
	wire_seal(frame, NULL);
	net_input(&a.ep, frame, n);		/* our MAC, another id */
	n = sim_frame(frame, 1, 1, PEER_EPOCH, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	net_input(&a.ep, frame, n);		/* from ourselves */
	CHECK(stat(NET_C_UNKNOWN_NODE) == 4 && stat(NET_C_SPOOFED) == 1);
	CHECK(net_peer_stats(&a.ep, PEER) == NULL && net_peer_stats(&a.ep, 7) == NULL);
	stop();
}

/* Addressed to an epoch of ours that is not the current one: RESET, at most one per rto. */
static void input_answers_a_stale_epoch_with_one_reset(void)
{
	size_t n;
	int i;

	start();
	for (i = 0; i < 5; i++) {
		n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0x1110, NET_PKT_ACK, 0, 0, 0, NULL, 0);
		net_input(&a.ep, frame, n);
	}
	CHECK(stat(NET_C_STALE_EPOCH) == 5 && peer_stat(NET_C_STALE_EPOCH) == 5);
	CHECK(stat(NET_C_RESETS_OUT) == 1);
	sim.now += a.p.rto_ns;
	net_input(&a.ep, frame, n);
	CHECK(stat(NET_C_RESETS_OUT) == 2);
	stop();
}

/* A RESET that does not answer something we sent to the epoch we believe in is stray. */
static void input_ignores_stray_resets(void)
{
	struct net_reset r = { .stale_epoch = 0x4444, .psn = 0 };
	size_t n;

	start();
	synced();
	n = sim_frame(frame, PEER, 1, 0x2223, 0x1111, NET_PKT_RESET, 0, 0, 0, &r, sizeof(r));
	net_input(&a.ep, frame, n);		/* stale_epoch is not what we know */
	r.stale_epoch = PEER_EPOCH;
	n = sim_frame(frame, PEER, 1, 0x2223, 0x1110, NET_PKT_RESET, 0, 0, 0, &r, sizeof(r));
	net_input(&a.ep, frame, n);		/* meant for an older us */
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0x1111, NET_PKT_RESET, 0, 0, 0, &r, sizeof(r));
	net_input(&a.ep, frame, n);		/* claims the epoch it calls stale */
	CHECK(stat(NET_C_STRAY) == 3 && stat(NET_C_PEER_RESET) == 0);
	n = sim_frame(frame, PEER, 1, 0x2223, 0x1111, NET_PKT_RESET, 0, 0, 0, &r, sizeof(r));
	net_input(&a.ep, frame, n);		/* a real one: its epoch is challenged */
	CHECK(stat(NET_C_CHALLENGES_OUT) == 1 && stat(NET_C_PEER_RESET) == 0);
	prove(0x2223, challenged(0x2223));
	CHECK(stat(NET_C_PEER_RESET) == 1 && a.events[NET_PEER_RESET] == 1);
	stop();
}

/*
 * A stream packet from an epoch of the peer's we do not know: not believed. It is
 * dropped, the epoch challenged (once per rto), and the real stream goes on; PROOFs
 * that do not answer the open challenge change nothing.
 */
static void input_forged_new_epoch_is_challenged_not_believed(void)
{
	uint8_t buf[64];
	uint64_t nonce;
	size_t n;

	start();
	synced();
	for (int i = 0; i < 3; i++) {
		n = sim_frame(frame, PEER, 1, 0x6666, 0x1111, NET_PKT_ACK, 0, 0, 0, NULL, 0);
		net_input(&a.ep, frame, n);
	}
	CHECK(stat(NET_C_UNPROVEN_EPOCH) == 3 && stat(NET_C_CHALLENGES_OUT) == 1);
	nonce = challenged(0x6666);
	prove(0x6666, nonce + 1);		/* wrong nonce */
	prove(0x6667, nonce);			/* not the claimed epoch */
	n = sim_frame(frame, PEER, 1, 0x6666, 0x1110, NET_PKT_PROOF, 0, 0, 0, &nonce,
		      sizeof(nonce));
	net_input(&a.ep, frame, n);		/* to an older us */
	CHECK(stat(NET_C_BAD_PROOF) == 3 && stat(NET_C_PEER_RESET) == 0);
	n = msg(buf, NET_SEND, 8, 2);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 1, buf, n);
	CHECK(delivered == 2 && a.events[NET_PEER_RESET] == 0);
	stop();
}

/* A first epoch taken on trust that was forged gives way to the real one, proven. */
static void input_wrong_first_epoch_heals_when_the_real_one_proves_itself(void)
{
	size_t n;

	start();
	n = sim_frame(frame, PEER, 1, 0x6666, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	net_input(&a.ep, frame, n);		/* forged, but first */
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	net_input(&a.ep, frame, n);
	CHECK(stat(NET_C_UNPROVEN_EPOCH) == 1);
	prove(PEER_EPOCH, challenged(PEER_EPOCH));
	CHECK(stat(NET_C_PEER_RESET) == 1);
	synced();
	n = sim_frame(frame, PEER, 1, 0x6666, 0x1111, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	net_input(&a.ep, frame, n);		/* the forged epoch is retired now */
	CHECK(stat(NET_C_OLD_PEER_EPOCH) == 1);
	stop();
}

/* A CHALLENGE to our epoch is answered with its nonce; one to another epoch is not. */
static void input_answers_challenges_to_its_own_epoch_only(void)
{
	struct net_challenge c = { .nonce = 0x1234567890abcdefull };
	const struct net_pkt_hdr *h = (const void *)(sim.last_frame + sizeof(struct net_eth_hdr));
	struct net_challenge got;
	size_t n;

	start();
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0x1110, NET_PKT_CHALLENGE, 0, 0, 0, &c,
		      sizeof(c));
	net_input(&a.ep, frame, n);
	CHECK(stat(NET_C_STRAY) == 1 && sim.xmits == 0);
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0x1111, NET_PKT_CHALLENGE, 0, 0, 0, &c,
		      sizeof(c));
	net_input(&a.ep, frame, n);
	CHECK(sim.xmits == 1 && h->type == NET_PKT_PROOF && h->dst_epoch == PEER_EPOCH &&
	      h->src_epoch == 0x1111 && h->len == sizeof(got));
	memcpy(&got, h + 1, sizeof(got));
	CHECK(got.nonce == c.nonce && stat(NET_C_CHALLENGES_IN) == 2);
	stop();
}

static void input_drops_data_before_the_stream_is_synced(void)
{
	uint8_t buf[64];
	size_t n;

	start();
	n = msg(buf, NET_SEND, 8, 1);
	feed_data(NET_F_FIRST | NET_F_LAST, START, buf, n);
	CHECK(stat(NET_C_UNSYNCED) == 1 && delivered == 0);
	synced();
	stop();
}

static void input_counts_duplicates_and_packets_beyond_the_window(void)
{
	uint8_t buf[64];
	size_t n;

	start();
	synced();
	n = msg(buf, NET_SEND, 8, 2);
	feed_data(NET_F_FIRST | NET_F_LAST, START, buf, n);	/* again */
	feed_data(NET_F_FIRST | NET_F_LAST, START - 100, buf, n);
	CHECK(stat(NET_C_DUP) == 2 && delivered == 1);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 1 + a.p.window, buf, n);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 0x80000000u, buf, n);
	CHECK(stat(NET_C_OUT_OF_WINDOW) == 2 && delivered == 1);
	/* held out of order, then delivered when the gap fills */
	feed_data(NET_F_FIRST | NET_F_LAST, START + 2, buf, n);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 2, buf, n);
	CHECK(stat(NET_C_DUP) == 3 && stat(NET_C_NAKS_OUT) == 1 && delivered == 1);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 1, buf, n);
	CHECK(delivered == 3);
	stop();
}

/*
 * A gap the sender never fills (it died): NAKed again with growing waits, and after
 * dead_ns the held packets are freed and the endpoint goes idle.
 */
static void input_abandoned_gap_is_nakked_less_and_less_then_forgotten(void)
{
	uint8_t buf[64];
	size_t n;
	uint64_t naks;

	start();
	synced();
	n = msg(buf, NET_SEND, 8, 3);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 2, buf, n);
	CHECK(stat(NET_C_NAKS_OUT) == 1);
	sim_advance(&sim, 100 * SIM_MS);
	naks = stat(NET_C_NAKS_OUT);
	CHECK(naks > 5 && naks < 12);		/* 0.5, 1, 2, ... 64 ms */
	sim_advance(&sim, a.p.dead_ns);
	CHECK(stat(NET_C_NAKS_OUT) < naks + 3 + a.p.dead_ns / a.p.rto_max_ns);
	CHECK(a.deadline == 0 && sim.allocs > 0);
	naks = stat(NET_C_NAKS_OUT);
	sim_advance(&sim, 10 * SIM_SEC);
	CHECK(stat(NET_C_NAKS_OUT) == naks);
	/* the gap filled late: the held packet is gone, the sender resends it */
	n = msg(buf, NET_SEND, 8, 2);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 1, buf, n);
	CHECK(delivered == 2);
	n = msg(buf, NET_SEND, 8, 3);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 2, buf, n);
	CHECK(delivered == 3 && last_msg.id == 3);
	stop();
}

/* An ACK for packets never sent is ignored and counted. */
static void input_counts_acks_beyond_what_was_sent(void)
{
	struct net_msg_hdr m = { .kind = NET_SEND };
	const struct net_pkt_hdr *sent;
	size_t n;

	start();
	synced();
	CHECK(net_send(&a.ep, PEER, &m, "x", 1, NULL, NULL) == 0);
	sent = (const struct net_pkt_hdr *)(sim.last_frame + sizeof(struct net_eth_hdr));
	CHECK(sent->type == NET_PKT_DATA);
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0, NET_PKT_ACK, NET_F_ACK, 0, sent->psn + 2,
		      NULL, 0);
	net_input(&a.ep, frame, n);
	CHECK(stat(NET_C_BAD_ACK) == 1 && stat(NET_C_MSGS_OUT) == 0);
	/* an old ack is merely late, not bad */
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0, NET_PKT_ACK, NET_F_ACK, 0, sent->psn - 5,
		      NULL, 0);
	net_input(&a.ep, frame, n);
	CHECK(stat(NET_C_BAD_ACK) == 1 && stat(NET_C_MSGS_OUT) == 0);
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0, NET_PKT_ACK, NET_F_ACK, 0, sent->psn + 1,
		      NULL, 0);
	net_input(&a.ep, frame, n);
	CHECK(stat(NET_C_MSGS_OUT) == 1);
	stop();
}

static void input_rejects_messages_with_bad_kinds_or_sizes(void)
{
	uint8_t buf[256];
	struct net_msg_hdr *m = (struct net_msg_hdr *)buf;
	size_t n;

	start();
	synced();
	n = msg(buf, 0, 8, 2);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 1, buf, n);
	n = msg(buf, NET_KIND_MAX, 8, 2);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 2, buf, n);
	CHECK(stat(NET_C_BAD_KIND) == 2);
	n = msg(buf, NET_SEND, 8, 2);
	m->len = NET_MSG_MAX + 1;
	feed_data(NET_F_FIRST, START + 3, buf, n);
	CHECK(stat(NET_C_OVERSIZE) == 1);
	/* the rest of the rejected message is dropped quietly */
	feed_data(NET_F_LAST, START + 4, buf, 100);
	CHECK(stat(NET_C_BAD_FRAG) == 0 && delivered == 1);
	n = msg(buf, NET_SEND, 8, 3);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 5, buf, n);
	CHECK(delivered == 2 && last_msg.id == 3);
	stop();
}

static void input_rejects_fragments_inconsistent_with_the_reassembly(void)
{
	uint8_t buf[256];
	uint32_t psn = START + 1;
	size_t n;

	start();
	synced();
	/* a continuation with nothing to continue */
	feed_data(NET_F_LAST, psn++, buf, 10);
	/* FIRST+LAST whose length disagrees with its header; FIRST shorter than a header */
	n = msg(buf, NET_SEND, 8, 2);
	feed_data(NET_F_FIRST | NET_F_LAST, psn++, buf, n - 1);
	feed_data(NET_F_FIRST, psn++, buf, 10);
	CHECK(stat(NET_C_BAD_FRAG) == 3);
	/* more bytes than announced; LAST short of the total; complete without LAST */
	n = msg(buf, NET_SEND, 100, 2);
	feed_data(NET_F_FIRST, psn++, buf, 50);
	feed_data(0, psn++, buf, 100);
	CHECK(stat(NET_C_BAD_FRAG) == 4);
	feed_data(NET_F_FIRST, psn++, buf, 50);
	feed_data(NET_F_LAST, psn++, buf, 10);
	CHECK(stat(NET_C_BAD_FRAG) == 5);
	feed_data(NET_F_FIRST, psn++, buf, 50);
	feed_data(0, psn++, buf, n - 50);
	CHECK(stat(NET_C_BAD_FRAG) == 6);
	/* a FIRST in the middle of a message abandons it */
	feed_data(NET_F_FIRST, psn++, buf, 50);
	feed_data(NET_F_FIRST, psn++, buf, 50);
	CHECK(stat(NET_C_BAD_FRAG) == 7);
	feed_data(NET_F_LAST, psn++, buf + 50, n - 50);
	CHECK(delivered == 2 && last_msg.id == 2 && last_len == 100);
	CHECK(peer_stat(NET_C_BAD_FRAG) == 7);
	stop();
}

/* A SYNC ahead of the stream abandons a partial message; the new stream starts there. */
static void input_resync_abandons_the_partial_message(void)
{
	uint8_t buf[256];
	size_t n;

	start();
	synced();
	n = msg(buf, NET_SEND, 100, 2);
	feed_data(NET_F_FIRST, START + 1, buf, 50);
	feed_data(NET_F_SYNC | NET_F_FIRST, START + 40, buf, 50);
	feed_data(NET_F_LAST, START + 41, buf + 50, n - 50);
	CHECK(stat(NET_C_RESYNC) == 1 && delivered == 2 && last_len == 100);
	stop();
}

static void input_answers_raw_echo_and_drops_stray_replies(void)
{
	uint8_t m1[6], m2[6];
	size_t n;

	start();
	sim_mac(1, m1);
	sim_mac(PEER, m2);
	n = wire_echo_build(frame, sizeof(frame), m1, m2, PEER, 1, 9, 100);
	net_input(&a.ep, frame, n);
	CHECK(stat(NET_C_ECHOES) == 1 && stat(NET_C_FRAMES_OUT) == 1);
	CHECK(wire_echo_turn(frame, n) && !wire_echo_turn(frame, n));
	net_input(&a.ep, frame, n);
	CHECK(stat(NET_C_UNKNOWN_NODE) == 1);	/* the reply is addressed to node 2 */
	n = wire_echo_build(frame, sizeof(frame), m1, m2, PEER, 1, 9, 100);
	((struct net_pkt_hdr *)(frame + 14))->type = NET_PKT_ECHO_REPLY;
	net_input(&a.ep, frame, n);
	CHECK(stat(NET_C_STRAY) == 1);
	n = wire_echo_build(frame, sizeof(frame), m1, m2, PEER, 1, 9, 2000);
	net_input(&a.ep, frame, n);		/* larger than our MTU */
	CHECK(stat(NET_C_BAD_LEN) == 1 && stat(NET_C_ECHOES) == 1);
	stop();
}

/* Out of memory while receiving: dropped and counted, the stream survives. */
static void input_survives_allocation_failure(void)
{
	uint8_t buf[256];
	size_t n;

	start();
	synced();
	sim.fail_alloc = true;
	n = msg(buf, NET_SEND, 100, 2);
	feed_data(NET_F_FIRST, START + 1, buf, 50);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 5, buf, n);
	CHECK(stat(NET_C_NOMEM) == 2);
	n = sim_frame(frame, 3, 1, 0x3333, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	sim_mac(3, buf);
	net_add_peer(&a.ep, 3, buf);
	net_input(&a.ep, frame, n);		/* no memory for a new queue pair */
	CHECK(stat(NET_C_NOMEM) == 3);
	sim.fail_alloc = false;
	n = msg(buf, NET_SEND, 8, 3);
	feed_data(NET_F_FIRST | NET_F_LAST, START + 3, buf, n);
	CHECK(delivered == 1);
	stop();
}

/* A flood of one kind of drop logs one line a second, however many frames it is. */
static void input_logs_each_kind_of_drop_once_a_second(void)
{
	size_t n;
	int i;

	start();
	n = sim_frame(frame, PEER, 1, PEER_EPOCH, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	frame[NET_HDRS - 1] ^= 1;
	for (i = 0; i < 1000; i++)
		net_input(&a.ep, frame, n);
	CHECK(a.logs == 1 && strstr(a.last_log, "bad_crc"));
	frame[12] = 0;
	net_input(&a.ep, frame, n);
	CHECK(a.logs == 2 && strstr(a.last_log, "bad_ethertype"));
	sim.now += SIM_SEC;
	frame[12] = NET_ETHERTYPE >> 8;
	net_input(&a.ep, frame, n);
	CHECK(a.logs == 3 && strstr(a.last_log, "1001"));
	stop();
}

/* Random bytes, and random damage to valid frames, never crash (ASan watches). */
static void input_survives_random_garbage(void)
{
	uint8_t buf[2048];
	size_t n;
	int i, j;

	start();
	synced();
	for (i = 0; i < 20000; i++) {
		n = sim_rand(&sim) % sizeof(buf);
		for (j = 0; j < (int)n; j++)
			buf[j] = (uint8_t)sim_rand(&sim);
		if (i % 2) {
			n = msg(frame, NET_SEND, (uint32_t)(sim_rand(&sim) % 600), 5);
			n = sim_frame(buf, PEER, 1, PEER_EPOCH, 0, NET_PKT_DATA,
				      (uint16_t)(sim_rand(&sim) & NET_F_ALL & ~NET_F_PROBE),
				      START + (uint32_t)(sim_rand(&sim) % 100), 0, frame, n);
			if (i % 4 == 1)
				buf[sim_rand(&sim) % n] ^= (uint8_t)sim_rand(&sim);
		}
		net_input(&a.ep, buf, n);
		if (i % 100 == 0)
			sim_advance(&sim, SIM_MS);
	}
	CHECK(stat(NET_C_FRAMES_IN) == 20001);
	stop();
}

static const struct unit_test tests[] = {
	TEST(input_counts_every_framing_error),
	TEST(input_counts_frames_from_unknown_or_misaddressed_nodes),
	TEST(input_answers_a_stale_epoch_with_one_reset),
	TEST(input_ignores_stray_resets),
	TEST(input_forged_new_epoch_is_challenged_not_believed),
	TEST(input_wrong_first_epoch_heals_when_the_real_one_proves_itself),
	TEST(input_answers_challenges_to_its_own_epoch_only),
	TEST(input_drops_data_before_the_stream_is_synced),
	TEST(input_counts_duplicates_and_packets_beyond_the_window),
	TEST(input_abandoned_gap_is_nakked_less_and_less_then_forgotten),
	TEST(input_counts_acks_beyond_what_was_sent),
	TEST(input_rejects_messages_with_bad_kinds_or_sizes),
	TEST(input_rejects_fragments_inconsistent_with_the_reassembly),
	TEST(input_resync_abandons_the_partial_message),
	TEST(input_answers_raw_echo_and_drops_stray_replies),
	TEST(input_survives_allocation_failure),
	TEST(input_logs_each_kind_of_drop_once_a_second),
	TEST(input_survives_random_garbage),
};

CHECK_MAIN("net_input", tests)
