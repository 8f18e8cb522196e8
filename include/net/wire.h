/*
 * The Tessera wire format, written once: every packet type, message kind and RPC
 * opcode, and the packed little-endian structs carrying them. Used by net/, the kernel
 * glue, the host endpoint and tools; docs/protocol.md explains every field.
 */
#ifndef NET_WIRE_H
#define NET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wire structs are used in place: the hosts that speak this format are little-endian. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the wire format is little-endian");

#define NET_ETHERTYPE 0x88b5	/* IEEE 802 local experimental */
#define NET_VERSION 1
#define NET_NODES 256		/* node ids are one byte */
#define NET_MSG_MAX 65536	/* largest message payload, after struct net_msg_hdr */
#define NET_MTU_MIN 128		/* MTU: bytes after the Ethernet header */
#define NET_MTU_MAX 9216

/* Ethernet II. The ethertype is big-endian, as Ethernet has it; nothing else is. */
struct net_eth_hdr {
	uint8_t dst[6];
	uint8_t src[6];
	uint8_t type[2];
} __attribute__((packed));
_Static_assert(sizeof(struct net_eth_hdr) == 14, "Ethernet header");

enum net_pkt_type {
	NET_PKT_DATA = 1,	/* a fragment of the reliable message stream */
	NET_PKT_ACK,		/* cumulative ack and window only; no payload */
	NET_PKT_NAK,		/* a gap at .ack; payload struct net_nak */
	NET_PKT_RESET,		/* you addressed an old epoch of mine; struct net_reset */
	NET_PKT_ECHO_REQ,	/* raw driver-level echo, outside the transport */
	NET_PKT_ECHO_REPLY,
	NET_PKT_CHALLENGE,	/* prove you run dst_epoch: send the nonce back; net_challenge */
	NET_PKT_PROOF,		/* the nonce of a CHALLENGE, from the epoch it named */
	NET_PKT_TYPE_MAX
};

/* struct net_pkt_hdr.flags */
#define NET_F_FIRST 0x01	/* DATA: first fragment; payload starts with net_msg_hdr */
#define NET_F_LAST 0x02		/* DATA: last fragment of its message */
#define NET_F_SYNC 0x04		/* DATA: the sender's stream (re)starts at this psn */
#define NET_F_ACK 0x08		/* .ack is valid (the sender's receive side is synced) */
#define NET_F_PROBE 0x10	/* ACK: you look down to me; answer with an ACK now */
#define NET_F_ALL 0x1f

/* Follows the Ethernet header in every Tessera frame. */
struct net_pkt_hdr {
	uint8_t version;	/* NET_VERSION */
	uint8_t type;		/* enum net_pkt_type */
	uint8_t flags;		/* NET_F_* */
	uint8_t tag;		/* DATA: names this transmission (1..255) for RTT samples */
	uint8_t src;		/* sender node id */
	uint8_t dst;		/* receiver node id */
	uint16_t len;		/* payload bytes after this header */
	uint32_t src_epoch;	/* sender's incarnation, never 0 */
	uint32_t dst_epoch;	/* receiver's incarnation as the sender knows it; 0: unknown */
	uint32_t psn;		/* DATA: its sequence number; others: the sender's next psn */
	uint32_t ack;		/* with NET_F_ACK: every psn before this one was received */
	uint16_t window;	/* packets the sender accepts beyond .ack */
	uint8_t echo;		/* the tag of the last DATA received from dst, echoed once; 0 */
	uint8_t rsvd;		/* 0 */
	uint32_t crc;		/* CRC32C of this header (crc 0) and the payload; 0 for echo */
} __attribute__((packed));
_Static_assert(sizeof(struct net_pkt_hdr) == 32, "packet header");

#define NET_HDRS (sizeof(struct net_eth_hdr) + sizeof(struct net_pkt_hdr))

/* NAK payload: which packets after the gap the receiver already holds. */
struct net_nak {
	uint64_t sack;		/* bit i: psn ack + 1 + i is held */
} __attribute__((packed));
_Static_assert(sizeof(struct net_nak) == 8, "nak");

