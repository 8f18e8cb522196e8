/*
 * Host tests for linux-abi/sys_file.c and sys_path.c on the pmon stubs: names are
 * read from user memory up to their NUL and no longer than Linux's PATH_MAX, start
 * at the cwd or a directory descriptor, and reach storage (abi_host.c) normalized;
 * open installs the lowest descriptor; flags, sizes and modes are checked as Linux
 * checks them before storage is asked anything.
 */
#include "abi_test.h"
#include "net/protocol.h"

#define NAME UBUF		/* a name the test writes */
#define NAME2 (UBUF + 0x1800)
#define OUT UBUF2		/* what the call writes back */
#define PATH_MAX_ 4096		/* Linux's, the NUL included */

struct fake {
	int released;
};

static struct fake obj;

static void fake_release(struct file *f)
{
	((struct fake *)f->priv)->released++;
}

static const struct file_ops reg_ops = { .release = fake_release, .mode = S_IFREG | 0644 };

static void name(uint64_t at, const char *s)
{
	uput(at, s, strlen(s) + 1);
}

/* A regular file for fs_open() to open; the test's reference is put by finish(). */
static void start(void)
{
	abi_start();
	obj.released = 0;
	abi.open_file = file_new(&reg_ops, &obj, NULL, O_RDWR);
	CHECK(abi.open_file != NULL);
}

static void finish(void)
{
	file_put(abi.open_file);
	abi_finish();
}

/* ---- names ---- */

/* a name ends at its NUL, even just before a fault; past it, or nowhere, it is -EFAULT */
static void names_end_at_their_nul(void)
{
	start();
	name(NAME, "/x/y");
	host.fault_at = NAME + 5;
	CHECK(SYS(open, NAME, O_RDONLY) == 0 && !strcmp(abi.path, "/x/y"));
	name(NAME, "/x/yz");
	CHECK(SYS(open, NAME, O_RDONLY) == -EFAULT);
	host.fault_at = HOST_UEND;
	name(NAME, "");
	CHECK(SYS(open, NAME, O_RDONLY) == -ENOENT);
	CHECK(SYS(open, 0, O_RDONLY) == -EFAULT);
	CHECK(SYS(open, KERNEL_VA, O_RDONLY) == -EFAULT);
	CHECK(abi.open.calls == 1);
	finish();
}

/* Linux's PATH_MAX: 4095 bytes and a NUL are a name, 4096 bytes are -ENAMETOOLONG */
static void names_fit_in_path_max(void)
{
	char *s = host_uptr(NAME);

	start();
	memset(s, '/', PATH_MAX_ + 1);
	s[PATH_MAX_ - 1] = 0;
	CHECK(SYS(open, NAME, O_RDONLY) == 0 && !strcmp(abi.path, "/"));
	s[PATH_MAX_ - 1] = '/';
	s[PATH_MAX_] = 0;
	CHECK(SYS(open, NAME, O_RDONLY) == -ENAMETOOLONG);
	CHECK(SYS(mkdir, NAME, 0777) == -ENAMETOOLONG);
	name(NAME2, "/l");
	CHECK(SYS(symlink, NAME, NAME2) == -ENAMETOOLONG);	/* a target is a name too */
	CHECK(abi.open.calls == 1 && abi.path_call.calls == 0 && abi.path2_call.calls == 0);
	finish();
}

/* relative names start at the cwd, or at dirfd (an int); absolute ones ignore dirfd */
static void relative_names_start_at_dirfd(void)
{
	int fds[2], d;

	start();
	make_pipe(fds, 0);
	d = fd_install(proc.files, abi_dir_file("/etc"), 0, false);
	abi.cwd = "/home";
	name(NAME, "a/../b");
	CHECK(SYS(open, NAME, O_RDONLY) >= 0 && !strcmp(abi.path, "/home/b"));
	CHECK(SYS(openat, d, NAME, O_RDONLY) >= 0 && !strcmp(abi.path, "/etc/b"));
	CHECK(SYS(openat, 0xffffff9cu, NAME, O_RDONLY) >= 0);	/* AT_FDCWD as an int */
	CHECK(!strcmp(abi.path, "/home/b"));
	CHECK(SYS(openat, 99, NAME, O_RDONLY) == -EBADF);
	CHECK(SYS(openat, fds[0], NAME, O_RDONLY) == -ENOTDIR);
	name(NAME, "/x");
	CHECK(SYS(openat, 99, NAME, O_RDONLY) >= 0 && !strcmp(abi.path, "/x"));
	CHECK(abi.open.calls == 4);
	finish();
}

/* ---- open ---- */

