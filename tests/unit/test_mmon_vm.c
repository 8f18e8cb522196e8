/*
 * Host tests for the memory monitor's services, part two: the vm calls on the home
 * and what they sync to owners, and the owner's side of M2M_VMA_SYNC / M2M_PAGE_PUT /
 * M2M_MM_FREE.
 */
#include "mmon_test.h"

#define MMAP_TOP (VMA_MAX - (128ULL << 20))	/* the first mmap ends here */

/* The sync message n: its header and first vma (if any). */
static struct m2m_vma_sync sync_msg(unsigned n, struct wire_vma *first)
{
	const struct host_msg *m = host_find(M2M_VMA_SYNC, n);
	struct m2m_vma_sync h;

	CHECK(m && m->peer == OTHER);
	memcpy(&h, m->data, sizeof(h));
	CHECK(m->len == sizeof(h) + h.nvmas * sizeof(struct wire_vma));
	if (first && h.nvmas)
		memcpy(first, m->data + sizeof(h), sizeof(*first));
	return h;
}

/* ---- vm calls on the home ---- */

/* mmap lands under the mmap base, reads zero, keeps what is written; munmap drops it */
static void mmap_munmap(void)
{
	uint64_t a;

	boot();
	elf_build_static();
	spawn(40);
	CHECK(vm(40, VM_MMAP, 0, 8192, 0, RW, ANON, &a) == 0);
	CHECK(a == MMAP_TOP - 8192);
	CHECK(byte_at(40, a) == 0);
	CHECK(writeback(40, a + 4096, 9) == 0 && byte_at(40, a + 4096) == 9);
	CHECK(vm(40, VM_MUNMAP, a + 4096, 4096, 0, 0, 0, NULL) == 0);
	CHECK(fetch(40, a + 4096, 0) == -EFAULT);
	CHECK(memstats().store_pages == 3);		/* the image's only */
	CHECK(vm(40, VM_MMAP, a + 4096, 4096, 0, RW, ANON | MAP_FIXED, &a) == 0);
	CHECK(byte_at(40, a) == 0);
	CHECK(mm_exit(40) == 0);
	check_clean();
}

/* Linux's errnos for what the home does not map; private flags it ignores pass */
static void mmap_rejects(void)
{
	uint64_t a;

	boot();
	elf_build_static();
	spawn(41);
	CHECK(vm(41, VM_MMAP, 0, 4096, 0, RW, MAP_SHARED | MAP_ANONYMOUS, &a) == -ENODEV);
	CHECK(vm(41, VM_MMAP, 0, 4096, 0, RW, MAP_PRIVATE, &a) == -ENODEV);
	CHECK(vm(41, VM_MMAP, 0, 4096, 0, RW, MAP_ANONYMOUS, &a) == -EINVAL);
	CHECK(vm(41, VM_MMAP, 0, 0, 0, RW, ANON, &a) == -EINVAL);
	CHECK(vm(41, VM_MMAP, 0, 4096, 0, RW, ANON | 0x40, &a) == -EINVAL);	/* MAP_32BIT */
	CHECK(vm(41, VM_MMAP, 0, 4096, 0, 0x10, ANON, &a) == -EINVAL);
	CHECK(vm(41, VM_MMAP, 0, UINT64_MAX, 0, RW, ANON, &a) == -ENOMEM);
	CHECK(vm(41, VM_MMAP, 0x1000, 4096, 0, RW, ANON | MAP_FIXED, &a) == -EPERM);
	CHECK(vm(41, VM_MMAP, 0x400000, 4096, 0, RW, ANON | MAP_FIXED_NOREPLACE, &a) ==
	      -EEXIST);
	/* more than the node's RAM, writable: refused; reserved with NORESERVE: fine */
	CHECK(vm(41, VM_MMAP, 0, (HOST_PAGES + 1) * 4096ULL, 0, RW, ANON, &a) == -ENOMEM);
	CHECK(vm(41, VM_MMAP, 0, (HOST_PAGES + 1) * 4096ULL, 0, RW, ANON | 0x4000, &a) == 0);
	CHECK(vm(41, VM_MMAP, 0, 4096, 0, RW, ANON | 0x20000 | 0x8000, &a) == 0);
	/* a reservation over more than 64 new vRegions is refused before gmon is asked */
	CHECK(vm(41, VM_MMAP, 0, 65ULL << 30, 0, PROT_NONE, ANON, &a) == -ENOMEM);
	CHECK(vm(41, 99, 0, 0, 0, 0, 0, &a) == -EINVAL);
	CHECK(mm_exit(41) == 0);
	check_clean();
}

