/*
 * The buffer cache on a vNode's front mmon: file pages filled from smon a window at
 * a time, written into here and written back later (X2S_FSYNC, a flusher thread,
 * memory pressure). files.c hands it X2S_READ, X2S_WRITE, X2S_TRUNCATE, X2S_FSYNC
 * and the attributes answers; the index is bcache_index.c; docs/storage.md says what
 * it promises.
 */
#define LOG_SUBSYS "mmon bcache"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "mcomponent/bcache_index.h"
#include "mmon.h"

#define BCACHE_CAP	((64ULL << 20) / PAGE_SIZE)	/* the budget's ceiling, in pages */
#define FLUSH_AGE	(2 * NSEC_PER_SEC)		/* dirty longer: the flusher writes back */
#define FLUSH_EVERY	(NSEC_PER_SEC / 2)
#define MODE_IFMT	0170000				/* fs_attr.mode is Linux's */
#define MODE_IFREG	0100000

/* What stopped a copy between a request and the pages. */
enum step {
	STEP_DONE,
	STEP_FILL,	/* a page is missing: fetch it from smon */
	STEP_WAIT,	/* a page is being filled: wait for an event */
	STEP_ROOM,	/* no memory for a page: write back so clean pages can go */
};

static struct spinlock bcache_lock = SPINLOCK_INIT("bcache");
static struct bidx bc;			/* bcache_lock */
static uint32_t fill_ids;		/* bcache_lock */
static uint64_t budget;			/* fixed at start: pages the cache may hold */
static uint32_t events;			/* atomic: fills and write-backs finished */
static struct wait_queue bcache_wq;	/* waiters for events and for a file's !busy */

/* Counters for X2M_MEMSTATS; atomic adds. */
static struct {
	uint64_t hits;			/* X2S_READs answered from the cache alone */
	uint64_t misses;		/* pages fetched from smon */
	uint64_t reads, writes;		/* X2S_READ and X2S_WRITE sent to smon */
	uint64_t errors;		/* failed write-backs (kept dirty, retried) */
} stats;

static void *frame_alloc(void *ctx)
{
	(void)ctx;
	if (bc.npages >= budget || page_free_count() < MMON_RESERVE)
		return NULL;
	return page_alloc_dirty(0);
}

static void frame_free(void *ctx, void *page)
{
	(void)ctx;
	page_free(page);
}

static const struct bidx_ops bcache_ops = {
	mmon_kmalloc, mmon_kfree, frame_alloc, frame_free, NULL,
};

static uint32_t events_now(void)
{
	return __atomic_load_n(&events, __ATOMIC_ACQUIRE);
}

/* A fill or write-back finished: whoever waits on a page or on memory looks again. */
static void event(void)
{
	__atomic_add_fetch(&events, 1, __ATOMIC_RELEASE);
	wake_up_all(&bcache_wq);
}

