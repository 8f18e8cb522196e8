/*
 * libFuzzer target: arbitrary bytes as frames into net_input (tests/fuzz/fuzz.mk).
 * Input: a scenario byte (FUZZ_S_*), then records of a control byte (FUZZ_C_*), a
 * little-endian 16-bit length and that many frame bytes (cut short at the end).
 */
#include "fuzz_net.h"

static struct fuzz f;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 1;

	if (size < 1)
		return 0;
	fuzz_setup(&f, data[0]);
	while (pos + 3 <= size) {
		uint8_t ctl = data[pos];
		size_t len = (size_t)data[pos + 1] | (size_t)data[pos + 2] << 8;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		fuzz_frame(&f, ctl, data + pos, len);
		pos += len;
	}
	fuzz_teardown(&f);
	return 0;
}
