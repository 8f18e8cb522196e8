/* net/fabric/queue.c: frames the fabric keeps for later. Delayed frames sit
 * in a min-heap by due time; held and backlogged ones in per-port FIFOs.
 * queue_next_due() tells the poll loop how long it may sleep. */
#include <stdlib.h>
#include <string.h>

#include "fabric.h"

#define PENDING_MAX	(64u << 20)	/* bytes of frames held, all queues */

/* NULL when the fabric already holds PENDING_MAX bytes: a delay of minutes
 * under a flood must not eat the host's memory. */
struct frame *frame_new(struct fabric *f, int in, int out,
			const uint8_t *data, size_t len)
{
	struct frame *fr;

	if (f->pending_bytes + sizeof(*fr) + len > PENDING_MAX)
		return NULL;
	fr = malloc(sizeof(*fr) + len);
	if (!fr)
		return NULL;
	memset(fr, 0, sizeof(*fr));
	fr->seq = f->next_seq++;
	fr->in = in;
	fr->out = out;
	fr->len = (uint32_t)len;
	memcpy(fr->data, data, len);
	f->pending_bytes += sizeof(*fr) + len;
	return fr;
}

void frame_free(struct fabric *f, struct frame *fr)
{
	if (!fr)
		return;
	f->pending_bytes -= sizeof(*fr) + fr->len;
	free(fr);
}

void fq_push(struct frame_queue *q, struct frame *fr)
{
	fr->next = NULL;
	if (q->tail)
		q->tail->next = fr;
	else
		q->head = fr;
	q->tail = fr;
	q->len++;
}

struct frame *fq_pop(struct frame_queue *q)
{
	struct frame *fr = q->head;

	if (!fr)
		return NULL;
	q->head = fr->next;
	if (!q->head)
		q->tail = NULL;
	q->len--;
	return fr;
}

void fq_drain(struct fabric *f, struct frame_queue *q)
{
	struct frame *fr;

	while ((fr = fq_pop(q)))
		frame_free(f, fr);
}

static bool before(const struct frame *a, const struct frame *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void swap(struct frame **v, size_t i, size_t j)
{
	struct frame *t = v[i];

	v[i] = v[j];
	v[j] = t;
}

int timer_add(struct fabric *f, struct frame *fr)
{
	struct timer_heap *h = &f->timers;
	struct frame **v;
	size_t i;

	if (h->len == h->cap) {
		v = realloc(h->v, (h->cap ? 2 * h->cap : 64) * sizeof(*v));
		if (!v)
			return -1;
		h->v = v;
		h->cap = h->cap ? 2 * h->cap : 64;
	}
	i = h->len++;
	h->v[i] = fr;
	while (i > 0 && before(h->v[i], h->v[(i - 1) / 2])) {
		swap(h->v, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct frame *timer_pop(struct fabric *f)
{
	struct timer_heap *h = &f->timers;
	struct frame *top = h->v[0];
	size_t i = 0, c;

	h->v[0] = h->v[--h->len];
	for (;;) {
		c = 2 * i + 1;
		if (c >= h->len)
			break;
		if (c + 1 < h->len && before(h->v[c + 1], h->v[c]))
			c++;
		if (!before(h->v[c], h->v[i]))
			break;
		swap(h->v, i, c);
		i = c;
	}
	return top;
}

uint64_t queue_next_due(const struct fabric *f)
{
	uint64_t due = NO_DEADLINE;
	const struct port *p;
	int i;

	if (f->timers.len)
		due = f->timers.v[0]->due;
	for (i = 0; i < f->nports; i++) {
		p = &f->ports[i];
		if (p->held.head && p->held.head->due < due)
			due = p->held.head->due;
		if (p->backlog.head && p->backlog.head->due < due)
			due = p->backlog.head->due;
	}
	return due;
}

/* Everything due by now leaves: delayed frames first, then held frames
 * nobody overtook; backlogged frames past their age are dropped. */
void queue_run(struct fabric *f, uint64_t now)
{
	while (f->timers.len && f->timers.v[0]->due <= now)
		switch_release(f, timer_pop(f));
	switch_expire_held(f, now);
	port_expire(f, now);
}

void queue_free_all(struct fabric *f)
{
	while (f->timers.len)
		frame_free(f, timer_pop(f));
	free(f->timers.v);
	f->timers.v = NULL;
	f->timers.cap = 0;
}
