/*
 * Private to linux-abi/: the system calls each file implements, as the table in
 * syscall.c calls them (the calling thread, six raw argument registers, a Linux
 * return value). Each reaches pmon's objects only through their interfaces.
 */
#ifndef LINUX_ABI_SYSCALLS_H
#define LINUX_ABI_SYSCALLS_H

#include <stdbool.h>
#include <stdint.h>
#include "mcomponent/vma.h"
#include "pcomponent/process.h"

#define SYSCALL(name) long name(struct uthread *t, const uint64_t a[6])
typedef long (*syscall_fn)(struct uthread *t, const uint64_t a[6]);

/*
 * Is [uva, uva + n) inside the user address space? Linux's access_ok: a buffer
 * that is not is -EFAULT before anything moves, whatever n is, even 0.
 */
static inline bool user_range(uint64_t uva, uint64_t n)
{
	return n <= VMA_MAX && uva <= VMA_MAX - n;
}

/* What no signal mask holds, whatever a program asks: Linux drops these bits. */
#define SIG_UNBLOCKABLE ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))

/* sys_fd.c */
SYSCALL(sys_read);
SYSCALL(sys_write);
SYSCALL(sys_readv);
SYSCALL(sys_writev);
SYSCALL(sys_close);
SYSCALL(sys_pipe);
SYSCALL(sys_pipe2);
SYSCALL(sys_dup);
SYSCALL(sys_dup2);
SYSCALL(sys_dup3);
SYSCALL(sys_fcntl);
SYSCALL(sys_lseek);
SYSCALL(sys_ioctl);

SYSCALL(sys_pread64);
SYSCALL(sys_pwrite64);
SYSCALL(sys_ftruncate);
SYSCALL(sys_fsync);
SYSCALL(sys_fdatasync);

/* sys_file.c */
#define USER_PATH_MAX 64	/* execve's names: longer than any it accepts */
/* The path at uva into buf, if it is short enough to be one: 0, -EFAULT, -ENOENT. */
int user_path(struct uthread *t, uint64_t uva, char buf[USER_PATH_MAX]);
/* The NUL-terminated string at uva into buf: its length, -EFAULT, or -ENAMETOOLONG. */
long user_string(struct mm *mm, uint64_t uva, char *buf, size_t size);
/*
 * The name at upath, relative to dirfd (AT_FDCWD: the cwd) unless absolute, as a
 * normalized absolute path in *out: kmalloc'd, the caller frees it; 2 * FS_PATH_SIZE
 * bytes after the path's FS_PATH_SIZE are the caller's scratch. *dir: the name
 * ended in a slash. 0 or -errno (-EBADF, -ENOTDIR, -ENOENT, -ENAMETOOLONG, -EFAULT).
 */
int user_at_path(struct uthread *t, int64_t dirfd, uint64_t upath, char **out, bool *dir);
SYSCALL(sys_open);
SYSCALL(sys_openat);
SYSCALL(sys_creat);
SYSCALL(sys_fstat);
SYSCALL(sys_stat);
SYSCALL(sys_lstat);
SYSCALL(sys_newfstatat);
SYSCALL(sys_statx);
SYSCALL(sys_getdents64);
SYSCALL(sys_readlink);
SYSCALL(sys_readlinkat);
SYSCALL(sys_access);
SYSCALL(sys_faccessat);
SYSCALL(sys_faccessat2);
SYSCALL(sys_statfs);
SYSCALL(sys_fstatfs);

/* sys_path.c */
SYSCALL(sys_mkdir);
SYSCALL(sys_mkdirat);
SYSCALL(sys_unlink);
SYSCALL(sys_unlinkat);
SYSCALL(sys_rmdir);
SYSCALL(sys_rename);
SYSCALL(sys_renameat);
SYSCALL(sys_renameat2);
SYSCALL(sys_symlink);
SYSCALL(sys_symlinkat);
SYSCALL(sys_truncate);
SYSCALL(sys_chdir);
SYSCALL(sys_fchdir);
SYSCALL(sys_getcwd);

/* sys_futex.c */
SYSCALL(sys_futex);

/* sys_poll.c */
SYSCALL(sys_poll);
SYSCALL(sys_ppoll);
SYSCALL(sys_select);
SYSCALL(sys_pselect6);

/* sys_mm.c */
SYSCALL(sys_brk);
SYSCALL(sys_mmap);
SYSCALL(sys_munmap);
SYSCALL(sys_mprotect);
SYSCALL(sys_mremap);
SYSCALL(sys_madvise);

/* sys_proc.c */
SYSCALL(sys_exit);
SYSCALL(sys_exit_group);
SYSCALL(sys_getpid);
SYSCALL(sys_getppid);
SYSCALL(sys_gettid);
SYSCALL(sys_set_tid_address);
SYSCALL(sys_fork);
SYSCALL(sys_clone);
SYSCALL(sys_wait4);
SYSCALL(sys_waitid);
SYSCALL(sys_getrusage);
SYSCALL(sys_execve);
SYSCALL(sys_getpgid);
SYSCALL(sys_setpgid);
SYSCALL(sys_getpgrp);
SYSCALL(sys_getsid);
SYSCALL(sys_setsid);

/* sys_signal.c */
SYSCALL(sys_rt_sigaction);
SYSCALL(sys_rt_sigprocmask);
SYSCALL(sys_rt_sigpending);
SYSCALL(sys_rt_sigreturn);
SYSCALL(sys_rt_sigsuspend);
SYSCALL(sys_pause);
SYSCALL(sys_kill);
SYSCALL(sys_tkill);
SYSCALL(sys_tgkill);
SYSCALL(sys_sigaltstack);

/* sys_misc.c */
/* Is ts a time or timeout Linux takes (tv_sec >= 0, 0 <= tv_nsec < 10^9)? */
bool timespec_valid(const struct linux_timespec *ts);
/* A valid ts in nanoseconds, saturating at INT64_MAX (292 years). */
int64_t timespec_ns(const struct linux_timespec *ts);
/*
 * clock_ns() ns from now, saturating at UINT64_MAX (never), as Linux saturates its
 * timeouts: one past the clock's range must not wrap round to a deadline that comes.
 */
uint64_t deadline_in(uint64_t ns);
SYSCALL(sys_arch_prctl);
SYSCALL(sys_clock_gettime);
SYSCALL(sys_uname);
SYSCALL(sys_getuid);
SYSCALL(sys_umask);
SYSCALL(sys_nanosleep);
SYSCALL(sys_clock_nanosleep);
SYSCALL(sys_sched_yield);
SYSCALL(sys_getrandom);
SYSCALL(sys_prlimit64);
SYSCALL(sys_zero);
SYSCALL(sys_alarm);
SYSCALL(sys_setitimer);
SYSCALL(sys_gettimeofday);
SYSCALL(sys_time);
SYSCALL(sys_sched_getaffinity);
SYSCALL(sys_sysinfo);

#endif
