/*
 * Host tests for mcomponent/replica.c: a vRegion's two copies. Write-backs reach the
 * backup before they are answered, the home syncs both copies, a copy found lost is
 * forgotten (the backup taking over), M2M_PAGE_COPY is taken only from the other
 * copy of the vRegion, and a dead home's mirrors are freed.
 */
#include "mmon_test.h"

#define TOP_PAGE (MMAP_BASE_TOP - 0x1000)	/* a page of the first mmap */
#define MMAP_BASE_TOP (VMA_MAX - (128ULL << 20))

/* The m-th M2M_PAGE_COPY sent: to whom, for which page, its first byte. */
static void check_copy(unsigned m, uint8_t peer, uint32_t mm, uint64_t va, int byte)
{
	const struct host_msg *msg = host_find(M2M_PAGE_COPY, m);
	struct m2m_page h;

	CHECK(msg && msg->peer == peer && msg->len == sizeof(h) + NET_PAGE_SIZE);
	memcpy(&h, msg->data, sizeof(h));
	CHECK(h.mm == mm && h.va == va && msg->data[sizeof(h)] == byte);
}

/* mm's space with its pages here and their backup on OTHER. */
static void spawn_backed_up(uint32_t mm)
{
	boot();
	elf_build_static();
	host.backup = OTHER;
	spawn(mm);
}

/* gmon's verdict on node, as the message layer keeps it and the role hears it. */
static void node_event(uint8_t node, enum node_event ev)
{
	host.down[node] = ev == NODE_EVENT_DOWN;
	monitor.node_event(node, ev);
}

/* exec sends the backup its vmas (naming both copies) and its image pages */
static void exec_fills_the_backup(void)
{
	const struct host_msg *m;
	struct m2m_vma_sync h;

	spawn_backed_up(60);
	CHECK(host_count(M2M_VMA_SYNC) >= 1 && host_count(M2M_PAGE_PUT) == 3);
	m = host_find(M2M_VMA_SYNC, 0);
	memcpy(&h, m->data, sizeof(h));
	CHECK(m->peer == OTHER && h.owner == SELF && h.backup == OTHER && h.mm == 60);
	CHECK(host_find(M2M_PAGE_PUT, 0)->peer == OTHER);
	CHECK(mm_exit(60) == 0);
	CHECK(host_count(M2M_MM_FREE) == 1 && host_find(M2M_MM_FREE, 0)->peer == OTHER);
	check_clean();
}

/*
 * A write-back is answered after the backup took its copy; the backup's silence is
 * the write-back's error until gmon declares it down, then it goes on alone.
 */
static void writeback_waits_for_the_backup(void)
{
	spawn_backed_up(61);
	host_forget();
	CHECK(writeback(61, 0x403000, 0x5a) == 0);
	CHECK(host_count(M2M_PAGE_COPY) == 1);
	check_copy(0, OTHER, 61, 0x403000, 0x5a);
	host.remote_err = -ETIMEDOUT;
	CHECK(writeback(61, 0x403000, 0x5b) == -ETIMEDOUT);
	node_event(OTHER, NODE_EVENT_DOWN);
	host_forget();
	CHECK(writeback(61, 0x403000, 0x5c) == 0);
	CHECK(host_count(M2M_PAGE_COPY) == 0 && byte_at(61, 0x403000) == 0x5c);
	node_event(OTHER, NODE_EVENT_UP);
	host.remote_err = 0;
	CHECK(writeback(61, 0x403000, 0x5d) == 0 && host_count(M2M_PAGE_COPY) == 0);
	CHECK(mm_exit(61) == 0);
	check_clean();
}

