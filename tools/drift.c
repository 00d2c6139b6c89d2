/* drift: compare new data with the training data's reference profile — schema, PSI, KS. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clean.h"
#include "csvin.h"
#include "drift.h"
#include "encoder.h"
#include "handoff.h"
#include "json.h"
#include "model.h"
#include "stream.h"
#include "util.h"

#define EXIT_DRIFT 3

#define SYNOPSIS                                                                                   \
	"usage: %s (--reference file | --save-reference file) [--state file]\n"                    \
	"       [--encode-state file] [--model file] [--report file] [--bins n] [--points n]\n"    \
	"       [--psi-warn x] [--psi-drift x] [--ks-warn x] [--ks-drift x]\n"                     \
	"       [--missing-drift x] [--range-drift x] [--unseen-drift x] [--ignore cols]\n"        \
	"       [--target present|absent] [-q] [-j n] [file]\n"

static struct {
	const char *reference, *save_reference, *state, *encode_state, *model, *report;
	const char *ignore;
	long bins, points;
	int expect_target, quiet;
	long jobs;
	struct drift_limits lim;
} opt = {
        .bins = 10,
        .points = 10000,
        .expect_target = -1,
        .lim = {.psi_warn = 0.1,
                .psi_drift = 0.25,
                .ks_warn = 0.1,
                .ks_drift = 0.2,
                .missing_drift = 0.1,
                .range_drift = 0.05,
                .unseen_drift = 0.05},
};

/* The run: where rows come from, how they are scored, and the profile they go into. */
struct run {
	const char *name;
	struct clean *clean;
	struct handoff ho; /* raw CSV: parsed rows, cleaned and profiled by a worker */
	struct batch cleaned;
	struct encoder enc;
	int have_enc;
	struct schema enc_schema;
	struct batch encoded;
	struct model model;
	size_t *feature_col; /* model feature i is column feature_col[i] of the scored batch */
	double *x, *score;
	size_t cap_rows;
	int bound;
	uint64_t rows;
	struct schema in; /* the data's schema (clean's output, or the stream's) */
	struct drift_ref ref;
	char err[1024];
};

static void
usage(void)
{
	fprintf(stderr, SYNOPSIS, progname);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf(SYNOPSIS, progname);
	printf("  --reference FILE        compare the input with this reference profile\n"
	       "  --save-reference FILE   build a reference profile from the input (training\n"
	       "                          data) and save it to FILE\n"
	       "  --state FILE            the input is raw CSV: clean it with this csvclean state\n"
	       "  --encode-state FILE     encode rows with this state before --model scores them\n"
	       "  --model FILE            score rows with this model: prediction drift\n"
	       "  --report FILE           write the JSON report to FILE (- for stdout)\n"
	       "  --bins N                with --save-reference: PSI quantile bins (10)\n"
	       "  --points N              with --save-reference: distinct values kept per\n"
	       "                          numeric column; KS is exact up to N (10000)\n"
	       "  --psi-warn X            PSI at which a column warns (0.1)\n"
	       "  --psi-drift X           PSI at which a column drifts (0.25)\n"
	       "  --ks-warn X             KS statistic at which a column warns (0.1)\n"
	       "  --ks-drift X            KS statistic at which a column drifts (0.2)\n"
	       "  --missing-drift X       change of the missing rate that drifts (0.1)\n"
	       "  --range-drift X         share outside training's min..max that drifts (0.05)\n"
	       "  --unseen-drift X        share of unseen categories that drifts (0.05)\n"
	       "  --ignore COLS           leave these columns out of every check\n"
	       "  --target present|absent the target must be present (or absent) in the input\n"
	       "  -q, --quiet             no table on stderr\n"
	       "  -j, --jobs N            threads for raw CSV: 1, or 2 (default: cores)\n"
	       "  -h, --help              this help\n"
	       "  -V, --version           print the version\n"
	       "Exit status: 0 no drift, 3 drift, 1 bad data, 2 bad usage.\n");
}

static void
load_encoder(struct run *run, const char *path)
{
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		die("%s:", path);
	if (encoder_load(&run->enc, fp, run->err, sizeof run->err) != 0)
		die("%s: %s", path, run->err);
	fclose(fp);
	run->have_enc = 1;
}

