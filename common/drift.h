/*
 * drift.h: the training-time reference profile of drift(1) and the comparison of new data
 * with it — per numeric column its sorted distinct values with training counts (from which
 * quantile bins, min/max and an exact ECDF follow), per text column its category counts,
 * missing counts, and the schema; then, on new data, counters sized by the reference (never
 * by the rows), PSI, two-sample KS, missing-rate change, share out of range, share unseen.
 *
 * Functions that can fail return 0, or -1 with a one-line message (no program name) in err.
 */
#ifndef PIPEML_DRIFT_H
#define PIPEML_DRIFT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "stream.h"
#include "strmap.h"

#define DRIFT_FORMAT     "pipeml-drift-reference"
#define DRIFT_VERSION    1
#define DRIFT_PSI_EPS    1e-4    /* a proportion of 0 counts as this in PSI's logarithm */
#define DRIFT_MAX_POINTS 1000000 /* limit on stored ECDF points and categories per column */
#define DRIFT_SCORE_NAME "(prediction)"

/* Checks and their thresholds: warn at or above *_warn, drift at or above *_drift. */
struct drift_limits {
	double psi_warn, psi_drift;
	double ks_warn, ks_drift;
	double missing_drift; /* |new missing rate − training's| */
	double range_drift;   /* share of new values outside training [min, max] */
	double unseen_drift;  /* share of new values of categories training never saw */
};

enum drift_status { DRIFT_OK, DRIFT_WARN, DRIFT_DRIFT };

/* A column of the reference, with the new data's counters. */
struct drift_col {
	char *name;
	enum col_type type;
	enum col_role role;
	int profiled;        /* distributions compared: features and passthrough columns, but text
	                        columns with over DRIFT_MAX_POINTS categories */
	uint64_t n, missing; /* training rows and missing values */
	/* COL_F64: sorted distinct values (all of them when exact) and training counts. */
	size_t npoints;
	double *points;
	uint64_t *le, *lt; /* training values <= and < points[k] */
	int exact;         /* every distinct training value kept: KS is exact */
	size_t nedges;
	double *edges;   /* PSI bins: (−inf, e0], (e0, e1], …, (e_last, +inf) */
	uint64_t *bin_n; /* training counts per bin (nedges + 1) */
	size_t *edge_at; /* edges[i] == points[edge_at[i]] */
	double *learned; /* learning: every non-missing value */
	size_t nlearned, caplearned;
	/* COL_STR: categories in byte order, training counts. */
	size_t ncats, capcats;
	char **cats;
	char *catbuf; /* loaded: cats[i] point into this one block (learned: each its own) */
	uint64_t *cat_n;
	struct strmap catmap;
	/* new data */
	long in; /* input column, −1 when absent */
	uint64_t new_n, new_missing;
	uint64_t *counts; /* [2k]: in (points[k−1], points[k]); [2k + 1]: == points[k] */
	uint64_t *new_cat_n, new_unseen;
	double *guide; /* every DRIFT_GUIDE_STEP-th point: the first step of a search */
	size_t nguide;
	uint32_t *bucket; /* by value: bucket b's points start at bucket[b] (NULL: guide only) */
	size_t nbuckets;
	double bucket_lo, bucket_scale; /* b = (x − bucket_lo) · bucket_scale, clamped */
	size_t *catlen;                 /* strlen of each category */
};

struct drift_ref {
	size_t ncols;
	struct drift_col *cols; /* in the training input's order */
	int has_score;
	struct drift_col score; /* the model's P(y = 1), when a model was given */
	uint64_t rows;
	size_t nbins;     /* PSI bins asked for */
	size_t maxpoints; /* ECDF points kept per column */
	char *source;     /* what the reference was built from (free text) */
};

/* Learning, batch by batch: start from the input schema, feed batches, finish. */
void drift_learn_start(struct drift_ref *r, const struct schema *s, size_t nbins, size_t maxpoints,
                       int with_score);
void drift_learn_batch(struct drift_ref *r, const struct batch *b, const double *score);
void drift_learn_finish(struct drift_ref *r);
void drift_free(struct drift_ref *r);

/* Save as msgpack; load and validate everything. */
int drift_save(const struct drift_ref *r, FILE *fp);
int drift_load(struct drift_ref *r, FILE *fp, char *err, size_t errsize);

/*
 * Check: bind the new input's schema (columns by name) and zero the counters; feed batches
 * (score: the model's scores of b's rows, or NULL); then the report. ignore: comma-separated
 * columns left out of every check (NULL: none). expect_target: 1 present, 0 absent, −1 any.
 */
void drift_check_start(struct drift_ref *r, const struct schema *s, const char *ignore);
void drift_check_batch(struct drift_ref *r, const struct batch *b, const double *score);

/* Metrics of one reference column against the new data (after the batches). */
struct drift_metrics {
	double psi, ks;
	double missing_ref, missing_new;
	double out_of_range; /* COL_F64 */
	double unseen;       /* COL_STR */
	enum drift_status status;
};
void drift_col_metrics(const struct drift_col *c, const struct drift_limits *lim,
                       struct drift_metrics *m);

/*
 * The whole report: schema (missing, extra, type changes, target), each profiled column and
 * the score, as JSON into j and as a table to tbl (NULL: none). Returns the worst status.
 */
enum drift_status drift_report(const struct drift_ref *r, const struct schema *in,
                               const struct drift_limits *lim, const char *ignore,
                               int expect_target, struct jbuf *j, FILE *tbl);

#endif
