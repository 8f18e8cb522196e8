/*
 * Shared by tests/unit/test_mmon*.c: the memory monitor booted on the host as node
 * SELF of a small cluster, and one helper per request it serves.
 */
#ifndef TESTS_UNIT_MMON_TEST_H
#define TESTS_UNIT_MMON_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "elf_image.h"
#include "kernel/errno.h"
#include "kernel/monitor.h"
#include "mcomponent/vma.h"
#include "mcomponent/vregion.h"
#include "mmon_host.h"
#include "net/wire.h"

enum { GMON = 0, PMON = 1, SELF = 2, OTHER = 3, PMON2 = 4, HOST = 240 };

#define STACK_TOP VMA_MAX
#define STACK_VREGION (VREGION_COUNT - 1)
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static uint8_t resp[NET_MSG_MAX];
static long base_kmallocs;		/* live blocks after boot */

static inline int place_self(uint32_t mm, uint32_t vregion)
{
	(void)mm, (void)vregion;
	return SELF;
}

/* gmon's answer with the top vRegion (stack and mmap area) on OTHER. */
static inline int place_top_other(uint32_t mm, uint32_t vregion)
{
	(void)mm;
	return vregion == STACK_VREGION ? OTHER : SELF;
}

/* Boot the monitor once; every test starts with gmon placing everything here. */
static inline void boot(void)
{
	static bool booted;
	static struct node_config cfg = {
		.name = "mmon0", .id = SELF, .role = ROLE_MMON, .npeers = 6,
		.peers = {
			{ .id = GMON, .role = ROLE_GMON }, { .id = PMON, .role = ROLE_PMON },
			{ .id = SELF, .role = ROLE_MMON }, { .id = OTHER, .role = ROLE_MMON },
			{ .id = PMON2, .role = ROLE_PMON }, { .id = HOST, .role = ROLE_HOST },
		},
	};

	host.place = place_self;
	host.backup = 0xff;
	host.remote_err = 0;
	host.release_err = -ENOSYS;
	host.copy_err = 0;
	host.copy_pages = 0;
	host.free_pages = 1 << 20;
	host_forget();
	if (booted)
		return;
	host.gmon = GMON;
	CHECK(monitor.start(&cfg) == 0);
	base_kmallocs = host.kmallocs;
	booted = true;
}

/* One request as the RPC layer delivers it: length checked, bytes in their own block. */
static inline int call(uint8_t peer, uint16_t op, const void *req, size_t len)
{
	const struct rpc_op *o = &monitor.ops[op];
	void *copy;
	int ret;

	CHECK(op < monitor.nops && o->fn);
	if (len < o->min_len || len > o->max_len)
		return -EINVAL;
	copy = calloc(1, len ? len : 1);
	if (len)
		memcpy(copy, req, len);
	ret = o->fn(NULL, peer, copy, len, resp, sizeof(resp));
	free(copy);
	CHECK(host.locks == 0);
	return ret;
}

static inline int mm_new(uint32_t mm, uint32_t image_len)
{
	struct p2m_mm_new q = { .mm = mm, .vnode = 7, .image_len = image_len, .host = HOST };

	return call(PMON, P2M_MM_NEW, &q, sizeof(q));
}

/* P2M_MM_NEW from peer for an execve of /proc/self/exe: mm runs of's image. */
static inline int mm_new_of(uint8_t peer, uint32_t mm, uint32_t of)
{
	struct p2m_mm_new q = { .mm = mm, .vnode = 7, .host = HOST, .image_of = of };

	return call(peer, P2M_MM_NEW, &q, sizeof(q));
}

static inline int mm_fork(uint8_t peer, uint32_t parent, uint32_t child)
{
	struct p2m_mm_fork q = { .parent = parent, .child = child };

	return call(peer, P2M_MM_FORK, &q, sizeof(q));
}

/* M2M_MM_COPY from peer; on success *pages is what the owner says it copied. */
static inline int mm_copy(uint8_t peer, uint32_t parent, uint32_t child, uint32_t *pages)
{
	struct m2m_mm_copy q = { .parent = parent, .child = child };
	int ret = call(peer, M2M_MM_COPY, &q, sizeof(q));

	if (ret < 0)
		return ret;
	CHECK(ret == sizeof(*pages));
	if (pages)
		memcpy(pages, resp, sizeof(*pages));
	return 0;
}

