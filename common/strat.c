#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strat.h"
#include "util.h"

/* Fisher–Yates shuffle of a[0..n). */
static void
shuffle(struct rng *r, uint32_t *a, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)rng_below(r, i);
		uint32_t t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

size_t
strat_test_size(double fraction, size_t n)
{
	return (size_t)ceil(fraction * (double)n);
}

static size_t *
class_counts(const uint32_t *cls, size_t n, size_t nclasses)
{
	size_t *counts = xcalloc(nclasses, sizeof *counts);

	for (size_t i = 0; i < n; i++)
		counts[cls[i]]++;
	return counts;
}

/*
 * The floors of _approximate_mode: draws[c] = floor(continuous), remainder[c] = continuous −
 * floor, continuous = counts / Σ counts · n_draws in numpy's order of operations. Returns Σ draws.
 */
static size_t
proportional_floors(const size_t *counts, size_t nclasses, size_t n_draws, size_t *draws,
                    double *remainder)
{
	size_t total = 0, drawn = 0;

	for (size_t c = 0; c < nclasses; c++)
		total += counts[c];
	for (size_t c = 0; c < nclasses; c++) {
		double continuous = (double)counts[c] / (double)total * (double)n_draws;
		double floored = floor(continuous);

		draws[c] = (size_t)floored;
		remainder[c] = continuous - floored;
		drawn += draws[c];
	}
	return drawn;
}

void
strat_approximate_mode(const size_t *counts, size_t nclasses, size_t n_draws, struct rng *r,
                       size_t *draws)
{
	double *remainder = xcalloc(nclasses, sizeof *remainder);
	size_t *tied = xcalloc(nclasses, sizeof *tied);
	size_t drawn = proportional_floors(counts, nclasses, n_draws, draws, remainder);

	/* Leftover draws go to the largest remainders first; a tie is settled at random. */
	while (drawn < n_draws) {
		double best = -1;
		size_t ntied = 0;

		for (size_t c = 0; c < nclasses; c++) {
			if (remainder[c] < 0)
				continue;
			if (remainder[c] > best) {
				best = remainder[c];
				ntied = 0;
			}
			if (remainder[c] == best)
				tied[ntied++] = c;
		}
		if (ntied == 0)
			break;
		for (size_t k = 0; k < ntied && drawn < n_draws; k++) {
			/* pick one of the tied classes not yet given a draw */
			size_t pick = k + (size_t)rng_below(r, ntied - k), t = tied[pick];

			tied[pick] = tied[k];
			tied[k] = t;
			draws[t]++;
			drawn++;
		}
		for (size_t k = 0; k < ntied; k++)
			remainder[tied[k]] = -1;
	}
	free(remainder);
	free(tied);
}

/* Row indices grouped by class, each group in row order: members[start[c] .. start[c+1]). */
static uint32_t *
group_by_class(const uint32_t *cls, size_t n, size_t nclasses, const size_t *counts, size_t *start)
{
	uint32_t *members = xreallocarray(NULL, n ? n : 1, sizeof *members);
	size_t *fill = xcalloc(nclasses, sizeof *fill);

	start[0] = 0;
	for (size_t c = 0; c < nclasses; c++)
		start[c + 1] = start[c] + counts[c];
	for (size_t i = 0; i < n; i++)
		members[start[cls[i]] + fill[cls[i]]++] = (uint32_t)i;
	free(fill);
	return members;
}

/* The class counts of a split of n rows with n_test test rows, or NULL with the reason in
 * err when scikit-learn would refuse it. */
static size_t *
split_counts(const uint32_t *cls, size_t n, size_t nclasses, size_t n_test, char *err,
             size_t errsize)
{
	size_t *counts;

	if (n_test > n || n > UINT32_MAX) {
		snprintf(err, errsize, "cannot take %zu test rows from %zu", n_test, n);
		return NULL;
	}
	counts = class_counts(cls, n, nclasses);
	for (size_t c = 0; c < nclasses; c++) {
		if (counts[c] < 2) {
			snprintf(err, errsize,
			         "class %zu of %zu has only %zu row; stratifying needs at least 2 "
			         "rows of every class",
			         c + 1, nclasses, counts[c]);
			free(counts);
			return NULL;
		}
	}
	if (n - n_test < nclasses || n_test < nclasses) {
		snprintf(err, errsize,
		         "%zu rows give %zu train and %zu test rows; each half needs at least one "
		         "row of each of the %zu classes",
		         n, n - n_test, n_test, nclasses);
		free(counts);
		return NULL;
	}
	return counts;
}

