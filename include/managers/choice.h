/*
 * The random half of "power of two choices", which GMM and GPM both place by:
 * a small PRNG and a uniform sample of two distinct candidates (managers/choice.c).
 * Portable; the caller owns the state and serialises its use.
 */
#ifndef MANAGERS_CHOICE_H
#define MANAGERS_CHOICE_H

#include <stdint.h>

/* The next xorshift64* number; *state is never 0 (seed it with a nonzero value). */
uint64_t choice_rand(uint64_t *state);
/* Two distinct indexes in [0, n), n >= 2, each pair equally likely. */
void choice_two(uint64_t *state, unsigned n, unsigned *i, unsigned *j);
/*
 * Power of two choices over n >= 1 candidates with room[k] free: the index of the
 * freer of two sampled (the first sampled on a tie); with one, 0 (no draw).
 */
unsigned choice_freer(uint64_t *state, const uint64_t *room, unsigned n);

#endif
