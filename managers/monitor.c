/*
 * The global-manager monitor's identity: linked only into build/gmon.elf, it names
 * the role this image serves (kernel_main() checks it against the boot config).
 */
#include "kernel/monitor.h"

const enum node_role monitor_role = ROLE_GMON;
