/*
 * Network probes: requests the host tool (net/host/) sends a monitor to test and
 * measure the message layer between two nodes, and the monitor's answers. The
 * monitor runs the operations itself (kernel/netprobe.c), so the figures are
 * node-to-node through the fabric, not host-to-node.
 */
#ifndef NET_PROBE_H
#define NET_PROBE_H

#include <stdint.h>

enum probe_kind {
	PROBE_RAW = 1,		/* driver-level echo of a bare frame */
	PROBE_RPC,		/* ANY_ECHO RPC, payload checked */
	PROBE_READ,		/* one-sided READ of the peer's probe region, bytes checked */
	PROBE_STREAM,		/* one-way SEND messages, throughput */
	PROBE_KIND_MAX
};

/* ANY_PROBE request: run count operations of size bytes against peer. */
struct probe_req {
	uint8_t peer;
	uint8_t kind;		/* enum probe_kind */
	uint16_t rsvd;		/* 0 */
	uint32_t size;		/* payload bytes, <= PROBE_SIZE_MAX */
	uint32_t count;		/* 1..PROBE_COUNT_MAX */
	uint32_t timeout_ms;	/* per operation */
} __attribute__((packed));
_Static_assert(sizeof(struct probe_req) == 16, "probe request");

#define PROBE_SIZE_MAX 65536
#define PROBE_COUNT_MAX 100000

/* ANY_PROBE response. Latencies are per operation; stream reports the whole run. */
struct probe_resp {
	uint32_t ok;		/* completed with the right bytes */
	uint32_t failed;	/* completed with an error */
	uint32_t bad_data;	/* completed with the wrong bytes */
	int32_t first_err;	/* the first error, 0 if none */
	uint64_t total_ns;	/* the whole run */
	uint64_t min_ns, median_ns, p99_ns, max_ns;
} __attribute__((packed));
_Static_assert(sizeof(struct probe_resp) == 56, "probe response");

/* ANY_NETINFO response: what a peer needs to probe this node. */
struct netinfo_resp {
	uint32_t probe_key;	/* region key of the probe region (READ only) */
	uint32_t probe_len;	/* its length; byte i holds probe_byte(i) */
	uint32_t mtu;
	uint32_t rsvd;
} __attribute__((packed));
_Static_assert(sizeof(struct netinfo_resp) == 16, "netinfo response");

static inline uint8_t probe_byte(uint64_t i)
{
	return (uint8_t)(i * 31 + 7);
}

#endif
