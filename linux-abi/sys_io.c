/*
 * Output system calls. A process's stdout and stderr belong to the host client that
 * started it: each write goes there as P2H_OUTPUT messages, in order, and returns
 * once the host has them. There are no files yet, so other descriptors are -EBADF.
 */
#include "kernel/errno.h"
#include "kernel/msg.h"
#include "lib/string.h"
#include "syscalls.h"

#define IOV_MAX 1024
#define OUT_CHUNK NET_PAGE_SIZE		/* bytes per P2H_OUTPUT: fits p->io */

struct iovec_user {
	uint64_t base;
	uint64_t len;
};

/* Send len bytes at uva to the host as fd's output; bytes sent, or -errno if none. */
static long output(struct process *p, unsigned fd, uint64_t uva, uint64_t len)
{
	struct p2h_output hdr = { .pid = p->pid, .fd = fd };
	uint64_t done = 0;

	while (done < len) {
		size_t n = len - done < OUT_CHUNK ? len - done : OUT_CHUNK;
		int err = excache_copy_in(p, p->io + sizeof(hdr), uva + done, n);

		if (!err) {
			memcpy(p->io, &hdr, sizeof(hdr));
			err = msg_rpc(p->host, P2H_OUTPUT, p->io, sizeof(hdr) + n, NULL, 0,
				      PROC_RPC_TIMEOUT);
		}
		if (err < 0)
			return done ? (long)done : (err == -EFAULT ? -EFAULT : -EIO);
		done += n;
	}
	return (long)done;
}

static bool is_output(uint64_t fd)
{
	return fd == 1 || fd == 2;
}

long sys_write(struct process *p, const uint64_t a[6])
{
	if (!is_output(a[0]))
		return -EBADF;
	if ((int64_t)a[2] < 0)
		return -EINVAL;
	return output(p, (unsigned)a[0], a[1], a[2]);
}

long sys_writev(struct process *p, const uint64_t a[6])
{
	uint64_t total = 0;
	long n = 0;

	if (!is_output(a[0]))
		return -EBADF;
	if (a[2] > IOV_MAX)
		return -EINVAL;
	for (uint64_t i = 0; i < a[2]; i++) {
		struct iovec_user v;

		if (excache_copy_in(p, &v, a[1] + i * sizeof(v), sizeof(v)))
			return total ? (long)total : -EFAULT;
		if ((int64_t)v.len < 0 || total + v.len < total)
			return -EINVAL;
		n = output(p, (unsigned)a[0], v.base, v.len);
		if (n < 0)
			return total ? (long)total : n;
		total += (uint64_t)n;
		if ((uint64_t)n < v.len)
			break;
	}
	return (long)total;
}

/* No terminals: isatty() and friends see -ENOTTY, so stdio picks full buffering. */
long sys_ioctl(struct process *p, const uint64_t a[6])
{
	(void)p, (void)a;
	return -ENOTTY;
}
