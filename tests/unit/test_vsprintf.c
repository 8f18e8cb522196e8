/*
 * Host tests for kernel/vsprintf.c: every supported conversion compared with the host's
 * snprintf at every truncation point, plus the cases where we define the output.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "lib/printf.h"

/* kvsnprintf into an exact-size heap buffer, so ASan sees any write past size. */
static int format_into(char *out, size_t size, const char *fmt, va_list ap)
{
	char *buf = size ? malloc(size) : NULL;
	int n;

	CHECK(size == 0 || buf);
	n = kvsnprintf(buf, size, fmt, ap);
	if (size)
		memcpy(out, buf, size);
	free(buf);
	return n;
}

/*
 * Format with kvsnprintf and the host's vsnprintf, into buffers of every size from 0
 * to one past the full length, and require identical bytes and return values.
 */
static void same_at(const char *file, int line, const char *fmt, va_list ap)
{
	char want[512], got[512];
	int full, size;

	for (size = 0; size < (int)sizeof(want); size++) {
		va_list a1, a2;
		int nw, ng;

		va_copy(a1, ap);
		va_copy(a2, ap);
		memset(want, 0x7e, sizeof(want));
		memset(got, 0x7e, sizeof(got));
		nw = vsnprintf(want, (size_t)size, fmt, a1);
		ng = format_into(got, (size_t)size, fmt, a2);
		va_end(a1);
		va_end(a2);
		if (nw != ng || memcmp(want, got, (size_t)size) != 0) {
			fprintf(stderr, "%s:%d: format \"%s\" size %d: want %d \"%.*s\", got %d \"%.*s\"\n",
				file, line, fmt, size, nw, size, want, ng, size, got);
			CHECK(!"kvsnprintf differs from vsnprintf");
		}
		full = nw;
		if (size > full)
			break;
	}
}

