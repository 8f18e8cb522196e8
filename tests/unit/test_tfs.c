/*
 * Host tests for scomponent/tfs: one test per behaviour of files, directories, paths,
 * vNode roots, handles, commits and space accounting, each on a fresh in-memory disk
 * and each ending with the committed image checked clean.
 */
#include "tfs_test.h"

#define NBLK 4096			/* 16 MiB */

static struct memdev d;

/* Unmount, remount and check: what was synced must all be there. */
static struct tfs *remount(struct tfs *fs)
{
	char err[128];

	tfs_unmount(fs);
	CHECK(t_mount(&d, &fs, err, sizeof(err)) == 0);
	CHECK(tfs_check(fs, t_report, NULL) == 0);
	return fs;
}

static void done(struct tfs *fs)
{
	t_sync_clean(fs);
	tfs_unmount(fs);
	memdev_fini(&d);
	CHECK(tfs_live == 0);
}

/* Before: a blank disk. After format and mount: an empty top directory, clean. */
static void format_gives_an_empty_clean_file_system(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	struct tfs_dirent_out e[4];
	struct tfs_statfs st;
	uint64_t cookie = 0;

	CHECK(tfs_readdir(fs, tfs_top(fs), &cookie, e, 4) == 2);
	CHECK_STREQ(e[0].name, ".");
	CHECK_STREQ(e[1].name, "..");
	CHECK(tfs_statfs(fs, &st) == 0);
	CHECK(st.blocks == NBLK && st.generation == 1);
	CHECK(st.free_blocks > NBLK - 8);
	CHECK(tfs_check(fs, t_report, NULL) == 0);
	done(fs);
}

/* Before: a clean file system. After a sync with nothing to commit: same generation. */
static void sync_without_changes_writes_nothing(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	long writes = d.writes;
	struct tfs_statfs st;

	CHECK(tfs_sync(fs) == 0);
	CHECK(tfs_statfs(fs, &st) == 0 && st.generation == 1 && d.writes == writes);
	done(fs);
}

/* Before: a file written and synced. After remount: the same bytes. */
static void synced_data_survives_remount(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t ino = t_file(fs, t_root(fs), "hello", "hello, world");
	char buf[32] = "";

	t_sync_clean(fs);
	fs = remount(fs);
	CHECK(tfs_resolve(fs, t_root(fs), "/hello", true, &ino) == 0);
	CHECK(tfs_read(fs, ino, 0, buf, sizeof(buf)) == 12);
	CHECK_STREQ(buf, "hello, world");
	done(fs);
}

/* Before: a synced file. After writing more without a sync and remounting: the old data. */
static void unsynced_writes_are_dropped_whole(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t root = t_root(fs), ino = t_file(fs, root, "f", "old");
	char buf[8] = "";

	t_sync_clean(fs);
	CHECK(tfs_write(fs, ino, 0, "new!", 4) == 4);
	t_file(fs, root, "g", "x");
	fs = remount(fs);
	CHECK(tfs_read(fs, ino, 0, buf, sizeof(buf)) == 3);
	CHECK_STREQ(buf, "old");
	CHECK(tfs_lookup(fs, t_root(fs), "g", &ino) == -ENOENT);
	done(fs);
}

/* Before: a 10-byte file. After reading 100 bytes at 4: 6 bytes; at 10 and past: 0. */
static void read_is_short_at_end_of_file(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t ino = t_file(fs, t_root(fs), "f", "0123456789");
	char buf[100];

	CHECK(tfs_read(fs, ino, 4, buf, sizeof(buf)) == 6);
	CHECK(memcmp(buf, "456789", 6) == 0);
	CHECK(tfs_read(fs, ino, 10, buf, sizeof(buf)) == 0);
	CHECK(tfs_read(fs, ino, 1ULL << 50, buf, sizeof(buf)) == 0);
	done(fs);
}

