/*
 * What the memory monitor's files share: the per-address-space spaces (space.c), the
 * ELF images they run (image.c), the page store behind its lock (pages.c), vRegion
 * owners and the home-to-owner sync (owner.c, sync.c), the buffer cache of the files
 * it fronts (bcache.c), and the RPC handlers that mmon.c puts in its table.
 */
#ifndef MCOMPONENT_MMON_H
#define MCOMPONENT_MMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/config.h"
#include "kernel/monitor.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "mcomponent/vma.h"
#include "mcomponent/vregion.h"
#include "net/protocol.h"
#include "net/wire.h"

#define MMON_RPC_TIMEOUT (2 * NSEC_PER_SEC)	/* calls to gmon and other mmons */
#define MMON_FS_TIMEOUT (30 * NSEC_PER_SEC)	/* calls to smon: a commit of many MiB under TCG */
#define MMON_GMON_PATIENCE (15 * NSEC_PER_SEC)	/* a gmon restarting: calls wait this long */
#define MMON_RESERVE 512			/* free pages left to the kernel and network */

/* The layout exec gives a process: an 8 MiB stack at the top, mmap below as Linux. */
#define MMON_STACK_SIZE (8ULL << 20)
#define MMON_MMAP_BASE (VMA_MAX - (128ULL << 20))

/*
 * An ELF image on a home: staged by the host into zeroed pages, then kept for as long
 * as a space runs it. Until sealed only the space that staged it holds it (its hold
 * guards len..pages); exec seals it, and from then on it never changes and forks and
 * execve of /proc/self/exe share it. Its pages count against the node's free memory,
 * not against a vNode.
 */
struct image {
	uint32_t refs;			/* atomic: spaces holding it */
	bool sealed;			/* loaded by an exec: read-only, shareable */
	uint32_t len;			/* bytes of ELF */
	uint32_t filled;		/* how far the host's chunks reached */
	uint32_t npages;
	uint8_t *pages[];
};

/*
 * One address space as this node sees it. On the home: the whole vma tree, its image,
 * the owners of its vRegions. On an owner of some of its vRegions: a mirror of the
 * vmas inside them, kept by the home's M2M_VMA_SYNC. On both, owners says which mmons
 * keep each vRegion's pages (owner and backup).
 *
 * Holding the space (space_get() until space_put()) is exclusive and may block (RPCs
 * to gmon and owners happen while holding it): it guards every field below the
 * first group, which space_lock guards.
 */
struct space {
	struct space *next;		/* space_lock: hash chain */
	unsigned refs;			/* space_lock: holders and waiters */
	bool busy;			/* space_lock: somebody holds it */
	bool dead;			/* space_lock: out of the table, going away */
	struct wait_queue wq;		/* waiters for !busy */

	uint32_t mm;			/* fixed */
	bool is_home;			/* fixed */
	uint8_t host;			/* fixed; home: who may stage the image */
	uint8_t home;			/* fixed; the home (this node if is_home) */
	uint8_t pmon;			/* the node running mm: the only one served */
	uint32_t born;			/* reap_gen() of its pmon (home) or home (mirror)
					   when it was made */
	uint32_t vnode;
	bool execd;			/* home: an exec loaded the image into it */
	struct image *image;		/* home: staged, then the one it runs; or NULL */
	struct vma_space vs;
	struct vregion_map owners;	/* vRegions' owner and backup: home, all it asked;
					   mirror, those the home synced here */
	uint8_t synced[NET_NODES / 8];	/* home: owners it sent vmas or pages to */
};

/* Counters for X2M_MEMSTATS; atomic adds, read without a lock. */
struct mmon_stats {
	uint64_t fetches;
	uint64_t writebacks;
	uint64_t zero_fills;
	uint64_t refused;		/* -EPERM and -EACCES answers */
};

