/*
 * Shared by tests/unit/test_elf.c and test_mmon.c: x86-64 executables built in memory
 * with the host's <elf.h>, so the parser is checked against an independent definition
 * of the format.
 */
#ifndef TESTS_UNIT_ELF_IMAGE_H
#define TESTS_UNIT_ELF_IMAGE_H

/* First: <elf.h> #defines the AT_* names that linux.h declares as an enum. */
#include "linux-abi/linux.h"
#include <elf.h>
#include <stdint.h>
#include <string.h>

#define IMG_MAX 0x4000

static _Alignas(8) uint8_t img[IMG_MAX];

static inline Elf64_Ehdr *eh(void)
{
	return (Elf64_Ehdr *)img;
}

static inline Elf64_Phdr *ph(int i)
{
	return (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr)) + i;
}

/* An x86-64 executable of the given type with no program headers; file bytes patterned. */
static inline void elf_build(uint16_t type, uint64_t entry)
{
	for (size_t i = 0; i < IMG_MAX; i++)
		img[i] = (uint8_t)(i * 7 + 1);
	memset(img, 0, 0x400);
	memcpy(eh()->e_ident, ELFMAG, SELFMAG);
	eh()->e_ident[EI_CLASS] = ELFCLASS64;
	eh()->e_ident[EI_DATA] = ELFDATA2LSB;
	eh()->e_ident[EI_VERSION] = EV_CURRENT;
	eh()->e_type = type;
	eh()->e_machine = EM_X86_64;
	eh()->e_version = EV_CURRENT;
	eh()->e_entry = entry;
	eh()->e_phoff = sizeof(Elf64_Ehdr);
	eh()->e_ehsize = sizeof(Elf64_Ehdr);
	eh()->e_phentsize = sizeof(Elf64_Phdr);
}

static inline Elf64_Phdr *elf_add(uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
				  uint64_t filesz, uint64_t memsz)
{
	Elf64_Phdr *p = ph(eh()->e_phnum++);

	*p = (Elf64_Phdr){ .p_type = type, .p_flags = flags, .p_offset = off,
			   .p_vaddr = vaddr, .p_filesz = filesz, .p_memsz = memsz,
			   .p_align = 0x1000 };
	return p;
}

/*
 * A typical static binary: text over the headers and two pages (0x400000..0x401800,
 * file 0..0x1800), then data at 0x402800 with 0x100 file bytes and bss to 0x404800.
 */
static inline void elf_build_static(void)
{
	elf_build(ET_EXEC, 0x400200);
	elf_add(PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1800, 0x1800);
	elf_add(PT_LOAD, PF_R | PF_W, 0x1800, 0x402800, 0x100, 0x2000);
}

#endif
