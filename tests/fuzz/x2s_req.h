/*
 * File requests (X2S_*) as a pmon or the mmon in front of a vNode builds them, for
 * the seed generators of the mmon and smon fuzz targets (gen_mmon_corpus.c,
 * gen_smon_corpus.c). Each writes the request into buf and returns its length; a
 * handle is left zero for the target's fix-up (C_FIX) to fill in.
 */
#ifndef TESTS_FUZZ_X2S_REQ_H
#define TESTS_FUZZ_X2S_REQ_H

#include <string.h>
#include "net/protocol.h"

#define X2S_REQ_MAX (sizeof(struct x2s_io) + NET_FS_IO_MAX)

/* An x2s_path request: open, stat, mkdir, unlink, readlink. */
static inline size_t x2s_path_req(uint8_t *buf, uint32_t vnode, uint32_t flags,
				  const char *path)
{
	struct x2s_path q = { .vnode = vnode, .flags = flags, .mode = 0755,
			      .len = (uint32_t)strlen(path) };

	memcpy(buf, &q, sizeof(q));
	memcpy(buf + sizeof(q), path, q.len);
	return sizeof(q) + q.len;
}

/* An x2s_path2 request: rename (from, to), symlink (target, path). */
static inline size_t x2s_path2_req(uint8_t *buf, uint32_t vnode, const char *a,
				   const char *b)
{
	struct x2s_path2 q = { .vnode = vnode, .len1 = (uint32_t)strlen(a),
			       .len2 = (uint32_t)strlen(b) };

	memcpy(buf, &q, sizeof(q));
	memcpy(buf + sizeof(q), a, q.len1);
	memcpy(buf + sizeof(q) + q.len1, b, q.len2);
	return sizeof(q) + q.len1 + q.len2;
}

/* An x2s_io request on a handle to come; a write carries len bytes of 'w'. */
static inline size_t x2s_io_req(uint8_t *buf, uint16_t op, uint64_t offset, uint32_t len,
				uint32_t flags)
{
	struct x2s_io q = { .offset = offset, .len = len, .flags = flags };
	size_t n = op == X2S_WRITE ? len : 0;

	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), 'w', n);
	return op == X2S_GETATTR ? sizeof(struct fs_handle) : sizeof(q) + n;
}

#endif
