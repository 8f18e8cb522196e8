/*
 * The memory monitor (build/mmon.elf): its RPC table, its start hook, X2M_MEMSTATS,
 * and the once-a-second memory report to GMM on gmon. The memory service itself is in
 * space.c (address spaces), exec.c, fetch.c, vm.c, fork.c and sync.c; docs/memory.md
 * describes it. files.c fronts the files of the vNodes GSM gives it.
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/monitor.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "mmon.h"

#define REPORT_INTERVAL	NSEC_PER_SEC
#define REPORT_RETRY	(100 * NSEC_PER_MSEC)	/* after a failed one: gmon may be just up */
#define REPORT_TIMEOUT	(500 * NSEC_PER_MSEC)
#define REFUSE_LOGGED	16	/* refusals logged in full; after that one in 256 */

struct mmon_stats mmon_stats;
uint8_t mmon_self;
uint8_t mmon_gmon = 0xff;
bool mmon_ready;
static uint8_t roles[NET_NODES];	/* enum node_role + 1 from the cluster map; 0: unknown */

bool mmon_is(uint8_t node, enum node_role role)
{
	return roles[node] == role + 1;
}

void mmon_refuse(const char *what, uint32_t mm, uint8_t peer, const char *why)
{
	uint64_t n = __atomic_add_fetch(&mmon_stats.refused, 1, __ATOMIC_RELAXED);

	if (n <= REFUSE_LOGGED || n % 256 == 0)
		pr_warn("refused %s mm=%u from node %u: %s (%lu refused)", what, mm, peer, why,
			n);
}

void *mmon_kmalloc(void *ctx, size_t size)
{
	(void)ctx;
	return kmalloc(size);
}

void mmon_kfree(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

static int memstats(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		    size_t resp_max)
{
	struct m2x_memstats m;

	(void)ctx, (void)peer, (void)req, (void)len;
	if (resp_max < sizeof(m))
		return -ENOSPC;
	memset(&m, 0, sizeof(m));
	m.capacity_pages = page_total_count();
	m.free_pages = page_free_count();
	m.fetches = __atomic_load_n(&mmon_stats.fetches, __ATOMIC_RELAXED);
	m.writebacks = __atomic_load_n(&mmon_stats.writebacks, __ATOMIC_RELAXED);
	m.zero_fills = __atomic_load_n(&mmon_stats.zero_fills, __ATOMIC_RELAXED);
	m.refused = __atomic_load_n(&mmon_stats.refused, __ATOMIC_RELAXED);
	m.nprocs = space_count();
	pages_stats(&m);
	bcache_stats(&m);
	memcpy(resp, &m, sizeof(m));
	return sizeof(m);
}

#define FILES_OP(op) RPC_OP(op, files_##op),
static const struct rpc_op mmon_ops[NET_OPCODE_MAX] = {
	RPC_OP(P2M_MM_NEW, space_mm_new),
	RPC_OP(P2M_MM_EXIT, space_mm_exit),
	RPC_OP(M2M_MM_FREE, space_mm_free),
	RPC_OP(H2M_IMAGE, exec_image),
	RPC_OP(P2M_EXEC, exec_run),
	RPC_OP(P2M_FETCH, fetch_page),
	RPC_OP(P2M_WRITEBACK, fetch_writeback),
	RPC_OP(M2M_PAGE_PUT, fetch_page_put),
	RPC_OP(M2M_PAGE_COPY, replica_receive),
	RPC_OP(M2M_PAGE_MOVE, replica_move_receive),
	RPC_OP(M2M_VMA_SYNC, sync_receive),
	RPC_OP(P2M_VM, vm_call),
	RPC_OP(P2M_MM_FORK, fork_mm),
	RPC_OP(M2M_MM_COPY, fork_copy),
	RPC_OP(X2M_MEMSTATS, memstats),
	X2S_REQUESTS(FILES_OP)
};

static void reporter(void *arg)
{
	bool warned = false;

	(void)arg;
	for (;;) {
		struct m2g_mem_report r = {
			.capacity_pages = page_total_count(),
			.free_pages = page_free_count(),
		};
		int err = msg_rpc(mmon_gmon, M2G_MEM_REPORT, &r, sizeof(r), NULL, 0,
				  REPORT_TIMEOUT);

		if (err < 0 && !warned)
			pr_warn("memory report to gmon failed (%d); retrying", err);
		warned = err < 0;
		sleep_ns(err < 0 ? REPORT_RETRY : REPORT_INTERVAL);
	}
}

static int mmon_start(const struct node_config *cfg)
{
	int err;

	mmon_self = cfg->id;
	for (unsigned i = 0; i < cfg->npeers; i++) {
		roles[cfg->peers[i].id] = cfg->peers[i].role + 1;
		if (cfg->peers[i].role == ROLE_GMON)
			mmon_gmon = cfg->peers[i].id;
	}
	err = pages_init();
	if (!err)
		err = bcache_init();
	if (!err)
		err = reap_init();
	if (!err)
		err = restore_init();
	if (err)
		return err;
	__atomic_store_n(&mmon_ready, true, __ATOMIC_RELEASE);
	if (mmon_gmon == 0xff) {
		pr_warn("no gmon in the cluster map: no memory reports, no vRegion placement");
		return 0;
	}
	return thread_create("mem-report", reporter, NULL, 0) ? 0 : -ENOMEM;
}

/*
 * A pmon's death frees its spaces, an mmon's the mirrors of its homes; gmon's restart
 * has it told what lives here.
 */
static void mmon_node_event(uint8_t node, enum node_event ev)
{
	reap_node_event(node, ev);
	restore_node_event(node, ev);
}

const struct monitor monitor = {
	.role = ROLE_MMON,
	.ops = mmon_ops,
	.nops = NET_OPCODE_MAX,
	.start = mmon_start,
	.node_event = mmon_node_event,
};
