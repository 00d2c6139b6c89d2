/*
 * score: apply a model to new rows — an encoded stream, or raw CSV through the cleaning and
 * encoding states it was trained with — and write the ids, P(y = 1) and the label.
 */
#define _GNU_SOURCE /* fopencookie: the input is hashed as it is read */
#include <getopt.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clean.h"
#include "csvin.h"
#include "csvout.h"
#include "drift.h"
#include "encoder.h"
#include "handoff.h"
#include "json.h"
#include "model.h"
#include "registry.h"
#include "sha256.h"
#include "stream.h"
#include "util.h"

#define SYNOPSIS                                                                                   \
	"usage: %s --model file|name@stage [--state file] ... [--threshold t] "                    \
	"[--reject-dropped]\n"                                                                     \
	"       [--rejects file] [--registry dir] [--unbuffered] [-o csv|stream] [-j n] [file]\n"
#define MAX_STATES 8

static struct {
	const char *model, *rejects, *registry;
	const char *states[MAX_STATES];
	size_t nstates;
	double threshold;
	int stream_out, unbuffered, reject_dropped;
	long jobs;
} opt = {.threshold = 0.5};

/* Whether reading runs on a thread of its own (-j 2 or more; not line at a time); the
 * predictions of a batch are then shared among -j threads. */
static int
threaded(void)
{
	return opt.jobs > 1 && !opt.unbuffered;
}

struct run {
	struct model m;
	char model_label[256]; /* name@version, or the file's name */
	char model_sha[65];
	struct clean *clean;
	struct encoder enc;
	int has_enc;
	const char *name; /* the input */
	struct sha256 hash;
	/*
	 * CSV input: the header kept for the rejects file; rows parsed by the reading thread,
	 * handed over to be cleaned, encoded, scored and written (on a worker with -j 2)
	 */
	size_t nheader;
	char **header;
	struct handoff ho;
	struct batch cleaned;
	/* encoder output (or the input stream when it is already encoded) */
	struct schema enc_schema;
	struct batch encoded;
	int bound;
	long *feat;
	size_t nids;
	long *ids;
	double *x, *prob;
	size_t cap;
	struct schema out_schema;
	struct batch out;
	struct stream_writer *w;
	struct atomic_file rej;
	uint64_t rows_in, rows_out, rejected, positives;
	uint64_t unscored; /* rows written without a probability (a feature is NaN) */
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
	printf("  -m, --model FILE|NAME@STAGE  the model: a file, or a registry version (then\n"
	       "                           its stored states are used unless --state is given)\n"
	       "  -s, --state FILE         a csvclean or an encode state (repeatable): with a\n"
	       "                           csvclean state the input is raw CSV\n"
	       "  -t, --threshold T        label 1 when the probability is >= T (0.5)\n"
	       "  -D, --reject-dropped     reject the rows the cleaning rules would drop in\n"
	       "                           training instead of scoring them\n"
	       "  -r, --rejects FILE       write rejected rows there (CSV, with a reason column)\n"
	       "  -d, --registry DIR       log the inference there ($PIPEML_REGISTRY)\n"
	       "  -u, --unbuffered         write each prediction as soon as its line is read\n"
	       "  -o, --output FORMAT      csv (default) or stream\n"
	       "  -j, --jobs N             threads (default: all cores); 1 runs on one\n"
	       "  -h, --help               this help\n"
	       "  -V, --version            print the version\n");
}

/* --- input hashing ------------------------------------------------------------------ */

struct hashed {
	FILE *fp;
	struct sha256 *h;
};

static ssize_t
hashed_read(void *cookie, char *buf, size_t size)
{
	struct hashed *hr = cookie;
	ssize_t n = read(fileno(hr->fp), buf, size);

	if (n > 0)
		sha256_update(hr->h, buf, (size_t)n);
	return n;
}

static int
hashed_close(void *cookie)
{
	struct hashed *hr = cookie;
	int rc = hr->fp == stdin ? 0 : fclose(hr->fp);

	free(hr);
	return rc;
}

static FILE *
hashed_open(FILE *fp, struct sha256 *h)
{
	struct hashed *hr = xmalloc(sizeof *hr);
	cookie_io_functions_t io = {.read = hashed_read, .close = hashed_close};
	FILE *f;

	hr->fp = fp;
	hr->h = h;
	if ((f = fopencookie(hr, "r", io)) == NULL)
		die("fopencookie:");
	return f;
}

