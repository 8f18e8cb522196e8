/*
 * The input format of the memory monitor's fuzz target (fuzz_mmon.c), shared with
 * its seed generator (gen_mmon_corpus.c): fuzz_rpc.h's records, with node ids as
 * tests/unit/mmon_test.h names them.
 */
#ifndef TESTS_FUZZ_FUZZ_MMON_H
#define TESTS_FUZZ_FUZZ_MMON_H

#define SMON 9
#define HOME_MM 60		/* S_HOME: spawned from PMON */
#define MIRROR_MM 61		/* S_MIRROR: OTHER's, mirrored here */

/*
 * Every mm id a request names is one of these: an id of the pool stays, any other
 * becomes pool[id % 8]. 62, 126 and 190 share a hash chain, as do the last two.
 */
#define MMON_POOL { 0, HOME_MM, MIRROR_MM, 62, 126, 190, 0x7fffffff, UINT32_MAX }

/* Scenario byte: the first of every input. */
#define S_TOP_OTHER 0x01	/* gmon places the top vRegion (stack, mmap) on OTHER */
#define S_HOME 0x02		/* HOME_MM spawned: staged by HOST, exec'd */
#define S_MIRROR 0x04		/* MIRROR_MM: a few vmas at the top and a page */

/* Record ctl: bits 0-2 the peer, one of these (the table in fuzz_mmon.c). */
enum { P_PMON, P_PMON_TOO, P_PMON2, P_OTHER, P_HOST, P_GMON, P_SELF, P_SMON };
/*
 * C_FIX makes a request agree with itself: P2M_MM_NEW's path length, an X2S_*
 * request's lengths and handle (the n-th latest smon gave, n in bits 4-5).
 */
#define C_FIX 0x08
#define C_PICK(ctl) (((ctl) >> 4) & 3)

/* Record aux, the weather: bits 0-1 what, bits 2-7 how (n). */
#define W_FAIR 0
#define W_SHORT 1		/* free pages: 16 x n, around MMON_RESERVE */
#define W_PEERS 2		/* n bit 0: gmon refuses copies, 1: storage fails, */
				/* 2: the other mmon answers, huge copies */
#define W_ALLOC 3		/* the (n + 1)-th allocation fails */
#define W(kind, n) ((uint8_t)((kind) | (n) << 2))

#endif
