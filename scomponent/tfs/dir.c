/*
 * tfs directories: files of TFS_MAGIC_DIR blocks holding variable-length entries,
 * searched linearly. "." and ".." are not stored: the inode's parent field stands for
 * "..". Used by the namespace operations (ns.c) and path resolution (path.c).
 */
#include "tfs_int.h"
#include "kernel/errno.h"
#include "lib/string.h"

#define FIRST_REC sizeof(struct tfs_bhdr)

/* Where an entry sits: block idx of the directory, byte off in it. */
struct dir_pos {
	uint64_t idx;
	size_t off;
};

static size_t rec_size(size_t namelen)
{
	return (offsetof(struct tfs_dirent, name) + namelen + 7) & ~(size_t)7;
}

static struct tfs_dirent *rec(uint8_t *data, size_t off)
{
	return (struct tfs_dirent *)(data + off);
}

uint8_t tfs_dtype(uint32_t mode)
{
	switch (tfs_type(mode)) {
	case TFS_S_IFDIR:
		return TFS_DT_DIR;
	case TFS_S_IFLNK:
		return TFS_DT_LNK;
	default:
		return TFS_DT_REG;
	}
}

static bool name_valid(const struct tfs_dirent *r)
{
	size_t i;

	if (r->namelen == 0 || (r->namelen == 1 && r->name[0] == '.') ||
	    (r->namelen == 2 && r->name[0] == '.' && r->name[1] == '.'))
		return false;
	for (i = 0; i < r->namelen; i++)
		if (r->name[i] == '/' || r->name[i] == '\0')
			return false;
	return true;
}

/* Whether a directory block's entries tile it exactly with sane names and types. */
bool tfs_dir_block_ok(const uint8_t *data)
{
	size_t off = FIRST_REC;

	while (off < TFS_BLOCK_SIZE) {
		const struct tfs_dirent *r = (const void *)(data + off);

		if (TFS_BLOCK_SIZE - off < rec_size(0) || r->reclen < rec_size(0) ||
		    r->reclen % 8 || r->reclen > TFS_BLOCK_SIZE - off)
			return false;
		if (r->ino && (rec_size(r->namelen) > r->reclen || !name_valid(r) ||
			       (r->type != TFS_DT_DIR && r->type != TFS_DT_REG &&
				r->type != TFS_DT_LNK)))
			return false;
		off += r->reclen;
	}
	return true;
}

/* Block idx of a directory (entries checked on reading), held in *bp; NULL for a hole. */
static int dir_block(struct tfs *fs, const struct tfs_dinode *di, uint32_t slot, uint64_t idx,
		     struct tfs_buf **bp)
{
	struct tfs_want want = { TFS_MAGIC_DIR, slot, (uint32_t)idx };
	uint64_t blk;
	int rc = tfs_bmap_get(fs, di, slot, idx, &blk);

	*bp = NULL;
	if (rc < 0 || !blk)
		return rc;
	rc = tfs_buf_read(fs, blk, &want, bp);
	if (rc < 0)
		*bp = NULL;
	return rc;
}

static int dir_get(struct tfs *fs, uint64_t dir, struct tfs_dinode *di)
{
	int rc = tfs_iget(fs, dir, di);

	if (rc < 0)
		return rc;
	return tfs_type(di->mode) == TFS_S_IFDIR ? 0 : -ENOTDIR;
}

/*
 * Scan the entries of a directory: match() decides per entry; the first match's place
 * goes in *pos. -ENOENT if none matches.
 */
static int dir_scan(struct tfs *fs, const struct tfs_dinode *di, uint32_t slot,
		    bool (*match)(struct tfs_dirent *r, void *arg), void *arg,
		    struct dir_pos *pos)
{
	uint64_t idx, nblk = di->size / TFS_BLOCK_SIZE;
	struct tfs_buf *b;
	size_t off;
	int rc;

	for (idx = 0; idx < nblk; idx++) {
		rc = dir_block(fs, di, slot, idx, &b);
		if (rc < 0)
			return rc;
		if (!b)
			continue;
		for (off = FIRST_REC; off < TFS_BLOCK_SIZE; off += rec(b->data, off)->reclen) {
			if (match(rec(b->data, off), arg)) {
				pos->idx = idx;
				pos->off = off;
				tfs_buf_put(fs, b);
				return 0;
			}
		}
		tfs_buf_put(fs, b);
	}
	return -ENOENT;
}

struct name_key {
	const char *name;
	size_t len;
	uint64_t ino;
	uint8_t type;
};

static bool match_name(struct tfs_dirent *r, void *arg)
{
	struct name_key *k = arg;

	if (!r->ino || r->namelen != k->len || memcmp(r->name, k->name, k->len))
		return false;
	k->ino = r->ino;
	k->type = r->type;
	return true;
}