/* Before: an empty file. After a write at 5 GiB: size 5 GiB + 3, zeros before, 3 blocks. */
static void sparse_file_past_4_gib_reads_zeros_in_holes(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t off = 5ULL << 30, ino = t_file(fs, t_root(fs), "big", NULL);
	char buf[8192];
	struct tfs_stat st;

	CHECK(tfs_write(fs, ino, off, "end", 3) == 3);
	CHECK(tfs_write(fs, ino, 1 << 20, "mid", 3) == 3);
	t_sync_clean(fs);
	fs = remount(fs);
	CHECK(tfs_getattr(fs, ino, &st) == 0);
	CHECK(st.size == off + 3);
	CHECK(st.blocks < 10 * 8);
	memset(buf, 1, sizeof(buf));
	CHECK(tfs_read(fs, ino, off - 4096, buf, sizeof(buf)) == 4096 + 3);
	for (int i = 0; i < 4096; i++)
		CHECK(buf[i] == 0);
	CHECK(memcmp(buf + 4096, "end", 3) == 0);
	CHECK(tfs_read(fs, ino, (1 << 20) - 1, buf, 5) == 5);
	CHECK(buf[0] == 0 && memcmp(buf + 1, "mid", 3) == 0 && buf[4] == 0);
	done(fs);
}

/* Before: a file. After writes at and past the size limit: -EFBIG, file unchanged. */
static void write_past_the_size_limit_is_efbig(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t ino = t_file(fs, t_root(fs), "f", NULL);
	struct tfs_stat st;

	CHECK(tfs_write(fs, ino, TFS_MAX_FILE_SIZE, "x", 1) == -EFBIG);
	CHECK(tfs_write(fs, ino, TFS_MAX_FILE_SIZE - 1, "xy", 2) == 1);
	CHECK(tfs_truncate(fs, ino, TFS_MAX_FILE_SIZE + 1) == -EFBIG);
	CHECK(tfs_getattr(fs, ino, &st) == 0 && st.size == TFS_MAX_FILE_SIZE);
	done(fs);
}

/* Before: 3 blocks of 0xaa. After truncate to 5000 then 12000: zeros from 5000 on. */
static void truncate_shrinks_frees_and_zeroes_the_tail(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t ino = t_file(fs, t_root(fs), "f", NULL);
	static uint8_t buf[3 * 4096];
	struct tfs_statfs before, after;
	struct tfs_stat st;

	memset(buf, 0xaa, sizeof(buf));
	CHECK(tfs_write(fs, ino, 0, buf, sizeof(buf)) == sizeof(buf));
	t_sync_clean(fs);
	CHECK(tfs_statfs(fs, &before) == 0);
	CHECK(tfs_truncate(fs, ino, 5000) == 0);
	CHECK(tfs_truncate(fs, ino, 12000) == 0);
	t_sync_clean(fs);
	CHECK(tfs_statfs(fs, &after) == 0);
	CHECK(after.free_blocks == before.free_blocks + 1);
	CHECK(tfs_getattr(fs, ino, &st) == 0 && st.size == 12000 && st.blocks == 3 * 8);
	CHECK(tfs_read(fs, ino, 0, buf, sizeof(buf)) == 12000);
	for (int i = 0; i < 12000; i++)
		CHECK(buf[i] == (i < 5000 ? 0xaa : 0));
	CHECK(tfs_truncate(fs, ino, 0) == 0);
	CHECK(tfs_getattr(fs, ino, &st) == 0 && st.size == 0 && st.blocks == 0);
	done(fs);
}

/* Before: a file a.txt. After create of a.txt again: -EEXIST; of a 256-byte name: too long. */
static void names_must_be_new_and_short(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t root = t_root(fs), ino;
	char name[300];

	t_file(fs, root, "a.txt", NULL);
	CHECK(tfs_create(fs, root, "a.txt", 0644, 0, 0, &ino) == -EEXIST);
	CHECK(tfs_mkdir(fs, root, "a.txt", 0755, 0, 0, &ino) == -EEXIST);
	CHECK(tfs_create(fs, root, ".", 0644, 0, 0, &ino) == -EEXIST);
	CHECK(tfs_create(fs, root, "a/b", 0644, 0, 0, &ino) == -EINVAL);
	memset(name, 'n', sizeof(name));
	name[255] = '\0';
	CHECK(tfs_create(fs, root, name, 0644, 0, 0, &ino) == 0);
	name[255] = 'n';
	name[256] = '\0';
	CHECK(tfs_create(fs, root, name, 0644, 0, 0, &ino) == -ENAMETOOLONG);
	CHECK(tfs_lookup(fs, root, "missing", &ino) == -ENOENT);
	done(fs);
}

