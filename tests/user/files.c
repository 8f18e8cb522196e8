/*
 * files: the file system calls in an empty directory given as argv[1], one line per
 * check: create, write, read back, pread/pwrite, lseek, O_APPEND, truncate, stat,
 * getdents, mkdir, rename, unlink, rmdir, symlink, readlink, chdir, getcwd, openat
 * with a directory descriptor, Linux's errors, and a multi-chunk write checksummed.
 * Prints no inode numbers, times or pids, so a vNode's output matches the host's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "utest.h"

#define BIG (5 * 32768 + 1234)	/* several of pmon's 32 KiB chunks, unaligned */

static const char *ename(int e)
{
	switch (e) {
	case EEXIST: return "EEXIST";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	default: return errname(e);
	}
}

/* "what = ret", dying unless ret is want. */
static void show(const char *what, long ret, long want)
{
	int e = errno;

	if (ret < 0)
		printf("%s = -1 %s\n", what, ename(e));
	else
		printf("%s = %ld\n", what, ret);
	if (ret != want)
		die("%s: want %ld", what, want);
}

/* "what = -1 ENAME", dying unless the call failed with want. */
static void fails(const char *what, long ret, int want)
{
	int e = errno;

	printf("%s = %ld %s\n", what, ret, ret < 0 ? ename(e) : "");
	if (ret != -1 || e != want)
		die("%s: want -1 %s", what, ename(want));
}

static void same(const char *what, const char *got, const char *want)
{
	printf("%s: \"%s\"\n", what, got);
	if (strcmp(got, want))
		die("%s: want \"%s\"", what, want);
}

