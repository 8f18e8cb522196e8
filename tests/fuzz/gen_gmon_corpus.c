/*
 * Writes the global managers' fuzz target's seeds into DIR (tests/fuzz/corpus_gmon/,
 * `make fuzz-corpus`): a warm cluster's placements (homes, vRegions, a fork's copy, a
 * release, processes, vNodes' files), a cold one that fills up report by report, and
 * one whose nodes fall silent and come back, and a restarted gmon hearing the records
 * it had from an mmon (M2G_RESTORE). Each seed runs through the target first,
 * and every record must succeed or fail as written here.
 */
#include <stdio.h>
#include "kernel/time.h"
#include "fuzz_gmon.h"
#include "fuzz_rpc.h"

#define OK true
#define NO false
#define MM 0x40001		/* pmon 4's first process */
#define CHILD 0x40002

static const char *dir;
static struct fuzz_seed seed;

static void rec(uint8_t peer, uint8_t ticks, uint16_t op, const void *req, size_t len,
		bool ok)
{
	fuzz_seed_rec(&seed, peer, ticks, op, req, len, ok);
}

static void place(uint8_t ticks, uint32_t mm, uint32_t vregion, bool ok)
{
	struct x2g_place q = { mm, vregion };

	rec(P_PMON1, ticks, X2G_PLACE, &q, sizeof(q), ok);
}

static void u32(uint8_t peer, uint8_t ticks, uint16_t op, uint32_t v, bool ok)
{
	rec(peer, ticks, op, &v, sizeof(v), ok);
}

static void place_proc(uint8_t ticks, uint32_t vnode, bool ok)
{
	struct h2g_place_proc q = { .vnode = vnode };

	rec(P_HOST, ticks, H2G_PLACE_PROC, &q, sizeof(q), ok);
}

static void mem_report(uint8_t peer, uint8_t ticks, uint64_t free, bool ok)
{
	struct m2g_mem_report r = { .capacity_pages = 65536, .free_pages = free };

	rec(peer, ticks, M2G_MEM_REPORT, &r, sizeof(r), ok);
}

static void load_report(uint8_t peer, uint32_t cpus, uint32_t procs, bool ok)
{
	struct p2g_load_report r = { .cpus = cpus, .lines = 4096, .procs_max = 64,
				     .threads = procs, .procs = procs };

	rec(peer, 0, P2G_LOAD_REPORT, &r, sizeof(r), ok);
}

static void seed_warm(void)
{
	struct m2g_mm_copy c = { MM, CHILD };

	fuzz_seed_begin(&seed, S_REPORTED);
	place(1, MM, X2G_PLACE_HOME, OK);
	place(1, MM, 0, OK);
	place(1, MM, 131071, OK);
	place(1, MM, 131072, NO);
	place(1, 0, 0, NO);
	rec(P_MMON1, 1, M2G_MM_COPY, &c, sizeof(c), OK);
	rec(P_MMON1, 1, M2G_MM_COPY, &c, sizeof(c), NO);
	place(1, CHILD, 0, OK);
	u32(P_PMON1, 1, X2G_RELEASE, CHILD, NO);
	u32(P_MMON1, 1, X2G_RELEASE, CHILD, OK);
	place(1, CHILD, 1, OK);
	place_proc(1, 1, OK);
	place_proc(1, 0, NO);
	u32(P_PMON1, 1, X2G_STORAGE, 1, OK);
	u32(P_HOST, 1, X2G_STORAGE, 1, OK);
	u32(P_MMON2, 1, X2G_STORAGE, 2, OK);
	fuzz_seed_end(&seed, dir, "warm");
}

/* A new gmon: an mmon restores a home, two vRegions and a vNode; hostile records fail. */
static void seed_restore(void)
{
	struct m2g_restore good[] = {
		{ .key = MM, .kind = RESTORE_HOME },
		{ .key = MM, .idx = 3, .kind = RESTORE_VREGION, .owner = GMON_MMON2,
		  .backup = GMON_MMON1 },
		{ .key = MM, .idx = 3, .kind = RESTORE_VREGION, .owner = GMON_MMON1,
		  .backup = 0xff },
		{ .key = 9, .kind = RESTORE_FRONT, .owner = GMON_SMON1 },
	};
	struct m2g_restore bad = { .key = MM, .idx = 4, .kind = RESTORE_VREGION,
				   .owner = GMON_PMON1, .backup = 0xff };

	fuzz_seed_begin(&seed, S_REPORTED);
	rec(P_MMON1, 0, M2G_RESTORE, good, sizeof(good), OK);
	rec(P_MMON1, 0, M2G_RESTORE, &bad, sizeof(bad), NO);
	rec(P_PMON1, 0, M2G_RESTORE, good, sizeof(good[0]), NO);
	rec(P_MMON1, 0, M2G_RESTORE, good, sizeof(good[0]) + 1, NO);
	place(1, MM, 3, OK);
	u32(P_PMON1, 1, X2G_STORAGE, 9, OK);
	fuzz_seed_end(&seed, dir, "restore");
}

static void seed_cold(void)
{
	struct s2g_storage_report s = { .capacity_blocks = 1 << 20, .free_blocks = 1000 };

	fuzz_seed_begin(&seed, 0);
	place(0, MM, X2G_PLACE_HOME, NO);
	mem_report(P_MMON1, 0, 1000, OK);
	mem_report(P_PMON1, 0, 1000, NO);
	place(0, MM, X2G_PLACE_HOME, OK);
	place(0, MM, 5, OK);
	place_proc(0, 1, NO);
	load_report(P_PMON1, 0, 0, NO);
	load_report(P_PMON1, 2, 64, OK);
	place_proc(0, 1, NO);
	load_report(P_PMON2, 2, 1, OK);
	place_proc(0, 1, OK);
	u32(P_PMON1, 0, X2G_STORAGE, 1, NO);
	rec(P_SMON1, 0, S2G_STORAGE_REPORT, &s, sizeof(s), OK);
	rec(P_MMON1, 0, S2G_STORAGE_REPORT, &s, sizeof(s), NO);
	u32(P_PMON1, 0, X2G_STORAGE, 1, OK);
	fuzz_seed_end(&seed, dir, "cold");
}

/* Four seconds without reports: nothing new is placed until a node speaks again. */
static void seed_silence(void)
{
	fuzz_seed_begin(&seed, S_REPORTED);
	place(0, MM, X2G_PLACE_HOME, OK);
	u32(P_PMON1, 0, X2G_STORAGE, 1, OK);
	place(200, MM + 1, X2G_PLACE_HOME, NO);
	place(0, MM, X2G_PLACE_HOME, OK);
	u32(P_PMON1, 0, X2G_STORAGE, 1, OK);
	u32(P_PMON1, 0, X2G_STORAGE, 2, NO);
	place_proc(0, 1, NO);
	mem_report(P_MMON2, 0, 60000, OK);
	place(0, MM + 1, X2G_PLACE_HOME, OK);
	load_report(P_PMON2, 1, 0, OK);
	place_proc(0, 1, OK);
	fuzz_seed_end(&seed, dir, "silence");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	seed_warm();
	seed_restore();
	seed_cold();
	seed_silence();
	return 0;
}
