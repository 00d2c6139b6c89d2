/* to-csv: write a pipeml stream as CSV, so that any stage can be looked at. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvin.h"
#include "stream.h"
#include "util.h"

static int show_roles;

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-r] [file]\n", progname);
	exit(EXIT_USAGE);
}

static void
write_header(const struct schema *s)
{
	for (size_t j = 0; j < s->ncols; j++) {
		char cell[STREAM_MAX_NAME + 32];

		if (j)
			putchar(',');
		if (show_roles)
			snprintf(cell, sizeof cell, "%s:%s:%s", s->cols[j].name,
			         col_type_name(s->cols[j].type), col_role_name(s->cols[j].role));
		else
			snprintf(cell, sizeof cell, "%s", s->cols[j].name);
		csv_put_field(stdout, cell, strlen(cell));
	}
	putchar('\n');
}

static void
write_batch(const struct batch *b)
{
	char num[40];

	for (size_t i = 0; i < b->nrows; i++) {
		for (size_t j = 0; j < b->ncols; j++) {
			if (j)
				putchar(',');
			if (b->types[j] == COL_F64) {
				double x = b->cols[j].f64[i];

				if (!isnan(x)) {
					format_f64(num, sizeof num, x);
					fputs(num, stdout);
				}
			} else {
				size_t len;
				const char *s = batch_str(b, i, j, &len);

				csv_put_field(stdout, s, len);
			}
		}
		putchar('\n');
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"roles", no_argument, NULL, 'r'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	struct stream_reader *r;
	struct batch b;
	const char *name;
	FILE *in;
	int c;

	setprogname(argv[0]);
	signals_init();
	while ((c = getopt_long(argc, argv, "rhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			show_roles = 1;
			break;
		case 'h':
			printf("usage: %s [-r] [file]\n"
			       "  -r, --roles    header cells as name:type:role\n"
			       "  -h, --help     this help\n"
			       "  -V, --version  print the version\n",
			       progname);
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
	in = open_input(optind < argc ? argv[optind] : NULL, &name);
	r = stream_open_or_die(in, name);
	write_header(stream_reader_schema(r));
	batch_init(&b, stream_reader_schema(r));
	while (stream_next(r, &b))
		write_batch(&b);
	fshut(stdout, "stdout");
	batch_free(&b);
	stream_reader_close(r);
	return 0;
}
