/*
 * Writes the memory monitor fuzz target's seeds into DIR (tests/fuzz/corpus_mmon/,
 * `make fuzz-corpus`): the requests a pmon, a host and another mmon send in a
 * process's life (vm calls, faults and write-backs, fork, execve from storage or of
 * itself, staging, a mirror's syncs and copies), file requests through the front, and
 * some under bad weather. Each seed runs through the target first, and every record
 * must succeed or fail as written here.
 */
#include <stdio.h>
#include "../unit/mmon_test.h"
#include "fuzz_mmon.h"
#include "fuzz_rpc.h"
#include "x2s_req.h"

#define MAP_AT 0x10000000ULL
#define OK true
#define NO false

static const char *dir;
static struct fuzz_seed seed;

static void begin(uint8_t scenario)
{
	fuzz_seed_begin(&seed, scenario);
}

static void rec(uint8_t ctl, uint8_t aux, uint16_t op, const void *req, size_t len, bool ok)
{
	fuzz_seed_rec(&seed, ctl, aux, op, req, len, ok);
}

static void end(const char *name)
{
	fuzz_seed_end(&seed, dir, name);
}

static void vm_rec(uint8_t aux, uint32_t mm, uint32_t op, uint64_t addr, uint64_t len,
		   uint64_t new_len, uint32_t prot, uint32_t flags, bool ok)
{
	struct p2m_vm q = { .mm = mm, .op = op, .addr = addr, .len = len, .new_len = new_len,
			    .prot = prot, .flags = flags };

	rec(P_PMON, aux, P2M_VM, &q, sizeof(q), ok);
}

static void fetch_rec(uint8_t peer, uint8_t aux, uint32_t mm, uint64_t va, uint32_t flags,
		      bool ok)
{
	struct p2m_fetch q = { .mm = mm, .flags = flags, .va = va };

	rec(peer, aux, P2M_FETCH, &q, sizeof(q), ok);
}

/* A P2M_WRITEBACK from the pmon, or an M2M_PAGE_PUT from OTHER: a page of byte. */
static void page_rec(uint8_t peer, uint16_t op, uint32_t mm, uint64_t va, int byte, bool ok)
{
	static uint8_t buf[sizeof(struct p2m_writeback) + NET_PAGE_SIZE];
	struct p2m_writeback q = { .mm = mm, .va = va };

	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), byte, NET_PAGE_SIZE);
	rec(peer, W_FAIR, op, buf, sizeof(buf), ok);
}

static void mm_rec(uint8_t peer, uint16_t op, uint32_t mm, bool ok)
{
	rec(peer, W_FAIR, op, &mm, sizeof(mm), ok);
}

static void pair_rec(uint8_t peer, uint8_t aux, uint16_t op, uint32_t parent, uint32_t child,
		     bool ok)
{
	struct p2m_mm_fork q = { parent, child };

	rec(peer, aux, op, &q, sizeof(q), ok);
}

/* P2M_MM_NEW of mm in vNode 7: an image of image_len to stage, image_of's, or path's. */
static void new_rec(uint32_t mm, uint32_t image_len, uint32_t image_of, const char *path,
		    bool ok)
{
	uint8_t buf[sizeof(struct p2m_mm_new) + 64];
	struct p2m_mm_new q = { .mm = mm, .vnode = 7, .image_len = image_len, .host = HOST,
				.image_of = image_of, .path_len = path ? strlen(path) : 0 };

	memcpy(buf, &q, sizeof(q));
	memcpy(buf + sizeof(q), path ? path : "", q.path_len);
	rec(P_PMON, W_FAIR, P2M_MM_NEW, buf, sizeof(q) + q.path_len, ok);
}

/* File requests from the pmon, made to agree with themselves (C_FIX). */
static void path_rec(uint16_t op, uint32_t vnode, uint32_t flags, const char *path, bool ok)
{
	uint8_t buf[X2S_REQ_MAX];

	rec(P_PMON | C_FIX, W_FAIR, op, buf, x2s_path_req(buf, vnode, flags, path), ok);
}