/* The per-class plan of a split: each class's rows (members[start[c] .. start[c + 1]), in row
 * order), and how many of them go to train and to test. */
struct split_plan {
	size_t *counts, *n_train, *n_test, *start;
	uint32_t *members;
};

/* How an _approximate_mode breaks its ties: with our generator or with numpy's. */
typedef void mode_fn(const size_t *counts, size_t nclasses, size_t n_draws, void *rng,
                     size_t *draws);

/* Plan a split of n rows with n_test test rows: as scikit-learn, the train counts first, then
 * the test counts from what is left. 0, or -1 with the reason in err. */
static int
plan_split(struct split_plan *pl, const uint32_t *cls, size_t n, size_t nclasses, size_t n_test,
           mode_fn *mode, void *rng, char *err, size_t errsize)
{
	size_t *left;

	pl->counts = split_counts(cls, n, nclasses, n_test, err, errsize);
	if (!pl->counts)
		return -1;
	pl->n_train = xcalloc(nclasses, sizeof *pl->n_train);
	pl->n_test = xcalloc(nclasses, sizeof *pl->n_test);
	pl->start = xcalloc(nclasses + 1, sizeof *pl->start);
	left = xcalloc(nclasses, sizeof *left);
	mode(pl->counts, nclasses, n - n_test, rng, pl->n_train);
	for (size_t c = 0; c < nclasses; c++)
		left[c] = pl->counts[c] - pl->n_train[c];
	mode(left, nclasses, n_test, rng, pl->n_test);
	free(left);
	pl->members = group_by_class(cls, n, nclasses, pl->counts, pl->start);
	return 0;
}

static void
plan_free(struct split_plan *pl)
{
	free(pl->members);
	free(pl->start);
	free(pl->n_test);
	free(pl->n_train);
	free(pl->counts);
}

static void
mode_ours(const size_t *counts, size_t nclasses, size_t n_draws, void *rng, size_t *draws)
{
	strat_approximate_mode(counts, nclasses, n_draws, rng, draws);
}

int
strat_shuffle_split(const uint32_t *cls, size_t n, size_t nclasses, size_t n_test, struct rng *r,
                    unsigned char *is_test, char *err, size_t errsize)
{
	struct split_plan pl;

	if (plan_split(&pl, cls, n, nclasses, n_test, mode_ours, r, err, errsize) != 0)
		return -1;
	memset(is_test, 0, n);
	for (size_t c = 0; c < nclasses; c++) {
		uint32_t *m = pl.members + pl.start[c];

		shuffle(r, m, pl.counts[c]);
		for (size_t k = pl.n_train[c]; k < pl.n_train[c] + pl.n_test[c]; k++)
			is_test[m[k]] = 1;
	}
	plan_free(&pl);
	return 0;
}

/* _approximate_mode with numpy's tie-break: the leftover draws go to the classes of the
 * largest remainder first; when they are more than the draws left, rng.choice(classes, k,
 * replace=False), that is the first k of a permutation, picks which. */
static void
approximate_mode_np(const size_t *counts, size_t nclasses, size_t n_draws, void *rng, size_t *draws)
{
	struct np_rng *r = rng;
	double *remainder = xcalloc(nclasses, sizeof *remainder);
	uint32_t *tied = xcalloc(nclasses, sizeof *tied), *perm = xcalloc(nclasses, sizeof *perm);
	size_t drawn = proportional_floors(counts, nclasses, n_draws, draws, remainder);

	while (drawn < n_draws) {
		double best = -1;
		size_t ntied = 0, add;

		/* the largest remainder not yet served (np.sort(np.unique(...))[::-1]) and, in
		 * increasing class order, the classes that have it (np.where) */
		for (size_t c = 0; c < nclasses; c++)
			if (remainder[c] > best)
				best = remainder[c];
		if (best < 0)
			break;
		for (size_t c = 0; c < nclasses; c++)
			if (remainder[c] == best)
				tied[ntied++] = (uint32_t)c;
		add = n_draws - drawn < ntied ? n_draws - drawn : ntied;
		for (size_t k = 0; k < ntied; k++)
			perm[k] = (uint32_t)k;
		np_rng_shuffle(r, perm, ntied);
		for (size_t k = 0; k < add; k++)
			draws[tied[perm[k]]]++;
		drawn += add;
		for (size_t k = 0; k < ntied; k++)
			remainder[tied[k]] = -1;
	}
	free(perm);
	free(tied);
	free(remainder);
}

