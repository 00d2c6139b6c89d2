/* fit-gbt: fit gradient-boosted trees or a random forest to a training stream; write the model. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dataset.h"
#include "gbt.h"
#include "metrics.h"
#include "model.h"
#include "search.h"
#include "stream.h"
#include "util.h"

static struct {
	int forest;
	struct search_cli cli;
	int progress;
	const char *valid_path;
	long early_stopping;
	uint64_t seed;
	long nthreads;
	const char *report_path;
	int no_timestamp;
} opt = {.cli = SEARCH_CLI_INIT};

#define SYNOPSIS                                                                                   \
	"[--forest] [--param name=values] ... [--search n] [--cv k] [--scoring metric]\n"          \
	"       [--valid file] [--early-stopping n] [--seed n] [-j n] [--report file]\n"           \
	"       [--table file] [--progress] [--no-timestamp] [file]"

/*
 * The training or validation data, column by column in one block: feature k of row i is
 * x[k * cap + i]. Growing moves the columns within the block, so that the data is never
 * held twice.
 */
struct table {
	const char *name;
	size_t nrows, nfeatures, cap;
	char **features;
	char *target;
	double *x;
	double *y;
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s " SYNOPSIS "\n", progname);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: %s " SYNOPSIS "\n"
	       "  --forest                random-forest mode (XGBRFClassifier's defaults)\n"
	       "  --param name=values     an XGBoost parameter: objective, n_estimators,\n"
	       "                          learning_rate, max_depth, min_child_weight,\n"
	       "                          min_split_loss, reg_lambda, reg_alpha, subsample,\n"
	       "                          colsample_bytree, colsample_bylevel, colsample_bynode,\n"
	       "                          max_bin, num_parallel_tree, base_score,\n"
	       "                          scale_pos_weight, seed, eval_metric; with --search,\n"
	       "                          v1,v2,... or uniform:a:b, loguniform:a:b, randint:a:b\n"
	       "  --search n              random search of n candidates, then refit the best\n"
	       "  --cv k                  folds of the stratified cross-validation (5)\n"
	       "  --scoring metric        accuracy (default), f1, roc_auc or log_loss\n"
	       "  --valid file            validation stream (scored each round)\n"
	       "  --early-stopping n      stop after n rounds without a better validation score\n"
	       "  --seed n                random seed (default 0)\n"
	       "  -j, --jobs n            threads (default: all cores); never changes the model\n"
	       "  --report file           write a JSON report\n"
	       "  --table file            write the search's candidates as a TSV table\n"
	       "  --progress              show the search's progress on stderr\n"
	       "  --no-timestamp          leave the creation time out of the model\n"
	       "  -h, --help              this help\n"
	       "  -V, --version           print the version\n",
	       progname);
}