/* brk moves the heap from the image's end, reads zero, and drops pages on shrink */
static void brk_heap(void)
{
	uint64_t b;

	boot();
	elf_build_static();
	spawn(42);
	CHECK(vm(42, VM_BRK, 0, 0, 0, 0, 0, &b) == 0 && b == 0x405000);
	CHECK(vm(42, VM_BRK, 0x407010, 0, 0, 0, 0, &b) == 0 && b == 0x407010);
	CHECK(writeback(42, 0x407000, 3) == 0 && byte_at(42, 0x407000) == 3);
	CHECK(vm(42, VM_BRK, 0x406000, 0, 0, 0, 0, &b) == 0 && b == 0x406000);
	CHECK(fetch(42, 0x407000, 0) == -EFAULT);
	CHECK(vm(42, VM_BRK, 0x406000 + (HOST_PAGES + 1) * 4096ULL, 0, 0, 0, 0, &b) == 0);
	CHECK(b == 0x406000);				/* too big: unchanged, no error */
	CHECK(vm(42, VM_BRK, 0x100, 0, 0, 0, 0, &b) == 0 && b == 0x406000);
	CHECK(vm(42, VM_BRK, 0x406001, 0, 0, 0, 0, &b) == 0 && b == 0x406001);
	CHECK(vm(42, VM_BRK, 0x406000, 0, 0, 0, 0, &b) == 0);
	CHECK(memstats().store_pages == 3);
	CHECK(mm_exit(42) == 0);
	check_clean();
}

/* mprotect changes what fetch allows and what it reports */
static void mprotect_prot(void)
{
	uint32_t prot;

	boot();
	elf_build_static();
	spawn(43);
	CHECK(vm(43, VM_MPROTECT, 0x403000, 4096, 0, PROT_READ, 0, NULL) == 0);
	CHECK(fetch(43, 0x403000, FETCH_WRITE) == -EACCES);
	CHECK(fetch_from(PMON, 43, 0x403000, 0, &prot) == 0 && prot == PROT_READ);
	CHECK(fetch_from(PMON, 43, 0x404000, 0, &prot) == 0 && prot == RW);
	CHECK(vm(43, VM_MPROTECT, 0x403000, 0x10000, 0, RW, 0, NULL) == -ENOMEM);	/* hole */
	CHECK(vm(43, VM_MPROTECT, 0x403001, 4096, 0, RW, 0, NULL) == -EINVAL);
	CHECK(mm_exit(43) == 0);
	check_clean();
}

/* mremap grows in place, moves with its pages, and shrinks */
static void mremap_local(void)
{
	uint64_t a, b;

	boot();
	elf_build_static();
	spawn(44);
	CHECK(vm(44, VM_MMAP, 0, 8192, 0, RW, ANON, &a) == 0);
	CHECK(vm(44, VM_MMAP, a + 8192, 4096, 0, PROT_READ, ANON | MAP_FIXED, &b) == 0);
	CHECK(writeback(44, a, 1) == 0 && writeback(44, a + 4096, 2) == 0);
	CHECK(vm(44, VM_MREMAP, a, 8192, 16384, 0, 0, &b) == -ENOMEM);	/* cannot grow */
	CHECK(vm(44, VM_MREMAP, a, 8192, 16384, 0, MREMAP_MAYMOVE, &b) == 0 && b != a);
	CHECK(byte_at(44, b) == 1 && byte_at(44, b + 4096) == 2 && byte_at(44, b + 8192) == 0);
	CHECK(fetch(44, a, 0) == -EFAULT);
	CHECK(vm(44, VM_MREMAP, b, 16384, 4096, 0, 0, &a) == 0 && a == b);
	CHECK(fetch(44, b + 4096, 0) == -EFAULT && memstats().store_pages == 4);
	CHECK(vm(44, VM_MREMAP, 0x400000, 4096, 8192, 0, MREMAP_MAYMOVE, &a) == 0);
	CHECK(byte_at(44, a) == 0x7f);			/* text moved, in the store too */
	CHECK(vm(44, VM_MREMAP, 0x500000, 4096, 8192, 0, MREMAP_MAYMOVE, &a) == -EFAULT);
	CHECK(mm_exit(44) == 0);
	check_clean();
}

