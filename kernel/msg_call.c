/*
 * The message layer's blocking calls, for monitor threads (include/kernel/msg.h):
 * each posts its operation under msg_lock, kicks the poller and sleeps on a wait
 * queue until the completion arrives. Also the raw echo the benchmarks time.
 */
#define LOG_SUBSYS "net"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/netdev.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "net/probe.h"
#include "msg_internal.h"

/* The one raw echo in flight; msg_raw_echo() refuses a second with -EBUSY. */
static struct {
	struct wait_queue wq;
	volatile bool waiting, answered;
	uint8_t peer;
	uint32_t seq;
	size_t len;
	uint8_t *frame;			/* NET_HDRS + NET_MTU_MAX bytes */
} raw;

int msg_raw_init(void)
{
	wait_queue_init(&raw.wq);
	raw.frame = kmalloc(NET_HDRS + NET_MTU_MAX);
	return raw.frame ? 0 : -ENOMEM;
}

/* Is this the reply to the raw echo we are waiting for? (Payload checked by the caller.) */
bool msg_raw_reply(const void *frame, size_t len)
{
	const struct net_eth_hdr *e = frame;
	const struct net_pkt_hdr *h = (const struct net_pkt_hdr *)(e + 1);

	if (!raw.waiting || len != raw.len || h->type != NET_PKT_ECHO_REPLY ||
	    h->src != raw.peer || h->psn != raw.seq ||
	    e->type[0] != NET_ETHERTYPE >> 8 || e->type[1] != (NET_ETHERTYPE & 0xff))
		return false;
	memcpy(raw.frame, frame, len);
	raw.waiting = false;
	raw.answered = true;
	wake_up_all(&raw.wq);
	return true;
}

/* A blocking caller's side of a READ or a stream (an RPC's is struct msg_call). */
struct waiter_slot {
	struct wait_queue wq;
	volatile bool done;
	int status;
	unsigned pending;		/* msg_stream: sends not yet completed */
};

/* The operation is over: mark it done and wake the caller (see wake_up_all_locked()). */
static void finish(struct wait_queue *wq, volatile bool *done)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	*done = true;
	wake_up_all_locked(wq);
	spin_unlock_irqrestore(&wq->lock, flags);
}

static void slot_finish(struct waiter_slot *w)
{
	finish(&w->wq, &w->done);
}

static void wait_init(struct waiter_slot *w)
{
	wait_queue_init(&w->wq);
	w->done = false;
}

/* An RPC's answer arrived (or its error): copy it out, then wake the caller. */
static void rpc_done(void *arg, int status, const void *resp, size_t len)
{
	struct msg_call *c = arg;

	if (status >= 0) {
		status = len < c->resp_max ? (int)len : (int)c->resp_max;
		memcpy(c->resp, resp, (size_t)status);
	}
	c->status = status;
	finish(&c->wq, &c->done);
}

int msg_rpc_start(struct msg_call *c, uint8_t peer, uint16_t opcode, const void *req,
		  size_t len, void *resp, size_t resp_max, uint64_t timeout_ns)
{
	int err;

	wait_queue_init(&c->wq);
	c->resp = resp;
	c->resp_max = resp_max;
	c->done = false;
	if (msg_is_self(peer)) {
		c->status = msg_serve_self(opcode, req, len, resp, resp_max);
		c->done = true;
		return 0;
	}
	spin_lock(&msg_lock);
	err = rpc_call_start(&msg_client, peer, opcode, req, len, timeout_ns, rpc_done, c);
	spin_unlock(&msg_lock);
	if (err)
		return err;
	msg_kick();
	return 0;
}

int msg_rpc_wait(struct msg_call *c)
{
	wait_event(&c->wq, c->done);
	return c->status;
}

static int rpc_once(uint8_t peer, uint16_t opcode, const void *req, size_t len, void *resp,
		    size_t resp_max, uint64_t timeout_ns)
{
	struct msg_call c;
	int err = msg_rpc_start(&c, peer, opcode, req, len, resp, resp_max, timeout_ns);

	return err ? err : msg_rpc_wait(&c);
}

int msg_rpc(uint8_t peer, uint16_t opcode, const void *req, size_t len, void *resp,
	    size_t resp_max, uint64_t timeout_ns)
{
	int ret = rpc_once(peer, opcode, req, len, resp, resp_max, timeout_ns);

	if (ret != -ECONNRESET)
		return ret;
	pr_info("peer %u restarted: sending opcode %u again", peer, opcode);
	return rpc_once(peer, opcode, req, len, resp, resp_max, timeout_ns);
}

#define MSG_RETRY_GAP (100 * NSEC_PER_MSEC)	/* between two tries of msg_rpc_patient */

bool msg_transport_error(int err)
{
	return err == -ETIMEDOUT || err == -ECONNRESET || err == -EHOSTUNREACH;
}

int msg_rpc_patient(uint8_t peer, uint16_t opcode, const void *req, size_t len, void *resp,
		    size_t resp_max, uint64_t timeout_ns, uint64_t patience_ns)
{
	uint64_t until = clock_ns() + patience_ns;
	int ret;

	for (;;) {
		ret = msg_rpc(peer, opcode, req, len, resp, resp_max, timeout_ns);
		if (!msg_transport_error(ret) || clock_ns() >= until)
			return ret;
		sleep_ns(MSG_RETRY_GAP);
	}
}