static void
table_add_feature(struct table *t, const char *name)
{
	t->features = xreallocarray(t->features, t->nfeatures + 1, sizeof *t->features);
	t->features[t->nfeatures] = xstrdup(name);
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
	size_t old = t->cap;

	if (need <= t->cap)
		return;
	t->cap = t->cap ? t->cap : 8192;
	while (t->cap < need)
		t->cap *= 2;
	t->x = xreallocarray(t->x, t->cap, t->nfeatures * sizeof *t->x);
	for (size_t k = t->nfeatures; k-- > 1;)
		memmove(t->x + k * t->cap, t->x + k * old, t->nrows * sizeof *t->x);
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
			memcpy(t->x + k * t->cap + t->nrows, b.cols[fcol[k]].f64,
			       b.nrows * sizeof *t->x);
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

/* The parameters: the mode's defaults, then name/value pairs, then the options. */
static void
configure(struct gbt_params *p, const struct model_param *params, size_t n)
{
	char err[256];

	if (opt.forest)
		gbt_params_forest(p);
	else
		gbt_params_default(p);
	for (size_t i = 0; i < n; i++)
		if (gbt_params_set(p, params[i].name, params[i].value, err, sizeof err) < 0)
			usage_die("--param: %s", err);
	p->seed = opt.seed;
	p->early_stopping_rounds = opt.early_stopping;
	p->nthreads = (int)opt.nthreads;
	if (gbt_params_check(p, err, sizeof err) != 0)
		die("%s", err);
}

/* The search, every candidate with seed --seed. */
static void
run_search(const struct dataset *d, struct search_result *res)
{
	struct search_options so = {.ncandidates = (size_t)opt.cli.search,
	                            .nfolds = (size_t)opt.cli.cv,
	                            .seed = opt.seed,
	                            .scoring = opt.cli.scoring,
	                            .threads = (int)opt.nthreads,
	                            .progress = opt.progress || isatty(2)};
	char seed[32];

	snprintf(seed, sizeof seed, "seed=%llu", (unsigned long long)opt.seed);
	search_cli_option(&opt.cli, 'p', seed);
	search_cli_run(opt.forest ? &gbt_forest_learner : &gbt_learner, &opt.cli, d, &so, res);
}

/*
 * The table as a column-major struct dataset (dataset.h), so that the checksum is the one
 * every fit tool writes. The table's arrays move into it, the columns closed up in place.
 */
static void
table_to_dataset(struct table *t, struct dataset *d)
{
	memset(d, 0, sizeof *d);
	d->nrows = t->nrows;
	d->nfeatures = t->nfeatures;
	d->layout = DATASET_COLUMNS;
	d->features = t->features;
	d->target = t->target;
	d->y = t->y;
	for (size_t k = 1; k < t->nfeatures; k++)
		memmove(t->x + k * t->nrows, t->x + k * t->cap, t->nrows * sizeof *t->x);
	d->x = xreallocarray(t->x, t->nrows, t->nfeatures * sizeof *d->x);
	for (size_t i = 0; i < t->nrows; i++)
		d->npositive += t->y[i] == 1;
	memset(t, 0, sizeof *t);
}

static void
add_params(struct model *mm, const struct gbt_params *p)
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
	char buf[64];

	model_add_param(mm, "objective", gbt_objective_name(p->objective));
	for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
		format_f64(buf, sizeof buf, reals[i].value);
		model_add_param(mm, reals[i].name, buf);
	}
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		snprintf(buf, sizeof buf, "%ld", ints[i].value);
		model_add_param(mm, ints[i].name, buf);
	}
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)p->seed);
	model_add_param(mm, "seed", buf);
}

static void
pack_f64_array(msgpack_packer *pk, const double *v, size_t n)
{
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		msgpack_pack_double(pk, v[i]);
}

/*
 * tool, created (left out with --no-timestamp or SOURCE_DATE_EPOCH), data_sha256, rows,
 * positives, seed, importance {weight, gain, cover}, validation {rows, best_iteration,
 * best_score}.
 */
static void
set_meta(struct model *mm, const struct gbt_model *m, const struct dataset *d,
         const struct dataset *v, const struct search_result *res)
{
	double *imp[3];
	const char *kinds[3] = {"weight", "gain", "cover"};
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int stamp = !opt.no_timestamp && !(sde && *sde);
	char when[32], sha[65];
	time_t now = time(NULL);
	msgpack_sbuffer sb;
	msgpack_packer pk;

	for (int k = 0; k < 3; k++)
		imp[k] = xcalloc(m->nfeatures, sizeof *imp[k]);
	gbt_importance(m, imp[0], imp[1], imp[2]);
	dataset_sha256(d, sha);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 6 + (size_t)stamp + (v != NULL) + (res != NULL));
	mp_pack_str(&pk, "tool");
	mp_pack_str(&pk, "fit-gbt " PIPEML_VERSION);
	if (stamp) {
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
		mp_pack_str(&pk, "created");
		mp_pack_str(&pk, when);
	}
	mp_pack_str(&pk, "data_sha256");
	mp_pack_str(&pk, sha);
	mp_pack_str(&pk, "rows");
	msgpack_pack_uint64(&pk, d->nrows);
	mp_pack_str(&pk, "positives");
	msgpack_pack_uint64(&pk, d->npositive);
	mp_pack_str(&pk, "seed");
	msgpack_pack_uint64(&pk, opt.seed);
	mp_pack_str(&pk, "importance");
	msgpack_pack_map(&pk, 3);
	for (int k = 0; k < 3; k++) {
		mp_pack_str(&pk, kinds[k]);
		pack_f64_array(&pk, imp[k], m->nfeatures);
		free(imp[k]);
	}
	if (v) {
		mp_pack_str(&pk, "validation");
		msgpack_pack_map(&pk, 3);
		mp_pack_str(&pk, "rows");
		msgpack_pack_uint64(&pk, v->nrows);
		mp_pack_str(&pk, "best_iteration");
		msgpack_pack_int64(&pk, m->best_iteration);
		mp_pack_str(&pk, "best_score");
		msgpack_pack_double(&pk, m->best_score);
	}
	if (res) {
		mp_pack_str(&pk, "cv");
		search_pack_meta(&pk, res);
	}
	if (model_set_meta(mm, sb.data, sb.size) < 0)
		die("internal error: meta is not a map");
	msgpack_sbuffer_destroy(&sb);
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
write_report(const char *path, const struct gbt_model *m, const struct dataset *t,
             const struct dataset *v, const struct search_result *res)
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
	fputs("},\n \"search\": ", af.fp);
	if (res)
		search_report_json(af.fp, res);
	else
		fputs("null", af.fp);
	fputs("}\n", af.fp);
	for (int k = 0; k < 3; k++)
		free(imp[k]);
	if (atomic_commit(&af) != 0)
		die("%s:", path);
}

