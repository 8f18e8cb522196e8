/*
 * Membership state machines (include/net/membership.h). A node: heartbeat to gmon on
 * a timer, apply gmon's views. gmon: last-heard time per node, dead after the timeout,
 * alive again on the next heartbeat, each change broadcast with the whole view.
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "net/membership.h"

static bool bit(const uint8_t *map, uint8_t n)
{
	return map[n / 8] & (1u << (n % 8));
}

static void set_bit(uint8_t *map, uint8_t n, bool on)
{
	if (on)
		map[n / 8] |= (uint8_t)(1u << (n % 8));
	else
		map[n / 8] &= (uint8_t)~(1u << (n % 8));
}

bool memb_alive(const struct membership *m, uint8_t node)
{
	return bit(m->alive, node);
}

/* A node gmon tracks: in the map and, if the caller named members, one of them. */
static bool member(const struct membership *m, unsigned n)
{
	return n != m->ep->p.node_id && net_known(m->ep, (uint8_t)n) &&
	       (m->all_members || bit(m->p.members, (uint8_t)n));
}

static uint64_t now_ns(struct membership *m)
{
	return m->ep->env.now_ns(m->ep->env.ctx);
}

static void view_set(struct membership *m, uint8_t node, bool up)
{
	set_bit(m->alive, node, up);
	if (m->changed)
		m->changed(m->arg, node, up);
}

static void send_view(struct membership *m, uint8_t to, uint8_t node, bool up)
{
	struct net_msg_hdr h = { .kind = up ? NET_NODE_UP : NET_NODE_DOWN };
	struct net_node_change c = { .node = node, .up = up };

	memcpy(c.alive, m->alive, sizeof(c.alive));
	net_send(m->ep, to, &h, &c, sizeof(c), NULL, NULL);
}

/* gmon: tell every live node (the subject too, when it came up) about node. */
static void broadcast(struct membership *m, uint8_t node, bool up)
{
	unsigned n;

	for (n = 0; n < NET_NODES; n++)
		if (member(m, n) && bit(m->alive, n))
			send_view(m, n, node, up);
}

/* gmon: a heartbeat. A dead node is alive again; a node new to us gets our view. */
static void take_heartbeat(void *arg, uint8_t peer, const struct net_msg_hdr *h,
			   const void *payload, size_t len)
{
	struct membership *m = arg;

	(void)h;
	(void)payload;
	if (!m->is_gmon || len != 0 || !member(m, peer)) {
		net_count(m->ep, peer, NET_C_BAD_MEMB);
		return;
	}
	m->heard_ns[peer] = now_ns(m);
	if (!bit(m->alive, peer)) {
		view_set(m, peer, true);
		set_bit(m->welcomed, peer, true);
		broadcast(m, peer, true);
	} else if (!bit(m->welcomed, peer)) {
		set_bit(m->welcomed, peer, true);
		send_view(m, peer, peer, true);
	}
}

/* A node: gmon's view after a change. Only gmon may send it, in exactly this shape. */
static void take_view(void *arg, uint8_t peer, const struct net_msg_hdr *h,
		      const void *payload, size_t len)
{
	struct membership *m = arg;
	struct net_node_change c;
	static const uint8_t zero[sizeof(c.rsvd)];
	unsigned n;

	if (m->is_gmon || peer != m->p.gmon || len != sizeof(c)) {
		net_count(m->ep, peer, NET_C_BAD_MEMB);
		return;
	}
	memcpy(&c, payload, sizeof(c));
	if (c.up != (h->kind == NET_NODE_UP) || memcmp(c.rsvd, zero, sizeof(zero)) != 0) {
		net_count(m->ep, peer, NET_C_BAD_MEMB);
		return;
	}
	for (n = 0; n < NET_NODES; n++)
		if (member(m, n) && bit(c.alive, n) != bit(m->alive, n))
			view_set(m, n, bit(c.alive, n));
}

/* gmon: declare the silent dead; returns the next deadline. */
static uint64_t gmon_poll(struct membership *m, uint64_t now)
{
	uint64_t next = 0;
	unsigned n;

	for (n = 0; n < NET_NODES; n++) {
		uint64_t due = m->heard_ns[n] + m->p.hb_timeout_ns;

		if (!member(m, n) || !bit(m->alive, n))
			continue;
		if (now >= due) {
			view_set(m, n, false);
			broadcast(m, n, false);
			continue;
		}
		if (!next || due < next)
			next = due;
	}
	return next;
}

static uint64_t memb_poll(void *arg, uint64_t now)
{
	struct membership *m = arg;
	struct net_msg_hdr h = { .kind = NET_HEARTBEAT };

	if (m->is_gmon)
		return gmon_poll(m, now);
	if (now >= m->next_hb_ns) {
		net_send(m->ep, m->p.gmon, &h, NULL, 0, NULL, NULL);
		m->next_hb_ns = now + m->p.hb_interval_ns;
	}
	return m->next_hb_ns;
}

/* gmon: a restarted node has an empty view; send it ours with its next heartbeat. */
static void memb_peer_event(void *arg, uint8_t peer, enum net_peer_event ev)
{
	struct membership *m = arg;

	if (m->is_gmon && ev == NET_PEER_RESET)
		set_bit(m->welcomed, peer, false);
}

/* Every node in the endpoint's map starts alive (gmon: heard from now). */
int memb_init(struct membership *m, struct net_endpoint *ep, const struct memb_params *p,
	      memb_change_fn changed, void *arg)
{
	uint64_t now = ep->env.now_ns(ep->env.ctx);
	unsigned n;

	if (!p->hb_interval_ns || !p->hb_timeout_ns ||
	    (p->gmon != ep->p.node_id && !net_known(ep, p->gmon)))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->ep = ep;
	m->p = *p;
	m->is_gmon = p->gmon == ep->p.node_id;
	m->changed = changed;
	m->arg = arg;
	m->all_members = true;
	for (n = 0; n < NET_NODES / 8; n++)
		if (p->members[n])
			m->all_members = false;
	for (n = 0; n < NET_NODES; n++) {
		if (n == ep->p.node_id || member(m, n))
			set_bit(m->alive, n, true);
		m->heard_ns[n] = now;
	}
	m->next_hb_ns = now;
	m->mod.arg = m;
	m->mod.poll = memb_poll;
	m->mod.peer_event = memb_peer_event;
	net_add_module(ep, &m->mod);
	net_set_handler(ep, NET_HEARTBEAT, take_heartbeat, m);
	net_set_handler(ep, NET_NODE_DOWN, take_view, m);
	net_set_handler(ep, NET_NODE_UP, take_view, m);
	return 0;
}

void memb_fini(struct membership *m)
{
	list_del(&m->mod.link);
	net_set_handler(m->ep, NET_HEARTBEAT, NULL, NULL);
	net_set_handler(m->ep, NET_NODE_DOWN, NULL, NULL);
	net_set_handler(m->ep, NET_NODE_UP, NULL, NULL);
}
