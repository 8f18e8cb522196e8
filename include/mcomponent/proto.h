/*
 * The memory monitor's messages on the wire: what pmons, hosts and other mmons send
 * an mmon (P2M_*, H2M_IMAGE, M2M_*, X2M_MEMSTATS) and what it answers, packed and
 * little-endian like every wire struct. include/net/protocol.h gives each opcode its
 * number and length bounds; docs/protocol.md and docs/memory.md explain them.
 */
#ifndef MCOMPONENT_PROTO_H
#define MCOMPONENT_PROTO_H

#include <stdint.h>

/*
 * Memory. A process's address space is cut into vRegions of 1 << NET_VREGION_SHIFT
 * bytes; GMM gives each one an owner mComponent, which keeps its pages and a mirror of
 * the vmas inside it. The home mComponent keeps the whole vma tree and decides layout.
 * An address space is named by its mm id, unique in the cluster; the threads of a
 * process share one, and a forked child gets a new one. pids are for hosts only.
 */
#define NET_MM_SEQ_BITS 16	/* an mm id: its pmon's node id above a sequence */
#define NET_PAGE_SIZE 4096
#define NET_VREGION_SHIFT 30
#define NET_IMAGE_MAX (64u << 20)	/* largest ELF image a home stages */
#define NET_IMAGE_CHUNK 32768		/* bytes per H2M_IMAGE */

/* H2M_IMAGE: len bytes of the image at offset; only the spawning host may send them. */
struct h2m_image {
	uint32_t mm;
	uint32_t offset;
} __attribute__((packed));
_Static_assert(sizeof(struct h2m_image) == 8, "image chunk");

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
 * M2M_VMA_SYNC: inside [start, end), which lies in one vRegion the receiver keeps (as
 * its owner or backup), mm's vmas are exactly the nvmas that follow (clipped to the
 * range); pages outside them go.
 */
struct m2m_vma_sync {
	uint32_t mm;
	uint32_t vnode;
	uint8_t pmon;		/* the node that runs mm: the only one it serves */
	uint8_t owner;		/* the vRegion's owner mmon */
	uint8_t backup;		/* its backup mmon, or 0xff: none */
	uint8_t rsvd;
	uint32_t nvmas;
	uint64_t start, end;
} __attribute__((packed));
_Static_assert(sizeof(struct m2m_vma_sync) == 32, "vma sync");

/* M2M_PAGE_PUT (home to a copy) and M2M_PAGE_COPY (one copy of a vRegion to the other). */
struct m2m_page {
	uint32_t mm;
	uint32_t rsvd;
	uint64_t va;		/* page-aligned; the page follows */
} __attribute__((packed));
_Static_assert(sizeof(struct m2m_page) == 16, "page put");

/* M2M_PAGE_MOVE: the home moved mm's pages [from, from + len) to to: the backup does too. */
struct m2m_page_move {
	uint32_t mm;
	uint32_t rsvd;
	uint64_t from, to, len;	/* page-aligned; the ranges do not overlap */
} __attribute__((packed));
_Static_assert(sizeof(struct m2m_page_move) == 32, "page move");

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

#endif
