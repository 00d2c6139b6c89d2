/* metrics.c: binary classification metrics. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

void
confusion_count(const double *y, const double *prob, size_t n, struct confusion *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < n; i++) {
		int pred = prob[i] > 0.5;

		if (y[i] == 1)
			pred ? c->tp++ : c->fn++;
		else
			pred ? c->fp++ : c->tn++;
	}
}

double
metric_accuracy(const struct confusion *c)
{
	size_t n = c->tp + c->fp + c->tn + c->fn;

	return n ? (double)(c->tp + c->tn) / (double)n : 0;
}

double
metric_precision(const struct confusion *c)
{
	return c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : 0;
}

double
metric_recall(const struct confusion *c)
{
	return c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : 0;
}

/* F1 = 2·TP / (2·TP + FP + FN) */
double
metric_f1(const struct confusion *c)
{
	size_t d = 2 * c->tp + c->fp + c->fn;

	return d ? 2.0 * (double)c->tp / (double)d : 0;
}

struct scored {
	double prob;
	double y;
};

static int
by_prob(const void *a, const void *b)
{
	double pa = ((const struct scored *)a)->prob, pb = ((const struct scored *)b)->prob;

	return (pa > pb) - (pa < pb);
}

/* AUC = (Σ ranks of positives − P·(P+1)/2) / (P·N), with midranks for ties. */
double
metric_roc_auc(const double *y, const double *prob, size_t n)
{
	struct scored *s = xreallocarray(NULL, n ? n : 1, sizeof *s);
	double npos = 0, rank_sum = 0;

	for (size_t i = 0; i < n; i++) {
		s[i].prob = prob[i];
		s[i].y = y[i];
		npos += y[i] == 1;
	}
	qsort(s, n, sizeof *s, by_prob);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		double pos = 0;

		while (j < n && s[j].prob == s[i].prob)
			pos += s[j++].y == 1;
		rank_sum += pos * ((double)(i + 1) + (double)j) / 2;
		i = j;
	}
	free(s);
	if (npos == 0 || npos == (double)n)
		return NAN;
	return (rank_sum - npos * (npos + 1) / 2) / (npos * ((double)n - npos));
}

double
metric_log_loss(const double *y, const double *prob, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++) {
		double p = fmin(fmax(prob[i], 1e-15), 1 - 1e-15);

		sum -= y[i] == 1 ? log(p) : log1p(-p);
	}
	return n ? sum / (double)n : 0;
}

static const char *const names[] = {"accuracy", "f1", "roc_auc", "log_loss"};

int
metric_parse(const char *name, enum metric *m)
{
	if (strcmp(name, "neg_log_loss") == 0)
		name = "log_loss";
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0) {
			*m = (enum metric)i;
			return 0;
		}
	return -1;
}

const char *
metric_name(enum metric m)
{
	return names[m];
}

double
metric_score(enum metric m, const double *y, const double *prob, size_t n)
{
	struct confusion c;

	switch (m) {
	case METRIC_F1:
		confusion_count(y, prob, n, &c);
		return metric_f1(&c);
	case METRIC_ROC_AUC:
		return metric_roc_auc(y, prob, n);
	case METRIC_LOG_LOSS:
		return -metric_log_loss(y, prob, n);
	default:
		confusion_count(y, prob, n, &c);
		return metric_accuracy(&c);
	}
}
