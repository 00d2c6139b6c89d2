/*
 * gbt.c: histogram gradient boosting as XGBoost 1.7 does it with tree_method=hist.
 *
 * Training bins every feature once (quantile cuts, one byte per value, row-major; two when a
 * feature with missing values has all 256 bins, so that one code is left for missing), then
 * grows each tree depth by depth: a histogram of gradient and hessian sums per node and
 * bin, the sibling's histogram as parent minus the smaller child, the best split of each
 * node by scanning the bins both ways (missing values right, then left), and an in-place
 * stable partition of the node's rows. In a round whose sums are all exact (a forest's), the
 * histograms of features of few bins may be counted from bitmaps instead (count_task), and
 * the top levels of the last such round's trees may hold their nodes' rows as bitmaps
 * (partition_level_bits). Work is split into chunks whose boundaries depend on the data
 * only, and partial sums are added in chunk order, so the result is the same bit for bit
 * for any number of threads.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_X86_COUNT 1
#endif

#include "gbt.h"
#include "rng.h"
#include "util.h"

#define RT_EPS         1e-6 /* XGBoost's kRtEps: a split must gain more than this */
#define CHUNK_ROWS     32768
#define MAX_CHUNKS     16
#define PREFETCH       16    /* rows ahead to prefetch when building a histogram */
#define PREDICT_BLOCK  64    /* rows that go through the trees together */
#define POOL_MIN_WORK  65536 /* row × feature steps below which a pool_run stays on one thread */
#define COUNT_MAX_BINS 32    /* features of at most this many bins may be counted (count_task) */
#define COUNT_BUDGET   4     /* their bitmaps per feature, at most: half the bins' memory */

/* ---- parameters ---- */

void
gbt_params_default(struct gbt_params *p)
{
	memset(p, 0, sizeof *p);
	p->objective = GBT_BINARY_LOGISTIC;
	p->n_estimators = 100;
	p->learning_rate = 0.3;
	p->max_depth = 6;
	p->min_child_weight = 1;
	p->min_split_loss = 0;
	p->reg_lambda = 1;
	p->reg_alpha = 0;
	p->subsample = 1;
	p->colsample_bytree = 1;
	p->colsample_bylevel = 1;
	p->colsample_bynode = 1;
	p->max_bin = 256;
	p->num_parallel_tree = 1;
	p->base_score = 0.5;
	p->scale_pos_weight = 1;
	p->seed = 0;
	p->early_stopping_rounds = 0;
	p->nthreads = 1;
}

void
gbt_params_forest(struct gbt_params *p)
{
	gbt_params_default(p);
	p->num_parallel_tree = 100;
	p->n_estimators = 1;
	p->learning_rate = 1;
	p->subsample = 0.8;
	p->colsample_bynode = 0.8;
	p->reg_lambda = 1e-5;
}

static const char *const objective_names[] = {"binary:logistic", "reg:logistic",
                                              "reg:squarederror"};

const char *
gbt_objective_name(enum gbt_objective o)
{
	return objective_names[o];
}

int
gbt_objective_parse(const char *name, enum gbt_objective *o)
{
	for (size_t i = 0; i < sizeof objective_names / sizeof objective_names[0]; i++)
		if (strcmp(name, objective_names[i]) == 0) {
			*o = (enum gbt_objective)i;
			return 0;
		}
	return -1;
}

static int
param_f64(const char *value, double *out)
{
	return parse_f64(value, strlen(value), out) == 0 && isfinite(*out) ? 0 : -1;
}

static int
param_long(const char *value, long *out)
{
	int64_t v;

	if (parse_i64(value, strlen(value), &v) != 0 || v < 0 || v > 1000000000)
		return -1;
	*out = (long)v;
	return 0;
}

int
gbt_params_set(struct gbt_params *p, const char *name, const char *value, char *err, size_t errsize)
{
	const struct {
		const char *name;
		double *v;
	} reals[] = {
	        {"learning_rate", &p->learning_rate},
	        {"eta", &p->learning_rate},
	        {"min_child_weight", &p->min_child_weight},
	        {"min_split_loss", &p->min_split_loss},
	        {"gamma", &p->min_split_loss},
	        {"reg_lambda", &p->reg_lambda},
	        {"lambda", &p->reg_lambda},
	        {"reg_alpha", &p->reg_alpha},
	        {"alpha", &p->reg_alpha},
	        {"subsample", &p->subsample},
	        {"colsample_bytree", &p->colsample_bytree},
	        {"colsample_bylevel", &p->colsample_bylevel},
	        {"colsample_bynode", &p->colsample_bynode},
	        {"base_score", &p->base_score},
	        {"scale_pos_weight", &p->scale_pos_weight},
	};
	const struct {
		const char *name;
		long *v;
	} longs[] = {
	        {"n_estimators", &p->n_estimators},
	        {"max_depth", &p->max_depth},
	        {"max_bin", &p->max_bin},
	        {"num_parallel_tree", &p->num_parallel_tree},
	        {"early_stopping_rounds", &p->early_stopping_rounds},
	};

	if (strcmp(name, "objective") == 0) {
		if (gbt_objective_parse(value, &p->objective) != 0) {
			snprintf(err, errsize,
			         "objective: '%s' is not binary:logistic, reg:logistic or "
			         "reg:squarederror",
			         value);
			return -1;
		}
		return 0;
	}
	if (strcmp(name, "eval_metric") == 0) {
		static const char *const metrics[] = {"logloss", "error", "auc", "aucpr", "rmse"};

		for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
			if (strcmp(value, metrics[i]) == 0)
				return 0;
		snprintf(err, errsize,
		         "eval_metric: '%s' is not logloss, error, auc, aucpr or rmse", value);
		return -1;
	}
	if (strcmp(name, "seed") == 0 || strcmp(name, "random_state") == 0) {
		uint64_t v;

		if (parse_u64(value, strlen(value), &v) != 0) {
			snprintf(err, errsize, "%s: invalid seed '%s'", name, value);
			return -1;
		}
		p->seed = v;
		return 0;
	}
	for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
		if (strcmp(name, reals[i].name) == 0) {
			if (param_f64(value, reals[i].v) != 0) {
				snprintf(err, errsize, "%s: invalid number '%s'", name, value);
				return -1;
			}
			return 0;
		}
	for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++)
		if (strcmp(name, longs[i].name) == 0) {
			if (param_long(value, longs[i].v) != 0) {
				snprintf(err, errsize, "%s: invalid integer '%s'", name, value);
				return -1;
			}
			return 0;
		}
	snprintf(err, errsize, "unknown parameter '%s'", name);
	return -2;
}

int
gbt_params_check(const struct gbt_params *p, char *err, size_t errsize)
{
	const char *what = NULL;

	if (p->n_estimators < 1)
		what = "n_estimators must be at least 1";
	else if (!(p->learning_rate > 0))
		what = "learning_rate must be > 0";
	else if (p->max_depth < 1 || p->max_depth > GBT_MAX_DEPTH)
		what = "max_depth must be in 1..30";
	else if (!(p->min_child_weight >= 0))
		what = "min_child_weight must be >= 0";
	else if (!(p->min_split_loss >= 0))
		what = "min_split_loss must be >= 0";
	else if (!(p->reg_lambda >= 0))
		what = "reg_lambda must be >= 0";
	else if (!(p->reg_alpha >= 0))
		what = "reg_alpha must be >= 0";
	else if (!(p->subsample > 0 && p->subsample <= 1))
		what = "subsample must be in (0, 1]";
	else if (!(p->colsample_bytree > 0 && p->colsample_bytree <= 1))
		what = "colsample_bytree must be in (0, 1]";
	else if (!(p->colsample_bylevel > 0 && p->colsample_bylevel <= 1))
		what = "colsample_bylevel must be in (0, 1]";
	else if (!(p->colsample_bynode > 0 && p->colsample_bynode <= 1))
		what = "colsample_bynode must be in (0, 1]";
	else if (p->max_bin < 2 || p->max_bin > GBT_MAX_BIN)
		what = "max_bin must be in 2..256";
	else if (p->num_parallel_tree < 1 || p->num_parallel_tree > 100000)
		what = "num_parallel_tree must be in 1..100000";
	else if (p->objective != GBT_REG_SQUAREDERROR && !(p->base_score > 0 && p->base_score < 1))
		what = "base_score must be in (0, 1) for a logistic objective";
	else if (!(p->scale_pos_weight > 0))
		what = "scale_pos_weight must be > 0";
	if (what) {
		snprintf(err, errsize, "%s", what);
		return -1;
	}
	return 0;
}

/* ---- a small thread pool: run fn(ctx, task) for task in [0, ntasks) ---- */

typedef void task_fn(void *ctx, size_t task);

struct pool {
	int nthreads;
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t start, done;
	unsigned long generation;
	int running, quit;
	task_fn *fn;
	void *ctx;
	size_t ntasks;
	atomic_size_t next;
};

static void
pool_work(struct pool *pl)
{
	size_t t;

	while ((t = atomic_fetch_add(&pl->next, 1)) < pl->ntasks)
		pl->fn(pl->ctx, t);
}

static void *
pool_main(void *arg)
{
	struct pool *pl = arg;
	unsigned long seen = 0;

	for (;;) {
		pthread_mutex_lock(&pl->mu);
		while (pl->generation == seen && !pl->quit)
			pthread_cond_wait(&pl->start, &pl->mu);
		if (pl->quit) {
			pthread_mutex_unlock(&pl->mu);
			return NULL;
		}
		seen = pl->generation;
		pthread_mutex_unlock(&pl->mu);
		pool_work(pl);
		pthread_mutex_lock(&pl->mu);
		if (--pl->running == 0)
			pthread_cond_signal(&pl->done);
		pthread_mutex_unlock(&pl->mu);
	}
}

static void
pool_init(struct pool *pl, int nthreads)
{
	memset(pl, 0, sizeof *pl);
	pl->nthreads = nthreads < 1 ? 1 : nthreads;
	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->start, NULL);
	pthread_cond_init(&pl->done, NULL);
	pl->threads = xcalloc((size_t)pl->nthreads, sizeof *pl->threads);
	for (int i = 1; i < pl->nthreads; i++)
		if (pthread_create(&pl->threads[i], NULL, pool_main, pl) != 0)
			die("pthread_create:");
}

/*
 * Run fn over the tasks on the pool's threads; on this thread alone when there is one task
 * or the work (an estimate in row × feature steps, about a nanosecond each) is too small to
 * pay for waking the others (a few microseconds each time). Either way the same results.
 */
static void
pool_run(struct pool *pl, size_t ntasks, size_t work, task_fn *fn, void *ctx)
{
	if (pl->nthreads == 1 || ntasks < 2 || work < POOL_MIN_WORK) {
		for (size_t t = 0; t < ntasks; t++)
			fn(ctx, t);
		return;
	}
	pthread_mutex_lock(&pl->mu);
	pl->fn = fn;
	pl->ctx = ctx;
	pl->ntasks = ntasks;
	atomic_store(&pl->next, 0);
	pl->running = pl->nthreads - 1;
	pl->generation++;
	pthread_cond_broadcast(&pl->start);
	pthread_mutex_unlock(&pl->mu);
	pool_work(pl);
	pthread_mutex_lock(&pl->mu);
	while (pl->running > 0)
		pthread_cond_wait(&pl->done, &pl->mu);
	pthread_mutex_unlock(&pl->mu);
}

static void
pool_free(struct pool *pl)
{
	pthread_mutex_lock(&pl->mu);
	pl->quit = 1;
	pthread_cond_broadcast(&pl->start);
	pthread_mutex_unlock(&pl->mu);
	for (int i = 1; i < pl->nthreads; i++)
		pthread_join(pl->threads[i], NULL);
	free(pl->threads);
	pthread_mutex_destroy(&pl->mu);
	pthread_cond_destroy(&pl->start);
	pthread_cond_destroy(&pl->done);
}

/* ---- quantile bins ---- */

/* Map a float to an unsigned key with the same order, for radix sorting. */
static uint32_t
float_key(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof u);
	return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}

static float
key_float(uint32_t u)
{
	float f;

	u = (u & 0x80000000u) ? u & 0x7fffffffu : ~u;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* LSD radix sort of n keys, 11 bits a pass; tmp has room for n keys. */
static void
radix_sort(uint32_t *keys, uint32_t *tmp, size_t n)
{
	for (int shift = 0; shift < 32; shift += 11) {
		size_t count[2048] = {0};

		for (size_t i = 0; i < n; i++)
			count[(keys[i] >> shift) & 2047]++;
		for (size_t b = 0, sum = 0; b < 2048; b++) {
			size_t c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(keys[i] >> shift) & 2047]++] = keys[i];
		memcpy(keys, tmp, n * sizeof *keys);
	}
}

/*
 * The training rows binned: what a fit derives from its rows and max_bin alone, so that the
 * fits of a search's candidates on one fold can share it (the learners' prepare).
 */
struct gbt_binned {
	size_t nrows, nf;
	long max_bin;
	uint32_t *nbins;        /* per feature */
	float **cuts;           /* per feature: nbins upper bounds */
	float *min_value;       /* per feature: below the smallest value */
	uint16_t *missing_code; /* per feature: the bin code of a missing value (nbins) */
	int wide;               /* bins16 rather than bins8 */
	uint8_t *bins8;         /* nrows × nfeatures, for histograms */
	uint16_t *bins16;
	uint8_t *cbins8; /* the same, nfeatures × nrows, for partitions */
	uint16_t *cbins16;
	/*
	 * For counting histograms (count_task): each feature of at most COUNT_MAX_BINS bins
	 * as bitmaps of rows (bit i of word i / 64: row i; bwords words each, padded with
	 * zeros to a multiple of 8): its rows with bin <= b, for b < nbins − 1, from
	 * cum + cum_first[j] · bwords on (cum_first[j] = SIZE_MAX: not counted), and its rows
	 * missing a value, at miss + miss_first[j] · bwords (SIZE_MAX: none missing).
	 */
	size_t bwords, ncum, nmiss;
	size_t *cum_first, *miss_first;
	uint64_t *cum, *miss;
};

struct binning {
	const struct gbt_data *d;
	struct gbt_binned *b;
	uint8_t *has_missing;
};

/* An entry of XGBoost's weighted quantile summary (WQSummary): ranks as floats, as there. */
struct qentry {
	float rmin, rmax, wmin, value;
};

/* WQSummary::SetPrune: keep at most maxsize entries, spread evenly over the rank range. */
static size_t
prune_summary(const struct qentry *src, size_t n, struct qentry *dst, size_t maxsize)
{
	float begin, range;
	size_t m = maxsize - 1, size = 1, i = 1, lastidx = 0;

	if (n <= maxsize) {
		memcpy(dst, src, n * sizeof *dst);
		return n;
	}
	begin = src[0].rmax;
	range = src[n - 1].rmin - src[0].rmax;
	dst[0] = src[0];
	for (size_t k = 1; k < m; k++) {
		float dx2 = 2 * (((float)k * range) / (float)m + begin);

		while (i < n - 1 && dx2 >= src[i + 1].rmax + src[i + 1].rmin)
			i++;
		if (i == n - 1)
			break;
		if (dx2 < (src[i].rmin + src[i].wmin) + (src[i + 1].rmax - src[i + 1].wmin)) {
			if (i != lastidx)
				dst[size++] = src[lastidx = i];
		} else if (i + 1 != lastidx) {
			dst[size++] = src[lastidx = i + 1];
		}
	}
	if (lastidx != n - 1)
		dst[size++] = src[n - 1];
	return size;
}

/* WQuantileSketch::LimitSizeLevel for k values and eps = 1/(8 · min(max_bin, k)). */
static size_t
sketch_limit(size_t k, long max_bin)
{
	double nbins = (double)((size_t)max_bin < k ? (size_t)max_bin : k), limit;

	for (double nlevel = 1;; nlevel++) {
		limit = ceil(nlevel * nbins * 8) + 1;
		if (limit > (double)k)
			limit = (double)k;
		if (ldexp(limit, (int)nlevel) >= (double)k)
			return (size_t)limit;
	}
}

