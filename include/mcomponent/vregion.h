/*
 * vRegions: the 1 GiB slices of a user address space that GMM places on mComponents.
 * A vregion_map remembers the owner and backup of each vRegion a node has learnt of:
 * a home from gmon, an owner or backup from the home's M2M_VMA_SYNC.
 * Portable (mcomponent/vregion.c, tests/unit/test_vregion.c); not locked here.
 */
#ifndef MCOMPONENT_VREGION_H
#define MCOMPONENT_VREGION_H

#include <stdbool.h>
#include <stdint.h>
#include "mcomponent/proto.h"
#include "mcomponent/vma.h"
#include "net/wire.h"

#define VREGION_SIZE (1ULL << NET_VREGION_SHIFT)
#define VREGION_COUNT ((uint32_t)((VMA_MAX + VREGION_SIZE - 1) >> NET_VREGION_SHIFT))
#define VREGION_CHUNK 1024		/* vRegions per lazily allocated chunk */
#define VREGION_CHUNKS (VREGION_COUNT / VREGION_CHUNK)

static inline uint32_t vregion_of(uint64_t va)
{
	return (uint32_t)(va >> NET_VREGION_SHIFT);
}

static inline uint64_t vregion_start(uint32_t r)
{
	return (uint64_t)r << NET_VREGION_SHIFT;
}

#define VREGION_NONE 0xff		/* no backup, as gmon says it */

/* Owners and backups by vRegion index; a chunk exists once one of its vRegions is known. */
struct vregion_map {
	uint16_t *chunks[VREGION_CHUNKS];	/* entries: owner + 1 | backup << 8; 0: unknown */
	struct vma_alloc alloc;
};

void vregion_map_init(struct vregion_map *m, const struct vma_alloc *alloc);
void vregion_map_fini(struct vregion_map *m);
/* The owner of vRegion r, or -ENOENT if not known (or r is out of range). */
int vregion_map_get(const struct vregion_map *m, uint32_t r);
/* The backup of vRegion r, or -ENOENT if it has none or r is not known. */
int vregion_map_backup(const struct vregion_map *m, uint32_t r);
/*
 * Remember owner and backup (VREGION_NONE: none) for r: -EINVAL if r >= VREGION_COUNT,
 * owner is VREGION_NONE or equals backup; -ENOMEM for a chunk.
 */
int vregion_map_set(struct vregion_map *m, uint32_t r, uint8_t owner, uint8_t backup);
/*
 * node is gone, with every page it held: for r, its backup takes over as owner, or,
 * with no backup, r becomes unknown; a lost backup is only forgotten. True if r
 * named node.
 */
bool vregion_map_lose(struct vregion_map *m, uint32_t r, uint8_t node);
/* Make dst, an empty map, know what src knows (a fork); -ENOMEM leaves dst empty. */
int vregion_map_copy(struct vregion_map *dst, const struct vregion_map *src);
/* The lowest known vRegion in [r, end), or -1 if there is none. */
long vregion_map_next(const struct vregion_map *m, uint32_t r, uint32_t end);

#endif
