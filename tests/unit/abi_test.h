/*
 * Shared by tests/unit/test_abi_*.c: one process with one thread on the pmon stubs
 * (pmon_host.c, abi_host.c), and SYS(), which makes a system call the way a program
 * does, by number through linux-abi/syscall.c's table, with the host's Linux numbers.
 */
#ifndef TESTS_UNIT_ABI_TEST_H
#define TESTS_UNIT_ABI_TEST_H

#include <asm/unistd.h>
#include "pmon_test.h"
#include "abi_host.h"
#include "linux-abi/abi.h"
#include "linux-abi/linux.h"
#include "mcomponent/vma.h"
#include "pcomponent/file.h"

#define BIT(sig) (1ULL << ((sig) - 1))
#define UBUF (HOST_UBASE + 0x1000)	/* user buffers the tests fill */
#define UBUF2 (HOST_UBASE + 0x2000)
#define UBUF3 (HOST_UBASE + 0x3000)
#define KERNEL_VA 0xffff800000000000ULL	/* no user address: Linux's access_ok fails */
#define PID 100

static struct process proc;
static struct uthread ut;
static jmp_buf ended;			/* where proc_exit() and proc_kill() land */

/* A live process PID of vNode 1 whose one thread is the caller; an empty table. */
static inline void abi_start(void)
{
	if (proc.files)
		files_close(proc.files);	/* a failed test's, so that it shows no leak */
	setup();
	memset(&proc, 0, sizeof(proc));
	memset(&ut, 0, sizeof(ut));
	proc.pid = proc.pgid = proc.sid = PID;
	proc.vnode = 1;
	proc.state = PROC_LIVE;
	proc.nthreads = 1;
	proc.mm = &test_mm;
	list_init(&proc.threads);
	ut.proc = &proc;
	ut.tid = PID;
	ut.thread = &host.threads[1];
	list_add_tail(&ut.link, &proc.threads);
	host.procs[0] = &proc;
	host.exit_jmp = &ended;
	abi_reset(&ut);
	proc.files = files_new();
	CHECK(proc.files != NULL);
}

/* Close the table; nothing may be left: no block, lock, step, timer or cwd reference. */
static inline void abi_finish(void)
{
	files_close(proc.files);
	proc.files = NULL;
	CHECK(abi.cwd_refs == 0);
	check_clean();
}

/* System call nr with arguments a, as a program makes it: what rax holds after. */
static inline long sys_call(uint64_t nr, const uint64_t a[6])
{
	struct user_regs r = { .rax = nr, .rdi = a[0], .rsi = a[1], .rdx = a[2],
			       .r10 = a[3], .r8 = a[4], .r9 = a[5] };

	abi_syscall(&r);
	CHECK(host.locks == 0);
	return (long)r.rax;
}

/* SYS(write, fd, buf, n): at least one argument; the rest are 0. */
#define SYS(name, ...) sys_call(__NR_##name, (const uint64_t[6]){ __VA_ARGS__ })

static inline void uput(uint64_t uva, const void *p, size_t n)
{
	memcpy(host_uptr(uva), p, n);
}

static inline void uget(void *p, uint64_t uva, size_t n)
{
	memcpy(p, host_uptr(uva), n);
}

/* A pipe through pipe2(flags): its read end in fds[0], its write end in fds[1]. */
static inline void make_pipe(int fds[2], uint64_t flags)
{
	CHECK(SYS(pipe2, UBUF3, flags) == 0);
	uget(fds, UBUF3, 2 * sizeof(int));
}

/* How many descriptors are open. */
static inline int open_fds(void)
{
	int n = 0;

	for (int i = 0; i < FD_MAX; i++)
		n += proc.files->fd[i] != NULL;
	return n;
}

#endif
