/*
 * The net_input fuzzing harness (see fuzz_net.h): builds an endpoint with every
 * module attached and, per scenario, live receive and send state; feeds frames with
 * optional fix-ups; tears everything down and checks nothing leaked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_net.h"

#define OP_EXACT NET_OPCODE_MAX		/* exactly 8 bytes; answers -EEXIST */
#define OP_SMALL (NET_OPCODE_MAX + 1)	/* up to 64 bytes; echoes */

static int op_exact(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		    size_t resp_max)
{
	(void)ctx, (void)peer, (void)req, (void)len, (void)resp, (void)resp_max;
	return -17;
}

static const struct rpc_op fuzz_ops[NET_OPCODE_MAX + 2] = {
	[OP_EXACT] = { op_exact, 8, 8, 0 },
	[OP_SMALL] = { rpc_echo, 0, 64, 64 },
};

uint32_t fuzz_epoch(uint8_t node)
{
	return node == FUZZ_SELF ? FUZZ_EPOCH : 0xb0b0b000u + node;
}

static void fuzz_mac(uint8_t node, uint8_t mac[6])
{
	const uint8_t m[6] = { 0x52, 0x54, 0x00, 0xf2, 0x22, node };

	memcpy(mac, m, 6);
}

static uint64_t env_now(void *ctx)
{
	return ((struct fuzz *)ctx)->now;
}

/* Remember our next psn to node 2, so fixed-up acks land near it. */
static int env_xmit(void *ctx, const void *frame, size_t len)
{
	struct fuzz *f = ctx;
	const struct net_pkt_hdr *h = (const void *)((const uint8_t *)frame + 14);

	if (len >= NET_HDRS && h->type == NET_PKT_DATA && h->dst == 2 &&
	    (int32_t)(h->psn + 1 - f->tx_next) > 0)
		f->tx_next = h->psn + 1;
	return 0;
}

static void *env_alloc(void *ctx, size_t size)
{
	((struct fuzz *)ctx)->allocs++;
	return malloc(size);
}

static void env_free(void *ctx, void *p)
{
	((struct fuzz *)ctx)->allocs--;
	free(p);
}

static void env_deliver(void *ctx, uint8_t peer, const struct net_msg_hdr *m,
			const void *payload, size_t len)
{
	struct fuzz *f = ctx;

	if (m->kind == NET_RPC_REQ)
		rpc_serve(&f->srv, peer, m, payload, len);
}

static void env_log(void *ctx, const char *fmt, ...)
{
	(void)ctx, (void)fmt;
}

static void ignore_rpc(void *arg, int status, const void *resp, size_t len)
{
	(void)arg, (void)status, (void)resp, (void)len;
}

size_t fuzz_build(uint8_t *buf, uint8_t src, uint8_t type, uint16_t flags, uint32_t psn,
		  uint32_t ack, const void *payload, size_t len)
{
	uint8_t dst_mac[6], src_mac[6];
	struct net_pkt_hdr *h;

	fuzz_mac(FUZZ_SELF, dst_mac);
	fuzz_mac(src, src_mac);
	h = wire_headers(buf, dst_mac, src_mac, type, (uint8_t)flags, src, FUZZ_SELF,
			 (uint16_t)len);
	h->src_epoch = fuzz_epoch(src);
	h->dst_epoch = FUZZ_EPOCH;
	h->psn = psn;
	h->ack = ack;
	h->window = 64;
	if (len)
		memcpy(h + 1, payload, len);
	wire_seal(buf, NULL);
	return NET_HDRS + len;
}

size_t fuzz_msg(uint8_t *buf, uint16_t kind, uint16_t opcode, uint64_t id, int32_t status,
		const void *payload, uint32_t len)
{
	struct net_msg_hdr m = { .kind = kind, .opcode = opcode, .len = len, .id = id,
				 .status = status };

	memcpy(buf, &m, sizeof(m));
	if (len)
		memcpy(buf + sizeof(m), payload, len);
	return sizeof(m) + len;
}

