/* search.c: random search with stratified K-fold cross-validation, on threads. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "rng.h"
#include "search.h"
#include "util.h"

int
search_param_parse(const char *arg, struct search_param *p, char *err, size_t errsize)
{
	const char *eq = strchr(arg, '='), *spec;
	static const struct {
		const char *prefix;
		enum search_dist dist;
	} dists[] = {{"uniform:", DIST_UNIFORM},
	             {"loguniform:", DIST_LOGUNIFORM},
	             {"randint:", DIST_RANDINT}};

	memset(p, 0, sizeof *p);
	if (!eq || eq == arg || eq[1] == '\0')
		return errf(err, errsize, "--param \"%s\": expected name=values", arg);
	p->name = xstrndup(arg, (size_t)(eq - arg));
	spec = eq + 1;
	for (size_t i = 0; i < sizeof dists / sizeof dists[0]; i++) {
		size_t len = strlen(dists[i].prefix);
		const char *colon;

		if (strncmp(spec, dists[i].prefix, len) != 0)
			continue;
		p->dist = dists[i].dist;
		colon = strchr(spec + len, ':');
		if (!colon || parse_f64(spec + len, (size_t)(colon - spec - len), &p->lo) < 0 ||
		    parse_f64(colon + 1, strlen(colon + 1), &p->hi) < 0 || !(p->lo < p->hi) ||
		    (p->dist == DIST_LOGUNIFORM && !(p->lo > 0)) ||
		    (p->dist == DIST_RANDINT && (p->lo != floor(p->lo) || p->hi != floor(p->hi)))) {
			search_param_free(p);
			return errf(
			        err, errsize,
			        "--param \"%s\": expected %sA:B with A < B (integers for randint, "
			        "A > 0 for loguniform)",
			        arg, dists[i].prefix);
		}
		return 0;
	}
	p->dist = DIST_LIST;
	for (const char *s = spec;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		if (len == 0) {
			search_param_free(p);
			return errf(err, errsize, "--param \"%s\": empty value", arg);
		}
		p->values = xreallocarray(p->values, p->nvalues + 1, sizeof *p->values);
		p->values[p->nvalues++] = xstrndup(s, len);
		if (!comma)
			break;
		s = comma + 1;
	}
	return 0;
}

void
search_param_free(struct search_param *p)
{
	for (size_t i = 0; i < p->nvalues; i++)
		free(p->values[i]);
	free(p->values);
	free(p->name);
	memset(p, 0, sizeof *p);
}

/* How many of the sorted positions first .. first + count - 1 fall to fold f (q mod k). */
static size_t
fold_share(size_t first, size_t count, size_t k, size_t f)
{
	size_t share = 0;

	for (size_t q = first; q < first + count; q++)
		share += q % k == f;
	return share;
}

/*
 * scikit-learn's StratifiedKFold(shuffle=False): the labels in sorted order are dealt to the
 * folds round-robin to get each fold's count per class; then, within each class, rows in
 * their order fill fold 0's share, then fold 1's, and so on.
 */
void
stratified_folds(const double *y, size_t n, size_t k, unsigned *fold)
{
	size_t count[2] = {0, 0};
	/* scikit-learn numbers the classes in the order they first appear */
	int first_class = n && y[0] == 1;

	for (size_t i = 0; i < n; i++)
		count[y[i] == 1]++;
	for (int rank = 0; rank < 2; rank++) {
		int cls = rank ? !first_class : first_class;
		/* sorted labels: the first class's rows take positions 0.., the other's follow */
		size_t first = rank ? count[first_class] : 0, f = 0, used = 0;
		size_t share = fold_share(first, count[cls], k, 0);

		for (size_t i = 0; i < n; i++) {
			if ((y[i] == 1) != cls)
				continue;
			while (used == share) {
				f++;
				used = 0;
				share = fold_share(first, count[cls], k, f);
			}
			fold[i] = (unsigned)f;
			used++;
		}
	}
}

