/*
 * What linux-abi/ reaches beyond the kernel of pmon_host.c, for the system-call
 * tests (tests/unit/test_abi_*.c): pmon's memory calls, process services, storage,
 * terminal and clocks, each a stand-in that counts its calls, keeps the arguments
 * of the last one and answers what the test set (tests/unit/abi_host.c).
 */
#ifndef TESTS_UNIT_ABI_HOST_H
#define TESTS_UNIT_ABI_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/user.h"
#include "net/wire.h"
#include "pcomponent/process.h"
#include "scomponent/proto.h"

#define ABI_PATH 64		/* bytes of a path the stand-ins keep */

/* One call of pmon's: what it was given, how often it ran, what it answers. */
struct abi_call {
	unsigned calls;
	uint64_t arg[5];
	long ret;
};

struct abi_host {
	struct uthread *current;	/* uthread_current() */
	struct user_regs regs;		/* arch_user_regs() */

	/* include/pcomponent/mm.h: addr, len, then prot/new_len, flags */
	struct abi_call brk, mmap, munmap, mprotect, mremap, dontneed;

	/* include/pcomponent/process.h and pgrp.c */
	struct abi_call fork, clone, wait, getpgid, setpgid, setsid;
	struct child_exit child;	/* what a wait that returns a pid found */
	uint32_t ppid;
	uint64_t cpu_ns, children_cpu_ns, thread_ns;

	/* include/pcomponent/fs.h; fs_call() counts as a path_call */
	struct abi_call open, path_call, path2_call, stat, cwd_set;
	char path[ABI_PATH], path2[ABI_PATH];	/* the last call's names */
	struct fs_attr attr;		/* what fs_stat answers */
	struct file *open_file;		/* what fs_open opens (a reference each time) */
	const char *cwd;		/* fs_cwd_get's; NULL: "/" */
	int cwd_refs;			/* fs_cwd_get minus fs_cwd_put */

	struct abi_call itimer;		/* value, interval; answers the old ones below */
	uint64_t itimer_old, itimer_old_interval;
	uint64_t fs_base;		/* arch_user_set_fs()'s */
	unsigned entropy;		/* arch_entropy() calls */
};

extern struct abi_host abi;

/* Forget every call and answer; uthread_current() is t from now on. */
void abi_reset(struct uthread *t);
/* A directory descriptor's open file for fs_dir_path(): path is its name. */
struct file *abi_dir_file(const char *path);

#endif
