/*
 * Host stand-ins for what pcomponent/excache.c links against (excache_host.h):
 * kmalloc and frames from the host's heap, page tables that are arrays of fake PTEs
 * (root is the struct host_space), and a network whose owner mmons keep each page,
 * answer after a random delay, fail on demand, and check every page that reaches them
 * against what its program last stored. Every stub is a scheduling point.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "linux-abi/linux.h"
#include "pcomponent/process.h"
#include "excache_host.h"

#define FETCH_LEN (sizeof(struct m2p_fetch) + PAGE_SIZE)
#define WB_LEN (sizeof(struct p2m_writeback) + PAGE_SIZE)
#define WB_FAILS_MAX 2			/* transient failures in a row: the third try works */

struct host_state host;

void host_net_poll(uint64_t now);
uint64_t host_net_next(void);

void host_reset(void)
{
	host_cleanup();
	memset(&host.net, 0, sizeof(host.net));
	host.kmalloc_fail = 0;
	host.kills = host.spurious = host.warnings = 0;
	host.ro_last = host.spurious_ok = false;
	host.on_unmap = host.on_map = NULL;
	host.log[0] = '\0';
}

void host_cleanup(void)
{
	if (host.inflight)
		host_fail("%u messages still in flight after the run", host.inflight);
	for (unsigned i = 0; i < host.nspaces; i++) {
		free(host.spaces[i]->mm);
		free(host.spaces[i]);
		host.spaces[i] = NULL;
	}
	host.nspaces = 0;
}

uint64_t host_va(unsigned page)
{
	return HOST_VA + (uint64_t)page * PAGE_SIZE;
}

/* Pages alternate between the two owners, so one down takes half of each space. */
unsigned host_owner(unsigned page)
{
	return 1 + (page & 1);
}

struct host_space *host_space_of(const struct mm *mm)
{
	for (unsigned i = 0; i < host.nspaces; i++)
		if (host.spaces[i]->mm == mm || host.spaces[i]->was == mm)
			return host.spaces[i];
	return NULL;
}

static struct host_space *space_by_id(uint32_t id)
{
	return id && id <= host.nspaces ? host.spaces[id - 1] : NULL;
}

/* The page of s at va, or -1 when va is none of its pages. */
static int page_at(const struct host_space *s, uint64_t va)
{
	if (va < HOST_VA || (va & (PAGE_SIZE - 1)) || va >= host_va(s->npages))
		return -1;
	return (int)((va - HOST_VA) >> PAGE_SHIFT);
}

bool host_space_lost(const struct host_space *s)
{
	return s->killed || s->lost || (s->mm && __atomic_load_n(&s->mm->lost, __ATOMIC_ACQUIRE));
}

struct host_space *host_space_new(unsigned npages, int users)
{
	struct host_space *s = calloc(1, sizeof(*s));
	struct mm *mm = calloc(1, sizeof(*mm));

	if (!s || !mm || npages > HOST_PAGES || host.nspaces == HOST_SPACES)
		host_fail("host_space_new: no room for a space of %u pages", npages);
	host.spaces[host.nspaces++] = s;
	*mm = (struct mm){ .id = host.nspaces, .home = 1, .root = (uintptr_t)s, .refs = users };
	*s = (struct host_space){ .mm = mm, .id = mm->id, .npages = npages, .users = users };
	for (unsigned p = 0; p < npages; p++) {
		s->page[p] = (struct host_page){ .mapped = true, .known = true };
		s->store[p] = (struct host_stored){ .mapped = true,
						    .prot = PROT_READ | PROT_WRITE };
	}
	if (host.ro_last) {
		struct host_stored *st = &s->store[npages - 1];

		st->prot = PROT_READ;
		st->backed = true;
		for (unsigned i = 0; i < PAGE_SIZE; i++)
			st->data[i] = (uint8_t)(i * 7 + s->id);
		memcpy(s->page[npages - 1].shadow, st->data, PAGE_SIZE);
	}
	return s;
}

