/*
 * The ExCache (include/pcomponent/excache.h): lines, sets and the miss path. A
 * miss claims a line of its set (marking it busy), leaves the lock, evicts the old
 * contents (unmap, shoot down, copy out if dirty), then writes the victim back and
 * fetches the new page from its owner at the same time, and maps it. Busy lines are
 * nobody else's to touch, so no lock is held across the network; a busy line
 * answers for both its pages, the new one and the victim still on its way back.
 */
#define LOG_SUBSYS "excache"
#include "kernel/config.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "mcomponent/vma.h"
#include "pcomponent/excache.h"
#include "pcomponent/mm.h"
#include "pcomponent/process.h"

#define FETCH_REPLY (sizeof(struct m2p_fetch) + PAGE_SIZE)
#define RETRY_NS 20000			/* wait for a busy line of the page, or its set */
#define LOCAL_RESERVE 4096		/* pages the monitor keeps: 16 MiB */
#define WRITEBACK_TRIES 3		/* before a dirty page is given up as lost */

static struct {
	struct spinlock lock;		/* every line, hands, counters, each mm's counters */
	struct excache_line *lines;	/* nsets * ways, set by set */
	uint64_t *frames;		/* physical page of each line; fixed */
	unsigned *hands;		/* per set, for the policy */
	unsigned nsets, ways;
	enum excache_policy policy;
	excache_victim_fn victim;
	uint64_t seq;
	unsigned resident;
	struct excache_counters node;
} xc = { .lock = SPINLOCK_INIT("excache") };

/* Carve the lines out of local memory, leaving LOCAL_RESERVE pages to the monitor. */
int excache_init(const struct node_config *cfg)
{
	unsigned n = cfg->excache_kb / 4;

	if (n + LOCAL_RESERVE > page_free_count()) {
		pr_err("TESSERA CONFIG ERROR excache_kb=%u does not fit: %zu KiB of local memory free, "
		       "%u KiB kept for the monitor", cfg->excache_kb, page_free_count() * 4,
		       LOCAL_RESERVE * 4);
		return -ENOMEM;
	}

	xc.ways = cfg->excache_ways;
	xc.nsets = n / xc.ways;
	xc.policy = cfg->excache_policy;
	xc.victim = xc.policy == EXCACHE_FIFO ? excache_fifo_victim : excache_clock_victim;
	xc.lines = kzalloc(n * sizeof(*xc.lines));
	xc.frames = kzalloc(n * sizeof(*xc.frames));
	xc.hands = kzalloc(xc.nsets * sizeof(*xc.hands));
	if (!xc.lines || !xc.frames || !xc.hands)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		void *page = page_alloc(0);

		if (!page) {
			pr_err("only %u of %u lines fit in local memory", i, n);
			return -ENOMEM;
		}
		xc.frames[i] = virt_to_phys(page);
	}
	pr_info("%u lines of 4 KiB in %u sets of %u ways, policy %s", n, xc.nsets, xc.ways,
		xc.policy == EXCACHE_FIFO ? "fifo" : "clock");
	return 0;
}

/* Consecutive pages of an address space fall in consecutive sets. */
static unsigned set_of(const struct mm *mm, uint64_t va)
{
	return (unsigned)(((va >> PAGE_SHIFT) + mm->id * 0x9e3779b1ULL) % xc.nsets);
}

static struct excache_line *lookup(struct mm *mm, uint64_t va, unsigned *idx)
{
	unsigned base = set_of(mm, va) * xc.ways;

	for (unsigned i = base; i < base + xc.ways; i++) {
		const struct excache_line *l = &xc.lines[i];

		if (l->state != LINE_FREE && ((l->mm == mm && l->va == va) ||
					      (l->wb_mm == mm && l->wb_va == va))) {
			*idx = i;
			return &xc.lines[i];
		}
	}
	return NULL;
}

