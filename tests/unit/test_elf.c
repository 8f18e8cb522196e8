/*
 * Host tests for mcomponent/elf.c: static and static-pie layouts, AT_PHDR, page
 * contents where segments share a page, and hostile headers (every field the parser
 * trusts, overflowing sums, random mutations) that must give -ENOEXEC, never a read
 * outside the image. Images are built with the host's <elf.h>.
 */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "elf_image.h"
#include "kernel/errno.h"
#include "mcomponent/elf.h"
#include "mcomponent/vma.h"

static struct elf_image image;
static struct elf_info info;
static int read_error;		/* returned by the next read if set */

/* Every read the parser makes must lie inside the image. */
static int buf_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	(void)ctx;
	CHECK(off <= image.size && len <= image.size - off);
	if (read_error)
		return read_error;
	memcpy(buf, img + off, len);
	return 0;
}

static void reset(void)
{
	image = (struct elf_image){ buf_read, NULL, IMG_MAX };
	read_error = 0;
}

static void build(uint16_t type, uint64_t entry)
{
	elf_build(type, entry);
	reset();
}

static void build_static(void)
{
	elf_build_static();
	reset();
}

static int parse(void)
{
	return elf_parse(&image, &info);
}

/* ---- layouts ---- */

static void static_exec_layout(void)
{
	build_static();
	CHECK(parse() == 0);
	CHECK(info.nsegs == 2 && info.entry == 0x400200);
	CHECK(info.segs[0].vaddr == 0x400000 && info.segs[0].prot == (PROT_READ | PROT_EXEC));
	CHECK(info.segs[1].vaddr == 0x402800 && info.segs[1].prot == (PROT_READ | PROT_WRITE));
	CHECK(info.segs[1].filesz == 0x100 && info.segs[1].memsz == 0x2000);
	CHECK(info.end == 0x405000);
	CHECK(info.phdr == 0x400040 && info.phnum == 2 && info.phent == sizeof(Elf64_Phdr));
}

/* a static-pie (ET_DYN, no PT_INTERP) moves to ELF_DYN_BASE, PT_PHDR with it */
static void static_pie_relocated(void)
{
	build(ET_DYN, 0x100);
	elf_add(PT_PHDR, PF_R, 0x40, 0x40, 3 * sizeof(Elf64_Phdr), 3 * sizeof(Elf64_Phdr));
	elf_add(PT_LOAD, PF_R | PF_X, 0, 0, 0x1000, 0x1000);
	elf_add(PT_LOAD, PF_R | PF_W, 0x1000, 0x2000, 0x100, 0x200);
	CHECK(parse() == 0);
	CHECK(info.entry == ELF_DYN_BASE + 0x100 && info.phdr == ELF_DYN_BASE + 0x40);
	CHECK(info.segs[1].vaddr == ELF_DYN_BASE + 0x2000);
	CHECK(info.end == ELF_DYN_BASE + 0x3000);
}

/* without PT_PHDR and with the headers outside every segment: Linux's old guess */
static void phdr_outside_segments(void)
{
	build(ET_EXEC, 0x401000);
	elf_add(PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x100, 0x100);
	CHECK(parse() == 0);
	CHECK(info.phdr == 0x400000 + sizeof(Elf64_Ehdr));
}

