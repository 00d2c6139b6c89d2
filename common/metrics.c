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

static int
by_prob_desc(const void *a, const void *b)
{
	return by_prob(b, a);
}

double
metric_average_precision(const double *y, const double *prob, size_t n)
{
	struct scored *s = xreallocarray(NULL, n ? n : 1, sizeof *s);
	double npos = 0, tps = 0, fps = 0, ap = 0, prev_recall = 0;

	for (size_t i = 0; i < n; i++) {
		s[i].prob = prob[i];
		s[i].y = y[i];
		npos += y[i] == 1;
	}
	qsort(s, n, sizeof *s, by_prob_desc);
	for (size_t i = 0; i < n && npos > 0;) {
		size_t j = i;
		double recall;

		for (; j < n && s[j].prob == s[i].prob; j++) {
			tps += s[j].y == 1;
			fps += s[j].y != 1;
		}
		recall = tps / npos;
		/* AP = Σ (R_k − R_{k−1}) · P_k, P_k = TP/(TP+FP) at threshold k */
		ap += (recall - prev_recall) * (tps / (tps + fps));
		prev_recall = recall;
		i = j;
	}
	free(s);
	return npos > 0 ? ap : NAN;
}

/* κ = 1 − Σ_{i≠j} C_ij / Σ_{i≠j} E_ij, E_ij = predicted_i · actual_j / n (scikit-learn). */
double
metric_cohen_kappa(const struct confusion *c)
{
	double n = (double)(c->tp + c->fp + c->tn + c->fn);
	double pred0 = (double)(c->tn + c->fn), pred1 = (double)(c->fp + c->tp);
	double true0 = (double)(c->tn + c->fp), true1 = (double)(c->fn + c->tp);
	double expected = pred0 * true1 / n + pred1 * true0 / n;

	return 1 - (double)(c->fp + c->fn) / expected;
}

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

/* The scores of one class from its true positives, false positives and false negatives. */
static void
class_scores(double tp, double fp, double fn, struct class_scores *s)
{
	s->precision = ratio(tp, tp + fp);
	s->recall = ratio(tp, tp + fn);
	/* F1 = 2·P·R / (P + R), 0 when P + R = 0 (scikit-learn's zero_division) */
	s->f1 = s->precision + s->recall > 0
	                ? 2 * s->precision * s->recall / (s->precision + s->recall)
	                : 0;
	s->support = tp + fn;
}

void
binary_report_compute(const double *y, const double *prob, size_t n, struct binary_report *r)
{
	const struct confusion *c = &r->c;
	const struct class_scores *k = r->cls;
	double total;

	memset(r, 0, sizeof *r);
	r->n = n;
	confusion_count(y, prob, n, &r->c);
	r->accuracy = metric_accuracy(c);
	class_scores((double)c->tn, (double)c->fn, (double)c->fp, &r->cls[0]);
	class_scores((double)c->tp, (double)c->fp, (double)c->fn, &r->cls[1]);
	total = k[0].support + k[1].support;
	r->macro.precision = (k[0].precision + k[1].precision) / 2;
	r->macro.recall = (k[0].recall + k[1].recall) / 2;
	r->macro.f1 = (k[0].f1 + k[1].f1) / 2;
	r->macro.support = total;
	r->weighted.precision =
	        ratio(k[0].precision * k[0].support + k[1].precision * k[1].support, total);
	r->weighted.recall = ratio(k[0].recall * k[0].support + k[1].recall * k[1].support, total);
	r->weighted.f1 = ratio(k[0].f1 * k[0].support + k[1].f1 * k[1].support, total);
	r->weighted.support = total;
	r->roc_auc = metric_roc_auc(y, prob, n);
	r->average_precision = metric_average_precision(y, prob, n);
	r->log_loss = metric_log_loss(y, prob, n);
	r->cohen_kappa = metric_cohen_kappa(c);
}

const char *const binary_report_metrics[] = {
        "accuracy",        "precision",    "recall",   "f1",
        "macro_precision", "macro_recall", "macro_f1", "weighted_precision",
        "weighted_recall", "weighted_f1",  "roc_auc",  "average_precision",
        "log_loss",        "cohen_kappa",  NULL,
};

int
binary_report_get(const struct binary_report *r, const char *name, double *x)
{
	const double values[] = {
	        r->accuracy,        r->cls[1].precision, r->cls[1].recall, r->cls[1].f1,
	        r->macro.precision, r->macro.recall,     r->macro.f1,      r->weighted.precision,
	        r->weighted.recall, r->weighted.f1,      r->roc_auc,       r->average_precision,
	        r->log_loss,        r->cohen_kappa,
	};

	for (size_t i = 0; binary_report_metrics[i] != NULL; i++)
		if (strcmp(binary_report_metrics[i], name) == 0) {
			*x = values[i];
			return 0;
		}
	return -1;
}

int
binary_report_lower_better(const char *name)
{
	return strcmp(name, "log_loss") == 0;
}

static void
table_row(FILE *fp, const char *heading, const struct class_scores *s, int digits)
{
	fprintf(fp, "%12s  %9.*f %9.*f %9.*f %9.0f\n", heading, digits, s->precision, digits,
	        s->recall, digits, s->f1, s->support);
}