/*
 * Cuts as XGBoost 1.7's HistogramCuts from an exact summary of the values: pruned to the
 * sketch's limit size, to 8 · max_bin entries, then to max_bin + 1 (XGBoost's sketch is
 * exact up to about 4 · 8 · max_bin values, so the cuts are the same there); the cuts are the
 * entries after the first, then one above the largest value. With at most max_bin distinct values
 * that is one bin per value. Bin b holds cuts[b-1] <= x < cuts[b]; code nbins marks missing.
 */
static void
find_cuts(void *ctx, size_t j)
{
	struct binning *bn = ctx;
	const double *col = bn->d->x[j];
	size_t n = bn->d->nrows, k = 0, nq = 0, mid, nbmax;
	uint32_t *keys = xmalloc(n * sizeof *keys), *tmp = xmalloc(n * sizeof *tmp);
	struct qentry *q;
	float *cuts;
	long max_bin = bn->b->max_bin;
	uint32_t nb = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(col[i]))
			keys[k++] = float_key((float)col[i]);
	radix_sort(keys, tmp, k);
	free(tmp);
	q = xmalloc((k ? k : 1) * sizeof *q);
	for (size_t i = 0; i < k;) {
		size_t e = i;

		while (e < k && keys[e] == keys[i])
			e++;
		q[nq].rmin = (float)i;
		q[nq].wmin = (float)(e - i);
		q[nq].rmax = (float)e;
		q[nq].value = key_float(keys[i]);
		nq++;
		i = e;
	}
	free(keys);
	mid = k < (size_t)max_bin * 8 ? k : (size_t)max_bin * 8;
	nbmax = mid < (size_t)max_bin ? mid : (size_t)max_bin;
	cuts = xmalloc(((size_t)max_bin + 1) * sizeof *cuts);
	if (k > 0) {
		float lo, hi;

		struct qentry *q2 = xmalloc(k * sizeof *q2);

		nq = prune_summary(q, nq, q2, sketch_limit(k, max_bin));
		nq = prune_summary(q2, nq, q, mid);
		memcpy(q2, q, nq * sizeof *q);
		nq = prune_summary(q2, nq, q, nbmax + 1);
		free(q2);
		lo = q[0].value;
		hi = q[nq - 1].value;
		for (size_t i = 1; i < (nq < nbmax ? nq : nbmax); i++)
			if (i == 1 || q[i].value > cuts[nb - 1])
				cuts[nb++] = q[i].value;
		cuts[nb++] = hi + (fabsf(hi) + 1e-5f);
		bn->b->min_value[j] = lo - fabsf(lo) - 1e-5f;
	} else {
		bn->b->min_value[j] = 0;
	}
	free(q);
	bn->b->nbins[j] = nb;
	bn->b->cuts[j] = cuts;
	bn->b->missing_code[j] = (uint16_t)nb;
	bn->has_missing[j] = k < n;
}

/* First bin whose upper bound is above x (x is below the last bound); branch-free search. */
static uint32_t
bin_of(const float *cuts, uint32_t nbins, float x)
{
	uint32_t lo = 0, len = nbins;

	while (len > 1) {
		uint32_t half = len / 2;

		lo += cuts[lo + half - 1] <= x ? half : 0;
		len -= half;
	}
	return lo;
}

static void
bin_rows(void *ctx, size_t task)
{
	struct binning *bn = ctx;
	struct gbt_binned *out = bn->b;
	size_t nf = bn->d->nfeatures, begin = task * CHUNK_ROWS, end = begin + CHUNK_ROWS;

	if (end > bn->d->nrows)
		end = bn->d->nrows;
	for (size_t j = 0; j < nf; j++) {
		const double *col = bn->d->x[j];
		const float *cuts = out->cuts[j];
		uint32_t nb = out->nbins[j];

		for (size_t i = begin; i < end; i++) {
			uint32_t b = isnan(col[i]) ? out->missing_code[j]
			                           : bin_of(cuts, nb, (float)col[i]);

			if (out->wide)
				out->bins16[i * nf + j] = out->cbins16[j * bn->d->nrows + i] =
				        (uint16_t)b;
			else
				out->bins8[i * nf + j] = out->cbins8[j * bn->d->nrows + i] =
				        (uint8_t)b;
		}
	}
}

/* ---- counting: popcounts of bitmaps ---- */

/*
 * For each of the k bitmaps c[0 .. k) (w words each, w a multiple of 8), the rows it has in
 * common with a and with z: cnt[i] = popcount(a & c_i), zcnt[i] = popcount(z & c_i).
 */
typedef void count_fn(const uint64_t *a, const uint64_t *z, const uint64_t *c, size_t k, size_t w,
                      uint32_t *cnt, uint32_t *zcnt);

/* A word at a time: inlined into each caller, with the instructions the caller may use. */
static inline __attribute__((always_inline)) void
count_words64(const uint64_t *a, const uint64_t *z, const uint64_t *c, size_t k, size_t w,
              uint32_t *cnt, uint32_t *zcnt)
{
	for (size_t i = 0; i < k; i++, c += w) {
		uint64_t ca = 0, cz = 0;

		for (size_t t = 0; t < w; t++) {
			ca += (uint64_t)__builtin_popcountll(a[t] & c[t]);
			cz += (uint64_t)__builtin_popcountll(z[t] & c[t]);
		}
		cnt[i] = (uint32_t)ca;
		zcnt[i] = (uint32_t)cz;
	}
}

static void
count_portable(const uint64_t *a, const uint64_t *z, const uint64_t *c, size_t k, size_t w,
               uint32_t *cnt, uint32_t *zcnt)
{
	count_words64(a, z, c, k, w, cnt, zcnt);
}

#ifdef HAVE_X86_COUNT
/* with POPCNT */
__attribute__((target("popcnt"))) static void
count_popcnt(const uint64_t *a, const uint64_t *z, const uint64_t *c, size_t k, size_t w,
             uint32_t *cnt, uint32_t *zcnt)
{
	count_words64(a, z, c, k, w, cnt, zcnt);
}

/* eight words at a time with VPOPCNTQ */
__attribute__((target("avx512f,avx512vpopcntdq"))) static void
count_avx512(const uint64_t *a, const uint64_t *z, const uint64_t *c, size_t k, size_t w,
             uint32_t *cnt, uint32_t *zcnt)
{
	for (size_t i = 0; i < k; i++, c += w) {
		__m512i ca = _mm512_setzero_si512(), cz = _mm512_setzero_si512();

		for (size_t t = 0; t < w; t += 8) {
			__m512i x = _mm512_loadu_si512((const void *)(c + t));
			__m512i xa = _mm512_and_si512(x, _mm512_loadu_si512((const void *)(a + t)));
			__m512i xz = _mm512_and_si512(x, _mm512_loadu_si512((const void *)(z + t)));

			ca = _mm512_add_epi64(ca, _mm512_popcnt_epi64(xa));
			cz = _mm512_add_epi64(cz, _mm512_popcnt_epi64(xz));
		}
		cnt[i] = (uint32_t)_mm512_reduce_add_epi64(ca);
		zcnt[i] = (uint32_t)_mm512_reduce_add_epi64(cz);
	}
}
#endif

static count_fn *count_words = count_portable;
/* how many words count_words goes through in the time a histogram adds one row's value */
static size_t count_speed = 1;
/* a bitmap's word costs about as much as this many rows of a list (bitmaps_pay) */
static size_t bitmap_word_cost = 4;
static pthread_once_t count_once = PTHREAD_ONCE_INIT;

static void
count_choose(void)
{
#ifdef HAVE_X86_COUNT
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq")) {
		count_words = count_avx512;
		count_speed = 4;
	} else if (__builtin_cpu_supports("popcnt")) {
		count_words = count_popcnt;
	}
#endif
}

/* ---- growing one tree ---- */

struct gpair {
	float g, h;
};

struct hbin {
	double g, h;
};

/* A split candidate: rows with bin < split_bin go left; missing rows go left if default_left. */
struct split {
	float loss_chg;
	int32_t feature;
	uint32_t split_bin;
	int default_left;
	float threshold;
	double lg, lh, rg, rh;
};

/* Per-node working state while a tree grows (indexed like the tree's nodes). */
struct wnode {
	size_t begin, end; /* the node's rows: rows[begin .. end) */
	double g, h;
	uint32_t split_bin;
	int depth;
	int counted; /* its histogram's counted features by count_task */
	struct hbin *hist;
	/* in a level of bitmaps (grow_tree): the node's rows as a bitmap and their number;
	 * begin and end are then unused. NULL: the rows are rows[begin .. end). */
	uint64_t *bits;
	size_t nbits;
};

/* The number of a node's rows. */
static size_t
node_size(const struct wnode *w)
{
	return w->bits ? w->nbits : w->end - w->begin;
}

struct trainer {
	const struct gbt_params *p;
	struct gbt_model *m;
	struct pool *pool;
	size_t n, nf, nslots;
	const struct gbt_binned *bins; /* the rows' bins (borrowed) */
	size_t *hoff; /* first histogram slot of each feature; its missing slot is hoff + nbins */
	struct gpair *gp;
	/* exact: every sum of this round's gradient pairs is exact (exact_sums), so a tree's
	 * root histogram may be all rows' (full, once a round) minus its unsampled rows' */
	int exact, full_valid;
	struct hbin *full, *uhist;
	/* counting (exact rounds with the bins' bitmaps): the round's gradient pairs are gv[0]
	 * and gv[1], the rows of gv[1] marked in zbits; rowfeat: the features not counted */
	int counting, rows_only;
	/* bitmaps: levels may hold their nodes' rows as bitmaps (counting, and this round's
	 * margins not needed after it); lbits: a level's bitmaps, bwords words each */
	int bitmaps, lists; /* lists: rows[] and unsampled[] hold the sample (sample_rows) */
	uint64_t *lbits[2];
	size_t lbits_cap[2];
	struct gpair gv[2];
	uint64_t *zbits, *cbits;
	uint32_t *ccnt;
	size_t *rowfeat, nrowfeat, *cnodes, ncnodes, cnodes_cap;
	const uint32_t *hrows; /* the rows histograms are built from: rows, or another list */
	uint32_t *rows, *tmp, *unsampled;
	size_t nsampled, nunsampled;
	double eta; /* learning_rate / num_parallel_tree */
	struct rng rng;
	/* the tree being grown */
	struct gbt_tree *t;
	size_t cap;
	struct wnode *w;
	uint8_t *all_features, *tree_features, *level_features;
	size_t *fidx; /* nf: sample_features's scratch */
	/* per-level scratch, level_cap nodes: the level, the next, a level's smaller children,
	 * each node's best split and the features it may split on (nf each) */
	size_t *level, *next, *small, level_cap;
	struct split *best;
	uint8_t *node_features;
	struct hbin *hist[2], *scratch;
	size_t hist_cap[2], scratch_tasks;
	struct task *tasks;
	size_t ntasks, cap_tasks, task_rows; /* task_rows: the rows of all the tasks */
};

/* Feature j's column of bins (feature-major): two bytes a row when b->wide, else one. */
static inline const void *
bin_col(const struct gbt_binned *b, size_t j)
{
	return b->wide ? (const void *)(b->cbins16 + j * b->nrows)
	               : (const void *)(b->cbins8 + j * b->nrows);
}

/* The bin of row r in a feature's column of bins, two bytes each when wide, else one. */
static inline uint32_t
col_bin(const void *col, int wide, size_t r)
{
	return wide ? ((const uint16_t *)col)[r] : ((const uint8_t *)col)[r];
}

/* The bin of a row's value of feature j. */
static uint32_t
bin_at(const struct gbt_binned *b, size_t row, size_t j)
{
	return col_bin(bin_col(b, j), b->wide, row);
}

/* A slice of one node's rows: the unit of parallel histogram and partition work. */
struct task {
	size_t node, chunk, begin, end, nleft;
};

static double
threshold_l1(double g, double alpha)
{
	if (g > alpha)
		return g - alpha;
	if (g < -alpha)
		return g + alpha;
	return 0;
}

/* w = −T(G)/(H+λ), T the L1 soft threshold; 0 when H < min_child_weight. */
static double
calc_weight(const struct gbt_params *p, double g, double h)
{
	if (h < p->min_child_weight || h <= 0)
		return 0;
	return -threshold_l1(g, p->reg_alpha) / (h + p->reg_lambda);
}

/* gain = T(G)²/(H+λ) */
static double
calc_gain(const struct gbt_params *p, double g, double h)
{
	double t;

	if (h <= 0)
		return 0;
	t = threshold_l1(g, p->reg_alpha);
	return t * t / (h + p->reg_lambda);
}

static size_t
tree_add_node(struct trainer *tr)
{
	struct gbt_tree *t = tr->t;

	if (t->nnodes == tr->cap) {
		tr->cap = tr->cap ? 2 * tr->cap : 64;
		t->left = xreallocarray(t->left, tr->cap, sizeof *t->left);
		t->right = xreallocarray(t->right, tr->cap, sizeof *t->right);
		t->feature = xreallocarray(t->feature, tr->cap, sizeof *t->feature);
		t->threshold = xreallocarray(t->threshold, tr->cap, sizeof *t->threshold);
		t->value = xreallocarray(t->value, tr->cap, sizeof *t->value);
		t->gain = xreallocarray(t->gain, tr->cap, sizeof *t->gain);
		t->cover = xreallocarray(t->cover, tr->cap, sizeof *t->cover);
		t->default_left = xreallocarray(t->default_left, tr->cap, sizeof *t->default_left);
		tr->w = xreallocarray(tr->w, tr->cap, sizeof *tr->w);
	}
	t->left[t->nnodes] = t->right[t->nnodes] = -1;
	t->feature[t->nnodes] = 0;
	t->threshold[t->nnodes] = 0;
	t->default_left[t->nnodes] = 0;
	t->gain[t->nnodes] = 0;
	tr->w[t->nnodes].bits = NULL;
	return t->nnodes++;
}

/* Choose max(1, floor(frac · k)) of the k features marked in from, into to. */
static void
sample_features(struct trainer *tr, const uint8_t *from, uint8_t *to, double frac)
{
	size_t nf = tr->nf, k = 0, want;
	size_t *idx = tr->fidx;

	memcpy(to, from, nf);
	if (frac >= 1)
		return;
	for (size_t j = 0; j < nf; j++)
		if (from[j])
			idx[k++] = j;
	want = (size_t)(frac * (double)k);
	if (want < 1)
		want = 1;
	for (size_t i = 0; i < want && i < k; i++) {
		size_t r = i + (size_t)rng_below(&tr->rng, k - i);
		size_t s = idx[i];

		idx[i] = idx[r];
		idx[r] = s;
	}
	memset(to, 0, nf);
	for (size_t i = 0; i < want && i < k; i++)
		to[idx[i]] = 1;
}

/*
 * Split the work on nodes level[0..nlevel) into chunks of rows that depend on the data only:
 * ranges of rows[], or of a bitmap's words (64 rows each) for a node held as one.
 */
static void
make_tasks(struct trainer *tr, const size_t *nodes, size_t nnodes)
{
	tr->ntasks = 0;
	tr->task_rows = 0;
	for (size_t k = 0; k < nnodes; k++) {
		struct wnode *w = &tr->w[nodes[k]];
		size_t m = w->bits ? tr->bins->bwords : w->end - w->begin;
		size_t first = w->bits ? 0 : w->begin;
		size_t nch = (m + (w->bits ? CHUNK_ROWS / 64 : CHUNK_ROWS) - 1) /
		             (w->bits ? CHUNK_ROWS / 64 : CHUNK_ROWS);

		tr->task_rows += node_size(w);
		if (nch < 1)
			nch = 1;
		if (nch > MAX_CHUNKS)
			nch = MAX_CHUNKS;
		for (size_t c = 0; c < nch; c++) {
			struct task *t;

			if (tr->ntasks == tr->cap_tasks) {
				tr->cap_tasks = tr->cap_tasks ? 2 * tr->cap_tasks : 64;
				tr->tasks =
				        xreallocarray(tr->tasks, tr->cap_tasks, sizeof *tr->tasks);
			}
			t = &tr->tasks[tr->ntasks++];
			t->node = nodes[k];
			t->chunk = c;
			t->begin = first + m * c / nch;
			t->end = first + m * (c + 1) / nch;
		}
	}
}

