/*
 * vmedge: munmap, mprotect, mmap, mremap, madvise and brk at their edges: zero
 * lengths, unaligned and kernel-half addresses, ranges with holes or spanning two
 * mappings, splits, MAP_FIXED over mappings, growing and shrinking. Each line is a
 * call and its result (0, ok, or -1 and the errno's name) or a check after it; no
 * addresses, so the host's output and a vNode's must match line for line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096UL
#define KERNEL_HALF ((char *)0xffff800000000000UL)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

static const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	default: return "E?";
	}
}

/* A call returning 0 or -1 (errno). */
static void show(const char *what, int ret)
{
	if (ret == -1)
		printf("%s = -1 %s\n", what, errname(errno));
	else
		printf("%s = %d\n", what, ret);
}

/* A call returning an address or MAP_FAILED (errno). */
static void *show_map(const char *what, void *ret)
{
	if (ret == MAP_FAILED)
		printf("%s = -1 %s\n", what, errname(errno));
	else
		printf("%s = ok\n", what);
	return ret;
}

static void check(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "yes" : "no");
}

static char *map(size_t pages, int prot)
{
	char *p = mmap(NULL, pages * PAGE, prot, ANON, -1, 0);

	if (p == MAP_FAILED) {
		printf("mmap of %zu pages failed: %s\n", pages, errname(errno));
		_exit(2);
	}
	return p;
}

/* Whether [p, p + len) is free: a MAP_FIXED_NOREPLACE there succeeds (and is undone). */
static int is_free(char *p, size_t len)
{
	void *q = mmap(p, len, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);

	if (q == MAP_FAILED)
		return 0;
	munmap(q, len);
	return q == p;
}

static void fill(char *p, size_t pages, char c)
{
	for (size_t i = 0; i < pages; i++)
		memset(p + i * PAGE, c + (char)i, PAGE);
}

static int holds(const char *p, size_t pages, char c)
{
	for (size_t i = 0; i < pages * PAGE; i++)
		if (p[i] != (char)(c + (char)(i / PAGE)))
			return 0;
	return 1;
}

static int zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_munmap(void)
{
	char *p = map(4, RW);

	show("munmap(len 0)", munmap(p, 0));
	show("munmap(unaligned)", munmap(p + 1, PAGE));
	show("munmap(kernel half)", munmap(KERNEL_HALF, PAGE));
	show("munmap(wraps around)", munmap((void *)-PAGE, 2 * PAGE));
	show("munmap(second page)", munmap(p + PAGE, PAGE));
	show("munmap(partly mapped)", munmap(p, 2 * PAGE));
	check("range free after", is_free(p, 2 * PAGE));
	show("munmap(never mapped)", munmap(p, 2 * PAGE));
	munmap(p, 4 * PAGE);

	p = map(4, RW);
	fill(p, 4, 'a');
	show("mprotect(last two pages, read)", mprotect(p + 2 * PAGE, 2 * PAGE, PROT_READ));
	show("munmap(across two mappings)", munmap(p + PAGE, 2 * PAGE));
	check("middle free after", is_free(p + PAGE, 2 * PAGE));
	check("first page kept", holds(p, 1, 'a'));
	check("last page kept", holds(p + 3 * PAGE, 1, 'a' + 3));
	munmap(p, 4 * PAGE);

	p = map(3, RW);
	fill(p, 3, 'k');
	show("munmap(middle)", munmap(p + PAGE, PAGE));
	p[0] = 'x';
	p[2 * PAGE] = 'y';
	check("ends written and read after", p[0] == 'x' && p[2 * PAGE] == 'y' &&
	      p[PAGE - 1] == 'k' && p[3 * PAGE - 1] == 'k' + 2);
	munmap(p, 3 * PAGE);
}

static void test_mprotect(void)
{
	char *p = map(3, RW);

	fill(p, 3, 'p');
	show("mprotect(middle page, read)", mprotect(p + PAGE, PAGE, PROT_READ));
	check("middle readable", holds(p + PAGE, 1, 'p' + 1));
	p[0] = 'x';
	p[3 * PAGE - 1] = 'y';
	check("ends writable", p[0] == 'x' && p[3 * PAGE - 1] == 'y');
	show("mprotect(len 0)", mprotect(p, 0, PROT_READ));
	/* musl's mprotect rounds the range out to pages: ask the kernel itself */
	show("mprotect(unaligned)", (int)syscall(SYS_mprotect, p + 1, PAGE, PROT_READ));
	show("munmap(middle)", munmap(p + PAGE, PAGE));
	show("mprotect(range with a hole)", mprotect(p, 3 * PAGE, PROT_READ));
	show("mprotect(unmapped)", mprotect(p + PAGE, PAGE, PROT_READ));
	munmap(p, 3 * PAGE);

	p = map(2, PROT_NONE);
	show("mprotect(PROT_NONE to read-write)", mprotect(p, 2 * PAGE, RW));
	fill(p, 2, 'n');
	check("written and read after", holds(p, 2, 'n'));
	munmap(p, 2 * PAGE);
}

