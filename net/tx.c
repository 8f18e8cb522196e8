/*
 * The sending half of a queue pair: net_send queues a copy of each message, the pump
 * cuts messages into DATA packets as the windows allow, ACKs retire packets and
 * complete messages, NAKs and the retransmission timer send packets again, and a peer
 * that makes no progress for dead_ns gets everything pending failed.
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "internal.h"

static struct net_txslot *slot(struct net_endpoint *ep, struct net_qp *qp, uint32_t psn)
{
	return &qp->slots[psn & (ep->p.window - 1)];
}

/* Packets we may have in flight: ours and the peer's window, at least one. */
static unsigned tx_window(struct net_endpoint *ep, struct net_qp *qp)
{
	unsigned w = qp->peer_window ? qp->peer_window : 1;

	return w < ep->p.window ? w : ep->p.window;
}

bool tx_busy(const struct net_qp *qp)
{
	return qp->una != qp->next || qp->cur;
}

static void tx_send_slot(struct net_endpoint *ep, struct net_qp *qp, uint32_t psn)
{
	struct net_txslot *s = slot(ep, qp, psn);

	s->sent_ns = net_now(ep);
	qp_emit(ep, qp, NET_PKT_DATA, s->flags, psn, s->msg->data + s->off, s->len);
}

static void tx_resend(struct net_endpoint *ep, struct net_qp *qp, uint32_t psn)
{
	qp_count(ep, qp, NET_C_RETRANSMITS);
	tx_send_slot(ep, qp, psn);
}

/* Complete and free every message on list, oldest first. */
static void tx_complete(struct net_endpoint *ep, struct net_qp *qp, struct list_head *list,
			int err)
{
	while (!list_empty(list)) {
		struct net_omsg *msg = list_first_entry(list, struct net_omsg, link);

		list_del(&msg->link);
		qp_count(ep, qp, err ? NET_C_SEND_FAILED : NET_C_MSGS_OUT);
		if (msg->done)
			msg->done(msg->arg, (const struct net_msg_hdr *)msg->data, err);
		net_free(ep, msg);
	}
}

/* Cut queued messages into new DATA packets while the window has room. */
void tx_pump(struct net_endpoint *ep, struct net_qp *qp)
{
	unsigned win = tx_window(ep, qp);
	uint32_t room = ep->p.mtu - sizeof(struct net_pkt_hdr);

	while (qp->cur && qp->next - qp->una < win) {
		struct net_omsg *msg = qp->cur;
		struct net_txslot *s = slot(ep, qp, qp->next);
		uint32_t chunk = msg->len - msg->off;

		if (chunk > room)
			chunk = room;
		s->msg = msg;
		s->off = msg->off;
		s->len = (uint16_t)chunk;
		s->sacked = false;
		s->flags = (msg->off == 0 ? NET_F_FIRST : 0) |
			   (msg->off + chunk == msg->len ? NET_F_LAST : 0) |
			   (qp->sync ? NET_F_SYNC : 0);
		qp->sync = false;
		msg->off += chunk;
		if (msg->off == msg->len)
			qp->cur = msg->link.next == &qp->sendq ? NULL :
				list_entry(msg->link.next, struct net_omsg, link);
		qp_count(ep, qp, NET_C_DATA_OUT);
		tx_send_slot(ep, qp, qp->next++);
	}
}

/*
 * Queue a copy of one message (m's kind, opcode, id and status; len is taken from
 * the argument) for peer and start sending it. done, if given, runs exactly once:
 * 0 when every fragment is acknowledged, or -ETIMEDOUT (peer down), -ECONNRESET (peer
 * restarted). Never calls done before returning. Fails with -EHOSTUNREACH (not in the
 * map, or down), -EMSGSIZE, -EINVAL (kind, or peer is us), -ENOMEM (queue_limit).
 */
