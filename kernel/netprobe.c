/*
 * Network probes, run by a monitor on request of the host tool: N raw echoes,
 * echo RPCs, one-sided READs or one-way sends against another node, with each
 * result checked byte for byte and the latencies summarized. Also the probe
 * region peers READ, and the node's message-layer counters.
 */
#define LOG_SUBSYS "probe"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/netprobe.h"
#include "kernel/printk.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "net/probe.h"
#include "net/verbs.h"

#define REGION_ORDER	4			/* 64 KiB */
#define REGION_LEN	(PAGE_SIZE << REGION_ORDER)

static uint8_t *region;
static uint32_t region_key;

int netprobe_init(void)
{
	region = page_alloc(REGION_ORDER);
	if (!region)
		return -ENOMEM;
	for (size_t i = 0; i < REGION_LEN; i++)
		region[i] = probe_byte(i);
	return msg_register(region, REGION_LEN, VERBS_READ, &region_key);
}

int netprobe_info(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		  size_t resp_max)
{
	struct netinfo_resp r = { .probe_key = region_key, .probe_len = REGION_LEN,
				  .mtu = msg_mtu() };

	(void)ctx, (void)peer, (void)req, (void)len;
	if (resp_max < sizeof(r))
		return -ENOSPC;
	memcpy(resp, &r, sizeof(r));
	return sizeof(r);
}

/* Request: one byte, the peer whose counters to return (0xff: the whole node). */
int netprobe_stats(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		   size_t resp_max)
{
	uint8_t which = *(const uint8_t *)req;
	struct net_stats s;

	(void)ctx, (void)peer, (void)len;
	if (resp_max < sizeof(s))
		return -ENOSPC;
	msg_stats(which == 0xff ? -1 : which, &s);
	memcpy(resp, &s, sizeof(s));
	return sizeof(s);
}

/* Heapsort: bounded stack and time whatever the samples look like. */
static void sift(uint64_t *a, size_t n, size_t i)
{
	for (;;) {
		size_t big = i, l = 2 * i + 1, r = l + 1;
		uint64_t t;

		if (l < n && a[l] > a[big])
			big = l;
		if (r < n && a[r] > a[big])
			big = r;
		if (big == i)
			return;
		t = a[i], a[i] = a[big], a[big] = t;
		i = big;
	}
}

static void sort(uint64_t *a, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(a, n, i);
	for (size_t end = n; end-- > 1;) {
		uint64_t t = a[0];

		a[0] = a[end], a[end] = t;
		sift(a, end, 0);
	}
}

static void fill(uint8_t *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = probe_byte(i + seed);
}

/* One RPC echo with a payload unique to this operation; 1 if the bytes were wrong. */
static int one_rpc(const struct probe_req *q, uint8_t *out, uint8_t *in, uint32_t n)
{
	int ret;

	fill(out, q->size, n);
	ret = msg_rpc(q->peer, ANY_ECHO, out, q->size, in, q->size,
		      q->timeout_ms * NSEC_PER_MSEC);
	if (ret < 0)
		return ret;
	return (uint32_t)ret != q->size || memcmp(out, in, q->size) ? 1 : 0;
}

static int one_read(const struct probe_req *q, const struct netinfo_resp *info, uint8_t *in,
		    uint32_t n)
{
	uint64_t off = ((uint64_t)n * 4096) % (info->probe_len - q->size + 1);
	int ret = msg_read(q->peer, info->probe_key, off, in, q->size);

	if (ret < 0)
		return ret;
	if ((uint32_t)ret != q->size)
		return 1;
	for (uint32_t i = 0; i < q->size; i++)
		if (in[i] != probe_byte(off + i))
			return 1;
	return 0;
}

static void summarize(struct probe_resp *r, uint64_t *ns, uint32_t n)
{
	if (n == 0)
		return;
	sort(ns, n);
	r->min_ns = ns[0];
	r->median_ns = ns[n / 2];
	r->p99_ns = ns[(uint64_t)n * 99 / 100];
	r->max_ns = ns[n - 1];
}

static void tally(struct probe_resp *r, int ret)
{
	if (ret == 0)
		r->ok++;
	else if (ret > 0)
		r->bad_data++;
	else if (r->failed++ == 0)
		r->first_err = ret;
}

/* Each operation timed on its own; the latencies of the good ones are summarized. */
static int run_ops(const struct probe_req *q, struct probe_resp *r, uint8_t *out, uint8_t *in,
		   uint64_t *ns)
{
	struct netinfo_resp info;
	int ret;

	if (q->kind == PROBE_READ) {
		ret = msg_rpc(q->peer, ANY_NETINFO, NULL, 0, &info, sizeof(info), NSEC_PER_SEC);
		if (ret != sizeof(info))
			return ret < 0 ? ret : -EIO;
		if (q->size > info.probe_len)
			return -EINVAL;
	}
	for (uint32_t n = 0; n < q->count; n++) {
		uint64_t start = clock_ns();

		if (q->kind == PROBE_RAW)
			ret = msg_raw_echo(q->peer, q->size, n, q->timeout_ms * NSEC_PER_MSEC);
		else if (q->kind == PROBE_RPC)
			ret = one_rpc(q, out, in, n);
		else
			ret = one_read(q, &info, in, n);
		if (ret == 0)
			ns[r->ok] = clock_ns() - start;
		tally(r, ret);
	}
	summarize(r, ns, r->ok);
	return 0;
}

static int run_stream(const struct probe_req *q, struct probe_resp *r, uint8_t *out)
{
	int ret;

	fill(out, q->size, 0);
	ret = msg_stream(q->peer, out, q->size, q->count);
	if (ret)
		r->first_err = ret, r->failed = q->count;
	else
		r->ok = q->count;
	return 0;
}

int netprobe_run(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		 size_t resp_max)
{
	const struct probe_req *q = req;
	struct probe_resp r = { 0 };
	uint8_t *out = NULL, *in = NULL;
	uint64_t *ns = NULL, start;
	int ret = -ENOMEM;

	(void)ctx, (void)peer, (void)len;
	if (q->kind == 0 || q->kind >= PROBE_KIND_MAX || q->rsvd || q->size > PROBE_SIZE_MAX ||
	    q->count == 0 || q->count > PROBE_COUNT_MAX || q->timeout_ms == 0)
		return -EINVAL;
	if (resp_max < sizeof(r))
		return -ENOSPC;
	out = kmalloc(q->size + 1);
	in = kmalloc(q->size + 1);
	ns = kmalloc(sizeof(*ns) * q->count);
	if (!out || !in || !ns)
		goto out_free;
	pr_info("probe kind %u to node %u: %u x %u bytes", q->kind, q->peer, q->count, q->size);
	start = clock_ns();
	ret = q->kind == PROBE_STREAM ? run_stream(q, &r, out) : run_ops(q, &r, out, in, ns);
	r.total_ns = clock_ns() - start;
	if (!ret) {
		memcpy(resp, &r, sizeof(r));
		ret = sizeof(r);
	}
out_free:
	kfree(ns);
	kfree(in);
	kfree(out);
	return ret;
}
