/*
 * Host tests for the memory monitor's services, part four: fork (P2M_MM_FORK on the
 * home, M2M_MM_COPY on an owner, M2G_MM_COPY to gmon), its refusals and its undo,
 * and execve of /proc/self/exe (P2M_MM_NEW with image_of) over the image a home
 * keeps after exec.
 */
#include "mmon_test.h"

#define IMG_PAGES (IMG_MAX / NET_PAGE_SIZE)	/* what a kept image costs */
#define MIRROR 900				/* home OTHER, mirrored here */

/* An M2M_VMA_SYNC for mm's mirror from its home OTHER (pmon PMON). */
static int sync_in(uint32_t mm, uint64_t start, uint64_t end, const struct wire_vma *w,
		   uint32_t n)
{
	static uint8_t buf[sizeof(struct m2m_vma_sync) + 4 * sizeof(struct wire_vma)];
	struct m2m_vma_sync h = { .mm = mm, .vnode = 3, .pmon = PMON, .owner = SELF,
				  .backup = VREGION_NONE, .nvmas = n, .start = start,
				  .end = end };

	CHECK(n <= 4);
	memcpy(buf, &h, sizeof(h));
	if (n)
		memcpy(buf + sizeof(h), w, n * sizeof(*w));
	return call(OTHER, M2M_VMA_SYNC, buf, sizeof(h) + n * sizeof(*w));
}

static int page_put(uint32_t mm, uint64_t va, int byte)
{
	uint8_t buf[sizeof(struct m2m_page) + NET_PAGE_SIZE];
	struct m2m_page q = { .mm = mm, .va = va };

	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), byte, NET_PAGE_SIZE);
	return call(OTHER, M2M_PAGE_PUT, buf, sizeof(buf));
}

/* MIRROR as OTHER's M2M_VMA_SYNC and page puts make it: a data page 6, a read-only 8. */
static void make_mirror(void)
{
	struct wire_vma w[2] = {
		{ 0x600000, 0x602000, RW, VMA_KIND_DATA },
		{ 0x602000, 0x603000, PROT_READ, VMA_KIND_ANON },
	};

	CHECK(sync_in(MIRROR, 0x400000, 0x800000, w, 2) == 0);
	CHECK(page_put(MIRROR, 0x601000, 6) == 0 && page_put(MIRROR, 0x602000, 8) == 0);
}

/* gmon failing to place the stack's vRegion, so that exec fails */
static int place_fails_stack(uint32_t mm, uint32_t vregion)
{
	(void)mm;
	return vregion == STACK_VREGION ? -ETIMEDOUT : SELF;
}

static int mm_free(uint8_t peer, uint32_t mm)
{
	return call(peer, M2M_MM_FREE, &mm, sizeof(mm));
}

/* The n-th recorded message of op carried (a, b) as its first two u32s. */
static bool sent_pair(uint16_t op, unsigned n, uint8_t peer, uint32_t a, uint32_t b)
{
	const struct host_msg *m = host_find(op, n);
	uint32_t w[2];

	if (!m || m->peer != peer || m->len != sizeof(w))
		return false;
	memcpy(w, m->data, sizeof(w));
	return w[0] == a && w[1] == b;
}

/* ---- fork on the home ---- */

/*
 * before: 100 exec'd, with a written bss page, an mmap page and a grown heap page;
 * after fork to 101: the same vmas, prot, break and bytes, pages copied here (the
 * image shared, not copied), and the next mmap lands at the same place in both
 */
