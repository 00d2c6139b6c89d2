/* colstats.h: column statistics — moments of numbers, the median, value counts and the mode. */
#ifndef PIPEML_COLSTATS_H
#define PIPEML_COLSTATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Count, mean, sum of squared deviations (m2), min and max of the non-missing values of a
 * column, fed in blocks: each block is summed in two passes and merged into the total
 * with Chan et al.'s formula, so the result is as accurate as a two-pass computation.
 * NaN counts as missing.
 */
struct moments {
	uint64_t n, missing;
	double mean, m2, min, max;
};

void moments_init(struct moments *m);
void moments_add(struct moments *m, const double *x, size_t n);
/* Sample variance (n − 1 in the denominator, as pandas' std): NaN when n < 2. */
double moments_var(const struct moments *m);
/* Sample standard deviation. */
double moments_sd(const struct moments *m);

/*
 * Median of x[0..n) (NaN skipped): the middle value, or the mean of the two middle values
 * when their count is even; NaN when there is none. Reorders x.
 */
double median(double *x, size_t n);

/*
 * Value counts of a text column, up to a limit of distinct values (beyond it, counting
 * stops and the tally is marked saturated: a column of identifiers has no useful mode).
 * The empty string is missing and not counted.
 */
struct tally {
	size_t cap, len, limit;
	struct tally_slot *slots;
	char *bytes; /* the distinct values, back to back */
	size_t nbytes, cap_bytes;
	int saturated;
};

void tally_init(struct tally *t, size_t limit);
void tally_free(struct tally *t);
void tally_add(struct tally *t, const char *s, size_t len);
/*
 * The most frequent value; ties go to the smallest in sorted order, as pandas' mode()
 * does: numeric order when every distinct value is a number, byte order otherwise.
 * Returns its count (0 when there is no value or the tally is saturated; then *s is NULL)
 * and points *s, *len at the value (owned by t).
 */
uint64_t tally_mode(const struct tally *t, const char **s, size_t *len);

#endif
