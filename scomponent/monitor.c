/*
 * The storage monitor's identity: linked only into build/smon.elf, it names
 * the role this image serves (kernel_main() checks it against the boot config).
 * It serves the common RPCs only, so far.
 */
#include "kernel/monitor.h"

const struct monitor monitor = {
	.role = ROLE_SMON,
};
