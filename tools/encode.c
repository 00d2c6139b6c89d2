/* encode: clean rows in, a feature matrix out — scaling, one-hot, a 0/1 target, ids kept. */
#include <assert.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvout.h"
#include "encoder.h"
#include "stream.h"
#include "table.h"
#include "util.h"

static struct {
	struct enc_spec spec;
	const char *state, *save_state;
	int strict, clip, learn_flags, csv;
} opt;

static void
usage(void)
{
	fprintf(stderr,
	        "usage: %s [-y column] [-p label] [-i columns] [-d columns] [-s columns] "
	        "[-z columns] [-c columns] [-S file] [--state file] [--strict] [--clip] [-o "
	        "csv|stream] "
	        "[file]\n",
	        progname);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: %s [-y column] [-p label] [-i columns] [-d columns] [-s columns]\n"
	       "       [-z columns] [-c columns] [-S file] [--state file] [--strict] [--clip]\n"
	       "       [-o csv|stream] [file]\n"
	       "  -y, --target COL        the target, written as 0/1 (default: the column with\n"
	       "                          the role target, if any)\n"
	       "  -p, --positive LABEL    the target's label written as 1 (default: the larger\n"
	       "                          of its two values)\n"
	       "  -i, --id COLS           columns passed through unchanged, role id\n"
	       "  -d, --drop COLS         columns left out\n"
	       "  -s, --scale COLS        min-max scale to [0, 1]\n"
	       "  -z, --standardize COLS  scale to mean 0, sd 1\n"
	       "  -c, --onehot COLS       one-hot encode, sorted categories, first dropped\n"
	       "  -S, --save-state FILE   save the learned state to FILE\n"
	       "      --state FILE        apply a saved state; learn nothing\n"
	       "      --strict            with --state: a category not seen in training is an\n"
	       "                          error (default: all zeros and a warning)\n"
	       "      --clip              clip min-max scaled values to [0, 1]\n"
	       "  -o, --output csv|stream output format (stream)\n"
	       "  -h, --help              this help\n"
	       "  -V, --version           print the version\n"
	       "COLS is a comma-separated list of column names.\n",
	       progname);
}

