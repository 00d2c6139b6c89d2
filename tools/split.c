/* split: a stratified train/test split of a pipeml stream, and stratified K-fold indices. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvout.h"
#include "rng.h"
#include "strat.h"
#include "stream.h"
#include "strmap.h"
#include "table.h"
#include "util.h"

#define FOLD_COLUMN "fold"

static struct {
	const char *target, *test, *train;
	double fraction;
	uint64_t seed;
	long folds;
	int fraction_given, csv, sklearn;
} opt = {.fraction = 0.15, .seed = 42};

/* The classes of the target: distinct values (sorted at the end), and each row's class. */
struct classes {
	size_t n, cap;
	char **labels;  /* for messages */
	double *values; /* of a numeric target */
	struct strmap seen;
	size_t *counts;
	uint32_t *of_row;
	size_t nrows, cap_rows;
};

static void
usage(void)
{
	fprintf(stderr,
	        "usage: %s [-y column] [-f fraction] [-s seed] [-t file] [-T file] [-k folds] "
	        "[-o csv|stream] [file]\n",
	        progname);
	exit(EXIT_USAGE);
}

static long
target_column(const struct schema *s, const char *input)
{
	long col = -1;

	if (opt.target) {
		col = schema_find(s, opt.target);
		if (col < 0)
			die("%s: --target: no column '%s' in the stream", input, opt.target);
		return col;
	}
	for (size_t j = 0; j < s->ncols; j++) {
		if (s->cols[j].role != ROLE_TARGET)
			continue;
		if (col >= 0)
			die("%s: the stream has several target columns; name one with --target",
			    input);
		col = (long)j;
	}
	if (col < 0)
		die("%s: the stream has no column with the role target; name one with --target",
		    input);
	return col;
}

/* A cell's class key: the text itself, or the bits of the double. */
static const char *
cell_key(const struct batch *b, size_t i, size_t col, size_t *len, char *num)
{
	if (b->types[col] == COL_STR)
		return batch_str(b, i, col, len);
	if (isnan(b->cols[col].f64[i])) {
		*len = 0;
		return num;
	}
	memcpy(num, &b->cols[col].f64[i], sizeof(double));
	*len = sizeof(double);
	return num;
}

/* Add the target values of a batch: new classes, and the class of each row. */
static void
add_classes(struct classes *k, const struct batch *b, size_t col, const char *name,
            const char *input)
{
	if (k->nrows + b->nrows > UINT32_MAX)
		die("%s: more than %u rows to split", input, UINT32_MAX);
	if (k->nrows + b->nrows > k->cap_rows) {
		while (k->nrows + b->nrows > k->cap_rows)
			k->cap_rows = k->cap_rows ? 2 * k->cap_rows : 65536;
		k->of_row = xreallocarray(k->of_row, k->cap_rows, sizeof *k->of_row);
	}
	for (size_t i = 0; i < b->nrows; i++) {
		char num[sizeof(double)];
		size_t len, c;
		const char *key = cell_key(b, i, col, &len, num);

		if (len == 0)
			die("%s: row %zu: the target '%s' is missing", input, k->nrows + i + 1,
			    name);
		c = strmap_put(&k->seen, key, len, k->n);
		if (c == k->n) {
			if (k->n == k->cap) {
				k->cap = k->cap ? 2 * k->cap : 8;
				k->labels = xreallocarray(k->labels, k->cap, sizeof *k->labels);
				k->values = xreallocarray(k->values, k->cap, sizeof *k->values);
			}
			if (b->types[col] == COL_STR) {
				k->labels[c] = xstrndup(key, len);
			} else {
				char text[40];

				k->values[c] = b->cols[col].f64[i];
				format_f64(text, sizeof text, k->values[c]);
				k->labels[c] = xstrdup(text);
			}
			k->n++;
		}
		k->of_row[k->nrows + i] = (uint32_t)c;
	}
	k->nrows += b->nrows;
}