/* madvise(MADV_DONTNEED): written pages read back as zero; holes are -ENOMEM */
static void dontneed_local(void)
{
	boot();
	elf_build_static();
	spawn(45);
	CHECK(writeback(45, 0x403000, 4) == 0);
	CHECK(vm(45, VM_DONTNEED, 0x402000, 0x3000, 0, 0, 0, NULL) == 0);
	CHECK(byte_at(45, 0x403000) == 0 && byte_at(45, 0x402000) == 0);
	CHECK(byte_at(45, 0x401000) != 0);
	CHECK(vm(45, VM_DONTNEED, 0x404000, 0x10000, 0, 0, 0, NULL) == -ENOMEM);
	CHECK(vm(45, VM_DONTNEED, 0x404001, 1, 0, 0, 0, NULL) == -EINVAL);
	CHECK(vm(45, VM_DONTNEED, 0x404000, 0, 0, 0, 0, NULL) == 0);
	CHECK(mm_exit(45) == 0);
	check_clean();
}

/* with the top vRegion on OTHER: each call sends it the vmas of what changed */
static void vm_syncs_to_owner(void)
{
	struct m2m_vma_sync h;
	struct wire_vma w;
	uint64_t a, b;

	boot();
	elf_build_static();
	host.place = place_top_other;
	spawn(46);
	host_forget();
	CHECK(vm(46, VM_MMAP, 0, 8192, 0, RW, ANON, &a) == 0);
	h = sync_msg(0, &w);
	CHECK(h.start == a && h.end == a + 8192 && h.nvmas == 1 && w.prot == RW);
	CHECK(fetch(46, a, 0) == -EPERM);		/* OTHER serves it, not the home */
	host_forget();
	CHECK(vm(46, VM_MPROTECT, a, 4096, 0, PROT_READ, 0, NULL) == 0);
	h = sync_msg(0, &w);
	CHECK(h.start == a && h.end == a + 4096 && w.prot == PROT_READ);
	host_forget();
	CHECK(vm(46, VM_DONTNEED, a, 8192, 0, 0, 0, NULL) == 0);
	CHECK(host_count(M2M_VMA_SYNC) == 2);
	CHECK(sync_msg(0, NULL).nvmas == 0 && sync_msg(1, NULL).nvmas == 2);
	host_forget();
	CHECK(vm(46, VM_MUNMAP, a, 8192, 0, 0, 0, NULL) == 0);
	CHECK(sync_msg(0, NULL).nvmas == 0);
	host_forget();
	CHECK(vm(46, VM_MMAP, 0, 8192, 0, RW, ANON, &a) == 0);
	CHECK(vm(46, VM_MMAP, a + 8192, 4096, 0, 0, ANON | MAP_FIXED, &b) == 0);
	/* a move would carry pages from OTHER's vRegion: refused, nothing changed */
	CHECK(vm(46, VM_MREMAP, a, 8192, 1 << 20, 0, MREMAP_MAYMOVE, &b) == -ENOMEM);
	CHECK(vm(46, VM_MPROTECT, a, 8192, 0, RW, 0, NULL) == 0);
	CHECK(vm(46, VM_MREMAP, a, 8192, 4096, 0, 0, &b) == 0 && b == a);
	host.remote_err = -ETIMEDOUT;			/* a dead owner: the error comes back */
	CHECK(vm(46, VM_MUNMAP, a, 4096, 0, 0, 0, NULL) == -ETIMEDOUT);
	host.remote_err = 0;
	host_forget();
	CHECK(mm_exit(46) == 0);
	CHECK(host_count(M2M_MM_FREE) == 1);
	check_clean();
}

