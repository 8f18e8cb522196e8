/*
 * Stand-ins for the pmon services linux-abi/ calls that pmon_host.c does not give
 * (tests/unit/abi_host.h): each counts its calls, keeps the last arguments and
 * answers what the test set. Descriptors, pipes, /dev/null, futexes and signals are
 * the real pcomponent/ files; execve's loader and the terminal are not under test.
 */
#include <stdio.h>
#include <string.h>
#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "pcomponent/excache.h"
#include "pcomponent/file.h"
#include "pcomponent/fs.h"
#include "pcomponent/itimer.h"
#include "pcomponent/mm.h"
#include "pcomponent/tty.h"
#include "pmon_host.h"
#include "abi_host.h"

struct abi_host abi;
unsigned ncpus = 4;

/* fs_cwd_get()'s directory: not kmalloc'd, so that no test sees it as a leak. */
static _Alignas(struct fs_cwd) char cwd_mem[sizeof(struct fs_cwd) + ABI_PATH];

void abi_reset(struct uthread *t)
{
	memset(&abi, 0, sizeof(abi));
	abi.current = t;
}

/* Keep one call's arguments; its answer. */
static long record(struct abi_call *c, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	c->calls++;
	c->arg[0] = a0;
	c->arg[1] = a1;
	c->arg[2] = a2;
	c->arg[3] = a3;
	return c->ret;
}

static void keep_path(char *dst, const char *src)
{
	snprintf(dst, ABI_PATH, "%s", src ? src : "");
}

/* ---- the thread, its registers, the CPU ---- */

struct uthread *uthread_current(void)
{
	return abi.current;
}

struct user_regs *arch_user_regs(void)
{
	return &abi.regs;
}

void arch_user_set_fs(uint64_t base)
{
	abi.fs_base = base;
}

uint64_t arch_entropy(void)
{
	return 0x0123456789abcdefULL * ++abi.entropy;
}

void arch_user_enter(const struct user_regs *r)
{
	(void)r;
	panic("arch_user_enter: entering user mode is not under test");
}

uint64_t thread_run_ns(struct thread *t)
{
	(void)t;
	return abi.thread_ns;
}

/* ---- memory (pcomponent/mm_vm.c, mm.c, excache.c) ---- */

long mm_brk(struct mm *mm, uint64_t addr)
{
	(void)mm;
	return record(&abi.brk, addr, 0, 0, 0);
}

long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags)
{
	(void)mm;
	return record(&abi.mmap, addr, len, prot, flags);
}

long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	(void)mm;
	return record(&abi.munmap, addr, len, 0, 0);
}

long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, uint32_t prot)
{
	(void)mm;
	return record(&abi.mprotect, addr, len, prot, 0);
}

long mm_mremap(struct mm *mm, uint64_t addr, uint64_t len, uint64_t new_len, uint32_t flags)
{
	(void)mm;
	return record(&abi.mremap, addr, len, new_len, flags);
}

long mm_dontneed(struct mm *mm, uint64_t addr, uint64_t len)
{
	(void)mm;
	return record(&abi.dontneed, addr, len, 0, 0);
}

void excache_usage(unsigned *lines, unsigned *resident)
{
	*lines = 64;
	*resident = 16;
}

int mm_create_path(uint32_t vnode, const char *path, struct mm **out)
{
	(void)vnode, (void)path, (void)out;
	return -ENOEXEC;
}

int mm_create_from(struct mm *old, uint32_t vnode, struct mm **out)
{
	(void)old, (void)vnode, (void)out;
	return -ENOEXEC;
}

int mm_exec(struct mm *mm, struct m2p_exec *out)
{
	(void)mm, (void)out;
	return -ENOEXEC;
}

void mm_put(struct mm *mm)
{
	(void)mm;
}

/* ---- processes (process.c, fork.c, exit.c, pgrp.c, uthread.c, load.c) ---- */

long proc_fork(struct uthread *t, const struct user_regs *regs, uint64_t child_tid)
{
	(void)t;
	return record(&abi.fork, regs->rsp, child_tid, 0, 0);
}

long uthread_clone(struct uthread *t, const struct user_regs *regs, uint64_t sp,
		   uint64_t tls, bool settls, uint64_t ptid, uint64_t ctid, bool set_ctid,
		   bool clear_ctid)
{
	(void)t, (void)regs, (void)settls, (void)set_ctid, (void)clear_ctid;
	return record(&abi.clone, sp, tls, ptid, ctid);
}

