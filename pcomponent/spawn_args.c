/*
 * The host's spawn request, checked (include/pcomponent/spawn_args.h). Portable:
 * linked into pmon (process.c) and into the host tests and fuzz target, so a hostile
 * request is ruled out here before the strings reach the initial stack.
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "mcomponent/proto.h"
#include "pcomponent/spawn_args.h"

/* count NUL-terminated strings fill the len bytes at s exactly. */
static bool strings_ok(const char *s, size_t len, unsigned count)
{
	unsigned n = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0')
			n++;
	return len > 0 && s[len - 1] == '\0' && n == count;
}

int spawn_args_parse(const void *req, size_t len, struct spawn_args *out)
{
	const struct h2p_spawn *h = &out->h;

	if (len < sizeof(*h) || len > sizeof(*h) + NET_SPAWN_STRINGS)
		return -EINVAL;
	memcpy(&out->h, req, sizeof(out->h));
	out->strings = (const char *)req + sizeof(*h);
	out->len = (uint32_t)(len - sizeof(*h));
	if (h->argc < 1 || h->vnode < 1 || h->image_len < 1 || h->image_len > NET_IMAGE_MAX)
		return -EINVAL;
	return strings_ok(out->strings, out->len, (unsigned)h->argc + h->envc) ? 0 : -EINVAL;
}
