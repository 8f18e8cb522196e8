/*
 * What each role directory adds to the common kernel: the role its image serves
 * (checked against the boot configuration so a VM cannot boot the wrong image),
 * the RPCs it serves beyond the common ones, and how it starts its services.
 */
#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H

#include "kernel/config.h"
#include "net/rpc.h"

struct monitor {
	enum node_role role;
	const struct rpc_op *ops;	/* indexed by opcode; NULL: only the common ones */
	unsigned nops;
	/* Start the role's services once the network is up; NULL: none yet. */
	int (*start)(const struct node_config *cfg);
};

extern const struct monitor monitor;

#endif
