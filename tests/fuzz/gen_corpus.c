/*
 * Writes the fuzz target's seed corpus (tests/fuzz/corpus/, `make fuzz-corpus`): for
 * each packet type and message kind, a scenario and valid frames that reach it, in
 * the input format of fuzz_net_input.c. Ids, psns and keys come from the harness.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz_net.h"

static const char *dir;
static uint8_t input[65536];
static size_t used;
static struct fuzz f;

static void begin(uint8_t scenario)
{
	fuzz_setup(&f, scenario);	/* to learn the key, ids and psns */
	input[0] = scenario;
	used = 1;
}

static void record(uint8_t ctl, const uint8_t *frame, size_t len)
{
	input[used++] = ctl;
	input[used++] = (uint8_t)len;
	input[used++] = (uint8_t)(len >> 8);
	memcpy(input + used, frame, len);
	used += len;
}

/* A whole message from node 2 in one DATA packet at psn. */
static void msg_record(uint8_t ctl, uint16_t flags, uint32_t psn, uint16_t kind, uint16_t op,
		       uint64_t id, int32_t status, const void *payload, uint32_t len)
{
	static uint8_t msg[NET_MTU_MAX], frame[NET_HDRS + NET_MTU_MAX];
	size_t n = fuzz_msg(msg, kind, op, id, status, payload, len);

	n = fuzz_build(frame, 2, NET_PKT_DATA, flags | NET_F_FIRST | NET_F_LAST, psn,
		       f.tx_next, msg, n);
	record(ctl, frame, n);
}

static void end(const char *name)
{
	char path[512];
	FILE *out;

	fuzz_teardown(&f);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = fopen(path, "wb");
	if (!out || fwrite(input, 1, used, out) != used || fclose(out)) {
		perror(path);
		exit(1);
	}
}

/* A fresh stream: the SYNC'd first message of each kind. */
static void seeds_fresh(void)
{
	struct net_read_req rd = { .key = 0, .len = 64, .offset = 128 };
	uint8_t wr[sizeof(struct net_write_req) + 32] = { 0 };
	struct net_write_req w = { .len = 32, .offset = 4000 };
	struct net_node_change nc = { .node = 3, .up = 0 };
	uint32_t psn = 0x20000000u;

	begin(0);
	msg_record(0x10, NET_F_SYNC, psn, NET_SEND, 0, 1, 0, "a send", 6);
	msg_record(0x10, 0, psn + 1, NET_SEND, 0, 2, 0, "a send longer than the receive", 30);
	msg_record(0x10, 0, psn + 2, NET_SEND, 0, 3, 0, "a send much longer than the receive", 35);
	end("send");
	begin(0);
	msg_record(0x10, NET_F_SYNC, psn, NET_RPC_REQ, ANY_ECHO, 2, 0, "echo me", 7);
	msg_record(0x10, 0, psn + 1, NET_RPC_REQ, NET_OPCODE_MAX, 3, 0, "8 bytes!", 8);
	msg_record(0x10, 0, psn + 2, NET_RPC_REQ, 0x7777, 4, 0, "nope", 4);
	end("rpc_req");
	begin(0);
	rd.key = f.key;
	msg_record(0x1f, NET_F_SYNC, psn, NET_READ_REQ, 0, 5, 0, &rd, sizeof(rd));
	end("read_req");
	begin(0);
	w.key = f.key;
	memcpy(wr, &w, sizeof(w));
	msg_record(0x1f, NET_F_SYNC, psn, NET_WRITE_REQ, 0, 6, 0, wr, sizeof(wr));
	w.key = f.ro_key;
	memcpy(wr, &w, sizeof(w));
	msg_record(0x1f, 0, psn + 1, NET_WRITE_REQ, 0, 7, 0, wr, sizeof(wr));
	end("write_req");
	begin(FUZZ_S_GMON);
	msg_record(0x10, NET_F_SYNC, psn, NET_HEARTBEAT, 0, 7, 0, NULL, 0);
	end("heartbeat");
	begin(0);
	nc.alive[0] = 0x06;
	msg_record(0x10, NET_F_SYNC, psn, NET_NODE_DOWN, 0, 8, 0, &nc, sizeof(nc));
	end("node_down");
}