/* --- model and states ------------------------------------------------------------------ */

static void
file_sha256(const char *path, char hex[65])
{
	FILE *fp = fopen(path, "rb");
	struct sha256 h;
	char buf[65536];
	size_t n;

	if (fp == NULL)
		die("%s:", path);
	sha256_init(&h);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		sha256_update(&h, buf, n);
	if (ferror(fp))
		die("%s:", path);
	fclose(fp);
	sha256_hex(&h, hex);
}

/* The sha256 of a regular file open on fd, read with pread (the offset stays): 0, or -1. */
static int
fd_sha256(int fd, char hex[65])
{
	struct sha256 h;
	struct stat st;
	char buf[65536];
	off_t off = 0;
	ssize_t n;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	sha256_init(&h);
	while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
		sha256_update(&h, buf, (size_t)n);
		off += n;
	}
	if (n < 0)
		return -1;
	sha256_hex(&h, hex);
	return 0;
}

/* The "format" marker of a msgpack state file (malloc'ed), or NULL. */
static char *
state_format(const char *path)
{
	FILE *fp = fopen(path, "rb");
	msgpack_unpacked u;
	char *buf, *fmt = NULL;
	size_t len = 0, cap = 65536, n;

	if (fp == NULL)
		die("%s:", path);
	buf = xmalloc(cap);
	while ((n = fread(buf + len, 1, cap - len, fp)) > 0) {
		len += n;
		if (len == cap && cap < MODEL_MAX_SIZE)
			buf = xreallocarray(buf, cap *= 2, 1);
	}
	fclose(fp);
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, buf, len, NULL) == MSGPACK_UNPACK_SUCCESS) {
		const msgpack_object *f = mp_map_get(&u.data, "format");

		if (f != NULL && f->type == MSGPACK_OBJECT_STR)
			fmt = xstrndup(f->via.str.ptr, f->via.str.size);
	}
	msgpack_unpacked_destroy(&u);
	free(buf);
	return fmt;
}

/* Load a csvclean or an encode state; a drift reference stored with a registry version
 * (stored != 0) is drift(1)'s, not scoring's, and is passed over. */
static void
load_state(struct run *run, const char *path, int stored)
{
	char *fmt = state_format(path);
	FILE *fp;

	if (stored && fmt != NULL && strcmp(fmt, DRIFT_FORMAT) == 0) {
		free(fmt);
		return;
	}
	if (fmt != NULL && strcmp(fmt, CLEAN_STATE_FORMAT) == 0) {
		if (run->clean != NULL)
			usage_die("%s: a second csvclean state", path);
		run->clean = clean_new();
		if (clean_load_state(run->clean, path, run->err, sizeof run->err) != 0)
			die("%s", run->err);
		if (!opt.reject_dropped)
			clean_keep_all(run->clean);
	} else if (fmt != NULL && strcmp(fmt, "pipeml-encode-state") == 0) {
		if (run->has_enc)
			usage_die("%s: a second encode state", path);
		if ((fp = fopen(path, "rb")) == NULL)
			die("%s:", path);
		if (encoder_load(&run->enc, fp, run->err, sizeof run->err) != 0)
			die("%s: %s", path, run->err);
		fclose(fp);
		run->has_enc = 1;
		/* Scoring needs no target: its values (often missing or new) are not read. */
		for (size_t i = 0; i < run->enc.ncols; i++)
			if (run->enc.cols[i].use == ENC_TARGET)
				run->enc.cols[i].use = ENC_DROP;
	} else {
		die("%s: not a csvclean or an encode state (format %s%s%s)", path, fmt ? "\"" : "",
		    fmt ? fmt : "missing", fmt ? "\"" : "");
	}
	free(fmt);
}

