/* fit-gbt: fit gradient-boosted trees or a random forest to a training stream; write the model. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gbt.h"
#include "stream.h"
#include "util.h"

#define MAX_PARAMS 64

static struct {
	int forest;
	const char *params[MAX_PARAMS];
	size_t nparams;
	const char *valid_path;
	long early_stopping;
	uint64_t seed;
	long nthreads;
	const char *report_path;
	int no_timestamp;
} opt;

/* The training or validation data, column by column. */
struct table {
	const char *name;
	size_t nrows, nfeatures, cap;
	char **features;
	char *target;
	double **x;
	double *y;
};

static void
usage(void)
{
	fprintf(stderr,
	        "usage: %s [--forest] [--param name=value]... [--valid file] [--early-stopping n]\n"
	        "       [--seed n] [-j n] [--report file] [--no-timestamp] [file]\n",
	        progname);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: %s [--forest] [--param name=value]... [--valid file] [--early-stopping n]\n"
	       "       [--seed n] [-j n] [--report file] [--no-timestamp] [file]\n"
	       "  --forest              random-forest mode (XGBRFClassifier's defaults)\n"
	       "  --param name=value    an XGBoost parameter: objective, n_estimators,\n"
	       "                        learning_rate, max_depth, min_child_weight,\n"
	       "                        min_split_loss, reg_lambda, reg_alpha, subsample,\n"
	       "                        colsample_bytree, colsample_bylevel, colsample_bynode,\n"
	       "                        max_bin, num_parallel_tree, base_score, scale_pos_weight\n"
	       "  --valid file          validation stream (scored each round)\n"
	       "  --early-stopping n    stop after n rounds without a better validation score\n"
	       "  --seed n              random seed (default 0)\n"
	       "  -j, --threads n       threads (default: all cores); never changes the model\n"
	       "  --report file         write a JSON report\n"
	       "  --no-timestamp        leave the creation time out of the model\n"
	       "  -h, --help            this help\n"
	       "  -V, --version         print the version\n",
	       progname);
}

static void
table_add_feature(struct table *t, const char *name)
{
	t->features = xreallocarray(t->features, t->nfeatures + 1, sizeof *t->features);
	t->x = xreallocarray(t->x, t->nfeatures + 1, sizeof *t->x);
	t->features[t->nfeatures] = xstrdup(name);
	t->x[t->nfeatures] = NULL;
	t->nfeatures++;
}

/*
 * The stream's feature columns (numeric) and its one target column (0 or 1). With want (the
 * training table), the features are found by name and in want's order.
 */
static void
map_columns(const struct schema *s, const char *name, const struct table *want, struct table *t,
            size_t *fcol, long *tcol)
{
	*tcol = -1;
	for (size_t j = 0; j < s->ncols; j++) {
		const struct column *c = &s->cols[j];

		if (c->role == ROLE_TARGET) {
			if (*tcol >= 0)
				die("%s: more than one target column ('%s' and '%s')", name,
				    s->cols[*tcol].name, c->name);
			if (c->type != COL_F64)
				die("%s: column '%s': the target must be numeric (0 or 1)", name,
				    c->name);
			*tcol = (long)j;
		} else if (c->role == ROLE_FEATURE && !want) {
			if (c->type != COL_F64)
				die("%s: column '%s': feature is text; encode it first", name,
				    c->name);
			fcol[t->nfeatures] = j;
			table_add_feature(t, c->name);
		}
	}
	if (*tcol < 0)
		die("%s: no target column (give one the role target)", name);
	t->target = xstrdup(s->cols[*tcol].name);
	if (!want) {
		if (t->nfeatures == 0)
			die("%s: no feature columns", name);
		return;
	}
	for (size_t k = 0; k < want->nfeatures; k++) {
		long j = schema_find(s, want->features[k]);

		if (j < 0 || s->cols[j].type != COL_F64)
			die("%s: no numeric column '%s' (a feature of the training data)", name,
			    want->features[k]);
		fcol[k] = (size_t)j;
		table_add_feature(t, want->features[k]);
	}
}

static void
table_grow(struct table *t, size_t need)
{
	if (need <= t->cap)
		return;
	t->cap = t->cap ? t->cap : 8192;
	while (t->cap < need)
		t->cap *= 2;
	for (size_t k = 0; k < t->nfeatures; k++)
		t->x[k] = xreallocarray(t->x[k], t->cap, sizeof *t->x[k]);
	t->y = xreallocarray(t->y, t->cap, sizeof *t->y);
}

