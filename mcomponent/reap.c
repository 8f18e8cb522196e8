/*
 * A pmon that gmon declares dead, or that comes back as a new incarnation, runs none
 * of the processes it had: their address spaces are freed here as P2M_MM_EXIT would
 * free them (mirrors on other mmons too), so a killed pmon leaks nothing.
 *
 * The event arrives in the message layer's poller, which may not block, so it only
 * bumps the pmon's generation and wakes the reaper thread. Each home space records
 * the generation of its pmon when it was made (born); the reaper frees the spaces of
 * an older generation. A restarted pmon numbers its address spaces from 1 again, so
 * its P2M_MM_NEW and P2M_MM_FORK first finish the reaping themselves (reap_now()):
 * the old space of the same id must be gone before the new one is made. GMM forgets
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

static uint32_t gen[NET_NODES];		/* atomic: events heard per pmon */
static uint32_t reaped[NET_NODES];	/* atomic: generation fully reaped */
static struct wait_queue reap_wq;

uint32_t reap_gen(uint8_t pmon)
{
	return __atomic_load_n(&gen[pmon], __ATOMIC_ACQUIRE);
}

/* In the poller: a pmon's processes are gone; the reaper does the work. */
void reap_node_event(uint8_t node, enum node_event ev)
{
	if (ev == NODE_EVENT_UP || !mmon_is(node, ROLE_PMON))
		return;
	__atomic_add_fetch(&gen[node], 1, __ATOMIC_ACQ_REL);
	wake_up_all(&reap_wq);
}

/* Free one space of pmon born before generation g, if it is still here. */
static bool reap_one(uint32_t mm, uint8_t pmon, uint32_t g)
{
	struct space *s = space_get(mm);
	unsigned owners;

	if (!s)
		return false;
	if (!s->is_home || s->pmon != pmon || s->born >= g) {
		space_put(s);
		return false;
	}
	owners = sync_free_all(s);
	space_kill(s);
	space_put(s);
	pr_info("pmon %u gone: freed mm=%u here and on %u other mmons", pmon, mm, owners);
	return true;
}

/* Free every home space of pmon born before generation g; how many. */
static unsigned reap_pmon(uint8_t pmon, uint32_t g)
{
	uint32_t ids[REAP_BATCH];
	unsigned n, freed = 0;

	do {
		n = space_list_homes(pmon, g, ids, REAP_BATCH);
		for (unsigned i = 0; i < n; i++)
			freed += reap_one(ids[i], pmon, g);
	} while (n == REAP_BATCH);
	return freed;
}

/*
 * Before a request of pmon's makes a space: finish reaping what its earlier
 * incarnations left, so that an mm id it reuses is free (a no-op once done). The
 * space is born in the generation returned, read before the reaping: an event after
 * that makes it one to reap.
 */
uint32_t reap_now(uint8_t pmon)
{
	uint32_t g = reap_gen(pmon);

	if (__atomic_load_n(&reaped[pmon], __ATOMIC_ACQUIRE) < g) {
		reap_pmon(pmon, g);
		__atomic_store_n(&reaped[pmon], g, __ATOMIC_RELEASE);
	}
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
			unsigned n;

			if (__atomic_load_n(&reaped[node], __ATOMIC_ACQUIRE) >= g)
				continue;
			n = reap_pmon((uint8_t)node, g);
			__atomic_store_n(&reaped[node], g, __ATOMIC_RELEASE);
			pr_info("pmon %u gone: %u of its address spaces freed", node, n);
		}
	}
}

int reap_init(void)
{
	wait_queue_init(&reap_wq);
	return thread_create("reaper", reaper, NULL, 0) ? 0 : -ENOMEM;
}
