/*
 * /dev/null (include/pcomponent/dev.h): reads see end of file, writes vanish.
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "linux-abi/linux.h"
#include "pcomponent/dev.h"
#include "pcomponent/file.h"

static struct wait_queue null_wq = { SPINLOCK_INIT("null"), LIST_HEAD_INIT(null_wq.waiters) };

static long null_read(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	(void)f, (void)mm, (void)uva, (void)n;
	return 0;
}

static long null_write(struct file *f, struct mm *mm, uint64_t uva, size_t n)
{
	(void)f, (void)mm, (void)uva;
	return (long)n;
}

static unsigned null_poll(struct file *f)
{
	(void)f;
	return POLLIN | POLLOUT;
}

static void null_release(struct file *f)
{
	(void)f;
}

static const struct file_ops null_ops = {
	.read = null_read, .write = null_write, .poll = null_poll, .release = null_release,
	.mode = S_IFCHR | 0666,
};

int dev_open(const char *path, uint32_t flags, struct file **out)
{
	if (strcmp(path, "/dev/null"))
		return -ENOENT;
	*out = file_new(&null_ops, NULL, &null_wq, flags & (O_ACCMODE | O_NONBLOCK));
	return *out ? 0 : -ENOMEM;
}
