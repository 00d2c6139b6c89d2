/* csvclean: clean raw CSV by rules — learn a state in training, apply a saved one to new data. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clean.h"
#include "csvin.h"
#include "csvout.h"
#include "stream.h"
#include "util.h"

#define SYNOPSIS                                                                                   \
	"usage: %s [--date col[=min..max]] [--drop cols] [--require cols] [--keep col=values]\n"   \
	"       [--categorical cols] [--numeric cols] [--coerce] [--clip [cols=]k]\n"              \
	"       [--impute-mean cols] [--impute-median cols] [--impute-mode cols]\n"                \
	"       [--fill col=value] [--map new=src:from=to,...] [--order cols] [--role col=role]\n" \
	"       [--state file [--keep-all] | --save-state file] [--report-dir dir]\n"              \
	"       [--bad-rows file] [-o csv|stream] [file]\n"

static struct {
	const char *state, *save_state, *report_dir, *bad_rows;
	int csv, keep_all;
	int nrules;
} opt;

/* The run: input, output and the rows held in training. */
struct run {
	struct clean *clean;
	const char *name;
	struct stream_writer *w;
	struct batch parsed, out;
	struct batch *held; /* training: every batch of parsed rows */
	size_t nheld, cap_held;
	struct atomic_file bad;
	uint64_t nbad;
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
	printf("Rules (applied in this order, whatever the order of the flags):\n"
	       "  --date COL[=MIN..MAX]    parse COL as a date (YYYY-M-D), write it as "
	       "YYYY-MM-DD;\n"
	       "                           keep rows with MIN <= date <= MAX (either may be left "
	       "out)\n"
	       "  --drop COLS              drop these columns\n"
	       "  --require COLS           drop rows empty in any of these columns\n"
	       "  --keep COL=V1,V2,...     keep rows whose COL is one of the values (repeatable)\n"
	       "  --categorical COLS       text columns whose mode is learned\n"
	       "  --numeric COLS           numeric columns (f64); a value that is not a number is\n"
	       "                           an error\n"
	       "  --coerce                 ...unless this flag: then it is read as missing\n"
	       "  --clip [COLS=]K          clip to mean ± K sample sd (all numeric columns without "
	       "COLS)\n"
	       "  --impute-mean COLS       fill missing numbers with the mean after clipping\n"
	       "  --impute-median COLS     fill missing numbers with the median after clipping\n"
	       "  --impute-mode COLS       fill missing text with the most frequent value\n"
	       "  --fill COL=VALUE         fill missing values of COL with VALUE (repeatable)\n"
	       "  --map NEW=SRC:A=X,B=Y    derive text column NEW from SRC; *=Z maps anything "
	       "else,\n"
	       "                           unmapped values are missing otherwise (repeatable)\n"
	       "  --order COLS             output these columns first, in this order\n"
	       "  --role COL=ROLE          role in the stream: feature, target, id, fold, "
	       "passthrough\n"
	       "State, reports and output:\n"
	       "  --state FILE             apply a saved state (its rules and learned values)\n"
	       "  --keep-all               with --state: keep (and clean) the rows that the date\n"
	       "                           window, --require or --keep would drop\n"
	       "  --save-state FILE        save the learned state (msgpack) to FILE\n"
	       "  --report-dir DIR         write date_limits.json, outlier_summary.csv,\n"
	       "                           cat_missing_impute.csv and state.json into DIR\n"
	       "  --bad-rows FILE          write malformed rows to FILE and go on\n"
	       "  -o, --output csv|stream  output format (stream)\n"
	       "  -h, --help               this help\n"
	       "  -V, --version            print the version\n");
}

