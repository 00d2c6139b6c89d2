/*
 * rng.h: a small, fast, seeded pseudo-random number generator (xoshiro256**, seeded through
 * splitmix64). The same seed gives the same sequence on every platform; no global state.
 * Not for cryptography.
 *
 * Also numpy's legacy generator (np.random.RandomState: the 32-bit Mersenne Twister MT19937),
 * as far as reproducing scikit-learn's draws needs it (struct np_rng).
 */
#ifndef PIPEML_RNG_H
#define PIPEML_RNG_H

#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
	double spare;   /* second normal deviate of the last polar draw */
	int have_spare; /* 1 when spare holds an unused deviate */
};

/* Start the generator from seed (any value, 0 included). */
void rng_seed(struct rng *r, uint64_t seed);

/* The next 64 uniformly distributed bits (inline: samplers call it once a row). */
static inline uint64_t
rng_next_u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}

/* A uniform double in [0, 1), a multiple of 2^-53. */
static inline double
rng_uniform(struct rng *r)
{
	return (double)(rng_next_u64(r) >> 11) * 0x1.0p-53;
}

/* A standard normal deviate (mean 0, sd 1), Marsaglia's polar method. */
double rng_normal(struct rng *r);

/* A uniform integer in [0, n), without modulo bias; n must be > 0 (0 is returned for 0). */
uint64_t rng_below(struct rng *r, uint64_t n);

/*
 * Advance r by 2^128 draws: call it k times on a copy to get the k-th of up to 2^128
 * non-overlapping streams (one per thread) from a single seed.
 */
void rng_jump(struct rng *r);

/* numpy's RandomState: MT19937 state and position. */
struct np_rng {
	uint32_t key[624];
	int pos;
};

/* As np.random.RandomState(seed) for an integer seed (numpy takes 0 .. 2^32 - 1). */
void np_rng_seed(struct np_rng *r, uint32_t seed);

/* The next 32 bits (MT19937's tempered output). */
uint32_t np_rng_next_u32(struct np_rng *r);

/* numpy's random_interval: a uniform integer in [0, max], by masked rejection. */
uint64_t np_rng_interval(struct np_rng *r, uint64_t max);

/* RandomState.shuffle of a[0..n) (and so permutation): for i = n-1 down to 1, swap a[i]
 * with a[random_interval(i)]. */
void np_rng_shuffle(struct np_rng *r, uint32_t *a, size_t n);

#endif
