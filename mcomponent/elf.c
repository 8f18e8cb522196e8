/*
 * Static x86-64 ELF64 executables: elf_parse() checks every header field it relies on
 * against the image size and the user address space, so exec can trust its output;
 * elf_page() builds one page of the loaded image. Portable (tests/unit/test_elf.c).
 */
#include "mcomponent/elf.h"
#include "mcomponent/vma.h"
#include "kernel/errno.h"
#include "lib/string.h"

#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PF_X 0x1
#define PF_W 0x2
#define PF_R 0x4

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type;
	uint16_t machine;
	uint32_t version;
	uint64_t entry;
	uint64_t phoff;
	uint64_t shoff;
	uint32_t flags;
	uint16_t ehsize;
	uint16_t phentsize;
	uint16_t phnum;
	uint16_t shentsize;
	uint16_t shnum;
	uint16_t shstrndx;
} __attribute__((packed));
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header");

struct elf64_phdr {
	uint32_t type;
	uint32_t flags;
	uint64_t offset;
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t align;
} __attribute__((packed));
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header");

/* What relocation maps link-time address lo to: lo itself, or ELF_DYN_BASE for a PIE. */
struct reloc {
	uint64_t lo;
	uint64_t base;
};

static uint64_t page_down(uint64_t a)
{
	return a & ~(ELF_PAGE - 1);
}

static uint64_t page_up(uint64_t a)
{
	return page_down(a + ELF_PAGE - 1);
}

/* The run-time address of link-time address v, if it lands below VMA_MAX. */
static int relocate(const struct reloc *r, uint64_t v, uint64_t *out)
{
	if (r->base > VMA_MAX || v < r->lo || v - r->lo > VMA_MAX - r->base)
		return -ENOEXEC;
	*out = r->base + (v - r->lo);
	return 0;
}

static int check_ehdr(const struct elf64_ehdr *e, uint64_t size)
{
	static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };

	if (memcmp(e->ident, magic, sizeof(magic)) || e->ident[4] != ELFCLASS64 ||
	    e->ident[5] != ELFDATA2LSB)
		return -ENOEXEC;
	if ((e->type != ET_EXEC && e->type != ET_DYN) || e->machine != EM_X86_64)
		return -ENOEXEC;
	if (e->phentsize != sizeof(struct elf64_phdr) || e->phnum == 0 ||
	    e->phnum > ELF_MAX_PHDRS)
		return -ENOEXEC;
	if (e->phoff > size || (uint64_t)e->phnum * e->phentsize > size - e->phoff)
		return -ENOEXEC;
	return 0;
}

/* A PT_LOAD's fields that do not depend on where it is loaded. */
static int check_load(const struct elf64_phdr *p, uint64_t size)
{
	if (p->filesz > p->memsz || p->offset > size || p->filesz > size - p->offset)
		return -ENOEXEC;
	if ((p->vaddr - p->offset) & (ELF_PAGE - 1))
		return -ENOEXEC;
	if (p->memsz > VMA_MAX)
		return -ENOEXEC;
	return 0;
}