/* Resolve the model (file or registry version) and load it and its states. */
static void
load_model(struct run *run)
{
	const char *path = opt.model;
	char *objpath = NULL, **stored = NULL;
	size_t nstored = 0;
	FILE *fp;

	snprintf(run->model_label, sizeof run->model_label, "%s", opt.model);
	if (strchr(opt.model, '@') != NULL && access(opt.model, F_OK) != 0) {
		struct registry r;
		const struct reg_version *v;
		const struct json *states;

		if (registry_open(&r, opt.registry, 0, run->err, sizeof run->err) < 0)
			die("%s", run->err);
		if ((v = registry_find(&r, opt.model, run->err, sizeof run->err)) == NULL)
			die("%s", run->err);
		snprintf(run->model_label, sizeof run->model_label, "%s@%ld", v->model, v->version);
		path = objpath = registry_object_path(&r, v->sha256);
		states = json_get(v->event, "states");
		for (size_t i = 0; states != NULL && i < states->n; i++) {
			stored = xreallocarray(stored, nstored + 1, sizeof *stored);
			stored[nstored++] =
			        registry_object_path(&r, json_get_str(&states->items[i], "sha256"));
		}
		registry_close(&r);
	} else if (registry_dir(opt.registry) != NULL) {
		/* A file: name it by its registered version, if there is one. */
		struct registry r;
		char hex[65];

		file_sha256(path, hex);
		if (registry_open(&r, registry_dir(opt.registry), 0, run->err, sizeof run->err) ==
		    0) {
			for (size_t i = 0; i < r.nversions; i++)
				if (strcmp(r.versions[i].sha256, hex) == 0)
					snprintf(run->model_label, sizeof run->model_label,
					         "%s@%ld", r.versions[i].model,
					         r.versions[i].version);
			registry_close(&r);
		}
	}
	file_sha256(path, run->model_sha);
	if ((fp = fopen(path, "rb")) == NULL)
		die("%s:", path);
	if (model_load(fp, opt.model, &run->m, run->err, sizeof run->err) != 0)
		die("%s", run->err);
	fclose(fp);
	if (opt.nstates > 0)
		for (size_t i = 0; i < opt.nstates; i++)
			load_state(run, opt.states[i], 0);
	else
		for (size_t i = 0; i < nstored; i++)
			load_state(run, stored[i], 1);
	for (size_t i = 0; i < nstored; i++)
		free(stored[i]);
	free(stored);
	free(objpath);
	if (run->clean != NULL && !run->has_enc)
		usage_die("a csvclean state needs the encode state too");
}

/* --- scoring --------------------------------------------------------------------------- */

/* Match the model's features by name in the encoded schema s; set up the output. */
static void
bind_scoring(struct run *run, const struct schema *s)
{
	run->feat = xreallocarray(NULL, run->m.nfeatures + 1, sizeof *run->feat);
	for (size_t j = 0; j < run->m.nfeatures; j++) {
		long k = schema_find(s, run->m.features[j]);

		if (k < 0)
			die("%s: feature '%s' of the model is not in the input", run->name,
			    run->m.features[j]);
		if (s->cols[k].type != COL_F64)
			die("%s: feature '%s' is text, expected numbers", run->name,
			    run->m.features[j]);
		run->feat[j] = k;
	}
	run->ids = xreallocarray(NULL, s->ncols + 1, sizeof *run->ids);
	schema_init(&run->out_schema);
	for (size_t k = 0; k < s->ncols; k++)
		if (s->cols[k].role == ROLE_ID) {
			run->ids[run->nids++] = (long)k;
			schema_add(&run->out_schema, s->cols[k].name, s->cols[k].type, ROLE_ID);
		}
	schema_add(&run->out_schema, "probability", COL_F64, ROLE_PASSTHROUGH);
	schema_add(&run->out_schema, "label", COL_F64, ROLE_PASSTHROUGH);
	schema_set_meta(&run->out_schema, "model", run->model_label);
	schema_set_meta(&run->out_schema, "model_sha256", run->model_sha);
	batch_init(&run->out, &run->out_schema);
	if (opt.stream_out)
		run->w = stream_writer_open(stdout, "stdout", &run->out_schema);
	else
		csvout_header(stdout, &run->out_schema, 0);
	run->bound = 1;
}

