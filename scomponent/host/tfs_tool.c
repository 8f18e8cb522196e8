/*
 * tessera-fs: builds, lists, extracts and checks the storage monitor's disk images
 * (tfs, docs/storage-format.md) on the host, with the very library (scomponent/tfs/) smon
 * links. Paths name files of one vNode's tree (--vnode N, default 1).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "scomponent/tfs.h"

#define COPY_CHUNK (1 << 20)

static const char *img;		/* the image being worked on, for messages */
static uint32_t vnode = 1;
static bool keep_owners, recursive;
static char *chunk;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tessera-fs: %s: ", img ? img : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Die naming what failed unless rc is 0 or positive. */
static long must(long rc, const char *what, const char *path)
{
	if (rc < 0)
		die("%s %s: %s", what, path, strerror((int)-rc));
	return rc;
}

static int file_read(void *ctx, uint64_t blk, void *buf)
{
	ssize_t n = pread(*(int *)ctx, buf, TFS_BLOCK_SIZE, (off_t)(blk * TFS_BLOCK_SIZE));

	return n == TFS_BLOCK_SIZE ? 0 : -EIO;
}

static int file_write(void *ctx, uint64_t blk, const void *buf)
{
	ssize_t n = pwrite(*(int *)ctx, buf, TFS_BLOCK_SIZE, (off_t)(blk * TFS_BLOCK_SIZE));

	return n == TFS_BLOCK_SIZE ? 0 : -EIO;
}

static int file_flush(void *ctx)
{
	return fdatasync(*(int *)ctx) == 0 ? 0 : -EIO;
}

static void *host_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void host_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static uint64_t host_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const struct tfs_ops ops = { host_alloc, host_free, host_now, NULL };
static int img_fd = -1;
static struct tfs_dev dev = { file_read, file_write, file_flush, 0, &img_fd };

/* Open the image; with size_mib, make it at least that big first. */
static void open_image(const char *path, uint64_t size_mib)
{
	struct stat st;

	img = path;
	img_fd = open(path, O_RDWR | (size_mib ? O_CREAT : 0), 0644);
	if (img_fd < 0)
		die("cannot open: %s", strerror(errno));
	if (fstat(img_fd, &st) < 0)
		die("cannot stat: %s", strerror(errno));
	if (size_mib && (uint64_t)st.st_size < (size_mib << 20)) {
		if (ftruncate(img_fd, (off_t)(size_mib << 20)) < 0)
			die("cannot extend to %llu MiB: %s", (unsigned long long)size_mib,
			    strerror(errno));
		st.st_size = (off_t)(size_mib << 20);
	}
	dev.nblocks = (uint64_t)st.st_size / TFS_BLOCK_SIZE;
}

static void format(void)
{
	int rc = tfs_format(&dev, &ops);

	if (rc == -ENOSPC)
		die("too small: a file system needs at least %d KiB", TFS_MIN_BLOCKS * 4);
	must(rc, "cannot format", "");
}

static struct tfs *mount_image(void)
{
	struct tfs *fs;
	char why[200];
	int rc = tfs_mount(&fs, &dev, &ops, NULL, why, sizeof(why));

	if (rc < 0)
		die("cannot mount: %s", why);
	return fs;
}

/* The root of the chosen vNode's tree (made if create). */
static uint64_t vnode_root(struct tfs *fs, bool create)
{
	uint64_t root;
	int rc = tfs_vnode_root(fs, vnode, create, &root);

	if (rc == -ENOENT)
		die("no files of vNode %u", vnode);
	must(rc, "cannot open vNode", "root");
	return root;
}

static void finish(struct tfs *fs)
{
	must(tfs_sync(fs), "cannot commit", "");
	tfs_unmount(fs);
	if (close(img_fd) < 0)
		die("cannot close: %s", strerror(errno));
}

/* ---- Into the image ---- */

struct hardlink {
	dev_t dev;
	ino_t ino;
	uint64_t tfs_ino;
	struct hardlink *next;
};

static struct hardlink *links;

static void set_times(struct tfs *fs, uint64_t ino, const struct stat *st, const char *src)
{
	struct tfs_setattr a = {
		.mask = TFS_SET_ATIME | TFS_SET_MTIME,
		.atime = (uint64_t)st->st_atim.tv_sec * 1000000000ULL + (uint64_t)st->st_atim.tv_nsec,
		.mtime = (uint64_t)st->st_mtim.tv_sec * 1000000000ULL + (uint64_t)st->st_mtim.tv_nsec,
	};

	must(tfs_setattr(fs, ino, &a), "cannot set times of", src);
}

