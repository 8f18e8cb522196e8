/*
 * RPC on the transport (include/net/rpc.h). Client: calls wait in a pending table
 * until the response with their id arrives, their timeout passes or their peer goes
 * down. Server: rpc_check is the one choke point every request passes; the glue runs
 * rpc_handle where it likes (a worker thread) and sends the result with rpc_reply.
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "net/rpc.h"

/* A call in flight; allocated through the endpoint's environment. */
struct rpc_call {
	struct pend p;
	uint16_t opcode;
	rpc_done_fn done;
	void *arg;
};

static void call_finish(struct rpc_client *c, struct rpc_call *call, int status,
			const void *resp, size_t len)
{
	call->done(call->arg, status, resp, len);
	c->ep->env.free(c->ep->env.ctx, call);
}

/* Finish every call on list (taken out of the table) with status. */
static void calls_fail(struct rpc_client *c, struct list_head *list, int status)
{
	while (!list_empty(list)) {
		struct rpc_call *call = list_first_entry(list, struct rpc_call, p.tlink);

		list_del(&call->p.tlink);
		call_finish(c, call, status, NULL, 0);
	}
}

/* The request could not be delivered: the call fails with the transport's error. */
static void rpc_sent(void *arg, const struct net_msg_hdr *m, int err)
{
	struct rpc_client *c = arg;
	struct pend *p;

	if (!err)
		return;
	p = pend_find(&c->calls, m->id);
	if (!p)
		return;		/* already finished: timed out */
	pend_del(&c->calls, p);
	call_finish(c, container_of(p, struct rpc_call, p), err, NULL, 0);
}

/* A response: only the peer the call went to may answer it, once, in the right shape. */
static void rpc_response(void *arg, uint8_t peer, const struct net_msg_hdr *m,
			 const void *payload, size_t len)
{
	struct rpc_client *c = arg;
	struct pend *p = pend_find(&c->calls, m->id);
	struct rpc_call *call;
	int status = m->status;

	if (!p || p->peer != peer) {
		net_count(c->ep, peer, NET_C_LATE_RESP);
		return;
	}
	call = container_of(p, struct rpc_call, p);
	pend_del(&c->calls, p);
	if (m->opcode != call->opcode || status > 0 || (status < 0 && len)) {
		net_count(c->ep, peer, NET_C_BAD_RESP);
		status = -EPROTO;
	}
	if (status < 0)
		call_finish(c, call, status, NULL, 0);
	else
		call_finish(c, call, 0, payload, len);
}

static uint64_t rpc_poll(void *arg, uint64_t now)
{
	struct rpc_client *c = arg;
	struct list_head expired;

	list_init(&expired);
	pend_take_expired(&c->calls, now, &expired);
	while (!list_empty(&expired)) {
		struct rpc_call *call = list_first_entry(&expired, struct rpc_call, p.tlink);

		list_del(&call->p.tlink);
		net_count(c->ep, call->p.peer, NET_C_OP_TIMEOUTS);
		call_finish(c, call, -ETIMEDOUT, NULL, 0);
	}
	return pend_deadline(&c->calls);
}

void rpc_fail_peer(struct rpc_client *c, uint8_t peer, int status)
{
	struct list_head dead;

	list_init(&dead);
	pend_take_peer(&c->calls, peer, &dead);
	calls_fail(c, &dead, status);
}

/* A peer down or restarted will not answer: its calls fail with the transport's error. */
static void rpc_peer_event(void *arg, uint8_t peer, enum net_peer_event ev)
{
	if (ev != NET_PEER_UP)
		rpc_fail_peer(arg, peer, ev == NET_PEER_DOWN ? -ETIMEDOUT : -ECONNRESET);
}

int rpc_client_init(struct rpc_client *c, struct net_endpoint *ep)
{
	c->ep = ep;
	pend_init(&c->calls);
	c->mod.arg = c;
	c->mod.peer_event = rpc_peer_event;
	c->mod.poll = rpc_poll;
	net_add_module(ep, &c->mod);
	net_set_handler(ep, NET_RPC_RESP, rpc_response, c);
	return 0;
}

/* Detach from the endpoint and free pending calls without calling them back. */
void rpc_client_fini(struct rpc_client *c)
{
	struct list_head all;

	list_del(&c->mod.link);
	net_set_handler(c->ep, NET_RPC_RESP, NULL, NULL);
	list_init(&all);
	pend_take_all(&c->calls, &all);
	while (!list_empty(&all)) {
		struct rpc_call *call = list_first_entry(&all, struct rpc_call, p.tlink);

		list_del(&call->p.tlink);
		c->ep->env.free(c->ep->env.ctx, call);
	}
}

/*
 * Send a request; done runs exactly once, later (never before this returns): with
 * the response, the server's error, -ETIMEDOUT after timeout_ns (0: no timeout of
 * its own), or the transport's error. A failure here returns it and done never runs.
 */