static void
score_batch(struct run *run, const struct batch *b)
{
	size_t nf = run->m.nfeatures, n = b->nrows;

	if (n == 0)
		return;
	if (n > run->cap) {
		run->cap = n;
		run->x = xreallocarray(run->x, n * (nf ? nf : 1), sizeof *run->x);
		run->prob = xreallocarray(run->prob, n, sizeof *run->prob);
	}
	for (size_t j = 0; j < nf; j++) {
		const double *col = b->cols[run->feat[j]].f64;

		for (size_t i = 0; i < n; i++)
			run->x[i * nf + j] = col[i];
	}
	model_predict_threads(&run->m, run->x, n, run->prob, (int)opt.jobs);
	batch_clear(&run->out);
	for (size_t i = 0; i < n; i++) {
		size_t row = batch_add_row(&run->out), k;
		int label = run->prob[i] >= opt.threshold;

		for (k = 0; k < run->nids; k++) {
			size_t c = (size_t)run->ids[k];

			if (b->types[c] == COL_F64) {
				batch_set_f64(&run->out, row, k, b->cols[c].f64[i]);
			} else {
				size_t len;
				const char *s = batch_str(b, i, c, &len);

				batch_set_str(&run->out, row, k, s, len);
			}
		}
		batch_set_f64(&run->out, row, k, run->prob[i]);
		batch_set_f64(&run->out, row, k + 1, isnan(run->prob[i]) ? NAN : label);
		run->positives += label;
		run->unscored += isnan(run->prob[i]) != 0;
	}
	run->rows_out += n;
	if (opt.stream_out)
		stream_write_batch(run->w, &run->out);
	else
		csvout_batch(stdout, &run->out);
	if (opt.unbuffered && fflush(stdout) != 0)
		die("stdout:");
}

/* Encode (when a state was given) and score a batch of clean rows. */
static void
encode_score(struct run *run, const struct batch *b, uint64_t first_row)
{
	if (!run->has_enc) {
		score_batch(run, b);
		return;
	}
	if (encoder_apply(&run->enc, b, &run->encoded, first_row, run->err, sizeof run->err) != 0)
		die("%s: %s", run->name, run->err);
	score_batch(run, &run->encoded);
}

/* --- raw CSV through the states ------------------------------------------------------- */

static void
reject(struct run *run, const struct csv_row *row, const char *reason)
{
	FILE *fp = run->rej.fp;

	run->rejected++;
	if (fp == NULL)
		return;
	for (size_t i = 0; i < run->nheader; i++) {
		csv_put_field(fp, i < row->nfields ? row->fields[i] : "",
		              i < row->nfields ? row->lens[i] : 0);
		putc(',', fp);
	}
	csv_put_field(fp, reason, strlen(reason));
	putc('\n', fp);
}

/* Clean, encode and score a batch of parsed rows (the handoff's consumer). */
static void
score_parsed(void *ctx, struct batch *parsed)
{
	struct run *run = ctx;

	batch_clear(&run->cleaned);
	clean_transform(run->clean, parsed, &run->cleaned);
	encode_score(run, &run->cleaned, run->rows_out + 1);
}

static void
csv_start(struct run *run, const struct csv_row *row)
{
	if (clean_bind(run->clean, row, run->name, run->err, sizeof run->err) != 0)
		die("%s", run->err);
	batch_init(&run->cleaned, clean_output_schema(run->clean));
	if (encoder_bind(&run->enc, clean_output_schema(run->clean), &run->enc_schema, run->err,
	                 sizeof run->err) != 0)
		die("%s: %s", run->name, run->err);
	batch_init(&run->encoded, &run->enc_schema);
	bind_scoring(run, &run->enc_schema);
	run->nheader = row->nfields;
	run->header = xreallocarray(NULL, row->nfields + 1, sizeof *run->header);
	for (size_t i = 0; i < row->nfields; i++)
		run->header[i] = xstrndup(row->fields[i], row->lens[i]);
	if (run->rej.fp != NULL) {
		for (size_t i = 0; i < row->nfields; i++) {
			csv_put_field(run->rej.fp, row->fields[i], row->lens[i]);
			putc(',', run->rej.fp);
		}
		fputs("reject_reason\n", run->rej.fp);
	}
	handoff_start(&run->ho, clean_parsed_schema(run->clean), threaded(), score_parsed, run);
}

static int
on_row(void *ctx, const struct csv_row *row)
{
	struct run *run = ctx;
	int rc;

	if (row->recno == 0) {
		csv_start(run, row);
		return 0;
	}
	run->rows_in++;
	rc = clean_row(run->clean, row, handoff_batch(&run->ho), run->err, sizeof run->err);
	if (rc < 0) {
		char reason[1100];

		snprintf(reason, sizeof reason, "line %llu: %s", (unsigned long long)row->line,
		         run->err);
		reject(run, row, reason);
	} else if (rc == 0) {
		reject(run, row, "dropped by the cleaning rules");
	} else if (opt.unbuffered || handoff_batch(&run->ho)->nrows == STREAM_BATCH_ROWS) {
		handoff_push(&run->ho);
	}
	return 0;
}

