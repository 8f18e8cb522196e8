/*
 * The global managers' monitor (build/gmon.elf): GMM and GPM.
 * GMM: mComponents report their memory every second (M2G_MEM_REPORT) and anyone may ask
 * where an address space's home or a vRegion lives (X2G_PLACE), until its home
 * releases it (X2G_RELEASE); a fork copies them (M2G_MM_COPY).
 * GPM: pComponents report their load every second (P2G_LOAD_REPORT) and anyone may ask
 * which of them should run a new process (H2G_PLACE_PROC).
 * GSM: sComponents report their disks every second (S2G_STORAGE_REPORT) and anyone may
 * ask which smon keeps a vNode's files and which mmon fronts them (X2G_STORAGE).
 * The policies themselves are the portable managers/gmm.c, gpm.c and gsm.c.
 */
#define LOG_SUBSYS "gmon"
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/monitor.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "managers/gmm.h"
#include "managers/gpm.h"
#include "managers/gsm.h"

#define GMM_TIMEOUT	(3 * NSEC_PER_SEC)	/* three missed reports */
#define GMM_CHARGE	256			/* pages a new placement is assumed to take */
#define GMM_VREGIONS	131072			/* 1 GiB vRegions over 128 TiB of user space */
#define GMM_RECORDS	65536
#define GPM_TIMEOUT	(3 * NSEC_PER_SEC)	/* three missed reports */
#define GPM_CHARGE_REPORTS 2			/* a placement counts until the 2nd report */
#define GSM_TIMEOUT	(3 * NSEC_PER_SEC)	/* three missed reports */
#define GSM_CHARGE	4096			/* blocks a new vNode is assumed to take */

static struct spinlock gmm_lock = SPINLOCK_INIT("gmm");	/* gmm */
static struct gmm gmm;
static struct spinlock gpm_lock = SPINLOCK_INIT("gpm");	/* gpm */
static struct gpm gpm;
static struct spinlock gsm_lock = SPINLOCK_INIT("gsm");	/* gsm; never held with gmm_lock */
static struct gsm gsm;
/* From the cluster map at start, read-only after: who may report memory, load, disks. */
static bool is_mmon[256], is_pmon[256], is_smon[256];

static void *gmm_kmalloc(void *ctx, size_t size)
{
	(void)ctx;
	return kmalloc(size);
}

static void gmm_kfree(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

static const struct gmm_alloc gmm_heap = { gmm_kmalloc, gmm_kfree, NULL };

/* A report registers its sender on first contact; only mComponents may report. */
static int mem_report(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		      size_t resp_max)
{
	struct m2g_mem_report r;
	uint64_t now = clock_ns();
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&r, req, sizeof(r));
	if (!is_mmon[peer])
		return -EPERM;
	spin_lock(&gmm_lock);
	err = gmm_report(&gmm, peer, r.free_pages, now);
	if (err == -ENOENT) {
		err = gmm_register(&gmm, peer, r.capacity_pages, now);
		if (!err)
			err = gmm_report(&gmm, peer, r.free_pages, now);
		if (!err)
			pr_info("mComponent %u joins: %lu of %lu pages free", peer,
				r.free_pages, r.capacity_pages);
	}
	spin_unlock(&gmm_lock);
	return err;
}

static int place(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		 size_t resp_max)
{
	struct g2x_place out = { .backup = GMM_NONE };
	struct x2g_place q;
	int err;

	(void)ctx, (void)peer, (void)len;
	memcpy(&q, req, sizeof(q));
	if (resp_max < sizeof(out))
		return -ENOSPC;
	spin_lock(&gmm_lock);
	if (q.vregion == X2G_PLACE_HOME)
		err = gmm_place_home(&gmm, q.mm, clock_ns(), &out.owner);
	else
		err = gmm_place_vregion(&gmm, q.mm, q.vregion, clock_ns(), &out.owner,
					&out.backup);
	spin_unlock(&gmm_lock);
	if (err)
		return err;
	memcpy(resp, &out, sizeof(out));
	return sizeof(out);
}

/* A process is gone: its home (an mComponent) lets GMM forget its placements. */
static int release(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		   size_t resp_max)
{
	uint32_t mm;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&mm, req, sizeof(mm));
	if (!is_mmon[peer])
		return -EPERM;
	spin_lock(&gmm_lock);
	err = gmm_release(&gmm, mm);
	spin_unlock(&gmm_lock);
	return err < 0 ? err : 0;
}

/*
 * A fork: the parent's home (an mComponent) has child placed where parent is, home
 * and vRegions, so the pmon finds child's pages on the owners that copied them.
 */
static int copy(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		size_t resp_max)
{
	struct m2g_mm_copy q;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&q, req, sizeof(q));
	if (!is_mmon[peer])
		return -EPERM;
	spin_lock(&gmm_lock);
	err = gmm_copy(&gmm, q.parent, q.child);
	spin_unlock(&gmm_lock);
	if (err < 0)
		pr_warn("placements of mm=%u not copied to mm=%u for mmon %u (%d)", q.parent,
			q.child, peer, err);
	return err < 0 ? err : 0;
}