/* RESET payload: what the offending packet said. */
struct net_reset {
	uint32_t stale_epoch;	/* the dst_epoch it carried (an old epoch of ours) */
	uint32_t psn;		/* its psn */
} __attribute__((packed));
_Static_assert(sizeof(struct net_reset) == 8, "reset");

/* CHALLENGE and PROOF payload. */
struct net_challenge {
	uint64_t nonce;		/* unpredictable; the PROOF carries it back unchanged */
} __attribute__((packed));
_Static_assert(sizeof(struct net_challenge) == 8, "challenge");

/* Message kinds: what a message in the reliable stream is. */
enum net_kind {
	NET_RPC_REQ = 1,	/* client -> server: opcode, request */
	NET_RPC_RESP,		/* server -> client: same id, status, response */
	NET_SEND,		/* two-sided send */
	NET_READ_REQ,		/* struct net_read_req */
	NET_READ_RESP,		/* status, then the bytes read */
	NET_WRITE_REQ,		/* struct net_write_req, then the bytes to write */
	NET_WRITE_RESP,		/* status only */
	NET_HEARTBEAT,		/* node -> gmon, no payload */
	NET_NODE_DOWN,		/* gmon -> nodes: struct net_node_change */
	NET_NODE_UP,		/* gmon -> nodes: struct net_node_change */
	NET_KIND_MAX
};

/* Starts every message in the stream (the payload of a FIRST fragment). */
struct net_msg_hdr {
	uint16_t kind;		/* enum net_kind */
	uint16_t opcode;	/* RPC: enum net_opcode */
	uint32_t len;		/* payload bytes after this header, <= NET_MSG_MAX */
	uint64_t id;		/* matches responses to requests */
	int32_t status;		/* responses: 0 or a negative errno */
	uint32_t rsvd;		/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct net_msg_hdr) == 24, "message header");

/*
 * RPC opcodes, one space for the cluster; the prefix says who sends the request to
 * whom: P pmon, M mmon, G gmon, H a host endpoint, X anyone (P2M: pmon -> mmon,
 * X2G: anyone -> gmon, ANY: anyone -> anyone). Each monitor's dispatch table is
 * indexed by these.
 */