/* Unchecked by -Wformat: for run-time formats and for flag mixes gcc calls redundant. */
static void same(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	same_at(file, line, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void same_checked(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	same_at(file, line, fmt, ap);
	va_end(ap);
}

#define SAME(...) same_checked(__FILE__, __LINE__, __VA_ARGS__)
#define SAME_MIXED_FLAGS(...) same(__FILE__, __LINE__, __VA_ARGS__)

/* For what -Wformat would refuse at compile time: odd formats, NULL strings. */
static int raw(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void printf_plain_text_and_percent(void)
{
	SAME("%s", "");
	SAME("hello, world");
	SAME("100%%");
	SAME("%%d%%%d%%", 5);
	SAME("a%cb", 'x');
}

static void printf_signed_decimal_matches_c(void)
{
	SAME("%d %i", 0, 0);
	SAME("%d|%d|%d", 1, -1, 123456789);
	SAME("%d %d", INT_MAX, INT_MIN);
	SAME("[%5d] [%-5d] [%05d]", -42, -42, -42);
	SAME("[%+d] [% d] [%+d] [% d]", 5, 5, -5, -5);
	SAME("[%+05d] [% 05d] [%+5d]", 5, 5, 0);
	SAME("[%.3d] [%.0d] [%5.0d] [%-+8.3d] [%.10d]", 7, 0, 0, -7, INT_MIN);
	SAME_MIXED_FLAGS("[%-05d] [%+ d] [%08.3d] [%-+ 0#8.3d]", 42, 5, 7, 9);
	SAME("[%+.0d] [% .0d] [%+3.0d]", 0, 0, 0);
}

static void printf_unsigned_hex_octal_match_c(void)
{
	SAME("%u %u %u", 0u, 1u, UINT_MAX);
	SAME("%x %X %x", 0xdeadbeefu, 0xdeadbeefu, 0u);
	SAME("%o %o %o", 0u, 8u, UINT_MAX);
	SAME("[%#x] [%#x] [%#X] [%#10x] [%#-10x] [%#010x]", 0u, 255u, 255u, 255u, 255u, 255u);
	SAME("[%#o] [%#o] [%#.0o] [%#5o] [%#.5o] [%#.0x]", 0u, 8u, 0u, 8u, 8u, 0u);
	SAME("[%.0u] [%.0x] [%.0o] [%3.0u]", 0u, 0u, 0u, 0u);
	SAME("[%08x] [%-8X] [%.6o]", 0xabcu, 0xabcu, 8u);
	SAME_MIXED_FLAGS("[%012.4x] [%-#012o]", 0xabcu, 8u);
}

static void printf_length_modifiers_match_c(void)
{
	SAME("%hhd %hhd %hhu %hhx", (signed char)-56, (signed char)127, (unsigned char)200,
	     (unsigned char)255);
	SAME("%hd %hu %hx", (short)-30000, (unsigned short)65535, (unsigned short)0xbeef);
	SAME("%ld %ld %lu %lx", LONG_MIN, LONG_MAX, ULONG_MAX, 0x123456789abcdefUL);
	SAME("%lld %lld %llu %llo", LLONG_MIN, LLONG_MAX, ULLONG_MAX, ULLONG_MAX);
	SAME("%zu %zx %zd", SIZE_MAX, (size_t)4096, (ssize_t)-5);
	SAME("%td %td %tx", (ptrdiff_t)-9, PTRDIFF_MIN, (ptrdiff_t)0x7f);
	SAME("%jd %jd %ju %jX", INTMAX_MIN, INTMAX_MAX, UINTMAX_MAX, UINTMAX_MAX);
	SAME("[%+20lld] [%-20lld] [%020lld]", LLONG_MIN, LLONG_MIN, LLONG_MIN);
}

/* Values that do not fit hh/h are converted like C does (argument promoted, then cut). */
static void printf_hh_and_h_truncate_like_c(void)
{
	char want[64], got[64];

	snprintf(want, sizeof(want), "%hhd %hhu %hd %hu", (signed char)300, (unsigned char)300,
		 (short)70000, (unsigned short)70000);
	ksnprintf(got, sizeof(got), "%hhd %hhu %hd %hu", (signed char)300, (unsigned char)300,
		  (short)70000, (unsigned short)70000);
	CHECK_STREQ(got, want);
	CHECK(raw(got, sizeof(got), "%hhd %hhu %hd %hu", 300, 300, 70000, 70000) == 15);
	CHECK_STREQ(got, "44 44 4464 4464");
}

static void printf_chars_and_strings_match_c(void)
{
	static const char unterminated[3] = { 'a', 'b', 'c' };

	SAME("[%c] [%5c] [%-5c]", 'A', 'B', 'C');
	SAME("[%s] [%10s] [%-10s] [%.3s] [%10.3s] [%-10.3s]", "hello", "hello", "hello",
	     "hello", "hello", "hello");
	SAME("[%.0s] [%.10s] [%s]", "abc", "abc", "");
	SAME("%.3s", unterminated);
	SAME("%.*s", 2, unterminated);
}

static void printf_star_width_and_precision_match_c(void)
{
	SAME("[%*d] [%*d] [%-*d]", 5, 42, -5, 42, 5, 42);
	SAME("[%.*d] [%.*d] [%*.*d]", 3, 7, -1, 7, 6, 3, 7);
	SAME("[%*.*s] [%-*.*s] [%.*s]", 8, 2, "abcdef", 8, 2, "abcdef", -1, "abcdef");
	SAME("[%0*d] [%0*x]", 6, -12, -6, 0xfu);
}

static void printf_mixed_conversions_match_c(void)
{
	SAME("pmon%u: %s at %#lx (%d pages, %zu bytes) %c%%", 3u, "fault", 0xffff800000001000UL,
	     -1, (size_t)123456, '!');
	SAME("%s=%d %s=%x %s=%llu", "a", 1, "b", 0xffu, "c", 18446744073709551615ULL);
}

/* Output longer than the 512-byte comparison buffer stays correct. */
static void printf_long_output_is_counted_in_full(void)
{
	char small[16];

	CHECK(ksnprintf(small, sizeof(small), "%600d|", 1) == 601);
	CHECK_STREQ(small, "               ");
	CHECK(ksnprintf(small, sizeof(small), "%-600d|", 1) == 601);
	CHECK_STREQ(small, "1              ");
}

/* size 0 writes nothing (buf may be NULL) yet still returns the full length. */
static void printf_size_zero_writes_nothing(void)
{
	char buf[4] = "xyz";

	CHECK(ksnprintf(NULL, 0, "%d-%s", 12345, "abc") == 9);
	CHECK(ksnprintf(buf, 0, "%d", 1) == 1);
	CHECK_STREQ(buf, "xyz");
	CHECK(ksnprintf(buf, 1, "%d", 1) == 1);
	CHECK_STREQ(buf, "");
}

/* %p is always 0x and 16 hex digits, NULL included (glibc would print "(nil)"). */
static void printf_pointer_is_0x_and_16_hex_digits(void)
{
	char buf[64];

	CHECK(ksnprintf(buf, sizeof(buf), "%p", (void *)0x1234) == 18);
	CHECK_STREQ(buf, "0x0000000000001234");
	ksnprintf(buf, sizeof(buf), "%p", NULL);
	CHECK_STREQ(buf, "0x0000000000000000");
	ksnprintf(buf, sizeof(buf), "%p", (void *)UINTPTR_MAX);
	CHECK_STREQ(buf, "0xffffffffffffffff");
	ksnprintf(buf, sizeof(buf), "[%20p] [%-20p]", (void *)0xabc, (void *)0xabc);
	CHECK_STREQ(buf, "[  0x0000000000000abc] [0x0000000000000abc  ]");
}

/* A NULL %s prints "(null)", cut by precision like any string. */
static void printf_null_string_prints_null(void)
{
	char buf[64];
	raw(buf, sizeof(buf), "[%s] [%8s] [%.2s]", (char *)NULL, (char *)NULL, (char *)NULL);
	CHECK_STREQ(buf, "[(null)] [  (null)] [(n]");
}

/* Conversions we do not know, and a format ending inside a spec, are copied literally. */
static void printf_unknown_conversions_are_copied_literally(void)
{
	char buf[64];

	CHECK(raw(buf, sizeof(buf), "a%yb") == 4);
	CHECK_STREQ(buf, "a%yb");
	raw(buf, sizeof(buf), "[%-5y] [%f] [%n]", 1.5, (int *)NULL);
	CHECK_STREQ(buf, "[%-5y] [%f] [%n]");
	CHECK(raw(buf, sizeof(buf), "abc%") == 4);
	CHECK_STREQ(buf, "abc%");
	raw(buf, sizeof(buf), "x%-08.3l");
	CHECK_STREQ(buf, "x%-08.3l");
}

/* A huge precision digit string saturates instead of overflowing (UBSan watches). */
static void printf_huge_precision_does_not_overflow(void)
{
	char buf[16];

	CHECK(raw(buf, sizeof(buf), "%.99999999999999999999999s", "abc") == 3);
	CHECK_STREQ(buf, "abc");
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Append a random valid flag set, width and precision for conversion conv. */
static size_t random_spec(char *fmt, char conv, const char *lenmod)
{
	static const char *const flags_int = "-0+ ", *const flags_uns = "-0#";
	const char *flags = (conv == 'd' || conv == 'i') ? flags_int :
			    conv == 'u' ? "-0" : (conv == 's' || conv == 'c') ? "-" : flags_uns;
	size_t n = 0, i;

	fmt[n++] = '%';
	for (i = 0; flags[i]; i++)
		if (rng() % 3 == 0)
			fmt[n++] = flags[i];
	if (rng() % 2)
		n += (size_t)sprintf(fmt + n, "%u", (unsigned)(rng() % 30));
	if (conv != 'c' && rng() % 2)
		n += (size_t)sprintf(fmt + n, ".%u", (unsigned)(rng() % 25));
	n += (size_t)sprintf(fmt + n, "%s%c", lenmod, conv);
	return n;
}

static long long random_value(void)
{
	static const long long edge[] = { 0, 1, -1, 127, -128, 255, 32767, -32768, 65535,
					  INT_MAX, INT_MIN, LLONG_MAX, LLONG_MIN };

	if (rng() % 3 == 0)
		return edge[rng() % (sizeof(edge) / sizeof(edge[0]))];
	return (long long)(rng() >> (rng() % 64));
}

static void check_random_int(const char *fmt, const char *lenmod, char conv, long long v)
{
	bool sgn = conv == 'd' || conv == 'i';
	bool ll = !strcmp(lenmod, "ll") || !strcmp(lenmod, "j");
	bool l = !ll && (lenmod[0] == 'l' || lenmod[0] == 'z' || lenmod[0] == 't');

	if (ll && sgn)
		same(__FILE__, __LINE__, fmt, v);
	else if (ll)
		same(__FILE__, __LINE__, fmt, (unsigned long long)v);
	else if (l && sgn)
		same(__FILE__, __LINE__, fmt, (long)v);
	else if (l)
		same(__FILE__, __LINE__, fmt, (unsigned long)v);
	else if (sgn)
		same(__FILE__, __LINE__, fmt, (int)v);
	else
		same(__FILE__, __LINE__, fmt, (unsigned)v);
}

/* 20000 random specifications of every conversion and length, compared with the host. */
static void printf_random_specs_match_c(void)
{
	static const char *const lens[] = { "", "hh", "h", "l", "ll", "z", "t", "j" };
	static const char convs[] = "diuxXocs";
	char fmt[64];
	int i;

	rng_state = 0x853c49e6748fea9bULL;
	for (i = 0; i < 20000; i++) {
		char conv = convs[rng() % (sizeof(convs) - 1)];
		const char *len = (conv == 'c' || conv == 's') ? "" : lens[rng() % 8];

		fmt[random_spec(fmt, conv, len)] = '\0';
		if (conv == 's')
			same(__FILE__, __LINE__, fmt, "random string");
		else if (conv == 'c')
			same(__FILE__, __LINE__, fmt, (int)(rng() % 95 + 32));
		else
			check_random_int(fmt, len, conv, random_value());
	}
}

static const struct unit_test tests[] = {
	TEST(printf_plain_text_and_percent),
	TEST(printf_signed_decimal_matches_c),
	TEST(printf_unsigned_hex_octal_match_c),
	TEST(printf_length_modifiers_match_c),
	TEST(printf_hh_and_h_truncate_like_c),
	TEST(printf_chars_and_strings_match_c),
	TEST(printf_star_width_and_precision_match_c),
	TEST(printf_mixed_conversions_match_c),
	TEST(printf_long_output_is_counted_in_full),
	TEST(printf_size_zero_writes_nothing),
	TEST(printf_pointer_is_0x_and_16_hex_digits),
	TEST(printf_null_string_prints_null),
	TEST(printf_unknown_conversions_are_copied_literally),
	TEST(printf_huge_precision_does_not_overflow),
	TEST(printf_random_specs_match_c),
};

CHECK_MAIN("vsprintf", tests)