/* more vmas in one vRegion than one message holds: consecutive ranges, none lost */
static void sync_splits_messages(void)
{
	struct m2m_vma_sync h0, h1;
	uint64_t a, total = 0;

	boot();
	elf_build_static();
	host.place = place_top_other;
	spawn(47);
	for (int i = 0; i < NET_SYNC_VMAS + 10; i++)
		CHECK(vm(47, VM_MMAP, 0, 4096, 0, i % 2 ? RW : PROT_READ, ANON, &a) == 0);
	host_forget();
	CHECK(vm(47, VM_MPROTECT, a, (NET_SYNC_VMAS + 10) * 4096ULL, 0, PROT_READ, 0, NULL) ==
	      0);
	CHECK(vm(47, VM_DONTNEED, a, (NET_SYNC_VMAS + 10) * 4096ULL, 0, 0, 0, NULL) == 0);
	CHECK(host_count(M2M_VMA_SYNC) == 3);		/* one vma, then empty + one */
	host_forget();
	for (int i = 0; i < NET_SYNC_VMAS + 10; i += 2)
		CHECK(vm(47, VM_MPROTECT, a + i * 4096ULL, 4096, 0, RW, 0, NULL) == 0);
	host_forget();
	CHECK(vm(47, VM_MUNMAP, a - 4096 * 4, 4096, 0, 0, 0, NULL) == 0);
	CHECK(vm(47, VM_DONTNEED, a, (NET_SYNC_VMAS + 10) * 4096ULL, 0, 0, 0, NULL) == 0);
	CHECK(host_count(M2M_VMA_SYNC) == 4);		/* munmap, then empty + two */
	h0 = sync_msg(2, NULL);
	h1 = sync_msg(3, NULL);
	CHECK(h0.start == a && h0.end == h1.start && h1.end == a + (NET_SYNC_VMAS + 10) * 4096ULL);
	CHECK(h0.nvmas == NET_SYNC_VMAS);
	total = h0.nvmas + h1.nvmas;
	CHECK(total == NET_SYNC_VMAS + 10);
	host_forget();
	CHECK(mm_exit(47) == 0);
	check_clean();
}

/* ---- the owner's side ---- */

/* An M2M_VMA_SYNC for mm 900 (home OTHER, pmon PMON) with the given vmas. */
static int sync_in(uint8_t from, uint64_t start, uint64_t end, const struct wire_vma *w,
		   uint32_t n)
{
	static uint8_t buf[sizeof(struct m2m_vma_sync) + (NET_SYNC_VMAS + 1) * 24];
	struct m2m_vma_sync h = { .mm = 900, .vnode = 3, .pmon = PMON, .owner = SELF,
				  .backup = VREGION_NONE, .nvmas = n, .start = start,
				  .end = end };

	memcpy(buf, &h, sizeof(h));
	if (n)
		memcpy(buf + sizeof(h), w, n * sizeof(*w));
	return call(from, M2M_VMA_SYNC, buf, sizeof(h) + n * sizeof(*w));
}

static int page_put(uint8_t from, uint64_t va, int byte)
{
	uint8_t buf[sizeof(struct m2m_page) + NET_PAGE_SIZE];
	struct m2m_page q = { .mm = 900, .va = va };

	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), byte, NET_PAGE_SIZE);
	return call(from, M2M_PAGE_PUT, buf, sizeof(buf));
}

/* a mirror is made by the first sync, filled by page puts, served to its pmon only */
static void mirror_lifecycle(void)
{
	struct wire_vma w[2] = {
		{ 0x600000, 0x602000, RW, VMA_KIND_DATA },
		{ 0x602000, 0x603000, PROT_READ, VMA_KIND_ANON },
	};
	uint32_t mm = 900, prot;

	boot();
	CHECK(fetch(900, 0x600000, 0) == -EPERM);
	CHECK(sync_in(OTHER, 0x400000, 0x800000, w, 2) == 0);
	CHECK(page_put(OTHER, 0x601000, 6) == 0 && page_put(OTHER, 0x602000, 8) == 0);
	CHECK(page_put(PMON, 0x601000, 6) == -EPERM);
	CHECK(page_put(OTHER, 0x700000, 6) == -EFAULT);
	CHECK(fetch_from(PMON, 900, 0x602000, 0, &prot) == 0 && page_of()[0] == 8);
	CHECK(prot == PROT_READ);
	CHECK(fetch_from(PMON2, 900, 0x601000, 0, NULL) == -EPERM);
	CHECK(call(PMON, P2M_VM, &(struct p2m_vm){ .mm = 900, .op = VM_BRK }, 40) == -EPERM);
	CHECK(writeback(900, 0x600000, 5) == 0);
	CHECK(memstats().store_pages == 3 && memstats().nprocs == 1);
	/* the home unmaps the second page: the owner drops it */
	CHECK(sync_in(OTHER, 0x600000, 0x602000, w, 1) == 0 && byte_at(900, 0x601000) == 6);
	CHECK(sync_in(OTHER, 0x601000, 0x602000, NULL, 0) == 0);
	CHECK(fetch(900, 0x601000, 0) == -EFAULT && memstats().store_pages == 2);
	CHECK(call(PMON, M2M_MM_FREE, &mm, sizeof(mm)) == -EPERM);
	CHECK(call(OTHER, M2M_MM_FREE, &mm, sizeof(mm)) == 0);
	CHECK(fetch(900, 0x600000, 0) == -EPERM);
	check_clean();
}

