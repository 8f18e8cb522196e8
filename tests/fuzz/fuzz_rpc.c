/*
 * Records of requests for the RPC handler fuzz targets (fuzz_rpc.h): reading them
 * from an input, running one as the RPC layer would, and writing seeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/errno.h"
#include "fuzz_rpc.h"

struct fuzz_rpc_log fuzz_rpc_log;

static bool served(const struct rpc_op *ops, unsigned nops, unsigned op)
{
	return op < nops && ops[op].fn;
}

/* op itself if the table serves it, else the (op mod count)-th opcode it serves. */
static uint16_t map_op(const struct rpc_op *ops, unsigned nops, uint8_t op)
{
	unsigned count = 0, k;

	if (served(ops, nops, op))
		return op;
	for (unsigned i = 0; i < nops; i++)
		count += served(ops, nops, i);
	if (!count)
		abort();
	k = op % count;
	for (unsigned i = 0; i < nops; i++)
		if (served(ops, nops, i) && k-- == 0)
			return (uint16_t)i;
	abort();
}

bool fuzz_rpc_next(const struct rpc_op *ops, unsigned nops, const uint8_t **in,
		   size_t *left, struct fuzz_req *r)
{
	const struct rpc_op *o;
	size_t want, have;

	if (*left < FUZZ_RPC_HDR)
		return false;
	r->ctl = (*in)[0];
	r->aux = (*in)[1];
	r->op = map_op(ops, nops, (*in)[2]);
	want = (size_t)(*in)[3] | (size_t)(*in)[4] << 8;
	*in += FUZZ_RPC_HDR;
	*left -= FUZZ_RPC_HDR;
	have = want < *left ? want : *left;
	o = &ops[r->op];
	r->len = want < o->min_len ? o->min_len : want > o->max_len ? o->max_len : want;
	r->data = calloc(1, r->len ? r->len : 1);
	if (!r->data)
		abort();
	memcpy(r->data, *in, have < r->len ? have : r->len);
	*in += have;
	*left -= have;
	return true;
}

void fuzz_rpc_free(struct fuzz_req *r)
{
	free(r->data);
	r->data = NULL;
}

int fuzz_rpc_call(const struct rpc_op *ops, unsigned nops, uint8_t peer, uint16_t op,
		  const void *req, size_t len, void *resp, size_t resp_max)
{
	const struct rpc_op *o = served(ops, nops, op) ? &ops[op] : NULL;
	void *copy;
	int ret;

	if (!o)
		return -ENOSYS;
	if (len < o->min_len || len > o->max_len)
		return -EINVAL;
	copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, req, len);
	if (resp_max > o->resp_max)
		resp_max = o->resp_max;
	ret = o->fn(NULL, peer, copy, len, resp, resp_max);
	free(copy);
	if (ret > 0 && (size_t)ret > resp_max) {
		fprintf(stderr, "opcode %u answered %d bytes, room for %zu\n", op, ret, resp_max);
		abort();
	}
	return ret;
}

void fuzz_seed_begin(struct fuzz_seed *s, uint8_t scenario)
{
	s->in[0] = scenario;
	s->len = 1;
	s->n = 0;
	s->refused = 0;
}

void fuzz_seed_rec(struct fuzz_seed *s, uint8_t ctl, uint8_t aux, uint16_t op,
		   const void *req, size_t len, bool ok)
{
	const uint8_t hdr[FUZZ_RPC_HDR] = { ctl, aux, (uint8_t)op, (uint8_t)len,
					    (uint8_t)(len >> 8) };

	if (op > UINT8_MAX || len > UINT16_MAX || s->len + sizeof(hdr) + len > sizeof(s->in) ||
	    s->n == FUZZ_RPC_RECORDS) {
		fprintf(stderr, "fuzz_seed_rec: record %u (opcode %u) does not fit\n", s->n, op);
		exit(1);
	}
	memcpy(s->in + s->len, hdr, sizeof(hdr));
	if (len)
		memcpy(s->in + s->len + sizeof(hdr), req, len);
	s->len += sizeof(hdr) + len;
	s->refused |= (uint64_t)!ok << s->n++;
}

void fuzz_seed_end(struct fuzz_seed *s, const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	fuzz_rpc_log.n = 0;
	LLVMFuzzerTestOneInput(s->in, s->len);
	for (unsigned i = 0; i < s->n; i++) {
		if (i < fuzz_rpc_log.n && (fuzz_rpc_log.ret[i] < 0) == !!(s->refused >> i & 1))
			continue;
		fprintf(stderr, "seed %s: record %u answered %d\n", name, i,
			i < fuzz_rpc_log.n ? fuzz_rpc_log.ret[i] : 0);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->in, 1, s->len, f) != s->len || fclose(f)) {
		perror(path);
		exit(1);
	}
}
