/*
 * tessera-net forge: what an attacker on a fabric port can send. Well-formed frames
 * with a correct CRC (sealed) whose contents lie: another node's source MAC, another
 * node's id from our MAC, epochs we do not run (a new incarnation's claim), stream
 * packets with any psn, flags, message kind, opcode and length, RESETs, CHALLENGEs
 * and PROOFs with made-up fields. The fabric must drop the first kind (port
 * security), the node every lie it can see (docs/protocol.md, "Identity"); nothing
 * may cut a live peer off. The seed makes a run repeatable. The stream lies also
 * break our own stream with the node, as they would an attacker's: ask whether the
 * node still answers from a new tessera-net (a new incarnation of this host entry).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "net/host.h"
#include "tool.h"

#define PAYLOAD_MAX 256

enum forgery { F_MAC, F_ID, F_EPOCH, F_STREAM, F_RESET, F_CHALLENGE, F_PROOF, F_KINDS };

static const char *const forgery_names[F_KINDS] = {
	[F_MAC] = "spoofed_mac", [F_ID] = "spoofed_id", [F_EPOCH] = "new_epoch",
	[F_STREAM] = "stream", [F_RESET] = "reset", [F_CHALLENGE] = "challenge",
	[F_PROOF] = "proof",
};

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A node of the map other than to (and not us), whose identity we claim. */
static const struct host_peer *victim(struct host_ep *h, const struct host_peer *to,
				      uint64_t *rng)
{
	const struct host_peer *p;

	do
		p = &h->peers[next(rng) % h->npeers];
	while (p == to || p->id == h->self->id);
	return p;
}

/* A first fragment of a message of any kind, opcode and declared length. */
static size_t lying_message(uint8_t *payload, uint64_t *rng)
{
	struct net_msg_hdr m = {
		.kind = (uint16_t)(next(rng) % (NET_KIND_MAX + 2)),
		.opcode = (uint16_t)next(rng),
		.len = (uint32_t)(next(rng) % 2 ? next(rng) % PAYLOAD_MAX : next(rng)),
		.id = next(rng),
		.status = (int32_t)next(rng),
	};
	size_t n = sizeof(m) + next(rng) % (PAYLOAD_MAX - sizeof(m));

	for (size_t i = sizeof(m); i < n; i++)
		payload[i] = (uint8_t)next(rng);
	memcpy(payload, &m, sizeof(m));
	return n;
}

/* The payload for type, lying in every field; its length. */
static size_t lying_payload(uint8_t type, uint8_t *payload, uint64_t *rng)
{
	uint64_t word = next(rng);

	switch (type) {
	case NET_PKT_DATA:
		return lying_message(payload, rng);
	case NET_PKT_RESET:
	case NET_PKT_CHALLENGE:
	case NET_PKT_PROOF:
		memcpy(payload, &word, sizeof(word));
		return sizeof(word);
	}
	return 0;
}

static uint8_t type_of(enum forgery how, uint64_t *rng)
{
	static const uint8_t any[] = { NET_PKT_DATA, NET_PKT_ACK, NET_PKT_RESET, NET_PKT_PROOF };

	switch (how) {
	case F_STREAM:
		return NET_PKT_DATA;
	case F_RESET:
		return NET_PKT_RESET;
	case F_CHALLENGE:
		return NET_PKT_CHALLENGE;
	case F_PROOF:
		return NET_PKT_PROOF;
	default:
		return any[next(rng) % sizeof(any)];
	}
}

/* One sealed frame to node to, forged as how says; returns its length. */
static size_t forge(struct host_ep *h, const struct host_peer *to, enum forgery how,
		    uint64_t *rng, uint8_t *frame)
{
	const struct host_peer *as = how <= F_ID ? victim(h, to, rng) : h->self;
	uint8_t type = type_of(how, rng);
	uint8_t payload[PAYLOAD_MAX];
	size_t len = lying_payload(type, payload, rng);
	uint8_t flags = type == NET_PKT_DATA ? (uint8_t)(next(rng) & NET_F_ALL & ~NET_F_PROBE)
					     : (uint8_t)(next(rng) & NET_F_ACK);
	struct net_pkt_hdr *p = wire_headers(frame, to->mac, how == F_MAC ? as->mac : h->self->mac,
					     type, flags, as->id, to->id, (uint16_t)len);
	bool own_epoch = how == F_STREAM || how == F_CHALLENGE;

	p->src_epoch = own_epoch ? h->ep.p.epoch : (uint32_t)next(rng) | 1;
	p->dst_epoch = next(rng) % 4 ? 0 : (uint32_t)next(rng);
	p->psn = (uint32_t)next(rng);
	p->ack = (uint32_t)next(rng);
	p->window = (uint16_t)next(rng);
	p->tag = type == NET_PKT_DATA ? (uint8_t)(next(rng) | 1) : 0;
	memcpy(p + 1, payload, len);
	wire_seal(frame, NULL);
	return NET_HDRS + len;
}

/* Send one frame, waiting while the fabric's socket is full (it reads 64 per wakeup). */
static int xmit(struct host_ep *h, const void *frame, size_t len)
{
	const struct timespec pause = { .tv_nsec = 100000 };
	int err;

	for (int tries = 0; tries < 10000; tries++) {
		err = host_xmit_raw(h, frame, len);
		if (err != -EAGAIN)
			return err;
		nanosleep(&pause, NULL);
	}
	return err;
}

/* forge NODE --count N --seed S: N forged frames at NODE, the kinds in turn. */
int tool_forge(struct host_ep *h, int node, unsigned count, uint64_t seed)
{
	uint8_t frame[NET_HDRS + PAYLOAD_MAX];
	const struct host_peer *to = NULL;
	unsigned sent[F_KINDS] = { 0 };
	uint64_t rng = seed;

	for (unsigned i = 0; i < h->npeers; i++)
		if (h->peers[i].id == node)
			to = &h->peers[i];
	if (!to || h->npeers < 3)
		return 2;
	for (unsigned i = 0; i < count; i++) {
		enum forgery how = (enum forgery)(i % F_KINDS);

		sent[how] += xmit(h, frame, forge(h, to, how, &rng, frame)) == 0;
	}
	for (unsigned k = 0; k < F_KINDS; k++)
		printf("forged_%s=%u\n", forgery_names[k], sent[k]);
	printf("seed=%llu\n", (unsigned long long)seed);
	return 0;
}
