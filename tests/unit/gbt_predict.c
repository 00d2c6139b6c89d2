/*
 * gbt_predict MODEL [STREAM]: load a model file through model_load (which validates it as
 * every tool does) and print the prediction of the gbt model for each row of the stream,
 * one per line: the sigmoid of the margin, or for reg:squarederror the margin itself, as
 * XGBoost's predict. A test and benchmark driver for common/gbt.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbt.h"
#include "model.h"
#include "stream.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct model m;
	struct stream_reader *r;
	struct batch b;
	const char *name;
	char err[1024];
	FILE *fp, *in;
	size_t nf, *col;
	double *x = NULL, *pred = NULL;

	setprogname(argv[0]);
	if (argc < 2 || argc > 3)
		usage_die("usage: gbt_predict model [stream]");
	fp = fopen(argv[1], "rb");
	if (!fp)
		die("%s:", argv[1]);
	if (model_load(fp, argv[1], &m, err, sizeof err) < 0)
		die("%s", err);
	fclose(fp);
	if (m.ops != &gbt_kind)
		die("%s: a %s model, not gbt", argv[1], m.kind);
	nf = m.nfeatures;
	in = open_input(argc > 2 ? argv[2] : NULL, &name);
	r = stream_open_or_die(in, name);
	col = xcalloc(nf + 1, sizeof *col);
	for (size_t k = 0; k < nf; k++) {
		long j = schema_find(stream_reader_schema(r), m.features[k]);

		if (j < 0)
			die("%s: no column '%s'", name, m.features[k]);
		col[k] = (size_t)j;
	}
	batch_init(&b, stream_reader_schema(r));
	while (stream_next(r, &b)) {
		x = xreallocarray(x, b.nrows, (nf ? nf : 1) * sizeof *x);
		pred = xreallocarray(pred, b.nrows, sizeof *pred);
		for (size_t i = 0; i < b.nrows; i++)
			for (size_t k = 0; k < nf; k++)
				x[i * nf + k] = b.cols[col[k]].f64[i];
		gbt_predict(m.fitted, x, b.nrows, pred);
		for (size_t i = 0; i < b.nrows; i++)
			printf("%.17g\n", pred[i]);
	}
	fshut(stdout, "stdout");
	batch_free(&b);
	stream_reader_close(r);
	free(x);
	free(pred);
	free(col);
	model_free(&m);
	return 0;
}
