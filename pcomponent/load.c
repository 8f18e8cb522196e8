/*
 * The once-a-second load report to GPM on gmon (P2G_LOAD_REPORT), so gmon can place a
 * new process the user placed nowhere on a lightly loaded pComponent (managers/gpm.c).
 * A kernel thread of its own, as mmon's memory report (mcomponent/mmon.c); the counts
 * come from a scan of the process table (proc_load).
 */
#define LOG_SUBSYS "load"
#include "kernel/config.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "pcomponent/excache.h"
#include "pcomponent/load.h"
#include "pcomponent/process.h"
#include "pmon.h"

#define REPORT_INTERVAL	NSEC_PER_SEC
#define REPORT_RETRY	(100 * NSEC_PER_MSEC)	/* after a failed one: gmon may be just up */
#define REPORT_TIMEOUT	(2 * NSEC_PER_SEC)	/* a busy TCG cluster answers late */

static uint8_t load_gmon;
static uint32_t load_lines;	/* the ExCache's, fixed at start */

/* User threads run on CPUs 1..n-1 (CPU 0 runs the network), on CPU 0 only if alone. */
static uint32_t user_cpus(void)
{
	return ncpus > 1 ? ncpus - 1 : 1;
}

void proc_load(uint32_t *threads, uint32_t *procs)
{
	*threads = *procs = 0;
	spin_lock(&proc_lock);
	for (unsigned i = 0; i < PROC_MAX; i++) {
		const struct process *p = proc_at(i);

		if (p && p->state == PROC_LIVE) {
			(*procs)++;
			*threads += (uint32_t)p->nthreads;
		}
	}
	spin_unlock(&proc_lock);
}

static void reporter(void *arg)
{
	bool warned = false;

	(void)arg;
	for (;;) {
		uint32_t threads, procs;
		struct p2g_load_report r;
		int err;

		proc_load(&threads, &procs);
		r = (struct p2g_load_report){
			.cpus = user_cpus(), .lines = load_lines, .procs_max = PROC_MAX,
			.threads = threads, .procs = procs,
		};
		err = msg_rpc(load_gmon, P2G_LOAD_REPORT, &r, sizeof(r), NULL, 0, REPORT_TIMEOUT);
		if (err < 0 && !warned)
			pr_warn("load report to gmon failed (%d); retrying", err);
		warned = err < 0;
		sleep_ns(err < 0 ? REPORT_RETRY : REPORT_INTERVAL);
	}
}

int load_report_start(const struct node_config *cfg)
{
	const struct peer *gmon = NULL;
	unsigned resident;

	for (unsigned i = 0; i < cfg->npeers; i++)
		if (cfg->peers[i].role == ROLE_GMON)
			gmon = &cfg->peers[i];
	if (!gmon) {
		pr_warn("no gmon in the cluster map: no load reports, no process placement");
		return 0;
	}
	load_gmon = gmon->id;
	excache_usage(&load_lines, &resident);
	return thread_create("load-report", reporter, NULL, 0) ? 0 : -ENOMEM;
}
