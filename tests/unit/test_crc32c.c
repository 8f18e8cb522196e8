/*
 * The kernel's hardware CRC32C (arch/x86/crc32c.c, the SSE4.2 crc32 instruction)
 * must agree with net/'s table version bit for bit: they check the same frames.
 */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "kernel/arch.h"
#include "net/wire.h"

/* Before: nothing. After: the RFC 3720 check value for "123456789". */
static void crc32c_matches_the_standard_check_value(void)
{
	CHECK(crc32c(0, "123456789", 9) == 0xe3069283);
	if (arch_has_crc32c())
		CHECK(arch_crc32c(0, "123456789", 9) == 0xe3069283);
}

/* Every length 0..300 at every alignment 0..7, chained in two pieces. */
static void hardware_and_table_agree_on_every_length_and_alignment(void)
{
	uint8_t buf[320];

	if (!arch_has_crc32c())
		return;
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (size_t align = 0; align < 8; align++) {
		for (size_t len = 0; len <= 300; len++) {
			const uint8_t *p = buf + align;
			size_t cut = len / 3;

			CHECK(arch_crc32c(0, p, len) == crc32c(0, p, len));
			CHECK(arch_crc32c(arch_crc32c(0, p, cut), p + cut, len - cut) ==
			      crc32c(0, p, len));
		}
	}
}

static const struct unit_test tests[] = {
	TEST(crc32c_matches_the_standard_check_value),
	TEST(hardware_and_table_agree_on_every_length_and_alignment),
};

CHECK_MAIN("crc32c", tests)