static void cq_notify(void *arg)
{
	slot_finish(arg);
}

int msg_read(uint8_t peer, uint32_t key, uint64_t offset, void *buf, uint32_t len)
{
	struct verbs_wr wr = { .peer = peer, .key = key, .offset = offset, .buf = buf, .len = len };
	struct verbs_wc wc;
	struct verbs_cq cq;
	struct waiter_slot w;
	int err;

	wait_init(&w);
	spin_lock(&msg_lock);
	err = verbs_cq_init(&cq, &msg_ep, 1, cq_notify, &w);
	if (!err)
		err = verbs_post(&msg_verbs, &cq, VERBS_OP_READ, &wr);
	spin_unlock(&msg_lock);
	if (err)
		goto out_cq;
	msg_kick();
	wait_event(&w.wq, w.done);
	spin_lock(&msg_lock);
	err = verbs_cq_poll(&cq, &wc, 1) == 1 ? (wc.status ? wc.status : (int)wc.bytes) : -EIO;
	spin_unlock(&msg_lock);
out_cq:
	spin_lock(&msg_lock);
	verbs_cq_fini(&cq);
	spin_unlock(&msg_lock);
	return err;
}

int msg_register(void *base, size_t len, unsigned perm, uint32_t *key)
{
	int err;

	spin_lock(&msg_lock);
	err = verbs_reg_mr(&msg_verbs, base, len, perm, key);
	spin_unlock(&msg_lock);
	return err;
}

static void raw_timeout(struct timer *t)
{
	(void)t;
	wake_up_all(&raw.wq);
}

/*
 * Send a bare echo frame with len payload bytes to peer and wait for it to come
 * back; the returned payload must match. Only one raw echo runs at a time.
 */
int msg_raw_echo(uint8_t peer, size_t len, uint32_t seq, uint64_t timeout_ns)
{
	static struct spinlock one = SPINLOCK_INIT("raw echo");
	uint64_t deadline = clock_ns() + timeout_ns;
	uint8_t *payload = raw.frame + NET_HDRS;
	struct timer t;
	size_t flen;
	int err = 0;

	if (!net_known(&msg_ep, peer) || len > msg_ep.p.mtu - sizeof(struct net_pkt_hdr))
		return -EINVAL;
	spin_lock(&one);
	if (raw.waiting) {
		spin_unlock(&one);
		return -EBUSY;
	}
	spin_lock(&msg_lock);
	flen = wire_echo_build(raw.frame, NET_HDRS + NET_MTU_MAX, msg_ep.macs[peer], msg_ep.p.mac,
			       msg_ep.p.node_id, peer, seq, len);
	for (size_t i = 0; i < len; i++)
		payload[i] = probe_byte(i + seq);
	raw.peer = peer;
	raw.seq = seq;
	raw.len = flen;
	raw.answered = false;
	raw.waiting = true;
	if (netdev_send(raw.frame, flen))
		err = -EAGAIN;
	spin_unlock(&msg_lock);
	spin_unlock(&one);
	if (err) {
		raw.waiting = false;
		return err;
	}
	timer_init(&t, raw_timeout, NULL);
	timer_arm(&t, deadline);
	wait_event(&raw.wq, raw.answered || clock_ns() >= deadline);
	timer_cancel(&t);
	raw.waiting = false;
	if (!raw.answered)
		return -ETIMEDOUT;
	for (size_t i = 0; i < len; i++)
		if (payload[i] != probe_byte(i + seq))
			return -EIO;
	return 0;
}

static void stream_done(void *arg, const struct net_msg_hdr *m, int err)
{
	struct waiter_slot *w = arg;
	unsigned long flags;

	(void)m;
	flags = spin_lock_irqsave(&w->wq.lock);		/* see slot_finish() */
	if (err && !w->status)
		w->status = err;
	w->pending--;
	wake_up_all_locked(&w->wq);
	spin_unlock_irqrestore(&w->wq.lock, flags);
}

/* Queue count one-way messages of len bytes to peer; wait until all are acknowledged. */
int msg_stream(uint8_t peer, const void *buf, size_t len, unsigned count)
{
	struct net_msg_hdr m = { .kind = NET_SEND };
	struct waiter_slot w;
	unsigned sent = 0;

	wait_init(&w);
	w.status = 0;
	w.pending = 0;
	while (sent < count && !w.status) {
		int err;

		spin_lock(&msg_lock);
		m.id = net_new_id(&msg_ep);
		err = net_send(&msg_ep, peer, &m, buf, len, stream_done, &w);
		if (!err) {
			w.pending++;
			sent++;
		}
		spin_unlock(&msg_lock);
		msg_kick();
		if (err == -ENOMEM && w.pending) {
			unsigned level = w.pending;	/* the queue is full: wait for room */

			wait_event(&w.wq, w.pending < level || w.status);
		} else if (err) {
			w.status = err;
		}
	}
	wait_event(&w.wq, w.pending == 0);
	return w.status;
}

void msg_stats(int peer, struct net_stats *out)
{
	const struct net_stats *s;

	spin_lock(&msg_lock);
	s = peer < 0 ? &msg_ep.stats : net_peer_stats(&msg_ep, (uint8_t)peer);
	if (s)
		*out = *s;
	else
		memset(out, 0, sizeof(*out));
	spin_unlock(&msg_lock);
}

unsigned msg_mtu(void)
{
	return msg_ep.p.mtu;
}
