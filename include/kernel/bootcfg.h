/*
 * The node's boot configuration: the launcher's fw_cfg file opt/tessera/config,
 * then key=value overrides from the kernel command line, validated.
 */
#ifndef KERNEL_BOOTCFG_H
#define KERNEL_BOOTCFG_H

#include <stddef.h>
#include "kernel/config.h"

/* Fill cfg; on any problem returns -errno with one human line in err. */
int bootcfg_load(struct node_config *cfg, char *err, size_t errlen);

#endif
