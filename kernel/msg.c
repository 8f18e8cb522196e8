/*
 * The kernel glue of the message layer. One poller thread owns the NIC: it feeds
 * received frames to the transport (which also serves one-sided READ/WRITE and the
 * raw echo on the spot), runs its timers, and after activity keeps polling for a
 * short window before going back to sleep on the receive interrupt. RPC requests
 * run on worker threads, except the few that never block, served in the poller.
 * One lock (msg_lock) serializes every call into net/.
 */
#define LOG_SUBSYS "net"
#include <stdarg.h>
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/monitor.h"
#include "kernel/msg.h"
#include "kernel/netdev.h"
#include "kernel/netprobe.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "net/membership.h"
#include "net/probe.h"
#include "net/transport.h"
#include "net/verbs.h"
#include "msg_internal.h"

#define POLL_MIN_NS	(20 * NSEC_PER_USEC)
#define POLL_MAX_NS	(400 * NSEC_PER_USEC)
#define RX_BUDGET	64
#define NWORKERS	4
#define VERBS_REGIONS	256
#define VERBS_TIMEOUT	(5 * NSEC_PER_SEC)
#define HB_INTERVAL	(250 * NSEC_PER_MSEC)

struct rpc_job {
	struct list_head link;
	uint8_t peer;
	struct net_msg_hdr hdr;
	size_t len;
	uint8_t payload[];
};

struct spinlock msg_lock = SPINLOCK_INIT("net");	/* every call into net/ */
struct net_endpoint msg_ep;
struct rpc_client msg_client;
static struct rpc_server server;
struct verbs msg_verbs;
static struct membership memb;
static const struct node_config *node_cfg;
static struct thread *poller;
static volatile bool kicked;		/* work for the poller that no frame announces */

static struct spinlock job_lock = SPINLOCK_INIT("rpc jobs");	/* jobs */
static struct list_head jobs = LIST_HEAD_INIT(jobs);
static struct wait_queue job_wq;

/* Handlers that neither block nor take msg_lock, so the poller may run them itself. */
static const bool serve_inline[NET_OPCODE_MAX] = {
	[ANY_ECHO] = true,
	[ANY_NETINFO] = true,
};

static const struct rpc_op base_ops[NET_OPCODE_MAX] = {
	RPC_OP(ANY_ECHO, rpc_echo),
	RPC_OP(ANY_NETINFO, netprobe_info),
	RPC_OP(ANY_NETSTATS, netprobe_stats),
	RPC_OP(ANY_PROBE, netprobe_run),
};

static uint64_t env_now(void *ctx)
{
	(void)ctx;
	return clock_ns();
}

static int env_xmit(void *ctx, const void *frame, size_t len)
{
	(void)ctx;
	return netdev_send(frame, len);
}

static void *env_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return kmalloc(size);
}

