/*
 * The programs of the ExCache's host tests (excache_host.h): loads and stores that
 * go through a space's fake page table as the CPU's would, faulting into the cache
 * when the page is not there; kernel copies through excache_copy_in/out; munmap,
 * mmap and the write-back flush of fork. Each keeps the model of what its program
 * stored (struct host_page) and checks every byte it reads back against it. A load
 * or store is one step (no point inside it), as a TLB-coherent CPU access is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/errno.h"
#include "kernel/paging.h"
#include "linux-abi/linux.h"
#include "mcomponent/vma.h"
#include "excache_host.h"

#define LIVELOCK_TRIES 100000		/* faults one access may take before we give up */

/* The page of s that holds [va, va + n); the access must stay inside it. */
static unsigned page_of(const struct host_space *s, uint64_t va, size_t n)
{
	uint64_t p = (va - HOST_VA) >> PAGE_SHIFT;

	if (va < HOST_VA || p >= s->npages || !n || (va & (PAGE_SIZE - 1)) + n > PAGE_SIZE)
		host_fail("access of %zu bytes at %#llx: not inside one page of mm %u", n,
			  (unsigned long long)va, s->id);
	return (unsigned)p;
}

/* A load or store found page p at frame: it must hold what the program stored. */
static void check_frame(struct host_space *s, unsigned p, const uint8_t *frame,
			const char *what)
{
	struct host_page *pg = &s->page[p];

	if (!pg->mapped)
		host_fail("%s of mm %u page %u went through, but it is unmapped: a line outlived "
			  "munmap", what, s->id, p);
	if (!host_matches(s, p, frame, 0, PAGE_SIZE)) {
		unsigned i = 0;

		while (frame[i] == pg->shadow[i])
			i++;
		host_fail("%s of mm %u page %u: byte %u is %#x, the program stored %#x", what,
			  s->id, p, i, frame[i], pg->shadow[i]);
	}
	if (!pg->known && pg->pin == PIN_NONE) {
		memcpy(pg->shadow, frame, PAGE_SIZE);	/* what a failed copy left there */
		pg->known = true;
	}
}

/* Access page p through the page table, faulting it in until the access can be made. */
static int access_page(struct host_space *s, uint64_t va, const void *src, size_t n,
		       bool write)
{
	unsigned p = page_of(s, va, n), gen = s->page[p].gen;
	struct host_page *pg = &s->page[p];
	struct host_pte *e = &s->pte[p];

	for (unsigned tries = 0; tries < LIVELOCK_TRIES; tries++) {
		int err;

		host_point();
		if (pg->gen != gen || pg->pin == PIN_FLUX || (write && pg->pin != PIN_NONE))
			return -ECANCELED;
		if (e->present && (!write || e->write)) {
			uint8_t *frame = phys_to_virt(e->pa);

			check_frame(s, p, frame, write ? "store" : "load");
			e->accessed = true;
			if (write) {
				memcpy(frame + (va & (PAGE_SIZE - 1)), src, n);
				memcpy(pg->shadow + (va & (PAGE_SIZE - 1)), src, n);
				e->dirty = true;
			}
			return 0;
		}
		host.cover.faults++;
		err = excache_fault(s->mm, va, write);
		if (err)
			return err;
	}
	host_fail("mm %u page %u never stays resident long enough to be accessed", s->id, p);
}

int host_load(struct host_space *s, uint64_t va, size_t n)
{
	return access_page(s, va, NULL, n, false);
}

int host_store(struct host_space *s, uint64_t va, const void *src, size_t n)
{
	return access_page(s, va, src, n, true);
}

/* Pin pages [first, last] of s for one operation, if nothing else has pinned them. */
static bool pin(struct host_space *s, unsigned first, unsigned last, enum host_pin how)
{
	for (unsigned p = first; p <= last; p++)
		if (s->page[p].pin != PIN_NONE)
			return false;
	for (unsigned p = first; p <= last; p++)
		s->page[p].pin = (uint8_t)how;
	return true;
}

static void unpin(struct host_space *s, unsigned first, unsigned last)
{
	for (unsigned p = first; p <= last; p++) {
		s->page[p].pin = PIN_NONE;
		s->page[p].incoming = NULL;
	}
}

/* The pages [va, va + n) covers; the range must be inside s. */
static void range(const struct host_space *s, uint64_t va, size_t n, unsigned *first,
		  unsigned *last)
{
	if (va < HOST_VA || !n || va + n > host_va(s->npages))
		host_fail("copy of %zu bytes at %#llx: outside mm %u", n, (unsigned long long)va,
			  s->id);
	*first = (unsigned)((va - HOST_VA) >> PAGE_SHIFT);
	*last = (unsigned)((va + n - 1 - HOST_VA) >> PAGE_SHIFT);
}

