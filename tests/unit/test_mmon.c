/*
 * Host tests for the memory monitor's services, part one: process creation, staging,
 * exec (here and with vRegions on another mmon), fetch and write-back with every
 * check, exit, and the counters. The kernel is stubbed (mmon_host.c).
 */
#include "mmon_test.h"

/* ---- process creation and staging ---- */

/* only a pmon may make a process; the size and ids are checked; mm ids are unique */
static void mm_new_checks(void)
{
	struct p2m_mm_new q = { .mm = 10, .vnode = 1, .image_len = 100, .host = HOST };
	uint64_t refused;

	boot();
	refused = memstats().refused;
	CHECK(call(OTHER, P2M_MM_NEW, &q, sizeof(q)) == -EPERM);
	CHECK(call(HOST, P2M_MM_NEW, &q, sizeof(q)) == -EPERM);
	CHECK(memstats().refused == refused + 2);
	CHECK(mm_new(10, 0) == -EINVAL);
	CHECK(mm_new(10, NET_IMAGE_MAX + 1) == -EINVAL);
	CHECK(mm_new(0, 100) == -EINVAL);
	q.vnode = 0;
	CHECK(call(PMON, P2M_MM_NEW, &q, sizeof(q)) == -EINVAL);
	CHECK(mm_new(10, 100) == 0);
	CHECK(mm_new(10, 100) == -EEXIST);
	CHECK(memstats().nprocs == 1);
	CHECK(mm_exit(10) == 0);
	check_clean();
}

/* a staging buffer that does not fit in free memory (less the reserve) is -ENOMEM */
static void mm_new_out_of_memory(void)
{
	boot();
	host.free_pages = 600;
	CHECK(mm_new(11, 200 * 4096) == -ENOMEM);
	CHECK(memstats().nprocs == 0);
	check_clean();
}

/* chunks come from the named host only, inside the image; exec needs all of it */
static void staging_checks(void)
{
	struct m2p_exec x;
	struct h2m_image c = { .mm = 12, .offset = 4000 };
	uint8_t buf[sizeof(c) + 200] = { 0 };

	boot();
	elf_build_static();
	CHECK(mm_new(12, 4096) == 0);
	CHECK(stage(OTHER, 12, 4096) == -EPERM);
	CHECK(stage(PMON, 12, 4096) == -EPERM);
	memcpy(buf, &c, sizeof(c));
	CHECK(call(HOST, H2M_IMAGE, buf, sizeof(buf)) == -EINVAL);	/* 4000 + 200 > 4096 */
	c.offset = UINT32_MAX;
	memcpy(buf, &c, sizeof(c));
	CHECK(call(HOST, H2M_IMAGE, buf, sizeof(buf)) == -EINVAL);
	c.mm = 99;
	memcpy(buf, &c, sizeof(c));
	CHECK(call(HOST, H2M_IMAGE, buf, sizeof(buf)) == -EPERM);	/* no such process */
	CHECK(stage(HOST, 12, 2048) == 0);
	CHECK(exec(12, &x) == -ENOEXEC);		/* half an image */
	CHECK(exec(12, &x) == -ENOEXEC);		/* and the stage is gone */
	CHECK(stage(HOST, 12, 4096) == -EINVAL);
	CHECK(mm_exit(12) == 0);
	check_clean();
}

/* ---- exec ---- */

/* the static image: entry, AT_PHDR, stack and heap as pmon needs them */
static void exec_static(void)
{
	struct m2p_exec x;

	boot();
	elf_build_static();
	CHECK(mm_new(20, IMG_MAX) == 0);
	CHECK(stage(HOST, 20, IMG_MAX) == 0);
	CHECK(exec(20, &x) == 0);
	CHECK(x.entry == 0x400200 && x.phdr == 0x400040);
	CHECK(x.phnum == 2 && x.phent == sizeof(Elf64_Phdr));
	CHECK(x.stack_top == STACK_TOP && x.brk == 0x405000);
	CHECK(strstr(host.log, "exec mm=20 entry=0x400200") != NULL);
	CHECK(memstats().store_pages == 3);		/* the pages with file bytes */
	CHECK(host.pages == 3 + IMG_MAX / 4096);	/* and the image, kept */
	CHECK(exec(20, &x) == -ENOEXEC);		/* once only */
	CHECK(mm_exit(20) == 0);
	check_clean();
}

/* fetched pages hold the file's bytes, zeros past them; prot is the vma's */
static void exec_page_contents(void)
{
	uint32_t prot;

	boot();
	elf_build_static();
	spawn(21);
	CHECK(fetch_from(PMON, 21, 0x401000, 0, &prot) == 0);
	CHECK(prot == (PROT_READ | PROT_EXEC));
	CHECK(memcmp(page_of(), img + 0x1000, 0x800) == 0 && page_of()[0x800] == 0);
	CHECK(fetch_from(PMON, 21, 0x402000, FETCH_WRITE, &prot) == 0 && prot == RW);
	CHECK(memcmp(page_of() + 0x800, img + 0x1800, 0x100) == 0 && page_of()[0x900] == 0);
	CHECK(fetch_from(PMON, 21, 0x404000, 0, &prot) == 0 && prot == RW);	/* bss */
	CHECK(page_of()[0] == 0 && page_of()[4095] == 0);
	CHECK(fetch_from(PMON, 21, STACK_TOP - 4096, FETCH_WRITE, &prot) == 0 && prot == RW);
	CHECK(fetch(21, STACK_TOP - (8 << 20) - 4096, 0) == -EFAULT);	/* under the stack */
	CHECK(mm_exit(21) == 0);
	check_clean();
}

