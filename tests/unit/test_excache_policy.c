/*
 * Host tests of the ExCache victim policies (pcomponent/excache_fifo.c and
 * excache_clock.c): which line of a set each picks, given line states and the
 * accessed bits the cache sampled into line->ref.
 */
#include "check.h"
#include "pcomponent/excache.h"

#define WAYS 4

static struct excache_line set[WAYS];

/* Fill the set with valid lines filled in order seqs[i], ref bits refs[i]. */
static void fill(const unsigned seqs[WAYS], const bool refs[WAYS])
{
	for (unsigned i = 0; i < WAYS; i++)
		set[i] = (struct excache_line){ .state = LINE_VALID, .seq = seqs[i], .ref = refs[i] };
}

/* Before: a free line among referenced ones. After: both policies take the free line. */
static void free_line_is_taken_first(void)
{
	static const unsigned seqs[WAYS] = { 1, 2, 3, 4 };
	static const bool refs[WAYS] = { true, true, true, true };
	unsigned hand = 0;

	fill(seqs, refs);
	set[2].state = LINE_FREE;
	CHECK(excache_fifo_victim(set, WAYS, &hand) == 2);
	hand = 3;
	set[1].state = LINE_FREE;
	set[2].state = LINE_VALID;
	CHECK(excache_clock_victim(set, WAYS, &hand) == 1);
	CHECK(!set[3].ref && !set[0].ref && set[2].ref);
}

/* Before: a full set with fill order 3 1 4 2. After: FIFO picks the oldest, way 1. */
static void fifo_picks_the_oldest_fill(void)
{
	static const unsigned seqs[WAYS] = { 3, 1, 4, 2 };
	static const bool refs[WAYS] = { true, true, true, true };
	unsigned hand = 0;

	fill(seqs, refs);
	CHECK(excache_fifo_victim(set, WAYS, &hand) == 1);
}

/* Before: the oldest line is busy (being evicted). After: FIFO takes the next oldest. */
static void fifo_skips_busy_lines(void)
{
	static const unsigned seqs[WAYS] = { 3, 1, 4, 2 };
	static const bool refs[WAYS] = { false, false, false, false };
	unsigned hand = 0;

	fill(seqs, refs);
	set[1].state = LINE_BUSY;
	CHECK(excache_fifo_victim(set, WAYS, &hand) == 3);
}

/* Before: ways 0 and 1 referenced, hand at 0. After: way 2 is the victim, 0-1 lose ref. */
static void clock_gives_referenced_lines_a_second_chance(void)
{
	static const unsigned seqs[WAYS] = { 1, 2, 3, 4 };
	static const bool refs[WAYS] = { true, true, false, false };
	unsigned hand = 0;

	fill(seqs, refs);
	CHECK(excache_clock_victim(set, WAYS, &hand) == 2);
	CHECK(!set[0].ref && !set[1].ref && hand == 3);
}

/* Before: every line referenced. After: one full turn clears them, the hand's line goes. */
static void clock_all_referenced_evicts_at_the_hand(void)
{
	static const unsigned seqs[WAYS] = { 1, 2, 3, 4 };
	static const bool refs[WAYS] = { true, true, true, true };
	unsigned hand = 2;

	fill(seqs, refs);
	CHECK(excache_clock_victim(set, WAYS, &hand) == 2);
	CHECK(!set[0].ref && !set[1].ref && !set[3].ref && hand == 3);
}

/* Before: a line touched again after its second chance. After: CLOCK keeps it. */
static void clock_keeps_a_line_used_between_sweeps(void)
{
	static const unsigned seqs[WAYS] = { 1, 2, 3, 4 };
	static const bool refs[WAYS] = { false, false, false, false };
	unsigned hand = 0;

	fill(seqs, refs);
	CHECK(excache_clock_victim(set, WAYS, &hand) == 0);
	set[1].ref = true;
	CHECK(excache_clock_victim(set, WAYS, &hand) == 2);
	CHECK(excache_fifo_victim(set, WAYS, &hand) == 0);
}

/* Before: every line busy. After: neither policy finds a victim. */
static void all_busy_has_no_victim(void)
{
	unsigned hand = 1;

	for (unsigned i = 0; i < WAYS; i++)
		set[i] = (struct excache_line){ .state = LINE_BUSY };
	CHECK(excache_fifo_victim(set, WAYS, &hand) == -1);
	CHECK(excache_clock_victim(set, WAYS, &hand) == -1);
}

/* A one-way set (direct mapped): the only line is always the victim. */
static void direct_mapped_set(void)
{
	unsigned hand = 0;

	set[0] = (struct excache_line){ .state = LINE_VALID, .ref = true };
	CHECK(excache_clock_victim(set, 1, &hand) == 0);
	CHECK(excache_fifo_victim(set, 1, &hand) == 0);
}

static const struct unit_test tests[] = {
	TEST(free_line_is_taken_first),
	TEST(fifo_picks_the_oldest_fill),
	TEST(fifo_skips_busy_lines),
	TEST(clock_gives_referenced_lines_a_second_chance),
	TEST(clock_all_referenced_evicts_at_the_hand),
	TEST(clock_keeps_a_line_used_between_sweeps),
	TEST(all_busy_has_no_victim),
	TEST(direct_mapped_set),
};

CHECK_MAIN("excache_policy", tests)