/* Whether task ti is its node's only chunk: its histogram is then built in place. */
static int
only_chunk(const struct trainer *tr, size_t ti)
{
	const struct task *t = &tr->tasks[ti];

	return t->chunk == 0 && (ti + 1 == tr->ntasks || tr->tasks[ti + 1].node != t->node);
}

/* hist_uncounted on a node held as a bitmap: the rows of its words begin .. end. */
static void
hist_uncounted_bits(const struct trainer *tr, const struct task *t, struct hbin *h)
{
	const size_t begin = t->begin, end = t->end;
	const uint64_t *bits = tr->w[t->node].bits;
	const struct gpair *gp = tr->gp;

	for (size_t k = 0; k < tr->nrowfeat; k++) {
		const size_t j = tr->rowfeat[k];
		struct hbin *hj = h + tr->hoff[j];
		const int wide = tr->bins->wide;
		const void *col = bin_col(tr->bins, j);

		for (size_t wd = begin; wd < end; wd++)
			for (uint64_t x = bits[wd]; x; x &= x - 1) {
				size_t r = 64 * wd + (size_t)__builtin_ctzll(x);
				f64x2 v = {gp[r].g, gp[r].h};

				*(f64x2 *)&hj[col_bin(col, wide, r)] += v;
			}
	}
}

/*
 * hist_task's work on a counted node: the features not counted, one at a time (exact sums:
 * any order), from the feature-major bins. Everything in locals: a store through the
 * may_alias f64x2 could otherwise be taken to change what it was loaded from.
 */
static void
hist_uncounted(const struct trainer *tr, const struct task *t, struct hbin *h)
{
	const size_t begin = t->begin, end = t->end;
	const uint32_t *rows = tr->hrows;
	const struct gpair *gp = tr->gp;

	if (tr->w[t->node].bits) {
		hist_uncounted_bits(tr, t, h);
		return;
	}
	for (size_t k = 0; k < tr->nrowfeat; k++) {
		const size_t j = tr->rowfeat[k];
		struct hbin *hj = h + tr->hoff[j];
		const int wide = tr->bins->wide;
		const void *col = bin_col(tr->bins, j);

		for (size_t i = begin; i < end; i++) {
			uint32_t r = rows[i];
			f64x2 v = {gp[r].g, gp[r].h};

			*(f64x2 *)&hj[col_bin(col, wide, r)] += v;
		}
	}
}

static void
hist_task(void *ctx, size_t ti)
{
	struct trainer *tr = ctx;
	const struct task *t = &tr->tasks[ti];
	struct hbin *h = only_chunk(tr, ti) ? tr->w[t->node].hist : tr->scratch + ti * tr->nslots;
	size_t nf = tr->nf;
	const size_t *hoff = tr->hoff;
	const int wide = tr->bins->wide;
	const uint8_t *bins8 = tr->bins->bins8;
	const uint16_t *bins16 = tr->bins->bins16;
	/* in locals: a store through the may_alias f64x2 could otherwise change them */
	const uint32_t *rows = tr->hrows;
	const struct gpair *gp = tr->gp;
	const size_t end = t->end;

	memset(h, 0, tr->nslots * sizeof *h);
	if (tr->w[t->node].counted) {
		hist_uncounted(tr, t, h);
		return;
	}
	/* Two rows at a time, feature by feature: a bin still gets its rows in row order. */
	size_t i = t->begin;
	for (; i + 1 < end; i += 2) {
		uint32_t r0 = rows[i], r1 = rows[i + 1];
		f64x2 v0 = {gp[r0].g, gp[r0].h}, v1 = {gp[r1].g, gp[r1].h};

		if (i + PREFETCH + 1 < end) {
			uint32_t a0 = rows[i + PREFETCH], a1 = rows[i + PREFETCH + 1];

			__builtin_prefetch(&gp[a0]);
			__builtin_prefetch(&gp[a1]);
			__builtin_prefetch(wide ? (const void *)(bins16 + (size_t)a0 * nf)
			                        : (const void *)(bins8 + (size_t)a0 * nf));
			__builtin_prefetch(wide ? (const void *)(bins16 + (size_t)a1 * nf)
			                        : (const void *)(bins8 + (size_t)a1 * nf));
		}
		if (wide) {
			const uint16_t *b0 = bins16 + (size_t)r0 * nf,
			               *b1 = bins16 + (size_t)r1 * nf;

			for (size_t j = 0; j < nf; j++) {
				struct hbin *hj = h + hoff[j];

				*(f64x2 *)&hj[b0[j]] += v0;
				*(f64x2 *)&hj[b1[j]] += v1;
			}
		} else {
			const uint8_t *b0 = bins8 + (size_t)r0 * nf, *b1 = bins8 + (size_t)r1 * nf;

			for (size_t j = 0; j < nf; j++) {
				struct hbin *hj = h + hoff[j];

				*(f64x2 *)&hj[b0[j]] += v0;
				*(f64x2 *)&hj[b1[j]] += v1;
			}
		}
	}
	for (; i < end; i++) {
		uint32_t r = rows[i];
		f64x2 v = {gp[r].g, gp[r].h};

		if (wide) {
			const uint16_t *b = bins16 + (size_t)r * nf;

			for (size_t j = 0; j < nf; j++)
				*(f64x2 *)&h[hoff[j] + b[j]] += v;
		} else {
			const uint8_t *b = bins8 + (size_t)r * nf;

			for (size_t j = 0; j < nf; j++)
				*(f64x2 *)&h[hoff[j] + b[j]] += v;
		}
	}
}

/* out = a + b and out = a − b, slot by slot (out may be a) */
static void
hist_add(struct hbin *out, const struct hbin *a, const struct hbin *b, size_t ns)
{
	for (size_t s = 0; s < ns; s++) {
		out[s].g = a[s].g + b[s].g;
		out[s].h = a[s].h + b[s].h;
	}
}

static void
hist_sub(struct hbin *out, const struct hbin *a, const struct hbin *b, size_t ns)
{
	for (size_t s = 0; s < ns; s++) {
		out[s].g = a[s].g - b[s].g;
		out[s].h = a[s].h - b[s].h;
	}
}

/* Add the chunk histograms of each node in chunk order: the same sums for any thread count. */
static void
hist_reduce(void *ctx, size_t ti)
{
	struct trainer *tr = ctx;
	const struct task *t = &tr->tasks[ti];
	struct hbin *dst;
	size_t ns = tr->nslots;

	if (t->chunk != 0 || only_chunk(tr, ti))
		return;
	dst = tr->w[t->node].hist;
	memcpy(dst, tr->scratch + ti * ns, ns * sizeof *dst);
	for (size_t k = ti + 1; k < tr->ntasks && tr->tasks[k].node == t->node; k++)
		hist_add(dst, dst, tr->scratch + k * ns, ns);
}

/* A histogram slot of n rows, z of them with gradient pair gv[1]: exactly their sum (exact
 * sums), +0 for none, as adding them one by one gives. */
static void
count_slot(const struct trainer *tr, struct hbin *slot, uint32_t n, uint32_t z)
{
	double a = (double)(n - z), b = (double)z;

	slot->g = (a * tr->gv[0].g + b * tr->gv[1].g) + 0.0;
	slot->h = (a * tr->gv[0].h + b * tr->gv[1].h) + 0.0;
}

/*
 * Set the bits of rows[0 .. n) in the bitmap a (zeroed). A node's rows are in increasing
 * order (sample_rows draws them so; partitions are stable): each word is then gathered in a
 * register and stored after every row, without a branch or a load; should a row come before
 * the last one, they are set one by one.
 */
static void
row_bitmap(const uint32_t *rows, size_t n, uint64_t *a)
{
	uint64_t cur = 0;
	uint32_t last = 0;
	size_t i;

	for (i = 0; i < n && rows[i] >= last; i++) {
		uint32_t r = rows[i];

		cur = ((r ^ last) < 64 ? cur : 0) | (uint64_t)1 << (r & 63);
		a[r / 64] = cur;
		last = r & ~(uint32_t)63;
	}
	for (; i < n; i++)
		a[rows[i] / 64] |= (uint64_t)1 << (rows[i] & 63);
}

/*
 * The counted features' slots of counted node cnodes[k]: its rows as a bitmap (and those of
 * them in zbits), the popcounts of that with each feature's bitmaps of rows up to a bin,
 * then each bin's rows as the difference of two of those.
 */
static void
count_task(void *ctx, size_t k)
{
	struct trainer *tr = ctx;
	const struct gbt_binned *bn = tr->bins;
	const struct wnode *w = &tr->w[tr->cnodes[k]];
	size_t W = bn->bwords, nc = bn->ncum + bn->nmiss;
	uint64_t *scratch = tr->cbits + 2 * k * W, *z = scratch + W;
	const uint64_t *a = w->bits ? w->bits : scratch;
	uint32_t *cnt = tr->ccnt + 2 * k * nc, *zcnt = cnt + nc, m, zall;

	if (!w->bits) {
		memset(scratch, 0, W * sizeof *scratch);
		row_bitmap(tr->hrows + w->begin, w->end - w->begin, scratch);
	}
	for (size_t t = 0; t < W; t++)
		z[t] = a[t] & tr->zbits[t];
	count_words(a, z, a, 1, W, &m, &zall);
	count_words(a, z, bn->cum, bn->ncum, W, cnt, zcnt);
	count_words(a, z, bn->miss, bn->nmiss, W, cnt + bn->ncum, zcnt + bn->ncum);
	for (size_t j = 0; j < tr->nf; j++) {
		size_t first = bn->cum_first[j];
		uint32_t nb = tr->m->nbins[j], pn = 0, pz = 0, mn = 0, mz = 0;
		struct hbin *h = w->hist + tr->hoff[j];

		if (first == SIZE_MAX)
			continue;
		if (bn->miss_first[j] != SIZE_MAX) {
			mn = cnt[bn->ncum + bn->miss_first[j]];
			mz = zcnt[bn->ncum + bn->miss_first[j]];
		}
		for (uint32_t b = 0; b < nb; b++) {
			uint32_t cn = b + 1 < nb ? cnt[first + b] : m - mn;
			uint32_t cz = b + 1 < nb ? zcnt[first + b] : zall - mz;

			count_slot(tr, &h[b], cn - pn, cz - pz);
			pn = cn;
			pz = cz;
		}
		count_slot(tr, &h[nb], mn, mz);
	}
}

/*
 * Whether a histogram of m rows is quicker counted: each counted feature's slots from
 * popcounts of bitmaps (bwords words each) rather than each row added to them.
 */
static int
count_pays(const struct trainer *tr, size_t m)
{
	const struct gbt_binned *bn = tr->bins;
	size_t counted = tr->nf - tr->nrowfeat;

	if (!tr->counting || tr->rows_only || counted == 0)
		return 0;
	return m * counted * count_speed >
	       (bn->ncum + bn->nmiss + 2) * 2 * bn->bwords + m * count_speed;
}

static void
build_hists(struct trainer *tr, const size_t *nodes, size_t nnodes)
{
	size_t nc = 0;

	for (size_t k = 0; k < nnodes; k++) {
		struct wnode *w = &tr->w[nodes[k]];

		/* a node held as a bitmap is always counted: it has no list of rows */
		w->counted = w->bits || count_pays(tr, w->end - w->begin);
		nc += (size_t)w->counted;
	}
	make_tasks(tr, nodes, nnodes);
	if (tr->ntasks > tr->scratch_tasks) {
		free(tr->scratch);
		tr->scratch_tasks = tr->ntasks;
		tr->scratch = xreallocarray(NULL, tr->ntasks * tr->nslots, sizeof *tr->scratch);
	}
	pool_run(tr->pool, tr->ntasks, tr->task_rows * tr->nf, hist_task, tr);
	pool_run(tr->pool, tr->ntasks, tr->ntasks * tr->nslots, hist_reduce, tr);
	if (nc == 0)
		return;
	if (nc > tr->cnodes_cap) {
		size_t nn = tr->bins->ncum + tr->bins->nmiss;

		tr->cnodes_cap = nc;
		tr->cnodes = xreallocarray(tr->cnodes, nc, sizeof *tr->cnodes);
		free(tr->cbits);
		tr->cbits = xreallocarray(NULL, nc, 2 * tr->bins->bwords * sizeof *tr->cbits);
		free(tr->ccnt);
		tr->ccnt = xreallocarray(NULL, nc, (2 * nn + 1) * sizeof *tr->ccnt);
	}
	tr->ncnodes = 0;
	for (size_t k = 0; k < nnodes; k++)
		if (tr->w[nodes[k]].counted)
			tr->cnodes[tr->ncnodes++] = nodes[k];
	pool_run(tr->pool, nc, nc * tr->bins->bwords * (tr->bins->ncum + 2), count_task, tr);
}

static void
update_best(struct split *best, float loss_chg, int32_t f, uint32_t sbin, int dleft,
            float threshold, double lg, double lh, double rg, double rh)
{
	/* Features are scanned in increasing order, so a tie keeps the lower index, as
	 * XGBoost's SplitEntry::NeedReplace does. */
	if (!(loss_chg > best->loss_chg))
		return;
	best->loss_chg = loss_chg;
	best->feature = f;
	best->split_bin = sbin;
	best->default_left = dleft;
	best->threshold = threshold;
	best->lg = lg;
	best->lh = lh;
	best->rg = rg;
	best->rh = rh;
}

#define GAIN_LANES 2  /* candidates whose gains are computed at once (an f64x2) */
#define EVAL_BLOCK 64 /* candidates gathered before their gains are computed */

/*
 * The loss change of a split whose one side has the sums ag[i], ah[i] (the other: the node's
 * g, h minus them), for n consecutive candidates: gain(side) + gain(other) − gain(parent), or
 * −∞ unless both sides have H >= min_child_weight and H > 0. Two candidates at a time, the
 * same IEEE operations as calc_gain's (+ commutes); ag and ah are padded to an even count.
 */
static void
split_gains(const struct gbt_params *p, const struct wnode *w, double root_gain, const double *ag,
            const double *ah, size_t n, float *chg)
{
	const f64x2 a = {p->reg_alpha, p->reg_alpha}, lambda = {p->reg_lambda, p->reg_lambda};
	const f64x2 mcw = {p->min_child_weight, p->min_child_weight}, zero = {0, 0};
	const f64x2 G = {w->g, w->g}, H = {w->h, w->h}, root = {root_gain, root_gain};
	const f64x2 ninf = {-INFINITY, -INFINITY};

	for (size_t i = 0; i < n; i += GAIN_LANES) {
		f64x2 g1 = *(const f64x2 *)&ag[i], h1 = *(const f64x2 *)&ah[i];
		f64x2 g2 = G - g1, h2 = H - h1, t1, t2, c;
		i64x2 ok = (h1 >= mcw) & (h2 >= mcw) & (h1 > zero) & (h2 > zero);

		/* threshold_l1 */
		t1 = f64x2_select(g1 > a, g1 - a, f64x2_select(g1 < -a, g1 + a, zero));
		t2 = f64x2_select(g2 > a, g2 - a, f64x2_select(g2 < -a, g2 + a, zero));
		c = f64x2_select(h1 > zero, t1 * t1 / (h1 + lambda), zero) +
		    f64x2_select(h2 > zero, t2 * t2 / (h2 + lambda), zero) - root;
		c = f64x2_select(ok, c, ninf);
		chg[i] = (float)c[0];
		chg[i + 1] = (float)c[1];
	}
}

/* Split candidates of one feature: running sums of one side and the bin each ends at. */
struct candidates {
	double g[EVAL_BLOCK], h[EVAL_BLOCK];
	float chg[EVAL_BLOCK];
	uint32_t bin[EVAL_BLOCK];
	uint32_t n;
};

