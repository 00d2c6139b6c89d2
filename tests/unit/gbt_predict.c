/*
 * gbt_predict MODEL [STREAM]: load a gbt model file (validating it as every tool must) and
 * print the prediction for each row of the stream, one per line. A test driver for
 * common/gbt.c until score(1) and common/model.c load gbt models.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbt.h"
#include "stream.h"
#include "util.h"

static const msgpack_object *
get(const msgpack_object *m, const char *key)
{
	for (uint32_t i = 0; i < m->via.map.size; i++) {
		const msgpack_object *k = &m->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(key) &&
		    memcmp(k->via.str.ptr, key, k->via.str.size) == 0)
			return &m->via.map.ptr[i].val;
	}
	return NULL;
}

static struct gbt_model *
load(const char *path, msgpack_unpacked *u, const msgpack_object **features, char **bufp)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL, err[256];
	size_t len = 0, cap = 0, off = 0, n;
	const msgpack_object *root, *fitted, *fmt;
	struct gbt_model *m;

	if (!fp)
		die("%s:", path);
	do {
		if (len == cap)
			buf = xreallocarray(buf, cap = cap ? 2 * cap : 65536, 1);
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n > 0);
	fclose(fp);
	msgpack_unpacked_init(u);
	if (msgpack_unpack_next(u, buf, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len)
		die("%s: truncated or malformed model file", path);
	root = &u->data;
	if (root->type != MSGPACK_OBJECT_MAP || !(fmt = get(root, "format")) ||
	    fmt->type != MSGPACK_OBJECT_STR || fmt->via.str.size != 12 ||
	    memcmp(fmt->via.str.ptr, "pipeml-model", 12) != 0)
		die("%s: not a pipeml model", path);
	*features = get(root, "features");
	fitted = get(root, "fitted");
	if (!*features || (*features)->type != MSGPACK_OBJECT_ARRAY || !fitted)
		die("%s: no features or fitted parameters", path);
	m = gbt_unpack(fitted, (*features)->via.array.size, err, sizeof err);
	if (!m)
		die("%s: %s", path, err);
	*bufp = buf; /* the unpacked objects point into it */
	return m;
}

int
main(int argc, char **argv)
{
	msgpack_unpacked u;
	const msgpack_object *features;
	struct gbt_model *m;
	struct stream_reader *r;
	struct batch b;
	const char *name;
	FILE *in;
	size_t nf, *col;
	double *x = NULL, *pred = NULL;
	char *buf;

	setprogname(argv[0]);
	if (argc < 2 || argc > 3)
		usage_die("usage: gbt_predict model [stream]");
	m = load(argv[1], &u, &features, &buf);
	nf = m->nfeatures;
	in = open_input(argc > 2 ? argv[2] : NULL, &name);
	r = stream_open_or_die(in, name);
	col = xcalloc(nf + 1, sizeof *col);
	for (size_t k = 0; k < nf; k++) {
		const msgpack_object *f = &features->via.array.ptr[k];
		char fname[256];
		long j;

		if (f->type != MSGPACK_OBJECT_STR)
			die("%s: feature %zu: not a name", argv[1], k + 1);
		snprintf(fname, sizeof fname, "%.*s", (int)f->via.str.size, f->via.str.ptr);
		j = schema_find(stream_reader_schema(r), fname);
		if (j < 0)
			die("%s: no column '%s'", name, fname);
		col[k] = (size_t)j;
	}
	batch_init(&b, stream_reader_schema(r));
	while (stream_next(r, &b)) {
		x = xreallocarray(x, b.nrows, (nf ? nf : 1) * sizeof *x);
		pred = xreallocarray(pred, b.nrows, sizeof *pred);
		for (size_t i = 0; i < b.nrows; i++)
			for (size_t k = 0; k < nf; k++)
				x[i * nf + k] = b.cols[col[k]].f64[i];
		gbt_predict(m, x, b.nrows, pred);
		for (size_t i = 0; i < b.nrows; i++)
			printf("%.17g\n", pred[i]);
	}
	fshut(stdout, "stdout");
	batch_free(&b);
	stream_reader_close(r);
	free(x);
	free(pred);
	free(col);
	gbt_free(m);
	msgpack_unpacked_destroy(&u);
	free(buf);
	return 0;
}