/* Is (mm, va) resident? The caller holds the lock, so the line stays until it drops it. */
static bool resident(struct mm *mm, uint64_t va, uint64_t *frame, struct excache_line **line)
{
	unsigned idx;
	struct excache_line *l = lookup(mm, va, &idx);

	if (!l || l->state != LINE_VALID)	/* a VALID line has no victim in flight */
		return false;
	if (frame)
		*frame = xc.frames[idx];
	if (line)
		*line = l;
	return true;
}

/* Read and clear the accessed bits of a set's resident lines: the hit sample. */
static void sample(struct excache_line *set)
{
	for (unsigned i = 0; i < xc.ways; i++) {
		struct excache_line *l = &set[i];

		if (l->state != LINE_VALID || !pgtable_test_clear_accessed(l->mm->root, l->va))
			continue;
		l->ref = true;
		l->mm->stats.hits++;
		xc.node.hits++;
	}
}

static void count_miss(struct mm *mm, uint64_t ns)
{
	unsigned b = 0;

	for (uint64_t us = ns / 1000; us > 1 && b < EXCACHE_HIST - 1; us >>= 1)
		b++;
	mm->stats.misses++;
	mm->stats.miss_ns_total += ns;
	mm->stats.hist[b]++;
	xc.node.misses++;
	xc.node.miss_ns_total += ns;
	xc.node.hist[b]++;
}

/* One page on its way back to the mComponent it came from. */
struct writeback {
	struct msg_call call;
	uint8_t *msg;			/* struct p2m_writeback + the page: a buffer of its own */
	uint8_t owner;
	int err;			/* the start's: nothing in flight */
};

/*
 * Copy the line's page out and start sending it back. Every transfer has a buffer of
 * its own: a caller may be in the middle of a copy through the cache, and the frame
 * is refilled while the page travels.
 */
static void writeback_start(struct writeback *w, const struct excache_line *l,
			    const struct mm *mm, uint64_t va, uint64_t frame)
{
	struct p2m_writeback wb = { .mm = mm->id, .va = va };

	w->owner = l->owner;
	w->msg = kmalloc(sizeof(wb) + PAGE_SIZE);
	w->err = -ENOMEM;
	if (!w->msg)
		return;
	memcpy(w->msg, &wb, sizeof(wb));
	memcpy(w->msg + sizeof(wb), phys_to_virt(frame), PAGE_SIZE);
	w->err = msg_rpc_start(&w->call, w->owner, P2M_WRITEBACK, w->msg,
			       sizeof(wb) + PAGE_SIZE, NULL, 0, MM_PAGE_TIMEOUT);
}

/*
 * Wait for the write-back; a failed one is tried again (a write-back is idempotent):
 * WRITEBACK_TRIES in all, and for an owner that stopped answering, as long as it takes
 * GMM to name its backup (mm_owner_retry()). 0 or the last error; -EFAULT (no vma
 * there any more: munmap got to the owner first) is final, and means the page is
 * nobody's.
 */
static int writeback_finish(struct writeback *w, struct mm *mm, uint64_t va)
{
	const size_t len = sizeof(struct p2m_writeback) + PAGE_SIZE;
	int err = w->err ? w->err : msg_rpc_wait(&w->call), next, tries = 1;
	uint64_t deadline = 0;

	while (err < 0 && err != -EFAULT && w->msg) {
		pr_warn("mm %u: write-back of va=%#lx to node %u failed (%d)", mm->id, va,
			w->owner, err);
		next = mm_owner_retry(mm, va, w->owner, err, &deadline);
		if (next < 0 && tries++ < WRITEBACK_TRIES)
			next = w->owner;
		if (next < 0)
			break;
		w->owner = (uint8_t)next;
		err = msg_rpc(w->owner, P2M_WRITEBACK, w->msg, len, NULL, 0, MM_PAGE_TIMEOUT);
	}
	kfree(w->msg);
	return err < 0 ? err : 0;
}

/*
 * The only copy of a dirty page is gone with a failed write-back. Nobody may run
 * on without it: mm is marked lost (fork refuses to copy it) and every process on
 * it is killed with SIGBUS before it returns to ring 3.
 */