static void fork_copies_pages_and_vmas(void)
{
	struct m2x_memstats before;
	uint64_t a, b, c;
	uint32_t prot;
	long pages;

	boot();
	elf_build_static();
	spawn(100);
	CHECK(writeback(100, 0x403000, 0x11) == 0);
	CHECK(vm(100, VM_MMAP, 0, 8192, 0, RW, ANON, &a) == 0 && writeback(100, a, 0x22) == 0);
	CHECK(vm(100, VM_BRK, 0x407000, 0, 0, 0, 0, &b) == 0 && b == 0x407000);
	CHECK(writeback(100, 0x406000, 0x33) == 0);
	before = memstats();
	pages = host.pages;
	host_forget();
	CHECK(mm_fork(PMON, 100, 101) == 0);
	CHECK_STREQ(host.log, "fork mm=100 -> mm=101: 6 pages here, 0 on 0 other mmons");
	CHECK(sent_pair(M2G_MM_COPY, 0, GMON, 100, 101) && host.nmsgs == 1);
	CHECK(memstats().store_pages == 2 * before.store_pages && memstats().nprocs == 2);
	CHECK(memstats().vnodes[0].pages == 2 * before.store_pages);
	CHECK(host.pages == pages + 6);
	CHECK(byte_at(101, 0x403000) == 0x11 && byte_at(101, a) == 0x22);
	CHECK(byte_at(101, 0x406000) == 0x33 && byte_at(101, 0x404000) == 0);
	CHECK(fetch_from(PMON, 101, 0x401000, 0, &prot) == 0 && prot == (PROT_READ | PROT_EXEC));
	CHECK(memcmp(page_of(), img + 0x1000, 0x800) == 0);
	CHECK(fetch(101, 0x400000, FETCH_WRITE) == -EACCES);
	CHECK(fetch(101, a + 8192, 0) == -EFAULT && fetch(101, 0x407000, 0) == -EFAULT);
	CHECK(fetch(101, STACK_TOP - 4096, FETCH_WRITE) == 0);
	CHECK(vm(101, VM_BRK, 0, 0, 0, 0, 0, &c) == 0 && c == 0x407000);
	CHECK(vm(100, VM_MMAP, 0, 4096, 0, RW, ANON, &b) == 0);
	CHECK(vm(101, VM_MMAP, 0, 4096, 0, RW, ANON, &c) == 0 && b == c);
	CHECK(fetch_from(PMON2, 101, 0x400000, 0, NULL) == -EPERM);	/* PMON runs it */
	CHECK(mm_exit(100) == 0 && mm_exit(101) == 0);
	check_clean();
}

/* after a fork, writes, unmaps and mprotects on either side never reach the other */
static void fork_then_diverge(void)
{
	boot();
	elf_build_static();
	spawn(102);
	CHECK(writeback(102, 0x403000, 1) == 0);
	CHECK(mm_fork(PMON, 102, 103) == 0);
	CHECK(writeback(102, 0x403000, 2) == 0);
	CHECK(byte_at(102, 0x403000) == 2 && byte_at(103, 0x403000) == 1);
	CHECK(writeback(103, 0x404000, 3) == 0);
	CHECK(byte_at(103, 0x404000) == 3);
	CHECK(byte_at(102, 0x404000) == 0 && fetch_flags() == M2P_FETCH_UNBACKED);
	CHECK(vm(103, VM_MUNMAP, 0x403000, 4096, 0, 0, 0, NULL) == 0);
	CHECK(fetch(103, 0x403000, 0) == -EFAULT && byte_at(102, 0x403000) == 2);
	CHECK(vm(102, VM_MPROTECT, 0x404000, 4096, 0, PROT_READ, 0, NULL) == 0);
	CHECK(fetch(102, 0x404000, FETCH_WRITE) == -EACCES);
	CHECK(fetch(103, 0x404000, FETCH_WRITE) == 0);
	/* the parent goes first; the child keeps its pages and the image */
	CHECK(mm_exit(102) == 0);
	CHECK(byte_at(103, 0x404000) == 3 && byte_at(103, 0x400000) == 0x7f);
	CHECK(host.pages == 4 + IMG_PAGES);
	CHECK(mm_exit(103) == 0);
	check_clean();
}

/*
 * with the top vRegion (stack, mmap) on OTHER: gmon copies the placements first, then
 * OTHER copies its mirror; the child knows its owners without asking gmon again
 */
static void fork_with_remote_owner(void)
{
	struct m2m_vma_sync h;
	uint64_t a;

	boot();
	elf_build_static();
	host.place = place_top_other;
	spawn(104);
	host_forget();
	host.copy_pages = 5;
	CHECK(mm_fork(PMON, 104, 105) == 0);
	CHECK_STREQ(host.log, "fork mm=104 -> mm=105: 3 pages here, 5 on 1 other mmons");
	CHECK(host.nmsgs == 2);
	CHECK(sent_pair(M2G_MM_COPY, 0, GMON, 104, 105));
	CHECK(sent_pair(M2M_MM_COPY, 0, OTHER, 104, 105));
	CHECK(host_find(M2G_MM_COPY, 0) < host_find(M2M_MM_COPY, 0));
	CHECK(fetch(105, STACK_TOP - 4096, 0) == -EPERM);	/* OTHER serves it */
	CHECK(byte_at(105, 0x400000) == 0x7f);
	host_forget();
	CHECK(vm(105, VM_MMAP, 0, 4096, 0, RW, ANON, &a) == 0);
	CHECK(host_count(X2G_PLACE) == 0 && host_count(M2M_VMA_SYNC) == 1);
	memcpy(&h, host_find(M2M_VMA_SYNC, 0)->data, sizeof(h));
	CHECK(h.mm == 105 && h.start == a && host_find(M2M_VMA_SYNC, 0)->peer == OTHER);
	host_forget();
	CHECK(mm_exit(105) == 0);
	CHECK(host_count(M2M_MM_FREE) == 1 && host_find(M2M_MM_FREE, 0)->peer == OTHER);
	CHECK(host_count(X2G_RELEASE) == 1);
	CHECK(mm_exit(104) == 0);
	check_clean();
}

