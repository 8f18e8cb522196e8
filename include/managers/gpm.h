/*
 * Global process manager placement policy: which pComponent runs a new process when the
 * user names none. Portable: gmon wires it to RPCs (managers/gmon.c); tested on the host.
 */
#ifndef MANAGERS_GPM_H
#define MANAGERS_GPM_H

#include <stdbool.h>
#include <stdint.h>

#define GPM_MAX_NODES 64		/* pComponents one gpm tracks */
#define GPM_NONE 0xff			/* "no node" */
#define GPM_CPUS_MAX 4096		/* bounds on a report: the load arithmetic cannot overflow */
#define GPM_LINES_MAX (1u << 28)
#define GPM_PROCS_MAX 65536
#define GPM_CHARGE_REPORTS_MAX 4	/* bound on params.charge_reports */

struct gpm_params {
	uint64_t timeout_ns;		/* a node silent this long is not eligible; > 0 */
	uint32_t charge_reports;	/* reports a placement's charge outlives, see gpm.c; 1..MAX */
	uint64_t seed;			/* PRNG seed; 0 is replaced by a fixed constant */
};

/* One pComponent's report (struct p2g_load_report): its capacity, then its load. */
struct gpm_load {
	uint32_t cpus;			/* CPUs its user threads run on, 1..GPM_CPUS_MAX */
	uint32_t lines;			/* ExCache lines, 1..GPM_LINES_MAX */
	uint32_t procs_max;		/* processes it holds at most, 1..GPM_PROCS_MAX */
	uint32_t threads;		/* user threads of its live processes */
	uint32_t procs;			/* live processes, <= procs_max */
};

/* One known pComponent. */
struct gpm_node {
	bool used;			/* slot holds a node */
	uint8_t id;			/* node id, never GPM_NONE */
	struct gpm_load load;		/* its latest report */
	/* placements charged to it: [0] since its latest report, [k] before the k-th latest */
	uint32_t charged[GPM_CHARGE_REPORTS_MAX];
	uint64_t heard_ns;		/* time of its latest report */
};

/*
 * Not locked: the caller (gmon) serialises every call on one gpm. Nothing here is
 * global; the caller owns the struct.
 */
struct gpm {
	struct gpm_params p;
	uint64_t rng;			/* xorshift64* state, never 0 */
	struct gpm_node nodes[GPM_MAX_NODES];
};

int gpm_init(struct gpm *g, const struct gpm_params *p);
/* 1 when the report registered node (its first), 0 otherwise, or a negative errno. */
int gpm_report(struct gpm *g, uint8_t node, const struct gpm_load *l, uint64_t now);
int gpm_node_down(struct gpm *g, uint8_t node);
bool gpm_eligible(const struct gpm *g, uint8_t node, uint64_t now);
int gpm_place(struct gpm *g, uint32_t vnode, uint64_t now, uint8_t *pmon);

#endif
