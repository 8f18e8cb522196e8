/*
 * ELF images on a home: the bytes the host stages (H2M_IMAGE) in zeroed pages, kept
 * after exec so that forks and an execve of /proc/self/exe load the same image. An
 * image is shared only once sealed, and freed by the last space holding it.
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "lib/string.h"
#include "mmon.h"

static void image_free(struct image *im)
{
	for (uint32_t i = 0; i < im->npages; i++)
		if (im->pages[i])
			page_free(im->pages[i]);
	kfree(im);
}

/* Room for len bytes, held once, or NULL; the node's reserve is never staged into. */
struct image *image_new(uint32_t len)
{
	uint32_t n = (len + PAGE_SIZE - 1) / PAGE_SIZE;
	struct image *im;

	if ((size_t)n + MMON_RESERVE > page_free_count())
		return NULL;
	im = kzalloc(sizeof(*im) + n * sizeof(im->pages[0]));
	if (!im)
		return NULL;
	im->refs = 1;
	im->len = len;
	im->npages = n;
	for (uint32_t i = 0; i < n; i++) {
		im->pages[i] = page_alloc(0);
		if (!im->pages[i]) {
			image_free(im);
			return NULL;
		}
	}
	return im;
}

struct image *image_get(struct image *im)
{
	__atomic_add_fetch(&im->refs, 1, __ATOMIC_RELAXED);
	return im;
}

/* Spaces on several workers may drop the same image at once. */
void image_put(struct image *im)
{
	if (__atomic_sub_fetch(&im->refs, 1, __ATOMIC_ACQ_REL) == 0)
		image_free(im);
}

/* Copy n bytes between buf and the image at off (checked by the caller). */
static void image_copy(struct image *im, uint64_t off, void *buf, size_t n, bool in)
{
	uint8_t *b = buf;

	while (n) {
		size_t at = off % PAGE_SIZE, k = PAGE_SIZE - at < n ? PAGE_SIZE - at : n;
		uint8_t *p = im->pages[off / PAGE_SIZE] + at;

		memcpy(in ? p : b, in ? b : p, k);
		off += k;
		b += k;
		n -= k;
	}
}

/* A chunk from the host: -EINVAL past the end or once sealed (shared from then on). */
int image_write(struct image *im, uint32_t off, const void *buf, size_t n)
{
	if (im->sealed || off > im->len || n > im->len - off)
		return -EINVAL;
	image_copy(im, off, (void *)buf, n, true);
	if (off + n > im->filled)
		im->filled = off + n;
	return 0;
}

/* The ELF parser's read callback (struct elf_image); ctx is the image. */
int image_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct image *im = ctx;

	if (off > im->len || len > im->len - off)
		return -ENOEXEC;
	image_copy(im, off, buf, len, false);
	return 0;
}