/* The mode and owners of an existing inode (reused by put) are the host file's too. */
static void set_mode(struct tfs *fs, uint64_t ino, uint32_t perm, uint32_t uid, uint32_t gid,
		     const char *src)
{
	struct tfs_setattr a = {
		.mask = TFS_SET_MODE | TFS_SET_UID | TFS_SET_GID,
		.mode = perm, .uid = uid, .gid = gid,
	};

	must(tfs_setattr(fs, ino, &a), "cannot set mode of", src);
}

/* Copy host file src into the image's regular file ino from its start. */
static void copy_in(struct tfs *fs, uint64_t ino, const char *src)
{
	int fd = open(src, O_RDONLY);
	uint64_t off = 0;
	ssize_t n;

	if (fd < 0)
		die("cannot open %s: %s", src, strerror(errno));
	must(tfs_truncate(fs, ino, 0), "cannot truncate for", src);
	while ((n = read(fd, chunk, COPY_CHUNK)) > 0) {
		if (must(tfs_write(fs, ino, off, chunk, (size_t)n), "cannot write", src) != n)
			die("cannot write %s: %s", src, strerror(ENOSPC));
		off += (uint64_t)n;
	}
	if (n < 0)
		die("cannot read %s: %s", src, strerror(errno));
	close(fd);
}

/* An earlier name of the same host file, if it has several. */
static bool linked(struct tfs *fs, const struct stat *st, uint64_t dir, const char *name)
{
	struct hardlink *l;

	if (st->st_nlink < 2)
		return false;
	for (l = links; l; l = l->next) {
		if (l->dev == st->st_dev && l->ino == st->st_ino) {
			must(tfs_link(fs, l->tfs_ino, dir, name), "cannot link", name);
			return true;
		}
	}
	return false;
}

static void remember(const struct stat *st, uint64_t ino)
{
	struct hardlink *l;

	if (st->st_nlink < 2)
		return;
	l = malloc(sizeof(*l));
	if (!l)
		die("out of memory");
	*l = (struct hardlink){ st->st_dev, st->st_ino, ino, links };
	links = l;
}

static void put_tree(struct tfs *fs, uint64_t dir, const char *name, const char *src);

static void put_dir_entries(struct tfs *fs, uint64_t dir, const char *src)
{
	DIR *d = opendir(src);
	struct dirent *e;
	char *path;

	if (!d)
		die("cannot open %s: %s", src, strerror(errno));
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (asprintf(&path, "%s/%s", src, e->d_name) < 0)
			die("out of memory");
		put_tree(fs, dir, e->d_name, path);
		free(path);
	}
	closedir(d);
}

/* The inode dir/name is to be, of this type: an existing one is reused if it fits. */
static int existing(struct tfs *fs, uint64_t dir, const char *name, uint32_t type,
		    uint64_t *ino)
{
	struct tfs_stat st;
	int rc = tfs_lookup(fs, dir, name, ino);

	if (rc == 0 && tfs_getattr(fs, *ino, &st) == 0 && (st.mode & TFS_S_IFMT) == type &&
	    type != TFS_S_IFLNK)
		return 0;
	if (rc == 0 && type == TFS_S_IFDIR)
		return -EEXIST;
	if (rc == 0)
		rc = tfs_unlink(fs, dir, name);
	return rc == 0 ? -ENOENT : rc;
}

/* Copy host path src (file, directory or symlink) to dir/name, keeping modes and times. */
static void put_tree(struct tfs *fs, uint64_t dir, const char *name, const char *src)
{
	uint32_t uid, gid, perm;
	struct stat st;
	uint64_t ino;
	char target[TFS_PATH_MAX];
	ssize_t n;
	int rc;

	if (lstat(src, &st) < 0)
		die("cannot stat %s: %s", src, strerror(errno));
	uid = keep_owners ? st.st_uid : 0;
	gid = keep_owners ? st.st_gid : 0;
	perm = st.st_mode & 07777;
	if (S_ISREG(st.st_mode)) {
		if (linked(fs, &st, dir, name))
			return;
		rc = existing(fs, dir, name, TFS_S_IFREG, &ino);
		if (rc == -ENOENT)
			rc = tfs_create(fs, dir, name, perm, uid, gid, &ino);
		must(rc, "cannot create", src);
		copy_in(fs, ino, src);
		remember(&st, ino);
	} else if (S_ISDIR(st.st_mode)) {
		rc = existing(fs, dir, name, TFS_S_IFDIR, &ino);
		if (rc == -ENOENT)
			rc = tfs_mkdir(fs, dir, name, perm, uid, gid, &ino);
		must(rc, "cannot make directory for", src);
		put_dir_entries(fs, ino, src);
	} else if (S_ISLNK(st.st_mode)) {
		n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			die("cannot read link %s: %s", src, strerror(errno));
		target[n] = '\0';
		rc = existing(fs, dir, name, TFS_S_IFLNK, &ino);
		if (rc == -ENOENT)
			rc = tfs_symlink(fs, dir, name, target, uid, gid, &ino);
		must(rc, "cannot make symlink for", src);
	} else {
		fprintf(stderr, "tessera-fs: %s: skipping %s: not a file, directory or symlink\n",
			img, src);
		return;
	}
	if (!S_ISLNK(st.st_mode))
		set_mode(fs, ino, perm, uid, gid, src);
	set_times(fs, ino, &st, src);
}

