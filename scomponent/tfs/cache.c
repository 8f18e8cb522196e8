/*
 * tfs's block cache: every block tfs reads or writes passes through it. Clean blocks
 * no one holds are evicted least recently used first beyond max_cache; dirty blocks
 * stay until the commit writes them (tfs_cache_write_dirty, from super.c).
 */
#include "tfs_int.h"
#include "kernel/errno.h"
#include "lib/string.h"
#include "net/wire.h"

static struct tfs_buf **chain(struct tfs *fs, uint64_t blk)
{
	uint64_t h = blk * 0x9e3779b97f4a7c15ULL;

	return &fs->hash[(h >> 32) & (fs->nhash - 1)];
}

int tfs_cache_init(struct tfs *fs, const struct tfs_limits *lim)
{
	fs->max_dirty = lim && lim->max_dirty_blocks ? lim->max_dirty_blocks : TFS_DEFAULT_DIRTY;
	fs->max_cache = lim && lim->max_cache_blocks ? lim->max_cache_blocks : TFS_DEFAULT_CACHE;
	fs->nhash = 64;
	while (fs->nhash < fs->max_cache / 2 && fs->nhash < (1u << 16))
		fs->nhash *= 2;
	fs->hash = tfs_zalloc(fs, fs->nhash * sizeof(*fs->hash));
	if (!fs->hash)
		return -ENOMEM;
	fs->lru.prev = fs->lru.next = &fs->lru;
	return 0;
}

static void buf_release(struct tfs *fs, struct tfs_buf *b)
{
	tfs_free(fs, b->data);
	tfs_free(fs, b);
	fs->ncached--;
}

void tfs_cache_fini(struct tfs *fs)
{
	size_t i;

	if (!fs->hash)
		return;
	for (i = 0; i < fs->nhash; i++) {
		while (fs->hash[i]) {
			struct tfs_buf *b = fs->hash[i];

			fs->hash[i] = b->hnext;
			buf_release(fs, b);
		}
	}
	tfs_free(fs, fs->hash);
	fs->hash = NULL;
}

