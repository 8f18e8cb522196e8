/*
 * The system-call table: Linux x86-64 numbers to implementations, bounds-checked
 * before the call (as xv6's syscall()). Anything not here returns -ENOSYS and is
 * logged once per number, so a missing call shows up without flooding the log.
 */
#define LOG_SUBSYS "syscall"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "linux-abi/abi.h"
#include "syscalls.h"

#define NR_SYSCALLS 512

static const syscall_fn table[NR_SYSCALLS] = {
	[0] = sys_read,
	[1] = sys_write,
	[2] = sys_open,
	[3] = sys_close,
	[4] = sys_stat,
	[5] = sys_fstat,
	[6] = sys_lstat,
	[7] = sys_poll,
	[8] = sys_lseek,
	[9] = sys_mmap,
	[10] = sys_mprotect,
	[11] = sys_munmap,
	[12] = sys_brk,
	[13] = sys_rt_sigaction,
	[14] = sys_rt_sigprocmask,
	[15] = sys_rt_sigreturn,
	[16] = sys_ioctl,
	[17] = sys_pread64,
	[18] = sys_pwrite64,
	[19] = sys_readv,
	[20] = sys_writev,
	[21] = sys_access,
	[22] = sys_pipe,
	[23] = sys_select,
	[24] = sys_sched_yield,
	[25] = sys_mremap,
	[28] = sys_madvise,
	[32] = sys_dup,
	[33] = sys_dup2,
	[34] = sys_pause,
	[35] = sys_nanosleep,
	[37] = sys_alarm,
	[38] = sys_setitimer,
	[39] = sys_getpid,
	[56] = sys_clone,
	[57] = sys_fork,
	[58] = sys_fork,		/* vfork: the child gets a copy; nothing is shared */
	[59] = sys_execve,
	[60] = sys_exit,
	[61] = sys_wait4,
	[62] = sys_kill,
	[63] = sys_uname,
	[72] = sys_fcntl,
	[74] = sys_fsync,
	[75] = sys_fdatasync,
	[76] = sys_truncate,
	[77] = sys_ftruncate,
	[79] = sys_getcwd,
	[80] = sys_chdir,
	[81] = sys_fchdir,
	[82] = sys_rename,
	[83] = sys_mkdir,
	[84] = sys_rmdir,
	[85] = sys_creat,
	[87] = sys_unlink,
	[88] = sys_symlink,
	[89] = sys_readlink,
	[95] = sys_umask,
	[96] = sys_gettimeofday,
	[98] = sys_getrusage,
	[99] = sys_sysinfo,
	[102] = sys_getuid,
	[104] = sys_getuid,		/* getgid */
	[107] = sys_getuid,		/* geteuid */
	[108] = sys_getuid,		/* getegid */
	[109] = sys_setpgid,
	[110] = sys_getppid,
	[111] = sys_getpgrp,
	[112] = sys_setsid,
	[121] = sys_getpgid,
	[124] = sys_getsid,
	[127] = sys_rt_sigpending,
	[130] = sys_rt_sigsuspend,
	[131] = sys_sigaltstack,
	[137] = sys_statfs,
	[138] = sys_fstatfs,
	[158] = sys_arch_prctl,
	[186] = sys_gettid,
	[200] = sys_tkill,
	[201] = sys_time,
	[202] = sys_futex,
	[204] = sys_sched_getaffinity,
	[217] = sys_getdents64,
	[218] = sys_set_tid_address,
	[228] = sys_clock_gettime,
	[230] = sys_clock_nanosleep,
	[231] = sys_exit_group,
	[234] = sys_tgkill,
	[247] = sys_waitid,
	[257] = sys_openat,
	[258] = sys_mkdirat,
	[262] = sys_newfstatat,
	[263] = sys_unlinkat,
	[264] = sys_renameat,
	[266] = sys_symlinkat,
	[267] = sys_readlinkat,
	[269] = sys_faccessat,
	[270] = sys_pselect6,
	[271] = sys_ppoll,
	[273] = sys_zero,		/* set_robust_list */
	[292] = sys_dup3,
	[293] = sys_pipe2,
	[302] = sys_prlimit64,
	[316] = sys_renameat2,
	[318] = sys_getrandom,
	[332] = sys_statx,
	[439] = sys_faccessat2,
};

static struct spinlock warned_lock = SPINLOCK_INIT("enosys");	/* warned */
static uint64_t warned[NR_SYSCALLS / 64 + 1];

static void warn_once(struct uthread *t, uint64_t nr)
{
	unsigned i = nr < NR_SYSCALLS ? (unsigned)nr : NR_SYSCALLS;
	bool first;

	spin_lock(&warned_lock);
	first = !(warned[i / 64] & (1ULL << (i % 64)));
	warned[i / 64] |= 1ULL << (i % 64);
	spin_unlock(&warned_lock);
	if (first)
		pr_warn("pid %u: system call %lu is not implemented (-ENOSYS)", t->proc->pid, nr);
}

void abi_syscall(struct user_regs *r)
{
	struct uthread *t = uthread_current();
	const uint64_t a[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };
	uint64_t nr = r->rax;

	if (nr < NR_SYSCALLS && table[nr]) {
		r->rax = (uint64_t)table[nr](t, a);
		return;
	}
	warn_once(t, nr);
	r->rax = (uint64_t)-ENOSYS;
}
