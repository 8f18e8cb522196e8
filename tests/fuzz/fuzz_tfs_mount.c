/*
 * libFuzzer target: an arbitrary disk image for tfs (tests/fuzz/fuzz.mk). Input: a
 * flags byte (FUZZ_TFS_*), then the image's first bytes; the rest of the small disk
 * is zeros. Mount, walk, change and check must never crash, leak or hang.
 */
#include "fuzz_tfs.h"

static struct fuzz_tfs f;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!f.img)
		fuzz_tfs_init(&f);
	fuzz_tfs_load(&f, data + 1, size - 1, data[0] & FUZZ_TFS_FIX_CRC);
	fuzz_tfs_run(&f, data[0]);
	return 0;
}