/* a static-pie goes to 0x555555554000 */
static void exec_static_pie(void)
{
	struct m2p_exec x;

	boot();
	elf_build(ET_DYN, 0x100);
	elf_add(PT_LOAD, PF_R | PF_X, 0, 0, 0x1000, 0x1000);
	elf_add(PT_DYNAMIC, PF_R, 0x800, 0x800, 0x10, 0x10);
	CHECK(mm_new(22, 0x1000) == 0);
	CHECK(stage(HOST, 22, 0x1000) == 0);
	CHECK(exec(22, &x) == 0);
	CHECK(x.entry == 0x555555554100 && x.brk == 0x555555555000);
	CHECK(byte_at(22, 0x555555554000) == 0x7f);
	CHECK(mm_exit(22) == 0);
	check_clean();
}

/* a bad image is -ENOEXEC and leaves nothing behind but the empty space */
static void exec_bad_image(void)
{
	struct m2p_exec x;

	boot();
	elf_build_static();
	elf_add(PT_INTERP, PF_R, 0x400, 0x400400, 0x10, 0x10);
	CHECK(mm_new(23, IMG_MAX) == 0);
	CHECK(stage(HOST, 23, IMG_MAX) == 0);
	CHECK(exec(23, &x) == -ENOEXEC);
	CHECK(memstats().store_pages == 0 && host.pages == 0);
	CHECK(fetch(23, 0x400000, 0) == -EFAULT);
	CHECK(mm_exit(23) == 0);
	check_clean();
}

static int place_text_other(uint32_t mm, uint32_t vregion)
{
	(void)mm;
	return vregion == 0 ? OTHER : SELF;
}

/* text and data in a vRegion of OTHER: vmas synced there first, then every page */
static void exec_remote_image(void)
{
	struct m2m_vma_sync h;
	struct wire_vma w[3];
	const struct host_msg *m;

	boot();
	elf_build_static();
	host.place = place_text_other;
	spawn(24);
	CHECK(host_count(M2M_VMA_SYNC) == 1 && host_count(M2M_PAGE_PUT) == 3);
	m = host_find(M2M_VMA_SYNC, 0);
	CHECK(m->peer == OTHER && m->len == sizeof(h) + 3 * sizeof(w[0]));
	memcpy(&h, m->data, sizeof(h));
	memcpy(w, m->data + sizeof(h), sizeof(w));
	CHECK(h.mm == 24 && h.pmon == PMON && h.vnode == 7);
	CHECK(h.start == VMA_MIN && h.end == VREGION_SIZE && h.nvmas == 3);
	CHECK(w[0].start == 0x400000 && w[0].end == 0x402000 && w[0].kind == VMA_KIND_TEXT);
	CHECK(w[1].start == 0x402000 && w[1].end == 0x403000 && w[1].prot == RW);
	CHECK(w[2].end == 0x405000 && w[2].kind == VMA_KIND_BSS);
	m = host_find(M2M_PAGE_PUT, 1);
	CHECK(m->peer == OTHER && memcmp(m->data + sizeof(struct m2m_page), img + 0x1000,
					 0x800) == 0);
	CHECK(host_find(M2M_VMA_SYNC, 0) < host_find(M2M_PAGE_PUT, 0));
	CHECK(memstats().store_pages == 0);
	CHECK(fetch(24, 0x400000, 0) == -EPERM);	/* not owned here */
	CHECK(fetch(24, STACK_TOP - 4096, 0) == 0);
	host_forget();
	CHECK(mm_exit(24) == 0);
	CHECK(host_count(M2M_MM_FREE) == 1 && host_find(M2M_MM_FREE, 0)->peer == OTHER);
	CHECK(host_count(X2G_RELEASE) == 1 && host_find(X2G_RELEASE, 0)->peer == GMON);
	check_clean();
}

/* gmon failing to place the stack's vRegion fails exec, cleanly */
static int place_fails(uint32_t mm, uint32_t vregion)
{
	(void)mm;
	return vregion == STACK_VREGION ? -ETIMEDOUT : SELF;
}

static void exec_placement_fails(void)
{
	struct m2p_exec x;

	boot();
	elf_build_static();
	host.place = place_fails;
	CHECK(mm_new(25, IMG_MAX) == 0);
	CHECK(stage(HOST, 25, IMG_MAX) == 0);
	CHECK(exec(25, &x) == -ENOMEM);
	CHECK(mm_exit(25) == 0);
	check_clean();
}

