/*
 * The sampling of power of two choices (include/managers/choice.h): xorshift64*,
 * good enough to spread placements and cheap enough for gmon's request path.
 */
#include "managers/choice.h"

uint64_t choice_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* A uniform-enough index in [0, n), n > 0 (bias below 2^-32 * n). */
static unsigned below(uint64_t *state, unsigned n)
{
	return (unsigned)((choice_rand(state) >> 32) % n);
}

void choice_two(uint64_t *state, unsigned n, unsigned *i, unsigned *j)
{
	*i = below(state, n);
	*j = below(state, n - 1);
	if (*j >= *i)
		(*j)++;
}

unsigned choice_freer(uint64_t *state, const uint64_t *room, unsigned n)
{
	unsigned i, j;

	if (n == 1)
		return 0;
	choice_two(state, n, &i, &j);
	return room[j] > room[i] ? j : i;
}