static uint32_t prot_of(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/* Read the program headers: the loadable segments (link-time addresses) and PT_PHDR. */
static int read_phdrs(const struct elf_image *img, const struct elf64_ehdr *e,
		      struct elf_info *info, uint64_t *phdr_vaddr)
{
	struct elf64_phdr p;
	int err;

	info->nsegs = 0;
	for (unsigned i = 0; i < e->phnum; i++) {
		err = img->read(img->ctx, e->phoff + (uint64_t)i * sizeof(p), &p, sizeof(p));
		if (err)
			return err;
		if (p.type == PT_INTERP)
			return -ENOEXEC;
		if (p.type == PT_PHDR)
			*phdr_vaddr = p.vaddr;
		if (p.type != PT_LOAD)
			continue;
		err = check_load(&p, img->size);
		if (err)
			return err;
		if (p.memsz == 0)
			continue;
		if (info->nsegs == ELF_MAX_LOADS)
			return -ENOEXEC;
		info->segs[info->nsegs++] = (struct elf_seg){
			.vaddr = p.vaddr, .filesz = p.filesz, .memsz = p.memsz,
			.offset = p.offset, .prot = prot_of(p.flags),
		};
	}
	return info->nsegs ? 0 : -ENOEXEC;
}

/* Move every segment to its run-time address and check it lies in user space. */
static int place_segs(struct elf_info *info, const struct reloc *r)
{
	struct elf_seg *s;
	int err;

	info->end = 0;
	for (s = info->segs; s < info->segs + info->nsegs; s++) {
		err = relocate(r, s->vaddr, &s->vaddr);
		if (err)
			return err;
		if (page_down(s->vaddr) < VMA_MIN || s->memsz > VMA_MAX - s->vaddr)
			return -ENOEXEC;
		if (page_up(s->vaddr + s->memsz) > info->end)
			info->end = page_up(s->vaddr + s->memsz);
	}
	return 0;
}

static const struct elf_seg *seg_at(const struct elf_info *info, uint64_t va)
{
	for (unsigned i = 0; i < info->nsegs; i++)
		if (va >= info->segs[i].vaddr && va - info->segs[i].vaddr < info->segs[i].memsz)
			return &info->segs[i];
	return NULL;
}

/*
 * AT_PHDR: PT_PHDR's address if there is one, else where the segment holding the
 * headers' file bytes maps them, else Linux's old guess: the first segment's
 * load address plus e_phoff (possibly unmapped, as on Linux).
 */
static int find_phdr(struct elf_info *info, const struct reloc *r, uint64_t phoff,
		     uint64_t phdr_vaddr, bool has_phdr)
{
	uint64_t len = (uint64_t)info->phnum * info->phent;
	const struct elf_seg *s;

	if (has_phdr)
		return relocate(r, phdr_vaddr, &info->phdr);
	for (s = info->segs; s < info->segs + info->nsegs; s++) {
		if (s->offset <= phoff && phoff - s->offset <= s->filesz &&
		    len <= s->filesz - (phoff - s->offset)) {
			info->phdr = s->vaddr + (phoff - s->offset);
			return 0;
		}
	}
	info->phdr = info->segs[0].vaddr - info->segs[0].offset + phoff;
	return 0;
}

int elf_parse(const struct elf_image *img, struct elf_info *info)
{
	uint64_t phdr_vaddr = UINT64_MAX;
	struct elf64_ehdr e;
	struct reloc r;
	int err;

	if (img->size < sizeof(e))
		return -ENOEXEC;
	err = img->read(img->ctx, 0, &e, sizeof(e));
	if (err)
		return err;
	err = check_ehdr(&e, img->size);
	if (err)
		return err;
	err = read_phdrs(img, &e, info, &phdr_vaddr);
	if (err)
		return err;
	r.lo = UINT64_MAX;
	for (unsigned i = 0; i < info->nsegs; i++)
		if (page_down(info->segs[i].vaddr) < r.lo)
			r.lo = page_down(info->segs[i].vaddr);
	r.base = e.type == ET_DYN ? ELF_DYN_BASE : r.lo;
	err = place_segs(info, &r);
	if (err)
		return err;
	err = relocate(&r, e.entry, &info->entry);
	if (err || !seg_at(info, info->entry))
		return -ENOEXEC;
	info->phnum = e.phnum;
	info->phent = e.phentsize;
	return find_phdr(info, &r, e.phoff, phdr_vaddr, phdr_vaddr != UINT64_MAX);
}

int elf_page(const struct elf_image *img, const struct elf_info *info, uint64_t va,
	     void *page)
{
	uint8_t *out = page;
	uint64_t a, b, file_end;
	const struct elf_seg *s;
	int err;

	memset(page, 0, ELF_PAGE);
	for (s = info->segs; s < info->segs + info->nsegs; s++) {
		a = s->vaddr > va ? s->vaddr : va;
		b = s->vaddr + s->memsz < va + ELF_PAGE ? s->vaddr + s->memsz : va + ELF_PAGE;
		if (a >= b)
			continue;
		file_end = s->vaddr + s->filesz;
		if (a < file_end) {
			uint64_t n = (b < file_end ? b : file_end) - a;

			err = img->read(img->ctx, s->offset + (a - s->vaddr), out + (a - va), n);
			if (err)
				return err;
			a += n;
		}
		if (a < b)
			memset(out + (a - va), 0, b - a);
	}
	return 0;
}

uint64_t elf_next_file_page(const struct elf_info *info, uint64_t va)
{
	uint64_t best = 0, first, end, cand;
	const struct elf_seg *s;

	for (s = info->segs; s < info->segs + info->nsegs; s++) {
		if (!s->filesz)
			continue;
		first = page_down(s->vaddr);
		end = page_up(s->vaddr + s->filesz);
		cand = first > va ? first : va;
		if (cand < end && (!best || cand < best))
			best = cand;
	}
	return best;
}
