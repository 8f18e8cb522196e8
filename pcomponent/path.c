/*
 * Lexical path names (include/pcomponent/path.h), portable: pmon's path system
 * calls build the absolute paths they send to smon here; tests/unit/test_pmon_path.c
 * checks the rules on the host.
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "pcomponent/path.h"

/* A path under construction: out[0..len) is "" (the root) or "/a/b". */
struct path_buf {
	char *out;
	size_t len, size;
};

/* Drop the last component: "/a/b" -> "/a", "/a" -> "" (the root stays the root). */
static void drop_last(struct path_buf *b)
{
	while (b->len && b->out[b->len - 1] != '/')
		b->len--;
	if (b->len)
		b->len--;
}

static int append(struct path_buf *b, const char *name, size_t n)
{
	if (b->len + 1 + n + 1 > b->size)
		return -ENAMETOOLONG;
	b->out[b->len++] = '/';
	memcpy(b->out + b->len, name, n);
	b->len += n;
	return 0;
}

/*
 * Apply each component of s to b. *dir ends true when the last thing in s is a
 * slash, "." or "..", which only a directory can satisfy.
 */
static int walk(struct path_buf *b, const char *s, bool *dir)
{
	while (*s) {
		size_t n = 0;
		int err;

		while (*s == '/') {
			s++;
			*dir = true;
		}
		while (s[n] && s[n] != '/')
			n++;
		if (!n)
			break;
		*dir = (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
		if (n > PATH_NAME_MAX)
			return -ENAMETOOLONG;
		if (n == 2 && s[0] == '.' && s[1] == '.')
			drop_last(b);
		else if (!(n == 1 && s[0] == '.') && (err = append(b, s, n)))
			return err;
		s += n;
	}
	return 0;
}

int path_resolve(const char *base, const char *name, char *out, size_t size, bool *dir)
{
	struct path_buf b = { .out = out, .len = 0, .size = size };
	bool base_dir = false;
	int err = 0;

	*dir = false;
	if (size < 2)
		return -ENAMETOOLONG;
	if (!*name)
		return -ENOENT;
	if (*name != '/')
		err = walk(&b, base, &base_dir);
	if (!err)
		err = walk(&b, name, dir);
	if (err)
		return err;
	if (!b.len)
		out[b.len++] = '/';
	out[b.len] = '\0';
	return 0;
}

bool path_is_root(const char *path)
{
	return !strcmp(path, "/");
}