/* zero-sized PT_LOADs and other types are skipped; PT_GNU_STACK does not count */
static void empty_segments_skipped(void)
{
	build_static();
	elf_add(PT_LOAD, PF_R, 0x3000, 0x700000, 0, 0);
	elf_add(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
	CHECK(parse() == 0 && info.nsegs == 2);
}

/* ---- page contents ---- */

/* file pages: two of text, one holding data's file bytes; bss-only pages none */
static void file_pages_listed_once(void)
{
	build_static();
	CHECK(parse() == 0);
	CHECK(elf_next_file_page(&info, 0) == 0x400000);
	CHECK(elf_next_file_page(&info, 0x401000) == 0x401000);
	CHECK(elf_next_file_page(&info, 0x402000) == 0x402000);
	CHECK(elf_next_file_page(&info, 0x403000) == 0);
}

/* a page gets the segment's bytes, zeros past filesz and outside the segment */
static void page_contents(void)
{
	uint8_t page[ELF_PAGE];

	build_static();
	CHECK(parse() == 0);
	CHECK(elf_page(&image, &info, 0x401000, page) == 0);
	CHECK(memcmp(page, img + 0x1000, 0x800) == 0);
	CHECK(page[0x800] == 0 && page[0xfff] == 0);
	CHECK(elf_page(&image, &info, 0x402000, page) == 0);
	CHECK(page[0x7ff] == 0 && memcmp(page + 0x800, img + 0x1800, 0x100) == 0);
	CHECK(page[0x900] == 0 && page[0xfff] == 0);
}

/* two segments on one page: the later one's bytes and bss win where they overlap */
static void later_segment_wins(void)
{
	uint8_t page[ELF_PAGE], zero[0x300] = { 0 };

	build(ET_EXEC, 0x400000);
	elf_add(PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1000, 0x1000);
	elf_add(PT_LOAD, PF_R | PF_W, 0x1800, 0x400800, 0x100, 0x400);
	CHECK(parse() == 0);
	CHECK(elf_page(&image, &info, 0x400000, page) == 0);
	CHECK(memcmp(page + 0x400, img + 0x400, 0x400) == 0);
	CHECK(memcmp(page + 0x800, img + 0x1800, 0x100) == 0);
	CHECK(memcmp(page + 0x900, zero, 0x300) == 0);
	CHECK(memcmp(page + 0xc00, img + 0xc00, 0x400) == 0);
}

static void read_error_propagates(void)
{
	uint8_t page[ELF_PAGE];

	build_static();
	read_error = -EIO;
	CHECK(parse() == -EIO);
	read_error = 0;
	CHECK(parse() == 0);
	read_error = -EIO;
	CHECK(elf_page(&image, &info, 0x400000, page) == -EIO);
}

/* ---- hostile headers: each one field off ---- */

#define CHECK_NOEXEC() CHECK(parse() == -ENOEXEC)

static void bad_ident(void)
{
	build_static();
	img[1] = 'X';
	CHECK_NOEXEC();
	build_static();
	img[EI_CLASS] = ELFCLASS32;
	CHECK_NOEXEC();
	build_static();
	img[EI_DATA] = ELFDATA2MSB;
	CHECK_NOEXEC();
	build_static();
	image.size = sizeof(Elf64_Ehdr) - 1;
	CHECK_NOEXEC();
}

static void bad_type_machine_phent(void)
{
	build_static();
	eh()->e_type = ET_REL;
	CHECK_NOEXEC();
	build_static();
	eh()->e_machine = EM_386;
	CHECK_NOEXEC();
	build_static();
	eh()->e_phentsize = sizeof(Elf64_Phdr) - 1;
	CHECK_NOEXEC();
	build_static();
	eh()->e_phnum = 0;
	CHECK_NOEXEC();
	build_static();
	eh()->e_phnum = ELF_MAX_PHDRS + 1;
	CHECK_NOEXEC();
}

/* program headers past the end, or with an offset that wraps when added up */
static void phdrs_outside_file(void)
{
	build_static();
	eh()->e_phoff = IMG_MAX - sizeof(Elf64_Phdr);
	CHECK_NOEXEC();
	build_static();
	eh()->e_phoff = UINT64_MAX - 8;
	CHECK_NOEXEC();
	build_static();
	image.size = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);	/* the second one is cut */
	CHECK_NOEXEC();
}

static void interp_refused(void)
{
	build_static();
	elf_add(PT_INTERP, PF_R, 0x400, 0x400400, 0x20, 0x20);
	CHECK_NOEXEC();
}

static void segment_file_bounds(void)
{
	build_static();
	ph(1)->p_filesz = ph(1)->p_memsz + 1;
	CHECK_NOEXEC();
	build_static();
	ph(1)->p_filesz = IMG_MAX - 0x1800 + 1;
	ph(1)->p_memsz = ph(1)->p_filesz;
	CHECK_NOEXEC();
	build_static();
	ph(1)->p_offset = UINT64_MAX - 0x7ff;	/* offset + filesz wraps */
	ph(1)->p_vaddr = 0x402800 - 0x1000;
	CHECK_NOEXEC();
}

static void segment_misaligned(void)
{
	build_static();
	ph(1)->p_vaddr += 8;
	CHECK_NOEXEC();
}

