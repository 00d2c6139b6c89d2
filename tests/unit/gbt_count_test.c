/*
 * gbt_count_test: unit tests of the counted histograms in common/gbt.c, which is included
 * here for its static functions: the popcount kernels agree with each other and with a bit
 * by bit count, row_bitmap sets the bits of any list of rows, and a fit makes the same model,
 * bit for bit, whether its histograms are counted at every node (its top levels held as
 * bitmaps at every level they can be), at none, or where counting pays, with each kernel
 * this processor has, at 1 and 3 threads; and whether features of few bins are scanned by
 * scan_few or by scan_feature.
 */
#include "../../common/gbt.c"

#include "check.h"

#define NROWS  3000
#define NLARGE 70000 /* rows whose bitmaps span several chunks of work (CHUNK_ROWS) */
#define NF     5
#define W      64 /* words of the test bitmaps */

/* A 64-bit LCG: the same data on every machine. */
static uint64_t
next_u64(uint64_t *s)
{
	*s = *s * 6364136223846793005u + 1442695040888963407u;
	return *s ^ (*s >> 29);
}

/* The kernels this processor can run: portable, popcnt, AVX-512 (NULL: not here). */
static void
test_kernels(count_fn *kernels[3])
{
	kernels[0] = count_portable;
	kernels[1] = kernels[2] = NULL;
#ifdef HAVE_X86_COUNT
	if (__builtin_cpu_supports("popcnt"))
		kernels[1] = count_popcnt;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq"))
		kernels[2] = count_avx512;
#endif
}

static void
check_kernels(void)
{
	uint64_t a[W], z[W], c[3 * W], s = 1;
	uint32_t want[3], wantz[3], cnt[3], zcnt[3];
	count_fn *kernels[3];

	test_kernels(kernels);
	for (size_t t = 0; t < W; t++) {
		a[t] = next_u64(&s);
		z[t] = a[t] & next_u64(&s);
	}
	a[W - 1] = ~(uint64_t)0; /* a full word, and one with none */
	a[0] = z[0] = 0;
	for (size_t t = 0; t < 3 * W; t++)
		c[t] = next_u64(&s);
	for (size_t i = 0; i < 3; i++) {
		want[i] = wantz[i] = 0;
		for (size_t bit = 0; bit < 64 * W; bit++) {
			int in = c[i * W + bit / 64] >> (bit % 64) & 1;

			want[i] += in && (a[bit / 64] >> (bit % 64) & 1);
			wantz[i] += in && (z[bit / 64] >> (bit % 64) & 1);
		}
	}
	for (size_t k = 0; k < 3; k++) {
		if (!kernels[k])
			continue;
		kernels[k](a, z, c, 3, W, cnt, zcnt);
		for (size_t i = 0; i < 3; i++) {
			CHECK(cnt[i] == want[i]);
			CHECK(zcnt[i] == wantz[i]);
		}
	}
}

/* row_bitmap against setting each bit: rows in increasing order, then out of order. */
static void
check_row_bitmap(void)
{
	uint32_t rows[500];
	uint64_t a[W], want[W];
	size_t n = 0;

	for (uint32_t r = 3; r < 64 * W && n < 400; r += 1 + r % 7)
		rows[n++] = r;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) { /* a row before the last: the rest set one by one */
			rows[n++] = 70;
			rows[n++] = 5;
			rows[n++] = 64 * W - 1;
		}
		memset(a, 0, sizeof a);
		memset(want, 0, sizeof want);
		row_bitmap(rows, n, a);
		for (size_t i = 0; i < n; i++)
			want[rows[i] / 64] |= (uint64_t)1 << (rows[i] % 64);
		CHECK(memcmp(a, want, sizeof a) == 0);
	}
}

static int
same_model(const struct gbt_model *a, const struct gbt_model *b)
{
	if (a->ntrees != b->ntrees)
		return 0;
	for (size_t k = 0; k < a->ntrees; k++) {
		const struct gbt_tree *s = &a->trees[k], *t = &b->trees[k];
		size_t n = s->nnodes;

		if (n != t->nnodes || memcmp(s->left, t->left, n * sizeof *s->left) != 0 ||
		    memcmp(s->right, t->right, n * sizeof *s->right) != 0 ||
		    memcmp(s->feature, t->feature, n * sizeof *s->feature) != 0 ||
		    memcmp(s->threshold, t->threshold, n * sizeof *s->threshold) != 0 ||
		    memcmp(s->value, t->value, n * sizeof *s->value) != 0 ||
		    memcmp(s->gain, t->gain, n * sizeof *s->gain) != 0 ||
		    memcmp(s->cover, t->cover, n * sizeof *s->cover) != 0 ||
		    memcmp(s->default_left, t->default_left, n) != 0)
			return 0;
	}
	return 1;
}

static size_t counted_calls;
static count_fn *kernel;

