/*
 * Shared by tests/unit/test_tfs*.c: an in-memory disk for tfs that counts writes and
 * can crash (keeping what was flushed plus any subset, some torn, of what was not),
 * memory callbacks that count live blocks, and helpers to build small trees.
 */
#ifndef TESTS_UNIT_TFS_TEST_H
#define TESTS_UNIT_TFS_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "kernel/errno.h"
#include "scomponent/tfs.h"

#define SECTOR 512

/* A write not yet flushed: a crash may keep it, drop it, or keep a prefix of it. */
struct memdev_pending {
	uint64_t blk;
	uint8_t data[TFS_BLOCK_SIZE];
};

struct memdev {
	uint8_t *img;			/* what reads see */
	uint64_t nblocks;
	long writes, flushes;
	long fail_read_blk;		/* -1, or a block whose reads fail with -EIO */
	/* Crash simulation, when durable is set. */
	uint8_t *durable;		/* what survives a power cut for sure */
	struct memdev_pending *pend;
	size_t npend, cap;
	long crash_at;			/* crash during this write (1-based); 0: never */
	bool crashed;
	uint8_t *crash_img;
	uint64_t rng;
	void (*on_super)(void *arg, uint64_t gen);	/* a superblock is being written */
	void (*on_durable)(void *arg, uint64_t gen);	/* ... and is now flushed */
	void *arg;
	uint64_t unflushed_super;	/* gen of a superblock written since the last flush */
};

/* Disk images are reused: freeing and mapping megabytes per run would dominate. */
static uint8_t *img_pool[8];
static size_t img_pool_bytes[8];

static inline uint8_t *img_get(size_t bytes)
{
	for (int i = 0; i < 8; i++) {
		if (img_pool[i] && img_pool_bytes[i] == bytes) {
			uint8_t *p = img_pool[i];

			img_pool[i] = NULL;
			return p;
		}
	}
	return malloc(bytes);
}

static inline void img_put(uint8_t *p, size_t bytes)
{
	for (int i = 0; p && i < 8; i++) {
		if (!img_pool[i]) {
			img_pool[i] = p;
			img_pool_bytes[i] = bytes;
			return;
		}
	}
	free(p);
}

static long tfs_live;			/* blocks allocated through t_alloc, not freed */
static uint64_t tfs_clock;

static inline void *t_alloc(void *ctx, size_t size)
{
	(void)ctx;
	tfs_live++;
	return malloc(size);
}

static inline void t_free(void *ctx, void *p)
{
	(void)ctx;
	tfs_live--;
	free(p);
}

static inline uint64_t t_now(void *ctx)
{
	(void)ctx;
	return tfs_clock += 1000;
}

static const struct tfs_ops t_ops = { t_alloc, t_free, t_now, NULL };

static inline uint64_t memdev_rand(struct memdev *d)
{
	d->rng ^= d->rng << 13;
	d->rng ^= d->rng >> 7;
	d->rng ^= d->rng << 17;
	return d->rng;
}

/* The image at the moment of the crash: what was flushed, plus luck. */
static inline void memdev_crash(struct memdev *d)
{
	size_t i, bytes = d->nblocks * TFS_BLOCK_SIZE;

	d->crashed = true;
	d->crash_img = img_get(bytes);
	memcpy(d->crash_img, d->durable, bytes);
	for (i = 0; i < d->npend; i++) {
		uint64_t r = memdev_rand(d);
		size_t len = TFS_BLOCK_SIZE;

		if (r % 2)
			continue;		/* never reached the platter */
		if (r % 8 == 2)
			len = (size_t)(r >> 8) % (TFS_BLOCK_SIZE / SECTOR) * SECTOR;	/* torn */
		memcpy(d->crash_img + d->pend[i].blk * TFS_BLOCK_SIZE, d->pend[i].data, len);
	}
}

static inline int memdev_read(void *ctx, uint64_t blk, void *buf)
{
	struct memdev *d = ctx;

	if (blk >= d->nblocks || (long)blk == d->fail_read_blk)
		return -EIO;
	memcpy(buf, d->img + blk * TFS_BLOCK_SIZE, TFS_BLOCK_SIZE);
	return 0;
}

static inline void memdev_track(struct memdev *d, uint64_t blk, const void *buf)
{
	const struct tfs_super *sb = buf;

	if (d->npend == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->pend = realloc(d->pend, d->cap * sizeof(*d->pend));
	}
	d->pend[d->npend].blk = blk;
	memcpy(d->pend[d->npend++].data, buf, TFS_BLOCK_SIZE);
	if (blk < 2 && sb->h.magic == TFS_MAGIC_SUPER) {
		d->unflushed_super = sb->h.gen;
		if (d->on_super)
			d->on_super(d->arg, sb->h.gen);
	}
}

