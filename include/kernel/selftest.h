/*
 * The boot-time self-test (config key selftest=1), the network and disk checks
 * it adds once those devices run, and the test-only fault injection
 * (test_fault=...), all driven by the integration tests.
 */
#ifndef KERNEL_SELFTEST_H
#define KERNEL_SELFTEST_H

/* Prints TESSERA SELFTEST PASS (returns 0) or TESSERA SELFTEST FAIL <what> (-1). */
int selftest_run(void);
struct node_config;
/* Echo every other node of the cluster; prints TESSERA NETCHECK PASS or FAIL. */
void netcheck_run(const struct node_config *cfg);
/* Write, flush, read back and restore the disk's last sectors, several requests in
 * flight; prints TESSERA DISKCHECK PASS (returns 0) or TESSERA DISKCHECK FAIL (-1). */
int diskcheck_run(void);
/* Dereference an unmapped address: the panic output must name this function. */
void fault_inject_pagefault(void);

#endif