/* A malformed row: stop, or note it in the bad-rows file and go on. */
static void
bad_row(struct run *run, const struct csv_row *row)
{
	FILE *fp = run->bad.fp;

	if (fp == NULL)
		die("%s:%llu: %s", run->name, (unsigned long long)row->line, run->err);
	fprintf(fp, "%llu,", (unsigned long long)row->line);
	csv_put_field(fp, run->err, strlen(run->err));
	for (size_t j = 0; j < row->nfields; j++) {
		putc(',', fp);
		csv_put_field(fp, row->fields[j], row->lens[j]);
	}
	putc('\n', fp);
	run->nbad++;
}

static void
write_rows(struct run *run, const struct batch *parsed)
{
	clean_transform(run->clean, parsed, &run->out);
	if (opt.csv)
		csvout_batch(stdout, &run->out);
	else
		stream_write_batch(run->w, &run->out);
	batch_clear(&run->out);
}

static void
start(struct run *run, const struct csv_row *header)
{
	if (clean_bind(run->clean, header, run->name, run->err, sizeof run->err) != 0)
		die("%s", run->err);
	batch_init(&run->parsed, clean_parsed_schema(run->clean));
	batch_init(&run->out, clean_output_schema(run->clean));
	if (opt.csv)
		csvout_header(stdout, clean_output_schema(run->clean), 0);
	else
		run->w = stream_writer_open(stdout, "stdout", clean_output_schema(run->clean));
	if (opt.bad_rows) {
		FILE *fp;

		if (atomic_open(&run->bad, opt.bad_rows) != 0)
			die("%s:", opt.bad_rows);
		fp = run->bad.fp;
		fputs("line,reason", fp);
		for (size_t j = 0; j < header->nfields; j++) {
			putc(',', fp);
			csv_put_field(fp, header->fields[j], header->lens[j]);
		}
		putc('\n', fp);
	}
}

/* A full batch of parsed rows: written at once in apply mode, held in training. */
static void
batch_full(struct run *run)
{
	if (clean_is_applying(run->clean)) {
		write_rows(run, &run->parsed);
		batch_clear(&run->parsed);
		return;
	}
	if (run->nheld == run->cap_held) {
		run->cap_held = run->cap_held ? 2 * run->cap_held : 16;
		run->held = xreallocarray(run->held, run->cap_held, sizeof *run->held);
	}
	run->held[run->nheld++] = run->parsed;
	batch_init(&run->parsed, clean_parsed_schema(run->clean));
}

static int
on_row(void *ctx, const struct csv_row *row)
{
	struct run *run = ctx;

	if (row->recno == 0) {
		start(run, row);
		return 0;
	}
	if (clean_row(run->clean, row, &run->parsed, run->err, sizeof run->err) < 0)
		bad_row(run, row);
	else if (run->parsed.nrows == STREAM_BATCH_ROWS)
		batch_full(run);
	return 0;
}

/* In apply mode no row goes unaccounted for: say how many the rules dropped, or kept. */
static void
note_dropped(const struct run *run)
{
	const struct clean_counts *n = clean_counts(run->clean);
	uint64_t total = n->out_of_window + n->missing_required + n->not_kept;

	if (!clean_is_applying(run->clean) || total == 0)
		return;
	warn("%llu of %llu rows %s by the rules: %llu outside the date window, %llu missing a "
	     "required value, %llu not kept by --keep%s",
	     (unsigned long long)total, (unsigned long long)n->rows_in,
	     opt.keep_all ? "kept that would be dropped" : "dropped",
	     (unsigned long long)n->out_of_window, (unsigned long long)n->missing_required,
	     (unsigned long long)n->not_kept, opt.keep_all ? "" : " (--keep-all keeps them)");
}