static void lru_del(struct tfs_buf *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static void lru_add(struct tfs *fs, struct tfs_buf *b)
{
	b->prev = fs->lru.prev;
	b->next = &fs->lru;
	fs->lru.prev->next = b;
	fs->lru.prev = b;
}

static void unhash(struct tfs *fs, struct tfs_buf *b)
{
	struct tfs_buf **link = chain(fs, b->blk);

	while (*link != b)
		link = &(*link)->hnext;
	*link = b->hnext;
}

/* Forget a block no one holds (it is clean, or its dirt no longer matters). */
static void drop(struct tfs *fs, struct tfs_buf *b)
{
	if (b->prev)
		lru_del(b);
	unhash(fs, b);
	buf_release(fs, b);
}

static void evict(struct tfs *fs)
{
	while (fs->ncached > fs->max_cache && fs->lru.next != &fs->lru)
		drop(fs, fs->lru.next);
}

/* The cached block blk, held; *found says whether its contents are there already. */
static int buf_get(struct tfs *fs, uint64_t blk, struct tfs_buf **bp, bool *found)
{
	struct tfs_buf *b;

	for (b = *chain(fs, blk); b && b->blk != blk; b = b->hnext)
		;
	*found = b != NULL;
	if (b) {
		if (b->prev)
			lru_del(b);
		b->refs++;
		*bp = b;
		return 0;
	}
	b = tfs_zalloc(fs, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->data = fs->ops.alloc(fs->ops.ctx, TFS_BLOCK_SIZE);
	if (!b->data) {
		tfs_free(fs, b);
		return -ENOMEM;
	}
	b->blk = blk;
	b->refs = 1;
	b->hnext = *chain(fs, blk);
	*chain(fs, blk) = b;
	fs->ncached++;
	evict(fs);
	*bp = b;
	return 0;
}

void tfs_buf_put(struct tfs *fs, struct tfs_buf *b)
{
	if (--b->refs == 0 && !b->dirty)
		lru_add(fs, b);
	evict(fs);
}

/* The checksum of a block, computed as if its crc field were 0. */
static uint32_t block_crc(const uint8_t *block)
{
	static const uint8_t zero[4];
	uint32_t crc = crc32c(0, block, 4);

	crc = crc32c(crc, zero, 4);
	return crc32c(crc, block + 8, TFS_BLOCK_SIZE - 8);
}

void tfs_stamp(void *block, uint64_t gen)
{
	struct tfs_bhdr *h = block;

	h->gen = gen;
	h->crc = block_crc(block);
}

/* Whether a block read from blk is the metadata block want describes, intact. */
int tfs_verify(const void *block, uint64_t blk, const struct tfs_want *want)
{
	const struct tfs_bhdr *h = block;

	if (h->magic != want->magic || h->blkno != blk || h->owner != want->owner ||
	    h->aux != want->aux)
		return -EUCLEAN;
	return h->crc == block_crc(block) ? 0 : -EUCLEAN;
}

/* Header fields only: for blocks whose checksum was verified when they were read. */
static bool header_matches(const struct tfs_buf *b, const struct tfs_want *want)
{
	const struct tfs_bhdr *h = (const void *)b->data;

	return h->magic == want->magic && h->owner == want->owner && h->aux == want->aux;
}

/*
 * Block blk, held, read from the disk unless cached. A metadata block (want->magic)
 * must carry the header want describes and a good checksum (a directory block, sound
 * entries too), checked once when read: else -EUCLEAN.
 */
int tfs_buf_read(struct tfs *fs, uint64_t blk, const struct tfs_want *want,
		 struct tfs_buf **bp)
{
	struct tfs_buf *b;
	bool found;
	int rc;

	if (blk < 2 || blk >= fs->nblocks)
		return -EUCLEAN;
	rc = buf_get(fs, blk, &b, &found);
	if (rc < 0)
		return rc;
	if (!found) {
		rc = fs->dev.read(fs->dev.ctx, blk, b->data);
		if (rc < 0)
			goto out_drop;
	}
	if (want->magic && !b->checked) {
		rc = tfs_verify(b->data, blk, want);
		if (rc == 0 && want->magic == TFS_MAGIC_DIR && !tfs_dir_block_ok(b->data))
			rc = -EUCLEAN;
		if (rc < 0)
			goto out_drop;
		b->checked = true;
	}
	if (want->magic && !header_matches(b, want)) {
		tfs_buf_put(fs, b);
		return -EUCLEAN;
	}
	b->meta = want->magic != 0;
	*bp = b;
	return 0;

out_drop:
	if (--b->refs == 0)
		drop(fs, b);
	return rc;
}

static void make_dirty(struct tfs *fs, struct tfs_buf *b)
{
	if (b->dirty)
		return;
	b->dirty = true;
	b->dnext = fs->dirty;
	fs->dirty = b;
	fs->ndirty++;
}

/* Block blk, newly allocated: zeroed, with want's header if metadata, held and dirty. */
int tfs_buf_new(struct tfs *fs, uint64_t blk, const struct tfs_want *want,
		struct tfs_buf **bp)
{
	struct tfs_buf *b;
	bool found;
	int rc = buf_get(fs, blk, &b, &found);

	if (rc < 0)
		return rc;
	memset(b->data, 0, TFS_BLOCK_SIZE);
	b->meta = want->magic != 0;
	b->checked = true;
	if (b->meta) {
		struct tfs_bhdr *h = (void *)b->data;

		h->magic = want->magic;
		h->blkno = blk;
		h->owner = want->owner;
		h->aux = want->aux;
	}
	make_dirty(fs, b);
	*bp = b;
	return 0;
}

/* Write every dirty block still allocated, metadata stamped with gen. */
int tfs_cache_write_dirty(struct tfs *fs, uint64_t gen)
{
	struct tfs_buf *b;
	int rc;

	for (b = fs->dirty; b; b = b->dnext) {
		if (!tfs_bit(fs->used, b->blk))
			continue;
		if (b->meta)
			tfs_stamp(b->data, gen);
		rc = fs->dev.write(fs->dev.ctx, b->blk, b->data);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* After a commit: the dirty blocks are committed ones now (no longer fresh); freed ones go. */
void tfs_cache_clean(struct tfs *fs)
{
	struct tfs_buf *b, *next;

	for (b = fs->dirty; b; b = next) {
		next = b->dnext;
		b->dnext = NULL;
		b->dirty = false;
		tfs_bit_clear(fs->fresh, b->blk);
		if (b->refs)
			continue;
		if (tfs_bit(fs->used, b->blk))
			lru_add(fs, b);
		else
			drop(fs, b);
	}
	fs->dirty = NULL;
	fs->ndirty = 0;
	evict(fs);
}