/* open takes the lowest free descriptor, with O_CLOEXEC; the mode loses the umask */
static void open_installs_the_lowest_fd(void)
{
	start();
	name(NAME, "/f");
	proc.umask = 022;
	CHECK(SYS(open, NAME, O_RDWR | O_CLOEXEC) == 0);
	CHECK(SYS(fcntl, 0, F_GETFD) == FD_CLOEXEC);
	CHECK(abi.open.arg[1] == (O_RDWR | O_CLOEXEC));
	CHECK(SYS(open, NAME, O_CREAT | O_WRONLY, 0666) == 1 && abi.open.arg[2] == 0644);
	CHECK(SYS(fcntl, 1, F_GETFD) == 0);
	CHECK(SYS(creat, NAME, 0777) == 2);
	CHECK(abi.open.arg[1] == (O_CREAT | O_WRONLY | O_TRUNC) && abi.open.arg[2] == 0755);
	abi.open.ret = -ENOENT;
	CHECK(SYS(open, NAME, O_RDONLY) == -ENOENT);
	CHECK(abi.open_file->refs == 4);
	finish();
	CHECK(obj.released == 1);
}

/* a full table is -EMFILE, and the file opened for it is closed again */
static void open_on_a_full_table_is_emfile(void)
{
	int fds[2];

	start();
	make_pipe(fds, 0);
	for (int i = 2; i < FD_MAX; i++)
		CHECK(SYS(dup, fds[0]) == i);
	name(NAME, "/f");
	CHECK(SYS(open, NAME, O_RDONLY) == -EMFILE);
	CHECK(abi.open.calls == 1 && abi.open_file->refs == 1);
	name(NAME, "/dev/null");
	CHECK(SYS(open, NAME, O_RDONLY) == -EMFILE);
	CHECK(host.kmallocs == base_kmallocs + 6);	/* the table, the pipe's 4, ours */
	finish();
}

/* pmon's own devices: /dev/null opens; /dev/tty is -ENXIO with no terminal */
static void pmons_own_devices(void)
{
	start();
	name(NAME, "/dev/tty");
	CHECK(SYS(open, NAME, O_RDWR) == -ENXIO);
	name(NAME, "/dev/../dev/null");
	CHECK(SYS(open, NAME, O_RDWR) == 0);
	CHECK(SYS(write, 0, UBUF3, 10) == 10 && SYS(read, 0, UBUF3, 10) == 0);
	CHECK(abi.open.calls == 0);
	finish();
}

/* ---- stat ---- */

static struct linux_stat stat_out(void)
{
	struct linux_stat st;

	uget(&st, OUT, sizeof(st));
	return st;
}

