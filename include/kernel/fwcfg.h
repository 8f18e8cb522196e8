/*
 * QEMU fw_cfg: named blobs the launcher passes to a VM (-fw_cfg name=...,file=...).
 */
#ifndef KERNEL_FWCFG_H
#define KERNEL_FWCFG_H

#include <stddef.h>

/* Copy up to len bytes of the named file into buf; returns its full size or -errno. */
int fwcfg_read_file(const char *name, void *buf, size_t len);

#endif
