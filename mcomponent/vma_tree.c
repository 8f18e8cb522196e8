/*
 * The AVL tree behind struct vma_space, keyed by vma start. vmas never overlap, so the
 * one with the greatest start <= addr is the only candidate to contain addr and no
 * interval augmentation is needed. Alongside, a doubly linked list in address order
 * gives O(1) neighbours for splitting, merging and the gap search. Used by vma.c.
 */
#include "vma_tree.h"

static int height(const struct vma *v)
{
	return v ? v->height : 0;
}

static void fix_height(struct vma *v)
{
	int l = height(v->left), r = height(v->right);

	v->height = (l > r ? l : r) + 1;
}

static struct vma *rotate_right(struct vma *v)
{
	struct vma *l = v->left;

	v->left = l->right;
	l->right = v;
	fix_height(v);
	fix_height(l);
	return l;
}

static struct vma *rotate_left(struct vma *v)
{
	struct vma *r = v->right;

	v->right = r->left;
	r->left = v;
	fix_height(v);
	fix_height(r);
	return r;
}

/* Restore the AVL property at v after one of its subtrees changed height by one. */
static struct vma *rebalance(struct vma *v)
{
	int bal;

	fix_height(v);
	bal = height(v->left) - height(v->right);
	if (bal > 1) {
		if (height(v->left->left) < height(v->left->right))
			v->left = rotate_left(v->left);
		return rotate_right(v);
	}
	if (bal < -1) {
		if (height(v->right->right) < height(v->right->left))
			v->right = rotate_right(v->right);
		return rotate_left(v);
	}
	return v;
}

static struct vma *insert(struct vma *t, struct vma *v)
{
	if (!t)
		return v;
	if (v->start < t->start)
		t->left = insert(t->left, v);
	else
		t->right = insert(t->right, v);
	return rebalance(t);
}

/* Detach the minimum of t into *min; return what remains of t. */
static struct vma *remove_min(struct vma *t, struct vma **min)
{
	if (!t->left) {
		*min = t;
		return t->right;
	}
	t->left = remove_min(t->left, min);
	return rebalance(t);
}

static struct vma *remove(struct vma *t, const struct vma *v)
{
	struct vma *min;

	if (v->start < t->start) {
		t->left = remove(t->left, v);
	} else if (v->start > t->start) {
		t->right = remove(t->right, v);
	} else {
		if (!t->right)
			return t->left;
		t->right = remove_min(t->right, &min);
		min->left = t->left;
		min->right = t->right;
		t = min;
	}
	return rebalance(t);
}

struct vma *vma_tree_le(const struct vma_space *s, uint64_t addr)
{
	struct vma *t = s->root, *best = NULL;

	while (t) {
		if (t->start <= addr) {
			best = t;
			t = t->right;
		} else {
			t = t->left;
		}
	}
	return best;
}

void vma_tree_insert(struct vma_space *s, struct vma *v)
{
	struct vma *prev = vma_tree_le(s, v->start);

	v->left = v->right = NULL;
	v->height = 1;
	s->root = insert(s->root, v);
	v->prev = prev;
	v->next = prev ? prev->next : s->first;
	if (v->prev)
		v->prev->next = v;
	else
		s->first = v;
	if (v->next)
		v->next->prev = v;
	else
		s->last = v;
	s->nr_vmas++;
}

void vma_tree_remove(struct vma_space *s, struct vma *v)
{
	s->root = remove(s->root, v);
	if (v->prev)
		v->prev->next = v->next;
	else
		s->first = v->next;
	if (v->next)
		v->next->prev = v->prev;
	else
		s->last = v->prev;
	v->left = v->right = v->prev = v->next = NULL;
	s->nr_vmas--;
}

/*
 * Walk t in order, checking key bounds, heights and balance, and that the in-order
 * sequence is the list (*cursor walks it). Counts nodes into *n.
 */
static const char *check(const struct vma *t, const struct vma **cursor, size_t *n,
			 uint64_t lo, uint64_t hi)
{
	const char *why;
	int l, r;

	if (!t)
		return NULL;
	if (t->start < lo || t->start > hi)
		return "tree out of order";
	if (t->start > 0 && (why = check(t->left, cursor, n, lo, t->start - 1)))
		return why;
	if (t->start == 0 && t->left)
		return "tree out of order";
	if (*cursor != t)
		return "list disagrees with tree order";
	*cursor = t->next;
	(*n)++;
	if (t->start < UINT64_MAX && (why = check(t->right, cursor, n, t->start + 1, hi)))
		return why;
	l = height(t->left);
	r = height(t->right);
	if (t->height != (l > r ? l : r) + 1)
		return "stale height";
	if (l - r > 1 || r - l > 1)
		return "tree unbalanced";
	return NULL;
}

const char *vma_tree_check(const struct vma_space *s)
{
	const struct vma *cursor = s->first, *v;
	const char *why;
	size_t n = 0;

	if ((why = check(s->root, &cursor, &n, 0, UINT64_MAX)))
		return why;
	if (cursor)
		return "list longer than tree";
	if (n != s->nr_vmas)
		return "nr_vmas wrong";
	for (v = s->first; v; v = v->next) {
		if (v->next ? v->next->prev != v : s->last != v)
			return "broken back link";
	}
	return NULL;
}