/* A path of 4096 bytes or more is -ENAMETOOLONG; 4095 bytes of slashes is the root. */
static void long_paths_are_enametoolong(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	static char path[5000];
	uint64_t root = t_root(fs), ino;
	char name[TFS_NAME_MAX + 1];

	memset(path, '/', 4095);
	CHECK(tfs_resolve(fs, root, path, true, &ino) == 0 && ino == root);
	path[4095] = '/';
	CHECK(tfs_resolve(fs, root, path, true, &ino) == -ENAMETOOLONG);
	CHECK(tfs_resolve_parent(fs, root, path, &ino, name) == -ENAMETOOLONG);
	done(fs);
}

/* Before: d/ holding f. rmdir d: -ENOTEMPTY; unlink d: -EISDIR; rmdir f: -ENOTDIR. */
static void directories_are_removed_only_when_empty(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t root = t_root(fs), dir = t_dir(fs, root, "d");
	struct tfs_stat st;

	t_file(fs, dir, "f", "x");
	CHECK(tfs_getattr(fs, root, &st) == 0 && st.nlink == 3);
	CHECK(tfs_rmdir(fs, root, "d") == -ENOTEMPTY);
	CHECK(tfs_unlink(fs, root, "d") == -EISDIR);
	CHECK(tfs_rmdir(fs, dir, "f") == -ENOTDIR);
	CHECK(tfs_rmdir(fs, root, ".") == -EINVAL);
	CHECK(tfs_unlink(fs, dir, "f") == 0);
	CHECK(tfs_unlink(fs, dir, "f") == -ENOENT);
	CHECK(tfs_rmdir(fs, root, "d") == 0);
	CHECK(tfs_getattr(fs, root, &st) == 0 && st.nlink == 2);
	CHECK(tfs_getattr(fs, dir, &st) == -ESTALE);
	done(fs);
}

/* Before: a/f. After rename to b/g: b/g has the data, a/f is gone, ".." counts kept. */
static void rename_moves_between_directories(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t root = t_root(fs), a = t_dir(fs, root, "a"), b = t_dir(fs, root, "b");
	uint64_t f = t_file(fs, a, "f", "data"), ino, sub = t_dir(fs, a, "sub");
	struct tfs_stat st;

	CHECK(tfs_rename(fs, a, "f", b, "g", 0) == 0);
	CHECK(tfs_lookup(fs, a, "f", &ino) == -ENOENT);
	CHECK(tfs_lookup(fs, b, "g", &ino) == 0 && ino == f);
	CHECK(tfs_rename(fs, a, "sub", b, "sub2", 0) == 0);
	CHECK(tfs_resolve(fs, root, "b/sub2/..", true, &ino) == 0 && ino == b);
	CHECK(tfs_getattr(fs, a, &st) == 0 && st.nlink == 2);
	CHECK(tfs_getattr(fs, b, &st) == 0 && st.nlink == 3);
	CHECK(tfs_getattr(fs, sub, &st) == 0);
	done(fs);
}

/* Before: f and g. rename f over g: g has f's data, g's inode is freed. NOREPLACE: -EEXIST. */
static void rename_replaces_a_file_unless_noreplace(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t root = t_root(fs), f = t_file(fs, root, "f", "F"), g = t_file(fs, root, "g", "G");
	uint64_t h = t_file(fs, root, "h", "H"), ino;
	struct tfs_stat st;

	CHECK(tfs_rename(fs, root, "f", root, "g", TFS_RENAME_NOREPLACE) == -EEXIST);
	CHECK(tfs_rename(fs, root, "f", root, "g", 0) == 0);
	CHECK(tfs_lookup(fs, root, "g", &ino) == 0 && ino == f);
	CHECK(tfs_getattr(fs, g, &st) == -ESTALE);
	CHECK(tfs_rename(fs, root, "h", root, "h", 0) == 0);
	CHECK(tfs_lookup(fs, root, "h", &ino) == 0 && ino == h);
	CHECK(tfs_rename(fs, root, "nope", root, "x", 0) == -ENOENT);
	done(fs);
}

