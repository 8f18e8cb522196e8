/*
 * libFuzzer target: the memory monitor's RPC handlers (mcomponent/, on the kernel
 * stubs of tests/unit/mmon_host.c) fed records of requests (fuzz_rpc.h). The scenario
 * byte sets up what deep paths need: a process spawned here from an ELF image, a
 * mirror of another mmon's, gmon's placements; file requests go through the node's
 * front to the real smon on a memory disk (smon_host.h), which also holds programs
 * for execve. mm ids in requests are mapped onto a small pool so that afterwards
 * every space can be freed; then nothing may be left: no space, page, cached file or
 * block. Nothing may crash, hold a lock, sleep (the stubs abort) or answer too much.
 * The input format is in fuzz_mmon.h.
 */
#include "../unit/mmon_test.h"
#include "../../mcomponent/mmon.h"
#include "fuzz_mmon.h"
#include "fuzz_rpc.h"
#include "smon_host.h"

static const uint8_t peers[8] = { PMON, PMON, PMON2, OTHER, HOST, GMON, SELF, SMON };
static const uint32_t pool[8] = MMON_POOL;
static int (*place)(uint32_t mm, uint32_t vregion);	/* the scenario's gmon */
static int storage_err;					/* the weather's smon and GSM */

#define IS_FILE_OP(op_) || op == (op_)
static bool file_op(uint16_t op)
{
	return false X2S_REQUESTS(IS_FILE_OP);
}

/* GSM: vnode % 8 == 2 is fronted by OTHER, 3 has no smon yet, 4 a bogus one; else here. */
static int gsm_answer(const void *req, void *out, size_t out_max)
{
	struct g2x_storage g = { .smon = SMON, .mmon = SELF };
	uint32_t vnode;

	memcpy(&vnode, req, sizeof(vnode));
	if (vnode % 8 == 2)
		g.mmon = OTHER;
	else if (vnode % 8 == 3)
		return -EAGAIN;
	else if (vnode % 8 == 4)
		g.smon = PMON;
	CHECK(out_max >= sizeof(g));
	memcpy(out, &g, sizeof(g));
	return sizeof(g);
}

/* The rest of the cluster: GSM on gmon, smon, and this node's own front (execve). */
static int serve(uint8_t peer, uint16_t op, const void *req, size_t len, void *out,
		 size_t out_max)
{
	if (peer == GMON && op == X2G_STORAGE)
		return storage_err ? storage_err : gsm_answer(req, out, out_max);
	if (peer == SMON)
		return storage_err ? storage_err : smon_host_call(SELF, op, req, len, out,
								   out_max);
	if (peer == SELF && file_op(op))
		return fuzz_rpc_call(monitor.ops, monitor.nops, SELF, op, req, len, out,
				     out_max);
	return -ENOSYS;
}

/* At the end, smon agrees to every cut, so the cache can be emptied whatever happened. */
static int serve_cleanup(uint8_t peer, uint16_t op, const void *req, size_t len, void *out,
			 size_t out_max)
{
	(void)req, (void)len, (void)out, (void)out_max;
	return peer == SMON && op == X2S_TRUNCATE ? 0 : -ENOSYS;
}

static void fair(void)
{
	host.place = place;
	host.remote_err = 0;
	host.release_err = 0;
	host.copy_err = 0;
	host.copy_pages = 0;
	host.free_pages = 1 << 20;
	host.fail_alloc = 0;
	storage_err = 0;
}

static void weather(uint8_t aux)
{
	unsigned n = aux >> 2;

	fair();
	if ((aux & 3) == W_SHORT) {
		host.free_pages = 16 * n;
	} else if ((aux & 3) == W_PEERS) {
		host.remote_err = n & 4 ? 0 : -ETIMEDOUT;
		host.copy_pages = UINT32_MAX - n;
		host.copy_err = n & 1 ? -EEXIST : 0;
		storage_err = n & 2 ? -EIO : 0;
	} else if ((aux & 3) == W_ALLOC) {
		host.fail_alloc = n + 1;
	}
}

static void pool_field(uint8_t *req, size_t off)
{
	uint32_t v;

	memcpy(&v, req + off, sizeof(v));
	for (unsigned i = 0; i < 8; i++)
		if (pool[i] == v)
			return;
	memcpy(req + off, &pool[v % 8], sizeof(v));
}

/*
 * Every mm id a request names becomes one of the pool's; P2M_MM_NEW's path agrees.
 * Each of the mmon's own requests (all but the files' and X2M_MEMSTATS) names its mm
 * in its first four bytes; a fork or copy names the child next.
 */
static void map_ids(uint16_t op, uint8_t *req, size_t len, bool fix)
{
	struct p2m_mm_new q;

	if (op == X2M_MEMSTATS)
		return;
	pool_field(req, 0);
	if (op == P2M_MM_FORK || op == M2M_MM_COPY)
		pool_field(req, sizeof(uint32_t));
	if (op != P2M_MM_NEW)
		return;
	pool_field(req, offsetof(struct p2m_mm_new, image_of));
	memcpy(&q, req, sizeof(q));
	if (fix)
		q.path_len = (uint32_t)(len - sizeof(q));
	memcpy(req, &q, sizeof(q));
}