/* The last user is gone: drop s from the cache, which must then hold nothing of it. */
static void space_exit(struct host_space *s)
{
	struct mm *mm = s->mm;

	unsigned sleeps = host_current()->sleeps;

	s->dropping = true;
	host_trace("drop", s->id, 0);
	excache_drop(mm);
	host.cover.drop_waits += host_current()->sleeps != sleeps;
	host_trace("dropped", s->id, 0);
	if (excache_host_refs(mm, ~0ULL, false))
		host_fail("mm %u: a line still names it after excache_drop returned", s->id);
	if (mm->evicting)
		host_fail("mm %u: excache_drop returned with %d evictions in flight", s->id,
			  mm->evicting);
	for (unsigned i = 0; i < HOST_MSGS; i++)
		if (host.msgs[i].used && host.msgs[i].mm == s->id)
			host_fail("mm %u: a message of it in flight after excache_drop returned",
				  s->id);
	s->final = mm->stats;
	s->lost = mm->lost;
	s->dead = true;
	s->was = mm;
	s->mm = NULL;
	free(mm);		/* a late touch of it is a use-after-free for ASan */
}

void host_space_leave(struct host_space *s)
{
	if (--s->users == 0)
		space_exit(s);
}

/* ---- memory ---- */

void *kmalloc(size_t size)
{
	void *p;

	host_point();
	if (host.kmalloc_fail && --host.kmalloc_fail == 0)
		return NULL;
	p = malloc(size);
	host.kmallocs += p != NULL;
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	return p ? memset(p, 0, size) : NULL;
}

void kfree(void *p)
{
	host_point();
	host.kmallocs -= p != NULL;
	free(p);
}

/* The cache's frames: freed by excache_host_fini(). */
void *page_alloc(unsigned order)
{
	void *p = aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);

	return p ? memset(p, 0, PAGE_SIZE << order) : NULL;
}

size_t page_free_count(void)
{
	return 1 << 20;
}

/* ---- page tables ---- */

/* The space whose page table root is, and va's page in it; fails unless both are live. */
static struct host_space *table_at(uint64_t root, uintptr_t va, unsigned *page,
				   const char *what)
{
	struct host_space *s = NULL;
	int p;

	for (unsigned i = 0; i < host.nspaces && !s; i++)
		if ((uintptr_t)host.spaces[i] == root)
			s = host.spaces[i];
	if (!s)
		host_fail("%s: %#llx is no page table", what, (unsigned long long)root);
	if (s->dead)
		host_fail("%s of mm %u after it exited (excache_drop returned too early?)", what,
			  s->id);
	p = page_at(s, va);
	if (p < 0)
		host_fail("%s of mm %u at %#lx: not one of its pages", what, s->id, va);
	*page = (unsigned)p;
	return s;
}

int pgtable_map(uint64_t root, uintptr_t va, uint64_t pa, unsigned flags)
{
	unsigned p;
	struct host_space *s;
	struct host_pte *e;

	host_point();
	s = table_at(root, va, &p, "pgtable_map");
	if (host.on_map)
		host.on_map(s, p);
	e = &s->pte[p];
	host_trace("map", s->id << 16 | p, flags);
	if (e->present) {
		host_trace("map: -EEXIST", s->id << 16 | p, e->pa);
		return -EEXIST;		/* as arch/x86/paging.c answers */
	}
	if (!(flags & PG_USER) || (pa & (PAGE_SIZE - 1)))
		host_fail("pgtable_map of mm %u page %u: flags %#x pa %#llx", s->id, p, flags,
			  (unsigned long long)pa);
	*e = (struct host_pte){ .pa = pa, .present = true, .write = flags & PG_WRITE };
	return 0;
}

