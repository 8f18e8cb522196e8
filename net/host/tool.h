/* Shared between the tessera-net tool's files (net/host/). */
#ifndef NET_HOST_TOOL_H
#define NET_HOST_TOOL_H

#include <stdbool.h>
#include "net/host.h"

#define TOOL_ENVS 64		/* --env options a run takes */

/* The command line, parsed once by tool.c. */
struct opts {
	const char *run_dir, *as;
	unsigned size, count;
	unsigned timeout_ms;		/* 0: the command's default */
	uint64_t offset;
	uint64_t seed;			/* forge --seed */
	unsigned vnode;			/* run --vnode */
	bool write;			/* fetch --write */
	const char *env[TOOL_ENVS];	/* run --env K=V, in order */
	unsigned nenv;
	char **words;			/* the command and its operands, options taken out */
	int nwords;
};

/* The id of the cluster node called name, or -1 (with a message). */
int tool_node(struct host_ep *h, const char *name);
/* The first node of the cluster map with this role, or NULL. */
const struct host_peer *tool_peer_by_role(const struct host_ep *h, const char *role);
/* fs put|get|ls|stat|mkdir|rm|inject VNODE ... (files.c): the exit code, 2 for bad usage. */
int tool_fs(struct host_ep *h, int argc, char **argv);

/* A vNode's storage, as GSM on gmon placed it. */
struct fs_target {
	struct host_ep *h;
	uint8_t front;		/* the mmon every request goes to */
	uint8_t smon;		/* the smon behind it, which serves mmons only */
	uint32_t vnode;
};

/*
 * fs inject VNODE PATH (fs_inject.c): hostile file requests around the regular file
 * PATH; 0 if every one was refused and both nodes still answer.
 */
int tool_fs_inject(struct fs_target *t, const char *path);
/* Join the cluster o names; 0, or -1 with a message. */
int tool_join(struct host_ep *h, const struct opts *o);
/* Send node every kind of malformed frame and hostile request; 0 if all were refused. */
int tool_inject(struct host_ep *h, int node);
/* Send node count sealed frames that lie about identity, epochs and contents (forge.c). */
int tool_forge(struct host_ep *h, int node, unsigned count, uint64_t seed);

/*
 * run PMON|any ELF [ARG...] (o->words; any: GPM on gmon picks the pmon): the program's
 * exit status, or the tool's (run.c).
 */
int tool_run(const struct opts *o);

/* term.c: our own terminal, when stdin and stdout are one (else term_size is false). */
bool term_size(uint16_t *rows, uint16_t *cols);
int term_raw(void);
void term_restore(void);

/* The memory side's counters and a forged fetch (mem.c); exit codes for main. */
int tool_exstats(struct host_ep *h, int pmon, const char *pid);
int tool_memstats(struct host_ep *h, int mmon);
int tool_fetch(struct host_ep *h, int mmon, const char *mm, const char *va, bool write);

#endif