/* a fork from anyone but parent's pmon, of what is not a home here, or onto a bad id */
static void fork_refuses_hostile(void)
{
	uint64_t refused;

	boot();
	elf_build_static();
	spawn(106);
	spawn(108);
	make_mirror();
	host_forget();
	refused = memstats().refused;
	CHECK(mm_fork(PMON2, 106, 107) == -EPERM);	/* another pmon */
	CHECK(mm_fork(OTHER, 106, 107) == -EPERM);
	CHECK(mm_fork(HOST, 106, 107) == -EPERM);
	CHECK(mm_fork(PMON, 999, 107) == -EPERM);	/* no parent */
	CHECK(mm_fork(PMON, MIRROR, 107) == -EPERM);	/* its home is OTHER */
	CHECK(memstats().refused == refused + 5);
	CHECK(mm_fork(PMON, 106, 0) == -EINVAL);
	CHECK(mm_fork(PMON, 106, 106) == -EINVAL);
	CHECK(mm_fork(PMON, 106, 108) == -EEXIST);
	CHECK(mm_fork(PMON, 106, MIRROR) == -EEXIST);
	CHECK(host.nmsgs == 0 && memstats().nprocs == 3);
	/* gmon knows 107 already: not ours to release */
	host.copy_err = -EEXIST;
	CHECK(mm_fork(PMON, 106, 107) == -EEXIST);
	CHECK(host_count(M2G_MM_COPY) == 1 && host_count(X2G_RELEASE) == 0);
	CHECK(memstats().nprocs == 3 && fetch(107, 0x400000, 0) == -EPERM);
	CHECK(memstats().refused == refused + 6);	/* that fetch */
	CHECK(mm_exit(106) == 0 && mm_exit(108) == 0 && mm_free(OTHER, MIRROR) == 0);
	check_clean();
}

/* Nothing of mm here: no space, and the page and block counts are back. */
static void check_gone(uint32_t mm, const struct m2x_memstats *before, long pages,
		       long kmallocs)
{
	CHECK(memstats().nprocs == before->nprocs);
	CHECK(memstats().store_pages == before->store_pages);
	CHECK(host.pages == pages && host.kmallocs == kmallocs);
	CHECK(fetch(mm, 0x400000, 0) == -EPERM);
}

/*
 * memory runs out here, gmon cannot copy (or has lost the parent), or the owner
 * cannot: each fails the fork and leaves no trace of the child here, at gmon or on
 * the owner
 */
static void fork_failures_leave_nothing(void)
{
	struct m2x_memstats before;
	long pages, kmallocs;

	boot();
	elf_build_static();
	host.place = place_top_other;
	spawn(110);
	CHECK(writeback(110, 0x403000, 1) == 0);
	before = memstats();
	pages = host.pages;
	kmallocs = host.kmallocs;
	host_forget();
	host.free_pages = 100;
	CHECK(mm_fork(PMON, 110, 111) == -ENOMEM);
	CHECK(host.nmsgs == 0);				/* nobody else heard of it */
	check_gone(111, &before, pages, kmallocs);
	host.free_pages = 1 << 20;
	host.copy_err = -ENOMEM;
	CHECK(mm_fork(PMON, 110, 111) == -ENOMEM);
	CHECK(host_count(M2M_MM_COPY) == 0);
	CHECK(host_count(X2G_RELEASE) == 1 && host_find(X2G_RELEASE, 0)->peer == GMON);
	check_gone(111, &before, pages, kmallocs);
	host_forget();
	host.copy_err = -ENOENT;			/* gmon lost the parent's records */
	CHECK(mm_fork(PMON, 110, 111) == -ENOENT && host_count(X2G_RELEASE) == 1);
	check_gone(111, &before, pages, kmallocs);
	host_forget();
	host.copy_err = 0;
	host.remote_err = -ENOMEM;
	CHECK(mm_fork(PMON, 110, 111) == -ENOMEM);
	CHECK(host_count(M2M_MM_FREE) == 1 && host_find(M2M_MM_FREE, 0)->peer == OTHER);
	CHECK(host_count(X2G_RELEASE) == 1);
	check_gone(111, &before, pages, kmallocs);
	host.remote_err = 0;
	CHECK(mm_fork(PMON, 110, 111) == 0 && byte_at(111, 0x403000) == 1);
	CHECK(mm_exit(111) == 0 && mm_exit(110) == 0);
	check_clean();
}

