/*
 * The memory monitor (build/mmon.elf). So far it tells GMM on gmon how much memory
 * it has, once a second, so gmon can place processes and vRegions on it; the vma
 * tree (mcomponent/vma.c) and the page store come with the vm RPCs.
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/monitor.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"

#define REPORT_INTERVAL	NSEC_PER_SEC
#define REPORT_TIMEOUT	(500 * NSEC_PER_MSEC)

static uint8_t gmon_id;

static void reporter(void *arg)
{
	bool warned = false;

	(void)arg;
	for (;;) {
		struct m2g_mem_report r = {
			.capacity_pages = page_total_count(),
			.free_pages = page_free_count(),
		};
		int err = msg_rpc(gmon_id, M2G_MEM_REPORT, &r, sizeof(r), NULL, 0, REPORT_TIMEOUT);

		if (err < 0 && !warned)
			pr_warn("memory report to gmon failed (%d); retrying every second", err);
		warned = err < 0;
		sleep_ns(REPORT_INTERVAL);
	}
}

static int mmon_start(const struct node_config *cfg)
{
	for (unsigned i = 0; i < cfg->npeers; i++) {
		if (cfg->peers[i].role == ROLE_GMON) {
			gmon_id = cfg->peers[i].id;
			return thread_create("mem-report", reporter, NULL, 0) ? 0 : -ENOMEM;
		}
	}
	pr_warn("no gmon in the cluster map: nobody to report memory to");
	return 0;
}

const struct monitor monitor = {
	.role = ROLE_MMON,
	.start = mmon_start,
};