/* every malformed sync is refused before the mirror changes */
static void sync_rejects_hostile(void)
{
	struct wire_vma ok = { 0x600000, 0x601000, RW, VMA_KIND_ANON }, w[2];

	boot();
	CHECK(sync_in(PMON, 0x600000, 0x601000, &ok, 1) == -EPERM);
	CHECK(sync_in(SELF, 0x600000, 0x601000, &ok, 1) == -EPERM);
	CHECK(sync_in(OTHER, 0x600001, 0x601000, &ok, 1) == -EINVAL);
	CHECK(sync_in(OTHER, 0x601000, 0x600000, NULL, 0) == -EINVAL);
	CHECK(sync_in(OTHER, VREGION_SIZE - 4096, VREGION_SIZE + 4096, NULL, 0) == -EINVAL);
	CHECK(sync_in(OTHER, VMA_MAX, VMA_MAX + 4096, NULL, 0) == -EINVAL);
	CHECK(sync_in(OTHER, 0x600000, 0x600800, &ok, 1) == -EINVAL);
	w[0] = ok, w[1] = ok;				/* overlapping */
	CHECK(sync_in(OTHER, 0x600000, 0x602000, w, 2) == -EINVAL);
	w[1] = (struct wire_vma){ 0x601000, 0x603000, RW, 0 };	/* past the range */
	CHECK(sync_in(OTHER, 0x600000, 0x602000, w, 2) == -EINVAL);
	w[1] = (struct wire_vma){ 0x601000, 0x602000, 8, 0 };	/* prot */
	CHECK(sync_in(OTHER, 0x600000, 0x602000, w, 2) == -EINVAL);
	w[1] = (struct wire_vma){ 0x601000, 0x602000, RW, VMA_KIND_COUNT };
	CHECK(sync_in(OTHER, 0x600000, 0x602000, w, 2) == -EINVAL);
	w[1] = (struct wire_vma){ 0x601000, 0x601000, RW, 0 };	/* empty */
	CHECK(sync_in(OTHER, 0x600000, 0x602000, w, 2) == -EINVAL);
	w[0] = (struct wire_vma){ 0x8000, 0x9000, RW, 0 };	/* under VMA_MIN */
	CHECK(sync_in(OTHER, 0, 0x10000, w, 1) == -EINVAL);
	CHECK(memstats().nprocs == 0);
	check_clean();
}

/* a sync from another mmon for a process whose home is here is refused */
static void sync_for_own_process_refused(void)
{
	struct wire_vma ok = { 0x600000, 0x601000, RW, VMA_KIND_ANON };
	struct m2m_vma_sync h = { .mm = 48, .pmon = PMON, .owner = SELF, .backup = VREGION_NONE,
				  .nvmas = 1, .start = 0x600000, .end = 0x601000 };
	uint8_t buf[sizeof(h) + sizeof(ok)];

	boot();
	elf_build_static();
	spawn(48);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &ok, sizeof(ok));
	CHECK(call(OTHER, M2M_VMA_SYNC, buf, sizeof(buf)) == -EPERM);
	CHECK(mm_exit(48) == 0);
	check_clean();
}

static const struct unit_test tests[] = {
	TEST(mmap_munmap),
	TEST(mmap_rejects),
	TEST(brk_heap),
	TEST(mprotect_prot),
	TEST(mremap_local),
	TEST(dontneed_local),
	TEST(vm_syncs_to_owner),
	TEST(sync_splits_messages),
	TEST(mirror_lifecycle),
	TEST(sync_rejects_hostile),
	TEST(sync_for_own_process_refused),
};

CHECK_MAIN("mmon_vm", tests)
