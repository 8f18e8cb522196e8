/*
 * The message layer's counters: names for the glue and the host tool, and the one
 * place every counter is bumped (endpoint total, the peer's own, a rate-limited log).
 */
#include "internal.h"

#define NET_COUNTER_NAME(name, str, drop) [NET_C_##name] = str,
static const char *const counter_names[NET_C_MAX] = { NET_COUNTERS(NET_COUNTER_NAME) };
#undef NET_COUNTER_NAME

#define NET_COUNTER_DROP(name, str, drop) [NET_C_##name] = drop,
static const bool counter_drops[NET_C_MAX] = { NET_COUNTERS(NET_COUNTER_DROP) };
#undef NET_COUNTER_DROP

const char *net_counter_name(unsigned c)
{
	return c < NET_C_MAX ? counter_names[c] : "?";
}

bool net_counter_is_drop(unsigned c)
{
	return c < NET_C_MAX && counter_drops[c];
}

/* The first drop of each kind in any one second gets a log line; the rest only count. */
static void log_drop(struct net_endpoint *ep, int peer, unsigned c)
{
	uint64_t now;

	if (!ep->env.log)
		return;
	now = net_now(ep);
	if (ep->logged[c] && now - ep->logged_ns[c] < NET_SEC)
		return;
	ep->logged[c] = true;
	ep->logged_ns[c] = now;
	if (peer >= 0)
		ep->env.log(ep->env.ctx, "drop %s from node %d (%llu so far)", counter_names[c],
			    peer, (unsigned long long)ep->stats.c[c]);
	else
		ep->env.log(ep->env.ctx, "drop %s (%llu so far)", counter_names[c],
			    (unsigned long long)ep->stats.c[c]);
}

void qp_count(struct net_endpoint *ep, struct net_qp *qp, unsigned c)
{
	ep->stats.c[c]++;
	if (qp)
		qp->stats.c[c]++;
	if (counter_drops[c])
		log_drop(ep, qp ? qp->peer : -1, c);
}

/* Count for a peer by id (-1: none known); modules use this. */
void net_count(struct net_endpoint *ep, int peer, unsigned c)
{
	if (c >= NET_C_MAX)
		return;
	qp_count(ep, peer >= 0 && peer < NET_NODES ? ep->qp[peer] : NULL, c);
}

/* A peer's counters, or NULL if it never had a queue pair. */
const struct net_stats *net_peer_stats(const struct net_endpoint *ep, uint8_t peer)
{
	return ep->qp[peer] ? &ep->qp[peer]->stats : NULL;
}
