/*
 * The simulated fabric behind the net/ host tests (see net_sim.h): a heap of frames
 * ordered by arrival time, impairments drawn from a seeded PRNG, and a clock that
 * jumps to the next frame or timer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net_sim.h"

struct sim_frame {
	uint64_t at, seq;
	size_t len;
	uint8_t data[];
};

uint64_t sim_rand(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool chance(struct sim *s, unsigned percent)
{
	return percent && sim_rand(s) % 100 < percent;
}

void sim_init(struct sim *s, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->rng = seed;
	s->delay_ns = 10 * SIM_US;
	s->reorder_ns = 300 * SIM_US;
	s->now = 1 * SIM_SEC;
}

static bool before(const struct sim_frame *a, const struct sim_frame *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(struct sim *s, struct sim_frame *f)
{
	size_t i;

	if (s->nframes == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->heap = realloc(s->heap, s->cap * sizeof(*s->heap));
	}
	i = s->nframes++;
	while (i && before(f, s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = f;
}

static struct sim_frame *heap_pop(struct sim *s)
{
	struct sim_frame *top = s->heap[0], *last = s->heap[--s->nframes];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->nframes)
			break;
		if (c + 1 < s->nframes && before(s->heap[c + 1], s->heap[c]))
			c++;
		if (!before(s->heap[c], last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->nframes)
		s->heap[i] = last;
	return top;
}

void sim_fini(struct sim *s)
{
	unsigned i;

	for (i = 0; i < SIM_NODES; i++)
		if (s->nodes[i])
			sim_node_stop(s->nodes[i]);
	while (s->nframes)
		free(heap_pop(s));
	free(s->heap);
	s->heap = NULL;
}

void sim_mac(uint8_t id, uint8_t mac[6])
{
	const uint8_t m[6] = { 0x52, 0x54, 0x00, 0x7e, 0x00, id };

	memcpy(mac, m, 6);
}

void sim_params(struct net_params *p, uint8_t id, uint32_t epoch, unsigned mtu)
{
	net_params_default(p);
	p->node_id = id;
	sim_mac(id, p->mac);
	p->epoch = epoch;
	p->secret = 0x5eed0000u + id;
	p->mtu = mtu;
}

static struct sim_node *node_by_mac(struct sim *s, const uint8_t *mac)
{
	unsigned i;

	for (i = 0; i < SIM_NODES; i++)
		if (s->nodes[i] && s->nodes[i]->up && memcmp(s->nodes[i]->p.mac, mac, 6) == 0)
			return s->nodes[i];
	return NULL;
}

static void enqueue(struct sim *s, const void *frame, size_t len, uint64_t at)
{
	struct sim_frame *f = malloc(sizeof(*f) + len);

	f->at = at;
	f->seq = s->seq++;
	f->len = len;
	memcpy(f->data, frame, len);
	if (chance(s, s->corrupt) && len)
		f->data[sim_rand(s) % len] ^= (uint8_t)(1u << (sim_rand(s) % 8));
	heap_push(s, f);
}

static uint64_t arrival(struct sim *s)
{
	uint64_t at = s->now + s->delay_ns;

	if (chance(s, s->reorder))
		at += sim_rand(s) % s->reorder_ns;
	return at;
}

/* NET_SIM_TRACE=1: one line per frame sent, for debugging a test. */
static void trace(struct sim *s, const void *frame, size_t len, const char *fate)
{
	const struct net_pkt_hdr *h = (const void *)((const uint8_t *)frame + 14);

	if (!getenv("NET_SIM_TRACE") || len < NET_HDRS)
		return;
	fprintf(stderr, "%10llu us %u->%u type %u flags %02x psn %u ack %u len %u %s\n",
		(unsigned long long)(s->now / SIM_US), h->src, h->dst, h->type, h->flags,
		h->psn, h->ack, h->len, fate);
}

static int env_xmit(void *ctx, const void *frame, size_t len)
{
	struct sim_node *n = ctx;
	struct sim *s = n->sim;

	s->xmits++;
	s->last_len = len < sizeof(s->last_frame) ? len : sizeof(s->last_frame);
	memcpy(s->last_frame, frame, s->last_len);
	if (chance(s, s->fail_xmit)) {
		trace(s, frame, len, "xmit error");
		return -1;
	}
	if (n->link_down || chance(s, s->loss)) {
		trace(s, frame, len, "lost");
		return 0;
	}
	trace(s, frame, len, "");
	enqueue(s, frame, len, arrival(s));
	if (chance(s, s->dup))
		enqueue(s, frame, len, arrival(s));
	return 0;
}

/* Put a frame on the wire as is (hostile-input tests), arriving after the usual delay. */
void sim_inject(struct sim *s, const void *frame, size_t len)
{
	struct sim_frame *f = malloc(sizeof(*f) + len);

	f->at = s->now + s->delay_ns;
	f->seq = s->seq++;
	f->len = len;
	memcpy(f->data, frame, len);
	heap_push(s, f);
}

static uint64_t env_now(void *ctx)
{
	struct sim_node *n = ctx;

	return n->sim->now;
}

static void *env_alloc(void *ctx, size_t size)
{
	struct sim_node *n = ctx;

	if (n->sim->fail_alloc)
		return NULL;
	n->sim->allocs++;
	return malloc(size);
}

static void env_free(void *ctx, void *p)
{
	struct sim_node *n = ctx;

	n->sim->allocs--;
	free(p);
}

static void env_deliver(void *ctx, uint8_t peer, const struct net_msg_hdr *m,
			const void *payload, size_t len)
{
	struct sim_node *n = ctx;

	if (n->deliver)
		n->deliver(n, peer, m, payload, len);
}