/* Node 2's stream synced at rx_base with one message, and a second one half there. */
static void rx_state(struct fuzz *f)
{
	uint8_t msg[256], frame[512];
	size_t n;

	f->rx_base = 0x10000000u;
	n = fuzz_msg(msg, NET_SEND, 0, 1, 0, "sixteen bytes...", 16);
	n = fuzz_build(frame, 2, NET_PKT_DATA, NET_F_SYNC | NET_F_FIRST | NET_F_LAST,
		       f->rx_base, 0, msg, n);
	fuzz_frame(f, 0, frame, n);
	n = fuzz_msg(msg, NET_SEND, 0, 2, 0, NULL, 0);
	((struct net_msg_hdr *)msg)->len = 1000;
	memset(msg + n, 0x42, 100);
	n = fuzz_build(frame, 2, NET_PKT_DATA, NET_F_FIRST, f->rx_base + 1, 0, msg, n + 100);
	fuzz_frame(f, 0, frame, n);
	f->rx_next = f->rx_base + 2;
}

/* Messages, an RPC call and verbs ops pending to node 2. */
static void tx_state(struct fuzz *f)
{
	static uint8_t big[20000];
	struct net_msg_hdr m = { .kind = NET_SEND, .id = 7 };
	struct verbs_wr rd = { .wr_id = 1, .peer = 2, .key = 0x1234, .buf = f->readbuf,
			       .len = FUZZ_READ_LEN };
	struct verbs_wr wr = { .wr_id = 2, .peer = 2, .key = 0x1234, .buf = big, .len = 64 };

	net_send(&f->ep, 2, &m, "hello", 5, NULL, NULL);
	net_send(&f->ep, 2, &m, big, sizeof(big), NULL, NULL);
	rpc_call_start(&f->cl, 2, ANY_ECHO, "ping", 4, 10 * 1000000ull, ignore_rpc, NULL);
	f->call_id = f->ep.next_id;
	verbs_post(&f->v, &f->cq, VERBS_OP_READ, &rd);
	f->read_id = f->ep.next_id;
	verbs_post(&f->v, &f->cq, VERBS_OP_WRITE, &wr);
	verbs_post(&f->v, &f->cq, VERBS_OP_SEND, &wr);
}

static void must(int err, const char *what)
{
	if (err) {
		fprintf(stderr, "fuzz setup: %s failed: %d\n", what, err);
		abort();
	}
}

void fuzz_setup(struct fuzz *f, uint8_t scenario)
{
	struct net_env env = {
		.ctx = f, .now_ns = env_now, .xmit = env_xmit, .alloc = env_alloc,
		.free = env_free, .deliver = env_deliver, .log = env_log,
	};
	struct memb_params mp = {
		.gmon = scenario & FUZZ_S_GMON ? FUZZ_SELF : 2,
		.hb_interval_ns = 100 * 1000000ull, .hb_timeout_ns = 1000 * 1000000ull,
	};
	struct net_params p;
	uint8_t mac[6];

	memset(f, 0, sizeof(*f));
	f->now = 1000000000ull;
	net_params_default(&p);
	p.node_id = FUZZ_SELF;
	fuzz_mac(FUZZ_SELF, p.mac);
	p.epoch = FUZZ_EPOCH;
	p.mtu = scenario & FUZZ_S_SMALL_MTU ? 256 : 9000;
	must(net_init(&f->ep, &p, &env), "net_init");
	fuzz_mac(2, mac);
	must(net_add_peer(&f->ep, 2, mac), "peer 2");
	fuzz_mac(3, mac);
	must(net_add_peer(&f->ep, 3, mac), "peer 3");
	must(rpc_client_init(&f->cl, &f->ep), "rpc client");
	must(rpc_server_init(&f->srv, &f->ep, fuzz_ops, NET_OPCODE_MAX + 2, f), "rpc server");
	must(verbs_init(&f->v, &f->ep, 4, 20 * 1000000ull), "verbs");
	must(verbs_cq_init(&f->cq, &f->ep, 16, NULL, NULL), "cq");
	must(memb_init(&f->memb, &f->ep, &mp, NULL, NULL), "membership");
	f->region = malloc(FUZZ_REGION);
	f->readbuf = malloc(FUZZ_READ_LEN);
	f->recvbuf = malloc(FUZZ_RECV_LEN);
	memset(f->region, 0x5a, FUZZ_REGION);
	must(verbs_reg_mr(&f->v, f->region, FUZZ_REGION, VERBS_READ | VERBS_WRITE, &f->key),
	     "region");
	must(verbs_reg_mr(&f->v, f->region, FUZZ_REGION / 2, VERBS_READ, &f->ro_key),
	     "read-only region");
	must(verbs_post(&f->v, &f->cq, VERBS_OP_RECV, &(struct verbs_wr){
		.wr_id = 3, .buf = f->recvbuf, .len = FUZZ_RECV_LEN }), "receive");
	if (scenario & FUZZ_S_RX_STATE)
		rx_state(f);
	if (scenario & FUZZ_S_TX_STATE)
		tx_state(f);
}

