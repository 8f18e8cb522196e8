/*
 * The input format of the global managers' fuzz target (fuzz_gmon.c), shared with its
 * seed generator (gen_gmon_corpus.c): fuzz_rpc.h's records, in a cluster of two
 * mComponents, two pComponents, two sComponents and a host.
 */
#ifndef TESTS_FUZZ_FUZZ_GMON_H
#define TESTS_FUZZ_FUZZ_GMON_H

enum { GMON_SELF = 0, GMON_MMON1 = 1, GMON_MMON2 = 2, GMON_PMON1 = 4, GMON_PMON2 = 5,
       GMON_SMON1 = 6, GMON_SMON2 = 7, GMON_HOST = 240, GMON_STRANGER = 99 };

/* Scenario byte. */
#define S_REPORTED 0x01		/* every component reports once first, with room */

/* Record ctl: bits 0-2 the peer, one of these (the table in fuzz_gmon.c). */
enum { P_MMON1, P_MMON2, P_PMON1, P_PMON2, P_SMON1, P_SMON2, P_HOST, P_STRANGER };
/* Record aux: that many ticks pass before the request; nodes fall silent after 3 s. */
#define TICK (20 * NSEC_PER_MSEC)

#endif
