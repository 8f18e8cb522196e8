/*
 * What each role directory adds to the common kernel: the role its image serves,
 * checked against the boot configuration so a VM cannot boot the wrong image.
 */
#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H

#include "kernel/config.h"

extern const enum node_role monitor_role;

#endif
