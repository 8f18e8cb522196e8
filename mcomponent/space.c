/*
 * The memory monitor's processes: a table of spaces by pid, the exclusive hold that
 * serializes requests for one process, and the process lifecycle RPCs (P2M_PROC_NEW,
 * P2M_PROC_EXIT on the home, M2M_PROC_FREE on owners).
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "mmon.h"

#define SPACE_BUCKETS 64

static struct spinlock space_lock = SPINLOCK_INIT("spaces");
static struct space *table[SPACE_BUCKETS];	/* space_lock */
static unsigned nspaces;			/* space_lock */

static const struct vma_alloc space_heap = { mmon_kmalloc, mmon_kfree, NULL };

/* The link pointing at pid's space, or at the NULL ending its chain. Under space_lock. */
static struct space **find_link(uint32_t pid)
{
	struct space **link = &table[pid % SPACE_BUCKETS];

	while (*link && (*link)->pid != pid)
		link = &(*link)->next;
	return link;
}

/* A new space, already held, or -EEXIST if pid has one here. */
int space_create(uint32_t pid, bool is_home, uint8_t home, struct space **out)
{
	struct space *s, **link;

	if (!__atomic_load_n(&mmon_ready, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	s = kzalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->refs = 1;
	s->busy = true;
	wait_queue_init(&s->wq);
	s->pid = pid;
	s->is_home = is_home;
	s->home = home;
	vma_space_init(&s->vs, &space_heap, MMON_MMAP_BASE, VMA_MIN);
	vregion_map_init(&s->owners, &space_heap);
	spin_lock(&space_lock);
	link = find_link(pid);
	if (*link) {
		spin_unlock(&space_lock);
		kfree(s);
		return -EEXIST;
	}
	*link = s;
	nspaces++;
	spin_unlock(&space_lock);
	*out = s;
	return 0;
}

static bool space_takeable(struct space *s)
{
	return !__atomic_load_n(&s->busy, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&s->dead, __ATOMIC_ACQUIRE);
}

/* Hold pid's space, sleeping while another request holds it; NULL if there is none. */
struct space *space_get(uint32_t pid)
{
	struct space *s;
	bool last;

	spin_lock(&space_lock);
	s = *find_link(pid);
	if (!s) {
		spin_unlock(&space_lock);
		return NULL;
	}
	s->refs++;
	while (s->busy && !s->dead) {
		spin_unlock(&space_lock);
		wait_event(&s->wq, space_takeable(s));
		spin_lock(&space_lock);
	}
	if (s->dead) {
		last = --s->refs == 0;
		spin_unlock(&space_lock);
		if (last)
			kfree(s);
		return NULL;
	}
	__atomic_store_n(&s->busy, true, __ATOMIC_RELEASE);
	spin_unlock(&space_lock);
	return s;
}

/*
 * Let the space go. Waiters are woken under space_lock: each holds a reference but
 * needs the lock to drop it, so none can free s before wake_up_all() is done with it.
 */
void space_put(struct space *s)
{
	bool last;

	spin_lock(&space_lock);
	__atomic_store_n(&s->busy, false, __ATOMIC_RELEASE);
	last = --s->refs == 0 && s->dead;
	if (!last)
		wake_up_all(&s->wq);
	spin_unlock(&space_lock);
	if (last)
		kfree(s);
}

/* The pages go first, while s still keeps pid from being reused here. */
void space_kill(struct space *s)
{
	struct space **link;

	pages_free(s->pid);
	vma_space_fini(&s->vs);
	vregion_map_fini(&s->owners);
	if (s->stage)
		exec_stage_free(s->stage);
	s->stage = NULL;
	spin_lock(&space_lock);
	link = find_link(s->pid);
	if (*link == s) {
		*link = s->next;
		nspaces--;
	}
	__atomic_store_n(&s->dead, true, __ATOMIC_RELEASE);
	spin_unlock(&space_lock);
}

unsigned space_count(void)
{
	return __atomic_load_n(&nspaces, __ATOMIC_RELAXED);
}

int space_get_pmon(uint32_t pid, uint8_t peer, const char *what, struct space **out)
{
	struct space *s = space_get(pid);

	if (!s) {
		mmon_refuse(what, pid, peer, "no such process here");
		return -EPERM;
	}
	if (peer != s->pmon) {
		space_put(s);
		mmon_refuse(what, pid, peer, "not the process's pmon");
		return -EPERM;
	}
	*out = s;
	return 0;
}

int space_get_home(uint32_t pid, uint8_t peer, const char *what, struct space **out)
{
	struct space *s = space_get(pid);

	if (!s) {
		mmon_refuse(what, pid, peer, "no such process here");
		return -EPERM;
	}
	if (s->is_home || peer != s->home) {
		space_put(s);
		mmon_refuse(what, pid, peer, "not the process's home");
		return -EPERM;
	}
	*out = s;
	return 0;
}

int space_get_pmon_home(uint32_t pid, uint8_t peer, const char *what, struct space **out)
{
	int err = space_get_pmon(pid, peer, what, out);

	if (!err && !(*out)->is_home) {
		space_put(*out);
		mmon_refuse(what, pid, peer, "this node is not the process's home");
		return -EPERM;
	}
	return err;
}

/* P2M_PROC_NEW: a pmon makes pid's space on its home, with room to stage the image. */
int space_proc_new(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		   size_t resp_max)
{
	struct p2m_proc_new q;
	struct space *s;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&q, req, sizeof(q));
	if (!mmon_is(peer, ROLE_PMON)) {
		mmon_refuse("proc-new", q.pid, peer, "not a pmon");
		return -EPERM;
	}
	if (!q.pid || !q.vnode || !q.image_len || q.image_len > NET_IMAGE_MAX)
		return -EINVAL;
	err = space_create(q.pid, true, mmon_self, &s);
	if (err)
		return err;
	s->pmon = peer;
	s->host = q.host;
	s->vnode = q.vnode;
	s->stage = exec_stage_new(q.image_len);
	if (!s->stage) {
		pr_warn("no memory to stage %u bytes for pid=%u", q.image_len, q.pid);
		space_kill(s);
		space_put(s);
		return -ENOMEM;
	}
	space_put(s);
	pr_info("new process pid=%u vnode=%u on pmon %u, image of %u bytes from node %u",
		q.pid, q.vnode, peer, q.image_len, q.host);
	return 0;
}

/* Tell GMM the process is gone, so its placements do not pile up. */
static void release_placements(uint32_t pid)
{
	int err;

	if (mmon_gmon == 0xff)
		return;
	err = msg_rpc(mmon_gmon, X2G_RELEASE, &pid, sizeof(pid), NULL, 0, MMON_RPC_TIMEOUT);
	if (err < 0)
		pr_warn("X2G_RELEASE pid=%u to gmon failed (%d)", pid, err);
}

/* P2M_PROC_EXIT: on the home, from the pmon: free the process here and everywhere. */
int space_proc_exit(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		    size_t resp_max)
{
	unsigned owners;
	struct space *s;
	uint32_t pid;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&pid, req, sizeof(pid));
	err = space_get_pmon_home(pid, peer, "exit", &s);
	if (err)
		return err;
	owners = sync_free_all(s);
	space_kill(s);
	space_put(s);
	release_placements(pid);
	pr_info("exit pid=%u: freed here and on %u other mmons", pid, owners);
	return 0;
}

/* M2M_PROC_FREE: the home says pid is gone; drop its mirror and pages. */
int space_proc_free(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		    size_t resp_max)
{
	struct space *s;
	uint32_t pid;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&pid, req, sizeof(pid));
	err = space_get_home(pid, peer, "proc-free", &s);
	if (err)
		return err;
	space_kill(s);
	space_put(s);
	pr_info("freed pid=%u's vRegions at its home's request", pid);
	return 0;
}
