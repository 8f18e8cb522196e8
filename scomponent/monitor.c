/*
 * The storage monitor (build/smon.elf): its RPC table, and its start hook, which
 * brings up the node's disk (include/kernel/blkdev.h), checks it with selftest=1,
 * then mounts the file system on it and starts serving (disk.c, serve.c;
 * docs/storage.md describes the service).
 */
#define LOG_SUBSYS "smon"
#include "kernel/blkdev.h"
#include "kernel/monitor.h"
#include "kernel/printk.h"
#include "kernel/selftest.h"
#include "smon.h"

static bool is_mmon[NET_NODES];		/* from the cluster map at start */

bool smon_is_mmon(uint8_t node)
{
	return is_mmon[node];
}

#define SERVE_OP(op) RPC_OP(op, serve_##op),
static const struct rpc_op smon_ops[NET_OPCODE_MAX] = {
	X2S_REQUESTS(SERVE_OP)
};

/* Without its disk a storage monitor has nothing to serve: refuse to start. */
static int smon_start(const struct node_config *cfg)
{
	int err = blkdev_init();

	if (err) {
		pr_err("no usable virtio-blk disk (%d); the launcher attaches one to every smon",
		       err);
		return err;
	}
	for (unsigned i = 0; i < cfg->npeers; i++)
		is_mmon[cfg->peers[i].id] = cfg->peers[i].role == ROLE_MMON;
	err = cfg->selftest ? diskcheck_run() : 0;
	return err ? err : disk_start(cfg);
}

const struct monitor monitor = {
	.role = ROLE_SMON,
	.ops = smon_ops,
	.nops = NET_OPCODE_MAX,
	.start = smon_start,
};