void *
learner_configure(const struct learner *l, const struct model_param *params, size_t nparams,
                  int *unknown, char *err, size_t errsize)
{
	void *cfg = l->config_new();

	*unknown = 0;
	for (size_t i = 0; i < nparams; i++) {
		int rc = l->set_param(cfg, params[i].name, params[i].value, err, errsize);

		if (rc < 0) {
			*unknown = rc == -2;
			l->config_free(cfg);
			return NULL;
		}
	}
	if (l->check(cfg, err, errsize) < 0) {
		l->config_free(cfg);
		return NULL;
	}
	return cfg;
}

static void
set_value(struct model_param *mp, const struct search_param *sp, struct rng *state, size_t pick)
{
	char buf[64];

	mp->name = xstrdup(sp->name);
	switch (sp->dist) {
	case DIST_LIST:
		mp->value = xstrdup(sp->values[pick]);
		return;
	case DIST_UNIFORM:
		format_f64(buf, sizeof buf, sp->lo + (sp->hi - sp->lo) * rng_uniform(state));
		break;
	case DIST_LOGUNIFORM:
		format_f64(buf, sizeof buf,
		           exp(log(sp->lo) + (log(sp->hi) - log(sp->lo)) * rng_uniform(state)));
		break;
	case DIST_RANDINT:
		snprintf(buf, sizeof buf, "%.0f",
		         sp->lo + (double)rng_below(state, (uint64_t)(sp->hi - sp->lo)));
		break;
	}
	mp->value = xstrdup(buf);
}

/* Draw the candidates' parameter values into res (see search_run). */
static void
draw_candidates(const struct search_param *sp, size_t nsp, const struct search_options *o,
                struct search_result *res)
{
	uint64_t grid = 1;
	struct rng state;
	int all_lists = 1;
	size_t n = o->ncandidates;
	uint64_t *picked = NULL;

	rng_seed(&state, o->seed);
	for (size_t i = 0; i < nsp; i++) {
		if (sp[i].dist != DIST_LIST || grid > UINT64_MAX / 2 / (sp[i].nvalues + 1))
			all_lists = 0;
		else
			grid *= sp[i].nvalues;
	}
	if (all_lists && n > grid)
		n = (size_t)grid;
	res->ncandidates = n;
	res->cands = xcalloc(n ? n : 1, sizeof *res->cands);
	if (all_lists)
		picked = xcalloc(n ? n : 1, sizeof *picked);
	for (size_t c = 0; c < n; c++) {
		struct search_candidate *cd = &res->cands[c];
		uint64_t index = 0;

		if (all_lists) {
			/* a grid point not drawn before (grid points in row-major order) */
			for (int fresh = 0; !fresh;) {
				index = rng_below(&state, grid);
				fresh = 1;
				for (size_t q = 0; q < c; q++)
					fresh &= picked[q] != index;
			}
			picked[c] = index;
		}
		cd->nparams = nsp;
		cd->params = xcalloc(nsp ? nsp : 1, sizeof *cd->params);
		for (size_t i = nsp; i-- > 0;) {
			size_t pick = 0;

			if (all_lists) {
				pick = (size_t)(index % sp[i].nvalues);
				index /= sp[i].nvalues;
			} else if (sp[i].dist == DIST_LIST) {
				pick = (size_t)rng_below(&state, sp[i].nvalues);
			}
			set_value(&cd->params[i], &sp[i], &state, pick);
		}
	}
	free(picked);
}

/* A fold's prepared parts (learner's prepare), made by its first fit that needs one and
 * freed when the fold's last job is done. */
struct fold_prep {
	pthread_mutex_t lock;
	void **preps;
	size_t nprep, jobs_left;
};

struct cv_job {
	const struct learner *l;
	const struct search_options *o;
	struct search_result *res;
	void **cfgs;                  /* per candidate, NULL when it failed to configure */
	struct dataset *train, *test; /* per fold */
	struct fold_prep *prep;       /* per fold, when the learner prepares */
	char **fold_failure;          /* per job */
	double *fold_seconds;         /* per job */
	size_t next, done, njobs;
	double start;
	pthread_mutex_t lock;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The prepared part of fold k for candidate c's configuration: found, or made (the fold's
 * other fits wait for it). */
