/*
 * FIFO victim selection for one ExCache set: a free line first, else the valid
 * line filled longest ago. Portable; tests/unit/test_excache_policy.c.
 */
#include "pcomponent/excache.h"

int excache_fifo_victim(struct excache_line *set, unsigned ways, unsigned *hand)
{
	int victim = -1;

	(void)hand;
	for (unsigned i = 0; i < ways; i++) {
		if (set[i].state == LINE_FREE)
			return (int)i;
		if (set[i].state == LINE_VALID && (victim < 0 || set[i].seq < set[victim].seq))
			victim = (int)i;
	}
	return victim;
}