/* a backup that refuses (it restarted: it has nothing of ours) is no backup any more */
static void a_refusing_backup_is_forgotten(void)
{
	spawn_backed_up(62);
	host.remote_err = -EPERM;
	CHECK(writeback(62, 0x403000, 1) == 0);
	host.remote_err = 0;
	host_forget();
	CHECK(writeback(62, 0x403000, 2) == 0 && host_count(M2M_PAGE_COPY) == 0);
	CHECK(byte_at(62, 0x403000) == 2);
	CHECK(mm_exit(62) == 0);
	check_clean();
}

/*
 * The top vRegion owned by OTHER and backed up here: the home syncs both copies, the
 * pmon may fetch from this copy, and once OTHER is down this node owns it alone.
 */
static void the_home_as_backup_takes_over(void)
{
	uint64_t a;

	boot();
	elf_build_static();
	host.place = place_top_other;
	host.backup = SELF;
	spawn(63);
	host_forget();
	CHECK(vm(63, VM_MMAP, 0, 8192, 0, RW, ANON, &a) == 0 && a == MMAP_BASE_TOP - 8192);
	CHECK(host_count(M2M_VMA_SYNC) == 1 && host_find(M2M_VMA_SYNC, 0)->peer == OTHER);
	CHECK(writeback(63, TOP_PAGE, 0x77) == 0);
	check_copy(0, OTHER, 63, TOP_PAGE, 0x77);
	node_event(OTHER, NODE_EVENT_DOWN);
	host_forget();
	CHECK(vm(63, VM_MUNMAP, a, 4096, 0, 0, 0, NULL) == 0);
	CHECK(host_count(M2M_VMA_SYNC) == 0 && byte_at(63, TOP_PAGE) == 0x77);
	CHECK(writeback(63, TOP_PAGE, 0x78) == 0 && host_count(M2M_PAGE_COPY) == 0);
	node_event(OTHER, NODE_EVENT_UP);
	CHECK(mm_exit(63) == 0);
	check_clean();
}

/* a moving mremap moves the pages on the backup too, before the vmas are synced */
static void mremap_moves_the_backup_s_pages(void)
{
	struct m2m_page_move mv;
	uint64_t a, b, c;

	spawn_backed_up(64);
	CHECK(vm(64, VM_MMAP, 0, 4 * 4096, 0, RW, ANON, &a) == 0);
	CHECK(vm(64, VM_MMAP, 0, 4096, 0, RW, ANON, &b) == 0 && b == a - 4096);
	CHECK(writeback(64, b, 0x31) == 0);
	host_forget();
	CHECK(vm(64, VM_MREMAP, b, 4096, 16 * 4096, 0, MREMAP_MAYMOVE, &c) == 0 && c != b);
	CHECK(host_count(M2M_PAGE_MOVE) == 1 && host_find(M2M_PAGE_MOVE, 0)->peer == OTHER);
	memcpy(&mv, host_find(M2M_PAGE_MOVE, 0)->data, sizeof(mv));
	CHECK(mv.mm == 64 && mv.from == b && mv.to == c && mv.len == 4096);
	CHECK(host.msgs[0].op == M2M_PAGE_MOVE);
	CHECK(byte_at(64, c) == 0x31);
	CHECK(mm_exit(64) == 0);
	check_clean();
}

static int page_move(uint8_t from, uint64_t src, uint64_t dst, uint64_t len)
{
	struct m2m_page_move q = { .mm = 900, .from = src, .to = dst, .len = len };

	return call(from, M2M_PAGE_MOVE, &q, sizeof(q));
}

/* An M2M_VMA_SYNC from OTHER, the home of mm 900, naming the vRegion's copies. */
static int mirror_sync(uint8_t owner, uint8_t backup)
{
	struct wire_vma w = { 0x600000, 0x602000, RW, VMA_KIND_ANON };
	struct m2m_vma_sync h = { .mm = 900, .vnode = 3, .pmon = PMON, .owner = owner,
				  .backup = backup, .nvmas = 1, .start = 0x600000,
				  .end = 0x602000 };
	uint8_t buf[sizeof(h) + sizeof(w)];

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &w, sizeof(w));
	return call(OTHER, M2M_VMA_SYNC, buf, sizeof(buf));
}

