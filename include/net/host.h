/*
 * The host endpoint: the portable transport (net/) on Linux, joined to a running
 * cluster's fabric as a node of its own (a "host" entry of the cluster map). The
 * tool in net/host/tool.c and the benchmarks use it; calls block by running the
 * endpoint's event loop until their answer arrives. The same loop serves requests
 * monitors send the host (P2H_*), through a table the tool installs with host_serve.
 */
#ifndef NET_HOST_H
#define NET_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "net/rpc.h"
#include "net/transport.h"
#include "net/verbs.h"

struct host_peer {
	uint8_t id;
	char name[16];
	char role[8];
	uint8_t mac[6];
};

struct host_ep {
	int fd;				/* unix datagram socket to our fabric port */
	int lock_fd;			/* flock on the slot: one tool per host entry */
	char fabric_sock[108];		/* where frames go */
	struct host_peer peers[256];	/* the cluster map, from a node's .cfg */
	unsigned npeers;
	const struct host_peer *self;
	FILE *log;			/* the transport's log lines: stderr unless redirected */
	struct net_endpoint ep;
	struct rpc_client rpc;
	struct rpc_server server;	/* echo only until host_serve */
	unsigned replies;		/* answers sent and not yet acknowledged */
	volatile int flushed;		/* replies reached 0: host_flush's flag */
	struct verbs verbs;
};

/* Join the cluster whose run directory is run_dir, as host entry `as` (NULL: any free one). */
int host_open(struct host_ep *h, const char *run_dir, const char *as);
void host_close(struct host_ep *h);
/* Send the transport's log lines to <run_dir>/<host name>.log instead of stderr. */
int host_log_to_run_dir(struct host_ep *h, const char *run_dir);
/* Run the event loop until *done or timeout_ns passes (-ETIMEDOUT). */
int host_wait(struct host_ep *h, volatile int *done, uint64_t timeout_ns);
/* The same, also returning 1 as soon as fd (if >= 0) is readable or closed. */
int host_wait_fd(struct host_ep *h, volatile int *done, int fd, uint64_t timeout_ns);
/*
 * Serve ops (indexed by opcode; ANY_ECHO built in) with ctx as the handlers' first
 * argument. Handlers run inside host_wait, one at a time, on the tool's thread.
 */
int host_serve(struct host_ep *h, const struct rpc_op *ops, unsigned nops, void *ctx);
/* Run the event loop until every answer we sent is acknowledged (before exiting). */
int host_flush(struct host_ep *h, uint64_t timeout_ns);
const struct host_peer *host_peer(const struct host_ep *h, const char *name);
uint64_t host_now(void);

/* A blocking RPC: the response length copied to resp, or a negative errno. */
int host_rpc(struct host_ep *h, uint8_t peer, uint16_t opcode, const void *req, size_t len,
	     void *resp, size_t resp_max, uint64_t timeout_ns);
/* A blocking one-sided READ; returns bytes read or a negative errno. */
int host_read(struct host_ep *h, uint8_t peer, uint32_t key, uint64_t offset, void *buf,
	      uint32_t len, uint64_t timeout_ns);
/* Send one raw frame to the fabric, bypassing the transport (for malformed input). */
int host_xmit_raw(struct host_ep *h, const void *frame, size_t len);

#endif
