/*
 * The reliable transport: one endpoint per node, a connected queue pair per peer,
 * exactly-once in-order messages over Ethernet frames. Portable: the kernel glue and
 * the host endpoint provide struct net_env; verbs, RPC and membership sit on top.
 *
 * Not thread-safe: the caller serializes every call on one endpoint (the kernel glue
 * holds one lock). Callbacks run inside net_input/net_poll/net_send; they may call
 * net_send and the rpc_/verbs_/memb_ posting functions, never net_input, net_poll,
 * net_fini or anything that frees the endpoint.
 */
#ifndef NET_TRANSPORT_H
#define NET_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/list.h"
#include "net/stats.h"
#include "net/wire.h"

enum net_peer_event {
	NET_PEER_UP,		/* a peer we had declared down was heard from again */
	NET_PEER_DOWN,		/* unacknowledged data for dead_ns: sends failed -ETIMEDOUT */
	NET_PEER_RESET,		/* the peer restarted (new epoch): sends failed -ECONNRESET */
};

/* The environment the transport runs in; the kernel glue and host tools provide it. */
struct net_env {
	void *ctx;		/* first argument of every callback */
	uint64_t (*now_ns)(void *ctx);	/* monotonic */
	/* Send one frame (copied before return); an error is counted, retransmission recovers. */
	int (*xmit)(void *ctx, const void *frame, size_t len);
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	/* In-order messages of kinds no module consumes (RPC_REQ, SEND, ...). Optional. */
	void (*deliver)(void *ctx, uint8_t peer, const struct net_msg_hdr *m,
			const void *payload, size_t len);
	void (*peer_event)(void *ctx, uint8_t peer, enum net_peer_event ev);	/* optional */
	void (*log)(void *ctx, const char *fmt, ...)	/* one line, no newline; optional */
		__attribute__((format(printf, 2, 3)));
	net_crc_fn crc32c;	/* optional faster CRC32C (same results as crc32c()) */
};

/* Endpoint configuration; net_params_default() fills everything but the identity. */
struct net_params {
	uint8_t node_id;
	uint8_t mac[6];
	uint32_t epoch;		/* this incarnation, nonzero, new on every boot */
	uint64_t secret;	/* random, new on every boot: seeds the epoch challenges */
	unsigned mtu;		/* bytes after the Ethernet header, NET_MTU_MIN..NET_MTU_MAX */
	unsigned window;	/* packets in flight per peer: a power of two <= NET_WINDOW_MAX */
	unsigned reorder;	/* out-of-order packets buffered per peer, <= window */
	uint64_t rto_ns;	/* first retransmission timeout */
	uint64_t rto_max_ns;	/* backoff cap; also the probe interval of a down peer */
	uint64_t dead_ns;	/* no progress on pending data this long: peer down; > rto_ns */
	uint64_t ack_delay_ns;	/* longest an ACK waits to be piggybacked; < rto_ns */
	size_t queue_limit;	/* bytes of queued messages per peer */
};

#define NET_WINDOW_MAX 1024

typedef void (*net_done_fn)(void *arg, const struct net_msg_hdr *m, int err);
typedef void (*net_msg_fn)(void *arg, uint8_t peer, const struct net_msg_hdr *m,
			   const void *payload, size_t len);

/* A layer on top (RPC client, verbs, membership): told of peer events and polled. */
struct net_module {
	struct list_head link;		/* on net_endpoint.modules */
	void *arg;
	void (*peer_event)(void *arg, uint8_t peer, enum net_peer_event ev);
	uint64_t (*poll)(void *arg, uint64_t now);	/* run timers; next deadline or 0 */
};

struct net_qp;

/* One node's end of the fabric. Every field is guarded by the caller's serialization. */
struct net_endpoint {
	struct net_env env;
	struct net_params p;
	uint8_t known[NET_NODES / 8];	/* the cluster map: ids with a MAC */
	uint8_t macs[NET_NODES][6];
	struct net_qp *qp[NET_NODES];	/* created on first use */
	struct list_head qps;		/* every qp, for the timers */
	struct {
		net_msg_fn fn;
		void *arg;
	} handlers[NET_KIND_MAX];	/* kinds a module consumes */
	struct list_head modules;
	uint8_t *frame;			/* scratch for building one frame */
	uint64_t next_id;		/* net_new_id() */
	uint64_t nonces;		/* epoch challenges made (net/epoch.c) */
	struct net_stats stats;		/* whole endpoint; per peer in each qp */
	uint64_t logged_ns[NET_C_MAX];	/* last log line per drop counter */
	bool logged[NET_C_MAX];
};

void net_params_default(struct net_params *p);
int net_init(struct net_endpoint *ep, const struct net_params *p, const struct net_env *env);
void net_fini(struct net_endpoint *ep);
int net_add_peer(struct net_endpoint *ep, uint8_t id, const uint8_t mac[6]);
bool net_known(const struct net_endpoint *ep, uint8_t id);

void net_input(struct net_endpoint *ep, const void *frame, size_t len);
uint64_t net_poll(struct net_endpoint *ep);
int net_send(struct net_endpoint *ep, uint8_t peer, const struct net_msg_hdr *m,
	     const void *payload, size_t len, net_done_fn done, void *arg);

bool net_peer_down(const struct net_endpoint *ep, uint8_t peer);
uint64_t net_new_id(struct net_endpoint *ep);
void net_set_handler(struct net_endpoint *ep, unsigned kind, net_msg_fn fn, void *arg);
void net_add_module(struct net_endpoint *ep, struct net_module *mod);
void net_deliver(struct net_endpoint *ep, uint8_t peer, const struct net_msg_hdr *m,
		 const void *payload, size_t len);

void net_count(struct net_endpoint *ep, int peer, unsigned counter);
const struct net_stats *net_peer_stats(const struct net_endpoint *ep, uint8_t peer);

#endif
