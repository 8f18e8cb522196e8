/*
 * Verbs over the transport (include/net/verbs.h): the region table and its keys, the
 * responder that serves READ and WRITE inside net_input, the requester's posted work
 * and completion queues, and SEND/RECV. Every remote access is checked against the
 * region table (key, permission, bounds) before a byte of memory is touched.
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "net/verbs.h"

/* Posted READ/WRITE/SEND waiting for its response or acknowledgement. */
struct verbs_op {
	struct pend p;
	struct verbs_cq *cq;
	uint64_t wr_id;
	uint8_t op;
	void *buf;			/* READ: where the data goes */
	uint32_t len;
};

/* A posted receive. */
struct verbs_recv {
	struct list_head link;		/* on v->recvq */
	struct verbs_cq *cq;
	uint64_t wr_id;
	void *buf;
	uint32_t len;
};

static void *v_alloc(struct verbs *v, size_t size)
{
	return v->ep->env.alloc(v->ep->env.ctx, size);
}

static void v_free(struct verbs *v, void *p)
{
	v->ep->env.free(v->ep->env.ctx, p);
}

/* ---- completion queues ---- */

int verbs_cq_init(struct verbs_cq *cq, struct net_endpoint *ep, unsigned depth,
		  void (*notify)(void *arg), void *arg)
{
	if (depth == 0)
		return -EINVAL;
	memset(cq, 0, sizeof(*cq));
	cq->ring = ep->env.alloc(ep->env.ctx, depth * sizeof(*cq->ring));
	if (!cq->ring)
		return -ENOMEM;
	cq->ep = ep;
	cq->depth = depth;
	cq->notify = notify;
	cq->arg = arg;
	return 0;
}

/* Only once no posted work will complete on it any more (or after verbs_fini). */
void verbs_cq_fini(struct verbs_cq *cq)
{
	if (cq->ring)
		cq->ep->env.free(cq->ep->env.ctx, cq->ring);
	cq->ring = NULL;
}

/* Take up to max completions, oldest first; returns how many. */
unsigned verbs_cq_poll(struct verbs_cq *cq, struct verbs_wc *wc, unsigned max)
{
	unsigned n = 0;

	while (n < max && cq->count) {
		wc[n++] = cq->ring[cq->head];
		cq->head = (cq->head + 1) % cq->depth;
		cq->count--;
	}
	return n;
}

static int cq_reserve(struct verbs_cq *cq)
{
	if (cq->count + cq->reserved >= cq->depth)
		return -ENOSPC;
	cq->reserved++;
	return 0;
}

static void cq_push(struct verbs_cq *cq, uint8_t op, uint64_t wr_id, int status,
		    uint32_t bytes, uint8_t peer)
{
	struct verbs_wc *wc = &cq->ring[(cq->head + cq->count) % cq->depth];

	wc->wr_id = wr_id;
	wc->status = status;
	wc->bytes = status ? 0 : bytes;
	wc->op = op;
	wc->peer = peer;
	cq->reserved--;
	cq->count++;
	if (cq->notify)
		cq->notify(cq->arg);
}

static void op_complete(struct verbs *v, struct verbs_op *op, int status, uint32_t bytes)
{
	cq_push(op->cq, op->op, op->wr_id, status, bytes, op->p.peer);
	v_free(v, op);
}

static void ops_fail(struct verbs *v, struct list_head *list, int status, bool count)
{
	while (!list_empty(list)) {
		struct verbs_op *op = list_first_entry(list, struct verbs_op, p.tlink);

		list_del(&op->p.tlink);
		if (count)
			net_count(v->ep, op->p.peer, NET_C_OP_TIMEOUTS);
		op_complete(v, op, status, 0);
	}
}

/* ---- regions ---- */

static uint32_t next_rand(struct verbs *v)
{
	uint32_t x = v->rand;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return v->rand = x;
}

/* The region a key names, or NULL: its index bits pick the entry, all bits must match. */
static struct verbs_mr *mr_find(struct verbs *v, uint32_t key)
{
	uint32_t idx = key & ((1u << v->index_bits) - 1);

	if (key == 0 || idx >= v->nmrs || v->mrs[idx].key != key)
		return NULL;
	return &v->mrs[idx];
}

/*
 * Register len bytes at base for remote access with perm; *key names it to peers.
 * Keys mix the entry index with random bits seeded from the epoch and clock, so a
 * stale or guessed key is unlikely to name a live region.
 */
