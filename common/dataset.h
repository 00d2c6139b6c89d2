/*
 * dataset.h: a training set in memory — the feature-role columns of a pipeml stream as a
 * dense double matrix and the target-role column as 0/1 labels.
 */
#ifndef PIPEML_DATASET_H
#define PIPEML_DATASET_H

#include <stddef.h>
#include <stdio.h>

/* How x is laid out: x[i*nfeatures + j] (row-major) or x[j*nrows + i] (column-major). */
enum dataset_layout { DATASET_ROWS, DATASET_COLUMNS };

struct dataset {
	size_t nrows;
	size_t nfeatures;
	enum dataset_layout layout;
	char **features;  /* nfeatures names, in stream order */
	char *target;     /* name of the target column */
	double *x;        /* nrows × nfeatures, see layout */
	double *y;        /* nrows labels, each 0 or 1 */
	size_t npositive; /* rows with y == 1 */
};

/*
 * Read a whole stream (fp, named name in messages) into d. The stream needs at least one
 * f64 feature-role column and exactly one f64 target-role column. Errors (message in err,
 * naming the input, row and column; return -1): a missing or non-numeric target, a target
 * value other than 0 or 1 or missing, a feature that is missing, NaN or infinite, a text
 * feature column, zero rows, a single class. d is left empty on error.
 */
int dataset_read(FILE *fp, const char *name, enum dataset_layout layout, struct dataset *d,
                 char *err, size_t errsize);

/*
 * dataset_read (row-major) that also computes dataset_sha256 into hex, on a second thread
 * while the rows arrive.
 */
int dataset_read_sha256(FILE *fp, const char *name, struct dataset *d, char hex[65], char *err,
                        size_t errsize);

/* A new row-major dataset of the given rows of d (any layout), names shared with d. */
void dataset_subset(const struct dataset *d, const size_t *rows, size_t nrows, struct dataset *out);

/* Free what dataset_read allocated (features and target too, unless shared by a subset). */
void dataset_free(struct dataset *d);
void dataset_subset_free(struct dataset *d);

/* SHA-256 of the data as read (hex, 64 chars + NUL): see pipeml-model(5), meta. */
void dataset_sha256(const struct dataset *d, char hex[65]);

#endif
