/*
 * The transport's endpoint: configuration, the cluster map, queue pairs, the receive
 * entry point (addressing; net/epoch.c checks epochs, net/tx.c and net/rx.c do the
 * rest) and the timers. The kernel glue and the host endpoint drive it; see include/net/transport.h.
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "internal.h"

void net_params_default(struct net_params *p)
{
	memset(p, 0, sizeof(*p));
	p->mtu = 9000;
	p->window = 64;
	p->reorder = 64;
	p->rto_ns = 2 * NET_MS;
	p->rto_max_ns = 200 * NET_MS;
	p->dead_ns = 3 * NET_SEC;
	p->ack_delay_ns = NET_MS / 5;
	p->queue_limit = 1024 * 1024;
}

/* The window is a power of two so that psn-indexed rings stay consistent across wrap. */
static bool params_ok(const struct net_params *p)
{
	size_t one_msg = sizeof(struct net_omsg) + sizeof(struct net_msg_hdr) + NET_MSG_MAX;

	return p->epoch != 0 && p->mtu >= NET_MTU_MIN && p->mtu <= NET_MTU_MAX &&
	       p->window >= 1 && p->window <= NET_WINDOW_MAX &&
	       (p->window & (p->window - 1)) == 0 && p->reorder <= p->window &&
	       p->ack_delay_ns < p->rto_ns && p->rto_max_ns >= p->rto_ns &&
	       p->dead_ns > p->rto_ns && p->queue_limit >= one_msg;
}

int net_init(struct net_endpoint *ep, const struct net_params *p, const struct net_env *env)
{
	if (!params_ok(p) || !env->now_ns || !env->xmit || !env->alloc || !env->free)
		return -EINVAL;
	memset(ep, 0, sizeof(*ep));
	ep->env = *env;
	ep->p = *p;
	list_init(&ep->qps);
	list_init(&ep->modules);
	ep->frame = net_alloc(ep, sizeof(struct net_eth_hdr) + p->mtu);
	if (!ep->frame)
		return -ENOMEM;
	ep->next_id = (uint64_t)p->epoch << 32;
	return 0;
}

/* Free everything; no completion callback fires. */
void net_fini(struct net_endpoint *ep)
{
	struct list_head *pos, *tmp;

	list_for_each_safe(pos, tmp, &ep->qps) {
		struct net_qp *qp = list_entry(pos, struct net_qp, link);

		tx_fini(ep, qp);
		rx_reset(ep, qp);
		net_free(ep, qp->ooo);
		net_free(ep, qp);
	}
	list_init(&ep->qps);
	memset(ep->qp, 0, sizeof(ep->qp));
	net_free(ep, ep->frame);
	ep->frame = NULL;
}

/* Enter a node in the cluster map; frames from ids or MACs not in it are dropped. */
int net_add_peer(struct net_endpoint *ep, uint8_t id, const uint8_t mac[6])
{
	if (id == ep->p.node_id)
		return -EINVAL;
	memcpy(ep->macs[id], mac, 6);
	ep->known[id / 8] |= (uint8_t)(1u << (id % 8));
	return 0;
}

bool net_known(const struct net_endpoint *ep, uint8_t id)
{
	return ep->known[id / 8] & (1u << (id % 8));
}

bool net_peer_down(const struct net_endpoint *ep, uint8_t peer)
{
	return ep->qp[peer] && ep->qp[peer]->down;
}

/* Unique per endpoint and, through the epoch in the high half, across its restarts. */
uint64_t net_new_id(struct net_endpoint *ep)
{
	return ++ep->next_id;
}

void net_set_handler(struct net_endpoint *ep, unsigned kind, net_msg_fn fn, void *arg)
{
	if (kind == 0 || kind >= NET_KIND_MAX)
		return;
	ep->handlers[kind].fn = fn;
	ep->handlers[kind].arg = arg;
}

void net_add_module(struct net_endpoint *ep, struct net_module *mod)
{
	list_add_tail(&mod->link, &ep->modules);
}

/* Give a message to the environment (modules use this for what they do not consume). */
void net_deliver(struct net_endpoint *ep, uint8_t peer, const struct net_msg_hdr *m,
		 const void *payload, size_t len)
{
	if (ep->env.deliver)
		ep->env.deliver(ep->env.ctx, peer, m, payload, len);
	else
		net_count(ep, peer, NET_C_UNHANDLED);
}

/* The queue pair for a known peer, created on first use; NULL if out of memory. */
struct net_qp *qp_get(struct net_endpoint *ep, uint8_t peer)
{
	struct net_qp *qp = ep->qp[peer];

	if (qp)
		return qp;
	qp = net_alloc(ep, sizeof(*qp));
	if (!qp)
		return NULL;
	memset(qp, 0, sizeof(*qp));
	qp->peer = peer;
	if (tx_init(ep, qp) < 0)
		goto out_free_qp;
	if (rx_init(ep, qp) < 0)
		goto out_fini_tx;
	list_add_tail(&qp->link, &ep->qps);
	ep->qp[peer] = qp;
	return qp;

out_fini_tx:
	tx_fini(ep, qp);
out_free_qp:
	net_free(ep, qp);
	return NULL;
}