static bool match_room(struct tfs_dirent *r, void *arg)
{
	size_t need = *(size_t *)arg;

	return r->reclen - (r->ino ? rec_size(r->namelen) : 0) >= need;
}

static bool match_any(struct tfs_dirent *r, void *arg)
{
	(void)arg;
	return r->ino != 0;
}

/* The entry k names in directory dir: its inode in *di, where it is in *pos, k filled. */
static int entry_find(struct tfs *fs, uint64_t dir, struct name_key *k, struct tfs_dinode *di,
		      struct dir_pos *pos)
{
	int rc = dir_get(fs, dir, di);

	if (rc < 0)
		return rc;
	rc = dir_scan(fs, di, tfs_slot(dir), match_name, k, pos);
	return rc < 0 ? rc : 0;
}

int tfs_dir_find(struct tfs *fs, uint64_t dir, const char *name, size_t len, uint64_t *ino,
		 uint8_t *type)
{
	struct name_key k = { name, len, 0, 0 };
	struct tfs_dinode di;
	struct dir_pos pos;
	int rc = entry_find(fs, dir, &k, &di, &pos);

	if (rc < 0)
		return rc;
	*ino = k.ino;
	*type = k.type;
	return 0;
}

/* -ENOTEMPTY unless the directory holds no entries. */
int tfs_dir_empty(struct tfs *fs, uint64_t dir)
{
	struct tfs_dinode di;
	struct dir_pos pos;
	int rc = dir_get(fs, dir, &di);

	if (rc < 0)
		return rc;
	rc = dir_scan(fs, &di, tfs_slot(dir), match_any, NULL, &pos);
	return rc == -ENOENT ? 0 : rc < 0 ? rc : -ENOTEMPTY;
}

/* Append an empty block to the directory; its one record is free space. */
static int dir_extend(struct tfs *fs, struct tfs_dinode *di, uint32_t slot,
		      struct dir_pos *pos)
{
	uint64_t idx = di->size / TFS_BLOCK_SIZE;
	struct tfs_want want = { TFS_MAGIC_DIR, slot, (uint32_t)idx };
	struct tfs_buf *b;
	int rc;

	if (idx >= UINT32_MAX)
		return -EFBIG;
	rc = tfs_bmap_cow(fs, di, slot, idx, &want, false, &b);
	if (rc < 0)
		return rc;
	rec(b->data, FIRST_REC)->reclen = TFS_BLOCK_SIZE - FIRST_REC;
	tfs_buf_put(fs, b);
	di->size += TFS_BLOCK_SIZE;
	pos->idx = idx;
	pos->off = FIRST_REC;
	return 0;
}

/*
 * Block pos->idx of the directory made writable, held in *bp; edit() changes it, then
 * the inode is written back with new times.
 */
static int dir_edit(struct tfs *fs, uint64_t dir, struct tfs_dinode *di, const struct dir_pos *pos,
		    void (*edit)(uint8_t *data, size_t off, void *arg), void *arg)
{
	uint32_t slot = tfs_slot(dir);
	struct tfs_want want = { TFS_MAGIC_DIR, slot, (uint32_t)pos->idx };
	struct tfs_buf *b;
	int rc = tfs_bmap_cow(fs, di, slot, pos->idx, &want, false, &b);

	if (rc == 0) {
		edit(b->data, pos->off, arg);
		tfs_buf_put(fs, b);
	}
	di->mtime = di->ctime = tfs_now(fs);
	return rc < 0 ? rc : tfs_inode_write(fs, slot, di);
}

static void fill(struct tfs_dirent *r, const struct name_key *k)
{
	r->ino = k->ino;
	r->type = k->type;
	r->namelen = (uint8_t)k->len;
	memcpy(r->name, k->name, k->len);
}

/* Put the entry into the record at off: in it if free, else in its slack. */
static void edit_add(uint8_t *data, size_t off, void *arg)
{
	struct tfs_dirent *r = rec(data, off), *n;
	size_t used;

	if (!r->ino) {
		fill(r, arg);
		return;
	}
	used = rec_size(r->namelen);
	n = rec(data, off + used);
	n->reclen = (uint16_t)(r->reclen - used);
	r->reclen = (uint16_t)used;
	fill(n, arg);
}

