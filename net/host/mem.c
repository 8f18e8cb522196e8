/*
 * tessera-net's memory commands: a pmon's ExCache counters (exstats), an mmon's page
 * store counters (memstats), and a page fetch forged by the host (fetch), which an
 * mmon must refuse: only the pmon running a process may fetch its pages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/host.h"
#include "tool.h"

#define TIMEOUT (5 * 1000000000ULL)

static const char *const policies[] = { "fifo", "clock" };

/* The errors a refused fetch may carry, by name; others print as numbers. */
static const struct {
	int err;
	const char *name;
} errnames[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EFAULT, "EFAULT" }, { EACCES, "EACCES" },
	{ ENOMEM, "ENOMEM" }, { EINVAL, "EINVAL" }, { ETIMEDOUT, "ETIMEDOUT" },
	{ EHOSTUNREACH, "EHOSTUNREACH" }, { ENOEXEC, "ENOEXEC" }, { ENOSYS, "ENOSYS" },
	{ EPROTO, "EPROTO" }, { ECONNRESET, "ECONNRESET" },
};

static void print_errno(int err)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++) {
		if (errnames[i].err == err) {
			printf("errno=%s\n", errnames[i].name);
			return;
		}
	}
	printf("errno=%d\n", err);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "tessera-net: '%s' is not a number\n", s);
		return -EINVAL;
	}
	return 0;
}

static int parse_id(const char *s, uint32_t *id)
{
	uint64_t v;

	if (parse_u64(s, &v))
		return -EINVAL;
	if (v > UINT32_MAX) {
		fprintf(stderr, "tessera-net: id %s out of range\n", s);
		return -EINVAL;
	}
	*id = (uint32_t)v;
	return 0;
}

/* Ask node for a counters struct of exactly size bytes; 0, or -1 after saying why. */
static int stats_call(struct host_ep *h, int node, uint16_t opcode, const void *req,
		      size_t len, void *out, size_t size, const char *what)
{
	int ret = host_rpc(h, (uint8_t)node, opcode, req, len, out, size, TIMEOUT);

	if (ret == (int)size)
		return 0;
	fprintf(stderr, "tessera-net: %s failed: %s\n", what, strerror(ret < 0 ? -ret : EPROTO));
	return -1;
}

int tool_exstats(struct host_ep *h, int pmon, const char *pid)
{
	struct p2x_exstats s;
	uint32_t p;

	if (parse_id(pid, &p) ||
	    stats_call(h, pmon, X2P_EXSTATS, &p, sizeof(p), &s, sizeof(s), "exstats"))
		return 1;
	printf("hits=%llu\nmisses=%llu\nevictions=%llu\nwritebacks=%llu\nwriteback_errors=%llu\n",
	       (unsigned long long)s.hits, (unsigned long long)s.misses,
	       (unsigned long long)s.evictions, (unsigned long long)s.writebacks,
	       (unsigned long long)s.writeback_errors);
	printf("lines=%u\nways=%u\n", s.lines, s.ways);
	if (s.policy < sizeof(policies) / sizeof(policies[0]))
		printf("policy=%s\n", policies[s.policy]);
	else
		printf("policy=%u\n", s.policy);
	printf("resident=%u\nmiss_ns_total=%llu\nhist=", s.resident,
	       (unsigned long long)s.miss_ns_total);
	for (unsigned i = 0; i < EXCACHE_HIST; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)s.hist[i]);
	putchar('\n');
	return 0;
}

int tool_memstats(struct host_ep *h, int mmon)
{
	struct m2x_memstats s;

	if (stats_call(h, mmon, X2M_MEMSTATS, NULL, 0, &s, sizeof(s), "memstats"))
		return 1;
	printf("capacity_pages=%llu\nfree_pages=%llu\nstore_pages=%llu\n",
	       (unsigned long long)s.capacity_pages, (unsigned long long)s.free_pages,
	       (unsigned long long)s.store_pages);
	printf("fetches=%llu\nwritebacks=%llu\nzero_fills=%llu\nrefused=%llu\nnprocs=%u\n",
	       (unsigned long long)s.fetches, (unsigned long long)s.writebacks,
	       (unsigned long long)s.zero_fills, (unsigned long long)s.refused, s.nprocs);
	for (uint32_t i = 0; i < s.nvnodes && i < MEMSTATS_VNODES; i++)
		printf("vnode.%u.pages=%llu\n", s.vnodes[i].vnode,
		       (unsigned long long)s.vnodes[i].pages);
	printf("cache_budget=%llu\ncache_pages=%llu\ncache_dirty=%llu\n",
	       (unsigned long long)s.cache_budget, (unsigned long long)s.cache_pages,
	       (unsigned long long)s.cache_dirty);
	printf("cache_hits=%llu\ncache_misses=%llu\ncache_reads=%llu\ncache_writes=%llu\n"
	       "cache_errors=%llu\n", (unsigned long long)s.cache_hits,
	       (unsigned long long)s.cache_misses, (unsigned long long)s.cache_reads,
	       (unsigned long long)s.cache_writes, (unsigned long long)s.cache_errors);
	return 0;
}

/* PROT_READ/WRITE/EXEC (1, 2, 4) as letters, "none" if none. */
static void print_prot(uint32_t prot)
{
	printf("prot=%s%s%s%s\n", prot & 1 ? "r" : "", prot & 2 ? "w" : "", prot & 4 ? "x" : "",
	       prot & 7 ? "" : "none");
}

/* The answer is printed either way (a test reads it); 1 only for a bad command line. */
int tool_fetch(struct host_ep *h, int mmon, const char *mm, const char *va, bool write)
{
	uint8_t resp[sizeof(struct m2p_fetch) + NET_PAGE_SIZE];
	struct p2m_fetch q = { .flags = write ? FETCH_WRITE : 0 };
	struct m2p_fetch r;
	uint32_t p;
	uint64_t addr;
	int ret;

	if (parse_id(mm, &p) || parse_u64(va, &addr))
		return 1;
	q.mm = p;
	q.va = addr;
	ret = host_rpc(h, (uint8_t)mmon, P2M_FETCH, &q, sizeof(q), resp, sizeof(resp), TIMEOUT);
	if (ret >= 0 && ret < (int)sizeof(r))
		ret = -EPROTO;
	if (ret < 0) {
		printf("status=-1 ");
		print_errno(-ret);
		return 0;
	}
	memcpy(&r, resp, sizeof(r));
	printf("status=0 ");
	print_prot(r.prot);
	return 0;
}
