/*
 * Host tests for the memory monitor's services, part three: random requests to every
 * handler, most of them from the right peer for a live process and with fields near
 * the edges that matter, so they get past the identity checks into the vm, sync,
 * exec and page paths. Nothing may crash (ASan, UBSan) or leak.
 */
#include "mmon_test.h"

#define ROUNDS 40000
#define HOME_PID 60		/* lives here, its top vRegion on OTHER */
#define MIRROR_PID 61		/* home OTHER, mirrored here */

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
		struct p2m_vm q = { HOME_PID, 1 + rand() % 7, pick(), pick(), pick(),
				    rand() % 9, pick_flags() };

		memcpy(buf, &q, sizeof(q));
	} else if (op == P2M_FETCH || op == P2M_WRITEBACK || op == M2M_PAGE_PUT) {
		struct p2m_fetch q = { op == M2M_PAGE_PUT ? MIRROR_PID : HOME_PID, rand() % 3,
				       pick() & ~4095ULL };

		memcpy(buf, &q, sizeof(q));
	} else if (op == M2M_VMA_SYNC) {
		uint64_t start = pick() & ~4095ULL;
		struct m2m_vma_sync h = { MIRROR_PID, 3, PMON, {0}, (uint32_t)rand() % 4,
					  start, start + 4096 * (uint64_t)(1 + rand() % 16) };
		struct wire_vma w;

		len = sizeof(h) + h.nvmas * sizeof(w);
		memcpy(buf, &h, sizeof(h));
		for (uint32_t i = 0; i < h.nvmas; i++) {
			w = (struct wire_vma){ start + 4096 * i, start + 4096 * (i + 1),
					       (uint32_t)rand() % 8, (uint32_t)rand() % 7 };
			memcpy(buf + sizeof(h) + i * sizeof(w), &w, sizeof(w));
		}
	} else if (len >= sizeof(uint32_t) && rand() % 4) {
		uint32_t pid = rand() % 2 ? HOME_PID : MIRROR_PID;

		memcpy(buf, &pid, sizeof(pid));
	}
	return len;
}

/* The peer a request of op comes from when it is genuine. */
static uint8_t genuine_peer(uint16_t op)
{
	if (op == H2M_IMAGE)
		return HOST;
	return op == M2M_VMA_SYNC || op == M2M_PAGE_PUT ? OTHER : PMON;
}

static void random_requests_never_escape(void)
{
	static const uint8_t peers[] = { PMON, PMON2, OTHER, HOST, GMON, SELF };
	static uint8_t buf[NET_MSG_MAX];
	unsigned passed = 0;

	boot();
	elf_build_static();
	host.place = place_top_other;
	spawn(HOME_PID);
	srand(7);
	for (int round = 0; round < ROUNDS; round++) {
		uint16_t op = (uint16_t)(1 + rand() % (NET_OPCODE_MAX - 1));
		size_t len;
		int ret;

		if (!monitor.ops[op].fn || op == P2M_PROC_EXIT || op == M2M_PROC_FREE ||
		    op == P2M_PROC_NEW)
			continue;
		len = make(op, buf);
		ret = call(rand() % 4 ? genuine_peer(op) : peers[rand() % 6], op, buf, len);
		passed += ret >= 0;
		host_forget();
	}
	CHECK(passed > ROUNDS / 40);		/* many got through to the real work */
	CHECK(proc_exit(HOME_PID) == 0);
	call(OTHER, M2M_PROC_FREE, &(uint32_t){ MIRROR_PID }, sizeof(uint32_t));
	check_clean();
}

static const struct unit_test tests[] = {
	TEST(random_requests_never_escape),
};

CHECK_MAIN("mmon_fuzz", tests)
