/*
 * One write(2) of a buffer far larger than the ExCache, from an unaligned address,
 * so that the copy of nearly every page faults while earlier bytes of the same
 * message are already copied; then the same bytes again through writev(2).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(1, p, n);

		if (k <= 0) {
			perror("write");
			exit(1);
		}
		p += k;
		n -= (size_t)k;
	}
}

int main(int argc, char **argv)
{
	size_t kib = argc > 1 ? strtoul(argv[1], NULL, 0) : 6144, n = kib * 1024;
	char *buf = malloc(n + 1);
	struct iovec iov[3];
	uint32_t x = 12345;

	if (!buf)
		return 1;
	for (size_t i = 0; i < n + 1; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (char)('a' + (x >> 16) % 26);
	}
	write_all(buf + 1, n);
	iov[0] = (struct iovec){ buf + 7, 4093 };
	iov[1] = (struct iovec){ buf + n / 2 + 3, n / 3 };
	iov[2] = (struct iovec){ buf + 1, n / 5 };
	if (writev(1, iov, 3) != (ssize_t)(4093 + n / 3 + n / 5)) {
		perror("writev");
		return 1;
	}
	fprintf(stderr, "bigwrite: %zu KiB\n", kib);
	return 0;
}