int verbs_reg_mr(struct verbs *v, void *base, size_t len, unsigned perm, uint32_t *key)
{
	unsigned i;
	uint32_t k;

	if (!perm || (perm & ~(VERBS_READ | VERBS_WRITE)) || (!base && len))
		return -EINVAL;
	for (i = 0; i < v->nmrs && v->mrs[i].key; i++)
		;
	if (i == v->nmrs)
		return -ENOSPC;
	do
		k = (next_rand(v) << v->index_bits) | i;
	while (k == 0 || k == i);
	v->mrs[i].base = base;
	v->mrs[i].len = len;
	v->mrs[i].perm = perm;
	v->mrs[i].key = k;
	*key = k;
	return 0;
}

/* After this returns, no remote access reaches the region. */
int verbs_dereg_mr(struct verbs *v, uint32_t key)
{
	struct verbs_mr *mr = mr_find(v, key);

	if (!mr)
		return -ENOENT;
	memset(mr, 0, sizeof(*mr));
	return 0;
}

/* *mr: the region, if key, permission and [off, off + len) check out; else count why. */
static int mr_check(struct verbs *v, uint8_t peer, uint32_t key, uint64_t off, uint32_t len,
		    unsigned perm, struct verbs_mr **mr)
{
	*mr = mr_find(v, key);
	if (!*mr) {
		net_count(v->ep, peer, NET_C_BAD_KEY);
		return -EACCES;
	}
	if (!((*mr)->perm & perm)) {
		net_count(v->ep, peer, NET_C_BAD_PERM);
		return -EPERM;
	}
	if (off > (*mr)->len || len > (*mr)->len - off) {
		net_count(v->ep, peer, NET_C_OUT_OF_BOUNDS);
		return -EFAULT;
	}
	return 0;
}

/* ---- responder: runs inside the peer's net_input ---- */

static int bad_req(struct verbs *v, uint8_t peer)
{
	net_count(v->ep, peer, NET_C_BAD_REQ);
	return -EINVAL;
}

static void respond(struct verbs *v, uint8_t peer, uint16_t kind, uint64_t id, int status,
		    const void *data, size_t len)
{
	struct net_msg_hdr m = { .kind = kind, .id = id, .status = status };

	net_send(v->ep, peer, &m, data, status ? 0 : len, NULL, NULL);
}

/* The region a READ_REQ may read, or a negative errno (counted). */
static int read_target(struct verbs *v, uint8_t peer, const void *payload, size_t len,
		       struct net_read_req *r, struct verbs_mr **mr)
{
	if (len != sizeof(*r))
		return bad_req(v, peer);
	memcpy(r, payload, sizeof(*r));
	if (r->len > NET_MSG_MAX)
		return bad_req(v, peer);
	return mr_check(v, peer, r->key, r->offset, r->len, VERBS_READ, mr);
}

static void serve_read(void *arg, uint8_t peer, const struct net_msg_hdr *m,
		       const void *payload, size_t len)
{
	struct verbs *v = arg;
	struct net_read_req r;
	struct verbs_mr *mr;
	int err = read_target(v, peer, payload, len, &r, &mr);

	if (err)
		respond(v, peer, NET_READ_RESP, m->id, err, NULL, 0);
	else
		respond(v, peer, NET_READ_RESP, m->id, 0, mr->base + r.offset, r.len);
}

/* The region a WRITE_REQ may write, or a negative errno (counted). */
static int write_target(struct verbs *v, uint8_t peer, const void *payload, size_t len,
			struct net_write_req *w, struct verbs_mr **mr)
{
	if (len < sizeof(*w))
		return bad_req(v, peer);
	memcpy(w, payload, sizeof(*w));
	if (w->len != len - sizeof(*w))
		return bad_req(v, peer);
	return mr_check(v, peer, w->key, w->offset, w->len, VERBS_WRITE, mr);
}

static void serve_write(void *arg, uint8_t peer, const struct net_msg_hdr *m,
			const void *payload, size_t len)
{
	struct verbs *v = arg;
	struct net_write_req w;
	struct verbs_mr *mr;
	int err = write_target(v, peer, payload, len, &w, &mr);

	if (!err)
		memcpy(mr->base + w.offset, (const uint8_t *)payload + sizeof(w), w.len);
	respond(v, peer, NET_WRITE_RESP, m->id, err, NULL, 0);
}

/* A SEND fills the oldest posted receive; without one it goes to the environment. */
static void serve_send(void *arg, uint8_t peer, const struct net_msg_hdr *m,
		       const void *payload, size_t len)
{
	struct verbs *v = arg;
	struct verbs_recv *r;
	uint32_t n;

	if (list_empty(&v->recvq)) {
		net_deliver(v->ep, peer, m, payload, len);
		return;
	}
	r = list_first_entry(&v->recvq, struct verbs_recv, link);
	list_del(&r->link);
	n = len < r->len ? (uint32_t)len : r->len;
	memcpy(r->buf, payload, n);
	cq_push(r->cq, VERBS_OP_RECV, r->wr_id, len > r->len ? -EMSGSIZE : 0, n, peer);
	v_free(v, r);
}

