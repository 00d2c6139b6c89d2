/*
 * search.h: random search over hyperparameters, each candidate scored by stratified K-fold
 * cross-validation, for any model kind through a small table of functions (struct learner).
 * Results do not depend on the number of threads.
 */
#ifndef PIPEML_SEARCH_H
#define PIPEML_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dataset.h"
#include "metrics.h"
#include "model.h"

/*
 * A learner: a kind's hyperparameters and fit. config_new gives the defaults; set_param
 * returns 0, -1 for an invalid value (message in err: a failed candidate in a search, an
 * error on its own) or -2 for a name the learner does not know (a usage error); check
 * validates the combination once every parameter is set (0 or -1 with the reason). fit
 * returns the fitted part (ops->free releases it) or NULL with the reason in err; it must
 * be safe to call from several threads at once. Prediction and freeing go through ops.
 */
struct learner {
	const struct model_kind *ops;
	void *(*config_new)(void);
	int (*set_param)(void *cfg, const char *name, const char *value, char *err, size_t errsize);
	int (*check)(void *cfg, char *err, size_t errsize);
	void *(*fit)(const void *cfg, const struct dataset *d, char *err, size_t errsize);
	void (*config_free)(void *cfg);
	/*
	 * Optional (NULL: none): the part of a fit that depends on the rows and on few
	 * parameters (fit-gbt's bins), made by prepare once per fold of a search and shared by
	 * the fits of every candidate that prepared_fits accepts, which go through fit_prepared
	 * and give what fit gives. Safe to call from several threads at once, as fit.
	 */
	void *(*prepare)(const void *cfg, const struct dataset *d);
	int (*prepared_fits)(const void *prep, const void *cfg);
	void *(*fit_prepared)(const void *cfg, const struct dataset *d, const void *prep, char *err,
	                      size_t errsize);
	void (*prepared_free)(void *prep);
};

/* One --param: name=v1,v2,... | name=uniform:a:b | name=loguniform:a:b | name=randint:a:b */
enum search_dist { DIST_LIST, DIST_UNIFORM, DIST_LOGUNIFORM, DIST_RANDINT };

struct search_param {
	char *name;
	enum search_dist dist;
	size_t nvalues; /* DIST_LIST */
	char **values;
	double lo, hi; /* distributions: uniform [lo, hi), randint lo .. hi - 1 (scipy's) */
};

/* Parse "name=spec" into p: 0, or -1 with the message in err. */
int search_param_parse(const char *arg, struct search_param *p, char *err, size_t errsize);
void search_param_free(struct search_param *p);

struct search_options {
	size_t ncandidates; /* --search N */
	size_t nfolds;      /* --cv K (>= 2) */
	uint64_t seed;
	enum metric scoring;
	int threads;  /* -j, >= 1 */
	int progress; /* progress with time left on stderr */
};

struct search_candidate {
	size_t nparams;
	struct model_param *params; /* this candidate's values, in --param order */
	double *fold_scores;        /* nfolds; NaN for a failed fit */
	double mean, sd;            /* over folds (sd with n, as scikit-learn); NaN if failed */
	double fit_seconds;         /* total over folds */
	char *failure;              /* NULL, or why the candidate failed */
};

struct search_result {
	size_t ncandidates;
	size_t nfolds;
	enum metric scoring;
	struct search_candidate *cands;
	long best; /* highest mean score (first on ties), -1 when every candidate failed */
};

/*
 * Draw the candidates (with --seed: all-list parameters are sampled from the grid without
 * replacement, as scikit-learn's ParameterSampler; otherwise each independently), score
 * each by stratified K-fold CV on d and fill res. Returns 0, or -1 with the message in err
 * (a usage-level problem: an unknown parameter name, more folds than rows of a class).
 */
int search_run(const struct learner *l, const struct search_param *sp, size_t nsp,
               const struct dataset *d, const struct search_options *o, struct search_result *res,
               char *err, size_t errsize);

/*
 * Stratified K-fold assignment as scikit-learn's StratifiedKFold without shuffling:
 * fold[i] in 0..k-1 for each of the n labels y (0/1).
 */
void stratified_folds(const double *y, size_t n, size_t k, unsigned *fold);

/* Configure a learner from name/value pairs: the config, or NULL with the reason in err;
 * *unknown is set when a name is unknown (a usage error rather than a failed candidate). */
void *learner_configure(const struct learner *l, const struct model_param *params, size_t nparams,
                        int *unknown, char *err, size_t errsize);

/* The report as one JSON object (every candidate; no newline after it), and a few summary
 * lines for stderr. */
void search_report_json(FILE *fp, const struct search_result *res);
void search_summary(FILE *fp, const struct search_result *res);
/* The candidates as a tab-separated table with a header line: candidate (its index), mean,
 * sd, fit_seconds, params ("name=value" separated by spaces), failure; numbers written as
 * in the JSON report, a failed candidate's mean and sd empty. */
void search_table_tsv(FILE *fp, const struct search_result *res);
/* Meta for the model: {"folds", "scoring", "candidates", "best_mean", "best_sd"} */
void search_pack_meta(msgpack_packer *pk, const struct search_result *res);
void search_result_free(struct search_result *res);

/*
 * The command line every fitting tool shares: -p/--param, -s/--search, -k/--cv and
 * -m/--scoring, handled once here so that they mean the same in fit-logreg and fit-gbt.
 */
struct search_cli {
	struct search_param *params;
	size_t nparams;
	long search; /* candidates; 0: one fit with the given values */
	long cv;
	enum metric scoring;
	const char *table; /* --table FILE: search_table_tsv, written by search_cli_run */
};
/* getopt_long's value for --table (a long option only) */
#define SEARCH_OPT_TABLE 0x5442
#define SEARCH_CLI_INIT                                                                            \
	{                                                                                          \
		.cv = 5, .scoring = METRIC_ACCURACY                                                \
	}
/* Take getopt's option c ('p', 's', 'k', 'm' or SEARCH_OPT_TABLE) with its argument: 1 when it was
 * one of these (dies with EXIT_USAGE on a bad value), 0 otherwise. */
int search_cli_option(struct search_cli *cli, int c, const char *arg);
/* The single values of the --param options, for one fit without --search (dies with
 * EXIT_USAGE naming a parameter given several values, or on --table, which needs --search).
 * The names and values are borrowed. */
struct model_param *search_cli_fixed(const struct search_cli *cli, size_t *n);
/* Run the search of cli with learner l, print its summary on stderr and write the --table
 * file; dies when the search cannot run or every candidate failed. */
void search_cli_run(const struct learner *l, const struct search_cli *cli, const struct dataset *d,
                    const struct search_options *o, struct search_result *res);
void search_cli_free(struct search_cli *cli);

#endif