/* below VMA_MIN, past VMA_MAX, and memsz making the end wrap */
static void segment_outside_user_space(void)
{
	build(ET_EXEC, 0x8000);
	elf_add(PT_LOAD, PF_R | PF_X, 0, 0x8000, 0x100, 0x100);
	CHECK_NOEXEC();
	build(ET_EXEC, 0x400000);
	elf_add(PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x100, 0x100);
	elf_add(PT_LOAD, PF_R | PF_W, 0, VMA_MAX - 0x1000, 0x100, 0x2000);
	CHECK_NOEXEC();
	build(ET_EXEC, 0x400000);
	elf_add(PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x100, UINT64_MAX - 0x1000);
	CHECK_NOEXEC();
	build(ET_EXEC, 0x400000);
	elf_add(PT_LOAD, PF_R | PF_X, 0, 0xfffffffffffff000ULL, 0x100, 0x100);
	CHECK_NOEXEC();
}

/* a PIE whose segments span more than fits above ELF_DYN_BASE */
static void pie_relocation_overflows(void)
{
	build(ET_DYN, 0x100);
	elf_add(PT_LOAD, PF_R | PF_X, 0, 0, 0x1000, 0x1000);
	elf_add(PT_LOAD, PF_R | PF_W, 0x1000, 0x7fff00001000ULL, 0x100, 0x100);
	CHECK_NOEXEC();
}

static void entry_outside_segments(void)
{
	build_static();
	eh()->e_entry = 0x500000;
	CHECK_NOEXEC();
	build(ET_DYN, 0);
	elf_add(PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x100, 0x100);
	CHECK_NOEXEC();		/* entry 0 lies below the first segment */
}

static void no_or_too_many_loads(void)
{
	build(ET_EXEC, 0x400000);
	elf_add(PT_NOTE, PF_R, 0x400, 0x400400, 0x10, 0x10);
	CHECK_NOEXEC();
	build(ET_EXEC, 0x400000);
	for (int i = 0; i <= ELF_MAX_LOADS; i++)
		elf_add(PT_LOAD, PF_R, 0, 0x400000 + i * 0x1000ULL, 0x100, 0x100);
	CHECK_NOEXEC();
}

/* random header mutations: whatever is accepted keeps every promise of elf_parse */
static void mutations_never_escape(void)
{
	uint8_t page[ELF_PAGE];
	int pages, accepted = 0;
	uint64_t va;

	srand(1);
	for (int round = 0; round < 20000; round++) {
		build_static();
		elf_add(PT_PHDR, PF_R, 0x40, 0x400040, 0xa8, 0xa8);
		for (int n = 1 + rand() % 4; n > 0; n--) {
			size_t at = (size_t)rand() % (sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr));
			int r = rand() % 4;

			img[at] = r == 0 ? 0 : r == 1 ? 0xff : (uint8_t)rand();
		}
		if (parse())
			continue;
		accepted++;
		CHECK(info.nsegs >= 1 && info.nsegs <= ELF_MAX_LOADS);
		for (unsigned i = 0; i < info.nsegs; i++) {
			const struct elf_seg *s = &info.segs[i];

			CHECK(s->vaddr >= VMA_MIN && s->memsz <= VMA_MAX - s->vaddr);
			CHECK(s->filesz <= s->memsz && s->offset + s->filesz <= image.size);
		}
		pages = 0;
		for (va = elf_next_file_page(&info, 0); va && pages < 64;
		     va = elf_next_file_page(&info, va + ELF_PAGE), pages++)
			CHECK(elf_page(&image, &info, va, page) == 0);
	}
	CHECK(accepted > 1000);		/* the mutations left many images loadable */
}

static const struct unit_test tests[] = {
	TEST(static_exec_layout),
	TEST(static_pie_relocated),
	TEST(phdr_outside_segments),
	TEST(empty_segments_skipped),
	TEST(file_pages_listed_once),
	TEST(page_contents),
	TEST(later_segment_wins),
	TEST(read_error_propagates),
	TEST(bad_ident),
	TEST(bad_type_machine_phent),
	TEST(phdrs_outside_file),
	TEST(interp_refused),
	TEST(segment_file_bounds),
	TEST(segment_misaligned),
	TEST(segment_outside_user_space),
	TEST(pie_relocation_overflows),
	TEST(entry_outside_segments),
	TEST(no_or_too_many_loads),
	TEST(mutations_never_escape),
};

CHECK_MAIN("elf", tests)
