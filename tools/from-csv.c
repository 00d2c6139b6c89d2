/* from-csv: read CSV and write it as a pipeml stream, with column types and roles. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"
#include "stream.h"
#include "strmap.h"
#include "util.h"

#define MAX_ROLE_FLAGS 256

static struct {
	const char *numeric, *text;
	const char *roles[MAX_ROLE_FLAGS];
	size_t nroles;
	long infer;
} opt = {.infer = 1000};

/* The read: rows held back while types are inferred, then written batch by batch. */
struct conv {
	const char *name;
	size_t ncols;
	char **names;
	enum col_type *types;
	int *forced; /* column type given by a flag */
	char **held; /* held rows: ncols strings each */
	uint64_t *held_line;
	size_t nheld, cap_held;
	struct schema schema;
	struct stream_writer *w;
	struct batch b;
	char err[512];
};

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-n cols] [-t cols] [-r col=role] [-i rows] [file]\n", progname);
	exit(EXIT_USAGE);
}

static long
column_index(struct conv *cv, const char *name, size_t len)
{
	for (size_t j = 0; j < cv->ncols; j++)
		if (strlen(cv->names[j]) == len && memcmp(cv->names[j], name, len) == 0)
			return (long)j;
	return -1;
}

/* Apply a comma-separated list of column names: force their type. */
static void
force_type(struct conv *cv, const char *list, const char *flag, enum col_type t)
{
	const char *p = list;

	while (list && *p) {
		size_t len = strcspn(p, ",");
		long j = column_index(cv, p, len);

		if (j < 0)
			die("%s: %.*s: no such column in the header of %s", flag, (int)len, p,
			    cv->name);
		if (cv->forced[j] && cv->types[j] != t)
			usage_die("column %.*s is named by both --numeric and --text", (int)len, p);
		cv->types[j] = t;
		cv->forced[j] = 1;
		p += len + (p[len] == ',');
	}
}

static void
start_header(struct conv *cv, const struct csv_row *row)
{
	struct strmap seen;

	strmap_init(&seen);
	cv->ncols = row->nfields;
	cv->names = xcalloc(cv->ncols, sizeof *cv->names);
	cv->types = xcalloc(cv->ncols, sizeof *cv->types);
	cv->forced = xcalloc(cv->ncols, sizeof *cv->forced);
	for (size_t j = 0; j < cv->ncols; j++) {
		if (row->lens[j] == 0)
			die("%s:%llu: column %zu has an empty name", cv->name,
			    (unsigned long long)row->line, j + 1);
		if (strmap_put(&seen, row->fields[j], row->lens[j], j) != j)
			die("%s:%llu: duplicate column name '%s'", cv->name,
			    (unsigned long long)row->line, row->fields[j]);
		cv->names[j] = xstrndup(row->fields[j], row->lens[j]);
	}
	strmap_free(&seen);
	force_type(cv, opt.numeric, "--numeric", COL_F64);
	force_type(cv, opt.text, "--text", COL_STR);
}

/* A column is numeric when every non-empty held value parses as a number. */
static void
infer_types(struct conv *cv)
{
	for (size_t j = 0; j < cv->ncols; j++) {
		int any = 0, numeric = 1;

		if (cv->forced[j])
			continue;
		for (size_t i = 0; i < cv->nheld && numeric; i++) {
			const char *s = cv->held[i * cv->ncols + j];
			double x;

			if (*s == '\0')
				continue;
			any = 1;
			numeric = parse_f64(s, strlen(s), &x) == 0;
		}
		cv->types[j] = any && numeric ? COL_F64 : COL_STR;
	}
}

/* A --role flag is COLUMN=ROLE; its column is checked once the header is read. */
static void
check_role_flag(const char *flag)
{
	const char *eq = strchr(flag, '=');
	enum col_role role;

	if (eq == NULL || eq == flag || col_role_parse(eq + 1, &role) != 0)
		usage_die("--role %s: expected COLUMN=ROLE, ROLE one of feature, target, id, "
		          "fold, passthrough",
		          flag);
}

static void
apply_roles(struct conv *cv)
{
	for (size_t k = 0; k < opt.nroles; k++) {
		const char *eq = strchr(opt.roles[k], '=');
		enum col_role role = ROLE_PASSTHROUGH;
		long j = column_index(cv, opt.roles[k], (size_t)(eq - opt.roles[k]));

		if (j < 0)
			die("--role: %.*s: no such column in the header of %s",
			    (int)(eq - opt.roles[k]), opt.roles[k], cv->name);
		col_role_parse(eq + 1, &role);
		cv->schema.cols[j].role = role;
	}
}