/* The gains of the candidates gathered in c, offered to best; c emptied. */
static void
flush_candidates(const struct trainer *tr, const struct wnode *w, size_t j, double root_gain,
                 int backward, struct candidates *c, struct split *best)
{
	if (c->n % GAIN_LANES != 0)
		c->g[c->n] = c->h[c->n] = 0; /* the odd lane's input */
	split_gains(tr->p, w, root_gain, c->g, c->h, c->n, c->chg);
	for (uint32_t i = 0; i < c->n; i++) {
		uint32_t b = c->bin[i];

		if (!(c->chg[i] > best->loss_chg))
			continue;
		if (!backward)
			update_best(best, c->chg[i], (int32_t)j, b + 1, 0, tr->m->cuts[j][b],
			            c->g[i], c->h[i], w->g - c->g[i], w->h - c->h[i]);
		else
			update_best(best, c->chg[i], (int32_t)j, b, 1,
			            b == 0 ? tr->m->min_value[j] : tr->m->cuts[j][b - 1],
			            w->g - c->g[i], w->h - c->h[i], c->g[i], c->h[i]);
	}
	c->n = 0;
}

/* The running sums up to bin b (of h) as a candidate of c, unless the bin is empty. */
static inline void
scan_bin(const struct trainer *tr, const struct wnode *w, size_t j, double root_gain, int backward,
         const struct hbin *h, uint32_t b, double *sg, double *sh, struct candidates *c,
         struct split *best)
{
	*sg += h[b].g;
	*sh += h[b].h;
	c->g[c->n] = *sg;
	c->h[c->n] = *sh;
	c->bin[c->n] = b;
	c->n += !(h[b].h == 0 && h[b].g == 0);
	if (c->n == EVAL_BLOCK)
		flush_candidates(tr, w, j, root_gain, backward, c, best);
}

#define SPARSE_MIN_BINS 64 /* a feature of this many bins may be scanned by its rows' bins */
#define SPARSE_WORDS    4  /* their bitmap: 256 bins */

/*
 * One direction of eval_feature: bins upwards, or downwards (backward) from the top one.
 * An empty bin (both sums exactly 0) repeats the previous candidate, which cannot win again
 * (update_best takes strictly better ones): the running sums are kept only after non-empty
 * bins (without a branch), EVAL_BLOCK at a time, then their gains computed and scanned.
 * With set (a bitmap of the bins the node's rows fall in), only those bins are visited:
 * the others are empty, and adding their zeros changes no sum.
 */
static void
scan_feature(const struct trainer *tr, const struct wnode *w, size_t j, double root_gain,
             int backward, const uint64_t *set, struct split *best)
{
	const struct hbin *h = w->hist + tr->hoff[j];
	uint32_t nb = tr->m->nbins[j];
	double sg = 0, sh = 0;
	struct candidates c;

	c.n = 0;
	if (set && !backward) {
		for (uint32_t k = 0; k < SPARSE_WORDS; k++)
			for (uint64_t bits = set[k]; bits; bits &= bits - 1)
				scan_bin(tr, w, j, root_gain, 0, h,
				         64 * k + (uint32_t)__builtin_ctzll(bits), &sg, &sh, &c,
				         best);
	} else if (set) {
		for (uint32_t k = SPARSE_WORDS; k-- > 0;)
			for (uint64_t bits = set[k]; bits;) {
				uint32_t top = 63 - (uint32_t)__builtin_clzll(bits);

				bits &= ~((uint64_t)1 << top);
				scan_bin(tr, w, j, root_gain, 1, h, 64 * k + top, &sg, &sh, &c,
				         best);
			}
	} else {
		/* forward: bins up to b go left; backward: bins from b up go right */
		for (uint32_t k = 0; k < nb; k++)
			scan_bin(tr, w, j, root_gain, backward, h, backward ? nb - 1 - k : k, &sg,
			         &sh, &c, best);
	}
	flush_candidates(tr, w, j, root_gain, backward, &c, best);
}

/*
 * split_gains for one candidate: calc_gain does the same IEEE operations as a lane does
 * (both sides have H > 0 here), in the same order, so it gives the same bits.
 */
static float
split_gain1(const struct gbt_params *p, const struct wnode *w, double root_gain, double g1,
            double h1)
{
	double g2 = w->g - g1, h2 = w->h - h1, mcw = p->min_child_weight;

	if (!(h1 >= mcw && h2 >= mcw && h1 > 0 && h2 > 0))
		return -INFINITY;
	return (float)(calc_gain(p, g1, h1) + calc_gain(p, g2, h2) - root_gain);
}

/* a feature of this many bins at most is scanned by scan_few (more gained nothing) */
static uint32_t few_bins = 8;

/*
 * scan_feature forward, for a feature of few bins and a node without missing values of it
 * (so no backward scan): each candidate offered to best as it comes, without gathering them.
 */
static void
scan_few(const struct trainer *tr, const struct wnode *w, size_t j, double root_gain,
         struct split *best)
{
	const struct hbin *h = w->hist + tr->hoff[j];
	uint32_t nb = tr->m->nbins[j];
	double sg = 0, sh = 0;

	for (uint32_t b = 0; b < nb; b++) {
		float chg;

		sg += h[b].g;
		sh += h[b].h;
		if (h[b].h == 0 && h[b].g == 0)
			continue;
		chg = split_gain1(tr->p, w, root_gain, sg, sh);
		if (chg > best->loss_chg)
			update_best(best, chg, (int32_t)j, b + 1, 0, tr->m->cuts[j][b], sg, sh,
			            w->g - sg, w->h - sh);
	}
}

/*
 * The bins (not missing) of feature j that w's rows fall in, as a bitmap in set: 1, or 0
 * when the feature has few bins or the node too many rows for that to be quicker than
 * going through every bin.
 */
static int
node_bins(const struct trainer *tr, const struct wnode *w, size_t j, uint64_t *set)
{
	uint32_t nb = tr->m->nbins[j];
	const uint8_t *col;

	if (tr->bins->wide || nb < SPARSE_MIN_BINS || 2 * node_size(w) >= nb)
		return 0;
	col = tr->bins->cbins8 + j * tr->n;
	memset(set, 0, SPARSE_WORDS * sizeof *set);
	if (w->bits) {
		for (size_t wd = 0; wd < tr->bins->bwords; wd++)
			for (uint64_t x = w->bits[wd]; x; x &= x - 1) {
				uint32_t b = col[64 * wd + (size_t)__builtin_ctzll(x)];

				if (b < nb)
					set[b >> 6] |= (uint64_t)1 << (b & 63);
			}
		return 1;
	}
	for (size_t i = w->begin; i < w->end; i++) {
		uint32_t b = col[tr->rows[i]];

		if (b < nb)
			set[b >> 6] |= (uint64_t)1 << (b & 63);
	}
	return 1;
}

/*
 * XGBoost's EnumerateSplit: forward with missing values going right (threshold = upper
 * bound of the last left bin), then, when the node has missing values of the feature,
 * backward with them going left (threshold = lower bound of the first right bin).
 * loss_chg = gain(L) + gain(R) − gain(parent), both children with H >= min_child_weight.
 */
static void
eval_feature(const struct trainer *tr, const struct wnode *w, size_t j, double root_gain,
             struct split *best)
{
	const struct hbin *missing = w->hist + tr->hoff[j] + tr->m->nbins[j];
	uint64_t bits[SPARSE_WORDS];
	const uint64_t *set;

	if (tr->m->nbins[j] <= few_bins && missing->h == 0 && missing->g == 0) {
		scan_few(tr, w, j, root_gain, best);
		return;
	}
	set = node_bins(tr, w, j, bits) ? bits : NULL;
	scan_feature(tr, w, j, root_gain, 0, set, best);
	/* backward only when the node has missing values of this feature */
	if (missing->h != 0 || missing->g != 0)
		scan_feature(tr, w, j, root_gain, 1, set, best);
}

struct level_eval {
	struct trainer *tr;
	const size_t *nodes;
	struct split *best;
	const uint8_t *features; /* nnodes × nf: the features each node may split on */
};

static void
eval_node(void *ctx, size_t k)
{
	struct level_eval *le = ctx;
	struct trainer *tr = le->tr;
	const struct wnode *w = &tr->w[le->nodes[k]];
	double root_gain = calc_gain(tr->p, w->g, w->h);
	struct split *best = &le->best[k];

	memset(best, 0, sizeof *best);
	best->loss_chg = -INFINITY;
	best->feature = -1;
	for (size_t j = 0; j < tr->nf; j++)
		if (le->features[k * tr->nf + j] && tr->m->nbins[j] > 0)
			eval_feature(tr, w, j, root_gain, best);
}

/*
 * partition_task's loop over rows[begin .. end), by the bins in col (two bytes each when wide:
 * inlined with wide a constant, each call has a loop of its own, with no test of it); the
 * number of rows that go left.
 */
static inline __attribute__((always_inline)) size_t
partition_rows(const uint32_t *rows, uint32_t *tmp, size_t begin, size_t end, const void *col,
               int wide, uint32_t sbin, uint32_t miss, int dleft)
{
	size_t nl = 0, nr = 0;

	for (size_t i = begin; i < end; i++) {
		uint32_t r = rows[i], b;
		size_t go_left;

		if (i + PREFETCH < end) {
			uint32_t a = rows[i + PREFETCH];

			__builtin_prefetch((const char *)col + (wide ? 2 * (size_t)a : a));
		}
		b = col_bin(col, wide, r);
		/* a bin below the split's is never the missing code (nbins), without a branch */
		go_left = (size_t)(b < sbin) | ((size_t)(b == miss) & (size_t)dleft);

		/* branch-free: both ends of the unfilled middle get r; only one end advances */
		tmp[begin + nl] = r;
		tmp[end - 1 - nr] = r;
		nl += go_left;
		nr += 1 - go_left;
	}
	return nl;
}

/*
 * Stable partition of each split node's rows in two passes over chunks: each chunk writes
 * its left rows forward and its right rows backward into its own part of tmp; then each
 * chunk copies them to their final places in rows (all lefts of the node, then all rights,
 * in chunk order).
 */
static void
partition_task(void *ctx, size_t ti)
{
	struct trainer *tr = ctx;
	struct task *t = &tr->tasks[ti];
	const struct gbt_tree *tree = tr->t;
	size_t j = (size_t)tree->feature[t->node];
	uint32_t miss = tr->bins->missing_code[j];
	int dleft = tree->default_left[t->node] != 0;
	uint32_t sbin = tr->w[t->node].split_bin;

	if (tr->bins->wide)
		t->nleft = partition_rows(tr->rows, tr->tmp, t->begin, t->end, bin_col(tr->bins, j),
		                          1, sbin, miss, dleft);
	else
		t->nleft = partition_rows(tr->rows, tr->tmp, t->begin, t->end, bin_col(tr->bins, j),
		                          0, sbin, miss, dleft);
}

static void
partition_gather(void *ctx, size_t ti)
{
	struct trainer *tr = ctx;
	const struct task *t = &tr->tasks[ti];
	size_t first = ti, total_left = 0, before_left = 0, before_right = 0, nr;
	size_t base = tr->w[t->node].begin;

	while (first > 0 && tr->tasks[first - 1].node == t->node)
		first--;
	for (size_t k = first; k < tr->ntasks && tr->tasks[k].node == t->node; k++) {
		total_left += tr->tasks[k].nleft;
		if (k < ti) {
			before_left += tr->tasks[k].nleft;
			before_right += tr->tasks[k].end - tr->tasks[k].begin - tr->tasks[k].nleft;
		}
	}
	memcpy(tr->rows + base + before_left, tr->tmp + t->begin, t->nleft * sizeof *tr->rows);
	nr = t->end - t->begin - t->nleft;
	for (size_t i = 0; i < nr; i++)
		tr->rows[base + total_left + before_right + i] = tr->tmp[t->end - 1 - i];
}

/* Partition the rows of the split nodes and give their children their row ranges. */
static void
partition_nodes(struct trainer *tr, const size_t *nodes, size_t nnodes)
{
	make_tasks(tr, nodes, nnodes);
	pool_run(tr->pool, tr->ntasks, tr->task_rows, partition_task, tr);
	pool_run(tr->pool, tr->ntasks, tr->task_rows, partition_gather, tr);
	for (size_t k = 0, ti = 0; k < nnodes; k++) {
		size_t node = nodes[k], nl = 0;
		struct wnode *w = &tr->w[node], *l, *r;

		for (; ti < tr->ntasks && tr->tasks[ti].node == node; ti++)
			nl += tr->tasks[ti].nleft;
		l = &tr->w[tr->t->left[node]];
		r = &tr->w[tr->t->right[node]];
		l->begin = w->begin;
		l->end = w->begin + nl;
		r->begin = l->end;
		r->end = w->end;
	}
}

/* A level's nodes and where their children's bitmaps go (partition_level_bits). */
struct bits_split {
	struct trainer *tr;
	const size_t *nodes;
	uint64_t *dst;
};

/*
 * The children of split node nodes[k], held as a bitmap, as bitmaps: left, the node's rows
 * whose bin is below the split's (and the missing ones when they go left), at dst + 2k·W,
 * right, the others, after it. By the bins' bitmaps for a counted feature, else row by row.
 */
static void
partition_bits_task(void *ctx, size_t k)
{
	const struct bits_split *bs = ctx;
	const struct trainer *tr = bs->tr;
	const struct gbt_binned *bn = tr->bins;
	size_t node = bs->nodes[k], W = bn->bwords, j = (size_t)tr->t->feature[node];
	const uint64_t *a = tr->w[node].bits;
	uint64_t *L = bs->dst + 2 * k * W, *R = L + W;
	uint32_t sbin = tr->w[node].split_bin, miss = bn->missing_code[j], nb = bn->nbins[j], nl,
	         nr;
	int dleft = tr->t->default_left[node] != 0;
	struct wnode *l = &tr->w[tr->t->left[node]], *r = &tr->w[tr->t->right[node]];

	if (bn->cum_first[j] != SIZE_MAX) {
		/* bins below sbin: those up to sbin − 1, every row with a value for sbin = nb */
		const uint64_t *c =
		        sbin > 0 && sbin < nb ? bn->cum + (bn->cum_first[j] + sbin - 1) * W : NULL;
		const uint64_t *ms =
		        bn->miss_first[j] == SIZE_MAX ? NULL : bn->miss + bn->miss_first[j] * W;

		for (size_t t = 0; t < W; t++) {
			uint64_t left = c ? c[t] : sbin == 0 ? 0 : ms ? ~ms[t] : ~(uint64_t)0;

			if (dleft && ms)
				left |= ms[t];
			L[t] = a[t] & left;
			R[t] = a[t] & ~left;
		}
	} else {
		const int wide = bn->wide;
		const void *col = bin_col(bn, j);

		for (size_t t = 0; t < W; t++) {
			uint64_t left = 0;

			for (uint64_t x = a[t]; x; x &= x - 1) {
				unsigned bit = (unsigned)__builtin_ctzll(x);
				uint32_t b = col_bin(col, wide, 64 * t + bit);

				left |= (uint64_t)((b < sbin) | ((b == miss) & dleft)) << bit;
			}
			L[t] = left;
			R[t] = a[t] & ~left;
		}
	}
	count_words(L, R, a, 1, W, &nl, &nr);
	l->bits = L;
	l->nbits = nl;
	r->bits = R;
	r->nbits = nr;
}

/* The rows of nodes[0 .. n), held as bitmaps, in rows[] instead: each node's in increasing
 * order (as a partition leaves them), the nodes one after another. */
static void
bits_to_rows_task(void *ctx, size_t k)
{
	struct bits_split *bs = ctx;
	struct wnode *w = &bs->tr->w[bs->nodes[k]];
	uint32_t *rows = bs->tr->rows;
	size_t i = w->begin;

	for (size_t t = 0; t < bs->tr->bins->bwords; t++)
		for (uint64_t x = w->bits[t]; x; x &= x - 1)
			rows[i++] = (uint32_t)(64 * t + (size_t)__builtin_ctzll(x));
	w->end = i;
}

static void
bits_to_rows(struct trainer *tr, const size_t *nodes, size_t n)
{
	struct bits_split bs = {tr, nodes, NULL};
	size_t off = 0;

	for (size_t k = 0; k < n; k++) {
		tr->w[nodes[k]].begin = off;
		off += tr->w[nodes[k]].nbits;
	}
	pool_run(tr->pool, n, off, bits_to_rows_task, &bs);
	for (size_t k = 0; k < n; k++)
		tr->w[nodes[k]].bits = NULL;
}

