/*
 * The process monitor (build/pmon.elf): runs user processes on its CPUs with the
 * ExCache as their only local memory. It serves the host's spawn/start and the
 * ExCache counters; everything else it asks of mComponents and gmon.
 */
#include "kernel/errno.h"
#include "kernel/monitor.h"
#include "kernel/user.h"
#include "pcomponent/excache.h"
#include "pcomponent/fs.h"
#include "pcomponent/futex.h"
#include "pcomponent/itimer.h"
#include "pcomponent/load.h"
#include "pcomponent/process.h"

static const struct rpc_op pmon_ops[NET_OPCODE_MAX] = {
	RPC_OP(H2P_SPAWN, proc_spawn),
	RPC_OP(H2P_START, proc_start),
	RPC_OP(X2P_EXSTATS, proc_exstats),
	RPC_OP(H2P_INPUT, proc_input),
	RPC_OP(H2P_SIGNAL, proc_tty_signal),
	RPC_OP(H2P_WINSIZE, proc_winsize),
};

static int pmon_start(const struct node_config *cfg)
{
	int err = excache_init(cfg);

	if (err)
		return err;
	futex_init();
	arch_user_init(&pmon_user_ops);
	err = itimer_init();
	if (!err)
		err = fs_init(cfg);
	if (!err)
		err = proc_init(cfg);
	return err ? err : load_report_start(cfg);
}

const struct monitor monitor = {
	.role = ROLE_PMON,
	.ops = pmon_ops,
	.nops = NET_OPCODE_MAX,
	.start = pmon_start,
};