int pgtable_unmap(uint64_t root, uintptr_t va, uint64_t *pa, unsigned *flags)
{
	unsigned p;
	struct host_space *s;
	struct host_pte *e;

	host_point();
	s = table_at(root, va, &p, "pgtable_unmap");
	if (host.on_unmap)
		host.on_unmap(s, p);
	e = &s->pte[p];
	host_trace("unmap", s->id << 16 | p, e->present | e->dirty << 1);
	if (!e->present)
		return -ENOENT;
	if (pa)
		*pa = e->pa;
	if (flags)
		*flags = PG_USER | (e->write ? PG_WRITE : 0) | (e->accessed ? PG_ACCESSED : 0) |
			 (e->dirty ? PG_DIRTY : 0);
	*e = (struct host_pte){ 0 };
	return 0;
}

bool pgtable_test_clear_accessed(uint64_t root, uintptr_t va)
{
	unsigned p;
	struct host_space *s;
	bool young;

	host_point();
	s = table_at(root, va, &p, "pgtable_test_clear_accessed");
	young = s->pte[p].present && s->pte[p].accessed;
	s->pte[p].accessed = false;
	return young;
}

/* ---- process and mm hooks ---- */

int mm_owner(struct mm *mm, uint64_t va)
{
	struct host_space *s = host_space_of(mm);
	int p;

	host_point();
	if (!s || s->dead)
		host_fail("mm_owner of an mm that %s", s ? "exited" : "was never made");
	p = page_at(s, PAGE_ALIGN_DOWN(va));
	return (int)host_owner(p < 0 ? 0 : (unsigned)p);
}

/* One owner per page and no failover here: a failed call is never sent elsewhere. */
int mm_owner_retry(struct mm *mm, uint64_t va, uint8_t owner, int err, uint64_t *deadline)
{
	(void)mm, (void)va, (void)owner, (void)deadline;
	host_point();
	return err;
}

void proc_kill_mm(struct mm *mm, int sig)
{
	struct host_space *s = host_space_of(mm);

	host_point();
	if (!s || s->dead)
		host_fail("proc_kill_mm of an mm that %s", s ? "exited" : "was never made");
	if (sig != SIGBUS || !mm->lost)
		host_fail("mm %u killed with signal %d, lost %d", s->id, sig, mm->lost);
	if (host_current() && host_current()->locks)
		host_fail("proc_kill_mm under a spinlock");
	s->killed = true;
	host.kills++;
}

void printk(enum log_level level, const char *subsys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(host.log, sizeof(host.log), fmt, ap);
	va_end(ap);
	host.warnings += level <= LOG_WARN;
	if (getenv("EXCACHE_LOG"))
		fprintf(stderr, "[%d %s] %s\n", level, subsys, host.log);
}

/* ---- the network ---- */