static void
finish(struct run *run)
{
	if (clean_is_applying(run->clean)) {
		write_rows(run, &run->parsed);
	} else {
		batch_full(run);
		clean_learn(run->clean, run->held, run->nheld);
		for (size_t i = 0; i < run->nheld; i++) {
			write_rows(run, &run->held[i]);
			batch_free(&run->held[i]);
		}
	}
	if (opt.csv)
		fshut(stdout, "stdout");
	else
		stream_writer_close(run->w);
	if (opt.save_state &&
	    clean_save_state(run->clean, opt.save_state, run->err, sizeof run->err) != 0)
		die("%s", run->err);
	if (opt.report_dir &&
	    clean_write_reports(run->clean, opt.report_dir, run->err, sizeof run->err) != 0)
		die("%s", run->err);
	if (run->bad.fp && atomic_commit(&run->bad) != 0)
		die("%s:", opt.bad_rows);
	note_dropped(run);
	if (run->nbad)
		warn("%llu bad row%s written to %s", (unsigned long long)run->nbad,
		     run->nbad == 1 ? "" : "s", opt.bad_rows);
}

static void
parse_options(int argc, char **argv, struct clean *clean)
{
	static const struct option longopts[] = {
	        {"date", required_argument, NULL, 1},
	        {"drop", required_argument, NULL, 1},
	        {"require", required_argument, NULL, 1},
	        {"keep", required_argument, NULL, 1},
	        {"categorical", required_argument, NULL, 1},
	        {"numeric", required_argument, NULL, 1},
	        {"coerce", no_argument, NULL, 1},
	        {"clip", required_argument, NULL, 1},
	        {"impute-mean", required_argument, NULL, 1},
	        {"impute-median", required_argument, NULL, 1},
	        {"impute-mode", required_argument, NULL, 1},
	        {"fill", required_argument, NULL, 1},
	        {"map", required_argument, NULL, 1},
	        {"order", required_argument, NULL, 1},
	        {"role", required_argument, NULL, 1},
	        {"state", required_argument, NULL, 's'},
	        {"keep-all", no_argument, NULL, 'K'},
	        {"save-state", required_argument, NULL, 'S'},
	        {"report-dir", required_argument, NULL, 'R'},
	        {"bad-rows", required_argument, NULL, 'B'},
	        {"output", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	char err[512];
	int c, idx;

	while ((c = getopt_long(argc, argv, "o:hV", longopts, &idx)) != -1) {
		switch (c) {
		case 1:
			if (clean_add_rule(clean, longopts[idx].name, optarg, err, sizeof err) != 0)
				usage_die("%s", err);
			opt.nrules++;
			break;
		case 's':
			opt.state = optarg;
			break;
		case 'K':
			opt.keep_all = 1;
			break;
		case 'S':
			opt.save_state = optarg;
			break;
		case 'R':
			opt.report_dir = optarg;
			break;
		case 'B':
			opt.bad_rows = optarg;
			break;
		case 'o':
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
	}
	if (argc - optind > 1)
		usage();
	if (opt.state && opt.nrules)
		usage_die("rule flags cannot go with --state: the state holds the rules");
	if (opt.state && opt.save_state)
		usage_die("--state and --save-state exclude each other");
	if (opt.keep_all && !opt.state)
		usage_die("--keep-all applies a state: it needs --state");
	if (opt.state) {
		if (clean_load_state(clean, opt.state, err, sizeof err) != 0)
			die("%s", err);
		if (opt.keep_all)
			clean_keep_all(clean);
	} else if (clean_check_rules(clean, err, sizeof err) != 0) {
		usage_die("%s", err);
	}
}

int
main(int argc, char **argv)
{
	struct csvin_opts copts = {.ragged_ok = 1};
	struct run run;
	FILE *in;

	setprogname(argv[0]);
	signals_init();
	memset(&run, 0, sizeof run);
	run.clean = clean_new();
	parse_options(argc, argv, run.clean);
	in = open_input(optind < argc ? argv[optind] : NULL, &run.name);
	if (csvin_read(in, run.name, &copts, on_row, &run, run.err, sizeof run.err) != 0)
		die("%s", run.err);
	finish(&run);
	batch_free(&run.parsed);
	batch_free(&run.out);
	free(run.held);
	clean_free(run.clean);
	return 0;
}