static void env_free(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

static void env_log(void *ctx, const char *fmt, ...)
{
	char line[200];
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pr_warn("%s", line);
}

/* The role's node_event (struct monitor), set once by msg_init. */
static void (*role_event)(uint8_t node, enum node_event ev);

static const struct peer *peer_of(uint8_t id)
{
	for (unsigned i = 0; i < node_cfg->npeers; i++)
		if (node_cfg->peers[i].id == id)
			return &node_cfg->peers[i];
	return NULL;
}

static bool started;		/* atomic: the role's start hook has returned */

/*
 * Tell the role of a node's event; host entries come and go with every tool run.
 * Not before the role's start hook has returned: the hook makes what the event
 * handlers use (wait queues, tables), and before it the role holds nothing an
 * event could concern.
 */
static void node_event(uint8_t node, enum node_event ev)
{
	const struct peer *p = peer_of(node);

	if (role_event && p && p->role != ROLE_HOST &&
	    __atomic_load_n(&started, __ATOMIC_ACQUIRE))
		role_event(node, ev);
}

static void env_peer_event(void *ctx, uint8_t peer, enum net_peer_event ev)
{
	static const char *const what[] = { "up", "down", "restarted" };

	(void)ctx;
	pr_info("peer %u %s", peer, what[ev]);
	if (ev == NET_PEER_RESET)
		node_event(peer, NODE_EVENT_RESTARTED);
}

/*
 * gmon's verdicts on the cluster, as gmon decides them and as the others hear them.
 * Calls waiting on a node declared dead fail at once (-EHOSTUNREACH) instead of
 * waiting out their timeouts: a request it took just before it died is never
 * answered, and the transport only notices a peer that owes it an ack. The role
 * hears first, so a caller woken by the failure finds the role knowing why.
 */
static void memb_changed(void *arg, uint8_t node, bool up)
{
	const struct peer *p = peer_of(node);

	(void)arg;
	pr_info("node %u (%s) %s", node, p ? p->name : "?", up ? "up" : "down");
	node_event(node, up ? NODE_EVENT_UP : NODE_EVENT_DOWN);
	if (!up)
		rpc_fail_peer(&msg_client, node, -EHOSTUNREACH);
}

bool msg_node_down(uint8_t node)
{
	bool down;

	spin_lock(&msg_lock);
	down = memb.ep && !memb_alive(&memb, node);
	spin_unlock(&msg_lock);
	return down;
}

/* Heartbeats to gmon, or (on gmon) liveness tracking, when the cluster has a gmon. */
static int membership_init(const struct node_config *cfg)
{
	struct memb_params mp = {
		.hb_interval_ns = HB_INTERVAL,
		.hb_timeout_ns = cfg->hb_timeout_ms * NSEC_PER_MSEC,
	};

	const struct peer *gmon = NULL;

	for (unsigned i = 0; i < cfg->npeers; i++) {
		const struct peer *p = &cfg->peers[i];

		if (p->role == ROLE_GMON)
			gmon = p;
		if (p->role != ROLE_HOST)	/* host tools come and go unannounced */
			mp.members[p->id / 8] |= (uint8_t)(1u << (p->id % 8));
	}
	if (!gmon) {
		pr_warn("no gmon in the cluster map: no membership");
		return 0;
	}
	mp.gmon = gmon->id;
	return memb_init(&memb, &msg_ep, &mp, memb_changed, NULL);
}

/* Queue a checked request for a worker; the poller must not block on a handler. */
static void queue_job(uint8_t peer, const struct net_msg_hdr *m, const void *payload, size_t len)
{
	struct rpc_job *job = kmalloc(sizeof(*job) + len);

	if (!job) {
		rpc_reply(&msg_ep, peer, m, -ENOMEM, NULL);
		return;
	}
	job->peer = peer;
	job->hdr = *m;
	job->len = len;
	memcpy(job->payload, payload, len);
	spin_lock(&job_lock);
	list_add_tail(&job->link, &jobs);
	spin_unlock(&job_lock);
	wake_up_all(&job_wq);
}

/* In-order messages no net/ module consumed: here, RPC requests. Under msg_lock. */
static void env_deliver(void *ctx, uint8_t peer, const struct net_msg_hdr *m,
			const void *payload, size_t len)
{
	(void)ctx;
	if (m->kind == NET_SEND)
		return;		/* two-sided sends have no consumer yet but the stream probe */
	if (m->kind != NET_RPC_REQ) {
		net_count(&msg_ep, peer, NET_C_BAD_REQ);
		return;
	}
	if (rpc_check(&server, peer, m, len))
		return;
	if (m->opcode < NET_OPCODE_MAX && serve_inline[m->opcode])
		rpc_reply(&msg_ep, peer, m, rpc_handle(&server, peer, m, payload, len, server.resp,
						   NET_MSG_MAX), server.resp);
	else
		queue_job(peer, m, payload, len);
}

static struct net_env env = {
	.now_ns = env_now,
	.xmit = env_xmit,
	.alloc = env_alloc,
	.free = env_free,
	.deliver = env_deliver,
	.peer_event = env_peer_event,
	.log = env_log,
};

void msg_kick(void)
{
	kicked = true;
	thread_wake(poller);
}

static void rx_irq(void *arg)
{
	(void)arg;
	if (poller)
		thread_wake(poller);
}

static void rx_frame(void *arg, const void *frame, size_t len)
{
	(void)arg;
	if (len >= NET_HDRS && msg_raw_reply(frame, len))
		return;
	net_input(&msg_ep, frame, len);
}

static void poller_timer(struct timer *t)
{
	thread_wake(t->arg);
}

/*
 * Sleep until a receive interrupt, a kick or the transport's next deadline. The
 * interrupt is enabled and the ring re-checked after marking ourselves blocked,
 * so a frame that lands in between wakes us instead of being missed.
 */
static void poller_sleep(struct timer *t, uint64_t deadline)
{
	sched_prepare_block();
	netdev_rx_irq(true);
	if (netdev_rx_pending() || kicked) {
		thread_wake(current());
	} else {
		if (deadline)
			timer_arm(t, deadline);
		schedule();
		timer_cancel(t);
	}
	netdev_rx_irq(false);
	kicked = false;
}

/*
 * The poll window adapts: traffic inside the window doubles it (up to POLL_MAX_NS),
 * a window that expires idle halves it. Idle means asleep on the interrupt.
 */
static void poller_main(void *arg)
{
	uint64_t window = POLL_MIN_NS, last = clock_ns(), deadline;
	struct timer t;
	unsigned n;

	(void)arg;
	timer_init(&t, poller_timer, current());
	for (;;) {
		spin_lock(&msg_lock);
		n = netdev_poll(rx_frame, NULL, RX_BUDGET);
		deadline = net_poll(&msg_ep);
		spin_unlock(&msg_lock);
		if (n) {
			if (clock_ns() - last < window && window < POLL_MAX_NS)
				window *= 2;
			last = clock_ns();
			cond_resched();
			continue;
		}
		if (kicked || clock_ns() - last < window) {
			kicked = false;
			cpu_relax();
			cond_resched();
			continue;
		}
		if (window > POLL_MIN_NS)
			window /= 2;
		poller_sleep(&t, deadline);
		last = clock_ns();
	}
}


void msg_started(void)
{
	__atomic_store_n(&started, true, __ATOMIC_RELEASE);
	wake_up_all(&job_wq);
}

static bool job_ready(void)
{
	return __atomic_load_n(&started, __ATOMIC_ACQUIRE) && !list_empty(&jobs);
}

static void worker_main(void *arg)
{
	void *resp = kmalloc(NET_MSG_MAX);

	(void)arg;
	if (!resp)
		panic("no memory for an RPC worker's buffer");
	for (;;) {
		struct rpc_job *job = NULL;
		int ret;

		wait_event(&job_wq, job_ready());
		spin_lock(&job_lock);
		if (!list_empty(&jobs)) {
			job = list_first_entry(&jobs, struct rpc_job, link);
			list_del(&job->link);
		}
		spin_unlock(&job_lock);
		if (!job)
			continue;
		ret = rpc_handle(&server, job->peer, &job->hdr, job->payload, job->len, resp,
				 NET_MSG_MAX);
		spin_lock(&msg_lock);
		rpc_reply(&msg_ep, job->peer, &job->hdr, ret, resp);
		spin_unlock(&msg_lock);
		msg_kick();
		kfree(job);
	}
}

/* Nanoseconds for 8 CRCs of a page, after one untimed call (tables, caches). */
static uint64_t time_crc(net_crc_fn fn, const void *buf)
{
	uint32_t crc = fn(0, buf, PAGE_SIZE);
	uint64_t start = clock_ns();

	for (int i = 0; i < 8; i++)
		crc = fn(crc, buf, PAGE_SIZE);
	return clock_ns() - start + (crc & 1);	/* use the result */
}

/*
 * Every frame is checksummed once each way, so the CRC is on the packet path. Under
 * QEMU's TCG the crc32 instruction costs a helper call per 8 bytes and loses to
 * net/'s sliced tables; under KVM it wins by far. Time both on a page; keep the faster.
 */
static net_crc_fn fastest_crc(void)
{
	void *page = page_alloc(0);
	uint64_t hw, sw;

	if (!page || !arch_has_crc32c()) {
		if (page)
			page_free(page);
		return crc32c;
	}
	hw = time_crc(arch_crc32c, page);
	sw = time_crc(crc32c, page);
	page_free(page);
	pr_info("CRC32C of 4 KiB: %lu ns with crc32, %lu ns with tables: using %s", hw / 8,
		sw / 8, hw < sw ? "crc32" : "tables");
	return hw < sw ? arch_crc32c : crc32c;
}

/*
 * The server's table: the common RPCs every monitor answers (echo, probes) plus the
 * role's own. A role cannot replace a common one. Never freed: the server lives
 * as long as the node.
 */
static const struct rpc_op *merge_ops(const struct rpc_op *ops, unsigned nops)
{
	struct rpc_op *all = kzalloc(sizeof(base_ops));

	if (!all)
		return base_ops;
	memcpy(all, base_ops, sizeof(base_ops));
	for (unsigned op = 0; ops && op < nops && op < NET_OPCODE_MAX; op++)
		if (ops[op].fn && !all[op].fn)
			all[op] = ops[op];
	return all;
}

static int endpoint_init(const struct node_config *cfg, const struct rpc_op *ops,
			 unsigned nops)
{
	struct net_params p;
	int err;

	env.crc32c = fastest_crc();
	net_params_default(&p);
	p.node_id = cfg->id;
	netdev_mac(p.mac);
	p.epoch = (uint32_t)arch_entropy() | 1;
	p.secret = arch_entropy() << 32 ^ arch_entropy();
	p.mtu = netdev_max_frame() - sizeof(struct net_eth_hdr);
	err = net_init(&msg_ep, &p, &env);
	if (err)
		return err;
	for (unsigned i = 0; i < cfg->npeers; i++)
		if (cfg->peers[i].id != cfg->id)
			net_add_peer(&msg_ep, cfg->peers[i].id, cfg->peers[i].mac);
	err = rpc_client_init(&msg_client, &msg_ep);
	if (!err)
		err = rpc_server_init(&server, &msg_ep, merge_ops(ops, nops), NET_OPCODE_MAX, NULL);
	if (!err)
		err = verbs_init(&msg_verbs, &msg_ep, VERBS_REGIONS, VERBS_TIMEOUT);
	if (!err)
		err = membership_init(cfg);
	return err;
}

bool msg_is_self(uint8_t peer)
{
	return node_cfg && peer == node_cfg->id;
}

/*
 * The transport has no path to its own node, so a call to oneself (a home mmon
 * that also fronts the vNode's files) is checked at the same choke point as a
 * remote one and handled in the caller's thread.
 */
int msg_serve_self(uint16_t opcode, const void *req, size_t len, void *resp, size_t resp_max)
{
	struct net_msg_hdr m = { .kind = NET_RPC_REQ, .opcode = opcode, .len = (uint32_t)len };

	return rpc_handle(&server, node_cfg->id, &m, req, len, resp, resp_max);
}

int msg_init(const struct node_config *cfg, const struct monitor *mon)
{
	int err = netdev_init(rx_irq, NULL);

	if (err)
		return err;
	node_cfg = cfg;
	role_event = mon->node_event;
	err = endpoint_init(cfg, mon->ops, mon->nops);
	if (err)
		return err;
	wait_queue_init(&job_wq);
	err = msg_raw_init();
	if (err)
		return err;
	err = netprobe_init();
	if (err)
		return err;
	poller = thread_create("net-poll", poller_main, NULL, 0);
	if (!poller)
		return -ENOMEM;
	for (int i = 0; i < NWORKERS; i++)
		if (!thread_create("rpc", worker_main, NULL, i % ncpus))
			return -ENOMEM;
	return 0;
}