enum net_opcode {
	ANY_ECHO = 1,		/* returns its payload (tests, benchmarks) */
	ANY_NETINFO,		/* -> struct netinfo_resp (net/probe.h) */
	ANY_NETSTATS,		/* u8 peer (0xff: all) -> struct net_stats */
	ANY_PROBE,		/* struct probe_req -> struct probe_resp (net/probe.h) */
	M2G_MEM_REPORT,		/* struct m2g_mem_report -> nothing: an mmon's memory */
	X2G_PLACE,		/* struct x2g_place -> struct g2x_place: GMM placement */
	X2G_RELEASE,		/* u32 mm -> nothing: forget the address space's placements */
	H2P_SPAWN,		/* struct h2p_spawn + strings -> struct p2h_spawn */
	H2M_IMAGE,		/* struct h2m_image + bytes -> nothing: stage the ELF */
	H2P_START,		/* u32 pid -> nothing: exec the staged image and run it */
	P2H_OUTPUT,		/* struct p2h_output + bytes -> nothing: stdout/stderr */
	P2H_EXIT,		/* struct p2h_exit -> nothing: the process is gone */
	P2M_MM_NEW,		/* struct p2m_mm_new [+ path] -> nothing: home, make an address space */
	P2M_EXEC,		/* u32 mm -> struct m2p_exec: load the staged image */
	P2M_MM_EXIT,		/* u32 mm -> nothing: home, free the address space everywhere */
	P2M_FETCH,		/* struct p2m_fetch -> struct m2p_fetch + one page */
	P2M_WRITEBACK,		/* struct p2m_writeback + one page -> nothing */
	P2M_VM,			/* struct p2m_vm -> struct m2p_vm: mmap, munmap, brk, ... */
	M2M_VMA_SYNC,		/* struct m2m_vma_sync + wire_vma[] -> nothing: home to owner */
	M2M_PAGE_PUT,		/* struct m2m_page + one page -> nothing: exec's image pages */
	M2M_MM_FREE,		/* u32 mm -> nothing: drop the address space's vmas and pages */
	X2M_MEMSTATS,		/* nothing -> struct m2x_memstats */
	X2P_EXSTATS,		/* u32 pid (0: the node) -> struct p2x_exstats */
	P2M_MM_FORK,		/* struct p2m_mm_fork -> nothing: home, copy an address space */
	M2M_MM_COPY,		/* struct m2m_mm_copy -> u32 pages copied: home to owner */
	M2G_MM_COPY,		/* struct m2g_mm_copy -> nothing: give child the same placements */
	H2P_INPUT,		/* struct h2p_input + bytes -> u32 bytes taken: the terminal's input */
	H2P_SIGNAL,		/* struct h2p_signal -> nothing: a signal from the terminal */
	P2G_LOAD_REPORT,	/* struct p2g_load_report -> nothing: a pmon's load, every second */
	H2G_PLACE_PROC,		/* struct h2g_place_proc -> struct g2h_place_proc: GPM placement */
	H2P_WINSIZE,		/* struct h2p_winsize -> nothing: the terminal's new size */
	S2G_STORAGE_REPORT,	/* struct s2g_storage_report -> nothing: an smon's disk */
	X2G_STORAGE,		/* u32 vnode -> struct g2x_storage: GSM, who serves its files */
	X2S_OPEN,		/* struct x2s_path + path -> struct s2x_attr: open or create */
	X2S_STAT,		/* struct x2s_path + path -> struct s2x_attr */
	X2S_GETATTR,		/* struct fs_handle -> struct s2x_attr */
	X2S_READ,		/* struct x2s_io -> the bytes (short at end of file) */
	X2S_WRITE,		/* struct x2s_io + bytes -> struct s2x_write */
	X2S_TRUNCATE,		/* struct x2s_io (offset: new size, len 0) -> nothing */
	X2S_FSYNC,		/* struct x2s_io (len 0) -> nothing: durable on return */
	X2S_READDIR,		/* struct x2s_io (offset: cookie) -> struct s2x_readdir + entries */
	X2S_MKDIR,		/* struct x2s_path + path -> nothing */
	X2S_UNLINK,		/* struct x2s_path + path -> nothing (X2S_REMOVEDIR: rmdir) */
	X2S_RENAME,		/* struct x2s_path2 + old + new -> nothing */
	X2S_SYMLINK,		/* struct x2s_path2 + target + path -> nothing */
	X2S_READLINK,		/* struct x2s_path + path -> the target's bytes */
	X2S_STATFS,		/* u32 vnode -> struct s2x_statfs */
	NET_OPCODE_MAX
};

/*
 * Memory. A process's address space is cut into vRegions of 1 << NET_VREGION_SHIFT
 * bytes; GMM gives each one an owner mComponent, which keeps its pages and a mirror of
 * the vmas inside it. The home mComponent keeps the whole vma tree and decides layout.
 * An address space is named by its mm id, unique in the cluster; the threads of a
 * process share one, and a forked child gets a new one. pids are for hosts only.
 */
#define NET_PAGE_SIZE 4096
#define NET_VREGION_SHIFT 30
#define NET_IMAGE_MAX (64u << 20)	/* largest ELF image a home stages */
#define NET_IMAGE_CHUNK 32768		/* bytes per H2M_IMAGE */
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

/* H2M_IMAGE: len bytes of the image at offset; only the spawning host may send them. */
struct h2m_image {
	uint32_t mm;
	uint32_t offset;
} __attribute__((packed));
_Static_assert(sizeof(struct h2m_image) == 8, "image chunk");

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

/*
 * P2M_MM_NEW: the caller (a pmon) runs mm. image_of 0: host may stage image_len
 * bytes. Otherwise mm's image is the one address space image_of (of the same pmon,
 * with this home) was loaded from: an execve of /proc/self/exe; image_len is 0.
 * path_len > 0: path_len bytes of path follow (image_len and image_of are 0), a
 * file of the vNode's that the home reads from storage: an execve of a program.
 */
