/*
 * Crash consistency of scomponent/tfs: a random workload (from a seed) runs on an
 * in-memory disk that loses power at its k-th write, keeping what was flushed and a
 * random subset (some torn) of what was not. The remounted image must check clean and
 * hold exactly the state of a commit no older than the last one that completed.
 */
#include "tfs_test.h"
#include "net/wire.h"

#define NBLK 512
#define MAXGEN 4096
#define NOPS 70

/* One run of the workload, and what each generation's superblock committed. */
struct run {
	struct memdev d;
	struct tfs *fs;
	uint64_t root;
	uint64_t rng;
	uint32_t digest_now;		/* of the state a commit starting now would hold */
	uint32_t digest_of[MAXGEN];
	bool known[MAXGEN];
	uint64_t durable;		/* newest generation known flushed */
	bool every_op;			/* take digests before each operation, not only syncs */
};

static struct run r;

static uint32_t rnd(uint32_t n)
{
	r.rng ^= r.rng << 13;
	r.rng ^= r.rng >> 7;
	r.rng ^= r.rng << 17;
	return (uint32_t)(r.rng % n);
}

static void on_super(void *arg, uint64_t gen)
{
	(void)arg;
	CHECK(gen < MAXGEN);
	r.digest_of[gen] = r.digest_now;
	r.known[gen] = true;
}

static void on_durable(void *arg, uint64_t gen)
{
	(void)arg;
	if (gen > r.durable)
		r.durable = gen;
}

static uint32_t digest_dir(struct tfs *fs, uint64_t dir, uint32_t crc, int depth);

/* Everything a user sees of one inode: attributes, contents or target, entries. */
static uint32_t digest_inode(struct tfs *fs, uint64_t ino, uint32_t crc, int depth)
{
	static uint8_t buf[1 << 17];
	struct tfs_stat st;
	long n;

	CHECK(tfs_getattr(fs, ino, &st) == 0);
	crc = crc32c(crc, &st, sizeof(st));
	if ((st.mode & TFS_S_IFMT) == TFS_S_IFDIR)
		return digest_dir(fs, ino, crc, depth + 1);
	if ((st.mode & TFS_S_IFMT) == TFS_S_IFLNK)
		n = tfs_readlink(fs, ino, (char *)buf, sizeof(buf));
	else
		n = tfs_read(fs, ino, 0, buf, sizeof(buf));
	CHECK(n >= 0 && (uint64_t)n == st.size);
	return crc32c(crc, buf, (size_t)n);
}

static uint32_t digest_dir(struct tfs *fs, uint64_t dir, uint32_t crc, int depth)
{
	struct tfs_dirent_out e[8];
	uint64_t cookie = 2;
	int n, i;

	CHECK(depth < 16);
	while ((n = tfs_readdir(fs, dir, &cookie, e, 8)) > 0) {
		for (i = 0; i < n; i++) {
			crc = crc32c(crc, e[i].name, strlen(e[i].name) + 1);
			crc = digest_inode(fs, e[i].ino, crc, depth);
		}
	}
	CHECK(n == 0);
	return crc;
}

static uint32_t digest(struct tfs *fs)
{
	return digest_dir(fs, tfs_top(fs), 0, 0);
}

static const char *const dirs[] = { "", "a/", "b/", "a/c/" };

/* A random path of the workload's small namespace. */
static void pick(char *path, size_t size)
{
	snprintf(path, size, "%sf%u", dirs[rnd(4)], rnd(6));
}

static void pick_dir(char *path, size_t size)
{
	static const char *const names[] = { "a", "b", "a/c", "b/d", "a/c/e" };

	snprintf(path, size, "%s", names[rnd(5)]);
}

/* The expected failures of a random operation; anything else fails the test. */
static void expect(int rc)
{
	CHECK(rc >= 0 || rc == -ENOENT || rc == -EEXIST || rc == -ENOTDIR || rc == -EISDIR ||
	      rc == -ENOTEMPTY || rc == -EINVAL || rc == -EPERM || rc == -ENOSPC);
}

