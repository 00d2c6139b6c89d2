/* fit-logreg: fit a logistic regression (optionally after a random search) and write the model. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dataset.h"
#include "logreg.h"
#include "model.h"
#include "search.h"
#include "util.h"

static struct {
	struct search_cli cli;
	uint64_t seed;
	int seed_given;
	long threads;
	const char *report;
	int progress;
	int no_timestamp;
	int verbose;
} opt = {.cli = SEARCH_CLI_INIT, .seed = 0};

#define SYNOPSIS                                                                                   \
	"[-p name=values] [-s N] [-k K] [-m metric] [-S seed] [-j N] [-R file] [-P] [-T]\n"        \
	"       [--table file] [-v] [file]"

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
	       "  -p, --param NAME=VALUES  a hyperparameter: one value, a list v1,v2,... or\n"
	       "                           uniform:A:B, loguniform:A:B, randint:A:B (with\n"
	       "                           --search); names: solver, penalty, C, l1_ratio,\n"
	       "                           tol, max_iter, fit_intercept, penalize_intercept,\n"
	       "                           class_weight\n"
	       "  -s, --search N           random search of N candidates, then refit the best\n"
	       "  -k, --cv K               folds of the stratified cross-validation (5)\n"
	       "  -m, --scoring METRIC     accuracy (default), f1, roc_auc or log_loss\n"
	       "  -S, --seed S             seed of the candidates' draw (0)\n"
	       "  -j, --jobs N             threads (default: all cores); never changes the model\n"
	       "  -R, --report FILE        write a JSON report of the fit and the search\n"
	       "      --table FILE         write the search's candidates as a TSV table\n"
	       "  -P, --progress           show the search's progress on stderr\n"
	       "  -T, --no-timestamp       leave the creation time out of the model\n"
	       "  -v, --verbose            print iterations, objective and gradient norm\n"
	       "  -h, --help               this help\n"
	       "  -V, --version            print the version\n",
	       progname);
}

static void
parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"param", required_argument, NULL, 'p'},
	        {"search", required_argument, NULL, 's'},
	        {"cv", required_argument, NULL, 'k'},
	        {"scoring", required_argument, NULL, 'm'},
	        {"table", required_argument, NULL, SEARCH_OPT_TABLE},
	        {"seed", required_argument, NULL, 'S'},
	        {"jobs", required_argument, NULL, 'j'},
	        {"report", required_argument, NULL, 'R'},
	        {"progress", no_argument, NULL, 'P'},
	        {"no-timestamp", no_argument, NULL, 'T'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	opt.threads = online_cores();
	if (opt.threads > 64) /* the most -j takes */
		opt.threads = 64;
	while ((c = getopt_long(argc, argv, "p:s:k:m:S:j:R:PTvhV", longopts, NULL)) != -1) {
		if (search_cli_option(&opt.cli, c, optarg))
			continue;
		switch (c) {
		case 'S':
			opt.seed = (uint64_t)opt_long("--seed", optarg, 0, 0x7fffffffffffffffL);
			opt.seed_given = 1;
			break;
		case 'j':
			opt.threads = opt_long("-j", optarg, 1, 64);
			break;
		case 'R':
			opt.report = optarg;
			break;
		case 'P':
			opt.progress = 1;
			break;
		case 'T':
			opt.no_timestamp = 1;
			break;
		case 'v':
			opt.verbose = 1;
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
	if (!opt.cli.search)
		free(search_cli_fixed(&opt.cli, &(size_t){0}));
}

static void
run_search(const struct dataset *d, struct search_result *res)
{
	struct search_options so = {.ncandidates = (size_t)opt.cli.search,
	                            .nfolds = (size_t)opt.cli.cv,
	                            .seed = opt.seed,
	                            .scoring = opt.cli.scoring,
	                            .threads = (int)opt.threads,
	                            .progress = opt.progress || isatty(2)};

	search_cli_run(&logreg_learner, &opt.cli, d, &so, res);
}

static struct logreg_fit *
fit(const struct dataset *d, const struct model_param *params, size_t n)
{
	struct logreg_config *cfg;
	struct logreg_fit *f;
	char err[512];
	int unknown;

	cfg = learner_configure(&logreg_learner, params, n, &unknown, err, sizeof err);
	if (!cfg) {
		if (unknown)
			usage_die("%s", err);
		die("%s", err);
	}
	cfg->threads = (int)opt.threads;
	f = logreg_train(cfg, d, err, sizeof err);
	free(cfg);
	if (!f)
		die("%s", err);
	if (!f->converged)
		warn("did not converge in %ld iterations (gradient norm %g, objective %.17g); "
		     "raise max_iter or tol",
		     f->iterations, f->grad_norm, f->objective);
	if (opt.verbose)
		fprintf(stderr, "%s: %ld iterations, objective %.17g, gradient norm %g\n", progname,
		        f->iterations, f->objective, f->grad_norm);
	return f;
}

static void
pack_meta(struct model *m, const struct dataset *d, const char *sha,
          const struct search_result *res)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char when[32];
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int stamp = !opt.no_timestamp && !(sde && *sde);
	time_t t = time(NULL);

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4 + (size_t)stamp + (opt.seed_given || res) + (res != NULL));
	mp_pack_str(&pk, "tool");
	mp_pack_str(&pk, "fit-logreg " PIPEML_VERSION);
	if (stamp) {
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		mp_pack_str(&pk, "created");
		mp_pack_str(&pk, when);
	}
	mp_pack_str(&pk, "data_sha256");
	mp_pack_str(&pk, sha);
	mp_pack_str(&pk, "rows");
	msgpack_pack_uint64(&pk, d->nrows);
	mp_pack_str(&pk, "positives");
	msgpack_pack_uint64(&pk, d->npositive);
	if (opt.seed_given || res) {
		mp_pack_str(&pk, "seed");
		msgpack_pack_uint64(&pk, opt.seed);
	}
	if (res) {
		mp_pack_str(&pk, "cv");
		search_pack_meta(&pk, res);
	}
	if (model_set_meta(m, sb.data, sb.size) < 0)
		die("internal error: meta is not a map");
	msgpack_sbuffer_destroy(&sb);
}