static void
read_table(const char *path, const struct table *want, struct table *t)
{
	FILE *in = open_input(path, &t->name);
	struct stream_reader *r = stream_open_or_die(in, t->name);
	const struct schema *s = stream_reader_schema(r);
	size_t *fcol = xcalloc(s->ncols + 1, sizeof *fcol);
	long tcol;
	struct batch b;

	map_columns(s, t->name, want, t, fcol, &tcol);
	batch_init(&b, s);
	while (stream_next(r, &b)) {
		table_grow(t, t->nrows + b.nrows);
		for (size_t i = 0; i < b.nrows; i++) {
			double y = b.cols[tcol].f64[i];

			if (isnan(y))
				die("%s: row %zu, column '%s': the target is missing", t->name,
				    t->nrows + i + 1, t->target);
			if (y != 0 && y != 1)
				die("%s: row %zu, column '%s': the target is %g, not 0 or 1",
				    t->name, t->nrows + i + 1, t->target, y);
		}
		memcpy(t->y + t->nrows, b.cols[tcol].f64, b.nrows * sizeof *t->y);
		for (size_t k = 0; k < t->nfeatures; k++)
			memcpy(t->x[k] + t->nrows, b.cols[fcol[k]].f64, b.nrows * sizeof *t->x[k]);
		t->nrows += b.nrows;
	}
	if (t->nrows == 0)
		die("%s: no rows", t->name);
	batch_free(&b);
	stream_reader_close(r);
	free(fcol);
	if (in != stdin)
		fclose(in);
}

static void
table_free(struct table *t)
{
	for (size_t k = 0; k < t->nfeatures; k++) {
		free(t->features[k]);
		free(t->x[k]);
	}
	free(t->features);
	free(t->x);
	free(t->y);
	free(t->target);
}

static void
set_params(struct gbt_params *p)
{
	char err[256];

	if (opt.forest)
		gbt_params_forest(p);
	else
		gbt_params_default(p);
	for (size_t i = 0; i < opt.nparams; i++) {
		const char *eq = strchr(opt.params[i], '=');
		char name[64];

		if (!eq || eq == opt.params[i] || (size_t)(eq - opt.params[i]) >= sizeof name)
			usage_die("--param: '%s' is not name=value", opt.params[i]);
		memcpy(name, opt.params[i], (size_t)(eq - opt.params[i]));
		name[eq - opt.params[i]] = '\0';
		if (gbt_params_set(p, name, eq + 1, err, sizeof err) != 0)
			usage_die("--param: %s", err);
	}
	p->seed = opt.seed;
	p->early_stopping_rounds = opt.early_stopping;
	p->nthreads = (int)opt.nthreads;
	if (gbt_params_check(p, err, sizeof err) != 0)
		die("%s", err);
}

/* ---- the model container (pipeml-model(5)); moves to common/model.c with the logreg branch */

static void
pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

static void
pack_f64_array(msgpack_packer *pk, const double *v, size_t n)
{
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		msgpack_pack_double(pk, v[i]);
}

static void
pack_params(msgpack_packer *pk, const struct gbt_params *p)
{
	const struct {
		const char *name;
		double value;
	} reals[] = {
	        {"learning_rate", p->learning_rate},
	        {"min_child_weight", p->min_child_weight},
	        {"min_split_loss", p->min_split_loss},
	        {"reg_lambda", p->reg_lambda},
	        {"reg_alpha", p->reg_alpha},
	        {"subsample", p->subsample},
	        {"colsample_bytree", p->colsample_bytree},
	        {"colsample_bylevel", p->colsample_bylevel},
	        {"colsample_bynode", p->colsample_bynode},
	        {"base_score", p->base_score},
	        {"scale_pos_weight", p->scale_pos_weight},
	};
	const struct {
		const char *name;
		long value;
	} ints[] = {
	        {"n_estimators", p->n_estimators},
	        {"max_depth", p->max_depth},
	        {"max_bin", p->max_bin},
	        {"num_parallel_tree", p->num_parallel_tree},
	        {"early_stopping_rounds", p->early_stopping_rounds},
	};
	size_t nr = sizeof reals / sizeof reals[0], ni = sizeof ints / sizeof ints[0];

	msgpack_pack_map(pk, 2 + nr + ni);
	pack_str(pk, "objective");
	pack_str(pk, gbt_objective_name(p->objective));
	pack_str(pk, "seed");
	msgpack_pack_uint64(pk, p->seed);
	for (size_t i = 0; i < nr; i++) {
		pack_str(pk, reals[i].name);
		msgpack_pack_double(pk, reals[i].value);
	}
	for (size_t i = 0; i < ni; i++) {
		pack_str(pk, ints[i].name);
		msgpack_pack_int64(pk, ints[i].value);
	}
}

