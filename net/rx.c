/*
 * The receiving half of a queue pair: puts DATA packets in order (holding a bounded
 * number that arrive early), drops duplicates, reassembles fragments and hands each
 * message exactly once to its module or the environment. Sends the cumulative ACKs
 * (delayed a little so they can ride on DATA) and a NAK, with a SACK map, per gap.
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "internal.h"

static struct net_rxbuf **ooo_slot(struct net_endpoint *ep, struct net_qp *qp, uint32_t psn)
{
	return &qp->ooo[psn & (ep->p.window - 1)];
}

static void asm_drop(struct net_endpoint *ep, struct net_qp *qp)
{
	net_free(ep, qp->asm_buf);
	qp->asm_buf = NULL;
	qp->asm_len = qp->asm_have = 0;
}

/* Free held packets, keeping those within one window after psn when keep is set. */
static void ooo_prune(struct net_endpoint *ep, struct net_qp *qp, bool keep, uint32_t psn)
{
	unsigned i;

	for (i = 0; i < ep->p.window && qp->nooo; i++) {
		struct net_rxbuf *b = qp->ooo[i];
		uint32_t d;

		if (!b)
			continue;
		d = b->psn - psn;
		if (keep && d >= 1 && d < ep->p.window)
			continue;
		qp->ooo[i] = NULL;
		qp->nooo--;
		net_free(ep, b);
	}
}

/* Forget the stream entirely: the peer restarted, or the endpoint is going away. */
void rx_reset(struct net_endpoint *ep, struct net_qp *qp)
{
	ooo_prune(ep, qp, false, 0);
	asm_drop(ep, qp);
	qp->asm_skip = false;
	qp->synced = false;
	qp->ack_pending = false;
	qp->unacked = 0;
	qp->nak_sent = false;
}

void rx_ack_now(struct net_endpoint *ep, struct net_qp *qp)
{
	qp_count(ep, qp, NET_C_ACKS_OUT);
	qp_emit(ep, qp, NET_PKT_ACK, 0, qp->next, NULL, 0);
}

/* Bit i: we hold psn expect + 1 + i. */
static uint64_t rx_sack(struct net_endpoint *ep, struct net_qp *qp)
{
	uint64_t sack = 0;
	unsigned i;

	for (i = 0; i < 64 && i + 1 < ep->p.window; i++) {
		uint32_t psn = qp->expect + 1 + i;
		struct net_rxbuf *b = *ooo_slot(ep, qp, psn);

		if (b && b->psn == psn)
			sack |= 1ull << i;
	}
	return sack;
}

static bool rx_new_gap(const struct net_qp *qp)
{
	return !qp->nak_sent || qp->nak_psn != qp->expect;
}

/* When the gap at expect may be reported (again): at once if new, else after a wait. */
static uint64_t rx_nak_due(struct net_qp *qp)
{
	return rx_new_gap(qp) ? 0 : qp->nak_ns + qp->nak_wait_ns;
}

/*
 * Report the gap at expect, with what we hold after it. The same gap is reported
 * again after a quarter rto, then after twice as long each time, up to rto_max.
 */
static void rx_nak(struct net_endpoint *ep, struct net_qp *qp)
{
	struct net_nak nak;
	uint64_t now = net_now(ep);

	if (now < rx_nak_due(qp))
		return;
	if (rx_new_gap(qp)) {
		qp->gap_ns = now;
		qp->nak_wait_ns = ep->p.rto_ns / 4;
	} else if (qp->nak_wait_ns < ep->p.rto_max_ns / 2) {
		qp->nak_wait_ns *= 2;
	} else {
		qp->nak_wait_ns = ep->p.rto_max_ns;
	}
	nak.sack = rx_sack(ep, qp);
	qp->nak_sent = true;
	qp->nak_psn = qp->expect;
	qp->nak_ns = now;
	qp_count(ep, qp, NET_C_NAKS_OUT);
	qp_emit(ep, qp, NET_PKT_NAK, 0, qp->next, &nak, sizeof(nak));
}

/* A complete message (header, then payload): to its module, or to the environment. */
static void rx_deliver(struct net_endpoint *ep, struct net_qp *qp, const uint8_t *msg)
{
	const struct net_msg_hdr *m = (const struct net_msg_hdr *)msg;
	const uint8_t *payload = msg + sizeof(*m);

	qp_count(ep, qp, NET_C_MSGS_IN);
	if (ep->handlers[m->kind].fn)
		ep->handlers[m->kind].fn(ep->handlers[m->kind].arg, qp->peer, m, payload, m->len);
	else
		net_deliver(ep, qp->peer, m, payload, m->len);
}

