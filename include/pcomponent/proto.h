/*
 * The process monitor's messages on the wire: a host's requests to a pmon (H2P_*,
 * X2P_EXSTATS) and what the pmon sends the host of each process it runs (P2H_*),
 * packed and little-endian like every wire struct. include/net/protocol.h gives each
 * opcode its number and length bounds; docs/protocol.md explains them.
 */
#ifndef PCOMPONENT_PROTO_H
#define PCOMPONENT_PROTO_H

#include <stdint.h>

#define NET_SPAWN_STRINGS 8192		/* argv + envp bytes in one H2P_SPAWN */
#define NET_OUTPUT_MAX 16384		/* bytes per P2H_OUTPUT */

/* H2P_SPAWN: make a process on this pmon for the calling host; strings follow. */
struct h2p_spawn {
	uint32_t vnode;		/* the virtual server it belongs to, >= 1 */
	uint32_t image_len;	/* bytes of ELF the host will stage, <= NET_IMAGE_MAX */
	uint64_t realtime_ns;	/* host's CLOCK_REALTIME now: the process's wall clock */
	uint16_t argc;		/* argc NUL-terminated strings, then envc; argc >= 1 */
	uint16_t envc;
	uint16_t rows, cols;	/* the host's terminal, if its stdin and stdout are one; 0: not */
} __attribute__((packed));
_Static_assert(sizeof(struct h2p_spawn) == 24, "spawn request");

struct p2h_spawn {
	uint32_t pid;
	uint32_t mm;		/* its address space: H2M_IMAGE names it */
	uint8_t home;		/* the mComponent to send H2M_IMAGE to */
	uint8_t rsvd[7];
} __attribute__((packed));
_Static_assert(sizeof(struct p2h_spawn) == 16, "spawn response");

struct p2h_output {
	uint32_t pid;
	uint32_t fd;		/* 1 or 2 */
} __attribute__((packed));
_Static_assert(sizeof(struct p2h_output) == 8, "output");

/*
 * H2P_INPUT: bytes typed at the terminal of the process pid the host spawned (and
 * of every process that shares that terminal). The answer, a u32, is how many the
 * pmon took: it buffers at most NET_INPUT_MAX, and the host sends the rest later.
 * EOF (with no bytes): the host's input ended; reads see end of file once drained.
 */
#define NET_INPUT_MAX 4096
#define H2P_INPUT_EOF 0x1

struct h2p_input {
	uint32_t pid;
	uint32_t flags;		/* H2P_INPUT_* */
} __attribute__((packed));
_Static_assert(sizeof(struct h2p_input) == 8, "input");

/* H2P_SIGNAL: the terminal's user asked for sig (Ctrl-C: SIGINT) for its foreground. */
struct h2p_signal {
	uint32_t pid;
	uint32_t sig;
} __attribute__((packed));
_Static_assert(sizeof(struct h2p_signal) == 8, "terminal signal");

/* H2P_WINSIZE: the host's terminal was resized (SIGWINCH there, and here). */
struct h2p_winsize {
	uint32_t pid;
	uint16_t rows, cols;
} __attribute__((packed));
_Static_assert(sizeof(struct h2p_winsize) == 8, "window size");

/* P2H_EXIT: status as wait(2) would show it in a shell: code, or 128 + signal. */
struct p2h_exit {
	uint32_t pid;
	int32_t status;
} __attribute__((packed));
_Static_assert(sizeof(struct p2h_exit) == 8, "exit");

#define EXCACHE_HIST 16		/* miss latency buckets: [2^i, 2^(i+1)) microseconds */

/* X2P_EXSTATS: ExCache counters of one process's address space, or of the node (pid 0). */
struct p2x_exstats {
	uint64_t hits;		/* sampled: accessed bits found set on resident lines */
	uint64_t misses, evictions, writebacks;
	uint64_t writeback_errors;	/* failed for good: the page lost, its process killed */
	uint32_t lines, ways;	/* geometry */
	uint32_t policy;	/* 0 FIFO, 1 CLOCK */
	uint32_t resident;	/* lines in use now */
	uint64_t miss_ns_total;
	uint64_t hist[EXCACHE_HIST];
} __attribute__((packed));
_Static_assert(sizeof(struct p2x_exstats) == 64 + 8 * EXCACHE_HIST, "exstats");

#endif