static void
load_model(struct run *run, const char *path)
{
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		die("%s:", path);
	if (model_load(fp, path, &run->model, run->err, sizeof run->err) != 0)
		die("%s", run->err);
	fclose(fp);
}

static void
load_reference(struct run *run, const char *path)
{
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		die("%s:", path);
	if (drift_load(&run->ref, fp, run->err, sizeof run->err) != 0)
		die("%s: %s", path, run->err);
	fclose(fp);
	if (opt.model && !run->ref.has_score)
		die("%s: no training scores: build it with --model to check prediction drift",
		    path);
}

/* The model's features, found by name among the columns that are scored. */
static void
bind_model(struct run *run, const struct schema *s)
{
	run->feature_col = xcalloc(run->model.nfeatures, sizeof *run->feature_col);
	for (size_t i = 0; i < run->model.nfeatures; i++) {
		long k = schema_find(s, run->model.features[i]);

		if (k < 0 || s->cols[k].type != COL_F64)
			die("%s: the model's feature '%s' is not a numeric column of the %s",
			    run->name, run->model.features[i],
			    run->have_enc ? "encoded rows" : "input");
		run->feature_col[i] = (size_t)k;
	}
}

/* The schema of the rows to profile is known: bind the encoder, the model, the reference. */
static void
bind_input(struct run *run, const struct schema *s)
{
	schema_copy(&run->in, s);
	if (run->have_enc) {
		if (encoder_bind(&run->enc, s, &run->enc_schema, run->err, sizeof run->err) != 0)
			die("%s: %s", run->name, run->err);
		batch_init(&run->encoded, &run->enc_schema);
	}
	if (opt.model)
		bind_model(run, run->have_enc ? &run->enc_schema : s);
	if (opt.save_reference)
		drift_learn_start(&run->ref, s, (size_t)opt.bins, (size_t)opt.points,
		                  opt.model != NULL);
	else
		drift_check_start(&run->ref, s, opt.ignore);
	run->bound = 1;
}

/* P(y = 1) of b's rows, or NULL without a model. */
static const double *
score_rows(struct run *run, const struct batch *b)
{
	const struct batch *fb = b;
	size_t nf = run->model.nfeatures;

	if (!opt.model)
		return NULL;
	if (run->have_enc) {
		if (encoder_apply(&run->enc, b, &run->encoded, run->rows + 1, run->err,
		                  sizeof run->err) != 0)
			die("%s: %s", run->name, run->err);
		fb = &run->encoded;
	}
	if (b->nrows > run->cap_rows) {
		run->cap_rows = b->nrows;
		run->x = xreallocarray(run->x, run->cap_rows, nf * sizeof *run->x);
		run->score = xreallocarray(run->score, run->cap_rows, sizeof *run->score);
	}
	for (size_t i = 0; i < b->nrows; i++)
		for (size_t f = 0; f < nf; f++)
			run->x[i * nf + f] = fb->cols[run->feature_col[f]].f64[i];
	model_predict(&run->model, run->x, b->nrows, run->score);
	return run->score;
}

static void
profile(struct run *run, const struct batch *b)
{
	const double *score = score_rows(run, b);

	if (opt.save_reference)
		drift_learn_batch(&run->ref, b, score);
	else
		drift_check_batch(&run->ref, b, score);
	run->rows += b->nrows;
}

/*
 * Raw CSV is parsed (clean_row) by the main thread while a worker cleans (clean_transform)
 * and profiles the batch before (handoff.h): the counts are those of one thread.
 * clean_transform reads only the state's rules, which clean_row does not change.
 */
static void
profile_parsed(void *ctx, struct batch *parsed)
{
	struct run *run = ctx;

	clean_transform(run->clean, parsed, &run->cleaned);
	profile(run, &run->cleaned);
	batch_clear(&run->cleaned);
}