/* Reject a message at its first fragment; its other fragments are dropped silently. */
static void rx_reject(struct net_endpoint *ep, struct net_qp *qp, uint16_t flags, unsigned why)
{
	qp_count(ep, qp, why);
	qp->asm_skip = !(flags & NET_F_LAST);
}

/* Whether a FIRST fragment announces an acceptable message; *total: its stream bytes. */
static bool first_ok(const uint8_t *data, uint32_t len, uint16_t flags, uint32_t *total,
		     unsigned *why)
{
	struct net_msg_hdr m;

	*why = NET_C_BAD_FRAG;
	if (len < sizeof(m))
		return false;
	memcpy(&m, data, sizeof(m));
	if (m.kind == 0 || m.kind >= NET_KIND_MAX || m.rsvd != 0) {
		*why = NET_C_BAD_KIND;
		return false;
	}
	if (m.len > NET_MSG_MAX) {
		*why = NET_C_OVERSIZE;
		return false;
	}
	*total = (uint32_t)sizeof(m) + m.len;
	return flags & NET_F_LAST ? len == *total : len < *total;
}

/* A FIRST fragment: check the message header before allocating anything for it. */
static void rx_first(struct net_endpoint *ep, struct net_qp *qp, uint16_t flags,
		     const uint8_t *data, uint32_t len)
{
	uint32_t total = 0;
	unsigned why;

	qp->asm_skip = false;
	if (qp->asm_buf) {
		qp_count(ep, qp, NET_C_BAD_FRAG);
		asm_drop(ep, qp);
	}
	if (!first_ok(data, len, flags, &total, &why)) {
		rx_reject(ep, qp, flags, why);
		return;
	}
	if (flags & NET_F_LAST) {
		rx_deliver(ep, qp, data);
		return;
	}
	qp->asm_buf = net_alloc(ep, total);
	if (!qp->asm_buf) {
		rx_reject(ep, qp, flags, NET_C_NOMEM);
		return;
	}
	memcpy(qp->asm_buf, data, len);
	qp->asm_len = total;
	qp->asm_have = len;
}

/* A later fragment: it must fit the message the FIRST one announced. */
static void rx_more(struct net_endpoint *ep, struct net_qp *qp, uint16_t flags,
		    const uint8_t *data, uint32_t len)
{
	bool last = flags & NET_F_LAST;
	uint8_t *msg;

	if (!qp->asm_buf) {
		if (!qp->asm_skip)
			qp_count(ep, qp, NET_C_BAD_FRAG);
		qp->asm_skip = qp->asm_skip && !last;
		return;
	}
	if (len > qp->asm_len - qp->asm_have ||
	    (last ? qp->asm_have + len != qp->asm_len : qp->asm_have + len == qp->asm_len)) {
		asm_drop(ep, qp);
		rx_reject(ep, qp, flags, NET_C_BAD_FRAG);
		return;
	}
	memcpy(qp->asm_buf + qp->asm_have, data, len);
	qp->asm_have += len;
	if (!last)
		return;
	msg = qp->asm_buf;
	qp->asm_buf = NULL;
	qp->asm_len = qp->asm_have = 0;
	rx_deliver(ep, qp, msg);
	net_free(ep, msg);
}

/* The in-order packet at expect: advance first, so anything sent from a callback acks it. */
static void rx_accept(struct net_endpoint *ep, struct net_qp *qp, uint16_t flags,
		      const uint8_t *data, uint32_t len)
{
	qp->expect++;
	qp->unacked++;
	if (flags & NET_F_FIRST)
		rx_first(ep, qp, flags, data, len);
	else
		rx_more(ep, qp, flags, data, len);
}

/* Deliver held packets that the last one made in order. */
static void rx_drain(struct net_endpoint *ep, struct net_qp *qp)
{
	while (qp->nooo) {
		struct net_rxbuf **slot = ooo_slot(ep, qp, qp->expect);
		struct net_rxbuf *b = *slot;

		if (!b || b->psn != qp->expect)
			break;
		*slot = NULL;
		qp->nooo--;
		rx_accept(ep, qp, b->flags, b->data, b->len);
		net_free(ep, b);
	}
}

