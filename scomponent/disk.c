/*
 * The storage monitor's file system on its disk: tfs (scomponent/tfs/) over the
 * virtio-blk driver, mounted at start, committed every few seconds so unsynced
 * writes reach the disk anyway, and reported to GSM on gmon every second. tfs is
 * not thread-safe, so RPC workers take turns on it through disk_get()/disk_put().
 */
#define LOG_SUBSYS "smon"
#include "kernel/blkdev.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "smon.h"

#define SECTORS_PER_BLOCK	(TFS_BLOCK_SIZE / BLKDEV_SECTOR_SIZE)
#define COMMIT_INTERVAL		(5 * NSEC_PER_SEC)
#define REPORT_INTERVAL		NSEC_PER_SEC
#define REPORT_RETRY	(100 * NSEC_PER_MSEC)	/* after a failed one: gmon may be just up */
#define REPORT_TIMEOUT		(500 * NSEC_PER_MSEC)

static struct tfs *fs;			/* set once at start */
static struct spinlock fs_lock = SPINLOCK_INIT("tfs");	/* fs_busy */
static bool fs_busy;
static struct wait_queue fs_wq;
static uint8_t gmon = 0xff;

static int dev_read(void *ctx, uint64_t blk, void *buf)
{
	(void)ctx;
	return blkdev_read(blk * SECTORS_PER_BLOCK, buf, TFS_BLOCK_SIZE);
}

static int dev_write(void *ctx, uint64_t blk, const void *buf)
{
	(void)ctx;
	return blkdev_write(blk * SECTORS_PER_BLOCK, buf, TFS_BLOCK_SIZE);
}

static int dev_flush(void *ctx)
{
	(void)ctx;
	return blkdev_flush();
}

static void *fs_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return kmalloc(size);
}

static void fs_free(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

static uint64_t fs_now(void *ctx)
{
	(void)ctx;
	return clock_ns();	/* no wall clock on smon yet: time since its boot */
}

static const struct tfs_ops ops = { fs_alloc, fs_free, fs_now, NULL };

static bool fs_takeable(void)
{
	bool ok;

	spin_lock(&fs_lock);
	ok = !fs_busy;
	if (ok)
		fs_busy = true;
	spin_unlock(&fs_lock);
	return ok;
}

struct tfs *disk_get(void)
{
	if (!fs)
		return NULL;
	wait_event(&fs_wq, fs_takeable());
	return fs;
}

void disk_put(void)
{
	spin_lock(&fs_lock);
	fs_busy = false;
	spin_unlock(&fs_lock);
	wake_up_all(&fs_wq);
}

/* A disk never written has zeros where both superblocks go: format it, nothing else. */
static int blank(const struct tfs_dev *dev, bool *is_blank)
{
	uint64_t *buf = kmalloc(2 * TFS_BLOCK_SIZE);
	int err = buf ? 0 : -ENOMEM;

	*is_blank = true;
	for (uint64_t b = 0; b < 2 && !err; b++)
		err = dev->read(dev->ctx, b, (uint8_t *)buf + b * TFS_BLOCK_SIZE);
	for (size_t i = 0; i < 2 * TFS_BLOCK_SIZE / 8 && !err; i++)
		if (buf[i])
			*is_blank = false;
	kfree(buf);
	return err;
}

static int mount(struct tfs_dev *dev)
{
	char why[120] = "";
	bool is_blank;
	int err = blank(dev, &is_blank);

	if (!err && is_blank) {
		pr_info("blank disk: formatting %lu blocks", dev->nblocks);
		err = tfs_format(dev, &ops);
	}
	if (!err)
		err = tfs_mount(&fs, dev, &ops, NULL, why, sizeof(why));
	if (err)
		pr_err("cannot mount the disk (%d): %s; serving no files", err, why);
	return err;
}

/* Unsynced writes reach the disk within COMMIT_INTERVAL, as Linux's writeback does. */
static void committer(void *arg)
{
	(void)arg;
	for (;;) {
		struct tfs *f;
		int err;

		sleep_ns(COMMIT_INTERVAL);
		f = disk_get();
		err = tfs_sync(f);
		disk_put();
		if (err)
			pr_warn("periodic commit failed (%d)", err);
	}
}

static void reporter(void *arg)
{
	bool warned = false;

	(void)arg;
	for (;;) {
		struct s2g_storage_report r = { 0 };
		struct tfs_statfs st;
		int err;

		disk_get();
		err = tfs_statfs(fs, &st);
		disk_put();
		if (!err) {
			r.capacity_blocks = st.blocks;
			r.free_blocks = st.free_blocks;
			err = msg_rpc(gmon, S2G_STORAGE_REPORT, &r, sizeof(r), NULL, 0,
				      REPORT_TIMEOUT);
		}
		if (err < 0 && !warned)
			pr_warn("storage report to gmon failed (%d); retrying", err);
		warned = err < 0;
		sleep_ns(err < 0 ? REPORT_RETRY : REPORT_INTERVAL);
	}
}

int disk_start(const struct node_config *cfg)
{
	static struct tfs_dev dev = { dev_read, dev_write, dev_flush, 0, NULL };
	struct tfs_statfs st;
	int err;

	wait_queue_init(&fs_wq);
	for (unsigned i = 0; i < cfg->npeers; i++)
		if (cfg->peers[i].role == ROLE_GMON)
			gmon = cfg->peers[i].id;
	dev.nblocks = blkdev_sectors() / SECTORS_PER_BLOCK;
	err = mount(&dev);
	if (err)
		return 0;	/* the node stays up, for its logs and counters */
	tfs_statfs(fs, &st);
	pr_info("file system mounted: generation %lu, %lu of %lu blocks free, %lu inodes",
		st.generation, st.free_blocks, st.blocks, st.inodes - st.free_inodes);
	if (!thread_create("tfs-commit", committer, NULL, 0))
		return -ENOMEM;
	if (gmon == 0xff) {
		pr_warn("no gmon in the cluster map: no storage reports");
		return 0;
	}
	return thread_create("storage-report", reporter, NULL, 0) ? 0 : -ENOMEM;
}
