/*
 * kernel_main(): where every monitor continues once arch_start() has memory,
 * CPUs and the clock working. The boot context becomes CPU 0's idle thread; the
 * init thread reads the node's configuration, runs the optional self-test and
 * announces the monitor ready.
 */
#define LOG_SUBSYS "boot"
#include "kernel/boot.h"
#include "kernel/bootcfg.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/monitor.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/selftest.h"
#include "kernel/time.h"

static struct node_config node_config;

static void init_thread(void *arg)
{
	struct node_config *cfg = &node_config;
	char why[160];
	int err;

	(void)arg;
	if (bootcfg_load(cfg, why, sizeof(why))) {
		pr_err("TESSERA CONFIG ERROR %s", why);
		return;
	}
	printk_set_node(cfg->name);
	printk_set_level(cfg->loglevel);
	pr_info("node %u (%s), %u CPUs, %zu MiB", cfg->id, role_name(cfg->role), ncpus,
		page_total_count() * PAGE_SIZE >> 20);
	if (cfg->selftest && selftest_run())
		return;
	if (cfg->test_fault == FAULT_PAGEFAULT)
		fault_inject_pagefault();
	err = msg_init(cfg, &monitor);
	if (err == -ENODEV)
		pr_warn("no NIC: this node runs without the network");
	else if (err)
		panic("cannot bring the network up (%d)", err);
	if (!err && monitor.start && monitor.start(cfg)) {
		pr_err("the %s monitor cannot start: see above", role_name(cfg->role));
		return;
	}
	if (!err)
		msg_started();
	pr_info("TESSERA READY role=%s node=%u boot_ms=%lu", role_name(cfg->role), cfg->id,
		clock_ns() / NSEC_PER_MSEC);
	if (cfg->selftest && !err)
		netcheck_run(cfg);
}

void kernel_main(void)
{
	sched_init_cpu();
	if (!thread_create("init", init_thread, NULL, 0))
		panic("cannot create the init thread");
	sched_idle();
}
