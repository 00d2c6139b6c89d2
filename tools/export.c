/*
 * export: write a pipeml model in another library's format — a logistic regression as a
 * scikit-learn 1.2.1 LogisticRegression pickle, a tree model as an XGBoost 1.7 JSON model.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbt.h"
#include "logreg.h"
#include "model.h"
#include "util.h"

enum format { FORMAT_SKLEARN, FORMAT_XGBOOST_JSON };
enum names { NAMES_AUTO, NAMES_ALWAYS, NAMES_NEVER };

static struct {
	enum format format;
	int format_given;
	const char *output;
	enum names names;
} opt;

#define SYNOPSIS                                                                                   \
	"--format sklearn|xgboost-json [--output file] [--feature-names | --no-feature-names]\n"   \
	"       [model]"

/* The scikit-learn version the pickle claims; its loader warns when it differs. */
#define SKLEARN_VERSION "1.2.1"
/* scikit-learn's default tol, written when the model's params do not give one. */
#define SKLEARN_TOL 1e-4

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
	       "  -f, --format FORMAT    sklearn (a logreg model as a scikit-learn pickle) or\n"
	       "                         xgboost-json (a gbt model as an XGBoost JSON model)\n"
	       "      --output FILE      write FILE (atomically) instead of stdout\n"
	       "      --feature-names    always write the feature names\n"
	       "      --no-feature-names never write the feature names (default: write them\n"
	       "                         unless they are x0, x1, ... in order)\n"
	       "  -h, --help             this help\n"
	       "  -V, --version          print the version\n",
	       progname);
}

/*
 * Pickle protocol 2, written opcode by opcode (CPython's Lib/pickletools.py documents each):
 * no memo is needed because no object is referenced twice.
 */
static void
pk_op(FILE *fp, int op)
{
	putc(op, fp);
}

/* GLOBAL: push module.name (c module\nname\n). */
static void
pk_global(FILE *fp, const char *module, const char *name)
{
	fprintf(fp, "c%s\n%s\n", module, name);
}

/* SHORT_BINUNICODE (\x8c, 1-byte length) or BINUNICODE (X, 4-byte LE length); UTF-8. */
static void
pk_str(FILE *fp, const char *s)
{
	size_t len = strlen(s);
	unsigned char n[4];

	if (len < 256) {
		pk_op(fp, 0x8c);
		putc((int)len, fp);
	} else {
		pk_op(fp, 'X');
		store_le32(n, (uint32_t)len);
		fwrite(n, 1, 4, fp);
	}
	fwrite(s, 1, len, fp);
}

/* BINFLOAT: G + the IEEE 754 double, big-endian, so the value is exact. */
static void
pk_float(FILE *fp, double x)
{
	uint64_t u;

	memcpy(&u, &x, sizeof u);
	pk_op(fp, 'G');
	for (int k = 7; k >= 0; k--)
		putc((int)(u >> (8 * k) & 0xff), fp);
}

/* BININT: J + a signed 32-bit little-endian integer. */
static void
pk_int(FILE *fp, int32_t i)
{
	unsigned char n[4];

	store_le32(n, (uint32_t)i);
	pk_op(fp, 'J');
	fwrite(n, 1, 4, fp);
}

static void
pk_none(FILE *fp)
{
	pk_op(fp, 'N');
}

static void
pk_bool(FILE *fp, int b)
{
	pk_op(fp, b ? 0x88 : 0x89);
}

/* numpy.array(list, dtype): the list is pushed between pk_array_begin and pk_array_end. */
static void
pk_array_begin(FILE *fp)
{
	pk_global(fp, "numpy", "array");
	pk_op(fp, '('); /* MARK: the argument tuple */
}

static void
pk_array_end(FILE *fp, const char *dtype)
{
	if (dtype)
		pk_str(fp, dtype);
	pk_op(fp, 't'); /* TUPLE */
	pk_op(fp, 'R'); /* REDUCE */
}

/* A list of doubles: EMPTY_LIST, MARK, items, APPENDS. */
static void
pk_list_f64(FILE *fp, const double *x, size_t n)
{
	pk_op(fp, ']');
	pk_op(fp, '(');
	for (size_t i = 0; i < n; i++)
		pk_float(fp, x[i]);
	pk_op(fp, 'e');
}

