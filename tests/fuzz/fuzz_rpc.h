/*
 * The input format shared by the fuzz targets of the monitors' RPC handlers
 * (fuzz_mmon.c, fuzz_gmon.c, fuzz_smon.c) and their seed generators: a scenario byte,
 * then up to FUZZ_RPC_RECORDS records, each one request as the choke point
 * (rpc_check) would let it through to the monitor's table.
 */
#ifndef TESTS_FUZZ_FUZZ_RPC_H
#define TESTS_FUZZ_FUZZ_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net/rpc.h"

#define FUZZ_RPC_RECORDS 64
#define FUZZ_RPC_HDR 5

/*
 * A record: ctl, aux (their meaning is the target's; ctl's bits 0-2 pick the peer),
 * opcode, a little-endian 16-bit length, then that many bytes (cut short at the end
 * of the input). An opcode the table does not serve is mapped onto one it does, the
 * length clamped into the opcode's bounds, and missing bytes are zeros.
 */
struct fuzz_req {
	uint8_t ctl, aux;
	uint16_t op;
	size_t len;
	uint8_t *data;			/* exactly len bytes, from malloc */
};

#define FUZZ_RPC_PEER(ctl) ((ctl) & 7)

/* What each record of the last input got: the target fills it, seed generators read it. */
struct fuzz_rpc_log {
	int ret[FUZZ_RPC_RECORDS];
	unsigned n;
};

extern struct fuzz_rpc_log fuzz_rpc_log;

/* The next record of *in (*left bytes), advancing both; false when none is left. */
bool fuzz_rpc_next(const struct rpc_op *ops, unsigned nops, const uint8_t **in,
		   size_t *left, struct fuzz_req *r);
void fuzz_rpc_free(struct fuzz_req *r);
/*
 * The handler of op, as rpc_handle runs it: -ENOSYS if none, -EINVAL for a length
 * outside its bounds, else its answer, with room for the opcode's response bound
 * at most. The request goes in a block of exactly len bytes; an answer longer than
 * the room aborts (rpc_handle would fail it with -EIO: a handler's bug).
 */
int fuzz_rpc_call(const struct rpc_op *ops, unsigned nops, uint8_t peer, uint16_t op,
		  const void *req, size_t len, void *resp, size_t resp_max);
/* A seed under construction (gen_*_corpus.c). */
struct fuzz_seed {
	uint8_t in[1 << 18];
	size_t len;
	unsigned n;			/* records so far */
	uint64_t refused;		/* bit i: record i must fail */
};

void fuzz_seed_begin(struct fuzz_seed *s, uint8_t scenario);
/* Append a record that must succeed (ok) or fail when the seed runs. */
void fuzz_seed_rec(struct fuzz_seed *s, uint8_t ctl, uint8_t aux, uint16_t op,
		   const void *req, size_t len, bool ok);
/* Run the seed through the target, check every record's outcome, write it to dir/name. */
void fuzz_seed_end(struct fuzz_seed *s, const char *dir, const char *name);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