/* Directory over empty directory: replaced; over a full one: -ENOTEMPTY; mixed: errors. */
static void rename_of_directories_follows_posix(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t root = t_root(fs), a = t_dir(fs, root, "a"), full = t_dir(fs, root, "full");
	uint64_t ino;
	struct tfs_stat st;

	t_dir(fs, root, "empty");
	t_file(fs, full, "x", NULL);
	t_file(fs, root, "file", NULL);
	CHECK(tfs_rename(fs, root, "a", root, "full", 0) == -ENOTEMPTY);
	CHECK(tfs_rename(fs, root, "a", root, "file", 0) == -ENOTDIR);
	CHECK(tfs_rename(fs, root, "file", root, "empty", 0) == -EISDIR);
	CHECK(tfs_rename(fs, root, "a", root, "empty", 0) == 0);
	CHECK(tfs_lookup(fs, root, "empty", &ino) == 0 && ino == a);
	CHECK(tfs_getattr(fs, root, &st) == 0 && st.nlink == 4);
	done(fs);
}

/* Before: a/b/c. rename a into a/b/c (or onto itself as parent): -EINVAL, nothing moved. */
static void rename_into_own_subtree_is_einval(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t root = t_root(fs), a = t_dir(fs, root, "a"), b = t_dir(fs, a, "b");
	uint64_t c = t_dir(fs, b, "c"), ino;

	CHECK(tfs_rename(fs, root, "a", c, "a", 0) == -EINVAL);
	CHECK(tfs_rename(fs, root, "a", a, "x", 0) == -EINVAL);
	CHECK(tfs_rename(fs, a, "b", b, "x", 0) == -EINVAL);
	CHECK(tfs_rename(fs, root, "a", root, "..", 0) == -EINVAL);
	CHECK(tfs_lookup(fs, root, "a", &ino) == 0 && ino == a);
	done(fs);
}

/* Symlinks: relative and absolute targets, follow_last, readlink, loops give -ELOOP. */
static void symlinks_resolve_within_the_vnode_root(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t root = t_root(fs), etc = t_dir(fs, root, "etc"), f = t_file(fs, etc, "f", "x");
	uint64_t ino, lnk;
	char buf[64];

	CHECK(tfs_symlink(fs, root, "rel", "etc/f", 0, 0, &lnk) == 0);
	CHECK(tfs_symlink(fs, etc, "abs", "/etc/f", 0, 0, &ino) == 0);
	CHECK(tfs_symlink(fs, etc, "up", "../../../../etc", 0, 0, &ino) == 0);
	CHECK(tfs_symlink(fs, root, "loop1", "loop2", 0, 0, &ino) == 0);
	CHECK(tfs_symlink(fs, root, "loop2", "/loop1", 0, 0, &ino) == 0);
	CHECK(tfs_resolve(fs, root, "/rel", true, &ino) == 0 && ino == f);
	CHECK(tfs_resolve(fs, root, "/rel", false, &ino) == 0 && ino == lnk);
	CHECK(tfs_resolve(fs, root, "etc/abs", true, &ino) == 0 && ino == f);
	CHECK(tfs_resolve(fs, root, "etc/up/up/up/f", true, &ino) == 0 && ino == f);
	CHECK(tfs_resolve(fs, root, "loop1", true, &ino) == -ELOOP);
	CHECK(tfs_resolve(fs, root, "loop1", false, &ino) == 0);
	CHECK(tfs_resolve(fs, root, "rel/", true, &ino) == -ENOTDIR);
	CHECK(tfs_resolve(fs, root, "etc/f/x", true, &ino) == -ENOTDIR);
	CHECK(tfs_readlink(fs, lnk, buf, sizeof(buf)) == 5);
	CHECK(memcmp(buf, "etc/f", 5) == 0);
	CHECK(tfs_readlink(fs, lnk, buf, 2) == 2);
	CHECK(tfs_readlink(fs, f, buf, sizeof(buf)) == -EINVAL);
	CHECK(tfs_symlink(fs, root, "empty", "", 0, 0, &ino) == -ENOENT);
	done(fs);
}