static void
parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"forest", no_argument, NULL, 'F'},
	        {"param", required_argument, NULL, 'p'},
	        {"search", required_argument, NULL, 's'},
	        {"cv", required_argument, NULL, 'k'},
	        {"scoring", required_argument, NULL, 'm'},
	        {"table", required_argument, NULL, SEARCH_OPT_TABLE},
	        {"valid", required_argument, NULL, 'v'},
	        {"early-stopping", required_argument, NULL, 'E'},
	        {"seed", required_argument, NULL, 'S'},
	        {"jobs", required_argument, NULL, 'j'},
	        {"report", required_argument, NULL, 'R'},
	        {"progress", no_argument, NULL, 'P'},
	        {"no-timestamp", no_argument, NULL, 'T'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	opt.nthreads = online_cores();
	while ((c = getopt_long(argc, argv, "j:hV", longopts, NULL)) != -1) {
		if (search_cli_option(&opt.cli, c, optarg))
			continue;
		switch (c) {
		case 'F':
			opt.forest = 1;
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
		case 'P':
			opt.progress = 1;
			break;
		case 'T':
			opt.no_timestamp = 1;
			break;
		case 'h':
			help();
			exit(0);
		case 'V':
			printf("%s %s\n", progname, PIPEML_VERSION);
			exit(0);
		default:
			usage();
		}
	}
	if (argc - optind > 1)
		usage();
	if (opt.early_stopping && !opt.valid_path)
		usage_die("--early-stopping needs --valid");
}

int
main(int argc, char **argv)
{
	struct table ttrain = {0}, tvalid = {0};
	struct dataset train, valid;
	struct search_result res;
	struct gbt_params p;
	struct model_param *params = NULL;
	size_t nparams = 0;
	struct model mm;
	const char *name;
	struct gbt_model *m;
	char err[256];
	int search; /* opt.cli.search, read once: p is configured on either branch */

	setprogname(argv[0]);
	signals_init();
	parse_options(argc, argv);
	search = opt.cli.search;
	if (!search) {
		params = search_cli_fixed(&opt.cli, &nparams);
		configure(&p, params, nparams);
	}
	read_table(optind < argc ? argv[optind] : NULL, NULL, &ttrain);
	if (opt.valid_path)
		read_table(opt.valid_path, &ttrain, &tvalid);
	name = ttrain.name;
	table_to_dataset(&ttrain, &train);
	if (opt.valid_path)
		table_to_dataset(&tvalid, &valid);
	if (search) {
		run_search(&train, &res);
		configure(&p, res.cands[res.best].params, res.cands[res.best].nparams);
	}
	m = gbt_fit_dataset(&p, &train, opt.valid_path ? &valid : NULL, err, sizeof err);
	if (!m)
		die("%s: %s", name, err);
	model_init(&mm, &gbt_kind);
	model_set_features(&mm, train.features, train.nfeatures, train.target);
	add_params(&mm, &p);
	set_meta(&mm, m, &train, opt.valid_path ? &valid : NULL, search ? &res : NULL);
	mm.fitted = m;
	model_save(stdout, "stdout", &mm);
	if (opt.report_path)
		write_report(opt.report_path, m, &train, opt.valid_path ? &valid : NULL,
		             search ? &res : NULL);
	model_free(&mm);
	dataset_free(&train);
	if (opt.valid_path)
		dataset_free(&valid);
	if (search)
		search_result_free(&res);
	else
		free(params);
	search_cli_free(&opt.cli);
	return 0;
}
