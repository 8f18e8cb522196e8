/*
 * libFuzzer target: the global managers' RPC handlers (managers/gmon.c, included here
 * whole, as Linux's VMA tests include mm/vma.c, so that its GMM, GPM and GSM start
 * afresh for every input) fed records of requests (fuzz_rpc.h, fuzz_gmon.h), with the
 * few kernel services gmon.c uses stubbed below. Time passes between requests, so
 * nodes fall silent and come back. Every answer must name a node of the
 * role asked for, a placement must not change until its process is released, a
 * copy's must be its parent's, and nothing may be left allocated after gmm_fini.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "../../managers/gmon.c"
#include "fuzz_gmon.h"
#include "fuzz_rpc.h"

#define SEEN_MAX 256

/* A placement answered in this input: it must stay until X2G_RELEASE of its mm. */
struct seen {
	uint32_t mm, vregion;	/* vregion X2G_PLACE_HOME: the home */
	struct g2x_place p;
};

static const uint8_t peers[8] = {
	[P_MMON1] = GMON_MMON1, [P_MMON2] = GMON_MMON2, [P_PMON1] = GMON_PMON1,
	[P_PMON2] = GMON_PMON2, [P_SMON1] = GMON_SMON1, [P_SMON2] = GMON_SMON2,
	[P_HOST] = GMON_HOST, [P_STRANGER] = GMON_STRANGER,
};
static uint64_t now;
static long live;			/* kmalloc blocks not freed */
static struct seen seen[SEEN_MAX];
static unsigned nseen;
static struct g2x_storage vnodes[SEEN_MAX];	/* by vnode; smon 0: none yet */
static uint8_t resp[NET_MSG_MAX];

void *kmalloc(size_t size)
{
	void *p = malloc(size);

	live += p != NULL;
	return p;
}

void kfree(void *p)
{
	live -= p != NULL;
	free(p);
}

void spin_lock(struct spinlock *l)
{
	(void)l;
}

void spin_unlock(struct spinlock *l)
{
	(void)l;
}

uint64_t clock_ns(void)
{
	return now;
}

uint64_t arch_entropy(void)
{
	return 0x5eed;		/* the same choices for the same input */
}

void printk(enum log_level level, const char *subsys, const char *fmt, ...)
{
	va_list ap;

	if (!getenv("GMON_LOG"))
		return;
	va_start(ap, fmt);
	fprintf(stderr, "[%d %s] ", level, subsys);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_gmon: %s\n", why);
	abort();
}

static struct seen *seen_find(uint32_t mm, uint32_t vregion)
{
	for (unsigned i = 0; i < nseen; i++)
		if (seen[i].mm == mm && seen[i].vregion == vregion)
			return &seen[i];
	return NULL;
}

static void seen_add(uint32_t mm, uint32_t vregion, const struct g2x_place *p)
{
	if (nseen < SEEN_MAX)
		seen[nseen++] = (struct seen){ mm, vregion, *p };
}

static void seen_release(uint32_t mm)
{
	for (unsigned i = 0; i < nseen; i++)
		if (seen[i].mm == mm)
			seen[i--] = seen[--nseen];
}

/* A copy gives child every placement of parent: those seen are expected for child. */
static void seen_copy(uint32_t parent, uint32_t child)
{
	for (unsigned i = 0, n = nseen; i < n; i++)
		if (seen[i].mm == parent && !seen_find(child, seen[i].vregion))
			seen_add(child, seen[i].vregion, &seen[i].p);
}

static void check_place(const struct x2g_place *q, int ret)
{
	struct g2x_place p;
	struct seen *s;

	if (ret != sizeof(p))
		fail("placement answer of the wrong size");
	memcpy(&p, resp, sizeof(p));
	if (!is_mmon[p.owner] || (p.backup != GMM_NONE && (!is_mmon[p.backup] ||
							    p.backup == p.owner)))
		fail("placed on a node that is not an mComponent");
	if (q->vregion == X2G_PLACE_HOME && p.backup != GMM_NONE)
		fail("a home with a backup");
	s = seen_find(q->mm, q->vregion);
	if (s && (s->p.owner != p.owner || s->p.backup != p.backup))
		fail("a placement changed");
	if (!s)
		seen_add(q->mm, q->vregion, &p);
}

static void check_storage(uint32_t vnode, int ret)
{
	struct g2x_storage *v = &vnodes[vnode % SEEN_MAX], g;	/* vNodes below SEEN_MAX */

	if (ret != sizeof(g))
		fail("storage answer of the wrong size");
	memcpy(&g, resp, sizeof(g));
	if (!is_smon[g.smon] || !is_mmon[g.mmon])
		fail("a vNode's files on a node of the wrong role");
	if (vnode >= SEEN_MAX)
		return;
	if (v->smon && (v->smon != g.smon || v->mmon != g.mmon))
		fail("a vNode's placement changed");
	*v = g;
}

