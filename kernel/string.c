/*
 * The C memory and string routines the kernel and the portable code call
 * (include/lib/string.h). The compiler also emits calls to memcpy/memset itself.
 *
 * memcpy and memset move 8-byte words in a plain loop rather than with rep movsb
 * or rep stosb: under QEMU's TCG a rep string instruction runs one emulated
 * iteration per byte, and copies of 4 KiB pages sit on the message path. The
 * attribute keeps GCC from turning these loops back into calls to themselves.
 */
#include <stddef.h>
#include <stdint.h>
#include "lib/string.h"

#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

NO_LIBCALL void *memset(void *s, int c, size_t n)
{
	uint8_t *d = s;
	uint64_t word = 0x0101010101010101ULL * (uint8_t)c;

	for (; n >= 8; n -= 8, d += 8)
		__builtin_memcpy(d, &word, 8);
	while (n--)
		*d++ = (uint8_t)c;
	return s;
}

NO_LIBCALL void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	for (; n >= 32; n -= 32, d += 32, s += 32) {
		uint64_t a, b, e, f;

		__builtin_memcpy(&a, s, 8);
		__builtin_memcpy(&b, s + 8, 8);
		__builtin_memcpy(&e, s + 16, 8);
		__builtin_memcpy(&f, s + 24, 8);
		__builtin_memcpy(d, &a, 8);
		__builtin_memcpy(d + 8, &b, 8);
		__builtin_memcpy(d + 16, &e, 8);
		__builtin_memcpy(d + 24, &f, 8);
	}
	for (; n >= 8; n -= 8, d += 8, s += 8) {
		uint64_t a;

		__builtin_memcpy(&a, s, 8);
		__builtin_memcpy(d, &a, 8);
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n >= 8; n -= 8, x += 8, y += 8) {
		uint64_t u, v;

		__builtin_memcpy(&u, x, 8);
		__builtin_memcpy(&v, y, 8);
		if (u != v)
			break;
	}
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, SIZE_MAX);
}
