/*
 * Physical memory: the page-frame allocator (a buddy allocator fed from the
 * multiboot2 memory map) and kmalloc/kfree on top of it.
 */
#ifndef KERNEL_MM_H
#define KERNEL_MM_H

#include <stddef.h>
#include <stdint.h>
#include "kernel/page.h"

struct boot_info;

/* Early pages (before page_alloc_init) come from a bump allocator after the image. */
void page_alloc_early_init(const struct boot_info *bi);
void page_alloc_init(const struct boot_info *bi);

/* 2^order contiguous pages, zeroed, as a direct-map address; NULL when out of memory. */
void *page_alloc(unsigned order);
/* The same, not zeroed: for callers that overwrite every byte (kmalloc). */
void *page_alloc_dirty(unsigned order);
void page_free(void *p);
unsigned page_order(void *p);
size_t page_free_count(void);
size_t page_total_count(void);

void kmalloc_init(void);
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

#endif
