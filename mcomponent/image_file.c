/*
 * Images from storage: for an execve of a program on the vNode's file system, the
 * home reads the file through the vNode's front mmon (GSM names it; it may be this
 * node) into a fresh image, as a host would have staged it. Used by space.c.
 */
#define LOG_SUBSYS "mmon exec"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "mmon.h"

#define FILE_TIMEOUT	(30 * NSEC_PER_SEC)
#define S_IFMT		0170000
#define S_IFREG		0100000
#define S_IXANY		0111

static int front_of(uint32_t vnode, uint8_t *front)
{
	struct g2x_storage g;
	int ret;

	if (mmon_gmon == 0xff)
		return -ENOENT;		/* no gmon, no storage: no such file */
	ret = msg_rpc_patient(mmon_gmon, X2G_STORAGE, &vnode, sizeof(vnode), &g, sizeof(g),
			      MMON_RPC_TIMEOUT, MMON_GMON_PATIENCE);
	if (ret < 0)
		return ret == -EAGAIN ? -ENOENT : ret;
	if (ret != sizeof(g) || !mmon_is(g.mmon, ROLE_MMON))
		return -EPROTO;
	*front = g.mmon;
	return 0;
}

/* Open path: a regular file someone may execute, no larger than an image may be. */
static int open_exe(uint8_t front, uint32_t vnode, const char *path, struct s2x_attr *a)
{
	uint8_t req[sizeof(struct x2s_path) + NET_PATH_MAX];
	struct x2s_path q = { .vnode = vnode, .len = (uint32_t)strlen(path) };
	int ret;

	memcpy(req, &q, sizeof(q));
	memcpy(req + sizeof(q), path, q.len);
	ret = msg_rpc(front, X2S_OPEN, req, sizeof(q) + q.len, a, sizeof(*a), FILE_TIMEOUT);
	if (ret < 0)
		return ret;
	if (ret != sizeof(*a))
		return -EPROTO;
	if ((a->a.mode & S_IFMT) != S_IFREG || !(a->a.mode & S_IXANY))
		return -EACCES;
	if (a->a.size == 0 || a->a.size > NET_IMAGE_MAX)
		return -ENOEXEC;
	return 0;
}

/* Read the whole file into im, one X2S_READ at a time; a short file is -EIO. */
static int read_all(uint8_t front, const struct s2x_attr *a, struct image *im)
{
	struct x2s_io q = { .h = a->h };
	uint8_t *buf = kmalloc(NET_FS_IO_MAX);
	int ret = buf ? 0 : -ENOMEM;

	while (!ret && q.offset < im->len) {
		q.len = im->len - q.offset < NET_FS_IO_MAX ? im->len - (uint32_t)q.offset :
							     NET_FS_IO_MAX;
		ret = msg_rpc(front, X2S_READ, &q, sizeof(q), buf, NET_FS_IO_MAX, FILE_TIMEOUT);
		if (ret >= 0 && (uint32_t)ret != q.len)
			ret = -EIO;	/* it shrank under us */
		if (ret >= 0)
			ret = image_write(im, (uint32_t)q.offset, buf, q.len);
		q.offset += q.len;
	}
	kfree(buf);
	return ret;
}

int image_from_file(uint32_t vnode, const char *path, struct image **out)
{
	struct s2x_attr a;
	struct image *im;
	uint8_t front;
	int err = front_of(vnode, &front);

	if (!err)
		err = open_exe(front, vnode, path, &a);
	if (err)
		return err;
	im = image_new((uint32_t)a.a.size);
	if (!im) {
		pr_warn("no memory for the %lu bytes of %s", a.a.size, path);
		return -ENOMEM;
	}
	err = read_all(front, &a, im);
	if (err) {
		image_put(im);
		return err;
	}
	*out = im;
	return 0;
}
