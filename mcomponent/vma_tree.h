/*
 * The balanced tree under struct vma_space (mcomponent/vma_tree.c), private to
 * mcomponent/vma.c: an AVL tree keyed by start plus an address-ordered list.
 */
#ifndef MCOMPONENT_VMA_TREE_H
#define MCOMPONENT_VMA_TREE_H

#include "mcomponent/vma.h"

/* Add v (start, end set; must not overlap) to the tree and the list. */
void vma_tree_insert(struct vma_space *s, struct vma *v);
/* Take v out of the tree and the list; the caller frees it. */
void vma_tree_remove(struct vma_space *s, struct vma *v);
/* The vma with the greatest start <= addr, or NULL. */
struct vma *vma_tree_le(const struct vma_space *s, uint64_t addr);
/* NULL if the tree is ordered, balanced, and agrees with the list and nr_vmas. */
const char *vma_tree_check(const struct vma_space *s);

#endif
