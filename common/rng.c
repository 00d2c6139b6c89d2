/*
 * rng.c: xoshiro256** 1.0 (Blackman and Vigna, public domain reference at prng.di.unimi.it),
 * its state filled by splitmix64 so that nearby seeds give unrelated sequences; and MT19937
 * (Matsumoto and Nishimura, 1998) seeded and drawn from as numpy's legacy RandomState does.
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

/* ---- numpy's RandomState: MT19937 ---- */

enum { MT_N = 624, MT_M = 397 };
#define MT_MATRIX_A 0x9908b0dfu
#define MT_UPPER    0x80000000u
#define MT_LOWER    0x7fffffffu

void
np_rng_seed(struct np_rng *r, uint32_t seed)
{
	r->key[0] = seed;
	for (int i = 1; i < MT_N; i++)
		r->key[i] = 1812433253u * (r->key[i - 1] ^ (r->key[i - 1] >> 30)) + (uint32_t)i;
	r->pos = MT_N;
}

static uint32_t
mt_twist(uint32_t a, uint32_t b, uint32_t far)
{
	uint32_t y = (a & MT_UPPER) | (b & MT_LOWER);

	return far ^ (y >> 1) ^ ((y & 1) ? MT_MATRIX_A : 0);
}

/* The next 624 words of the state, all at once. */
static void
mt_generate(struct np_rng *r)
{
	uint32_t *k = r->key;
	int i;

	for (i = 0; i < MT_N - MT_M; i++)
		k[i] = mt_twist(k[i], k[i + 1], k[i + MT_M]);
	for (; i < MT_N - 1; i++)
		k[i] = mt_twist(k[i], k[i + 1], k[i + MT_M - MT_N]);
	k[MT_N - 1] = mt_twist(k[MT_N - 1], k[0], k[MT_M - 1]);
	r->pos = 0;
}

uint32_t
np_rng_next_u32(struct np_rng *r)
{
	uint32_t y;

	if (r->pos >= MT_N)
		mt_generate(r);
	y = r->key[r->pos++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	y ^= y >> 18;
	return y;
}

uint64_t
np_rng_interval(struct np_rng *r, uint64_t max)
{
	uint64_t mask = max, v;

	if (max == 0)
		return 0;
	mask |= mask >> 1;
	mask |= mask >> 2;
	mask |= mask >> 4;
	mask |= mask >> 8;
	mask |= mask >> 16;
	mask |= mask >> 32;
	if (max <= 0xffffffffu) {
		while ((v = np_rng_next_u32(r) & mask) > max)
			;
	} else {
		/* numpy's next_uint64 for MT19937: two 32-bit draws, the first the high half */
		do {
			uint64_t hi = np_rng_next_u32(r);

			v = ((hi << 32) | np_rng_next_u32(r)) & mask;
		} while (v > max);
	}
	return v;
}

void
np_rng_shuffle(struct np_rng *r, uint32_t *a, size_t n)
{
	for (size_t i = n; i-- > 1;) {
		size_t j = (size_t)np_rng_interval(r, i);
		uint32_t t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}
