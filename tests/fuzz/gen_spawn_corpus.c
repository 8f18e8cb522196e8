/*
 * Writes the spawn fuzz target's seeds into DIR (tests/fuzz/corpus_spawn/, `make
 * fuzz-corpus`): H2P_SPAWN requests packed as `tessera-net run` packs them
 * (net/host/run.c: argv = the ELF's basename and the arguments, then the --env
 * strings), from a bare run to one whose strings fill NET_SPAWN_STRINGS, and one
 * whose counts are off by one. Each must get the answer written here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pcomponent/spawn_args.h"

static const char *dir;
static uint8_t req[sizeof(struct h2p_spawn) + NET_SPAWN_STRINGS];
static size_t len;

static void put(const char *s)
{
	size_t n = strlen(s) + 1;

	if (len + n > sizeof(req)) {
		fprintf(stderr, "gen_spawn_corpus: strings too long\n");
		exit(1);
	}
	memcpy(req + len, s, n);
	len += n;
}

/* The header of a run of argc arguments (the name included) and envc variables. */
static void begin(uint16_t argc, uint16_t envc, uint16_t rows, uint16_t cols)
{
	struct h2p_spawn h = { .vnode = 1, .image_len = 0x2a000,
			       .realtime_ns = 1700000000ULL * 1000000000ULL, .argc = argc,
			       .envc = envc, .rows = rows, .cols = cols };

	memcpy(req, &h, sizeof(h));
	len = sizeof(h);
}

static void end(const char *name, bool ok)
{
	struct spawn_args a;
	char path[512];
	FILE *f;

	if ((spawn_args_parse(req, len, &a) == 0) != ok) {
		fprintf(stderr, "gen_spawn_corpus: %s is not %s\n", name,
			ok ? "accepted" : "refused");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(req, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static char fill[NET_SPAWN_STRINGS];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	begin(1, 0, 0, 0);			/* run pmon0 build/user/hello */
	put("hello");
	end("hello", true);
	begin(4, 0, 24, 80);			/* run pmon0 build/user/hello 3 a b, on a tty */
	put("hello"), put("3"), put("a"), put("b");
	end("args", true);
	begin(4, 2, 0, 0);			/* busybox sh -c 'echo hi' --env ... */
	put("busybox"), put("sh"), put("-c"), put("echo hi");
	put("PATH=/bin:/usr/bin"), put("HOME=/");
	end("env", true);
	begin(3, 1, 0, 0);			/* empty arguments and an empty variable */
	put("hello"), put(""), put(""), put("");
	end("empty", true);
	begin(2, 0, 0, 0);			/* strings that fill the request */
	memset(fill, 'x', sizeof(fill) - sizeof("fill") - 1);
	put("fill"), put(fill);
	end("full", true);
	begin(3, 0, 0, 0);			/* argc one more than the strings */
	put("hello"), put("a");
	end("short", false);
	return 0;
}