/* ".." at a vNode root stays there, so no path reaches another vNode or the top. */
static void dotdot_never_leaves_the_vnode_root(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t r1 = t_root(fs), r2, ino;

	CHECK(tfs_vnode_root(fs, 2, true, &r2) == 0 && r2 != r1);
	t_file(fs, r2, "secret", "s");
	CHECK(tfs_resolve(fs, r1, "/../../..", true, &ino) == 0 && ino == r1);
	CHECK(tfs_resolve(fs, r1, "../2/secret", true, &ino) == -ENOENT);
	CHECK(tfs_symlink(fs, r1, "esc", "../../2", 0, 0, &ino) == 0);
	CHECK(tfs_resolve(fs, r1, "esc/secret", true, &ino) == -ENOENT);
	CHECK(tfs_resolve(fs, r2, "/secret", true, &ino) == 0);
	done(fs);
}

/* vNode roots are made on demand, found again, and vNode 0 is refused. */
static void vnode_roots_are_made_once(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t a, b;

	CHECK(tfs_vnode_root(fs, 7, false, &a) == -ENOENT);
	CHECK(tfs_vnode_root(fs, 7, true, &a) == 0);
	CHECK(tfs_vnode_root(fs, 7, false, &b) == 0 && a == b);
	CHECK(tfs_vnode_root(fs, 0, true, &b) == -EINVAL);
	t_sync_clean(fs);
	fs = remount(fs);
	CHECK(tfs_vnode_root(fs, 7, false, &b) == 0 && a == b);
	done(fs);
}

/* Before: a handle to f; f unlinked and its slot reused. After: the old handle is stale. */
static void a_reused_slot_makes_old_handles_stale(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t root = t_root(fs), old = t_file(fs, root, "f", "x"), new;
	struct tfs_stat st;
	char c;

	CHECK(tfs_unlink(fs, root, "f") == 0);
	new = t_file(fs, root, "g", "y");
	CHECK((uint32_t)new == (uint32_t)old && new != old);
	CHECK(tfs_getattr(fs, old, &st) == -ESTALE);
	CHECK(tfs_read(fs, old, 0, &c, 1) == -ESTALE);
	CHECK(tfs_write(fs, old, 0, &c, 1) == -ESTALE);
	CHECK(tfs_getattr(fs, 0, &st) == -ESTALE);
	CHECK(tfs_getattr(fs, ~0ULL, &st) == -ESTALE);
	done(fs);
}

/* 300 entries read 7 at a time, some removed between calls: each name at most once. */
static void readdir_cookies_survive_removals(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t dir = t_dir(fs, t_root(fs), "d"), cookie = 0;
	struct tfs_dirent_out e[7];
	static int seen[300];
	char name[48];
	int n, i, total = 0;

	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "entry-with-a-longish-name-%d", i);
		t_file(fs, dir, name, NULL);
	}
	while ((n = tfs_readdir(fs, dir, &cookie, e, 7)) > 0) {
		for (i = 0; i < n; i++) {
			if (e[i].name[0] == '.')
				continue;
			CHECK(sscanf(e[i].name, "entry-with-a-longish-name-%d", &total) == 1);
			CHECK(++seen[total] == 1);
		}
		snprintf(name, sizeof(name), "entry-with-a-longish-name-%d", 299 - total);
		tfs_unlink(fs, dir, name);
	}
	for (i = 0, total = 0; i < 300; i++)
		total += seen[i];
	CHECK(total > 200);
	CHECK(n == 0);
	done(fs);
}

/* setattr changes permission bits (never the type), owners and times; ctime moves. */
static void setattr_changes_what_it_is_asked_to(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t ino = t_file(fs, t_root(fs), "f", NULL);
	struct tfs_setattr a = { TFS_SET_MODE | TFS_SET_UID | TFS_SET_MTIME, 0177777, 42, 0, 0, 77 };
	struct tfs_stat before, st;

	CHECK(tfs_getattr(fs, ino, &before) == 0);
	CHECK(tfs_setattr(fs, ino, &a) == 0);
	CHECK(tfs_getattr(fs, ino, &st) == 0);
	CHECK(st.mode == (TFS_S_IFREG | 07777) && st.uid == 42 && st.gid == 0);
	CHECK(st.mtime == 77 && st.ctime > before.ctime);
	done(fs);
}