static int page_copy(uint8_t from, uint32_t mm, uint64_t va, int byte)
{
	uint8_t buf[sizeof(struct m2m_page) + NET_PAGE_SIZE];
	struct m2m_page q = { .mm = mm, .va = va };

	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), byte, NET_PAGE_SIZE);
	return call(from, M2M_PAGE_COPY, buf, sizeof(buf));
}

/* a mirror takes a page copy from the vRegion's other copy only, and inside a vma */
static void page_copy_only_from_the_other_copy(void)
{
	boot();
	CHECK(mirror_sync(OTHER, VREGION_NONE) == -EINVAL);	/* not a copy here */
	CHECK(mirror_sync(OTHER, OTHER) == -EINVAL);
	CHECK(mirror_sync(PMON, SELF) == -EINVAL);
	CHECK(mirror_sync(OTHER, SELF) == 0);
	CHECK(page_copy(OTHER, 900, 0x600000, 0x42) == 0);
	CHECK(byte_at(900, 0x600000) == 0x42);
	CHECK(page_copy(PMON, 900, 0x600000, 1) == -EPERM);
	CHECK(page_copy(OTHER, 901, 0x600000, 1) == -EPERM);
	CHECK(page_copy(OTHER, 900, 0x700000, 1) == -EFAULT);
	CHECK(page_copy(OTHER, 900, VREGION_SIZE, 1) == -EPERM);	/* another vRegion */
	CHECK(page_copy(OTHER, 900, 0x600001, 1) == -EINVAL);
	CHECK(byte_at(900, 0x600000) == 0x42);
	CHECK(page_move(OTHER, 0x600000, 0x600800, 4096) == -EINVAL);
	CHECK(page_move(OTHER, 0x600000, 0x600000 + 4096, 8192) == -EINVAL);	/* overlap */
	CHECK(page_move(OTHER, 0x600000, VMA_MAX, 4096) == -EINVAL);
	CHECK(page_move(OTHER, 0x600000, 0x601000, 0) == -EINVAL);
	CHECK(page_move(PMON, 0x600000, 0x601000, 4096) == -EPERM);
	CHECK(page_move(OTHER, 0x600000, VREGION_SIZE, 4096) == -EPERM);
	CHECK(page_move(OTHER, 0x600000, 0x601000, 4096) == 0);
	CHECK(byte_at(900, 0x601000) == 0x42 && byte_at(900, 0x600000) == 0);
	CHECK(call(OTHER, M2M_MM_FREE, &(uint32_t){ 900 }, sizeof(uint32_t)) == 0);
	check_clean();
}

/*
 * A home's death ends its processes: their mirrors here go, so a pmon that reuses
 * one of their ids (after its own restart) can make a space of it here.
 */
static void a_dead_home_s_mirrors_are_freed(void)
{
	boot();
	CHECK(mirror_sync(OTHER, SELF) == 0);
	CHECK(memstats().nprocs == 1);
	node_event(OTHER, NODE_EVENT_DOWN);
	CHECK(mm_new(900, 4096) == 0);
	CHECK(memstats().nprocs == 1);
	CHECK_STREQ(host.log, "new mm=900 vnode=7 on pmon 1, image of 4096 bytes from node 240");
	node_event(OTHER, NODE_EVENT_UP);
	CHECK(mm_exit(900) == 0);
	check_clean();
}

static const struct unit_test tests[] = {
	TEST(exec_fills_the_backup),
	TEST(writeback_waits_for_the_backup),
	TEST(a_refusing_backup_is_forgotten),
	TEST(the_home_as_backup_takes_over),
	TEST(mremap_moves_the_backup_s_pages),
	TEST(page_copy_only_from_the_other_copy),
	TEST(a_dead_home_s_mirrors_are_freed),
};

CHECK_MAIN("mmon_replica", tests)
