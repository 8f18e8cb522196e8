/*
 * The fuzzing harness for tfs (tests/fuzz/): a small in-memory disk loaded from the
 * input, optionally with every metadata checksum fixed so that mutations get past
 * them, then mounted, walked, changed and checked. Shared by the libFuzzer target
 * (fuzz_tfs_mount.c) and the seed generator (gen_tfs_corpus.c).
 */
#ifndef TESTS_FUZZ_FUZZ_TFS_H
#define TESTS_FUZZ_FUZZ_TFS_H

#include <stddef.h>
#include <stdint.h>
#include "scomponent/tfs.h"

#define FUZZ_TFS_BLOCKS TFS_MIN_BLOCKS	/* the disk: 1 MiB */

/*
 * Input: a flags byte, then blocks 0, 1, 2 ... of the disk, each as a little-endian
 * 16-bit length and that many bytes (cut short at the end); the rest of each block,
 * and every block not given, is zeros.
 */
#define FUZZ_TFS_FIX_CRC 0x01	/* stamp good checksums on every metadata block */
#define FUZZ_TFS_CHANGE 0x02	/* after the walk, change things and commit */

struct fuzz_tfs {
	uint8_t *img;			/* FUZZ_TFS_BLOCKS blocks */
	struct tfs_dev dev;
	long live;			/* allocations not freed */
};

extern const struct tfs_ops fuzz_tfs_ops;

void fuzz_tfs_init(struct fuzz_tfs *f);
/* Load the disk from the block records after the flags byte, fixing checksums if asked. */
void fuzz_tfs_load(struct fuzz_tfs *f, const uint8_t *in, size_t len, bool fix_crc);
/* The records for the first nblocks blocks of the disk, into out; returns the length. */
size_t fuzz_tfs_save(const struct fuzz_tfs *f, uint8_t *out, size_t nblocks);
/* Mount, walk everything, maybe change things, check; never more than that. */
void fuzz_tfs_run(struct fuzz_tfs *f, uint8_t flags);

#endif
