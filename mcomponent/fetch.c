/*
 * Pages in and out of the store: P2M_FETCH and P2M_WRITEBACK from the pmon running a
 * process, M2M_PAGE_PUT from its home during exec. Every request is checked against
 * the space's vmas before a page moves; see docs/memory.md for the errors. A
 * write-back reaches the vRegion's other copy before it is answered (replica.c).
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/page.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "mmon.h"

/*
 * May peer's request touch the page at va with access need (0: any vma will do)?
 * -EINVAL unaligned, -EFAULT no vma, -EPERM a vRegion this node keeps no copy of,
 * -EACCES no permission. x86 cannot map execute-only, so PROT_EXEC allows a read, as
 * on Linux.
 */
static int page_check(struct space *s, uint64_t va, uint32_t need, const char *what,
		      uint8_t peer, uint32_t *prot)
{
	struct vma *v;
	uint32_t have;

	if (va & (PAGE_SIZE - 1))
		return -EINVAL;
	v = vma_find(&s->vs, va);
	if (!v) {
		pr_debug("%s mm=%u va=%#lx from node %u: no vma", what, s->mm, va, peer);
		return -EFAULT;
	}
	if (!replica_holds(s, vregion_of(va))) {
		mmon_refuse(what, s->mm, peer, "vRegion kept by other mmons");
		return -EPERM;
	}
	have = v->prot & PROT_EXEC ? v->prot | PROT_READ : v->prot;
	if (need & ~have) {
		mmon_refuse(what, s->mm, peer, "access not allowed by the vma");
		return -EACCES;
	}
	*prot = v->prot;
	return 0;
}

/* P2M_FETCH: the page at va with its vma's prot; a write fetch needs PROT_WRITE. */
int fetch_page(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
	       size_t resp_max)
{
	struct m2p_fetch a = { 0 };
	struct p2m_fetch q;
	struct space *s;
	uint32_t prot;
	bool write, unbacked;
	int err;

	(void)ctx, (void)len;
	memcpy(&q, req, sizeof(q));
	if (resp_max < sizeof(a) + NET_PAGE_SIZE)
		return -ENOSPC;
	if (q.flags & ~FETCH_WRITE)
		return -EINVAL;
	write = q.flags & FETCH_WRITE;
	err = space_get_pmon(q.mm, peer, "fetch", &s);
	if (err)
		return err;
	err = page_check(s, q.va, write ? PROT_WRITE : PROT_READ, "fetch", peer, &prot);
	if (!err)
		err = pages_fetch(s, q.va, write, (uint8_t *)resp + sizeof(a), &unbacked);
	space_put(s);
	if (err)
		return err;
	a.prot = prot;
	a.flags = unbacked ? M2P_FETCH_UNBACKED : 0;
	memcpy(resp, &a, sizeof(a));
	return sizeof(a) + NET_PAGE_SIZE;
}

int fetch_store(struct space *s, uint64_t va, uint32_t need, const char *what, uint8_t peer,
		const void *page)
{
	uint32_t prot;
	int err;

	err = page_check(s, va, need, what, peer, &prot);
	return err ? err : pages_write(s, va, page);
}

/*
 * P2M_WRITEBACK: a dirty page back from the pmon; its vma must still be writable.
 * Answered once the vRegion's other copy has it too.
 */
int fetch_writeback(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		    size_t resp_max)
{
	const uint8_t *page = (const uint8_t *)req + sizeof(struct p2m_writeback);
	struct p2m_writeback q;
	struct space *s;
	int err, other = -ENOENT;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&q, req, sizeof(q));
	err = space_get_pmon(q.mm, peer, "write-back", &s);
	if (err)
		return err;
	err = fetch_store(s, q.va, PROT_WRITE, "write-back", peer, page);
	if (!err)
		other = replica_other(s, q.va);
	space_put(s);
	if (!err && other >= 0)
		err = replica_put(q.mm, q.va, page, (uint8_t)other);
	if (!err)
		mmon_count(&mmon_stats.writebacks);
	return err;
}

/* M2M_PAGE_PUT: an image page from the home, into any vma of the mirror. */
int fetch_page_put(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		   size_t resp_max)
{
	struct m2m_page q;
	struct space *s;
	int err;

	(void)ctx, (void)len, (void)resp, (void)resp_max;
	memcpy(&q, req, sizeof(q));
	err = space_get_home(q.mm, peer, "page-put", &s);
	if (err)
		return err;
	err = fetch_store(s, q.va, 0, "page-put", peer, (const uint8_t *)req + sizeof(q));
	space_put(s);
	return err;
}
