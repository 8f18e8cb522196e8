/*
 * gmon keeps its placements in memory only. When it restarts, the new incarnation
 * knows none of them, yet running processes and open files depend on them: a pmon
 * asks gmon for a vRegion's owner on a cache miss, a fork copies its parent's
 * records, a vNode's files must stay on their smon and behind their front. Every
 * mmon therefore tells the new gmon, in M2G_RESTORE messages, what it holds: the
 * homes here with the owner of every vRegion they placed, and the vNodes it fronts.
 * The mmon learns of the restart when gmon proves its new epoch; the poller may not
 * block, so the event only wakes the restorer thread.
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "mmon.h"

static uint32_t wanted;			/* atomic: gmon restarts heard */
static struct wait_queue restore_wq;

void restore_node_event(uint8_t node, enum node_event ev)
{
	if (ev != NODE_EVENT_RESTARTED || node != mmon_gmon)
		return;
	__atomic_add_fetch(&wanted, 1, __ATOMIC_ACQ_REL);
	wake_up_all(&restore_wq);
}

/* Records gathered for gmon, sent NET_RESTORE_MAX at a time; the restorer's own. */
struct batch {
	struct m2g_restore recs[NET_RESTORE_MAX];
	unsigned n, sent;
	int err;
};

static struct batch batch;

static void flush(struct batch *b)
{
	int ret;

	if (!b->n)
		return;
	ret = msg_rpc(mmon_gmon, M2G_RESTORE, b->recs, b->n * sizeof(b->recs[0]), NULL, 0,
		      MMON_RPC_TIMEOUT);
	if (ret < 0 && !b->err)
		b->err = ret;
	b->sent += b->n;
	b->n = 0;
}

static void add(struct batch *b, struct m2g_restore r)
{
	b->recs[b->n++] = r;
	if (b->n == NET_RESTORE_MAX)
		flush(b);
}

/* The home record of held space s and one per vRegion whose copies it knows. */
static void add_held(struct batch *b, struct space *s)
{
	add(b, (struct m2g_restore){ .key = s->mm, .kind = RESTORE_HOME });
	for (long r = vregion_map_next(&s->owners, 0, VREGION_COUNT); r >= 0;
	     r = vregion_map_next(&s->owners, (uint32_t)r + 1, VREGION_COUNT)) {
		int backup = vregion_map_backup(&s->owners, (uint32_t)r);

		add(b, (struct m2g_restore){
			.key = s->mm, .idx = (uint32_t)r, .kind = RESTORE_VREGION,
			.owner = (uint8_t)vregion_map_get(&s->owners, (uint32_t)r),
			.backup = backup < 0 ? VREGION_NONE : (uint8_t)backup });
	}
}

static void add_space(struct batch *b, uint32_t mm)
{
	struct space *s = space_get(mm);

	if (!s)
		return;
	if (s->is_home)
		add_held(b, s);
	space_put(s);
}

/*
 * For a request that holds home space s and found gmon without its records (a fork
 * racing the restorer, which waits for s): tell gmon about s now. 0 or -errno.
 */
int restore_space(struct space *s)
{
	struct batch *b = kzalloc(sizeof(*b));
	int err;

	if (!b)
		return -ENOMEM;
	add_held(b, s);
	flush(b);
	err = b->err;
	kfree(b);
	pr_info("mm=%u: its placements told to gmon again (%d)", s->mm, err);
	return err;
}

static void restore_all(struct batch *b)
{
	unsigned max = space_count() + 16, n;
	uint32_t *ids = kmalloc(max * sizeof(*ids));

	b->n = b->sent = 0;
	b->err = 0;
	if (!ids) {
		b->err = -ENOMEM;
		return;
	}
	n = space_list(SPACE_ANY, 0, ids, max);
	for (unsigned i = 0; i < n; i++)
		add_space(b, ids[i]);
	kfree(ids);
	flush(b);			/* the fronts (at most 64) then fit in one message */
	b->n = files_fronts(b->recs, NET_RESTORE_MAX);
	flush(b);
}

static void restorer(void *arg)
{
	struct batch *b = &batch;
	uint32_t done = 0;

	(void)arg;
	for (;;) {
		wait_event(&restore_wq, __atomic_load_n(&wanted, __ATOMIC_ACQUIRE) != done);
		done = __atomic_load_n(&wanted, __ATOMIC_ACQUIRE);
		restore_all(b);
		if (b->err)
			pr_warn("gmon restarted: restoring %u records failed (%d)", b->sent, b->err);
		else
			pr_info("gmon restarted: %u records restored", b->sent);
	}
}

int restore_init(void)
{
	wait_queue_init(&restore_wq);
	if (mmon_gmon == 0xff)
		return 0;
	return thread_create("restorer", restorer, NULL, 0) ? 0 : -ENOMEM;
}