extern struct mmon_stats mmon_stats;
extern uint8_t mmon_self;		/* this node's id */
extern uint8_t mmon_gmon;		/* gmon's id, 0xff if none */
extern bool mmon_ready;			/* set once the store is up: spaces may exist */

static inline void mmon_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* mmon.c: the cluster map's role of a node; a refusal, counted and logged (limited). */
bool mmon_is(uint8_t node, enum node_role role);
void mmon_refuse(const char *what, uint32_t mm, uint8_t peer, const char *why);
/* kmalloc and kfree as the portable cores' allocation callbacks. */
void *mmon_kmalloc(void *ctx, size_t size);
void mmon_kfree(void *ctx, void *p);

/* space.c: the table of spaces. space_get() waits for the holder; NULL if none. */
int space_create(uint32_t mm, bool is_home, uint8_t home, struct space **out);
struct space *space_get(uint32_t mm);
void space_put(struct space *s);
/* Free a held space's pages, vmas and image; it leaves the table at once. */
void space_kill(struct space *s);
unsigned space_count(void);
/*
 * Up to max ids of the home spaces here (node SPACE_ANY), or of the spaces born before
 * generation g that depend on node: the homes of the processes it runs, for a pmon;
 * the mirrors whose home it is, for an mmon. How many.
 */
#define SPACE_ANY 0xff
unsigned space_list(uint8_t node, uint32_t g, uint32_t *ids, unsigned max);
/* Tell gmon (X2G_RELEASE) to forget mm's placements; errors are only logged. */
void space_release(uint32_t mm);
/* Hold mm's space for its pmon (P2M_*) or its home (M2M_*); -EPERM, counted, if not. */
int space_get_pmon(uint32_t mm, uint8_t peer, const char *what, struct space **out);
int space_get_home(uint32_t mm, uint8_t peer, const char *what, struct space **out);
/* As space_get_pmon(), for requests only the home serves (exec, vm, exit). */
int space_get_pmon_home(uint32_t mm, uint8_t peer, const char *what, struct space **out);

/* pages.c: the node's page store; va and ranges are page-aligned user addresses. */
int pages_init(void);
int pages_fetch(struct space *s, uint64_t va, bool write, void *out, bool *unbacked);
int pages_write(struct space *s, uint64_t va, const void *src);
void pages_drop(struct space *s, uint64_t lo, uint64_t hi);
void pages_drop_unmapped(struct space *s, uint64_t lo, uint64_t hi);
void pages_move(struct space *s, uint64_t from, uint64_t to, uint64_t len);
void pages_free(uint32_t mm);
long pages_copy(struct space *from, struct space *to);
void pages_stats(struct m2x_memstats *m);

/*
 * replica.c: a vRegion's two copies. replica_holds(): this node keeps r's pages.
 * replica_each() calls fn for r's owner then its backup (either may be this node),
 * again for what is left when one is lost; the first error of a copy still there.
 * replica_lost(): forget node in s if err from it means its copy is gone (true).
 * replica_other(): the copy of va's vRegion a write-back here goes on to, or -ENOENT;
 * replica_put() sends it there, with no space held (0 too if that copy is gone).
 */
typedef int (*replica_fn)(struct space *s, uint8_t node, void *arg);
bool replica_holds(const struct space *s, uint32_t r);
int replica_each(struct space *s, uint32_t r, replica_fn fn, void *arg);
bool replica_lost(struct space *s, uint8_t node, int err);
int replica_other(const struct space *s, uint64_t va);
int replica_put(uint32_t mm, uint64_t va, const void *page, uint8_t node);
/* After pages_move() on the home: the same move on the backup of the vRegions. */
int replica_move(struct space *s, uint64_t from, uint64_t to, uint64_t len);

/* fetch.c: store a page at va if the vmas allow need (0: any vma); the space is held. */
int fetch_store(struct space *s, uint64_t va, uint32_t need, const char *what, uint8_t peer,
		const void *page);

