/* pick-best: score candidate models on one labelled test stream, keep the best, register it. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"
#include "dataset.h"
#include "json.h"
#include "metrics.h"
#include "model.h"
#include "registry.h"
#include "sha256.h"
#include "util.h"

static struct {
	const char *metric;
	const char *report;
	const char *scores;
	const char *metrics;
	const char *test;
	const char *registry;
	const char *name;
	struct reg_file *states;
	size_t nstates;
	int promote; /* -1: none, else an enum reg_stage */
} opt = {.metric = "f1", .name = "lead_model", .promote = -1};

/* After the chosen metric, ties are broken by these, then by operand order. */
static const char *const tie_break[] = {"f1",       "roc_auc",  "average_precision",
                                        "log_loss", "accuracy", NULL};

struct candidate {
	const char *path;
	char *bytes; /* the file, written unchanged when it wins */
	size_t len;
	char sha256[65];
	char kind[32];
	double *prob;
	struct binary_report rep;
	struct model model; /* for the report: parameters and feature importance */
};

/* Bins of the report's calibration curve. */
#define CALIBRATION_BINS 10

#define SYNOPSIS                                                                                   \
	"[-m metric] [-t file] [-R file] [--scores file] [--metrics file] [-d dir] [-n name]\n"    \
	"       [-s file] ... [--promote stage] model ..."

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
	       "  -m, --metric METRIC   select by: accuracy, precision, recall, f1 (default),\n"
	       "                        macro_precision, macro_recall, macro_f1,\n"
	       "                        weighted_precision, weighted_recall, weighted_f1,\n"
	       "                        roc_auc, average_precision, log_loss (lower is\n"
	       "                        better), cohen_kappa\n"
	       "  -t, --test FILE       the labelled test stream (default stdin)\n"
	       "  -R, --report FILE     write a JSON report of every candidate\n"
	       "      --scores FILE     write every candidate's P(y = 1) per row as CSV\n"
	       "      --metrics FILE    write every candidate's metrics as TSV lines\n"
	       "                        (model, metric, value)\n"
	       "  -d, --registry DIR    register the winner there if it beats production\n"
	       "                        (default $PIPEML_REGISTRY; none: no registration)\n"
	       "  -n, --name NAME       the registered model's name (lead_model)\n"
	       "  -s, --state FILE      a state file stored with the version (repeatable)\n"
	       "      --promote STAGE   move a registered winner to staging or production\n"
	       "  -h, --help            this help\n"
	       "  -V, --version         print the version\n",
	       progname);
}