static void
run_csv(struct run *run, FILE *in)
{
	struct csvin_opts copts = {.ragged_ok = 1, .chunk_size = opt.unbuffered ? 1 : 0};

	if (csvin_read(in, run->name, &copts, on_row, run, run->err, sizeof run->err) != 0)
		die("%s", run->err);
	if (run->header != NULL)
		handoff_finish(&run->ho);
}

/* Encode (when a state was given) and score a batch read from a stream (the consumer). */
static void
score_read(void *ctx, struct batch *b)
{
	struct run *run = ctx;

	encode_score(run, b, run->rows_out + 1);
}

static void
run_stream(struct run *run, FILE *in)
{
	struct stream_reader *r = stream_open_or_die(in, run->name);
	const struct schema *s = stream_reader_schema(r);

	if (run->has_enc) {
		if (encoder_bind(&run->enc, s, &run->enc_schema, run->err, sizeof run->err) != 0)
			die("%s: %s", run->name, run->err);
		batch_init(&run->encoded, &run->enc_schema);
		bind_scoring(run, &run->enc_schema);
	} else {
		bind_scoring(run, s);
	}
	handoff_start(&run->ho, s, threaded(), score_read, run);
	while (stream_next(r, handoff_batch(&run->ho))) {
		run->rows_in += handoff_batch(&run->ho)->nrows;
		handoff_push(&run->ho);
	}
	handoff_finish(&run->ho);
	stream_reader_close(r);
}

/* --- the inference log ------------------------------------------------------------------ */

static void
log_inference(struct run *run, struct reg_run *rr, const char *input_sha)
{
	const char *dir = registry_dir(opt.registry);
	char buf[64];
	struct jbuf metrics;

	if (dir == NULL)
		return;
	rr->input_sha256 = input_sha;
	reg_run_param(rr, "model", run->model_label);
	reg_run_param(rr, "model_sha256", run->model_sha);
	reg_run_param(rr, "input", run->name);
	format_f64(buf, sizeof buf, opt.threshold);
	reg_run_param(rr, "threshold", buf);
	reg_run_param(rr, "reject_dropped", opt.reject_dropped ? "true" : "false");
	jbuf_init(&metrics);
	jbuf_open(&metrics, '{');
	jbuf_key(&metrics, "rows_in");
	jbuf_int(&metrics, (long long)run->rows_in);
	jbuf_key(&metrics, "rows_out");
	jbuf_int(&metrics, (long long)run->rows_out);
	jbuf_key(&metrics, "rows_rejected");
	jbuf_int(&metrics, (long long)run->rejected);
	jbuf_key(&metrics, "positives");
	jbuf_int(&metrics, (long long)run->positives);
	jbuf_key(&metrics, "rows_unscored");
	jbuf_int(&metrics, (long long)run->unscored);
	jbuf_close(&metrics, '}');
	rr->metrics_json = metrics.s;
	if (registry_run_record(dir, rr, run->err, sizeof run->err) < 0)
		die("%s", run->err);
	jbuf_free(&metrics);
}

/* Say what was scored that training would not have seen as it is: nothing passes silently. */
static void
note_kept(const struct run *run)
{
	char buf[1024];
	size_t len = 0;
	uint64_t unseen = 0;

	if (run->clean != NULL && clean_counts(run->clean)->kept_anyway > 0)
		warn("%llu rows that the training rules would drop were scored "
		     "(--reject-dropped rejects them)",
		     (unsigned long long)clean_counts(run->clean)->kept_anyway);
	for (size_t i = 0; run->has_enc && i < run->enc.ncols; i++) {
		const struct enc_column *c = &run->enc.cols[i];

		if (c->use != ENC_ONEHOT || c->unseen == 0)
			continue;
		unseen += c->unseen;
		if (len < sizeof buf)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s %llu",
			                        len ? ", " : "", c->name,
			                        (unsigned long long)c->unseen);
	}
	if (unseen > 0)
		warn("%llu values not seen in training encoded as all zeros (%s)",
		     (unsigned long long)unseen, buf);
	if (run->unscored > 0)
		warn("%llu rows have no probability: a feature the model needs is missing (NaN) "
		     "in them, so their probability and label are empty",
		     (unsigned long long)run->unscored);
}

