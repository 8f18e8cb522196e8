/*
 * The memory monitor's address spaces: a table of spaces by mm id, the exclusive hold
 * that serializes requests for one space, and the lifecycle RPCs (P2M_MM_NEW,
 * P2M_MM_EXIT on the home, M2M_MM_FREE on owners); fork is in fork.c.
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

/* The link pointing at mm's space, or at the NULL ending its chain. Under space_lock. */
static struct space **find_link(uint32_t mm)
{
	struct space **link = &table[mm % SPACE_BUCKETS];

	while (*link && (*link)->mm != mm)
		link = &(*link)->next;
	return link;
}

/* A new space, already held, or -EEXIST if mm has one here. */
int space_create(uint32_t mm, bool is_home, uint8_t home, struct space **out)
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
	s->mm = mm;
	s->is_home = is_home;
	s->home = home;
	vma_space_init(&s->vs, &space_heap, MMON_MMAP_BASE, VMA_MIN);
	vregion_map_init(&s->owners, &space_heap);
	spin_lock(&space_lock);
	link = find_link(mm);
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

/* Hold mm's space, sleeping while another request holds it; NULL if there is none. */
struct space *space_get(uint32_t mm)
{
	struct space *s;
	bool last;

	spin_lock(&space_lock);
	s = *find_link(mm);
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

/* The pages go first, while s still keeps mm from being reused here. */
void space_kill(struct space *s)
{
	struct space **link;

	pages_free(s->mm);
	vma_space_fini(&s->vs);
	vregion_map_fini(&s->owners);
	if (s->image)
		image_put(s->image);
	s->image = NULL;
	spin_lock(&space_lock);
	link = find_link(s->mm);
	if (*link == s) {
		*link = s->next;
		nspaces--;
	}
	__atomic_store_n(&s->dead, true, __ATOMIC_RELEASE);
	spin_unlock(&space_lock);
}

/* Does s depend on node, as space_list() means it? Under space_lock. */
static bool depends(const struct space *s, uint8_t node, uint32_t g)
{
	if (node == SPACE_ANY)
		return s->is_home;
	if (s->born >= g)
		return false;
	return s->is_home ? s->pmon == node : s->home == node;
}

unsigned space_list(uint8_t node, uint32_t g, uint32_t *ids, unsigned max)
{
	unsigned n = 0;

	spin_lock(&space_lock);
	for (unsigned b = 0; b < SPACE_BUCKETS && n < max; b++)
		for (struct space *s = table[b]; s && n < max; s = s->next)
			if (depends(s, node, g))
				ids[n++] = s->mm;
	spin_unlock(&space_lock);
	return n;
}

unsigned space_count(void)
{
	return __atomic_load_n(&nspaces, __ATOMIC_RELAXED);
}

int space_get_pmon(uint32_t mm, uint8_t peer, const char *what, struct space **out)
{
	struct space *s = space_get(mm);

	if (!s) {
		mmon_refuse(what, mm, peer, "no such process here");
		return -EPERM;
	}
	if (peer != s->pmon) {
		space_put(s);
		mmon_refuse(what, mm, peer, "not the process's pmon");
		return -EPERM;
	}
	*out = s;
	return 0;
}

int space_get_home(uint32_t mm, uint8_t peer, const char *what, struct space **out)
{
	struct space *s = space_get(mm);

	if (!s) {
		mmon_refuse(what, mm, peer, "no such process here");
		return -EPERM;
	}
	if (s->is_home || peer != s->home) {
		space_put(s);
		mmon_refuse(what, mm, peer, "not the process's home");
		return -EPERM;
	}
	*out = s;
	return 0;
}

int space_get_pmon_home(uint32_t mm, uint8_t peer, const char *what, struct space **out)
{
	int err = space_get_pmon(mm, peer, what, out);

	if (!err && !(*out)->is_home) {
		space_put(*out);
		mmon_refuse(what, mm, peer, "this node is not the process's home");
		return -EPERM;
	}
	return err;
}

/*
 * The image an execve of /proc/self/exe gives a new space: that of the space of, which
 * must be this node's home space of the same pmon and have run it. -ENOENT if of is
 * gone (or never loaded an image); -EPERM, counted, if it is not peer's to name.
 */
static int space_image_of(uint32_t of, uint8_t peer, struct image **out)
{
	struct space *s = space_get(of);
	int err = 0;

	if (!s)
		return -ENOENT;
	if (!s->is_home || s->pmon != peer) {
		mmon_refuse("mm-new", of, peer, "image_of is not this pmon's home space here");
		err = -EPERM;
	} else if (!s->image || !s->image->sealed) {
		err = -ENOENT;
	} else {
		*out = image_get(s->image);
	}
	space_put(s);
	return err;
}

/* The path after a P2M_MM_NEW, as a C string in buf: no NUL inside, len exact. */
static int mm_new_path(const void *req, size_t len, const struct p2m_mm_new *q,
		       char buf[NET_PATH_MAX + 1])
{
	if (q->image_len || q->image_of || len != sizeof(*q) + q->path_len)
		return -EINVAL;
	memcpy(buf, (const uint8_t *)req + sizeof(*q), q->path_len);
	buf[q->path_len] = 0;
	return strlen(buf) == q->path_len ? 0 : -EINVAL;
}

/*
 * The new space's image: read from the vNode's file named after the request, a
 * fresh one to stage, or image_of's (held in every case).
 */
static int mm_new_image(const struct p2m_mm_new *q, const void *req, size_t len, uint8_t peer,
			struct image **out)
{
	char *path;
	int err;

