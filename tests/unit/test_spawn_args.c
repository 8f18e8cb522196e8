/*
 * Host tests of the spawn request's check (pcomponent/spawn_args.c): a request as
 * `tessera-net run` builds it is described exactly; counts that disagree with the
 * strings, a last string without its NUL, header fields out of range and lengths
 * outside the choke point's bounds are refused.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "kernel/errno.h"
#include "mcomponent/proto.h"
#include "pcomponent/spawn_args.h"

static uint8_t req[sizeof(struct h2p_spawn) + NET_SPAWN_STRINGS + 1];
static struct spawn_args a;

/* A request of vnode 1 with a 16 KiB image, argc and envc as given, then the strings. */
static size_t build(uint16_t argc, uint16_t envc, const char *strings, size_t slen)
{
	struct h2p_spawn h = { .vnode = 1, .image_len = 0x4000, .realtime_ns = 12345,
			       .argc = argc, .envc = envc, .rows = 24, .cols = 80 };

	memcpy(req, &h, sizeof(h));
	memcpy(req + sizeof(h), strings, slen);
	return sizeof(h) + slen;
}

/* As build(), then a field of the header changed; the request's length. */
static size_t with_header(size_t off, uint32_t value, size_t width)
{
	size_t len = build(1, 0, "a", 2);

	memcpy(req + off, &value, width);
	return len;
}

/* Before: `run pmon0 build/user/hello 3 a b --env A=1`. After: every field as sent. */
static void a_real_request_is_described(void)
{
	static const char s[] = "hello\0" "3\0" "a\0" "b\0" "A=1";
	size_t len = build(4, 1, s, sizeof(s));

	CHECK(spawn_args_parse(req, len, &a) == 0);
	CHECK(a.strings == (const char *)req + sizeof(struct h2p_spawn));
	CHECK(a.len == sizeof(s));
	CHECK(a.h.vnode == 1 && a.h.image_len == 0x4000 && a.h.realtime_ns == 12345);
	CHECK(a.h.argc == 4 && a.h.envc == 1 && a.h.rows == 24 && a.h.cols == 80);
	CHECK_STREQ(a.strings + a.len - 4, "A=1");
}

/* Before: empty arguments and variables. After: each counts as one string. */
static void empty_strings_count(void)
{
	CHECK(spawn_args_parse(req, build(1, 0, "", 1), &a) == 0 && a.len == 1);
	CHECK(spawn_args_parse(req, build(2, 1, "a\0\0", 4), &a) == 0 && a.len == 4);
}

/* Before: argc + envc not the number of strings. After: -EINVAL. */
static void counts_must_match_the_strings(void)
{
	CHECK(spawn_args_parse(req, build(2, 0, "a", 2), &a) == -EINVAL);
	CHECK(spawn_args_parse(req, build(1, 0, "a\0b", 4), &a) == -EINVAL);
	CHECK(spawn_args_parse(req, build(1, 2, "a\0b", 4), &a) == -EINVAL);
	CHECK(spawn_args_parse(req, build(UINT16_MAX, UINT16_MAX, "a", 2), &a) == -EINVAL);
}

/* Before: bytes after the last NUL, or no strings at all. After: -EINVAL. */
static void the_strings_end_with_a_nul(void)
{
	CHECK(spawn_args_parse(req, build(1, 0, "abc", 3), &a) == -EINVAL);
	CHECK(spawn_args_parse(req, build(2, 0, "a\0bc", 4), &a) == -EINVAL);
	CHECK(spawn_args_parse(req, build(1, 0, "", 0), &a) == -EINVAL);
}

/* Before: argc, vnode or image_len at and past their bounds. After: only those inside pass. */
static void header_fields_are_bounded(void)
{
	const size_t argc = offsetof(struct h2p_spawn, argc);
	const size_t vnode = offsetof(struct h2p_spawn, vnode);
	const size_t image = offsetof(struct h2p_spawn, image_len);

	CHECK(spawn_args_parse(req, build(0, 1, "a", 2), &a) == -EINVAL);
	CHECK(spawn_args_parse(req, with_header(argc, 1, 2), &a) == 0);
	CHECK(spawn_args_parse(req, with_header(vnode, 0, 4), &a) == -EINVAL);
	CHECK(spawn_args_parse(req, with_header(vnode, UINT32_MAX, 4), &a) == 0);
	CHECK(spawn_args_parse(req, with_header(image, 0, 4), &a) == -EINVAL);
	CHECK(spawn_args_parse(req, with_header(image, NET_IMAGE_MAX, 4), &a) == 0);
	CHECK(spawn_args_parse(req, with_header(image, NET_IMAGE_MAX + 1, 4), &a) == -EINVAL);
}

/* Before: requests shorter than the header, or with one string byte too many. After: -EINVAL. */
static void lengths_outside_the_bounds_are_refused(void)
{
	char *s = malloc(NET_SPAWN_STRINGS + 1);

	CHECK(s);
	memset(s, 'x', NET_SPAWN_STRINGS + 1);
	s[NET_SPAWN_STRINGS - 1] = '\0';
	CHECK(spawn_args_parse(req, build(1, 0, s, NET_SPAWN_STRINGS), &a) == 0);
	s[NET_SPAWN_STRINGS - 1] = 'x';
	s[NET_SPAWN_STRINGS] = '\0';
	CHECK(spawn_args_parse(req, build(1, 0, s, NET_SPAWN_STRINGS + 1), &a) == -EINVAL);
	CHECK(spawn_args_parse(req, sizeof(struct h2p_spawn) - 1, &a) == -EINVAL);
	free(s);
}

static const struct unit_test tests[] = {
	TEST(a_real_request_is_described),
	TEST(empty_strings_count),
	TEST(counts_must_match_the_strings),
	TEST(the_strings_end_with_a_nul),
	TEST(header_fields_are_bounded),
	TEST(lengths_outside_the_bounds_are_refused),
};

CHECK_MAIN("spawn_args", tests)