static void path2_rec(uint16_t op, const char *a, const char *b, bool ok)
{
	uint8_t buf[X2S_REQ_MAX];

	rec(P_PMON | C_FIX, W_FAIR, op, buf, x2s_path2_req(buf, 7, a, b), ok);
}

/* On the latest handle smon gave. */
static void io_rec(uint8_t aux, uint16_t op, uint64_t offset, uint32_t len, bool ok)
{
	static uint8_t buf[X2S_REQ_MAX];

	rec(P_PMON | C_FIX, aux, op, buf, x2s_io_req(buf, op, offset, len, 0), ok);
}

static void seed_vm(void)
{
	begin(S_HOME);
	vm_rec(W_FAIR, HOME_MM, VM_MMAP, MAP_AT, 0x4000, 0, RW, ANON | MAP_FIXED, OK);
	fetch_rec(P_PMON, W_FAIR, HOME_MM, MAP_AT, FETCH_WRITE, OK);
	page_rec(P_PMON, P2M_WRITEBACK, HOME_MM, MAP_AT, 7, OK);
	fetch_rec(P_PMON, W_FAIR, HOME_MM, MAP_AT, 0, OK);
	fetch_rec(P_PMON2, W_FAIR, HOME_MM, MAP_AT, 0, NO);
	vm_rec(W_FAIR, HOME_MM, VM_MPROTECT, MAP_AT, 0x1000, 0, PROT_READ, 0, OK);
	vm_rec(W_FAIR, HOME_MM, VM_MREMAP, MAP_AT + 0x1000, 0x3000, 0x6000, 0, MREMAP_MAYMOVE,
	       OK);
	vm_rec(W_FAIR, HOME_MM, VM_BRK, 0x408000, 0, 0, 0, 0, OK);
	vm_rec(W_FAIR, HOME_MM, VM_DONTNEED, MAP_AT, 0x2000, 0, 0, 0, OK);
	vm_rec(W_FAIR, HOME_MM, VM_MMAP, 0, 0x3000, 0, RW, ANON, OK);
	vm_rec(W_FAIR, HOME_MM, VM_MUNMAP, 0x400000, 0x1000, 0, 0, 0, OK);
	fetch_rec(P_PMON, W_FAIR, HOME_MM, 0x401000, 0, OK);
	fetch_rec(P_PMON, W_FAIR, HOME_MM, STACK_TOP - 4096, FETCH_WRITE, OK);
	rec(P_GMON, W_FAIR, X2M_MEMSTATS, NULL, 0, OK);
	end("vm");
}

/* The stack and mmap area on OTHER: the home syncs the vmas there, and refuses faults. */
static void seed_top_other(void)
{
	begin(S_HOME | S_TOP_OTHER);
	vm_rec(W_FAIR, HOME_MM, VM_MMAP, 0, 0x8000, 0, RW, ANON, OK);
	vm_rec(W_FAIR, HOME_MM, VM_MPROTECT, STACK_TOP - 0x2000, 0x1000, 0, PROT_READ, 0, OK);
	fetch_rec(P_PMON, W_FAIR, HOME_MM, STACK_TOP - 4096, 0, NO);
	pair_rec(P_PMON, W_FAIR, P2M_MM_FORK, HOME_MM, 62, OK);
	mm_rec(P_PMON, P2M_MM_EXIT, 62, OK);
	end("top_other");
}