/* 1 when s is well-formed UTF-8 (what Python's pickle decodes), without surrogates. */
static int
valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t c = *p;
		int n = c < 0x80             ? 0
		        : (c & 0xe0) == 0xc0 ? 1
		        : (c & 0xf0) == 0xe0 ? 2
		        : (c & 0xf8) == 0xf0 ? 3
		                             : -1;

		if (n < 0)
			return 0;
		c &= n == 0 ? 0x7f : 0x3f >> n;
		for (int k = 1; k <= n; k++) {
			if ((p[k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[k] & 0x3f);
		}
		if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

/*
 * Whether to write the feature names: a model whose features are x0, x1, ... in order was
 * fitted, as far as a Python user is concerned, on an unnamed array (the names scikit-learn
 * itself gives such columns), so by default its export carries no names.
 */
static int
want_names(const struct model *m)
{
	char name[32];

	if (opt.names != NAMES_AUTO)
		return opt.names == NAMES_ALWAYS;
	for (size_t j = 0; j < m->nfeatures; j++) {
		snprintf(name, sizeof name, "x%zu", j);
		if (strcmp(m->features[j], name) != 0)
			return 1;
	}
	return 0;
}

/*
 * The constructor parameters: scikit-learn's defaults, replaced by the model's params
 * (validated as fit-logreg reads them).
 */
static void
sklearn_config(const struct model *m, const char *name, struct logreg_config *cfg)
{
	char err[512];

	logreg_config_default(cfg);
	cfg->tol = SKLEARN_TOL;
	for (size_t i = 0; i < m->nparams; i++)
		if (logreg_set_param(cfg, m->params[i].name, m->params[i].value, err, sizeof err) <
		    0)
			die("%s: bad model: params: %s", name, err);
}

static void
pk_key_str(FILE *fp, const char *key, const char *value)
{
	pk_str(fp, key);
	if (value)
		pk_str(fp, value);
	else
		pk_none(fp);
}

static void
pk_key_float(FILE *fp, const char *key, double x)
{
	pk_str(fp, key);
	pk_float(fp, x);
}

static void
pk_key_int(FILE *fp, const char *key, int32_t i)
{
	pk_str(fp, key);
	pk_int(fp, i);
}

static void
pk_key_bool(FILE *fp, const char *key, int b)
{
	pk_str(fp, key);
	pk_bool(fp, b);
}

static void
sklearn_params(FILE *fp, const struct logreg_config *cfg)
{
	static const char *const solvers[] = {
	        [SOLVER_NEWTON_CG] = "newton-cg", [SOLVER_LBFGS] = "lbfgs",
	        [SOLVER_LIBLINEAR] = "liblinear", [SOLVER_SAG] = "sag",
	        [SOLVER_SAGA] = "saga",
	};
	static const char *const penalties[] = {
	        [PENALTY_NONE] = NULL, /* scikit-learn 1.2's spelling of no penalty */
	        [PENALTY_L1] = "l1",
	        [PENALTY_L2] = "l2",
	        [PENALTY_ELASTICNET] = "elasticnet",
	};

	pk_key_str(fp, "penalty", penalties[cfg->penalty]);
	pk_key_bool(fp, "dual", 0);
	pk_key_float(fp, "tol", cfg->tol);
	pk_key_float(fp, "C", cfg->C);
	pk_key_bool(fp, "fit_intercept", cfg->fit_intercept);
	pk_key_int(fp, "intercept_scaling", 1);
	pk_key_str(fp, "class_weight", cfg->class_weight_balanced ? "balanced" : NULL);
	pk_str(fp, "random_state");
	pk_none(fp);
	pk_key_str(fp, "solver", solvers[cfg->solver]);
	pk_key_int(fp, "max_iter", (int32_t)cfg->max_iter);
	pk_key_str(fp, "multi_class", "auto");
	pk_key_int(fp, "verbose", 0);
	pk_key_bool(fp, "warm_start", 0);
	pk_str(fp, "n_jobs");
	pk_none(fp);
	if (isnan(cfg->l1_ratio))
		pk_key_str(fp, "l1_ratio", NULL);
	else
		pk_key_float(fp, "l1_ratio", cfg->l1_ratio);
}

static void
sklearn_fitted(FILE *fp, const struct model *m, const struct logreg_fit *f)
{
	static const double classes[] = {0.0, 1.0};

	pk_key_int(fp, "n_features_in_", (int32_t)m->nfeatures);
	if (want_names(m)) {
		pk_str(fp, "feature_names_in_");
		pk_array_begin(fp);
		pk_op(fp, ']');
		pk_op(fp, '(');
		for (size_t j = 0; j < m->nfeatures; j++)
			pk_str(fp, m->features[j]);
		pk_op(fp, 'e');
		pk_array_end(fp, "O");
	}
	pk_str(fp, "classes_");
	pk_array_begin(fp);
	pk_list_f64(fp, classes, 2);
	pk_array_end(fp, NULL);
	pk_str(fp, "n_iter_");
	pk_array_begin(fp);
	pk_op(fp, ']');
	pk_op(fp, '(');
	pk_int(fp, (int32_t)(f->iterations > INT32_MAX ? INT32_MAX : f->iterations));
	pk_op(fp, 'e');
	pk_array_end(fp, "int32");
	pk_str(fp, "coef_"); /* shape 1 × n: a list holding one list */
	pk_array_begin(fp);
	pk_op(fp, ']');
	pk_op(fp, '(');
	pk_list_f64(fp, f->coef, f->nfeatures);
	pk_op(fp, 'e');
	pk_array_end(fp, NULL);
	pk_str(fp, "intercept_");
	pk_array_begin(fp);
	pk_list_f64(fp, &f->intercept, 1);
	pk_array_end(fp, NULL);
	pk_key_str(fp, "_sklearn_version", SKLEARN_VERSION);
}

/*
 * copyreg._reconstructor(LogisticRegression, object, None) makes the bare instance; BUILD
 * hands the state dict to BaseEstimator.__setstate__, as unpickling a fitted model does.
 */
static void
write_sklearn(FILE *fp, const struct model *m, const char *name)
{
	const struct logreg_fit *f = m->fitted;
	struct logreg_config cfg;

	if (strcmp(m->kind, "logreg") != 0)
		die("%s: a %s model cannot be exported as sklearn (it takes a logreg model)", name,
		    m->kind);
	for (size_t j = 0; j < m->nfeatures; j++)
		if (!valid_utf8(m->features[j]))
			die("%s: feature %zu: the name is not valid UTF-8", name, j + 1);
	sklearn_config(m, name, &cfg);
	pk_op(fp, 0x80); /* PROTO 2 */
	pk_op(fp, 2);
	pk_global(fp, "copyreg", "_reconstructor");
	pk_op(fp, '(');
	pk_global(fp, "sklearn.linear_model._logistic", "LogisticRegression");
	pk_global(fp, "builtins", "object");
	pk_none(fp);
	pk_op(fp, 't');
	pk_op(fp, 'R');
	pk_op(fp, '}'); /* EMPTY_DICT, MARK, key value ..., SETITEMS */
	pk_op(fp, '(');
	sklearn_params(fp, &cfg);
	sklearn_fitted(fp, m, f);
	pk_op(fp, 'u');
	pk_op(fp, 'b'); /* BUILD */
	pk_op(fp, '.'); /* STOP */
}

/* A JSON string: UTF-8 as it is, quotes, backslashes and control characters escaped. */
static void
json_str(FILE *fp, const char *s)
{
	putc('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20)
			fprintf(fp, "\\u%04x", c);
		else
			putc(c, fp);
	}
	putc('"', fp);
}

/*
 * A float32 as a JSON number that reads back as the same float32 (9 significant digits),
 * always with a fraction or an exponent: XGBoost's reader takes "1" for an integer, which
 * its float fields refuse. Non-finite values (never a threshold or a leaf: gbt_unpack
 * refuses those) are written as 0.
 */
static void
json_f32(FILE *fp, float x)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%.9g", isfinite(x) ? (double)x : 0.0);
	if (!strpbrk(buf, ".e"))
		strcat(buf, ".0");
	fputs(buf, fp);
}

/* A float32 as the text XGBoost keeps in its *_param maps. */
static void
json_param_f32(FILE *fp, const char *key, double x)
{
	fprintf(fp, "\"%s\":\"%.9g\"", key, (double)(float)x);
}

static void
json_ints(FILE *fp, const char *key, const int32_t *v, size_t n)
{
	fprintf(fp, "\"%s\":[", key);
	for (size_t i = 0; i < n; i++)
		fprintf(fp, "%s%ld", i ? "," : "", (long)v[i]);
	fputs("],", fp);
}

static void
json_floats(FILE *fp, const char *key, const float *v, size_t n)
{
	fprintf(fp, "\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			putc(',', fp);
		json_f32(fp, v[i]);
	}
	fputs("],", fp);
}

/*
 * One tree in XGBoost 1.7's layout, which is gbt's: node 0 the root, a leaf with children
 * -1 and its value as split_condition; an inner node sends x left when (float)x <
 * split_condition, exactly gbt's test on the same float32 threshold, so every value is
 * routed alike; missing values go left when default_left.
 */
static void
xgb_tree(FILE *fp, const struct gbt_tree *t, size_t id, size_t nfeatures)
{
	int32_t *parents = xreallocarray(NULL, t->nnodes, sizeof *parents);
	int32_t *index = xreallocarray(NULL, t->nnodes, sizeof *index);
	float *cond = xreallocarray(NULL, t->nnodes, sizeof *cond);

	parents[0] = INT32_MAX; /* XGBoost's "no parent" */
	for (size_t k = 0; k < t->nnodes; k++) {
		int leaf = t->left[k] < 0;

		if (!leaf)
			parents[t->left[k]] = parents[t->right[k]] = (int32_t)k;
		index[k] = leaf ? 0 : t->feature[k];
		cond[k] = leaf ? t->value[k] : t->threshold[k];
	}
	fprintf(fp,
	        "{\"id\":%zu,\"tree_param\":{\"num_nodes\":\"%zu\",\"num_feature\":\"%zu\","
	        "\"num_deleted\":\"0\",\"size_leaf_vector\":\"0\"},",
	        id, t->nnodes, nfeatures);
	json_ints(fp, "left_children", t->left, t->nnodes);
	json_ints(fp, "right_children", t->right, t->nnodes);
	json_ints(fp, "parents", parents, t->nnodes);
	json_ints(fp, "split_indices", index, t->nnodes);
	json_floats(fp, "split_conditions", cond, t->nnodes);
	fputs("\"default_left\":[", fp);
	for (size_t k = 0; k < t->nnodes; k++)
		fprintf(fp, "%s%d", k ? "," : "", t->left[k] >= 0 && t->default_left[k]);
	fputs("],\"split_type\":[", fp);
	for (size_t k = 0; k < t->nnodes; k++)
		fprintf(fp, "%s0", k ? "," : "");
	fputs("],", fp);
	json_floats(fp, "base_weights", t->value, t->nnodes);
	json_floats(fp, "loss_changes", t->gain, t->nnodes);
	json_floats(fp, "sum_hessian", t->cover, t->nnodes);
	fputs("\"categories\":[],\"categories_nodes\":[],\"categories_segments\":[],"
	      "\"categories_sizes\":[]}",
	      fp);
	free(parents);
	free(index);
	free(cond);
}

/* XGBoost refuses these characters in a feature name (DMatrix.feature_names). */
static void
check_xgb_names(const struct model *m, const char *name)
{
	for (size_t j = 0; j < m->nfeatures; j++)
		if (strpbrk(m->features[j], "[]<"))
			die("%s: feature %zu: XGBoost does not allow [, ] or < in a feature name "
			    "(export with --no-feature-names)",
			    name, j + 1);
}

/* The objective and scale_pos_weight (a model param; it does not change predictions). */
static void
xgb_objective(FILE *fp, const struct model *m, const struct gbt_model *g)
{
	const char *spw = model_param(m, "scale_pos_weight");
	double w = 1;

	if (spw && parse_f64(spw, strlen(spw), &w) < 0)
		w = 1;
	fprintf(fp, "\"objective\":{\"name\":\"%s\",\"reg_loss_param\":{",
	        gbt_objective_name(g->objective));
	json_param_f32(fp, "scale_pos_weight", w);
	fputs("}}", fp);
}

/*
 * The learner. base_score is what gbt keeps: a probability for the logistic objectives
 * (XGBoost 1.7 turns it into the base margin log(p / (1 − p)) as gbt does), the base margin
 * itself for reg:squarederror; boost_from_average 0 says it is not to be estimated again.
 */
static void
write_xgboost_json(FILE *fp, const struct model *m, const char *name)
{
	const struct gbt_model *g = m->fitted;
	int names = want_names(m);

	if (strcmp(m->kind, "gbt") != 0)
		die("%s: a %s model cannot be exported as xgboost-json (it takes a gbt model)",
		    name, m->kind);
	for (size_t j = 0; j < m->nfeatures; j++)
		if (!valid_utf8(m->features[j]))
			die("%s: feature %zu: the name is not valid UTF-8", name, j + 1);
	if (names)
		check_xgb_names(m, name);
	fputs("{\"version\":[1,7,4],\"learner\":{\"attributes\":{},\"feature_names\":[", fp);
	for (size_t j = 0; names && j < m->nfeatures; j++) {
		if (j)
			putc(',', fp);
		json_str(fp, m->features[j]);
	}
	fputs("],\"feature_types\":[],\"learner_model_param\":{", fp);
	json_param_f32(fp, "base_score", g->base_score);
	fprintf(fp,
	        ",\"boost_from_average\":\"0\",\"num_class\":\"0\",\"num_feature\":\"%zu\","
	        "\"num_target\":\"1\"},",
	        m->nfeatures);
	xgb_objective(fp, m, g);
	fprintf(fp,
	        ",\"gradient_booster\":{\"name\":\"gbtree\",\"model\":{\"gbtree_model_param\":{"
	        "\"num_trees\":\"%zu\",\"num_parallel_tree\":\"%zu\",\"size_leaf_vector\":\"0\"},"
	        "\"tree_info\":[",
	        g->ntrees, g->num_parallel_tree);
	for (size_t k = 0; k < g->ntrees; k++)
		fprintf(fp, "%s0", k ? "," : "");
	fputs("],\"trees\":[", fp);
	for (size_t k = 0; k < g->ntrees; k++) {
		if (k)
			putc(',', fp);
		xgb_tree(fp, &g->trees[k], k, m->nfeatures);
	}
	fputs("]}}}}\n", fp);
}

static void
parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"output", required_argument, NULL, 'O'},
	        {"feature-names", no_argument, NULL, 'N'},
	        {"no-feature-names", no_argument, NULL, 'n'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "f:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "sklearn") == 0)
				opt.format = FORMAT_SKLEARN;
			else if (strcmp(optarg, "xgboost-json") == 0)
				opt.format = FORMAT_XGBOOST_JSON;
			else
				usage_die("--format %s: expected sklearn or xgboost-json", optarg);
			opt.format_given = 1;
			break;
		case 'O':
			opt.output = optarg;
			break;
		case 'N':
			opt.names = NAMES_ALWAYS;
			break;
		case 'n':
			opt.names = NAMES_NEVER;
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
	if (!opt.format_given)
		usage_die("--format is required (sklearn or xgboost-json)");
	if (argc - optind > 1)
		usage();
}

int
main(int argc, char **argv)
{
	struct atomic_file af;
	struct model m;
	const char *name;
	char err[1024];
	FILE *in, *out = stdout;

	setprogname(argv[0]);
	signals_init();
	parse_options(argc, argv);
	in = open_input(optind < argc ? argv[optind] : NULL, &name);
	if (model_load(in, name, &m, err, sizeof err) < 0)
		die("%s", err);
	if (in != stdin)
		fclose(in);
	if (opt.output) {
		if (atomic_open(&af, opt.output) < 0)
			die("%s:", opt.output);
		out = af.fp;
	}
	if (opt.format == FORMAT_SKLEARN)
		write_sklearn(out, &m, name);
	else
		write_xgboost_json(out, &m, name);
	if (opt.output) {
		if (atomic_commit(&af) < 0)
			die("%s:", opt.output);
	}
	fshut(stdout, "stdout");
	model_free(&m);
	return 0;
}
