/*
 * The message layer inside a monitor (kernel/msg.c): the NIC, the node's transport
 * endpoint, its network poller thread and RPC workers. Monitor code sees blocking
 * calls; the portable protocol itself lives in net/.
 */
#ifndef KERNEL_MSG_H
#define KERNEL_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/config.h"
#include "kernel/sched.h"
#include "net/rpc.h"

struct monitor;

/*
 * Bring the network up for this node: serve mon's RPC table, tell it of node events.
 * Requests wait in the queue until msg_started(): the role's start hook sets up
 * what its handlers use, and may itself make calls.
 */
int msg_init(const struct node_config *cfg, const struct monitor *mon);
void msg_started(void);

/*
 * Call opcode on peer and wait for the answer: the response length (copied to resp,
 * at most resp_max bytes), or a negative errno (the remote handler's, -ETIMEDOUT
 * after timeout_ns, -EHOSTUNREACH for a peer known to be down). A call cut by the
 * peer's restart (-ECONNRESET) never reached the new incarnation, and is sent to it
 * once more; it may have run on the old one, whose answer was lost.
 */
int msg_rpc(uint8_t peer, uint16_t opcode, const void *req, size_t len, void *resp,
	    size_t resp_max, uint64_t timeout_ns);

/*
 * msg_rpc to a node that may be restarting (gmon): a transport error (-ETIMEDOUT,
 * -ECONNRESET, -EHOSTUNREACH) is tried again, 100 ms apart, until patience_ns has
 * passed since the first try. Only for requests that may run twice.
 */
int msg_rpc_patient(uint8_t peer, uint16_t opcode, const void *req, size_t len, void *resp,
		    size_t resp_max, uint64_t timeout_ns, uint64_t patience_ns);
/* An error of the transport, not of the peer's handler: -ETIMEDOUT, -ECONNRESET, ... */
bool msg_transport_error(int err);
/* Has gmon declared node dead (and not heard it since)? Never, without a gmon. */
bool msg_node_down(uint8_t node);

/* An RPC in flight: msg_rpc split in two, so a caller can overlap it with another. */
struct msg_call {
	struct wait_queue wq;
	volatile bool done;
	int status;
	void *resp;
	size_t resp_max;
};

/*
 * Start the call msg_rpc would make; req and resp must stay until msg_rpc_wait.
 * 0 (then msg_rpc_wait must follow) or -errno (nothing in flight).
 */
int msg_rpc_start(struct msg_call *c, uint8_t peer, uint16_t opcode, const void *req,
		  size_t len, void *resp, size_t resp_max, uint64_t timeout_ns);
/* Wait for a started call: what msg_rpc returns. */
int msg_rpc_wait(struct msg_call *c);

/* One-sided READ of len bytes at offset in peer's region key into buf; waits. */
int msg_read(uint8_t peer, uint32_t key, uint64_t offset, void *buf, uint32_t len);

/* Register [base, base+len) for peers to READ/WRITE (VERBS_READ|VERBS_WRITE). */
int msg_register(void *base, size_t len, unsigned perm, uint32_t *key);

/* A driver-level echo of len payload bytes off peer (benchmarks): 0 or -errno. */
int msg_raw_echo(uint8_t peer, size_t len, uint32_t seq, uint64_t timeout_ns);
/* count one-way messages of len bytes to peer, waiting until every one is acknowledged. */
int msg_stream(uint8_t peer, const void *buf, size_t len, unsigned count);
/* Counters of the whole endpoint (peer < 0) or of one peer. */
void msg_stats(int peer, struct net_stats *out);
unsigned msg_mtu(void);

#endif
