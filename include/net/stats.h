/*
 * The message layer's counters: one table, kept once per endpoint and once per peer.
 * net/ bumps them; the kernel glue and the host tool print them by name.
 */
#ifndef NET_STATS_H
#define NET_STATS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * X(NAME, "name", drop): drop counters name a reason a frame or message was thrown
 * away or answered with an error; the first of each kind in a second is logged.
 */
#define NET_COUNTERS(X)							\
	X(FRAMES_IN, "frames_in", 0)	/* frames given to net_input */	\
	X(FRAMES_OUT, "frames_out", 0)					\
	X(BYTES_IN, "bytes_in", 0)					\
	X(BYTES_OUT, "bytes_out", 0)					\
	X(XMIT_ERRORS, "xmit_errors", 0)	/* env xmit failed */	\
	X(DATA_IN, "data_in", 0)					\
	X(DATA_OUT, "data_out", 0)	/* first transmissions */	\
	X(RETRANSMITS, "retransmits", 0)				\
	X(TIMEOUTS, "timeouts", 0)	/* retransmission timer fired */	\
	X(ACKS_IN, "acks_in", 0)					\
	X(ACKS_OUT, "acks_out", 0)					\
	X(NAKS_IN, "naks_in", 0)					\
	X(NAKS_OUT, "naks_out", 0)					\
	X(PROBES_OUT, "probes_out", 0)	/* to a peer we think is down */	\
	X(RESETS_IN, "resets_in", 0)					\
	X(RESETS_OUT, "resets_out", 0)					\
	X(ECHOES, "echoes", 0)		/* raw echo requests answered */	\
	X(MSGS_IN, "msgs_in", 0)	/* messages delivered in order */	\
	X(MSGS_OUT, "msgs_out", 0)	/* messages acknowledged */	\
	X(SEND_FAILED, "send_failed", 0)	/* completed with an error */	\
	X(QUEUE_FULL, "queue_full", 0)	/* net_send refused: -ENOMEM */	\
	X(PEER_DOWN, "peer_down", 0)					\
	X(PEER_UP, "peer_up", 0)					\
	X(PEER_RESET, "peer_reset", 0)	/* peer restarted (new epoch) */	\
	X(RESYNC, "resync", 0)		/* receive stream restarted by SYNC */	\
	X(TRUNCATED, "truncated", 1)	/* shorter than the headers */	\
	X(BAD_ETHERTYPE, "bad_ethertype", 1)				\
	X(BAD_LEN, "bad_len", 1)	/* length field vs frame or type */	\
	X(BAD_CRC, "bad_crc", 1)					\
	X(BAD_VERSION, "bad_version", 1)				\
	X(BAD_TYPE, "bad_type", 1)	/* unknown packet type */	\
	X(BAD_HDR, "bad_hdr", 1)	/* flags, tag, reserved bits, zero epoch */ \
	X(UNKNOWN_NODE, "unknown_node", 1)	/* not for us, or from no node in the map */ \
	X(SPOOFED, "spoofed", 1)	/* node id not the one of its source MAC */ \
	X(STALE_EPOCH, "stale_epoch", 1)	/* for an old incarnation of us */	\
	X(OLD_PEER_EPOCH, "old_peer_epoch", 1)	/* from an old peer incarnation */ \
	X(UNPROVEN_EPOCH, "unproven_epoch", 1)	/* a new peer epoch, challenged */ \
	X(BAD_PROOF, "bad_proof", 1)	/* PROOF of no open challenge */	\
	X(CHALLENGES_OUT, "challenges_out", 0)				\
	X(CHALLENGES_IN, "challenges_in", 0)				\
	X(STRAY, "stray", 1)		/* echo reply, outdated RESET */	\
	X(DUP, "dup", 1)		/* duplicate DATA */		\
	X(OUT_OF_WINDOW, "out_of_window", 1)	/* beyond window or reorder buffer */ \
	X(UNSYNCED, "unsynced", 1)	/* DATA before the stream's SYNC */	\
	X(BAD_ACK, "bad_ack", 1)	/* ack outside what we sent */	\
	X(BAD_FRAG, "bad_frag", 1)	/* fragment inconsistent with reassembly */ \
	X(OVERSIZE, "oversize", 1)	/* message longer than NET_MSG_MAX */	\
	X(BAD_KIND, "bad_kind", 1)	/* unknown message kind */	\
	X(NOMEM, "nomem", 1)		/* allocation failed on receive */	\
	X(UNHANDLED, "unhandled", 1)	/* no handler and no deliver */	\
	X(BAD_REQ, "bad_req", 1)	/* malformed READ/WRITE request */	\
	X(BAD_KEY, "bad_key", 1)	/* unknown or deregistered region key */ \
	X(BAD_PERM, "bad_perm", 1)	/* region lacks the permission */	\
	X(OUT_OF_BOUNDS, "out_of_bounds", 1)	/* access outside the region */	\
	X(BAD_RESP, "bad_resp", 1)	/* response malformed for its request */ \
	X(LATE_RESP, "late_resp", 1)	/* response to no pending call or op */	\
	X(OP_TIMEOUTS, "op_timeouts", 0)	/* RPC calls and verbs ops */	\
	X(RPC_SERVED, "rpc_served", 0)					\
	X(BAD_OPCODE, "bad_opcode", 1)	/* RPC opcode with no handler */	\
	X(BAD_RPC_LEN, "bad_rpc_len", 1)	/* RPC request length for its opcode */ \
	X(BAD_MEMB, "bad_memb", 1)	/* membership message malformed or not from gmon */

#define NET_COUNTER_ENUM(name, str, drop) NET_C_##name,
enum net_counter {
	NET_COUNTERS(NET_COUNTER_ENUM)
	NET_C_MAX
};
#undef NET_COUNTER_ENUM

struct net_stats {
	uint64_t c[NET_C_MAX];	/* indexed by enum net_counter */
};

const char *net_counter_name(unsigned c);
bool net_counter_is_drop(unsigned c);

#endif