static uint64_t sum_of(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* Most answers come quickly, some take ten times the usual delay. */
static uint64_t delay(void)
{
	unsigned r = host_below(100);
	uint64_t d = host.net.delay_ns;

	if (r < 60)
		return host_below((unsigned)(d / 10 + 1));
	if (r < 95)
		return host_below((unsigned)(d + 1));
	return d + host_below((unsigned)(10 * d + 1));
}

/* Does this attempt at writing back (s, p) fail? Transient ones never fail thrice. */
static bool wb_fails(struct host_space *s, int p, uint8_t peer, unsigned permille)
{
	if (p < 0)
		return false;
	if (host.net.down[peer])
		return true;
	if (s->wb_fails[p] >= WB_FAILS_MAX || !host_chance(permille))
		return false;
	s->wb_fails[p]++;
	return true;
}

/* Parse what every message names; fails on what excache.c should never send. */
static struct host_space *msg_target(uint8_t peer, uint16_t opcode, const void *req,
				     size_t len, size_t resp_max, uint32_t *mm, uint64_t *va)
{
	struct p2m_fetch f;
	struct p2m_writeback w;
	struct host_space *s;

	if (peer == 0 || peer >= HOST_NODES)
		host_fail("message to node %u, which is no owner", peer);
	if (opcode == P2M_FETCH && len == sizeof(f) && resp_max >= FETCH_LEN) {
		memcpy(&f, req, sizeof(f));
		*mm = f.mm, *va = f.va;
	} else if (opcode == P2M_WRITEBACK && len == WB_LEN && resp_max == 0) {
		memcpy(&w, req, sizeof(w));
		*mm = w.mm, *va = w.va;
	} else {
		host_fail("message %u of %zu bytes (answer room %zu): not a fetch or write-back",
			  opcode, len, resp_max);
	}
	s = space_by_id(*mm);
	if (!s || s->dead)
		host_fail("%s of mm %u, which %s", opcode == P2M_FETCH ? "fetch" : "write-back",
			  *mm, s ? "exited (excache_drop returned too early?)" : "was never made");
	return s;
}

int msg_rpc_start(struct msg_call *c, uint8_t peer, uint16_t opcode, const void *req,
		  size_t len, void *resp, size_t resp_max, uint64_t timeout_ns)
{
	struct host_thread *me = host_current();
	struct host_space *s;
	struct host_msg *m = NULL;
	uint32_t mm;
	uint64_t va;

	(void)timeout_ns;
	host_point();
	if (!me || me->locks)
		host_fail("an RPC started %s", me ? "under a spinlock" : "outside a thread");
	s = msg_target(peer, opcode, req, len, resp_max, &mm, &va);
	if (opcode == P2M_WRITEBACK && wb_fails(s, page_at(s, va), 0, host.net.wb_fail / 2)) {
		s->wb_tries++;
		host.cover.wb_failed++;
		host_trace("wb start fails", mm << 16 | (va >> PAGE_SHIFT & 0xffff), peer);
		return -EHOSTUNREACH;
	}
	for (unsigned i = 0; i < HOST_MSGS && !m; i++)
		if (!host.msgs[i].used)
			m = &host.msgs[i];
	if (!m)
		host_fail("more than %u messages in flight", HOST_MSGS);
	*m = (struct host_msg){ .call = c, .from = me, .due = host_now() + delay(), .req = req,
				.len = len, .resp = resp, .resp_max = resp_max,
				.sum = sum_of(req, len), .mm = mm, .va = va, .opcode = opcode,
				.peer = peer, .used = true };
	c->done = false;
	c->status = 0;
	host.inflight++;
	host_trace(opcode == P2M_FETCH ? "fetch start" : "wb start",
		   mm << 16 | (va >> PAGE_SHIFT & 0xffff), peer);
	return 0;
}

static bool call_done(void *arg)
{
	return ((struct msg_call *)arg)->done;
}

int msg_rpc_wait(struct msg_call *c)
{
	struct host_thread *me = host_current();

	if (!me || me->locks)
		host_fail("msg_rpc_wait %s", me ? "under a spinlock" : "outside a thread");
	host_wait(call_done, c);
	return c->status;
}

int msg_rpc(uint8_t peer, uint16_t opcode, const void *req, size_t len, void *resp,
	    size_t resp_max, uint64_t timeout_ns)
{
	struct msg_call c;
	int err = msg_rpc_start(&c, peer, opcode, req, len, resp, resp_max, timeout_ns);

	return err ? err : msg_rpc_wait(&c);
}

/* P2M_FETCH, as mcomponent/fetch.c answers it; the page must be what its program wrote. */
static int owner_fetch(struct host_space *s, const struct host_msg *m)
{
	struct p2m_fetch q;
	struct m2p_fetch a;
	struct host_stored *st;
	int p = page_at(s, m->va);
	bool write;

	memcpy(&q, m->req, sizeof(q));
	if (q.flags & ~FETCH_WRITE)
		host_fail("fetch with flags %#x", q.flags);
	if (host_chance(host.net.fetch_fail)) {
		m->from->injected++;
		host.cover.fetch_failed++;
		return -ETIMEDOUT;
	}
	if (p < 0 || !s->store[p].mapped)
		return -EFAULT;
	st = &s->store[p];
	write = q.flags & FETCH_WRITE;
	if (!(st->prot & (write ? PROT_WRITE : PROT_READ)))
		return -EACCES;
	if (m->peer != host_owner((unsigned)p))
		host_fail("fetch of mm %u page %d from node %u; node %u owns it", s->id, p,
			  m->peer, host_owner((unsigned)p));
	if (!host_matches(s, (unsigned)p, st->data, 0, PAGE_SIZE))
		host_fail("fetch of mm %u page %d: its owner's copy is not what the program "
			  "stored (a write-back lost, or overtaken by this fetch)", s->id, p);
	st->backed |= write;
	a = (struct m2p_fetch){ .prot = st->prot, .flags = st->backed ? 0 : M2P_FETCH_UNBACKED };
	memcpy(m->resp, &a, sizeof(a));
	memcpy((uint8_t *)m->resp + sizeof(a), st->data, PAGE_SIZE);
	s->fetches++;
	return (int)FETCH_LEN;
}

/* P2M_WRITEBACK: only a page the program wrote comes back, to its owner, intact. */
static int owner_writeback(struct host_space *s, const struct host_msg *m)
{
	const uint8_t *data = (const uint8_t *)m->req + sizeof(struct p2m_writeback);
	int p = page_at(s, m->va);
	struct host_stored *st;

	if (p < 0)
		host_fail("write-back of mm %u at %#llx: not one of its pages", s->id,
			  (unsigned long long)m->va);
	st = &s->store[p];
	s->wb_tries++;
	if (m->peer != host_owner((unsigned)p))
		host_fail("write-back of mm %u page %d to node %u; node %u owns it", s->id, p,
			  m->peer, host_owner((unsigned)p));
	if (wb_fails(s, p, m->peer, host.net.wb_fail)) {
		host.cover.wb_failed++;
		return -ETIMEDOUT;
	}
	if (!st->mapped) {
		host.cover.wb_unmapped++;
		s->wb_fails[p] = 0;	/* final: excache.c tries no more */
		return -EFAULT;
	}
	if (!(st->prot & PROT_WRITE) || !st->backed)
		host_fail("write-back of mm %u page %d, which is %s", s->id, p,
			  st->backed ? "read-only" : "unbacked: nobody could write it");
	if (!host_matches(s, (unsigned)p, data, 0, PAGE_SIZE))
		host_fail("write-back of mm %u page %d carries other bytes than the program "
			  "stored", s->id, p);
	memcpy(st->data, data, PAGE_SIZE);
	s->wb_fails[p] = 0;
	s->writebacks++;
	return 0;
}

static void answer(struct host_msg *m)
{
	struct host_space *s = space_by_id(m->mm);
	int status;

	if (!s || s->dead)
		host_fail("an answer for mm %u, which exited", m->mm);
	if (sum_of(m->req, m->len) != m->sum)
		host_fail("the request buffer of mm %u va %#llx changed in flight", m->mm,
			  (unsigned long long)m->va);
	status = m->opcode == P2M_FETCH ? owner_fetch(s, m) : owner_writeback(s, m);
	host_trace(m->opcode == P2M_FETCH ? "fetch answered" : "wb answered",
		   m->mm << 16 | (m->va >> PAGE_SHIFT & 0xffff), (uint64_t)(int64_t)status);
	m->used = false;
	host.inflight--;
	m->call->status = status;
	m->call->done = true;
}

static bool held(const struct host_msg *m)
{
	return host.net.hold && host.net.hold(m);
}

/* Answer what is due and not held, in a random order. */
void host_net_poll(uint64_t now)
{
	unsigned start;

	if (!host.inflight)
		return;
	start = host_below(HOST_MSGS);
	for (unsigned k = 0; k < HOST_MSGS; k++) {
		struct host_msg *m = &host.msgs[(start + k) % HOST_MSGS];

		if (m->used && m->due <= now && !held(m))
			answer(m);
	}
}

uint64_t host_net_next(void)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < HOST_MSGS; i++) {
		const struct host_msg *m = &host.msgs[i];

		if (m->used && !held(m) && m->due < next)
			next = m->due;
	}
	return next;
}
