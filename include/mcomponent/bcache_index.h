/*
 * The buffer cache's index (mcomponent/bcache_index.c): 4 KiB pages of file data by
 * (vNode, inode, page number), a record per file, a clock of the pages for eviction,
 * and the window and dirty-run arithmetic. Portable C with allocation callbacks;
 * mcomponent/bcache.c calls it under its lock, tests/unit/test_bcache.c on the host.
 */
#ifndef MCOMPONENT_BCACHE_INDEX_H
#define MCOMPONENT_BCACHE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/list.h"
#include "net/wire.h"
#include "scomponent/proto.h"

#define BIDX_PAGE_SIZE 4096
#define BIDX_PAGE_SHIFT 12
#define BIDX_RUN_PAGES (NET_FS_IO_MAX / BIDX_PAGE_SIZE)	/* pages per smon request */
#define BIDX_MAX_SIZE (1ULL << 40)	/* bytes in a file: tfs's TFS_MAX_FILE_SIZE */

/* bidx_page.flags */
#define BIDX_UPTODATE	0x1	/* holds the file's bytes; if not, a fill is on its way */
#define BIDX_DIRTY	0x2	/* newer than smon's copy */
#define BIDX_WRITEBACK	0x4	/* a copy of it is on its way to smon */
#define BIDX_REF	0x8	/* used since the clock hand last passed */

/* Small records, and page frames (NULL when the cache is at its budget). */
struct bidx_ops {
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	void *(*page_alloc)(void *ctx);
	void (*page_free)(void *ctx, void *page);
	void *ctx;
};

struct bidx_file;

struct bidx_page {
	struct bidx_page *hnext;	/* hash chain */
	struct list_head flink;		/* its file's pages */
	struct list_head clink;		/* the clock: every page, oldest first */
	struct bidx_file *file;
	uint64_t index;			/* page number in the file */
	uint32_t flags;			/* BIDX_* */
	uint32_t fill;			/* !BIDX_UPTODATE: the fill that will fill it */
	uint8_t *data;			/* BIDX_PAGE_SIZE bytes */
};

/* A file the cache holds pages of, or that a request holds (refs). */
struct bidx_file {
	struct bidx_file *hnext;	/* hash chain */
	struct list_head link;		/* bidx.files */
	struct list_head pages;		/* its struct bidx_page, in no order */
	struct fs_handle h;		/* as smon gave it */
	uint8_t smon;			/* where its bytes live */
	bool busy;			/* atomic: a write-back or truncate holds it */
	bool warned;			/* a failed write-back was logged */
	unsigned refs;			/* requests holding it across an unlock */
	uint64_t size;			/* bytes: smon's, grown or cut by what is cached */
	uint64_t npages, ndirty;
	uint64_t dirty_since;		/* ns: ndirty left 0, or the last write-back began */
	uint64_t next_read;		/* where a sequential reader reads next */
};

struct bidx {
	struct bidx_page **pages;	/* hash of pages */
	struct bidx_file **files;	/* hash of files */
	size_t nbuckets;		/* a power of two, for both */
	struct list_head file_list;
	struct list_head clock;		/* the hand is at the front */
	uint64_t npages, ndirty;
	uint64_t freed;			/* file records freed so far */
	struct bidx_ops ops;
};

/* An empty index of nbuckets (rounded down to a power of two, at least 1) chains. */
int bidx_init(struct bidx *b, const struct bidx_ops *ops, size_t nbuckets);
/* Free every page and file record, whatever holds them. */
void bidx_fini(struct bidx *b);

struct bidx_file *bidx_file_find(const struct bidx *b, uint32_t vnode, uint64_t ino);
/* A record for h (which has none) of size bytes, on smon; refs 0, no pages. */
int bidx_file_add(struct bidx *b, const struct fs_handle *h, uint8_t smon, uint64_t size,
		  struct bidx_file **out);
/* Free f if nothing needs it any more: no refs, no pages, not busy. */
void bidx_file_release(struct bidx *b, struct bidx_file *f);

struct bidx_page *bidx_find(const struct bidx *b, const struct bidx_file *f, uint64_t index);
/*
 * A zero-filled page at index (which f lacks) with flags. Its frame comes from
 * ops.page_alloc, or else from the clock's next clean page (evicted). -ENOMEM if
 * neither has one.
 */
int bidx_add(struct bidx *b, struct bidx_file *f, uint64_t index, uint32_t flags,
	     struct bidx_page **out);
void bidx_drop(struct bidx *b, struct bidx_page *p);
/* Drop every page of f. */
void bidx_drop_file(struct bidx *b, struct bidx_file *f);
/* Cut or grow f to size: pages past it go, the tail of the last one is zeroed. */
void bidx_truncate(struct bidx *b, struct bidx_file *f, uint64_t size);

/* Mark p dirty (and referenced); now starts f's dirty age if it had none. */
void bidx_dirty(struct bidx *b, struct bidx_page *p, uint64_t now);
void bidx_clean(struct bidx *b, struct bidx_page *p);
/* Evict the clock's next clean, idle page; false if every page is dirty or busy. */
bool bidx_evict(struct bidx *b);

/*
 * f's lowest run of dirty pages not under write-back: *first and *n (at most
 * BIDX_RUN_PAGES, contiguous). false if it has none.
 */
bool bidx_dirty_run(const struct bidx *b, const struct bidx_file *f, uint64_t *first,
		    unsigned *n);
/* Bytes of the run [first, first + n) inside f's size. */
uint32_t bidx_run_bytes(const struct bidx_file *f, uint64_t first, unsigned n);
/*
 * The aligned window of BIDX_RUN_PAGES pages holding index, cut at the last page of
 * a file of size bytes: *first and the page count (0 if index is past the end).
 */
unsigned bidx_window(uint64_t index, uint64_t size, uint64_t *first);

#endif
