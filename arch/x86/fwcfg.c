/*
 * QEMU's firmware configuration device, through its I/O ports: how each VM
 * receives its own boot configuration (opt/tessera/config) while every VM of a
 * role boots the same image.
 */
#include <stdint.h>
#include "kernel/errno.h"
#include "kernel/fwcfg.h"
#include "lib/string.h"
#include "x86.h"

#define FWCFG_SELECTOR	0x510
#define FWCFG_DATA	0x511
#define FWCFG_SIGNATURE	0x0000
#define FWCFG_FILE_DIR	0x0019

struct fwcfg_file {
	uint32_t size;		/* big-endian, like every fw_cfg number */
	uint16_t select;
	uint16_t reserved;
	char name[56];
};

static void read_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n--)
		*p++ = inb(FWCFG_DATA);
}

static uint32_t be32(uint32_t v)
{
	return __builtin_bswap32(v);
}

/* Copy up to len bytes of the named file into buf; returns the file's size or -ENOENT. */
int fwcfg_read_file(const char *name, void *buf, size_t len)
{
	char sig[4];
	uint32_t count;

	outw(FWCFG_SELECTOR, FWCFG_SIGNATURE);
	read_bytes(sig, sizeof(sig));
	if (memcmp(sig, "QEMU", 4))
		return -ENODEV;
	outw(FWCFG_SELECTOR, FWCFG_FILE_DIR);
	read_bytes(&count, sizeof(count));
	for (uint32_t i = 0; i < be32(count); i++) {
		struct fwcfg_file f;
		uint32_t size;

		read_bytes(&f, sizeof(f));
		f.name[sizeof(f.name) - 1] = '\0';
		if (strcmp(f.name, name))
			continue;
		size = be32(f.size);
		outw(FWCFG_SELECTOR, __builtin_bswap16(f.select));
		read_bytes(buf, size < len ? size : len);
		return (int)size;
	}
	return -ENOENT;
}