/* What an answer must be, after the handler gave ret to q. */
static void check(uint16_t op, const uint8_t *q, int ret)
{
	struct x2g_place place;
	struct m2g_mm_copy copy;
	uint32_t u;

	memcpy(&u, q, sizeof(u));
	if (op == X2G_PLACE && ret >= 0) {
		memcpy(&place, q, sizeof(place));
		check_place(&place, ret);
	} else if (op == H2G_PLACE_PROC && ret >= 0) {
		if (ret != sizeof(struct g2h_place_proc) || !is_pmon[resp[0]])
			fail("a process placed on a node that is not a pComponent");
	} else if (op == X2G_STORAGE && ret >= 0) {
		check_storage(u, ret);
	} else if (op == X2G_RELEASE && ret >= 0) {
		seen_release(u);
	} else if (op == M2G_MM_COPY && ret >= 0) {
		memcpy(&copy, q, sizeof(copy));
		seen_copy(copy.parent, copy.child);
	} else if (ret > 0 && op != X2G_PLACE && op != H2G_PLACE_PROC && op != X2G_STORAGE) {
		fail("a report answered bytes");
	}
}

static int serve(uint8_t peer, uint16_t op, const void *req, size_t len)
{
	return fuzz_rpc_call(monitor.ops, monitor.nops, peer, op, req, len, resp,
			     sizeof(resp));
}

/* Every mmon, pmon and smon reports once, with room to spare. */
static void report_all(void)
{
	struct m2g_mem_report m = { .capacity_pages = 65536, .free_pages = 60000 };
	struct p2g_load_report l = { .cpus = 2, .lines = 4096, .procs_max = 64 };
	struct s2g_storage_report s = { .capacity_blocks = 1 << 20, .free_blocks = 1 << 19 };

	int err = serve(GMON_MMON1, M2G_MEM_REPORT, &m, sizeof(m));

	err = err ? err : serve(GMON_MMON2, M2G_MEM_REPORT, &m, sizeof(m));
	err = err ? err : serve(GMON_PMON1, P2G_LOAD_REPORT, &l, sizeof(l));
	err = err ? err : serve(GMON_PMON2, P2G_LOAD_REPORT, &l, sizeof(l));
	err = err ? err : serve(GMON_SMON1, S2G_STORAGE_REPORT, &s, sizeof(s));
	err = err ? err : serve(GMON_SMON2, S2G_STORAGE_REPORT, &s, sizeof(s));
	if (err)
		fail("a first report was refused");
}

/* gmon as a cluster of two of each boots it (GMON_STRANGER is not in it), afresh. */
static void start(void)
{
	static struct node_config cfg = {
		.name = "gmon", .id = GMON_SELF, .role = ROLE_GMON, .npeers = 8,
		.peers = {
			{ .id = GMON_SELF, .role = ROLE_GMON },
			{ .id = GMON_MMON1, .role = ROLE_MMON },
			{ .id = GMON_MMON2, .role = ROLE_MMON },
			{ .id = GMON_PMON1, .role = ROLE_PMON },
			{ .id = GMON_PMON2, .role = ROLE_PMON },
			{ .id = GMON_SMON1, .role = ROLE_SMON },
			{ .id = GMON_SMON2, .role = ROLE_SMON },
			{ .id = GMON_HOST, .role = ROLE_HOST },
		},
	};

	gmm_fini(&gmm);
	if (live)
		fail("gmon left memory allocated");
	if (monitor.start(&cfg))
		fail("start");
	now = NSEC_PER_SEC;
	nseen = 0;
	memset(vnodes, 0, sizeof(vnodes));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_req r;

	if (size < 1)
		return 0;
	start();
	if (data[0] & S_REPORTED)
		report_all();
	data++, size--;
	fuzz_rpc_log.n = 0;
	while (fuzz_rpc_log.n < FUZZ_RPC_RECORDS &&
	       fuzz_rpc_next(monitor.ops, monitor.nops, &data, &size, &r)) {
		now += TICK * r.aux;
		fuzz_rpc_log.ret[fuzz_rpc_log.n] = serve(peers[FUZZ_RPC_PEER(r.ctl)], r.op,
							 r.data, r.len);
		check(r.op, r.data, fuzz_rpc_log.ret[fuzz_rpc_log.n++]);
		fuzz_rpc_free(&r);
	}
	gmm_fini(&gmm);
	if (live)
		fail("gmon left memory allocated");
	return 0;
}