/*
 * a fork before exec: the child has no image, so it cannot exec or be staged into;
 * gmon having no placement of the parent is fine then
 */
static void fork_before_exec(void)
{
	struct m2p_exec x;

	boot();
	elf_build_static();
	CHECK(mm_new(112, IMG_MAX) == 0);
	CHECK(stage(HOST, 112, IMG_MAX) == 0);
	host.copy_err = -ENOENT;			/* nothing placed yet: nothing to copy */
	CHECK(mm_fork(PMON, 112, 113) == 0);
	host.copy_err = 0;
	CHECK(host.pages == IMG_PAGES);
	CHECK(exec(113, &x) == -ENOEXEC && stage(HOST, 113, 4096) == -EINVAL);
	CHECK(exec(112, &x) == 0);
	CHECK(mm_fork(PMON, 112, 114) == 0);
	CHECK(exec(114, &x) == -ENOEXEC);		/* a forked child runs, never execs */
	CHECK(mm_exit(112) == 0 && mm_exit(113) == 0 && mm_exit(114) == 0);
	check_clean();
}

/* ---- the owner's side: M2M_MM_COPY ---- */

/* the mirror's copy: same vmas and bytes, served to the same pmon, freed by its home */
static void owner_copies_mirror(void)
{
	uint32_t n, prot;

	boot();
	make_mirror();
	CHECK(mm_copy(OTHER, MIRROR, 901, &n) == 0 && n == 2);
	CHECK_STREQ(host.log, "mirror of mm=900 copied to mm=901 for its home mmon 3: 2 pages");
	CHECK(fetch_from(PMON, 901, 0x602000, 0, &prot) == 0 && page_of()[0] == 8);
	CHECK(prot == PROT_READ);
	CHECK(writeback(901, 0x601000, 9) == 0);
	CHECK(byte_at(901, 0x601000) == 9 && byte_at(MIRROR, 0x601000) == 6);
	CHECK(fetch(901, 0x603000, 0) == -EFAULT);
	CHECK(fetch_from(PMON2, 901, 0x601000, 0, NULL) == -EPERM);
	CHECK(sync_in(901, 0x600000, 0x601000, NULL, 0) == 0);	/* its home is OTHER */
	CHECK(fetch(901, 0x600000, 0) == -EFAULT && byte_at(MIRROR, 0x600000) == 0);
	CHECK(mm_free(PMON, 901) == -EPERM);
	CHECK(mm_free(OTHER, 901) == 0 && mm_free(OTHER, MIRROR) == 0);
	check_clean();
}

/* only the parent's home may ask; the child must be new and not the parent */
static void owner_copy_refuses_hostile(void)
{
	uint64_t refused;
	uint32_t n;

	boot();
	elf_build_static();
	make_mirror();
	spawn(120);
	refused = memstats().refused;
	CHECK(mm_copy(PMON, MIRROR, 902, &n) == -EPERM);
	CHECK(mm_copy(SELF, MIRROR, 902, &n) == -EPERM);
	CHECK(mm_copy(OTHER, 903, 902, &n) == -EPERM);		/* no such mirror */
	CHECK(mm_copy(OTHER, 120, 121, &n) == -EPERM);		/* its home is here */
	CHECK(memstats().refused == refused + 4);
	CHECK(mm_copy(OTHER, MIRROR, 0, &n) == -EINVAL);
	CHECK(mm_copy(OTHER, MIRROR, MIRROR, &n) == -EINVAL);
	CHECK(mm_copy(OTHER, MIRROR, 120, &n) == -EEXIST);
	host.free_pages = 100;
	CHECK(mm_copy(OTHER, MIRROR, 902, &n) == -ENOMEM);
	host.free_pages = 1 << 20;
	CHECK(memstats().nprocs == 2 && memstats().store_pages == 5);
	CHECK(mm_free(OTHER, 902) == -EPERM);			/* nothing was left */
	CHECK(mm_exit(120) == 0 && mm_free(OTHER, MIRROR) == 0);
	check_clean();
}

/* ---- execve of /proc/self/exe: P2M_MM_NEW with image_of ---- */