/* owner.c: which mmons keep a vRegion, asked from gmon once per space and vRegion. */
int owner_of(struct space *s, uint32_t r, uint8_t *owner);
int owner_fill(struct space *s, uint64_t lo, uint64_t hi);
bool owner_all_self(struct space *s, uint64_t lo, uint64_t hi, int *backup);

/*
 * sync.c: tell both copies of each vRegion what the home's tree holds over a range
 * (fresh: drop its pages), or an image page.
 */
int sync_range(struct space *s, uint64_t lo, uint64_t hi, bool fresh);
int sync_page(struct space *s, uint64_t va, const void *page);
unsigned sync_free_all(struct space *s);
int sync_copy_all(struct space *p, struct space *c, unsigned *owners, long *pages);

/*
 * reap.c: free the spaces of a pmon gmon declared dead or that restarted, and the
 * mirrors of such an mmon's homes. reap_gen() counts a node's deaths; reap_now()
 * finishes reaping before one of pmon's requests makes a space and returns the
 * generation that space is born in; reap_node_event() is the role's node_event.
 */
int reap_init(void);
uint32_t reap_gen(uint8_t node);
uint32_t reap_now(uint8_t pmon);
void reap_node_event(uint8_t node, enum node_event ev);
/* restore.c: after gmon restarted, tell it the placements this node depends on. */
int restore_init(void);
void restore_node_event(uint8_t node, enum node_event ev);
int restore_space(struct space *s);

/* image.c: an image of len bytes held once; image_read() is elf.c's read callback. */
struct image *image_new(uint32_t len);
struct image *image_get(struct image *im);
void image_put(struct image *im);
int image_write(struct image *im, uint32_t off, const void *buf, size_t n);
int image_read(void *ctx, uint64_t off, void *buf, size_t len);
/* image_file.c: the whole of vnode's file at path, read from storage (for execve). */
int image_from_file(uint32_t vnode, const char *path, struct image **out);

/*
 * files.c: a call to smon, sent again once if smon's restart cut it; the vNodes this
 * node fronts as restore records (up to max; how many).
 */
unsigned files_fronts(struct m2g_restore *out, unsigned max);
int smon_rpc(uint8_t smon, uint16_t opcode, const void *req, size_t len, void *resp,
	     size_t resp_max);

/*
 * bcache.c: the buffer cache of the vNodes this node fronts. Each takes an X2S_*
 * request (its lengths checked) for a vNode whose files smon keeps, and answers it
 * as smon would; bcache_attr() gives an attributes answer the cache's size.
 */
int bcache_init(void);
int bcache_read(uint8_t smon, const void *req, size_t len, void *resp, size_t resp_max);
int bcache_write(uint8_t smon, const void *req, size_t len, void *resp, size_t resp_max);
int bcache_truncate(uint8_t smon, const void *req, size_t len);
int bcache_fsync(uint8_t smon, const void *req, size_t len);
int bcache_attr(void *resp, bool trunc);
void bcache_stats(struct m2x_memstats *m);

/* RPC handlers (include/net/rpc.h), by file. */
#define MMON_HANDLER(name) \
	int name(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t resp_max)
MMON_HANDLER(space_mm_new);
MMON_HANDLER(space_mm_exit);
MMON_HANDLER(space_mm_free);
MMON_HANDLER(exec_image);
MMON_HANDLER(exec_run);
MMON_HANDLER(fetch_page);
MMON_HANDLER(fetch_writeback);
MMON_HANDLER(fetch_page_put);
MMON_HANDLER(replica_receive);
MMON_HANDLER(replica_move_receive);
MMON_HANDLER(fork_mm);
MMON_HANDLER(fork_copy);
MMON_HANDLER(sync_receive);
MMON_HANDLER(vm_call);
#define FILES_HANDLER(op) MMON_HANDLER(files_##op);
X2S_REQUESTS(FILES_HANDLER)

#endif