/* Whether a level of n nodes of m rows in all is quicker held as bitmaps than as row lists. */
static int
bitmaps_pay(const struct trainer *tr, size_t n, size_t m)
{
	return tr->bitmaps && n * tr->bins->bwords * bitmap_word_cost < m;
}

/* Make room for a level of n nodes' bitmaps in buffer which. */
static void
reserve_bits(struct trainer *tr, size_t n, int which)
{
	if (n > tr->lbits_cap[which]) {
		free(tr->lbits[which]);
		tr->lbits_cap[which] = n;
		tr->lbits[which] =
		        xreallocarray(NULL, n, tr->bins->bwords * sizeof *tr->lbits[which]);
	}
}

/*
 * Partition the split nodes of a level held as bitmaps (the children's bitmaps into buffer
 * which); 1 if the next level is held as bitmaps too (so each node whose histogram is built
 * is counted), else 0 with its rows in rows[].
 */
static int
partition_level_bits(struct trainer *tr, const size_t *nodes, size_t nsplit, int which)
{
	struct bits_split bs = {tr, nodes, NULL};
	size_t total = 0;
	int keep = 1;

	reserve_bits(tr, 2 * nsplit, which);
	bs.dst = tr->lbits[which];
	pool_run(tr->pool, nsplit, 2 * nsplit * tr->bins->bwords, partition_bits_task, &bs);
	for (size_t k = 0; k < nsplit; k++) {
		const struct wnode *l = &tr->w[tr->t->left[nodes[k]]],
		                   *r = &tr->w[tr->t->right[nodes[k]]];

		total += l->nbits + r->nbits;
		keep &= count_pays(tr, l->nbits < r->nbits ? l->nbits : r->nbits);
	}
	keep &= bitmaps_pay(tr, 2 * nsplit, total);
	if (keep)
		return 1;
	for (size_t k = 0; k < nsplit; k++) {
		tr->next[2 * k] = (size_t)tr->t->left[nodes[k]];
		tr->next[2 * k + 1] = (size_t)tr->t->right[nodes[k]];
	}
	bits_to_rows(tr, tr->next, 2 * nsplit);
	return 0;
}

/* Leaf value η·w, or an inner node's base weight w, as XGBoost stores them. */
static void
set_leaf(struct trainer *tr, size_t node)
{
	struct wnode *w = &tr->w[node];

	tr->t->left[node] = tr->t->right[node] = -1;
	tr->t->value[node] = (float)(calc_weight(tr->p, w->g, w->h) * tr->eta);
	tr->t->cover[node] = (float)w->h;
}

/* Make room for a level of n nodes, and for histograms of n nodes in buffer which. */
static void
reserve_level(struct trainer *tr, size_t n, int which)
{
	if (n > tr->level_cap) {
		tr->level_cap = n;
		tr->level = xreallocarray(tr->level, n, sizeof *tr->level);
		tr->next = xreallocarray(tr->next, n, sizeof *tr->next);
		tr->small = xreallocarray(tr->small, n, sizeof *tr->small);
		tr->best = xreallocarray(tr->best, n, sizeof *tr->best);
		tr->node_features = xreallocarray(tr->node_features, n, tr->nf ? tr->nf : 1);
	}
	if (which >= 0 && n > tr->hist_cap[which]) {
		free(tr->hist[which]);
		tr->hist_cap[which] = n;
		tr->hist[which] = xreallocarray(NULL, n * tr->nslots, sizeof *tr->hist[which]);
	}
}

/* Turn the split of best into two children; 0 if the node stays a leaf. */
static int
apply_split(struct trainer *tr, size_t node, const struct split *s, int depth)
{
	const struct gbt_params *p = tr->p;
	struct gbt_tree *t = tr->t;
	size_t l, r;

	if (s->feature < 0 || !(s->loss_chg > RT_EPS) || s->lh == 0 || s->rh == 0 ||
	    s->loss_chg < p->min_split_loss) {
		set_leaf(tr, node);
		return 0;
	}
	l = tree_add_node(tr);
	r = tree_add_node(tr);
	t->left[node] = (int32_t)l;
	t->right[node] = (int32_t)r;
	t->feature[node] = s->feature;
	t->threshold[node] = s->threshold;
	t->default_left[node] = (uint8_t)s->default_left;
	t->gain[node] = s->loss_chg;
	t->cover[node] = (float)tr->w[node].h;
	t->value[node] = (float)calc_weight(p, tr->w[node].g, tr->w[node].h);
	tr->w[node].split_bin = s->split_bin;
	tr->w[l].g = s->lg;
	tr->w[l].h = s->lh;
	tr->w[r].g = s->rg;
	tr->w[r].h = s->rh;
	tr->w[l].depth = tr->w[r].depth = depth + 1;
	return 1;
}

/* Histograms of the children of the split nodes: build the smaller, subtract for the other. */
static void
child_hists(struct trainer *tr, const size_t *split, size_t nsplit, int which)
{
	size_t *small = tr->small;

	for (size_t k = 0; k < nsplit; k++) {
		size_t l = (size_t)tr->t->left[split[k]], r = (size_t)tr->t->right[split[k]];
		size_t nl = node_size(&tr->w[l]), nr = node_size(&tr->w[r]);

		tr->w[l].hist = tr->hist[which] + (2 * k) * tr->nslots;
		tr->w[r].hist = tr->hist[which] + (2 * k + 1) * tr->nslots;
		small[k] = nl <= nr ? l : r;
	}
	build_hists(tr, small, nsplit);
	for (size_t k = 0; k < nsplit; k++) {
		size_t l = (size_t)tr->t->left[split[k]], r = (size_t)tr->t->right[split[k]];
		const struct hbin *ph = tr->w[split[k]].hist, *sh = tr->w[small[k]].hist;
		struct hbin *bh = tr->w[small[k] == l ? r : l].hist;

		hist_sub(bh, ph, sh, tr->nslots); /* sibling = parent − smaller child */
	}
}

/* The histogram of the rows list[0 .. n) into h, through the root's working node (whose
 * range and histogram are put back). */
static void
hist_of_rows(struct trainer *tr, const uint32_t *list, size_t n, struct hbin *h)
{
	struct wnode save = tr->w[0];
	size_t root = 0;

	tr->w[0].begin = 0;
	tr->w[0].end = n;
	tr->w[0].hist = h;
	tr->hrows = list;
	tr->rows_only = 1; /* not a node: no bitmaps for it */
	build_hists(tr, &root, 1);
	tr->rows_only = 0;
	tr->hrows = tr->rows;
	tr->w[0] = save;
}

/*
 * The root's histogram: its rows', or, when the sums are exact and fewer rows were left out
 * of the sample than taken, all rows' (full) minus those left out: the same bits. full is
 * the first tree's root plus its left-out rows, so a round pays for it once (n − s n rows)
 * and saves (2 s − 1) n rows in each later tree, for sample fraction s: worth it when the
 * round's P trees save more, P (2 s − 1) > 1 (XGBRFClassifier: 100 trees of 0.8).
 */
static void
root_hist(struct trainer *tr)
{
	const struct gbt_params *p = tr->p;
	struct hbin *h = tr->w[0].hist;
	size_t ns = tr->nslots;

	if (!tr->exact || tr->w[0].bits || count_pays(tr, tr->nsampled) ||
	    tr->nunsampled >= tr->nsampled ||
	    !((double)p->num_parallel_tree * (2 * p->subsample - 1) > 1)) {
		build_hists(tr, tr->level, 1);
		return;
	}
	if (!tr->full) {
		tr->full = xreallocarray(NULL, ns ? ns : 1, sizeof *tr->full);
		tr->uhist = xreallocarray(NULL, ns ? ns : 1, sizeof *tr->uhist);
	}
	if (tr->nunsampled > 0)
		hist_of_rows(tr, tr->unsampled, tr->nunsampled, tr->uhist);
	else
		memset(tr->uhist, 0, ns * sizeof *tr->uhist);
	if (!tr->full_valid) {
		build_hists(tr, tr->level, 1);
		hist_add(tr->full, h, tr->uhist, ns);
		tr->full_valid = 1;
		return;
	}
	hist_sub(h, tr->full, tr->uhist, ns);
}

/*
 * The root's sums: its rows' gradient pairs added in row order, or, when the sums are exact,
 * the slots (bins and missing) of the feature with the fewest in its histogram: every row
 * is in one of them.
 */
static void
root_sums(struct trainer *tr)
{
	struct wnode *w = &tr->w[0];

	w->g = w->h = 0;
	if (tr->exact && tr->nf > 0) {
		size_t f = 0;

		for (size_t j = 1; j < tr->nf; j++)
			if (tr->hoff[j + 1] - tr->hoff[j] < tr->hoff[f + 1] - tr->hoff[f])
				f = j;
		for (size_t k = tr->hoff[f]; k < tr->hoff[f + 1]; k++) {
			w->g += w->hist[k].g;
			w->h += w->hist[k].h;
		}
		return;
	}
	for (size_t i = 0; i < tr->nsampled; i++) {
		w->g += tr->gp[tr->rows[i]].g;
		w->h += tr->gp[tr->rows[i]].h;
	}
}

/* The lists of sampled and unsampled rows from the sample's bitmap (sample_rows). */
static void
sample_lists(struct trainer *tr)
{
	const uint64_t *bits = tr->lbits[0];
	size_t ns = 0, nu = 0;

	for (size_t i = 0; i < tr->n; i++) {
		size_t in = bits[i / 64] >> (i % 64) & 1;

		tr->rows[ns] = (uint32_t)i;
		tr->unsampled[nu] = (uint32_t)i;
		ns += in;
		nu += 1 - in;
	}
	tr->lists = 1;
}

/* Grow one tree depth by depth on the sampled rows: rows[0 .. nsampled), or with bitmaps their
 * bitmap from sample_rows in lbits[0]. */
static void
grow_tree(struct trainer *tr, struct gbt_tree *t)
{
	const struct gbt_params *p = tr->p;
	size_t nf = tr->nf, nlevel = 1;
	int cur = 0, bitmap;

	memset(t, 0, sizeof *t);
	tr->t = t;
	tr->cap = 0;
	tree_add_node(tr);
	tr->w[0].begin = 0;
	tr->w[0].end = tr->nsampled;
	tr->w[0].depth = 0;
	reserve_level(tr, 1, cur);
	tr->w[0].hist = tr->hist[cur];
	tr->level[0] = 0;
	/* the top levels as bitmaps, while that pays, and the root is counted */
	bitmap = bitmaps_pay(tr, 1, tr->nsampled) && count_pays(tr, tr->nsampled);
	if (bitmap) { /* the sample's bitmap, from sample_rows */
		tr->w[0].bits = tr->lbits[cur];
		tr->w[0].nbits = tr->nsampled;
	} else if (!tr->lists) {
		sample_lists(tr);
	}
	sample_features(tr, tr->all_features, tr->tree_features, p->colsample_bytree);
	root_hist(tr);
	root_sums(tr);
	for (int depth = 0; nlevel > 0; depth++) {
		struct level_eval le;
		size_t nsplit = 0;

		if (depth >= p->max_depth) {
			for (size_t k = 0; k < nlevel; k++)
				set_leaf(tr, tr->level[k]);
			break;
		}
		struct split *best = tr->best;
		uint8_t *node_features = tr->node_features;

		sample_features(tr, tr->tree_features, tr->level_features, p->colsample_bylevel);
		for (size_t k = 0; k < nlevel; k++)
			sample_features(tr, tr->level_features, node_features + k * nf,
			                p->colsample_bynode);
		le.tr = tr;
		le.nodes = tr->level;
		le.best = best;
		le.features = node_features;
		/* a bin is scored in a few row × feature steps */
		pool_run(tr->pool, nlevel, 4 * nlevel * tr->nslots, eval_node, &le);
		for (size_t k = 0; k < nlevel; k++)
			if (apply_split(tr, tr->level[k], &best[k], depth))
				tr->level[nsplit++] = tr->level[k];
		reserve_level(tr, 2 * nsplit, depth + 1 < p->max_depth ? !cur : -1);
		if (!bitmap)
			partition_nodes(tr, tr->level, nsplit);
		else if (depth + 1 < p->max_depth && nsplit > 0) /* else the children are leaves */
			bitmap = partition_level_bits(tr, tr->level, nsplit, !cur);
		if (depth + 1 < p->max_depth && nsplit > 0)
			child_hists(tr, tr->level, nsplit, !cur);
		for (size_t k = 0; k < nsplit; k++) {
			tr->next[2 * k] = (size_t)t->left[tr->level[k]];
			tr->next[2 * k + 1] = (size_t)t->right[tr->level[k]];
		}
		nlevel = 2 * nsplit;
		memcpy(tr->level, tr->next, nlevel * sizeof *tr->level);
		cur = !cur;
	}
}

/* ---- objectives ---- */

static double
sigmoid(double x)
{
	return 1 / (1 + exp(-x));
}

static double
base_margin(enum gbt_objective o, double base_score)
{
	return o == GBT_REG_SQUAREDERROR ? base_score : log(base_score / (1 - base_score));
}

struct grad_ctx {
	struct trainer *tr;
	const double *margin, *y;
};

/*
 * logistic: p = σ(margin), g = p − y, h = max(p(1 − p), 1e-16); squared error: g = margin − y,
 * h = 1; both scaled by scale_pos_weight on positive rows, as XGBoost's RegLossObj.
 */
static void
grad_task(void *ctx, size_t task)
{
	struct grad_ctx *gc = ctx;
	struct trainer *tr = gc->tr;
	size_t begin = task * CHUNK_ROWS, end = begin + CHUNK_ROWS;
	int logistic = tr->p->objective != GBT_REG_SQUAREDERROR;
	float spw = (float)tr->p->scale_pos_weight;

	if (end > tr->n)
		end = tr->n;
	for (size_t i = begin; i < end; i++) {
		float y = (float)gc->y[i], w = y == 1.0f ? spw : 1.0f, g, h;

		if (logistic) {
			float pr = 1.0f / (1.0f + expf(-(float)gc->margin[i]));

			g = pr - y;
			h = pr * (1.0f - pr);
			if (h < 1e-16f)
				h = 1e-16f;
		} else {
			g = (float)gc->margin[i] - y;
			h = 1.0f;
		}
		tr->gp[i].g = g * w;
		tr->gp[i].h = h * w;
	}
}

/*
 * Whether every sum of at most n of the values v[0 .. k) is exact in double: each value is a
 * multiple of 2^lo below 2^hi in magnitude, so such a sum is a multiple of 2^lo below n · 2^hi,
 * which takes hi − lo + log2 n bits. A sum minus a sum of some of its values (a sibling's or
 * a root's histogram, a split's other side) is itself such a sum, so exact too.
 */
static int
sums_exact(const double *v, size_t k, size_t n)
{
	int hi = INT_MIN, lo = INT_MAX, nbits = 0;

	for (size_t i = 0; i < k; i++) {
		int e, low;

		if (!isfinite(v[i]))
			return 0;
		if (v[i] == 0)
			continue;
		/* |v| = m · 2^e with 1/2 <= m < 1, and m · 2^53 is an integer */
		low = __builtin_ctzll((uint64_t)ldexp(frexp(fabs(v[i]), &e), 53)) + e - 53;
		if (e > hi)
			hi = e;
		if (low < lo)
			lo = low;
	}
	if (hi == INT_MIN)
		return 1;
	while (nbits < 63 && ((size_t)1 << nbits) < n)
		nbits++;
	return hi - lo + nbits <= 53;
}

/*
 * Whether this round's histogram sums are exact: its gradient pairs take at most two values
 * (as in a forest's round, from one base_score: ±0.5 and 0.25 or 1 from 0.5), every sum of
 * which is exact. Then any order of adding, or subtracting, gives the same bits.
 */
static int
exact_sums(struct trainer *tr)
{
	struct gpair a = tr->gp[0], b = a;
	int two = 0;

	for (size_t i = 1; i < tr->n; i++) {
		struct gpair x = tr->gp[i];

		if (memcmp(&x, &a, sizeof x) == 0 || (two && memcmp(&x, &b, sizeof x) == 0))
			continue;
		if (two)
			return 0;
		b = x;
		two = 1;
	}
	tr->gv[0] = a;
	tr->gv[1] = b;
	return sums_exact((const double[]){a.g, a.h, b.g, b.h}, 4, tr->n);
}

