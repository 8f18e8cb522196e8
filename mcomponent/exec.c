/*
 * Staging and exec on a home: the host sends the ELF image in H2M_IMAGE chunks into
 * the space's image (image.c); P2M_EXEC parses it (elf.c), lays out the vmas and
 * stack, stores the image pages on both copies of their vRegion.
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "mcomponent/elf.h"
#include "mmon.h"

#define STACK_BOTTOM (VMA_MAX - MMON_STACK_SIZE)
#define EXEC_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)

/* H2M_IMAGE: a chunk of the image, from the host named in P2M_MM_NEW only. */
int exec_image(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
	       size_t resp_max)
{
	struct h2m_image q;
	struct space *s;
	int err;

	(void)ctx, (void)resp, (void)resp_max;
	memcpy(&q, req, sizeof(q));
	s = space_get(q.mm);
	if (!s || !s->is_home || peer != s->host) {
		if (s)
			space_put(s);
		mmon_refuse("image", q.mm, peer, "not the host staging this process");
		return -EPERM;
	}
	err = s->image ? image_write(s->image, q.offset, (const uint8_t *)req + sizeof(q),
				     len - sizeof(q)) : -EINVAL;
	space_put(s);
	return err;
}

static int exec_map(struct space *s, uint64_t lo, uint64_t hi, uint32_t prot,
		    enum vma_kind kind)
{
	uint64_t out;

	if (lo >= hi)
		return 0;
	return vma_mmap(&s->vs, lo, hi - lo, prot, EXEC_FLAGS, kind, 0, &out);
}

/*
 * The vmas: per segment its file part (text if executable, else data) and its bss
 * pages, in program header order so a later segment wins a shared page; the stack.
 */
static int exec_layout(struct space *s, const struct elf_info *info)
{
	const uint32_t rw = PROT_READ | PROT_WRITE;
	const struct elf_seg *g;
	uint64_t lo, mid, hi;
	int err;

	s->vs.brk_start = s->vs.brk = info->end;
	err = owner_fill(s, STACK_BOTTOM, VMA_MAX);
	for (g = info->segs; !err && g < info->segs + info->nsegs; g++) {
		lo = PAGE_ALIGN_DOWN(g->vaddr);
		mid = PAGE_ALIGN_UP(g->vaddr + g->filesz);
		hi = PAGE_ALIGN_UP(g->vaddr + g->memsz);
		err = owner_fill(s, lo, hi);
		if (!err)
			err = exec_map(s, lo, mid, g->prot,
				       g->prot & PROT_EXEC ? VMA_KIND_TEXT : VMA_KIND_DATA);
		if (!err)
			err = exec_map(s, mid > lo ? mid : lo, hi, g->prot, VMA_KIND_BSS);
	}
	if (!err)
		err = exec_map(s, STACK_BOTTOM, VMA_MAX, rw, VMA_KIND_STACK);
	return err;
}

/* Every page holding file bytes, built and stored on both copies of its vRegion. */
static int exec_pages(struct space *s, const struct elf_image *img,
		      const struct elf_info *info, unsigned *here, unsigned *remote)
{
	uint8_t *page = kmalloc(PAGE_SIZE);
	uint8_t owner;
	uint64_t va;
	int err = page ? 0 : -ENOMEM;

	for (va = elf_next_file_page(info, 0); !err && va;
	     va = elf_next_file_page(info, va + PAGE_SIZE)) {
		err = elf_page(img, info, va, page);
		if (!err)
			err = owner_of(s, vregion_of(va), &owner);
		if (!err)
			err = sync_page(s, va, page);
		if (!err && owner == mmon_self)
			(*here)++;
		else if (!err)
			(*remote)++;
	}
	kfree(page);
	return err;
}

/* Refuse what cannot load: a partial image, a bad ELF, segments over the stack or RAM. */
static int exec_check(struct space *s, const struct elf_image *img, struct elf_info *info)
{
	uint64_t pages = 0;
	int err;

	if (s->image->filled < s->image->len) {
		pr_warn("exec mm=%u: image incomplete (%u of %u bytes)", s->mm,
			s->image->filled, s->image->len);
		return -ENOEXEC;
	}
	err = elf_parse(img, info);
	if (err) {
		pr_warn("exec mm=%u: not a static x86-64 executable (%d)", s->mm, err);
		return err;
	}
	if (info->end > STACK_BOTTOM) {
		pr_warn("exec mm=%u: segments reach into the stack", s->mm);
		return -ENOEXEC;
	}
	for (unsigned i = 0; i < info->nsegs; i++)
		pages += PAGE_ALIGN_UP(info->segs[i].memsz) / PAGE_SIZE + 1;
	return pages > page_total_count() ? -ENOMEM : 0;
}

static int exec_load(struct space *s, struct m2p_exec *out)
{
	struct elf_image img = { image_read, s->image, s->image->len };
	unsigned here = 0, remote = 0;
	struct elf_info info;
	int err;

	err = exec_check(s, &img, &info);
	if (!err)
		err = exec_layout(s, &info);
	if (!err)
		err = sync_range(s, VMA_MIN, VMA_MAX, false);
	if (!err)
		err = exec_pages(s, &img, &info, &here, &remote);
	if (err)
		return err;
	*out = (struct m2p_exec){
		.entry = info.entry, .phdr = info.phdr, .stack_top = VMA_MAX,
		.brk = info.end, .phnum = info.phnum, .phent = info.phent,
	};
	pr_info("exec mm=%u entry=%#lx vmas=%zu pages=%u here, %u on other mmons, brk=%#lx",
		s->mm, info.entry, s->vs.nr_vmas, here, remote, info.end);
	return 0;
}

/*
 * P2M_EXEC: load the image, once. Success seals it and the space keeps it (for forks
 * and execve of /proc/self/exe); a failed exec lets it go and leaves an empty space
 * here (owners keep what they got until P2M_MM_EXIT).
 */
int exec_run(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
	     size_t resp_max)
{
	struct m2p_exec a;
	struct space *s;
	uint32_t mm;
	int err;

	(void)ctx, (void)len;
	memcpy(&mm, req, sizeof(mm));
	if (resp_max < sizeof(a))
		return -ENOSPC;
	err = space_get_pmon_home(mm, peer, "exec", &s);
	if (err)
		return err;
	if (!s->image || s->execd) {
		space_put(s);
		return -ENOEXEC;
	}
	err = exec_load(s, &a);
	if (err) {
		pr_warn("exec mm=%u failed (%d)", mm, err);
		image_put(s->image);
		s->image = NULL;
		pages_free(mm);
		vma_space_fini(&s->vs);
	} else {
		if (!s->image->sealed)		/* else shared: it is read-only */
			s->image->sealed = true;
		s->execd = true;
	}
	space_put(s);
	if (err)
		return err;
	memcpy(resp, &a, sizeof(a));
	return sizeof(a);
}
