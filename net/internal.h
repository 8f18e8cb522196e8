/*
 * Inside the transport: the queue pair and the calls net/transport.c, net/tx.c and
 * net/rx.c make into each other. Nothing outside net/ includes this.
 */
#ifndef NET_INTERNAL_H
#define NET_INTERNAL_H

#include "net/transport.h"

#define NET_MS 1000000ull
#define NET_SEC 1000000000ull

/* An outbound message: its header and payload, copied, as one byte stream. */
struct net_omsg {
	struct list_head link;	/* on qp->sendq, oldest first */
	net_done_fn done;
	void *arg;
	size_t charge;		/* counted against queue_limit */
	uint32_t len;		/* bytes of data[] */
	uint32_t off;		/* bytes of data[] already put in packets */
	uint8_t data[];		/* struct net_msg_hdr, then the payload */
};

/* A DATA packet sent and not yet acknowledged: enough to send it again. */
struct net_txslot {
	struct net_omsg *msg;
	uint32_t off;		/* its bytes in msg->data */
	uint16_t len;
	uint8_t flags;		/* NET_F_FIRST/LAST/SYNC */
	bool sacked;		/* a NAK said the peer holds it */
	uint64_t sent_ns;	/* last (re)transmission */
};

/* An out-of-order DATA packet held until the gap before it fills. */
struct net_rxbuf {
	uint32_t psn;
	uint16_t len;
	uint8_t flags;
	uint8_t data[];
};

/*
 * A reliable connected queue pair with one peer. Created on first use, freed only by
 * net_fini. Guarded, like the endpoint, by the caller's serialization.
 */
struct net_qp {
	struct list_head link;		/* on ep->qps */
	uint8_t peer;
	bool down;			/* declared unreachable; sends fail fast */
	uint32_t epoch;			/* the peer's incarnation; 0 until heard */
	uint32_t retired[2];		/* its previous incarnations, ignored */
	uint64_t reset_ns;		/* last RESET we sent it (one per rto) */
	uint32_t claim;			/* a new epoch it claims, challenged; 0: none */
	uint64_t claim_ns;		/* when we last challenged it */
	uint64_t nonce;			/* the PROOF of claim must carry this back */
	uint64_t probe_ns;		/* while down: next probe */
	struct net_stats stats;

	/* send half, net/tx.c */
	struct list_head sendq;		/* struct net_omsg; the head may be partly acked */
	struct net_omsg *cur;		/* first message with bytes not yet sent, or NULL */
	uint32_t una;			/* oldest unacknowledged psn */
	uint32_t next;			/* psn of the next new DATA packet */
	struct net_txslot *slots;	/* [window] by psn, for una..next-1 */
	bool sync;			/* the next new DATA packet carries NET_F_SYNC */
	uint16_t peer_window;		/* what the peer last advertised */
	uint64_t srtt_ns;		/* smoothed round trip; 0 until the first sample */
	uint64_t rttvar_ns;		/* its mean deviation */
	uint64_t rto_base_ns;		/* srtt + 4 rttvar, within [rto_ns, rto_max_ns] */
	uint64_t rto_cur_ns;		/* rto_base_ns, doubled per timeout since progress */
	uint8_t tag;			/* of the last DATA transmission */
	uint64_t tag_ns[256];		/* when each tag went out; 0 once echoed */
	uint64_t progress_ns;		/* last ack progress, or when sending began */
	size_t queued;			/* sum of sendq charges */

	/* receive half, net/rx.c */
	bool synced;			/* a SYNC was accepted: expect is meaningful */
	uint32_t expect;		/* next in-order psn */
	struct net_rxbuf **ooo;		/* [window] by psn */
	unsigned nooo;
	uint8_t echo;			/* tag of the last DATA received, to echo once */
	bool ack_pending;		/* received data not yet acknowledged */
	unsigned unacked;		/* packets received since the last ACK we sent */
	uint64_t ack_due_ns;
	bool nak_sent;
	uint32_t nak_psn;		/* the gap the last NAK reported, and when */
	uint64_t nak_ns;
	uint64_t nak_wait_ns;		/* before reporting it again; doubles */
	uint64_t gap_ns;		/* when that gap was first reported */
	uint8_t *asm_buf;		/* message being reassembled, or NULL */
	uint32_t asm_len, asm_have;	/* its total and received bytes */
	bool asm_skip;			/* discarding the rest of a rejected message */
};

static inline uint64_t net_now(struct net_endpoint *ep)
{
	return ep->env.now_ns(ep->env.ctx);
}

static inline bool psn_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline void *net_alloc(struct net_endpoint *ep, size_t size)
{
	return ep->env.alloc(ep->env.ctx, size);
}

static inline void net_free(struct net_endpoint *ep, void *p)
{
	if (p)
		ep->env.free(ep->env.ctx, p);
}

/* transport.c */
struct net_qp *qp_get(struct net_endpoint *ep, uint8_t peer);
void qp_down(struct net_endpoint *ep, struct net_qp *qp);
void qp_emit(struct net_endpoint *ep, struct net_qp *qp, uint8_t type, uint16_t flags,
	     uint32_t psn, const void *payload, size_t len);
void qp_emit_to(struct net_endpoint *ep, struct net_qp *qp, uint32_t dst_epoch, uint8_t type,
		uint16_t flags, uint32_t psn, const void *payload, size_t len);
void qp_event(struct net_endpoint *ep, struct net_qp *qp, enum net_peer_event ev);
void qp_up(struct net_endpoint *ep, struct net_qp *qp);
void qp_count(struct net_endpoint *ep, struct net_qp *qp, unsigned counter);

/* epoch.c */
bool epoch_control(struct net_endpoint *ep, struct net_qp *qp, const struct net_pkt_hdr *h);
bool epoch_check(struct net_endpoint *ep, struct net_qp *qp, const struct net_pkt_hdr *h);

/* tx.c */
void tx_pump(struct net_endpoint *ep, struct net_qp *qp);
void tx_ack(struct net_endpoint *ep, struct net_qp *qp, uint32_t ack);
void tx_echo(struct net_endpoint *ep, struct net_qp *qp, uint8_t tag);
void tx_nak(struct net_endpoint *ep, struct net_qp *qp, uint32_t gap, uint64_t sack);
void tx_fail(struct net_endpoint *ep, struct net_qp *qp, int err);
bool tx_busy(const struct net_qp *qp);
uint64_t tx_timer(struct net_endpoint *ep, struct net_qp *qp, uint64_t now);
int tx_init(struct net_endpoint *ep, struct net_qp *qp);
void tx_fini(struct net_endpoint *ep, struct net_qp *qp);

/* rx.c */
void rx_data(struct net_endpoint *ep, struct net_qp *qp, const struct net_pkt_hdr *h,
	     const void *payload);
void rx_ack_now(struct net_endpoint *ep, struct net_qp *qp);
void rx_reset(struct net_endpoint *ep, struct net_qp *qp);
uint64_t rx_timer(struct net_endpoint *ep, struct net_qp *qp, uint64_t now);
int rx_init(struct net_endpoint *ep, struct net_qp *qp);

#endif
