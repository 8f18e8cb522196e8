/*
 * Requests waiting for a response, found by id and expired by deadline: the table
 * under the RPC client (net/rpc.c) and the verbs requester (net/verbs.c).
 */
#ifndef NET_PENDING_H
#define NET_PENDING_H

#include <stdint.h>
#include "lib/list.h"

#define PEND_HASH 64

/* Embedded in an RPC call or a verbs operation; guarded by the endpoint's caller. */
struct pend {
	struct list_head hlink;		/* on its hash bucket */
	struct list_head tlink;		/* on by_time, or on a list taken out of the table */
	uint64_t id;			/* the request's message id */
	uint64_t deadline;		/* now_ns() time; 0: none */
	uint8_t peer;			/* the node it went to: only its response counts */
};

struct pend_table {
	struct list_head hash[PEND_HASH];
	struct list_head by_time;	/* earliest deadline first; no deadline last */
	unsigned count;
};

void pend_init(struct pend_table *t);
void pend_add(struct pend_table *t, struct pend *p);
void pend_del(struct pend_table *t, struct pend *p);
struct pend *pend_find(struct pend_table *t, uint64_t id);
void pend_take_expired(struct pend_table *t, uint64_t now, struct list_head *out);
void pend_take_peer(struct pend_table *t, uint8_t peer, struct list_head *out);
void pend_take_all(struct pend_table *t, struct list_head *out);
uint64_t pend_deadline(const struct pend_table *t);

#endif