struct update_ctx {
	struct trainer *tr;
	const struct gbt_tree *t;
	double *margin;
};

/* The leaf of a training row, found through its bins (for rows not in the tree's sample). */
static void
update_unsampled(void *ctx, size_t task)
{
	struct update_ctx *uc = ctx;
	struct trainer *tr = uc->tr;
	const struct gbt_tree *t = uc->t;
	size_t begin = task * CHUNK_ROWS, end = begin + CHUNK_ROWS;

	if (end > tr->nunsampled)
		end = tr->nunsampled;
	for (size_t i = begin; i < end; i++) {
		uint32_t r = tr->unsampled[i];
		int32_t k = 0;

		while (t->left[k] >= 0) {
			int32_t j = t->feature[k];

			uint32_t b = bin_at(tr->bins, r, (size_t)j);

			if (b == tr->bins->missing_code[j])
				k = t->default_left[k] ? t->left[k] : t->right[k];
			else
				k = b < tr->w[k].split_bin ? t->left[k] : t->right[k];
		}
		uc->margin[r] += t->value[k];
	}
}

static void
update_margin(struct trainer *tr, const struct gbt_tree *t, double *margin)
{
	struct update_ctx uc = {tr, t, margin};

	for (size_t k = 0; k < t->nnodes; k++)
		if (t->left[k] < 0)
			for (size_t i = tr->w[k].begin; i < tr->w[k].end; i++)
				margin[tr->rows[i]] += t->value[k];
	pool_run(tr->pool, (tr->nunsampled + CHUNK_ROWS - 1) / CHUNK_ROWS,
	         tr->nunsampled * (size_t)tr->p->max_depth, update_unsampled, &uc);
}

/*
 * Each row is in the tree's sample when its draw u < subsample, u = k · 2^-53 (rng_uniform):
 * the same as k < ⌈subsample · 2^53⌉, compared as integers without a branch.
 */
static void
sample_rows(struct trainer *tr)
{
	size_t ns = 0, nu = 0, W = tr->bins->bwords;
	uint64_t below, *bits = NULL;

	/* with bitmaps, the sample's also as one (in lbits[0], where grow_tree wants it) */
	if (tr->bitmaps) {
		reserve_bits(tr, 1, 0);
		bits = tr->lbits[0];
		memset(bits, 0, W * sizeof *bits);
	}
	if (tr->p->subsample >= 1) {
		for (size_t i = 0; i < tr->n; i++)
			tr->rows[i] = (uint32_t)i;
		if (bits)
			row_bitmap(tr->rows, tr->n, bits);
		tr->nsampled = tr->n;
		tr->nunsampled = 0;
		tr->lists = 1;
		return;
	}
	below = (uint64_t)ceil(tr->p->subsample * 0x1.0p53);
	if (bits) {
		/* the bitmap alone (a root held as one needs no lists; sample_lists makes them
		 * when it is not) */
		for (size_t i0 = 0; i0 < tr->n; i0 += 64) {
			size_t end = tr->n - i0 < 64 ? tr->n : i0 + 64;
			uint64_t word = 0;

			for (size_t i = i0; i < end; i++)
				word |= (uint64_t)((rng_next_u64(&tr->rng) >> 11) < below)
				        << (i - i0);
			bits[i0 / 64] = word;
			ns += (size_t)__builtin_popcountll(word);
		}
		tr->nsampled = ns;
		tr->nunsampled = tr->n - ns;
		tr->lists = 0;
		return;
	}
	for (size_t i = 0; i < tr->n; i++) {
		size_t in = (rng_next_u64(&tr->rng) >> 11) < below;

		tr->rows[ns] = (uint32_t)i;
		tr->unsampled[nu] = (uint32_t)i;
		ns += in;
		nu += 1 - in;
	}
	tr->nsampled = ns;
	tr->nunsampled = nu;
	tr->lists = 1;
}

/* logloss for binary:logistic, rmse for the others: XGBoost's default metrics. */
static double
eval_metric(enum gbt_objective o, const double *margin, const double *y, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++) {
		if (o == GBT_BINARY_LOGISTIC) {
			double pr = sigmoid(margin[i]);

			pr = pr < 1e-16 ? 1e-16 : pr > 1 - 1e-16 ? 1 - 1e-16 : pr;
			sum -= y[i] * log(pr) + (1 - y[i]) * log(1 - pr);
		} else {
			double pr = o == GBT_REG_LOGISTIC ? sigmoid(margin[i]) : margin[i];

			sum += (pr - y[i]) * (pr - y[i]);
		}
	}
	return o == GBT_BINARY_LOGISTIC ? sum / (double)n : sqrt(sum / (double)n);
}

/* Whether this round's histograms may be counted: exact sums and bitmaps to count with; then
 * the rows of gradient pair gv[1] marked in zbits. */
static void
count_setup(struct trainer *tr)
{
	const struct gbt_binned *bn = tr->bins;

	tr->counting = tr->exact && tr->nrowfeat < tr->nf;
	if (!tr->counting)
		return;
	memset(tr->zbits, 0, bn->bwords * sizeof *tr->zbits);
	for (size_t i = 0; i < tr->n; i++)
		if (memcmp(&tr->gp[i], &tr->gv[1], sizeof tr->gv[1]) == 0)
			tr->zbits[i / 64] |= (uint64_t)1 << (i & 63);
}

/* ---- fitting ---- */

static int
check_rows(const struct gbt_data *d, const char *what, char *err, size_t errsize)
{
	if (d->nrows == 0) {
		snprintf(err, errsize, "%s data has no rows", what);
		return -1;
	}
	if (d->nrows > UINT32_MAX) {
		snprintf(err, errsize, "%s data has more than %u rows", what, UINT32_MAX);
		return -1;
	}
	return 0;
}

static int
check_labels(const struct gbt_params *p, const struct gbt_data *d, const char *what, char *err,
             size_t errsize)
{
	for (size_t i = 0; i < d->nrows; i++) {
		if (!isfinite(d->y[i])) {
			snprintf(err, errsize, "%s row %zu: the label is %s", what, i + 1,
			         isnan(d->y[i]) ? "missing (NaN)" : "infinite");
			return -1;
		}
		if (p->objective != GBT_REG_SQUAREDERROR && (d->y[i] < 0 || d->y[i] > 1)) {
			snprintf(err, errsize, "%s row %zu: label %g is outside [0, 1]", what,
			         i + 1, d->y[i]);
			return -1;
		}
	}
	return 0;
}

static int
check_features(const struct gbt_data *d, const char *what, char *err, size_t errsize)
{
	for (size_t j = 0; j < d->nfeatures; j++)
		for (size_t i = 0; i < d->nrows; i++)
			if (isinf(d->x[j][i]) ||
			    (isfinite(d->x[j][i]) && isinf((float)d->x[j][i]))) {
				snprintf(err, errsize,
				         "%s row %zu, feature %zu: %g is not a finite float", what,
				         i + 1, j + 1, d->x[j][i]);
				return -1;
			}
	return 0;
}

static int
check_data(const struct gbt_params *p, const struct gbt_data *d, const char *what, char *err,
           size_t errsize)
{
	if (check_rows(d, what, err, errsize) != 0 || check_labels(p, d, what, err, errsize) != 0)
		return -1;
	return check_features(d, what, err, errsize);
}

/* Two labels differ (else a single class, which cannot be fitted). */
static int
check_classes(const struct gbt_data *d, char *err, size_t errsize)
{
	size_t i;

	for (i = 1; i < d->nrows && d->y[i] == d->y[0]; i++)
		;
	if (i == d->nrows) {
		snprintf(err, errsize, "the target has a single class (every label is %g)",
		         d->y[0]);
		return -1;
	}
	return 0;
}

static int
check_fit_input(const struct gbt_params *p, const struct gbt_data *train,
                const struct gbt_data *valid, char *err, size_t errsize)
{
	if (gbt_params_check(p, err, errsize) != 0 ||
	    check_data(p, train, "training", err, errsize) != 0 ||
	    check_classes(train, err, errsize) != 0)
		return -1;
	if (p->early_stopping_rounds > 0 && !valid) {
		snprintf(err, errsize, "early stopping needs a validation set");
		return -1;
	}
	if (valid && valid->nfeatures != train->nfeatures) {
		snprintf(err, errsize,
		         "the validation data has %zu features, the training data %zu",
		         valid->nfeatures, train->nfeatures);
		return -1;
	}
	if (valid && check_data(p, valid, "validation", err, errsize) != 0)
		return -1;
	return 0;
}

static struct gbt_model *
model_alloc(const struct gbt_params *p, size_t nf)
{
	struct gbt_model *m = xcalloc(1, sizeof *m);

	m->objective = p->objective;
	m->base_score = p->base_score;
	m->nfeatures = nf;
	m->nbins = xcalloc(nf ? nf : 1, sizeof *m->nbins);
	m->cuts = xcalloc(nf ? nf : 1, sizeof *m->cuts);
	m->min_value = xcalloc(nf ? nf : 1, sizeof *m->min_value);
	m->num_parallel_tree = (size_t)p->num_parallel_tree;
	m->best_iteration = -1;
	m->best_score = NAN;
	return m;
}

/* The bitmaps of the features of few bins (gbt_binned's cum and miss). */
static void
count_bitmaps(struct gbt_binned *b, const uint8_t *has_missing)
{
	size_t n = b->nrows, nf = b->nf, W = (n + 511) / 512 * 8;

	b->bwords = W;
	b->cum_first = xmalloc((nf ? nf : 1) * sizeof *b->cum_first);
	b->miss_first = xmalloc((nf ? nf : 1) * sizeof *b->miss_first);
	b->ncum = b->nmiss = 0;
	/* the features of fewest bins first, while the bitmaps stay within the budget */
	for (size_t j = 0; j < nf; j++)
		b->cum_first[j] = b->miss_first[j] = SIZE_MAX;
	for (size_t nb = 1, left = COUNT_BUDGET * nf; nb <= COUNT_MAX_BINS; nb++)
		for (size_t j = 0; j < nf; j++) {
			size_t cost = nb - 1 + (has_missing[j] != 0);

			if (b->nbins[j] != nb || cost > left)
				continue;
			b->cum_first[j] = 0; /* chosen; its place below */
			left -= cost;
		}
	for (size_t j = 0; j < nf; j++) {
		if (b->cum_first[j] == SIZE_MAX)
			continue;
		b->cum_first[j] = b->ncum;
		b->ncum += b->nbins[j] - 1;
		if (has_missing[j])
			b->miss_first[j] = b->nmiss++;
	}
	b->cum = xcalloc(b->ncum * W + 1, sizeof *b->cum);
	b->miss = xcalloc(b->nmiss * W + 1, sizeof *b->miss);
	for (size_t j = 0; j < nf; j++) {
		uint64_t *c;
		uint32_t nb = b->nbins[j];

		if (b->cum_first[j] == SIZE_MAX)
			continue;
		c = b->cum + b->cum_first[j] * W;
		/* each row's bit in its bin's bitmap (the top bin's and missing's apart) ... */
		for (size_t i = 0; i < n; i++) {
			uint32_t bin = bin_at(b, i, j);
			uint64_t bit = (uint64_t)1 << (i & 63);

			if (bin == b->missing_code[j])
				b->miss[b->miss_first[j] * W + i / 64] |= bit;
			else if (bin + 1 < nb)
				c[bin * W + i / 64] |= bit;
		}
		/* ... then each bitmap the union of those up to it */
		for (uint32_t k = 1; k + 1 < nb; k++)
			for (size_t t = 0; t < W; t++)
				c[k * W + t] |= c[(k - 1) * W + t];
	}
}

/* Bin the rows of d (checked by check_features) with max_bin bins, on pool's threads. */
static struct gbt_binned *
bin_data(struct pool *pool, const struct gbt_data *d, long max_bin)
{
	struct gbt_binned *b = xcalloc(1, sizeof *b);
	struct binning bn;
	size_t n = d->nrows, nf = d->nfeatures;

	b->nrows = n;
	b->nf = nf;
	b->max_bin = max_bin;
	b->nbins = xcalloc(nf ? nf : 1, sizeof *b->nbins);
	b->cuts = xcalloc(nf ? nf : 1, sizeof *b->cuts);
	b->min_value = xcalloc(nf ? nf : 1, sizeof *b->min_value);
	b->missing_code = xmalloc((nf ? nf : 1) * sizeof *b->missing_code);
	bn.d = d;
	bn.b = b;
	bn.has_missing = xmalloc(nf ? nf : 1);
	pool_run(pool, nf, n * nf * 16, find_cuts, &bn); /* a sort: more per value */
	for (size_t j = 0; j < nf; j++)
		if (bn.has_missing[j] && b->nbins[j] > 255)
			b->wide = 1;
	if (b->wide) {
		b->bins16 = xreallocarray(NULL, n, (nf ? nf : 1) * sizeof *b->bins16);
		b->cbins16 = xreallocarray(NULL, n, (nf ? nf : 1) * sizeof *b->cbins16);
	} else {
		b->bins8 = xreallocarray(NULL, n, nf ? nf : 1);
		b->cbins8 = xreallocarray(NULL, n, nf ? nf : 1);
	}
	pool_run(pool, (n + CHUNK_ROWS - 1) / CHUNK_ROWS, n * nf, bin_rows, &bn);
	count_bitmaps(b, bn.has_missing);
	free(bn.has_missing);
	return b;
}

static void
binned_free(struct gbt_binned *b)
{
	if (!b)
		return;
	for (size_t j = 0; j < b->nf; j++)
		free(b->cuts[j]);
	free(b->cuts);
	free(b->nbins);
	free(b->min_value);
	free(b->missing_code);
	free(b->bins8);
	free(b->bins16);
	free(b->cbins8);
	free(b->cbins16);
	free(b->cum_first);
	free(b->miss_first);
	free(b->cum);
	free(b->miss);
	free(b);
}

/* Set up tr to grow m's trees on the binned rows b (borrowed), with the threads of pool;
 * m gets its own copy of the bins' bounds. */
static void
trainer_init(struct trainer *tr, const struct gbt_params *p, struct gbt_model *m,
             const struct gbt_binned *b, struct pool *pool)
{
	size_t n = b->nrows, nf = b->nf;

	memset(tr, 0, sizeof *tr);
	tr->p = p;
	tr->m = m;
	tr->n = n;
	tr->nf = nf;
	tr->pool = pool;
	for (size_t j = 0; j < nf; j++) {
		m->nbins[j] = b->nbins[j];
		m->min_value[j] = b->min_value[j];
		m->cuts[j] = xreallocarray(NULL, b->nbins[j] ? b->nbins[j] : 1, sizeof *m->cuts[j]);
		memcpy(m->cuts[j], b->cuts[j], b->nbins[j] * sizeof *m->cuts[j]);
	}
	tr->bins = b;
	tr->hoff = xmalloc((nf + 1) * sizeof *tr->hoff);
	tr->hoff[0] = 0;
	for (size_t j = 0; j < nf; j++)
		tr->hoff[j + 1] = tr->hoff[j] + m->nbins[j] + 1;
	tr->nslots = tr->hoff[nf];
	tr->gp = xmalloc(n * sizeof *tr->gp);
	tr->rows = xmalloc(n * sizeof *tr->rows);
	tr->hrows = tr->rows;
	tr->tmp = xmalloc(n * sizeof *tr->tmp);
	tr->unsampled = p->subsample < 1 ? xmalloc(n * sizeof *tr->unsampled) : NULL;
	tr->eta = p->learning_rate / (double)p->num_parallel_tree;
	rng_seed(&tr->rng, p->seed);
	tr->all_features = xmalloc(nf ? nf : 1);
	memset(tr->all_features, 1, nf);
	tr->tree_features = xmalloc(nf ? nf : 1);
	tr->level_features = xmalloc(nf ? nf : 1);
	tr->fidx = xmalloc((nf ? nf : 1) * sizeof *tr->fidx);
	pthread_once(&count_once, count_choose);
	tr->rowfeat = xmalloc((nf ? nf : 1) * sizeof *tr->rowfeat);
	for (size_t j = 0; j < nf; j++)
		if (b->cum_first[j] == SIZE_MAX)
			tr->rowfeat[tr->nrowfeat++] = j;
	tr->zbits = xmalloc((b->bwords ? b->bwords : 1) * sizeof *tr->zbits);
}