/* Page p's part of the copy [va, va + n): [*lo, *hi) of the page, at buf + *at. */
static void chunk(unsigned p, uint64_t va, size_t n, unsigned *lo, unsigned *hi, size_t *at)
{
	uint64_t start = host_va(p) > va ? host_va(p) : va;
	uint64_t end = host_va(p + 1) < va + n ? host_va(p + 1) : va + n;

	*lo = (unsigned)(start - host_va(p));
	*hi = (unsigned)(end - host_va(p));
	*at = start - va;
}

/* May a copy of pages [first, last] fail? Yes if one is unmapped (or read-only). */
static bool copy_may_fail(const struct host_space *s, unsigned first, unsigned last,
			  bool write, unsigned injected)
{
	if (host_current()->injected != injected)
		return true;
	for (unsigned p = first; p <= last; p++)
		if (!s->page[p].mapped || (write && !(s->store[p].prot & PROT_WRITE)))
			return true;
	return false;
}

/* A copy failed: legitimately, or spuriously (counted; the caller decides). */
static void copy_failed(struct host_space *s, unsigned first, unsigned last, int err,
			bool write, unsigned injected)
{
	if (err != -EFAULT)
		host_fail("excache_copy_%s returned %d, not 0 or -EFAULT", write ? "out" : "in", err);
	if (!copy_may_fail(s, first, last, write, injected)) {
		host.spurious++;
		host_trace("spurious -EFAULT", s->id << 16 | first, last);
		if (!host.spurious_ok)
			host_fail("excache_copy_%s of mm %u pages %u..%u: -EFAULT, but every page "
				  "is mapped and %s", write ? "out" : "in", s->id, first, last,
				  write ? "writable" : "readable");
	}
}

int host_copy_in(struct host_space *s, uint64_t va, size_t n)
{
	unsigned first, last, injected = host_current()->injected;
	uint8_t *buf;
	int err;

	range(s, va, n, &first, &last);
	if (!pin(s, first, last, PIN_COPY))
		return -ECANCELED;
	buf = malloc(n);
	host.cover.copies++;
	err = excache_copy_in(s->mm, buf, va, n);
	unpin(s, first, last);
	for (unsigned p = first; p <= last && !err; p++) {
		unsigned lo, hi;
		size_t at;

		chunk(p, va, n, &lo, &hi, &at);
		if (!s->page[p].mapped)
			host_fail("copy_in of mm %u page %u went through, but it is unmapped",
				  s->id, p);
		if (!host_matches(s, p, buf + at, lo, hi - lo))
			host_fail("copy_in of mm %u page %u [%u, %u) is not what the program "
				  "stored", s->id, p, lo, hi);
	}
	if (err)
		copy_failed(s, first, last, err, false, injected);
	free(buf);
	return err;
}

/* After a copy_out that went through: the pages hold its bytes. */
static void copied_out(struct host_space *s, unsigned first, unsigned last, uint64_t va,
		       const uint8_t *src, size_t n)
{
	for (unsigned p = first; p <= last; p++) {
		unsigned lo, hi;
		size_t at;

		chunk(p, va, n, &lo, &hi, &at);
		if (!s->page[p].mapped || !(s->store[p].prot & PROT_WRITE))
			host_fail("copy_out to mm %u page %u went through, but it is %s", s->id,
				  p, s->page[p].mapped ? "read-only" : "unmapped");
		memcpy(s->page[p].shadow + lo, src + at, hi - lo);
	}
}

int host_copy_out(struct host_space *s, uint64_t va, const void *src, size_t n)
{
	unsigned first, last, injected = host_current()->injected;
	int err;

	range(s, va, n, &first, &last);
	if (!pin(s, first, last, PIN_COPY))
		return -ECANCELED;
	for (unsigned p = first; p <= last; p++) {
		struct host_page *pg = &s->page[p];
		size_t at;

		chunk(p, va, n, &pg->lo, &pg->hi, &at);
		pg->incoming = (const uint8_t *)src + at;
	}
	host.cover.copies++;
	err = excache_copy_out(s->mm, va, src, n);
	unpin(s, first, last);
	if (!err) {
		copied_out(s, first, last, va, src, n);
		return 0;
	}
	copy_failed(s, first, last, err, true, injected);
	for (unsigned p = first; p <= last; p++)	/* some chunks made it, some not */
		if (s->page[p].mapped && (s->store[p].prot & PROT_WRITE))
			s->page[p].known = false;
	return err;
}