/* The kernel under test, its calls counted (to see that a fit did count). */
static void
count_counted(const uint64_t *a, const uint64_t *z, const uint64_t *c, size_t k, size_t w,
              uint32_t *cnt, uint32_t *zcnt)
{
	counted_calls++;
	kernel(a, z, c, k, w, cnt, zcnt);
}

/*
 * Features: 0/1; ten values with some missing; twenty values; a continuous one (too many
 * bins to count); a constant. The label follows them, with noise.
 */
static double x[NF][NLARGE], y[NLARGE];
static size_t nrows = NROWS;

static void
make_data(void)
{
	uint64_t s = 99;

	for (size_t i = 0; i < nrows; i++) {
		double u = (double)(next_u64(&s) >> 11) * 0x1.0p-53;

		x[0][i] = (double)(next_u64(&s) >> 63);
		x[1][i] = next_u64(&s) % 7 == 0 ? NAN : (double)(next_u64(&s) % 10);
		x[2][i] = (double)(next_u64(&s) % 20) / 4;
		x[3][i] = (double)(next_u64(&s) >> 11) * 0x1.0p-53;
		x[4][i] = 1;
		y[i] = x[0][i] + (isnan(x[1][i]) ? 5 : x[1][i]) / 9 + x[3][i] + u > 1.8;
	}
}

/* The same model for each way of counting, kernel and thread count as never counting. */
static void
check_fits(const char *what, const struct gbt_params *base)
{
	const double *cols[NF] = {x[0], x[1], x[2], x[3], x[4]};
	struct gbt_data d = {nrows, NF, cols, y};
	count_fn *kernels[3];
	struct gbt_params p = *base;
	struct gbt_model *never;
	char err[256];
	size_t speed = count_speed;

	test_kernels(kernels);
	count_speed = 0; /* counting never pays */
	never = gbt_fit(&p, &d, NULL, err, sizeof err);
	CHECK(never != NULL);
	if (!never)
		return;
	for (size_t k = 0; k < 3; k++) {
		if (!kernels[k])
			continue;
		kernel = kernels[k];
		count_words = count_counted;
		for (int threads = 1; threads <= 3; threads += 2) {
			/* where counting pays, then at every node it can count */
			size_t speeds[2] = {speed ? speed : 1, (size_t)1 << 40};

			for (int sp = 0; sp < 2; sp++) {
				struct gbt_model *m;
				size_t before = counted_calls;

				p.nthreads = threads;
				count_speed = speeds[sp];
				bitmap_word_cost = sp ? 0 : 4;
				m = gbt_fit(&p, &d, NULL, err, sizeof err);
				CHECK(m != NULL);
				if (!m)
					continue;
				if (!same_model(never, m) || (sp == 1 && counted_calls == before))
					fprintf(stderr,
					        "%s: kernel %zu, %d threads, speed %zu: %s\n", what,
					        k, threads, count_speed,
					        counted_calls == before ? "nothing counted"
					                                : "another model");
				CHECK(same_model(never, m));
				if (sp == 1)
					CHECK(counted_calls > before);
				gbt_free(m);
			}
		}
	}
	count_words = kernels[2] ? kernels[2] : kernels[1] ? kernels[1] : kernels[0];
	count_speed = speed;
	bitmap_word_cost = 4;
	gbt_free(never);
}

/*
 * Random small problems (1 to 300 rows; features of two to 40 values, continuous, constant,
 * all missing, some with missing values, one with both missing values and more than 255
 * values so that bins take two bytes) and parameters: counting at every node it can, and
 * where it pays, give the model that never counting gives.
 */