int rpc_call_start(struct rpc_client *c, uint8_t peer, uint16_t opcode, const void *req,
		   size_t len, uint64_t timeout_ns, rpc_done_fn done, void *arg)
{
	struct net_msg_hdr m = { .kind = NET_RPC_REQ, .opcode = opcode };
	struct rpc_call *call;
	int err;

	if (!done)
		return -EINVAL;
	call = c->ep->env.alloc(c->ep->env.ctx, sizeof(*call));
	if (!call)
		return -ENOMEM;
	m.id = net_new_id(c->ep);
	err = net_send(c->ep, peer, &m, req, len, rpc_sent, c);
	if (err) {
		c->ep->env.free(c->ep->env.ctx, call);
		return err;
	}
	call->p.id = m.id;
	call->p.peer = peer;
	call->p.deadline = timeout_ns ? c->ep->env.now_ns(c->ep->env.ctx) + timeout_ns : 0;
	call->opcode = opcode;
	call->done = done;
	call->arg = arg;
	pend_add(&c->calls, &call->p);
	return 0;
}

/* ---- server ---- */

/* What every server answers unless its own table says otherwise. */
static const struct rpc_op builtin_ops[NET_OPCODE_MAX] = {
	RPC_OP(ANY_ECHO, rpc_echo),
};

int rpc_echo(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t resp_max)
{
	(void)ctx;
	(void)peer;
	if (len > resp_max)
		return -EMSGSIZE;
	memcpy(resp, req, len);
	return (int)len;
}

/*
 * The choke point's rule: a request, an opcode with a handler (the monitor's table,
 * then the built-in one), a length within that opcode's bounds. NULL and *err if not.
 */
static const struct rpc_op *rpc_lookup(const struct rpc_server *s, const struct net_msg_hdr *m,
				       size_t len, int *err)
{
	const struct rpc_op *op = NULL;

	*err = -EINVAL;
	if (m->kind != NET_RPC_REQ)
		return NULL;
	if (m->opcode < s->nops && s->ops[m->opcode].fn)
		op = &s->ops[m->opcode];
	else if (m->opcode < NET_OPCODE_MAX && builtin_ops[m->opcode].fn)
		op = &builtin_ops[m->opcode];
	if (!op) {
		*err = -ENOSYS;
		return NULL;
	}
	if (len < op->min_len || len > op->max_len)
		return NULL;
	return op;
}

int rpc_server_init(struct rpc_server *s, struct net_endpoint *ep, const struct rpc_op *ops,
		    unsigned nops, void *ctx)
{
	s->ep = ep;
	s->ops = ops;
	s->nops = ops ? nops : 0;
	s->ctx = ctx;
	s->resp = ep->env.alloc(ep->env.ctx, NET_MSG_MAX);
	return s->resp ? 0 : -ENOMEM;
}

void rpc_server_fini(struct rpc_server *s)
{
	if (s->resp)
		s->ep->env.free(s->ep->env.ctx, s->resp);
	s->resp = NULL;
}

/*
 * The choke point, under the endpoint's serialization (e.g. in deliver): a request
 * that fails it is answered with -ENOSYS or -EINVAL here, counted, and returns that
 * error; 0 means it may go to rpc_handle.
 */
int rpc_check(struct rpc_server *s, uint8_t peer, const struct net_msg_hdr *m, size_t len)
{
	int err;

	if (m->kind != NET_RPC_REQ) {
		net_count(s->ep, peer, NET_C_BAD_REQ);
		return -EINVAL;
	}
	if (rpc_lookup(s, m, len, &err)) {
		net_count(s->ep, peer, NET_C_RPC_SERVED);
		return 0;
	}
	net_count(s->ep, peer, err == -ENOSYS ? NET_C_BAD_OPCODE : NET_C_BAD_RPC_LEN);
	rpc_reply(s->ep, peer, m, err, NULL);
	return err;
}

/*
 * Run the request's handler. Touches nothing shared but the handler's own state, so
 * it may run outside the endpoint's lock; it re-applies the choke point's rule (without
 * counting) so no handler ever sees a request that fails it. The handler may write no
 * more than the opcode's response bound: a longer answer is a bug, and fails with -EIO.
 */
int rpc_handle(const struct rpc_server *s, uint8_t peer, const struct net_msg_hdr *m,
	       const void *req, size_t len, void *resp, size_t resp_max)
{
	const struct rpc_op *op;
	int ret;

	op = rpc_lookup(s, m, len, &ret);
	if (!op)
		return ret;
	if (resp_max > op->resp_max)
		resp_max = op->resp_max;
	ret = op->fn(s->ctx, peer, req, len, resp, resp_max);
	if (ret > 0 && (size_t)ret > resp_max)
		return -EIO;
	return ret;
}

/* Answer req: ret >= 0 is the response length (bytes at resp), < 0 the error for the caller. */
int rpc_reply(struct net_endpoint *ep, uint8_t peer, const struct net_msg_hdr *req, int ret,
	      const void *resp)
{
	struct net_msg_hdr m = {
		.kind = NET_RPC_RESP, .opcode = req->opcode, .id = req->id,
		.status = ret < 0 ? ret : 0,
	};

	return net_send(ep, peer, &m, resp, ret > 0 ? (size_t)ret : 0, NULL, NULL);
}

/* check, handle and reply in one go, for callers that run handlers under the lock. */
int rpc_serve(struct rpc_server *s, uint8_t peer, const struct net_msg_hdr *m, const void *req,
	      size_t len)
{
	int err = rpc_check(s, peer, m, len);

	if (err)
		return err;
	return rpc_reply(s->ep, peer, m, rpc_handle(s, peer, m, req, len, s->resp, NET_MSG_MAX),
			 s->resp);
}
