/*
 * A simulated fabric for the net/ host tests: endpoints in one process, a simulated
 * clock, and a link that loses, duplicates, reorders and corrupts frames from a
 * fixed-seed PRNG. Used by tests/unit/test_net_*.c (and the fuzz target's setup).
 */
#ifndef TESTS_UNIT_NET_SIM_H
#define TESTS_UNIT_NET_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net/transport.h"

#define SIM_NODES 8
#define SIM_US 1000ull
#define SIM_MS 1000000ull
#define SIM_SEC 1000000000ull

struct sim;
struct sim_frame;

struct sim_node {
	struct sim *sim;
	struct net_endpoint ep;
	struct net_params p;
	uint8_t id;
	bool up;			/* net_init done */
	bool link_down;			/* frames to and from it vanish */
	uint64_t deadline;		/* from the last net_poll */
	/* What the test sees; deliver/event default to counting only. */
	void (*deliver)(struct sim_node *n, uint8_t peer, const struct net_msg_hdr *m,
			const void *payload, size_t len);
	void *test;
	unsigned events[3];		/* per enum net_peer_event */
	unsigned logs;
	char last_log[160];
};

struct sim {
	uint64_t now;
	uint64_t rng;
	unsigned loss, dup, reorder, corrupt;	/* percent of frames */
	uint64_t delay_ns;		/* every frame */
	uint64_t reorder_ns;		/* extra delay, up to, for a reordered frame */
	struct sim_frame **heap;	/* pending frames, earliest first */
	size_t nframes, cap;
	uint64_t seq;
	struct sim_node *nodes[SIM_NODES];
	unsigned nnodes;
	uint64_t xmits, delivered;
	uint8_t last_frame[NET_HDRS + NET_MTU_MAX];	/* last one transmitted */
	size_t last_len;
	long allocs;			/* live allocations through the env */
	bool fail_alloc;
	unsigned fail_xmit;		/* percent of xmit calls that return an error */
};

void sim_init(struct sim *s, uint64_t seed);
void sim_fini(struct sim *s);
uint64_t sim_rand(struct sim *s);
int sim_node_start(struct sim *s, struct sim_node *n, uint8_t id, const struct net_params *p);
/* A fresh link (seed) with nodes 1 (a) and 2 (b) at this MTU; 0 or the first error. */
int sim_pair_start(struct sim *s, uint64_t seed, struct sim_node *a, struct sim_node *b,
		   unsigned mtu);
void sim_node_stop(struct sim_node *n);
void sim_mac(uint8_t id, uint8_t mac[6]);
void sim_params(struct net_params *p, uint8_t id, uint32_t epoch, unsigned mtu);
bool sim_step(struct sim *s);
bool sim_run(struct sim *s, bool (*done)(void *arg), void *arg, uint64_t max_ns);
void sim_advance(struct sim *s, uint64_t ns);
void sim_inject(struct sim *s, const void *frame, size_t len);
void sim_poll_all(struct sim *s);
size_t sim_pending(const struct sim *s);

/* Build a Tessera frame from src to dst with a correct CRC; returns its length. */
size_t sim_frame(void *buf, uint8_t src, uint8_t dst, uint32_t src_epoch, uint32_t dst_epoch,
		 uint8_t type, uint16_t flags, uint32_t psn, uint32_t ack, const void *payload,
		 size_t len);

#endif
