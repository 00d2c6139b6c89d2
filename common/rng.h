/*
 * rng.h: a small seeded pseudo-random generator — xoshiro256** (Blackman & Vigna), its state
 * filled from the seed by splitmix64. Deterministic on every host; not for cryptography.
 */
#ifndef PIPEML_RNG_H
#define PIPEML_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Seed the generator; the same seed always gives the same sequence. */
void rng_seed(struct rng *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t rng_next(struct rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double rng_uniform(struct rng *r);
/* Uniform integer in [0, n) without modulo bias (rejection); n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Fisher–Yates shuffle of a[0..n). */
void rng_shuffle_u32(struct rng *r, uint32_t *a, size_t n);
/*
 * Advance r by 2^128 draws: a generator copied and jumped k times gives a sequence that does
 * not overlap the original's, e.g. one per thread.
 */
void rng_jump(struct rng *r);

#endif