static void test_mmap(void)
{
	char *p = map(2, RW), *q;

	show_map("mmap(len 0)", mmap(NULL, 0, RW, ANON, -1, 0));
	show_map("mmap(MAP_FIXED, unaligned)", mmap(p + 1, PAGE, RW, ANON | MAP_FIXED, -1, 0));
	show_map("mmap(MAP_FIXED, kernel half)",
		 mmap(KERNEL_HALF, PAGE, RW, ANON | MAP_FIXED, -1, 0));
	show_map("mmap(no MAP_PRIVATE or MAP_SHARED)", mmap(NULL, PAGE, RW, MAP_ANONYMOUS, -1, 0));
	fill(p, 2, 'm');
	show_map("mmap(MAP_FIXED_NOREPLACE, over a mapping)",
		 mmap(p + PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0));
	check("mapping untouched", holds(p, 2, 'm'));
	q = show_map("mmap(MAP_FIXED, over a mapping)",
		     mmap(p + PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0));
	check("replaced page zeroed", q == p + PAGE && zero(q, PAGE));
	check("first page kept", holds(p, 1, 'm'));
	munmap(p, 2 * PAGE);
}

static void test_mremap(void)
{
	char *p = map(4, RW), *q;

	fill(p, 4, 'r');
	q = mremap(p, 4 * PAGE, 16 * PAGE, MREMAP_MAYMOVE);
	show_map("mremap(grow, MREMAP_MAYMOVE)", q);
	if (q == MAP_FAILED)
		q = p;
	else
		check("contents kept, new pages zero",
		      holds(q, 4, 'r') && zero(q + 4 * PAGE, 12 * PAGE));
	p = show_map("mremap(shrink)", mremap(q, 16 * PAGE, 2 * PAGE, MREMAP_MAYMOVE));
	check("same address, contents kept", p == q && holds(p, 2, 'r'));
	show_map("mremap(unaligned)", mremap(p + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE));
	show_map("mremap(to len 0)", mremap(p, PAGE, 0, MREMAP_MAYMOVE));
	show("mprotect(second page, read)", mprotect(p + PAGE, PAGE, PROT_READ));
	show_map("mremap(grow, no room, no MREMAP_MAYMOVE)", mremap(p, PAGE, 2 * PAGE, 0));
	check("contents kept", holds(p, 2, 'r'));
	munmap(p, 2 * PAGE);
}

static void test_madvise(void)
{
	char *p = map(4, RW);

	fill(p, 4, 'd');
	show("madvise(MADV_DONTNEED, middle pages)", madvise(p + PAGE, 2 * PAGE, MADV_DONTNEED));
	check("those read as zero, the others kept", zero(p + PAGE, 2 * PAGE) &&
	      holds(p, 1, 'd') && holds(p + 3 * PAGE, 1, 'd' + 3));
	show("madvise(unaligned)", madvise(p + 1, PAGE, MADV_DONTNEED));
	munmap(p, 4 * PAGE);
}

static void test_brk(void)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);

	check("brk(0) nonzero, page-aligned", cur && cur % PAGE == 0);
	check("brk(0) again the same", (uintptr_t)syscall(SYS_brk, 0) == cur);
	check("brk(1) unchanged", (uintptr_t)syscall(SYS_brk, 1) == cur);
	check("brk(kernel half) unchanged", (uintptr_t)syscall(SYS_brk, KERNEL_HALF) == cur);
	check("brk(+3 pages) moved", (uintptr_t)syscall(SYS_brk, cur + 3 * PAGE) == cur + 3 * PAGE);
	memset((char *)cur, 'b', 3 * PAGE);
	check("brk(back) moved", (uintptr_t)syscall(SYS_brk, cur) == cur);
	check("brk(+1 page) moved", (uintptr_t)syscall(SYS_brk, cur + PAGE) == cur + PAGE);
	check("regrown page zero", zero((char *)cur, PAGE));
	syscall(SYS_brk, cur);
}

int main(void)
{
	test_munmap();
	test_mprotect();
	test_mmap();
	test_mremap();
	test_madvise();
	test_brk();
	return 0;
}