int host_peek(struct host_space *s, uint64_t va, size_t n)
{
	unsigned p = page_of(s, va, n);
	uint8_t buf[PAGE_SIZE];
	int err;

	if (!pin(s, p, p, PIN_COPY))
		return -ECANCELED;
	err = excache_peek(s->mm, buf, va, n);
	unpin(s, p, p);
	if (err && err != -EAGAIN)
		host_fail("excache_peek returned %d, not 0 or -EAGAIN", err);
	if (!err && !s->page[p].mapped)
		host_fail("excache_peek of mm %u page %u went through, but it is unmapped", s->id, p);
	if (!err && !host_matches(s, p, buf, (unsigned)(va & (PAGE_SIZE - 1)), (unsigned)n))
		host_fail("excache_peek of mm %u page %u is not what the program stored", s->id, p);
	return err;
}

int host_munmap(struct host_space *s, unsigned first, unsigned n)
{
	unsigned last = first + n - 1;

	for (unsigned p = first; p <= last; p++)
		if (!s->page[p].mapped)
			return -ECANCELED;
	if (!pin(s, first, last, PIN_FLUX))
		return -ECANCELED;
	host_trace("munmap", s->id << 16 | first, n);
	for (unsigned p = first; p <= last; p++)	/* the home's vm call goes first */
		s->store[p] = (struct host_stored){ .prot = PROT_READ | PROT_WRITE };
	excache_flush(s->mm, host_va(first), host_va(first + n), false);
	for (unsigned p = first; p <= last; p++) {
		if (excache_host_refs(s->mm, host_va(p), true) || s->pte[p].present)
			host_fail("mm %u page %u is still resident after munmap's flush", s->id, p);
		memset(s->page[p].shadow, 0, PAGE_SIZE);
		s->page[p].mapped = false;
		s->page[p].known = true;
		s->page[p].gen++;
	}
	unpin(s, first, last);
	return 0;
}

/* An anonymous mmap over unmapped pages; half the time MAP_FIXED, which flushes. */
int host_mmap(struct host_space *s, unsigned first, unsigned n)
{
	unsigned last = first + n - 1;

	for (unsigned p = first; p <= last; p++)
		if (s->page[p].mapped)
			return -ECANCELED;
	if (!pin(s, first, last, PIN_FLUX))
		return -ECANCELED;
	host_trace("mmap", s->id << 16 | first, n);
	for (unsigned p = first; p <= last; p++) {
		s->store[p] = (struct host_stored){ .mapped = true, .prot = PROT_READ | PROT_WRITE };
		memset(s->page[p].shadow, 0, PAGE_SIZE);
		s->page[p].mapped = s->page[p].known = true;
		s->page[p].gen++;
	}
	if (host_chance(500))
		excache_flush(s->mm, host_va(first), host_va(first + n), false);
	unpin(s, first, last);
	return 0;
}

void host_sync(struct host_space *s)
{
	bool alone = s->users == 1;	/* nobody can fault a page in meanwhile */

	host_trace("sync", s->id, 0);
	excache_flush(s->mm, VMA_MIN, VMA_MAX, true);
	if (!alone || host_space_lost(s))
		return;			/* others run on it and may dirty pages again */
	if (excache_host_refs(s->mm, ~0ULL, false))
		host_fail("mm %u: a line still names it after a flush of everything", s->id);
	for (unsigned p = 0; p < s->npages; p++) {
		const struct host_page *pg = &s->page[p];

		if (pg->mapped && pg->known && pg->pin == PIN_NONE &&
		    memcmp(s->store[p].data, pg->shadow, PAGE_SIZE))
			host_fail("mm %u page %u: after a write-back flush its owner's copy is not "
				  "what the program stored", s->id, p);
	}
}

bool host_matches(const struct host_space *s, unsigned p, const uint8_t *data,
		  unsigned off, unsigned n)
{
	const struct host_page *pg = &s->page[p];

	if (!pg->known || pg->pin == PIN_FLUX || host_space_lost(s))
		return true;
	if (!memcmp(data, pg->shadow + off, n))
		return true;
	if (!pg->incoming)
		return false;
	for (unsigned i = off; i < off + n; i++) {
		bool in = i >= pg->lo && i < pg->hi;

		if (data[i - off] != pg->shadow[i] &&
		    !(in && data[i - off] == pg->incoming[i - pg->lo]))
			return false;
	}
	return true;
}

bool host_fault_ok(const struct host_space *s, unsigned p, unsigned gen, int err,
		   bool write, unsigned injected)
{
	if (!err || err == -ECANCELED || s->page[p].gen != gen || s->page[p].pin == PIN_FLUX)
		return true;		/* a munmap or mmap ran meanwhile: anything goes */
	if (host_current()->injected != injected && (err == -ETIMEDOUT || err == -EFAULT))
		return true;
	if (err == -EFAULT)
		return !s->page[p].mapped;
	if (err == -EACCES)
		return write && !(s->store[p].prot & PROT_WRITE);
	return false;
}