/* ---- requester ---- */

/*
 * A response for one of our ops: only from the peer it went to, and shaped for it
 * (a READ's data exactly as long as asked, a WRITE's empty); otherwise -EPROTO.
 */
static void take_response(void *arg, uint8_t peer, const struct net_msg_hdr *m,
			  const void *payload, size_t len)
{
	struct verbs *v = arg;
	struct pend *p = pend_find(&v->ops, m->id);
	uint8_t want = m->kind == NET_READ_RESP ? VERBS_OP_READ : VERBS_OP_WRITE;
	struct verbs_op *op;
	int status = m->status;

	if (!p || p->peer != peer) {
		net_count(v->ep, peer, NET_C_LATE_RESP);
		return;
	}
	op = container_of(p, struct verbs_op, p);
	pend_del(&v->ops, p);
	if (op->op != want || status > 0 ||
	    (status == 0 && len != (want == VERBS_OP_READ ? op->len : 0)) ||
	    (status < 0 && len)) {
		net_count(v->ep, peer, NET_C_BAD_RESP);
		op_complete(v, op, -EPROTO, 0);
		return;
	}
	if (status == 0 && want == VERBS_OP_READ)
		memcpy(op->buf, payload, len);
	op_complete(v, op, status, op->len);
}

/* The transport finished with one of our requests: a SEND completes; errors fail ops. */
static void op_sent(void *arg, const struct net_msg_hdr *m, int err)
{
	struct verbs *v = arg;
	struct pend *p = pend_find(&v->ops, m->id);
	struct verbs_op *op;

	if (!p)
		return;
	op = container_of(p, struct verbs_op, p);
	if (op->op != VERBS_OP_SEND && !err)
		return;
	pend_del(&v->ops, p);
	op_complete(v, op, err, op->len);
}

static int post_remote(struct verbs *v, struct verbs_cq *cq, enum verbs_opcode kind,
		       const struct verbs_wr *wr)
{
	struct net_msg_hdr m = { .id = net_new_id(v->ep) };
	struct net_read_req r = { .key = wr->key, .len = wr->len, .offset = wr->offset };
	struct verbs_op *op;
	uint8_t *msg = NULL;
	const void *payload = &r;
	size_t len = sizeof(r);
	int err;

	if (kind == VERBS_OP_READ && wr->len > NET_MSG_MAX)
		return -EMSGSIZE;
	if (kind == VERBS_OP_WRITE && wr->len > NET_WRITE_MAX)
		return -EMSGSIZE;
	if (kind == VERBS_OP_SEND && wr->len > NET_MSG_MAX)
		return -EMSGSIZE;
	if (kind == VERBS_OP_READ && wr->len && !wr->buf)
		return -EINVAL;
	op = v_alloc(v, sizeof(*op));
	if (!op)
		return -ENOMEM;
	m.kind = kind == VERBS_OP_READ ? NET_READ_REQ : kind == VERBS_OP_WRITE ? NET_WRITE_REQ :
		 NET_SEND;
	if (kind == VERBS_OP_WRITE) {
		/* struct net_write_req has net_read_req's layout; the data follows it. */
		len = sizeof(r) + wr->len;
		msg = v_alloc(v, len);
		if (!msg) {
			err = -ENOMEM;
			goto out_free_op;
		}
		memcpy(msg, &r, sizeof(r));
		if (wr->len)
			memcpy(msg + sizeof(r), wr->buf, wr->len);
		payload = msg;
	} else if (kind == VERBS_OP_SEND) {
		payload = wr->buf;
		len = wr->len;
	}
	err = cq_reserve(cq);
	if (err)
		goto out_free_msg;
	err = net_send(v->ep, wr->peer, &m, payload, len, op_sent, v);
	if (err)
		goto out_unreserve;
	if (msg)
		v_free(v, msg);
	op->p.id = m.id;
	op->p.peer = wr->peer;
	op->p.deadline = kind != VERBS_OP_SEND && v->timeout_ns ?
		v->ep->env.now_ns(v->ep->env.ctx) + v->timeout_ns : 0;
	op->cq = cq;
	op->wr_id = wr->wr_id;
	op->op = (uint8_t)kind;
	op->buf = wr->buf;
	op->len = wr->len;
	pend_add(&v->ops, &op->p);
	return 0;

out_unreserve:
	cq->reserved--;
out_free_msg:
	if (msg)
		v_free(v, msg);
out_free_op:
	v_free(v, op);
	return err;
}

