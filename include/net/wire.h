/*
 * The Tessera wire format of the transport, written once: the packet header, every
 * packet type and message kind (with its number) and the packed little-endian structs
 * the transport and verbs carry. The RPC opcodes are in include/net/protocol.h, each
 * service's messages beside the role that serves it. Used by net/, the kernel glue,
 * the host endpoint and tools; docs/protocol.md explains every field.
 */
#ifndef NET_WIRE_H
#define NET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wire structs are used in place: the hosts that speak this format are little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the wire format is little-endian");

#define NET_ETHERTYPE 0x88b5	/* IEEE 802 local experimental */
#define NET_VERSION 1
#define NET_NODES 256		/* node ids are one byte */
#define NET_MSG_MAX 65536	/* largest message payload, after struct net_msg_hdr */
#define NET_MTU_MIN 128		/* MTU: bytes after the Ethernet header */
#define NET_MTU_MAX 9216

/* Ethernet II. The ethertype is big-endian, as Ethernet has it; nothing else is. */
struct net_eth_hdr {
	uint8_t dst[6];
	uint8_t src[6];
	uint8_t type[2];
} __attribute__((packed));
_Static_assert(sizeof(struct net_eth_hdr) == 14, "Ethernet header");

enum net_pkt_type {
	NET_PKT_DATA = 1,	/* a fragment of the reliable message stream */
	NET_PKT_ACK = 2,	/* cumulative ack and window only; no payload */
	NET_PKT_NAK = 3,	/* a gap at .ack; payload struct net_nak */
	NET_PKT_RESET = 4,	/* you addressed an old epoch of mine; struct net_reset */
	NET_PKT_ECHO_REQ = 5,	/* raw driver-level echo, outside the transport */
	NET_PKT_ECHO_REPLY = 6,
	NET_PKT_CHALLENGE = 7,	/* prove you run dst_epoch: send the nonce back; net_challenge */
	NET_PKT_PROOF = 8,	/* the nonce of a CHALLENGE, from the epoch it named */
	NET_PKT_TYPE_MAX
};

/* struct net_pkt_hdr.flags */
#define NET_F_FIRST 0x01	/* DATA: first fragment; payload starts with net_msg_hdr */
#define NET_F_LAST 0x02		/* DATA: last fragment of its message */
#define NET_F_SYNC 0x04		/* DATA: the sender's stream (re)starts at this psn */
#define NET_F_ACK 0x08		/* .ack is valid (the sender's receive side is synced) */
#define NET_F_PROBE 0x10	/* ACK: you look down to me; answer with an ACK now */
#define NET_F_ALL 0x1f

/* Follows the Ethernet header in every Tessera frame. */
struct net_pkt_hdr {
	uint8_t version;	/* NET_VERSION */
	uint8_t type;		/* enum net_pkt_type */
	uint8_t flags;		/* NET_F_* */
	uint8_t tag;		/* DATA: names this transmission (1..255) for RTT samples */
	uint8_t src;		/* sender node id */
	uint8_t dst;		/* receiver node id */
	uint16_t len;		/* payload bytes after this header */
	uint32_t src_epoch;	/* sender's incarnation, never 0 */
	uint32_t dst_epoch;	/* receiver's incarnation as the sender knows it; 0: unknown */
	uint32_t psn;		/* DATA: its sequence number; others: the sender's next psn */
	uint32_t ack;		/* with NET_F_ACK: every psn before this one was received */
	uint16_t window;	/* packets the sender accepts beyond .ack */
	uint8_t echo;		/* the tag of the last DATA received from dst, echoed once; 0 */
	uint8_t rsvd;		/* 0 */
	uint32_t crc;		/* CRC32C of this header (crc 0) and the payload; 0 for echo */
} __attribute__((packed));
_Static_assert(sizeof(struct net_pkt_hdr) == 32, "packet header");

#define NET_HDRS (sizeof(struct net_eth_hdr) + sizeof(struct net_pkt_hdr))

/* NAK payload: which packets after the gap the receiver already holds. */
struct net_nak {
	uint64_t sack;		/* bit i: psn ack + 1 + i is held */
} __attribute__((packed));
_Static_assert(sizeof(struct net_nak) == 8, "nak");