void
binary_report_table(FILE *fp, const struct binary_report *r, int digits)
{
	fprintf(fp, "%12s  %9s %9s %9s %9s\n\n", "", "precision", "recall", "f1-score", "support");
	table_row(fp, "0", &r->cls[0], digits);
	table_row(fp, "1", &r->cls[1], digits);
	fprintf(fp, "\n%12s  %9s %9s %9.*f %9zu\n", "accuracy", "", "", digits, r->accuracy, r->n);
	table_row(fp, "macro avg", &r->macro, digits);
	table_row(fp, "weighted avg", &r->weighted, digits);
}

static void
curve_alloc(struct curve *c, size_t n, size_t nthresholds)
{
	c->n = n;
	c->nthresholds = nthresholds;
	c->x = xreallocarray(NULL, n + 1, sizeof *c->x);
	c->y = xreallocarray(NULL, n + 1, sizeof *c->y);
	c->threshold = xreallocarray(NULL, nthresholds + 1, sizeof *c->threshold);
}

void
curve_free(struct curve *c)
{
	free(c->x);
	free(c->y);
	free(c->threshold);
	memset(c, 0, sizeof *c);
}

/*
 * scikit-learn's _binary_clf_curve: rows by score, highest first; at the last row of each
 * distinct score, the true and false positives counted so far (tps, fps) and the score.
 * Returns the number of distinct scores; the arrays are malloc'ed.
 */
static size_t
clf_curve(const double *y, const double *prob, size_t n, double **tps, double **fps, double **score)
{
	struct scored *s = xreallocarray(NULL, n ? n : 1, sizeof *s);
	size_t k = 0;
	double pos = 0;

	for (size_t i = 0; i < n; i++) {
		s[i].prob = prob[i];
		s[i].y = y[i];
	}
	qsort(s, n, sizeof *s, by_prob_desc);
	*tps = xreallocarray(NULL, n + 1, sizeof **tps);
	*fps = xreallocarray(NULL, n + 1, sizeof **fps);
	*score = xreallocarray(NULL, n + 1, sizeof **score);
	for (size_t i = 0; i < n; i++) {
		pos += s[i].y == 1;
		if (i + 1 < n && s[i + 1].prob == s[i].prob)
			continue;
		(*tps)[k] = pos;
		(*fps)[k] = (double)(i + 1) - pos; /* 1 + index − tps */
		(*score)[k++] = s[i].prob;
	}
	free(s);
	return k;
}

void
roc_curve(const double *y, const double *prob, size_t n, struct curve *c)
{
	double *tps, *fps, *score;
	size_t k = clf_curve(y, prob, n, &tps, &fps, &score), m = 0;

	curve_alloc(c, k + 1, k + 1);
	c->x[0] = c->y[0] = 0;
	c->threshold[0] = k ? score[0] + 1 : 1;
	/* Keep the ends and the corners: a point whose second differences are both 0 lies on
	 * the segment between its neighbours. */
	for (size_t i = 0; i < k; i++) {
		if (k > 2 && i > 0 && i + 1 < k && fps[i + 1] - 2 * fps[i] + fps[i - 1] == 0 &&
		    tps[i + 1] - 2 * tps[i] + tps[i - 1] == 0)
			continue;
		m++;
		c->x[m] = fps[i];
		c->y[m] = tps[i];
		c->threshold[m] = score[i];
	}
	c->n = c->nthresholds = m + 1;
	for (size_t i = 0; i <= m; i++) {
		/* fps / fps[-1], tps / tps[-1]: NaN when the class is missing */
		c->x[i] = k && fps[k - 1] > 0 ? c->x[i] / fps[k - 1] : NAN;
		c->y[i] = k && tps[k - 1] > 0 ? c->y[i] / tps[k - 1] : NAN;
	}
	free(tps);
	free(fps);
	free(score);
}

void
pr_curve(const double *y, const double *prob, size_t n, struct curve *c)
{
	double *tps, *fps, *score;
	size_t k = clf_curve(y, prob, n, &tps, &fps, &score);

	curve_alloc(c, k + 1, k);
	for (size_t i = 0; i < k; i++) {
		size_t j = k - 1 - i; /* reversed: recall decreasing */
		double ps = tps[j] + fps[j];

		c->y[i] = ps != 0 ? tps[j] / ps : 0;
		c->x[i] = tps[k - 1] == 0 ? 1 : tps[j] / tps[k - 1];
		c->threshold[i] = score[j];
	}
	c->x[k] = 0;
	c->y[k] = 1;
	free(tps);
	free(fps);
	free(score);
}

void
calibration_curve(const double *y, const double *prob, size_t n, size_t nbins, struct curve *c)
{
	double *sum = xcalloc(nbins, sizeof *sum), *pos = xcalloc(nbins, sizeof *pos);
	double *count = xcalloc(nbins, sizeof *count);
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		/* numpy.searchsorted(edges[1:-1], p): the edges are linspace(0, 1, nbins + 1),
		 * k·(1/nbins); a probability on an edge belongs to the bin below it. */
		size_t b = 0;

		while (b + 1 < nbins && (double)(b + 1) * (1.0 / (double)nbins) < prob[i])
			b++;
		sum[b] += prob[i];
		pos[b] += y[i] == 1;
		count[b]++;
	}
	curve_alloc(c, nbins, nbins);
	for (size_t b = 0; b < nbins; b++) {
		if (count[b] == 0)
			continue;
		c->x[m] = sum[b] / count[b];
		c->y[m] = pos[b] / count[b];
		c->threshold[m++] = count[b];
	}
	c->n = c->nthresholds = m;
	free(sum);
	free(pos);
	free(count);
}