static void page_lost(struct mm *mm, uint64_t va, uint8_t owner, int err)
{
	pr_err("mm %u: write-back of va=%#lx to node %u failed for good (%d): the page is "
	       "lost, its processes get SIGBUS", mm->id, va, owner, err);
	__atomic_store_n(&mm->lost, true, __ATOMIC_RELEASE);
	proc_kill_mm(mm, SIGBUS);
}

/* Count a finished write-back of (mm, va); a failed one loses the page. */
static void writeback_done(struct writeback *w, struct mm *mm, uint64_t va)
{
	int err = writeback_finish(w, mm, va);

	if (err == -EFAULT) {
		pr_debug("mm %u: va=%#lx was unmapped while it was written back", mm->id, va);
		return;
	}
	spin_lock(&xc.lock);
	if (err) {
		mm->stats.writeback_errors++;
		xc.node.writeback_errors++;
	} else {
		mm->stats.writebacks++;
		xc.node.writebacks++;
	}
	spin_unlock(&xc.lock);
	if (err)
		page_lost(mm, va, w->owner, err);
}

/*
 * Empty a busy line of its old page (mm, va), whose owner and dirty bit it still
 * keeps: unmap it everywhere and, if writeback is set and the page was written,
 * start sending it to its owner (true: the caller must writeback_done() it).
 */
static bool evict_start(struct excache_line *l, unsigned idx, struct mm *mm, uint64_t va,
			bool writeback_dirty, struct writeback *w)
{
	unsigned flags = 0;

	pgtable_unmap(mm->root, va, NULL, &flags);
	if (!writeback_dirty || !((flags & PG_DIRTY) || l->dirty))
		return false;
	if (__atomic_load_n(&mm->lost, __ATOMIC_ACQUIRE))
		return false;		/* its processes are being killed: nobody reads it */
	writeback_start(w, l, mm, va, xc.frames[idx]);
	return true;
}

/* The same, waiting for the write-back. */
static void evict(struct excache_line *l, unsigned idx, bool writeback_dirty)
{
	struct writeback w;

	if (evict_start(l, idx, l->mm, l->va, writeback_dirty, &w))
		writeback_done(&w, l->mm, l->va);
}

/*
 * Claim a line of va's set for (mm, va): a free one or a victim, marked busy. Returns
 * its index, or -EAGAIN when the page is already resident or being filled (the caller
 * rechecks) or every line of the set is busy. *old gets the victim's mm, if any.
 */
static int claim(struct mm *mm, uint64_t va, struct mm **old)
{
	unsigned set = set_of(mm, va), idx;
	struct excache_line *lines = &xc.lines[set * xc.ways], *l;
	int way;

	if (lookup(mm, va, &idx))
		return -EAGAIN;
	sample(lines);
	way = xc.victim(lines, xc.ways, &xc.hands[set]);
	if (way < 0)
		return -EAGAIN;
	l = &lines[way];
	*old = l->state == LINE_VALID ? l->mm : NULL;
	if (*old) {
		(*old)->evicting++;
		(*old)->stats.evictions++;
		xc.node.evictions++;
	} else {
		xc.resident++;
	}
	/*
	 * From here the line answers for both pages, so a second fault of (mm, va) waits
	 * for it instead of filling another line. The victim moves to wb_mm/wb_va and
	 * keeps its owner and dirty bit until victim_out() has written it back.
	 */
	*l = (struct excache_line){ .state = LINE_BUSY, .mm = mm, .va = va,
				    .owner = *old ? l->owner : 0, .dirty = *old && l->dirty,
				    .wb_mm = *old, .wb_va = *old ? l->va : 0 };
	return (int)(set * xc.ways + way);
}

/*
 * Fetch (mm, va) from its owner into the line's frame; the owner's prot or -errno.
 * The line learns its owner and whether the owner holds the page (see wire.h). An
 * owner that stopped answering is waited out until GMM names its backup.
 */
