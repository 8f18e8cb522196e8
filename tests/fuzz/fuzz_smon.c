/*
 * libFuzzer target: the storage monitor's request handlers (scomponent/serve.c) over
 * tfs on a memory disk (smon_host.h), fed records of X2S_* requests (fuzz_rpc.h,
 * fuzz_smon.h): mostly from the two mComponents, else from a pmon, gmon or a
 * stranger. After the records the committed tree must be sound and nothing left
 * allocated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/mm.h"
#include "fuzz_rpc.h"
#include "fuzz_smon.h"
#include "smon_host.h"

static const uint8_t mmons[] = { SMON_MMON, SMON_MMON2 };
static const uint8_t peers[8] = { SMON_MMON, SMON_MMON, SMON_MMON, SMON_MMON2, SMON_MMON2,
				  SMON_PMON, SMON_GMON, SMON_STRANGER };
static uint8_t resp[NET_MSG_MAX];
static long live;			/* serve.c's blocks not freed */

void *kmalloc(size_t size)
{
	void *p = malloc(size);

	live += p != NULL;
	return p;
}

void kfree(void *p)
{
	live -= p != NULL;
	free(p);
}

/* Write /fill in vNode 1 until the disk says it is full. */
static void fill_disk(void)
{
	static uint8_t req[sizeof(struct x2s_io) + NET_FS_IO_MAX];
	struct x2s_path p = { .vnode = 1, .flags = X2S_CREAT, .mode = 0644, .len = 5 };
	struct x2s_io q = { .len = NET_FS_IO_MAX };
	struct s2x_attr a;

	memcpy(req, &p, sizeof(p));
	memcpy(req + sizeof(p), "/fill", 5);
	if (smon_host_call(SMON_MMON, X2S_OPEN, req, sizeof(p) + 5, resp, sizeof(resp)) < 0)
		abort();
	memcpy(&a, resp, sizeof(a));
	q.h = a.h;
	memset(req, 0x5a, sizeof(req));
	do {
		memcpy(req, &q, sizeof(q));
		q.offset += NET_FS_IO_MAX;
	} while (smon_host_call(SMON_MMON, X2S_WRITE, req, sizeof(req), resp, sizeof(resp)) > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct fuzz_req r;

	if (size < 1)
		return 0;
	if (!ready)
		smon_host_init(mmons, sizeof(mmons), NULL, 0);
	ready = true;
	smon_host_reset();
	if (data[0] & S_FULL)
		fill_disk();
	data++, size--;
	fuzz_rpc_log.n = 0;
	while (fuzz_rpc_log.n < FUZZ_RPC_RECORDS &&
	       fuzz_rpc_next(smon_host_ops, NET_OPCODE_MAX, &data, &size, &r)) {
		if (r.ctl & C_FIX)
			smon_host_fix(r.op, r.data, r.len, r.aux);
		fuzz_rpc_log.ret[fuzz_rpc_log.n++] =
			smon_host_call(peers[FUZZ_RPC_PEER(r.ctl)], r.op, r.data, r.len, resp,
				       sizeof(resp));
		fuzz_rpc_free(&r);
	}
	smon_host_end();
	if (live) {
		fprintf(stderr, "serve.c left %ld blocks allocated\n", live);
		abort();
	}
	return 0;
}
