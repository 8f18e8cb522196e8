/*
 * The ExCache seen from inside, for its host tests (excache_host.h). This file
 * compiles pcomponent/excache.c itself, unchanged (as Linux's tools/testing/vma
 * includes mm/vma.c), so a test can build a fresh cache for every run and check its
 * lines against the page tables and the programs' pages wherever its lock is free.
 */
#include "../../pcomponent/excache.c"
#include <stdio.h>
#include <stdlib.h>
#include "excache_host.h"

static uint64_t *frames_at_init;
static long kmallocs_at_init;

void excache_host_fini(void)
{
	for (unsigned i = 0; xc.frames && i < xc.nsets * xc.ways; i++)
		free(phys_to_virt(xc.frames[i]));
	kfree(xc.lines);
	kfree(xc.frames);
	kfree(xc.hands);
	free(frames_at_init);
	frames_at_init = NULL;
	xc.lines = NULL;
	xc.frames = NULL;
	xc.hands = NULL;
	xc.nsets = xc.ways = xc.resident = 0;
	xc.seq = 0;
	memset(&xc.node, 0, sizeof(xc.node));
}

static unsigned id_of(const struct mm *mm)
{
	const struct host_space *s = mm ? host_space_of(mm) : NULL;

	return s ? s->id : 0;
}

static long long page_no(uint64_t va)
{
	return ((long long)va - (long long)HOST_VA) >> PAGE_SHIFT;
}

/* host_fail's picture of the cache: every line in use. */
static void dump(void)
{
	static const char *const states[] = { "free", "busy", "valid" };

	for (unsigned i = 0; i < xc.nsets * xc.ways; i++) {
		const struct excache_line *l = &xc.lines[i];

		if (l->state == LINE_FREE)
			continue;
		fprintf(stderr, "  line %u: %s mm %u page %lld%s, victim mm %u page %lld\n", i,
			states[l->state % 3], id_of(l->mm), page_no(l->va),
			l->dirty ? " dirty" : "", id_of(l->wb_mm), page_no(l->wb_va));
	}
}

void excache_host_init(unsigned nsets, unsigned ways, enum excache_policy policy)
{
	struct node_config cfg = { .excache_kb = nsets * ways * 4, .excache_ways = ways,
				   .excache_policy = policy };
	unsigned n = nsets * ways;

	excache_host_fini();
	if (excache_init(&cfg) || xc.nsets != nsets || xc.ways != ways)
		host_fail("excache_init of %u sets of %u ways", nsets, ways);
	frames_at_init = malloc(n * sizeof(*frames_at_init));
	memcpy(frames_at_init, xc.frames, n * sizeof(*frames_at_init));
	kmallocs_at_init = host.kmallocs;
	host_fail_dump = dump;
}

unsigned excache_host_nsets(void)
{
	return xc.nsets;
}

unsigned excache_host_set(const struct mm *mm, uint64_t va)
{
	return set_of(mm, va);
}

static bool names(const struct excache_line *l, const struct mm *mm, uint64_t va,
		  bool valid_only)
{
	bool page = l->mm == mm && (va == ~0ULL || l->va == va);
	bool victim = l->wb_mm == mm && (va == ~0ULL || l->wb_va == va);

	if (l->state == LINE_FREE)
		return false;
	return valid_only ? l->state == LINE_VALID && page : page || victim;
}

unsigned excache_host_refs(const struct mm *mm, uint64_t va, bool valid_only)
{
	unsigned n = 0;

	for (unsigned i = 0; i < xc.nsets * xc.ways; i++)
		n += names(&xc.lines[i], mm, va, valid_only);
	return n;
}

void excache_host_node(struct excache_counters *out, unsigned *resident)
{
	*out = xc.node;
	*resident = xc.resident;
}

/* The live space line i's mm (or victim's) is; fails if it exited or never was. */
static struct host_space *line_space(unsigned i, const struct mm *mm, const char *what)
{
	struct host_space *s = host_space_of(mm);