static void
write_report(const struct logreg_fit *f, const struct search_result *res)
{
	struct atomic_file af;
	char num[64];

	if (atomic_open(&af, opt.report) < 0)
		die("%s:", opt.report);
	fprintf(af.fp, "{\"fit\": {\"iterations\": %ld, \"objective\": ", f->iterations);
	format_f64(num, sizeof num, f->objective);
	fprintf(af.fp, "%s, \"grad_norm\": ", num);
	format_f64(num, sizeof num, f->grad_norm);
	fprintf(af.fp, "%s, \"converged\": %s},\n \"search\": ", num,
	        f->converged ? "true" : "false");
	if (res)
		search_report_json(af.fp, res);
	else
		fputs("null", af.fp);
	fputs("}\n", af.fp);
	if (atomic_commit(&af) < 0)
		die("%s:", opt.report);
}

int
main(int argc, char **argv)
{
	struct dataset d;
	struct search_result res;
	struct model_param *params;
	struct logreg_fit *f;
	struct model m;
	char sha[65] = "";
	int rc;
	size_t nparams;
	const char *name;
	char err[1024];
	FILE *in;

	setprogname(argv[0]);
	signals_init();
	parse_options(argc, argv);
	in = open_input(optind < argc ? argv[optind] : NULL, &name);
	/* The data's checksum: on a second thread while the rows arrive, or after the fit. */
	rc = opt.threads > 1 ? dataset_read_sha256(in, name, &d, sha, err, sizeof err)
	                     : dataset_read(in, name, DATASET_ROWS, &d, err, sizeof err);
	if (rc < 0)
		die("%s", err);
	if (opt.cli.search) {
		run_search(&d, &res);
		params = res.cands[res.best].params;
		nparams = res.cands[res.best].nparams;
	} else {
		params = search_cli_fixed(&opt.cli, &nparams);
	}
	f = fit(&d, params, nparams);
	model_init(&m, &logreg_kind);
	model_set_features(&m, d.features, d.nfeatures, d.target);
	for (size_t i = 0; i < nparams; i++)
		model_add_param(&m, params[i].name, params[i].value);
	if (!*sha)
		dataset_sha256(&d, sha);
	pack_meta(&m, &d, sha, opt.cli.search ? &res : NULL);
	if (opt.report)
		write_report(f, opt.cli.search ? &res : NULL);
	m.fitted = f;
	model_save(stdout, "stdout", &m);
	model_free(&m);
	if (opt.cli.search)
		search_result_free(&res);
	else
		free(params);
	dataset_free(&d);
	search_cli_free(&opt.cli);
	return 0;
}
