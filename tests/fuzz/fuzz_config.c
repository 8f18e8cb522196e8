/*
 * libFuzzer target: an arbitrary boot configuration (kernel/config.c,
 * tests/fuzz/fuzz.mk), as fw_cfg or the command line hands it to every node. The
 * first byte picks the file parser or the command-line one; parse, then validate:
 * an error must come with its one-line message, and nothing may crash or overrun.
 */
#include <stdlib.h>
#include <string.h>
#include "kernel/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_config c;
	char err[128];
	int ret;

	if (size < 1)
		return 0;
	config_defaults(&c);
	err[0] = 0;
	if (data[0] & 1)
		ret = config_parse_cmdline(&c, (const char *)data + 1, size - 1, err, sizeof(err));
	else
		ret = config_parse(&c, (const char *)data + 1, size - 1, err, sizeof(err));
	if (!ret) {
		err[0] = 0;
		ret = config_validate(&c, err, sizeof(err));
	}
	if (ret && !err[0])
		abort();		/* every refusal says why */
	if (!memchr(err, 0, sizeof(err)))
		abort();
	return 0;
}
