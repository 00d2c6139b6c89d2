/* rng_test: unit tests of common/rng (reference values, ranges, moments, streams). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "rng.h"

/* Reference values from an independent Python implementation of splitmix64 + xoshiro256**. */
static void
test_reference(void)
{
	static const unsigned char below10[] = {0, 3, 6, 9, 9, 7, 7, 8, 7, 5};
	struct rng r;

	rng_seed(&r, 0);
	CHECK(rng_next_u64(&r) == 0x99ec5f36cb75f2b4u);
	CHECK(rng_next_u64(&r) == 0xbf6e1f784956452au);
	CHECK(rng_next_u64(&r) == 0x1a5f849d4933e6e0u);
	rng_seed(&r, 42);
	CHECK(rng_next_u64(&r) == 0x15780b2e0c2ec716u);
	CHECK(rng_next_u64(&r) == 0x6104d9866d113a7eu);
	CHECK(rng_next_u64(&r) == 0xae17533239e499a1u);
	rng_seed(&r, 42);
	for (int i = 0; i < 10; i++)
		CHECK(rng_below(&r, 10) == below10[i]);
	CHECK(rng_below(&r, 1000003) == 682454);
	CHECK(rng_below(&r, 1000003) == 290678);
	CHECK(rng_below(&r, 1000003) == 801026);
	CHECK(rng_below(&r, UINT64_MAX) == 5928998142081247041u);
}

static void
test_uniform(void)
{
	enum { N = 1000000, BINS = 10 };
	long count[BINS] = {0};
	double sum = 0, chi2 = 0;
	struct rng r;

	rng_seed(&r, 7);
	for (int i = 0; i < N; i++) {
		double u = rng_uniform(&r);

		CHECK(u >= 0 && u < 1);
		sum += u;
		count[(int)(u * BINS)]++;
	}
	for (int b = 0; b < BINS; b++)
		chi2 += (count[b] - N / BINS) * (double)(count[b] - N / BINS) / (N / BINS);
	CHECK(fabs(sum / N - 0.5) < 0.002);
	CHECK(chi2 < 27.9); /* 99.9th percentile of chi-square with 9 degrees of freedom */
}

static void
test_below(void)
{
	enum { N = 900000, K = 9 };
	long count[K] = {0};
	double chi2 = 0;
	struct rng r;

	rng_seed(&r, 11);
	for (int i = 0; i < N; i++) {
		uint64_t x = rng_below(&r, K);

		CHECK(x < K);
		if (x < K)
			count[x]++;
	}
	for (int b = 0; b < K; b++)
		chi2 += (count[b] - N / K) * (double)(count[b] - N / K) / (N / K);
	CHECK(chi2 < 26.1); /* 99.9th percentile, 8 degrees of freedom */
	CHECK(rng_below(&r, 0) == 0);
	CHECK(rng_below(&r, 1) == 0);
}

static void
test_normal(void)
{
	enum { N = 1000000 };
	double sum = 0, sumsq = 0, mean, var;
	long beyond2 = 0;
	struct rng r;

	rng_seed(&r, 3);
	for (int i = 0; i < N; i++) {
		double z = rng_normal(&r);

		sum += z;
		sumsq += z * z;
		beyond2 += fabs(z) > 2;
	}
	mean = sum / N;
	var = sumsq / N - mean * mean;
	CHECK(fabs(mean) < 0.005);
	CHECK(fabs(var - 1) < 0.005);
	CHECK(fabs((double)beyond2 / N - 0.0455) < 0.001);
}

static void
test_streams(void)
{
	struct rng a, b;
	int same = 0;

	rng_seed(&a, 5);
	rng_seed(&b, 5);
	for (int i = 0; i < 1000; i++)
		same += rng_next_u64(&a) == rng_next_u64(&b);
	CHECK(same == 1000);
	rng_seed(&a, 5);
	rng_seed(&b, 6);
	same = 0;
	for (int i = 0; i < 1000; i++)
		same += rng_next_u64(&a) == rng_next_u64(&b);
	CHECK(same == 0);
	rng_seed(&a, 5);
	b = a;
	rng_jump(&b);
	CHECK(memcmp(a.s, b.s, sizeof a.s) != 0);
	same = 0;
	for (int i = 0; i < 1000; i++)
		same += rng_next_u64(&a) == rng_next_u64(&b);
	CHECK(same == 0);
}

/* numpy's RandomState: MT19937's outputs and numpy's permutation, against numpy itself and
 * the C++ standard's check value (std::mt19937's 10000th output for the default seed). */
static void
test_np_rng(void)
{
	static const uint32_t perm10[] = {8, 1, 5, 0, 7, 2, 9, 4, 3, 6};
	struct np_rng r;
	uint32_t a[10], x = 0;

	np_rng_seed(&r, 42); /* np.random.RandomState(42).randint(0, 2**32, 3, np.uint64) */
	CHECK(np_rng_next_u32(&r) == 1608637542u);
	CHECK(np_rng_next_u32(&r) == 3421126067u);
	CHECK(np_rng_next_u32(&r) == 4083286876u);
	np_rng_seed(&r, 5489);
	for (int i = 0; i < 10000; i++)
		x = np_rng_next_u32(&r);
	CHECK(x == 4123659995u);
	np_rng_seed(&r, 42); /* np.random.RandomState(42).permutation(10) */
	for (uint32_t i = 0; i < 10; i++)
		a[i] = i;
	np_rng_shuffle(&r, a, 10);
	CHECK(memcmp(a, perm10, sizeof a) == 0);
	CHECK(np_rng_interval(&r, 0) == 0);
}

int
main(void)
{
	test_reference();
	test_uniform();
	test_below();
	test_normal();
	test_streams();
	test_np_rng();
	return check_summary();
}
