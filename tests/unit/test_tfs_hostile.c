/*
 * scomponent/tfs against hostile images: truncated, wrong magic, bad checksums, pointers
 * out of range, a directory loop, a block used twice, wrong counts, unreadable blocks and
 * random damage. Mount or the operation must fail with a clear reason, never crash.
 */
#include "tfs_test.h"
#include "net/wire.h"

#define NBLK 512

static struct memdev d;
static char err[200];

static uint8_t *block(uint64_t blk)
{
	return d.img + blk * TFS_BLOCK_SIZE;
}

/* Give a patched metadata block a good checksum again. */
static void restamp(uint64_t blk)
{
	struct tfs_bhdr *h = (void *)block(blk);

	h->crc = 0;
	h->crc = crc32c(0, h, TFS_BLOCK_SIZE);
}

static struct tfs_super *newest(void)
{
	struct tfs_super *a = (void *)block(0), *b = (void *)block(1);

	return a->h.magic == TFS_MAGIC_SUPER && a->h.gen > b->h.gen ? a : b;
}

/* The committed inode of slot (the table fits one block in these images). */
static struct tfs_dinode *dinode(uint64_t ino)
{
	return (void *)(block(newest()->itable.root) + 32 + (uint32_t)ino * 128);
}

static void restamp_itable(void)
{
	restamp(newest()->itable.root);
}

/* A synced image: the vNode 1 root with a/b/, files f (3 blocks) and g, unmounted. */
static void build(uint64_t *a, uint64_t *b, uint64_t *f, uint64_t *g)
{
	struct tfs *fs = t_fresh(&d, NBLK, 0);
	static uint8_t data[3 * TFS_BLOCK_SIZE];
	uint64_t root = t_root(fs);

	*a = t_dir(fs, root, "a");
	*b = t_dir(fs, *a, "b");
	*f = t_file(fs, root, "f", NULL);
	CHECK(tfs_write(fs, *f, 0, data, sizeof(data)) == sizeof(data));
	*g = t_file(fs, root, "g", "gee");
	t_sync_clean(fs);
	tfs_unmount(fs);
}

static void mount_fails_with(const char *why)
{
	struct tfs *fs = NULL;

	CHECK(t_mount(&d, &fs, err, sizeof(err)) < 0);
	if (!strstr(err, why))
		fprintf(stderr, "  mount said: %s\n", err);
	CHECK(strstr(err, why) != NULL);
	memdev_fini(&d);
	CHECK(tfs_live == 0);
}

static long problems;

static void count(void *arg, const char *problem)
{
	(void)arg;
	(void)problem;
	problems++;
}

/* Mounts, but the check reports what it should. */
static void check_reports(long n)
{
	struct tfs *fs;

	CHECK(t_mount(&d, &fs, err, sizeof(err)) == 0);
	problems = 0;
	CHECK(tfs_check(fs, count, NULL) == n && problems == n);
	tfs_unmount(fs);
	memdev_fini(&d);
	CHECK(tfs_live == 0);
}

/* An image shorter than its superblock says does not mount. */
static void a_truncated_image_is_refused(void)
{
	uint64_t a, b, f, g;

	build(&a, &b, &f, &g);
	d.nblocks = 300;
	mount_fails_with("truncated image");
	CHECK(d.img == NULL);
}

/* Zeros where the superblocks go: "bad magic", and format refuses a tiny disk. */
static void no_magic_is_refused(void)
{
	struct tfs_dev dev;

	memdev_init(&d, NBLK);
	mount_fails_with("block 0: bad magic; block 1: bad magic");
	memdev_init(&d, 100);
	dev = memdev_dev(&d);
	CHECK(tfs_format(&dev, &t_ops) == -ENOSPC);
	memdev_fini(&d);
}

/* A corrupt newest superblock falls back to the older; with none older, it fails. */
static void a_bad_superblock_checksum_falls_back_or_fails(void)
{
	uint64_t a, b, f, g;

	memdev_init(&d, NBLK);
	{
		struct tfs_dev dev = memdev_dev(&d);

		CHECK(tfs_format(&dev, &t_ops) == 0);
	}
	block(1)[100] ^= 1;
	mount_fails_with("block 1: bad checksum");
	build(&a, &b, &f, &g);
	newest()->free_blocks ^= 1;
	{
		struct tfs *fs;
		struct tfs_statfs st;

		CHECK(t_mount(&d, &fs, err, sizeof(err)) == 0);
		CHECK(tfs_statfs(fs, &st) == 0 && st.generation == 1);
		tfs_unmount(fs);
	}
	memdev_fini(&d);
}

/* A flipped bit in the inode table: the mount names the block. */
static void a_bad_inode_block_checksum_is_refused(void)
{
	uint64_t a, b, f, g;

	build(&a, &b, &f, &g);
	dinode(g)->size ^= 1;
	mount_fails_with("inode table block");
}

/* A flipped bit in a directory block: lookups there fail -EUCLEAN, check reports it. */
static void a_bad_directory_block_is_euclean(void)
{
	uint64_t a, b, f, g, ino;
	struct tfs *fs;

	build(&a, &b, &f, &g);
	block(dinode(a)->root)[200] ^= 0x10;
	CHECK(t_mount(&d, &fs, err, sizeof(err)) == 0);
	CHECK(tfs_lookup(fs, a, "b", &ino) == -EUCLEAN);
	CHECK(tfs_create(fs, a, "new", 0644, 0, 0, &ino) == -EUCLEAN);
	CHECK(tfs_lookup(fs, tfs_top(fs), "1", &ino) == 0);
	problems = 0;
	CHECK(tfs_check(fs, count, NULL) > 0);
	tfs_unmount(fs);
	memdev_fini(&d);
	CHECK(tfs_live == 0);
}