int
strat_split_sklearn(const uint32_t *cls, size_t n, size_t nclasses, size_t n_test, uint32_t seed,
                    uint32_t *train, uint32_t *test, char *err, size_t errsize)
{
	struct split_plan pl;
	struct np_rng r;
	size_t ntr = 0, nte = 0;
	uint32_t *perm;

	np_rng_seed(&r, seed);
	if (plan_split(&pl, cls, n, nclasses, n_test, approximate_mode_np, &r, err, errsize) != 0)
		return -1;
	/* each class's rows in row order (argsort, mergesort), taken in a permutation's order:
	 * the first n_train to train, the next n_test to test */
	perm = xreallocarray(NULL, n ? n : 1, sizeof *perm);
	for (size_t c = 0; c < nclasses; c++) {
		const uint32_t *m = pl.members + pl.start[c];

		for (size_t i = 0; i < pl.counts[c]; i++)
			perm[i] = (uint32_t)i;
		np_rng_shuffle(&r, perm, pl.counts[c]);
		for (size_t i = 0; i < pl.n_train[c]; i++)
			train[ntr++] = m[perm[i]];
		for (size_t i = pl.n_train[c]; i < pl.n_train[c] + pl.n_test[c]; i++)
			test[nte++] = m[perm[i]];
	}
	/* then each half in the order of a permutation of it */
	np_rng_shuffle(&r, train, ntr);
	np_rng_shuffle(&r, test, nte);
	free(perm);
	plan_free(&pl);
	return 0;
}

int
strat_kfold(const uint32_t *cls, size_t n, size_t nclasses, size_t k, struct rng *r, uint32_t *fold,
            char *err, size_t errsize)
{
	size_t *counts, *start, *seen_at, largest = 0, pos = 0;
	uint32_t *members, *folds;

	if (k < 2 || k > n || n > UINT32_MAX) {
		snprintf(err, errsize, "cannot make %zu folds of %zu rows (need 2 ≤ folds ≤ rows)",
		         k, n);
		return -1;
	}
	counts = class_counts(cls, n, nclasses);
	for (size_t c = 0; c < nclasses; c++)
		if (counts[c] > largest)
			largest = counts[c];
	if (largest < k) {
		snprintf(err, errsize,
		         "%zu folds need at least %zu rows in some class; the largest has %zu", k,
		         k, largest);
		free(counts);
		return -1;
	}
	start = xcalloc(nclasses + 1, sizeof *start);
	members = group_by_class(cls, n, nclasses, counts, start);
	folds = xreallocarray(NULL, largest, sizeof *folds);
	/* scikit-learn orders the classes by their first row: visit them in that order. */
	seen_at = xcalloc(nclasses, sizeof *seen_at);
	for (size_t i = n; i-- > 0;)
		seen_at[cls[i]] = i;
	for (size_t visited = 0; visited < nclasses; visited++) {
		size_t c = 0, m = 0;

		for (size_t d = 1; d < nclasses; d++)
			if (seen_at[d] < seen_at[c])
				c = d;
		seen_at[c] = SIZE_MAX;
		/*
		 * In the rows sorted by class, this class holds positions pos .. pos + counts[c];
		 * position p goes to fold p mod k. List those folds, shuffle them over its rows.
		 */
		for (size_t p = pos; p < pos + counts[c]; p++)
			folds[m++] = (uint32_t)(p % k);
		pos += counts[c];
		shuffle(r, folds, m);
		for (size_t i = 0; i < m; i++)
			fold[members[start[c] + i]] = folds[i];
	}
	free(seen_at);
	free(folds);
	free(members);
	free(start);
	free(counts);
	return 0;
}
