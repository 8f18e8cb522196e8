/*
 * Virtual memory layout and the 4-level page-table API (arch/x86/paging.c).
 * All of physical memory is mapped at DIRECT_MAP; the kernel image at KERNEL_VMA;
 * device registers at MMIO_BASE through ioremap().
 */
#ifndef KERNEL_PAGING_H
#define KERNEL_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIRECT_MAP	0xffff800000000000UL
#define MMIO_BASE	0xffffc00000000000UL
#define KERNEL_VMA	0xffffffff80000000UL

/* Mapping permissions for pgtable_map()/pgtable_protect(); a mapping is always readable. */
#define PG_WRITE	0x1
#define PG_EXEC		0x2
#define PG_USER		0x4
#define PG_NOCACHE	0x8
/* Reported by pgtable_walk()/pgtable_unmap() only: the CPU read or wrote the page. */
#define PG_ACCESSED	0x10
#define PG_DIRTY	0x20

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(pa + DIRECT_MAP);
}

static inline uint64_t virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP;
}

/* The root of the kernel's page tables (physical address of its PML4). */
uint64_t pgtable_kernel_root(void);

int pgtable_map(uint64_t root, uintptr_t va, uint64_t pa, unsigned flags);
int pgtable_unmap(uint64_t root, uintptr_t va, uint64_t *pa, unsigned *flags);
int pgtable_protect(uint64_t root, uintptr_t va, unsigned flags);
int pgtable_walk(uint64_t root, uintptr_t va, uint64_t *pa, unsigned *flags);
bool pgtable_test_clear_accessed(uint64_t root, uintptr_t va);

/* A user address space sharing the kernel half; 0 when out of memory. */
uint64_t pgtable_create(void);
void pgtable_destroy(uint64_t root);

/* Invalidate va's translation on every CPU; returns when all have done it. */
void tlb_shootdown(uintptr_t va);

void *ioremap(uint64_t pa, size_t len);

#endif