static void
parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"metric", required_argument, NULL, 'm'},
	        {"test", required_argument, NULL, 't'},
	        {"report", required_argument, NULL, 'R'},
	        {"scores", required_argument, NULL, 'C'},
	        {"metrics", required_argument, NULL, 'M'},
	        {"registry", required_argument, NULL, 'd'},
	        {"name", required_argument, NULL, 'n'},
	        {"state", required_argument, NULL, 's'},
	        {"promote", required_argument, NULL, 'p'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	struct binary_report probe;
	enum reg_stage stage;
	double x;
	int c;

	memset(&probe, 0, sizeof probe);
	while ((c = getopt_long(argc, argv, "m:t:R:d:n:s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (binary_report_get(&probe, optarg, &x) < 0)
				usage_die("--metric: unknown metric '%s'", optarg);
			opt.metric = optarg;
			break;
		case 't':
			opt.test = optarg;
			break;
		case 'R':
			opt.report = optarg;
			break;
		case 'C':
			opt.scores = optarg;
			break;
		case 'M':
			opt.metrics = optarg;
			break;
		case 'd':
			opt.registry = optarg;
			break;
		case 'n':
			opt.name = optarg;
			break;
		case 's':
			opt.states = xreallocarray(opt.states, opt.nstates + 1, sizeof *opt.states);
			opt.states[opt.nstates].path = optarg;
			opt.states[opt.nstates++].name = NULL;
			break;
		case 'p':
			if (stage_parse(optarg, &stage) < 0 ||
			    (stage != STAGE_STAGING && stage != STAGE_PRODUCTION))
				usage_die("--promote: expected staging or production, got '%s'",
				          optarg);
			opt.promote = (int)stage;
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
	if (optind == argc)
		usage();
	opt.registry = registry_dir(opt.registry);
	if (opt.registry == NULL && (opt.promote >= 0 || opt.nstates > 0))
		usage_die("--promote and --state need --registry or $%s", REGISTRY_ENV);
}

static char *
read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	char *buf;

	if (fp == NULL)
		die("%s:", path);
	buf = xmalloc(cap);
	for (;;) {
		n += fread(buf + n, 1, cap - n, fp);
		if (n < cap)
			break;
		if (cap >= MODEL_MAX_SIZE)
			die("%s: larger than %zu bytes", path, (size_t)MODEL_MAX_SIZE);
		cap *= 2;
		buf = xreallocarray(buf, cap, 1);
	}
	if (ferror(fp))
		die("%s:", path);
	fclose(fp);
	*len = n;
	return buf;
}

static void
load_model(const char *path, const char *bytes, size_t len, struct model *m)
{
	char err[1024];
	FILE *fp;

	if (len == 0)
		die("%s: empty file, not a model", path);
	if ((fp = fmemopen((void *)bytes, len, "rb")) == NULL)
		die("%s:", path);
	if (model_load(fp, path, m, err, sizeof err) < 0)
		die("%s", err);
	fclose(fp);
}

/* P(y = 1) of every test row by m, its features matched by name in the stream. */
static double *
predict(const struct model *m, const char *path, const struct dataset *d)
{
	double *x = xreallocarray(NULL, d->nrows * m->nfeatures + 1, sizeof *x);
	double *prob = xreallocarray(NULL, d->nrows + 1, sizeof *prob);

	if (strcmp(m->target, d->target) != 0)
		warn("%s: model's target %s, test stream's %s", path, m->target, d->target);
	for (size_t j = 0; j < m->nfeatures; j++) {
		size_t k = 0;

		while (k < d->nfeatures && strcmp(d->features[k], m->features[j]) != 0)
			k++;
		if (k == d->nfeatures)
			die("%s: feature %s is not a feature column of the test stream", path,
			    m->features[j]);
		for (size_t i = 0; i < d->nrows; i++)
			x[i * m->nfeatures + j] = d->x[k * d->nrows + i];
	}
	model_predict(m, x, d->nrows, prob);
	free(x);
	return prob;
}

static void
score(struct candidate *c, const struct dataset *d)
{
	struct model *m = &c->model;
	struct sha256 s;

	c->bytes = read_all(c->path, &c->len);
	sha256_init(&s);
	sha256_update(&s, c->bytes, c->len);
	sha256_hex(&s, c->sha256);
	load_model(c->path, c->bytes, c->len, m);
	snprintf(c->kind, sizeof c->kind, "%s", m->kind);
	c->prob = predict(m, c->path, d);
	binary_report_compute(d->y, c->prob, d->nrows, &c->rep);
}

static void
candidate_free(struct candidate *c)
{
	free(c->bytes);
	free(c->prob);
	model_free(&c->model);
}

static double
metric(const struct binary_report *r, const char *name)
{
	double x = NAN;

	binary_report_get(r, name, &x);
	return x;
}

/* 1 when a is better than b on name, -1 when worse, 0 when equal; NaN is worst. */
static int
compare_on(const struct binary_report *a, const struct binary_report *b, const char *name)
{
	double x = metric(a, name), y = metric(b, name);

	if (isnan(x) || isnan(y))
		return isnan(y) - isnan(x);
	if (x == y)
		return 0;
	return (x > y) != binary_report_lower_better(name) ? 1 : -1;
}

static size_t
select_winner(const struct candidate *cands, size_t n)
{
	size_t best = 0;

	for (size_t i = 1; i < n; i++) {
		int cmp = compare_on(&cands[i].rep, &cands[best].rep, opt.metric);

		for (size_t k = 0; cmp == 0 && tie_break[k] != NULL; k++)
			cmp = compare_on(&cands[i].rep, &cands[best].rep, tie_break[k]);
		if (cmp > 0)
			best = i; /* a full tie keeps the earlier operand */
	}
	return best;
}

static void
metrics_json(struct jbuf *b, const struct binary_report *r)
{
	jbuf_open(b, '{');
	for (size_t i = 0; binary_report_metrics[i] != NULL; i++) {
		jbuf_key(b, binary_report_metrics[i]);
		jbuf_num(b, metric(r, binary_report_metrics[i]));
	}
	jbuf_close(b, '}');
}

static void
class_json(struct jbuf *b, const char *name, const struct class_scores *s)
{
	jbuf_key(b, name);
	jbuf_open(b, '{');
	jbuf_key(b, "precision");
	jbuf_num(b, s->precision);
	jbuf_key(b, "recall");
	jbuf_num(b, s->recall);
	jbuf_key(b, "f1-score");
	jbuf_num(b, s->f1);
	jbuf_key(b, "support");
	jbuf_num(b, s->support);
	jbuf_close(b, '}');
}

static void
array_json(struct jbuf *b, const char *key, const double *x, size_t n)
{
	jbuf_key(b, key);
	jbuf_open(b, '[');
	for (size_t i = 0; i < n; i++)
		jbuf_num(b, x[i]);
	jbuf_close(b, ']');
}

/* The points of a curve under key: {xname: [...], yname: [...], tname: [...]}. */
static void
curve_json(struct jbuf *b, const char *key, const struct curve *c, const char *xname,
           const char *yname, const char *tname)
{
	jbuf_key(b, key);
	jbuf_open(b, '{');
	array_json(b, xname, c->x, c->n);
	array_json(b, yname, c->y, c->n);
	array_json(b, tname, c->threshold, c->nthresholds);
	jbuf_close(b, '}');
}

static void
curves_json(struct jbuf *b, const struct candidate *c, const struct dataset *d)
{
	struct curve roc, pr, cal;

	roc_curve(d->y, c->prob, d->nrows, &roc);
	pr_curve(d->y, c->prob, d->nrows, &pr);
	calibration_curve(d->y, c->prob, d->nrows, CALIBRATION_BINS, &cal);
	curve_json(b, "roc", &roc, "fpr", "tpr", "thresholds");
	curve_json(b, "pr", &pr, "recall", "precision", "thresholds");
	curve_json(b, "calibration", &cal, "prob_pred", "prob_true", "count");
	curve_free(&roc);
	curve_free(&pr);
	curve_free(&cal);
}

static void
model_json(struct jbuf *b, const struct model *m)
{
	double *imp = xreallocarray(NULL, m->nfeatures + 1, sizeof *imp);
	const char *measure = model_importance(m, imp);

	jbuf_key(b, "params");
	jbuf_open(b, '{');
	for (size_t i = 0; i < m->nparams; i++) {
		jbuf_key(b, m->params[i].name);
		jbuf_str(b, m->params[i].value);
	}
	jbuf_close(b, '}');
	jbuf_key(b, "importance");
	jbuf_open(b, '{');
	jbuf_key(b, "measure");
	jbuf_str(b, measure);
	jbuf_key(b, "features");
	jbuf_open(b, '[');
	for (size_t j = 0; j < m->nfeatures; j++)
		jbuf_str(b, m->features[j]);
	jbuf_close(b, ']');
	if (measure != NULL)
		array_json(b, "values", imp, m->nfeatures);
	jbuf_close(b, '}');
	free(imp);
}

static void
candidate_json(struct jbuf *b, const struct candidate *c, const struct dataset *d)
{
	const struct confusion *m = &c->rep.c;

	jbuf_open(b, '{');
	jbuf_key(b, "file");
	jbuf_str(b, c->path);
	jbuf_key(b, "sha256");
	jbuf_str(b, c->sha256);
	jbuf_key(b, "kind");
	jbuf_str(b, c->kind);
	jbuf_key(b, "metrics");
	metrics_json(b, &c->rep);
	jbuf_key(b, "confusion_matrix");
	jbuf_open(b, '[');
	jbuf_open(b, '[');
	jbuf_int(b, (long long)m->tn);
	jbuf_int(b, (long long)m->fp);
	jbuf_close(b, ']');
	jbuf_open(b, '[');
	jbuf_int(b, (long long)m->fn);
	jbuf_int(b, (long long)m->tp);
	jbuf_close(b, ']');
	jbuf_close(b, ']');
	jbuf_key(b, "classification_report");
	jbuf_open(b, '{');
	class_json(b, "0", &c->rep.cls[0]);
	class_json(b, "1", &c->rep.cls[1]);
	jbuf_key(b, "accuracy");
	jbuf_num(b, c->rep.accuracy);
	class_json(b, "macro avg", &c->rep.macro);
	class_json(b, "weighted avg", &c->rep.weighted);
	jbuf_close(b, '}');
	model_json(b, &c->model);
	curves_json(b, c, d);
	jbuf_close(b, '}');
}

static void
print_table(const struct candidate *cands, size_t n, size_t winner)
{
	const struct confusion *m = &cands[winner].rep.c;

	fprintf(stderr, "  %-24s %8s %9s %8s %8s %8s %9s %8s %8s\n", "model", "accuracy",
	        "precision", "recall", "f1", "roc_auc", "avg_prec", "log_loss", "kappa");
	for (size_t i = 0; i < n; i++) {
		const struct binary_report *r = &cands[i].rep;

		fprintf(stderr, "%c %-24s %8.4f %9.4f %8.4f %8.4f %8.4f %9.4f %8.4f %8.4f\n",
		        i == winner ? '*' : ' ', cands[i].path, r->accuracy, r->cls[1].precision,
		        r->cls[1].recall, r->cls[1].f1, r->roc_auc, r->average_precision,
		        r->log_loss, r->cohen_kappa);
	}
	fprintf(stderr, "\nbest by %s: %s (%zu rows)\n\n", opt.metric, cands[winner].path,
	        cands[winner].rep.n);
	binary_report_table(stderr, &cands[winner].rep, 2);
	fprintf(stderr,
	        "\nconfusion matrix (rows: true 0, 1; columns: predicted 0, 1)\n%8zu %8zu\n%8zu "
	        "%8zu\n",
	        m->tn, m->fp, m->fn, m->tp);
}

/* What happened at the registry, for stderr and the report. */
struct decision {
	int registered;
	long version;
	long production;         /* 0: none */
	double production_score; /* on these rows now */
	char reason[512];
};

/* The production version's score on these rows now. */
static double
production_score(const struct registry *r, const struct reg_version *v, const struct dataset *d)
{
	struct candidate c = {0};
	char *path = registry_object_path(r, v->sha256);
	double x;

	c.path = path;
	score(&c, d);
	x = metric(&c.rep, opt.metric);
	candidate_free(&c);
	free(path);
	return x;
}

static void
register_winner(const struct candidate *w, const struct dataset *d, const struct reg_run *run,
                struct decision *dec)
{
	const struct reg_version *prod;
	struct reg_add add = {.model = opt.name,
	                      .path = w->path,
	                      .states = opt.states,
	                      .nstates = opt.nstates,
	                      .run_id = run->id};
	double ours = metric(&w->rep, opt.metric);
	struct registry r;
	struct jbuf m;
	char err[1024];

	memset(dec, 0, sizeof *dec);
	if (registry_open(&r, opt.registry, 1, err, sizeof err) < 0)
		die("%s", err);
	prod = registry_stage(&r, opt.name, STAGE_PRODUCTION);
	if (prod == NULL) {
		snprintf(dec->reason, sizeof dec->reason, "no production version of %s in %s",
		         opt.name, opt.registry);
		dec->registered = 1;
	} else {
		dec->production = prod->version;
		dec->production_score = production_score(&r, prod, d);
		dec->registered = !isnan(ours) && (isnan(dec->production_score) ||
		                                   (binary_report_lower_better(opt.metric)
		                                            ? ours < dec->production_score
		                                            : ours > dec->production_score));
		snprintf(dec->reason, sizeof dec->reason,
		         "%s %.6f %s production %s@%ld (%.6f) on these %zu rows", opt.metric, ours,
		         dec->registered ? "beats" : "does not beat", opt.name, prod->version,
		         dec->production_score, d->nrows);
	}
	if (dec->registered) {
		jbuf_init(&m);
		metrics_json(&m, &w->rep);
		add.metrics_json = m.s;
		if (registry_add(&r, &add, &dec->version, err, sizeof err) < 0)
			die("%s", err);
		jbuf_free(&m);
		fprintf(stderr, "%s: registered %s@%ld: %s\n", progname, opt.name, dec->version,
		        dec->reason);
		if (opt.promote >= 0) {
			if (registry_promote(&r, opt.name, dec->version,
			                     (enum reg_stage)opt.promote, err, sizeof err) < 0)
				die("%s", err);
			fprintf(stderr, "%s: %s@%ld is now in stage %s\n", progname, opt.name,
			        dec->version, stage_name((enum reg_stage)opt.promote));
		}
	} else {
		fprintf(stderr, "%s: not registered: %s\n", progname, dec->reason);
	}
	if (registry_run_append(&r, run, err, sizeof err) < 0)
		die("%s", err);
	registry_close(&r);
}

static void
write_report(const struct candidate *cands, size_t n, size_t winner, const struct dataset *d,
             const struct decision *dec)
{
	struct atomic_file af;
	struct jbuf b;
	char sha[65];

	dataset_sha256(d, sha);
	jbuf_init(&b);
	jbuf_open(&b, '{');
	jbuf_key(&b, "metric");
	jbuf_str(&b, opt.metric);
	jbuf_key(&b, "rows");
	jbuf_int(&b, (long long)d->nrows);
	jbuf_key(&b, "data_sha256");
	jbuf_str(&b, sha);
	jbuf_key(&b, "winner");
	jbuf_int(&b, (long long)winner);
	jbuf_key(&b, "candidates");
	jbuf_open(&b, '[');
	for (size_t i = 0; i < n; i++)
		candidate_json(&b, &cands[i], d);
	jbuf_close(&b, ']');
	jbuf_key(&b, "registry");
	if (dec == NULL) {
		jbuf_null(&b);
	} else {
		jbuf_open(&b, '{');
		jbuf_key(&b, "dir");
		jbuf_str(&b, opt.registry);
		jbuf_key(&b, "model");
		jbuf_str(&b, opt.name);
		jbuf_key(&b, "registered");
		jbuf_bool(&b, dec->registered);
		jbuf_key(&b, "version");
		dec->registered ? jbuf_int(&b, dec->version) : jbuf_null(&b);
		jbuf_key(&b, "production_version");
		dec->production ? jbuf_int(&b, dec->production) : jbuf_null(&b);
		jbuf_key(&b, "production_score");
		dec->production ? jbuf_num(&b, dec->production_score) : jbuf_null(&b);
		jbuf_key(&b, "reason");
		jbuf_str(&b, dec->reason);
		jbuf_close(&b, '}');
	}
	jbuf_close(&b, '}');
	if (atomic_open(&af, opt.report) < 0)
		die("%s:", opt.report);
	fprintf(af.fp, "%s\n", b.s);
	if (atomic_commit(&af) < 0)
		die("%s:", opt.report);
	jbuf_free(&b);
}

static void
write_scores(const struct candidate *cands, size_t n, const struct dataset *d)
{
	struct atomic_file af;
	char num[64];

	if (atomic_open(&af, opt.scores) < 0)
		die("%s:", opt.scores);
	fputs("row,y", af.fp);
	for (size_t k = 0; k < n; k++) {
		fputc(',', af.fp);
		csv_put_field(af.fp, cands[k].path, strlen(cands[k].path));
	}
	fputc('\n', af.fp);
	for (size_t i = 0; i < d->nrows; i++) {
		fprintf(af.fp, "%zu,%d", i, d->y[i] == 1);
		for (size_t k = 0; k < n; k++) {
			format_f64(num, sizeof num, cands[k].prob[i]);
			fprintf(af.fp, ",%s", num);
		}
		fputc('\n', af.fp);
	}
	if (atomic_commit(&af) < 0)
		die("%s:", opt.scores);
}

/*
 * The candidates' metrics for a shell to read: a header, then a line per candidate and metric,
 * its model (the file's name without directory and .model), metric and value (a number in
 * its shortest exact form, inf or -inf; nan when undefined), tab-separated.
 */
static void
write_metrics(const struct candidate *cands, size_t n)
{
	struct atomic_file af;
	char num[64];

	if (atomic_open(&af, opt.metrics) < 0)
		die("%s:", opt.metrics);
	fputs("model\tmetric\tvalue\n", af.fp);
	for (size_t k = 0; k < n; k++) {
		const char *base = strrchr(cands[k].path, '/');
		size_t len;

		base = base ? base + 1 : cands[k].path;
		len = strlen(base);
		if (len > 6 && strcmp(base + len - 6, ".model") == 0)
			len -= 6;
		for (size_t i = 0; binary_report_metrics[i] != NULL; i++) {
			double x = metric(&cands[k].rep, binary_report_metrics[i]);

			if (isnan(x))
				snprintf(num, sizeof num, "nan");
			else
				format_f64(num, sizeof num, x);
			fprintf(af.fp, "%.*s\t%s\t%s\n", (int)len, base, binary_report_metrics[i],
			        num);
		}
	}
	if (atomic_commit(&af) < 0)
		die("%s:", opt.metrics);
}

static void
record_run(struct reg_run *run, char **operands, size_t n, const struct candidate *w,
           const struct dataset *d, char sha[65], struct jbuf *metrics)
{
	reg_run_param(run, "metric", opt.metric);
	reg_run_param(run, "name", opt.name);
	for (size_t i = 0; i < n; i++) {
		char key[32];

		snprintf(key, sizeof key, "candidate%zu", i + 1);
		reg_run_param(run, key, operands[i]);
	}
	reg_run_param(run, "winner", w->path);
	reg_run_param(run, "winner_sha256", w->sha256);
	dataset_sha256(d, sha);
	run->input_sha256 = sha;
	jbuf_init(metrics);
	metrics_json(metrics, &w->rep);
	run->metrics_json = metrics->s;
}

int
main(int argc, char **argv)
{
	struct candidate *cands;
	struct decision dec, *registered = NULL; /* &dec once the registry has decided */
	struct dataset d;
	struct reg_run run;
	struct jbuf run_metrics;
	char err[1024], sha[65];
	const char *name;
	size_t n, winner;
	FILE *in;

	setprogname(argv[0]);
	signals_init();
	signal(SIGXFSZ, SIG_IGN); /* a file size limit is a write error, undone */
	parse_options(argc, argv);
	reg_run_begin(&run, "pick-best");
	in = open_input(opt.test, &name);
	if (dataset_read(in, name, DATASET_COLUMNS, &d, err, sizeof err) < 0)
		die("%s", err);
	n = (size_t)(argc - optind);
	cands = xcalloc(n, sizeof *cands);
	for (size_t i = 0; i < n; i++) {
		cands[i].path = argv[optind + i];
		score(&cands[i], &d);
	}
	winner = select_winner(cands, n);
	print_table(cands, n, winner);
	if (opt.registry != NULL) {
		record_run(&run, argv + optind, n, &cands[winner], &d, sha, &run_metrics);
		register_winner(&cands[winner], &d, &run, &dec);
		registered = &dec;
		jbuf_free(&run_metrics);
	}
	if (opt.scores)
		write_scores(cands, n, &d);
	if (opt.metrics)
		write_metrics(cands, n);
	if (opt.report)
		write_report(cands, n, winner, &d, registered);
	if (fwrite(cands[winner].bytes, 1, cands[winner].len, stdout) != cands[winner].len)
		die("stdout:");
	fshut(stdout, "stdout");
	for (size_t i = 0; i < n; i++)
		candidate_free(&cands[i]);
	free(cands);
	free(opt.states);
	reg_run_free(&run);
	dataset_free(&d);
	if (in != stdin)
		fclose(in);
	return 0;
}
