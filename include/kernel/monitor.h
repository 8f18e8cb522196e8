/*
 * What each role directory adds to the common kernel: the role its image serves
 * (checked against the boot configuration so a VM cannot boot the wrong image),
 * the RPCs it serves beyond the common ones, and how it starts its services.
 */
#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H

#include "kernel/config.h"
#include "net/rpc.h"

/* What a role hears of another node of the cluster map (host entries excepted). */
enum node_event {
	NODE_EVENT_DOWN,	/* gmon's verdict: silent past hb_timeout_ms */
	NODE_EVENT_UP,		/* gmon's verdict: heard from again */
	NODE_EVENT_RESTARTED,	/* a new incarnation proved its epoch: its state is gone */
};

struct monitor {
	enum node_role role;
	const struct rpc_op *ops;	/* indexed by opcode; NULL: only the common ones */
	unsigned nops;
	/* Start the role's services once the network is up; NULL: none yet. */
	int (*start)(const struct node_config *cfg);
	/*
	 * A node event (kernel/msg.c); NULL: the role ignores them. Runs in the message
	 * layer's poller with its lock held: it must not block or send.
	 */
	void (*node_event)(uint8_t node, enum node_event ev);
};

extern const struct monitor monitor;

#endif