static void
check_random(void)
{
	static double rx[6][600], ry[600];
	uint64_t s = 2024;
	int differ = 0;

	for (int problem = 0; problem < 300; problem++) {
		size_t n = 1 + next_u64(&s) % (problem % 10 == 0 ? 600 : 300),
		       nf = 1 + next_u64(&s) % 6;
		const double *cols[6];
		struct gbt_data d = {n, nf, cols, ry};
		struct gbt_params p;
		struct gbt_model *never, *m;
		char err[256];
		size_t speed = count_speed;

		for (size_t j = 0; j < nf; j++) {
			unsigned kind = (unsigned)(next_u64(&s) % 6),
			         values = 2 + next_u64(&s) % 39;
			int missing = next_u64(&s) % 3 == 0;

			for (size_t i = 0; i < n; i++) {
				double v = (double)(next_u64(&s) % values);

				if (kind == 3 || (kind == 5 && j == 0))
					v = (double)(next_u64(&s) >> 11) * 0x1.0p-53;
				else if (kind == 4)
					v = 7;
				if ((missing && next_u64(&s) % 5 == 0) || (kind == 5 && j == 1))
					v = NAN;
				rx[j][i] = v;
			}
			if (kind == 5 && j == 0)
				rx[j][0] = NAN; /* with all distinct: two-byte bins */
			cols[j] = rx[j];
		}
		for (size_t i = 0; i < n; i++)
			ry[i] = (double)((next_u64(&s) % 4 == 0) ^
			                 (isnan(rx[0][i]) || rx[0][i] > 1));
		if (problem % 2 == 0) {
			gbt_params_forest(&p);
			p.num_parallel_tree = 1 + (long)(next_u64(&s) % 8);
		} else {
			gbt_params_default(&p);
			p.n_estimators = 1 + (long)(next_u64(&s) % 3);
		}
		p.objective = (enum gbt_objective)(next_u64(&s) % 3);
		p.max_depth = 1 + (long)(next_u64(&s) % 8);
		p.subsample = 0.3 + 0.7 * (double)(next_u64(&s) % 8) / 7;
		p.colsample_bynode = 0.5 + 0.5 * (double)(next_u64(&s) % 2);
		p.min_child_weight = (double)(next_u64(&s) % 3);
		p.reg_alpha = next_u64(&s) % 2 ? 0.5 : 0;
		p.max_bin = next_u64(&s) % 4 == 0 ? 16 : 256;
		p.seed = next_u64(&s);
		p.nthreads = 1 + (int)(next_u64(&s) % 2);
		count_speed = 0;
		few_bins = 0; /* every feature by scan_feature */
		never = gbt_fit(&p, &d, NULL, err, sizeof err);
		few_bins = 8;
		if (!never) /* one class, say: nothing to compare */
			continue;
		for (int sp = 0; sp < 2; sp++) {
			count_speed = sp ? (size_t)1 << 40 : (speed ? speed : 1);
			bitmap_word_cost = sp ? 0 : 4;
			m = gbt_fit(&p, &d, NULL, err, sizeof err);
			CHECK(m != NULL);
			if (m && !same_model(never, m) && differ++ < 5)
				fprintf(stderr,
				        "random problem %d (%zu rows, %zu features): another "
				        "model\n",
				        problem, n, nf);
			CHECK(m && same_model(never, m));
			gbt_free(m);
		}
		count_speed = speed;
		bitmap_word_cost = 4;
		gbt_free(never);
	}
}

/*
 * The bitmaps stay within COUNT_BUDGET per feature: of features of 2, 3, 31 and 32 values
 * (and one of 2 with missing values) those of fewest bins are counted, one of 31 too while
 * it fits, the rest are not.
 */
static void
check_budget(void)
{
	static double v[6][200];
	const double *cols[6];
	unsigned values[6] = {31, 2, 32, 3, 2, 31};
	struct gbt_data d = {200, 6, cols, y};
	struct gbt_binned *b;
	struct pool pool;

	for (size_t j = 0; j < 6; j++) {
		for (size_t i = 0; i < 200; i++)
			v[j][i] = j == 4 && i % 9 == 0 ? NAN : (double)(i % values[j]);
		cols[j] = v[j];
	}
	pool_init(&pool, 1);
	b = bin_data(&pool, &d, 256);
	pool_free(&pool);
	CHECK(b->ncum + b->nmiss <= COUNT_BUDGET * 6);
	/* 24 bitmaps: 1 (2 values), 2 (3 values), 1 + 1 missing (2 values with missing),
	 * then the first feature of 31 values (30): no room; nor for 32 */
	CHECK(b->cum_first[1] != SIZE_MAX && b->cum_first[3] != SIZE_MAX);
	CHECK(b->cum_first[4] != SIZE_MAX && b->miss_first[4] != SIZE_MAX);
	CHECK(b->cum_first[0] == SIZE_MAX && b->cum_first[2] == SIZE_MAX &&
	      b->cum_first[5] == SIZE_MAX);
	CHECK(b->ncum == 4 && b->nmiss == 1);
	binned_free(b);
}

/* XGBRFClassifier's parameters with trees, depth and seed. */
static struct gbt_params
forest(long trees, long depth, uint64_t seed)
{
	struct gbt_params p;

	gbt_params_forest(&p);
	p.num_parallel_tree = trees;
	p.max_depth = depth;
	p.seed = seed;
	return p;
}

int
main(void)
{
	struct gbt_params p;

	pthread_once(&count_once, count_choose); /* then overridden here */
	check_kernels();
	check_row_bitmap();
	make_data();
	check_budget();

	p = forest(20, 8, 5);
	check_fits("forest", &p);

	p.subsample = 1;
	p.colsample_bynode = 1;
	p.objective = GBT_REG_SQUAREDERROR;
	p.scale_pos_weight = 3;
	check_fits("forest, squared error, all rows", &p);

	gbt_params_default(&p);
	p.n_estimators = 4; /* the first round counted, the others not */
	p.max_depth = 6;
	p.subsample = 0.6;
	p.reg_alpha = 0.5;
	p.min_child_weight = 2;
	check_fits("boosting", &p);

	/* bitmaps of several chunks, shared among threads */
	nrows = NLARGE;
	make_data();
	p = forest(4, 6, 9);
	check_fits("forest, 70,000 rows", &p);
	check_random();
	return check_summary();
}
