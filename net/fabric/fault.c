/* net/fabric/fault.c: the fault pipeline every delivery passes: loss,
 * corruption, duplication, then per copy delay and reordering. Every random
 * choice comes from one seeded generator, so a seed replays a run. */
#include <string.h>

#include "fabric.h"

#define DEFAULT_HOLD_MS	10.0

/* xoshiro256** (Blackman and Vigna), seeded through splitmix64. */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct fabric *f)
{
	uint64_t *s = f->rng;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

void fault_seed(struct fabric *f, uint64_t seed)
{
	uint64_t x = seed;
	int i;

	f->seed = seed;
	for (i = 0; i < 4; i++)
		f->rng[i] = splitmix64(&x);
}

/* Uniform in [0, 1). */
static double rng_unit(struct fabric *f)
{
	return (double)(rng_next(f) >> 11) * 0x1.0p-53;
}

/* A rate of zero draws nothing, so enabling one fault does not shift the
 * random choices of a run that never used it. */
static bool chance(struct fabric *f, double rate)
{
	return rate > 0 && rng_unit(f) < rate;
}

void fault_reset(struct faults *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->hold_ms = DEFAULT_HOLD_MS;
}

static double either(double a, double b, double c)
{
	return 1.0 - (1.0 - a) * (1.0 - b) * (1.0 - c);
}

static double hold_of(const struct faults *fl)
{
	return fl->reorder > 0 ? fl->hold_ms : 0;
}

/* A delivery from in to out crosses in's link, the switch and out's link:
 * each scope's faults apply, as independent events. */
static void effective(const struct fabric *f, int in, int out,
		      struct faults *e)
{
	const struct faults *g = &f->global, *a = &f->ports[in].faults;
	const struct faults *b = &f->ports[out].faults;

	e->loss = either(g->loss, a->loss, b->loss);
	e->dup = either(g->dup, a->dup, b->dup);
	e->corrupt = either(g->corrupt, a->corrupt, b->corrupt);
	e->reorder = either(g->reorder, a->reorder, b->reorder);
	e->hold_ms = hold_of(g);
	if (hold_of(a) > e->hold_ms)
		e->hold_ms = hold_of(a);
	if (hold_of(b) > e->hold_ms)
		e->hold_ms = hold_of(b);
	e->delay_ms = g->delay_ms + a->delay_ms + b->delay_ms;
	e->jitter_ms = g->jitter_ms + a->jitter_ms + b->jitter_ms;
}

/* Flip one byte after the Ethernet header, by a nonzero mask so that it
 * always changes: the headers stay intact, so the frame still arrives. */
static void corrupt(struct fabric *f, uint8_t *data, size_t len)
{
	size_t off = ETH_HDR_LEN + rng_next(f) % (len - ETH_HDR_LEN);

	data[off] ^= (uint8_t)(1 + rng_next(f) % 255);
}

static uint64_t delay_of(struct fabric *f, const struct faults *e)
{
	double ms = e->delay_ms;

	if (e->jitter_ms > 0)
		ms += (2.0 * rng_unit(f) - 1.0) * e->jitter_ms;
	return ms > 0 ? (uint64_t)(ms * (double)NS_PER_MS) : 0;
}

static void send_copy(struct fabric *f, int in, int out, const uint8_t *data,
		      size_t len, const struct faults *e)
{
	struct port *p = &f->ports[out];
	uint64_t delay = delay_of(f, e), hold = 0;
	struct frame *fr;

	if (chance(f, e->reorder)) {
		hold = (uint64_t)(e->hold_ms * (double)NS_PER_MS);
		p->st.reordered++;
	}
	if (delay)
		p->st.delayed++;
	if (!delay && !hold) {
		switch_send(f, in, out, data, len, NULL);
		return;
	}
	fr = frame_new(f, in, out, data, len);
	if (!fr) {
		p->st.drops[DROP_FULL]++;
		return;
	}
	fr->hold_ns = hold;
	if (!delay) {
		switch_hold(f, fr, now_ns());
		return;
	}
	fr->due = now_ns() + delay;
	if (timer_add(f, fr) < 0) {
		frame_free(f, fr);
		p->st.drops[DROP_FULL]++;
	}
}

/* The random draws happen in a fixed order (loss, corruption with its
 * offset and mask, duplication, then per copy jitter and reordering), so
 * a seed and the same traffic give the same outcome. */
void fault_deliver(struct fabric *f, int in, int out, const uint8_t *data,
		   size_t len)
{
	static uint8_t scratch[FRAME_MAX];
	struct port *p = &f->ports[out];
	struct faults e;
	int copies = 1;

	effective(f, in, out, &e);
	if (chance(f, e.loss)) {
		p->st.drops[DROP_LOSS]++;
		return;
	}
	if (len > ETH_HDR_LEN && chance(f, e.corrupt)) {
		memcpy(scratch, data, len);
		corrupt(f, scratch, len);
		data = scratch;
		p->st.corrupted++;
	}
	if (chance(f, e.dup)) {
		copies = 2;
		p->st.duplicated++;
	}
	while (copies--)
		send_copy(f, in, out, data, len, &e);
}