/* RESET, CHALLENGE and PROOF are about incarnations, outside the stream (net/epoch.c). */
static bool in_stream(uint8_t type)
{
	return type != NET_PKT_RESET && type != NET_PKT_CHALLENGE && type != NET_PKT_PROOF;
}

/* Build and transmit one packet to peer, addressed to the given epoch of it. */
void qp_emit_to(struct net_endpoint *ep, struct net_qp *qp, uint32_t dst_epoch, uint8_t type,
		uint16_t flags, uint32_t psn, const void *payload, size_t len)
{
	struct net_pkt_hdr *h = wire_headers(ep->frame, ep->macs[qp->peer], ep->p.mac, type,
					     (uint8_t)flags, ep->p.node_id, qp->peer, (uint16_t)len);
	size_t flen = NET_HDRS + len;

	h->src_epoch = ep->p.epoch;
	h->dst_epoch = dst_epoch;
	h->psn = psn;
	h->window = (uint16_t)ep->p.window;
	if (type == NET_PKT_DATA) {
		qp->tag = qp->tag == 255 ? 1 : qp->tag + 1;
		qp->tag_ns[qp->tag] = net_now(ep);
		h->tag = qp->tag;
	}
	if (in_stream(type)) {
		h->echo = qp->echo;
		qp->echo = 0;
	}
	if (qp->synced && in_stream(type)) {
		h->flags |= NET_F_ACK;
		h->ack = qp->expect;
		qp->ack_pending = false;
		qp->unacked = 0;
	}
	if (len)
		memcpy(h + 1, payload, len);
	wire_seal(ep->frame, ep->env.crc32c);
	qp_count(ep, qp, NET_C_FRAMES_OUT);
	ep->stats.c[NET_C_BYTES_OUT] += flen;
	qp->stats.c[NET_C_BYTES_OUT] += flen;
	if (ep->env.xmit(ep->env.ctx, ep->frame, flen) < 0)
		qp_count(ep, qp, NET_C_XMIT_ERRORS);
}

/*
 * Every stream packet carries our cumulative ack (which this also sends) and the
 * echo of the last DATA tag we received; DATA gets a tag of its own.
 */
void qp_emit(struct net_endpoint *ep, struct net_qp *qp, uint8_t type, uint16_t flags,
	     uint32_t psn, const void *payload, size_t len)
{
	qp_emit_to(ep, qp, qp->epoch, type, flags, psn, payload, len);
}

void qp_event(struct net_endpoint *ep, struct net_qp *qp, enum net_peer_event ev)
{
	struct list_head *pos;

	if (ep->env.peer_event)
		ep->env.peer_event(ep->env.ctx, qp->peer, ev);
	list_for_each(pos, &ep->modules) {
		struct net_module *mod = list_entry(pos, struct net_module, link);

		if (mod->peer_event)
			mod->peer_event(mod->arg, qp->peer, ev);
	}
}

/* No progress on pending data for dead_ns: fail it all and fail new sends fast. */
void qp_down(struct net_endpoint *ep, struct net_qp *qp)
{
	qp->down = true;
	qp->probe_ns = net_now(ep) + ep->p.rto_max_ns;
	qp_count(ep, qp, NET_C_PEER_DOWN);
	tx_fail(ep, qp, -ETIMEDOUT);
	qp_event(ep, qp, NET_PEER_DOWN);
}

void qp_up(struct net_endpoint *ep, struct net_qp *qp)
{
	qp->down = false;
	qp->progress_ns = net_now(ep);
	qp_count(ep, qp, NET_C_PEER_UP);
	qp_event(ep, qp, NET_PEER_UP);
}

/* Answer a raw echo addressed to us from a node in the map. */
static void input_echo(struct net_endpoint *ep, const void *frame, size_t len)
{
	const struct net_eth_hdr *e = frame;
	const struct net_pkt_hdr *h = (const struct net_pkt_hdr *)(e + 1);

	if (h->type != NET_PKT_ECHO_REQ) {
		qp_count(ep, NULL, NET_C_STRAY);
		return;
	}
	if (len > sizeof(struct net_eth_hdr) + ep->p.mtu) {
		qp_count(ep, NULL, NET_C_BAD_LEN);
		return;
	}
	memcpy(ep->frame, frame, len);
	wire_echo_turn(ep->frame, len);
	qp_count(ep, NULL, NET_C_ECHOES);
	qp_count(ep, NULL, NET_C_FRAMES_OUT);
	ep->stats.c[NET_C_BYTES_OUT] += len;
	if (ep->env.xmit(ep->env.ctx, ep->frame, len) < 0)
		qp_count(ep, NULL, NET_C_XMIT_ERRORS);
}

