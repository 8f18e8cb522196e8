/*
 * The host endpoint (include/net/host.h): a unix datagram socket on the fabric
 * port of a "host" entry of the cluster map, the Linux environment the portable
 * transport needs, and an event loop that blocking calls run until answered. The
 * loop also serves RPCs monitors send the host (a program's output and exit).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "net/host.h"

uint64_t host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t env_now(void *ctx)
{
	(void)ctx;
	return host_now();
}

static int env_xmit(void *ctx, const void *frame, size_t len)
{
	return host_xmit_raw(ctx, frame, len);
}

static void *env_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void env_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void env_log(void *ctx, const char *fmt, ...)
{
	struct host_ep *h = ctx;
	va_list ap;

	fprintf(h->log, "[%s net] ", h->self->name);
	va_start(ap, fmt);
	vfprintf(h->log, fmt, ap);
	va_end(ap);
	fputc('\n', h->log);
	fflush(h->log);
}

/* host_open left us in <run_dir>/fabric: a relative run_dir no longer names it. */
int host_log_to_run_dir(struct host_ep *h, const char *run_dir)
{
	char path[512];
	FILE *f;

	if (run_dir[0] == '/')
		snprintf(path, sizeof(path), "%s/%s.log", run_dir, h->self->name);
	else
		snprintf(path, sizeof(path), "../%s.log", h->self->name);
	f = fopen(path, "a");
	if (!f)
		return -errno;
	h->log = f;
	return 0;
}

