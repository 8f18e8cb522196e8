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
#include "kernel/mm.h"
#include "kernel/monitor.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/selftest.h"
#include "kernel/time.h"

static struct node_config node_config;

static void init_thread(void *arg)
{
	struct node_config *cfg = &node_config;
	char err[160];

	(void)arg;
	if (bootcfg_load(cfg, err, sizeof(err))) {
		pr_err("TESSERA CONFIG ERROR %s", err);
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
	pr_info("TESSERA READY role=%s node=%u boot_ms=%lu", role_name(cfg->role), cfg->id,
		clock_ns() / NSEC_PER_MSEC);
}

void kernel_main(void)
{
	sched_init_cpu();
	if (!thread_create("init", init_thread, NULL, 0))
		panic("cannot create the init thread");
	sched_idle();
}