long proc_wait(struct process *p, int32_t pid, int options, struct child_exit *out)
{
	(void)p;
	if (abi.wait.ret > 0)
		*out = abi.child;
	return record(&abi.wait, (uint64_t)(int64_t)pid, (uint64_t)options, 0, 0);
}

struct mm *proc_exec(struct uthread *t, struct mm *mm)
{
	(void)t, (void)mm;
	panic("proc_exec: execve is not under test");
}

void uthread_exit(int wstatus)
{
	proc_exit(wstatus);
}

uint64_t proc_cpu_ns(struct process *p, bool children)
{
	(void)p;
	return children ? abi.children_cpu_ns : abi.cpu_ns;
}

uint32_t proc_ppid(struct process *p)
{
	(void)p;
	return abi.ppid;
}

long proc_getpgid(struct process *p, uint32_t pid, bool session)
{
	(void)p;
	return record(&abi.getpgid, pid, session, 0, 0);
}

long proc_setpgid(struct process *p, uint32_t pid, uint32_t pgid)
{
	(void)p;
	return record(&abi.setpgid, pid, pgid, 0, 0);
}

long proc_setsid(struct process *p)
{
	(void)p;
	return record(&abi.setsid, 0, 0, 0, 0);
}

void proc_load(uint32_t *threads, uint32_t *procs)
{
	*threads = 3;
	*procs = 2;
}

void itimer_set(struct process *p, uint64_t value, uint64_t interval, uint64_t *old_value,
		uint64_t *old_interval)
{
	(void)p;
	record(&abi.itimer, value, interval, 0, 0);
	*old_value = abi.itimer_old;
	*old_interval = abi.itimer_old_interval;
}

/* ---- storage (pcomponent/fs.c, fs_file.c) and the terminal ---- */

static void dir_release(struct file *f)
{
	(void)f;
}

static const struct file_ops dir_ops = { .release = dir_release, .mode = S_IFDIR | 0755 };

struct file *abi_dir_file(const char *path)
{
	return file_new(&dir_ops, (void *)path, NULL, O_RDONLY);
}

const char *fs_dir_path(const struct file *f)
{
	return f->ops == &dir_ops ? f->priv : NULL;
}

int fs_open(uint32_t vnode, const char *path, uint32_t flags, uint32_t mode, bool must_dir,
	    struct file **out)
{
	long err;

	keep_path(abi.path, path);
	err = record(&abi.open, vnode, flags, mode, must_dir);
	if (err)
		return (int)err;
	if (!abi.open_file)
		panic("fs_open: the test gave no file to open");
	file_get(abi.open_file);
	*out = abi.open_file;
	return 0;
}

int fs_stat(uint32_t vnode, const char *path, bool nofollow, struct fs_attr *a)
{
	keep_path(abi.path, path);
	*a = abi.attr;
	return (int)record(&abi.stat, vnode, nofollow, 0, 0);
}

int fs_call(uint32_t vnode, uint16_t op, const void *req, size_t len, void *resp, size_t max)
{
	(void)req, (void)len, (void)resp, (void)max;
	return (int)record(&abi.path_call, vnode, op, 0, 0);
}

int fs_path_call(uint32_t vnode, uint16_t op, const char *path, uint32_t flags, uint32_t mode,
		 void *resp, size_t max)
{
	(void)resp, (void)max;
	keep_path(abi.path, path);
	return (int)record(&abi.path_call, vnode, op, flags, mode);
}

int fs_path2_call(uint32_t vnode, uint16_t op, const char *p1, const char *p2, uint32_t flags)
{
	keep_path(abi.path, p1);
	keep_path(abi.path2, p2);
	return (int)record(&abi.path2_call, vnode, op, flags, 0);
}

struct fs_cwd *fs_cwd_get(struct process *p)
{
	struct fs_cwd *c = (struct fs_cwd *)cwd_mem;

	(void)p;
	keep_path(c->path, abi.cwd ? abi.cwd : "/");
	abi.cwd_refs++;
	return c;
}

const char *fs_cwd_path(const struct fs_cwd *c)
{
	return c->path;
}

void fs_cwd_put(struct fs_cwd *c)
{
	(void)c;
	abi.cwd_refs--;
}

int fs_cwd_set(struct process *p, const char *path)
{
	(void)p;
	keep_path(abi.path, path);
	return (int)record(&abi.cwd_set, 0, 0, 0, 0);
}

/* No terminal: /dev/tty is -ENXIO, as for a program whose host side is a pipe. */
struct file *tty_open(struct tty *t, unsigned stream)
{
	(void)t, (void)stream;
	return NULL;
}