int net_send(struct net_endpoint *ep, uint8_t peer, const struct net_msg_hdr *m,
	     const void *payload, size_t len, net_done_fn done, void *arg)
{
	struct net_msg_hdr h = *m;
	struct net_omsg *msg;
	struct net_qp *qp;
	size_t charge = sizeof(*msg) + sizeof(h) + len;

	if (peer == ep->p.node_id || h.kind == 0 || h.kind >= NET_KIND_MAX)
		return -EINVAL;
	if (len > NET_MSG_MAX)
		return -EMSGSIZE;
	if (!net_known(ep, peer))
		return -EHOSTUNREACH;
	qp = qp_get(ep, peer);
	if (!qp)
		return -ENOMEM;
	if (qp->down)
		return -EHOSTUNREACH;
	if (qp->queued + charge > ep->p.queue_limit) {
		qp_count(ep, qp, NET_C_QUEUE_FULL);
		return -ENOMEM;
	}
	msg = net_alloc(ep, charge);
	if (!msg)
		return -ENOMEM;
	h.len = (uint32_t)len;
	h.rsvd = 0;
	msg->done = done;
	msg->arg = arg;
	msg->charge = charge;
	msg->len = (uint32_t)(sizeof(h) + len);
	msg->off = 0;
	memcpy(msg->data, &h, sizeof(h));
	if (len)
		memcpy(msg->data + sizeof(h), payload, len);
	if (!tx_busy(qp))
		qp->progress_ns = net_now(ep);
	list_add_tail(&msg->link, &qp->sendq);
	if (!qp->cur)
		qp->cur = msg;
	qp->queued += charge;
	tx_pump(ep, qp);
	return 0;
}

/*
 * After ack progress, packets still in flight that went out more than one timeout
 * ago are presumed lost (typically the rest of a window after an outage, whose first
 * packet the timer just got through): send them again now, not one per timeout.
 */
static void tx_resend_stale(struct net_endpoint *ep, struct net_qp *qp, uint64_t now)
{
	uint32_t psn;

	for (psn = qp->una; psn != qp->next; psn++) {
		struct net_txslot *s = slot(ep, qp, psn);

		if (!s->sacked && now - s->sent_ns >= qp->rto_cur_ns)
			tx_resend(ep, qp, psn);
	}
}

/*
 * A round-trip sample (RFC 6298 in integer arithmetic, plus the peer's ACK delay,
 * which samples from immediate ACKs do not show): the timeout follows the path, so a
 * slow or loaded peer does not get every packet twice, but it never drops below the
 * configured rto_ns or rises above rto_max_ns.
 */
static void tx_rtt(struct net_endpoint *ep, struct net_qp *qp, uint64_t sample)
{
	uint64_t rto, dev;

	if (!qp->srtt_ns) {
		qp->srtt_ns = sample ? sample : 1;
		qp->rttvar_ns = sample / 2;
	} else {
		dev = qp->srtt_ns > sample ? qp->srtt_ns - sample : sample - qp->srtt_ns;
		qp->rttvar_ns = (3 * qp->rttvar_ns + dev) / 4;
		qp->srtt_ns = (7 * qp->srtt_ns + sample) / 8;
	}
	rto = qp->srtt_ns + 4 * qp->rttvar_ns + ep->p.ack_delay_ns;
	if (rto < ep->p.rto_ns)
		rto = ep->p.rto_ns;
	if (rto > ep->p.rto_max_ns)
		rto = ep->p.rto_max_ns;
	qp->rto_base_ns = rto;
}

/*
 * The peer echoed the tag of one of our DATA transmissions: that transmission's
 * round trip, unambiguous even for retransmissions (unlike Karn's rule, which
 * starves when the timeout is shorter than the path). Each tag counts once.
 */
void tx_echo(struct net_endpoint *ep, struct net_qp *qp, uint8_t tag)
{
	uint64_t sent = qp->tag_ns[tag];

	if (!sent)
		return;
	qp->tag_ns[tag] = 0;
	tx_rtt(ep, qp, net_now(ep) - sent);
	qp->rto_cur_ns = qp->rto_base_ns;
}

/* The peer has every psn before ack: retire those packets, complete their messages. */
void tx_ack(struct net_endpoint *ep, struct net_qp *qp, uint32_t ack)
{
	struct list_head done;
	uint64_t now = net_now(ep);

	if (psn_before(qp->next, ack)) {
		qp_count(ep, qp, NET_C_BAD_ACK);
		return;
	}
	if (!psn_before(qp->una, ack))
		return;		/* nothing new: a late or duplicated ack */
	list_init(&done);
	while (qp->una != ack) {
		struct net_txslot *s = slot(ep, qp, qp->una);

		if (s->flags & NET_F_LAST) {
			list_del(&s->msg->link);
			qp->queued -= s->msg->charge;
			list_add_tail(&s->msg->link, &done);
		}
		s->msg = NULL;
		qp->una++;
	}
	qp->rto_cur_ns = qp->rto_base_ns;
	qp->progress_ns = now;
	tx_resend_stale(ep, qp, now);
	tx_complete(ep, qp, &done, 0);
}