struct p2m_mm_new {
	uint32_t mm;
	uint32_t vnode;
	uint32_t image_len;
	uint8_t host;		/* node id allowed to send H2M_IMAGE */
	uint8_t rsvd[3];
	uint32_t image_of;
	uint32_t path_len;	/* 0..NET_PATH_MAX; the message length must agree */
} __attribute__((packed));
_Static_assert(sizeof(struct p2m_mm_new) == 24, "mm new");

/*
 * P2M_MM_FORK, to parent's home, from the pmon running it (which wrote back its dirty
 * lines first): child, a new id, becomes a copy of parent with the same home, vnode,
 * host, pmon, image, vmas, break and page contents, its vRegions owned by the same
 * mmons (M2G_MM_COPY to gmon, then M2M_MM_COPY to each owner other than the home).
 */
struct p2m_mm_fork {
	uint32_t parent;
	uint32_t child;
} __attribute__((packed));
_Static_assert(sizeof(struct p2m_mm_fork) == 8, "mm fork");

/* M2M_MM_COPY: home to an owner: make child's mirror a copy of parent's, pages too. */
struct m2m_mm_copy {
	uint32_t parent;
	uint32_t child;
} __attribute__((packed));
_Static_assert(sizeof(struct m2m_mm_copy) == 8, "mm copy");

/* M2G_MM_COPY: child's home and vRegions are placed where parent's are. */
struct m2g_mm_copy {
	uint32_t parent;
	uint32_t child;
} __attribute__((packed));
_Static_assert(sizeof(struct m2g_mm_copy) == 8, "mm placement copy");

/* P2M_EXEC's answer: what pmon needs to build the initial stack. */
struct m2p_exec {
	uint64_t entry;
	uint64_t phdr;		/* user address of the program headers (AT_PHDR) */
	uint64_t stack_top;	/* highest address of the stack vma, exclusive */
	uint64_t brk;		/* start of the heap */
	uint16_t phnum;
	uint16_t phent;
	uint32_t rsvd;
} __attribute__((packed));
_Static_assert(sizeof(struct m2p_exec) == 40, "exec response");

#define FETCH_WRITE 0x1		/* p2m_fetch.flags: the access was a write */

struct p2m_fetch {
	uint32_t mm;
	uint32_t flags;		/* FETCH_* */
	uint64_t va;		/* page-aligned */
} __attribute__((packed));
_Static_assert(sizeof(struct p2m_fetch) == 16, "fetch");

/*
 * The page follows. prot is the vma's (PROT_* bits). UNBACKED: a read found no page
 * and reserved none, so pmon maps it read-only (like Linux's zero page) and fetches
 * again for writing at the first write, which reserves it on the owner.
 */
#define M2P_FETCH_UNBACKED 0x1

struct m2p_fetch {
	uint32_t prot;
	uint32_t flags;		/* M2P_FETCH_* */
} __attribute__((packed));
_Static_assert(sizeof(struct m2p_fetch) == 8, "fetch response");

struct p2m_writeback {
	uint32_t mm;
	uint32_t rsvd;
	uint64_t va;		/* page-aligned; the page follows */
} __attribute__((packed));
_Static_assert(sizeof(struct p2m_writeback) == 16, "write-back");

enum p2m_vm_op { VM_MMAP = 1, VM_MUNMAP, VM_MPROTECT, VM_BRK, VM_MREMAP, VM_DONTNEED };

/*
 * P2M_VM, to the home: one address-space call with Linux's arguments. MMAP: addr
 * (hint), len, prot, flags. MUNMAP, DONTNEED: addr, len. MPROTECT: addr, len, prot.
 * BRK: addr. MREMAP: addr, len (old), new_len, flags.
 */
struct p2m_vm {
	uint32_t mm;
	uint32_t op;		/* enum p2m_vm_op */
	uint64_t addr;
	uint64_t len;
	uint64_t new_len;
	uint32_t prot;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct p2m_vm) == 40, "vm request");

/* The call's result: an address (mmap, brk, mremap) or 0. Errors are the RPC status. */
struct m2p_vm {
	uint64_t addr;
} __attribute__((packed));
_Static_assert(sizeof(struct m2p_vm) == 8, "vm response");

