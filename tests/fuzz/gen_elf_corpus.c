/*
 * Writes the ELF fuzzer's seeds into DIR (make fuzz-corpus): a typical static
 * executable and a static-pie, built with the host's <elf.h> as the unit tests
 * build theirs (tests/unit/elf_image.h).
 */
#include <stdio.h>
#include "../unit/elf_image.h"

static int save(const char *dir, const char *name, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(img, 1, len, f) != len || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int bad;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_elf_corpus DIR\n");
		return 2;
	}
	elf_build_static();
	bad = save(argv[1], "static", 0x1900);
	elf_build(ET_DYN, 0x100);
	elf_add(PT_PHDR, PF_R, 0x40, 0x40, 3 * sizeof(Elf64_Phdr), 3 * sizeof(Elf64_Phdr));
	elf_add(PT_LOAD, PF_R | PF_X, 0, 0, 0x1000, 0x1000);
	elf_add(PT_LOAD, PF_R | PF_W, 0x1000, 0x2000, 0x100, 0x200);
	bad += save(argv[1], "static_pie", 0x1100);
	return bad ? 1 : 0;
}
