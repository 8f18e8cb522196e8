/*
 * libFuzzer target: an arbitrary H2P_SPAWN request (header and strings) for pmon's
 * check of it (pcomponent/spawn_args.c, tests/fuzz/fuzz.mk). The check must accept
 * exactly the requests the protocol allows, said here a second way: argc, vnode and
 * image_len in range, and argc + envc strings, walked as the initial stack's builder
 * walks them (linux-abi/stack.c), ending exactly at the request's end.
 */
#include <stdlib.h>
#include <string.h>
#include "kernel/errno.h"
#include "pcomponent/spawn_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The strings at s (len bytes) are count NUL-terminated ones, walked one by one. */
static bool walk_ok(const char *s, size_t len, unsigned count)
{
	size_t off = 0;

	for (unsigned i = 0; i < count; i++) {
		const char *nul = off < len ? memchr(s + off, 0, len - off) : NULL;

		if (!nul)
			return false;
		off = (size_t)(nul - s) + 1;
	}
	return count > 0 && off == len;
}

static bool allowed(const uint8_t *data, size_t size)
{
	struct h2p_spawn h;

	if (size < sizeof(h) || size > sizeof(h) + NET_SPAWN_STRINGS)
		return false;
	memcpy(&h, data, sizeof(h));
	return h.argc >= 1 && h.vnode >= 1 && h.image_len >= 1 && h.image_len <= NET_IMAGE_MAX &&
	       walk_ok((const char *)data + sizeof(h), size - sizeof(h),
		       (unsigned)h.argc + h.envc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spawn_args a;
	int ret = spawn_args_parse(data, size, &a);

	if (ret != 0 && ret != -EINVAL)
		abort();
	if ((ret == 0) != allowed(data, size))
		abort();		/* accepts what it must refuse, or the reverse */
	if (ret)
		return 0;
	if (a.strings != (const char *)data + sizeof(struct h2p_spawn) ||
	    a.len != size - sizeof(struct h2p_spawn) || memcmp(&a.h, data, sizeof(a.h)))
		abort();		/* describes another request */
	return 0;
}
