/*
 * stream_tool: drives the stream library from tests.
 *   stream_tool gen N [TEXTCOLS]  write a stream of N rows (id, x, y, label)
 *   stream_tool cat               read a stream on stdin, write it again on stdout
 *   stream_tool count             read a stream, print its row count and batch count
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"
#include "util.h"

static void
gen(unsigned long long n)
{
	struct schema s;
	struct stream_writer *w;
	struct batch b;
	char id[32];

	schema_init(&s);
	schema_add(&s, "id", COL_STR, ROLE_ID);
	schema_add(&s, "x", COL_F64, ROLE_FEATURE);
	schema_add(&s, "y", COL_F64, ROLE_TARGET);
	schema_add(&s, "label", COL_STR, ROLE_PASSTHROUGH);
	schema_set_meta(&s, "tool", "stream_tool");
	w = stream_writer_open(stdout, "stdout", &s);
	batch_init(&b, &s);
	for (unsigned long long i = 0; i < n; i++) {
		size_t r = batch_add_row(&b);
		int len = snprintf(id, sizeof id, "%llu", i);

		batch_set_str(&b, r, 0, id, (size_t)len);
		batch_set_f64(&b, r, 1, i % 7 == 3 ? NAN : (double)i * 0.5 - 3.25);
		batch_set_f64(&b, r, 2, (double)(i % 2));
		batch_set_str(&b, r, 3, i % 3 ? "a,b" : "", i % 3 ? 3 : 0);
		if (b.nrows == STREAM_BATCH_ROWS) {
			stream_write_batch(w, &b);
			batch_clear(&b);
		}
	}
	stream_write_batch(w, &b);
	stream_writer_close(w);
	batch_free(&b);
	schema_free(&s);
}

static void
cat(int count_only)
{
	struct stream_reader *r = stream_open_or_die(stdin, "stdin");
	struct stream_writer *w = NULL;
	unsigned long long batches = 0;
	struct batch b;

	batch_init(&b, stream_reader_schema(r));
	if (!count_only)
		w = stream_writer_open(stdout, "stdout", stream_reader_schema(r));
	while (stream_next(r, &b)) {
		batches++;
		if (w)
			stream_write_batch(w, &b);
	}
	if (w)
		stream_writer_close(w);
	else
		printf("%llu rows %llu batches\n", (unsigned long long)stream_reader_rows(r),
		       batches);
	batch_free(&b);
	stream_reader_close(r);
}

int
main(int argc, char **argv)
{
	setprogname(argv[0]);
	signals_init();
	if (argc == 3 && strcmp(argv[1], "gen") == 0)
		gen(strtoull(argv[2], NULL, 10));
	else if (argc == 2 && strcmp(argv[1], "cat") == 0)
		cat(0);
	else if (argc == 2 && strcmp(argv[1], "count") == 0)
		cat(1);
	else
		usage_die("usage: stream_tool gen N | cat | count");
	fshut(stdout, "stdout");
	return 0;
}
