/*
 * Host tests for the memory monitor's services, part three: random requests to every
 * handler, most of them from the right peer for a live address space and with fields
 * near the edges that matter, so they get past the identity checks into the vm, sync,
 * exec, fork and page paths; spaces in a small pool of ids come and go (new, execve,
 * fork, copy, exit), and memory, gmon and the other mmon fail now and then. Nothing
 * may crash (ASan, UBSan) or leak.
 */
#include "mmon_test.h"

#define ROUNDS 40000
#define HOME_MM 60		/* lives here, its top vRegion on OTHER */
#define MIRROR_MM 61		/* home OTHER, mirrored here */
#define POOL_MM 62		/* POOL_MM .. + POOL - 1 come and go */
#define POOL 4

static const uint64_t edges[] = {
	0, 1, 4096, VMA_MIN, 0x400000, 0x402000, 0x404000, 0x405000, VREGION_SIZE,
	VMA_MAX - (128ULL << 20), VMA_MAX - (8ULL << 20), VMA_MAX - 4096, VMA_MAX,
	1ULL << 47, UINT64_MAX - 4095, UINT64_MAX,
};

static uint32_t rnd32(void)
{
	return (uint32_t)rand() ^ ((uint32_t)rand() << 16);
}

/* An edge, an edge a page or two off, a small length, or anything at all. */
static uint64_t pick(void)
{
	uint64_t e = edges[(size_t)rand() % (sizeof(edges) / sizeof(edges[0]))];

	switch (rand() % 5) {
	case 0:
		return e;
	case 1:
		return e + 4096 * (uint64_t)(rand() % 3);
	case 2:
		return e - 4096 * (uint64_t)(rand() % 3);
	case 3:
		return 4096 * (uint64_t)(rand() % 64) + (rand() % 8 ? 0 : 1);
	default:
		return ((uint64_t)rnd32() << 32) | rnd32();
	}
}

static uint32_t pick_flags(void)
{
	static const uint32_t f[] = {
		MAP_PRIVATE | MAP_ANONYMOUS, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, MAP_SHARED | MAP_ANONYMOUS,
		MREMAP_MAYMOVE, 0,
	};

	return rand() % 8 ? f[rand() % 6] : rnd32();
}

/* One of the pool's ids, or now and then base (a long-lived space). */
static uint32_t pick_mm(uint32_t base)
{
	return rand() % 3 ? POOL_MM + (uint32_t)rand() % POOL : base;
}

/* A child for a fork or a copy: a pool id mostly, else 0, the parent or a live one. */
static uint32_t pick_child(uint32_t parent)
{
	static const uint32_t odd[] = { 0, HOME_MM, MIRROR_MM };

	if (rand() % 8)
		return POOL_MM + (uint32_t)rand() % POOL;
	return rand() % 2 ? parent : odd[rand() % 3];
}

/* P2M_MM_NEW: a pool id, small or hostile image lengths, image_of mostly set. */
static struct p2m_mm_new make_mm_new(void)
{
	static const uint32_t lens[] = { 0, 1, 4096, 0x4000, NET_IMAGE_MAX + 1, UINT32_MAX };
	struct p2m_mm_new q = { .mm = pick_mm(0), .vnode = 1 + rand() % 3, .host = HOST };

	q.image_len = rand() % 4 ? 0 : lens[rand() % 6];
	if (rand() % 4)
		q.image_of = pick_mm(HOME_MM);
	return q;
}