static void env_peer_event(void *ctx, uint8_t peer, enum net_peer_event ev)
{
	struct sim_node *n = ctx;

	(void)peer;
	n->events[ev]++;
}

static void env_log(void *ctx, const char *fmt, ...)
{
	struct sim_node *n = ctx;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->last_log, sizeof(n->last_log), fmt, ap);
	va_end(ap);
	n->logs++;
	if (getenv("NET_SIM_LOG"))
		fprintf(stderr, "[node %u %llu us] %s\n", n->id,
			(unsigned long long)(n->sim->now / SIM_US), n->last_log);
}

/* Start node id with params p; every other started node becomes its peer and vice versa. */
int sim_node_start(struct sim *s, struct sim_node *n, uint8_t id, const struct net_params *p)
{
	struct net_env env = {
		.ctx = n, .now_ns = env_now, .xmit = env_xmit, .alloc = env_alloc,
		.free = env_free, .deliver = env_deliver, .peer_event = env_peer_event,
		.log = env_log,
	};
	unsigned i;
	int err;

	n->sim = s;
	n->id = id;
	n->p = *p;
	n->link_down = false;
	n->deadline = 0;
	memset(n->events, 0, sizeof(n->events));
	err = net_init(&n->ep, p, &env);
	if (err)
		return err;
	n->up = true;
	for (i = 0; i < SIM_NODES; i++) {
		struct sim_node *o = s->nodes[i];

		if (!o || o == n || !o->up || i == id % SIM_NODES)
			continue;
		net_add_peer(&n->ep, o->id, o->p.mac);
		net_add_peer(&o->ep, id, p->mac);
	}
	s->nodes[id % SIM_NODES] = n;
	return 0;
}

int sim_pair_start(struct sim *s, uint64_t seed, struct sim_node *a, struct sim_node *b,
		   unsigned mtu)
{
	struct net_params p;
	int err;

	sim_init(s, seed);
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	sim_params(&p, 1, 0x1111, mtu);
	err = sim_node_start(s, a, 1, &p);
	if (err)
		return err;
	sim_params(&p, 2, 0x2222, mtu);
	return sim_node_start(s, b, 2, &p);
}

void sim_node_stop(struct sim_node *n)
{
	if (!n->up)
		return;
	net_fini(&n->ep);
	n->up = false;
}

void sim_poll_all(struct sim *s)
{
	unsigned i;

	for (i = 0; i < SIM_NODES; i++)
		if (s->nodes[i] && s->nodes[i]->up)
			s->nodes[i]->deadline = net_poll(&s->nodes[i]->ep);
}

/* The next thing to happen: a frame arriving or a node's timer. */
bool sim_step(struct sim *s)
{
	uint64_t next = s->nframes ? s->heap[0]->at : UINT64_MAX;
	struct sim_frame *f;
	struct sim_node *dst;
	unsigned i;

	for (i = 0; i < SIM_NODES; i++) {
		struct sim_node *n = s->nodes[i];

		if (n && n->up && n->deadline && n->deadline < next)
			next = n->deadline;
	}
	if (next == UINT64_MAX)
		return false;
	if (next > s->now)
		s->now = next;
	if (s->nframes && s->heap[0]->at <= s->now) {
		f = heap_pop(s);
		dst = f->len >= 6 ? node_by_mac(s, f->data) : NULL;
		if (dst && !dst->link_down) {
			s->delivered++;
			net_input(&dst->ep, f->data, f->len);
		}
		free(f);
	}
	sim_poll_all(s);
	return true;
}

/* Run until done(arg) holds (true) or max_ns of simulated time pass (false). */
bool sim_run(struct sim *s, bool (*done)(void *arg), void *arg, uint64_t max_ns)
{
	uint64_t end = s->now + max_ns;

	sim_poll_all(s);
	while (!done || !done(arg)) {
		if (s->now >= end)
			return false;
		if (!sim_step(s)) {
			if (done)
				return done(arg);
			return true;
		}
	}
	return true;
}

/* Let ns of simulated time pass, running everything that happens in it. */
void sim_advance(struct sim *s, uint64_t ns)
{
	uint64_t end = s->now + ns;

	sim_poll_all(s);
	for (;;) {
		uint64_t next = s->nframes ? s->heap[0]->at : UINT64_MAX;
		unsigned i;

		for (i = 0; i < SIM_NODES; i++) {
			struct sim_node *n = s->nodes[i];

			if (n && n->up && n->deadline && n->deadline < next)
				next = n->deadline;
		}
		if (next > end)
			break;
		sim_step(s);
	}
	s->now = end;
	sim_poll_all(s);
}

size_t sim_pending(const struct sim *s)
{
	return s->nframes;
}

size_t sim_frame(void *buf, uint8_t src, uint8_t dst, uint32_t src_epoch, uint32_t dst_epoch,
		 uint8_t type, uint16_t flags, uint32_t psn, uint32_t ack, const void *payload,
		 size_t len)
{
	uint8_t dst_mac[6], src_mac[6];
	struct net_pkt_hdr *h;

	sim_mac(dst, dst_mac);
	sim_mac(src, src_mac);
	h = wire_headers(buf, dst_mac, src_mac, type, (uint8_t)flags, src, dst, (uint16_t)len);
	h->src_epoch = src_epoch;
	h->dst_epoch = dst_epoch;
	h->psn = psn;
	h->ack = ack;
	h->window = 64;
	if (len)
		memcpy(h + 1, payload, len);
	wire_seal(buf, NULL);
	return NET_HDRS + len;
}
