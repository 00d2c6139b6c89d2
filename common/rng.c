/*
 * rng.c: xoshiro256** 1.0 (Blackman and Vigna, public domain reference at prng.di.unimi.it),
 * its state filled by splitmix64 so that nearby seeds give unrelated sequences.
 */
#include <math.h>

#include "rng.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void
rng_seed(struct rng *r, uint64_t seed)
{
	/* splitmix64 never yields four zero words in a row, so the state is never all zero. */
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
	r->spare = 0;
	r->have_spare = 0;
}

double
rng_normal(struct rng *r)
{
	double u, v, s;

	if (r->have_spare) {
		r->have_spare = 0;
		return r->spare;
	}
	/* Polar method: (u, v) uniform in the unit disc; needs only log and sqrt, which are
	 * correctly rounded or nearly so, unlike the sin/cos of Box-Muller. */
	do {
		u = 2 * rng_uniform(r) - 1;
		v = 2 * rng_uniform(r) - 1;
		s = u * u + v * v;
	} while (s >= 1 || s == 0);
	s = sqrt(-2 * log(s) / s);
	r->spare = v * s;
	r->have_spare = 1;
	return u * s;
}

/* The 128-bit product a * b as its high and low 64-bit halves. */
static inline void
mul_64x64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 p = (unsigned __int128)a * b;

	*hi = (uint64_t)(p >> 64);
	*lo = (uint64_t)p;
#else
	uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
	uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);

	*hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
	*lo = (mid << 32) | (p00 & 0xffffffffu);
#endif
}

uint64_t
rng_below(struct rng *r, uint64_t n)
{
	uint64_t hi, lo;

	if (n == 0)
		return 0;
	/* Lemire's method: the high half of x * n is uniform in [0, n) once the low half is
	 * at least 2^64 mod n; the division computing that bound is needed only when the low
	 * half falls below n, which is rare for small n. */
	mul_64x64(rng_next_u64(r), n, &hi, &lo);
	if (lo < n) {
		uint64_t threshold = -n % n;

		while (lo < threshold)
			mul_64x64(rng_next_u64(r), n, &hi, &lo);
	}
	return hi;
}

void
rng_jump(struct rng *r)
{
	static const uint64_t jump[] = {0x180ec6d33cfd0abau, 0xd5a61266f0c9392cu,
	                                0xa9582618e03fc9aau, 0x39abdc4529b1661cu};
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;

	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 64; b++) {
			if (jump[i] & (uint64_t)1 << b) {
				s0 ^= r->s[0];
				s1 ^= r->s[1];
				s2 ^= r->s[2];
				s3 ^= r->s[3];
			}
			rng_next_u64(r);
		}
	r->s[0] = s0;
	r->s[1] = s1;
	r->s[2] = s2;
	r->s[3] = s3;
	r->have_spare = 0;
}
