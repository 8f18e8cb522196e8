/*
 * CLOCK victim selection for one ExCache set, an LRU approximation: the hand
 * sweeps the set, giving each line whose accessed bit was seen set a second
 * chance (clearing it) and taking the first free or unreferenced valid line.
 * Portable; the caller samples the bits into line->ref. test_excache_policy.c.
 */
#include "pcomponent/excache.h"

int excache_clock_victim(struct excache_line *set, unsigned ways, unsigned *hand)
{
	/* Two turns: the first may clear every ref bit, the second then finds one. */
	for (unsigned n = 0; n < 2 * ways; n++) {
		unsigned i = *hand % ways;
		struct excache_line *l = &set[i];

		*hand = (i + 1) % ways;
		if (l->state == LINE_FREE)
			return (int)i;
		if (l->state != LINE_VALID)
			continue;
		if (!l->ref)
			return (int)i;
		l->ref = false;
	}
	return -1;
}