/* ---- fetch and write-back ---- */

/* who may fetch, and what: each check with its errno; refusals are counted */
static void fetch_checks(void)
{
	struct p2m_fetch bad = { .mm = 30, .flags = 0x80, .va = 0x400000 };
	uint64_t refused;

	boot();
	elf_build_static();
	spawn(30);
	refused = memstats().refused;
	CHECK(fetch_from(PMON2, 30, 0x400000, 0, NULL) == -EPERM);
	CHECK(fetch_from(HOST, 30, 0x400000, 0, NULL) == -EPERM);
	CHECK(fetch(31, 0x400000, 0) == -EPERM);		/* no such process */
	CHECK(fetch(30, 0x400000, FETCH_WRITE) == -EACCES);	/* text */
	CHECK(memstats().refused == refused + 4);
	CHECK(fetch(30, 0x400010, 0) == -EINVAL);
	CHECK(fetch(30, 0x10000, 0) == -EFAULT);
	CHECK(fetch(30, UINT64_MAX & ~0xfffULL, 0) == -EFAULT);
	CHECK(call(PMON, P2M_FETCH, &bad, sizeof(bad)) == -EINVAL);
	CHECK(call(PMON, P2M_FETCH, &bad, sizeof(bad) - 1) == -EINVAL);
	CHECK(memstats().refused == refused + 4);
	CHECK(mm_exit(30) == 0);
	check_clean();
}

/* a read of an untouched page costs no memory; a write fetch reserves the page */
static void fetch_zero_fill(void)
{
	struct m2x_memstats before;

	boot();
	elf_build_static();
	spawn(32);
	before = memstats();
	CHECK(byte_at(32, 0x404000) == 0 && fetch_flags() == M2P_FETCH_UNBACKED);
	CHECK(memstats().store_pages == before.store_pages);
	CHECK(fetch(32, 0x404000, FETCH_WRITE) == 0 && fetch_flags() == 0);
	CHECK(byte_at(32, 0x404000) == 0 && fetch_flags() == 0);
	CHECK(memstats().store_pages == before.store_pages + 1);
	CHECK(memstats().zero_fills == before.zero_fills + 2);
	CHECK(memstats().fetches == before.fetches + 3);
	CHECK(mm_exit(32) == 0);
	check_clean();
}

/* write-back stores a page where the vma is writable, and only there */
static void writeback_roundtrip(void)
{
	struct m2x_memstats before;

	boot();
	elf_build_static();
	spawn(33);
	before = memstats();
	CHECK(writeback(33, 0x403000, 0x5a) == 0);
	CHECK(byte_at(33, 0x403000) == 0x5a);
	CHECK(memstats().writebacks == before.writebacks + 1);
	CHECK(memstats().vnodes[0].vnode == 7 && memstats().nvnodes == 1);
	CHECK(writeback(33, 0x400000, 1) == -EACCES);
	CHECK(writeback(33, 0x10000, 1) == -EFAULT);
	CHECK(writeback(33, 0x403001, 1) == -EINVAL);
	CHECK(byte_at(33, 0x400000) == 0x7f);
	CHECK(mm_exit(33) == 0);
	check_clean();
}

/* with no page left above the reserve, a write fetch is -ENOMEM and nothing leaks */
static void fetch_out_of_memory(void)
{
	boot();
	elf_build_static();
	spawn(34);
	host.free_pages = 100;
	CHECK(fetch(34, 0x404000, FETCH_WRITE) == -ENOMEM);
	CHECK(writeback(34, 0x404000, 1) == -ENOMEM);
	CHECK(byte_at(34, 0x404000) == 0);
	CHECK(mm_exit(34) == 0);
	check_clean();
}

/* ---- exit ---- */

/* only the pmon, only on the home; afterwards the mm is unknown here */
static void exit_checks(void)
{
	uint32_t mm = 35;

	boot();
	elf_build_static();
	spawn(35);
	CHECK(call(PMON2, P2M_MM_EXIT, &mm, sizeof(mm)) == -EPERM);
	CHECK(call(OTHER, M2M_MM_FREE, &mm, sizeof(mm)) == -EPERM);	/* home is here */
	CHECK(mm_exit(35) == 0);
	CHECK(mm_exit(35) == -EPERM);
	CHECK(fetch(35, 0x400000, 0) == -EPERM);
	CHECK(host_count(X2G_RELEASE) == 1);
	check_clean();
}

static const struct unit_test tests[] = {
	TEST(mm_new_checks),
	TEST(mm_new_out_of_memory),
	TEST(staging_checks),
	TEST(exec_static),
	TEST(exec_page_contents),
	TEST(exec_static_pie),
	TEST(exec_bad_image),
	TEST(exec_remote_image),
	TEST(exec_placement_fails),
	TEST(fetch_checks),
	TEST(fetch_zero_fill),
	TEST(writeback_roundtrip),
	TEST(fetch_out_of_memory),
	TEST(exit_checks),
};

CHECK_MAIN("mmon", tests)