int tfs_dir_add(struct tfs *fs, uint64_t dir, const char *name, size_t len, uint64_t ino,
		uint8_t type)
{
	struct name_key k = { name, len, ino, type };
	size_t need = rec_size(len);
	struct tfs_dinode di;
	struct dir_pos pos;
	int rc = dir_get(fs, dir, &di);

	if (rc < 0)
		return rc;
	rc = dir_scan(fs, &di, tfs_slot(dir), match_room, &need, &pos);
	if (rc == -ENOENT)
		rc = dir_extend(fs, &di, tfs_slot(dir), &pos);
	if (rc < 0)
		return rc;
	return dir_edit(fs, dir, &di, &pos, edit_add, &k);
}

/* Drop the entry at off: merged into the one before it, or marked free if first. */
static void edit_remove(uint8_t *data, size_t off, void *arg)
{
	size_t prev = FIRST_REC;

	(void)arg;
	if (off == FIRST_REC) {
		rec(data, off)->ino = 0;
		rec(data, off)->namelen = 0;
		return;
	}
	while (prev + rec(data, prev)->reclen != off)
		prev += rec(data, prev)->reclen;
	rec(data, prev)->reclen += rec(data, off)->reclen;
}

static void edit_replace(uint8_t *data, size_t off, void *arg)
{
	const struct name_key *k = arg;

	rec(data, off)->ino = k->ino;
	rec(data, off)->type = k->type;
}

/* Find name and apply edit to its entry. */
static int dir_change(struct tfs *fs, uint64_t dir, const char *name, size_t len,
		      void (*edit)(uint8_t *data, size_t off, void *arg), uint64_t ino,
		      uint8_t type)
{
	struct name_key k = { name, len, 0, 0 };
	struct tfs_dinode di;
	struct dir_pos pos;
	int rc = entry_find(fs, dir, &k, &di, &pos);

	if (rc < 0)
		return rc;
	k.ino = ino;
	k.type = type;
	return dir_edit(fs, dir, &di, &pos, edit, &k);
}

int tfs_dir_remove(struct tfs *fs, uint64_t dir, const char *name, size_t len)
{
	return dir_change(fs, dir, name, len, edit_remove, 0, 0);
}

int tfs_dir_replace(struct tfs *fs, uint64_t dir, const char *name, size_t len,
		    uint64_t ino, uint8_t type)
{
	return dir_change(fs, dir, name, len, edit_replace, ino, type);
}

static void out_entry(struct tfs_dirent_out *e, uint64_t ino, uint8_t type, const char *name,
		      size_t len, uint64_t next)
{
	e->ino = ino;
	e->type = type;
	e->next = next;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
}

/* Entries of block idx at or past byte off into ents[*n..max); *cookie follows them. */
static int readdir_block(struct tfs *fs, const struct tfs_dinode *di, uint32_t slot,
			 uint64_t idx, size_t from, struct tfs_dirent_out *ents, size_t *n,
			 size_t max, uint64_t *cookie)
{
	struct tfs_buf *b;
	size_t off;
	int rc = dir_block(fs, di, slot, idx, &b);

	if (rc < 0 || !b)
		return rc;
	for (off = FIRST_REC; off < TFS_BLOCK_SIZE && *n < max; off += rec(b->data, off)->reclen) {
		struct tfs_dirent *r = rec(b->data, off);

		*cookie = idx * TFS_BLOCK_SIZE + off + r->reclen;
		if (off < from || !r->ino)
			continue;
		out_entry(&ents[(*n)++], r->ino, r->type, r->name, r->namelen, *cookie);
	}
	tfs_buf_put(fs, b);
	return 0;
}

/*
 * Cookies: 0 and 1 stand before "." and ".."; past them a cookie is the byte position
 * (block * 4096 + offset) of the next record to look at, which deleting other entries
 * never moves.
 */
int tfs_readdir(struct tfs *fs, uint64_t dir, uint64_t *cookie, struct tfs_dirent_out *ents,
		size_t max)
{
	struct tfs_dinode di;
	size_t n = 0;
	int rc = dir_get(fs, dir, &di);

	if (rc < 0)
		return rc;
	if (*cookie == 0 && n < max) {
		out_entry(&ents[n++], dir, TFS_DT_DIR, ".", 1, 1);
		*cookie = 1;
	}
	if (*cookie == 1 && n < max) {
		out_entry(&ents[n++], di.parent, TFS_DT_DIR, "..", 2, 2);
		*cookie = 2;
	}
	while (*cookie >= 2 && n < max && *cookie / TFS_BLOCK_SIZE < di.size / TFS_BLOCK_SIZE) {
		uint64_t idx = *cookie / TFS_BLOCK_SIZE, from = *cookie % TFS_BLOCK_SIZE;

		*cookie = (idx + 1) * TFS_BLOCK_SIZE;
		rc = readdir_block(fs, &di, tfs_slot(dir), idx, (size_t)from, ents, &n, max, cookie);
		if (rc < 0)
			return rc;
	}
	return (int)n;
}