/* ISO 8601 UTC of now, or of SOURCE_DATE_EPOCH; NULL with --no-timestamp. */
static const char *
created(char *buf, size_t size)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t now = time(NULL);
	struct tm tm;
	int64_t v;

	if (opt.no_timestamp)
		return NULL;
	if (sde && parse_i64(sde, strlen(sde), &v) == 0)
		now = (time_t)v;
	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void
pack_meta(msgpack_packer *pk, const struct gbt_model *m, const struct table *t,
          const struct table *v)
{
	double *weight = xcalloc(m->nfeatures, sizeof *weight);
	double *gain = xcalloc(m->nfeatures, sizeof *gain);
	double *cover = xcalloc(m->nfeatures, sizeof *cover);
	char when[32];
	const char *ts = created(when, sizeof when);

	gbt_importance(m, weight, gain, cover);
	msgpack_pack_map(pk, 5 + (ts != NULL) + (v != NULL));
	pack_str(pk, "tool");
	pack_str(pk, "fit-gbt");
	pack_str(pk, "version");
	pack_str(pk, PIPEML_VERSION);
	if (ts) {
		pack_str(pk, "created");
		pack_str(pk, ts);
	}
	pack_str(pk, "seed");
	msgpack_pack_uint64(pk, opt.seed);
	pack_str(pk, "rows");
	msgpack_pack_uint64(pk, t->nrows);
	pack_str(pk, "importance");
	msgpack_pack_map(pk, 3);
	pack_str(pk, "weight");
	pack_f64_array(pk, weight, m->nfeatures);
	pack_str(pk, "gain");
	pack_f64_array(pk, gain, m->nfeatures);
	pack_str(pk, "cover");
	pack_f64_array(pk, cover, m->nfeatures);
	if (v) {
		pack_str(pk, "validation");
		msgpack_pack_map(pk, 3);
		pack_str(pk, "rows");
		msgpack_pack_uint64(pk, v->nrows);
		pack_str(pk, "best_iteration");
		msgpack_pack_int64(pk, m->best_iteration);
		pack_str(pk, "best_score");
		msgpack_pack_double(pk, m->best_score);
	}
	free(weight);
	free(gain);
	free(cover);
}

static int
write_cb(void *data, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, data) == len ? 0 : -1;
}

static void
write_model(FILE *fp, const struct gbt_model *m, const struct gbt_params *p, const struct table *t,
            const struct table *v)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, fp, write_cb);
	msgpack_pack_map(&pk, 8);
	pack_str(&pk, "format");
	pack_str(&pk, "pipeml-model");
	pack_str(&pk, "version");
	msgpack_pack_uint32(&pk, 1);
	pack_str(&pk, "kind");
	pack_str(&pk, "gbt");
	pack_str(&pk, "features");
	msgpack_pack_array(&pk, t->nfeatures);
	for (size_t k = 0; k < t->nfeatures; k++)
		pack_str(&pk, t->features[k]);
	pack_str(&pk, "target");
	pack_str(&pk, t->target);
	pack_str(&pk, "params");
	pack_params(&pk, p);
	pack_str(&pk, "fitted");
	gbt_pack(&pk, m);
	pack_str(&pk, "meta");
	pack_meta(&pk, m, t, v);
}

/* ---- the report ---- */

