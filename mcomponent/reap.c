/*
 * A pmon that gmon declares dead, or that comes back as a new incarnation, runs none
 * of the processes it had: their address spaces are freed here as P2M_MM_EXIT would
 * free them (mirrors on other mmons too), so a killed pmon leaks nothing. Likewise
 * an mmon's death ends the processes whose home it was: their mirrors here go, so
 * that a pmon reusing their ids (after its own restart) finds them free.
 *
 * The event arrives in the message layer's poller, which may not block, so it only
 * bumps the node's generation and wakes the reaper thread. Each space records the
 * generation of the node it depends on when it was made (born: a home its pmon's, a
 * mirror its home's); the reaper frees the spaces of an older generation. A
 * restarted pmon numbers its address spaces from 1 again, so its P2M_MM_NEW and
 * P2M_MM_FORK first finish the reaping themselves (reap_now()): the old space of the
 * same id must be gone before the new one is made. GMM forgets
 * the pmon's placements on its own event (managers/gmon.c), so nothing here tells
 * gmon: X2G_RELEASE could release a new incarnation's record of the same id.
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/monitor.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "mmon.h"

#define REAP_BATCH 32		/* mm ids taken from the table per look */

static uint32_t gen[NET_NODES];		/* atomic: deaths heard per pmon or mmon */
static uint32_t reaped[NET_NODES];	/* atomic: generation fully reaped */
static struct wait_queue reap_wq;

uint32_t reap_gen(uint8_t node)
{
	return __atomic_load_n(&gen[node], __ATOMIC_ACQUIRE);
}

/* In the poller: a pmon's processes, or an mmon's homes, are gone; the reaper frees. */
void reap_node_event(uint8_t node, enum node_event ev)
{
	if (ev == NODE_EVENT_UP || node == mmon_self ||
	    !(mmon_is(node, ROLE_PMON) || mmon_is(node, ROLE_MMON)))
		return;
	__atomic_add_fetch(&gen[node], 1, __ATOMIC_ACQ_REL);
	wake_up_all(&reap_wq);
}

/*
 * Free one space that depends on node and was born before generation g, if it is
 * still here: a home as P2M_MM_EXIT would (its mirrors too), a mirror alone.
 */
static bool reap_one(uint32_t mm, uint8_t node, uint32_t g)
{
	struct space *s = space_get(mm);
	unsigned owners = 0;
	bool home;

	if (!s)
		return false;
	home = s->is_home;
	if (s->born >= g || (home ? s->pmon : s->home) != node) {
		space_put(s);
		return false;
	}
	if (home)
		owners = sync_free_all(s);
	space_kill(s);
	space_put(s);
	if (home)
		pr_info("pmon %u gone: freed mm=%u here and on %u other mmons", node, mm, owners);
	else
		pr_info("mmon %u gone: freed its mirror of mm=%u", node, mm);
	return true;
}

/* Free every space that depends on node, born before generation g; how many. */
static unsigned reap_node(uint8_t node, uint32_t g)
{
	uint32_t ids[REAP_BATCH];
	unsigned n, freed = 0;

	do {
		n = space_list(node, g, ids, REAP_BATCH);
		for (unsigned i = 0; i < n; i++)
			freed += reap_one(ids[i], node, g);
	} while (n == REAP_BATCH);
	return freed;
}

/* Finish reaping node up to generation g, if it is behind; how many were freed. */
static unsigned catch_up(uint8_t node, uint32_t g)
{
	unsigned n;

	if (__atomic_load_n(&reaped[node], __ATOMIC_ACQUIRE) >= g)
		return 0;
	n = reap_node(node, g);
	__atomic_store_n(&reaped[node], g, __ATOMIC_RELEASE);
	return n;
}

/*
 * Before a request of pmon's makes a space: finish reaping what its earlier
 * incarnations left, and the mirrors of dead homes, so that an mm id it reuses is
 * free (a no-op once done). The space is born in the generation returned, read
 * before the reaping: an event after that makes it one to reap.
 */
uint32_t reap_now(uint8_t pmon)
{
	uint32_t g = reap_gen(pmon);

	catch_up(pmon, g);
	for (unsigned node = 0; node < NET_NODES; node++)
		if (mmon_is((uint8_t)node, ROLE_MMON))
			catch_up((uint8_t)node, reap_gen((uint8_t)node));
	return g;
}

static bool reap_pending(void)
{
	for (unsigned node = 0; node < NET_NODES; node++)
		if (__atomic_load_n(&reaped[node], __ATOMIC_ACQUIRE) < reap_gen((uint8_t)node))
			return true;
	return false;
}

static void reaper(void *arg)
{
	(void)arg;
	for (;;) {
		wait_event(&reap_wq, reap_pending());
		for (unsigned node = 0; node < NET_NODES; node++) {
			uint32_t g = reap_gen((uint8_t)node);

			if (__atomic_load_n(&reaped[node], __ATOMIC_ACQUIRE) < g)
				pr_info("%s %u gone: %u address spaces freed",
					mmon_is((uint8_t)node, ROLE_PMON) ? "pmon" : "mmon", node,
					catch_up((uint8_t)node, g));
		}
	}
}

int reap_init(void)
{
	wait_queue_init(&reap_wq);
	return thread_create("reaper", reaper, NULL, 0) ? 0 : -ENOMEM;
}