static const void *
fold_prepared(struct cv_job *cv, size_t k, const void *cfg)
{
	struct fold_prep *fp = &cv->prep[k];
	const void *found = NULL;

	pthread_mutex_lock(&fp->lock);
	for (size_t i = 0; i < fp->nprep && !found; i++)
		if (cv->l->prepared_fits(fp->preps[i], cfg))
			found = fp->preps[i];
	if (!found) {
		fp->preps = xreallocarray(fp->preps, fp->nprep + 1, sizeof *fp->preps);
		found = fp->preps[fp->nprep++] = cv->l->prepare(cfg, &cv->train[k]);
	}
	pthread_mutex_unlock(&fp->lock);
	return found;
}

/* One job of fold k done: the last frees the fold's prepared parts. */
static void
fold_done(struct cv_job *cv, size_t k)
{
	struct fold_prep *fp = &cv->prep[k];

	pthread_mutex_lock(&fp->lock);
	if (--fp->jobs_left == 0) {
		for (size_t i = 0; i < fp->nprep; i++)
			cv->l->prepared_free(fp->preps[i]);
		free(fp->preps);
		fp->preps = NULL;
		fp->nprep = 0;
	}
	pthread_mutex_unlock(&fp->lock);
}

/* Job j is candidate j mod C on fold j / C: a fold's fits run together, so that few folds'
 * prepared parts are alive at once. */
static void
run_job(struct cv_job *cv, size_t job)
{
	size_t c = job % cv->res->ncandidates, k = job / cv->res->ncandidates;
	struct search_candidate *cd = &cv->res->cands[c];
	const struct dataset *te = &cv->test[k];
	char err[512];
	double t0 = now(), *prob;
	void *fitted;

	if (!cv->cfgs[c])
		return;
	if (cv->prep)
		fitted = cv->l->fit_prepared(cv->cfgs[c], &cv->train[k],
		                             fold_prepared(cv, k, cv->cfgs[c]), err, sizeof err);
	else
		fitted = cv->l->fit(cv->cfgs[c], &cv->train[k], err, sizeof err);
	if (!fitted) {
		cv->fold_failure[job] = xstrdup(err);
		cd->fold_scores[k] = NAN;
		return;
	}
	prob = xreallocarray(NULL, te->nrows ? te->nrows : 1, sizeof *prob);
	cv->l->ops->predict(fitted, te->x, te->nrows, prob);
	cd->fold_scores[k] = metric_score(cv->o->scoring, te->y, prob, te->nrows);
	cv->fold_seconds[job] = now() - t0;
	free(prob);
	cv->l->ops->free(fitted);
}

static void *
cv_worker(void *arg)
{
	struct cv_job *cv = arg;

	for (;;) {
		size_t job;

		pthread_mutex_lock(&cv->lock);
		job = cv->next++;
		pthread_mutex_unlock(&cv->lock);
		if (job >= cv->njobs)
			return NULL;
		run_job(cv, job);
		if (cv->prep)
			fold_done(cv, job / cv->res->ncandidates);
		pthread_mutex_lock(&cv->lock);
		cv->done++;
		if (cv->o->progress) {
			double el = now() - cv->start;

			fprintf(stderr, "\r%s: search %zu/%zu fits, %.0f s left   ", progname,
			        cv->done, cv->njobs,
			        el / (double)cv->done * (double)(cv->njobs - cv->done));
			if (cv->done == cv->njobs)
				fputc('\n', stderr);
		}
		pthread_mutex_unlock(&cv->lock);
	}
}

static void
make_folds(const struct dataset *d, size_t k, struct dataset *train, struct dataset *test)
{
	unsigned *fold = xreallocarray(NULL, d->nrows, sizeof *fold);
	size_t *tr = xreallocarray(NULL, d->nrows, sizeof *tr);
	size_t *te = xreallocarray(NULL, d->nrows, sizeof *te);

	stratified_folds(d->y, d->nrows, k, fold);
	for (size_t f = 0; f < k; f++) {
		size_t ntr = 0, nte = 0;

		for (size_t i = 0; i < d->nrows; i++) {
			if (fold[i] == f)
				te[nte++] = i;
			else
				tr[ntr++] = i;
		}
		dataset_subset(d, tr, ntr, &train[f]);
		dataset_subset(d, te, nte, &test[f]);
	}
	free(fold);
	free(tr);
	free(te);
}

