/*
 * Global storage manager policy: which sComponent keeps a vNode's files, and which
 * mComponent fronts them with its buffer cache. Portable: gmon wires it to RPCs
 * (managers/gmon.c); tested on the host (tests/unit/test_gsm.c).
 */
#ifndef MANAGERS_GSM_H
#define MANAGERS_GSM_H

#include <stdbool.h>
#include <stdint.h>

#define GSM_MAX_NODES 64		/* sComponents one gsm tracks */
#define GSM_MAX_VNODES 1024		/* vNodes it places */
#define GSM_NONE 0xff			/* "no node" */

struct gsm_params {
	uint64_t timeout_ns;		/* a node silent this long is not eligible; > 0 */
	uint64_t charge_blocks;		/* a new vNode's expected footprint, see gsm.c */
	uint64_t seed;			/* PRNG seed; 0 is replaced by a fixed constant */
};

/* One sComponent: its disk as it last reported, less the charges since. */
struct gsm_node {
	bool used;
	uint8_t id;
	uint64_t capacity;		/* 4 KiB blocks */
	uint64_t free;
	uint64_t heard_ns;
};

/* One vNode's placement; fixed once made, so its files never move. */
struct gsm_vnode {
	uint32_t vnode;
	uint8_t smon;
	uint8_t mmon;
};

/* Not locked: the caller (gmon) serialises every call on one gsm. */
struct gsm {
	struct gsm_params p;
	uint64_t rng;			/* xorshift64* state, never 0 */
	struct gsm_node nodes[GSM_MAX_NODES];
	struct gsm_vnode vnodes[GSM_MAX_VNODES];
	unsigned nvnodes;
};

int gsm_init(struct gsm *g, const struct gsm_params *p);
/* 1 when the report registered node (its first), 0 otherwise, or a negative errno. */
int gsm_report(struct gsm *g, uint8_t node, uint64_t capacity, uint64_t free, uint64_t now);
bool gsm_eligible(const struct gsm *g, uint8_t node, uint64_t now);
/*
 * vnode's placement: the one it has, or a new one on an eligible sComponent with the
 * mComponent mmon (the caller's pick from GMM) in front. *made tells which.
 */
int gsm_place(struct gsm *g, uint32_t vnode, uint8_t mmon, uint64_t now,
	      struct gsm_vnode *out, bool *made);
int gsm_lookup(const struct gsm *g, uint32_t vnode, struct gsm_vnode *out);
/* A placement a restarted gmon hears from the vNode's front: 1 taken, 0 one stands. */
int gsm_restore(struct gsm *g, uint32_t vnode, uint8_t smon, uint8_t mmon);

#endif