/* Total bytes under a host path, for a default image size. */
static uint64_t tree_bytes(const char *src)
{
	struct stat st;
	uint64_t sum;
	struct dirent *e;
	DIR *d;
	char *path;

	if (lstat(src, &st) < 0)
		die("cannot stat %s: %s", src, strerror(errno));
	sum = (uint64_t)st.st_size + TFS_BLOCK_SIZE;
	if (!S_ISDIR(st.st_mode) || !(d = opendir(src)))
		return sum;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (asprintf(&path, "%s/%s", src, e->d_name) < 0)
			die("out of memory");
		sum += tree_bytes(path);
		free(path);
	}
	closedir(d);
	return sum;
}

static int cmd_build(char **argv, int argc)
{
	uint64_t size_mib, root;
	struct tfs *fs;

	if (argc < 2 || argc > 3)
		return -1;
	size_mib = argc == 3 ? strtoull(argv[2], NULL, 0) : tree_bytes(argv[0]) * 3 / 2 / (1 << 20) + 16;
	if (!size_mib)
		die("bad size %s", argv[2]);
	open_image(argv[1], size_mib);
	format();
	fs = mount_image();
	root = vnode_root(fs, true);
	put_dir_entries(fs, root, argv[0]);
	finish(fs);
	return 0;
}

static int cmd_mkfs(char **argv, int argc)
{
	uint64_t size_mib;

	if (argc != 2)
		return -1;
	size_mib = strtoull(argv[1], NULL, 0);
	if (!size_mib)
		die("bad size %s", argv[1]);
	open_image(argv[0], size_mib);
	format();
	if (close(img_fd) < 0)
		die("cannot close: %s", strerror(errno));
	return 0;
}

/* dir and name for path inside the image (made a file's path: its directory must exist). */
static void parent_of(struct tfs *fs, uint64_t root, const char *path, uint64_t *dir,
		      char name[TFS_NAME_MAX + 1])
{
	must(tfs_resolve_parent(fs, root, path, dir, name), "cannot reach", path);
}

static int cmd_put(char **argv, int argc)
{
	char name[TFS_NAME_MAX + 1];
	uint64_t root, dir, ino;
	struct tfs_stat st;
	const char *base;
	struct tfs *fs;

	if (argc != 3)
		return -1;
	open_image(argv[0], 0);
	fs = mount_image();
	root = vnode_root(fs, true);
	if (tfs_resolve(fs, root, argv[2], true, &ino) == 0 && tfs_getattr(fs, ino, &st) == 0 &&
	    (st.mode & TFS_S_IFMT) == TFS_S_IFDIR) {
		base = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
		put_tree(fs, ino, base, argv[1]);
	} else {
		parent_of(fs, root, argv[2], &dir, name);
		put_tree(fs, dir, name, argv[1]);
	}
	finish(fs);
	return 0;
}

/* ---- Out of the image ---- */

static void mode_string(uint32_t mode, char s[11])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	s[0] = (mode & TFS_S_IFMT) == TFS_S_IFDIR ? 'd' : (mode & TFS_S_IFMT) == TFS_S_IFLNK ? 'l' : '-';
	for (i = 0; i < 9; i++)
		s[i + 1] = mode & (1u << (8 - i)) ? rwx[i] : '-';
	if (mode & 04000)
		s[3] = s[3] == 'x' ? 's' : 'S';
	if (mode & 02000)
		s[6] = s[6] == 'x' ? 's' : 'S';
	if (mode & 01000)
		s[9] = s[9] == 'x' ? 't' : 'T';
	s[10] = '\0';
}