static int request(struct fuzz_req *r)
{
	int ret;

	if (file_op(r->op) && (r->ctl & C_FIX))
		smon_host_fix(r->op, r->data, r->len, C_PICK(r->ctl));
	else if (!file_op(r->op))
		map_ids(r->op, r->data, r->len, r->ctl & C_FIX);
	weather(r->aux);
	ret = fuzz_rpc_call(monitor.ops, monitor.nops, peers[FUZZ_RPC_PEER(r->ctl)], r->op,
			    r->data, r->len, resp, sizeof(resp));
	CHECK(host.locks == 0);
	fair();
	host_forget();
	return ret;
}

/* The node as mmon_test.h boots it, with an smon too; its disk holds img as /bin/prog. */
static void mmon_boot(void)
{
	static struct node_config cfg = {
		.name = "mmon0", .id = SELF, .role = ROLE_MMON, .npeers = 7,
		.peers = {
			{ .id = GMON, .role = ROLE_GMON }, { .id = PMON, .role = ROLE_PMON },
			{ .id = SELF, .role = ROLE_MMON }, { .id = OTHER, .role = ROLE_MMON },
			{ .id = PMON2, .role = ROLE_PMON }, { .id = HOST, .role = ROLE_HOST },
			{ .id = SMON, .role = ROLE_SMON },
		},
	};
	static const uint8_t mmons[] = { SELF, OTHER };

	host.gmon = GMON;
	CHECK(monitor.start(&cfg) == 0);
	base_kmallocs = host.kmallocs;
	elf_build_static();
	smon_host_init(mmons, sizeof(mmons), img, IMG_MAX);
}

/* OTHER's MIRROR_MM, run by PMON: a page of anon and a stack below the top, one page in. */
static void mirror(void)
{
	static uint8_t page[sizeof(struct m2m_page) + NET_PAGE_SIZE];
	struct {
		struct m2m_vma_sync h;
		struct wire_vma v[2];
	} __attribute__((packed)) m = {
		.h = { .mm = MIRROR_MM, .vnode = 7, .pmon = PMON, .owner = SELF,
		       .backup = OTHER, .nvmas = 2, .start = STACK_TOP - 16 * 4096,
		       .end = STACK_TOP },
		.v = { { STACK_TOP - 16 * 4096, STACK_TOP - 12 * 4096, RW, VMA_KIND_ANON },
		       { STACK_TOP - 8 * 4096, STACK_TOP, RW, VMA_KIND_STACK } },
	};
	struct m2m_page p = { .mm = MIRROR_MM, .va = STACK_TOP - 4096 };

	CHECK(call(OTHER, M2M_VMA_SYNC, &m, sizeof(m)) == 0);
	memcpy(page, &p, sizeof(p));
	memset(page + sizeof(p), 0x3c, NET_PAGE_SIZE);
	CHECK(call(OTHER, M2M_PAGE_PUT, page, sizeof(page)) == 0);
}

static void setup(uint8_t scenario)
{
	static bool booted;

	if (!booted)
		mmon_boot();
	booted = true;
	place = scenario & S_TOP_OTHER ? place_top_other : place_self;
	fair();
	smon_host_reset();
	host.serve = serve;
	if (scenario & S_HOME)
		spawn(HOME_MM);
	if (scenario & S_MIRROR)
		mirror();
	host_forget();
}

/* Free every space the pool can name, from whoever may, and empty the cache. */
static void teardown(void)
{
	struct x2s_io cut = { 0 };

	host.serve = serve_cleanup;
	for (unsigned i = 0; i < 8; i++) {
		call(PMON, P2M_MM_EXIT, &pool[i], sizeof(uint32_t));
		call(PMON2, P2M_MM_EXIT, &pool[i], sizeof(uint32_t));
		call(OTHER, M2M_MM_FREE, &pool[i], sizeof(uint32_t));
		host_forget();
	}
	for (unsigned i = 0; i < smon_host_nhandles(); i++) {
		cut.h = *smon_host_handle(i);
		bcache_truncate(SMON, &cut, sizeof(cut));
		host_forget();
	}
	check_clean();
	CHECK(memstats().cache_pages == 0);
	host_forget();
	smon_host_end();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_req r;

	if (size < 1)
		return 0;
	if (setjmp(check_abort))
		abort();		/* a CHECK failed: see the line above */
	setup(data[0]);
	data++, size--;
	fuzz_rpc_log.n = 0;
	while (fuzz_rpc_log.n < FUZZ_RPC_RECORDS &&
	       fuzz_rpc_next(monitor.ops, monitor.nops, &data, &size, &r)) {
		fuzz_rpc_log.ret[fuzz_rpc_log.n++] = request(&r);
		fuzz_rpc_free(&r);
	}
	teardown();
	return 0;
}