/* RESET payload: what the offending packet said. */
struct net_reset {
	uint32_t stale_epoch;	/* the dst_epoch it carried (an old epoch of ours) */
	uint32_t psn;		/* its psn */
} __attribute__((packed));
_Static_assert(sizeof(struct net_reset) == 8, "reset");

/* CHALLENGE and PROOF payload. */
struct net_challenge {
	uint64_t nonce;		/* unpredictable; the PROOF carries it back unchanged */
} __attribute__((packed));
_Static_assert(sizeof(struct net_challenge) == 8, "challenge");

/* Message kinds: what a message in the reliable stream is. */
enum net_kind {
	NET_RPC_REQ = 1,	/* client -> server: opcode, request */
	NET_RPC_RESP = 2,	/* server -> client: same id, status, response */
	NET_SEND = 3,		/* two-sided send */
	NET_READ_REQ = 4,	/* struct net_read_req */
	NET_READ_RESP = 5,	/* status, then the bytes read */
	NET_WRITE_REQ = 6,	/* struct net_write_req, then the bytes to write */
	NET_WRITE_RESP = 7,	/* status only */
	NET_HEARTBEAT = 8,	/* node -> gmon, no payload */
	NET_NODE_DOWN = 9,	/* gmon -> nodes: struct net_node_change */
	NET_NODE_UP = 10,	/* gmon -> nodes: struct net_node_change */
	NET_KIND_MAX
};

/* Starts every message in the stream (the payload of a FIRST fragment). */
struct net_msg_hdr {
	uint16_t kind;		/* enum net_kind */
	uint16_t opcode;	/* RPC: enum net_opcode */
	uint32_t len;		/* payload bytes after this header, <= NET_MSG_MAX */
	uint64_t id;		/* matches responses to requests */
	int32_t status;		/* responses: 0 or a negative errno */
	uint32_t rsvd;		/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct net_msg_hdr) == 24, "message header");

/* READ_REQ payload. */
struct net_read_req {
	uint32_t key;		/* the region's key */
	uint32_t len;		/* bytes to read, <= NET_MSG_MAX */
	uint64_t offset;	/* from the region's start */
} __attribute__((packed));
_Static_assert(sizeof(struct net_read_req) == 16, "read request");

/* WRITE_REQ payload: this, then len bytes. */
struct net_write_req {
	uint32_t key;
	uint32_t len;		/* bytes that follow; the message length must agree */
	uint64_t offset;
} __attribute__((packed));
_Static_assert(sizeof(struct net_write_req) == 16, "write request");

#define NET_WRITE_MAX (NET_MSG_MAX - sizeof(struct net_write_req))

/* NODE_DOWN / NODE_UP payload: the change and gmon's whole view after it. */
struct net_node_change {
	uint8_t node;		/* who went down or came up */
	uint8_t up;		/* 1 for NODE_UP, 0 for NODE_DOWN */
	uint8_t rsvd[6];	/* 0 */
	uint8_t alive[NET_NODES / 8];	/* bit n: node n is alive */
} __attribute__((packed));
_Static_assert(sizeof(struct net_node_change) == 40, "node change");

/* CRC32C (Castagnoli), chainable: crc32c(crc32c(0, a), b) == crc32c(0, a || b). */
typedef uint32_t (*net_crc_fn)(uint32_t crc, const void *p, size_t n);
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

struct net_pkt_hdr *wire_headers(void *frame, const uint8_t dst_mac[6], const uint8_t src_mac[6],
				 uint8_t type, uint8_t flags, uint8_t src, uint8_t dst, uint16_t len);
void wire_seal(void *frame, net_crc_fn crc);
bool wire_check(const void *frame, size_t len, net_crc_fn crc, unsigned *why);

size_t wire_echo_build(void *frame, size_t size, const uint8_t dst_mac[6],
		       const uint8_t src_mac[6], uint8_t src, uint8_t dst, uint32_t seq,
		       size_t len);
bool wire_echo_turn(void *frame, size_t len);

#endif
