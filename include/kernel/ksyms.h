/*
 * The kernel's own symbol table, embedded at link time (the second link of each
 * image fills .ksyms from the first link's `nm`), so panics name functions.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stdint.h>

/* Name of the function containing addr, with addr's offset in it and its size; NULL if none. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset, uintptr_t *size);

#endif