/* Hard links: nlink counts names; the data lives until the last one goes. */
static void hard_links_share_an_inode(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	uint64_t root = t_root(fs), f = t_file(fs, root, "f", "shared"), dir = t_dir(fs, root, "d");
	struct tfs_stat st;
	char buf[8] = "";

	CHECK(tfs_link(fs, f, root, "g") == 0);
	CHECK(tfs_link(fs, dir, root, "e") == -EPERM);
	CHECK(tfs_getattr(fs, f, &st) == 0 && st.nlink == 2);
	t_sync_clean(fs);
	CHECK(tfs_unlink(fs, root, "f") == 0);
	CHECK(tfs_read(fs, f, 0, buf, sizeof(buf)) == 6);
	CHECK(tfs_getattr(fs, f, &st) == 0 && st.nlink == 1);
	done(fs);
}

/* Twenty thousand inodes in 100 directories: the inode table grows, all survive. */
static void the_inode_table_grows_for_many_files(void)
{
	struct tfs *fs = t_fresh(&d, 16384, 0);
	uint64_t root = t_root(fs), dir = 0, ino;
	struct tfs_statfs st;
	char name[32];
	int i;

	for (i = 0; i < 20000; i++) {
		if (i % 200 == 0) {
			snprintf(name, sizeof(name), "d%d", i / 200);
			dir = t_dir(fs, root, name);
		}
		snprintf(name, sizeof(name), "f%d", i);
		CHECK(tfs_create(fs, dir, name, 0644, 0, 0, &ino) == 0);
	}
	t_sync_clean(fs);
	fs = remount(fs);
	CHECK(tfs_statfs(fs, &st) == 0 && st.inodes - st.free_inodes == 20000 + 100 + 2);
	CHECK(tfs_resolve(fs, t_root(fs), "/d99/f19999", true, &ino) == 0);
	done(fs);
}

/* With a dirty limit of 8 blocks, a 1 MiB write commits on its own and memory stays low. */
static void the_dirty_limit_bounds_memory(void)
{
	struct tfs *fs = t_fresh(&d, NBLK, 8);
	uint64_t ino = t_file(fs, t_root(fs), "f", NULL);
	static uint8_t buf[1 << 20], back[1 << 20];
	long live = tfs_live;
	struct tfs_statfs st;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + i / 4096);
	CHECK(tfs_write(fs, ino, 0, buf, sizeof(buf)) == sizeof(buf));
	CHECK(tfs_statfs(fs, &st) == 0 && st.generation > 10);
	CHECK(tfs_live - live < 2 * (32 + 8 + 48) + 16);
	CHECK(tfs_read(fs, ino, 0, back, sizeof(back)) == sizeof(back));
	CHECK(memcmp(buf, back, sizeof(buf)) == 0);
	done(fs);
}

/* Before: a disk filled until -ENOSPC. After: unlinks still work and free the space. */
static void a_full_disk_can_still_be_emptied(void)
{
	struct tfs *fs = t_fresh(&d, 512, 0);
	uint64_t root = t_root(fs), ino;
	static uint8_t block[4096];
	struct tfs_statfs st;
	char name[16];
	bool first = true;
	long n = 0;
	int i, rc = 0;

	for (i = 0; rc == 0; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		rc = tfs_create(fs, root, name, 0644, 0, 0, &ino);
		for (int k = 0; rc == 0 && k < 16; k++) {
			n = tfs_write(fs, ino, (uint64_t)k * 4096, block, sizeof(block));
			rc = n == sizeof(block) ? 0 : n < 0 ? (int)n : -ENOSPC;
		}
	}
	CHECK(rc == -ENOSPC);
	t_sync_clean(fs);
	while (i-- > 0) {
		snprintf(name, sizeof(name), "f%d", i);
		rc = tfs_unlink(fs, root, name);
		CHECK(rc == 0 || (rc == -ENOENT && first));
		first = false;
	}
	t_sync_clean(fs);
	CHECK(tfs_statfs(fs, &st) == 0 && st.free_blocks > 512 - 16);
	t_file(fs, root, "again", "works");
	done(fs);
}