static void ls_line(struct tfs *fs, uint64_t ino, const char *name)
{
	char mode[11], when[32], target[TFS_PATH_MAX];
	struct tfs_stat st;
	time_t t;
	long n;

	must(tfs_getattr(fs, ino, &st), "cannot stat", name);
	mode_string(st.mode, mode);
	t = (time_t)(st.mtime / 1000000000ULL);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime(&t));
	printf("%s %3u %5u %5u %10llu %s %s", mode, st.nlink, st.uid, st.gid,
	       (unsigned long long)st.size, when, name);
	if ((st.mode & TFS_S_IFMT) == TFS_S_IFLNK) {
		n = must(tfs_readlink(fs, ino, target, sizeof(target) - 1), "cannot read link", name);
		target[n] = '\0';
		printf(" -> %s", target);
	}
	putchar('\n');
}

static void ls_dir(struct tfs *fs, uint64_t dir, const char *path)
{
	struct tfs_dirent_out e[16];
	uint64_t cookie = 2;
	char *sub;
	int n, i;

	if (recursive)
		printf("%s:\n", path);
	while ((n = (int)must(tfs_readdir(fs, dir, &cookie, e, 16), "cannot list", path)) > 0)
		for (i = 0; i < n; i++)
			ls_line(fs, e[i].ino, e[i].name);
	if (!recursive)
		return;
	cookie = 2;
	while ((n = (int)must(tfs_readdir(fs, dir, &cookie, e, 16), "cannot list", path)) > 0) {
		for (i = 0; i < n; i++) {
			if (e[i].type != TFS_DT_DIR)
				continue;
			if (asprintf(&sub, "%s/%s", strcmp(path, "/") ? path : "", e[i].name) < 0)
				die("out of memory");
			putchar('\n');
			ls_dir(fs, e[i].ino, sub);
			free(sub);
		}
	}
}

static int cmd_ls(char **argv, int argc)
{
	const char *path = argc == 2 ? argv[1] : "/";
	struct tfs_stat st;
	uint64_t ino;
	struct tfs *fs;

	if (argc < 1 || argc > 2)
		return -1;
	open_image(argv[0], 0);
	fs = mount_image();
	must(tfs_resolve(fs, vnode_root(fs, false), path, true, &ino), "cannot find", path);
	must(tfs_getattr(fs, ino, &st), "cannot stat", path);
	if ((st.mode & TFS_S_IFMT) == TFS_S_IFDIR)
		ls_dir(fs, ino, path);
	else
		ls_line(fs, ino, path);
	tfs_unmount(fs);
	return 0;
}

static void restore_attrs(const char *dest, const struct tfs_stat *st, bool link)
{
	struct timespec ts[2] = {
		{ (time_t)(st->atime / 1000000000ULL), (long)(st->atime % 1000000000ULL) },
		{ (time_t)(st->mtime / 1000000000ULL), (long)(st->mtime % 1000000000ULL) },
	};

	if (!link && chmod(dest, st->mode & 07777) < 0)
		die("cannot chmod %s: %s", dest, strerror(errno));
	if (utimensat(AT_FDCWD, dest, ts, link ? AT_SYMLINK_NOFOLLOW : 0) < 0)
		die("cannot set times of %s: %s", dest, strerror(errno));
}

static void copy_out(struct tfs *fs, uint64_t ino, const char *src, const char *dest)
{
	int fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	uint64_t off = 0;
	long n;

	if (fd < 0)
		die("cannot create %s: %s", dest, strerror(errno));
	while ((n = must(tfs_read(fs, ino, off, chunk, COPY_CHUNK), "cannot read", src)) > 0) {
		if (write(fd, chunk, (size_t)n) != n)
			die("cannot write %s: %s", dest, strerror(errno));
		off += (uint64_t)n;
	}
	if (close(fd) < 0)
		die("cannot write %s: %s", dest, strerror(errno));
}

/* Copy the image's ino (at src) to host path dest, keeping modes and times. */
static void get_tree(struct tfs *fs, uint64_t ino, const char *src, const char *dest)
{
	struct tfs_dirent_out e[16];
	char target[TFS_PATH_MAX], *s, *d;
	struct tfs_stat st;
	uint64_t cookie = 2;
	long n;
	int i;

	must(tfs_getattr(fs, ino, &st), "cannot stat", src);
	switch (st.mode & TFS_S_IFMT) {
	case TFS_S_IFLNK:
		n = must(tfs_readlink(fs, ino, target, sizeof(target) - 1), "cannot read link", src);
		target[n] = '\0';
		unlink(dest);
		if (symlink(target, dest) < 0)
			die("cannot make symlink %s: %s", dest, strerror(errno));
		restore_attrs(dest, &st, true);
		return;
	case TFS_S_IFREG:
		copy_out(fs, ino, src, dest);
		break;
	default:
		if (mkdir(dest, 0700) < 0 && errno != EEXIST)
			die("cannot make directory %s: %s", dest, strerror(errno));
		while ((n = must(tfs_readdir(fs, ino, &cookie, e, 16), "cannot list", src)) > 0) {
			for (i = 0; i < n; i++) {
				if (asprintf(&s, "%s/%s", src, e[i].name) < 0 ||
				    asprintf(&d, "%s/%s", dest, e[i].name) < 0)
					die("out of memory");
				get_tree(fs, e[i].ino, s, d);
				free(s);
				free(d);
			}
		}
	}
	restore_attrs(dest, &st, false);
}