/* Renumber the classes in sorted order (numbers by value, text by bytes) and count them. */
static void
sort_classes(struct classes *k, enum col_type type)
{
	uint32_t *order = xreallocarray(NULL, k->n ? k->n : 1, sizeof *order);
	size_t *rank = xcalloc(k->n ? k->n : 1, sizeof *rank);
	char **labels = xcalloc(k->n ? k->n : 1, sizeof *labels);

	for (size_t c = 0; c < k->n; c++)
		order[c] = (uint32_t)c;
	for (size_t c = 1; c < k->n; c++) {
		for (size_t d = c; d > 0; d--) {
			uint32_t x = order[d - 1], y = order[d];
			int greater = type == COL_STR ? strcmp(k->labels[x], k->labels[y]) > 0
			                              : k->values[x] > k->values[y];

			if (!greater)
				break;
			order[d - 1] = y;
			order[d] = x;
		}
	}
	for (size_t c = 0; c < k->n; c++)
		rank[order[c]] = c;
	for (size_t c = 0; c < k->n; c++)
		labels[rank[c]] = k->labels[c];
	free(k->labels);
	k->labels = labels;
	k->counts = xcalloc(k->n ? k->n : 1, sizeof *k->counts);
	for (size_t i = 0; i < k->nrows; i++) {
		k->of_row[i] = (uint32_t)rank[k->of_row[i]];
		k->counts[k->of_row[i]]++;
	}
	free(rank);
	free(order);
}

static void
classes_free(struct classes *k)
{
	for (size_t c = 0; c < k->n; c++)
		free(k->labels[c]);
	free(k->labels);
	free(k->values);
	strmap_free(&k->seen);
	free(k->counts);
	free(k->of_row);
}

/* Checks that name the class, before the library's own (which cannot). */
static void
check_strata(const struct classes *k, const char *name, size_t n_test, const char *input)
{
	size_t n_train = k->nrows - n_test;

	for (size_t c = 0; c < k->n; c++)
		if (k->counts[c] < 2)
			die("%s: class '%s' of the target '%s' has a single row; stratifying needs "
			    "at least 2 rows of each class",
			    input, k->labels[c], name);
	if (n_test < k->n || n_train < k->n)
		die("%s: %zu rows at a test fraction of %g give %zu train and %zu test rows; "
		    "each needs at least one row of each of the %zu classes",
		    input, k->nrows, opt.fraction, n_train, n_test, k->n);
}

/* Append to dst the rows i of src with pick[i] == want (pick NULL: every row). */
static void
append_rows(struct batch *dst, const struct batch *src, const unsigned char *pick,
            unsigned char want, const uint32_t *fold)
{
	size_t first = dst->nrows, ncols = src->ncols;

	for (size_t i = 0; i < src->nrows; i++)
		if (!pick || pick[i] == want)
			batch_add_row(dst);
	for (size_t j = 0; j < ncols; j++) {
		size_t r = first;

		for (size_t i = 0; i < src->nrows; i++) {
			if (pick && pick[i] != want)
				continue;
			if (src->types[j] == COL_F64) {
				dst->cols[j].f64[r] = src->cols[j].f64[i];
			} else {
				size_t len;
				const char *s = batch_str(src, i, j, &len);

				batch_set_str(dst, r, j, s, len);
			}
			r++;
		}
	}
	if (fold) {
		size_t r = first;

		for (size_t i = 0; i < src->nrows; i++)
			if (!pick || pick[i] == want)
				dst->cols[ncols].f64[r++] = fold[i];
	}
}

/* An output: stdout or an atomically written file. */
struct output {
	const char *path;
	struct atomic_file af;
	FILE *fp;
	struct schema schema;
	struct stream_writer *w;
	struct batch b;
};

