/*
 * An H2P_SPAWN request as pmon takes it (pcomponent/spawn_args.c, portable): the
 * fixed header, then argc and envc NUL-terminated strings packed one after another
 * (argv, then envp), as the host's `tessera-net run` builds them. process.c checks
 * every spawn with it before anything is allocated; it is tested and fuzzed on the
 * host (tests/unit/test_spawn_args.c, tests/fuzz/fuzz_spawn.c).
 */
#ifndef PCOMPONENT_SPAWN_ARGS_H
#define PCOMPONENT_SPAWN_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include "net/protocol.h"
#include "pcomponent/proto.h"

/* A checked request. strings points into the request and holds exactly len bytes. */
struct spawn_args {
	struct h2p_spawn h;
	const char *strings;		/* argc then envc strings, each with its NUL */
	uint32_t len;			/* 1..NET_SPAWN_STRINGS */
};

/*
 * Check the len bytes of an H2P_SPAWN request and describe it in *out: 0, or -EINVAL
 * if the length, argc (>= 1), vnode (>= 1), image_len (1..NET_IMAGE_MAX) or the
 * strings are not as include/net/wire.h says. On success the strings, walked one
 * NUL at a time, end exactly at the end of the request.
 */
int spawn_args_parse(const void *req, size_t len, struct spawn_args *out);

#endif