static bool try_hold(struct bidx_file *f)
{
	bool idle = false;

	return __atomic_compare_exchange_n(&f->busy, &idle, true, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/* Write-backs and truncates of one file take turns: two never race to smon. */
static void file_hold(struct bidx_file *f)
{
	if (!try_hold(f))
		wait_event(&bcache_wq, try_hold(f));
}

static void file_unhold(struct bidx_file *f)
{
	__atomic_store_n(&f->busy, false, __ATOMIC_RELEASE);
	wake_up_all(&bcache_wq);
}

/*
 * Under bcache_lock: h's record, referenced, or NULL. A handle whose check value is
 * not the record's was never smon's: NULL, so the request goes to smon, which
 * refuses it (-ESTALE), instead of the cache serving or taking its bytes.
 */
static struct bidx_file *file_ref(const struct fs_handle *h)
{
	struct bidx_file *f = bidx_file_find(&bc, h->vnode, h->ino);

	if (!f || f->h.gen != h->gen)
		return NULL;
	f->refs++;
	return f;
}

static void file_put(struct bidx_file *f)
{
	spin_lock(&bcache_lock);
	f->refs--;
	bidx_file_release(&bc, f);
	spin_unlock(&bcache_lock);
}

/* Under bcache_lock: h's record, made with size unless one was freed since seen. */
static int file_make(const struct fs_handle *h, uint8_t smon, uint64_t size, uint64_t seen,
		     struct bidx_file **out)
{
	int err;

	*out = file_ref(h);
	if (*out)
		return 0;
	if (bc.freed != seen)
		return -EAGAIN;		/* maybe h's, with a size newer than ours */
	err = bidx_file_add(&bc, h, smon, size, out);
	if (!err)
		(*out)->refs++;
	return err;
}

/*
 * h's record, referenced; a new one gets smon's size (X2S_GETATTR). *out is NULL
 * for what the cache leaves to smon: anything but a regular file.
 */
static int file_get(uint8_t smon, const struct fs_handle *h, struct bidx_file **out)
{
	struct s2x_attr a;
	uint64_t seen;
	int ret;

	do {
		spin_lock(&bcache_lock);
		*out = file_ref(h);
		seen = bc.freed;
		spin_unlock(&bcache_lock);
		if (*out)
			return 0;
		ret = smon_rpc(smon, X2S_GETATTR, h, sizeof(*h), &a, sizeof(a));
		if (ret >= 0 && ret != sizeof(a))
			ret = -EPROTO;
		if (ret < 0 || (a.a.mode & MODE_IFMT) != MODE_IFREG)
			return ret < 0 ? ret : 0;
		spin_lock(&bcache_lock);
		ret = file_make(h, smon, a.a.size, seen, out);
		spin_unlock(&bcache_lock);
	} while (ret == -EAGAIN);
	return ret;
}

/* Under bcache_lock: placeholders for the window's missing pages, at's first. */
static int placeholders(struct bidx_file *f, uint64_t first, unsigned n, uint64_t at,
			uint32_t id)
{
	struct bidx_page *p;
	int made = 1;

	if (bidx_find(&bc, f, at))
		return 0;	/* made by another request since */
	if (bidx_add(&bc, f, at, 0, &p))
		return -ENOMEM;
	p->fill = id;
	for (uint64_t i = first; i < first + n; i++) {
		if (bidx_find(&bc, f, i))
			continue;
		if (bidx_add(&bc, f, i, 0, &p))
			break;
		p->fill = id;
		made++;
	}
	return made;
}

/* Under bcache_lock: the window's bytes (ret of them, or an error) into its placeholders. */
static void fill_done(struct bidx_file *f, uint64_t first, unsigned n, uint32_t id,
		      const uint8_t *buf, int ret)
{
	struct bidx_page *p;
	long got;

	for (unsigned i = 0; i < n; i++) {
		p = bidx_find(&bc, f, first + i);
		if (!p || (p->flags & BIDX_UPTODATE) || p->fill != id)
			continue;	/* cut by a truncate since, maybe made again */
		if (ret < 0) {
			bidx_drop(&bc, p);
			continue;
		}
		got = (long)ret - (long)i * BIDX_PAGE_SIZE;
		if (got > 0)
			memcpy(p->data, buf + i * BIDX_PAGE_SIZE,
			       got < BIDX_PAGE_SIZE ? (size_t)got : BIDX_PAGE_SIZE);
		p->flags |= BIDX_UPTODATE;
		mmon_count(&stats.misses);
	}
}

/*
 * Fetch the aligned window holding page at, with one X2S_READ, into placeholders for
 * the pages the cache lacks (readers and writers wait on them). A short answer is
 * the end of the file on smon: the pages past it stay zero. -ENOMEM: no page for at.
 */
static int fill_window(struct bidx_file *f, uint64_t at)
{
	struct x2s_io q = { .h = f->h };
	uint8_t *buf = kmalloc(NET_FS_IO_MAX);
	uint64_t first;
	uint32_t id;
	unsigned n;
	int ret;

	if (!buf)
		return -ENOMEM;
	spin_lock(&bcache_lock);
	n = bidx_window(at, f->size, &first);
	id = ++fill_ids;
	ret = n ? placeholders(f, first, n, at, id) : 0;
	spin_unlock(&bcache_lock);
	if (ret > 0) {
		q.offset = first << BIDX_PAGE_SHIFT;
		q.len = n << BIDX_PAGE_SHIFT;
		ret = smon_rpc(f->smon, X2S_READ, &q, sizeof(q), buf, q.len);
		mmon_count(&stats.reads);
		spin_lock(&bcache_lock);
		fill_done(f, first, n, id, buf, ret);
		spin_unlock(&bcache_lock);
		event();
	}
	kfree(buf);
	return ret < 0 ? ret : 0;
}

/* A sequential reader's miss also fetches the next window: the read-ahead. */
static int fill(struct bidx_file *f, uint64_t at, bool sequential)
{
	int err = fill_window(f, at);

	if (!err && sequential)
		fill_window(f, at - at % BIDX_RUN_PAGES + BIDX_RUN_PAGES);
	return err;
}

/*
 * Under bcache_lock: copy from *done on, page by page, the bytes of [off, off + *len)
 * that lie below the size, until a page stops it. What is copied stays copied: filling
 * the rest may evict the pages it came from when memory is short (a read that waited
 * for all of them at once would fill and evict in turn for ever). At the end *len is
 * the bytes read.
 */
static enum step read_pages(struct bidx_file *f, uint64_t off, uint8_t *out, uint32_t *len,
			    uint32_t *done, uint64_t *at)
{
	uint64_t end = off + *len < f->size ? off + *len : f->size;
	struct bidx_page *p;
	uint32_t in, n;

	for (; off + *done < end; *done += n) {
		*at = (off + *done) >> BIDX_PAGE_SHIFT;
		p = bidx_find(&bc, f, *at);
		if (!p)
			return STEP_FILL;
		if (!(p->flags & BIDX_UPTODATE))
			return STEP_WAIT;
		in = (off + *done) % BIDX_PAGE_SIZE;
		n = BIDX_PAGE_SIZE - in < end - off - *done ? BIDX_PAGE_SIZE - in :
							     (uint32_t)(end - off - *done);
		memcpy(out + *done, p->data + in, n);
		p->flags |= BIDX_REF;
	}
	*len = *done;
	f->next_read = off + *done;
	return STEP_DONE;
}

/* A page to write a part of must first hold smon's bytes, if smon has some there. */
static bool needs_fill(const struct bidx_file *f, uint64_t index, uint32_t in, uint32_t n)
{
	uint64_t start = index << BIDX_PAGE_SHIFT;

	return (in > 0 && start < f->size) ||
	       (in + n < BIDX_PAGE_SIZE && start + in + n < f->size);
}

/* Under bcache_lock: copy bytes from *done on into pages, dirtying them, until one stops it. */
static enum step write_pages(struct bidx_file *f, uint64_t off, const uint8_t *data,
			     uint32_t len, uint32_t *done, uint64_t *at)
{
	uint64_t now = clock_ns();
	struct bidx_page *p;
	uint32_t in, n;

	for (; *done < len; *done += n) {
		*at = (off + *done) >> BIDX_PAGE_SHIFT;
		in = (off + *done) % BIDX_PAGE_SIZE;
		n = BIDX_PAGE_SIZE - in < len - *done ? BIDX_PAGE_SIZE - in : len - *done;
		p = bidx_find(&bc, f, *at);
		if (p && !(p->flags & BIDX_UPTODATE))
			return STEP_WAIT;
		if (!p && needs_fill(f, *at, in, n))
			return STEP_FILL;
		if (!p && bidx_add(&bc, f, *at, BIDX_UPTODATE, &p))
			return STEP_ROOM;
		memcpy(p->data + in, data + *done, n);
		bidx_dirty(&bc, p, now);
		if (off + *done + n > f->size)
			f->size = off + *done + n;
	}
	return STEP_DONE;
}

/* Under bcache_lock: copy a run's bytes out and mark its pages under write-back. */
static void run_start(struct bidx_file *f, uint64_t first, unsigned n, uint8_t *buf,
		      uint32_t len)
{
	struct bidx_page *p;

	for (unsigned i = 0; i < n; i++) {
		p = bidx_find(&bc, f, first + i);
		if (i * BIDX_PAGE_SIZE < len)
			memcpy(buf + i * BIDX_PAGE_SIZE, p->data,
			       len - i * BIDX_PAGE_SIZE < BIDX_PAGE_SIZE ?
			       len - i * BIDX_PAGE_SIZE : BIDX_PAGE_SIZE);
		bidx_clean(&bc, p);
		p->flags |= BIDX_WRITEBACK;
	}
}

/*
 * Under bcache_lock: the run's write-back is over. A removed file (-ESTALE) loses its
 * pages; any other failure leaves them dirty again, to be retried in FLUSH_AGE.
 */
static void run_end(struct bidx_file *f, uint64_t first, unsigned n, int ret)
{
	uint64_t now = clock_ns();
	struct bidx_page *p;

	for (unsigned i = 0; i < n; i++) {
		p = bidx_find(&bc, f, first + i);
		if (!p)
			continue;
		p->flags &= ~BIDX_WRITEBACK;
		if (ret < 0)
			bidx_dirty(&bc, p, now);
	}
	if (ret == -ESTALE)
		bidx_drop_file(&bc, f);
	else if (ret < 0)
		f->dirty_since = now;
}

/* Count a write-back's outcome; a failure is logged once per file. */
static int run_result(struct bidx_file *f, int ret)
{
	if (ret >= 0) {
		mmon_count(&stats.writes);
		return 1;
	}
	if (ret == -ESTALE) {
		pr_debug("vnode %u inode %lu removed: its cached pages dropped", f->h.vnode,
			 f->h.ino);
		return ret;
	}
	mmon_count(&stats.errors);
	if (!f->warned)
		pr_warn("write-back of vnode %u inode %lu failed (%d): kept dirty, retried",
			f->h.vnode, f->h.ino, ret);
	f->warned = true;
	return ret;
}

/* Write back f's lowest dirty run: 1, 0 if it has none, or the failure. */
static int flush_run(struct bidx_file *f, uint8_t *buf)
{
	struct x2s_io q = { .h = f->h };
	struct s2x_write w;
	uint64_t first;
	unsigned n;
	int ret = 0;

	spin_lock(&bcache_lock);
	if (!bidx_dirty_run(&bc, f, &first, &n)) {
		spin_unlock(&bcache_lock);
		return 0;
	}
	q.offset = first << BIDX_PAGE_SHIFT;
	q.len = bidx_run_bytes(f, first, n);
	run_start(f, first, n, buf + sizeof(q), q.len);
	spin_unlock(&bcache_lock);
	memcpy(buf, &q, sizeof(q));
	if (q.len)
		ret = smon_rpc(f->smon, X2S_WRITE, buf, sizeof(q) + q.len, &w, sizeof(w));
	if (ret >= 0 && q.len && ret != sizeof(w))
		ret = -EPROTO;
	spin_lock(&bcache_lock);
	run_end(f, first, n, ret);
	spin_unlock(&bcache_lock);
	event();
	return run_result(f, ret);
}

/*
 * Write f's dirty pages back to smon, lowest first, in runs of up to NET_FS_IO_MAX.
 * Holding f keeps other write-backs and truncates of it out meanwhile; pages dirtied
 * during it are left for the next one. Stops at the first failure.
 */
static int flush(struct bidx_file *f)
{
	uint8_t *buf = kmalloc(sizeof(struct x2s_io) + NET_FS_IO_MAX);
	uint64_t runs;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	file_hold(f);
	spin_lock(&bcache_lock);
	runs = f->ndirty;
	f->dirty_since = clock_ns();
	spin_unlock(&bcache_lock);
	while (runs-- > 0 && (ret = flush_run(f, buf)) > 0)
		;
	file_unhold(f);
	kfree(buf);
	return ret < 0 ? ret : 0;
}

/* Under bcache_lock: the idle file dirty longest, if it has been dirty since before. */
static struct bidx_file *oldest_dirty(uint64_t before)
{
	struct bidx_file *f, *best = NULL;
	struct list_head *pos;

	list_for_each(pos, &bc.file_list) {
		f = list_entry(pos, struct bidx_file, link);
		if (f->ndirty && !__atomic_load_n(&f->busy, __ATOMIC_ACQUIRE) &&
		    f->dirty_since <= before && (!best || f->dirty_since < best->dirty_since))
			best = f;
	}
	if (best)
		best->refs++;
	return best;
}

/*
 * No memory for a page: free a clean one (it was the small allocation that failed),
 * or write back the file dirty longest so that the clock finds clean pages, or, if
 * every page is in flight, wait for one to land.
 */
static int reclaim(uint32_t seen)
{
	struct bidx_file *f;
	bool held, freed;
	int err;

	spin_lock(&bcache_lock);
	freed = bidx_evict(&bc);
	f = freed ? NULL : oldest_dirty(UINT64_MAX);
	held = bc.npages > 0;
	spin_unlock(&bcache_lock);
	if (freed)
		return 0;
	if (!f && !held)
		return -ENOMEM;
	if (!f) {
		wait_event(&bcache_wq, events_now() != seen);
		return 0;
	}
	err = flush(f);
	file_put(f);
	return err == -ESTALE ? 0 : err;
}

/* Do what stopped a copy; then the caller looks again. */
static int step(struct bidx_file *f, enum step s, uint64_t at, uint32_t seen, bool sequential)
{
	int err = 0;

	if (s == STEP_FILL)
		err = fill(f, at, sequential);
	if (s == STEP_WAIT)
		wait_event(&bcache_wq, events_now() != seen);
	if (s == STEP_ROOM || err == -ENOMEM)
		err = reclaim(seen);
	return err;
}

static int read_loop(struct bidx_file *f, const struct x2s_io *q, uint8_t *out)
{
	uint32_t len, done = 0, seen;
	uint64_t at = 0;
	bool seq, missed = false;
	enum step s;
	int err;

	for (;; missed = true) {
		len = q->len;
		spin_lock(&bcache_lock);
		seq = q->offset && q->offset == f->next_read;
		s = read_pages(f, q->offset, out, &len, &done, &at);
		seen = events_now();
		spin_unlock(&bcache_lock);
		if (s == STEP_DONE && !missed)
			mmon_count(&stats.hits);
		if (s == STEP_DONE)
			return (int)len;
		err = step(f, s, at, seen, seq);
		if (err)
			return err;
	}
}

int bcache_read(uint8_t smon, const void *req, size_t len, void *resp, size_t resp_max)
{
	struct bidx_file *f;
	struct x2s_io q;
	int ret;

	memcpy(&q, req, sizeof(q));
	if (q.len > NET_FS_IO_MAX || q.len > resp_max)
		return -EINVAL;
	ret = file_get(smon, &q.h, &f);
	if (ret < 0 || !f)
		return ret < 0 ? ret : smon_rpc(smon, X2S_READ, req, len, resp, resp_max);
	ret = read_loop(f, &q, resp);
	file_put(f);
	return ret;
}

/* The bytes go in at w->offset (X2S_APPEND: the size when the first byte goes in). */
static int write_loop(struct bidx_file *f, const struct x2s_io *q, const uint8_t *data,
		      struct s2x_write *w)
{
	uint32_t done = 0, seen;
	uint64_t at = 0;
	enum step s;
	int err;

	for (;;) {
		spin_lock(&bcache_lock);
		if (done == 0)
			w->offset = q->flags & X2S_APPEND ? f->size : q->offset;
		if (w->offset >= BIDX_MAX_SIZE || q->len > BIDX_MAX_SIZE - w->offset) {
			spin_unlock(&bcache_lock);
			return -EFBIG;
		}
		s = write_pages(f, w->offset, data, q->len, &done, &at);
		w->size = f->size;
		seen = events_now();
		spin_unlock(&bcache_lock);
		if (s == STEP_DONE)
			return 0;
		err = step(f, s, at, seen, false);
		if (err)
			return err;
	}
}

/* X2S_SYNC and X2S_FSYNC: f's dirty pages to smon, then smon's commit. */
static int sync_file(struct bidx_file *f)
{
	struct x2s_io q = { .h = f->h };
	int err = flush(f);

	if (err)
		return err;
	return smon_rpc(f->smon, X2S_FSYNC, &q, sizeof(q), NULL, 0);
}

int bcache_write(uint8_t smon, const void *req, size_t len, void *resp, size_t resp_max)
{
	struct bidx_file *f;
	struct s2x_write w;
	struct x2s_io q;
	int ret;

	memcpy(&q, req, sizeof(q));
	if (len != sizeof(q) + q.len || resp_max < sizeof(w))
		return -EINVAL;
	ret = file_get(smon, &q.h, &f);
	if (ret < 0 || !f)
		return ret < 0 ? ret : smon_rpc(smon, X2S_WRITE, req, len, resp, resp_max);
	ret = write_loop(f, &q, (const uint8_t *)req + sizeof(q), &w);
	if (!ret && (q.flags & X2S_SYNC))
		ret = sync_file(f);
	file_put(f);
	if (ret < 0)
		return ret;
	memcpy(resp, &w, sizeof(w));
	return sizeof(w);
}

int bcache_fsync(uint8_t smon, const void *req, size_t len)
{
	struct bidx_file *f;
	struct x2s_io q;
	int ret;

	memcpy(&q, req, sizeof(q));
	spin_lock(&bcache_lock);
	f = file_ref(&q.h);
	spin_unlock(&bcache_lock);
	if (!f)
		return smon_rpc(smon, X2S_FSYNC, req, len, NULL, 0);
	ret = sync_file(f);
	file_put(f);
	return ret;
}

/*
 * Cut f on smon, then here, holding f: no write-back of a page past the new size can
 * reach smon after the cut, and fills in flight lose their placeholders.
 */
static int truncate_file(struct bidx_file *f, uint64_t size)
{
	struct x2s_io q = { .h = f->h, .offset = size };
	int ret;

	file_hold(f);
	ret = smon_rpc(f->smon, X2S_TRUNCATE, &q, sizeof(q), NULL, 0);
	if (ret >= 0) {
		spin_lock(&bcache_lock);
		bidx_truncate(&bc, f, size);
		spin_unlock(&bcache_lock);
		event();
	}
	file_unhold(f);
	return ret < 0 ? ret : 0;
}

int bcache_truncate(uint8_t smon, const void *req, size_t len)
{
	struct bidx_file *f;
	struct x2s_io q;
	int ret;

	memcpy(&q, req, sizeof(q));
	ret = file_get(smon, &q.h, &f);
	if (ret < 0 || !f)
		return ret < 0 ? ret : smon_rpc(smon, X2S_TRUNCATE, req, len, NULL, 0);
	ret = truncate_file(f, q.offset);
	file_put(f);
	return ret;
}

/* Under bcache_lock: f's size, and blocks enough for it while smon lacks its dirty pages. */
static void attr_patch(const struct bidx_file *f, struct fs_attr *a)
{
	uint64_t blocks = (f->size + BIDX_PAGE_SIZE - 1) / BIDX_PAGE_SIZE * (BIDX_PAGE_SIZE / 512);

	a->size = f->size;
	if (f->ndirty && blocks > a->blocks)
		a->blocks = blocks;
}

/*
 * An attributes answer gets the size the cache knows. After an X2S_OPEN with
 * X2S_TRUNC, smon cut the file but a write-back may have landed since: cut it again
 * with the cache's pages.
 */
int bcache_attr(void *resp, bool trunc)
{
	struct bidx_file *f;
	struct s2x_attr a;
	int err = 0;

	memcpy(&a, resp, sizeof(a));
	spin_lock(&bcache_lock);
	f = file_ref(&a.h);
	if (f && !trunc)
		attr_patch(f, &a.a);
	spin_unlock(&bcache_lock);
	if (!f)
		return 0;
	if (trunc)
		err = truncate_file(f, 0);
	file_put(f);
	memcpy(resp, &a, sizeof(a));
	return err;
}

/* Write back what has been dirty for FLUSH_AGE, every FLUSH_EVERY. */
static void flusher(void *arg)
{
	struct bidx_file *f;
	uint64_t now;

	(void)arg;
	for (;;) {
		sleep_ns(FLUSH_EVERY);
		for (;;) {
			now = clock_ns();
			spin_lock(&bcache_lock);
			f = oldest_dirty(now > FLUSH_AGE ? now - FLUSH_AGE : 0);
			spin_unlock(&bcache_lock);
			if (!f)
				break;
			flush(f);
			file_put(f);
		}
	}
}

void bcache_stats(struct m2x_memstats *m)
{
	spin_lock(&bcache_lock);
	m->cache_pages = bc.npages;
	m->cache_dirty = bc.ndirty;
	spin_unlock(&bcache_lock);
	m->cache_budget = budget;
	m->cache_hits = __atomic_load_n(&stats.hits, __ATOMIC_RELAXED);
	m->cache_misses = __atomic_load_n(&stats.misses, __ATOMIC_RELAXED);
	m->cache_reads = __atomic_load_n(&stats.reads, __ATOMIC_RELAXED);
	m->cache_writes = __atomic_load_n(&stats.writes, __ATOMIC_RELAXED);
	m->cache_errors = __atomic_load_n(&stats.errors, __ATOMIC_RELAXED);
}

/* A quarter of the free pages at start, capped, one hash chain per four of them. */
int bcache_init(void)
{
	size_t free = page_free_count();
	int err;

	budget = free > MMON_RESERVE ? (free - MMON_RESERVE) / 4 : 0;
	if (budget > BCACHE_CAP)
		budget = BCACHE_CAP;
	wait_queue_init(&bcache_wq);
	err = bidx_init(&bc, &bcache_ops, budget / 4 > 256 ? budget / 4 : 256);
	if (err)
		return err;
	pr_info("buffer cache: up to %lu pages (%lu KiB)", budget, budget * (PAGE_SIZE / 1024));
	return thread_create("bcache-flush", flusher, NULL, 0) ? 0 : -ENOMEM;
}
