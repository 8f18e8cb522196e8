/*
 * libFuzzer target: an arbitrary program image for the ELF loader's parser
 * (mcomponent/elf.c, tests/fuzz/fuzz.mk), as execve or the host hands exec one.
 * elf_parse must refuse or describe it without reading outside the image; every
 * page it describes must then be buildable, and only from inside the image.
 */
#include <stdlib.h>
#include <string.h>
#include "mcomponent/elf.h"

struct buf {
	const uint8_t *data;
	size_t size;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int buf_read(void *ctx, uint64_t off, void *out, size_t len)
{
	const struct buf *b = ctx;

	if (off > b->size || len > b->size - off)
		abort();		/* the parser promised to check first */
	memcpy(out, b->data + off, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t page[ELF_PAGE];
	struct buf b = { data, size };
	struct elf_image img = { buf_read, &b, size };
	struct elf_info info;
	uint64_t va;
	unsigned pages = 0;

	if (elf_parse(&img, &info))
		return 0;
	for (va = elf_next_file_page(&info, 0); va && pages < 64;
	     va = elf_next_file_page(&info, va + ELF_PAGE), pages++)
		if (elf_page(&img, &info, va, page))
			abort();
	return 0;
}