static int
on_row(void *ctx, const struct csv_row *row)
{
	struct run *run = ctx;
	struct handoff *ho = &run->ho;

	if (row->recno == 0) {
		if (clean_bind(run->clean, row, run->name, run->err, sizeof run->err) != 0)
			die("%s", run->err);
		batch_init(&run->cleaned, clean_output_schema(run->clean));
		bind_input(run, clean_output_schema(run->clean));
		handoff_start(ho, clean_parsed_schema(run->clean), opt.jobs > 1, profile_parsed,
		              run);
		return 0;
	}
	if (clean_row(run->clean, row, handoff_batch(ho), run->err, sizeof run->err) < 0)
		die("%s:%llu: %s", run->name, (unsigned long long)row->line, run->err);
	if (handoff_batch(ho)->nrows == STREAM_BATCH_ROWS)
		handoff_push(ho);
	return 0;
}

static void
read_csv(struct run *run, FILE *in)
{
	struct csvin_opts copts = {.ragged_ok = 1};
	struct handoff *ho = &run->ho;

	run->clean = clean_new();
	if (clean_load_state(run->clean, opt.state, run->err, sizeof run->err) != 0)
		die("%s", run->err);
	if (csvin_read(in, run->name, &copts, on_row, run, run->err, sizeof run->err) != 0)
		die("%s", run->err);
	if (!run->bound)
		die("%s: no header", run->name);
	handoff_finish(ho);
	batch_free(&run->cleaned);
	clean_free(run->clean);
}

static void
read_stream(struct run *run, FILE *in)
{
	struct stream_reader *r = stream_open_or_die(in, run->name);
	struct batch b;

	bind_input(run, stream_reader_schema(r));
	batch_init(&b, stream_reader_schema(r));
	while (stream_next(r, &b))
		profile(run, &b);
	batch_free(&b);
	stream_reader_close(r);
}

static void
save_reference(struct run *run)
{
	struct atomic_file af;
	char source[256];

	if (run->rows == 0)
		die("%s: no rows: a reference is learned from the training rows", run->name);
	drift_learn_finish(&run->ref);
	snprintf(source, sizeof source, "%s%s%s", run->name, opt.state ? " via " : "",
	         opt.state ? opt.state : "");
	run->ref.source = xstrdup(source);
	if (atomic_open(&af, opt.save_reference) != 0)
		die("%s:", opt.save_reference);
	if (drift_save(&run->ref, af.fp) != 0 || atomic_commit(&af) != 0)
		die("%s:", opt.save_reference);
}

static int
report(struct run *run)
{
	struct jbuf j;
	enum drift_status st;

	jbuf_init(&j);
	st = drift_report(&run->ref, &run->in, &opt.lim, opt.ignore, opt.expect_target, &j,
	                  opt.quiet ? NULL : stderr);
	jbuf_text(&j, "\n");
	if (opt.report && strcmp(opt.report, "-") == 0) {
		fputs(j.s, stdout); /* drift writes nothing else there */
	} else if (opt.report) {
		struct atomic_file af;

		if (atomic_open(&af, opt.report) != 0)
			die("%s:", opt.report);
		fputs(j.s, af.fp);
		if (atomic_commit(&af) != 0)
			die("%s:", opt.report);
	}
	jbuf_free(&j);
	return st == DRIFT_DRIFT ? EXIT_DRIFT : 0;
}