static void
parse_options(int argc, char **argv)
{
	enum { OPT_STATE = 256, OPT_STRICT, OPT_CLIP };
	static const struct option longopts[] = {
	        {"target", required_argument, NULL, 'y'},
	        {"positive", required_argument, NULL, 'p'},
	        {"id", required_argument, NULL, 'i'},
	        {"drop", required_argument, NULL, 'd'},
	        {"scale", required_argument, NULL, 's'},
	        {"standardize", required_argument, NULL, 'z'},
	        {"onehot", required_argument, NULL, 'c'},
	        {"save-state", required_argument, NULL, 'S'},
	        {"state", required_argument, NULL, OPT_STATE},
	        {"strict", no_argument, NULL, OPT_STRICT},
	        {"clip", no_argument, NULL, OPT_CLIP},
	        {"output", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	struct enc_spec *sp = &opt.spec;
	int c;

	while ((c = getopt_long(argc, argv, "y:p:i:d:s:z:c:S:o:hV", longopts, NULL)) != -1) {
		const char **list = NULL;

		switch (c) {
		case 'y':
			list = &sp->target;
			break;
		case 'p':
			list = &sp->positive;
			break;
		case 'i':
			list = &sp->ids;
			break;
		case 'd':
			list = &sp->drop;
			break;
		case 's':
			list = &sp->minmax;
			break;
		case 'z':
			list = &sp->standard;
			break;
		case 'c':
			list = &sp->onehot;
			break;
		case 'S':
			opt.save_state = optarg;
			break;
		case OPT_STATE:
			opt.state = optarg;
			break;
		case OPT_STRICT:
			opt.strict = 1;
			break;
		case OPT_CLIP:
			opt.clip = 1;
			break;
		case 'o':
			assert(optarg != NULL); /* getopt_long: -o requires an argument */
			if (strcmp(optarg, "csv") != 0 && strcmp(optarg, "stream") != 0)
				usage_die("-o: expected csv or stream, not '%s'", optarg);
			opt.csv = strcmp(optarg, "csv") == 0;
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
		if (list) {
			if (*list)
				usage_die("-%c given twice: give one comma-separated list", c);
			*list = optarg;
			opt.learn_flags = 1;
		}
	}
	if (argc - optind > 1)
		usage();
	if (opt.state && (opt.learn_flags || opt.save_state))
		usage_die("--state applies a saved state: it takes no --target, --positive, --id, "
		          "--drop, --scale, --standardize, --onehot or --save-state");
	if (opt.strict && !opt.state)
		usage_die("--strict needs --state (in training every category is seen)");
}

static void
load_state(struct encoder *e, const char *path)
{
	char err[512];
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		die("%s:", path);
	if (encoder_load(e, fp, err, sizeof err) != 0)
		die("%s: %s", path, err);
	fclose(fp);
}

static void
save_state(const struct encoder *e, const char *path)
{
	struct atomic_file af;

	if (atomic_open(&af, path) != 0)
		die("%s:", path);
	if (encoder_save(e, af.fp) != 0 || atomic_commit(&af) != 0)
		die("%s:", path);
}

/* One warning line for the categories never seen in training: the total and per column. */
static void
report_unseen(const struct encoder *e, const char *input)
{
	char line[1024];
	size_t len = 0;
	uint64_t total = 0;

	for (size_t j = 0; j < e->ncols; j++) {
		if (e->cols[j].unseen == 0)
			continue;
		total += e->cols[j].unseen;
		if (len < sizeof line)
			len += (size_t)snprintf(line + len, sizeof line - len, "%s%s %llu",
			                        len ? ", " : "", e->cols[j].name,
			                        (unsigned long long)e->cols[j].unseen);
	}
	if (total)
		warn("%s: %llu value%s not seen in training encoded as all zeros (%s)", input,
		     (unsigned long long)total, total == 1 ? "" : "s", line);
}

static void
write_batch(struct stream_writer *w, const struct batch *b)
{
	if (w)
		stream_write_batch(w, b);
	else
		csvout_batch(stdout, b);
}

/* Encode every batch to stdout; learning mode passes the rows it holds, apply mode reads. */
static void
encode(struct encoder *e, const struct table *t, struct stream_reader *r, const char *input)
{
	const struct schema *in = t ? &t->schema : stream_reader_schema(r);
	struct schema out;
	struct stream_writer *w = NULL;
	struct batch b, eb;
	uint64_t row = 1;
	char err[512];

	e->clip = opt.clip;
	e->strict = opt.strict;
	if (encoder_bind(e, in, &out, err, sizeof err) != 0)
		die("%s: %s", input, err);
	if (opt.csv)
		csvout_header(stdout, &out, 0);
	else
		w = stream_writer_open(stdout, "stdout", &out);
	batch_init(&eb, &out);
	if (t) {
		for (size_t bi = 0; bi < t->nbatches; bi++) {
			if (encoder_apply(e, &t->batches[bi], &eb, row, err, sizeof err) != 0)
				die("%s: %s", input, err);
			write_batch(w, &eb);
			row += t->batches[bi].nrows;
		}
	} else {
		batch_init(&b, in);
		while (stream_next(r, &b)) {
			if (encoder_apply(e, &b, &eb, row, err, sizeof err) != 0)
				die("%s: %s", input, err);
			write_batch(w, &eb);
			row += b.nrows;
		}
		batch_free(&b);
	}
	if (w)
		stream_writer_close(w);
	else
		fshut(stdout, "stdout");
	report_unseen(e, input);
	batch_free(&eb);
	schema_free(&out);
}

/* Learn from the rest of r in one pass of constant memory. */
static void
learn_from_stream(struct encoder *e, struct stream_reader *r, const char *input)
{
	struct batch b;
	uint64_t row = 1;
	char err[512];

	if (encoder_learn_start(e, &opt.spec, stream_reader_schema(r), err, sizeof err) != 0)
		die("%s: %s", input, err);
	batch_init(&b, stream_reader_schema(r));
	while (stream_next(r, &b)) {
		if (encoder_learn_batch(e, &b, row, err, sizeof err) != 0)
			die("%s: %s", input, err);
		row += b.nrows;
	}
	batch_free(&b);
	if (encoder_learn_finish(e, &opt.spec, err, sizeof err) != 0)
		die("%s: %s", input, err);
}

int
main(int argc, char **argv)
{
	struct stream_reader *r;
	struct encoder e;
	const char *input;
	FILE *in;
	off_t start;
	int twice;
	char err[512];

	setprogname(argv[0]);
	signals_init();
	parse_options(argc, argv);
	in = open_input(optind < argc ? argv[optind] : NULL, &input);
	twice = !opt.state && table_can_reread(in, &start);
	r = stream_open_or_die(in, input);
	if (opt.state) {
		load_state(&e, opt.state);
		encode(&e, NULL, r, input);
	} else if (twice) {
		learn_from_stream(&e, r, input);
		stream_reader_close(r);
		r = table_reread(in, start, input);
		encode(&e, NULL, r, input);
		if (opt.save_state)
			save_state(&e, opt.save_state);
	} else {
		struct table t;

		table_read(&t, r);
		if (encoder_learn(&e, &opt.spec, &t, err, sizeof err) != 0)
			die("%s: %s", input, err);
		encode(&e, &t, NULL, input);
		if (opt.save_state)
			save_state(&e, opt.save_state);
		table_free(&t);
	}
	encoder_free(&e);
	stream_reader_close(r);
	return 0;
}
