/*
 * Staging and exec on a process's home: the host sends the ELF image in H2M_IMAGE
 * chunks into a page-array staging buffer; P2M_EXEC parses it (elf.c), lays out the
 * vmas and stack, stores the image pages here or on their vRegion's owner.
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

/* An image being staged: len bytes in zeroed pages; filled is how far chunks reached. */
struct stage {
	uint32_t len;
	uint32_t filled;
	uint32_t npages;
	uint8_t *pages[];
};

void exec_stage_free(struct stage *st)
{
	for (uint32_t i = 0; i < st->npages; i++)
		if (st->pages[i])
			page_free(st->pages[i]);
	kfree(st);
}

/* Room for len bytes, or NULL; the node's reserve is never staged into. */
struct stage *exec_stage_new(uint32_t len)
{
	uint32_t n = (len + PAGE_SIZE - 1) / PAGE_SIZE;
	struct stage *st;

	if ((size_t)n + MMON_RESERVE > page_free_count())
		return NULL;
	st = kzalloc(sizeof(*st) + n * sizeof(st->pages[0]));
	if (!st)
		return NULL;
	st->len = len;
	st->npages = n;
	for (uint32_t i = 0; i < n; i++) {
		st->pages[i] = page_alloc(0);
		if (!st->pages[i]) {
			exec_stage_free(st);
			return NULL;
		}
	}
	return st;
}

/* Copy n bytes between buf and the stage at off (checked by the caller). */
static void stage_copy(struct stage *st, uint64_t off, void *buf, size_t n, bool in)
{
	uint8_t *b = buf;

	while (n) {
		size_t at = off % PAGE_SIZE, k = PAGE_SIZE - at < n ? PAGE_SIZE - at : n;
		uint8_t *p = st->pages[off / PAGE_SIZE] + at;

		memcpy(in ? p : b, in ? b : p, k);
		off += k;
		b += k;
		n -= k;
	}
}

static int stage_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct stage *st = ctx;

	if (off > st->len || len > st->len - off)
		return -ENOEXEC;
	stage_copy(st, off, buf, len, false);
	return 0;
}

/* H2M_IMAGE: a chunk of the image, from the host named in P2M_PROC_NEW only. */
int exec_image(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
	       size_t resp_max)
{
	size_t n = len - sizeof(struct h2m_image);
	struct h2m_image q;
	struct space *s;
	int err = 0;

	(void)ctx, (void)resp, (void)resp_max;
	memcpy(&q, req, sizeof(q));
	s = space_get(q.pid);
	if (!s || !s->is_home || peer != s->host) {
		if (s)
			space_put(s);
		mmon_refuse("image", q.pid, peer, "not the host staging this process");
		return -EPERM;
	}
	if (!s->stage || q.offset > s->stage->len || n > s->stage->len - q.offset) {
		err = -EINVAL;
	} else {
		stage_copy(s->stage, q.offset, (uint8_t *)req + sizeof(q), n, true);
		if (q.offset + n > s->stage->filled)
			s->stage->filled = q.offset + n;
	}
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

/* Every page holding file bytes, built and stored on its vRegion's owner. */
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
		if (err)
			break;
		if (owner == mmon_self) {
			err = pages_write(s, va, page);
			(*here)++;
		} else {
			err = sync_page(s, owner, va, page);
			(*remote)++;
		}
	}
	kfree(page);
	return err;
}

/* Refuse what cannot load: a partial image, a bad ELF, segments over the stack or RAM. */
static int exec_check(struct space *s, const struct elf_image *img, struct elf_info *info)
{
	uint64_t pages = 0;
	int err;

	if (s->stage->filled < s->stage->len) {
		pr_warn("exec pid=%u: image incomplete (%u of %u bytes)", s->pid,
			s->stage->filled, s->stage->len);
		return -ENOEXEC;
	}
	err = elf_parse(img, info);
	if (err) {
		pr_warn("exec pid=%u: not a static x86-64 executable (%d)", s->pid, err);
		return err;
	}
	if (info->end > STACK_BOTTOM) {
		pr_warn("exec pid=%u: segments reach into the stack", s->pid);
		return -ENOEXEC;
	}
	for (unsigned i = 0; i < info->nsegs; i++)
		pages += PAGE_ALIGN_UP(info->segs[i].memsz) / PAGE_SIZE + 1;
	return pages > page_total_count() ? -ENOMEM : 0;
}

static int exec_load(struct space *s, struct m2p_exec *out)
{
	struct elf_image img = { stage_read, s->stage, s->stage->len };
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
	pr_info("exec pid=%u entry=%#lx vmas=%zu pages=%u here, %u on other mmons, brk=%#lx",
		s->pid, info.entry, s->vs.nr_vmas, here, remote, info.end);
	return 0;
}

/*
 * P2M_EXEC: load the staged image. The stage is freed whatever happens; a failed exec
 * leaves an empty space here (owners keep what they got until P2M_PROC_EXIT).
 */
int exec_run(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
	     size_t resp_max)
{
	struct m2p_exec a;
	struct space *s;
	uint32_t pid;
	int err;

	(void)ctx, (void)len;
	memcpy(&pid, req, sizeof(pid));
	if (resp_max < sizeof(a))
		return -ENOSPC;
	err = space_get_pmon_home(pid, peer, "exec", &s);
	if (err)
		return err;
	if (!s->stage) {
		space_put(s);
		return -ENOEXEC;
	}
	err = exec_load(s, &a);
	exec_stage_free(s->stage);
	s->stage = NULL;
	if (err) {
		pr_warn("exec pid=%u failed (%d)", pid, err);
		pages_free(pid);
		vma_space_fini(&s->vs);
	}
	space_put(s);
	if (err)
		return err;
	memcpy(resp, &a, sizeof(a));
	return sizeof(a);
}
