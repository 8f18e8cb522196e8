/*
 * Host tests of pmon's lexical path names (pcomponent/path.c): joining a relative
 * name to the current directory, collapsing ".", ".." and "//", the root's "..",
 * trailing slashes that demand a directory, and the length limits.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "kernel/errno.h"
#include "net/wire.h"
#include "pcomponent/path.h"
#include "scomponent/proto.h"

static char out[NET_PATH_MAX + 1];
static bool dir;

static const char *resolve(const char *base, const char *name)
{
	int err = path_resolve(base, name, out, sizeof(out), &dir);

	return err ? "error" : out;
}

/* Before: an absolute name. After: the same path, whatever the base. */
static void absolute_names_ignore_the_base(void)
{
	CHECK_STREQ(resolve("/x/y", "/a/b"), "/a/b");
	CHECK(!dir);
	CHECK_STREQ(resolve("/x", "/"), "/");
	CHECK(dir);
}

/* Before: a relative name. After: the base, a slash, the name. */
static void relative_names_join_the_base(void)
{
	CHECK_STREQ(resolve("/", "a"), "/a");
	CHECK_STREQ(resolve("/x/y", "a/b"), "/x/y/a/b");
	CHECK(!dir);
}

/* Before: "//", "." and ".." in a name. After: collapsed lexically. */
static void dots_and_slashes_collapse(void)
{
	CHECK_STREQ(resolve("/", "//a///b//"), "/a/b");
	CHECK(dir);
	CHECK_STREQ(resolve("/x", "./a/./b"), "/x/a/b");
	CHECK_STREQ(resolve("/x/y", "../z"), "/x/z");
	CHECK_STREQ(resolve("/x/y", ".."), "/x");
	CHECK(dir);
	CHECK_STREQ(resolve("/x", "a/../../.."), "/");
	CHECK_STREQ(resolve("/", "."), "/");
	CHECK_STREQ(resolve("/", "..."), "/...");
	CHECK(!dir);
	CHECK_STREQ(resolve("/", ".a/..b"), "/.a/..b");
}

/* Before: ".." at the root. After: still the root, as a vNode's root cannot be left. */
static void dotdot_at_the_root_stays(void)
{
	CHECK_STREQ(resolve("/", "../../.."), "/");
	CHECK_STREQ(resolve("/", "/../a"), "/a");
}

/* Before: a name ending in "/", "/." or "/..". After: it must be a directory. */
static void trailing_slash_demands_a_directory(void)
{
	resolve("/", "a/");
	CHECK(dir);
	resolve("/", "a/.");
	CHECK(dir);
	resolve("/", "a/b/..");
	CHECK(dir);
	resolve("/", "a/b");
	CHECK(!dir);
}

/* Before: an empty name. After: -ENOENT, as Linux answers "". */
static void an_empty_name_is_enoent(void)
{
	CHECK(path_resolve("/", "", out, sizeof(out), &dir) == -ENOENT);
}

/* Before: a component of 256 bytes. After: -ENAMETOOLONG; 255 bytes are fine. */
static void long_components_are_refused(void)
{
	char name[300];

	memset(name, 'n', 255);
	name[255] = '\0';
	CHECK(path_resolve("/", name, out, sizeof(out), &dir) == 0);
	CHECK(strlen(out) == 256);
	name[255] = 'n';
	name[256] = '\0';
	CHECK(path_resolve("/", name, out, sizeof(out), &dir) == -ENAMETOOLONG);
}

/* Before: a result one byte too long for out. After: -ENAMETOOLONG, never a cut path. */
static void results_that_do_not_fit_are_refused(void)
{
	char small[8];

	CHECK(path_resolve("/", "abcdef", small, sizeof(small), &dir) == 0);
	CHECK_STREQ(small, "/abcdef");
	CHECK(path_resolve("/", "abcdefg", small, sizeof(small), &dir) == -ENAMETOOLONG);
	CHECK(path_resolve("/abc", "defg", small, sizeof(small), &dir) == -ENAMETOOLONG);
	CHECK(path_resolve("/abc", "../defgh", small, sizeof(small), &dir) == 0);
	CHECK_STREQ(small, "/defgh");
}

/* Before: a path deeper than NET_PATH_MAX. After: -ENAMETOOLONG. */
static void deep_paths_are_refused(void)
{
	size_t n = NET_PATH_MAX + 2;
	char *name = malloc(n + 1);

	CHECK(name);
	for (size_t i = 0; i < n; i += 2)
		memcpy(name + i, "d/", 2);
	name[n] = '\0';
	CHECK(path_resolve("/", name, out, sizeof(out), &dir) == -ENAMETOOLONG);
	free(name);
}

static const struct unit_test tests[] = {
	TEST(absolute_names_ignore_the_base),
	TEST(relative_names_join_the_base),
	TEST(dots_and_slashes_collapse),
	TEST(dotdot_at_the_root_stays),
	TEST(trailing_slash_demands_a_directory),
	TEST(an_empty_name_is_enoent),
	TEST(long_components_are_refused),
	TEST(results_that_do_not_fit_are_refused),
	TEST(deep_paths_are_refused),
};

CHECK_MAIN("pmon_path", tests)