/* the new space loads the image its parent ran, with nothing staged or copied */
static void execve_runs_the_same_image(void)
{
	struct m2p_exec x;
	long pages;

	boot();
	elf_build_static();
	spawn(140);
	pages = host.pages;
	CHECK(pages == 3 + IMG_PAGES);		/* the store's, and the kept image */
	CHECK(mm_new_of(PMON, 141, 140) == 0);
	CHECK_STREQ(host.log, "new mm=141 vnode=7 on pmon 1, the image of mm=140 (16384 bytes)");
	CHECK(host.pages == pages);
	CHECK(stage(HOST, 141, 4096) == -EINVAL);	/* a shared image never changes */
	CHECK(exec(141, &x) == 0);
	CHECK(x.entry == 0x400200 && x.brk == 0x405000 && x.phdr == 0x400040);
	CHECK(fetch(141, 0x401000, 0) == 0 && memcmp(page_of(), img + 0x1000, 0x800) == 0);
	CHECK(host.pages == pages + 3);
	CHECK(exec(141, &x) == -ENOEXEC);
	CHECK(mm_exit(140) == 0 && mm_exit(141) == 0);
	check_clean();
}

/*
 * image_of must name a home space here of the same pmon (-EPERM, counted), that ran
 * its image (-ENOENT otherwise); image_len must be 0
 */
static void execve_image_of_refused(void)
{
	struct p2m_mm_new q = { .mm = 143, .vnode = 7, .image_len = 100, .image_of = 142 };
	uint64_t refused;

	boot();
	elf_build_static();
	spawn(142);
	make_mirror();
	CHECK(mm_new(144, IMG_MAX) == 0);		/* staged, never run */
	refused = memstats().refused;
	CHECK(mm_new_of(PMON2, 143, 142) == -EPERM);
	CHECK(mm_new_of(PMON, 143, MIRROR) == -EPERM);
	CHECK(mm_new_of(OTHER, 143, 142) == -EPERM);	/* not a pmon */
	CHECK(memstats().refused == refused + 3);
	CHECK(mm_new_of(PMON, 143, 999) == -ENOENT);
	CHECK(mm_new_of(PMON, 143, 144) == -ENOENT);
	CHECK(call(PMON, P2M_MM_NEW, &q, sizeof(q)) == -EINVAL);
	CHECK(mm_new_of(PMON, 0, 142) == -EINVAL);
	CHECK(mm_new_of(PMON, 142, 142) == -EEXIST);
	CHECK(mm_new_of(PMON, 144, 142) == -EEXIST);
	CHECK(memstats().nprocs == 3 && host.pages == 3 + 2 * IMG_PAGES + 2);
	CHECK(mm_exit(142) == 0 && mm_exit(144) == 0 && mm_free(OTHER, MIRROR) == 0);
	check_clean();
}

/* spaces sharing an image by execve and fork: the last one to exit frees it */
static void image_freed_by_last_user(void)
{
	struct m2p_exec x;

	boot();
	elf_build_static();
	spawn(150);
	CHECK(mm_new_of(PMON, 151, 150) == 0 && exec(151, &x) == 0);
	CHECK(mm_fork(PMON, 151, 152) == 0);
	CHECK(host.pages == 3 * 3 + IMG_PAGES);
	CHECK(mm_exit(150) == 0 && host.pages == 2 * 3 + IMG_PAGES);
	CHECK(mm_exit(151) == 0 && host.pages == 3 + IMG_PAGES);
	CHECK(byte_at(152, 0x401000) == img[0x1000]);
	CHECK(mm_exit(152) == 0 && host.pages == 0);
	check_clean();
}

/* a failed exec lets the shared image go; the image's first space still has it */
static void execve_failed_exec_drops_image(void)
{
	struct m2p_exec x;

	boot();
	elf_build_static();
	spawn(160);
	CHECK(mm_new_of(PMON, 161, 160) == 0);
	host.place = place_fails_stack;
	CHECK(exec(161, &x) == -ENOMEM);
	CHECK(exec(161, &x) == -ENOEXEC && mm_new_of(PMON, 162, 161) == -ENOENT);
	CHECK(mm_exit(160) == 0 && host.pages == 0);
	CHECK(mm_exit(161) == 0);
	check_clean();
}

static const struct unit_test tests[] = {
	TEST(fork_copies_pages_and_vmas),
	TEST(fork_then_diverge),
	TEST(fork_with_remote_owner),
	TEST(fork_refuses_hostile),
	TEST(fork_failures_leave_nothing),
	TEST(fork_before_exec),
	TEST(owner_copies_mirror),
	TEST(owner_copy_refuses_hostile),
	TEST(execve_runs_the_same_image),
	TEST(execve_image_of_refused),
	TEST(image_freed_by_last_user),
	TEST(execve_failed_exec_drops_image),
};

CHECK_MAIN("mmon_fork", tests)
