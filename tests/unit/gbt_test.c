/* gbt_test: unit tests of common/gbt (parameters, fitting, missing values, threads, pack). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dataset.h"
#include "gbt.h"
#include "search.h"
#include "util.h"

#define N 400

static double col0[N], col1[N], label[N];

/* y = 1 when x0 > 0.5; x1 is noise; x0 is missing on every 10th row, which are all positive. */
static void
make_data(void)
{
	unsigned s = 12345;

	for (int i = 0; i < N; i++) {
		s = s * 1103515245u + 12345u;
		col0[i] = (double)(s >> 8 & 0xffff) / 65536.0;
		s = s * 1103515245u + 12345u;
		col1[i] = (double)(s >> 8 & 0xffff) / 65536.0;
		label[i] = col0[i] > 0.5;
		if (i % 10 == 0) {
			col0[i] = NAN;
			label[i] = 1;
		}
	}
}

static void
test_params(void)
{
	struct gbt_params p;
	char err[256];

	gbt_params_default(&p);
	CHECK(p.max_depth == 6 && p.learning_rate == 0.3 && p.n_estimators == 100);
	CHECK(p.max_bin == 256 && p.base_score == 0.5 && p.reg_lambda == 1);
	gbt_params_forest(&p);
	CHECK(p.num_parallel_tree == 100 && p.n_estimators == 1 && p.learning_rate == 1);
	CHECK(p.subsample == 0.8 && p.colsample_bynode == 0.8 && p.reg_lambda == 1e-5);
	CHECK(gbt_params_set(&p, "eta", "0.1", err, sizeof err) == 0 && p.learning_rate == 0.1);
	CHECK(gbt_params_set(&p, "gamma", "2", err, sizeof err) == 0 && p.min_split_loss == 2);
	CHECK(gbt_params_set(&p, "objective", "reg:squarederror", err, sizeof err) == 0 &&
	      p.objective == GBT_REG_SQUAREDERROR);
	CHECK(gbt_params_set(&p, "max_depth", "x", err, sizeof err) == -1 &&
	      strcmp(err, "max_depth: invalid integer 'x'") == 0);
	CHECK(gbt_params_set(&p, "nope", "1", err, sizeof err) == -2 &&
	      strcmp(err, "unknown parameter 'nope'") == 0);
	gbt_params_default(&p);
	p.max_depth = 31;
	CHECK(gbt_params_check(&p, err, sizeof err) == -1 &&
	      strcmp(err, "max_depth must be in 1..30") == 0);
	p.max_depth = 6;
	p.subsample = 0;
	CHECK(gbt_params_check(&p, err, sizeof err) == -1);
	p.subsample = 1;
	p.learning_rate = 0;
	CHECK(gbt_params_check(&p, err, sizeof err) == -1);
}

static struct gbt_model *
fit(const struct gbt_params *p, const double *y, size_t n)
{
	const double *cols[2] = {col0, col1};
	struct gbt_data d = {n, 2, cols, y};
	char err[256];

	return gbt_fit(p, &d, NULL, err, sizeof err);
}

static void
test_bad_data(void)
{
	struct gbt_params p;
	const double *cols[2] = {col0, col1};
	double y[N];
	struct gbt_data d = {0, 2, cols, y};
	char err[256];

	gbt_params_default(&p);
	CHECK(gbt_fit(&p, &d, NULL, err, sizeof err) == NULL &&
	      strcmp(err, "training data has no rows") == 0);
	for (int i = 0; i < N; i++)
		y[i] = 1;
	d.nrows = N;
	CHECK(gbt_fit(&p, &d, NULL, err, sizeof err) == NULL &&
	      strcmp(err, "the target has a single class (every label is 1)") == 0);
	y[3] = NAN;
	CHECK(gbt_fit(&p, &d, NULL, err, sizeof err) == NULL &&
	      strcmp(err, "training row 4: the label is missing (NaN)") == 0);
}

static void
test_fit_predict(void)
{
	struct gbt_params p;
	struct gbt_model *m;
	double x[4 * 2] = {0.1, 0.5, 0.9, 0.5, NAN, 0.5, 0.49, 0.2}, pred[4];
	double w[2], g[2], c[2];

	gbt_params_default(&p);
	p.n_estimators = 20;
	m = fit(&p, label, N);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK(m->ntrees == 20);
	gbt_predict(m, x, 4, pred);
	CHECK(pred[0] < 0.1 && pred[1] > 0.9);
	CHECK(pred[2] > 0.9); /* missing goes the way the missing training rows went */
	CHECK(pred[3] < 0.1);
	/* the root splits on x0 near 0.5 */
	CHECK(m->trees[0].feature[0] == 0 && m->trees[0].threshold[0] > 0.49f &&
	      m->trees[0].threshold[0] < 0.51f);
	gbt_importance(m, w, g, c);
	CHECK(w[0] >= 20 && g[0] > g[1] && c[0] > 0);
	gbt_free(m);
}