static int fetch(struct mm *mm, uint64_t va, bool write, unsigned idx)
{
	struct p2m_fetch req = { .mm = mm->id, .flags = write ? FETCH_WRITE : 0, .va = va };
	uint64_t deadline = 0;
	struct m2p_fetch reply;
	int owner = mm_owner(mm, va), n = owner;
	uint8_t *msg;

	if (owner < 0)
		return owner;
	msg = kmalloc(FETCH_REPLY);
	if (!msg)
		return -ENOMEM;
	for (; owner >= 0; owner = mm_owner_retry(mm, va, (uint8_t)owner, n, &deadline)) {
		xc.lines[idx].owner = (uint8_t)owner;	/* the line is busy: ours alone */
		n = msg_rpc((uint8_t)owner, P2M_FETCH, &req, sizeof(req), msg, FETCH_REPLY,
			    MM_PAGE_TIMEOUT);
		if (n >= 0)
			break;
	}
	if (n >= 0 && n != FETCH_REPLY)
		n = -EPROTO;
	if (n >= 0) {
		memcpy(&reply, msg, sizeof(reply));
		memcpy(phys_to_virt(xc.frames[idx]), msg + sizeof(reply), PAGE_SIZE);
		xc.lines[idx].backed = !(reply.flags & M2P_FETCH_UNBACKED);
		n = (int)(reply.prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
	}
	kfree(msg);
	return n;
}

/* An unbacked page is mapped read-only, so its first write comes back for backing. */
static unsigned map_flags(uint32_t prot, bool backed)
{
	return PG_USER | (prot & PROT_WRITE && backed ? PG_WRITE : 0) |
	       (prot & PROT_EXEC ? PG_EXEC : 0);
}

/* Hand the line to (mm, va) mapped with prot, or free it after a failed fill. */
static void finish_fill(struct mm *mm, uint64_t va, unsigned idx, int prot)
{
	struct excache_line *l = &xc.lines[idx];

	if (prot >= 0 && pgtable_map(mm->root, va, xc.frames[idx],
				map_flags((uint32_t)prot, l->backed)))
		prot = -ENOMEM;
	spin_lock(&xc.lock);
	if (prot >= 0) {
		*l = (struct excache_line){ .state = LINE_VALID, .mm = mm, .va = va,
					    .prot = (uint32_t)prot, .owner = l->owner,
					    .backed = l->backed, .seq = ++xc.seq };
	} else {
		*l = (struct excache_line){ .state = LINE_FREE };
		xc.resident--;
	}
	spin_unlock(&xc.lock);
}

/*
 * Is (mm, va) resident as the access needs? 0: yes; -ENOENT: it must be fetched;
 * -EACCES: a write where the vma forbids it. A write to an unbacked line drops it
 * (nobody wrote it: it is mapped read-only) so that it is fetched again for writing.
 * The drop writes back: once the lock is let go, another thread of mm may have
 * refetched the page for writing and written it.
 */
static int usable(struct mm *mm, uint64_t va, bool write)
{
	struct excache_line *l;
	int ret = -ENOENT;

	spin_lock(&xc.lock);
	if (resident(mm, va, NULL, &l)) {
		if (!write || ((l->prot & PROT_WRITE) && l->backed))
			ret = 0;
		else if (!(l->prot & PROT_WRITE))
			ret = -EACCES;
		else
			ret = -EAGAIN;
	}
	spin_unlock(&xc.lock);
	if (ret != -EAGAIN)
		return ret;
	excache_flush(mm, va, va + PAGE_SIZE, true);
	return -ENOENT;
}

/*
 * A miss's victim leaves its line, which becomes (mm, va)'s, still busy. A dirty
 * victim's write-back stays in flight while the line fills (true; the line answers
 * for it meanwhile, and *old_va says which page it was), so a miss waits for one
 * round trip, not two.
 */
static bool victim_out(struct mm *mm, uint64_t va, unsigned idx, struct mm *old,
		       struct writeback *wb, uint64_t *old_va)
{
	bool inflight;

	*old_va = xc.lines[idx].wb_va;
	inflight = evict_start(&xc.lines[idx], idx, old, *old_va, true, wb);
	spin_lock(&xc.lock);
	if (!inflight)
		old->evicting--;
	xc.lines[idx] = (struct excache_line){ .state = LINE_BUSY, .mm = mm, .va = va,
					       .wb_mm = inflight ? old : NULL, .wb_va = *old_va };
	spin_unlock(&xc.lock);
	return inflight;
}

int excache_fault(struct mm *mm, uint64_t va, bool write)
{
	uint64_t start = clock_ns(), old_va = 0;
	struct writeback wb;
	bool inflight = false;
	struct mm *old;
	int idx, prot;

	va = PAGE_ALIGN_DOWN(va);
	for (;;) {
		int ret = usable(mm, va, write);

		if (ret != -ENOENT)
			return ret;
		spin_lock(&xc.lock);
		idx = claim(mm, va, &old);
		spin_unlock(&xc.lock);
		if (idx >= 0)
			break;
		sleep_ns(RETRY_NS);
	}
	if (old)
		inflight = victim_out(mm, va, (unsigned)idx, old, &wb, &old_va);
	prot = fetch(mm, va, write, (unsigned)idx);
	if (inflight) {
		writeback_done(&wb, old, old_va);
		spin_lock(&xc.lock);
		xc.lines[idx].wb_mm = NULL;
		old->evicting--;
		spin_unlock(&xc.lock);
	}
	finish_fill(mm, va, (unsigned)idx, prot);
	if (prot < 0)
		return prot;
	spin_lock(&xc.lock);
	count_miss(mm, clock_ns() - start);
	spin_unlock(&xc.lock);
	return 0;
}

/*
 * Copy one piece of a page between the kernel and a resident line, under the lock
 * so it cannot be evicted meanwhile. -EAGAIN when the page is not resident (or not
 * writable, for a write): the caller faults it in and tries again.
 */
static int copy_page(struct mm *mm, uint64_t uva, void *kbuf, size_t n, bool to_user)
{
	struct excache_line *l;
	uint64_t frame;
	int err = -EAGAIN;

	spin_lock(&xc.lock);
	if (resident(mm, PAGE_ALIGN_DOWN(uva), &frame, &l) &&
	    (!to_user || ((l->prot & PROT_WRITE) && l->backed))) {
		uint8_t *k = (uint8_t *)phys_to_virt(frame) + (uva & (PAGE_SIZE - 1));

		if (to_user) {
			memcpy(k, kbuf, n);
			l->dirty = true;
		} else {
			memcpy(kbuf, k, n);
		}
		err = 0;
	}
	spin_unlock(&xc.lock);
	return err;
}

static int copy_user(struct mm *mm, uint64_t uva, void *kbuf, size_t n, bool to_user)
{
	if (uva < VMA_MIN || uva > VMA_MAX || n > VMA_MAX - uva)
		return -EFAULT;
	while (n) {
		size_t chunk = PAGE_SIZE - (uva & (PAGE_SIZE - 1));

		if (chunk > n)
			chunk = n;
		/*
		 * Fault the page in until it stays for the copy, as the CPU retries a user
		 * access: a page lost again meanwhile went to another miss, which made
		 * progress. A bound here failed good copies with -EFAULT under thrashing.
		 */
		while (copy_page(mm, uva, kbuf, chunk, to_user) == -EAGAIN) {
			if (excache_fault(mm, uva, to_user))
				return -EFAULT;
		}
		uva += chunk;
		kbuf = (uint8_t *)kbuf + chunk;
		n -= chunk;
	}
	return 0;
}

int excache_peek(struct mm *mm, void *dst, uint64_t uva, size_t n)
{
	if ((uva & (PAGE_SIZE - 1)) + n > PAGE_SIZE)
		return -EINVAL;
	return copy_page(mm, uva, dst, n, false);
}

int excache_copy_in(struct mm *mm, void *dst, uint64_t uva, size_t n)
{
	return copy_user(mm, uva, dst, n, false);
}

int excache_copy_out(struct mm *mm, uint64_t uva, const void *src, size_t n)
{
	return copy_user(mm, uva, (void *)src, n, true);
}

/*
 * Claim mm's next valid line in [start, end) among lines *i..last-1; -1 when there is
 * none. -EAGAIN when another thread is evicting one of them: its write-back must
 * land before the range changes, so the caller waits and asks again.
 */
static int claim_range(struct mm *mm, uint64_t start, uint64_t end, unsigned *i,
		       unsigned last)
{
	int found = -1;

	spin_lock(&xc.lock);
	for (; *i < last && found == -1; (*i)++) {
		struct excache_line *l = &xc.lines[*i];
		bool ours = l->mm == mm && l->va >= start && l->va < end;
		bool leaving = l->wb_mm == mm && l->wb_va >= start && l->wb_va < end;

		if (l->state == LINE_FREE || !(ours || leaving))
			continue;
		if (l->state == LINE_BUSY) {
			found = -EAGAIN;
			break;
		}
		l->state = LINE_BUSY;
		found = (int)*i;
	}
	spin_unlock(&xc.lock);
	return found;
}

/* Evict mm's lines in [start, end) found among lines first..last-1. */
static void flush_lines(struct mm *mm, uint64_t start, uint64_t end, unsigned first,
			unsigned last, bool writeback_dirty)
{
	unsigned i = first;
	int idx;

	while ((idx = claim_range(mm, start, end, &i, last)) != -1) {
		if (idx == -EAGAIN) {
			sleep_ns(RETRY_NS);
			continue;
		}
		evict(&xc.lines[idx], (unsigned)idx, writeback_dirty);
		spin_lock(&xc.lock);
		xc.lines[idx] = (struct excache_line){ .state = LINE_FREE };
		xc.resident--;
		spin_unlock(&xc.lock);
	}
}

/*
 * A range of fewer pages than there are sets is looked for page by page, in the one
 * set each page can be in (a single-page flush costs one set, not the whole cache);
 * a larger one scans every line once.
 */
void excache_flush(struct mm *mm, uint64_t start, uint64_t end, bool writeback_dirty)
{
	start = PAGE_ALIGN_DOWN(start);
	if (start >= end)
		return;
	if ((end - start) / PAGE_SIZE >= xc.nsets) {
		flush_lines(mm, start, end, 0, xc.nsets * xc.ways, writeback_dirty);
		return;
	}
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		unsigned first = set_of(mm, va) * xc.ways;

		flush_lines(mm, va, va + PAGE_SIZE, first, first + xc.ways, writeback_dirty);
	}
}