/* A map pointer past the end of the disk, checksum fixed: refused. */
static void a_pointer_out_of_range_is_refused(void)
{
	uint64_t a, b, f, g, map;

	build(&a, &b, &f, &g);
	CHECK(dinode(f)->height == 1);
	map = dinode(f)->root;
	((uint64_t *)(block(map) + 32))[1] = NBLK + 7;
	restamp(map);
	mount_fails_with("out of range");
}

/* a's ".." made b, b being inside a: refused as a loop. */
static void a_directory_loop_is_refused(void)
{
	uint64_t a, b, f, g;

	build(&a, &b, &f, &g);
	dinode(a)->parent = b;
	restamp_itable();
	mount_fails_with("loop in directories");
}

/* g's only block made f's first data block: refused as referenced twice. */
static void a_block_referenced_twice_is_refused(void)
{
	uint64_t a, b, f, g;

	build(&a, &b, &f, &g);
	dinode(g)->root = ((uint64_t *)(block(dinode(f)->root) + 32))[0];
	restamp_itable();
	mount_fails_with("referenced twice");
}

/* Impossible inode fields (a type that does not exist): refused. */
static void an_impossible_inode_is_refused(void)
{
	uint64_t a, b, f, g;

	build(&a, &b, &f, &g);
	dinode(g)->mode = 0170644;
	restamp_itable();
	mount_fails_with("impossible fields");
}

/* Wrong link count and wrong free count: mount works, check reports both. */
static void wrong_counts_are_reported_by_check(void)
{
	uint64_t a, b, f, g;

	build(&a, &b, &f, &g);
	dinode(g)->nlink = 5;
	restamp_itable();
	newest()->free_blocks -= 3;
	restamp(newest() == (void *)block(0) ? 0 : 1);
	check_reports(2);
}

/* An entry naming a freed inode, and one naming a reused slot: reported. */
static void dangling_entries_are_reported_by_check(void)
{
	uint64_t a, b, f, g;

	build(&a, &b, &f, &g);
	dinode(g)->gen++;
	restamp_itable();
	check_reports(2);		/* the entry, and g is in no directory */
}

/* The disk fails to read the inode table: mount fails with the error, nothing leaks. */
static void an_unreadable_block_fails_the_mount(void)
{
	uint64_t a, b, f, g;
	struct tfs *fs;

	build(&a, &b, &f, &g);
	d.fail_read_blk = (long)newest()->itable.root;
	CHECK(t_mount(&d, &fs, err, sizeof(err)) == -EIO);
	CHECK(strstr(err, "cannot read") != NULL);
	memdev_fini(&d);
	CHECK(tfs_live == 0);
}

/* Walk everything a mounted image holds, as a user would; errors are fine. */
static void walk(struct tfs *fs, uint64_t dir, int depth)
{
	struct tfs_dirent_out e[4];
	uint64_t cookie = 2;
	char buf[512];
	int n, i;

	while (depth < 8 && (n = tfs_readdir(fs, dir, &cookie, e, 4)) > 0) {
		for (i = 0; i < n; i++) {
			tfs_read(fs, e[i].ino, 0, buf, sizeof(buf));
			tfs_readlink(fs, e[i].ino, buf, sizeof(buf));
			if (e[i].type == TFS_DT_DIR)
				walk(fs, e[i].ino, depth + 1);
		}
	}
}

/* Random bytes of random metadata blocks changed (checksums fixed or not): no crash. */
static void random_damage_never_crashes(void)
{
	static uint8_t pristine[NBLK * TFS_BLOCK_SIZE];
	uint64_t a, b, f, g, ino;
	struct tfs *fs;
	int i, k;

	build(&a, &b, &f, &g);
	memcpy(pristine, d.img, sizeof(pristine));
	srand(5);
	for (i = 0; i < 300; i++) {
		memcpy(d.img, pristine, sizeof(pristine));
		for (k = 0; k < 1 + rand() % 4; k++) {
			uint64_t blk = (uint64_t)rand() % 24;

			block(blk)[rand() % TFS_BLOCK_SIZE] ^= (uint8_t)(1 + rand() % 255);
			if (rand() % 4 && ((struct tfs_bhdr *)block(blk))->magic)
				restamp(blk);
		}
		if (t_mount(&d, &fs, err, sizeof(err)) < 0)
			continue;
		walk(fs, tfs_top(fs), 0);
		tfs_check(fs, NULL, NULL);
		if (tfs_vnode_root(fs, 1, true, &ino) == 0 &&
		    tfs_create(fs, ino, "x", 0644, 0, 0, &ino) == 0)
			tfs_write(fs, ino, 5000, "y", 1);
		tfs_sync(fs);
		tfs_unmount(fs);
	}
	memdev_fini(&d);
	CHECK(tfs_live == 0);
}

static const struct unit_test tests[] = {
	TEST(a_truncated_image_is_refused),
	TEST(no_magic_is_refused),
	TEST(a_bad_superblock_checksum_falls_back_or_fails),
	TEST(a_bad_inode_block_checksum_is_refused),
	TEST(a_bad_directory_block_is_euclean),
	TEST(a_pointer_out_of_range_is_refused),
	TEST(a_directory_loop_is_refused),
	TEST(a_block_referenced_twice_is_refused),
	TEST(an_impossible_inode_is_refused),
	TEST(wrong_counts_are_reported_by_check),
	TEST(dangling_entries_are_reported_by_check),
	TEST(an_unreadable_block_fails_the_mount),
	TEST(random_damage_never_crashes),
};

CHECK_MAIN("tfs_hostile", tests)