	if (!s)
		host_fail("line %u: its %s %p is no mm of the test", i, what, (const void *)mm);
	if (s->dead)
		host_fail("line %u: its %s is mm %u, which exited", i, what, s->id);
	return s;
}

/* A valid line is mapped at its frame, and holds what its program stored. */
static void check_valid(unsigned i, const struct excache_line *l, struct host_space *s)
{
	int p = l->va >= HOST_VA ? (int)((l->va - HOST_VA) >> PAGE_SHIFT) : -1;
	const struct host_pte *e;

	if (p < 0 || (unsigned)p >= s->npages || (l->va & (PAGE_SIZE - 1)))
		host_fail("line %u: valid for mm %u at %#llx, none of its pages", i, s->id,
			  (unsigned long long)l->va);
	if (s->dropping)
		return;			/* excache_drop leaves its page table alone */
	e = &s->pte[p];
	if (!e->present || e->pa != xc.frames[i])
		host_fail("line %u: valid for mm %u page %d, which is not mapped at its frame", i,
			  s->id, p);
	if (e->write && !((l->prot & PROT_WRITE) && l->backed))
		host_fail("line %u: mm %u page %d mapped writable with no page behind it", i,
			  s->id, p);
	if (!s->page[p].mapped && s->page[p].pin != PIN_FLUX)
		host_fail("line %u: valid for mm %u page %d, which is unmapped", i, s->id, p);
	if (!host_matches(s, (unsigned)p, phys_to_virt(xc.frames[i]), 0, PAGE_SIZE))
		host_fail("line %u: its frame is not what mm %u stored in page %d", i, s->id, p);
}

/* No page is in two lines, as a line's page or as a victim being written back. */
static void check_unique(unsigned i)
{
	const struct excache_line *l = &xc.lines[i];

	for (unsigned j = 0; j < i; j++) {
		const struct excache_line *o = &xc.lines[j];

		if (o->state == LINE_FREE)
			continue;
		if ((o->mm == l->mm && o->va == l->va) ||
		    (l->wb_mm && o->wb_mm == l->wb_mm && o->wb_va == l->wb_va) ||
		    (o->wb_mm == l->mm && o->wb_va == l->va) ||
		    (l->wb_mm == o->mm && l->wb_va == o->va))
			host_fail("lines %u and %u hold the same page: %s mm %u va %#llx (victim "
				  "%#llx) and %s mm %u va %#llx (victim %#llx)", j, i,
				  o->state == LINE_BUSY ? "busy" : "valid", host_space_of(o->mm)->id,
				  (unsigned long long)o->va, (unsigned long long)o->wb_va,
				  l->state == LINE_BUSY ? "busy" : "valid", host_space_of(l->mm)->id,
				  (unsigned long long)l->va, (unsigned long long)l->wb_va);
	}
}

static void check_lines(void)
{
	unsigned used = 0;

	for (unsigned i = 0; i < xc.nsets * xc.ways; i++) {
		const struct excache_line *l = &xc.lines[i];
		struct host_space *s;

		if (xc.frames[i] != frames_at_init[i])
			host_fail("line %u: its frame moved", i);
		if (l->state == LINE_FREE)
			continue;
		used++;
		if (l->state != LINE_BUSY && l->state != LINE_VALID)
			host_fail("line %u: state %u", i, l->state);
		s = line_space(i, l->mm, "mm");
		if (l->wb_mm && line_space(i, l->wb_mm, "victim") && l->state != LINE_BUSY)
			host_fail("line %u: a victim in flight on a line not busy", i);
		if (l->state == LINE_VALID)
			check_valid(i, l, s);
		check_unique(i);
	}
	if (used != xc.resident)
		host_fail("%u lines in use, but resident says %u", used, xc.resident);
}

/* Every present PTE of a live space maps the frame of a line holding that page (as its
 * page, or as the victim it is being emptied of). */
