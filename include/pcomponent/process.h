/*
 * Processes on a pComponent: each is one user thread in its own address space,
 * whose memory lives on mComponents (the home keeps its layout, vRegion owners its
 * pages) and is cached locally by the ExCache. pcomponent/process.c keeps the table
 * and answers the host's spawn/start; linux-abi/ implements its system calls.
 */
#ifndef PCOMPONENT_PROCESS_H
#define PCOMPONENT_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/time.h"
#include "kernel/user.h"
#include "net/wire.h"
#include "pcomponent/excache.h"

#define PROC_MAX 64			/* processes one pmon runs at once */
#define PROC_OWNER_SLOTS 16		/* vRegion owners a process remembers */
#define PROC_RPC_TIMEOUT (10 * NSEC_PER_SEC)
#define PROC_IO_SIZE (sizeof(struct p2m_writeback) + NET_PAGE_SIZE)

enum proc_state { PROC_NEW, PROC_STARTED };	/* spawned; H2P_START taken */

/* A remembered answer of GMM: vRegion -> owner mComponent. */
struct owner_slot {
	uint32_t vregion;
	uint8_t owner;
	bool used;
};

/*
 * One process. Immutable after start unless noted; its own thread is the only one
 * that touches user, owners, brk and io; counters are guarded by the cache lock.
 */
struct process {
	uint32_t pid;
	uint32_t vnode;
	uint8_t host;			/* the client: it gets output and the exit status */
	uint8_t home;			/* home mComponent: layout, exec, exit */
	enum proc_state state;		/* guarded by the table lock */
	int evicting;			/* lines of ours other threads are evicting (cache lock) */
	struct user_ctx user;
	int64_t realtime_offset;	/* CLOCK_REALTIME - clock_ns() */
	char *strings;			/* argv then envp, until the stack is built */
	uint32_t strings_len;
	uint16_t argc, envc;
	struct m2p_exec exec;		/* what the home's exec answered */
	uint64_t brk;			/* the break as the home last answered */
	struct owner_slot owners[PROC_OWNER_SLOTS];
	uint8_t *io;			/* PROC_IO_SIZE: a page on the wire, with its header */
	struct excache_counters stats;
};

/* The RPCs the host calls on a pmon. */
int proc_spawn(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max);
int proc_start(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max);
int proc_exstats(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max);

int proc_init(const struct node_config *cfg);
/* User traps on this monitor (pcomponent/fault.c). */
extern const struct user_ops pmon_user_ops;
/* The process the current thread runs. */
struct process *proc_current(void);
/* The owner mComponent of va's vRegion (asking GMM once); node id or -errno. */
int proc_owner(struct process *p, uint64_t va);
/* End the current process with a shell-style status (code, or 128 + signal). */
void proc_exit(int status) __attribute__((noreturn));
/* Kill the current process with a signal, logging why. */
void proc_kill(int sig, const char *why, uint64_t addr) __attribute__((noreturn));

/* Linux's numbers for the signals a process can die of (status 128 + the number). */
#define SIGILL 4
#define SIGTRAP 5
#define SIGBUS 7
#define SIGFPE 8
#define SIGSEGV 11

#endif