/* A report registers its sender on first contact; only pComponents may report. */
static int load_report(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		       size_t resp_max)
{
	struct p2g_load_report r;
	struct gpm_load l;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&r, req, sizeof(r));
	if (!is_pmon[peer])
		return -EPERM;
	l = (struct gpm_load){ .cpus = r.cpus, .lines = r.lines, .procs_max = r.procs_max,
			       .threads = r.threads, .procs = r.procs };
	spin_lock(&gpm_lock);
	err = gpm_report(&gpm, peer, &l, clock_ns());
	spin_unlock(&gpm_lock);
	if (err == 1)
		pr_info("pComponent %u joins: %u CPUs, %u ExCache lines, %u of %u processes",
			peer, r.cpus, r.lines, r.procs, r.procs_max);
	return err < 0 ? err : 0;
}

static int place_proc(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		      size_t resp_max)
{
	struct g2h_place_proc out = { 0 };
	struct h2g_place_proc q;
	int err;

	(void)ctx, (void)peer, (void)len;
	memcpy(&q, req, sizeof(q));
	if (resp_max < sizeof(out))
		return -ENOSPC;
	spin_lock(&gpm_lock);
	err = gpm_place(&gpm, q.vnode, clock_ns(), &out.pmon);
	spin_unlock(&gpm_lock);
	if (err)
		return err;
	memcpy(resp, &out, sizeof(out));
	return sizeof(out);
}

/* A report registers its sender on first contact; only sComponents may report. */
static int storage_report(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
			  size_t resp_max)
{
	struct s2g_storage_report r;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&r, req, sizeof(r));
	if (!is_smon[peer])
		return -EPERM;
	spin_lock(&gsm_lock);
	err = gsm_report(&gsm, peer, r.capacity_blocks, r.free_blocks, clock_ns());
	spin_unlock(&gsm_lock);
	if (err == 1)
		pr_info("sComponent %u joins: %lu of %lu blocks free", peer, r.free_blocks,
			r.capacity_blocks);
	return err < 0 ? err : 0;
}

/*
 * Where vnode's files are: its placement, or a new one. GMM picks the mmon in front
 * (by free memory) only for a new vNode, and outside gsm_lock: a racing request may
 * place the vNode first, and then its placement stands.
 */
static int storage(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		   size_t resp_max)
{
	struct g2x_storage out = { 0 };
	struct gsm_vnode v;
	uint32_t vnode;
	uint8_t mmon;
	bool made;
	int err;

	(void)ctx, (void)peer, (void)len;
	memcpy(&vnode, req, sizeof(vnode));
	if (resp_max < sizeof(out))
		return -ENOSPC;
	spin_lock(&gsm_lock);
	err = gsm_lookup(&gsm, vnode, &v);
	spin_unlock(&gsm_lock);
	if (err == -ENOENT) {
		spin_lock(&gmm_lock);
		err = gmm_pick(&gmm, clock_ns(), &mmon);
		spin_unlock(&gmm_lock);
		if (err)
			return err;
		spin_lock(&gsm_lock);
		err = gsm_place(&gsm, vnode, mmon, clock_ns(), &v, &made);
		spin_unlock(&gsm_lock);
		if (!err && made)
			pr_info("vNode %u: files on sComponent %u, cached by mComponent %u", vnode,
				v.smon, v.mmon);
	}
	if (err)
		return err;
	out.smon = v.smon;
	out.mmon = v.mmon;
	memcpy(resp, &out, sizeof(out));
	return sizeof(out);
}

/* A record of an M2G_RESTORE, checked before any is taken. */
static bool restore_ok(const struct m2g_restore *r)
{
	if (r->rsvd)
		return false;
	switch (r->kind) {
	case RESTORE_HOME:
		return r->owner == 0 && r->backup == 0 && r->idx == 0;
	case RESTORE_VREGION:	/* gmm checks idx */
		return is_mmon[r->owner] && r->owner != r->backup &&
		       (r->backup == GMM_NONE || is_mmon[r->backup]);
	case RESTORE_FRONT:
		return is_smon[r->owner] && r->backup == 0 && r->idx == 0 && r->key != 0;
	}
	return false;
}

/* Take one checked record; 1 taken, 0 one stood, or a negative errno. */
static int restore_one(const struct m2g_restore *r, uint8_t peer)
{
	int ret;

	if (r->kind == RESTORE_FRONT) {
		spin_lock(&gsm_lock);
		ret = gsm_restore(&gsm, r->key, r->owner, peer);
		spin_unlock(&gsm_lock);
		return ret;
	}
	spin_lock(&gmm_lock);
	if (r->kind == RESTORE_HOME)
		ret = gmm_restore_home(&gmm, r->key, peer);
	else
		ret = gmm_restore_vregion(&gmm, r->key, r->idx, r->owner, r->backup);
	spin_unlock(&gmm_lock);
	return ret;
}