static void check_tables(const struct host_space *s)
{
	for (unsigned p = 0; p < s->npages; p++) {
		const struct host_pte *e = &s->pte[p];
		bool held = false;

		for (unsigned i = 0; e->present && i < xc.nsets * xc.ways && !held; i++)
			held = xc.frames[i] == e->pa && names(&xc.lines[i], s->mm, host_va(p), false);
		if (e->present && !held)
			host_fail("mm %u page %u is mapped at a frame no line of it holds", s->id, p);
	}
	if (s->mm->evicting < 0 || s->mm->evicting > (int)(xc.nsets * xc.ways))
		host_fail("mm %u: evicting is %d", s->id, s->mm->evicting);
}

/* A page no line holds is on its owner, as its program stored it (one page, sampled). */
static void check_owner(struct host_space *s)
{
	unsigned p = host_below(s->npages);

	if (host_space_lost(s) || !s->page[p].mapped || excache_host_refs(s->mm, host_va(p), false))
		return;
	if (!host_matches(s, p, s->store[p].data, 0, PAGE_SIZE))
		host_fail("mm %u page %u: in no line, and its owner's copy is not what the program "
			  "stored (a dirty page not written back?)", s->id, p);
}

void excache_host_check(void)
{
	check_lines();
	for (unsigned i = 0; i < host.nspaces; i++) {
		struct host_space *s = host.spaces[i];

		if (s->dead || s->dropping)
			continue;
		check_tables(s);
		check_owner(s);
	}
}

static void check_sum(const char *what, uint64_t node, uint64_t sum)
{
	if (node != sum)
		host_fail("the node counts %llu %s, its address spaces %llu", (unsigned long long)node,
			  what, (unsigned long long)sum);
}

void excache_host_check_idle(void)
{
	struct excache_counters sum = { 0 };
	uint64_t fetches = 0, writebacks = 0;

	if (xc.resident)
		host_fail("a run ended with lines in use (resident %u)", xc.resident);
	for (unsigned i = 0; i < xc.nsets * xc.ways; i++)
		if (xc.lines[i].state != LINE_FREE)
			host_fail("line %u is in use after every mm exited", i);
	for (unsigned i = 0; i < host.nspaces; i++) {
		const struct host_space *s = host.spaces[i];
		const struct excache_counters *c = &s->final;

		if (!s->dead)
			host_fail("mm %u never exited", s->id);
		if (c->misses != s->fetches || c->writebacks != s->writebacks)
			host_fail("mm %u counts %llu misses and %llu write-backs; its owners "
				  "answered %u fetches and stored %u pages", s->id,
				  (unsigned long long)c->misses, (unsigned long long)c->writebacks,
				  s->fetches, s->writebacks);
		if ((c->writeback_errors > 0) != s->lost || s->lost != s->killed)
			host_fail("mm %u: %llu write-back errors, lost %d, killed %d", s->id,
				  (unsigned long long)c->writeback_errors, s->lost, s->killed);
		sum.hits += c->hits, sum.misses += c->misses, sum.evictions += c->evictions;
		sum.writebacks += c->writebacks, sum.writeback_errors += c->writeback_errors;
		sum.miss_ns_total += c->miss_ns_total;
		fetches += s->fetches, writebacks += s->writebacks;
		for (unsigned b = 0; b < EXCACHE_HIST; b++)
			sum.hist[b] += c->hist[b];
	}
	check_sum("hits", xc.node.hits, sum.hits);
	check_sum("misses", xc.node.misses, sum.misses);
	check_sum("evictions", xc.node.evictions, sum.evictions);
	check_sum("write-backs", xc.node.writebacks, sum.writebacks);
	check_sum("write-back errors", xc.node.writeback_errors, sum.writeback_errors);
	check_sum("miss ns", xc.node.miss_ns_total, sum.miss_ns_total);
	check_sum("fetches answered", xc.node.misses, fetches);
	check_sum("pages stored by owners", xc.node.writebacks, writebacks);
	for (unsigned b = 0; b < EXCACHE_HIST; b++)
		check_sum("misses in a bucket", xc.node.hist[b], sum.hist[b]);
	if (host.kmallocs != kmallocs_at_init)
		host_fail("%ld kmalloc blocks leaked by the run", host.kmallocs - kmallocs_at_init);
}