static void
output_open(struct output *o, const char *path, const struct schema *in, int with_fold)
{
	memset(o, 0, sizeof *o);
	o->path = path ? path : "stdout";
	if (path) {
		if (atomic_open(&o->af, path) != 0)
			die("%s:", path);
		o->fp = o->af.fp;
	} else {
		o->fp = stdout;
	}
	schema_copy(&o->schema, in);
	if (with_fold)
		schema_add(&o->schema, FOLD_COLUMN, COL_F64, ROLE_FOLD);
	schema_set_meta(&o->schema, "tool", "split");
	if (opt.csv)
		csvout_header(o->fp, &o->schema, 0);
	else
		o->w = stream_writer_open(o->fp, o->path, &o->schema);
	batch_init(&o->b, &o->schema);
}

static void
output_flush(struct output *o)
{
	if (o->w)
		stream_write_batch(o->w, &o->b);
	else
		csvout_batch(o->fp, &o->b);
	batch_clear(&o->b);
}

static void
output_close(struct output *o)
{
	output_flush(o);
	if (o->w)
		stream_writer_close(o->w);
	else
		fshut(o->fp, o->path);
	if (o->fp != stdout && atomic_commit(&o->af) != 0)
		die("%s:", o->path);
	batch_free(&o->b);
	schema_free(&o->schema);
}

/* The rows to split: held in a table (from a pipe), or read again from a file. */
struct source {
	const struct table *t;
	size_t next;
	struct stream_reader *r;
	struct batch b;
};

static const struct batch *
source_next(struct source *src)
{
	if (src->t)
		return src->next < src->t->nbatches ? &src->t->batches[src->next++] : NULL;
	return stream_next(src->r, &src->b) ? &src->b : NULL;
}

static void
write_split(struct source *src, const struct schema *in, size_t nrows, const unsigned char *is_test,
            const uint32_t *fold, const char *input)
{
	struct output train, test;
	const struct batch *b;
	size_t row = 0;
	int with_test = opt.test != NULL; /* read once: the analyzer sees it cannot change */

	if (with_test)
		output_open(&test, opt.test, in, 0);
	output_open(&train, opt.train, in, fold != NULL);
	while ((b = source_next(src)) != NULL) {
		if (b->nrows > nrows - row)
			die("%s: the file grew between its two readings", input);
		append_rows(&train.b, b, is_test ? is_test + row : NULL, 0,
		            fold ? fold + row : NULL);
		output_flush(&train);
		if (with_test) {
			append_rows(&test.b, b, is_test + row, 1, NULL);
			output_flush(&test);
		}
		row += b->nrows;
	}
	if (row != nrows)
		die("%s: the file shrank between its two readings", input);
	if (with_test)
		output_close(&test);
	output_close(&train);
}

/* Write the rows of t listed in rows[0 .. n), in that order, to the output at path. */
static void
write_rows(const struct table *t, const size_t *batch_start, const char *path,
           const struct schema *in, const uint32_t *rows, size_t n)
{
	struct output o;

	output_open(&o, path, in, 0);
	for (size_t i = 0; i < n; i++) {
		size_t lo = 0, hi = t->nbatches;

		/* the batch holding row rows[i]: the last whose start is <= it */
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			if (batch_start[mid] <= rows[i])
				lo = mid;
			else
				hi = mid;
		}
		batch_copy_row(&o.b, &t->batches[lo], rows[i] - batch_start[lo], NULL);
		if (o.b.nrows == STREAM_BATCH_ROWS)
			output_flush(&o);
	}
	output_close(&o);
}

/* --sklearn: both halves as scikit-learn's train_test_split gives them. */
static void
write_split_sklearn(const struct table *t, const struct classes *k, const struct schema *in,
                    size_t n_test, const char *input)
{
	uint32_t *train = xreallocarray(NULL, k->nrows ? k->nrows : 1, sizeof *train);
	uint32_t *test = xreallocarray(NULL, n_test ? n_test : 1, sizeof *test);
	size_t *start = xreallocarray(NULL, t->nbatches ? t->nbatches : 1, sizeof *start);
	char err[256];

	if (strat_split_sklearn(k->of_row, k->nrows, k->n, n_test, (uint32_t)opt.seed, train, test,
	                        err, sizeof err) != 0)
		die("%s: %s", input, err);
	for (size_t b = 0, at = 0; b < t->nbatches; b++) {
		start[b] = at;
		at += t->batches[b].nrows;
	}
	write_rows(t, start, opt.test, in, test, n_test);
	write_rows(t, start, opt.train, in, train, k->nrows - n_test);
	free(start);
	free(test);
	free(train);
}