	if (q->path_len || len != sizeof(*q)) {
		path = kmalloc(NET_PATH_MAX + 1);
		err = path ? mm_new_path(req, len, q, path) : -ENOMEM;
		if (!err)
			err = image_from_file(q->vnode, path, out);
		kfree(path);
		return err;
	}
	if (q->image_of)
		return q->image_len ? -EINVAL : space_image_of(q->image_of, peer, out);
	if (!q->image_len || q->image_len > NET_IMAGE_MAX)
		return -EINVAL;
	*out = image_new(q->image_len);
	if (!*out) {
		pr_warn("no memory to stage %u bytes for mm=%u", q->image_len, q->mm);
		return -ENOMEM;
	}
	return 0;
}

/*
 * P2M_MM_NEW: a pmon makes mm's space on its home, with room to stage the image or
 * with the image another of its spaces here runs (execve of /proc/self/exe).
 */
int space_mm_new(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		 size_t resp_max)
{
	struct p2m_mm_new q;
	struct image *im;
	struct space *s;
	uint32_t born;
	int err;

	(void)ctx, (void)resp, (void)resp_max;
	memcpy(&q, req, sizeof(q));
	if (!mmon_is(peer, ROLE_PMON)) {
		mmon_refuse("mm-new", q.mm, peer, "not a pmon");
		return -EPERM;
	}
	if (!q.mm || !q.vnode)
		return -EINVAL;
	err = mm_new_image(&q, req, len, peer, &im);
	if (err)
		return err;
	born = reap_now(peer);
	err = space_create(q.mm, true, mmon_self, &s);
	if (err) {
		image_put(im);
		return err;
	}
	s->pmon = peer;
	s->born = born;
	s->host = q.path_len ? 0xff : q.host;	/* 0xff: nobody stages it */
	s->vnode = q.vnode;
	s->image = im;
	space_put(s);
	if (q.path_len)
		pr_info("new mm=%u vnode=%u on pmon %u, image of %u bytes from storage", q.mm,
			q.vnode, peer, im->len);
	else if (q.image_of)
		pr_info("new mm=%u vnode=%u on pmon %u, the image of mm=%u (%u bytes)", q.mm,
			q.vnode, peer, q.image_of, im->len);
	else
		pr_info("new mm=%u vnode=%u on pmon %u, image of %u bytes from node %u", q.mm,
			q.vnode, peer, q.image_len, q.host);
	return 0;
}

/* Without a gmon nothing was placed, so there is nothing to forget. */
void space_release(uint32_t mm)
{
	int err;

	if (mmon_gmon == 0xff)
		return;
	err = msg_rpc(mmon_gmon, X2G_RELEASE, &mm, sizeof(mm), NULL, 0, MMON_RPC_TIMEOUT);
	if (err < 0)
		pr_warn("X2G_RELEASE mm=%u to gmon failed (%d)", mm, err);
}

/* P2M_MM_EXIT: on the home, from the pmon: free the process here and everywhere. */
int space_mm_exit(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		    size_t resp_max)
{
	unsigned owners;
	struct space *s;
	uint32_t mm;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&mm, req, sizeof(mm));
	err = space_get_pmon_home(mm, peer, "exit", &s);
	if (err)
		return err;
	owners = sync_free_all(s);
	space_kill(s);
	space_put(s);
	space_release(mm);
	pr_info("exit mm=%u: freed here and on %u other mmons", mm, owners);
	return 0;
}

/* M2M_MM_FREE: the home says mm is gone; drop its mirror and pages. */
int space_mm_free(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		    size_t resp_max)
{
	struct space *s;
	uint32_t mm;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&mm, req, sizeof(mm));
	err = space_get_home(mm, peer, "proc-free", &s);
	if (err)
		return err;
	space_kill(s);
	space_put(s);
	pr_info("freed mm=%u's vRegions at its home's request", mm);
	return 0;
}