/* A small cache evicts clean blocks and still reads back every byte right. */
static void a_small_cache_evicts_and_rereads(void)
{
	struct tfs_limits lim = { 16, 8 };
	struct tfs_dev dev;
	struct tfs *fs;
	static uint8_t buf[256 << 10], back[256 << 10];
	uint64_t ino;
	char err[128];

	memdev_init(&d, NBLK);
	dev = memdev_dev(&d);
	CHECK(tfs_format(&dev, &t_ops) == 0);
	CHECK(tfs_mount(&fs, &dev, &t_ops, &lim, err, sizeof(err)) == 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i ^ (i >> 9));
	ino = t_file(fs, t_root(fs), "f", NULL);
	CHECK(tfs_write(fs, ino, 0, buf, sizeof(buf)) == sizeof(buf));
	t_sync_clean(fs);
	CHECK(tfs_read(fs, ino, 0, back, sizeof(back)) == sizeof(back));
	CHECK(memcmp(buf, back, sizeof(buf)) == 0);
	done(fs);
}

/* Random writes and truncates of a few files against a byte-array model, remounted. */
static void random_writes_match_a_model(void)
{
	enum { FILES = 4, MAX = 300000 };
	static uint8_t model[FILES][MAX], back[MAX];
	static uint64_t size[FILES], ino[FILES];
	struct tfs *fs = t_fresh(&d, NBLK, 32);
	uint64_t root = t_root(fs);
	char name[16];
	int f, i;

	srand(11);
	memset(size, 0, sizeof(size));
	memset(model, 0, sizeof(model));
	for (f = 0; f < FILES; f++) {
		snprintf(name, sizeof(name), "m%d", f);
		ino[f] = t_file(fs, root, name, NULL);
	}
	for (i = 0; i < 400; i++) {
		uint64_t off = (uint64_t)rand() % MAX, len = (uint64_t)rand() % 9000;

		f = rand() % FILES;
		if (off + len > MAX)
			len = MAX - off;
		if (rand() % 8 == 0) {
			CHECK(tfs_truncate(fs, ino[f], off) == 0);
			if (off < size[f])
				memset(model[f] + off, 0, size[f] - off);
			size[f] = off;
			continue;
		}
		for (uint64_t k = 0; k < len; k++)
			model[f][off + k] = (uint8_t)rand();
		CHECK(tfs_write(fs, ino[f], off, model[f] + off, len) == (long)len);
		if (len && off + len > size[f])
			size[f] = off + len;
		if (rand() % 50 == 0)
			t_sync_clean(fs);
	}
	t_sync_clean(fs);
	fs = remount(fs);
	for (f = 0; f < FILES; f++) {
		CHECK(tfs_read(fs, ino[f], 0, back, MAX) == (long)size[f]);
		CHECK(memcmp(back, model[f], size[f]) == 0);
	}
	done(fs);
}

static const struct unit_test tests[] = {
	TEST(format_gives_an_empty_clean_file_system),
	TEST(sync_without_changes_writes_nothing),
	TEST(synced_data_survives_remount),
	TEST(unsynced_writes_are_dropped_whole),
	TEST(read_is_short_at_end_of_file),
	TEST(sparse_file_past_4_gib_reads_zeros_in_holes),
	TEST(write_past_the_size_limit_is_efbig),
	TEST(truncate_shrinks_frees_and_zeroes_the_tail),
	TEST(names_must_be_new_and_short),
	TEST(long_paths_are_enametoolong),
	TEST(directories_are_removed_only_when_empty),
	TEST(rename_moves_between_directories),
	TEST(rename_replaces_a_file_unless_noreplace),
	TEST(rename_of_directories_follows_posix),
	TEST(rename_into_own_subtree_is_einval),
	TEST(symlinks_resolve_within_the_vnode_root),
	TEST(dotdot_never_leaves_the_vnode_root),
	TEST(vnode_roots_are_made_once),
	TEST(a_reused_slot_makes_old_handles_stale),
	TEST(readdir_cookies_survive_removals),
	TEST(setattr_changes_what_it_is_asked_to),
	TEST(hard_links_share_an_inode),
	TEST(the_inode_table_grows_for_many_files),
	TEST(the_dirty_limit_bounds_memory),
	TEST(a_full_disk_can_still_be_emptied),
	TEST(a_small_cache_evicts_and_rereads),
	TEST(random_writes_match_a_model),
};

CHECK_MAIN("tfs", tests)
