/*
 * The pending-request table of include/net/pending.h: a small hash by id for
 * responses, and one list by deadline for timeouts and for failing a whole peer.
 */
#include "net/pending.h"

void pend_init(struct pend_table *t)
{
	unsigned i;

	for (i = 0; i < PEND_HASH; i++)
		list_init(&t->hash[i]);
	list_init(&t->by_time);
	t->count = 0;
}

static struct list_head *bucket(struct pend_table *t, uint64_t id)
{
	return &t->hash[(id ^ (id >> 17) ^ (id >> 32)) % PEND_HASH];
}

/* Whether a fires after b; no deadline is later than any. */
static bool later(const struct pend *a, const struct pend *b)
{
	if (!a->deadline)
		return b->deadline != 0;
	return b->deadline && a->deadline > b->deadline;
}

/* Sorted insert from the tail: calls with equal timeouts arrive in deadline order. */
void pend_add(struct pend_table *t, struct pend *p)
{
	struct list_head *pos = t->by_time.prev;

	while (pos != &t->by_time && later(list_entry(pos, struct pend, tlink), p))
		pos = pos->prev;
	list_insert(&p->tlink, pos, pos->next);
	list_add(&p->hlink, bucket(t, p->id));
	t->count++;
}

void pend_del(struct pend_table *t, struct pend *p)
{
	list_del(&p->hlink);
	list_del(&p->tlink);
	t->count--;
}

/* The pending request with this id; the caller checks that the right peer answered. */
struct pend *pend_find(struct pend_table *t, uint64_t id)
{
	struct list_head *head = bucket(t, id), *pos;

	list_for_each(pos, head) {
		struct pend *p = list_entry(pos, struct pend, hlink);

		if (p->id == id)
			return p;
	}
	return NULL;
}

/* Move p out of the table onto out (through tlink), for the caller to complete. */
static void take(struct pend_table *t, struct pend *p, struct list_head *out)
{
	pend_del(t, p);
	list_add_tail(&p->tlink, out);
}

void pend_take_expired(struct pend_table *t, uint64_t now, struct list_head *out)
{
	while (!list_empty(&t->by_time)) {
		struct pend *p = list_first_entry(&t->by_time, struct pend, tlink);

		if (!p->deadline || p->deadline > now)
			break;
		take(t, p, out);
	}
}

void pend_take_peer(struct pend_table *t, uint8_t peer, struct list_head *out)
{
	struct list_head *pos, *tmp;

	list_for_each_safe(pos, tmp, &t->by_time) {
		struct pend *p = list_entry(pos, struct pend, tlink);

		if (p->peer == peer)
			take(t, p, out);
	}
}

void pend_take_all(struct pend_table *t, struct list_head *out)
{
	while (!list_empty(&t->by_time))
		take(t, list_first_entry(&t->by_time, struct pend, tlink), out);
}

/* The earliest deadline, 0 if none. */
uint64_t pend_deadline(const struct pend_table *t)
{
	if (list_empty(&t->by_time))
		return 0;
	return list_first_entry(&t->by_time, struct pend, tlink)->deadline;
}
