/*
 * Symbol lookup for backtraces. scripts/ksyms.py generates the table from the
 * image's text symbols, sorted by address: ksyms_addr[] and a packed name blob.
 */
#include <stddef.h>
#include <stdint.h>
#include "kernel/ksyms.h"

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addr[];	/* ksyms_count + 1 entries: the last is _etext */
extern const uint32_t ksyms_name[];	/* offsets into ksyms_names */
extern const char ksyms_names[];

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset, uintptr_t *size)
{
	size_t lo = 0, hi = ksyms_count;

	if (ksyms_count == 0 || addr < ksyms_addr[0] || addr >= ksyms_addr[ksyms_count])
		return NULL;
	while (hi - lo > 1) {		/* invariant: addr_[lo] <= addr < addr_[hi] */
		size_t mid = lo + (hi - lo) / 2;

		if (ksyms_addr[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_addr[lo];
	*size = ksyms_addr[lo + 1] - ksyms_addr[lo];
	return &ksyms_names[ksyms_name[lo]];
}