/* Hold a packet that arrived before the gap in front of it filled. */
static void rx_hold(struct net_endpoint *ep, struct net_qp *qp, const struct net_pkt_hdr *h,
		    const void *payload)
{
	struct net_rxbuf **slot = ooo_slot(ep, qp, h->psn);
	struct net_rxbuf *b = *slot;

	if (b && b->psn == h->psn) {
		qp_count(ep, qp, NET_C_DUP);
		return;
	}
	if (b || qp->nooo >= ep->p.reorder) {
		qp_count(ep, qp, NET_C_OUT_OF_WINDOW);
		return;
	}
	b = net_alloc(ep, sizeof(*b) + h->len);
	if (!b) {
		qp_count(ep, qp, NET_C_NOMEM);
		return;
	}
	b->psn = h->psn;
	b->len = h->len;
	b->flags = h->flags;
	memcpy(b->data, payload, h->len);
	*slot = b;
	qp->nooo++;
}

/*
 * The sender (re)starts its stream at psn: whatever it had in flight before is
 * abandoned, including a partly reassembled message.
 */
static void rx_resync(struct net_endpoint *ep, struct net_qp *qp, uint32_t psn)
{
	if (qp->synced)
		qp_count(ep, qp, NET_C_RESYNC);
	asm_drop(ep, qp);
	qp->asm_skip = false;
	ooo_prune(ep, qp, true, psn);
	qp->expect = psn;
	qp->synced = true;
	qp->nak_sent = false;
}

/* ACK at once every half of the smaller window, else within ack_delay_ns; NAK a gap. */
static void rx_ack_policy(struct net_endpoint *ep, struct net_qp *qp)
{
	unsigned win = qp->peer_window < ep->p.window ? qp->peer_window : ep->p.window;
	unsigned half = win / 2 ? win / 2 : 1;

	if (qp->unacked >= half || (qp->unacked && ep->p.ack_delay_ns == 0)) {
		rx_ack_now(ep, qp);
	} else if (qp->unacked && !qp->ack_pending) {
		qp->ack_pending = true;
		qp->ack_due_ns = net_now(ep) + ep->p.ack_delay_ns;
	}
	if (qp->nooo)
		rx_nak(ep, qp);
}

/* A DATA packet whose frame, addressing and epochs were checked. */
void rx_data(struct net_endpoint *ep, struct net_qp *qp, const struct net_pkt_hdr *h,
	     const void *payload)
{
	uint32_t d;

	qp->echo = h->tag;
	if ((h->flags & NET_F_SYNC) && (!qp->synced || !psn_before(h->psn, qp->expect)))
		rx_resync(ep, qp, h->psn);
	if (!qp->synced) {
		qp_count(ep, qp, NET_C_UNSYNCED);
		return;
	}
	d = h->psn - qp->expect;
	if (d == 0) {
		rx_accept(ep, qp, h->flags, payload, h->len);
		rx_drain(ep, qp);
		rx_ack_policy(ep, qp);
	} else if ((int32_t)d < 0) {
		qp_count(ep, qp, NET_C_DUP);
		rx_ack_now(ep, qp);
	} else if (d < ep->p.window) {
		rx_hold(ep, qp, h, payload);
		rx_nak(ep, qp);
	} else {
		qp_count(ep, qp, NET_C_OUT_OF_WINDOW);
	}
}

/*
 * The NAK of a gap that persists: when the sender's window is full nothing new
 * arrives to prompt one, and a lost retransmission would otherwise wait for the
 * sender's backed-off timeout. A gap open for dead_ns means the sender is gone:
 * the held packets are freed (a live sender still has them in flight) and the
 * timer stops. Returns the next deadline, 0 if none.
 */
static uint64_t rx_gap_timer(struct net_endpoint *ep, struct net_qp *qp, uint64_t now)
{
	if (!qp->synced || !qp->nooo)
		return 0;
	if (!rx_new_gap(qp) && now - qp->gap_ns >= ep->p.dead_ns) {
		ooo_prune(ep, qp, false, 0);
		return 0;
	}
	if (now >= rx_nak_due(qp))
		rx_nak(ep, qp);
	return rx_nak_due(qp);
}

/* The delayed ACK and the gap's NAK; returns the next deadline, 0 if none. */
uint64_t rx_timer(struct net_endpoint *ep, struct net_qp *qp, uint64_t now)
{
	uint64_t next = rx_gap_timer(ep, qp, now);

	if (!qp->ack_pending)
		return next;
	if (now >= qp->ack_due_ns) {
		rx_ack_now(ep, qp);
		return next;
	}
	return next && next < qp->ack_due_ns ? next : qp->ack_due_ns;
}

int rx_init(struct net_endpoint *ep, struct net_qp *qp)
{
	size_t size = ep->p.window * sizeof(*qp->ooo);

	qp->ooo = net_alloc(ep, size);
	if (!qp->ooo)
		return -ENOMEM;
	memset(qp->ooo, 0, size);
	return 0;
}
