/*
 * The fuzzing harness for net_input (tests/fuzz/): one endpoint with peers, a
 * registered region, an RPC client and server, verbs and membership, set up in a
 * scenario the input chooses; frames are fed raw or with fields fixed up so that
 * mutations reach deep states. Shared by the libFuzzer target and the corpus tool.
 */
#ifndef TESTS_FUZZ_FUZZ_NET_H
#define TESTS_FUZZ_FUZZ_NET_H

#include <stddef.h>
#include <stdint.h>
#include "net/membership.h"
#include "net/rpc.h"
#include "net/transport.h"
#include "net/verbs.h"

#define FUZZ_SELF 1
#define FUZZ_EPOCH 0xa1a1a1a1u
#define FUZZ_REGION 4096
#define FUZZ_READ_LEN 100
#define FUZZ_RECV_LEN 32

/* Scenario byte: the first byte of every input. */
#define FUZZ_S_GMON 0x01	/* we are gmon (else node 2 is) */
#define FUZZ_S_SMALL_MTU 0x02	/* MTU 256 (else 9000) */
#define FUZZ_S_RX_STATE 0x04	/* node 2's stream synced, a message half reassembled */
#define FUZZ_S_TX_STATE 0x08	/* sends, an RPC call and verbs ops pending to node 2 */

/* Record control byte: which fix-ups apply before net_input, then time passes. */
#define FUZZ_C_ADDR 0x01	/* MACs, node ids (from node 2, or 3 with FUZZ_C_NODE3) */
#define FUZZ_C_EPOCH 0x02	/* the sender's epoch; dst_epoch ours or 0 */
#define FUZZ_C_SEQ 0x04		/* psn and ack within 127 of node 2's stream and ours */
#define FUZZ_C_LEN 0x08		/* length field = the bytes after the headers */
#define FUZZ_C_CRC 0x10		/* a correct CRC (last) */
#define FUZZ_C_NODE3 0x20
#define FUZZ_C_ALL 0x1f
#define FUZZ_C_TIME_SHIFT 6	/* bits 6-7: 0, 100 us, 5 ms or 1 s pass, then net_poll */

struct fuzz {
	uint64_t now;
	long allocs;
	struct net_endpoint ep;
	struct rpc_client cl;
	struct rpc_server srv;
	struct verbs v;
	struct verbs_cq cq;
	struct membership memb;
	uint8_t *region;		/* FUZZ_REGION bytes, registered READ|WRITE */
	uint8_t *readbuf;		/* FUZZ_READ_LEN bytes, a pending READ's target */
	uint8_t *recvbuf;		/* FUZZ_RECV_LEN bytes, a posted receive */
	uint32_t key;
	uint32_t ro_key;		/* the first FUZZ_REGION / 2 bytes again, READ only */
	uint32_t rx_base;		/* node 2's stream: SYNC psn */
	uint32_t rx_next;		/* node 2's next psn after the scenario's frames */
	uint32_t tx_next;		/* our next psn to node 2 */
	uint64_t call_id, read_id;	/* ids of the pending RPC call and READ */
};

uint32_t fuzz_epoch(uint8_t node);
void fuzz_setup(struct fuzz *f, uint8_t scenario);
void fuzz_frame(struct fuzz *f, uint8_t ctl, const uint8_t *data, size_t len);
void fuzz_teardown(struct fuzz *f);
size_t fuzz_build(uint8_t *buf, uint8_t src, uint8_t type, uint16_t flags, uint32_t psn,
		  uint32_t ack, const void *payload, size_t len);
size_t fuzz_msg(uint8_t *buf, uint16_t kind, uint16_t opcode, uint64_t id, int32_t status,
		const void *payload, uint32_t len);

#endif