/* extract IMG PATH DESTDIR: PATH lands in DESTDIR under its own name ("/": DESTDIR itself). */
static int cmd_extract(char **argv, int argc, bool as_is)
{
	const char *base;
	struct tfs *fs;
	uint64_t ino;
	char *dest;

	if (argc != 3)
		return -1;
	open_image(argv[0], 0);
	fs = mount_image();
	must(tfs_resolve(fs, vnode_root(fs, false), argv[1], as_is, &ino), "cannot find",
	     argv[1]);
	base = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
	if (as_is || !*base) {
		dest = strdup(argv[2]);
	} else {
		if (mkdir(argv[2], 0755) < 0 && errno != EEXIST)
			die("cannot make directory %s: %s", argv[2], strerror(errno));
		if (asprintf(&dest, "%s/%s", argv[2], base) < 0)
			dest = NULL;
	}
	if (!dest)
		die("out of memory");
	get_tree(fs, ino, argv[1], dest);
	free(dest);
	tfs_unmount(fs);
	return 0;
}

static void report(void *arg, const char *problem)
{
	(void)arg;
	printf("%s: %s\n", img, problem);
}

/* A damaged image is a finding, not an error: the mount's reason is the one problem. */
static int cmd_check(char **argv, int argc)
{
	char why[200];
	struct tfs *fs;
	long n;

	if (argc != 1)
		return -1;
	open_image(argv[0], 0);
	if (tfs_mount(&fs, &dev, &ops, NULL, why, sizeof(why)) < 0) {
		printf("%s: %s\n", img, why);
		exit(1);
	}
	n = must(tfs_check(fs, report, NULL), "cannot check", "");
	tfs_unmount(fs);
	if (n)
		exit(1);
	printf("clean\n");
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tessera-fs [--vnode N] [--owners] COMMAND ...\n"
		"  mkfs IMG SIZE_MIB            make an empty file system (the file grows to SIZE)\n"
		"  build DIR IMG [SIZE_MIB]     make one holding DIR's tree (modes, times kept)\n"
		"  ls [-R] IMG [PATH]           list a directory or a file\n"
		"  extract IMG PATH DESTDIR     copy a file or tree out into DESTDIR\n"
		"  put IMG SRC PATH             copy a host file or tree in\n"
		"  get IMG PATH DEST            copy one file out to DEST\n"
		"  check IMG                    check everything; prints \"clean\" or the problems\n"
		"--vnode N picks the vNode whose files PATH names (default 1); --owners keeps\n"
		"the host's owners in build and put (default root).\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char *args[8];
	int n = 0, i, rc = -1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--vnode") && i + 1 < argc)
			vnode = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--owners"))
			keep_owners = true;
		else if (!strcmp(argv[i], "-R"))
			recursive = true;
		else if (n < 8)
			args[n++] = argv[i];
		else
			usage();
	}
	chunk = malloc(COPY_CHUNK);
	if (n < 1 || !vnode || !chunk)
		usage();
	if (!strcmp(args[0], "mkfs"))
		rc = cmd_mkfs(args + 1, n - 1);
	else if (!strcmp(args[0], "build"))
		rc = cmd_build(args + 1, n - 1);
	else if (!strcmp(args[0], "ls"))
		rc = cmd_ls(args + 1, n - 1);
	else if (!strcmp(args[0], "extract"))
		rc = cmd_extract(args + 1, n - 1, false);
	else if (!strcmp(args[0], "get"))
		rc = cmd_extract(args + 1, n - 1, true);
	else if (!strcmp(args[0], "put"))
		rc = cmd_put(args + 1, n - 1);
	else if (!strcmp(args[0], "check"))
		rc = cmd_check(args + 1, n - 1);
	if (rc < 0)
		usage();
	free(chunk);
	return 0;
}