/* One vma as the home sends it to an owner. */
struct wire_vma {
	uint64_t start, end;
	uint32_t prot;
	uint32_t kind;
} __attribute__((packed));
_Static_assert(sizeof(struct wire_vma) == 24, "wire vma");

#define NET_SYNC_VMAS 256	/* wire_vma entries in one M2M_VMA_SYNC */

/*
 * M2M_VMA_SYNC: inside [start, end), which lies in vRegions the receiver owns, mm's
 * vmas are exactly the nvmas that follow (clipped to the range); pages outside them go.
 */
struct m2m_vma_sync {
	uint32_t mm;
	uint32_t vnode;
	uint8_t pmon;		/* the node that runs mm: the only one it serves */
	uint8_t rsvd[3];
	uint32_t nvmas;
	uint64_t start, end;
} __attribute__((packed));
_Static_assert(sizeof(struct m2m_vma_sync) == 32, "vma sync");

struct m2m_page {
	uint32_t mm;
	uint32_t rsvd;
	uint64_t va;		/* page-aligned; the page follows */
} __attribute__((packed));
_Static_assert(sizeof(struct m2m_page) == 16, "page put");

#define MEMSTATS_VNODES 16

/* X2M_MEMSTATS: the page store's counters, its use per vNode, the buffer cache's. */
struct m2x_memstats {
	uint64_t capacity_pages;
	uint64_t free_pages;
	uint64_t store_pages;		/* pages held for processes */
	uint64_t fetches, writebacks, zero_fills;
	uint64_t refused;		/* requests failing an ownership/permission check */
	uint32_t nprocs;
	uint32_t nvnodes;		/* entries used below */
	struct { uint32_t vnode, rsvd; uint64_t pages; } vnodes[MEMSTATS_VNODES];
	/* The buffer cache of the vNodes it fronts (mcomponent/bcache.c). */
	uint64_t cache_budget, cache_pages, cache_dirty;	/* pages */
	uint64_t cache_hits;		/* X2S_READs answered from the cache alone */
	uint64_t cache_misses;		/* pages fetched from smon */
	uint64_t cache_reads, cache_writes;	/* X2S_READ, X2S_WRITE sent to smon */
	uint64_t cache_errors;		/* failed write-backs (kept dirty, retried) */
} __attribute__((packed));
_Static_assert(sizeof(struct m2x_memstats) == 128 + 16 * MEMSTATS_VNODES, "memstats");

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

/* M2G_MEM_REPORT: an mComponent's capacity and free memory, sent every second. */
struct m2g_mem_report {
	uint64_t capacity_pages;
	uint64_t free_pages;
} __attribute__((packed));
_Static_assert(sizeof(struct m2g_mem_report) == 16, "mem report");

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

/*
 * Files. smon is stateless: a request names the vNode and a full path inside the
 * vNode's own root ("/" is that root; ".." never leaves it), or a handle an earlier
 * answer gave. A handle whose file was since removed is refused with -ESTALE.
 */
#define NET_PATH_MAX 4096		/* bytes of path in a request, NUL excluded */
#define NET_FS_IO_MAX 32768		/* bytes per X2S_READ or X2S_WRITE */
#define NET_FS_DIRENT_MAX 32768		/* bytes of entries per X2S_READDIR */

struct fs_handle {
	uint32_t vnode;
	uint32_t gen;		/* the inode's generation: a reused number is told apart */
	uint64_t ino;
} __attribute__((packed));
_Static_assert(sizeof(struct fs_handle) == 16, "file handle");

/* x2s_path.flags (Linux's O_* values where one exists). */
#define X2S_CREAT	0x40		/* X2S_OPEN: create a regular file if missing */
#define X2S_EXCL	0x80		/* with X2S_CREAT: fail if it exists */
#define X2S_TRUNC	0x200		/* X2S_OPEN: cut a regular file to 0 */
#define X2S_DIRECTORY	0x10000		/* X2S_OPEN: it must be a directory */
#define X2S_NOFOLLOW	0x20000		/* do not follow a symlink in the last component */
#define X2S_REMOVEDIR	0x200000	/* X2S_UNLINK: remove a directory (rmdir) */
#define X2S_PATH_FLAGS	(X2S_CREAT | X2S_EXCL | X2S_TRUNC | X2S_DIRECTORY | X2S_NOFOLLOW | \
			 X2S_REMOVEDIR)

