/*
 * stream_cat: a benchmark-only pass-through over the pipeml stream library, built by
 * bench/stream.sh into bench/out/ (not a tool, not installed).
 *   stream_cat         read a stream on stdin, write it again on stdout
 *   stream_cat -c      read a stream on stdin, print its row count
 */
#include <stdio.h>
#include <string.h>

#include "stream.h"
#include "util.h"

int
main(int argc, char **argv)
{
	int count_only = argc > 1 && strcmp(argv[1], "-c") == 0;
	struct stream_reader *r;
	struct stream_writer *w = NULL;
	struct batch b;

	setprogname(argv[0]);
	signals_init();
	r = stream_open_or_die(stdin, "stdin");
	if (!count_only)
		w = stream_writer_open(stdout, "stdout", stream_reader_schema(r));
	batch_init(&b, stream_reader_schema(r));
	while (stream_next(r, &b))
		if (w)
			stream_write_batch(w, &b);
	if (w)
		stream_writer_close(w);
	else
		printf("%llu\n", (unsigned long long)stream_reader_rows(r));
	fshut(stdout, "stdout");
	batch_free(&b);
	stream_reader_close(r);
	return 0;
}