/* Fold scores → mean, sd (population, as scikit-learn's std_test_score), failure. */
static void
summarise(struct cv_job *cv, size_t c)
{
	struct search_candidate *cd = &cv->res->cands[c];
	size_t K = cv->res->nfolds;
	double sum = 0, ss = 0;

	for (size_t k = 0; k < K; k++) {
		size_t job = k * cv->res->ncandidates + c;

		cd->fit_seconds += cv->fold_seconds[job];
		if (cv->fold_failure[job] && !cd->failure)
			cd->failure = cv->fold_failure[job];
		else
			free(cv->fold_failure[job]);
		sum += cd->fold_scores[k];
	}
	cd->mean = sum / (double)K;
	for (size_t k = 0; k < K; k++)
		ss += (cd->fold_scores[k] - cd->mean) * (cd->fold_scores[k] - cd->mean);
	cd->sd = sqrt(ss / (double)K);
	if (cd->failure)
		cd->mean = cd->sd = NAN;
	if (!isnan(cd->mean) &&
	    (cv->res->best < 0 || cd->mean > cv->res->cands[cv->res->best].mean))
		cv->res->best = (long)c;
}

int
search_run(const struct learner *l, const struct search_param *sp, size_t nsp,
           const struct dataset *d, const struct search_options *o, struct search_result *res,
           char *err, size_t errsize)
{
	struct cv_job cv = {.l = l, .o = o, .res = res};
	size_t K = o->nfolds, nt = o->threads < 1 ? 1 : (size_t)o->threads;
	size_t minority =
	        d->npositive < d->nrows - d->npositive ? d->npositive : d->nrows - d->npositive;
	pthread_t *tid;

	memset(res, 0, sizeof *res);
	res->best = -1;
	res->nfolds = K;
	res->scoring = o->scoring;
	if (K < 2)
		return errf(err, errsize, "--cv %zu: at least 2 folds", K);
	if (minority < K)
		return errf(err, errsize, "--cv %zu: the smaller class has only %zu rows", K,
		            minority);
	draw_candidates(sp, nsp, o, res);
	cv.cfgs = xcalloc(res->ncandidates ? res->ncandidates : 1, sizeof *cv.cfgs);
	for (size_t c = 0; c < res->ncandidates; c++) {
		struct search_candidate *cd = &res->cands[c];
		char msg[512];
		int unknown;

		cd->fold_scores = xcalloc(K, sizeof *cd->fold_scores);
		cv.cfgs[c] =
		        learner_configure(l, cd->params, cd->nparams, &unknown, msg, sizeof msg);
		if (!cv.cfgs[c]) {
			if (unknown) {
				for (size_t q = 0; q < c; q++)
					if (cv.cfgs[q])
						l->config_free(cv.cfgs[q]);
				free(cv.cfgs);
				search_result_free(res);
				return errf(err, errsize, "%s", msg);
			}
			cd->failure = xstrdup(msg);
			cd->mean = cd->sd = NAN;
			for (size_t k = 0; k < K; k++)
				cd->fold_scores[k] = NAN;
		}
	}
	cv.train = xcalloc(K, sizeof *cv.train);
	cv.test = xcalloc(K, sizeof *cv.test);
	make_folds(d, K, cv.train, cv.test);
	if (l->prepare) {
		cv.prep = xcalloc(K, sizeof *cv.prep);
		for (size_t k = 0; k < K; k++) {
			pthread_mutex_init(&cv.prep[k].lock, NULL);
			cv.prep[k].jobs_left = res->ncandidates;
		}
	}
	cv.njobs = res->ncandidates * K;
	cv.fold_failure = xcalloc(cv.njobs ? cv.njobs : 1, sizeof *cv.fold_failure);
	cv.fold_seconds = xcalloc(cv.njobs ? cv.njobs : 1, sizeof *cv.fold_seconds);
	cv.start = now();
	pthread_mutex_init(&cv.lock, NULL);
	tid = xcalloc(nt, sizeof *tid);
	for (size_t t = 1; t < nt; t++)
		if (pthread_create(&tid[t], NULL, cv_worker, &cv) != 0)
			die("cannot start a thread:");
	cv_worker(&cv);
	for (size_t t = 1; t < nt; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&cv.lock);
	for (size_t c = 0; c < res->ncandidates; c++) {
		if (cv.cfgs[c]) {
			summarise(&cv, c);
			l->config_free(cv.cfgs[c]);
		}
	}
	for (size_t k = 0; k < K; k++) {
		dataset_subset_free(&cv.train[k]);
		dataset_subset_free(&cv.test[k]);
		if (cv.prep)
			pthread_mutex_destroy(&cv.prep[k].lock);
	}
	free(cv.prep);
	free(tid);
	free(cv.train);
	free(cv.test);
	free(cv.cfgs);
	free(cv.fold_failure);
	free(cv.fold_seconds);
	return 0;
}

