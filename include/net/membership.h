/*
 * Membership: every node sends gmon a HEARTBEAT every hb_interval_ns; gmon declares a
 * node dead after hb_timeout_ns of silence and tells every live node (NODE_DOWN), and
 * tells them again when it is heard from (NODE_UP). Each message carries gmon's whole
 * view, so a node that missed some converges. Portable state machines on the transport.
 */
#ifndef NET_MEMBERSHIP_H
#define NET_MEMBERSHIP_H

#include <stdbool.h>
#include <stdint.h>
#include "net/transport.h"

/* A node's liveness changed in this node's view. */
typedef void (*memb_change_fn)(void *arg, uint8_t node, bool up);

struct memb_params {
	uint8_t gmon;			/* the node id that tracks everyone */
	uint64_t hb_interval_ns;	/* between heartbeats */
	uint64_t hb_timeout_ns;		/* gmon: silence this long means dead */
	uint8_t members[NET_NODES / 8];	/* nodes that heartbeat; all zero: the whole map */
};

/* One per endpoint; guarded by the endpoint's serialization. */
struct membership {
	struct net_endpoint *ep;
	struct net_module mod;
	struct memb_params p;
	bool is_gmon;
	bool all_members;		/* p.members is empty: every node in the map */
	uint8_t alive[NET_NODES / 8];	/* the view: bit n set, node n alive */
	uint64_t next_hb_ns;		/* not gmon: when the next heartbeat goes */
	uint64_t heard_ns[NET_NODES];	/* gmon: last heartbeat from each node */
	uint8_t welcomed[NET_NODES / 8];	/* gmon: sent its view since it (re)started */
	memb_change_fn changed;		/* optional */
	void *arg;
};

int memb_init(struct membership *m, struct net_endpoint *ep, const struct memb_params *p,
	      memb_change_fn changed, void *arg);
void memb_fini(struct membership *m);
bool memb_alive(const struct membership *m, uint8_t node);

#endif