static inline int memdev_write(void *ctx, uint64_t blk, const void *buf)
{
	struct memdev *d = ctx;

	if (blk >= d->nblocks)
		return -EIO;
	if (d->crashed)
		return 0;
	d->writes++;
	memcpy(d->img + blk * TFS_BLOCK_SIZE, buf, TFS_BLOCK_SIZE);
	if (d->durable)
		memdev_track(d, blk, buf);
	if (d->durable && d->crash_at && d->writes == d->crash_at)
		memdev_crash(d);	/* this write was in flight too */
	return 0;
}

static inline int memdev_flush(void *ctx)
{
	struct memdev *d = ctx;
	size_t i;

	d->flushes++;
	if (d->crashed || !d->durable)
		return 0;
	for (i = 0; i < d->npend; i++)
		memcpy(d->durable + d->pend[i].blk * TFS_BLOCK_SIZE, d->pend[i].data,
		       TFS_BLOCK_SIZE);
	d->npend = 0;
	if (d->unflushed_super && d->on_durable)
		d->on_durable(d->arg, d->unflushed_super);
	d->unflushed_super = 0;
	return 0;
}

static inline struct tfs_dev memdev_dev(struct memdev *d)
{
	return (struct tfs_dev){ memdev_read, memdev_write, memdev_flush, d->nblocks, d };
}

static inline void memdev_init(struct memdev *d, uint64_t nblocks)
{
	memset(d, 0, sizeof(*d));
	tfs_live = 0;	/* a failed test before may have leaked (LeakSanitizer says) */
	d->nblocks = nblocks;
	d->img = img_get(nblocks * TFS_BLOCK_SIZE);
	memset(d->img, 0, nblocks * TFS_BLOCK_SIZE);
	d->fail_read_blk = -1;
}

/* Start recording for crashes from the image as it is now (all of it durable). */
static inline void memdev_arm(struct memdev *d, long crash_at, uint64_t seed)
{
	d->durable = img_get(d->nblocks * TFS_BLOCK_SIZE);
	memcpy(d->durable, d->img, d->nblocks * TFS_BLOCK_SIZE);
	d->crash_at = crash_at;
	d->rng = seed * 2654435761u + 1;
}

static inline void memdev_fini(struct memdev *d)
{
	size_t bytes = d->nblocks * TFS_BLOCK_SIZE;

	img_put(d->img, bytes);
	img_put(d->durable, bytes);
	img_put(d->crash_img, bytes);
	free(d->pend);
	memset(d, 0, sizeof(*d));
}

/* A formatted disk, mounted with a dirty limit (0: default) and (if small) 4x that cached. */
static inline struct tfs *t_fresh(struct memdev *d, uint64_t nblocks, uint32_t max_dirty)
{
	struct tfs_limits lim = { max_dirty, max_dirty < 1024 ? 4 * max_dirty : 0 };
	struct tfs_dev dev;
	struct tfs *fs = NULL;
	char err[128];

	memdev_init(d, nblocks);
	dev = memdev_dev(d);
	CHECK(tfs_format(&dev, &t_ops) == 0);
	CHECK(tfs_mount(&fs, &dev, &t_ops, &lim, err, sizeof(err)) == 0);
	return fs;
}

/* Mount d as it is; err gets the reason on failure. */
static inline int t_mount(struct memdev *d, struct tfs **fs, char *err, size_t errlen)
{
	struct tfs_dev dev = memdev_dev(d);

	return tfs_mount(fs, &dev, &t_ops, NULL, err, errlen);
}

static inline void t_report(void *arg, const char *problem)
{
	(void)arg;
	fprintf(stderr, "  check: %s\n", problem);
}

/* Commit, then the check must find nothing. */
static inline void t_sync_clean(struct tfs *fs)
{
	CHECK(tfs_sync(fs) == 0);
	CHECK(tfs_check(fs, t_report, NULL) == 0);
}

static inline uint64_t t_file(struct tfs *fs, uint64_t dir, const char *name, const char *text)
{
	uint64_t ino;

	CHECK(tfs_create(fs, dir, name, 0644, 0, 0, &ino) == 0);
	if (text)
		CHECK(tfs_write(fs, ino, 0, text, strlen(text)) == (long)strlen(text));
	return ino;
}

static inline uint64_t t_dir(struct tfs *fs, uint64_t dir, const char *name)
{
	uint64_t ino;

	CHECK(tfs_mkdir(fs, dir, name, 0755, 0, 0, &ino) == 0);
	return ino;
}

static inline uint64_t t_root(struct tfs *fs)
{
	uint64_t ino;

	CHECK(tfs_vnode_root(fs, 1, true, &ino) == 0);
	return ino;
}

#endif