static void basic_io(void)
{
	char buf[64] = { 0 };
	int fd = open("a", O_CREAT | O_EXCL | O_RDWR, 0644);

	show("create a", fd >= 0, 1);
	show("write", write(fd, "hello, world", 12), 12);
	show("lseek cur", lseek(fd, 0, SEEK_CUR), 12);
	show("lseek set", lseek(fd, 0, SEEK_SET), 0);
	show("read", read(fd, buf, sizeof(buf)), 12);
	same("read back", buf, "hello, world");
	show("read at end", read(fd, buf, sizeof(buf)), 0);
	show("pwrite", pwrite(fd, "W", 1, 7), 1);
	memset(buf, 0, sizeof(buf));
	show("pread", pread(fd, buf, 5, 7), 5);
	same("pread back", buf, "World");
	show("offset kept", lseek(fd, 0, SEEK_CUR), 12);
	show("lseek end", lseek(fd, -5, SEEK_END), 7);
	fails("lseek before 0", lseek(fd, -100, SEEK_SET), EINVAL);
	show("lseek past end", lseek(fd, 20, SEEK_SET), 20);
	show("write past end", write(fd, "!", 1), 1);
	show("ftruncate", ftruncate(fd, 5), 0);
	show("fsync", fsync(fd), 0);
	show("fdatasync", fdatasync(fd), 0);
	close(fd);
	fails("create a again", open("a", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
	fd = open("a", O_RDONLY);
	fails("write read-only fd", write(fd, "x", 1), EBADF);
	memset(buf, 0, sizeof(buf));
	show("read truncated", read(fd, buf, sizeof(buf)), 5);
	same("truncated", buf, "hello");
	close(fd);
}

static void append_and_truncate(void)
{
	struct stat st;
	char buf[32] = { 0 };
	int fd = open("a", O_WRONLY | O_APPEND), p[2];

	show("append", write(fd, "123", 3), 3);
	lseek(fd, 0, SEEK_SET);
	show("append again", write(fd, "45", 2), 2);
	show("offset after append", lseek(fd, 0, SEEK_CUR), 10);
	close(fd);
	fd = open("a", O_RDONLY);
	show("read appended", read(fd, buf, sizeof(buf)), 10);
	same("appended", buf, "hello12345");
	close(fd);
	show("truncate", truncate("a", 3), 0);
	show("stat", stat("a", &st), 0);
	show("size", st.st_size, 3);
	show("is reg", S_ISREG(st.st_mode), 1);
	show("mode 0644", (st.st_mode & 0777) == 0644, 1);
	show("nlink", st.st_nlink, 1);
	fd = open("a", O_RDWR | O_TRUNC);
	show("fstat", fstat(fd, &st), 0);
	show("size after O_TRUNC", st.st_size, 0);
	close(fd);
	fd = open(".", O_RDONLY);
	fails("read a directory", read(fd, buf, 1), EISDIR);
	close(fd);
	fails("open dir for writing", open(".", O_WRONLY), EISDIR);
	if (pipe(p))
		die("pipe: %s", ename(errno));
	fails("lseek a pipe", lseek(p[0], 0, SEEK_CUR), ESPIPE);
	fails("pread a pipe", pread(p[0], buf, 1, 0), ESPIPE);
	close(p[0]);
	close(p[1]);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted (getdents order is the file system's). */
static void list(const char *what, const char *dir)
{
	char buf[1024], *names[64];
	int fd = open(dir, O_RDONLY | O_DIRECTORY), n = 0;
	long got;

	if (fd < 0)
		die("open %s: %s", dir, ename(errno));
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (n < 64)
				names[n++] = strdup(d->d_name);
			off += d->d_reclen;
		}
	}
	if (got < 0)
		die("getdents64 %s: %s", dir, ename(errno));
	close(fd);
	qsort(names, (size_t)n, sizeof(names[0]), cmp);
	printf("%s:", what);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void directories(void)
{
	struct stat st;
	char buf[64];
	int fd;

	show("mkdir d", mkdir("d", 0755), 0);
	fails("mkdir d again", mkdir("d", 0755), EEXIST);
	fd = open("d/f", O_CREAT | O_WRONLY, 0600);
	show("create d/f", fd >= 0, 1);
	close(fd);
	fails("open a/x (a is a file)", open("a/x", O_RDONLY), ENOTDIR);
	fails("open a/", open("a/", O_RDONLY), ENOTDIR);
	fails("open missing", open("nothing", O_RDONLY), ENOENT);
	fails("rmdir d (not empty)", rmdir("d"), ENOTEMPTY);
	fails("unlink d", unlink("d"), EISDIR);
	list("listing .", ".");
	list("listing d", "d");
	show("rename d/f d/g", rename("d/f", "d/g"), 0);
	fails("stat d/f", stat("d/f", &st), ENOENT);
	show("renameat2 noreplace", syscall(SYS_renameat2, AT_FDCWD, "a", AT_FDCWD, "d/h", 1), 0);
	fails("renameat2 noreplace onto g",
	      syscall(SYS_renameat2, AT_FDCWD, "d/h", AT_FDCWD, "d/g", 1), EEXIST);
	list("listing d", "d");
	show("symlink", symlink("d/g", "ln"), 0);
	memset(buf, 0, sizeof(buf));
	show("readlink", readlink("ln", buf, sizeof(buf)), 3);
	same("link target", buf, "d/g");
	fails("readlink a file", readlink("d/g", buf, sizeof(buf)), EINVAL);
	show("lstat ln", lstat("ln", &st), 0);
	show("ln is a link", S_ISLNK(st.st_mode), 1);
	show("stat ln", stat("ln", &st), 0);
	show("ln leads to a file", S_ISREG(st.st_mode), 1);
	show("access d/g", access("d/g", F_OK), 0);
	fails("access missing", access("missing", F_OK), ENOENT);
}

static void cwd_and_at(const char *top)
{
	char cwd[4096], buf[16] = { 0 };
	int dfd, fd;

	show("chdir d", chdir("d"), 0);
	show("getcwd", getcwd(cwd, sizeof(cwd)) != NULL, 1);
	same("cwd tail", strrchr(cwd, '/'), "/d");
	show("stat ../ln", access("../ln", F_OK), 0);
	show("chdir ..", chdir(".."), 0);
	fails("chdir a file", chdir("d/g"), ENOTDIR);
	dfd = open("d", O_RDONLY | O_DIRECTORY);
	fd = openat(dfd, "n", O_CREAT | O_RDWR, 0644);
	show("openat dirfd create", fd >= 0, 1);
	show("write n", write(fd, "at", 2), 2);
	close(fd);
	fd = open("d/n", O_RDONLY);
	show("read d/n", read(fd, buf, sizeof(buf)), 2);
	same("d/n", buf, "at");
	fails("openat a file fd", openat(fd, "x", O_RDONLY), ENOTDIR);
	close(fd);
	fails("openat bad fd", openat(999, "x", O_RDONLY), EBADF);
	show("mkdirat", mkdirat(dfd, "sub", 0700), 0);
	show("unlinkat dir", unlinkat(dfd, "sub", AT_REMOVEDIR), 0);
	show("fchdir", fchdir(dfd), 0);
	show("cwd is d", access("n", F_OK), 0);
	close(dfd);
	show("chdir top", chdir(top), 0);
}

static void errors(void)
{
	char name[300];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	fails("long name", open(name, O_CREAT | O_RDWR, 0644), ENAMETOOLONG);
	fails("close bad fd", close(999), EBADF);
	fails("fstat bad fd", fstat(999, &(struct stat){ 0 }), EBADF);
	fails("empty path", open("", O_RDONLY), ENOENT);
}

static uint32_t sum(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void big(void)
{
	uint8_t *w = malloc(BIG), *r = malloc(BIG + 100);
	int fd = open("big", O_CREAT | O_RDWR | O_TRUNC, 0644);
	long got = 0, n;

	for (size_t i = 0; i < BIG; i++)
		w[i] = (uint8_t)(i * 7 + i / 251);
	show("big write", write(fd, w + 3, BIG - 3), BIG - 3);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, r + got, BIG + 100 - got)) > 0)
		got += n;
	show("big read", got, BIG - 3);
	printf("big checksum: %s\n", sum(r, BIG - 3) == sum(w + 3, BIG - 3) ? "same" : "differs");
	if (memcmp(r, w + 3, BIG - 3))
		die("big: bytes differ");
	show("big pread", pread(fd, r, 40000, 70001), 40000);
	if (memcmp(r, w + 3 + 70001, 40000))
		die("big pread: bytes differ");
	close(fd);
	free(w);
	free(r);
}

static void cleanup(void)
{
	show("unlink ln", unlink("ln"), 0);
	show("unlink big", unlink("big"), 0);
	show("unlink d/g", unlink("d/g"), 0);
	show("unlink d/h", unlink("d/h"), 0);
	show("unlink d/n", unlink("d/n"), 0);
	show("rmdir d", rmdir("d"), 0);
	list("listing . at the end", ".");
}

int main(int argc, char **argv)
{
	if (argc != 2)
		die("usage: files <empty directory>");
	static char top[4096];

	if (chdir(argv[1]) || !getcwd(top, sizeof(top)))
		die("chdir %s: %s", argv[1], ename(errno));
	umask(022);
	basic_io();
	append_and_truncate();
	directories();
	cwd_and_at(top);
	errors();
	big();
	cleanup();
	return 0;
}
