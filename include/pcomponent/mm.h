/*
 * An address space on a pComponent (struct mm), and the memory API linux-abi/ calls:
 * copies to and from user memory and the address-space calls, each keeping the
 * ExCache coherent with the layout its home mComponent keeps. The threads of a
 * process share one mm; a fork makes a copy. pcomponent/mm.c and mm_vm.c.
 */
#ifndef PCOMPONENT_MM_H
#define PCOMPONENT_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "mcomponent/proto.h"
#include "net/wire.h"
#include "pcomponent/excache.h"

#define MM_OWNER_SLOTS 16		/* vRegion owners an mm remembers */
#define MM_RPC_TIMEOUT (10 * NSEC_PER_SEC)
#define MM_GMON_PATIENCE (15 * NSEC_PER_SEC)	/* placements wait this long for a restarting gmon */
/*
 * A fetch or write-back is tried this long, then sent again (both are idempotent):
 * a request the owner took just before it died is never answered, and its backup
 * takes over only for calls that fail. It is tried again for up to the patience.
 */
#define MM_PAGE_TIMEOUT (3 * NSEC_PER_SEC)
#define MM_FAILOVER_PATIENCE (20 * NSEC_PER_SEC)

/* A remembered answer of GMM: vRegion -> owner mComponent. */
struct owner_slot {
	uint32_t vregion;
	uint8_t owner;
	bool used;
};

struct mm {
	uint32_t id;			/* fixed: names it on the wire, in the ExCache, on mmons */
	uint8_t home;			/* fixed: its home mComponent (layout, exec, exit) */
	uint64_t root;			/* fixed: its page-table root */
	int refs;			/* atomic: the processes and threads using it */
	struct spinlock lock;		/* owners, brk */
	uint64_t brk;			/* the break as the home last answered */
	struct owner_slot owners[MM_OWNER_SLOTS];
	int evicting;			/* ExCache lock: lines of ours being evicted */
	bool lost;			/* atomic: a write-back failed for good */
	struct excache_counters stats;	/* ExCache lock */
};

int mm_init(const struct node_config *cfg);
/*
 * A new, empty mm for a program of the host's on vnode: GMM names its home, which
 * makes room to stage image_len bytes from host. One reference, the caller's.
 */
int mm_create(uint32_t vnode, uint8_t host, uint32_t image_len, struct mm **out);
/* A new mm whose home (GMM's pick) loads the image from vnode's file at path (execve). */
int mm_create_path(uint32_t vnode, const char *path, struct mm **out);
/* A new mm whose home (old's) will load the image old was loaded from (execve). */
int mm_create_from(struct mm *old, uint32_t vnode, struct mm **out);
/* A copy of parent, made on its home and owners (fork); one reference, the caller's. */
int mm_fork(struct mm *parent, struct mm **out);
/* Have the home load the image staged for mm; mm gets its break. */
int mm_exec(struct mm *mm, struct m2p_exec *out);
void mm_get(struct mm *mm);
/* The last put frees it here and on every mmon; no thread may still run on it. */
void mm_put(struct mm *mm);
/*
 * A fetch or write-back of va to owner failed with err: the node to try again, or
 * -errno to give up. An owner that does not answer may be dead: GMM is asked again
 * (pausing while it still names the same node) until *deadline (0: set by the first
 * call, MM_FAILOVER_PATIENCE on), and names the backup once it declares the death; a
 * refusal (-EPERM) is given one second owner.
 */
int mm_owner_retry(struct mm *mm, uint64_t va, uint8_t owner, int err, uint64_t *deadline);
/* The owner mComponent of va's vRegion (asking GMM once); node id or -errno. */
int mm_owner(struct mm *mm, uint64_t va);

/* User memory through the ExCache, faulting pages in; 0 or -EFAULT. */
int mm_copy_in(struct mm *mm, void *dst, uint64_t uva, size_t n);
int mm_copy_out(struct mm *mm, uint64_t uva, const void *src, size_t n);

/* Linux's address-space calls: an address (or 0) or -errno, as the system call returns. */
long mm_brk(struct mm *mm, uint64_t addr);
long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags);
long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot);
long mm_mremap(struct mm *mm, uint64_t addr, uint64_t len, uint64_t new_len, uint32_t flags);
long mm_dontneed(struct mm *mm, uint64_t addr, uint64_t len);

#endif
