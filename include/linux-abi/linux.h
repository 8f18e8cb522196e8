/*
 * Linux's x86-64 user ABI as numbers, written once: memory (PROT_, MAP_, MADV_),
 * signals, the auxiliary vector, clocks, descriptors, wait, clone, and the structs a
 * system call copies to or from user memory. Portable: the mmon's vma tree takes the
 * mmap numbers from here too, so arguments pass through unchanged.
 */
#ifndef LINUX_ABI_LINUX_H
#define LINUX_ABI_LINUX_H

#include <stdint.h>

/* mmap, mprotect, mremap, madvise */
#define PROT_NONE 0x0
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000

#define MREMAP_MAYMOVE 0x1

#define MADV_DONTNEED 4
#define MADV_MAX 25		/* MADV_COLLAPSE: the highest advice Linux knows */

/* Signals: numbers, sets (bit n - 1 for signal n), default actions. */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28
#define NSIG 64

#define SIG_DFL 0
#define SIG_IGN 1

#define SA_SIGINFO 0x4
#define SA_ONSTACK 0x08000000
#define SA_RESTORER 0x04000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048

/* si_code values the monitor sends */
#define SI_USER 0
#define SI_TKILL (-6)
#define CLD_EXITED 1
#define CLD_KILLED 2
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRERR 2

/* The auxiliary vector */
enum {
	AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
	AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
	AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_EXECFN = 31,
};

/* Clocks and arch_prctl */
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_SGI_CYCLE 10		/* gone from Linux: -EINVAL */
#define CLOCK_TAI 11
#define TIMER_ABSTIME 1
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

/* Descriptors: open flags, fcntl, poll, stat */
#define LINUX_PATH_MAX 4096		/* PATH_MAX: a name's bytes, its NUL included */
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000
#define AT_STATX_SYNC_TYPE 0x6000
#define AT_EACCESS 0x200
#define RENAME_NOREPLACE 1
#define S_IFMT 0170000
#define S_IFIFO 0010000
#define S_IFCHR 0020000
#define S_IFDIR 0040000
#define S_IFREG 0100000
#define S_IFLNK 0120000
#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define DT_UNKNOWN 0
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10
#define O_DSYNC 010000
#define O_SYNC 04010000
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_DIRECTORY 0200000
#define O_LARGEFILE 0100000
#define O_NOFOLLOW 0400000
#define O_ACCMODE 03
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_NONBLOCK 04000
#define O_CLOEXEC 02000000

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020

/* wait4, waitid */
#define WNOHANG 1
#define WUNTRACED 2		/* waitid: WSTOPPED */
#define WEXITED 4
#define WCONTINUED 8
#define WNOWAIT 0x01000000
#define WNOTHREAD 0x20000000	/* Linux's __WNOTHREAD, __WALL and __WCLONE */
#define WALL 0x40000000
#define WCLONE 0x80000000u
#define P_ALL 0
#define P_PID 1
#define P_PGID 2

/* clone */
#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_DETACHED 0x00400000	/* ignored, as Linux does */
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID 0x01000000

/* futex */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

struct linux_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

/* struct stat as x86-64 Linux lays it out (fstat, newfstatat) */
struct linux_stat {
	uint64_t dev, ino, nlink;
	uint32_t mode, uid, gid, pad0;
	uint64_t rdev;
	int64_t size, blksize, blocks;
	struct linux_timespec atime, mtime, ctime;
	int64_t unused[3];
};

/* getdents64's record: name NUL-terminated, the record 8-byte aligned */
struct linux_dirent64 {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[];
} __attribute__((packed));
#define LINUX_DIRENT64_NAME 19	/* bytes before name */

/* statx(2): the fields this ABI fills, STATX_BASIC_STATS */
#define STATX_BASIC_STATS 0x7ff
#define STATX_RESERVED 0x80000000u	/* a mask bit no statx may ask for */

struct linux_statx_timestamp {
	int64_t sec;
	uint32_t nsec;
	int32_t rsvd;
};

struct linux_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad0;
	uint64_t ino, size, blocks, attributes_mask;
	struct linux_statx_timestamp atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};
_Static_assert(sizeof(struct linux_statx) == 256, "struct statx");

/* statfs(2) on x86-64 */
struct linux_statfs {
	int64_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree;
	int32_t fsid[2];
	int64_t namelen, frsize, flags, spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs");

struct linux_iovec {
	uint64_t base;
	uint64_t len;
};

/* rt_sigaction's struct (the kernel's, not libc's) */
struct linux_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* Terminals: struct termios as the kernel has it, its flags, and the ioctls */
#define NCCS 19
#define VINTR 0
#define VQUIT 1
#define VERASE 2
#define VKILL 3
#define VEOF 4
#define VTIME 5
#define VMIN 6
#define VSUSP 10
#define VEOL 11
#define VWERASE 14
#define VEOL2 16

#define ISTRIP 0000040
#define INLCR 0000100
#define IGNCR 0000200
#define ICRNL 0000400
#define IXON 0002000
#define OPOST 0000001
#define ONLCR 0000004
#define B38400 0000017
#define CS8 0000060
#define CREAD 0000200
#define HUPCL 0002000
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define ECHOE 0000020
#define ECHOK 0000040
#define ECHONL 0000100
#define NOFLSH 0000200
#define ECHOCTL 0001000
#define ECHOKE 0004000
#define IEXTEN 0100000

#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TCFLSH 0x540B
#define TIOCSCTTY 0x540E
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCOUTQ 0x5411
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541B
#define TIOCNOTTY 0x5422
#define TIOCGSID 0x5429

struct linux_termios {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line;
	uint8_t cc[NCCS];
};

struct linux_winsize {
	uint16_t rows, cols, xpixel, ypixel;
};

/* getrusage, wait4 */
#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD 1

struct linux_rusage {
	int64_t utime_sec, utime_usec, stime_sec, stime_usec;
	int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock;
	int64_t msgsnd, msgrcv, nsignals, nvcsw, nivcsw;
};

/* A wait status as wait4 stores it. */
static inline int linux_wstatus_exited(int code)
{
	return (code & 0xff) << 8;
}

static inline int linux_wstatus_signaled(int sig)
{
	return sig & 0x7f;
}

/* siginfo_t as waitid fills it for a child that ended (SIGCHLD's fields). */
#define LINUX_CLOCK_TICKS 100	/* USER_HZ: clock_t's unit */

struct linux_siginfo_child {
	int32_t signo, errno_, code, pad;
	int32_t pid, uid;
	int32_t status, pad2;		/* the exit code, or the signal that killed it */
	int64_t utime, stime;		/* in clock ticks */
	uint8_t rest[80];
};
_Static_assert(sizeof(struct linux_siginfo_child) == 128, "siginfo");

/* The status a shell shows for a wait status: the code, or 128 + the signal. */
static inline int linux_wstatus_shell(int w)
{
	return (w & 0x7f) ? 128 + (w & 0x7f) : (w >> 8) & 0xff;
}

#endif
