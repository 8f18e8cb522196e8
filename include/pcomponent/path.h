/*
 * Lexical path names for pmon's file system calls (pcomponent/path.c, portable and
 * tested on the host): a relative name joined to a base directory, then ".", ".."
 * and repeated slashes collapsed, as smon expects a vNode's paths.
 */
#ifndef PCOMPONENT_PATH_H
#define PCOMPONENT_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define PATH_NAME_MAX 255	/* bytes of one component, as Linux's NAME_MAX */

/*
 * name, absolute or relative to base (absolute and normalized), as one normalized
 * absolute path in out (size bytes, NUL included): "/" or "/a/b", never a trailing
 * slash; ".." at "/" stays at "/". *dir says whether name ended in "/", "." or "..",
 * so that it must name a directory. 0, -ENOENT for an empty name, -ENAMETOOLONG
 * for a component longer than PATH_NAME_MAX or a result that does not fit.
 */
int path_resolve(const char *base, const char *name, char *out, size_t size, bool *dir);

/* Is path "/" (after path_resolve)? */
bool path_is_root(const char *path);

#endif