/*
 * Fold indices for the train rows (every row when there is no test half), stratified; a
 * test row's entry is left unused.
 */
static uint32_t *
assign_folds(const struct classes *k, size_t n, const unsigned char *is_test, struct rng *r,
             const char *input)
{
	uint32_t *fold = xcalloc(n ? n : 1, sizeof *fold);
	uint32_t *cls = xreallocarray(NULL, n ? n : 1, sizeof *cls), *sub;
	size_t m = 0;
	char err[256];

	for (size_t i = 0; i < n; i++)
		if (!is_test || !is_test[i])
			cls[m++] = k->of_row[i];
	sub = xreallocarray(NULL, m ? m : 1, sizeof *sub);
	if (strat_kfold(cls, m, k->n, (size_t)opt.folds, r, sub, err, sizeof err) != 0)
		die("%s: --folds: %s", input, err);
	for (size_t i = 0, j = 0; i < n; i++)
		if (!is_test || !is_test[i])
			fold[i] = sub[j++];
	free(sub);
	free(cls);
	return fold;
}

static void
help(void)
{
	printf("usage: %s [-y column] [-f fraction] [-s seed] [-t file] [-T file] [-k folds]\n"
	       "       [--sklearn] [-o csv|stream] [file]\n"
	       "  -y, --target COL      the column to stratify on (default: the column with\n"
	       "                        the role target)\n"
	       "  -f, --fraction F      share of rows in the test half, in (0, 1) (0.15)\n"
	       "  -s, --seed N          seed of the row draw (42)\n"
	       "  -t, --test FILE       write the test rows to FILE\n"
	       "  -T, --train FILE      write the train rows to FILE instead of stdout\n"
	       "  -k, --folds K         add a column 'fold' (0 .. K-1, role fold) to the train\n"
	       "                        rows, stratified; without --test, to every row\n"
	       "      --sklearn         the rows scikit-learn's train_test_split(stratify=y,\n"
	       "                        random_state=seed) takes, in its order (numpy's\n"
	       "                        generator; holds the rows in memory; not with -k)\n"
	       "  -o, --output FORMAT   csv or stream (the default), for both outputs\n"
	       "  -h, --help            this help\n"
	       "  -V, --version         print the version\n",
	       progname);
}

static void
parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"target", required_argument, NULL, 'y'},
	        {"fraction", required_argument, NULL, 'f'},
	        {"seed", required_argument, NULL, 's'},
	        {"test", required_argument, NULL, 't'},
	        {"train", required_argument, NULL, 'T'},
	        {"folds", required_argument, NULL, 'k'},
	        {"output", required_argument, NULL, 'o'},
	        {"sklearn", no_argument, NULL, 'K'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "y:f:s:t:T:k:o:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'y':
			opt.target = optarg;
			break;
		case 'f':
			opt.fraction = opt_f64("--fraction", optarg);
			if (!(opt.fraction > 0 && opt.fraction < 1))
				usage_die("--fraction: %s is outside (0, 1)", optarg);
			opt.fraction_given = 1;
			break;
		case 's':
			if (parse_u64(optarg, strlen(optarg), &opt.seed) != 0)
				usage_die("--seed: invalid seed '%s' (an integer 0 .. 2^64-1)",
				          optarg);
			break;
		case 't':
			opt.test = optarg;
			break;
		case 'T':
			opt.train = optarg;
			break;
		case 'k':
			opt.folds = opt_long("--folds", optarg, 2, 1000000);
			break;
		case 'o':
			if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "stream") != 0)
				usage_die("-o: expected csv or stream, not '%s'", optarg);
			opt.csv = strcmp(optarg, "csv") == 0;
			break;
		case 'K':
			opt.sklearn = 1;
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
	if (!opt.test && !opt.folds)
		usage_die("nothing to do: give --test FILE for a train/test split, --folds K for "
		          "a fold column, or both");
	if (!opt.test && opt.fraction_given)
		usage_die("--fraction needs --test FILE");
	if (opt.test && opt.train && strcmp(opt.test, opt.train) == 0)
		usage_die("--test and --train name the same file");
	if (opt.sklearn && !opt.test)
		usage_die("--sklearn needs --test FILE");
	if (opt.sklearn && opt.folds)
		usage_die("--sklearn does not take --folds");
	if (opt.sklearn && opt.seed > UINT32_MAX)
		usage_die("--seed %llu: --sklearn takes a seed of 0 .. 2^32-1, as numpy",
		          (unsigned long long)opt.seed);
}