static int op_write(void)
{
	static uint8_t data[TFS_BLOCK_SIZE];
	char path[32], name[TFS_NAME_MAX + 1];
	uint64_t ino, dir, off = (uint64_t)rnd(16) * TFS_BLOCK_SIZE + rnd(TFS_BLOCK_SIZE);
	size_t len = 1 + rnd(TFS_BLOCK_SIZE - (uint32_t)(off % TFS_BLOCK_SIZE)), i;
	int rc;

	pick(path, sizeof(path));
	rc = tfs_resolve(r.fs, r.root, path, true, &ino);
	if (rc == -ENOENT) {
		rc = tfs_resolve_parent(r.fs, r.root, path, &dir, name);
		if (rc == 0)
			rc = tfs_create(r.fs, dir, name, 0644, 0, 0, &ino);
		if (rc == 0 && r.every_op)
			r.digest_now = digest(r.fs);	/* a second operation follows */
	}
	if (rc < 0)
		return rc;
	for (i = 0; i < len; i++)
		data[i] = (uint8_t)rnd(256);
	return (int)tfs_write(r.fs, ino, off, data, len);
}

static int op_truncate(void)
{
	char path[32];
	uint64_t ino;
	int rc;

	pick(path, sizeof(path));
	rc = tfs_resolve(r.fs, r.root, path, true, &ino);
	return rc < 0 ? rc : tfs_truncate(r.fs, ino, rnd(70000));
}

static int op_namespace(uint32_t what)
{
	char p1[32], p2[32], n1[TFS_NAME_MAX + 1], n2[TFS_NAME_MAX + 1];
	uint64_t d1, d2, ino;
	int rc;

	if (what < 2)
		pick_dir(p1, sizeof(p1));
	else
		pick(p1, sizeof(p1));
	rc = tfs_resolve_parent(r.fs, r.root, p1, &d1, n1);
	if (rc < 0)
		return rc;
	switch (what) {
	case 0:
		return tfs_mkdir(r.fs, d1, n1, 0755, 0, 0, &ino);
	case 1:
		return tfs_rmdir(r.fs, d1, n1);
	case 2:
		return tfs_unlink(r.fs, d1, n1);
	case 3:
		return tfs_symlink(r.fs, d1, n1, rnd(2) ? "/a/f1" : "../f2", 0, 0, &ino);
	}
	if (rnd(3) == 0)
		pick_dir(p2, sizeof(p2));
	else
		pick(p2, sizeof(p2));
	rc = tfs_resolve_parent(r.fs, r.root, p2, &d2, n2);
	if (rc < 0)
		return rc;
	if (what == 4)
		return tfs_rename(r.fs, d1, n1, d2, n2, rnd(4) ? 0 : TFS_RENAME_NOREPLACE);
	rc = tfs_lookup(r.fs, d1, n1, &ino);
	return rc < 0 ? rc : tfs_link(r.fs, ino, d2, n2);
}

static int op_sync(void)
{
	if (!r.every_op)
		r.digest_now = digest(r.fs);
	return tfs_sync(r.fs);
}

/* One random operation; true if it was a sync. */
static bool one_op(void)
{
	uint32_t what = rnd(100);
	struct tfs_setattr sa = { TFS_SET_MODE, 0600, 0, 0, 0, 0 };
	uint64_t ino;

	if (r.every_op)
		r.digest_now = digest(r.fs);
	if (what < 35)
		expect(op_write());
	else if (what < 42)
		expect(op_truncate());
	else if (what < 50)
		expect(op_namespace(0));
	else if (what < 55)
		expect(op_namespace(1));
	else if (what < 63)
		expect(op_namespace(2));
	else if (what < 67)
		expect(op_namespace(3));
	else if (what < 78)
		expect(op_namespace(4));
	else if (what < 81)
		expect(op_namespace(5));
	else if (what < 84 && tfs_resolve(r.fs, r.root, "a", true, &ino) == 0)
		expect(tfs_setattr(r.fs, ino, &sa));
	else if (what >= 88)
		CHECK(op_sync() == 0 || r.d.crashed);
	return what >= 88;
}

/* Run the workload of seed until done or the power is cut. */
static void workload(uint64_t seed, uint32_t max_dirty, long crash_at)
{
	uint64_t gen;
	bool synced;
	int i;

	memset(r.known, 0, sizeof(r.known));
	r.durable = 0;
	r.fs = t_fresh(&r.d, NBLK, max_dirty);
	r.d.on_super = on_super;
	r.d.on_durable = on_durable;
	memdev_arm(&r.d, crash_at, seed);
	r.rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	r.digest_now = digest(r.fs);
	r.known[1] = true;
	r.digest_of[1] = r.digest_now;
	r.durable = 1;
	r.d.writes = 0;
	CHECK(tfs_vnode_root(r.fs, 1, true, &r.root) == 0);
	for (i = 0; i < NOPS && !r.d.crashed; i++) {
		struct tfs_statfs st;

		CHECK(tfs_statfs(r.fs, &st) == 0);
		gen = st.generation;
		synced = one_op();
		CHECK(tfs_statfs(r.fs, &st) == 0);
		CHECK(r.every_op || synced || st.generation == gen);
	}
	if (!r.d.crashed) {
		r.digest_now = digest(r.fs);
		CHECK(tfs_sync(r.fs) == 0);
	}
}

