/*
 * execve: a program on the vNode's file system (its home reads the ELF from
 * storage), a "#!" script (its interpreter runs with the script's name), or the
 * running program again (/proc/self/exe, whose image the home still holds).
 */
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "lib/string.h"
#include "linux-abi/abi.h"
#include "net/protocol.h"
#include "pcomponent/fs.h"
#include "pcomponent/path.h"
#include "scomponent/proto.h"
#include "syscalls.h"

#define EXEC_ARGS_MAX 1024		/* argv + envp entries */
#define EXEC_STRINGS_MAX NET_SPAWN_STRINGS
#define HEAD_MAX 256			/* bytes of a "#!" line looked at, as Linux */
#define INTERP_DEPTH 4			/* scripts run by scripts, as Linux allows */

/* argv then envp, as NUL-terminated strings one after another. */
struct exec_args {
	char *buf;			/* EXEC_STRINGS_MAX bytes */
	uint32_t len;
	long argc, envc;
};

/* Append the NULL-terminated array of strings at uva to buf; the count or -errno. */
static long copy_strings(struct mm *mm, uint64_t uva, char *buf, uint32_t *len)
{
	long n;

	for (n = 0; uva; n++) {
		uint64_t s;
		char c;

		if (n >= EXEC_ARGS_MAX)
			return -E2BIG;
		if (mm_copy_in(mm, &s, uva + (uint64_t)n * 8, sizeof(s)))
			return -EFAULT;
		if (!s)
			break;
		do {
			if (*len >= EXEC_STRINGS_MAX)
				return -E2BIG;
			if (mm_copy_in(mm, &c, s++, 1))
				return -EFAULT;
			buf[(*len)++] = c;
		} while (c);
	}
	return n;
}

static int copy_args(struct mm *mm, uint64_t argv, uint64_t envp, struct exec_args *x)
{
	x->argc = copy_strings(mm, argv, x->buf, &x->len);
	if (x->argc < 0)
		return (int)x->argc;
	x->envc = copy_strings(mm, envp, x->buf, &x->len);
	if (x->envc < 0)
		return (int)x->envc;
	return x->argc ? 0 : -EINVAL;
}

/*
 * The first bytes of the program at path, which must be a regular file someone may
 * execute (else -EACCES, as Linux): their count, or -errno.
 */
static int file_head(uint32_t vnode, const char *path, char *head)
{
	struct x2s_io q = { .len = HEAD_MAX };
	struct s2x_attr a;
	int ret = fs_path_call(vnode, X2S_OPEN, path, 0, 0, &a, sizeof(a));

	if (ret >= 0 && ret != sizeof(a))
		ret = -EPROTO;
	if (ret < 0)
		return ret;
	if ((a.a.mode & S_IFMT) != S_IFREG || !(a.a.mode & 0111))
		return -EACCES;
	q.h = a.h;
	return fs_call(vnode, X2S_READ, &q, sizeof(q), head, HEAD_MAX);
}

