/*
 * Verbs-style access over the transport: memory regions registered under a key,
 * one-sided READ and WRITE of a peer's region (served inside the peer's net_input,
 * no upcall), two-sided SEND with posted receives, and completion queues. Used by the
 * kernel glue and the host tool; see docs/protocol.md for the semantics.
 */
#ifndef NET_VERBS_H
#define NET_VERBS_H

#include <stddef.h>
#include <stdint.h>
#include "net/pending.h"
#include "net/transport.h"

#define VERBS_READ 0x1		/* region permissions: peers may READ it */
#define VERBS_WRITE 0x2		/* ... may WRITE it */
#define VERBS_MAX_REGIONS 65536

enum verbs_opcode {
	VERBS_OP_READ = 1,	/* remote region -> buf */
	VERBS_OP_WRITE,		/* buf -> remote region */
	VERBS_OP_SEND,		/* buf -> the peer's posted receive, or its deliver() */
	VERBS_OP_RECV,		/* a SEND from any peer -> buf */
};

/* A work request: what to post. */
struct verbs_wr {
	uint64_t wr_id;		/* returned in the completion */
	uint8_t peer;		/* READ/WRITE/SEND: the remote node */
	uint32_t key;		/* READ/WRITE: the remote region's key */
	uint64_t offset;	/* READ/WRITE: in the remote region */
	void *buf;		/* READ/RECV: kept until completion; WRITE/SEND: copied at post */
	uint32_t len;		/* READ: <= NET_MSG_MAX; WRITE: <= NET_WRITE_MAX */
};

/* A work completion. */
struct verbs_wc {
	uint64_t wr_id;
	int32_t status;		/* 0 or a negative errno (the responder's, or local) */
	uint32_t bytes;		/* transferred */
	uint8_t op;		/* enum verbs_opcode */
	uint8_t peer;		/* RECV: the sender */
};

/* A completion ring; room is reserved at post time, so it never overflows. */
struct verbs_cq {
	struct net_endpoint *ep;
	struct verbs_wc *ring;		/* [depth] */
	unsigned depth;
	unsigned head;			/* oldest completion */
	unsigned count;			/* completions waiting */
	unsigned reserved;		/* posted work that will complete here */
	void (*notify)(void *arg);	/* a completion arrived (wake a waiter); optional */
	void *arg;
};

struct verbs_mr {
	uint8_t *base;
	size_t len;
	uint32_t key;			/* 0: free entry */
	unsigned perm;			/* VERBS_READ | VERBS_WRITE */
};

/* One per endpoint; guarded by the endpoint's serialization. */
struct verbs {
	struct net_endpoint *ep;
	struct net_module mod;
	struct verbs_mr *mrs;		/* [nmrs]; a key's low bits index it */
	unsigned nmrs;
	unsigned index_bits;
	uint32_t rand;			/* key generator */
	uint64_t timeout_ns;		/* READ/WRITE unanswered this long fail; 0: never */
	struct pend_table ops;		/* posted READ/WRITE/SEND (net/verbs.c) */
	struct list_head recvq;		/* posted receives, oldest first */
};

int verbs_init(struct verbs *v, struct net_endpoint *ep, unsigned max_regions,
	       uint64_t timeout_ns);
void verbs_fini(struct verbs *v);
int verbs_reg_mr(struct verbs *v, void *base, size_t len, unsigned perm, uint32_t *key);
int verbs_dereg_mr(struct verbs *v, uint32_t key);
int verbs_post(struct verbs *v, struct verbs_cq *cq, enum verbs_opcode op,
	       const struct verbs_wr *wr);

int verbs_cq_init(struct verbs_cq *cq, struct net_endpoint *ep, unsigned depth,
		  void (*notify)(void *arg), void *arg);
void verbs_cq_fini(struct verbs_cq *cq);
unsigned verbs_cq_poll(struct verbs_cq *cq, struct verbs_wc *wc, unsigned max);

#endif
