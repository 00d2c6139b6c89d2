/*
 * gbt.h: histogram gradient-boosted trees and random forests with XGBoost 1.7's semantics
 * (tree_method=hist): quantile bins per feature, second-order split gain and leaf weights,
 * a learned default direction for missing values, float32 split thresholds where a row
 * goes left when (float)x < threshold. pipeml-model(5) describes the packed form.
 */
#ifndef PIPEML_GBT_H
#define PIPEML_GBT_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "model.h"
#include "search.h"

enum gbt_objective { GBT_BINARY_LOGISTIC, GBT_REG_LOGISTIC, GBT_REG_SQUAREDERROR };

#define GBT_MAX_DEPTH 30
#define GBT_MAX_BIN   256

/* Hyperparameters, named and meaning as in XGBoost. */
struct gbt_params {
	enum gbt_objective objective;
	long n_estimators; /* boosting rounds */
	double learning_rate;
	long max_depth;
	double min_child_weight;
	double min_split_loss; /* gamma */
	double reg_lambda;
	double reg_alpha;
	double subsample;
	double colsample_bytree;
	double colsample_bylevel;
	double colsample_bynode;
	long max_bin;
	long num_parallel_tree;
	double base_score;
	double scale_pos_weight;
	uint64_t seed;
	long early_stopping_rounds; /* 0: off; needs a validation set */
	int nthreads;               /* 0 or 1: one thread; results never depend on it */
};

/* XGBoost 1.7's defaults (XGBClassifier), and XGBRFClassifier's (random-forest mode). */
void gbt_params_default(struct gbt_params *p);
void gbt_params_forest(struct gbt_params *p);
/*
 * Set one parameter by its XGBoost name from text ("max_depth", "6"). Returns 0, or -1
 * for an invalid value and -2 for an unknown name, with a message in err. eval_metric is
 * accepted and ignored (early stopping scores with the objective's default metric).
 */
int gbt_params_set(struct gbt_params *p, const char *name, const char *value, char *err,
                   size_t errsize);
/* Check the ranges (max_depth 1..30, learning_rate > 0, subsample in (0, 1], ...). */
int gbt_params_check(const struct gbt_params *p, char *err, size_t errsize);
const char *gbt_objective_name(enum gbt_objective o);
int gbt_objective_parse(const char *name, enum gbt_objective *o);

/*
 * One tree in XGBoost's layout: node 0 is the root, a leaf has left = right = -1 and its
 * value in value[]; an inner node sends x to left[] when (float)x[feature] < threshold,
 * and a missing x to left[] when default_left. gain is the split's loss change, cover the
 * node's hessian sum. Children always have larger indices than their parent.
 */
struct gbt_tree {
	size_t nnodes;
	int32_t *left, *right, *feature;
	float *threshold, *value, *gain, *cover;
	uint8_t *default_left;
};

struct gbt_flat;
struct gbt_model {
	enum gbt_objective objective;
	double base_score;
	size_t nfeatures;
	/* Bins of feature j: nbins[j] upper bounds cuts[j][0..nbins[j]) (the last one above the
	 * largest training value) and min_value[j] below the smallest; nbins[j] == 0 when the
	 * feature had no value in the training data. */
	uint32_t *nbins;
	float **cuts;
	float *min_value;
	size_t num_parallel_tree;
	size_t ntrees; /* rounds × num_parallel_tree */
	struct gbt_tree *trees;
	struct gbt_flat *flat; /* the trees laid out for prediction (built by fit and unpack) */
	long best_iteration;   /* last round kept by early stopping, or -1 */
	double best_score;     /* its validation metric */
};

/*
 * Training and validation data: nrows rows of nfeatures columns (x[j][i] is feature j of
 * row i, NaN = missing) and labels y[i].
 */
struct gbt_data {
	size_t nrows, nfeatures;
	const double *const *x;
	const double *y;
};

/*
 * Fit a model. valid may be NULL; with early_stopping_rounds > 0 it must not be, and the
 * fit keeps the rounds up to the best validation score (logloss for binary:logistic, rmse
 * otherwise, as XGBoost's default metrics). Returns NULL with a message in err when the
 * data cannot be fitted (no rows, NaN or out-of-range labels, a single class, infinite
 * feature values) or the parameters are invalid.
 */
struct gbt_model *gbt_fit(const struct gbt_params *p, const struct gbt_data *train,
                          const struct gbt_data *valid, char *err, size_t errsize);
void gbt_free(struct gbt_model *m);

/* Predictions for nrows rows x (row-major, nrows × nfeatures, NaN = missing): the margin
 * (sum of the leaves plus the base margin), and the prediction (sigmoid of the margin for
 * the logistic objectives, the margin itself for reg:squarederror). */
void gbt_predict_margin(const struct gbt_model *m, const double *x, size_t nrows, double *margin);
void gbt_predict(const struct gbt_model *m, const double *x, size_t nrows, double *pred);

/* Feature importance as XGBoost's get_score: weight = number of splits on the feature,
 * gain and cover = average over those splits (0 when unused). Arrays of nfeatures. */
void gbt_importance(const struct gbt_model *m, double *weight, double *gain, double *cover);

/* The "fitted" map of a gbt model file (pipeml-model(5)). */
void gbt_pack(msgpack_packer *pk, const struct gbt_model *m);
/*
 * Validate and load a "fitted" map for nfeatures features: sizes, child indices in range
 * and after their parent (so the tree is acyclic), one parent per node, feature indices <
 * nfeatures, finite thresholds and values. Returns NULL with a message in err.
 */
struct gbt_model *gbt_unpack(const msgpack_object *fitted, size_t nfeatures, char *err,
                             size_t errsize);

/*
 * The "gbt" kind of model.h: unpack and pack as above; predict gives P(y = 1), which for
 * reg:squarederror is the prediction clamped to [0, 1].
 */
extern const struct model_kind gbt_kind;

/*
 * Learners for search.h: boosting with XGBClassifier's defaults, and random-forest mode
 * with XGBRFClassifier's. Each fit runs on one thread (the search runs fits in parallel).
 */
extern const struct learner gbt_learner, gbt_forest_learner;

/* Fit p (nthreads and all) on a dataset of any layout, NaN features allowed. */
struct gbt_model *gbt_fit_dataset(const struct gbt_params *p, const struct dataset *d,
                                  const struct dataset *valid, char *err, size_t errsize);

#endif