static void
run_free(struct run *run)
{
	model_free(&run->m);
	if (run->clean != NULL)
		clean_free(run->clean);
	if (run->has_enc)
		encoder_free(&run->enc);
	for (size_t i = 0; i < run->nheader; i++)
		free(run->header[i]);
	free(run->header);
	batch_free(&run->cleaned);
	batch_free(&run->encoded);
	batch_free(&run->out);
	if (run->has_enc)
		schema_free(&run->enc_schema);
	if (run->bound)
		schema_free(&run->out_schema);
	free(run->feat);
	free(run->ids);
	free(run->x);
	free(run->prob);
}

static void
parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"model", required_argument, NULL, 'm'},
	        {"state", required_argument, NULL, 's'},
	        {"threshold", required_argument, NULL, 't'},
	        {"reject-dropped", no_argument, NULL, 'D'},
	        {"rejects", required_argument, NULL, 'r'},
	        {"registry", required_argument, NULL, 'd'},
	        {"unbuffered", no_argument, NULL, 'u'},
	        {"output", required_argument, NULL, 'o'},
	        {"jobs", required_argument, NULL, 'j'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	opt.jobs = online_cores();
	while ((c = getopt_long(argc, argv, "m:s:t:Dr:d:uo:j:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			opt.model = optarg;
			break;
		case 's':
			if (opt.nstates == MAX_STATES)
				usage_die("--state: at most %d", MAX_STATES);
			opt.states[opt.nstates++] = optarg;
			break;
		case 't':
			opt.threshold = opt_f64("--threshold", optarg);
			if (!(opt.threshold >= 0 && opt.threshold <= 1))
				usage_die("--threshold: expected a number in [0, 1], not '%s'",
				          optarg);
			break;
		case 'D':
			opt.reject_dropped = 1;
			break;
		case 'r':
			opt.rejects = optarg;
			break;
		case 'd':
			opt.registry = optarg;
			break;
		case 'u':
			opt.unbuffered = 1;
			break;
		case 'o':
			if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "stream") != 0)
				usage_die("-o: expected csv or stream, not '%s'", optarg);
			opt.stream_out = strcmp(optarg, "stream") == 0;
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
	if (opt.model == NULL)
		usage_die("--model is required");
}

int
main(int argc, char **argv)
{
	struct run run;
	struct reg_run rr;
	char input_sha[65];
	FILE *raw, *in;

	setprogname(argv[0]);
	signals_init();
	parse_options(argc, argv);
	memset(&run, 0, sizeof run);
	reg_run_begin(&rr, "score");
	load_model(&run);
	if (opt.reject_dropped && run.clean == NULL)
		usage_die("--reject-dropped needs a csvclean state (raw CSV input)");
	if (opt.rejects != NULL && atomic_open(&run.rej, opt.rejects) != 0)
		die("%s:", opt.rejects);
	raw = open_input(optind < argc ? argv[optind] : NULL, &run.name);
	sha256_init(&run.hash);
	if (run.clean != NULL) {
		/* The input's sha256 is for the inference record: hashed only when there is one. */
		in = registry_dir(opt.registry) != NULL ? hashed_open(raw, &run.hash) : raw;
		run_csv(&run, in);
		if (in != stdin)
			fclose(in);
		sha256_hex(&run.hash, input_sha);
	} else {
		/* The stream reader reads the descriptor itself: a regular file is hashed apart. */
		if (fd_sha256(fileno(raw), input_sha) != 0)
			snprintf(input_sha, sizeof input_sha, "unknown (not a regular file)");
		run_stream(&run, raw);
		if (raw != stdin)
			fclose(raw);
	}
	if (run.w != NULL)
		stream_writer_close(run.w);
	fshut(stdout, "stdout");
	if (run.rej.fp != NULL && atomic_commit(&run.rej) != 0)
		die("%s:", opt.rejects);
	note_kept(&run);
	warn("%llu rows in, %llu scored (%llu positive at %g), %llu rejected%s%s",
	     (unsigned long long)run.rows_in, (unsigned long long)run.rows_out,
	     (unsigned long long)run.positives, opt.threshold, (unsigned long long)run.rejected,
	     run.rejected && opt.rejects ? " to " : "",
	     run.rejected && opt.rejects ? opt.rejects : "");
	log_inference(&run, &rr, input_sha);
	reg_run_free(&rr);
	run_free(&run);
	return 0;
}