void
search_report_json(FILE *fp, const struct search_result *res)
{
	fprintf(fp, "{\"scoring\": ");
	json_str(fp, metric_name(res->scoring), strlen(metric_name(res->scoring)));
	fprintf(fp, ", \"folds\": %zu, \"best\": ", res->nfolds);
	if (res->best >= 0)
		fprintf(fp, "%ld", res->best);
	else
		fputs("null", fp);
	fprintf(fp, ",\n \"candidates\": [");
	for (size_t c = 0; c < res->ncandidates; c++) {
		const struct search_candidate *cd = &res->cands[c];

		fprintf(fp, "%s\n  {\"params\": {", c ? "," : "");
		for (size_t i = 0; i < cd->nparams; i++) {
			fputs(i ? ", " : "", fp);
			json_str(fp, cd->params[i].name, strlen(cd->params[i].name));
			fputs(": ", fp);
			json_str(fp, cd->params[i].value, strlen(cd->params[i].value));
		}
		fputs("}, \"fold_scores\": [", fp);
		for (size_t k = 0; k < res->nfolds; k++) {
			fputs(k ? ", " : "", fp);
			json_f64(fp, cd->fold_scores[k]);
		}
		fputs("], \"mean\": ", fp);
		json_f64(fp, cd->mean);
		fputs(", \"sd\": ", fp);
		json_f64(fp, cd->sd);
		fputs(", \"fit_seconds\": ", fp);
		json_f64(fp, cd->fit_seconds);
		fputs(", \"failure\": ", fp);
		if (cd->failure)
			json_str(fp, cd->failure, strlen(cd->failure));
		else
			fputs("null", fp);
		fputc('}', fp);
	}
	fputs("\n ]}", fp);
}

/* a number of the table: as in JSON, but empty instead of null */
static void
tsv_f64(FILE *fp, double x)
{
	if (isfinite(x))
		json_f64(fp, x);
}

void
search_table_tsv(FILE *fp, const struct search_result *res)
{
	fputs("candidate\tmean\tsd\tfit_seconds\tparams\tfailure\n", fp);
	for (size_t c = 0; c < res->ncandidates; c++) {
		const struct search_candidate *cd = &res->cands[c];

		fprintf(fp, "%zu\t", c);
		tsv_f64(fp, cd->mean);
		fputc('\t', fp);
		tsv_f64(fp, cd->sd);
		fputc('\t', fp);
		tsv_f64(fp, cd->fit_seconds);
		fputc('\t', fp);
		for (size_t i = 0; i < cd->nparams; i++)
			fprintf(fp, "%s%s=%s", i ? " " : "", cd->params[i].name,
			        cd->params[i].value);
		fputc('\t', fp);
		/* a reason is one line of text; a tab or newline in it would break the row */
		for (const char *p = cd->failure ? cd->failure : ""; *p; p++)
			fputc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p, fp);
		fputc('\n', fp);
	}
}

static void
print_params(FILE *fp, const struct search_candidate *cd)
{
	for (size_t i = 0; i < cd->nparams; i++)
		fprintf(fp, "%s%s=%s", i ? " " : "", cd->params[i].name, cd->params[i].value);
}

void
search_summary(FILE *fp, const struct search_result *res)
{
	size_t failed = 0;

	for (size_t c = 0; c < res->ncandidates; c++)
		failed += res->cands[c].failure != NULL;
	fprintf(fp, "%s: search: %zu candidates, %zu-fold CV %s, %zu failed\n", progname,
	        res->ncandidates, res->nfolds, metric_name(res->scoring), failed);
	if (res->best >= 0) {
		const struct search_candidate *cd = &res->cands[res->best];

		fprintf(fp, "%s: best: ", progname);
		print_params(fp, cd);
		fprintf(fp, " (mean %.4f, sd %.4f)\n", cd->mean, cd->sd);
	}
}

