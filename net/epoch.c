/*
 * A peer's incarnations. Every boot of a node has a new epoch, and a packet from
 * an epoch other than the one we know for its sender means either that the sender
 * restarted or that someone forged it. One forged frame must not cut a live peer
 * off (every real packet after it would look like the old incarnation's), so a new
 * epoch is not believed on its word: we send a CHALLENGE with a fresh nonce to the
 * node's MAC, addressed to the epoch it claims, and restart the queue pair only when
 * a PROOF carries the nonce back from that epoch. The fabric delivers a unicast
 * frame only to the port with its MAC and lets no port send from another's
 * (docs/fabric.md), so only the real node, and only if it runs that epoch, can
 * answer. The first epoch heard from a peer is taken on trust; a wrong one is
 * replaced the same way as soon as the real one is heard.
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "internal.h"

/* Build and transmit a packet outside the stream, addressed to the given epoch of peer. */
static void emit_control(struct net_endpoint *ep, struct net_qp *qp, uint32_t dst_epoch,
			 uint8_t type, const void *payload, size_t len)
{
	qp_emit_to(ep, qp, dst_epoch, type, 0, qp->next, payload, len);
}

static bool retired(const struct net_qp *qp, uint32_t epoch)
{
	return epoch == qp->retired[0] || epoch == qp->retired[1];
}

/*
 * The peer is a new incarnation: whatever we had in flight went to the old one, and
 * whatever the old one sent us is void. Both halves start over; the old epoch is
 * retired so a late packet from it cannot flip us back.
 */
static void restart(struct net_endpoint *ep, struct net_qp *qp, uint32_t epoch)
{
	qp->retired[1] = qp->retired[0];
	qp->retired[0] = qp->epoch;
	qp->epoch = epoch;
	qp->claim = 0;
	qp_count(ep, qp, NET_C_PEER_RESET);
	rx_reset(ep, qp);
	tx_fail(ep, qp, -ECONNRESET);
	qp_event(ep, qp, NET_PEER_RESET);
	if (qp->down)
		qp_up(ep, qp);
}

/* splitmix64 of the endpoint's secret and a counter: nonces nobody else can predict. */
static uint64_t new_nonce(struct net_endpoint *ep)
{
	uint64_t z = ep->p.secret + ++ep->nonces * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 1;
}

/*
 * Ask the peer to prove that it runs epoch. One claim is open at a time, and it is
 * asked again at most once per rto: a peer that really restarted keeps sending
 * (retransmissions, RESETs), so its claim is asked until it answers.
 */
static void challenge(struct net_endpoint *ep, struct net_qp *qp, uint32_t epoch)
{
	struct net_challenge c;
	uint64_t now = net_now(ep);

	if (qp->claim && now - qp->claim_ns < ep->p.rto_ns)
		return;
	qp->claim = epoch;
	qp->claim_ns = now;
	qp->nonce = new_nonce(ep);
	c.nonce = qp->nonce;
	qp_count(ep, qp, NET_C_CHALLENGES_OUT);
	emit_control(ep, qp, epoch, NET_PKT_CHALLENGE, &c, sizeof(c));
}

/* Tell a peer that it addressed an old incarnation of ours; at most one per rto. */
static void send_reset(struct net_endpoint *ep, struct net_qp *qp, const struct net_pkt_hdr *h)
{
	struct net_reset r = { .stale_epoch = h->dst_epoch, .psn = h->psn };
	uint64_t now = net_now(ep);

	if (qp->reset_ns && now - qp->reset_ns < ep->p.rto_ns)
		return;
	qp->reset_ns = now ? now : 1;
	qp_count(ep, qp, NET_C_RESETS_OUT);
	emit_control(ep, qp, h->src_epoch, NET_PKT_RESET, &r, sizeof(r));
}

/*
 * A RESET counts only if it answers something we sent to the incarnation we still
 * believe in; one answering a packet from before we learned of the restart is stale.
 * A RESET that counts is still only a claim of a new epoch: it is challenged.
 */
static void input_reset(struct net_endpoint *ep, struct net_qp *qp,
			const struct net_pkt_hdr *h, const void *payload)
{
	struct net_reset r;

	qp_count(ep, qp, NET_C_RESETS_IN);
	memcpy(&r, payload, sizeof(r));
	if (h->dst_epoch != ep->p.epoch || retired(qp, h->src_epoch) ||
	    r.stale_epoch == 0 || r.stale_epoch == h->src_epoch || r.stale_epoch != qp->epoch) {
		qp_count(ep, qp, NET_C_STRAY);
		return;
	}
	challenge(ep, qp, h->src_epoch);
}

/* Answer a CHALLENGE to our own epoch; one to any other was not meant for us. */
static void input_challenge(struct net_endpoint *ep, struct net_qp *qp,
			    const struct net_pkt_hdr *h, const void *payload)
{
	struct net_challenge c;

	qp_count(ep, qp, NET_C_CHALLENGES_IN);
	if (h->dst_epoch != ep->p.epoch) {
		qp_count(ep, qp, NET_C_STRAY);
		return;
	}
	memcpy(&c, payload, sizeof(c));
	emit_control(ep, qp, h->src_epoch, NET_PKT_PROOF, &c, sizeof(c));
}

/* A PROOF of the open claim, to this incarnation of ours, makes the claim true. */
static void input_proof(struct net_endpoint *ep, struct net_qp *qp,
			const struct net_pkt_hdr *h, const void *payload)
{
	struct net_challenge c;

	memcpy(&c, payload, sizeof(c));
	if (!qp->claim || h->src_epoch != qp->claim || h->dst_epoch != ep->p.epoch ||
	    c.nonce != qp->nonce) {
		qp_count(ep, qp, NET_C_BAD_PROOF);
		return;
	}
	restart(ep, qp, h->src_epoch);
}

/*
 * The epoch packets (RESET, CHALLENGE, PROOF) change nothing in the stream; true if
 * h was one of them and has been handled.
 */
bool epoch_control(struct net_endpoint *ep, struct net_qp *qp, const struct net_pkt_hdr *h)
{
	switch (h->type) {
	case NET_PKT_RESET:
		input_reset(ep, qp, h, h + 1);
		return true;
	case NET_PKT_CHALLENGE:
		input_challenge(ep, qp, h, h + 1);
		return true;
	case NET_PKT_PROOF:
		input_proof(ep, qp, h, h + 1);
		return true;
	}
	return false;
}

/*
 * Epoch checks for every stream packet; false: dropped (and counted). A packet for an
 * old incarnation of ours gets a RESET; one from an epoch of the peer's we do not
 * know is dropped and that epoch challenged.
 */
bool epoch_check(struct net_endpoint *ep, struct net_qp *qp, const struct net_pkt_hdr *h)
{
	if (h->dst_epoch != 0 && h->dst_epoch != ep->p.epoch) {
		qp_count(ep, qp, NET_C_STALE_EPOCH);
		send_reset(ep, qp, h);
		return false;
	}
	if (h->src_epoch == qp->epoch)
		return true;
	if (qp->epoch == 0) {
		qp->epoch = h->src_epoch;
		return true;
	}
	if (retired(qp, h->src_epoch)) {
		qp_count(ep, qp, NET_C_OLD_PEER_EPOCH);
		return false;
	}
	qp_count(ep, qp, NET_C_UNPROVEN_EPOCH);
	challenge(ep, qp, h->src_epoch);
	return false;
}
