/*
 * The input format of the storage monitor's fuzz target (fuzz_smon.c), shared with
 * its seed generator (gen_smon_corpus.c): fuzz_rpc.h's records of X2S_* requests.
 */
#ifndef TESTS_FUZZ_FUZZ_SMON_H
#define TESTS_FUZZ_FUZZ_SMON_H

enum { SMON_GMON = 0, SMON_PMON = 1, SMON_MMON = 2, SMON_MMON2 = 3, SMON_STRANGER = 77 };

/* Scenario byte. */
#define S_FULL 0x01		/* /fill in vNode 1 takes what the disk has left */

/* Record ctl: bits 0-2 the peer, one of these (the table in fuzz_smon.c). */
enum { P_MMON, P_MMON_TOO, P_MMON_TOO2, P_MMON2, P_MMON2_TOO, P_PMON, P_GMON, P_STRANGER };
/*
 * C_FIX makes a request agree with itself (smon_host_fix()): its lengths add up, its
 * handle is the aux-th latest smon gave. aux means nothing else.
 */
#define C_FIX 0x08

#endif
