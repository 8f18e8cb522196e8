/*
 * A map from vRegion to its owner and backup mComponents: a two-level table whose
 * 2 KiB chunks are allocated on first use, so a process touching a few vRegions costs
 * a few chunks. Portable; tests/unit/test_vregion.c.
 */
#include "mcomponent/vregion.h"
#include "kernel/errno.h"
#include "lib/string.h"

_Static_assert(VREGION_COUNT % VREGION_CHUNK == 0, "whole chunks");

void vregion_map_init(struct vregion_map *m, const struct vma_alloc *alloc)
{
	memset(m->chunks, 0, sizeof(m->chunks));
	m->alloc = *alloc;
}

void vregion_map_fini(struct vregion_map *m)
{
	for (uint32_t i = 0; i < VREGION_CHUNKS; i++) {
		if (m->chunks[i])
			m->alloc.free(m->alloc.ctx, m->chunks[i]);
		m->chunks[i] = NULL;
	}
}

/* The entry for r, 0 if unknown. */
static uint16_t entry(const struct vregion_map *m, uint32_t r)
{
	const uint16_t *c = r < VREGION_COUNT ? m->chunks[r / VREGION_CHUNK] : NULL;

	return c ? c[r % VREGION_CHUNK] : 0;
}

int vregion_map_get(const struct vregion_map *m, uint32_t r)
{
	uint16_t e = entry(m, r);

	return e ? (e & 0xff) - 1 : -ENOENT;
}

int vregion_map_backup(const struct vregion_map *m, uint32_t r)
{
	uint16_t e = entry(m, r);

	return e && e >> 8 != VREGION_NONE ? e >> 8 : -ENOENT;
}

int vregion_map_set(struct vregion_map *m, uint32_t r, uint8_t owner, uint8_t backup)
{
	uint16_t **c;

	if (r >= VREGION_COUNT || owner == VREGION_NONE || owner == backup)
		return -EINVAL;
	c = &m->chunks[r / VREGION_CHUNK];
	if (!*c) {
		*c = m->alloc.alloc(m->alloc.ctx, VREGION_CHUNK * sizeof(**c));
		if (!*c)
			return -ENOMEM;
		memset(*c, 0, VREGION_CHUNK * sizeof(**c));
	}
	(*c)[r % VREGION_CHUNK] = (uint16_t)((owner + 1) | backup << 8);
	return 0;
}

bool vregion_map_lose(struct vregion_map *m, uint32_t r, uint8_t node)
{
	int owner = vregion_map_get(m, r), backup = vregion_map_backup(m, r);
	uint16_t *e;

	if (owner < 0 || (owner != node && backup != node))
		return false;
	e = &m->chunks[r / VREGION_CHUNK][r % VREGION_CHUNK];
	if (backup == node)
		*e = (uint16_t)((owner + 1) | VREGION_NONE << 8);
	else if (backup >= 0)
		*e = (uint16_t)((backup + 1) | VREGION_NONE << 8);
	else
		*e = 0;
	return true;
}

int vregion_map_copy(struct vregion_map *dst, const struct vregion_map *src)
{
	const size_t size = VREGION_CHUNK * sizeof(*src->chunks[0]);

	for (uint32_t i = 0; i < VREGION_CHUNKS; i++) {
		if (!src->chunks[i])
			continue;
		dst->chunks[i] = dst->alloc.alloc(dst->alloc.ctx, size);
		if (!dst->chunks[i]) {
			vregion_map_fini(dst);
			return -ENOMEM;
		}
		memcpy(dst->chunks[i], src->chunks[i], size);
	}
	return 0;
}

long vregion_map_next(const struct vregion_map *m, uint32_t r, uint32_t end)
{
	const uint16_t *c;

	if (end > VREGION_COUNT)
		end = VREGION_COUNT;
	while (r < end) {
		c = m->chunks[r / VREGION_CHUNK];
		if (!c) {
			r = (r / VREGION_CHUNK + 1) * VREGION_CHUNK;
			continue;
		}
		if (c[r % VREGION_CHUNK])
			return r;
		r++;
	}
	return -1;
}