/* Mount what the crash left: clean, one whole commit, no older than the last durable. */
static void verify_crash_image(void)
{
	struct memdev after;
	struct tfs_statfs st;
	struct tfs *fs;
	uint64_t ino, root;
	char err[160];
	int rc;

	memdev_init(&after, NBLK);
	memcpy(after.img, r.d.crash_img, NBLK * TFS_BLOCK_SIZE);
	rc = t_mount(&after, &fs, err, sizeof(err));
	if (rc)
		fprintf(stderr, "  mount after crash: %s\n", err);
	CHECK(rc == 0);
	CHECK(tfs_check(fs, t_report, NULL) == 0);
	CHECK(tfs_statfs(fs, &st) == 0);
	CHECK(st.generation >= r.durable && st.generation < MAXGEN && r.known[st.generation]);
	CHECK(digest(fs) == r.digest_of[st.generation]);
	if (getenv("TFS_DEBUG")) fprintf(stderr, "gen %lu durable %lu\n", (unsigned long)st.generation, (unsigned long)r.durable);
	/* It goes on working: the free space it derived is right. */
	CHECK(tfs_vnode_root(fs, 1, true, &root) == 0);
	rc = tfs_create(fs, root, "after-crash", 0644, 0, 0, &ino);
	CHECK(rc == 0 || rc == -EEXIST);
	t_sync_clean(fs);
	tfs_unmount(fs);
	memdev_fini(&after);
}

/* For each seed: a dry run counts the writes, then the power is cut at every stride-th. */
static void crash_at_every_kth_write(int seeds, uint32_t max_dirty, bool every_op, long points)
{
	for (int seed = 1; seed <= seeds; seed++) {
		long writes, k, stride;

		r.every_op = every_op;
		workload((uint64_t)seed, max_dirty, 0);
		writes = r.d.writes;
		tfs_unmount(r.fs);
		memdev_fini(&r.d);
		stride = writes / points + 1;
		for (k = 1 + seed % stride; k <= writes; k += stride) {
			workload((uint64_t)seed, max_dirty, k);
			CHECK(r.d.crashed);
			tfs_unmount(r.fs);
			verify_crash_image();
			memdev_fini(&r.d);
		}
	}
	CHECK(tfs_live == 0);
}

/* Commits only when asked (tfs_sync): every crash shows a synced state. */
static void crashes_leave_a_synced_state(void)
{
	crash_at_every_kth_write(16, 100000, false, 40);
}

/* A dirty limit of 8 blocks: commits also happen on their own, before operations. */
static void crashes_during_implicit_commits_leave_a_committed_state(void)
{
	crash_at_every_kth_write(8, 8, true, 40);
}

/* Without a crash, a torn write of the newest superblock falls back to the other one. */
static void a_torn_newest_superblock_falls_back(void)
{
	struct tfs *fs = t_fresh(&r.d, NBLK, 0);
	struct tfs_statfs st;
	char err[128];
	uint64_t root;

	CHECK(tfs_vnode_root(fs, 1, true, &root) == 0);
	t_sync_clean(fs);		/* generation 2, in block 0 */
	t_file(fs, root, "f", "x");
	t_sync_clean(fs);		/* generation 3, in block 1 */
	tfs_unmount(fs);
	memset(r.d.img + TFS_BLOCK_SIZE + 1024, 0x5a, 512);
	CHECK(t_mount(&r.d, &fs, err, sizeof(err)) == 0);
	CHECK(tfs_statfs(fs, &st) == 0 && st.generation == 2);
	CHECK(tfs_resolve(fs, root, "f", true, &root) == -ENOENT);
	CHECK(tfs_check(fs, t_report, NULL) == 0);
	t_file(fs, tfs_top(fs), "g", "y");
	t_sync_clean(fs);		/* generation 3 again, over the torn one */
	tfs_unmount(fs);
	memdev_fini(&r.d);
	CHECK(tfs_live == 0);
}

static const struct unit_test tests[] = {
	TEST(a_torn_newest_superblock_falls_back),
	TEST(crashes_leave_a_synced_state),
	TEST(crashes_during_implicit_commits_leave_a_committed_state),
};

CHECK_MAIN("tfs_crash", tests)