static char *
packed(const struct gbt_model *m, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char *out;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	gbt_pack(&pk, m);
	out = xmalloc(sb.size);
	memcpy(out, sb.data, sb.size);
	*len = sb.size;
	msgpack_sbuffer_destroy(&sb);
	return out;
}

/* The same model for any thread count; pack then unpack predicts the same. */
static void
test_threads_and_pack(void)
{
	struct gbt_params p;
	struct gbt_model *a, *b, *u;
	char *pa, *pb, err[256];
	size_t la, lb, off = 0;
	msgpack_unpacked up;
	double x[3 * 2] = {0.3, 0.1, NAN, 0.7, 0.8, NAN}, pr1[3], pr2[3];

	gbt_params_forest(&p);
	p.num_parallel_tree = 10;
	p.nthreads = 1;
	a = fit(&p, label, N);
	p.nthreads = 3;
	b = fit(&p, label, N);
	pa = packed(a, &la);
	pb = packed(b, &lb);
	CHECK(la == lb && memcmp(pa, pb, la) == 0);
	msgpack_unpacked_init(&up);
	CHECK(msgpack_unpack_next(&up, pa, la, &off) == MSGPACK_UNPACK_SUCCESS);
	u = gbt_unpack(&up.data, 2, err, sizeof err);
	CHECK(u != NULL);
	if (u) {
		gbt_predict(a, x, 3, pr1);
		gbt_predict(u, x, 3, pr2);
		CHECK(memcmp(pr1, pr2, sizeof pr1) == 0);
		gbt_free(u);
	}
	CHECK(gbt_unpack(&up.data, 1, err, sizeof err) == NULL);
	msgpack_unpacked_destroy(&up);
	free(pa);
	free(pb);
	gbt_free(a);
	gbt_free(b);
}

/* The fits of a search's candidates share a fold's bins (learner prepare/fit_prepared): the
 * same model as the learner's own fit, the same errors, and bins only for the same max_bin. */
static void
test_prepared(void)
{
	const struct learner *ls[2] = {&gbt_learner, &gbt_forest_learner};
	struct dataset d = {.nrows = N, .nfeatures = 2, .layout = DATASET_ROWS};
	double *pa = xcalloc(N, sizeof *pa), *pb = xcalloc(N, sizeof *pb);
	char ea[256], eb[256];

	d.x = xcalloc(2 * N, sizeof *d.x);
	d.y = xcalloc(N, sizeof *d.y);
	for (int i = 0; i < N; i++) {
		d.x[2 * i] = col0[i];
		d.x[2 * i + 1] = col1[i];
		d.y[i] = label[i];
	}
	for (int k = 0; k < 2; k++) {
		const struct learner *l = ls[k];
		void *cfg = l->config_new(), *cfg2 = l->config_new(), *prep, *a, *b;

		CHECK(l->set_param(cfg, "subsample", "0.7", ea, sizeof ea) == 0);
		CHECK(l->set_param(cfg, "max_depth", "4", ea, sizeof ea) == 0);
		CHECK(l->set_param(cfg2, "max_bin", "16", ea, sizeof ea) == 0);
		prep = l->prepare(cfg, &d);
		CHECK(l->prepared_fits(prep, cfg) && !l->prepared_fits(prep, cfg2));
		a = l->fit(cfg, &d, ea, sizeof ea);
		b = l->fit_prepared(cfg, &d, prep, eb, sizeof eb);
		CHECK(a && b);
		if (a && b) {
			l->ops->predict(a, d.x, N, pa);
			l->ops->predict(b, d.x, N, pb);
			CHECK(memcmp(pa, pb, N * sizeof *pa) == 0);
			l->ops->free(a);
			l->ops->free(b);
		}
		/* a bad label: the same message either way */
		d.y[7] = NAN;
		CHECK(l->fit(cfg, &d, ea, sizeof ea) == NULL);
		CHECK(l->fit_prepared(cfg, &d, prep, eb, sizeof eb) == NULL);
		CHECK(strcmp(ea, eb) == 0 && strstr(ea, "row 8") != NULL);
		d.y[7] = label[7];
		l->prepared_free(prep);
		/* a feature beyond float: found when preparing, reported by the fit */
		d.x[5] = 1e300;
		prep = l->prepare(cfg, &d);
		CHECK(l->fit(cfg, &d, ea, sizeof ea) == NULL);
		CHECK(l->fit_prepared(cfg, &d, prep, eb, sizeof eb) == NULL);
		CHECK(strcmp(ea, eb) == 0 && strstr(ea, "not a finite float") != NULL);
		d.x[5] = col1[2];
		l->prepared_free(prep);
		l->config_free(cfg);
		l->config_free(cfg2);
	}
	free(pa);
	free(pb);
	free(d.x);
	free(d.y);
}

int
main(int argc, char **argv)
{
	(void)argc;
	setprogname(argv[0]);
	make_data();
	test_params();
	test_bad_data();
	test_fit_predict();
	test_threads_and_pack();
	test_prepared();
	return check_summary();
}
