/*
 * metrics.h: binary classification metrics from labels y (0/1) and predicted P(y = 1).
 * A row is predicted positive when prob > 0.5 (scikit-learn's predict for these models).
 */
#ifndef PIPEML_METRICS_H
#define PIPEML_METRICS_H

#include <stddef.h>

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

/* Scores a search can maximise; log_loss is maximised as its negative (neg_log_loss). */
enum metric { METRIC_ACCURACY, METRIC_F1, METRIC_ROC_AUC, METRIC_LOG_LOSS };

/* Parse "accuracy", "f1", "roc_auc", "log_loss" (or "neg_log_loss"): 0, or -1. */
int metric_parse(const char *name, enum metric *m);
const char *metric_name(enum metric m);
/* The score of a metric, higher is better (log_loss negated). */
double metric_score(enum metric m, const double *y, const double *prob, size_t n);

#endif
