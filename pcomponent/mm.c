/*
 * Address spaces on a pComponent: an mm id unique in the cluster, a home mComponent
 * (placed by GMM) that keeps the layout, a page-table root the ExCache maps lines
 * into, and the owners of its vRegions as GMM answered them. The last reference
 * frees it here, in the ExCache, and (through the home) on every mmon.
 */
#define LOG_SUBSYS "mm"
#include "kernel/config.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "mcomponent/vma.h"
#include "pcomponent/fs.h"
#include "pcomponent/mm.h"

static struct spinlock id_lock = SPINLOCK_INIT("mm ids");	/* next_seq */
static unsigned next_seq;
static uint8_t self_id, gmon_id = 0xff;

int mm_init(const struct node_config *cfg)
{
	self_id = cfg->id;
	for (unsigned i = 0; i < cfg->npeers; i++)
		if (cfg->peers[i].role == ROLE_GMON)
			gmon_id = cfg->peers[i].id;
	if (gmon_id == 0xff)
		pr_warn("no gmon in the cluster map: address spaces cannot be placed");
	return 0;
}

/* mm ids are unique in the cluster: the pmon's id above a 16-bit sequence. */
static uint32_t new_id(void)
{
	uint32_t id;

	spin_lock(&id_lock);
	next_seq = next_seq % 0xffff + 1;
	id = (uint32_t)self_id << NET_MM_SEQ_BITS | next_seq;
	spin_unlock(&id_lock);
	return id;
}

/*
 * Ask GMM which mComponent is the home of mm id, or owns one of its vRegions; a
 * restarting gmon is waited for (its successor knows the records: mcomponent/restore.c).
 */
static int place(uint32_t id, uint32_t vregion, uint8_t *node)
{
	struct x2g_place q = { .mm = id, .vregion = vregion };
	struct g2x_place r;
	int n = msg_rpc_patient(gmon_id, X2G_PLACE, &q, sizeof(q), &r, sizeof(r), MM_RPC_TIMEOUT,
				MM_GMON_PATIENCE);

	if (n < 0)
		return n;
	if (n != sizeof(r) || r.owner == 0xff)
		return -EHOSTUNREACH;
	*node = r.owner;
	return 0;
}

/* An mm with a new id and empty page tables, known nowhere else yet. */
static struct mm *mm_alloc(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));

	if (!mm)
		return NULL;
	spin_init(&mm->lock, "mm");
	mm->refs = 1;
	mm->id = new_id();
	mm->root = pgtable_create();
	if (!mm->root) {
		kfree(mm);
		return NULL;
	}
	return mm;
}

/* Undo mm_alloc() of an mm no mmon has heard of. */
static void mm_free(struct mm *mm)
{
	pgtable_destroy(mm->root);
	kfree(mm);
}

int mm_create(uint32_t vnode, uint8_t host, uint32_t image_len, struct mm **out)
{
	struct p2m_mm_new q = { .vnode = vnode, .image_len = image_len, .host = host };
	struct mm *mm = mm_alloc();
	int err;

	if (!mm)
		return -ENOMEM;
	q.mm = mm->id;
	err = place(mm->id, X2G_PLACE_HOME, &mm->home);
	if (!err)
		err = msg_rpc(mm->home, P2M_MM_NEW, &q, sizeof(q), NULL, 0, MM_RPC_TIMEOUT);
	if (err < 0) {
		mm_free(mm);
		return err;
	}
	*out = mm;
	return 0;
}

/*
 * The home reads the file from storage while we wait, so the call may take as long
 * as a file request (FS_RPC_TIMEOUT), not a memory one.
 */
int mm_create_path(uint32_t vnode, const char *path, struct mm **out)
{
	struct p2m_mm_new q = { .vnode = vnode, .path_len = (uint32_t)strlen(path) };
	uint8_t *req = kmalloc(sizeof(q) + NET_PATH_MAX);
	struct mm *mm = req ? mm_alloc() : NULL;
	int err = mm ? 0 : -ENOMEM;

	if (!err && (q.path_len == 0 || q.path_len > NET_PATH_MAX))
		err = -ENAMETOOLONG;
	if (!err) {
		q.mm = mm->id;
		err = place(mm->id, X2G_PLACE_HOME, &mm->home);
	}
	if (!err) {
		memcpy(req, &q, sizeof(q));
		memcpy(req + sizeof(q), path, q.path_len);
		err = msg_rpc(mm->home, P2M_MM_NEW, req, sizeof(q) + q.path_len, NULL, 0,
			      FS_RPC_TIMEOUT);
	}
	kfree(req);
	if (err < 0) {
		if (mm)
			mm_free(mm);
		return err;
	}
	*out = mm;
	return 0;
}