static void
trainer_free(struct trainer *tr)
{
	free(tr->hoff);
	free(tr->gp);
	free(tr->rows);
	free(tr->full);
	free(tr->uhist);
	free(tr->tmp);
	free(tr->unsampled);
	free(tr->w);
	free(tr->all_features);
	free(tr->tree_features);
	free(tr->level_features);
	free(tr->fidx);
	free(tr->level);
	free(tr->next);
	free(tr->small);
	free(tr->best);
	free(tr->node_features);
	free(tr->hist[0]);
	free(tr->hist[1]);
	free(tr->scratch);
	free(tr->tasks);
	free(tr->rowfeat);
	free(tr->zbits);
	free(tr->cbits);
	free(tr->ccnt);
	free(tr->cnodes);
	free(tr->lbits[0]);
	free(tr->lbits[1]);
}

static void
tree_free(struct gbt_tree *t)
{
	free(t->left);
	free(t->right);
	free(t->feature);
	free(t->threshold);
	free(t->value);
	free(t->gain);
	free(t->cover);
	free(t->default_left);
}

/* Row-major copy of column data, for prediction on the validation set. */
static double *
row_major(const struct gbt_data *d)
{
	double *x = xreallocarray(NULL, d->nrows, d->nfeatures * sizeof *x);

	for (size_t j = 0; j < d->nfeatures; j++)
		for (size_t i = 0; i < d->nrows; i++)
			x[i * d->nfeatures + j] = d->x[j][i];
	return x;
}

/*
 * The trees flattened for prediction: every node of every tree in one array, each with the
 * two places a row goes (a leaf pointing to itself), so that a block of rows descends a tree
 * level by level, the same number of steps for each row, without a branch.
 */
struct gbt_fnode {
	float threshold;
	int32_t feature;
	int32_t next[2]; /* next[1] when the row goes left */
	float value;
	uint8_t default_left;
};

struct gbt_flat {
	struct gbt_fnode *nodes;
	size_t *root; /* a tree's first node */
	int *depth;   /* its number of levels below the root */
};

/* Writes tree t's nodes to out, numbered from base; returns its number of levels below the
 * root. nd: scratch for t->nnodes depths. */
static int
flatten_tree(const struct gbt_tree *t, size_t base, struct gbt_fnode *out, int *nd)
{
	int depth = 0;

	/* children come after their parent (fit and gbt_unpack see to it) */
	for (size_t i = 0; i < t->nnodes; i++)
		nd[i] = 0;
	for (size_t i = 0; i < t->nnodes; i++) {
		struct gbt_fnode *n = &out[i];
		int leaf = t->left[i] < 0;

		n->threshold = t->threshold[i];
		n->feature = leaf ? 0 : t->feature[i];
		n->next[1] = (int32_t)(base + (size_t)(leaf ? (int32_t)i : t->left[i]));
		n->next[0] = (int32_t)(base + (size_t)(leaf ? (int32_t)i : t->right[i]));
		n->value = t->value[i];
		n->default_left = t->default_left[i];
		if (!leaf) {
			nd[t->left[i]] = nd[t->right[i]] = nd[i] + 1;
			if (nd[i] + 1 > depth)
				depth = nd[i] + 1;
		}
	}
	return depth;
}

/* Adds to acc[r] the leaf value of one flattened tree (first node root, depth levels) for each
 * of the nb rows at xb (row-major, nf features): every row takes depth steps, no branch. */
static inline void
add_tree_block(const struct gbt_fnode *nodes, int32_t root, int depth, const double *xb, size_t nb,
               size_t nf, double *acc)
{
	int32_t pos[PREDICT_BLOCK];

	for (size_t r = 0; r < nb; r++)
		pos[r] = root;
	for (int d = 0; d < depth; d++)
		for (size_t r = 0; r < nb; r++) {
			const struct gbt_fnode *n = &nodes[pos[r]];
			double v = xb[r * nf + (size_t)n->feature];
			int left = ((float)v < n->threshold) | ((isnan(v) != 0) & n->default_left);

			pos[r] = n->next[left];
		}
	for (size_t r = 0; r < nb; r++)
		acc[r] += nodes[pos[r]].value;
}

static void
flatten(struct gbt_model *m)
{
	struct gbt_flat *f = xmalloc(sizeof *f);
	size_t total = 0, most = 1, base = 0;
	int *nd;

	for (size_t k = 0; k < m->ntrees; k++) {
		total += m->trees[k].nnodes;
		if (m->trees[k].nnodes > most)
			most = m->trees[k].nnodes;
	}
	f->nodes = xreallocarray(NULL, total ? total : 1, sizeof *f->nodes);
	f->root = xreallocarray(NULL, m->ntrees ? m->ntrees : 1, sizeof *f->root);
	f->depth = xcalloc(m->ntrees ? m->ntrees : 1, sizeof *f->depth);
	nd = xreallocarray(NULL, most, sizeof *nd);
	for (size_t k = 0; k < m->ntrees; k++) {
		f->root[k] = base;
		f->depth[k] = flatten_tree(&m->trees[k], base, f->nodes + base, nd);
		base += m->trees[k].nnodes;
	}
	free(nd);
	m->flat = f;
}

/* Adds tree t's leaf values to the margins of the nrows rows at x (row-major, nf features). */
static void
add_tree(const struct gbt_tree *t, const double *x, size_t nrows, size_t nf, double *margin)
{
	struct gbt_fnode *nodes = xreallocarray(NULL, t->nnodes, sizeof *nodes);
	int *nd = xreallocarray(NULL, t->nnodes, sizeof *nd);
	int depth = flatten_tree(t, 0, nodes, nd);

	for (size_t i0 = 0; i0 < nrows; i0 += PREDICT_BLOCK) {
		size_t nb = nrows - i0 < PREDICT_BLOCK ? nrows - i0 : PREDICT_BLOCK;

		add_tree_block(nodes, 0, depth, x + i0 * nf, nb, nf, margin + i0);
	}
	free(nodes);
	free(nd);
}

/* The fit on the binned rows b with labels y (both checked), on pool's threads. */
static struct gbt_model *
fit_binned(const struct gbt_params *p, const struct gbt_binned *b, const double *y,
           const struct gbt_data *valid, struct pool *pool)
{
	struct trainer tr;
	struct gbt_model *m;
	struct grad_ctx gc;
	double *margin, *vmargin = NULL, *vx = NULL, bm;
	size_t P = (size_t)p->num_parallel_tree, n = b->nrows;

	m = model_alloc(p, b->nf);
	trainer_init(&tr, p, m, b, pool);
	bm = base_margin(p->objective, p->base_score);
	margin = xmalloc(n * sizeof *margin);
	for (size_t i = 0; i < n; i++)
		margin[i] = bm;
	if (valid) {
		vx = row_major(valid);
		vmargin = xmalloc(valid->nrows * sizeof *vmargin);
		for (size_t i = 0; i < valid->nrows; i++)
			vmargin[i] = bm;
	}
	m->trees = xreallocarray(NULL, (size_t)p->n_estimators, P * sizeof *m->trees);
	gc.tr = &tr;
	gc.margin = margin;
	gc.y = y;
	for (long round = 0; round < p->n_estimators; round++) {
		pool_run(tr.pool, (n + CHUNK_ROWS - 1) / CHUNK_ROWS, n * 16, grad_task, &gc);
		tr.exact = n > 0 && exact_sums(&tr);
		tr.full_valid = 0;
		count_setup(&tr);
		/* after the last round no margin is updated: no need of each leaf's rows */
		tr.bitmaps = tr.counting && round + 1 == p->n_estimators;
		for (size_t k = 0; k < P; k++) {
			struct gbt_tree *t = &m->trees[m->ntrees++];

			sample_rows(&tr);
			grow_tree(&tr, t);
			/* the training margins feed the next round's gradients only: a forest's one
			 * round, or any model's last, leaves them alone */
			if (round + 1 < p->n_estimators)
				update_margin(&tr, t, margin);
			if (valid)
				add_tree(t, vx, valid->nrows, valid->nfeatures, vmargin);
		}
		if (valid) {
			double score = eval_metric(p->objective, vmargin, valid->y, valid->nrows);

			if (m->best_iteration < 0 || score < m->best_score) {
				m->best_score = score;
				m->best_iteration = round;
			}
			if (p->early_stopping_rounds > 0 &&
			    round - m->best_iteration >= p->early_stopping_rounds)
				break;
		}
	}
	if (p->early_stopping_rounds > 0)
		while (m->ntrees > (size_t)(m->best_iteration + 1) * P)
			tree_free(&m->trees[--m->ntrees]);
	trainer_free(&tr);
	free(margin);
	free(vmargin);
	free(vx);
	flatten(m);
	return m;
}

struct gbt_model *
gbt_fit(const struct gbt_params *p, const struct gbt_data *train, const struct gbt_data *valid,
        char *err, size_t errsize)
{
	struct pool pool;
	struct gbt_binned *b;
	struct gbt_model *m;

	if (check_fit_input(p, train, valid, err, errsize) != 0)
		return NULL;
	pool_init(&pool, p->nthreads);
	b = bin_data(&pool, train, p->max_bin);
	m = fit_binned(p, b, train->y, valid, &pool);
	binned_free(b);
	pool_free(&pool);
	return m;
}

void
gbt_free(struct gbt_model *m)
{
	if (!m)
		return;
	for (size_t j = 0; j < m->nfeatures; j++)
		free(m->cuts[j]);
	free(m->cuts);
	free(m->nbins);
	free(m->min_value);
	for (size_t k = 0; k < m->ntrees; k++)
		tree_free(&m->trees[k]);
	free(m->trees);
	if (m->flat) {
		free(m->flat->nodes);
		free(m->flat->root);
		free(m->flat->depth);
		free(m->flat);
	}
	free(m);
}

/* ---- prediction ---- */

void
gbt_predict_margin(const struct gbt_model *m, const double *x, size_t nrows, double *margin)
{
	double bm = base_margin(m->objective, m->base_score);
	const struct gbt_fnode *nodes = m->flat->nodes;
	size_t nf = m->nfeatures;

	/* blocks of rows, each through every tree in turn: the tree stays in cache and the
	 * rows' descents overlap; each row's leaves are added in tree order, as one by one */
	for (size_t i0 = 0; i0 < nrows; i0 += PREDICT_BLOCK) {
		size_t nb = nrows - i0 < PREDICT_BLOCK ? nrows - i0 : PREDICT_BLOCK;
		double sum[PREDICT_BLOCK];
		const double *xb = x + i0 * nf;

		for (size_t r = 0; r < nb; r++)
			sum[r] = 0;
		for (size_t k = 0; k < m->ntrees; k++)
			add_tree_block(nodes, (int32_t)m->flat->root[k], m->flat->depth[k], xb, nb,
			               nf, sum);
		for (size_t r = 0; r < nb; r++)
			margin[i0 + r] = bm + sum[r];
	}
}

void
gbt_predict(const struct gbt_model *m, const double *x, size_t nrows, double *pred)
{
	gbt_predict_margin(m, x, nrows, pred);
	if (m->objective != GBT_REG_SQUAREDERROR)
		for (size_t i = 0; i < nrows; i++)
			pred[i] = sigmoid(pred[i]);
}

void
gbt_importance(const struct gbt_model *m, double *weight, double *gain, double *cover)
{
	for (size_t j = 0; j < m->nfeatures; j++)
		weight[j] = gain[j] = cover[j] = 0;
	for (size_t k = 0; k < m->ntrees; k++) {
		const struct gbt_tree *t = &m->trees[k];

		for (size_t i = 0; i < t->nnodes; i++)
			if (t->left[i] >= 0) {
				weight[t->feature[i]] += 1;
				gain[t->feature[i]] += t->gain[i];
				cover[t->feature[i]] += t->cover[i];
			}
	}
	for (size_t j = 0; j < m->nfeatures; j++)
		if (weight[j] > 0) {
			gain[j] /= weight[j];
			cover[j] /= weight[j];
		}
}

/* ---- model file: the "fitted" map ---- */

static void
pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

static void
pack_bin_f32(msgpack_packer *pk, const float *v, size_t n)
{
	unsigned char buf[4];

	msgpack_pack_bin(pk, n * 4);
	for (size_t i = 0; i < n; i++) {
		uint32_t u;

		memcpy(&u, &v[i], 4);
		store_le32(buf, u);
		msgpack_pack_bin_body(pk, buf, 4);
	}
}

static void
pack_bin_i32(msgpack_packer *pk, const int32_t *v, size_t n)
{
	unsigned char buf[4];

	msgpack_pack_bin(pk, n * 4);
	for (size_t i = 0; i < n; i++) {
		store_le32(buf, (uint32_t)v[i]);
		msgpack_pack_bin_body(pk, buf, 4);
	}
}

static void
pack_tree(msgpack_packer *pk, const struct gbt_tree *t)
{
	msgpack_pack_map(pk, 8);
	pack_str(pk, "left");
	pack_bin_i32(pk, t->left, t->nnodes);
	pack_str(pk, "right");
	pack_bin_i32(pk, t->right, t->nnodes);
	pack_str(pk, "feature");
	pack_bin_i32(pk, t->feature, t->nnodes);
	pack_str(pk, "threshold");
	pack_bin_f32(pk, t->threshold, t->nnodes);
	pack_str(pk, "default_left");
	msgpack_pack_bin(pk, t->nnodes);
	msgpack_pack_bin_body(pk, t->default_left, t->nnodes);
	pack_str(pk, "value");
	pack_bin_f32(pk, t->value, t->nnodes);
	pack_str(pk, "gain");
	pack_bin_f32(pk, t->gain, t->nnodes);
	pack_str(pk, "cover");
	pack_bin_f32(pk, t->cover, t->nnodes);
}

void
gbt_pack(msgpack_packer *pk, const struct gbt_model *m)
{
	msgpack_pack_map(pk, 7);
	pack_str(pk, "objective");
	pack_str(pk, gbt_objective_name(m->objective));
	pack_str(pk, "base_score");
	msgpack_pack_double(pk, m->base_score);
	pack_str(pk, "num_parallel_tree");
	msgpack_pack_uint64(pk, m->num_parallel_tree);
	pack_str(pk, "best_iteration");
	msgpack_pack_int64(pk, m->best_iteration);
	pack_str(pk, "min_values");
	pack_bin_f32(pk, m->min_value, m->nfeatures);
	pack_str(pk, "bin_edges");
	msgpack_pack_array(pk, m->nfeatures);
	for (size_t j = 0; j < m->nfeatures; j++)
		pack_bin_f32(pk, m->cuts[j], m->nbins[j]);
	pack_str(pk, "trees");
	msgpack_pack_array(pk, m->ntrees);
	for (size_t k = 0; k < m->ntrees; k++)
		pack_tree(pk, &m->trees[k]);
}

static const msgpack_object *
map_get(const msgpack_object *m, const char *key)
{
	size_t len = strlen(key);

	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object *k = &m->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == len &&
		    memcmp(k->via.str.ptr, key, len) == 0)
			return &m->via.map.ptr[i].val;
	}
	return NULL;
}

/* A bin of n 4-byte values; -1 with a message when absent or of another size. */
static int
get_bin4(const msgpack_object *map, const char *key, const char *where, size_t n,
         const unsigned char **out, char *err, size_t errsize)
{
	const msgpack_object *o = map_get(map, key);

	if (!o || o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n * 4) {
		snprintf(err, errsize, "%s: \"%s\" is missing or not %zu 4-byte values", where, key,
		         n);
		return -1;
	}
	*out = (const unsigned char *)o->via.bin.ptr;
	return 0;
}

static float
le_f32(const unsigned char *p)
{
	uint32_t u = load_le32(p);
	float f;

	memcpy(&f, &u, 4);
	return f;
}