/* Node 2's stream in progress: the other 900 bytes of its message, in fragments. */
static void seeds_fragments(void)
{
	static uint8_t frame[NET_HDRS + 1024], data[1000];
	size_t n;

	begin(FUZZ_S_RX_STATE | FUZZ_S_SMALL_MTU);
	memset(data, 0x42, sizeof(data));
	n = fuzz_build(frame, 2, NET_PKT_DATA, 0, f.rx_next, 0, data, 200);
	record(0x1c, frame, n);
	n = fuzz_build(frame, 2, NET_PKT_DATA, 0, f.rx_next + 2, 0, data, 200);
	record(0x1c, frame, n);		/* out of order */
	n = fuzz_build(frame, 2, NET_PKT_DATA, 0, f.rx_next + 1, 0, data, 200);
	record(0x1c, frame, n);
	n = fuzz_build(frame, 2, NET_PKT_DATA, NET_F_LAST, f.rx_next + 3, 0, data, 300);
	record(0x1c, frame, n);
	end("fragments");
}

/* Answers to what we have pending: ACK, NAK, the RPC response, the READ's data. */
/* A new epoch of the peer's (challenged), a PROOF that answers nothing, a CHALLENGE. */
static void seeds_epoch_claim(uint8_t *frame)
{
	struct net_challenge c = { .nonce = 0x0123456789abcdefull };
	struct net_pkt_hdr *h = (struct net_pkt_hdr *)(frame + 14);
	size_t n;

	begin(FUZZ_S_TX_STATE);
	n = fuzz_build(frame, 2, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	h->src_epoch = 0x6666;
	wire_seal(frame, NULL);
	record(0x00, frame, n);
	n = fuzz_build(frame, 2, NET_PKT_PROOF, 0, 0, 0, &c, sizeof(c));
	h->src_epoch = 0x6666;
	wire_seal(frame, NULL);
	record(0x40, frame, n);
	n = fuzz_build(frame, 2, NET_PKT_CHALLENGE, 0, 0, 0, &c, sizeof(c));
	record(0x80, frame, n);
	end("epoch_claim");
}

static void seeds_answers(void)
{
	static uint8_t frame[NET_HDRS + 256], data[FUZZ_READ_LEN];
	struct net_nak nak = { .sack = 0x5 };
	struct net_reset r = { .stale_epoch = fuzz_epoch(2), .psn = 0 };
	uint32_t psn = 0x30000000u;
	size_t n;

	begin(FUZZ_S_TX_STATE);
	n = fuzz_build(frame, 2, NET_PKT_ACK, NET_F_ACK, 0, f.tx_next - 3, NULL, 0);
	record(0x00, frame, n);
	n = fuzz_build(frame, 2, NET_PKT_NAK, NET_F_ACK, 0, f.tx_next - 3, &nak, sizeof(nak));
	record(0x40, frame, n);
	msg_record(0x10, NET_F_SYNC, psn, NET_RPC_RESP, ANY_ECHO, f.call_id, 0, "ping", 4);
	memset(data, 0x33, sizeof(data));
	msg_record(0x10, 0, psn + 1, NET_READ_RESP, 0, f.read_id, 0, data, sizeof(data));
	end("answers");
	begin(FUZZ_S_TX_STATE);
	n = fuzz_build(frame, 2, NET_PKT_ACK, NET_F_PROBE, 0, 0, NULL, 0);
	record(0x80, frame, n);
	n = fuzz_build(frame, 2, NET_PKT_RESET, 0, 0, 0, &r, sizeof(r));
	((struct net_pkt_hdr *)(frame + 14))->src_epoch = 0x12345678;
	wire_seal(frame, NULL);
	record(0xc0, frame, n);
	end("probe_reset");
	seeds_epoch_claim(frame);
}

static void seeds_echo(void)
{
	static uint8_t frame[NET_HDRS + 64];
	uint8_t self[6] = { 0x52, 0x54, 0x00, 0xf2, 0x22, FUZZ_SELF };
	uint8_t peer[6] = { 0x52, 0x54, 0x00, 0xf2, 0x22, 2 };
	size_t n;

	begin(0);
	n = wire_echo_build(frame, sizeof(frame), self, peer, 2, FUZZ_SELF, 1, 64);
	memset(frame + NET_HDRS, 0xee, 64);
	record(0, frame, n);
	end("echo");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	seeds_fresh();
	seeds_fragments();
	seeds_answers();
	seeds_echo();
	return 0;
}