static char *line_end(char *head, int n)
{
	for (int i = 0; i < n; i++)
		if (head[i] == '\n')
			return head + i;
	return NULL;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * "#!interp [arg]\n" in the n bytes at head: 1 with *interp and *arg (maybe "")
 * pointing into head, 0 if it is no script, -ENOEXEC if the line is unusable.
 * As Linux, everything after the interpreter's name is its one argument.
 */
static int shebang(char *head, int n, char **interp, char **arg)
{
	char *nl, *end;

	if (n < 2 || head[0] != '#' || head[1] != '!')
		return 0;
	nl = line_end(head, n);
	if (!nl)
		return -ENOEXEC;
	*nl = 0;
	for (*interp = head + 2; blank(**interp); (*interp)++)
		;
	for (end = *interp; *end && !blank(*end); end++)
		;
	for (*arg = end; blank(**arg); (*arg)++)
		;
	*end = 0;
	for (end = *arg + strlen(*arg); end > *arg && blank(end[-1]); end--)
		end[-1] = 0;
	return **interp ? 1 : -ENOEXEC;
}

/* argv becomes interp [arg] path argv[1]...: the script runs under its interpreter. */
static int script_args(struct exec_args *x, const char *interp, const char *arg,
		       const char *path)
{
	size_t skip = strlen(x->buf) + 1, li = strlen(interp) + 1, la = *arg ? strlen(arg) + 1 : 0;
	size_t lp = strlen(path) + 1, len = li + la + lp + x->len - skip;
	char *buf;

	if (len > EXEC_STRINGS_MAX)
		return -E2BIG;
	buf = kmalloc(EXEC_STRINGS_MAX);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, interp, li);
	memcpy(buf + li, arg, la);
	memcpy(buf + li + la, path, lp);
	memcpy(buf + li + la + lp, x->buf + skip, x->len - skip);
	kfree(x->buf);
	x->buf = buf;
	x->len = (uint32_t)len;
	x->argc += la ? 2 : 1;
	return 0;
}

/*
 * The new address space for the program at path (absolute, normalized; shown is the
 * name as the caller gave it, which a script sees as its argument): an ELF the home
 * loads from storage, or, for a script, its interpreter's, at most INTERP_DEPTH
 * deep (-ELOOP beyond, as Linux).
 */
static int exec_path(struct uthread *t, char *path, char *shown, struct exec_args *x,
		     struct mm **mm)
{
	char *head = kmalloc(HEAD_MAX), *interp, *arg;
	struct fs_cwd *cwd;
	int err = head ? 0 : -ENOMEM, n;
	bool dir;

	for (int depth = 0; !err; depth++) {
		n = file_head(t->proc->vnode, path, head);
		err = n < 0 ? n : shebang(head, n, &interp, &arg);
		if (err == 0 && n >= 4 && !memcmp(head, "\x7f" "ELF", 4)) {
			err = mm_create_path(t->proc->vnode, path, mm);
			break;
		}
		if (err == 0)
			err = -ENOEXEC;
		if (err < 0)
			break;
		err = depth == INTERP_DEPTH ? -ELOOP : script_args(x, interp, arg, shown);
		cwd = fs_cwd_get(t->proc);
		if (!err)
			err = path_resolve(cwd ? fs_cwd_path(cwd) : "/", interp, path,
					   FS_PATH_SIZE, &dir);
		fs_cwd_put(cwd);
		memcpy(shown, interp, strlen(interp) + 1);
	}
	kfree(head);
	return err;
}

/* The point of no return is the switch to the new address space (abi_exec). */
SYSCALL(sys_execve)
{
	struct process *p = t->proc;
	struct exec_args x = { .buf = kmalloc(EXEC_STRINGS_MAX) };
	struct mm *mm = NULL;
	char *path = NULL, *shown;
	bool dir;
	int err = x.buf ? user_at_path(t, AT_FDCWD, a[0], &path, &dir) : -ENOMEM;

	shown = err ? NULL : path + FS_PATH_SIZE;	/* user_at_path's scratch is ours */
	if (!err && user_string(p->mm, a[0], shown, FS_PATH_SIZE) < 0)
		err = -EFAULT;
	if (!err)
		err = copy_args(p->mm, a[1], a[2], &x);
	if (!err && dir)
		err = -EACCES;
	if (!err && !strcmp(path, "/proc/self/exe"))
		err = mm_create_from(p->mm, p->vnode, &mm);
	else if (!err)
		err = exec_path(t, path, shown, &x, &mm);
	if (!err && (err = mm_exec(mm, &p->exec)))
		mm_put(mm);
	kfree(path);
	if (err) {
		kfree(x.buf);
		return err;
	}
	abi_exec(t, mm, x.buf, x.len, (uint16_t)x.argc, (uint16_t)x.envc);
}