/*
 * Resend psn unless it went out less than a round trip ago (or a quarter rto before
 * there is a sample): the NAK then crossed the retransmission it asks for.
 */
static void tx_resend_nak(struct net_endpoint *ep, struct net_qp *qp, uint32_t psn,
			  uint64_t now)
{
	uint64_t guard = qp->srtt_ns ? qp->srtt_ns : ep->p.rto_ns / 4;

	if (now - slot(ep, qp, psn)->sent_ns >= guard)
		tx_resend(ep, qp, psn);
}

/*
 * The peer lacks gap (our una) and holds what sack marks after it: resend the gap
 * and every hole below the highest packet it holds.
 */
void tx_nak(struct net_endpoint *ep, struct net_qp *qp, uint32_t gap, uint64_t sack)
{
	uint64_t now = net_now(ep);
	unsigned i;

	if (gap != qp->una || qp->una == qp->next)
		return;
	tx_resend_nak(ep, qp, gap, now);
	for (i = 0; i < 64 && (sack >> i); i++) {
		uint32_t psn = gap + 1 + i;

		if (!psn_before(psn, qp->next))
			break;
		if (sack & (1ull << i))
			slot(ep, qp, psn)->sacked = true;
		else
			tx_resend_nak(ep, qp, psn, now);
	}
}

/*
 * Drop everything queued and in flight, completing each message with err, and make
 * the next DATA packet restart the stream (SYNC) at a fresh psn.
 */
void tx_fail(struct net_endpoint *ep, struct net_qp *qp, int err)
{
	struct list_head dead;
	uint32_t psn;

	list_init(&dead);
	while (!list_empty(&qp->sendq)) {
		struct list_head *first = qp->sendq.next;

		list_del(first);
		list_add_tail(first, &dead);
	}
	for (psn = qp->una; psn != qp->next; psn++)
		slot(ep, qp, psn)->msg = NULL;
	qp->una = qp->next;
	qp->cur = NULL;
	qp->queued = 0;
	qp->sync = true;
	qp->rto_cur_ns = qp->rto_base_ns;
	tx_complete(ep, qp, &dead, err);
}

/*
 * The retransmission timer (the oldest unacked packet, with exponential backoff from
 * the estimated rto) and the dead-peer deadline. Returns the next deadline, 0 if none.
 */
uint64_t tx_timer(struct net_endpoint *ep, struct net_qp *qp, uint64_t now)
{
	uint64_t dead, due;
	struct net_txslot *s;

	if (!tx_busy(qp))
		return 0;
	dead = qp->progress_ns + ep->p.dead_ns;
	if (now >= dead) {
		qp_down(ep, qp);
		return 0;
	}
	if (qp->una == qp->next)
		return dead;
	s = slot(ep, qp, qp->una);
	due = s->sent_ns + qp->rto_cur_ns;
	if (now >= due) {
		qp_count(ep, qp, NET_C_TIMEOUTS);
		tx_resend(ep, qp, qp->una);
		qp->rto_cur_ns = qp->rto_cur_ns * 2 < ep->p.rto_max_ns ? qp->rto_cur_ns * 2 :
			ep->p.rto_max_ns;
		due = now + qp->rto_cur_ns;
	}
	return due < dead ? due : dead;
}

int tx_init(struct net_endpoint *ep, struct net_qp *qp)
{
	size_t size = ep->p.window * sizeof(*qp->slots);

	qp->slots = net_alloc(ep, size);
	if (!qp->slots)
		return -ENOMEM;
	memset(qp->slots, 0, size);
	list_init(&qp->sendq);
	/* A start that differs per incarnation and peer keeps old packets out of the window. */
	qp->una = qp->next = ep->p.epoch * 2654435761u + qp->peer * 40503u;
	qp->sync = true;
	qp->peer_window = (uint16_t)ep->p.window;
	qp->rto_base_ns = qp->rto_cur_ns = ep->p.rto_ns;
	return 0;
}

/* Free the send half without completing anything (net_fini). */
void tx_fini(struct net_endpoint *ep, struct net_qp *qp)
{
	while (!list_empty(&qp->sendq)) {
		struct net_omsg *msg = list_first_entry(&qp->sendq, struct net_omsg, link);

		list_del(&msg->link);
		net_free(ep, msg);
	}
	net_free(ep, qp->slots);
	qp->slots = NULL;
}