static void fix_up(struct fuzz *f, uint8_t ctl, uint8_t *frame, size_t len)
{
	struct net_eth_hdr *e = (struct net_eth_hdr *)frame;
	struct net_pkt_hdr *h = (struct net_pkt_hdr *)(e + 1);
	uint8_t src = ctl & FUZZ_C_NODE3 ? 3 : 2;

	if (ctl & FUZZ_C_ADDR) {
		fuzz_mac(FUZZ_SELF, e->dst);
		fuzz_mac(src, e->src);
		e->type[0] = NET_ETHERTYPE >> 8;
		e->type[1] = NET_ETHERTYPE & 0xff;
		h->src = src;
		h->dst = FUZZ_SELF;
	}
	if (ctl & FUZZ_C_EPOCH) {
		h->version = NET_VERSION;
		h->src_epoch = fuzz_epoch(h->src);
		h->dst_epoch = h->dst_epoch & 1 ? 0 : FUZZ_EPOCH;
	}
	if (ctl & FUZZ_C_SEQ) {
		/* within +-127 of the expected values: valid ones stay, wild ones come near */
		h->psn = f->rx_next + (uint32_t)(int32_t)(int8_t)(uint8_t)(h->psn - f->rx_next);
		h->ack = f->tx_next + (uint32_t)(int32_t)(int8_t)(uint8_t)(h->ack - f->tx_next);
	}
	if ((ctl & FUZZ_C_LEN) && len - NET_HDRS <= 0xffff)
		h->len = (uint16_t)(len - NET_HDRS);
	if ((ctl & FUZZ_C_CRC) && h->len <= len - NET_HDRS)
		wire_seal(frame, NULL);
}

/* One frame, in a buffer of exactly its size (ASan sees any read past it). */
void fuzz_frame(struct fuzz *f, uint8_t ctl, const uint8_t *data, size_t len)
{
	static const uint64_t steps[4] = { 0, 100000, 5000000, 1000000000 };
	uint8_t *frame = malloc(len ? len : 1);

	memcpy(frame, data, len);
	if (len >= NET_HDRS)
		fix_up(f, ctl, frame, len);
	net_input(&f->ep, frame, len);
	free(frame);
	f->now += steps[ctl >> FUZZ_C_TIME_SHIFT];
	net_poll(&f->ep);
}

/* Let every timer run out (retransmissions, dead peer, timeouts), then free it all. */
void fuzz_teardown(struct fuzz *f)
{
	int i;

	for (i = 0; i < 10; i++) {
		f->now += 500 * 1000000ull;
		net_poll(&f->ep);
	}
	memb_fini(&f->memb);
	verbs_fini(&f->v);
	rpc_client_fini(&f->cl);
	rpc_server_fini(&f->srv);
	verbs_cq_fini(&f->cq);
	net_fini(&f->ep);
	free(f->region);
	free(f->readbuf);
	free(f->recvbuf);
	if (f->allocs) {
		fprintf(stderr, "fuzz: %ld allocations leaked through the env\n", f->allocs);
		abort();
	}
}