/* Fill buf with a request for op; returns its length. */
static size_t make(uint16_t op, uint8_t *buf)
{
	const struct rpc_op *o = &monitor.ops[op];
	size_t len = o->min_len;

	if (o->max_len > o->min_len && rand() % 2)
		len += (size_t)rand() % (o->max_len - o->min_len + 1);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rand();
	if (op == P2M_VM) {
		struct p2m_vm q = { pick_mm(HOME_MM), 1 + rand() % 7, pick(), pick(), pick(),
				    rand() % 9, pick_flags() };

		memcpy(buf, &q, sizeof(q));
	} else if (op == P2M_FETCH || op == P2M_WRITEBACK || op == M2M_PAGE_PUT) {
		struct p2m_fetch q = { pick_mm(op == M2M_PAGE_PUT ? MIRROR_MM : HOME_MM),
				       rand() % 3, pick() & ~4095ULL };

		memcpy(buf, &q, sizeof(q));
	} else if (op == P2M_MM_NEW) {
		struct p2m_mm_new q = make_mm_new();

		memcpy(buf, &q, sizeof(q));
	} else if (op == P2M_MM_FORK || op == M2M_MM_COPY) {
		uint32_t parent = pick_mm(op == P2M_MM_FORK ? HOME_MM : MIRROR_MM);
		struct p2m_mm_fork q = { parent, pick_child(parent) };

		memcpy(buf, &q, sizeof(q));
	} else if (op == P2M_MM_EXIT || op == M2M_MM_FREE) {
		uint32_t mm = POOL_MM + (uint32_t)rand() % POOL;

		memcpy(buf, &mm, sizeof(mm));
	} else if (op == M2M_VMA_SYNC) {
		uint64_t start = pick() & ~4095ULL;
		struct m2m_vma_sync h = {
			.mm = pick_mm(MIRROR_MM), .vnode = 3, .pmon = PMON,
			.owner = rand() % 4 ? SELF : OTHER,
			.backup = rand() % 2 ? VREGION_NONE : rand() % 2 ? OTHER : SELF,
			.nvmas = (uint32_t)rand() % 4,
			.start = start, .end = start + 4096 * (uint64_t)(1 + rand() % 16),
		};
		struct wire_vma w;

		len = sizeof(h) + h.nvmas * sizeof(w);
		memcpy(buf, &h, sizeof(h));
		for (uint32_t i = 0; i < h.nvmas; i++) {
			w = (struct wire_vma){ start + 4096 * i, start + 4096 * (i + 1),
					       (uint32_t)rand() % 8, (uint32_t)rand() % 7 };
			memcpy(buf + sizeof(h) + i * sizeof(w), &w, sizeof(w));
		}
	} else if (len >= sizeof(uint32_t) && rand() % 4) {
		uint32_t mm = pick_mm(rand() % 2 ? HOME_MM : MIRROR_MM);

		memcpy(buf, &mm, sizeof(mm));
	}
	return len;
}

/* The peer a request of op comes from when it is genuine. */
static uint8_t genuine_peer(uint16_t op)
{
	if (op == H2M_IMAGE)
		return HOST;
	if (op == M2M_VMA_SYNC || op == M2M_PAGE_PUT || op == M2M_MM_COPY || op == M2M_MM_FREE)
		return OTHER;
	return PMON;
}

/* Now and then memory runs short, gmon refuses a copy, or the other mmon fails. */
static void weather(void)
{
	host.free_pages = rand() % 40 ? 1 << 20 : 600;
	host.copy_err = rand() % 20 ? 0 : (rand() % 2 ? -EEXIST : -ENOMEM);
	host.remote_err = rand() % 20 ? 0 : -ETIMEDOUT;
	host.copy_pages = (uint32_t)rand();
}

/* Whatever of the pool is left, as a home of either pmon or as OTHER's mirror. */
static void pool_free(void)
{
	for (uint32_t mm = POOL_MM; mm < POOL_MM + POOL; mm++) {
		call(PMON, P2M_MM_EXIT, &mm, sizeof(mm));
		call(PMON2, P2M_MM_EXIT, &mm, sizeof(mm));
		call(OTHER, M2M_MM_FREE, &mm, sizeof(mm));
	}
}

static void random_requests_never_escape(void)
{
	static const uint8_t peers[] = { PMON, PMON2, OTHER, HOST, GMON, SELF };
	static uint8_t buf[NET_MSG_MAX];
	unsigned passed = 0;

	boot();
	elf_build_static();
	host.place = place_top_other;
	spawn(HOME_MM);
	srand(7);
	for (int round = 0; round < ROUNDS; round++) {
		uint16_t op = (uint16_t)(1 + rand() % (NET_OPCODE_MAX - 1));
		size_t len;
		int ret;

		if (!monitor.ops[op].fn)
			continue;
		weather();
		len = make(op, buf);
		ret = call(rand() % 4 ? genuine_peer(op) : peers[rand() % 6], op, buf, len);
		passed += ret >= 0;
		host_forget();
	}
	CHECK(passed > ROUNDS / 40);		/* many got through to the real work */
	boot();					/* fair weather */
	pool_free();
	CHECK(mm_exit(HOME_MM) == 0);
	call(OTHER, M2M_MM_FREE, &(uint32_t){ MIRROR_MM }, sizeof(uint32_t));
	check_clean();
}

static const struct unit_test tests[] = {
	TEST(random_requests_never_escape),
};

CHECK_MAIN("mmon_fuzz", tests)
