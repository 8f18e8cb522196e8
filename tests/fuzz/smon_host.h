/*
 * The storage monitor's service on the host (tests/fuzz/smon_host.c): the request
 * handlers of scomponent/serve.c over tfs on a memory disk (fuzz_tfs.h), which holds
 * a small tree in two vNodes and is restored before every input, plus the pieces of
 * disk.c and monitor.c that serve.c calls. fuzz_smon.c fuzzes it; fuzz_mmon.c uses it
 * as the smon behind the mmon's file front. The caller links a kmalloc.
 */
#ifndef TESTS_FUZZ_SMON_HOST_H
#define TESTS_FUZZ_SMON_HOST_H

#include <stddef.h>
#include <stdint.h>
#include "net/rpc.h"
#include "net/wire.h"

#define SMON_HOST_HANDLES 256	/* distinct handles remembered per input */

/*
 * The tree in vNodes 1 and 7: /bin/prog (the program given, mode 0755), /etc/motd,
 * /big (40000 bytes, past one I/O), /dir/sub/, /dir/empty, /link -> etc/motd.
 */
extern const struct rpc_op smon_host_ops[NET_OPCODE_MAX];	/* as monitor.c's */

/* Format and fill the disk once; only the nodes in mmons[] may ask (as mComponents). */
void smon_host_init(const uint8_t *mmons, unsigned n, const void *prog, size_t prog_len);
/* The disk as smon_host_init() left it, mounted; no handle remembered. */
void smon_host_reset(void);
/* One request through smon_host_ops; a handle an attributes answer gives is remembered. */
int smon_host_call(uint8_t peer, uint16_t op, const void *req, size_t len, void *resp,
		   size_t resp_max);
/*
 * Make a request of len bytes agree with itself, as a client would send it: its path
 * lengths add up to len, a write's length is its bytes; and, if pick >= 0 and a handle
 * was remembered, its handle is the pick-th most recent one.
 */
void smon_host_fix(uint16_t op, uint8_t *req, size_t len, int pick);
/* Handles smon's attributes answers gave since the reset, oldest first. */
unsigned smon_host_nhandles(void);
const struct fs_handle *smon_host_handle(unsigned i);
/* Commit, check the whole tree (abort on any problem), unmount: tfs must hold nothing. */
void smon_host_end(void);

#endif