void
search_pack_meta(msgpack_packer *pk, const struct search_result *res)
{
	const struct search_candidate *best = res->best >= 0 ? &res->cands[res->best] : NULL;

	msgpack_pack_map(pk, 5);
	mp_pack_str(pk, "folds");
	msgpack_pack_uint64(pk, res->nfolds);
	mp_pack_str(pk, "scoring");
	mp_pack_str(pk, metric_name(res->scoring));
	mp_pack_str(pk, "candidates");
	msgpack_pack_uint64(pk, res->ncandidates);
	mp_pack_str(pk, "best_mean");
	best ? msgpack_pack_double(pk, best->mean) : msgpack_pack_nil(pk);
	mp_pack_str(pk, "best_sd");
	best ? msgpack_pack_double(pk, best->sd) : msgpack_pack_nil(pk);
}

void
search_result_free(struct search_result *res)
{
	for (size_t c = 0; c < res->ncandidates; c++) {
		struct search_candidate *cd = &res->cands[c];

		for (size_t i = 0; i < cd->nparams; i++) {
			free(cd->params[i].name);
			free(cd->params[i].value);
		}
		free(cd->params);
		free(cd->fold_scores);
		free(cd->failure);
	}
	free(res->cands);
	memset(res, 0, sizeof *res);
}

int
search_cli_option(struct search_cli *cli, int c, const char *arg)
{
	char err[512];

	switch (c) {
	case 'p':
		cli->params = xreallocarray(cli->params, cli->nparams + 1, sizeof *cli->params);
		if (search_param_parse(arg, &cli->params[cli->nparams], err, sizeof err) < 0)
			usage_die("%s", err);
		cli->nparams++;
		return 1;
	case 's':
		cli->search = opt_long("--search", arg, 1, 1000000);
		return 1;
	case 'k':
		cli->cv = opt_long("--cv", arg, 2, 1000);
		return 1;
	case 'm':
		if (metric_parse(arg, &cli->scoring) < 0)
			usage_die("--scoring \"%s\": expected accuracy, f1, roc_auc or log_loss",
			          arg);
		return 1;
	case SEARCH_OPT_TABLE:
		cli->table = arg;
		return 1;
	}
	return 0;
}

struct model_param *
search_cli_fixed(const struct search_cli *cli, size_t *n)
{
	struct model_param *out;

	if (cli->table)
		usage_die("--table needs --search");
	for (size_t i = 0; i < cli->nparams; i++)
		if (cli->params[i].dist != DIST_LIST || cli->params[i].nvalues != 1)
			usage_die("--param %s: several values need --search", cli->params[i].name);
	out = xcalloc(cli->nparams ? cli->nparams : 1, sizeof *out);
	for (size_t i = 0; i < cli->nparams; i++) {
		out[i].name = cli->params[i].name;
		out[i].value = cli->params[i].values[0];
	}
	*n = cli->nparams;
	return out;
}

void
search_cli_run(const struct learner *l, const struct search_cli *cli, const struct dataset *d,
               const struct search_options *o, struct search_result *res)
{
	char err[512];

	if (search_run(l, cli->params, cli->nparams, d, o, res, err, sizeof err) < 0)
		usage_die("%s", err);
	search_summary(stderr, res);
	if (cli->table) {
		struct atomic_file af;

		if (atomic_open(&af, cli->table) != 0)
			die("%s:", cli->table);
		search_table_tsv(af.fp, res);
		if (atomic_commit(&af) != 0)
			die("%s:", cli->table);
	}
	if (res->best < 0)
		die("search: every candidate failed (first: %s)",
		    res->ncandidates ? res->cands[0].failure : "none drawn");
}

void
search_cli_free(struct search_cli *cli)
{
	for (size_t i = 0; i < cli->nparams; i++)
		search_param_free(&cli->params[i]);
	free(cli->params);
	cli->params = NULL;
	cli->nparams = 0;
}