int host_xmit_raw(struct host_ep *h, const void *frame, size_t len)
{
	struct sockaddr_un to = { .sun_family = AF_UNIX };

	memcpy(to.sun_path, h->fabric_sock, sizeof(h->fabric_sock));
	if (sendto(h->fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

static void reply_done(void *arg, const struct net_msg_hdr *m, int err)
{
	struct host_ep *h = arg;

	(void)m;
	(void)err;
	if (!--h->replies)
		h->flushed = 1;
}

/*
 * An in-order message no module consumed: RPC requests go through the server's
 * choke point and are handled on the spot (the host is one thread). The answer is
 * counted until acknowledged, so host_flush can wait for it before the tool exits.
 */
static void env_deliver(void *ctx, uint8_t peer, const struct net_msg_hdr *m,
			const void *payload, size_t len)
{
	struct host_ep *h = ctx;
	struct net_msg_hdr r = { .kind = NET_RPC_RESP, .opcode = m->opcode, .id = m->id };
	int ret;

	if (m->kind != NET_RPC_REQ) {
		net_count(&h->ep, peer, NET_C_UNHANDLED);
		return;
	}
	if (rpc_check(&h->server, peer, m, len))
		return;
	ret = rpc_handle(&h->server, peer, m, payload, len, h->server.resp, NET_MSG_MAX);
	r.status = ret < 0 ? ret : 0;
	if (!net_send(&h->ep, peer, &r, h->server.resp, ret > 0 ? (size_t)ret : 0, reply_done, h))
		h->replies++;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

/* The cluster map is the same in every node's config: read the first one found. */
static int load_map(struct host_ep *h, const char *run_dir)
{
	char path[512], line[256];
	FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/cluster.map", run_dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && h->npeers < 256) {
		struct host_peer *p = &h->peers[h->npeers];
		unsigned id;
		char mac[32];

		if (sscanf(line, "peer=%u %15s %7s %31s", &id, p->name, p->role, mac) != 4 ||
		    id > 255 || parse_mac(mac, p->mac))
			continue;
		p->id = (uint8_t)id;
		h->npeers++;
	}
	fclose(f);
	return h->npeers ? 0 : -ENOENT;
}

const struct host_peer *host_peer(const struct host_ep *h, const char *name)
{
	for (unsigned i = 0; i < h->npeers; i++)
		if (!strcmp(h->peers[i].name, name))
			return &h->peers[i];
	return NULL;
}

/* Take a host entry nobody else holds; the lock lives as long as the process. */
static int claim_slot(struct host_ep *h, const char *run_dir, const char *as)
{
	char path[512];

	for (unsigned i = 0; i < h->npeers; i++) {
		const struct host_peer *p = &h->peers[i];

		if (strcmp(p->role, "host") || (as && strcmp(p->name, as)))
			continue;
		snprintf(path, sizeof(path), "%s/fabric/%s.lock", run_dir, p->name);
		h->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (h->lock_fd < 0)
			return -errno;
		if (flock(h->lock_fd, LOCK_EX | LOCK_NB) == 0) {
			h->self = p;
			return 0;
		}
		close(h->lock_fd);
	}
	return -EBUSY;
}

/*
 * Bind our end of the port. Socket paths are short (108 bytes) and run dirs can be
 * long, so the tool works inside <run>/fabric and names the sockets relatively.
 */
static int open_socket(struct host_ep *h, const char *run_dir)
{
	struct sockaddr_un me = { .sun_family = AF_UNIX };
	char dir[512];
	int n;

	snprintf(dir, sizeof(dir), "%s/fabric", run_dir);
	if (chdir(dir) < 0)
		return -errno;
	snprintf(me.sun_path, sizeof(me.sun_path), "%s.peer.sock", h->self->name);
	snprintf(h->fabric_sock, sizeof(h->fabric_sock), "%s.sock", h->self->name);
	h->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (h->fd < 0)
		return -errno;
	unlink(me.sun_path);
	if (bind(h->fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		return -errno;
	n = 4 << 20;
	setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof(n));
	return 0;
}

static int endpoint_init(struct host_ep *h)
{
	struct net_env env = {
		.ctx = h, .now_ns = env_now, .xmit = env_xmit, .alloc = env_alloc,
		.free = env_free, .deliver = env_deliver, .log = env_log,
	};
	struct net_params p;
	int err;

	net_params_default(&p);
	p.node_id = h->self->id;
	memcpy(p.mac, h->self->mac, 6);
	p.epoch = (uint32_t)(host_now() ^ (uint64_t)getpid() << 16) | 1;
	if (getrandom(&p.secret, sizeof(p.secret), 0) != sizeof(p.secret))
		p.secret = host_now() ^ (uint64_t)getpid() << 32;
	err = net_init(&h->ep, &p, &env);
	for (unsigned i = 0; !err && i < h->npeers; i++)
		if (h->peers[i].id != p.node_id)
			err = net_add_peer(&h->ep, h->peers[i].id, h->peers[i].mac);
	if (!err)
		err = rpc_client_init(&h->rpc, &h->ep);
	if (!err)
		err = rpc_server_init(&h->server, &h->ep, NULL, 0, NULL);
	if (!err)
		err = verbs_init(&h->verbs, &h->ep, 16, 0);
	return err;
}

int host_serve(struct host_ep *h, const struct rpc_op *ops, unsigned nops, void *ctx)
{
	rpc_server_fini(&h->server);
	return rpc_server_init(&h->server, &h->ep, ops, nops, ctx);
}

int host_open(struct host_ep *h, const char *run_dir, const char *as)
{
	int err;

	memset(h, 0, sizeof(*h));
	h->fd = h->lock_fd = -1;
	h->log = stderr;
	err = load_map(h, run_dir);
	if (!err)
		err = claim_slot(h, run_dir, as);
	if (!err)
		err = open_socket(h, run_dir);
	if (!err)
		err = endpoint_init(h);
	return err;
}

void host_close(struct host_ep *h)
{
	rpc_server_fini(&h->server);
	if (h->fd >= 0)
		close(h->fd);
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	if (h->log != stderr)
		fclose(h->log);
}

static void drain(struct host_ep *h)
{
	static uint8_t frame[65536];
	ssize_t n;

	while ((n = recv(h->fd, frame, sizeof(frame), 0)) > 0)
		net_input(&h->ep, frame, (size_t)n);
}

int host_wait_fd(struct host_ep *h, volatile int *done, int fd, uint64_t timeout_ns)
{
	uint64_t deadline = host_now() + timeout_ns;

	while (!*done) {
		uint64_t now = host_now(), next = net_poll(&h->ep), until = deadline;
		struct pollfd pfd[2] = { { .fd = h->fd, .events = POLLIN },
					 { .fd = fd, .events = POLLIN } };
		struct timespec ts;

		if (*done)
			break;
		if (now >= deadline)
			return -ETIMEDOUT;
		if (next && next < until)
			until = next;
		until = until > now ? until - now : 0;
		ts.tv_sec = (time_t)(until / 1000000000ULL);
		ts.tv_nsec = (long)(until % 1000000000ULL);
		if (ppoll(pfd, fd >= 0 ? 2 : 1, &ts, NULL) > 0 && (pfd[0].revents & POLLIN))
			drain(h);
		if (fd >= 0 && pfd[1].revents)
			return 1;
	}
	return 0;
}

int host_wait(struct host_ep *h, volatile int *done, uint64_t timeout_ns)
{
	return host_wait_fd(h, done, -1, timeout_ns);
}

int host_flush(struct host_ep *h, uint64_t timeout_ns)
{
	h->flushed = !h->replies;
	return host_wait(h, &h->flushed, timeout_ns);
}

struct call {
	volatile int done;
	int status;
	void *buf;
	size_t max;
};

static void call_done(void *arg, int status, const void *resp, size_t len)
{
	struct call *c = arg;

	if (status >= 0) {
		status = (int)(len < c->max ? len : c->max);
		memcpy(c->buf, resp, (size_t)status);
	}
	c->status = status;
	c->done = 1;
}

int host_rpc(struct host_ep *h, uint8_t peer, uint16_t opcode, const void *req, size_t len,
	     void *resp, size_t resp_max, uint64_t timeout_ns)
{
	struct call c = { .buf = resp, .max = resp_max };
	int err = rpc_call_start(&h->rpc, peer, opcode, req, len, timeout_ns, call_done, &c);

	if (err)
		return err;
	host_wait(h, &c.done, timeout_ns + 1000000000ULL);
	return c.done ? c.status : -ETIMEDOUT;
}

static void cq_done(void *arg)
{
	*(volatile int *)arg = 1;
}

int host_read(struct host_ep *h, uint8_t peer, uint32_t key, uint64_t offset, void *buf,
	      uint32_t len, uint64_t timeout_ns)
{
	struct verbs_wr wr = { .peer = peer, .key = key, .offset = offset, .buf = buf, .len = len };
	volatile int done = 0;
	struct verbs_wc wc;
	struct verbs_cq cq;
	int err = verbs_cq_init(&cq, &h->ep, 1, cq_done, (void *)&done);

	if (err)
		return err;
	err = verbs_post(&h->verbs, &cq, VERBS_OP_READ, &wr);
	if (!err)
		err = host_wait(h, &done, timeout_ns);
	if (!err)
		err = verbs_cq_poll(&cq, &wc, 1) == 1 ? (wc.status ? wc.status : (int)wc.bytes)
						       : -EIO;
	verbs_cq_fini(&cq);
	return err;
}