/* A request naming one path; len bytes of path follow (no NUL). */
struct x2s_path {
	uint32_t vnode;
	uint32_t flags;		/* X2S_* */
	uint32_t mode;		/* X2S_OPEN with X2S_CREAT, X2S_MKDIR: permission bits */
	uint32_t len;		/* 1..NET_PATH_MAX; the message length must agree */
} __attribute__((packed));
_Static_assert(sizeof(struct x2s_path) == 16, "path request");

/* X2S_RENAME (old, new) and X2S_SYMLINK (target, path): two strings follow. */
#define X2S_NOREPLACE	0x1		/* X2S_RENAME: fail with -EEXIST if new exists */

struct x2s_path2 {
	uint32_t vnode;
	uint32_t flags;		/* X2S_NOREPLACE */
	uint32_t len1;		/* 1..NET_PATH_MAX each; the message length must agree */
	uint32_t len2;
} __attribute__((packed));
_Static_assert(sizeof(struct x2s_path2) == 16, "two-path request");

/* x2s_io.flags */
#define X2S_SYNC	0x1		/* X2S_WRITE: durable before the answer (O_SYNC) */
#define X2S_APPEND	0x2		/* X2S_WRITE: at the end of file, offset ignored */
#define X2S_DATASYNC	0x4		/* X2S_FSYNC: fdatasync */

struct x2s_io {
	struct fs_handle h;
	uint64_t offset;
	uint32_t len;		/* X2S_READ, X2S_WRITE: <= NET_FS_IO_MAX */
	uint32_t flags;		/* X2S_SYNC, X2S_APPEND, X2S_DATASYNC */
} __attribute__((packed));
_Static_assert(sizeof(struct x2s_io) == 32, "file I/O request");

#define FS_TYPE_REG	1
#define FS_TYPE_DIR	2
#define FS_TYPE_LNK	3

/* A file's attributes, as stat(2) shows them. */
struct fs_attr {
	uint64_t ino;
	uint64_t size;
	uint64_t blocks;	/* 512-byte units allocated */
	uint64_t atime_ns, mtime_ns, ctime_ns;
	uint32_t mode;		/* S_IF* type bits and permissions, as Linux */
	uint32_t nlink;
	uint32_t uid, gid;
} __attribute__((packed));
_Static_assert(sizeof(struct fs_attr) == 64, "file attributes");

struct s2x_attr {
	struct fs_handle h;
	struct fs_attr a;
} __attribute__((packed));
_Static_assert(sizeof(struct s2x_attr) == 80, "attributes answer");

struct s2x_write {
	uint64_t offset;	/* where the bytes went (X2S_APPEND: the old end) */
	uint64_t size;		/* the file's size after the write */
} __attribute__((packed));
_Static_assert(sizeof(struct s2x_write) == 16, "write answer");

/* X2S_READDIR's answer: entries from cookie on, each 8-byte aligned. */
struct s2x_readdir {
	uint64_t next;		/* cookie for the next call; 0: the directory is done */
	uint32_t count;		/* entries that follow */
	uint32_t rsvd;		/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct s2x_readdir) == 16, "readdir answer");

struct fs_dirent {
	uint64_t ino;
	uint16_t reclen;	/* this entry's bytes, name and padding included */
	uint8_t type;		/* FS_TYPE_* */
	uint8_t namelen;	/* name bytes that follow (no NUL), 1..255 */
	uint32_t rsvd;		/* 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct fs_dirent) == 16, "directory entry");

struct s2x_statfs {
	uint64_t blocks, free_blocks;	/* 4 KiB */
	uint64_t files, free_files;
} __attribute__((packed));
_Static_assert(sizeof(struct s2x_statfs) == 32, "statfs answer");