static void seed_fork(void)
{
	begin(S_HOME);
	page_rec(P_PMON, P2M_WRITEBACK, HOME_MM, 0x403000, 9, OK);
	pair_rec(P_PMON, W_FAIR, P2M_MM_FORK, HOME_MM, 62, OK);
	fetch_rec(P_PMON, W_FAIR, 62, 0x403000, 0, OK);
	vm_rec(W_FAIR, 62, VM_MMAP, 0, 0x2000, 0, RW, ANON, OK);
	pair_rec(P_PMON, W_FAIR, P2M_MM_FORK, 62, 126, OK);
	pair_rec(P_PMON, W_FAIR, P2M_MM_FORK, HOME_MM, HOME_MM, NO);
	pair_rec(P_PMON, W_FAIR, P2M_MM_FORK, HOME_MM, 0, NO);
	pair_rec(P_PMON2, W_FAIR, P2M_MM_FORK, HOME_MM, 190, NO);
	mm_rec(P_PMON, P2M_MM_EXIT, 62, OK);
	mm_rec(P_PMON, P2M_MM_EXIT, 62, NO);
	end("fork");
}

/* execve: a program from the vNode's files, then /proc/self/exe of it. */
static void seed_execve(void)
{
	begin(0);
	new_rec(62, 0, 0, "/bin/prog", OK);
	mm_rec(P_PMON, P2M_EXEC, 62, OK);
	fetch_rec(P_PMON, W_FAIR, 62, 0x400000, 0, OK);
	new_rec(126, 0, 62, NULL, OK);
	mm_rec(P_PMON, P2M_EXEC, 126, OK);
	mm_rec(P_PMON, P2M_MM_EXIT, 126, OK);
	new_rec(190, 0, 0, "/etc/motd", NO);
	new_rec(190, 0, 0, "/nowhere", NO);
	new_rec(190, 0, 0, "/link", NO);
	mm_rec(P_PMON, P2M_MM_EXIT, 62, OK);
	end("execve");
}

/* The host stages an image in one chunk; the pmon has it loaded. */
static void seed_stage(void)
{
	static uint8_t buf[sizeof(struct h2m_image) + IMG_MAX];
	struct h2m_image c = { .mm = 62 };

	begin(0);
	new_rec(62, IMG_MAX, 0, NULL, OK);
	memcpy(buf, &c, sizeof(c));
	memcpy(buf + sizeof(c), img, IMG_MAX);
	rec(P_HOST, W_FAIR, H2M_IMAGE, buf, sizeof(buf), OK);
	mm_rec(P_PMON, P2M_EXEC, 62, OK);
	rec(P_HOST, W_FAIR, H2M_IMAGE, buf, sizeof(c) + 4096, NO);
	mm_rec(P_PMON, P2M_EXEC, 62, NO);
	fetch_rec(P_PMON, W_FAIR, 62, 0x402000, FETCH_WRITE, OK);
	end("stage");
}

/* OTHER's process mirrored here: its syncs, pages, faults, a copy for a fork, the end. */
static void seed_mirror(void)
{
	struct {
		struct m2m_vma_sync h;
		struct wire_vma v;
	} __attribute__((packed)) m = {
		.h = { .mm = MIRROR_MM, .vnode = 7, .pmon = PMON, .owner = OTHER,
		       .backup = SELF, .nvmas = 1, .start = STACK_TOP - 32 * 4096,
		       .end = STACK_TOP - 16 * 4096 },
		.v = { STACK_TOP - 24 * 4096, STACK_TOP - 16 * 4096, RW, VMA_KIND_ANON },
	};

	begin(S_MIRROR);
	rec(P_OTHER, W_FAIR, M2M_VMA_SYNC, &m, sizeof(m), OK);
	page_rec(P_OTHER, M2M_PAGE_PUT, MIRROR_MM, STACK_TOP - 20 * 4096, 5, OK);
	fetch_rec(P_PMON, W_FAIR, MIRROR_MM, STACK_TOP - 4096, 0, OK);
	page_rec(P_PMON, P2M_WRITEBACK, MIRROR_MM, STACK_TOP - 8192, 6, OK);
	page_rec(P_OTHER, M2M_PAGE_COPY, MIRROR_MM, STACK_TOP - 20 * 4096, 7, OK);
	page_rec(P_PMON, M2M_PAGE_COPY, MIRROR_MM, STACK_TOP - 20 * 4096, 7, NO);
	pair_rec(P_OTHER, W_FAIR, M2M_MM_COPY, MIRROR_MM, 62, OK);
	fetch_rec(P_PMON, W_FAIR, 62, STACK_TOP - 20 * 4096, 0, OK);
	page_rec(P_PMON, M2M_PAGE_PUT, MIRROR_MM, STACK_TOP - 4096, 5, NO);
	mm_rec(P_OTHER, M2M_MM_FREE, 62, OK);
	mm_rec(P_PMON, P2M_MM_EXIT, MIRROR_MM, NO);
	end("mirror");
}