/* The first n bytes of img, in chunks, from peer. */
static inline int stage(uint8_t peer, uint32_t mm, uint32_t n)
{
	static uint8_t buf[sizeof(struct h2m_image) + NET_IMAGE_CHUNK];
	int err = 0;

	for (uint32_t off = 0; !err && off < n; off += 0x1000) {
		struct h2m_image c = { .mm = mm, .offset = off };
		uint32_t k = n - off < 0x1000 ? n - off : 0x1000;

		memcpy(buf, &c, sizeof(c));
		memcpy(buf + sizeof(c), img + off, k);
		err = call(peer, H2M_IMAGE, buf, sizeof(c) + k);
	}
	return err;
}

static inline int exec(uint32_t mm, struct m2p_exec *out)
{
	int ret = call(PMON, P2M_EXEC, &mm, sizeof(mm));

	if (ret < 0)
		return ret;
	CHECK(ret == sizeof(*out));
	memcpy(out, resp, sizeof(*out));
	return 0;
}

/* PROC_NEW, staging and exec of the image in img (elf_build_static() by default). */
static inline void spawn(uint32_t mm)
{
	struct m2p_exec x;

	CHECK(mm_new(mm, IMG_MAX) == 0);
	CHECK(stage(HOST, mm, IMG_MAX) == 0);
	CHECK(exec(mm, &x) == 0);
}

/* Fetch from peer; on success the page is at page_of() and *prot is the vma's. */
static inline int fetch_from(uint8_t peer, uint32_t mm, uint64_t va, uint32_t flags,
			     uint32_t *prot)
{
	struct p2m_fetch q = { .mm = mm, .flags = flags, .va = va };
	int ret = call(peer, P2M_FETCH, &q, sizeof(q));

	if (ret < 0)
		return ret;
	CHECK(ret == sizeof(struct m2p_fetch) + NET_PAGE_SIZE);
	if (prot)
		memcpy(prot, resp, sizeof(*prot));
	return 0;
}

static inline int fetch(uint32_t mm, uint64_t va, uint32_t flags)
{
	return fetch_from(PMON, mm, va, flags, NULL);
}

static inline const uint8_t *page_of(void)
{
	return resp + sizeof(struct m2p_fetch);
}

/* The last fetch's M2P_FETCH_* flags. */
static inline uint32_t fetch_flags(void)
{
	struct m2p_fetch a;

	memcpy(&a, resp, sizeof(a));
	return a.flags;
}

static inline int writeback(uint32_t mm, uint64_t va, int byte)
{
	uint8_t buf[sizeof(struct p2m_writeback) + NET_PAGE_SIZE];
	struct p2m_writeback q = { .mm = mm, .va = va };

	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), byte, NET_PAGE_SIZE);
	return call(PMON, P2M_WRITEBACK, buf, sizeof(buf));
}

/* The first byte of the page at va, fetched for reading. */
static inline int byte_at(uint32_t mm, uint64_t va)
{
	int err = fetch(mm, va, 0);

	return err ? err : page_of()[0];
}

static inline int vm(uint32_t mm, uint32_t op, uint64_t addr, uint64_t len, uint64_t new_len,
		     uint32_t prot, uint32_t flags, uint64_t *out)
{
	struct p2m_vm q = { .mm = mm, .op = op, .addr = addr, .len = len, .new_len = new_len,
			    .prot = prot, .flags = flags };
	int ret = call(PMON, P2M_VM, &q, sizeof(q));

	if (ret < 0)
		return ret;
	CHECK(ret == sizeof(uint64_t));
	if (out)
		memcpy(out, resp, sizeof(*out));
	return 0;
}

static inline int mm_exit(uint32_t mm)
{
	return call(PMON, P2M_MM_EXIT, &mm, sizeof(mm));
}

static inline struct m2x_memstats memstats(void)
{
	struct m2x_memstats m;

	CHECK(call(GMON, X2M_MEMSTATS, NULL, 0) == sizeof(m));
	memcpy(&m, resp, sizeof(m));
	return m;
}

/* Everything a test made is gone: no page, no block beyond what boot made. */
static inline void check_clean(void)
{
	host_forget();
	CHECK(memstats().nprocs == 0 && memstats().store_pages == 0);
	CHECK(host.pages == 0);
	CHECK(host.kmallocs == base_kmallocs);
}

#endif