int mm_create_from(struct mm *old, uint32_t vnode, struct mm **out)
{
	struct p2m_mm_new q = { .vnode = vnode, .image_of = old->id };
	struct mm *mm = mm_alloc();
	int err;

	if (!mm)
		return -ENOMEM;
	q.mm = mm->id;
	mm->home = old->home;
	err = msg_rpc(mm->home, P2M_MM_NEW, &q, sizeof(q), NULL, 0, MM_RPC_TIMEOUT);
	if (err < 0) {
		mm_free(mm);
		return err;
	}
	*out = mm;
	return 0;
}

/*
 * The child's copy is made on the mmons from what they hold, so the parent's dirty
 * lines go back first (and leave the cache: the parent fetches them again).
 */
int mm_fork(struct mm *parent, struct mm **out)
{
	struct mm *mm = mm_alloc();
	struct p2m_mm_fork q = { .parent = parent->id };
	int err;

	if (!mm)
		return -ENOMEM;
	q.child = mm->id;
	mm->home = parent->home;
	spin_lock(&parent->lock);
	mm->brk = parent->brk;
	memcpy(mm->owners, parent->owners, sizeof(mm->owners));
	spin_unlock(&parent->lock);
	excache_flush(parent, VMA_MIN, VMA_MAX, true);
	err = __atomic_load_n(&parent->lost, __ATOMIC_ACQUIRE) ? -EIO :
	      msg_rpc(mm->home, P2M_MM_FORK, &q, sizeof(q), NULL, 0, MM_RPC_TIMEOUT);
	if (err < 0) {
		mm_free(mm);
		return err;
	}
	*out = mm;
	return 0;
}

int mm_exec(struct mm *mm, struct m2p_exec *out)
{
	int n = msg_rpc(mm->home, P2M_EXEC, &mm->id, sizeof(mm->id), out, sizeof(*out),
			MM_RPC_TIMEOUT);

	if (n < 0)
		return n;
	if (n != sizeof(*out))
		return -EPROTO;
	mm->brk = out->brk;
	return 0;
}

void mm_get(struct mm *mm)
{
	__atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
}

void mm_put(struct mm *mm)
{
	int err;

	if (__atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL))
		return;
	excache_drop(mm);
	pgtable_destroy(mm->root);
	err = msg_rpc(mm->home, P2M_MM_EXIT, &mm->id, sizeof(mm->id), NULL, 0, MM_RPC_TIMEOUT);
	if (err < 0)
		pr_warn("mm %u: its home mmon %u did not free it (%d)", mm->id, mm->home, err);
	kfree(mm);
}

#define OWNER_RETRY_PAUSE (100 * NSEC_PER_MSEC)

/* Forget the remembered owner of va's vRegion if it is still owner. */
static void owner_forget(struct mm *mm, uint64_t va, uint8_t owner)
{
	uint32_t vregion = (uint32_t)(va >> NET_VREGION_SHIFT);
	struct owner_slot *s = &mm->owners[vregion % MM_OWNER_SLOTS];

	spin_lock(&mm->lock);
	if (s->used && s->vregion == vregion && s->owner == owner)
		s->used = false;
	spin_unlock(&mm->lock);
}

int mm_owner_retry(struct mm *mm, uint64_t va, uint8_t owner, int err, uint64_t *deadline)
{
	int now;

	if (!*deadline)
		*deadline = clock_ns() + MM_FAILOVER_PATIENCE;
	if ((!msg_transport_error(err) && err != -EPERM) || clock_ns() >= *deadline)
		return err;
	owner_forget(mm, va, owner);
	now = mm_owner(mm, va);
	if (now < 0)
		return err;
	if (now == owner && err == -EPERM)
		return err;
	if (now == owner)
		sleep_ns(OWNER_RETRY_PAUSE);
	else
		pr_info("mm %u: va=%#lx now kept by mmon %d (mmon %u: %d)", mm->id, va, now,
			owner, err);
	return now;
}

int mm_owner(struct mm *mm, uint64_t va)
{
	uint32_t vregion = (uint32_t)(va >> NET_VREGION_SHIFT);
	struct owner_slot *s = &mm->owners[vregion % MM_OWNER_SLOTS];
	uint8_t owner;
	int err;

	spin_lock(&mm->lock);
	if (s->used && s->vregion == vregion)
		err = s->owner;
	else
		err = -ENOENT;
	spin_unlock(&mm->lock);
	if (err >= 0)
		return err;
	err = place(mm->id, vregion, &owner);
	if (err)
		return err;
	spin_lock(&mm->lock);
	*s = (struct owner_slot){ .vregion = vregion, .owner = owner, .used = true };
	spin_unlock(&mm->lock);
	return owner;
}