/* Read the target of every row: from the file, to be read again, or held in t. */
static void
read_classes(struct classes *k, struct table *t, struct stream_reader *r, int twice, size_t col,
             const char *input)
{
	const struct schema *s = stream_reader_schema(r);

	memset(k, 0, sizeof *k);
	strmap_init(&k->seen);
	if (twice) {
		struct batch b;

		batch_init(&b, s);
		while (stream_next(r, &b))
			add_classes(k, &b, col, s->cols[col].name, input);
		batch_free(&b);
	} else {
		table_read(t, r);
		for (size_t bi = 0; bi < t->nbatches; bi++)
			add_classes(k, &t->batches[bi], col, s->cols[col].name, input);
	}
	if (k->nrows == 0)
		die("%s: no rows to split", input);
	sort_classes(k, s->cols[col].type);
}

int
main(int argc, char **argv)
{
	struct stream_reader *r;
	struct table t;
	struct source src;
	struct schema in_schema;
	struct classes k;
	struct rng rng;
	unsigned char *is_test = NULL;
	uint32_t *fold = NULL;
	const char *input;
	FILE *in;
	off_t start;
	size_t n_test = 0;
	int twice;
	long col;

	setprogname(argv[0]);
	signals_init();
	parse_options(argc, argv);
	in = open_input(optind < argc ? argv[optind] : NULL, &input);
	/* --sklearn writes the rows in another order: it holds them all */
	twice = !opt.sklearn && table_can_reread(in, &start);
	r = stream_open_or_die(in, input);
	if (opt.folds && schema_find(stream_reader_schema(r), FOLD_COLUMN) >= 0)
		die("%s: the stream already has a column named '%s'", input, FOLD_COLUMN);
	col = target_column(stream_reader_schema(r), input);
	schema_copy(&in_schema, stream_reader_schema(r));
	memset(&t, 0, sizeof t);
	read_classes(&k, &t, r, twice, (size_t)col, input);
	if (opt.test) {
		n_test = strat_test_size(opt.fraction, k.nrows);
		check_strata(&k, in_schema.cols[col].name, n_test, input);
	}
	if (opt.sklearn) {
		write_split_sklearn(&t, &k, &in_schema, n_test, input);
	} else {
		rng_seed(&rng, opt.seed);
		if (opt.test) {
			char err[256];

			is_test = xcalloc(k.nrows, 1);
			if (strat_shuffle_split(k.of_row, k.nrows, k.n, n_test, &rng, is_test, err,
			                        sizeof err) != 0)
				die("%s: %s", input, err);
		}
		if (opt.folds)
			fold = assign_folds(&k, k.nrows, is_test, &rng, input);
		memset(&src, 0, sizeof src);
		if (twice) {
			stream_reader_close(r);
			r = table_reread(in, start, input);
			src.r = r;
			batch_init(&src.b, &in_schema);
		} else {
			src.t = &t;
		}
		write_split(&src, &in_schema, k.nrows, is_test, fold, input);
		if (twice)
			batch_free(&src.b);
	}
	stream_reader_close(r);
	free(fold);
	free(is_test);
	classes_free(&k);
	table_free(&t);
	schema_free(&in_schema);
	return 0;
}
