/*
 * tessera-net inject: malformed frames (each drop reason the receive path counts)
 * and well-formed but hostile requests (bad keys, out-of-bounds READs, unknown
 * opcodes, wrong lengths). Every one must be refused, and the node must still
 * answer afterwards; the test then reads the node's counters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "net/host.h"
#include "net/probe.h"
#include "tool.h"

#define SEC 1000000000ULL

enum mangle { M_NONE, M_TRUNCATE, M_ETHERTYPE, M_CRC, M_VERSION, M_TYPE, M_LEN, M_NODE, M_RSVD };

static const char *const mangle_names[] = {
	[M_TRUNCATE] = "truncated", [M_ETHERTYPE] = "bad_ethertype", [M_CRC] = "bad_crc",
	[M_VERSION] = "bad_version", [M_TYPE] = "bad_type", [M_LEN] = "bad_len",
	[M_NODE] = "unknown_node", [M_RSVD] = "bad_hdr",
};

/* A DATA packet from us to node, then broken in one way; returns the frame length. */
static size_t build(struct host_ep *h, const struct host_peer *to, enum mangle how,
		    uint8_t *frame)
{
	struct net_eth_hdr *e = (struct net_eth_hdr *)frame;
	size_t len = NET_HDRS + 16;
	struct net_pkt_hdr *p;

	memset(frame, 0, len);
	p = wire_headers(frame, to->mac, h->self->mac, NET_PKT_DATA,
			 NET_F_FIRST | NET_F_LAST | NET_F_SYNC, h->self->id, to->id, 16);
	p->src_epoch = 0x5eed;
	p->psn = 1;
	if (how == M_VERSION)
		p->version = 9;
	if (how == M_TYPE)
		p->type = 99;
	if (how == M_LEN)
		p->len = 4000;
	if (how == M_NODE)
		p->src = 199;
	if (how == M_RSVD)
		p->rsvd = 1;
	wire_seal(frame, NULL);
	if (how == M_CRC)
		p->crc ^= 0x1;
	if (how == M_ETHERTYPE)
		e->type[0] = 0x08;
	return how == M_TRUNCATE ? 20 : len;
}

static int send_malformed(struct host_ep *h, const struct host_peer *to)
{
	uint8_t frame[256];
	int failures = 0;

	for (int how = M_TRUNCATE; how <= M_RSVD; how++) {
		int err = host_xmit_raw(h, frame, build(h, to, how, frame));

		printf("frame=%s sent=%s\n", mangle_names[how], err ? "no" : "yes");
		failures += err != 0;
	}
	return failures;
}

/* A request that must come back as an error; prints what it got. */
static int expect_error(const char *what, int ret)
{
	printf("request=%s result=%d refused=%s\n", what, ret, ret < 0 ? "yes" : "no");
	return ret < 0 ? 0 : 1;
}

static int send_hostile(struct host_ep *h, uint8_t node)
{
	struct probe_req bad_kind = { .peer = node, .kind = 99, .size = 8, .count = 1,
				      .timeout_ms = 100 };
	struct netinfo_resp info;
	uint8_t buf[64];
	int failures = 0;

	if (host_rpc(h, node, ANY_NETINFO, NULL, 0, &info, sizeof(info), 5 * SEC) !=
	    (int)sizeof(info))
		return 1;
	failures += expect_error("read_bad_key",
				 host_read(h, node, info.probe_key ^ 0x5a5a0000, 0, buf, 16, 5 * SEC));
	failures += expect_error("read_out_of_bounds",
				 host_read(h, node, info.probe_key, info.probe_len - 8, buf, 16,
					   5 * SEC));
	failures += expect_error("rpc_unknown_opcode",
				 host_rpc(h, node, 999, buf, 8, buf, sizeof(buf), 5 * SEC));
	failures += expect_error("rpc_bad_length",
				 host_rpc(h, node, ANY_PROBE, buf, 3, buf, sizeof(buf), 5 * SEC));
	failures += expect_error("rpc_bad_probe", host_rpc(h, node, ANY_PROBE, &bad_kind,
							   sizeof(bad_kind), buf, sizeof(buf),
							   5 * SEC));
	return failures;
}

int tool_inject(struct host_ep *h, int node)
{
	const struct host_peer *to = NULL;
	uint8_t ping[32] = "still there?", pong[32];
	int failures;

	for (unsigned i = 0; i < h->npeers; i++)
		if (h->peers[i].id == node)
			to = &h->peers[i];
	failures = send_malformed(h, to) + send_hostile(h, (uint8_t)node);
	failures += host_rpc(h, (uint8_t)node, ANY_ECHO, ping, sizeof(ping), pong, sizeof(pong),
			     5 * SEC) != (int)sizeof(ping);
	printf("alive=%s failures=%d\n", failures ? "?" : "yes", failures);
	return failures ? 1 : 0;
}
