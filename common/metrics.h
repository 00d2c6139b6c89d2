/*
 * metrics.h: binary classification metrics from labels y (0/1) and predicted P(y = 1).
 * A row is predicted positive when prob > 0.5 (scikit-learn's predict for these models).
 */
#ifndef PIPEML_METRICS_H
#define PIPEML_METRICS_H

#include <stddef.h>
#include <stdio.h>

struct confusion {
	size_t tp, fp, tn, fn;
};

void confusion_count(const double *y, const double *prob, size_t n, struct confusion *c);
double metric_accuracy(const struct confusion *c);
/* Of the positive class; 0 when undefined (no predicted or no actual positives). */
double metric_precision(const struct confusion *c);
double metric_recall(const struct confusion *c);
double metric_f1(const struct confusion *c);
/* Area under the ROC curve (ties counted half); NaN when y has a single class. */
double metric_roc_auc(const double *y, const double *prob, size_t n);
/* Mean log loss, probabilities clipped to [1e-15, 1 - 1e-15] as scikit-learn does. */
double metric_log_loss(const double *y, const double *prob, size_t n);

/* Average precision as scikit-learn defines it: Σ_k (R_k − R_{k−1})·P_k over the distinct
 * thresholds, highest first; NaN when y has no positive. */
double metric_average_precision(const double *y, const double *prob, size_t n);
/* Cohen's kappa (po − pe) / (1 − pe), computed as scikit-learn does. */
double metric_cohen_kappa(const struct confusion *c);

/* Precision, recall, F1 and support of one class, or an average of the two. */
struct class_scores {
	double precision, recall, f1, support;
};

/* Everything pick-best reports about one model's predictions. */
struct binary_report {
	size_t n;
	struct confusion c;
	double accuracy;
	struct class_scores cls[2]; /* class 0, class 1 */
	struct class_scores macro, weighted;
	double roc_auc, average_precision, log_loss, cohen_kappa;
};

void binary_report_compute(const double *y, const double *prob, size_t n, struct binary_report *r);
/*
 * The report's scalar metrics by name, in this order (NULL-terminated): accuracy, precision,
 * recall, f1 (of class 1), macro_ and weighted_ precision, recall, f1, roc_auc,
 * average_precision, log_loss, cohen_kappa.
 */
extern const char *const binary_report_metrics[];
/* The metric named name: 0, or -1 when unknown. */
int binary_report_get(const struct binary_report *r, const char *name, double *x);
/* 1 for a metric where lower is better (log_loss). */
int binary_report_lower_better(const char *name);
/* The per-class table laid out as scikit-learn's classification_report(digits=digits). */
void binary_report_table(FILE *fp, const struct binary_report *r, int digits);

/* Scores a search can maximise; log_loss is maximised as its negative (neg_log_loss). */
enum metric { METRIC_ACCURACY, METRIC_F1, METRIC_ROC_AUC, METRIC_LOG_LOSS };

/* Parse "accuracy", "f1", "roc_auc", "log_loss" (or "neg_log_loss"): 0, or -1. */
int metric_parse(const char *name, enum metric *m);
const char *metric_name(enum metric m);
/* The score of a metric, higher is better (log_loss negated). */
double metric_score(enum metric m, const double *y, const double *prob, size_t n);

/*
 * A curve of n points (x[i], y[i]) and the decision thresholds of its points (nthresholds
 * of them: see each function). Arrays are malloc'ed; curve_free releases them.
 */
struct curve {
	size_t n, nthresholds;
	double *x, *y, *threshold;
};

/*
 * scikit-learn 1.2's roc_curve (drop_intermediate=True): x = FPR, y = TPR, from (0, 0);
 * one threshold a point, the first being the highest score + 1. A rate is NaN when its
 * class is missing from y.
 */
void roc_curve(const double *y, const double *prob, size_t n, struct curve *c);
/*
 * precision_recall_curve: x = recall (decreasing), y = precision, ending at (0, 1); the
 * n - 1 thresholds of the points before it, increasing. Recall is 1 when y has no positive.
 */
void pr_curve(const double *y, const double *prob, size_t n, struct curve *c);
/*
 * calibration_curve(n_bins=nbins, strategy="uniform"): the bins of [0, 1] holding a row,
 * x = mean P(y = 1), y = fraction of positives; threshold[i] = the rows in the bin.
 */
void calibration_curve(const double *y, const double *prob, size_t n, size_t nbins,
                       struct curve *c);
void curve_free(struct curve *c);

#endif
