/*
 * The process monitor's identity: linked only into build/pmon.elf, it names
 * the role this image serves (kernel_main() checks it against the boot config).
 * It serves the common RPCs only, so far.
 */
#include "kernel/monitor.h"

const struct monitor monitor = {
	.role = ROLE_PMON,
};