/* newfstatat's and statx's flags and statx's mask are checked as Linux does */
static void stat_flags_are_checked(void)
{
	start();
	name(NAME, "/f");
	abi.attr = (struct fs_attr){ .ino = 9, .mode = S_IFREG | 0644, .nlink = 1 };
	CHECK(SYS(newfstatat, AT_FDCWD, NAME, OUT, 1) == -EINVAL);
	CHECK(SYS(newfstatat, AT_FDCWD, NAME, OUT, 0x8000) == -EINVAL);
	CHECK(SYS(statx, AT_FDCWD, NAME, AT_STATX_SYNC_TYPE, STATX_BASIC_STATS, OUT) ==
	      -EINVAL);					/* FORCE_SYNC with DONT_SYNC */
	CHECK(SYS(statx, AT_FDCWD, NAME, 0, 0x80000000u, OUT) == -EINVAL);
	CHECK(abi.stat.calls == 0);
	CHECK(SYS(statx, AT_FDCWD, NAME, 0x2000, 0x40000000u, OUT) == 0);
	CHECK(SYS(newfstatat, AT_FDCWD, NAME, OUT, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(abi.stat.arg[1] == 1 && stat_out().ino == 9);
	CHECK(SYS(stat, NAME, KERNEL_VA) == -EFAULT);
	name(NAME, "/f/");
	CHECK(SYS(stat, NAME, OUT) == -ENOTDIR);		/* a slash asks for a directory */
	finish();
}

/* fstat and AT_EMPTY_PATH look at the descriptor; a pipe is a FIFO, /dev/null a device */
static void stat_of_descriptors_and_devices(void)
{
	int fds[2];

	start();
	make_pipe(fds, 0);
	CHECK(SYS(fstat, 99, OUT) == -EBADF);
	CHECK(SYS(fstat, fds[1], OUT) == 0 && (stat_out().mode & S_IFMT) == S_IFIFO);
	name(NAME, "");
	CHECK(SYS(newfstatat, fds[0], NAME, OUT, AT_EMPTY_PATH) == 0);
	CHECK((stat_out().mode & S_IFMT) == S_IFIFO);
	CHECK(SYS(newfstatat, fds[0], NAME, OUT, 0) == -ENOENT);
	CHECK(SYS(newfstatat, 99, NAME, OUT, AT_EMPTY_PATH) == -EBADF);
	name(NAME, "/dev/null");
	CHECK(SYS(stat, NAME, OUT) == 0 && stat_out().rdev == 0x103);
	CHECK(abi.stat.calls == 0);
	finish();
}

/* ---- readlink, access ---- */

/* readlink's size is an int: 0 or negative (a zero-extended -1, 1 << 32) is -EINVAL */
static void readlink_size_is_an_int(void)
{
	static const uint64_t bad[] = { 0, (uint64_t)-1, 0xffffffffu, 1ULL << 32 };

	start();
	name(NAME, "/l");
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(SYS(readlink, NAME, OUT, bad[i]) == -EINVAL);
	CHECK(abi.path_call.calls == 0);
	abi.path_call.ret = 5;
	CHECK(SYS(readlink, NAME, OUT, 3) == 3);		/* cut to the buffer */
	CHECK(abi.path_call.arg[1] == X2S_READLINK && !strcmp(abi.path, "/l"));
	finish();
}

/* access: a mode or flag Linux lacks is -EINVAL; X_OK needs an x bit (we are root) */
static void access_checks_mode_and_flags(void)
{
	start();
	name(NAME, "/f");
	abi.attr.mode = S_IFREG | 0644;
	CHECK(SYS(access, NAME, 8) == -EINVAL);
	CHECK(SYS(faccessat2, AT_FDCWD, NAME, R_OK, 1) == -EINVAL);
	CHECK(abi.stat.calls == 0);
	CHECK(SYS(access, NAME, F_OK) == 0 && SYS(access, NAME, R_OK | W_OK) == 0);
	CHECK(SYS(access, NAME, X_OK) == -EACCES);
	abi.attr.mode = S_IFREG | 0100;
	CHECK(SYS(faccessat2, AT_FDCWD, NAME, X_OK, AT_EACCESS) == 0);
	finish();
}

/* ---- the namespace ---- */

/* unlinkat and renameat2 take only the flags they know; symlink needs a target */
static void path_calls_check_their_flags(void)
{
	start();
	name(NAME, "/a");
	name(NAME2, "/b");
	proc.umask = 027;
	CHECK(SYS(unlinkat, AT_FDCWD, NAME, 1) == -EINVAL);
	CHECK(SYS(renameat2, AT_FDCWD, NAME, AT_FDCWD, NAME2, 8) == -EINVAL);
	CHECK(abi.path_call.calls == 0 && abi.path2_call.calls == 0);
	CHECK(SYS(unlinkat, AT_FDCWD, NAME, AT_REMOVEDIR) == 0);
	CHECK(abi.path_call.arg[1] == X2S_UNLINK && abi.path_call.arg[2] == X2S_REMOVEDIR);
	CHECK(SYS(renameat2, AT_FDCWD, NAME, AT_FDCWD, NAME2, RENAME_NOREPLACE) == 0);
	CHECK(abi.path2_call.arg[2] == X2S_NOREPLACE && !strcmp(abi.path2, "/b"));
	CHECK(SYS(mkdir, NAME, 01777) == 0 && abi.path_call.arg[3] == 01750);
	name(NAME2 + 0x100, "");
	CHECK(SYS(symlink, NAME2 + 0x100, NAME) == -ENOENT);	/* an empty target */
	CHECK(SYS(symlink, KERNEL_VA, NAME) == -EFAULT);
	CHECK(SYS(symlink, NAME2, NAME) == 0 && !strcmp(abi.path, "/b"));
	CHECK(SYS(truncate, NAME, -1) == -EINVAL && abi.open.calls == 0);
	finish();
}

/* getcwd needs room for the name and its NUL (-ERANGE); it returns that length */
static void getcwd_checks_the_size(void)
{
	start();
	abi.cwd = "/home";
	CHECK(SYS(getcwd, OUT, 0) == -ERANGE);
	CHECK(SYS(getcwd, OUT, 5) == -ERANGE);
	CHECK(SYS(getcwd, KERNEL_VA, 64) == -EFAULT);
	CHECK(SYS(getcwd, OUT, 6) == 6 && !strcmp(host_uptr(OUT), "/home"));
	finish();
}

/* chdir and fchdir: only to a directory (-ENOTDIR), a descriptor must be open (-EBADF) */
static void chdir_needs_a_directory(void)
{
	int fds[2], d;

	start();
	make_pipe(fds, 0);
	d = fd_install(proc.files, abi_dir_file("/etc"), 0, false);
	name(NAME, "/f");
	abi.attr.mode = S_IFREG | 0755;
	CHECK(SYS(chdir, NAME) == -ENOTDIR);
	abi.attr.mode = S_IFDIR | 0755;
	CHECK(SYS(chdir, NAME) == 0 && !strcmp(abi.path, "/f"));
	CHECK(SYS(fchdir, 99) == -EBADF);
	CHECK(SYS(fchdir, fds[0]) == -ENOTDIR);
	CHECK(SYS(fchdir, d) == 0 && !strcmp(abi.path, "/etc"));
	CHECK(abi.cwd_set.calls == 2);
	finish();
}

static const struct unit_test tests[] = {
	TEST(names_end_at_their_nul),
	TEST(names_fit_in_path_max),
	TEST(relative_names_start_at_dirfd),
	TEST(open_installs_the_lowest_fd),
	TEST(open_on_a_full_table_is_emfile),
	TEST(pmons_own_devices),
	TEST(stat_flags_are_checked),
	TEST(stat_of_descriptors_and_devices),
	TEST(readlink_size_is_an_int),
	TEST(access_checks_mode_and_flags),
	TEST(path_calls_check_their_flags),
	TEST(getcwd_checks_the_size),
	TEST(chdir_needs_a_directory),
};

CHECK_MAIN("abi_file", tests);