/*
 * mm's last user is gone and its page tables go next: free its lines without
 * unmapping them, then wait out other threads still evicting one of them (they
 * unmap from mm's tables and may write back with mm's id).
 */
void excache_drop(struct mm *mm)
{
	unsigned n = xc.nsets * xc.ways;

	for (;;) {
		spin_lock(&xc.lock);
		for (unsigned i = 0; i < n; i++) {
			struct excache_line *l = &xc.lines[i];

			if (l->state == LINE_VALID && l->mm == mm) {
				*l = (struct excache_line){ .state = LINE_FREE };
				xc.resident--;
			}
		}
		if (mm->evicting == 0) {
			spin_unlock(&xc.lock);
			return;
		}
		spin_unlock(&xc.lock);
		sleep_ns(RETRY_NS);
	}
}

void excache_usage(unsigned *lines, unsigned *resident)
{
	*lines = xc.nsets * xc.ways;
	*resident = __atomic_load_n(&xc.resident, __ATOMIC_RELAXED);
}

/* Counters of mm (or the node), after sampling every resident line's accessed bit. */
void excache_stats(struct mm *mm, struct p2x_exstats *out)
{
	const struct excache_counters *c = mm ? &mm->stats : &xc.node;

	spin_lock(&xc.lock);
	for (unsigned s = 0; s < xc.nsets; s++)
		sample(&xc.lines[s * xc.ways]);
	*out = (struct p2x_exstats){
		.hits = c->hits, .misses = c->misses, .evictions = c->evictions,
		.writebacks = c->writebacks, .writeback_errors = c->writeback_errors, .lines = xc.nsets * xc.ways, .ways = xc.ways,
		.policy = xc.policy, .resident = xc.resident, .miss_ns_total = c->miss_ns_total,
	};
	memcpy(out->hist, c->hist, sizeof(out->hist));
	spin_unlock(&xc.lock);
}