static void
put_row(struct conv *cv, const char *const *fields, const size_t *lens, uint64_t line)
{
	size_t r = batch_add_row(&cv->b);

	for (size_t j = 0; j < cv->ncols; j++) {
		size_t len = lens ? lens[j] : strlen(fields[j]);

		if (cv->types[j] == COL_STR) {
			batch_set_str(&cv->b, r, j, fields[j], len);
		} else if (len == 0) {
			batch_set_f64(&cv->b, r, j, NAN);
		} else {
			double x;
			int rc = parse_f64(fields[j], len, &x);

			if (rc == -2)
				die("%s:%llu: column '%s': %s is out of the range of a double",
				    cv->name, (unsigned long long)line, cv->names[j], fields[j]);
			if (rc != 0)
				die("%s:%llu: column '%s': '%s' is not a number%s", cv->name,
				    (unsigned long long)line, cv->names[j], fields[j],
				    cv->forced[j] ? ""
				                  : " (typed numeric from the first rows; "
				                    "use --text to keep it as text)");
			batch_set_f64(&cv->b, r, j, x);
		}
	}
	if (cv->b.nrows == STREAM_BATCH_ROWS) {
		stream_write_batch(cv->w, &cv->b);
		batch_clear(&cv->b);
	}
}

static void
start_output(struct conv *cv)
{
	infer_types(cv);
	schema_init(&cv->schema);
	for (size_t j = 0; j < cv->ncols; j++)
		schema_add(&cv->schema, cv->names[j], cv->types[j], ROLE_PASSTHROUGH);
	apply_roles(cv);
	schema_set_meta(&cv->schema, "tool", "from-csv");
	schema_set_meta(&cv->schema, "source", cv->name);
	cv->w = stream_writer_open(stdout, "stdout", &cv->schema);
	batch_init(&cv->b, &cv->schema);
	for (size_t i = 0; i < cv->nheld; i++)
		put_row(cv, (const char *const *)&cv->held[i * cv->ncols], NULL, cv->held_line[i]);
	for (size_t i = 0; i < cv->nheld * cv->ncols; i++)
		free(cv->held[i]);
	free(cv->held);
	free(cv->held_line);
	cv->held = NULL;
}

static int
on_row(void *ctx, const struct csv_row *row)
{
	struct conv *cv = ctx;

	if (row->recno == 0) {
		start_header(cv, row);
		return 0;
	}
	if (cv->w) {
		put_row(cv, row->fields, row->lens, row->line);
		return 0;
	}
	if (cv->nheld == cv->cap_held) {
		cv->cap_held = cv->cap_held ? 2 * cv->cap_held : 64;
		cv->held = xreallocarray(cv->held, cv->cap_held * cv->ncols, sizeof *cv->held);
		cv->held_line = xreallocarray(cv->held_line, cv->cap_held, sizeof *cv->held_line);
	}
	for (size_t j = 0; j < cv->ncols; j++)
		cv->held[cv->nheld * cv->ncols + j] = xstrndup(row->fields[j], row->lens[j]);
	cv->held_line[cv->nheld++] = row->line;
	if ((long)cv->nheld >= opt.infer)
		start_output(cv);
	return 0;
}

static void
help(void)
{
	printf("usage: %s [-n cols] [-t cols] [-r col=role] [-i rows] [file]\n"
	       "  -n, --numeric COLS   comma-separated columns read as numbers\n"
	       "  -t, --text COLS      comma-separated columns kept as text\n"
	       "  -r, --role COL=ROLE  set a column's role (feature, target, id, fold,\n"
	       "                       passthrough); repeatable\n"
	       "  -i, --infer ROWS     rows read to infer the other columns' types (1000)\n"
	       "  -h, --help           this help\n"
	       "  -V, --version        print the version\n",
	       progname);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"numeric", required_argument, NULL, 'n'},
	        {"text", required_argument, NULL, 't'},
	        {"role", required_argument, NULL, 'r'},
	        {"infer", required_argument, NULL, 'i'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	struct conv cv;
	FILE *in;
	int c;

	setprogname(argv[0]);
	signals_init();
	while ((c = getopt_long(argc, argv, "n:t:r:i:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			opt.numeric = optarg;
			break;
		case 't':
			opt.text = optarg;
			break;
		case 'r':
			check_role_flag(optarg);
			if (opt.nroles == MAX_ROLE_FLAGS)
				usage_die("more than %d --role flags", MAX_ROLE_FLAGS);
			opt.roles[opt.nroles++] = optarg;
			break;
		case 'i':
			opt.infer = opt_long("--infer", optarg, 1, 100000000);
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("%s %s\n", progname, PIPEML_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (argc - optind > 1)
		usage();
	memset(&cv, 0, sizeof cv);
	in = open_input(optind < argc ? argv[optind] : NULL, &cv.name);
	if (csvin_read(in, cv.name, NULL, on_row, &cv, cv.err, sizeof cv.err) != 0)
		die("%s", cv.err);
	if (cv.w == NULL)
		start_output(&cv);
	stream_write_batch(cv.w, &cv.b);
	stream_writer_close(cv.w);
	batch_free(&cv.b);
	schema_free(&cv.schema);
	for (size_t j = 0; j < cv.ncols; j++)
		free(cv.names[j]);
	free(cv.names);
	free(cv.types);
	free(cv.forced);
	return 0;
}
