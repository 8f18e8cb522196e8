/*
 * RPC over the transport. The client matches responses to calls by id, with a
 * per-call timeout. The server checks every request at one choke point (opcode in
 * the table, length within the opcode's bounds) before a handler sees its bytes; each
 * monitor brings its own table, and ANY_ECHO is built in.
 */
#ifndef NET_RPC_H
#define NET_RPC_H

#include <stddef.h>
#include <stdint.h>
#include "net/pending.h"
#include "net/protocol.h"
#include "net/transport.h"

/* status: 0 with the response, or a negative errno (the server's, or -ETIMEDOUT ...). */
typedef void (*rpc_done_fn)(void *arg, int status, const void *resp, size_t len);

/* The calling side; one per endpoint. Guarded by the endpoint's serialization. */
struct rpc_client {
	struct net_endpoint *ep;
	struct net_module mod;
	struct pend_table calls;	/* struct rpc_call (net/rpc.c) by id */
};

int rpc_client_init(struct rpc_client *c, struct net_endpoint *ep);
void rpc_client_fini(struct rpc_client *c);
int rpc_call_start(struct rpc_client *c, uint8_t peer, uint16_t opcode, const void *req,
		   size_t len, uint64_t timeout_ns, rpc_done_fn done, void *arg);
/* Complete every call pending on peer with status now (peer was declared dead). */
void rpc_fail_peer(struct rpc_client *c, uint8_t peer, int status);

/*
 * A request handler: req is exactly len bytes, len within the op's bounds, and not
 * aligned (memcpy into a struct). Write at most resp_max bytes to resp and return
 * their count, or return a negative errno, which reaches the caller as its status.
 */
typedef int (*rpc_handler_fn)(void *ctx, uint8_t peer, const void *req, size_t len,
			      void *resp, size_t resp_max);

/*
 * One opcode's entry: its handler, the request's length bounds (min == max: exact)
 * and the most its response may hold. A monitor's table takes them from the protocol
 * (include/net/protocol.h) with RPC_OP(opcode, handler).
 */
struct rpc_op {
	rpc_handler_fn fn;
	uint32_t min_len;
	uint32_t max_len;
	uint32_t resp_max;
};

#define RPC_OP(op, handler) \
	[op] = { handler, op##_REQ_MIN, op##_REQ_MAX, op##_RESP_MAX }

/* The serving side. ops and ctx are read-only after init; resp belongs to rpc_serve. */
struct rpc_server {
	struct net_endpoint *ep;
	const struct rpc_op *ops;	/* the monitor's table, indexed by enum net_opcode */
	unsigned nops;
	void *ctx;			/* the handlers' first argument */
	uint8_t *resp;			/* NET_MSG_MAX bytes of scratch for rpc_serve */
};

int rpc_server_init(struct rpc_server *s, struct net_endpoint *ep, const struct rpc_op *ops,
		    unsigned nops, void *ctx);
void rpc_server_fini(struct rpc_server *s);
int rpc_check(struct rpc_server *s, uint8_t peer, const struct net_msg_hdr *m, size_t len);
int rpc_handle(const struct rpc_server *s, uint8_t peer, const struct net_msg_hdr *m,
	       const void *req, size_t len, void *resp, size_t resp_max);
int rpc_reply(struct net_endpoint *ep, uint8_t peer, const struct net_msg_hdr *req, int ret,
	      const void *resp);
int rpc_serve(struct rpc_server *s, uint8_t peer, const struct net_msg_hdr *m, const void *req,
	      size_t len);

int rpc_echo(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t resp_max);

#endif
