/*
 * Static x86-64 ELF64 executables (ET_EXEC, and static-pie ET_DYN without PT_INTERP):
 * checking a staged image and describing what exec maps. Portable C, used by
 * mcomponent/exec.c and tests/unit/test_elf.c.
 */
#ifndef MCOMPONENT_ELF_H
#define MCOMPONENT_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_DYN_BASE 0x555555554000ULL	/* where a static-pie goes, as on Linux */
#define ELF_MAX_PHDRS 64		/* more program headers: -ENOEXEC */
#define ELF_MAX_LOADS 16		/* more PT_LOAD segments: -ENOEXEC */
#define ELF_PAGE 4096ULL

/* The image: read copies len bytes at off (the parser checks off + len <= size first). */
struct elf_image {
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	void *ctx;
	uint64_t size;
};

/* One PT_LOAD, relocated: bytes [vaddr, vaddr + filesz) come from offset, then zeros. */
struct elf_seg {
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t offset;
	uint32_t prot;		/* PROT_* from p_flags */
};

struct elf_info {
	uint64_t entry;		/* relocated */
	uint64_t phdr;		/* user address of the program headers (AT_PHDR) */
	uint64_t end;		/* page-aligned end of the highest segment */
	uint16_t phnum;
	uint16_t phent;
	unsigned nsegs;
	struct elf_seg segs[ELF_MAX_LOADS];	/* in program header order */
};

/*
 * Check the image and describe it. -ENOEXEC for anything that is not a static x86-64
 * executable we can load: bad magic, class, byte order, type, machine or phentsize,
 * PT_INTERP, a segment outside the file or outside [VMA_MIN, VMA_MAX), filesz >
 * memsz, (p_vaddr - p_offset) not page-aligned, no segment, or an entry point outside
 * every segment. A read error is returned as is.
 */
int elf_parse(const struct elf_image *img, struct elf_info *info);

/*
 * The contents of the page at va (page-aligned): zeros, then every segment's bytes
 * that fall in the page (file bytes, then zeros up to memsz) in program header order,
 * so a later segment wins where two overlap.
 */
int elf_page(const struct elf_image *img, const struct elf_info *info, uint64_t va,
	     void *page);

/*
 * The lowest page-aligned address >= va that holds file bytes of some segment, or 0
 * if none does: exec stores those pages; the rest read as zero.
 */
uint64_t elf_next_file_page(const struct elf_info *info, uint64_t va);

#endif