/*
 * Sent by a node in the map, from the MAC the map gives it, to our MAC and id; else
 * the counter that says why not. The fabric lets a port send only from its own MAC,
 * so a node id that is not its source MAC's is forged (spoofed).
 */
static unsigned addressing(struct net_endpoint *ep, const struct net_eth_hdr *e,
			   const struct net_pkt_hdr *h)
{
	if (memcmp(e->dst, ep->p.mac, 6) || h->dst != ep->p.node_id ||
	    h->src == ep->p.node_id || !net_known(ep, h->src))
		return NET_C_UNKNOWN_NODE;
	if (memcmp(e->src, ep->macs[h->src], 6))
		return NET_C_SPOOFED;
	return 0;
}

static void input_packet(struct net_endpoint *ep, struct net_qp *qp,
			 const struct net_pkt_hdr *h, const void *payload)
{
	struct net_nak nak;

	qp->peer_window = h->window;
	if (h->echo)
		tx_echo(ep, qp, h->echo);
	switch (h->type) {
	case NET_PKT_DATA:
		qp_count(ep, qp, NET_C_DATA_IN);
		if (h->flags & NET_F_ACK)
			tx_ack(ep, qp, h->ack);
		rx_data(ep, qp, h, payload);
		break;
	case NET_PKT_ACK:
		qp_count(ep, qp, NET_C_ACKS_IN);
		if (h->flags & NET_F_ACK)
			tx_ack(ep, qp, h->ack);
		if (h->flags & NET_F_PROBE)
			rx_ack_now(ep, qp);
		break;
	case NET_PKT_NAK:
		qp_count(ep, qp, NET_C_NAKS_IN);
		memcpy(&nak, payload, sizeof(nak));
		if (h->flags & NET_F_ACK) {
			tx_ack(ep, qp, h->ack);
			tx_nak(ep, qp, h->ack, nak.sack);
		}
		break;
	}
	tx_pump(ep, qp);
}

/*
 * Every received frame comes here. Nothing in it is trusted until checked: framing
 * and CRC (wire_check), addressing against the cluster map, then epochs; only then
 * do the send and receive halves see it.
 */
void net_input(struct net_endpoint *ep, const void *frame, size_t len)
{
	const struct net_pkt_hdr *h;
	struct net_qp *qp;
	unsigned why;

	qp_count(ep, NULL, NET_C_FRAMES_IN);
	ep->stats.c[NET_C_BYTES_IN] += len;
	if (!wire_check(frame, len, ep->env.crc32c, &why)) {
		qp_count(ep, NULL, why);
		return;
	}
	h = (const struct net_pkt_hdr *)((const uint8_t *)frame + sizeof(struct net_eth_hdr));
	why = addressing(ep, frame, h);
	if (why) {
		qp_count(ep, NULL, why);
		return;
	}
	if (h->type == NET_PKT_ECHO_REQ || h->type == NET_PKT_ECHO_REPLY) {
		input_echo(ep, frame, NET_HDRS + h->len);
		return;
	}
	qp = qp_get(ep, h->src);
	if (!qp) {
		qp_count(ep, NULL, NET_C_NOMEM);
		return;
	}
	qp->stats.c[NET_C_FRAMES_IN]++;
	qp->stats.c[NET_C_BYTES_IN] += len;
	if (epoch_control(ep, qp, h) || !epoch_check(ep, qp, h))
		return;
	if (qp->down)
		qp_up(ep, qp);
	input_packet(ep, qp, h, h + 1);
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

/* A down peer gets an ACK with PROBE every rto_max_ns: if it is back, it answers. */
static uint64_t probe_timer(struct net_endpoint *ep, struct net_qp *qp, uint64_t now)
{
	if (!qp->down)
		return 0;
	if (now >= qp->probe_ns) {
		qp_count(ep, qp, NET_C_PROBES_OUT);
		qp_emit(ep, qp, NET_PKT_ACK, NET_F_PROBE, qp->next, NULL, 0);
		qp->probe_ns = now + ep->p.rto_max_ns;
	}
	return qp->probe_ns;
}

/*
 * Run every timer that is due: retransmissions, delayed ACKs, dead peers, probes, and
 * the modules' own. Returns the next deadline in now_ns() time, 0 if there is none.
 * Call it when that deadline passes and after net_input/net_send.
 */
uint64_t net_poll(struct net_endpoint *ep)
{
	uint64_t now = net_now(ep), next = 0;
	struct list_head *pos;

	list_for_each(pos, &ep->qps) {
		struct net_qp *qp = list_entry(pos, struct net_qp, link);

		next = earliest(next, tx_timer(ep, qp, now));
		next = earliest(next, rx_timer(ep, qp, now));
		next = earliest(next, probe_timer(ep, qp, now));
	}
	list_for_each(pos, &ep->modules) {
		struct net_module *mod = list_entry(pos, struct net_module, link);

		if (mod->poll)
			next = earliest(next, mod->poll(mod->arg, now));
	}
	return next;
}
