/*
 * Device files a pComponent provides itself, until storage brings a file system:
 * /dev/null, which shells open for background jobs (pcomponent/dev.c).
 */
#ifndef PCOMPONENT_DEV_H
#define PCOMPONENT_DEV_H

#include <stdint.h>

struct file;

/* Open the device at path with open(2)'s flags; -ENOENT if it is not one of ours. */
int dev_open(const char *path, uint32_t flags, struct file **out);

#endif