/*
 * M2G_RESTORE: this gmon is a new incarnation, and an mmon tells it what the old one
 * had placed on it (mcomponent/restore.c). A record already made stands.
 */
static int restore(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		   size_t resp_max)
{
	const struct m2g_restore *recs = req;
	struct m2g_restore r;
	size_t n = len / sizeof(r);
	unsigned taken = 0;
	int err = 0, ret;

	(void)ctx, (void)resp, (void)resp_max;
	if (!is_mmon[peer])
		return -EPERM;
	if (len % sizeof(r))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		memcpy(&r, &recs[i], sizeof(r));
		if (!restore_ok(&r))
			return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(&r, &recs[i], sizeof(r));
		ret = restore_one(&r, peer);
		if (ret < 0 && !err)
			err = ret;
		taken += ret > 0;
	}
	pr_info("mComponent %u restored %u of %zu records (%d)", peer, taken, n, err);
	return err;
}

static const struct rpc_op gmon_ops[NET_OPCODE_MAX] = {
	RPC_OP(M2G_MEM_REPORT, mem_report),
	RPC_OP(X2G_PLACE, place),
	RPC_OP(X2G_RELEASE, release),
	RPC_OP(M2G_MM_COPY, copy),
	RPC_OP(P2G_LOAD_REPORT, load_report),
	RPC_OP(H2G_PLACE_PROC, place_proc),
	RPC_OP(S2G_STORAGE_REPORT, storage_report),
	RPC_OP(X2G_STORAGE, storage),
	RPC_OP(M2G_RESTORE, restore),
};

static int gmon_start(const struct node_config *cfg)
{
	struct gmm_params p = {
		.timeout_ns = GMM_TIMEOUT, .charge_pages = GMM_CHARGE,
		.nvregions = GMM_VREGIONS, .max_records = GMM_RECORDS,
		.seed = arch_entropy(), .no_backups = !cfg->replication,
	};
	struct gpm_params pp = {
		.timeout_ns = GPM_TIMEOUT, .charge_reports = GPM_CHARGE_REPORTS,
		.seed = arch_entropy(),
	};
	struct gsm_params sp = {
		.timeout_ns = GSM_TIMEOUT, .charge_blocks = GSM_CHARGE, .seed = arch_entropy(),
	};
	int err;

	for (unsigned i = 0; i < cfg->npeers; i++) {
		is_mmon[cfg->peers[i].id] = cfg->peers[i].role == ROLE_MMON;
		is_pmon[cfg->peers[i].id] = cfg->peers[i].role == ROLE_PMON;
		is_smon[cfg->peers[i].id] = cfg->peers[i].role == ROLE_SMON;
	}
	err = gsm_init(&gsm, &sp);
	if (!err)
		err = gpm_init(&gpm, &pp);
	return err ? err : gmm_init(&gmm, &p, &gmm_heap);
}

/*
 * An mComponent gmon declared down, or that came back as a new incarnation, lost every
 * page it kept: it leaves GMM at once (its next report registers it afresh), and each
 * vRegion it owned falls to its backup, which keeps a copy (mcomponent/replica.c).
 */
static void mmon_down(uint8_t node, enum node_event ev)
{
	int err;

	spin_lock(&gmm_lock);
	err = gmm_node_down(&gmm, node);
	spin_unlock(&gmm_lock);
	pr_info("mmon %u %s: %s GMM, its vRegions fail over to their backups", node,
		ev == NODE_EVENT_DOWN ? "down" : "restarted", err ? "not in" : "out of");
}

/*
 * A pComponent gmon declared down, or that came back as a new incarnation, runs none
 * of the processes it had: it leaves GPM at once, not after three missed reports, so
 * no new process is sent there, and its next report registers it afresh; GMM forgets
 * the placements of every mm id it numbered (the mmons free the spaces themselves,
 * mcomponent/reap.c), so a new incarnation reusing those ids starts clean.
 */
static void node_event(uint8_t node, enum node_event ev)
{
	uint32_t first = (uint32_t)node << NET_MM_SEQ_BITS;
	int err, recs;

	if (ev != NODE_EVENT_UP && is_mmon[node])
		mmon_down(node, ev);
	if (ev == NODE_EVENT_UP || !is_pmon[node])
		return;
	spin_lock(&gpm_lock);
	err = gpm_node_down(&gpm, node);
	spin_unlock(&gpm_lock);
	spin_lock(&gmm_lock);
	recs = gmm_release_range(&gmm, first ? first : 1, first | ((1u << NET_MM_SEQ_BITS) - 1));
	spin_unlock(&gmm_lock);
	pr_info("pmon %u %s: %s GPM until it reports again; %d placements released", node,
		ev == NODE_EVENT_DOWN ? "down" : "restarted", err ? "not in" : "out of", recs);
}

const struct monitor monitor = {
	.role = ROLE_GMON,
	.ops = gmon_ops,
	.nops = NET_OPCODE_MAX,
	.start = gmon_start,
	.node_event = node_event,
};
