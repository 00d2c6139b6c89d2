/*
 * encoder.h: turning clean rows into a feature matrix — the state that encode(1) learns from
 * training rows (min/max or mean/sd of scaled columns, the sorted categories of one-hot
 * columns, the target's two labels, the feature names in order), saves, and applies unchanged
 * to new rows, batch by batch.
 *
 * Functions that can fail return 0, or -1 with a one-line message (no program name) in err.
 */
#ifndef PIPEML_ENCODER_H
#define PIPEML_ENCODER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stream.h"
#include "strmap.h"
#include "table.h"

/* What becomes of an input column. */
enum enc_use {
	ENC_FEATURE,  /* a numeric column used as it is */
	ENC_MINMAX,   /* (x − min) / (max − min), as scikit-learn's MinMaxScaler */
	ENC_STANDARD, /* (x − mean) / sd, sd over n (StandardScaler) */
	ENC_ONEHOT,   /* one 0/1 feature per category but the first (sorted by bytes) */
	ENC_TARGET,   /* 0/1: 1 for the positive label */
	ENC_ID,       /* passed through unchanged, role id */
	ENC_FOLD,     /* passed through unchanged, role fold */
	ENC_DROP,     /* not written */
};

struct enc_column {
	char *name;
	enum col_type type; /* in the training stream */
	enum enc_use use;
	double lo, hi;        /* ENC_MINMAX: min, max; ENC_STANDARD: mean, sd */
	size_t ncats;         /* ENC_ONEHOT: categories, sorted; ENC_TARGET: its 2 labels, */
	char **cats;          /* the negative first */
	size_t *catlen;       /* strlen of each */
	struct strmap catmap; /* category -> index, when there are many */
	size_t first_feature; /* ENC_ONEHOT: output index of the dummy of cats[1] */
	uint64_t unseen;      /* apply: values not seen in training, counted */
	uint64_t count; /* learning: values seen, their sum, Welford's mean and Σ(x − mean)² */
	double sum, wmean, m2;
	size_t catcap; /* learning: room in cats */
	long in;       /* bound: the column's index in the input, or -1 if absent */
	long out;      /* bound: its (first) output column, or -1 */
};

struct encoder {
	size_t ncols;
	struct enc_column *cols; /* in the training stream's order */
	size_t nonehot;
	size_t *onehot_order; /* indices into cols: the order the dummies are laid out in */
	size_t nfeatures;
	char **features;
	int clip;   /* apply: clip min-max scaled values to [0, 1] */
	int strict; /* apply: a category not seen in training is an error */
};

/* How to learn: comma-separated column lists (NULL = none), as encode's flags give them. */
struct enc_spec {
	const char *target;   /* NULL: the stream's column with the role target, if any */
	const char *positive; /* NULL: the larger of the two sorted labels */
	const char *ids, *drop, *minmax, *standard, *onehot;
};

/*
 * Learn the state from the rows of t. Columns not named by spec: a column whose role is id or
 * fold keeps it, another numeric column is a feature as it is, another text column is an
 * error. On failure e is left empty.
 */
int encoder_learn(struct encoder *e, const struct enc_spec *spec, const struct table *t, char *err,
                  size_t errsize);
/*
 * The same, batch by batch, so that a stream need not be held in memory: _start decides each
 * column's use from the schema, _batch takes in b's rows (first_row numbers b's first row in
 * messages, from 1), _finish settles the state. On failure e is left empty.
 */
int encoder_learn_start(struct encoder *e, const struct enc_spec *spec, const struct schema *s,
                        char *err, size_t errsize);
int encoder_learn_batch(struct encoder *e, const struct batch *b, uint64_t first_row, char *err,
                        size_t errsize);
int encoder_learn_finish(struct encoder *e, const struct enc_spec *spec, char *err, size_t errsize);
void encoder_free(struct encoder *e);

/* Save as msgpack (encode(1), STATE); load and validate everything. */
int encoder_save(const struct encoder *e, FILE *fp);
int encoder_load(struct encoder *e, FILE *fp, char *err, size_t errsize);

/*
 * Check an input schema against the state and build the output schema (out uninitialised):
 * ids and the target in input order, then the features. The input must hold every column the
 * state uses, with its type, and no other; the target and the dropped columns may be absent.
 */
int encoder_bind(struct encoder *e, const struct schema *in, struct schema *out, char *err,
                 size_t errsize);

/*
 * Encode the rows of in into out (initialised for the output schema; cleared first). first_row
 * numbers in's first row for messages (1-based). Fails on a non-numeric value to scale, a
 * target value that is neither label, or (strict) an unseen category.
 */
int encoder_apply(struct encoder *e, const struct batch *in, struct batch *out, uint64_t first_row,
                  char *err, size_t errsize);

#endif