static void
json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(fp, "\\u%04x", *s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
json_num(FILE *fp, double x)
{
	char buf[40];

	if (!isfinite(x)) {
		fputs("null", fp);
		return;
	}
	format_f64(buf, sizeof buf, x);
	fputs(buf, fp);
}

static void
write_report(const char *path, const struct gbt_model *m, const struct table *t,
             const struct table *v)
{
	struct atomic_file af;
	double *imp[3];
	const char *kinds[3] = {"weight", "gain", "cover"};

	if (atomic_open(&af, path) != 0)
		die("%s:", path);
	for (int k = 0; k < 3; k++)
		imp[k] = xcalloc(m->nfeatures, sizeof *imp[k]);
	gbt_importance(m, imp[0], imp[1], imp[2]);
	fprintf(af.fp,
	        "{\"tool\": \"fit-gbt\", \"rows\": %zu, \"trees\": %zu, \"objective\": ", t->nrows,
	        m->ntrees);
	json_str(af.fp, gbt_objective_name(m->objective));
	if (v) {
		fprintf(af.fp,
		        ", \"validation_rows\": %zu, \"best_iteration\": %ld, \"best_score\": ",
		        v->nrows, m->best_iteration);
		json_num(af.fp, m->best_score);
	}
	fputs(",\n \"importance\": {", af.fp);
	for (size_t j = 0; j < m->nfeatures; j++) {
		fputs(j ? ",\n  " : "\n  ", af.fp);
		json_str(af.fp, t->features[j]);
		fputs(": {", af.fp);
		for (int k = 0; k < 3; k++) {
			fprintf(af.fp, "%s\"%s\": ", k ? ", " : "", kinds[k]);
			json_num(af.fp, imp[k][j]);
		}
		fputc('}', af.fp);
	}
	fputs("}}\n", af.fp);
	for (int k = 0; k < 3; k++)
		free(imp[k]);
	if (atomic_commit(&af) != 0)
		die("%s:", path);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"forest", no_argument, NULL, 'F'},
	        {"param", required_argument, NULL, 'P'},
	        {"valid", required_argument, NULL, 'v'},
	        {"early-stopping", required_argument, NULL, 'E'},
	        {"seed", required_argument, NULL, 'S'},
	        {"threads", required_argument, NULL, 'j'},
	        {"report", required_argument, NULL, 'R'},
	        {"no-timestamp", no_argument, NULL, 'T'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	struct table train = {0}, valid = {0};
	struct gbt_params p;
	struct gbt_data td, vd;
	struct gbt_model *m;
	char err[256];
	int c;

	setprogname(argv[0]);
	signals_init();
	opt.nthreads = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
	while ((c = getopt_long(argc, argv, "j:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			opt.forest = 1;
			break;
		case 'P':
			if (opt.nparams == MAX_PARAMS)
				usage_die("--param: more than %d parameters", MAX_PARAMS);
			opt.params[opt.nparams++] = optarg;
			break;
		case 'v':
			opt.valid_path = optarg;
			break;
		case 'E':
			opt.early_stopping = opt_long("--early-stopping", optarg, 1, 1000000);
			break;
		case 'S':
			opt.seed = (uint64_t)opt_long("--seed", optarg, 0, 0x7fffffffL);
			break;
		case 'j':
			opt.nthreads = opt_long("-j", optarg, 1, 256);
			break;
		case 'R':
			opt.report_path = optarg;
			break;
		case 'T':
			opt.no_timestamp = 1;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("%s %s\n", progname, PIPEML_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (argc - optind > 1)
		usage();
	if (opt.early_stopping && !opt.valid_path)
		usage_die("--early-stopping needs --valid");
	set_params(&p);
	read_table(optind < argc ? argv[optind] : NULL, NULL, &train);
	td = (struct gbt_data){train.nrows, train.nfeatures, (const double *const *)train.x,
	                       train.y};
	if (opt.valid_path) {
		read_table(opt.valid_path, &train, &valid);
		vd = (struct gbt_data){valid.nrows, valid.nfeatures, (const double *const *)valid.x,
		                       valid.y};
	}
	m = gbt_fit(&p, &td, opt.valid_path ? &vd : NULL, err, sizeof err);
	if (!m)
		die("%s: %s", train.name, err);
	write_model(stdout, m, &p, &train, opt.valid_path ? &valid : NULL);
	fshut(stdout, "stdout");
	if (opt.report_path)
		write_report(opt.report_path, m, &train, opt.valid_path ? &valid : NULL);
	gbt_free(m);
	table_free(&train);
	table_free(&valid);
	return 0;
}