/* File requests of vNode 7 through this node's front and cache to smon. */
static void seed_files(void)
{
	begin(0);
	path_rec(X2S_OPEN, 7, 0, "/etc/motd", OK);
	io_rec(W_FAIR, X2S_READ, 0, 100, OK);
	io_rec(W_FAIR, X2S_WRITE, 3, 5, OK);
	io_rec(W_FAIR, X2S_READ, 0, 100, OK);
	io_rec(W_FAIR, X2S_GETATTR, 0, 0, OK);
	io_rec(W_FAIR, X2S_FSYNC, 0, 0, OK);
	io_rec(W_FAIR, X2S_TRUNCATE, 2, 0, OK);
	path_rec(X2S_OPEN, 7, 0, "/big", OK);
	io_rec(W_FAIR, X2S_READ, 0, NET_FS_IO_MAX, OK);
	io_rec(W_FAIR, X2S_READ, NET_FS_IO_MAX, NET_FS_IO_MAX, OK);
	io_rec(W_FAIR, X2S_WRITE, 40000, 9000, OK);
	path_rec(X2S_OPEN, 7, X2S_DIRECTORY, "/dir", OK);
	io_rec(W_FAIR, X2S_READDIR, 0, 4096, OK);
	path_rec(X2S_STAT, 7, 0, "/link", OK);
	path_rec(X2S_MKDIR, 7, 0, "/new", OK);
	path2_rec(X2S_SYMLINK, "etc/motd", "/l2", OK);
	path_rec(X2S_READLINK, 7, 0, "/l2", OK);
	path2_rec(X2S_RENAME, "/new", "/newer", OK);
	path_rec(X2S_UNLINK, 7, X2S_REMOVEDIR, "/newer", OK);
	path_rec(X2S_OPEN, 7, X2S_CREAT | X2S_TRUNC, "/etc/motd", OK);
	rec(P_PMON, W_FAIR, X2S_STATFS, &(uint32_t){ 7 }, sizeof(uint32_t), OK);
	path_rec(X2S_OPEN, 2, 0, "/etc/motd", NO);
	end("files");
}

/* Memory short, an allocation failing, gmon and storage failing. */
static void seed_weather(void)
{
	begin(S_HOME);
	vm_rec(W(W_ALLOC, 0), HOME_MM, VM_MMAP, MAP_AT, 0x4000, 0, RW, ANON | MAP_FIXED, NO);
	fetch_rec(P_PMON, W(W_SHORT, 0), HOME_MM, 0x403000, FETCH_WRITE, NO);
	pair_rec(P_PMON, W(W_PEERS, 1), P2M_MM_FORK, HOME_MM, 62, NO);
	pair_rec(P_PMON, W(W_ALLOC, 3), P2M_MM_FORK, HOME_MM, 62, NO);
	path_rec(X2S_OPEN, 7, 0, "/big", OK);
	io_rec(W(W_PEERS, 2), X2S_READ, 0, 100, NO);
	io_rec(W(W_ALLOC, 1), X2S_WRITE, 0, 100, NO);
	end("weather");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	elf_build_static();
	seed_vm();
	seed_top_other();
	seed_fork();
	seed_execve();
	seed_stage();
	seed_mirror();
	seed_files();
	seed_weather();
	return 0;
}