static int
unpack_tree(const msgpack_object *o, size_t k, size_t nf, struct gbt_tree *t, char *err,
            size_t errsize)
{
	const unsigned char *left, *right, *feature, *threshold, *value, *gain, *cover;
	const msgpack_object *lo, *dl;
	char where[64];
	size_t n;
	uint8_t *parents;

	snprintf(where, sizeof where, "tree %zu", k);
	if (o->type != MSGPACK_OBJECT_MAP || !(lo = map_get(o, "left")) ||
	    lo->type != MSGPACK_OBJECT_BIN || lo->via.bin.size % 4 != 0 || lo->via.bin.size == 0) {
		snprintf(err, errsize, "%s: not a map with a non-empty \"left\"", where);
		return -1;
	}
	n = lo->via.bin.size / 4;
	if (n > INT32_MAX) {
		snprintf(err, errsize, "%s: too many nodes", where);
		return -1;
	}
	if (get_bin4(o, "left", where, n, &left, err, errsize) ||
	    get_bin4(o, "right", where, n, &right, err, errsize) ||
	    get_bin4(o, "feature", where, n, &feature, err, errsize) ||
	    get_bin4(o, "threshold", where, n, &threshold, err, errsize) ||
	    get_bin4(o, "value", where, n, &value, err, errsize) ||
	    get_bin4(o, "gain", where, n, &gain, err, errsize) ||
	    get_bin4(o, "cover", where, n, &cover, err, errsize))
		return -1;
	dl = map_get(o, "default_left");
	if (!dl || dl->type != MSGPACK_OBJECT_BIN || dl->via.bin.size != n) {
		snprintf(err, errsize, "%s: \"default_left\" is missing or not %zu bytes", where,
		         n);
		return -1;
	}
	t->nnodes = n;
	t->left = xmalloc(n * sizeof *t->left);
	t->right = xmalloc(n * sizeof *t->right);
	t->feature = xmalloc(n * sizeof *t->feature);
	t->threshold = xmalloc(n * sizeof *t->threshold);
	t->value = xmalloc(n * sizeof *t->value);
	t->gain = xmalloc(n * sizeof *t->gain);
	t->cover = xmalloc(n * sizeof *t->cover);
	t->default_left = xmalloc(n);
	parents = xcalloc(n, 1);
	for (size_t i = 0; i < n; i++) {
		t->left[i] = (int32_t)load_le32(left + 4 * i);
		t->right[i] = (int32_t)load_le32(right + 4 * i);
		t->feature[i] = (int32_t)load_le32(feature + 4 * i);
		t->threshold[i] = le_f32(threshold + 4 * i);
		t->value[i] = le_f32(value + 4 * i);
		t->gain[i] = le_f32(gain + 4 * i);
		t->cover[i] = le_f32(cover + 4 * i);
		t->default_left[i] = ((const uint8_t *)dl->via.bin.ptr)[i] != 0;
	}
	for (size_t i = 0; i < n; i++) {
		const char *bad = NULL;

		if (t->left[i] == -1 && t->right[i] == -1) {
			if (!isfinite(t->value[i]))
				bad = "a leaf value is not finite";
		} else if (t->left[i] <= (int32_t)i || t->right[i] <= (int32_t)i ||
		           (size_t)t->left[i] >= n || (size_t)t->right[i] >= n ||
		           t->left[i] == t->right[i]) {
			bad = "a child index is out of range";
		} else if (parents[t->left[i]]++ || parents[t->right[i]]++) {
			bad = "a node has two parents";
		} else if (t->feature[i] < 0 || (size_t)t->feature[i] >= nf) {
			bad = "a feature index is beyond the feature count";
		} else if (isnan(t->threshold[i])) {
			bad = "a threshold is NaN";
		}
		if (bad) {
			snprintf(err, errsize, "%s, node %zu: %s", where, i, bad);
			free(parents);
			return -1;
		}
	}
	for (size_t i = 1; i < n; i++)
		if (!parents[i]) {
			snprintf(err, errsize, "%s, node %zu: unreachable from the root", where, i);
			free(parents);
			return -1;
		}
	free(parents);
	return 0;
}

static int
unpack_bins(const msgpack_object *fitted, struct gbt_model *m, char *err, size_t errsize)
{
	const msgpack_object *edges = map_get(fitted, "bin_edges");
	const unsigned char *mins;
	size_t nf = m->nfeatures;

	if (get_bin4(fitted, "min_values", "fitted", nf, &mins, err, errsize) != 0)
		return -1;
	if (!edges || edges->type != MSGPACK_OBJECT_ARRAY || edges->via.array.size != nf) {
		snprintf(err, errsize, "fitted: \"bin_edges\" is not an array of %zu features", nf);
		return -1;
	}
	for (size_t j = 0; j < nf; j++) {
		const msgpack_object *e = &edges->via.array.ptr[j];
		size_t nb;

		m->min_value[j] = le_f32(mins + 4 * j);
		if (e->type != MSGPACK_OBJECT_BIN || e->via.bin.size % 4 != 0 ||
		    e->via.bin.size > 4 * GBT_MAX_BIN) {
			snprintf(err, errsize, "fitted: bin_edges of feature %zu are malformed",
			         j + 1);
			return -1;
		}
		nb = e->via.bin.size / 4;
		m->nbins[j] = (uint32_t)nb;
		m->cuts[j] = xmalloc((nb ? nb : 1) * sizeof **m->cuts);
		for (size_t b = 0; b < nb; b++) {
			m->cuts[j][b] = le_f32((const unsigned char *)e->via.bin.ptr + 4 * b);
			if (!isfinite(m->cuts[j][b]) ||
			    (b > 0 && !(m->cuts[j][b] > m->cuts[j][b - 1]))) {
				snprintf(err, errsize,
				         "fitted: bin_edges of feature %zu are not increasing "
				         "finite values",
				         j + 1);
				return -1;
			}
		}
	}
	return 0;
}

static int
unpack_scalars(const msgpack_object *fitted, struct gbt_model *m, char *err, size_t errsize)
{
	const msgpack_object *obj = map_get(fitted, "objective"),
	                     *bs = map_get(fitted, "base_score");
	const msgpack_object *npt = map_get(fitted, "num_parallel_tree");
	const msgpack_object *best = map_get(fitted, "best_iteration");
	char name[32];

	if (!obj || obj->type != MSGPACK_OBJECT_STR || obj->via.str.size >= sizeof name) {
		snprintf(err, errsize, "fitted: \"objective\" is missing");
		return -1;
	}
	memcpy(name, obj->via.str.ptr, obj->via.str.size);
	name[obj->via.str.size] = '\0';
	if (gbt_objective_parse(name, &m->objective) != 0) {
		snprintf(err, errsize, "fitted: unknown objective '%s'", name);
		return -1;
	}
	if (!bs || (bs->type != MSGPACK_OBJECT_FLOAT64 && bs->type != MSGPACK_OBJECT_FLOAT32) ||
	    !isfinite(bs->via.f64) ||
	    (m->objective != GBT_REG_SQUAREDERROR && !(bs->via.f64 > 0 && bs->via.f64 < 1))) {
		snprintf(err, errsize, "fitted: \"base_score\" is missing or out of range");
		return -1;
	}
	m->base_score = bs->via.f64;
	if (!npt || npt->type != MSGPACK_OBJECT_POSITIVE_INTEGER || npt->via.u64 < 1 ||
	    npt->via.u64 > 100000) {
		snprintf(err, errsize, "fitted: \"num_parallel_tree\" is missing or out of range");
		return -1;
	}
	m->num_parallel_tree = (size_t)npt->via.u64;
	if (!best || (best->type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
	              best->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)) {
		snprintf(err, errsize, "fitted: \"best_iteration\" is missing");
		return -1;
	}
	m->best_iteration = best->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (long)best->via.u64
	                                                                  : (long)best->via.i64;
	return 0;
}

struct gbt_model *
gbt_unpack(const msgpack_object *fitted, size_t nfeatures, char *err, size_t errsize)
{
	struct gbt_model *m;
	const msgpack_object *trees;

	if (fitted->type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errsize, "fitted: not a map");
		return NULL;
	}
	m = xcalloc(1, sizeof *m);
	m->nfeatures = nfeatures;
	m->nbins = xcalloc(nfeatures ? nfeatures : 1, sizeof *m->nbins);
	m->cuts = xcalloc(nfeatures ? nfeatures : 1, sizeof *m->cuts);
	m->min_value = xcalloc(nfeatures ? nfeatures : 1, sizeof *m->min_value);
	m->best_score = NAN;
	if (unpack_scalars(fitted, m, err, errsize) != 0 ||
	    unpack_bins(fitted, m, err, errsize) != 0)
		goto fail;
	trees = map_get(fitted, "trees");
	if (!trees || trees->type != MSGPACK_OBJECT_ARRAY || trees->via.array.size == 0 ||
	    trees->via.array.size % m->num_parallel_tree != 0) {
		snprintf(
		        err, errsize,
		        "fitted: \"trees\" is not a non-empty array of rounds × num_parallel_tree");
		goto fail;
	}
	m->trees = xcalloc(trees->via.array.size, sizeof *m->trees);
	for (size_t k = 0; k < trees->via.array.size; k++) {
		m->ntrees = k + 1;
		if (unpack_tree(&trees->via.array.ptr[k], k, nfeatures, &m->trees[k], err, errsize))
			goto fail;
	}
	flatten(m);
	return m;
fail:
	gbt_free(m);
	return NULL;
}

/* ---- the model kind ---- */

static int
kind_unpack(const msgpack_object *fitted, size_t nfeatures, void **out, char *err, size_t errsize)
{
	struct gbt_model *m = gbt_unpack(fitted, nfeatures, err, errsize);

	if (!m)
		return -1;
	*out = m;
	return 0;
}

static void
kind_pack(msgpack_packer *pk, const void *fitted)
{
	gbt_pack(pk, fitted);
}

static void
kind_predict(const void *fitted, const double *x, size_t nrows, double *prob)
{
	gbt_predict(fitted, x, nrows, prob);
	for (size_t i = 0; i < nrows; i++)
		prob[i] = prob[i] < 0 ? 0 : prob[i] > 1 ? 1 : prob[i];
}

static void
kind_free(void *fitted)
{
	gbt_free(fitted);
}

const struct model_kind gbt_kind = {
        .name = "gbt",
        .unpack = kind_unpack,
        .pack = kind_pack,
        .predict = kind_predict,
        .free = kind_free,
};

/* ---- learners for the search ---- */

/* Column views of d; *copy is what to free (a transposed copy of a row-major dataset). */
static const double **
dataset_columns(const struct dataset *d, double **copy)
{
	const double **cols = xcalloc(d->nfeatures ? d->nfeatures : 1, sizeof *cols);
	const double *x = d->x;

	*copy = NULL;
	if (d->layout == DATASET_ROWS) {
		*copy = xreallocarray(NULL, d->nrows,
		                      (d->nfeatures ? d->nfeatures : 1) * sizeof **copy);
		for (size_t i = 0; i < d->nrows; i++)
			for (size_t j = 0; j < d->nfeatures; j++)
				(*copy)[j * d->nrows + i] = d->x[i * d->nfeatures + j];
		x = *copy;
	}
	for (size_t j = 0; j < d->nfeatures; j++)
		cols[j] = x + j * d->nrows;
	return cols;
}

struct gbt_model *
gbt_fit_dataset(const struct gbt_params *p, const struct dataset *d, const struct dataset *valid,
                char *err, size_t errsize)
{
	double *copy, *vcopy = NULL;
	const double **cols = dataset_columns(d, &copy), **vcols = NULL;
	struct gbt_data td = {d->nrows, d->nfeatures, cols, d->y}, vd;
	struct gbt_model *m;

	if (valid) {
		vcols = dataset_columns(valid, &vcopy);
		vd = (struct gbt_data){valid->nrows, valid->nfeatures, vcols, valid->y};
	}
	m = gbt_fit(p, &td, valid ? &vd : NULL, err, errsize);
	free(cols);
	free(copy);
	free(vcols);
	free(vcopy);
	return m;
}

static void *
learner_config_new(void)
{
	struct gbt_params *p = xmalloc(sizeof *p);

	gbt_params_default(p);
	return p;
}

static void *
learner_forest_config_new(void)
{
	struct gbt_params *p = xmalloc(sizeof *p);

	gbt_params_forest(p);
	return p;
}

static int
learner_set_param(void *cfg, const char *name, const char *value, char *err, size_t errsize)
{
	return gbt_params_set(cfg, name, value, err, errsize);
}

static int
learner_check(void *cfg, char *err, size_t errsize)
{
	return gbt_params_check(cfg, err, errsize);
}

static void *
learner_fit(const void *cfg, const struct dataset *d, char *err, size_t errsize)
{
	struct gbt_params p = *(const struct gbt_params *)cfg;

	p.nthreads = 1;
	p.early_stopping_rounds = 0;
	return gbt_fit_dataset(&p, d, NULL, err, errsize);
}

/* A fold's rows binned once for the fits of every candidate with the same max_bin, or why
 * they cannot be fitted (no rows, a feature value beyond float). */
struct gbt_prep {
	long max_bin;
	struct gbt_binned *b; /* NULL: err says why */
	char err[256];
};

static void *
learner_prepare(const void *cfg, const struct dataset *d)
{
	struct gbt_prep *pr = xcalloc(1, sizeof *pr);
	double *copy;
	const double **cols = dataset_columns(d, &copy);
	struct gbt_data td = {d->nrows, d->nfeatures, cols, d->y};

	pr->max_bin = ((const struct gbt_params *)cfg)->max_bin;
	if (check_rows(&td, "training", pr->err, sizeof pr->err) == 0 &&
	    check_features(&td, "training", pr->err, sizeof pr->err) == 0) {
		struct pool pool;

		pool_init(&pool, 1);
		pr->b = bin_data(&pool, &td, pr->max_bin);
		pool_free(&pool);
	}
	free(cols);
	free(copy);
	return pr;
}

static int
learner_prepared_fits(const void *prep, const void *cfg)
{
	return ((const struct gbt_prep *)prep)->max_bin ==
	       ((const struct gbt_params *)cfg)->max_bin;
}

/* As learner_fit, on the prepared bins: the same checks in the same order, the same model. */
static void *
learner_fit_prepared(const void *cfg, const struct dataset *d, const void *prep, char *err,
                     size_t errsize)
{
	const struct gbt_prep *pr = prep;
	struct gbt_params p = *(const struct gbt_params *)cfg;
	struct gbt_data td = {d->nrows, d->nfeatures, NULL, d->y};
	struct gbt_model *m;
	struct pool pool;

	p.nthreads = 1;
	p.early_stopping_rounds = 0;
	if (gbt_params_check(&p, err, errsize) != 0 ||
	    check_rows(&td, "training", err, errsize) != 0 ||
	    check_labels(&p, &td, "training", err, errsize) != 0)
		return NULL;
	if (!pr->b) {
		snprintf(err, errsize, "%s", pr->err);
		return NULL;
	}
	if (check_classes(&td, err, errsize) != 0)
		return NULL;
	pool_init(&pool, 1);
	m = fit_binned(&p, pr->b, d->y, NULL, &pool);
	pool_free(&pool);
	return m;
}

static void
learner_prepared_free(void *prep)
{
	struct gbt_prep *pr = prep;

	binned_free(pr->b);
	free(pr);
}

const struct learner gbt_learner = {
        .ops = &gbt_kind,
        .config_new = learner_config_new,
        .set_param = learner_set_param,
        .check = learner_check,
        .fit = learner_fit,
        .config_free = free,
        .prepare = learner_prepare,
        .prepared_fits = learner_prepared_fits,
        .fit_prepared = learner_fit_prepared,
        .prepared_free = learner_prepared_free,
};

const struct learner gbt_forest_learner = {
        .ops = &gbt_kind,
        .config_new = learner_forest_config_new,
        .set_param = learner_set_param,
        .check = learner_check,
        .fit = learner_fit,
        .config_free = free,
        .prepare = learner_prepare,
        .prepared_fits = learner_prepared_fits,
        .fit_prepared = learner_fit_prepared,
        .prepared_free = learner_prepared_free,
};