static void
parse_options(int argc, char **argv)
{
	enum {
		O_REF = 256,
		O_SAVE,
		O_STATE,
		O_ENC,
		O_MODEL,
		O_REPORT,
		O_BINS,
		O_POINTS,
		O_PSIW,
		O_PSID,
		O_KSW,
		O_KSD,
		O_MISS,
		O_RANGE,
		O_UNSEEN,
		O_IGNORE,
		O_TARGET
	};
	static const struct option longopts[] = {
	        {"reference", required_argument, NULL, O_REF},
	        {"save-reference", required_argument, NULL, O_SAVE},
	        {"state", required_argument, NULL, O_STATE},
	        {"encode-state", required_argument, NULL, O_ENC},
	        {"model", required_argument, NULL, O_MODEL},
	        {"report", required_argument, NULL, O_REPORT},
	        {"bins", required_argument, NULL, O_BINS},
	        {"points", required_argument, NULL, O_POINTS},
	        {"psi-warn", required_argument, NULL, O_PSIW},
	        {"psi-drift", required_argument, NULL, O_PSID},
	        {"ks-warn", required_argument, NULL, O_KSW},
	        {"ks-drift", required_argument, NULL, O_KSD},
	        {"missing-drift", required_argument, NULL, O_MISS},
	        {"range-drift", required_argument, NULL, O_RANGE},
	        {"unseen-drift", required_argument, NULL, O_UNSEEN},
	        {"ignore", required_argument, NULL, O_IGNORE},
	        {"target", required_argument, NULL, O_TARGET},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {"jobs", required_argument, NULL, 'j'},
	        {NULL, 0, NULL, 0},
	};
	struct drift_limits *l = &opt.lim;
	int c;

	opt.jobs = online_cores();
	while ((c = getopt_long(argc, argv, "qj:hV", longopts, NULL)) != -1) {
		switch (c) {
		case O_REF:
			opt.reference = optarg;
			break;
		case O_SAVE:
			opt.save_reference = optarg;
			break;
		case O_STATE:
			opt.state = optarg;
			break;
		case O_ENC:
			opt.encode_state = optarg;
			break;
		case O_MODEL:
			opt.model = optarg;
			break;
		case O_REPORT:
			opt.report = optarg;
			break;
		case O_BINS:
			opt.bins = opt_long("--bins", optarg, 2, 1000);
			break;
		case O_POINTS:
			opt.points = opt_long("--points", optarg, 2, DRIFT_MAX_POINTS);
			break;
		case O_PSIW:
			l->psi_warn = opt_f64("--psi-warn", optarg);
			break;
		case O_PSID:
			l->psi_drift = opt_f64("--psi-drift", optarg);
			break;
		case O_KSW:
			l->ks_warn = opt_f64("--ks-warn", optarg);
			break;
		case O_KSD:
			l->ks_drift = opt_f64("--ks-drift", optarg);
			break;
		case O_MISS:
			l->missing_drift = opt_f64("--missing-drift", optarg);
			break;
		case O_RANGE:
			l->range_drift = opt_f64("--range-drift", optarg);
			break;
		case O_UNSEEN:
			l->unseen_drift = opt_f64("--unseen-drift", optarg);
			break;
		case O_IGNORE:
			opt.ignore = optarg;
			break;
		case O_TARGET:
			if (strcmp(optarg, "present") != 0 && strcmp(optarg, "absent") != 0)
				usage_die("--target: expected present or absent, not '%s'", optarg);
			opt.expect_target = strcmp(optarg, "present") == 0;
			break;
		case 'q':
			opt.quiet = 1;
			break;
		case 'j':
			opt.jobs = opt_long("-j", optarg, 1, 256);
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
	if ((opt.reference == NULL) == (opt.save_reference == NULL))
		usage_die("give one of --reference and --save-reference");
	if (opt.encode_state && !opt.model)
		usage_die("--encode-state is for scoring: it needs --model");
	if (l->psi_warn > l->psi_drift || l->ks_warn > l->ks_drift)
		usage_die("a warn threshold is above its drift threshold");
}

int
main(int argc, char **argv)
{
	struct run run;
	FILE *in;
	int status = 0;

	setprogname(argv[0]);
	signals_init();
	parse_options(argc, argv);
	memset(&run, 0, sizeof run);
	if (opt.reference)
		load_reference(&run, opt.reference);
	if (opt.encode_state)
		load_encoder(&run, opt.encode_state);
	if (opt.model)
		load_model(&run, opt.model);
	in = open_input(optind < argc ? argv[optind] : NULL, &run.name);
	if (opt.state)
		read_csv(&run, in);
	else
		read_stream(&run, in);
	if (opt.save_reference)
		save_reference(&run);
	else
		status = report(&run);
	drift_free(&run.ref);
	schema_free(&run.in);
	if (run.have_enc) {
		encoder_free(&run.enc);
		schema_free(&run.enc_schema);
		batch_free(&run.encoded);
	}
	if (opt.model)
		model_free(&run.model);
	free(run.feature_col);
	free(run.x);
	free(run.score);
	fshut(stdout, "stdout");
	return status;
}