static int post_recv(struct verbs *v, struct verbs_cq *cq, const struct verbs_wr *wr)
{
	struct verbs_recv *r;
	int err;

	if (wr->len && !wr->buf)
		return -EINVAL;
	r = v_alloc(v, sizeof(*r));
	if (!r)
		return -ENOMEM;
	err = cq_reserve(cq);
	if (err) {
		v_free(v, r);
		return err;
	}
	r->cq = cq;
	r->wr_id = wr->wr_id;
	r->buf = wr->buf;
	r->len = wr->len;
	list_add_tail(&r->link, &v->recvq);
	return 0;
}

/*
 * Post one work request; its completion lands on cq exactly once (never before this
 * returns). Errors here (-EMSGSIZE, -ENOSPC when cq has no room, the transport's
 * -EHOSTUNREACH ...) mean nothing was posted.
 */
int verbs_post(struct verbs *v, struct verbs_cq *cq, enum verbs_opcode op,
	       const struct verbs_wr *wr)
{
	switch (op) {
	case VERBS_OP_READ:
	case VERBS_OP_WRITE:
	case VERBS_OP_SEND:
		return post_remote(v, cq, op, wr);
	case VERBS_OP_RECV:
		return post_recv(v, cq, wr);
	}
	return -EINVAL;
}

static uint64_t verbs_poll(void *arg, uint64_t now)
{
	struct verbs *v = arg;
	struct list_head expired;

	list_init(&expired);
	pend_take_expired(&v->ops, now, &expired);
	ops_fail(v, &expired, -ETIMEDOUT, true);
	return pend_deadline(&v->ops);
}

static void verbs_peer_event(void *arg, uint8_t peer, enum net_peer_event ev)
{
	struct verbs *v = arg;
	struct list_head dead;

	if (ev == NET_PEER_UP)
		return;
	list_init(&dead);
	pend_take_peer(&v->ops, peer, &dead);
	ops_fail(v, &dead, ev == NET_PEER_DOWN ? -ETIMEDOUT : -ECONNRESET, false);
}

static const unsigned verbs_kinds[] = {
	NET_READ_REQ, NET_WRITE_REQ, NET_READ_RESP, NET_WRITE_RESP, NET_SEND,
};

int verbs_init(struct verbs *v, struct net_endpoint *ep, unsigned max_regions,
	       uint64_t timeout_ns)
{
	size_t size = max_regions * sizeof(*v->mrs);

	if (max_regions == 0 || max_regions > VERBS_MAX_REGIONS)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->ep = ep;
	v->mrs = ep->env.alloc(ep->env.ctx, size);
	if (!v->mrs)
		return -ENOMEM;
	memset(v->mrs, 0, size);
	v->nmrs = max_regions;
	while ((1u << v->index_bits) < max_regions)
		v->index_bits++;
	v->rand = ep->p.epoch ^ (uint32_t)ep->env.now_ns(ep->env.ctx) ^ 0x9e3779b9u;
	if (!v->rand)
		v->rand = 1;
	v->timeout_ns = timeout_ns;
	pend_init(&v->ops);
	list_init(&v->recvq);
	v->mod.arg = v;
	v->mod.peer_event = verbs_peer_event;
	v->mod.poll = verbs_poll;
	net_add_module(ep, &v->mod);
	net_set_handler(ep, NET_READ_REQ, serve_read, v);
	net_set_handler(ep, NET_WRITE_REQ, serve_write, v);
	net_set_handler(ep, NET_READ_RESP, take_response, v);
	net_set_handler(ep, NET_WRITE_RESP, take_response, v);
	net_set_handler(ep, NET_SEND, serve_send, v);
	return 0;
}

/* Detach from the endpoint and free all posted work without completing it. */
void verbs_fini(struct verbs *v)
{
	struct list_head all;
	unsigned i;

	list_del(&v->mod.link);
	for (i = 0; i < sizeof(verbs_kinds) / sizeof(verbs_kinds[0]); i++)
		net_set_handler(v->ep, verbs_kinds[i], NULL, NULL);
	list_init(&all);
	pend_take_all(&v->ops, &all);
	while (!list_empty(&all)) {
		struct verbs_op *op = list_first_entry(&all, struct verbs_op, p.tlink);

		list_del(&op->p.tlink);
		v_free(v, op);
	}
	while (!list_empty(&v->recvq)) {
		struct verbs_recv *r = list_first_entry(&v->recvq, struct verbs_recv, link);

		list_del(&r->link);
		v_free(v, r);
	}
	v_free(v, v->mrs);
	v->mrs = NULL;
}
