/*
 * The global managers' messages on the wire: reports to gmon and placement asks of
 * GMM, GPM and GSM (M2G_*, P2G_*, S2G_*, X2G_*, H2G_*), packed and little-endian like
 * every wire struct. include/net/protocol.h gives each opcode its number and length
 * bounds; docs/protocol.md explains them.
 */
#ifndef MANAGERS_PROTO_H
#define MANAGERS_PROTO_H

#include <stdint.h>

/* M2G_MM_COPY: child's home and vRegions are placed where parent's are. */
struct m2g_mm_copy {
	uint32_t parent;
	uint32_t child;
} __attribute__((packed));
_Static_assert(sizeof(struct m2g_mm_copy) == 8, "mm placement copy");

/* M2G_MEM_REPORT: an mComponent's capacity and free memory, sent every second. */
struct m2g_mem_report {
	uint64_t capacity_pages;
	uint64_t free_pages;
} __attribute__((packed));
_Static_assert(sizeof(struct m2g_mem_report) == 16, "mem report");

/*
 * M2G_RESTORE: after gmon restarted, each mComponent tells the new one the records
 * the old one had made that it depends on, so running processes and files stay where
 * they are: HOME, key is an mm whose home is the sender; VREGION, vRegion idx of mm
 * key is owned by owner and backed up by backup; FRONT, key is a vNode whose files owner (an sComponent)
 * keeps and the sender fronts. A record gmon already has stands.
 */
enum m2g_restore_kind { RESTORE_HOME = 1, RESTORE_VREGION = 2, RESTORE_FRONT = 3 };

struct m2g_restore {
	uint32_t key;		/* mm, or vNode (FRONT) */
	uint32_t idx;		/* VREGION: the vRegion; else 0 */
	uint8_t kind;		/* enum m2g_restore_kind */
	uint8_t owner;		/* VREGION: owner mmon; FRONT: the smon; HOME: 0 */
	uint8_t backup;		/* VREGION: backup mmon, or 0xff: none; else 0 */
	uint8_t rsvd;		/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct m2g_restore) == 12, "restore record");

#define NET_RESTORE_MAX 256	/* records in one M2G_RESTORE */

#define X2G_PLACE_HOME 0xffffffffu	/* x2g_place.vregion: the process's home */

/* X2G_PLACE: which mComponent is mm's home, or owns (and backs up) one vRegion. */
struct x2g_place {
	uint32_t mm;
	uint32_t vregion;	/* index, or X2G_PLACE_HOME */
} __attribute__((packed));
_Static_assert(sizeof(struct x2g_place) == 8, "place request");

struct g2x_place {
	uint8_t owner;		/* node id (the home, for X2G_PLACE_HOME) */
	uint8_t backup;		/* node id, or 0xff: none */
	uint8_t rsvd[6];	/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct g2x_place) == 8, "place response");

/*
 * P2G_LOAD_REPORT: a pComponent's capacity and load, sent every second; gmon's GPM
 * places new processes by it (managers/gpm.c, which bounds each field).
 */
struct p2g_load_report {
	uint32_t cpus;		/* CPUs user threads run on, >= 1 */
	uint32_t lines;		/* ExCache lines, >= 1 */
	uint32_t procs_max;	/* processes it runs at once at most */
	uint32_t threads;	/* user threads of its live processes */
	uint32_t procs;		/* live (started, not yet exited) processes, <= procs_max */
	uint32_t rsvd;		/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct p2g_load_report) == 24, "load report");

/* H2G_PLACE_PROC: which pComponent should run a new process of vnode (the run names none). */
struct h2g_place_proc {
	uint32_t vnode;		/* the virtual server it will belong to, >= 1 */
	uint32_t rsvd;		/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct h2g_place_proc) == 8, "process placement request");

struct g2h_place_proc {
	uint8_t pmon;		/* node id: send it the H2P_SPAWN */
	uint8_t rsvd[7];	/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct g2h_place_proc) == 8, "process placement response");

/* S2G_STORAGE_REPORT: an sComponent's disk, sent every second; GSM places vNodes by it. */
struct s2g_storage_report {
	uint64_t capacity_blocks;	/* 4 KiB blocks of its file system */
	uint64_t free_blocks;
} __attribute__((packed));
_Static_assert(sizeof(struct s2g_storage_report) == 16, "storage report");

/*
 * X2G_STORAGE: which sComponent keeps vnode's files, and which mComponent fronts
 * them with its buffer cache. Every file request of the vNode goes to that mmon,
 * which serves it from its cache or forwards it, unchanged, to the smon.
 */
struct g2x_storage {
	uint8_t smon;		/* node id */
	uint8_t mmon;		/* node id: send the X2S_* requests here */
	uint8_t rsvd[6];	/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct g2x_storage) == 8, "storage placement");

#endif