/*
 * Every X2S_* request's length bounds, written once for each server's table (the
 * mmon in front of a vNode, and smon): X(opcode, min_len, max_len).
 */
#define X2S_PATH_LEN(n) (sizeof(struct x2s_path) + (n))
#define X2S_PATH2_LEN(n) (sizeof(struct x2s_path2) + (n))
#define X2S_REQUESTS(X)								\
	X(X2S_OPEN, X2S_PATH_LEN(1), X2S_PATH_LEN(NET_PATH_MAX))			\
	X(X2S_STAT, X2S_PATH_LEN(1), X2S_PATH_LEN(NET_PATH_MAX))			\
	X(X2S_GETATTR, sizeof(struct fs_handle), sizeof(struct fs_handle))		\
	X(X2S_READ, sizeof(struct x2s_io), sizeof(struct x2s_io))			\
	X(X2S_WRITE, sizeof(struct x2s_io), sizeof(struct x2s_io) + NET_FS_IO_MAX)	\
	X(X2S_TRUNCATE, sizeof(struct x2s_io), sizeof(struct x2s_io))			\
	X(X2S_FSYNC, sizeof(struct x2s_io), sizeof(struct x2s_io))			\
	X(X2S_READDIR, sizeof(struct x2s_io), sizeof(struct x2s_io))			\
	X(X2S_MKDIR, X2S_PATH_LEN(1), X2S_PATH_LEN(NET_PATH_MAX))			\
	X(X2S_UNLINK, X2S_PATH_LEN(1), X2S_PATH_LEN(NET_PATH_MAX))			\
	X(X2S_RENAME, X2S_PATH2_LEN(2), X2S_PATH2_LEN(2 * NET_PATH_MAX))		\
	X(X2S_SYMLINK, X2S_PATH2_LEN(2), X2S_PATH2_LEN(2 * NET_PATH_MAX))		\
	X(X2S_READLINK, X2S_PATH_LEN(1), X2S_PATH_LEN(NET_PATH_MAX))			\
	X(X2S_STATFS, sizeof(uint32_t), sizeof(uint32_t))

/* READ_REQ payload. */
struct net_read_req {
	uint32_t key;		/* the region's key */
	uint32_t len;		/* bytes to read, <= NET_MSG_MAX */
	uint64_t offset;	/* from the region's start */
} __attribute__((packed));
_Static_assert(sizeof(struct net_read_req) == 16, "read request");

/* WRITE_REQ payload: this, then len bytes. */
struct net_write_req {
	uint32_t key;
	uint32_t len;		/* bytes that follow; the message length must agree */
	uint64_t offset;
} __attribute__((packed));
_Static_assert(sizeof(struct net_write_req) == 16, "write request");

#define NET_WRITE_MAX (NET_MSG_MAX - sizeof(struct net_write_req))

/* NODE_DOWN / NODE_UP payload: the change and gmon's whole view after it. */
struct net_node_change {
	uint8_t node;		/* who went down or came up */
	uint8_t up;		/* 1 for NODE_UP, 0 for NODE_DOWN */
	uint8_t rsvd[6];	/* 0 */
	uint8_t alive[NET_NODES / 8];	/* bit n: node n is alive */
} __attribute__((packed));
_Static_assert(sizeof(struct net_node_change) == 40, "node change");

/* CRC32C (Castagnoli), chainable: crc32c(crc32c(0, a), b) == crc32c(0, a || b). */
typedef uint32_t (*net_crc_fn)(uint32_t crc, const void *p, size_t n);
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

struct net_pkt_hdr *wire_headers(void *frame, const uint8_t dst_mac[6], const uint8_t src_mac[6],
				 uint8_t type, uint8_t flags, uint8_t src, uint8_t dst, uint16_t len);
void wire_seal(void *frame, net_crc_fn crc);
bool wire_check(const void *frame, size_t len, net_crc_fn crc, unsigned *why);

size_t wire_echo_build(void *frame, size_t size, const uint8_t dst_mac[6],
		       const uint8_t src_mac[6], uint8_t src, uint8_t dst, uint32_t seq,
		       size_t len);
bool wire_echo_turn(void *frame, size_t len);

#endif
